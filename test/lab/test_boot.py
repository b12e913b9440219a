#!/usr/bin/env python3
"""Process tests: boot with bad lines, SIGTERM, the console without a terminal."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

check = ikgt.check

BAD_CONFIG = """! a config with mistakes on lines 4, 7 and 10
hostname BOOT1
!
hostnme TYPO
interface GigabitEthernet1
 ip address 10.1.1.1 255.255.255.0
 ip adress 10.1.1.2 255.255.255.0
 description still in the interface
crypto ikev2 cluster
 slave max-session 0
 slave max-session 25
 standby-group g1
ip route 10.9.0.0 255.255.0.0 10.1.1.254
""" + "x" * 2000 + """
interface Loopback3
 ip address 172.16.3.1 255.255.255.255
"""

ikgt.require_root_netns()
ikgt.sweep_stale()
ns = ikgt.Netns("boot")
ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")

# 1. bad lines are reported with their number and IOS's marker; the rest is applied
d = ikgt.Daemon(ns, startup_text=BAD_CONFIG).start()
log = d.logtext()
check(re.search(r"startup-config:4: hostnme TYPO\n\s+\^\n% Invalid input detected at '\^' marker", log),
      "line 4 reported with a caret")
check(":7:  ip adress 10.1.1.2 255.255.255.0" in log, "line 7 reported")
check(":10:  slave max-session 0" in log, "line 10 reported (out of range)")
check(":14: line too long, ignored" in log, "an over-long line reported and skipped")
check("4 lines of" in log and "rejected; the rest is applied" in log, "summary of rejected lines")
run = d.ikesh("show running-config").stdout
for want in ["hostname BOOT1", " ip address 10.1.1.1 255.255.255.0",
             " description still in the interface", " slave max-session 25", " standby-group g1",
             "ip route 10.9.0.0 255.255.0.0 10.1.1.254", "interface Loopback3",
             " ip address 172.16.3.1 255.255.255.255"]:
    check(want + "\n" in run, f"applied: {want.strip()}")
check("TYPO" not in run, "the bad hostname line changed nothing")
addrs = ns.ip("-4", "addr", "show").stdout
check("10.1.1.1/24" in addrs and "172.16.3.1/32" in addrs, "addresses applied to Linux")
routes = ns.ip("route", "show", "proto", "209").stdout
check("10.9.0.0/16 via 10.1.1.254" in routes, "static route installed with ikegate's protocol")
check(d.ikesh("show logging | include BADCFG").stdout.count("BADCFG") == 4,
      "each bad line logged as %PARSER-4-BADCFG")

# 2. SIGTERM: clean exit, socket removed, our routes removed
rc = d.stop()
check(rc == 0, f"SIGTERM exits 0 (got {rc})")
check(not os.path.exists(d.sock), "socket removed at exit")
check(ns.ip("route", "show", "proto", "209").stdout.strip() == "", "static routes removed at exit")
check("ERROR: AddressSanitizer" not in d.logtext() and "runtime error" not in d.logtext(),
      "no sanitizer reports")

# 3. a missing startup-config is not fatal
d2 = ikgt.Daemon(ns, startup_path="/nonexistent/startup-config", tag="nocfg").start()
check("not found; starting with the default configuration" in d2.logtext() or
      "NOCONFIG" in d2.ikesh("show logging").stdout, "missing startup-config logged")
check("hostname Router" in d2.ikesh("show running-config").stdout, "defaults when no file")
d2.stop()

# 4. a crashed predecessor's routes are removed at start
ns.ip("link", "set", "eth0", "up")
ns.ip("addr", "add", "10.2.2.1/24", "dev", "eth0")
ns.ip("route", "add", "10.77.0.0/16", "via", "10.2.2.9", "proto", "209")
d3 = ikgt.Daemon(ns, startup_text="hostname R3\n", tag="orphan").start()
check("10.77.0.0" not in ns.ip("route", "show").stdout, "orphaned ikegate routes flushed at start")
d3.stop()

# 5. the console without a terminal: commands from stdin, output on stdout, exit at EOF
cfg = os.path.join(d.dir, "console-config")
open(cfg, "w").write("hostname CONS\n")
p = subprocess.run(ns.exec_args([ikgt.IKEGATED, "--console", "--no-syslog", "-f", cfg, "-s",
                                 os.path.join(d.dir, "c.sock")]),
                   input="show running-config | include hostname\nshow privilege\n",
                   capture_output=True, text=True, timeout=30)
check(p.returncode == 0, f"console batch exits 0 (got {p.returncode})")
check(p.stdout == "hostname CONS\nCurrent privilege level is 15\n",
      f"console batch prints only the output: {p.stdout!r}")

ikgt.finish()
