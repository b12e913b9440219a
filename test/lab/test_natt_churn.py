#!/usr/bin/env python3
"""Road warriors behind a NAT, many at once, connecting, deleting and reconnecting.

100 strongSwan clients (one charon with 100 source addresses, each connection with its own
identity, strongSwan's default proposals, kernel-libipsec, so every client floats from UDP
500 to 4500) sit behind a namespace that masquerades them onto one public address: the
gateway sees 100 peers on one address, told apart by their NAT ports. Three rounds: all
connect, all delete, all connect again. The gateway (the ASan build in make test) must stay
up, every round must establish every client with its own pool address, and at the end `show
crypto ikev2 sa` is empty and every pool address is free. The keys of the gateway's SA
tables (SPIs; never an address or a port that moves) are what this exercises: the float
rewrote the address under the half-open table and crashed the daemon before."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
if not ikgt.shutil.which("nft"):
    ikgt.skip("nft is not installed (package nftables): no NAT namespace")
T0 = time.time()

N = int(os.environ.get("CHURN_CLIENTS", "100"))
ROUNDS = int(os.environ.get("CHURN_ROUNDS", "3"))
GW_IP, NAT_IP = "192.0.2.1", "192.0.2.254"
PSK = "churn-psk-5b1e7d0c2a"

lan = ikgt.Lan("chlan")
gw_ns = ikgt.Netns("chgw")
nat_ns = ikgt.Netns("chnat")
cl_ns = ikgt.Netns("chcl")
lan.attach(gw_ns)
lan.attach(nat_ns)
gw_ns.ip("addr", "add", f"{GW_IP}/24", "dev", "eth0")
gw_ns.ip("link", "set", "eth0", "up")
nat_ns.ip("addr", "add", f"{NAT_IP}/24", "dev", "eth0")
nat_ns.ip("link", "set", "eth0", "up")
ikgt.run(["ip", "link", "add", "eth1", "netns", nat_ns.name, "type", "veth", "peer", "name",
          "eth0", "netns", cl_ns.name])
nat_ns.ip("addr", "add", "10.77.0.1/16", "dev", "eth1")
nat_ns.ip("link", "set", "eth1", "up")
cl_ns.ip("link", "set", "eth0", "up")
for i in range(1, N + 1):
    cl_ns.ip("addr", "add", f"10.77.{1 + (i - 1) // 250}.{1 + (i - 1) % 250}/16", "dev", "eth0")
cl_ns.ip("route", "add", "default", "via", "10.77.0.1")
ikgt.run(nat_ns.exec_args(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]))
ikgt.run(nat_ns.exec_args(["nft", "add table ip nat; add chain ip nat post "
                                  "{ type nat hook postrouting priority 100; }; "
                                  "add rule ip nat post oifname eth0 masquerade"]))


def client_addr(i):
    return f"10.77.{1 + (i - 1) // 250}.{1 + (i - 1) % 250}"


STARTUP = f"""hostname GW
interface GigabitEthernet1
 ip address {GW_IP} 255.255.255.0
 no shutdown
aaa new-model
aaa authorization network default local
crypto ikev2 authorization policy default
 pool churn
crypto ikev2 keyring kr
 peer any
  address 0.0.0.0 0.0.0.0
  pre-shared-key {PSK}
crypto ikev2 profile default
 match identity remote any
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
ip local pool churn 10.99.0.1 10.99.0.250
"""

conns = "".join(f"""
    c{i} {{
        local_addrs = {client_addr(i)}
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        local {{
            auth = psk
            id = client{i}@churn.test
        }}
        remote {{
            auth = psk
            id = {GW_IP}
        }}
        children {{
            c{i} {{
                remote_ts = 10.10.0.0/24
            }}
        }}
    }}""" for i in range(1, N + 1))
SWANCTL = f"""connections {{{conns}
}}
secrets {{
    ike {{
        secret = "{PSK}"
    }}
}}
"""

gw = ikgt.Daemon(gw_ns, STARTUP, extra=["--dataplane", "none"], tag="chgw").start()
cfg_errors = [ln for ln in gw.logtext().splitlines() if "% " in ln]
check(not cfg_errors, f"the startup-config loaded without errors {cfg_errors[:3]}")
cl = peers.Charon(cl_ns, "churn", SWANCTL, extra_charon_conf="""
    # 100 connections to one gateway: no DoS throttling on the client's side
    init_limit_half_open = 0
    reuse_ikesa = no
""")
cl.start()
cl.load_all()


def sh(cmd):
    return gw.ikesh(cmd).stdout


def gw_ready():
    return len(re.findall(r"\bREADY\b", sh("show crypto ikev2 sa")))


def gw_any_sa():
    return re.search(r"^\d+\s+\d", sh("show crypto ikev2 sa"), re.M) is not None


def client_up():
    """Connections established with a CHILD_SA and a virtual IP."""
    up = {}
    for sa in cl.list_sas():
        if (sa.get("state") == "ESTABLISHED" and sa["local-vips"]
                and any(c.get("state") == "INSTALLED" for c in sa["child-sas"])):
            up[sa["name"]] = sa["local-vips"][0]
    return up


def wait(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.25)
    return pred()


for rnd in range(1, ROUNDS + 1):
    t = time.time()
    for i in range(1, N + 1):
        # VICI initiate with a timeout of -1 returns at once: all 100 negotiate together.
        cl.vici("initiate", {"child": f"c{i}", "ike": f"c{i}", "timeout": "-1"})
    wait(lambda: len(client_up()) == N and gw_ready() == N, 90)
    up = client_up()
    took = time.time() - t
    check(gw.proc.poll() is None, f"round {rnd}: the gateway is running")
    check(len(up) == N, f"round {rnd}: {len(up)}/{N} clients established with a CHILD_SA and an "
          f"address in {took:.1f} s")
    check(len(set(up.values())) == len(up) and all(v.startswith("10.99.0.") for v in up.values()),
          f"round {rnd}: every client has its own pool address")
    check(gw_ready() == N, f"round {rnd}: the gateway shows {N} READY SAs")
    sas = sh("show crypto ikev2 sa")
    ports = set(re.findall(rf"{re.escape(NAT_IP)}/(\d+)", sas))
    check(len(ports) == N and "500" not in ports,
          f"round {rnd}: {len(ports)} NAT ports on {NAT_IP}, all after the float from 500")
    t = time.time()
    for i in range(1, N + 1):
        cl.vici("terminate", {"ike": f"c{i}", "timeout": "-1"})
    wait(lambda: not cl.list_sas() and not gw_any_sa(), 60)
    check(not gw_any_sa(), f"round {rnd}: deleted by the clients, no SA left on the gateway "
          f"({time.time() - t:.1f} s)")

pool = sh("show ip local pool churn")
check(re.search(rf"churn\s+10\.99\.0\.1\s+10\.99\.0\.250\s+250\s+0\b", pool) is not None,
      f"every pool address is free: {' '.join(pool.split())}")
stats = sh("show crypto ikev2 stats")
m = re.search(r"SAs up: (\d+)", stats)
check(m and int(m.group(1)) == N * ROUNDS, f"the gateway counted {m and m.group(1)} SAs up "
      f"({N * ROUNDS} expected)")
check(gw.proc.poll() is None and "ERROR: AddressSanitizer" not in gw.logtext(),
      "the gateway survived every round, no sanitizer report")

if ikgt._failed:
    print(gw.logtext()[-4000:])
    print(cl.dump())
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
