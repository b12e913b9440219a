#!/usr/bin/env python3
"""Writes the seed inputs of two harnesses (the files are committed; run this again after
changing the input format of either):

- corpus/ike_wire/: IKEv2 messages whose SA payloads are as large as clients send and as the
  codec allows: strongSwan's default IKE proposal (2 proposals, 40 transforms), its default ESP
  proposal, 100 proposals (past IKE_MAX_PROPOSALS, 64), 255 transforms in one proposal.
- corpus/ike_engine/: step sequences for fuzz_ike_engine.c (its header comment gives the
  format) that reach every op; the seeds of the harness's first format, converted. Files named
  regress-* are inputs that found bugs: they are left alone.

    test/fuzz/gen_seeds.py            writes both directories (existing files are replaced)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- IKEv2 encoding (RFC 7296 section 3) ----

TT_ENCR, TT_PRF, TT_INTEG, TT_DH, TT_ESN = 1, 2, 3, 4, 5
PL = dict(SA=33, KE=34, IDI=35, AUTH=39, NONCE=40, N=41, D=42, V=43, TSI=44, TSR=45, SK=46)
SA_INIT, AUTH, CREATE_CHILD_SA, INFORMATIONAL = 34, 35, 36, 37


def transform(ttype, tid, keylen=0, last=False):
    attr = struct.pack("!HH", 0x800E, keylen) if keylen else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attr), ttype, 0, tid) + attr


def proposal(num, proto, transforms, spi=b"", last=False):
    body = b"".join(
        transform(t[0], t[1], t[2] if len(t) > 2 else 0, i == len(transforms) - 1)
        for i, t in enumerate(transforms)
    )
    head = struct.pack("!BBHBBBB", 0 if last else 2, 0, 8 + len(spi) + len(body), num, proto,
                       len(spi), len(transforms))
    return head + spi + body


def sa_body(proposals):
    return b"".join(proposal(num, proto, ts, spi, i == len(proposals) - 1)
                    for i, (num, proto, ts, spi) in enumerate(proposals))


def message(spi_i, spi_r, exchange, flags, msgid, payloads):
    """payloads: (type, body) in order; the generic headers chain them."""
    out = b""
    for i, (ptype, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        out += struct.pack("!BBH", nxt, 0, 4 + len(body)) + body
    first = payloads[0][0] if payloads else 0
    return struct.pack("!QQBBBBII", spi_i, spi_r, first, 0x20, exchange, flags, msgid,
                       28 + len(out)) + out


def notify(ntype, data=b"", proto=0, spi=b""):
    return struct.pack("!BBH", proto, len(spi), ntype) + spi + data


# strongSwan 5.9's default IKE proposal ("IKE:AES_CBC_128/.../MODP_2048, IKE:AES_GCM_16_128/...")
SW_DH = [31, 19, 20, 21, 15, 16, 17, 18, 14]
SW_PRF = [5, 6, 7, 4, 2]
SW_IKE_CBC = ([(TT_ENCR, 12, k) for k in (128, 192, 256)] +
              [(TT_INTEG, i) for i in (12, 13, 14, 2, 5)] +
              [(TT_PRF, p) for p in SW_PRF] + [(TT_DH, g) for g in SW_DH])
SW_IKE_AEAD = ([(TT_ENCR, 20, k) for k in (128, 192, 256)] + [(TT_ENCR, 28)] +
               [(TT_PRF, p) for p in SW_PRF] + [(TT_DH, g) for g in SW_DH])
# and its default ESP proposal ("ESP:AES_GCM_16_128/.../NO_EXT_SEQ, ESP:AES_CBC_128/...")
SW_ESP_AEAD = [(TT_ENCR, 20, k) for k in (128, 192, 256)] + [(TT_ENCR, 28), (TT_ESN, 0)]
SW_ESP_CBC = ([(TT_ENCR, 12, k) for k in (128, 192, 256)] +
              [(TT_INTEG, i) for i in (12, 13, 14, 2, 5)] + [(TT_ESN, 0)])

SPI_I = 0x1A2B3C4D5E6F7081
SPI_R = 0x8877665544332211


def init_request(sa):
    natd = bytes(range(20))
    return message(SPI_I, 0, SA_INIT, 0x08, 0, [
        (PL["SA"], sa),
        (PL["KE"], struct.pack("!HH", 31, 0) + bytes(range(32))),
        (PL["NONCE"], bytes(range(100, 132))),
        (PL["N"], notify(16388, natd)),
        (PL["N"], notify(16389, natd[::-1])),
        (PL["N"], notify(16430)),
        (PL["N"], notify(16431, bytes([0, 2, 0, 3, 0, 4]))),
        (PL["N"], notify(16406)),
    ])


def wire_seeds():
    seeds = {}
    seeds["sa-init-strongswan"] = init_request(
        sa_body([(1, 1, SW_IKE_CBC, b""), (2, 1, SW_IKE_AEAD, b"")]))
    # 100 proposals, each a different AES-CBC/SHA-2/group combination (36 past the cap).
    many = []
    for i in range(100):
        many.append((i + 1, 1, [(TT_ENCR, 12, (128, 192, 256)[i % 3]), (TT_INTEG, 12 + i % 3),
                                (TT_PRF, 5 + i % 3), (TT_DH, SW_DH[i % len(SW_DH)])], b""))
    seeds["sa-init-100-proposals"] = init_request(sa_body(many))
    # One proposal of 255 transforms (the count is one byte): every key length of AES-CBC and
    # AES-GCM the attribute allows in steps, then PRFs, integrity and groups.
    big = [(TT_ENCR, 12 if i % 2 else 20, 64 + 8 * (i // 2)) for i in range(200)]
    big += [(TT_PRF, p) for p in range(1, 10)] + [(TT_INTEG, x) for x in range(1, 15)]
    big += [(TT_DH, g) for g in range(1, 33)]
    big = big[:255]
    assert len(big) == 255
    seeds["sa-init-255-transforms"] = init_request(sa_body([(1, 1, big, b"")]))
    # CREATE_CHILD_SA as strongSwan sends it to rekey a CHILD_SA, unencrypted so that the codec
    # parses the SA payload (in a real one it is inside SK).
    ts = struct.pack("!B3x", 1) + struct.pack("!BBHHH", 7, 0, 16, 0, 65535) + bytes(4) + b"\xff" * 4
    seeds["create-child-strongswan-esp"] = message(SPI_I, SPI_R, CREATE_CHILD_SA, 0x08, 2, [
        (PL["N"], notify(16393, proto=3, spi=b"\x11\x22\x33\x44")),
        (PL["SA"], sa_body([(1, 3, SW_ESP_AEAD, b"\xc1\x00\x00\x01"),
                            (2, 3, SW_ESP_CBC, b"\xc1\x00\x00\x01")])),
        (PL["NONCE"], bytes(range(32))),
        (PL["TSI"], ts),
        (PL["TSR"], ts),
    ])
    # An IKE SA rekey of strongSwan's: both proposals with an 8-byte SPI.
    spi8 = struct.pack("!Q", 0x0102030405060708)
    seeds["create-child-strongswan-ike-rekey"] = message(SPI_I, SPI_R, CREATE_CHILD_SA, 0x08, 3, [
        (PL["SA"], sa_body([(1, 1, SW_IKE_CBC, spi8), (2, 1, SW_IKE_AEAD, spi8)])),
        (PL["NONCE"], bytes(range(32))),
        (PL["KE"], struct.pack("!HH", 31, 0) + bytes(range(32))),
    ])
    return seeds


# ---- fuzz_ike_engine steps ----

def cfg(c0=0, c1=0, c2=0):
    return bytes([c0, c1, c2])


def RAW(data, marker=False):
    return bytes([0, 1 if marker else 0]) + struct.pack("!H", len(data)) + data


def INIT(f=0, g=0):
    return bytes([1, f, g])


def AUTH_(f=0):
    return bytes([2, f])


def SEALED(x, first, data, f=0, chunk=None, mode=0):
    out = bytes([3, f | (8 if chunk is not None else 0), x, first]) + struct.pack("!H", len(data))
    out += data
    if chunk is not None:
        out += bytes([chunk, mode])
    return out


def SKF(num, total, first, data, f=0):
    return bytes([4, f]) + struct.pack("!HHB", num, total, first) + bytes([len(data)]) + data


def CLOCK(t):
    return bytes([5, t])


def PEER(kind, arg=None, switch_local=False):
    out = bytes([6, kind | (4 if switch_local else 0)])
    if kind == 1:
        out += struct.pack("!H", arg)
    elif kind == 2:
        out += bytes([arg])
    return out


def REPLAY(f=0):
    return bytes([7, f])


def DELETE(f=0, i=0):
    return bytes([8, f, i])


def SLOT(n):
    return bytes([9, n])


def ANSWER(f=0, *rest):
    return bytes([10, f]) + b"".join(rest)


def CHILD(f=0, i=0):
    return bytes([11, f, i])


def KERNEL(f, r):
    return bytes([12, f, r])


def ADMIN(f):
    return bytes([13, f])


def CONFIG(a, b, c):
    return bytes([14, a, b, c])


def payload_chain(payloads):
    """An inner chain: (first type, bytes)."""
    out = b""
    for i, (ptype, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        out += struct.pack("!BBH", nxt, 0, 4 + len(body)) + body
    return (payloads[0][0] if payloads else 0), out


def engine_seeds():
    seeds = {}
    # A raw IKE_SA_INIT (AES-GCM-128, SHA-256, X25519) as the first format's raw seeds had.
    raw_init = message(SPI_I, 0, SA_INIT, 0x08, 0, [
        (PL["SA"], sa_body([(1, 1, [(TT_ENCR, 20, 128), (TT_PRF, 5), (TT_DH, 31)], b"")])),
        (PL["KE"], struct.pack("!HH", 31, 0) + bytes(range(1, 33))),
        (PL["NONCE"], bytes(range(100, 132))),
    ])
    # The first format (mode, first type, bytes): the same cases as steps.
    old = {
        "auth-empty": b"\x02\x00",
        "auth-initial-contact": bytes.fromhex("02290000000800004000"),
        "child-notify": bytes.fromhex("04290000000800004000"),
        "info-delete-esp": bytes.fromhex("062a0000000c0304000111223344"),
        "info-delete-ike": bytes.fromhex("062a0000000801000000"),
        "info-empty": b"\x06\x00",
        "raw-keepalive-4500": b"\x01\x00\xff",
        "raw-init-500": b"\x00\x00" + raw_init,
        "raw-init-4500": b"\x01\x00" + bytes(4) + raw_init,
    }
    for name, data in old.items():
        mode, first, rest = data[0], data[1], data[2:]
        what = (mode >> 1) & 3
        steps = cfg()
        if what == 0:
            if mode & 1:
                steps += PEER(0)
            steps += RAW(rest)
        else:
            steps += INIT()
            if what >= 2:
                steps += AUTH_()
            steps += SEALED(what - 1, first, rest)
        seeds["v1-" + name] = steps

    seeds["init-auth"] = cfg() + INIT() + AUTH_()
    seeds["init-auth-nat-t-float"] = cfg(0, 0x08) + INIT(0x80) + PEER(0) + AUTH_() + CLOCK(140)
    seeds["init-cbc-auth-fragments"] = cfg(5) + INIT(0x50) + AUTH_(0x40) + CLOCK(40)
    seeds["init-strongswan-proposal"] = cfg() + INIT(0x20) + AUTH_(0x04)
    seeds["init-70-proposals"] = cfg() + INIT(0x30) + SLOT(1) + INIT(0x33, 0x80) + AUTH_()
    seeds["init-invalid-ke-ecp256"] = cfg() + INIT(0x0c) + AUTH_()
    seeds["init-cookies"] = cfg(0x80) + INIT() + SLOT(1) + INIT(3) + AUTH_() + SLOT(2) + INIT(3, 0x10)
    seeds["init-limits"] = cfg(0, 0x03) + INIT() + AUTH_() + SLOT(1) + INIT(3) + SLOT(2) + INIT(2)
    seeds["init-redirect"] = cfg(0, 0, 0x02) + INIT(0, 0x01) + SLOT(1) + INIT(3, 0x03)
    seeds["auth-redirect"] = cfg(0, 0, 0x04) + INIT(0, 0x01) + AUTH_() + DELETE(1)
    seeds["auth-variants"] = (cfg(0, 0x44) + INIT() + AUTH_(0x18) + SLOT(1) + INIT(3) +
                              AUTH_(0x23 | 0x80) + SLOT(2) + INIT(3) + AUTH_(0x34))
    seeds["auth-no-profile"] = cfg(0, 0x80, 0x08) + INIT() + AUTH_()
    seeds["replay-init-new-port"] = cfg() + INIT() + PEER(1, 40000) + REPLAY(1) + AUTH_()
    seeds["init-used-spi"] = cfg() + INIT(1) + SLOT(1) + INIT(1) + PEER(2, 7) + INIT(1) + AUTH_()
    seeds["replay-request"] = cfg() + INIT() + AUTH_() + REPLAY(0) + PEER(1, 1234) + REPLAY(2)
    f, chain = payload_chain([(PL["N"], notify(16384)), (PL["V"], b"ikegate")])
    seeds["sealed-fragments"] = (cfg(0x42) + INIT(0x40) + AUTH_() +
                                 SEALED(2, f, chain, chunk=5, mode=1) +
                                 SEALED(2, f, chain, chunk=3, mode=2) +
                                 SEALED(2, f, chain, chunk=4, mode=4) + CLOCK(70) +
                                 SEALED(2, f, chain, chunk=4, mode=8))
    seeds["skf-numbers"] = (cfg(3) + INIT(0x40) + AUTH_() + SKF(1, 2, f, chain[:6], 0x20) +
                            SKF(2, 2, 0, chain[6:], 0x24) + SKF(0, 0, 0, b"x", 0x20) +
                            SKF(3, 2, 0, b"y", 0x20) + SKF(2, 65535, 0, b"z", 0x20))
    seeds["dpd-answered"] = cfg() + INIT() + AUTH_() + CLOCK(30) + ANSWER(0) + CLOCK(60)
    seeds["dpd-on-demand-kernel"] = cfg(0x28) + INIT() + AUTH_() + CLOCK(100) + ADMIN(2)
    # CHILD_SA rekey, IKE SA rekey, the DELETEs of the old ones, then the new SA's requests.
    seeds["engine-rekeys-answered"] = (cfg(0x50) + INIT() + AUTH_() + CLOCK(110) + ANSWER(1) +
                                       CLOCK(100) + ANSWER(1) + CLOCK(6) + ANSWER(1) + CLOCK(6) +
                                       ANSWER(1) + SLOT(1) + CLOCK(20) + ANSWER(1))
    # The gateway's CHILD_SA rekey answered with its second proposal (AES-CBC-256, SHA-256).
    seeds["engine-rekey-answer-last-proposal"] = (cfg(0x50) + INIT() + AUTH_() + CLOCK(110) +
                                                  ANSWER(9) + CLOCK(2))
    # The gateway's IKE SA rekey: INVALID_KE (ECP256) then a real answer in that group; and
    # TEMPORARY_FAILURE, then again after the retry interval.
    seeds["engine-ike-rekey-invalid-ke"] = (cfg(0x50) + INIT() + AUTH_() + CLOCK(110) +
                                            ANSWER(1) + CLOCK(2) + ANSWER(0) + CLOCK(106) +
                                            ANSWER(2, b"\x01\x00\x13") + ANSWER(1) + CLOCK(2) +
                                            ANSWER(0) + SLOT(1) + DELETE(1))
    seeds["engine-ike-rekey-temporary-failure"] = (cfg(0x50) + INIT() + AUTH_() + CLOCK(110) +
                                                   ANSWER(1) + CLOCK(2) + ANSWER(0) + CLOCK(106) +
                                                   ANSWER(2, b"\x00\x00\x00") + CLOCK(22) +
                                                   ANSWER(1) + CLOCK(2) + ANSWER(0))
    seeds["engine-rekey-errors"] = (cfg(0x10, 0x10) + INIT() + AUTH_() + CLOCK(110) +
                                    ANSWER(2, b"\x00\x00\x00") + CLOCK(40) +
                                    ANSWER(2, b"\x01\x00\x13") + CLOCK(4) +
                                    ANSWER(2, b"\x02\x00\x00"))
    seeds["peer-child-rekeys"] = (cfg(0x08, 0x10) + INIT() + AUTH_() + CHILD(0) + CHILD(1, 1) +
                                  CHILD(5, 0) + CHILD(3) + CHILD(0x0a) + SLOT(1) + CHILD(0) +
                                  DELETE(0, 1) + DELETE(1))
    seeds["ike-rekey-then-delete-old"] = (cfg() + INIT() + AUTH_() + CHILD(2) + DELETE(1) +
                                          SLOT(1) + DELETE(4) + CLOCK(20))
    seeds["kernel-events"] = (cfg(0x18) + INIT() + AUTH_() + KERNEL(0, 0) + ANSWER(1) +
                              KERNEL(1, 1) + ANSWER(0) + KERNEL(2, 1) + KERNEL(3, 0x80) +
                              ADMIN(1))
    seeds["kernel-refuses"] = cfg(0x08, 0x20) + INIT() + AUTH_() + CHILD(0) + CHILD(0) + CHILD(1)
    seeds["admin"] = (cfg() + INIT() + AUTH_() + ADMIN(0) + ADMIN(1) + ADMIN(2) + ADMIN(10) +
                      ADMIN(11) + ADMIN(4) + ADMIN(5) + ADMIN(7) + ANSWER(0) + ADMIN(6))
    seeds["config-changes"] = (cfg(0, 0, 0) + INIT() + CONFIG(0x02, 0x40, 0x01) + AUTH_() +
                               CHILD(0) + CONFIG(0x80, 0x01, 0x08) + SLOT(1) + INIT(3))
    seeds["answer-fuzzed"] = (cfg() + INIT() + AUTH_() + CLOCK(30) +
                              ANSWER(3, bytes([PL["N"]]), struct.pack("!H", 8),
                                     struct.pack("!BBH", 0, 0, 8) + notify(43)[:4]))
    # With debug on: the summaries of messages in and out (a CERT and a vendor ID in IKE_AUTH).
    f, chain = payload_chain([(35, bytes([2, 0, 0, 0]) + b"client"), (37, b"\x04" + bytes(40)),
                              (PL["AUTH"], b"\x02\x00\x00\x00" + bytes(32)),
                              (PL["V"], b"strongSwan")])
    seeds["debug-auth-cert"] = (cfg(0, 0, 0x20) + INIT(0x80, 0x04) + SEALED(0, f, chain) +
                                SLOT(1) + INIT(3) + AUTH_() + CHILD(0) + CLOCK(30))
    # Simultaneous rekeys (RFC 7296 §2.8.1, §2.8.2): the gateway's rekey is out when the
    # client's comes; then the gateway's is answered too.
    seeds["collision-child-rekey"] = (cfg(0x50) + INIT() + AUTH_() + CLOCK(110) + CHILD(1, 0) +
                                      ANSWER(1) + CLOCK(4) + ANSWER(1) + DELETE(0, 0) + CLOCK(8))
    seeds["collision-ike-rekey"] = (cfg(0x50) + INIT() + AUTH_() + CLOCK(110) + ANSWER(1) +
                                    CLOCK(2) + ANSWER(0) + CLOCK(106) + CHILD(2) + ANSWER(1) +
                                    CLOCK(2) + ANSWER(0) + SLOT(1) + CLOCK(2) + ANSWER(1) +
                                    DELETE(1) + SLOT(2) + DELETE(1) + CLOCK(10))
    seeds["delete-then-replay-init"] = cfg() + INIT() + AUTH_() + DELETE(1) + REPLAY(1)
    return seeds


def write(dirname, seeds):
    d = os.path.join(HERE, "corpus", dirname)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith("regress-"):  # inputs that found bugs are kept as they are
            os.unlink(os.path.join(d, f))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
    print(f"{d}: {len(seeds)} seeds", file=sys.stderr)


if __name__ == "__main__":
    wire = wire_seeds()
    # the existing hand-made messages stay
    keep = {}
    wd = os.path.join(HERE, "corpus", "ike_wire")
    for f in os.listdir(wd) if os.path.isdir(wd) else []:
        if f not in wire:
            keep[f] = open(os.path.join(wd, f), "rb").read()
    wire.update(keep)
    engine = engine_seeds()
    write("ike_wire", wire)
    write("ike_engine", engine)
