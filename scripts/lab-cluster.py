#!/usr/bin/env python3
"""`make run`: the seed's cluster in network namespaces on this host, then the master's shell.

Three gateways (GW1-GW3) on one LAN with the seed's configuration: HSRP group1 with the VIP
10.10.10.100, `crypto ikev2 cluster`, the IKEv2 profile with RSA certificates this lab makes
(trustpoint 1, certificate map certmap, identity local dn, Virtual-Template1), and strongSwan
clients that connect to the VIP and are redirected to the members (RFC 5685).

On a kernel with ESP everything is real; on one without it (most containers) the gateways
run with --dataplane none, and the lab says so: tunnels are negotiated, no traffic passes.
With a terminal you get GW1's (the master's) IOS shell; without one, the commands read from
stdin run on it once every client has settled, and their output is printed. Everything the
lab made is removed when it exits."""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.environ.get("IKEGATE_BIN", os.path.join(ROOT, "build/release")))
ap.add_argument("--clients", type=int, default=int(os.environ.get("LAB_CLIENTS", "6")))
ap.add_argument("--dataplane", choices=("auto", "kernel", "none"), default="auto")
args = ap.parse_args()
os.environ["IKEGATED"] = os.path.join(args.bin, "ikegated")
os.environ["IKESH"] = os.path.join(args.bin, "ikesh")
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

if os.geteuid() != 0:
    sys.exit("make run: needs root to create the lab's network namespaces")
peers.sweep_stale()
cmd_file = os.environ.get("LAB_COMMANDS")  # `make run VM=1`: the commands, read from a file
tty = sys.stdin.isatty() and not cmd_file


def say(*a):
    print(*a, file=sys.stderr, flush=True)

VIP = "10.10.10.100"
DOMAIN = "lab.ikegate.test"
lan = ikgt.Lan("lab")
gws = []
for n in (1, 2, 3):
    ns = ikgt.Netns(f"labgw{n}")
    lan.attach(ns)
    gws.append(ns)
esp = peers.kernel_has_esp(gws[0])
dataplane = args.dataplane if args.dataplane != "auto" else ("kernel" if esp else "none")
if dataplane == "none":
    say("ikegate lab: this kernel has no ESP, so the gateways run with --dataplane none: "
        "tunnels are negotiated, nothing is installed and no traffic passes "
        "(`make run VM=1` runs the same lab in a VM with Debian's kernel).")

workdir = peers.tmpdir(f"ikgt-lab-{os.getpid()}-")
pki = peers.make_pki(os.path.join(workdir, "pki"),
                     gateways={f"gw{n}": [f"10.10.10.{n}"] for n in (1, 2, 3)},
                     clients=tuple(f"client{i + 1}" for i in range(args.clients)),
                     kinds=("rsa",), domain=DOMAIN, encrypt_prv=True)


def gw_config(n, prio):
    e = pki[f"gw{n}-rsa"]
    return f"""! The seed's configuration (REFERENCE §4) for member GW{n}, as `make run` boots it.
hostname GW{n}
crypto pki trustpoint 1
 enrollment terminal
 revocation-check none
crypto pki import 1 pem url {e.prefix} password {pki.passphrase}
crypto pki certificate map certmap 10
 issuer-name co ikegate-lab rsa ca
interface GigabitEthernet1
 ip address 10.10.10.{n} 255.255.255.0
 standby version 2
 standby 1 ip {VIP}
 standby 1 priority {prio}
 standby 1 preempt
 standby 1 timers msec 300 msec 1000
 standby 1 name group1
 no shutdown
interface Loopback1
 ip address 172.31.0.{n} 255.255.255.255
crypto ikev2 cluster
 description FlexVPN load balancer (lab)
 standby-group group1
 slave max-session 10
 ! one host: the members share its CPU, so place by sessions alone
 master weight system-load 0
 no shutdown
crypto ikev2 redirect gateway init
crypto ikev2 profile default
 match certificate certmap
 identity local dn
 authentication remote rsa-sig
 authentication local rsa-sig
 pki trustpoint 1
 aaa authorization group cert list default default
 virtual-template 1
crypto ikev2 authorization policy default
 pool pool1
 route set interface
interface Virtual-Template1 type tunnel
 ip unnumbered Loopback1
 tunnel source GigabitEthernet1
 tunnel protection ipsec profile default
ip local pool pool1 172.16.{n}.1 172.16.{n}.254
"""


daemons = []
extra = ["--dataplane", "none"] if dataplane == "none" else []
for n, prio in ((1, 120), (2, 110), (3, 100)):
    daemons.append(ikgt.Daemon(gws[n - 1], gw_config(n, prio), extra=extra, tag=f"labgw{n}").start())
master = daemons[0]


def sh(d, cmd):
    return d.ikesh(cmd).stdout


def wait(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


wait(lambda: sh(master, "show crypto ikev2 cluster").count(" up\n") >= 3, 20)

clients = []
for i in range(args.clients):
    ns = ikgt.Netns(f"labcl{i + 1}")
    lan.attach(ns)
    ns.ip("addr", "add", f"10.10.10.{101 + i}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")
    name = f"client{i + 1}"
    ch = peers.Charon(ns, name, f"""
connections {{
    flexvpn {{
        remote_addrs = {VIP}
        vips = 0.0.0.0
        proposals = aes256gcm16-prfsha256-ecp256, aes256-sha256-modp2048
        local {{
            auth = pubkey
            certs = {name}-rsa.crt
            id = {name}@{DOMAIN}
        }}
        remote {{
            auth = pubkey
        }}
        children {{
            flexvpn {{
                remote_ts = 172.31.0.0/24
                esp_proposals = aes256gcm16, aes256-sha256
            }}
        }}
    }}
}}
""", libipsec=not esp)
    ch.install(pki[f"{name}-rsa"])
    ch.start()
    ch.load_all()
    clients.append(ch)
for ch in clients:
    ch.initiate("flexvpn", timeout=30)


def settled():
    return all(len(s := ch.list_sas()) == 1 and s[0]["state"] == "ESTABLISHED" for ch in clients)


wait(settled, 60)
where = {}
for ch in clients:
    s = ch.list_sas()
    host = s[0]["remote-host"] if s else "none"
    where[host] = where.get(host, 0) + 1
say(f"ikegate lab: 3 gateways (GW1 master at {VIP}), {len(clients)} clients placed: "
    + ", ".join(f"{k}: {v}" for k, v in sorted(where.items())))
if dataplane == "kernel":
    # Each client pings the Loopback1 of the gateway it landed on, from its pool address,
    # through its tunnel (Virtual-Template1: the gateway's vt1 routes the answer back).
    ok = 0
    for ch in clients:
        s = ch.list_sas()
        if not s or not s[0].get("local-vips"):
            continue
        host = s[0]["remote-host"]
        n = 1 if host == VIP else int(host.rsplit(".", 1)[1])
        r = ikgt.run(ch.ns.exec_args(["ping", "-c", "2", "-W", "3", "-I",
                                      s[0]["local-vips"][0], f"172.31.0.{n}"]), check=False)
        ok += r.returncode == 0
    say(f"ikegate lab: pings through the tunnels: {ok} of {len(clients)} answered")

if tty:
    say("Type 'exit' to leave (the lab is removed).")
    subprocess.call([os.environ["IKESH"], "-s", master.sock])
else:
    src = open(cmd_file) if cmd_file else sys.stdin
    cmds = [ln.rstrip("\n") for ln in src if ln.strip()]
    if cmds:
        argv = [os.environ["IKESH"], "-s", master.sock]
        for c in cmds:
            argv += ["-c", c]
        r = subprocess.run(argv, capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        sys.stdout.flush()
for ch in clients:
    ch.stop()
