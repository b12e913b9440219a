#!/usr/bin/env python3
"""Sessions over their life, against real strongSwan clients (kernel-libipsec, --dataplane
none on the gateway), each part asserting from both sides:

- Lifetimes: an IKEv2 profile with `lifetime 120` and an IPsec profile with `set
  security-association lifetime seconds 120` (IOS's minimum). The client's own rekey times
  are its defaults (hours), so the gateway must rekey both the CHILD_SA and the IKE SA itself
  before they expire (IOS does, whichever side it is); the session stays up with its address.
  Started first, checked last (two minutes pass meanwhile).
- Two trustpoints: a profile with `pki trustpoint A` and `pki trustpoint B verify` accepts a
  client whose chain ends at A and one whose chain ends at B (IOS tries every verify
  trustpoint).
- INITIAL_CONTACT: a client that restarts and reconnects sends it; its old IKE SA and CHILD_SA
  go and it gets its address back (one session, not two). With a shared identity (a key-id
  every client uses) a second client's INITIAL_CONTACT from another address leaves the first
  alone; the first one's own restart replaces only its session.
- A CHILD_SA the gateway refuses (ESP proposals a Windows client might send): the client gets
  NO_PROPOSAL_CHOSEN and the pool address goes back at once."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
T0 = time.time()

GW_IP, A_IP, B_IP, L_IP = "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"
DOMAIN = "lab.ikegate.test"
K_IC, K_LIFE, K_BAD, K_GRP = "ic-9f2b51", "life-07de3c", "bad-4aa0e8", "grp-6c1d92"

lan = ikgt.Lan("lclan")
gw_ns, a_ns, b_ns = ikgt.Netns("lcgw"), ikgt.Netns("lca"), ikgt.Netns("lcb")
l_ns = ikgt.Netns("lcl")
for ns, ip in ((gw_ns, GW_IP), (a_ns, A_IP), (b_ns, B_IP), (l_ns, L_IP)):
    lan.attach(ns)
    ns.ip("addr", "add", f"{ip}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")

tmp = peers.tmpdir(f"ikgt-pki-lc-{os.getpid()}-")
pki_a = peers.make_pki(os.path.join(tmp, "a"), gateways={"gw1": [GW_IP]}, clients=("alice",),
                       kinds=("rsa",), domain=DOMAIN, org="ikegate-lab-a", encrypt_prv=True)
pki_b = peers.make_pki(os.path.join(tmp, "b"), gateways={}, clients=("carol",), kinds=("rsa",),
                       domain=DOMAIN, org="ikegate-lab-b")
# Trustpoint B holds only its CA (`crypto pki import` reads whichever of .ca/.prv/.crt exist).
cab = os.path.join(tmp, "cab")
shutil.copy(pki_b.ca["rsa"].crt, cab + ".ca")

STARTUP = f"""hostname GW
interface GigabitEthernet1
 ip address {GW_IP} 255.255.255.0
 no shutdown
aaa new-model
aaa authorization network default local
crypto pki trustpoint tpa
 enrollment terminal
 revocation-check none
crypto pki trustpoint tpb
 enrollment terminal
 revocation-check none
crypto pki import tpa pem url {pki_a['gw1-rsa'].prefix} password {pki_a.passphrase}
crypto pki import tpb pem url {cab} password unused
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 keyring kr
 peer ic
  identity email ic@{DOMAIN}
  pre-shared-key {K_IC}
 peer life
  identity email life@{DOMAIN}
  pre-shared-key {K_LIFE}
 peer bad
  identity email bad@{DOMAIN}
  pre-shared-key {K_BAD}
 peer group
  identity key-id GROUP
  pre-shared-key {K_GRP}
crypto ikev2 profile psk
 match identity remote email ic@{DOMAIN}
 match identity remote email bad@{DOMAIN}
 match identity remote key-id GROUP
 identity local fqdn gw1.{DOMAIN}
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
crypto ikev2 profile life
 match identity remote email life@{DOMAIN}
 identity local fqdn gw1.{DOMAIN}
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 lifetime 120
 aaa authorization group psk list default default
crypto ikev2 profile certs
 match identity remote email alice@{DOMAIN}
 match identity remote email carol@{DOMAIN}
 identity local fqdn gw1.{DOMAIN}
 authentication remote rsa-sig
 authentication local rsa-sig
 pki trustpoint tpa
 pki trustpoint tpb verify
 aaa authorization group cert list default default
crypto ipsec profile lifeprof
 set security-association lifetime seconds 120
 set ikev2-profile life
ip local pool pool1 10.99.0.1 10.99.0.20
"""


def conn(name, auth, lid, rid=f"gw1.{DOMAIN}", extra="", esp=""):
    return f"""
    {name} {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        local {{
            auth = {auth}
            id = {lid}
            {extra}
        }}
        remote {{
            auth = {auth}
            id = {rid}
        }}
        children {{
            {name} {{
                remote_ts = 10.10.0.0/24
                {esp}
            }}
        }}
    }}"""


def secrets():
    return f"""
secrets {{
    ike-ic {{
        id = ic@{DOMAIN}
        secret = "{K_IC}"
    }}
    ike-life {{
        id = life@{DOMAIN}
        secret = "{K_LIFE}"
    }}
    ike-bad {{
        id = bad@{DOMAIN}
        secret = "{K_BAD}"
    }}
    ike-grp {{
        id = keyid:GROUP
        secret = "{K_GRP}"
    }}
}}
"""


L_CONF = "connections {" + conn("life", "psk", f"life@{DOMAIN}") + "\n}" + secrets()
A_CONF = ("connections {" + conn("ca", "pubkey", f"alice@{DOMAIN}", extra="certs = alice-rsa.crt")
          + conn("cb", "pubkey", f"carol@{DOMAIN}", extra="certs = carol-rsa.crt")
          + conn("ic", "psk", f"ic@{DOMAIN}")
          + conn("bad", "psk", f"bad@{DOMAIN}", esp="esp_proposals = aes256-sha1-modp1024")
          + conn("grp", "psk", "keyid:GROUP") + "\n}" + secrets())
B_CONF = "connections {" + conn("grp", "psk", "keyid:GROUP") + "\n}" + secrets()

gw = ikgt.Daemon(gw_ns, STARTUP, extra=["--dataplane", "none"], tag="lcgw").start()
cfg_errors = [ln for ln in gw.logtext().splitlines() if "% " in ln]
check(not cfg_errors, f"the startup-config loaded without errors {cfg_errors[:3]}")
gw.ikesh("debug crypto ikev2 error")
gw.ikesh("debug crypto ikev2 internal")


def sh(cmd):
    return gw.ikesh(cmd).stdout


def start_a(name="lca"):
    c = peers.Charon(a_ns, name, A_CONF)
    c.install(pki_a["alice-rsa"])
    c.install(pki_b["carol-rsa"])
    c.trust(pki_a.ca["rsa"])
    c.start()
    c.load_all()
    return c


def one(c, name):
    sas = [s for s in c.list_sas() if s["name"] == name]
    return sas[0] if len(sas) == 1 else None


def gw_rows():
    """(tunnel id, remote, status) of every IKE SA on the gateway."""
    return re.findall(r"^(\d+)\s+\S+\s+(\S+)\s+\S+\s+(\S+)", sh("show crypto ikev2 sa"), re.M)


def in_use():
    m = re.search(r"pool1\s+\S+\s+\S+\s+(\d+)\s+(\d+)", sh("show ip local pool pool1"))
    return int(m.group(2)) if m else -1


# The lifetime client first, in its own namespace: its two minutes run while the rest goes on.
lc = peers.Charon(l_ns, "lcl", L_CONF)
lc.start()
lc.load_all()
ok, out = lc.initiate("life", timeout=15)
life0 = one(lc, "life")
t_life = time.time()
check(ok and life0 is not None and life0["child-sas"],
      "lifetime: established (IKE lifetime 120 s, CHILD_SA lifetime 120 s on the gateway)"
      + ("" if ok else "\n" + out[-800:]))
a = start_a()
det = sh("show crypto ikev2 sa detailed")
check(re.search(r"Life/Active Time: 120/\d+ sec", det) is not None,
      "lifetime: show crypto ikev2 sa says Life 120")

# ----------------------------------------------------------------- two trustpoints
for name, who in (("ca", "alice (CA A, trustpoint tpa)"), ("cb", "carol (CA B, trustpoint tpb)")):
    ok, out = a.initiate(name, timeout=15)
    sa = one(a, name)
    check(ok and sa and sa["state"] == "ESTABLISHED" and sa["child-sas"],
          f"two trustpoints: {who} established" + ("" if ok else "\n" + out[-600:]))
    a.terminate(ike=name)

# ---------------------------------------------------------------- failed CHILD_SA
before = in_use()
ok, out = a.initiate("bad", timeout=15)
log = a.log_text()
check("received NO_PROPOSAL_CHOSEN notify" in log,
      "failed CHILD_SA: the client got NO_PROPOSAL_CHOSEN for its ESP proposal")
check(in_use() == before, f"failed CHILD_SA: no address held ({in_use()} in use, {before} before)")
stats = sh("show crypto ikev2 stats")
m = re.search(r"Addresses released \(no CHILD_SA\): (\d+)", stats)
check(m and int(m.group(1)) == 1, f"failed CHILD_SA: counted ({m and m.group(1)})")
a.terminate(ike="bad")

# ---------------------------------------------------------------- INITIAL_CONTACT
ok, _ = a.initiate("ic", timeout=15)
ic0 = one(a, "ic")
check(ok and ic0 is not None, "INITIAL_CONTACT: ic established")
n_before = len(gw_rows())
# The client restarts (its state is lost): charon A is killed and started again, and only
# `ic` is brought up again; strongSwan then sends INITIAL_CONTACT.
os.kill(a.pid, 9)
a.stop()
a = start_a("lca2")
ok, _ = a.initiate("ic", timeout=15)
ic1 = one(a, "ic")
check(ok and ic1 is not None and "sending" in a.log_text() and "N(INIT_CONTACT)" in a.log_text(),
      "INITIAL_CONTACT: the restarted client sent INITIAL_CONTACT")
rows = gw_rows()
ic_rows = [r for r in rows if r[1].startswith(A_IP)]
check(ic1 and ic1["local-vips"] == ic0["local-vips"],
      f"INITIAL_CONTACT: the client got its address back {ic1 and ic1['local-vips']}")
stats = sh("show crypto ikev2 stats")
m = re.search(r"old IKE SAs removed (\d+)", stats)
check(m and int(m.group(1)) == 1, f"INITIAL_CONTACT: exactly the old ic SA was removed "
      f"({m and m.group(1)}); gateway rows {rows}")
det = sh("show crypto ikev2 sa detailed")
check(det.count(f"Remote id: ic@{DOMAIN}") == 1, "INITIAL_CONTACT: one ic session on the gateway")
a.terminate(ike="ic")

# A shared identity: key-id GROUP from two addresses.
b = peers.Charon(b_ns, "lcb", B_CONF)
b.start()
b.load_all()
ok1, _ = a.initiate("grp", timeout=15)
ok2, _ = b.initiate("grp", timeout=15)
check(ok1 and ok2, "shared identity: two clients with key-id GROUP established")
det = sh("show crypto ikev2 sa detailed")
check(det.count("Remote id: GROUP") == 2,
      "shared identity: B's INITIAL_CONTACT from another address left A's session alone")
va = one(a, "grp")["local-vips"]
os.kill(a.pid, 9)
a.stop()
a = start_a("lca3")
ok, _ = a.initiate("grp", timeout=15)
det = sh("show crypto ikev2 sa detailed")
check(ok and det.count("Remote id: GROUP") == 2 and one(b, "grp") is not None,
      "shared identity: A's restart replaced A's session only (B's stays)")
va1 = one(a, "grp")["local-vips"]
check(va1 and va1[0].startswith("10.99.0.") and va1 != one(b, "grp")["local-vips"],
      f"shared identity: A has an address of its own again ({va} before, {va1} now; the "
      "address follows the identity, which both share)")
b.terminate(ike="grp")
a.terminate(ike="grp")

# ------------------------------------------------------------------------ lifetimes
end = t_life + 118
while time.time() < end:
    time.sleep(2)
    c = one(lc, "life")
    g = sh("show crypto ikev2 stats")
    m1 = re.search(r"Rekeys started here: IKE SA (\d+)\s+CHILD_SA (\d+)", g)
    if c and m1 and int(m1.group(1)) >= 1 and int(m1.group(2)) >= 1 and \
            c["initiator-spi"] != life0["initiator-spi"] and \
            c["child-sas"] and c["child-sas"][0]["spi-in"] != life0["child-sas"][0]["spi-in"]:
        break
c = one(lc, "life")
took = time.time() - t_life
check(c is not None and c["state"] == "ESTABLISHED" and c["initiator-spi"] != life0["initiator-spi"],
      f"lifetime: the IKE SA was rekeyed before 120 s (after {took:.0f} s, new SPI "
      f"{c and c['initiator-spi']})")
check(c is not None and len(c["child-sas"]) == 1 and c["child-sas"][0]["state"] == "INSTALLED"
      and c["child-sas"][0]["spi-in"] != life0["child-sas"][0]["spi-in"],
      "lifetime: the CHILD_SA was rekeyed, one left")
check(c is not None and c["local-vips"] == life0["local-vips"], "lifetime: the address stayed")
g = sh("show crypto ikev2 stats")
m1 = re.search(r"Rekeys started here: IKE SA (\d+)\s+CHILD_SA (\d+)", g)
check(m1 and int(m1.group(1)) >= 1 and int(m1.group(2)) >= 1,
      f"lifetime: the gateway started them ({m1 and m1.groups()})")
log = lc.log_text()
check("received DELETE for IKE_SA" in log or "deleting IKE_SA" in log,
      "lifetime: the gateway deleted the old IKE SA after its rekey")
det = sh("show crypto ikev2 sa detailed")
check("Initiator of SA : Yes" in det,
      "lifetime: after its own rekey the gateway is the initiator of the new IKE SA")
check(gw.proc.poll() is None and "ERROR: AddressSanitizer" not in gw.logtext(),
      "the gateway ran throughout, no sanitizer report")

if ikgt._failed:
    print(gw.logtext()[-5000:])
    print(a.dump(120))
    print(lc.dump(120))
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
