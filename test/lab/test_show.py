#!/usr/bin/env python3
"""Process tests of the show commands whose figures change from run to run: their layout is
checked with regular expressions (the transcripts cover the fixed ones exactly)."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
ikgt.sweep_stale()
ns = ikgt.Netns("show")
ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
d = ikgt.Daemon(ns, startup_text="hostname SHOW\ninterface Loopback0\n ip address 10.0.0.1 255.255.255.255\n").start()
time.sleep(2.2)  # a few one-second CPU samples

cpu = d.ikesh("show processes cpu").stdout.splitlines()
check(re.fullmatch(r"CPU utilization for five seconds: \d+%/0%; one minute: \d+%; five minutes: \d+%", cpu[0]),
      f"show processes cpu, IOS's first line: {cpu[0]!r}")
check(any(re.match(r"\s*PID\s+Runtime\(ms\)\s+Invoked\s+uSecs\s+5Sec\s+1Min\s+5Min\s+TTY\s+Process", l) for l in cpu),
      "show processes cpu has the per-process table header")
check(sum(1 for l in cpu if re.match(r"\s*\d+\s+\d+", l)) >= 2, "a row per thread (engine and session)")

mem = d.ikesh("show processes memory").stdout.splitlines()
m = re.match(r"Processor Pool Total:\s+(\d+) Used:\s+(\d+) Free:\s+(\d+)", mem[0])
check(m and int(m.group(1)) == int(m.group(2)) + int(m.group(3)) and int(m.group(2)) > 0,
      f"show processes memory summary adds up: {mem[0]!r}")

ver = d.ikesh("show version").stdout
check(re.search(r"^ikegate Software \(ikegated\), Version \d+\.\d+\.\d+$", ver, re.M), "show version title")
check(re.search(r"^SHOW uptime is \d+ minutes?$", ver, re.M), "show version uptime line")
check("1 Loopback interface" in ver and "Configuration register is 0x2102" in ver, "show version inventory")

clk = d.ikesh("show clock").stdout.strip()
check(re.fullmatch(r"\*\d\d:\d\d:\d\d\.\d{3} \S+ \w{3} \w{3} [ \d]\d \d{4}", clk), f"show clock: {clk!r}")

log = d.ikesh("show logging").stdout
check(re.search(r"^Syslog logging: enabled \(\d+ messages dropped, 0 flushes, 0 overruns\)$", log, re.M),
      "show logging header")
check(re.search(r"^    Buffer logging:  level debugging, \d+ messages logged$", log, re.M), "buffer line")
check(re.search(r"^Log Buffer \(8192 bytes\):$", log, re.M), "log buffer section")
check(re.search(r"^\*\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: %SYS-5-RESTART: System restarted --$", log, re.M),
      "%SYS-5-RESTART in the buffer with an IOS time stamp")
d.ikesh("configure terminal", "logging buffered 4096", "end")
check("Log Buffer (4096 bytes):" in d.ikesh("show logging").stdout, "logging buffered resizes")
d.ikesh("configure terminal", "no logging buffered", "end")
check("Log Buffer" not in d.ikesh("show logging").stdout, "no logging buffered turns it off")
d.stop()
ikgt.finish()
