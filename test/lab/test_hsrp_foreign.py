#!/usr/bin/env python3
"""HSRP against a foreign implementation: v1 packets crafted with scapy (Debian's
python3-scapy) by a "router" of higher priority. Its Active hellos push ours down to
Speak/Standby, its Coup takes over from ours, its Resign hands back, and a wrong password
is dropped and counted. (yersinia 0.8.2 sent nothing when run without its terminal UI here,
so it is not used.)"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
SCAPY_PY = "/usr/bin/python3"  # Debian's interpreter, where python3-scapy lives
if subprocess.run([SCAPY_PY, "-c", "import scapy.layers.hsrp"], capture_output=True).returncode:
    ikgt.skip("python3-scapy is not installed (make deps installs it)")
ikgt.sweep_stale()

lan = ikgt.Lan("flan")
nodes = {}
for tag in ("frt", "ffo"):
    nodes[tag] = ikgt.Netns(tag)
    lan.attach(nodes[tag])
foreign = nodes["ffo"]
foreign.ip("addr", "add", "10.10.10.200/24", "dev", "eth0")
foreign.ip("link", "set", "eth0", "up")
foreign.ip("route", "add", "224.0.0.0/4", "dev", "eth0")  # scapy sends only where it finds a route

d = ikgt.Daemon(nodes["frt"], startup_text="""hostname OURS
interface GigabitEthernet1
 ip address 10.10.10.1 255.255.255.0
 standby 1 ip 10.10.10.100
 standby 1 priority 100
 standby 1 preempt
 standby 1 timers 1 3
""", tag="frt").start()


def state():
    m = re.search(r"State is (\w+)", d.ikesh("show standby").stdout)
    return m.group(1) if m else "?"


def wait(want, timeout=12):
    end = time.time() + timeout
    while time.time() < end:
        if state() in want:
            return state()
        time.sleep(0.1)
    return state()


def scapy(opcode, count=1, prio=250, inter=1.0):
    """Send v1 HSRP from the foreign router: opcode 0 hello, 1 coup, 2 resign; state Active."""
    code = f"""
from scapy.all import Ether, IP, UDP, sendp, conf
from scapy.layers.hsrp import HSRP
conf.verb = 0
p = (Ether(dst="01:00:5e:00:00:02") / IP(src="10.10.10.200", dst="224.0.0.2", ttl=1, tos=0xc0) /
     UDP(sport=1985, dport=1985) /
     HSRP(opcode={opcode}, state=16, hellotime=1, holdtime=3, priority={prio}, group=1,
          auth=b"cisco\\x00\\x00\\x00", virtualIP="10.10.10.100"))
sendp(p, iface="eth0", count={count}, inter={inter})
"""
    return foreign.popen([SCAPY_PY, "-c", code])


def holds_vip():
    return "10.10.10.100/" in nodes["frt"].ip("-br", "addr").stdout


check(wait(["Active"]) == "Active", "ours is Active alone")

# Hellos from a higher-priority Active router: ours steps down (RFC 2281 event g: AB/4).
p = scapy(0, count=6)
s = wait(["Speak", "Standby"], timeout=4)
check(s in ("Speak", "Standby"), f"a higher-priority Active hello puts ours in Speak/Standby: {s}")
check(not holds_vip(), "ours released the VIP")
show = d.ikesh("show standby").stdout
check("Active router is 10.10.10.200, priority 250" in show, "the foreign router is seen as Active")
p.wait(timeout=20)
check(wait(["Active"], timeout=8) == "Active", "ours takes back over when the foreign one goes quiet")

# A Coup from a higher-priority router takes over from ours (event j in Active: ABH/4).
p = scapy(1)
p.wait(timeout=10)
s = wait(["Speak", "Standby"], timeout=2)
check(s in ("Speak", "Standby"), f"a Coup takes over from ours: {s}")
keep = scapy(0, count=4)  # it goes on as Active
time.sleep(2.5)
check(state() in ("Speak", "Standby"), "ours stays below the foreign Active router")
keep.wait(timeout=20)

# Its Resign hands back at once (event i: in Standby CFI/6, in Speak A then expiry).
t0 = time.time()
p = scapy(2)
p.wait(timeout=10)
s = wait(["Active"], timeout=5)
check(s == "Active", f"the Resign hands back: {s} after {time.time() - t0:.2f} s")
check(holds_vip(), "ours holds the VIP again")

# A wrong text password is dropped and counted, never acted on.
code = """
from scapy.all import Ether, IP, UDP, sendp, conf
from scapy.layers.hsrp import HSRP
conf.verb = 0
sendp(Ether(dst="01:00:5e:00:00:02") / IP(src="10.10.10.200", dst="224.0.0.2", ttl=1) /
      UDP(sport=1985, dport=1985) /
     HSRP(opcode=1, state=16, priority=255, group=1, auth=b"wrong\\x00\\x00\\x00",
          virtualIP="10.10.10.100"), iface="eth0", count=3, inter=0.2)
"""
foreign.popen([SCAPY_PY, "-c", code]).wait(timeout=10)
time.sleep(0.5)
check(state() == "Active", "a Coup with the wrong text authentication is ignored")
check(re.search(r"Dropped \d+ packets?:.*text", d.ikesh("show standby").stdout) is not None,
      "and counted as dropped")

check(d.stop() == 0, "ikegated exits cleanly")
ikgt.finish()
