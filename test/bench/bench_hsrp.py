#!/usr/bin/env python3
"""Benchmark: first-hop redundancy takeover, ikegated's HSRP beside keepalived's VRRPv3.

The same topology for both, built fresh for each: three routers and nothing else on one
bridge, each in its own namespace. Detection intervals are matched: HSRP hello 100 ms / hold
300 ms (3 x hello), VRRP advert_int 0.1 s (master down = 3 x advert + skew). Per trial:
  crash:    SIGKILL of every process of the master's namespace and its link down at t0;
  graceful: ikegated `shutdown` of the interface (a Resign) / keepalived SIGTERM (priority 0);
takeover = when the VIP appears on the backup's side (polled every 2 ms) minus t0.

  bench_hsrp.py [--quick] [--trials N]
"""
import argparse
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
    lan = ikgt.Netns(f"{tag}l")
    lan.ip("link", "add", "br0", "type", "bridge")
    lan.ip("link", "set", "br0", "up")
    rs = []
    for n in (1, 2, 3):
        ns = ikgt.Netns(f"{tag}{n}")
        ikgt.run(["ip", "link", "add", "eth0", "netns", ns.name, "type", "veth", "peer", "name",
                  f"p{n}", "netns", lan.name])
        lan.ip("link", "set", f"p{n}", "master", "br0")
        lan.ip("link", "set", f"p{n}", "up")
        rs.append(ns)
    return lan, rs


def has_vip(ns):
    return VIP + "/" in ns.ip("-br", "addr").stdout


def wait_vip(ns, t0, limit=5.0):
    while time.time() - t0 < limit:
        if has_vip(ns):
            return time.time() - t0
        time.sleep(0.002)
    return None


def hsrp_trial(kind, trial):
    lan, rs = topo(f"bh{trial}")
    ds = []
    for n, prio in ((1, 120), (2, 110), (3, 100)):
        cfg = (f"interface GigabitEthernet1\n ip address 10.10.10.{n} 255.255.255.0\n"
               f" standby version 2\n standby 1 ip {VIP}\n standby 1 priority {prio}\n"
               " standby 1 preempt\n standby 1 timers msec 100 msec 300\n")
        ds.append(ikgt.Daemon(rs[n - 1], startup_text=cfg, tag=f"bh{n}").start())
    end = time.time() + 15
    while time.time() < end and not has_vip(rs[0]):
        time.sleep(0.05)
    time.sleep(1.0)
    t0 = time.time()
    if kind == "crash":
        ds[0].proc.kill()
        rs[0].ip("link", "set", "eth0", "down")
    else:
        ikgt.run([ikgt.IKESH, "-s", ds[0].sock, "-c", "configure terminal", "-c",
                  "interface GigabitEthernet1", "-c", "shutdown", "-c", "end"])
    took = wait_vip(rs[1], t0)
    for d in ds:
        d.kill()
    for ns in rs + [lan]:
        ns.remove()
    return took


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


def ka_trial(kind, trial):
    lan, rs = topo(f"bk{trial}")
    work = tempfile.mkdtemp(prefix="ikgt-ka-")
    procs = []
    for n, prio in ((1, 120), (2, 110), (3, 100)):
        ns = rs[n - 1]
        ns.ip("addr", "add", f"10.10.10.{n}/24", "dev", "eth0")
        ns.ip("link", "set", "eth0", "up")
        conf = os.path.join(work, f"r{n}.conf")
        open(conf, "w").write(KA_CONF.format(n=n, prio=prio, vip=VIP))
        run = os.path.join(work, f"r{n}")
        procs.append(ns.popen(["keepalived", "-n", "-l", "-D", "-P", "-f", conf, "-p", run + ".pid",
                               "-r", run + "-vrrp.pid", "-c", run + "-chk.pid"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL))
    end = time.time() + 15
    while time.time() < end and not has_vip(rs[0]):
        time.sleep(0.05)
    time.sleep(1.0)
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
    shutil.rmtree(work, ignore_errors=True)
    return took


def fmt(v):
    return f"{v * 1000:.0f} ms" if v is not None else "none"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--trials", type=int, default=5)
    a = ap.parse_args()
    if a.quick:
        a.trials = 1
    ikgt.require_root_netns()
    ikgt.sweep_stale()
    have_ka = shutil.which("keepalived") is not None
    res = {}
    for kind in ("crash", "graceful"):
        ours = [hsrp_trial(kind, t) for t in range(a.trials)]
        theirs = [ka_trial(kind, t) for t in range(a.trials)] if have_ka else []
        res[kind] = (ours, theirs)
    la = open("/proc/loadavg").read().split()[:3]
    print(f"{a.trials} trial(s) each; load average {' '.join(la)}; {os.cpu_count()} cpus")
    print("| takeover | ikegated HSRP v2 (100/300 ms) min / median / max | keepalived VRRPv3 (advert 0.1 s) "
          "min / median / max | ratio of medians |")
    print("|---|---|---|---|")
    for kind, (ours, theirs) in res.items():
        o = [v for v in ours if v is not None]
        t = [v for v in theirs if v is not None]
        om = statistics.median(o) if o else None
        tm = statistics.median(t) if t else None
        row_o = f"{fmt(min(o))} / {fmt(om)} / {fmt(max(o))}" if o else "none"
        row_t = (f"{fmt(min(t))} / {fmt(tm)} / {fmt(max(t))}" if t else
                 ("not installed" if not have_ka else "none"))
        ratio = f"{om / tm:.2f}" if om and tm else "-"
        print(f"| {kind} | {row_o} | {row_t} | {ratio} |")
        ikgt.check(len(o) == len(ours), f"every {kind} takeover by ikegated happened")
    if not have_ka:
        print("SKIP: keepalived is not installed; the anchor did not run")
    ikgt.finish()


if __name__ == "__main__":
    main()
