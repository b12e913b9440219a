#!/usr/bin/env python3
"""The peer harness proves itself: two strongSwan charons (kernel-libipsec, since this kernel
has no ESP) in two namespaces on a bridge, one the gateway, one the client.

Three connections between them, each checked from both sides through VICI (same IKE and ESP
SPIs, the negotiated algorithms, states) and with pings through its tunnel:
  psk    PSK, AES-GCM-128/X25519, a virtual IP from the gateway's pool, two DNS servers and
         two split subnets (INTERNAL_IP4_SUBNET, and the narrowed traffic selectors);
  rsa    RSA certificates (make_pki), AES-CBC-256 + HMAC-SHA2-256 / MODP-2048;
  ecdsa  ECDSA P-256 certificates, DN identity, AES-GCM-256 / PRF-SHA2-384 / ECP-256.
Every connection takes a virtual IP: with libipsec, a tunnel whose remote traffic selector is
the peer's own address would route the IKE packets into the tunnel, and charon refuses it.
Then a CHILD_SA rekey and an IKE SA rekey of psk, and the teardown. No ikegated involved."""
import ipaddress
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
T0 = time.time()

GW_IP, CL_IP = "192.0.2.1", "192.0.2.2"
DOMAIN = "lab.ikegate.test"
PSK = "lab-psk-3c1e0f6b9d"
SPLIT = ["10.10.0.0/24", "10.20.0.0/24"]
DNS = ["10.10.0.53", "10.10.0.54"]
POOL = ipaddress.ip_network("10.99.0.0/28")

lan = ikgt.Lan("pslan")
gw_ns = ikgt.Netns("psgw")
cl_ns = ikgt.Netns("pscl")
for ns, ip in ((gw_ns, GW_IP), (cl_ns, CL_IP)):
    lan.attach(ns)
    ns.ip("addr", "add", f"{ip}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")
# The protected networks behind the gateway: one address in each, so that the pings have
# something to answer them (and so that libipsec finds a source address for its routes).
for net in ("10.10.0.1", "10.20.0.1", "10.30.0.1", "10.40.0.1"):
    gw_ns.ip("addr", "add", f"{net}/32", "dev", "lo")

pki = peers.make_pki(os.path.join(peers.tmpdir(f"ikgt-pki-{os.getpid()}-"), "pki"),
                     gateways={"gw1": [GW_IP]}, clients=("alice", "bob"), domain=DOMAIN)
check(os.path.exists(pki["gw1-rsa"].prefix + ".ca") and os.path.exists(pki["gw1-rsa"].prv)
      and os.path.exists(pki["gw1-ecdsa"].p12), "make_pki wrote PREFIX.ca/.prv/.crt and a PKCS#12")
san = ikgt.run(["openssl", "x509", "-in", pki["gw1-ecdsa"].crt, "-noout", "-ext",
                "subjectAltName", "-subject", "-nameopt", "RFC2253"]).stdout
check(f"IP Address:{GW_IP}" in san and f"DNS:gw1.{DOMAIN}" in san and "CN=gw1" in san,
      f"the gateway certificate has SAN IP + DNS and its DN: {' '.join(san.split())}")

# One proposal list on the gateway for all three connections: charon picks the IKE config
# by address in IKE_SA_INIT, before it knows which connection the client means.
GW_PROPOSALS = "aes128gcm16-prfsha256-x25519, aes256-sha256-modp2048, aes256gcm16-prfsha384-ecp256"
gw_conf = f"""
connections {{
    psk {{
        local_addrs = {GW_IP}
        proposals = {GW_PROPOSALS}
        pools = vpool
        local {{
            auth = psk
            id = gw1.{DOMAIN}
        }}
        remote {{
            auth = psk
            id = psk-client@{DOMAIN}
        }}
        children {{
            psk {{
                local_ts = {', '.join(SPLIT)}
                esp_proposals = aes128gcm16
            }}
        }}
    }}
    rsa {{
        local_addrs = {GW_IP}
        proposals = {GW_PROPOSALS}
        pools = vpool
        local {{
            auth = pubkey
            certs = gw1-rsa.crt
            id = gw1.{DOMAIN}
        }}
        remote {{
            auth = pubkey
            id = alice@{DOMAIN}
        }}
        children {{
            rsa {{
                local_ts = 10.30.0.0/24
                esp_proposals = aes256-sha256
            }}
        }}
    }}
    ecdsa {{
        local_addrs = {GW_IP}
        proposals = {GW_PROPOSALS}
        pools = vpool
        local {{
            auth = pubkey
            certs = gw1-ecdsa.crt
            id = "{pki['gw1-ecdsa'].dn}"
        }}
        remote {{
            auth = pubkey
            id = bob@{DOMAIN}
        }}
        children {{
            ecdsa {{
                local_ts = 10.40.0.0/24
                esp_proposals = aes256gcm16
            }}
        }}
    }}
}}
pools {{
    vpool {{
        addrs = {POOL}
        dns = {', '.join(DNS)}
        subnet = {', '.join(SPLIT)}
    }}
}}
secrets {{
    ike-psk {{
        id-gw = gw1.{DOMAIN}
        id-client = psk-client@{DOMAIN}
        secret = "{PSK}"
    }}
}}
"""
cl_conf = f"""
connections {{
    psk {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        proposals = aes128gcm16-prfsha256-x25519
        local {{
            auth = psk
            id = psk-client@{DOMAIN}
        }}
        remote {{
            auth = psk
            id = gw1.{DOMAIN}
        }}
        children {{
            psk {{
                remote_ts = 0.0.0.0/0
                esp_proposals = aes128gcm16
                updown = {peers.UPDOWN}
            }}
        }}
    }}
    rsa {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        proposals = aes256-sha256-modp2048
        local {{
            auth = pubkey
            certs = alice-rsa.crt
            id = alice@{DOMAIN}
        }}
        remote {{
            auth = pubkey
            id = gw1.{DOMAIN}
        }}
        children {{
            rsa {{
                remote_ts = 10.30.0.0/24
                esp_proposals = aes256-sha256
            }}
        }}
    }}
    ecdsa {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        proposals = aes256gcm16-prfsha384-ecp256
        local {{
            auth = pubkey
            certs = bob-ecdsa.crt
            id = bob@{DOMAIN}
        }}
        remote {{
            auth = pubkey
            id = "{pki['gw1-ecdsa'].dn}"
        }}
        children {{
            ecdsa {{
                remote_ts = 10.40.0.0/24
                esp_proposals = aes256gcm16
            }}
        }}
    }}
}}
secrets {{
    ike-psk {{
        id-gw = gw1.{DOMAIN}
        id-client = psk-client@{DOMAIN}
        secret = "{PSK}"
    }}
}}
"""
gw = peers.Charon(gw_ns, "gw", gw_conf)
gw.install(pki["gw1-rsa"])
gw.install(pki["gw1-ecdsa"])
gw.trust(pki.ca["rsa"])
gw.trust(pki.ca["ecdsa"])
cl = peers.Charon(cl_ns, "cl", cl_conf)
cl.install(pki["alice-rsa"])
cl.install(pki["bob-ecdsa"])
gw.start()
cl.start()
gw.load_all()
cl.load_all()
check(sorted(gw.list_conns()) == ["ecdsa", "psk", "rsa"], "the gateway loaded its three connections")


def ping(ns, addr):
    r = ikgt.run(ns.exec_args(["ping", "-c", "2", "-i", "0.2", "-W", "2", addr]), check=False)
    return r.returncode == 0


def one_sa(charon, name):
    sas = [sa for sa in charon.list_sas() if sa["name"] == name]
    return sas[0] if len(sas) == 1 else None


def verify(name, ike_alg, esp_alg, remote_ts):
    """Both ends agree on one established IKE SA `name` and one installed CHILD_SA."""
    c, g = one_sa(cl, name), one_sa(gw, name)
    if not check(c is not None and g is not None, f"{name}: one IKE SA on each side"):
        return None, None
    check(c["state"] == g["state"] == "ESTABLISHED", f"{name}: ESTABLISHED on both sides")
    check(c["initiator-spi"] == g["initiator-spi"] and c["responder-spi"] == g["responder-spi"]
          and c.get("initiator") == "yes" and g.get("initiator") is None,
          f"{name}: same IKE SPIs {c['initiator-spi']}/{c['responder-spi']}, client initiated")
    vips = c["local-vips"]
    check(len(vips) == 1 and vips == g["remote-vips"] and ipaddress.ip_address(vips[0]) in POOL,
          f"{name}: the client got virtual IP {vips} from the gateway's pool")
    got = {k: c.get(k) for k in ike_alg}
    check(got == ike_alg and all(g.get(k) == v for k, v in ike_alg.items()),
          f"{name}: IKE algorithms {got}")
    cc = c["child-sas"][0] if len(c["child-sas"]) == 1 else None
    gc = g["child-sas"][0] if len(g["child-sas"]) == 1 else None
    if not check(cc is not None and gc is not None, f"{name}: one CHILD_SA on each side"):
        return c, g
    check(cc["state"] == gc["state"] == "INSTALLED", f"{name}: CHILD_SA INSTALLED on both sides")
    check(cc["spi-in"] == gc["spi-out"] and cc["spi-out"] == gc["spi-in"],
          f"{name}: ESP SPIs match (client in {cc['spi-in']}, out {cc['spi-out']})")
    check(cc["protocol"] == "ESP" and cc["mode"] == "TUNNEL" and cc.get("encap") == "yes",
          f"{name}: ESP tunnel mode, UDP-encapsulated (libipsec)")
    got = {k: cc.get(k) for k in esp_alg}
    check(got == esp_alg and all(gc.get(k) == v for k, v in esp_alg.items()),
          f"{name}: ESP algorithms {got}")
    check(cc["remote-ts"] == remote_ts and gc["local-ts"] == remote_ts
          and cc["local-ts"] == gc["remote-ts"],
          f"{name}: traffic selectors {cc['local-ts']} === {cc['remote-ts']}")
    return c, g


# ---------------------------------------------------------------------------------- PSK
ok, out = cl.initiate("psk", timeout=15)
check(ok, "psk: swanctl --initiate succeeded")
c, g = verify("psk", {"encr-alg": "AES_GCM_16", "encr-keysize": "128",
                      "prf-alg": "PRF_HMAC_SHA2_256", "dh-group": "CURVE_25519"},
              {"encr-alg": "AES_GCM_16", "encr-keysize": "128"}, SPLIT)
if c:
    check(c["local-vips"] == ["10.99.0.1"], "psk: the first connection got the pool's first address")
    check(c["local-id"] == f"psk-client@{DOMAIN}" and c["remote-id"] == f"gw1.{DOMAIN}",
          "psk: identities")
    addrs = cl_ns.ip("-4", "-o", "addr", "show", "dev", "ipsec0", check=False).stdout
    check("10.99.0.1/32" in addrs, "psk: the virtual IP is on the client's ipsec0")
attrs = cl.received_attributes()
check(attrs.count("INTERNAL_IP4_ADDRESS") == 1 and attrs.count("INTERNAL_IP4_DNS") == 2
      and attrs.count("INTERNAL_IP4_SUBNET") == 2,
      f"psk: the client received ADDRESS, 2 DNS and 2 SUBNET attributes: {attrs}")
ups = [e for e in cl.updown_events() if e.get("PLUTO_VERB") == "up-client"]
check(len(ups) == 2 and all(e.get("PLUTO_DNS4_1") == DNS[0] and e.get("PLUTO_DNS4_2") == DNS[1]
                            for e in ups),
      f"psk: the client's updown hook got the DNS servers {DNS}")
check(sorted(e.get("PLUTO_PEER_CLIENT") for e in ups) == SPLIT
      and all(e.get("PLUTO_MY_SOURCEIP") == "10.99.0.1" for e in ups),
      "psk: updown ran for each split subnet with the virtual IP as source")
routes = cl_ns.ip("route", "show", "table", "220", check=False).stdout
check(all(f"{n} dev ipsec0" in routes and "src 10.99.0.1" in routes for n in SPLIT),
      f"psk: split routes in table 220: {' | '.join(routes.splitlines())}")
check(ping(cl_ns, "10.10.0.1") and ping(cl_ns, "10.20.0.1"), "psk: pings through both split subnets")
g = one_sa(gw, "psk")
check(g and int(g["child-sas"][0]["packets-in"]) >= 4,
      f"psk: the gateway's CHILD_SA counted the pings ({g and g['child-sas'][0]['packets-in']} in)")

# ------------------------------------------------------------------------- certificates
ok, out = cl.initiate("rsa", timeout=15)
check(ok, "rsa: swanctl --initiate succeeded")
c, g = verify("rsa", {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_256_128",
                      "prf-alg": "PRF_HMAC_SHA2_256", "dh-group": "MODP_2048"},
              {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_256_128"},
              ["10.30.0.0/24"])
log = cl.log_text()
check(f"<rsa|{c and c['uniqueid']}> authentication of 'gw1.{DOMAIN}' with RSA_EMSA_PKCS1_SHA2_256 "
      "successful" in log and f'using trusted ca certificate "{pki.ca["rsa"].dn}"' in log,
      "rsa: the client verified the gateway's RSA signature (RFC 7427, SHA-256) up to the RSA CA")
check(ping(cl_ns, "10.30.0.1"), "rsa: ping through the tunnel")

ok, out = cl.initiate("ecdsa", timeout=15)
check(ok, "ecdsa: swanctl --initiate succeeded")
c, g = verify("ecdsa", {"encr-alg": "AES_GCM_16", "encr-keysize": "256",
                        "prf-alg": "PRF_HMAC_SHA2_384", "dh-group": "ECP_256"},
              {"encr-alg": "AES_GCM_16", "encr-keysize": "256"}, ["10.40.0.0/24"])
if c:
    check(c["remote-id"] == pki["gw1-ecdsa"].dn and g["remote-id"] == f"bob@{DOMAIN}"
          and c["local-vips"] != one_sa(cl, "rsa")["local-vips"],
          f"ecdsa: identities {c['remote-id']!r} and {g['remote-id']!r}, its own virtual IP")
log = cl.log_text()
check(f"authentication of '{pki['gw1-ecdsa'].dn}' with ECDSA_WITH_SHA256_DER successful" in log
      and f'using trusted ca certificate "{pki.ca["ecdsa"].dn}"' in log,
      "ecdsa: the client verified the gateway's ECDSA signature up to the ECDSA CA")
check(ping(cl_ns, "10.40.0.1"), "ecdsa: ping through the tunnel")

# --------------------------------------------------------------------------------- rekey
before = one_sa(cl, "psk")
ok, out = cl.rekey(child="psk")
check(ok, "psk: CHILD_SA rekey requested")


def child_rekeyed():
    c, g = one_sa(cl, "psk"), one_sa(gw, "psk")
    if not c or not g or len(c["child-sas"]) != 1 or len(g["child-sas"]) != 1:
        return None
    cc, gc = c["child-sas"][0], g["child-sas"][0]
    if cc["spi-in"] == before["child-sas"][0]["spi-in"] or cc["state"] != "INSTALLED":
        return None
    return cc, gc


end = time.time() + 10
while (res := child_rekeyed()) is None and time.time() < end:
    time.sleep(0.1)
check(res is not None and res[0]["spi-in"] == res[1]["spi-out"] and res[1]["state"] == "INSTALLED",
      "psk: CHILD_SA rekeyed: new SPIs, the old CHILD_SA gone, both sides agree")
check(ping(cl_ns, "10.10.0.1"), "psk: ping after the CHILD_SA rekey")

ok, out = cl.rekey(ike="psk")
check(ok, "psk: IKE SA rekey requested")
end = time.time() + 10
while time.time() < end:
    c, g = one_sa(cl, "psk"), one_sa(gw, "psk")
    if (c and g and c["initiator-spi"] != before["initiator-spi"] and c["state"] == "ESTABLISHED"
            and g["initiator-spi"] == c["initiator-spi"]):
        break
    time.sleep(0.1)
check(c and g and c["initiator-spi"] != before["initiator-spi"]
      and (c["initiator-spi"], c["responder-spi"]) == (g["initiator-spi"], g["responder-spi"])
      and len(c["child-sas"]) == 1 and c["local-vips"] == ["10.99.0.1"],
      "psk: IKE SA rekeyed: new SPIs on both sides, CHILD_SA and virtual IP kept")
check(ping(cl_ns, "10.10.0.1"), "psk: ping after the IKE SA rekey")

# ------------------------------------------------------------------------------ teardown
for name in ("psk", "rsa", "ecdsa"):
    cl.terminate(ike=name)
end = time.time() + 5
while (gw.list_sas() or cl.list_sas()) and time.time() < end:
    time.sleep(0.1)
check(gw.list_sas() == [] and cl.list_sas() == [], "terminate: no SA left on either side")
for ch in (cl, gw):
    rc = ch.stop()
    check(rc == 0 and not ch.running(), f"charon {ch.name} exited cleanly on SIGTERM (rc {rc})")

if ikgt._failed:
    print(gw.dump())
    print(cl.dump())
print(f"took {time.time() - T0:.1f} s")
ikgt.finish()
