#!/usr/bin/env python3
"""The cluster: three gateways on one LAN share the HSRP virtual IP; the Active one is the CLB
master, the others connect to it and report their load; strongSwan clients that connect to
the VIP are redirected (RFC 5685, IKE_SA_INIT) to the member the master picks.

Checks: roles follow HSRP; every client ends with its IKE SA and CHILD_SA on a member; among
equal members the counts differ by at most 1 (`master weight system-load 0`: the members
share this host's CPU); `show crypto ikev2 cluster` lists the members; a client that does not
follow redirects is served by the master; a member with the wrong key is refused and `show`
says so; kill -9 of the master: the standby becomes master and places new clients while the
clients on surviving members keep their SAs. --dataplane none (this kernel has no ESP)."""
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
T0 = time.time()

VIP = "10.10.10.100"
DOMAIN = "lab.ikegate.test"
PSK = "cluster-psk-5b1f"
NCLIENTS = int(os.environ.get("CLUSTER_CLIENTS", "12"))
KEY = "clb-key-9e2c"

lan = ikgt.Lan("cllan")
gws = []
for n in (1, 2, 3, 4):
    ns = ikgt.Netns(f"clg{n}")
    lan.attach(ns)
    gws.append(ns)


def gw_config(n, prio, key=KEY, max_session=100):
    return f"""hostname GW{n}
interface GigabitEthernet1
 ip address 10.10.10.{n} 255.255.255.0
 standby version 2
 standby 1 ip {VIP}
 standby 1 priority {prio}
 standby 1 preempt
 standby 1 timers msec 200 msec 700
 standby 1 name group1
 no shutdown
crypto ikev2 cluster
 standby-group group1
 slave max-session {max_session}
 slave hello 200
 slave update 500
 holdtime 1500
 master weight system-load 0
 key {key}
 no shutdown
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 keyring kr
 peer any
  address 0.0.0.0 0.0.0.0
  pre-shared-key {PSK}
crypto ikev2 profile default
 match identity remote any
 identity local fqdn gw{n}.{DOMAIN}
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
 ! as the seed writes it: in the profile, which is the only one, so known at IKE_SA_INIT
 redirect gateway init
crypto ipsec transform-set ts esp-gcm 128
crypto ipsec profile default
 set transform-set ts
ip local pool pool1 10.{100 + n}.0.1 10.{100 + n}.0.200
"""


daemons = {}


def start(n, prio, **kw):
    d = ikgt.Daemon(gws[n - 1], gw_config(n, prio, **kw), extra=["--dataplane", "none"],
                    tag=f"clgw{n}").start()
    daemons[n] = d
    return d


def sh(n, cmd):
    return daemons[n].ikesh(cmd).stdout


def cluster_members(n):
    """Member address -> (sessions, max, status, next) from show crypto ikev2 cluster."""
    out = sh(n, "show crypto ikev2 cluster")
    rows = {}
    for m in re.finditer(r"^\s+([* ])\s+(\d+\.\d+\.\d+\.\d+)(?: \(self\))?\s+(\d+)\s+(\d+)/(\d+)\s+"
                         r"\S+\s+\S+\s+\S+\s+(\w+)", out, re.M):
        rows[m.group(2)] = (int(m.group(4)), int(m.group(5)), m.group(6), m.group(1) == "*")
    return rows, out


def wait(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        r = pred()
        if r:
            return r
        time.sleep(step)
    return pred()


# GW1 will be Active (highest priority), GW2 standby, GW3 listen.
start(1, 120)
start(2, 110)
start(3, 100)
ok = wait(lambda: "up, master" in sh(1, "show crypto ikev2 cluster"), 15)
check(ok, "GW1 (HSRP Active) is the cluster master")
members = wait(lambda: len(cluster_members(1)[0]) == 3 and
               all(v[2] == "up" for v in cluster_members(1)[0].values()), 15)
rows, out = cluster_members(1)
check(members, f"the master lists 3 members, all up:\n{out}")
for n in (2, 3):
    o = sh(n, "show crypto ikev2 cluster")
    check("up, member" in o and "authenticated (HMAC-SHA256)" in o,
          f"GW{n} is a member over an authenticated channel")

# ---------------------------------------------------------------------------- clients
clients = []


def client(i, follow=True):
    ns = ikgt.Netns(f"clc{i}")
    lan.attach(ns)
    ns.ip("addr", "add", f"10.10.10.{150 + i}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")
    conf = f"""
connections {{
    vpn {{
        remote_addrs = {VIP}
        vips = 0.0.0.0
        proposals = aes128gcm16-prfsha256-x25519
        local {{
            auth = psk
            id = client{i}@{DOMAIN}
        }}
        remote {{
            auth = psk
        }}
        children {{
            vpn {{
                remote_ts = 10.200.0.0/24
                esp_proposals = aes128gcm16
            }}
        }}
    }}
}}
secrets {{
    ike-psk {{
        secret = "{PSK}"
    }}
}}
"""
    extra = "" if follow else "follow_redirects = no\n"
    ch = peers.Charon(ns, f"clc{i}", conf, extra_charon_conf=extra)
    ch.start()
    ch.load_all()
    clients.append(ch)
    return ch


MASTER = {"ip": "10.10.10.1"}


def placed():
    """Member address -> number of clients whose IKE SA is established there (a client the
    master keeps talks to it at the VIP: it counts for the master)."""
    count = {}
    for ch in clients:
        sas = ch.list_sas()
        if len(sas) == 1 and sas[0]["state"] == "ESTABLISHED" and sas[0]["child-sas"]:
            host = sas[0]["remote-host"]
            host = MASTER["ip"] if host == VIP else host
            count[host] = count.get(host, 0) + 1
    return count


for i in range(NCLIENTS):
    client(i)
for ch in clients:
    ok, out = ch.initiate("vpn", timeout=20)
    if not ok:
        print(out[-1500:])
count = wait(lambda: sum(placed().values()) == NCLIENTS and placed(), 20)
count = placed()
check(sum(count.values()) == NCLIENTS,
      f"all {NCLIENTS} clients have their IKE SA and CHILD_SA on a member: {count}")
check(set(count) <= {"10.10.10.1", "10.10.10.2", "10.10.10.3"},
      "every client ended on a member (the master's own at the VIP)")
check(len(count) == 3 and max(count.values()) - min(count.values()) <= 1,
      f"equal members: the counts differ by at most 1: {count}")
stats = sh(1, "show crypto ikev2 stats")
m = re.search(r"redirects: (\d+)", stats)
check(m and int(m.group(1)) >= NCLIENTS * 2 // 3 - 1,
      f"the master sent redirects ({m and m.group(1)})")
for n in (1, 2, 3):
    o = sh(n, "show crypto ikev2 sa")
    k = o.count("READY")
    check(k == count.get(f"10.10.10.{n}", 0), f"GW{n} holds {k} READY SAs, as the clients say")


# A fourth gateway joins and takes the next clients until it is level.
start(4, 90)
wait(lambda: "10.10.10.4" in cluster_members(1)[0] and cluster_members(1)[0]["10.10.10.4"][2] == "up",
     10)
rows, out = cluster_members(1)
check("10.10.10.4" in rows, f"GW4 joined the cluster:\n{out}")
before = placed()
level = min(before.values())
newc = [client(NCLIENTS + i) for i in range(level)]
for ch in newc:
    ch.initiate("vpn", timeout=20)
after = wait(lambda: sum(placed().values()) == NCLIENTS + level and placed(), 15)
after = placed()
check(after.get("10.10.10.4", 0) == level and all(after[k] == before[k] for k in before),
      f"the new member received the next {level} clients, until level: {before} -> {after}")

# `slave max-session` and `master overload-limit`, changed live: GW2 is full at its 4
# sessions, GW3 (4 of 7 = 57 %) is over a 50 % limit; the next client goes elsewhere.
daemons[2].ikesh("configure terminal", "crypto ikev2 cluster", "slave max-session 4", "end")
daemons[3].ikesh("configure terminal", "crypto ikev2 cluster", "slave max-session 7", "end")
daemons[1].ikesh("configure terminal", "crypto ikev2 cluster", "master overload-limit 50", "end")
ok = wait(lambda: cluster_members(1)[0].get("10.10.10.2", (0, 0, ""))[2] == "full" and
          cluster_members(1)[0].get("10.10.10.3", (0, 0, ""))[2] == "overloaded", 10)
rows, out = cluster_members(1)
check(ok, f"the master shows GW2 full and GW3 overloaded:\n{out}")
check(wait(lambda: "%CLB-4-MEMBER_OVERLOADED: Cluster member 10.10.10.3 is overloaded"
           in daemons[1].logtext(), 3), "the master logged the overloaded member")
before = placed()
extra_c = client(30)
extra_c.initiate("vpn", timeout=20)
after = wait(lambda: sum(placed().values()) == sum(before.values()) + 1 and placed(), 15)
after = placed()
check(after.get("10.10.10.2") == before.get("10.10.10.2")
      and after.get("10.10.10.3") == before.get("10.10.10.3"),
      f"the next client went to neither the full nor the overloaded member: {before} -> {after}")
for n in (2, 3):
    daemons[n].ikesh("configure terminal", "crypto ikev2 cluster", "slave max-session 100", "end")
daemons[1].ikesh("configure terminal", "crypto ikev2 cluster", "no master overload-limit", "end")

# A client that does not follow redirects is served by the master itself.
nf = client(40, follow=False)
ok, out = nf.initiate("vpn", timeout=20)
sas = nf.list_sas()
check(ok and len(sas) == 1 and sas[0]["remote-host"] == VIP,
      f"follow_redirects = no: served by the master at the VIP ({sas and sas[0]['remote-host']})")

# ---------------------------------------------------------------- a member with a wrong key
daemons[4].ikesh("configure terminal", "crypto ikev2 cluster", "key wrong-key", "end")
ok = wait(lambda: "refused by the master: authentication failed" in sh(4, "show crypto ikev2 cluster"),
          10)
check(ok, "the member with the wrong key is refused and its show says why")
ok = wait(lambda: "10.10.10.4" not in cluster_members(1)[0], 10)
check(ok, "the master no longer lists the member with the wrong key")
o = sh(1, "show crypto ikev2 cluster")
check(re.search(r"bad HMAC|authentication", o) is not None,
      "the master counted the forged frames by reason")

# --------------------------------------------------------------------- the master dies
survivors = {ch.name: ch.list_sas()[0]["initiator-spi"] for ch in clients
             if ch.list_sas() and ch.list_sas()[0]["remote-host"] in ("10.10.10.2", "10.10.10.3")}
MASTER["ip"] = "10.10.10.2"
os.kill(daemons[1].proc.pid, 9)
gws[0].ip("link", "set", "eth0", "down")
t0 = time.time()
ok = wait(lambda: "up, master" in sh(2, "show crypto ikev2 cluster"), 10, 0.05)
took = time.time() - t0
check(ok, f"GW2 (the HSRP standby) became the master {took:.2f} s after the crash")
wait(lambda: len(cluster_members(2)[0]) >= 2, 5)
late = client(41)
ok, out = late.initiate("vpn", timeout=20)
sas = late.list_sas()
host = sas[0]["remote-host"] if sas else None
check(ok and len(sas) == 1 and host in (VIP, "10.10.10.3") and sas[0]["child-sas"],
      f"a new client is placed by the new master ({host}; the VIP is the new master itself)")
kept = [ch for ch in clients if ch.name in survivors and ch.list_sas()
        and ch.list_sas()[0]["initiator-spi"] == survivors[ch.name]]
check(len(kept) == len(survivors), f"the {len(survivors)} clients on surviving members kept their SAs")

for ch in clients:
    ch.stop()
if ikgt._failed:
    for n, d in daemons.items():
        print(f"--- GW{n}\n" + d.logtext()[-2500:])
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
