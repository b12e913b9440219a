#!/usr/bin/env python3
"""Benchmark: load a 10,000-line startup-config and print `show running-config` for it.

Side by side, in the same run and the same kind of namespace:
  - load:  ikegated's startup-config load (its own %PARSER-6-CFGLOAD measurement) against
           `ip -batch` making the same kernel changes (the rtnetlink floor any loader pays);
  - print: `show running-config` over a batch session against `show privilege` on the same
           session (the round-trip floor: socket, dispatch, engine call).
Aims (issue 2): load < 1 s, print < 100 ms on the 2-core machine.

  bench_config.py [--quick] [--lines N] [--reps N]
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

HASH9 = "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"


def make_config(lines):
    """A realistic mix: users, the cluster, loopbacks with addresses, static routes."""
    out = ["hostname BENCH", f"enable secret 9 {HASH9}", "crypto ikev2 cluster",
           " standby-group group1", " slave max-session 10000", " slave priority 10",
           " no shutdown", "interface GigabitEthernet1", " description uplink",
           " ip address 10.10.0.1 255.255.0.0"]
    ipb = ["address add 10.10.0.1/16 dev eth0"]
    budget = lines - len(out)
    users = budget // 25
    loops = budget * 6 // 10 // 4
    routes = budget - users - loops * 4
    for u in range(users):
        out.append(f"username user{u} privilege 5 secret 9 {HASH9}")
    for n in range(loops):
        a, b = divmod(n, 250)
        out += [f"interface Loopback{n}", f" description loopback number {n}",
                f" ip address 172.{16 + a % 16}.{b}.1 255.255.255.255",
                f" ip address 172.{32 + a % 16}.{b}.1 255.255.255.255 secondary"]
        ipb += [f"address add 172.{16 + a % 16}.{b}.1/32 dev lo label lo:{n}",
                f"address add 172.{32 + a % 16}.{b}.1/32 dev lo label lo:{n}"]
    for r in range(routes):
        a, b = divmod(r, 256)
        dst = f"100.{64 + r // 65536}.{(r // 256) % 256}.{r % 256}"
        out.append(f"ip route {dst} 255.255.255.255 10.10.0.254")
        ipb.append(f"route add 100.{64 + r // 65536}.{(r // 256) % 256}.{r % 256}/32 via 10.10.0.254"
                   f" metric 1 proto 209")
    return "\n".join(out) + "\n", "\n".join(ipb) + "\n"


def fresh_ns(tag):
    ns = ikgt.Netns(tag)
    ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
    ns.ip("link", "set", "eth0", "up")
    ns.ip("link", "set", "eth1", "up")
    return ns


def batch_time(sock, command, reps):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"IKESH 1 batch\n")
    times, size = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        s.sendall(command.encode() + b"\n")
        buf = b""
        while not re.search(rb"\x1e\d\n$", buf):
            buf += s.recv(1 << 20)
        times.append(time.perf_counter() - t0)
        size = len(buf)
    s.close()
    return statistics.median(times), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smoke run (make test)")
    ap.add_argument("--lines", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    if a.quick:
        a.lines, a.reps = 1000, 1
    ikgt.require_root_netns()
    ikgt.sweep_stale()
    config, ipbatch = make_config(a.lines)
    nlines = config.count("\n")
    loads, floors, prints, trivial = [], [], [], []
    out_bytes = 0
    for rep in range(a.reps):
        ns = fresh_ns(f"bench{rep}")
        d = ikgt.Daemon(ns, startup_text=config, tag="bench").start()
        m = re.search(r"CFGLOAD: .* loaded in ([\d.]+) ms \((\d+) lines? rejected\)", d.logtext())
        if not m:
            print(d.logtext()[-2000:])
            sys.exit("no CFGLOAD line in the daemon's log")
        if int(m.group(2)):
            sys.exit(f"{m.group(2)} lines rejected in the benchmark config")
        loads.append(float(m.group(1)) / 1000)
        p, out_bytes = batch_time(d.sock, "show running-config", 5 if not a.quick else 1)
        t, _ = batch_time(d.sock, "show privilege", 5 if not a.quick else 1)
        prints.append(p)
        trivial.append(t)
        d.stop()
        ns.remove()
        ns2 = fresh_ns(f"ipb{rep}")
        t0 = time.perf_counter()
        subprocess.run(ns2.exec_args(["ip", "-batch", "-"]), input=ipbatch, text=True, check=True)
        floors.append(time.perf_counter() - t0)
        ns2.remove()
    load, floor = statistics.median(loads), statistics.median(floors)
    prt, triv = statistics.median(prints), statistics.median(trivial)
    la = open("/proc/loadavg").read().split()[:3]
    print(f"config: {nlines} lines; {a.reps} run(s); load average {' '.join(la)}; {os.cpu_count()} cpus")
    print(f"| measure | ikegated | anchor | ratio |")
    print(f"|---|---|---|---|")
    print(f"| load {nlines}-line startup-config | {load * 1e3:.0f} ms | ip -batch, same kernel changes: "
          f"{floor * 1e3:.0f} ms | {load / floor:.2f} |")
    print(f"| show running-config ({out_bytes} bytes) | {prt * 1e3:.1f} ms | show privilege round trip: "
          f"{triv * 1e3:.2f} ms | {prt / triv:.1f} |")
    ok = load < 1.0 and prt < 0.100
    if not a.quick:
        print(f"aims (load < 1 s, print < 100 ms): {'met' if ok else 'NOT met'}")
    ikgt.check(load > 0 and prt > 0, "benchmark produced figures")
    ikgt.finish()


if __name__ == "__main__":
    main()
