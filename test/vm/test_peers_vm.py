#!/usr/bin/env python3
"""Real peers over the kernel's ESP, in the VM (test/vm/run-in-vm.sh), where the kernel has
the ESP this host lacks.

Run on the host, it boots the VM and runs itself there. Inside (VMTEST=1): two strongSwan
charons with kernel-netlink only (no libipsec), each in a namespace on a bridge:
  psk   PSK, AES-GCM-128/X25519, a virtual IP from the gateway's pool: plain ESP (no NAT);
  natt  the same with `encap = yes`: ESP in UDP 4500 in the kernel (UDP_ENCAP_ESPINUDP);
pings through each, and `ip -s xfrm state` on both sides shows the SAs with the SPIs charon
reports and packet counters that rise with the pings. Then libreswan's pluto as the client of
the same gateway with a full CHILD_SA (which this host cannot do) and a ping through it."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

FETCH = os.path.join(peers.SRCDIR, "scripts", "fetch-libreswan.sh")

if os.environ.get("VMTEST") != "1":
    # On the host: unpack libreswan here (the guest has no network), then boot the VM.
    r = subprocess.run(["bash", FETCH], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    env = []
    if r.returncode:
        reason = " ".join(r.stderr.split()) or f"fetch-libreswan.sh exited {r.returncode}"
        env = ["-e", f"IKGT_NO_LIBRESWAN={reason}"]
    sys.stdout.flush()
    os.execv("/bin/bash", ["bash", os.path.join(HERE, "run-in-vm.sh"), "-t", "540", *env, "--",
                           "python3", os.path.abspath(__file__)])

T0 = time.time()


def stamp(what):
    print(f"[{time.time() - T0:6.1f} s] {what}", flush=True)


check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
GW_IP, CL_IP, LS_IP = "192.0.2.1", "192.0.2.2", "192.0.2.3"
DOMAIN = "lab.ikegate.test"
PSK = "vm-psk-5f0c2b7d19"

lan = ikgt.Lan("vlan")
gw_ns, cl_ns, ls_ns = ikgt.Netns("vgw"), ikgt.Netns("vcl"), ikgt.Netns("vls")
for ns, ip in ((gw_ns, GW_IP), (cl_ns, CL_IP), (ls_ns, LS_IP)):
    lan.attach(ns)
    ns.ip("addr", "add", f"{ip}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")
gw_ns.ip("addr", "add", "10.10.0.1/32", "dev", "lo")
check(peers.kernel_has_esp(cl_ns), "the VM's kernel holds an ESP SA (AES-GCM)")
stamp("namespaces ready")


def client_conn(name, encap):
    return f"""
    {name} {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        encap = {encap}
        proposals = aes128gcm16-prfsha256-x25519
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
                remote_ts = 10.10.0.0/24
                esp_proposals = aes128gcm16
            }}
        }}
    }}"""


gw = peers.Charon(gw_ns, "gw", f"""
connections {{
    rw {{
        local_addrs = {GW_IP}
        proposals = aes128gcm16-prfsha256-x25519
        pools = vpool
        local {{
            auth = psk
            id = gw1.{DOMAIN}
        }}
        remote {{
            auth = psk
        }}
        children {{
            net {{
                local_ts = 10.10.0.0/24
                esp_proposals = aes128gcm16
            }}
        }}
    }}
}}
pools {{
    vpool {{
        addrs = 10.99.0.0/28
        dns = 10.10.0.53
    }}
}}
secrets {{
    ike-all {{
        secret = "{PSK}"
    }}
}}
""", libipsec=False).start()
cl = peers.Charon(cl_ns, "cl", "connections {" + client_conn("psk", "no")
                  + client_conn("natt", "yes") + f"""
}}
secrets {{
    ike-all {{
        secret = "{PSK}"
    }}
}}
""", libipsec=False).start()
gw.load_all()
cl.load_all()
stamp("charons up")
check("kernel-libipsec" not in gw.log_text() and "kernel-netlink" in gw.log_text(),
      "the charons use the kernel's IPsec (kernel-netlink, no libipsec)")


def xfrm_states(ns):
    """SPI (8 hex digits) -> {"text": the SA's lines, "packets": packets counted}."""
    out = ns.ip("-s", "xfrm", "state").stdout
    states, cur = {}, None
    for line in out.splitlines():
        if line.startswith("src "):
            cur = None
        elif line.strip().startswith("proto esp spi"):
            spi = "%08x" % int(line.split()[3].split("(")[0], 16)
            cur = states[spi] = {"text": "", "packets": 0}
        if cur is not None:
            cur["text"] += line + "\n"
    for st in states.values():
        lines = st["text"].splitlines()
        for i, line in enumerate(lines):
            # "lifetime current:" is followed by "  <bytes>(bytes), <packets>(packets)"
            if line.strip() == "lifetime current:" and i + 1 < len(lines):
                st["packets"] = int(lines[i + 1].split(",")[1].split("(")[0])
    return states


def ping(ns, addr, count=3):
    r = ikgt.run(ns.exec_args(["ping", "-c", str(count), "-i", "0.2", "-W", "3", addr]), check=False)
    return r.returncode == 0


for name, encap in (("psk", False), ("natt", True)):
    ok, out = cl.initiate(name, timeout=30)
    check(ok, f"{name}: swanctl --initiate succeeded")
    stamp(f"{name} initiated")
    c = cl.ike_sa(name)
    g = [sa for sa in gw.list_sas() if sa["remote-id"] == f"{name}@{DOMAIN}"]
    g = g[0] if len(g) == 1 else None
    if not check(c and g and c["child-sas"] and g["child-sas"],
                 f"{name}: IKE and CHILD SAs on both sides"):
        continue
    cc, gc = c["child-sas"][0], g["child-sas"][0]
    check(c["state"] == g["state"] == "ESTABLISHED" and cc["state"] == gc["state"] == "INSTALLED"
          and (c["initiator-spi"], c["responder-spi"]) == (g["initiator-spi"], g["responder-spi"])
          and cc["spi-in"] == gc["spi-out"] and cc["spi-out"] == gc["spi-in"],
          f"{name}: ESTABLISHED/INSTALLED with matching SPIs "
          f"(client ESP in {cc['spi-in']}, out {cc['spi-out']})")
    vip = c["local-vips"][0] if c["local-vips"] else None
    check(vip and vip.startswith("10.99.0.") and g["remote-vips"] == [vip],
          f"{name}: virtual IP {vip}")
    check((cc.get("encap") == "yes") == encap,
          f"{name}: ESP {'in UDP' if encap else 'without UDP encapsulation'} as configured")
    cx, gx = xfrm_states(cl_ns), xfrm_states(gw_ns)
    both = all(s in cx and s in gx for s in (cc["spi-in"], cc["spi-out"]))
    if not check(both, f"{name}: ip xfrm state holds both SAs on each side"):
        print(cl_ns.ip("-s", "xfrm", "state").stdout)
        continue
    has_encap = "encap type espinudp sport 4500 dport 4500" in cx[cc["spi-out"]]["text"]
    check(has_encap == encap and ("aead rfc4106(gcm(aes))" in cx[cc["spi-out"]]["text"]),
          f"{name}: the kernel SA is rfc4106(gcm(aes)){' with espinudp 4500' if encap else ''}")
    before_gw_in = gx[gc["spi-in"]]["packets"]
    before_cl_in = cx[cc["spi-in"]]["packets"]
    check(ping(cl_ns, "10.10.0.1"), f"{name}: ping 10.10.0.1 from {vip} through the tunnel")
    cx, gx = xfrm_states(cl_ns), xfrm_states(gw_ns)
    d_gw = gx[gc["spi-in"]]["packets"] - before_gw_in
    d_cl = cx[cc["spi-in"]]["packets"] - before_cl_in
    check(d_gw >= 3 and d_cl >= 3, f"{name}: the kernel's SA counters rose with the pings "
          f"(gateway in +{d_gw}, client in +{d_cl})")
    stamp(f"{name} checked")
print("--- ip -s xfrm state in the client's namespace")
print(cl_ns.ip("-s", "xfrm", "state").stdout)

# -------------------------------------------------------------------- libreswan, kernel ESP
if os.environ.get("IKGT_NO_LIBRESWAN"):
    # printed, never silent: the strongSwan part above still counts
    print(f"NOT RUN: the libreswan part: {os.environ['IKGT_NO_LIBRESWAN']}")
else:
    pluto = peers.Pluto(ls_ns, "ls", f"""
conn home
    ikev2=insist
    authby=secret
    left={LS_IP}
    leftid=ls@{DOMAIN}
    leftmodecfgclient=yes
    leftsubnet=0.0.0.0/0
    right={GW_IP}
    rightid=@gw1.{DOMAIN}
    rightsubnet=10.10.0.0/24
    narrowing=yes
    ike=aes_gcm128-sha2_256;dh31
    esp=aes_gcm128
    auto=add
""", f'ls@{DOMAIN} @gw1.{DOMAIN} : PSK "{PSK}"\n').start()
    stamp("pluto up")
    pluto.impair("revival")
    ok, out = pluto.up("home", timeout=60)
    check(ok, "libreswan: pluto established the IKE SA and the CHILD_SA over kernel ESP")
    if not ok:
        print(out)
    g = [sa for sa in gw.list_sas() if sa["remote-id"] == f"ls@{DOMAIN}"]
    gc = g[0]["child-sas"][0] if len(g) == 1 and g[0]["child-sas"] else None
    check(gc is not None and gc["state"] == "INSTALLED" and gc["spi-in"] in xfrm_states(ls_ns),
          "libreswan: pluto's kernel holds the SA for the gateway's inbound SPI")
    check("nameserver 10.10.0.53" in pluto.resolv_conf(),
          "libreswan: pluto's updown wrote the DNS server it received into its resolv.conf")
    check(ping(ls_ns, "10.10.0.1"), "libreswan: ping through pluto's tunnel")
    gx = xfrm_states(gw_ns)
    check(gc is not None and gx.get(gc["spi-in"], {}).get("packets", 0) >= 3,
          "libreswan: the gateway's kernel counted the pings on that SA")
    stamp("libreswan checked")
    pluto.stop()

for ch in (cl, gw):
    check(ch.stop() == 0, f"charon {ch.name} exited cleanly")
stamp("done")
ikgt.finish()
