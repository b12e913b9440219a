#!/usr/bin/env python3
"""The IKE soak: one strongSwan client (kernel-libipsec, so it floats to UDP 4500 as a client
behind NAT does) connects, rekeys its CHILD_SA, rekeys its IKE SA and disconnects, round after
round, for SOAK_SECONDS (make soak: 1200; make test: 60) against ikegated. After the float of
each round and after its delete, an IKE_SA_INIT with that round's SPIi is replayed from the
client's address and port 500 (the path of the old use-after-free). Meanwhile, every half
second: how long the CLI takes to answer `show clock` on an open session, and the daemon's
RSS and descriptors.

Passes when: no round fails, the daemon never dies (the ASan build in both targets: any
sanitizer report fails it), the CLI always answers within 100 ms, and RSS and descriptors
are flat (the last tenth of the run against the second tenth: descriptors equal, RSS within
2 MB). ASan's quarantine holds freed memory for a while before it is reused: it is capped at
2 MB here so that memory that is given back shows as such (a full quarantine still catches
a use of memory freed in the last round or so).

Prints the figures BENCHMARKS.md records; exit 0/1."""
import os
import random
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ikgt  # noqa: E402
import peers  # noqa: E402

check = ikgt.check
ikgt.require_root_netns()
peers.sweep_stale()
SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))
os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                              ":quarantine_size_mb=2:detect_leaks=1").lstrip(":")
GW_IP, CL_IP = "192.0.2.1", "192.0.2.2"
PSK = "soak-psk-1c7a52e9"
T0 = time.time()

lan = ikgt.Lan("sklan")
gw_ns, cl_ns = ikgt.Netns("skgw"), ikgt.Netns("skcl")
for ns, ip in ((gw_ns, GW_IP), (cl_ns, CL_IP)):
    lan.attach(ns)
    ns.ip("addr", "add", f"{ip}/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")

STARTUP = f"""hostname GW
interface GigabitEthernet1
 ip address {GW_IP} 255.255.255.0
 no shutdown
aaa new-model
aaa authorization network default local
crypto ikev2 authorization policy default
 pool pool1
crypto ikev2 keyring kr
 peer soak
  identity email soak@lab.ikegate.test
  pre-shared-key {PSK}
crypto ikev2 profile default
 match identity remote email soak@lab.ikegate.test
 authentication remote pre-share
 authentication local pre-share
 keyring local kr
 aaa authorization group psk list default default
ip local pool pool1 10.99.0.1 10.99.0.14
"""
CLIENT = f"""connections {{
    soak {{
        remote_addrs = {GW_IP}
        vips = 0.0.0.0
        local {{
            auth = psk
            id = soak@lab.ikegate.test
        }}
        remote {{
            auth = psk
            id = {GW_IP}
        }}
        children {{
            soak {{
                remote_ts = 10.10.0.0/24
            }}
        }}
    }}
}}
secrets {{
    ike {{
        secret = "{PSK}"
    }}
}}
"""

gw = ikgt.Daemon(gw_ns, STARTUP, extra=["--dataplane", "none"], tag="skgw").start()
cl = peers.Charon(cl_ns, "soak", CLIENT).start()
cl.load_all()
pid = gw.proc.pid


# ------------------------------------------------------------------------- the monitor
samples = []  # (t, cli_ms, rss_kb, fds)
stop = threading.Event()


def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"VmRSS:\s+(\d+)", f.read())
    return int(m.group(1)) if m else -1


def ask(sess):
    """Milliseconds from sending `show clock` to the next prompt (no settling delay)."""
    t = time.time()
    sess.s.sendall(b"show clock\r")
    got = b""
    while b"\nGW#" not in got and time.time() - t < 5:
        r, _, _ = ikgt.select.select([sess.s], [], [], 5)
        if r:
            got += sess.s.recv(65536)
    return (time.time() - t) * 1000


def monitor():
    sess = ikgt.Session(gw.sock)
    while not stop.is_set():
        t = time.time()
        ms = ask(sess)
        try:
            samples.append((t - T0, ms, rss_kb(), len(os.listdir(f"/proc/{pid}/fd"))))
        except OSError:
            samples.append((t - T0, ms, -1, -1))
        stop.wait(0.5)
    sess.close()


# ------------------------------------------------------------- the replayed IKE_SA_INIT
def ike_sa_init(spi_i):
    """A well-formed IKE_SA_INIT: AES-GCM-128, PRF SHA-256, X25519 (a random public value:
    any 32 bytes are one), a nonce, N(NAT_DETECTION_*) left out."""
    def transform(last, ttype, tid, keylen=None):
        attrs = struct.pack("!HH", 0x800E, keylen) if keylen else b""
        return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs
    ts = transform(False, 1, 20, 128) + transform(False, 2, 5) + transform(True, 4, 31)
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(ts), 1, 1, 0, 3) + ts
    sa = struct.pack("!BBH", 34, 0, 4 + len(prop)) + prop
    ke = struct.pack("!BBHHH", 40, 0, 8 + 32, 31, 0) + os.urandom(32)
    nonce = struct.pack("!BBH", 0, 0, 4 + 32) + os.urandom(32)
    body = sa + ke + nonce
    hdr = struct.pack("!QQBBBBII", spi_i, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body))
    return hdr + body


def replay_from_500(spi_i):
    """Sent from the client's address and UDP port 500 (charon holds the port: a raw socket
    writes the UDP header itself)."""
    pkt = ike_sa_init(spi_i)
    udp = struct.pack("!HHHH", 500, 500, 8 + len(pkt), 0) + pkt  # checksum 0: none (IPv4)
    code = ("import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_UDP);"
            f"s.sendto(bytes.fromhex('{udp.hex()}'),('{GW_IP}',0))")
    ikgt.run(cl_ns.exec_args([sys.executable, "-c", code]))


def wait(pred, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def sa():
    sas = cl.list_sas()
    return sas[0] if len(sas) == 1 else None


th = threading.Thread(target=monitor, daemon=True)
th.start()
rounds = failures = 0
while time.time() - T0 < SECONDS:
    ok, out = cl.initiate("soak", timeout=15)
    s0 = wait(lambda: (x := sa()) and x["state"] == "ESTABLISHED" and x["child-sas"] and x)
    if not ok or not s0:
        failures += 1
        print(f"round {rounds + 1}: no SA: {out[-300:]}")
        cl.terminate(ike="soak")
        continue
    spi_i = int(s0["initiator-spi"], 16)
    replay_from_500(spi_i)  # the SA floated to 4500: the half-open key must not have moved
    cl.rekey(child="soak")
    s1 = wait(lambda: (x := sa()) and x["child-sas"] and x["child-sas"][0]["state"] == "INSTALLED"
              and x["child-sas"][0]["spi-in"] != s0["child-sas"][0]["spi-in"] and x)
    cl.rekey(ike="soak")
    s2 = wait(lambda: (x := sa()) and x["state"] == "ESTABLISHED" and
              x["initiator-spi"] != s0["initiator-spi"] and x["child-sas"] and x)
    cl.terminate(ike="soak")
    gone = wait(lambda: not cl.list_sas() and "READY" not in gw.ikesh("show crypto ikev2 sa").stdout)
    replay_from_500(int(s2["initiator-spi"], 16) if s2 else spi_i)
    rounds += 1
    if not (s1 and s2 and gone):
        failures += 1
        print(f"round {rounds}: child rekey {bool(s1)}, IKE rekey {bool(s2)}, deleted {bool(gone)}")
    if gw.proc.poll() is not None:
        break
stop.set()
th.join(timeout=10)

alive = gw.proc.poll() is None
log = gw.logtext()
check(alive and "ERROR: AddressSanitizer" not in log and "runtime error" not in log,
      "the daemon ran throughout, no sanitizer report")
check(rounds >= 3 and failures == 0, f"{rounds} rounds (connect, CHILD_SA rekey, IKE SA rekey, "
      f"delete, two replays), {failures} failed")
ms = [s[1] for s in samples]
check(ms and max(ms) < 100, f"the CLI answered {len(ms)} times, slowest {max(ms or [0]):.1f} ms, "
      f"median {sorted(ms)[len(ms) // 2] if ms else 0:.1f} ms (limit 100)")
n = len(samples)
early = samples[n // 10: max(n // 5, n // 10 + 1)]
late = samples[n - max(n // 10, 1):]
if early and late:
    r0 = sum(s[2] for s in early) / len(early)
    r1 = sum(s[2] for s in late) / len(late)
    f0, f1 = max(s[3] for s in early), max(s[3] for s in late)
    check(abs(r1 - r0) <= 2048, f"RSS flat: {r0 / 1024:.1f} MB early, {r1 / 1024:.1f} MB late")
    check(f0 == f1, f"descriptors flat: {f0} early, {f1} late")
stats = gw.ikesh("show crypto ikev2 stats").stdout
m = re.search(r"SAs up: (\d+)", stats)
print(f"SOAK: {SECONDS} s, {rounds} rounds, {failures} failed, CLI max {max(ms or [0]):.1f} ms, "
      f"RSS {samples[0][2] / 1024 if samples else 0:.1f} -> {samples[-1][2] / 1024 if samples else 0:.1f} MB, "
      f"fds {samples[0][3] if samples else 0} -> {samples[-1][3] if samples else 0}, "
      f"SAs up {m and m.group(1)}")
if ikgt._failed:
    print(log[-3000:])
    print(cl.dump())
ikgt.finish()
