#!/usr/bin/env python3
"""IKEv2 fragmentation (RFC 7383) on a path that drops IP fragments, as many mobile carriers
and NATs do.

The client sits behind a router namespace whose forwarding drops every IP fragment but the
first. Its certificate and key are RSA-4096, so its IKE_AUTH request (certificate + 512-byte
signature) and the gateway's answer (the same for the gateway) are each over 1500 bytes of
UDP. strongSwan is left at its defaults (fragmentation = yes, no proposals line).

1. `crypto ikev2 fragmentation` not configured (the IOS default): the gateway does not
   answer IKEV2_FRAGMENTATION_SUPPORTED, the client's IKE_AUTH goes out in IP fragments, the
   router drops them (its counter says so), the client gives up: a clean failure, nothing
   established, and the gateway's half-open SA times out.
2. Configured live (IOS's default MTU 576): both sides fragment at the IKE level, every
   fragment passes the router, the client establishes with a pool address;
   `show crypto ikev2 sa detailed` prints IOS-XE's lines (IETF Std Fragmentation enabled, MTU
   in use 548 bytes), `show crypto ikev2 stats` counts the fragments both ways; tshark sees
   our Encrypted Fragment payloads dissect cleanly.
3. `mtu 1400`: fewer, larger fragments; a client with `fragmentation = force` establishes too."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
if not shutil.which("nft"):
    ikgt.skip("nft is not installed (package nftables): no fragment-dropping router")
T0 = time.time()

GW_IP, RT_GW, RT_CL, CL_IP = "192.0.2.1", "192.0.2.254", "198.51.100.254", "198.51.100.2"
DOMAIN = "lab.ikegate.test"

gw_ns = ikgt.Netns("frgw")
rt_ns = ikgt.Netns("frrt")
cl_ns = ikgt.Netns("frcl")
ikgt.run(["ip", "link", "add", "eth0", "netns", gw_ns.name, "type", "veth", "peer", "name", "eth0",
          "netns", rt_ns.name])
ikgt.run(["ip", "link", "add", "eth0", "netns", cl_ns.name, "type", "veth", "peer", "name", "eth1",
          "netns", rt_ns.name])
for ns, dev, addr in ((gw_ns, "eth0", GW_IP), (rt_ns, "eth0", RT_GW), (rt_ns, "eth1", RT_CL),
                      (cl_ns, "eth0", CL_IP)):
    ns.ip("addr", "add", f"{addr}/24", "dev", dev)
    ns.ip("link", "set", dev, "up")
cl_ns.ip("route", "add", "default", "via", RT_CL)
ikgt.run(rt_ns.exec_args(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]))
# Every fragment after the first is dropped: the datagram can never be reassembled.
ikgt.run(rt_ns.exec_args(["nft", "add table inet f; add chain inet f fragdrop "
                                 "{ type filter hook forward priority 0; }; "
                                 "add rule inet f fragdrop ip frag-off & 0x1fff != 0 counter drop"]))


def dropped_fragments():
    out = ikgt.run(rt_ns.exec_args(["nft", "list", "chain", "inet", "f", "fragdrop"])).stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else -1


pki_dir = os.path.join(peers.tmpdir(f"ikgt-pki-frag-{os.getpid()}-"), "pki")
pki = peers.make_pki(pki_dir, gateways={"gw1": [GW_IP]}, clients=("alice",), kinds=("rsa4096",),
                     domain=DOMAIN, encrypt_prv=True)

STARTUP = f"""hostname GW
interface GigabitEthernet1
 ip address {GW_IP} 255.255.255.0
 no shutdown
ip route 198.51.100.0 255.255.255.0 {RT_GW}
aaa new-model
aaa authorization network default local
crypto pki trustpoint big
 enrollment terminal
 revocation-check none
crypto pki import big pem url {pki['gw1-rsa4096'].prefix} password {pki.passphrase}
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 profile cert
 match identity remote email alice@{DOMAIN}
 identity local fqdn gw1.{DOMAIN}
 authentication remote rsa-sig
 authentication local rsa-sig
 pki trustpoint big
 aaa authorization group cert list default default
ip local pool pool1 10.99.0.1 10.99.0.14
"""


def client_conf(frag=None):
    return f"""connections {{
    big {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        {f'fragmentation = {frag}' if frag else ''}
        local {{
            auth = pubkey
            certs = alice-rsa4096.crt
            id = alice@{DOMAIN}
        }}
        remote {{
            auth = pubkey
            id = gw1.{DOMAIN}
        }}
        children {{
            big {{
                remote_ts = 10.10.0.0/24
            }}
        }}
    }}
}}
"""


pcap = os.path.join("/tmp", f"ikgt-frag-{os.getpid()}.pcap")
ikgt._cleanups.append(lambda: os.path.exists(pcap) and os.unlink(pcap))
cap = None
if shutil.which("tshark"):
    cap = rt_ns.popen(["tshark", "-q", "-i", "eth0", "-f", "udp port 500 or udp port 4500 or "
                       "(ip[6:2] & 0x1fff != 0)", "-w", pcap],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)

gw = ikgt.Daemon(gw_ns, STARTUP, extra=["--dataplane", "none"], tag="frgw").start()
cfg_errors = [ln for ln in gw.logtext().splitlines() if "% " in ln]
check(not cfg_errors, f"the startup-config loaded without errors {cfg_errors[:3]}")


def sh(cmd):
    return gw.ikesh(cmd).stdout


def new_client(name, frag=None):
    c = peers.Charon(cl_ns, name, client_conf(frag))
    c.install(pki["alice-rsa4096"])
    c.start()
    c.load_all()
    return c


# ------------------------------------------------------------------ 1. not configured
cl = new_client("fr1")
t_fail = time.time()
ok, out = cl.initiate("big", timeout=15)
check(not ok and not [s for s in cl.list_sas() if s.get("state") == "ESTABLISHED"],
      "off: the client cannot establish through the router")
log = cl.log_text()
check("N(FRAG_SUP)" in log and "received FRAGMENTATION_SUPPORTED" not in log
      and "splitting IKE message" not in log,
      "off: the client offered fragmentation, the gateway did not answer it, nothing was split")
check(dropped_fragments() > 0, f"off: the router dropped {dropped_fragments()} IP fragments "
      "(the client's IKE_AUTH)")
check("READY" not in sh("show crypto ikev2 sa"), "off: nothing established on the gateway")
cl.stop()
drops_before = dropped_fragments()

# -------------------------------------------------------------- 2. configured, MTU 576
gw.ikesh("configure terminal", "crypto ikev2 fragmentation", "end", check=True)
check("crypto ikev2 fragmentation\n" in sh("show running-config"),
      "on: `crypto ikev2 fragmentation` in the running-config")
cl = new_client("fr2")
ok, out = cl.initiate("big", timeout=15)
sa = next((s for s in cl.list_sas() if s.get("state") == "ESTABLISHED"), None)
check(ok and sa is not None and sa["local-vips"] and sa["local-vips"][0].startswith("10.99.0."),
      f"on: the client established through the router with {sa and sa['local-vips']}")
log = cl.log_text()
nfr = len(re.findall(r"received fragment #\d+ of \d+", log))
check(nfr >= 3, f"on: the client received our answer in {nfr} IKE fragments")
check("received FRAGMENTATION_SUPPORTED notify" in log
      and re.search(r"splitting IKE message \(\d+ bytes\) into \d+ fragments", log) is not None,
      "on: the gateway answered FRAGMENTATION_SUPPORTED and the client split its IKE_AUTH")
check(dropped_fragments() == drops_before,
      f"on: no IP fragment crossed the router ({dropped_fragments() - drops_before} more drops)")
det = sh("show crypto ikev2 sa detailed")
check("IETF Std Fragmentation  enabled." in det and
      "IETF Std Fragmentation MTU in use: 548 bytes." in det,
      "on: show crypto ikev2 sa detailed prints IOS-XE's fragmentation lines\n" + det)
stats = sh("show crypto ikev2 stats")
m = re.search(r"fragments in (\d+) out (\d+), messages reassembled (\d+)", stats)
check(m and int(m.group(1)) >= 2 and int(m.group(2)) >= 3 and int(m.group(3)) >= 1,
      f"on: the gateway counted fragments in/out and a reassembly: {m and m.groups()}")
cl.terminate(ike="big")
cl.stop()

# ----------------------------------------------------- 3. mtu 1400, client forcing it
gw.ikesh("configure terminal", "crypto ikev2 fragmentation mtu 1400", "end", check=True)
cl = new_client("fr3", frag="force")
ok, out = cl.initiate("big", timeout=15)
sa = next((s for s in cl.list_sas() if s.get("state") == "ESTABLISHED"), None)
check(ok and sa is not None, "mtu 1400: a client with fragmentation = force establishes")
det = sh("show crypto ikev2 sa detailed")
check("IETF Std Fragmentation MTU in use: 1372 bytes." in det,
      "mtu 1400: MTU in use 1372 bytes (IOS subtracts the IPv4 and UDP headers)")
log = cl.log_text()
totals = [int(x) for x in re.findall(r"received fragment #\d+ of (\d+)", log)]
check(totals and max(totals) <= 3, f"mtu 1400: our answer came in {max(totals or [0])} fragments")
check(dropped_fragments() == drops_before, "mtu 1400: still no IP fragment")
cl.terminate(ike="big")
cl.stop()

# The half-open SA of the failed attempt went with its time.
left = 32 - (time.time() - t_fail)
if left > 0:
    time.sleep(left)
sas = sh("show crypto ikev2 sa")
check(not re.search(r"^\d+\s", sas, re.M), f"the failed attempt's half-open SA timed out:\n{sas}")
check(gw.proc.poll() is None and "ERROR: AddressSanitizer" not in gw.logtext(),
      "the gateway ran throughout, no sanitizer report")

if cap is None:
    print("SKIP: tshark not installed; the wire check did not run")
else:
    time.sleep(0.5)
    cap.send_signal(signal.SIGINT)
    cap.wait(timeout=10)
    skf = ikgt.run(["tshark", "-r", pcap, "-Y", f"ip.src == {GW_IP} && isakmp.nextpayload == 53",
                    "-T", "fields", "-e", "frame.number"], check=False).stdout.split()
    check(len(skf) >= 3, f"tshark: {len(skf)} of our datagrams carry an Encrypted Fragment payload")
    bad = ikgt.run(["tshark", "-r", pcap, "-Y", f"ip.src == {GW_IP} && (_ws.malformed || "
                    "_ws.expert.severity >= 4194304)"], check=False).stdout.strip()
    check(bad == "", f"tshark: nothing malformed from the gateway {bad[:300]}")
    sizes = [int(x) for x in ikgt.run(["tshark", "-r", pcap, "-Y", f"ip.src == {GW_IP} && udp",
                                       "-T", "fields", "-e", "ip.len"], check=False).stdout.split()]
    check(sizes and max(sizes) <= 1400, f"tshark: no datagram of ours over 1400 bytes "
          f"(largest {max(sizes or [0])})")

if ikgt._failed:
    print(gw.logtext()[-3000:])
    print(cl.dump())
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
