#!/usr/bin/env python3
"""Benchmark: first-hop redundancy takeover, ikegated's HSRP beside keepalived's VRRPv3.

The same topology for both, built fresh for each: three routers and nothing else on one
bridge, each in its own namespace. Detection intervals are matched: HSRP hello 100 ms / hold
300 ms (3 x hello), VRRP advert_int 0.1 s (master down = 3 x advert + skew). Per trial:
  crash:    SIGKILL of every process of the master's namespace and its link down at t0;
  graceful: SIGTERM to the master (ikegated sends a Resign, keepalived a priority-0 advert);
takeover = when the VIP appears on the backup's side (polled every 2 ms) minus t0.
  preempt:  the master comes back (a fresh process) and preempts; a client pings the VIP
            every 10 ms meanwhile, and the pings lost are counted, per preempt.

  bench_hsrp.py [--quick] [--trials N] [--preempts N]
"""
import argparse
import re
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402

VIP = "10.10.10.100"


def topo(tag):
    """Three routers and a client (the last) on one bridge."""
    lan = ikgt.Lan(f"{tag}l")
    hosts = [ikgt.Netns(f"{tag}{n}") for n in ("1", "2", "3", "c")]
    for ns in hosts:
        lan.attach(ns)
    cl = hosts[3]
    cl.ip("addr", "add", "10.10.10.50/24", "dev", "eth0")
    cl.ip("link", "set", "eth0", "up")
    return lan, hosts


def has_vip(ns):
    return VIP + "/" in ns.ip("-br", "addr").stdout


def wait_vip(ns, t0, limit=5.0):
    while time.time() - t0 < limit:
        if has_vip(ns):
            return time.time() - t0
        time.sleep(0.002)
    return None


class Ours:
    name = "ikegated"

    def __init__(self, tag):
        self.tag = tag

    def start(self, ns, n, prio):
        cfg = (f"interface GigabitEthernet1\n ip address 10.10.10.{n} 255.255.255.0\n"
               f" standby version 2\n standby 1 ip {VIP}\n standby 1 priority {prio}\n"
               " standby 1 preempt\n standby 1 timers msec 100 msec 300\n")
        return ikgt.Daemon(ns, startup_text=cfg, tag=f"{self.tag}{n}").start().proc

    def done(self):
        pass


class Keepalived:
    name = "keepalived"

    def __init__(self, tag):
        self.work = tempfile.mkdtemp(prefix="ikgt-ka-")

    def start(self, ns, n, prio):
        if f"10.10.10.{n}/" not in ns.ip("-br", "addr").stdout:
            ns.ip("addr", "add", f"10.10.10.{n}/24", "dev", "eth0")
        ns.ip("link", "set", "eth0", "up")
        conf = os.path.join(self.work, f"r{n}.conf")
        open(conf, "w").write(KA_CONF.format(n=n, prio=prio, vip=VIP))
        run = os.path.join(self.work, f"r{n}")
        return ns.popen(["keepalived", "-n", "-l", "-D", "-P", "-f", conf, "-p", run + ".pid", "-r",
                         run + "-vrrp.pid", "-c", run + "-chk.pid"], stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def done(self):
        shutil.rmtree(self.work, ignore_errors=True)


def settle(ns, limit=15):
    end = time.time() + limit
    while time.time() < end and not has_vip(ns):
        time.sleep(0.05)
    time.sleep(1.0)


def takeover_trial(impl_cls, kind, trial):
    impl = impl_cls(f"b{kind[0]}{trial}")
    lan, rs = topo(f"b{impl.name[0]}{kind[0]}{trial}")
    procs = [impl.start(rs[n - 1], n, prio) for n, prio in ((1, 120), (2, 110), (3, 100))]
    settle(rs[0])
    t0 = time.time()
    if kind == "crash":
        for p in ikgt.run(["ip", "netns", "pids", rs[0].name], check=False).stdout.split():
            os.kill(int(p), 9)
        rs[0].ip("link", "set", "eth0", "down")
    else:
        procs[0].terminate()
    took = wait_vip(rs[1], t0)
    for p in procs:
        p.kill()
    for ns in rs + [lan]:
        ns.remove()
    impl.done()
    return took


def preempt_trials(impl_cls, count):
    """The higher-priority router comes back `count` times; pings lost during each return."""
    impl = impl_cls("bp")
    lan, rs = topo(f"b{impl.name[0]}p")
    procs = [impl.start(rs[n - 1], n, prio) for n, prio in ((1, 120), (2, 110), (3, 100))]
    settle(rs[0])
    losses = []
    for _ in range(count):
        procs[0].terminate()  # hand over gracefully; not measured
        procs[0].wait(timeout=10)
        if wait_vip(rs[1], time.time()) is None:
            break
        ping = rs[3].popen(["ping", "-q", "-i", "0.01", "-W", "1", VIP], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.3)
        procs[0] = impl.start(rs[0], 1, 120)
        back = wait_vip(rs[0], time.time(), limit=10)
        time.sleep(0.5)
        ping.send_signal(2)
        out = ping.communicate(timeout=10)[0]
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        if back is None or not m:
            losses.append(None)
            continue
        losses.append(int(m.group(1)) - int(m.group(2)))
    for p in procs:
        p.kill()
    for ns in rs + [lan]:
        ns.remove()
    impl.done()
    return losses


KA_CONF = """global_defs {{
    router_id r{n}
    vrrp_version 3
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int 0.1
    use_vmac vrrp.51
    virtual_ipaddress {{
        {vip}/24
    }}
}}
"""


def fmt(v):
    return f"{v * 1000:.0f} ms" if v is not None else "none"


def stats(v):
    v = [x for x in v if x is not None]
    return (min(v), statistics.median(v), max(v)) if v else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--preempts", type=int, default=100)
    a = ap.parse_args()
    if a.quick:
        a.trials, a.preempts = 1, 1
    ikgt.require_root_netns()
    ikgt.sweep_stale()
    impls = [Ours] + ([Keepalived] if shutil.which("keepalived") else [])
    res = {}
    for impl in impls:
        for kind in ("crash", "graceful"):
            res[(impl.name, kind)] = [takeover_trial(impl, kind, t) for t in range(a.trials)]
        res[(impl.name, "preempt")] = preempt_trials(impl, a.preempts)
    la = open("/proc/loadavg").read().split()[:3]
    print(f"{a.trials} takeover trial(s) and {a.preempts} preempt(s) each; load average "
          f"{' '.join(la)}; {os.cpu_count()} cpus")
    print("| measure | ikegated HSRP v2 (100/300 ms) | keepalived VRRPv3 (advert 0.1 s) | ratio of medians |")
    print("|---|---|---|---|")
    for kind in ("crash", "graceful"):
        o = stats(res[("ikegated", kind)])
        t = stats(res.get(("keepalived", kind), []))
        cell = lambda s: " / ".join(fmt(x) for x in s) if s else "-"
        ratio = f"{o[1] / t[1]:.2f}" if o and t and t[1] else "-"
        print(f"| {kind} takeover, min / median / max | {cell(o)} | {cell(t)} | {ratio} |")
        ikgt.check(o is not None and len([x for x in res[("ikegated", kind)] if x is None]) == 0,
                   f"every {kind} takeover by ikegated happened")
    lo = res[("ikegated", "preempt")]
    lk = res.get(("keepalived", "preempt"), [])

    def loss_cell(v):
        if not v:
            return "-"
        ok = [x for x in v if x is not None]
        return (f"{sum(1 for x in ok if x > 0)} of {len(ok)} preempts lost pings "
                f"({sum(ok)} pings in all){'' if len(ok) == len(v) else f', {len(v) - len(ok)} failed'}")
    print(f"| preempt back, pings at 10 ms | {loss_cell(lo)} | {loss_cell(lk)} | - |")
    ikgt.check(all(x is not None for x in lo), "every preempt by ikegated happened")
    if len(impls) == 1:
        print("SKIP: keepalived is not installed; the anchor did not run")
    ikgt.finish()


if __name__ == "__main__":
    main()
