/* libFuzzer harness for the CLB codec of clb/clb_wire.h (docs/clb-protocol.md). The input is
 * used twice: as one complete frame, and as a TCP byte stream fed to the reassembler, whose
 * frames go through clb_verify (keyed master, keyed member, unkeyed) and clb_decode.
 *
 * Invariants checked, besides the sanitizers:
 * - every reason is below CLB_DROP_COUNT and has a name;
 * - decode and clb_frame_check agree: a decoded frame is structurally valid, and the header and
 *   structure reasons are the same from both;
 * - for what decodes: the message passes clb_msg_check, re-encodes to a frame of the input's
 *   length less its AUTH TLV and skipped TLVs, which decodes to the same message, re-encodes to
 *   the same bytes, and is refused in a buffer one byte short;
 * - the re-encoded message signed by one side verifies at the other (or is refused for lacking
 *   the NONCE a first frame needs), fails once replayed, and fails with any one byte changed;
 * - clb_verify changes the state only when it accepts, and then the sequence went up;
 * - the reassembler yields the same frames and the same error whether the stream comes in one
 *   chunk or in small ones, never a frame outside 8..CLB_FRAME_MAX, and a frame's length
 *   field always equals its length. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clb/clb_wire.h"
#include "platform/bytes.h"
#include "test/fuzz/fuzz_util.h"

/* The seeds' signed frames use this key and these nonces (test/fuzz/corpus/clb_wire/). */
static const char fuzz_key[] = "fuzz-key";
static const uint8_t fuzz_nm[CLB_NONCE_LEN] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                               0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t fuzz_ns[CLB_NONCE_LEN] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                                               0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};

#define MAX_FRAMES 64

static bool is_structural(enum clb_drop r)
{
    return r == CLB_DROP_SHORT || r == CLB_DROP_MAGIC || r == CLB_DROP_LENGTH ||
           r == CLB_DROP_TLV || r == CLB_DROP_TLV_CRITICAL || r == CLB_DROP_AUTH_FORMAT;
}

/* The nonce a message carries, if any (what its signer's local nonce must be). */
static const uint8_t *msg_nonce(const struct clb_msg *m)
{
    switch (m->type) {
    case CLB_HELLO: return m->u.hello.has_nonce ? m->u.hello.nonce : NULL;
    case CLB_WELCOME: return m->u.welcome.nonce;
    case CLB_REFUSE: return m->u.refuse.has_nonce ? m->u.refuse.nonce : NULL;
    default: return NULL;
    }
}

/* Sign m as the first frame its signer sends on a fresh connection and check it at the peer. */
static void check_sign_verify(const struct clb_msg *m, enum clb_role signer, size_t flip)
{
    const uint8_t *carried = msg_nonce(m);
    const uint8_t *local = carried ? carried : (signer == CLB_ROLE_MEMBER ? fuzz_nm : fuzz_ns);
    const uint8_t *peer_local = signer == CLB_ROLE_MEMBER ? fuzz_ns : fuzz_nm;
    if (memcmp(local, peer_local, CLB_NONCE_LEN) == 0) return; /* not two distinct sides */
    enum clb_role receiver = signer == CLB_ROLE_MEMBER ? CLB_ROLE_MASTER : CLB_ROLE_MEMBER;
    struct clb_auth_state tx, rx;
    FUZZ_CHECK(clb_auth_init(&tx, signer, (const uint8_t *)fuzz_key, sizeof fuzz_key - 1, local) ==
               0);
    FUZZ_CHECK(clb_auth_init(&rx, receiver, (const uint8_t *)fuzz_key, sizeof fuzz_key - 1,
                             peer_local) == 0);
    uint8_t buf[CLB_FRAME_MAX];
    size_t n;
    if (signer == CLB_ROLE_MASTER) {
        /* A master speaks only after the member's first HELLO (§5.1), whose Nm its MAC covers:
         * play that HELLO first. */
        struct clb_msg h;
        clb_msg_init(&h, CLB_HELLO);
        h.u.hello.priority = 1;
        h.u.hello.redirect.len = 4;
        h.u.hello.redirect.b[0] = 10;
        h.u.hello.has_nonce = true;
        memcpy(h.u.hello.nonce, peer_local, CLB_NONCE_LEN);
        n = clb_seal(&rx, &h, buf, sizeof buf);
        FUZZ_CHECK(n > 0 && clb_verify(&tx, buf, n) == CLB_DROP_NONE);
    }
    n = clb_seal(&tx, m, buf, sizeof buf);
    FUZZ_CHECK(n > CLB_AUTH_TLV_LEN && tx.send_seq == 1);
    FUZZ_CHECK(get16(buf + 6) == n);

    const struct clb_auth_state initial = rx;
    struct clb_auth_state before = rx;
    enum clb_drop r = clb_verify(&rx, buf, n);
    if (!carried) {
        FUZZ_CHECK(r == CLB_DROP_AUTH_NONCE);
        FUZZ_CHECK(memcmp(&rx, &before, sizeof rx) == 0);
        return;
    }
    FUZZ_CHECK(r == CLB_DROP_NONE && rx.recv_seq == 1 && rx.have_peer_nonce);
    FUZZ_CHECK(memcmp(rx.peer_nonce, local, CLB_NONCE_LEN) == 0);

    /* The signed frame still decodes to m. */
    struct clb_msg back;
    struct clb_decode_info info;
    FUZZ_CHECK(clb_decode(buf, n, &back, &info) == CLB_DROP_NONE);
    FUZZ_CHECK(memcmp(&back, m, sizeof back) == 0 && info.has_auth && info.seq == 1);

    /* Replayed: refused, state unchanged. */
    before = rx;
    FUZZ_CHECK(clb_verify(&rx, buf, n) != CLB_DROP_NONE);
    FUZZ_CHECK(memcmp(&rx, &before, sizeof rx) == 0);

    /* One byte changed, at a receiver that has not accepted the original: refused. */
    struct clb_auth_state rx2 = initial;
    size_t at = flip % n;
    buf[at] ^= (uint8_t)(1u << (flip / n % 8));
    FUZZ_CHECK(clb_verify(&rx2, buf, n) != CLB_DROP_NONE);
    FUZZ_CHECK(!rx2.have_peer_nonce && rx2.recv_seq == 0);
    clb_auth_clear(&tx);
    clb_auth_clear(&rx);
    clb_auth_clear(&rx2);
}

static void check_round_trip(const struct clb_msg *m, const struct clb_decode_info *info,
                             size_t len, size_t flip)
{
    FUZZ_CHECK(m->version >= CLB_VERSION_MIN && m->version <= CLB_VERSION_MAX);
    FUZZ_CHECK(m->type >= CLB_HELLO && m->type <= CLB_BYE);
    FUZZ_CHECK(clb_type_name(m->type)[0] != '\0');
    FUZZ_CHECK(clb_msg_check(m) == CLB_DROP_NONE);
    FUZZ_CHECK(clb_direction_check(CLB_ROLE_MASTER, m->type) != CLB_DROP_TYPE);
    FUZZ_CHECK(clb_direction_check(CLB_ROLE_MEMBER, m->type) != CLB_DROP_TYPE);

    uint8_t out[CLB_FRAME_MAX];
    size_t n = clb_encode(m, out, sizeof out);
    FUZZ_CHECK(n >= CLB_HDR_LEN);
    FUZZ_CHECK(n == len - (info->has_auth ? CLB_AUTH_TLV_LEN : 0) - info->skipped_bytes);
    FUZZ_CHECK(info->skipped_tlvs * CLB_TLV_HDR_LEN <= info->skipped_bytes);
    FUZZ_CHECK(clb_frame_check(out, n) == CLB_DROP_NONE);

    struct clb_msg m2;
    struct clb_decode_info info2;
    FUZZ_CHECK(clb_decode(out, n, &m2, &info2) == CLB_DROP_NONE);
    FUZZ_CHECK(memcmp(m, &m2, sizeof m2) == 0);
    FUZZ_CHECK(info2.skipped_tlvs == 0 && info2.skipped_bytes == 0 && !info2.has_auth);

    uint8_t again[CLB_FRAME_MAX];
    FUZZ_CHECK(clb_encode(&m2, again, sizeof again) == n && memcmp(out, again, n) == 0);
    FUZZ_CHECK(clb_encode(m, again, n - 1) == 0);

    check_sign_verify(m, CLB_ROLE_MEMBER, flip);
    check_sign_verify(m, CLB_ROLE_MASTER, flip);
}

/* One frame (from the reassembler or the whole input): decode and its agreement with
 * clb_frame_check; the round trip when it decodes. */
static void check_frame(const uint8_t *f, size_t n, size_t flip)
{
    struct clb_msg m;
    struct clb_decode_info info;
    enum clb_drop r = clb_decode(f, n, &m, &info);
    enum clb_drop fc = clb_frame_check(f, n);
    FUZZ_CHECK((unsigned)r < CLB_DROP_COUNT && (unsigned)fc < CLB_DROP_COUNT);
    FUZZ_CHECK(clb_drop_name(r)[0] != '\0' && clb_drop_name(fc)[0] != '\0');
    FUZZ_CHECK(fc == CLB_DROP_NONE || is_structural(fc));
    if (r == CLB_DROP_NONE) FUZZ_CHECK(fc == CLB_DROP_NONE);
    if (fc == CLB_DROP_SHORT || fc == CLB_DROP_MAGIC || fc == CLB_DROP_LENGTH) FUZZ_CHECK(r == fc);
    if (is_structural(r)) FUZZ_CHECK(r == fc);
    if (r == CLB_DROP_VERSION)
        FUZZ_CHECK(m.version < CLB_VERSION_MIN || m.version > CLB_VERSION_MAX);
    if (r == CLB_DROP_TYPE)
        FUZZ_CHECK(clb_direction_check(CLB_ROLE_MASTER, m.type) == CLB_DROP_TYPE);
    if (r == CLB_DROP_NONE) check_round_trip(&m, &info, n, flip);
}

/* A frame through one connection's persistent state: clb_verify's contract. */
static void check_verify(struct clb_auth_state *a, const uint8_t *f, size_t n)
{
    struct clb_auth_state before = *a;
    enum clb_drop r = clb_verify(a, f, n);
    FUZZ_CHECK((unsigned)r < CLB_DROP_COUNT);
    enum clb_drop fc = clb_frame_check(f, n);
    if (fc != CLB_DROP_NONE) FUZZ_CHECK(r == fc);
    if (r != CLB_DROP_NONE) {
        FUZZ_CHECK(memcmp(a, &before, sizeof before) == 0);
        return;
    }
    FUZZ_CHECK(fc == CLB_DROP_NONE);
    bool is_signed = get16(f + 4) & CLB_FLAG_AUTH;
    if (!a->keyed) {
        FUZZ_CHECK(!is_signed && memcmp(a, &before, sizeof before) == 0);
        return;
    }
    FUZZ_CHECK(is_signed && a->recv_seq > before.recv_seq && a->have_peer_nonce);
}

struct frames {
    size_t n;
    size_t len[MAX_FRAMES];
    uint8_t *copy[MAX_FRAMES];
    int end;             /* the last clb_rx_next result: 0 or -1 */
    enum clb_drop error; /* and its reason */
};

/* Feed data to a fresh reassembler in chunks of the sizes given (cycled); record the frames. */
static void reassemble(const uint8_t *data, size_t size, const size_t *sizes, size_t nsizes,
                       struct frames *out)
{
    static struct clb_rx rx; /* 4 KB: keep it off the stack */
    clb_rx_init(&rx);
    memset(out, 0, sizeof *out);
    size_t off = 0, k = 0;
    int r = 0;
    enum clb_drop why = CLB_DROP_NONE;
    while (off < size && r >= 0) {
        size_t c = sizes[k++ % nsizes];
        if (c > size - off) c = size - off;
        const uint8_t *p = data + off, *frame;
        size_t left = c, flen;
        while ((r = clb_rx_next(&rx, &p, &left, &frame, &flen, &why)) == 1) {
            FUZZ_CHECK(flen >= CLB_HDR_LEN && flen <= CLB_FRAME_MAX);
            FUZZ_CHECK(get16(frame) == CLB_MAGIC && get16(frame + 6) == flen);
            FUZZ_CHECK(why == CLB_DROP_NONE);
            if (out->n < MAX_FRAMES) {
                out->copy[out->n] = malloc(flen);
                FUZZ_CHECK(out->copy[out->n] != NULL);
                memcpy(out->copy[out->n], frame, flen);
                out->len[out->n] = flen;
            }
            out->n++;
        }
        if (r == 0) FUZZ_CHECK(left == 0 && why == CLB_DROP_NONE);
        if (r < 0) FUZZ_CHECK(why == CLB_DROP_MAGIC || why == CLB_DROP_LENGTH);
        off += c - left;
        if (r < 0) break;
    }
    out->end = r;
    out->error = why;
    if (r == 0) FUZZ_CHECK(clb_rx_pending(&rx) < CLB_FRAME_MAX);
}

static void frames_free(struct frames *f)
{
    for (size_t i = 0; i < f->n && i < MAX_FRAMES; i++) free(f->copy[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t flip = 0;
    for (size_t i = 0; i < size; i++) flip = flip * 31 + data[i];

    /* The whole input as one frame, on its own heap copy so that ASan sees reads past it. */
    uint8_t *whole = malloc(size ? size : 1);
    FUZZ_CHECK(whole != NULL);
    if (size) memcpy(whole, data, size);
    check_frame(whole, size, flip);
    free(whole);

    /* As a stream: once in one chunk, once in small uneven ones. */
    static const size_t one_chunk = SIZE_MAX;
    static const size_t small[] = {1, 3, 7, 2, 64, 5, 11};
    struct frames a, b;
    reassemble(data, size, &one_chunk, 1, &a);
    reassemble(data, size, small, sizeof small / sizeof small[0], &b);
    FUZZ_CHECK(a.n == b.n && a.end == b.end && a.error == b.error);
    for (size_t i = 0; i < a.n && i < MAX_FRAMES; i++)
        FUZZ_CHECK(a.len[i] == b.len[i] && memcmp(a.copy[i], b.copy[i], a.len[i]) == 0);

    /* Each frame through three connections' states, then decoded. */
    struct clb_auth_state master, member, open;
    FUZZ_CHECK(clb_auth_init(&master, CLB_ROLE_MASTER, (const uint8_t *)fuzz_key,
                             sizeof fuzz_key - 1, fuzz_ns) == 0);
    FUZZ_CHECK(clb_auth_init(&member, CLB_ROLE_MEMBER, (const uint8_t *)fuzz_key,
                             sizeof fuzz_key - 1, fuzz_nm) == 0);
    FUZZ_CHECK(clb_auth_init(&open, CLB_ROLE_MASTER, NULL, 0, fuzz_ns) == 0);
    for (size_t i = 0; i < a.n && i < MAX_FRAMES; i++) {
        check_verify(&master, a.copy[i], a.len[i]);
        check_verify(&member, a.copy[i], a.len[i]);
        check_verify(&open, a.copy[i], a.len[i]);
        check_frame(a.copy[i], a.len[i], flip + i);
    }
    frames_free(&a);
    frames_free(&b);
    return 0;
}
