#!/usr/bin/env python3
"""Redirect in IKE_AUTH (RFC 5685 §6) with a libreswan client (Debian's strongSwan 5.9.8 aborts
when redirected in IKE_AUTH). Two gateways share the VIP; the master has `crypto ikev2
redirect gateway auth` and a worse `slave priority` than the member, so it verifies the
client's AUTH, answers IKE_AUTH with N(REDIRECT) and removes the SA; pluto, with
accept-redirect=yes, deletes it and authenticates to the member with REDIRECTED_FROM, and the
member does not redirect it again. This host has no ESP: pluto's own CHILD_SA install fails
after the IKE SA is up (the gateways run --dataplane none); the IKE SA on the member is what
is checked."""
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
peers.libreswan_root()  # skips (77) before any set-up if libreswan cannot be had
T0 = time.time()

VIP, CL_IP = "10.10.20.100", "10.10.20.50"
DOMAIN = "lab.ikegate.test"
PSK = "auth-redirect-psk-77"

lan = ikgt.Lan("calan")
gws = []
for n in (1, 2):
    ns = ikgt.Netns(f"cag{n}")
    lan.attach(ns)
    gws.append(ns)
cl_ns = ikgt.Netns("cacl")
lan.attach(cl_ns)
cl_ns.ip("addr", "add", f"{CL_IP}/24", "dev", "eth0")
cl_ns.ip("link", "set", "eth0", "up")


def gw_config(n, hsrp_prio, slave_prio):
    return f"""hostname GW{n}
interface GigabitEthernet1
 ip address 10.10.20.{n} 255.255.255.0
 standby version 2
 standby 1 ip {VIP}
 standby 1 priority {hsrp_prio}
 standby 1 preempt
 standby 1 timers msec 200 msec 700
 standby 1 name group1
 no shutdown
crypto ikev2 cluster
 standby-group group1
 slave max-session 100
 slave priority {slave_prio}
 slave hello 200
 slave update 500
 master weight system-load 0
 no shutdown
crypto ikev2 redirect gateway auth
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 keyring kr
 peer any
  address 0.0.0.0 0.0.0.0
  pre-shared-key {PSK}
crypto ikev2 profile default
 match identity remote any
 identity local fqdn gw.{DOMAIN}
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
crypto ipsec transform-set ts esp-gcm 128
crypto ipsec profile default
 set transform-set ts
ip local pool pool1 10.{110 + n}.0.1 10.{110 + n}.0.100
"""


d1 = ikgt.Daemon(gws[0], gw_config(1, 120, 100), extra=["--dataplane", "none"], tag="cag1").start()
d2 = ikgt.Daemon(gws[1], gw_config(2, 110, 1), extra=["--dataplane", "none"], tag="cag2").start()


def sh(d, cmd):
    return d.ikesh(cmd).stdout


def wait(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        r = pred()
        if r:
            return r
        time.sleep(step)
    return pred()


ok = wait(lambda: re.search(r"10\.10\.20\.2\s+1\s+\S+\s+\S+\s+\S+\s+\S+\s+up",
                            sh(d1, "show crypto ikev2 cluster")), 15)
check(ok, "GW1 is master and lists GW2 (priority 1) up:\n" + sh(d1, "show crypto ikev2 cluster"))

pluto = peers.Pluto(cl_ns, "car", f"""
conn vpn
    ikev2=insist
    authby=secret
    left={CL_IP}
    leftid=client@{DOMAIN}
    leftmodecfgclient=yes
    leftsubnet=0.0.0.0/0
    right={VIP}
    rightid=@gw.{DOMAIN}
    rightsubnet=10.200.0.0/24
    narrowing=yes
    ike=aes_gcm128-sha2_256;dh31
    esp=aes_gcm128
    accept-redirect=yes
    auto=add
""", f'client@{DOMAIN} @gw.{DOMAIN} : PSK "{PSK}"\n', debug=True).start()
check(pluto.wait_conn("vpn"), "pluto loaded conn vpn")
pluto.impair("revival")
pluto.up("vpn", timeout=30)  # its CHILD_SA fails here (no ESP): the gateways' SAs tell
stats = sh(d1, "show crypto ikev2 stats")
m = re.search(r"redirects: (\d+)", stats)
check(m and int(m.group(1)) >= 1, f"GW1 redirected in IKE_AUTH ({m and m.group(1)})")
sa2 = wait(lambda: "READY" in sh(d2, "show crypto ikev2 sa") and sh(d2, "show crypto ikev2 sa"), 15)
check(sa2 and CL_IP in sa2, f"the client's IKE SA is READY on GW2:\n{sa2}")
det = sh(d2, "show crypto ikev2 sa detailed")
check("client was redirected here" in det, "GW2 saw REDIRECTED_FROM and did not redirect again")
sa1 = wait(lambda: "READY" not in sh(d1, "show crypto ikev2 sa") and "ok", 12)
check(sa1, "GW1 kept no SA of the redirected client")
pluto.stop()
if ikgt._failed:
    print("--- GW1\n" + d1.logtext()[-2000:])
    print("--- GW2\n" + d2.logtext()[-2000:])
    print(pluto.dump()[-3000:])
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
