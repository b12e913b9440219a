#!/usr/bin/env python3
"""Process tests: write memory / reload round trip, loading `show running-config` output,
and kill -9 at random moments during write memory never leaving a truncated file."""
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

check = ikgt.check
KILLS = int(os.environ.get("IKGT_KILLS", "200"))

ikgt.require_root_netns()
ikgt.sweep_stale()
ns = ikgt.Netns("cfgfile")
ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")

CONFIG = [
    "configure terminal",
    "hostname RT1",
    "enable secret 0 s3cret",
    "username ops privilege 15 secret 0 pw",
    "username viewer privilege 3",
    "logging buffered 65536 informational",
    "crypto ikev2 cluster",
    " standby-group group1",
    " slave max-session 500",
    " slave priority 7",
    " master weight crypto-load 60",
    " holdtime 4500",
    " description two  spaces kept",
    " no shutdown",
    "interface GigabitEthernet1",
    " description uplink",
    " ip address 10.10.10.1 255.255.255.0",
    " ip address 10.10.20.1 255.255.255.0 secondary",
    " standby version 2",
    " standby 1 ip 10.10.10.100",
    " standby 1 ip 10.10.10.101 secondary",
    " standby 1 priority 120",
    " standby 1 preempt delay minimum 5",
    " standby 1 timers msec 250 1",
    " standby 1 authentication md5 key-string K3y",
    " standby 1 name group1",
    " standby 1 track GigabitEthernet2 decrement 30",
    " standby 2 ip 10.10.10.102",
    " standby arp gratuitous count 2",
    "interface GigabitEthernet2",
    " shutdown",
    "interface Loopback7",
    " ip address 172.16.7.1 255.255.255.255",
    "ip route 0.0.0.0 0.0.0.0 10.10.10.254",
    "ip route 192.0.2.0 255.255.255.0 GigabitEthernet1 250",
    "end",
]

d = ikgt.Daemon(ns, startup_text="").start()
r = d.ikesh(*CONFIG)
check(r.returncode == 0, f"configuration accepted: {r.stdout}")
run1 = d.ikesh("show running-config").stdout
check(d.ikesh("write memory").stdout == "Building configuration...\n[OK]\n", "write memory says [OK]")
saved = open(d.startup).read()
check(saved.startswith("!\nversion ") and saved.endswith("\nend\n"), "saved file is a whole config")
check(oct(os.stat(d.startup).st_mode & 0o777) == "0o600", "saved file is private (0600)")
d.stop()

# Reboot from the saved file: the same running configuration.
d2 = ikgt.Daemon(ns, startup_path=d.startup, tag="reboot").start()
run2 = d2.ikesh("show running-config").stdout
check(run1 == run2, "reload gives the same running-config")
check("BADCFG" not in d2.logtext(), "no line of the saved file rejected")
d2.stop()

# Load `show running-config` output itself (header lines included) into a fresh appliance.
raw = os.path.join(d.dir, "show-run.txt")
open(raw, "w").write(run1)
d3 = ikgt.Daemon(ns, startup_path=raw, tag="showrun").start()
check(d3.ikesh("show running-config").stdout == run1, "show running-config output loads back")
check("BADCFG" not in d3.logtext(), "no line of show running-config output rejected")

# 200 x kill -9 during write memory: the file is always the old or the new one, whole.
good = set()
for h in ("A", "B"):
    d3.ikesh("configure terminal", f"hostname KILL{h}", "end", "write memory")
    good.add(open(d3.startup).read())
path = d3.startup
d3.stop()
bad = 0
rnd = random.Random(2012)
for i in range(KILLS):
    dk = ikgt.Daemon(ns, startup_path=path, tag=f"k{i % 10}").start()
    # write memory in a loop from a background ikesh, alternating hostnames.
    cmds = []
    for j in range(20):
        cmds += ["configure terminal", f"hostname KILL{'AB'[j % 2]}", "end", "write memory"]
    argv = [ikgt.IKESH, "-s", dk.sock] + sum((["-c", c] for c in cmds), [])
    p = ikgt.subprocess.Popen(argv, stdout=ikgt.subprocess.DEVNULL, stderr=ikgt.subprocess.DEVNULL)
    time.sleep(rnd.uniform(0.0, 0.05))
    dk.proc.send_signal(signal.SIGKILL)
    dk.proc.wait()
    p.wait()
    text = open(path).read()
    if text not in good:
        bad += 1
        print(f"kill {i}: unexpected file content ({len(text)} bytes)")
    leftovers = [f for f in os.listdir(os.path.dirname(path)) if ".tmp." in f]
    for f in leftovers:  # a temp file may remain after SIGKILL; it is never the config
        os.unlink(os.path.join(os.path.dirname(path), f))
check(bad == 0, f"{KILLS} kill -9 during write memory: the startup-config was always whole")
ikgt.finish()
