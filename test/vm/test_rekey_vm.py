#!/usr/bin/env python3
"""CHILD_SA lifetimes in the kernel, rekeyed by the gateway under traffic, and reverse routes,
in the VM (test/vm/run-in-vm.sh) whose kernel has ESP.

Inside (VMTEST=1), namespaces: gw (ikegated, 192.0.2.1, LAN 10.10.0.1, NO default route),
host (10.10.0.10 behind it), cl (strongSwan with kernel-netlink, left at its default rekey
times: hours). Two policy-based IKEv2 profiles, each with its own IPsec profile:
  life  `set security-association lifetime seconds 120` (IOS's minimum)
  kb    `set security-association lifetime kilobytes 2560` (IOS's minimum)
1. The SAs in `ip xfrm state` carry the lifetimes: hard 120 s; soft/hard bytes at 90%/100% of
   2560 KB. Each client address has a reverse route (protocol 209) the way its peer goes: the
   host reaches the clients although the gateway has no default route.
2. A ping from the `life` client runs for 140 s: the gateway rekeys the CHILD_SA before 120 s
   (the client would wait an hour) and not one ping is lost.
3. 3.5 MB through the `kb` CHILD_SA: the kernel's soft byte limit reaches the engine as an
   EXPIRE event and the gateway rekeys it; the traffic goes on."""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

if os.environ.get("VMTEST") != "1":
    sys.stdout.flush()
    os.execv("/bin/bash", ["bash", os.path.join(HERE, "run-in-vm.sh"), "-t", "420", "--",
                           "python3", os.path.abspath(__file__)])

T0 = time.time()


def stamp(what):
    print(f"[{time.time() - T0:6.1f} s] {what}", flush=True)


check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
GW_IP, CL_IP = "192.0.2.1", "192.0.2.2"
LAN_GW, LAN_HOST, LAN_NET = "10.10.0.1", "10.10.0.10", "10.10.0.0/24"
DOMAIN = "lab.ikegate.test"
PSK = "vm-rekey-psk-5d20e9"

STARTUP = f"""hostname GW
interface GigabitEthernet1
 ip address {GW_IP} 255.255.255.0
 no shutdown
interface GigabitEthernet2
 ip address {LAN_GW} 255.255.255.0
 no shutdown
aaa new-model
aaa authorization network default local
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 keyring kr
 peer any
  address 0.0.0.0 0.0.0.0
  pre-shared-key {PSK}
crypto ikev2 profile life
 match identity remote email life@{DOMAIN}
 identity local fqdn gw1.{DOMAIN}
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
crypto ikev2 profile kb
 match identity remote email kb@{DOMAIN}
 identity local fqdn gw1.{DOMAIN}
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
crypto ipsec profile life
 set security-association lifetime seconds 120
 set ikev2-profile life
crypto ipsec profile kb
 set security-association lifetime kilobytes 2560
 set ikev2-profile kb
ip local pool pool1 10.99.0.1 10.99.0.14
"""

CLIENT = "connections {" + "".join(f"""
    {name} {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        local {{
            auth = psk
            id = {name}@{DOMAIN}
        }}
        remote {{
            auth = psk
            id = gw1.{DOMAIN}
        }}
        children {{
            {name} {{
                remote_ts = {LAN_NET}
            }}
        }}
    }}""" for name in ("life", "kb")) + f"""
}}
secrets {{
    ike-all {{
        secret = "{PSK}"
    }}
}}
"""

lan = ikgt.Lan("rklan")
gw_ns, cl_ns, host_ns = ikgt.Netns("rkgw"), ikgt.Netns("rkcl"), ikgt.Netns("rkhost")
for ns, ip in ((gw_ns, GW_IP), (cl_ns, CL_IP)):
    lan.attach(ns)
    ns.ip("addr", "add", f"{ip}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")
ikgt.run(["ip", "link", "add", "eth1", "netns", gw_ns.name, "type", "veth", "peer", "name", "eth0",
          "netns", host_ns.name])
gw_ns.ip("addr", "add", f"{LAN_GW}/24", "dev", "eth1")
gw_ns.ip("link", "set", "eth1", "up")
host_ns.ip("addr", "add", f"{LAN_HOST}/24", "dev", "eth0")
host_ns.ip("link", "set", "eth0", "up")
host_ns.ip("route", "add", "10.99.0.0/24", "via", LAN_GW)
ikgt.run(gw_ns.exec_args(["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
if not check(peers.kernel_has_esp(cl_ns), "the VM's kernel holds an ESP SA (AES-GCM)"):
    ikgt.finish()

gw = ikgt.Daemon(gw_ns, STARTUP, tag="rkgw").start()
gw.ikesh("debug crypto ikev2 error")
cl = peers.Charon(cl_ns, "rkcl", CLIENT, libipsec=False).start()
cl.load_all()
stamp("ikegated and charon up")


def sh(cmd):
    return gw.ikesh(cmd).stdout


def one(name):
    sas = [s for s in cl.list_sas() if s["name"] == name]
    return sas[0] if len(sas) == 1 else None


def spi_in(name):
    sa = one(name)
    kids = [c for c in (sa or {}).get("child-sas", []) if c.get("state") == "INSTALLED"]
    return kids[0]["spi-in"] if len(kids) == 1 else None


def state_block(spi_hex):
    """The `ip -s xfrm state` text (with the lifetimes) of the gateway's SA with this SPI."""
    out = gw_ns.ip("-s", "xfrm", "state").stdout
    for block in re.split(r"(?m)^(?=src )", out):
        m = re.search(r"spi (0x[0-9a-f]+)", block)
        if m and int(m.group(1), 16) == int(spi_hex, 16):
            return block
    return ""


vips = {}
for name in ("life", "kb"):
    ok, out = cl.initiate(name, timeout=30)
    sa = one(name)
    vips[name] = sa["local-vips"][0] if sa and sa["local-vips"] else None
    check(ok and vips[name], f"{name}: established with {vips[name]}" + ("" if ok else out[-500:]))
stamp("both clients up")

# 1. Lifetimes in the kernel, reverse routes.
life_out = one("life")["child-sas"][0]["spi-in"]  # the client's inbound = our outbound
kb_out = one("kb")["child-sas"][0]["spi-in"]
blk = state_block(life_out)
check(re.search(r"expire add: soft 0\(sec\), hard 120\(sec\)", blk) is not None,
      "life: the kernel SA expires hard at 120 s (the engine rekeys before)\n" + blk)
blk = state_block(kb_out)
check(re.search(r"limit: soft 2359296\(bytes\), hard 2621440\(bytes\)", blk) is not None,
      "kb: the kernel SA's byte limits are 90% and 100% of 2560 KB\n" + blk)
routes = gw_ns.ip("route", "show").stdout
check("default" not in routes, "the gateway has no default route")
for name, vip in vips.items():
    check(re.search(rf"^{re.escape(vip)} dev eth0 proto 209", routes, re.M) is not None,
          f"{name}: a reverse route to {vip} (protocol 209) toward the client\n{routes}")
ok_h = all(ikgt.run(host_ns.exec_args(["ping", "-n", "-c", "2", "-i", "0.2", "-W", "3", v]),
                    check=False).returncode == 0 for v in vips.values())
check(ok_h, "the host behind the gateway reaches both clients (return traffic routed into the "
      "policies)")

# 2. + 3. A steady ping on `life`, a burst on `kb`.
life0 = spi_in("life")
pinger = cl_ns.popen(["ping", "-n", "-i", "0.2", "-w", "140", "-I", vips["life"], LAN_HOST],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
kb0 = spi_in("kb")
t = time.time()
r = ikgt.run(cl_ns.exec_args(["ping", "-n", "-q", "-f", "-c", "2600", "-s", "1372", "-W", "2",
                              "-I", vips["kb"], LAN_HOST]), check=False, timeout=200)
stamp(f"kb: 2600 x 1400-byte pings in {time.time() - t:.0f} s")
end = time.time() + 15
while time.time() < end and (spi_in("kb") in (None, kb0)):
    time.sleep(0.5)
stats = sh("show crypto ikev2 stats")
m = re.search(r"Kernel events: expire (\d+)", stats)
check(m and int(m.group(1)) >= 1, f"kb: the kernel's soft byte limit reached the engine "
      f"({m and m.group(1)} EXPIRE events)")
check(spi_in("kb") not in (None, kb0), f"kb: the CHILD_SA was rekeyed ({kb0} -> {spi_in('kb')})")
loss = re.search(r"(\d+)% packet loss", r.stdout)
check(loss and int(loss.group(1)) <= 1, f"kb: the burst went through ({loss and loss.group(0)})")
ok_kb = ikgt.run(cl_ns.exec_args(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "3", "-I", vips["kb"],
                                  LAN_HOST]), check=False).returncode == 0
check(ok_kb, "kb: traffic passes on the new CHILD_SA")

out, _ = pinger.communicate(timeout=200)
stamp("life: the 140 s ping ended")
m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
check(m and int(m.group(1)) >= 600 and m.group(1) == m.group(2),
      f"life: not one ping lost across the rekey ({m and m.group(0)})")
life1 = spi_in("life")
check(life1 not in (None, life0), f"life: the gateway rekeyed the CHILD_SA before 120 s "
      f"({life0} -> {life1}; the client's own rekey time is an hour)")
stats = sh("show crypto ikev2 stats")
m = re.search(r"Rekeys started here: IKE SA \d+\s+CHILD_SA (\d+)", stats)
check(m and int(m.group(1)) >= 2, f"the gateway started the CHILD_SA rekeys ({m and m.group(1)})")
states = len(re.findall(r"^src ", gw_ns.ip("xfrm", "state").stdout, re.M))
check(states == 4, f"the old SAs are gone: {states} SAs in the kernel (2 CHILD_SAs)")
pols = gw_ns.ip("xfrm", "policy").stdout
check(all(v in pols for v in vips.values()), "the policies stayed with the rekeyed CHILD_SAs")

if ikgt._failed:
    print(gw_ns.ip("-s", "xfrm", "state").stdout)
    print(gw.logtext()[-5000:])
    print(cl.dump(100))
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
