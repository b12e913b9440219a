/* libFuzzer harness for the IKEv2 responder engine (ike/ike_engine.c, ike_exchange.c,
 * ike_child.c, ike_request.c, ike_frag.c).
 *
 * The harness plays up to NSLOT clients against one engine, in a sequence of steps the input
 * chooses, so that what the engine keeps from one datagram to the next (its SA tables, timers,
 * cached answers, fragments) is exercised: between messages the client's address and port
 * change (NAT rebinding, the float from UDP 500 to 4500), IKE_SA_INITs are replayed from a new
 * port or reuse a used SPIi, the clock runs, the engine's own requests (DPD, rekeys, deletes)
 * are answered or not. Bytes from the network reach the engine three ways:
 * - raw datagrams on 500 or 4500 (the outer codec, NAT-T framing, IKE_SA_INIT);
 * - protected messages whose inner payload chain is fuzzed but sealed with the right keys, as
 *   requests or as answers to the engine's requests, so the exchange handlers see arbitrary
 *   payloads that passed the ICV;
 * - Encrypted Fragments (RFC 7383) sealed the same way, with fuzzed numbers and contents, so
 *   the reassembly is fuzzed behind the ICV as a real peer reaches it.
 * Real exchanges take the engine to the states where those bytes matter: IKE_SA_INIT (with
 * COOKIE and INVALID_KE retries, proposals from one to strongSwan's default and 70), PSK
 * IKE_AUTH, CREATE_CHILD_SA for CHILD_SAs and IKE SA rekeys, real answers to the engine's own
 * CHILD_SA and IKE SA rekeys.
 *
 * Every datagram the engine sends is checked: it comes from the gateway's address, on 4500 it
 * starts with the non-ESP marker (or is a keepalive), it parses, IKE_SA_INIT answers are in
 * our KE's group, a protected one decrypts with the keys the client holds and its inner chain
 * walks, a fragment fits the MTU negotiated. A kernel port double counts the SAs installed.
 * At the end the clock runs past every lifetime (three days: retransmits, DPD, half-open
 * expiry, rekeys left unanswered); then IKE_SA_INITs of the clients' SPIs come from where the
 * clients first were and from where they are, so that the half-open table is searched where
 * their SAs were: an entry left behind by a freed SA is read (the class of bug of a table keyed
 * by the peer's port). No SA, CHILD_SA, pool address or kernel SA may be left; the engine is
 * then freed so that LeakSanitizer sees anything else.
 *
 * Input: 3 configuration bytes, then at most MAX_STEPS steps, each an op byte (its low 4 bits
 * name the op) and the op's arguments. Reading past the end gives zeros, so any input is a
 * sequence. "s" is the current slot (op SLOT), u16 big-endian, "bytes" up to the length given.
 *   c0  bits 0-2 frag_mtu {off, off, 576, 1280, 68, 160, 300, 1500} (`crypto ikev2
 *       fragmentation mtu`, RFC 7383); 3 a kernel port is plugged; 4 short lifetimes (IKE SA
 *       120 s, CHILD_SA 60 s: the engine rekeys); 5-6 DPD {periodic 10 s/2 s, on demand, off,
 *       periodic without retry interval}; 7 cookies demanded from the first half-open SA on
 *   c1  bit 0 max-in-negotiation-sa 1; 1 max-sa 1; 2 the PSK is shared; 3 NAT keepalive 20 s;
 *       4 PFS (DH 31) in the ESP proposal; 5 the kernel refuses every other SPI and SA; 6 the
 *       pool is exhausted; 7 no pool
 *   c2  bit 0 the profile cannot be found again by name (CREATE_CHILD_SA falls back); 1
 *       redirect at IKE_SA_INIT; 2 redirect at IKE_AUTH; 3 no profile matches; 4 CHILD_SA
 *       kilobyte lifetime; 5 `debug crypto ikev2` (packet, hexdump, error, internal): the
 *       summaries of every message in and out
 *  op 0 RAW f len16 bytes: a datagram as is from the client's endpoint (f bit 0: on 4500, put
 *       the non-ESP marker in front)
 *  op 1 INIT f g: a real IKE_SA_INIT for s (its SPIs, keys and nonces, from the answer). f
 *       bits 0-1 SPIi {s's previous one, A (shared by all slots), B, a new one}; 2 KE in ECP256
 *       (else X25519); 3 a first KE in MODP2048, which the gateway refuses (INVALID_KE); 4-5
 *       proposals {AES-GCM, AES-CBC + SHA-256, strongSwan's default (2 proposals, 40
 *       transforms), 70 of which only the last (g bit 7: the second) is acceptable}; 6
 *       IKEV2_FRAGMENTATION_SUPPORTED; 7 NAT-D notifies (g bit 6: hashes of the real endpoints,
 *       else of others: a NAT on both sides). g bit 0 REDIRECT_SUPPORTED; 1 REDIRECTED_FROM;
 *       2 SIGNATURE_HASH_ALGORITHMS; 3 a 16-byte nonce; 4 do not follow a COOKIE; 5 do not
 *       follow INVALID_KE
 *  op 2 AUTH f: a real PSK IKE_AUTH on s. f bit 0 no CP request; 1 no CHILD_SA; 2
 *       INITIAL_CONTACT; 3 a wrong PSK; 4-5 IDi {FQDN, KEY_ID, IPv4, RFC822}; 6 sent as SKF
 *       fragments of 64 bytes; 7 selectors of one host
 *  op 3 SEALED f x first len16 bytes [chunk mode]: the bytes as the inner chain (first payload
 *       type `first`) of a protected message on s, exchange x & 3 {IKE_AUTH, CREATE_CHILD_SA,
 *       INFORMATIONAL, x itself}. f bit 0 a response (to the engine's last request, with its
 *       message ID); 1 the message ID of our previous request; 2 the I flag flipped; 3 cut into
 *       SKF fragments: two more bytes, the chunk size (0: 256) and the mode (bit 0 sent in
 *       reverse order, 1 fragment 1 again at the end, 2 the last one left out, 3 Total one more
 *       than sent); 4 a message ID one past our next (outside the window)
 *  op 4 SKF f num16 total16 first len8 bytes: one SKF fragment on s with these numbers and this
 *       content, sealed. f bit 0 a response (as SEALED); 1 previous message ID; 2 s's message ID
 *       moves on afterwards; 3 the I flag flipped
 *  op 5 CLOCK t: the clock moves t * 0.5 s (t < 128), else (t - 127) * 30 s
 *  op 6 PEER f [port16 | a]: the client's endpoint changes, f & 3 {floats to 4500 (both
 *       ends), NAT rebinding to port16, address 10.0.1.a, back to 10.0.0.2:500 on 500}; f bit 2
 *       our local port switches between 500 and 4500
 *  op 7 REPLAY f: f bit 0 s's last IKE_SA_INIT again (from where the client now is), else the
 *       datagrams of the last message sent (bit 1: the first only)
 *  op 8 DELETE f i: INFORMATIONAL request on s with f bit 0 D(IKE), else D(ESP) naming the
 *       CHILD_SA i (f bit 2: all of them; one made up if s has none); bit 1 both
 *  op 9 SLOT n: s = n % NSLOT
 *  op 10 ANSWER f [...]: answer the engine's last request on s, f & 3 {empty, a real answer
 *       (CREATE_CHILD_SA: one transform of each type of its first proposal, a KE if asked, its
 *       selectors; an IKE SA rekey puts the new SA in the next slot without an SA, else in
 *       s + 1), an error notify (a byte picks it, then a group16 for INVALID_KE), first len16
 *       bytes}; f bit 2 keep the request to answer it again; 3 a real answer takes the last
 *       proposal (its number is not 1)
 *  op 11 CHILD f i: a real CREATE_CHILD_SA request on s, f & 3 {a new CHILD_SA, a rekey of
 *       CHILD_SA i, a rekey of the IKE SA (the new SA goes to a slot as with ANSWER), a rekey of
 *       a CHILD_SA the gateway does not have}; f bit 2 PFS (KE X25519); 3 after an IKE SA rekey,
 *       D(IKE) on the old SA at once
 *  op 12 KERNEL f r: the kernel's event for reqid base + r % 16, f & 3 {soft expire, hard
 *       expire, acquire, expire naming the last SPI given (r bit 7: hard)}
 *  op 13 ADMIN f: f & 7 {show sa, show sa detail, show ipsec sa (f bit 3: of the client's
 *       address), show session (bit 3: detail), show stats, clear stats, clear sa, clear sa of
 *       the client's address}
 *  op 14 CONFIG a b c: the configuration bytes XOR a b c (a change of configuration)
 *  op 15 nothing */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike.h"
#include "platform/bytes.h"
#include "platform/log.h"
#include "platform/loop.h"
#include "platform/strbuf.h"
#include "test/fuzz/fuzz_util.h"

#define NSLOT 3
#define MAX_STEPS 64
#define MAX_CHILD 8
#define IKE_PORT_500 500
#define NATT_PORT 4500
#define SPI_A 0x0123456789abcdefULL
#define SPI_B 0x76543210fedcba98ULL
#define FRAG_MAX 64 /* the engine keeps at most IKE_FRAG_MAX (64) fragments of a message */

/* ---- input ---- */

struct rd {
    const uint8_t *p;
    size_t n;
};

static uint8_t u8(struct rd *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

static uint16_t u16(struct rd *r)
{
    uint16_t h = u8(r);
    return (uint16_t)(h << 8 | u8(r));
}

static const uint8_t *take(struct rd *r, size_t want, size_t *got)
{
    size_t n = want < r->n ? want : r->n;
    const uint8_t *p = r->p;
    r->p += n, r->n -= n;
    *got = n;
    return p;
}

/* ---- configuration (the policy port) ---- */

static uint8_t cfg[3];
static const uint16_t mtus[8] = {0, 0, 576, 1280, 68, 160, 300, 1500};
#define CFG_MTU (mtus[cfg[0] & 7])
#define CFG_KERNEL (cfg[0] & 0x08)
#define CFG_SHORT (cfg[0] & 0x10)
#define CFG_DPD ((cfg[0] >> 5) & 3)
#define CFG_COOKIES (cfg[0] & 0x80)

static void f_props(void *ctx, uint32_t local, struct ike_prop_list *out)
{
    (void)ctx, (void)local;
    memset(out, 0, sizeof *out);
    out->n = 1;
    struct ike_prop_cfg *p = &out->p[0];
    p->nencr = 2;
    p->encr[0].id = IKE_ENCR_AES_GCM_16, p->encr[0].keylen = 128;
    p->encr[1].id = IKE_ENCR_AES_CBC, p->encr[1].keylen = 128;
    p->ninteg = 1, p->integ[0] = IKE_INTEG_HMAC_SHA2_256_128;
    p->nprf = 1, p->prf[0] = IKE_PRF_HMAC_SHA2_256;
    p->ndh = 2, p->dh[0] = IKE_DH_CURVE25519, p->dh[1] = IKE_DH_ECP256;
}

static int f_profile(void *ctx, const struct ike_peer_info *peer, struct ike_profile_view *v,
                     char *why, size_t n)
{
    (void)ctx, (void)peer;
    if (cfg[2] & 0x08) {
        snprintf(why, n, "no profile for this peer");
        return -1;
    }
    memset(v, 0, sizeof *v);
    strcpy(v->name, "fuzz");
    v->auth_remote = IKE_AM_PSK;
    v->auth_local = IKE_AM_PSK;
    memcpy(v->psk_remote, "fuzzkey", 7), v->psk_remote_len = 7;
    memcpy(v->psk_local, "fuzzkey", 7), v->psk_local_len = 7;
    v->psk_shared = cfg[1] & 0x04;
    v->id_type = IKE_ID_IPV4_ADDR;
    v->lifetime = CFG_SHORT ? 120 : 86400;
    static const enum ike_dpd_mode dpd[4] = {IKE_DPD_PERIODIC, IKE_DPD_ON_DEMAND, IKE_DPD_OFF,
                                             IKE_DPD_PERIODIC};
    v->dpd = dpd[CFG_DPD], v->dpd_interval = 10, v->dpd_retry = CFG_DPD == 3 ? 0 : 2;
    v->nat_keepalive = cfg[1] & 0x08 ? 20 : 0;
    if (!(cfg[1] & 0x80)) strcpy(v->pool, "p");
    v->dns[0] = htonl(0x08080808u);
    v->netmask = htonl(0xffffff00u);
    v->nroutes = 1, v->routes[0].addr = htonl(0xc0a80000u), v->routes[0].mask = htonl(0xffff0000u);
    strcpy(v->def_domain, "example.com");
    v->vtemplate = 1;
    v->esp.n = 2;
    v->esp.p[0].nencr = 1;
    v->esp.p[0].encr[0].id = IKE_ENCR_AES_GCM_16, v->esp.p[0].encr[0].keylen = 128;
    v->esp.p[1].nencr = 1;
    v->esp.p[1].encr[0].id = IKE_ENCR_AES_CBC, v->esp.p[1].encr[0].keylen = 256;
    v->esp.p[1].ninteg = 1, v->esp.p[1].integ[0] = IKE_INTEG_HMAC_SHA2_256_128;
    if (cfg[1] & 0x10)
        for (int i = 0; i < 2; i++) v->esp.p[i].ndh = 1, v->esp.p[i].dh[0] = IKE_DH_CURVE25519;
    v->child_lifetime = CFG_SHORT ? 60 : 3600;
    v->child_lifetime_kb = cfg[2] & 0x10 ? 1000 : 0;
    return 0;
}

static int f_profile_by_name(void *ctx, const char *name, const struct ike_peer_info *peer,
                             struct ike_profile_view *v, char *why, size_t n)
{
    (void)name;
    if (cfg[2] & 0x01) {
        snprintf(why, n, "profile gone");
        return -1;
    }
    return f_profile(ctx, peer, v, why, n);
}

static int leased;
static int f_alloc(void *ctx, const char *pool, const char *key, uint32_t *addr)
{
    (void)ctx, (void)key;
    FUZZ_CHECK(pool && pool[0]);
    if (cfg[1] & 0x40 || leased >= 8) return -1;
    *addr = htonl(0x0a0a0001u + (uint32_t)leased++);
    return 0;
}

static void f_release(void *ctx, const char *pool, uint32_t addr)
{
    (void)ctx, (void)pool, (void)addr;
    leased--;
    FUZZ_CHECK(leased >= 0);
}

static void f_globals(void *ctx, struct ike_globals *g)
{
    (void)ctx;
    memset(g, 0, sizeof *g);
    g->cookie_threshold = CFG_COOKIES ? 1 : 0;
    g->max_in_negotiation = cfg[1] & 0x01 ? 1 : 0;
    g->max_sa = cfg[1] & 0x02 ? 1 : 0;
    g->frag_mtu = CFG_MTU;
}

static bool f_pick(void *ctx, const struct ike_ep *local, const struct ike_ep *client,
                   uint8_t phase, const char *profile, uint32_t *target)
{
    (void)ctx, (void)local, (void)client, (void)profile;
    if (!(cfg[2] & (phase == IKE_SA_INIT ? 0x02 : 0x04))) return false;
    *target = htonl(0x0a090909u);
    return true;
}

/* ---- the kernel port: counts what is installed ---- */

static struct {
    int installed;
    unsigned calls;
    uint32_t next_spi, last_spi;
    uint64_t out_packets;
} kern;

static bool kern_refuses(void)
{
    return cfg[1] & 0x20 && (kern.calls++ & 1);
}

static int k_alloc_spi(void *ctx, const struct ike_ep *local, const struct ike_ep *remote,
                       uint32_t reqid, uint32_t *spi)
{
    (void)ctx, (void)local, (void)remote;
    FUZZ_CHECK(reqid - IKE_REQID_BASE < IKE_REQID_COUNT);
    if (kern_refuses()) return -28; /* ENOSPC */
    *spi = kern.last_spi = 0xc0000000u | ++kern.next_spi;
    return 0;
}

static int k_add(void *ctx, struct ike_child_kernel *c)
{
    (void)ctx;
    FUZZ_CHECK(c->key_in && c->key_out);
    FUZZ_CHECK(c->reqid - IKE_REQID_BASE < IKE_REQID_COUNT);
    if (kern_refuses()) return -22; /* EINVAL */
    kern.installed++;
    c->if_id = c->vtemplate ? 100u + (unsigned)c->vtemplate : 0;
    return 0;
}

static void k_del(void *ctx, const struct ike_child_kernel *c)
{
    (void)ctx, (void)c;
    kern.installed--;
    FUZZ_CHECK(kern.installed >= 0);
}

static int k_counters(void *ctx, const struct ike_child_kernel *c, struct ike_child_counters *out)
{
    (void)ctx, (void)c;
    memset(out, 0, sizeof *out);
    out->out_packets = ++kern.out_packets; /* traffic goes out, none comes back: on-demand DPD */
    return 0;
}

/* ---- the clients ---- */

/* A decrypted message from the engine: its inner chain. */
struct inmsg {
    bool have;
    uint32_t msgid;
    uint8_t exchange, first;
    size_t len;
    uint8_t buf[IKE_MAX_MSG];
};

struct slot {
    bool up;      /* an IKE SA: SPIs and keys known */
    bool we_init; /* we are its original initiator (not after the gateway's rekey) */
    uint64_t spi_i, spi_r, last_spi_i;
    struct ike_keys keys;
    uint32_t msgid; /* our next request */
    uint64_t iv;
    uint16_t frag_mtu; /* RFC 7383 agreed: the gateway's fragments fit this */
    uint8_t ni[32], nr[IKE_NONCE_MAX];
    size_t nilen, nrlen;
    uint8_t init_req[4096]; /* our last IKE_SA_INIT, as sent */
    size_t init_req_len;
    struct ike_ep init_local, init_peer; /* where it went from and to */
    uint32_t child_spi[MAX_CHILD];       /* our inbound SPIs (the gateway's outbound) */
    unsigned nchild;
    uint32_t last_ereq_msgid;
    struct inmsg ereq, resp; /* the gateway's last request, its answer to ours */
    /* the gateway's fragments being joined */
    uint32_t fr_msgid;
    bool fr_resp;
    uint16_t fr_next, fr_total;
    uint8_t fr_first;
    size_t fr_len;
    uint8_t fr_buf[IKE_MAX_MSG];
};

static struct slot slots[NSLOT];
static int cur;
static uint32_t ctr; /* makes SPIs and nonces unique */
static struct ike *ike;
static loop_t *loop;
static struct ike_ep gw, peer, origin; /* gw.port: the local port the client sends to */

static void slot_reset(struct slot *s)
{
    ike_keys_wipe(&s->keys);
    s->up = s->we_init = false;
    s->spi_i = s->spi_r = s->last_spi_i = 0;
    s->msgid = 0, s->iv = 0, s->frag_mtu = 0;
    s->nilen = s->nrlen = s->init_req_len = 0;
    s->nchild = 0;
    s->last_ereq_msgid = 0;
    s->ereq.have = s->resp.have = false;
    s->fr_next = s->fr_total = 0;
}

static void slot_add_child(struct slot *s, uint32_t spi)
{
    s->child_spi[s->nchild++ % MAX_CHILD] = spi;
}

static uint32_t slot_child(const struct slot *s, uint8_t i)
{
    unsigned n = s->nchild < MAX_CHILD ? s->nchild : MAX_CHILD;
    return n ? s->child_spi[i % n] : 0xdead0000u | i;
}

static uint32_t new_child_spi(void)
{
    return 0x11000000u | (++ctr & 0xffffff);
}

static struct slot *slot_by_spis(uint64_t spi_i, uint64_t spi_r)
{
    for (int i = 0; i < NSLOT; i++)
        if (slots[i].up && slots[i].spi_i == spi_i && slots[i].spi_r == spi_r) return &slots[i];
    return NULL;
}

/* ---- what the engine sends ---- */

struct dgram {
    struct ike_ep from, to;
    size_t len;
    uint8_t *buf;
};
static struct {
    struct dgram d[64];
    int n;
} outq;

/* IKE_SA_INIT answers for the SPIi being negotiated */
static struct {
    uint64_t spi_i;
    bool have;
    size_t len;
    uint8_t buf[IKE_MAX_MSG];
} ians;

static void f_send(void *ctx, const struct ike_ep *from, const struct ike_ep *to,
                   const uint8_t *buf, size_t len)
{
    (void)ctx, (void)to;
    FUZZ_CHECK(len <= IKE_MAX_MSG + 4);
    FUZZ_CHECK(from->addr == gw.addr);
    FUZZ_CHECK(from->port == IKE_PORT_500 || from->port == NATT_PORT);
    /* On 4500 the non-ESP marker or a NAT-T keepalive (RFC 3948), on 500 an IKE message. */
    if (from->port == NATT_PORT)
        FUZZ_CHECK(len == 1 ? buf[0] == 0xff
                            : len >= 4 && !buf[0] && !buf[1] && !buf[2] && !buf[3]);
    else
        FUZZ_CHECK(len >= IKE_HDR_LEN);
    if (outq.n == (int)(sizeof outq.d / sizeof outq.d[0])) return;
    struct dgram *d = &outq.d[outq.n];
    d->buf = malloc(len ? len : 1);
    FUZZ_CHECK(d->buf != NULL);
    memcpy(d->buf, buf, len);
    d->len = len, d->from = *from, d->to = *to;
    outq.n++;
}

static void keep(struct inmsg *im, const struct ike_hdr *h, uint8_t first, const uint8_t *in,
                 size_t len)
{
    im->have = true;
    im->msgid = h->msgid, im->exchange = h->exchange, im->first = first;
    im->len = len;
    if (len) memcpy(im->buf, in, len);
}

/* One datagram of the engine's: checked, decrypted with the keys of the client it is for, its
 * fragments joined; a request is kept for ANSWER, an answer for the op that waits for it. */
static void from_engine(struct dgram *d)
{
    uint8_t *b = d->buf;
    size_t n = d->len;
    if (d->from.port == NATT_PORT) {
        if (n == 1) return; /* keepalive */
        b += 4, n -= 4;
    }
    static struct ike_msg m;
    uint8_t crit = 0;
    FUZZ_CHECK(ike_msg_parse(b, n, &m, &crit) == IKE_DROP_NONE);
    bool response = m.hdr.flags & IKE_FLAG_RESPONSE;
    if (m.hdr.exchange == IKE_SA_INIT) {
        FUZZ_CHECK(response && m.hdr.msgid == 0 && m.sk < 0);
        if (m.hdr.spi_i == ians.spi_i && !ians.have) {
            ians.have = true;
            ians.len = n;
            memcpy(ians.buf, b, n);
        }
        return;
    }
    FUZZ_CHECK(m.sk >= 0);
    struct slot *s = slot_by_spis(m.hdr.spi_i, m.hdr.spi_r);
    if (!s) return;
    bool sender_init = !s->we_init;
    FUZZ_CHECK(!(m.hdr.flags & IKE_FLAG_INITIATOR) == !sender_init);
    const struct ike_pl *sk = &m.pl[m.sk];
    size_t off = (size_t)(sk->body - b) - IKE_GENERIC_HDR_LEN;
    const uint8_t *in;
    size_t inl;
    uint8_t first = m.sk_next;
    if (sk->type == IKE_PL_SKF) {
        /* RFC 7383: only when agreed, each fragment within the MTU (IPv4 and UDP headers). */
        FUZZ_CHECK(s->frag_mtu && d->len + 28 <= s->frag_mtu);
        FUZZ_CHECK(sk->len >= 4);
        uint16_t num = (uint16_t)(sk->body[0] << 8 | sk->body[1]);
        uint16_t total = (uint16_t)(sk->body[2] << 8 | sk->body[3]);
        FUZZ_CHECK(num >= 1 && num <= total && total <= FRAG_MAX);
        FUZZ_CHECK(ike_skf_open(&s->keys, sender_init, b, n, off, &in, &inl) == 0);
        if (num == 1) {
            s->fr_msgid = m.hdr.msgid, s->fr_resp = response;
            s->fr_total = total, s->fr_next = 1, s->fr_len = 0, s->fr_first = m.sk_next;
        }
        if (num != s->fr_next || total != s->fr_total || m.hdr.msgid != s->fr_msgid ||
            response != s->fr_resp || s->fr_len + inl > sizeof s->fr_buf) {
            s->fr_next = 0;
            return;
        }
        if (inl) memcpy(s->fr_buf + s->fr_len, in, inl);
        s->fr_len += inl;
        s->fr_next++;
        if (num < total) return;
        s->fr_next = 0;
        in = s->fr_buf, inl = s->fr_len, first = s->fr_first;
    } else {
        FUZZ_CHECK(ike_sk_open(&s->keys, sender_init, b, n, off, &in, &inl) == 0);
    }
    static struct ike_pl pl[IKE_MAX_PAYLOADS];
    int npl = 0;
    FUZZ_CHECK(ike_payloads_walk(first, in, inl, pl, IKE_MAX_PAYLOADS, &npl, &crit) ==
               IKE_DROP_NONE);
    if (response) {
        keep(&s->resp, &m.hdr, first, in, inl);
    } else {
        keep(&s->ereq, &m.hdr, first, in, inl);
        s->last_ereq_msgid = m.hdr.msgid;
    }
}

static void drain(void)
{
    for (int i = 0; i < outq.n; i++) {
        from_engine(&outq.d[i]);
        free(outq.d[i].buf);
    }
    outq.n = 0;
}

/* ---- what the client sends ---- */

/* The datagrams of the last message sent, unframed, for REPLAY. */
#define LASTG (FRAG_MAX + 10)
static struct {
    uint8_t *b[LASTG];
    size_t n[LASTG];
    int cnt;
} lastg;

static void group_begin(void)
{
    for (int i = 0; i < lastg.cnt; i++) free(lastg.b[i]);
    lastg.cnt = 0;
}

/* One IKE message from the client's endpoint, framed for the local port (4500: the non-ESP
 * marker); kept for REPLAY when `record`. */
static void xmit(const uint8_t *msg, size_t len, bool record)
{
    static uint8_t dg[IKE_MAX_MSG + 4];
    if (len > IKE_MAX_MSG) return;
    size_t n = 0;
    if (gw.port == NATT_PORT) memset(dg, 0, 4), n = 4;
    if (len) memcpy(dg + n, msg, len);
    if (record && lastg.cnt < LASTG) {
        lastg.b[lastg.cnt] = malloc(len ? len : 1);
        FUZZ_CHECK(lastg.b[lastg.cnt] != NULL);
        if (len) memcpy(lastg.b[lastg.cnt], msg, len);
        lastg.n[lastg.cnt++] = len;
    }
    ike_input(ike, &gw, &peer, dg, n + len);
    drain();
}

/* A protected message of a slot's SA. */
struct prot {
    uint8_t exchange, first, xflags;
    bool response;
    uint32_t msgid;
    size_t chunk; /* 0: one SK payload; else SKF fragments of this much content */
    uint8_t mode; /* fragments: see op SEALED */
};

static void hdr_for(const struct slot *s, const struct prot *p, struct ike_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->spi_i = s->spi_i, h->spi_r = s->spi_r;
    h->major = 2;
    h->exchange = p->exchange;
    h->flags =
        (uint8_t)(((s->we_init ? IKE_FLAG_INITIATOR : 0) | (p->response ? IKE_FLAG_RESPONSE : 0)) ^
                  p->xflags);
    h->msgid = p->msgid;
}

/* The inner chain `in` (first payload type p->first) sealed with the slot's keys and sent,
 * whole or as fragments (each sealed on its own, RFC 7383 §2.5). */
static void send_prot(struct slot *s, const struct prot *p, const uint8_t *in, size_t len)
{
    static uint8_t buf[IKE_MAX_MSG];
    static const uint8_t none[1];
    if (!in) in = none;
    const struct ike_suite *su = &s->keys.suite;
    size_t ivl = ike_suite_iv_len(su), block = ike_suite_block(su), icv = ike_suite_icv_len(su);
    struct ike_hdr h;
    hdr_for(s, p, &h);
    struct ike_wbuf w;
    group_begin();
    if (!p->chunk) {
        ikew_init(&w, buf, sizeof buf);
        ikew_hdr(&w, &h);
        ikew_sk_begin(&w, ivl);
        if (w.overflow) return;
        buf[w.np_off] = p->first; /* the chain is raw: its first type goes into SK's header */
        ikew_put(&w, in, len);
        size_t sk = w.sk_off;
        ikew_sk_end(&w, block, icv);
        size_t n = ikew_finish(&w);
        if (n && !ike_sk_seal(&s->keys, s->we_init, ++s->iv, buf, n, sk)) xmit(buf, n, true);
        return;
    }
    size_t total = len ? (len + p->chunk - 1) / p->chunk : 1;
    if (total > FRAG_MAX + 4) total = FRAG_MAX + 4; /* past what the engine keeps, no further */
    size_t sent = p->mode & 4 && total > 1 ? total - 1 : total;
    uint16_t claim = (uint16_t)(total + (p->mode & 8 ? 1 : 0));
    for (size_t k = 0; k < sent + (p->mode & 2 ? 1 : 0); k++) {
        size_t i = k == sent ? 0 : p->mode & 1 ? sent - 1 - k : k;
        size_t off = i * p->chunk;
        size_t n = off >= len ? 0 : len - off < p->chunk ? len - off : p->chunk;
        ikew_init(&w, buf, sizeof buf);
        ikew_hdr(&w, &h);
        ikew_skf(&w, i == 0 ? p->first : IKE_PL_NONE, (uint16_t)(i + 1), claim, ivl,
                 in + (off < len ? off : 0), n, block, icv);
        size_t fl = ikew_finish(&w);
        if (fl && !ike_skf_seal(&s->keys, s->we_init, ++s->iv, buf, fl, w.sk_off))
            xmit(buf, fl, true);
    }
}

/* Inner chains are built after a scratch byte: chain[0] receives the first payload's type. */
static void chain_begin(struct ike_wbuf *w, uint8_t *buf, size_t cap)
{
    ikew_init(w, buf, cap);
    buf[0] = IKE_PL_NONE;
    w->np_off = 0;
    w->len = 1;
}

static void send_chain(struct slot *s, struct prot *p, const struct ike_wbuf *w)
{
    if (w->overflow) return;
    p->first = w->buf[0];
    send_prot(s, p, w->buf + 1, w->len - 1);
}

/* The ID of our next request, or of the gateway's last request when answering it. */
static uint32_t msgid_for(struct slot *s, bool response, bool previous, bool advance)
{
    if (response) {
        uint32_t id = s->ereq.have ? s->ereq.msgid : s->last_ereq_msgid;
        s->ereq.have = false;
        return id;
    }
    if (previous) return s->msgid - 1;
    return advance ? s->msgid++ : s->msgid;
}

/* SA payloads written by hand: more than IKE_MAX_PROPOSALS proposals can be sent. */
struct tf {
    uint8_t type;
    uint16_t id, keylen;
};

static void put_prop(struct ike_wbuf *w, bool last, uint8_t num, uint8_t proto, const uint8_t *spi,
                     uint8_t spi_size, const struct tf *t, int nt)
{
    size_t start = w->len;
    ikew_put8(w, last ? 0 : 2);
    ikew_put8(w, 0);
    ikew_put16(w, 0); /* length, below */
    ikew_put8(w, num);
    ikew_put8(w, proto);
    ikew_put8(w, spi_size);
    ikew_put8(w, (uint8_t)nt);
    ikew_put(w, spi, spi_size);
    for (int i = 0; i < nt; i++) {
        ikew_put8(w, i + 1 < nt ? 3 : 0);
        ikew_put8(w, 0);
        ikew_put16(w, t[i].keylen ? 12 : 8);
        ikew_put8(w, t[i].type);
        ikew_put8(w, 0);
        ikew_put16(w, t[i].id);
        if (t[i].keylen) {
            ikew_put16(w, 0x8000 | IKE_ATTR_KEY_LENGTH);
            ikew_put16(w, t[i].keylen);
        }
    }
    if (!w->overflow) {
        size_t l = w->len - start;
        w->buf[start + 2] = (uint8_t)(l >> 8), w->buf[start + 3] = (uint8_t)l;
    }
}

static void put_esp_sa(struct ike_wbuf *w, uint32_t spi, bool pfs)
{
    uint8_t sb[4];
    put32(sb, spi);
    struct tf t[3];
    int n = 0;
    t[n++] = (struct tf){IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128};
    if (pfs) t[n++] = (struct tf){IKE_TT_DH, IKE_DH_CURVE25519, 0};
    t[n++] = (struct tf){IKE_TT_ESN, IKE_ESN_NO, 0};
    size_t st = ikew_pl_begin(w, IKE_PL_SA, false);
    put_prop(w, true, 1, IKE_PROTO_ESP, sb, 4, t, n);
    ikew_pl_end(w, st);
}

static void put_ts(struct ike_wbuf *w, bool narrow)
{
    struct ike_ts_set ts;
    memset(&ts, 0, sizeof ts);
    ts.n = 1;
    ts.ts[0].type = IKE_TS_IPV4_ADDR_RANGE, ts.ts[0].eport = 65535;
    if (narrow) {
        memcpy(ts.ts[0].saddr, &origin.addr, 4);
        memcpy(ts.ts[0].eaddr, &origin.addr, 4);
    } else {
        memset(ts.ts[0].eaddr, 0xff, 4);
    }
    ikew_ts(w, IKE_PL_TSI, &ts);
    if (narrow) {
        uint32_t lo = htonl(0xc0a80100u), hi = htonl(0xc0a801ffu);
        memcpy(ts.ts[0].saddr, &lo, 4);
        memcpy(ts.ts[0].eaddr, &hi, 4);
    }
    ikew_ts(w, IKE_PL_TSR, &ts);
}

static void fill_nonce(uint8_t *n, size_t len)
{
    ++ctr;
    for (size_t i = 0; i < len; i++) n[i] = (uint8_t)(0x5a + i * 13 + ctr * 7 + (unsigned)cur);
}

/* The suite of an SA payload's proposal: one transform of each type. */
static struct ike_suite suite_of(const struct ike_sa_pl *sa, const struct ike_proposal *p)
{
    struct ike_suite su = {0};
    const struct ike_transform *t = ike_prop_transforms(sa, p);
    for (int i = 0; i < p->ntrans; i++) switch (t[i].type) {
        case IKE_TT_ENCR: su.encr = t[i].id, su.keylen = t[i].keylen; break;
        case IKE_TT_PRF: su.prf = t[i].id; break;
        case IKE_TT_INTEG: su.integ = t[i].id; break;
        case IKE_TT_DH: su.dh = t[i].id; break;
        }
    return su;
}

/* A new IKE SA (a rekey) in the next slot after the current one that holds none (else the
 * one after the current one). */
static struct slot *slot_rekeyed(const struct slot *old, bool we_init, uint64_t spi_i,
                                 uint64_t spi_r)
{
    struct slot *n = &slots[(cur + 1) % NSLOT];
    for (int k = 1; k < NSLOT; k++)
        if (!slots[(cur + k) % NSLOT].up) {
            n = &slots[(cur + k) % NSLOT];
            break;
        }
    slot_reset(n);
    n->up = true, n->we_init = we_init;
    n->spi_i = spi_i, n->spi_r = spi_r;
    n->frag_mtu = old->frag_mtu;
    memcpy(n->child_spi, old->child_spi, sizeof n->child_spi); /* the CHILD_SAs move too */
    n->nchild = old->nchild;
    return n;
}

static const struct ike_pl *find(const struct ike_pl *pl, int npl, uint8_t type)
{
    return ike_pl_find(pl, npl, type);
}

/* An answer's SA payload keeps the number of the proposal chosen (RFC 7296 §3.3.1), which
 * ike_parse_sa, made for offers (whose first proposal is 1), refuses: a copy is parsed as 1. */
static bool parse_answer_sa(const struct ike_pl *p, struct ike_sa_pl *sa)
{
    static uint8_t copy[IKE_MAX_MSG];
    if (p->len < 8 || p->len > sizeof copy) return false;
    memcpy(copy, p->body, p->len);
    copy[4] = 1;
    return ike_parse_sa(copy, p->len, sa) == IKE_DROP_NONE;
}

static bool has_notify(const struct ike_pl *pl, int npl, uint16_t type)
{
    struct ike_notify n;
    for (int i = 0; i < npl; i++)
        if (pl[i].type == IKE_PL_NOTIFY && !ike_parse_notify(pl[i].body, pl[i].len, &n) &&
            n.type == type)
            return true;
    return false;
}

static bool walk(const struct inmsg *im, struct ike_pl *pl, int *npl)
{
    uint8_t crit = 0;
    *npl = 0;
    return im->have && ike_payloads_walk(im->first, im->buf, im->len, pl, IKE_MAX_PAYLOADS, npl,
                                         &crit) == IKE_DROP_NONE;
}

/* ---- IKE_SA_INIT ---- */

static void natd(uint64_t spi_i, uint64_t spi_r, const struct ike_ep *ep, uint8_t out[20])
{
    uint8_t in[22];
    put64(in, spi_i);
    put64(in + 8, spi_r);
    memcpy(in + 16, &ep->addr, 4);
    in[20] = (uint8_t)(ep->port >> 8), in[21] = (uint8_t)ep->port;
    unsigned int l = 20;
    FUZZ_CHECK(EVP_Digest(in, sizeof in, out, &l, EVP_sha1(), NULL));
}

/* strongSwan 5.9's default IKE proposal: 22 and 18 transforms. */
static const struct tf sw_cbc[] = {
    {IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128},
    {IKE_TT_ENCR, IKE_ENCR_AES_CBC, 192},
    {IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256},
    {IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
    {IKE_TT_INTEG, 13, 0},
    {IKE_TT_INTEG, 14, 0},
    {IKE_TT_INTEG, 2, 0},
    {IKE_TT_INTEG, 5, 0},
    {IKE_TT_PRF, 5, 0},
    {IKE_TT_PRF, 6, 0},
    {IKE_TT_PRF, 7, 0},
    {IKE_TT_PRF, 4, 0},
    {IKE_TT_PRF, 2, 0},
    {IKE_TT_DH, 31, 0},
    {IKE_TT_DH, 19, 0},
    {IKE_TT_DH, 20, 0},
    {IKE_TT_DH, 21, 0},
    {IKE_TT_DH, 15, 0},
    {IKE_TT_DH, 16, 0},
    {IKE_TT_DH, 17, 0},
    {IKE_TT_DH, 18, 0},
    {IKE_TT_DH, 14, 0},
};
static const struct tf sw_aead[] = {
    {IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 192},
    {IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {IKE_TT_ENCR, 28, 0},
    {IKE_TT_PRF, 5, 0},
    {IKE_TT_PRF, 6, 0},
    {IKE_TT_PRF, 7, 0},
    {IKE_TT_PRF, 4, 0},
    {IKE_TT_PRF, 2, 0},
    {IKE_TT_DH, 31, 0},
    {IKE_TT_DH, 19, 0},
    {IKE_TT_DH, 20, 0},
    {IKE_TT_DH, 21, 0},
    {IKE_TT_DH, 15, 0},
    {IKE_TT_DH, 16, 0},
    {IKE_TT_DH, 17, 0},
    {IKE_TT_DH, 18, 0},
    {IKE_TT_DH, 14, 0},
};

/* The groups of our proposals: the KE's first, then those the gateway takes. */
static int put_groups(struct tf *t, uint16_t group)
{
    int n = 0;
    t[n++] = (struct tf){IKE_TT_DH, group, 0};
    if (group != IKE_DH_CURVE25519) t[n++] = (struct tf){IKE_TT_DH, IKE_DH_CURVE25519, 0};
    if (group != IKE_DH_ECP256) t[n++] = (struct tf){IKE_TT_DH, IKE_DH_ECP256, 0};
    return n;
}

static void put_init_sa(struct ike_wbuf *w, int variant, uint16_t group, bool second)
{
    struct tf t[8];
    int n = 0;
    size_t st = ikew_pl_begin(w, IKE_PL_SA, false);
    switch (variant) {
    case 0:
        t[n++] = (struct tf){IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128};
        t[n++] = (struct tf){IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0};
        n += put_groups(t + n, group);
        put_prop(w, true, 1, IKE_PROTO_IKE, NULL, 0, t, n);
        break;
    case 1:
        t[n++] = (struct tf){IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128};
        t[n++] = (struct tf){IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0};
        t[n++] = (struct tf){IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0};
        n += put_groups(t + n, group);
        put_prop(w, true, 1, IKE_PROTO_IKE, NULL, 0, t, n);
        break;
    case 2:
        put_prop(w, false, 1, IKE_PROTO_IKE, NULL, 0, sw_cbc,
                 (int)(sizeof sw_cbc / sizeof *sw_cbc));
        put_prop(w, true, 2, IKE_PROTO_IKE, NULL, 0, sw_aead,
                 (int)(sizeof sw_aead / sizeof *sw_aead));
        break;
    default: {
        /* 70 proposals: 3DES (which the gateway does not take) but one, the 70th or 2nd. */
        int good = second ? 2 : 70;
        for (int i = 1; i <= 70; i++) {
            n = 0;
            if (i == good) {
                t[n++] = (struct tf){IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128};
            } else {
                t[n++] = (struct tf){IKE_TT_ENCR, 3, 0};
                t[n++] = (struct tf){IKE_TT_INTEG, IKE_INTEG_HMAC_SHA1_96, 0};
            }
            t[n++] = (struct tf){IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0};
            n += put_groups(t + n, group);
            put_prop(w, i == 70, (uint8_t)i, IKE_PROTO_IKE, NULL, 0, t, n);
        }
        break;
    }
    }
    ikew_pl_end(w, st);
}

static size_t build_init(struct slot *s, uint64_t spi, uint8_t f, uint8_t g, uint16_t group,
                         const uint8_t *pub, size_t publen, const uint8_t *cookie, size_t cookielen)
{
    struct ike_wbuf w;
    ikew_init(&w, s->init_req, sizeof s->init_req);
    struct ike_hdr h = {
        .spi_i = spi, .major = 2, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR};
    ikew_hdr(&w, &h);
    if (cookielen) ikew_notify(&w, 0, NULL, 0, IKE_N_COOKIE, cookie, cookielen);
    put_init_sa(&w, (f >> 4) & 3, group, g & 0x80);
    ikew_ke(&w, group, pub, publen);
    ikew_nonce(&w, s->ni, s->nilen);
    if (f & 0x80) {
        /* NAT-D: hashes of where we send from and to, or of other endpoints (a NAT). */
        struct ike_ep other = {htonl(0xc0a80002u), 500};
        uint8_t hs[20], hd[20];
        natd(spi, 0, g & 0x40 ? &peer : &other, hs);
        natd(spi, 0, g & 0x40 ? &gw : &other, hd);
        ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, hs, 20);
        ikew_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, hd, 20);
    }
    if (f & 0x40) ikew_notify(&w, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    if (g & 1) ikew_notify(&w, 0, NULL, 0, IKE_N_REDIRECT_SUPPORTED, NULL, 0);
    if (g & 2) {
        struct ike_redirect rd = {.gw_type = 1, .gw_len = 4};
        uint32_t from = htonl(0x0a090909u);
        memcpy(rd.gw, &from, 4);
        uint8_t data[2 + 255];
        size_t dl = ike_redirect_data(&rd, data, sizeof data);
        ikew_notify(&w, 0, NULL, 0, IKE_N_REDIRECTED_FROM, data, dl);
    }
    if (g & 4) {
        static const uint8_t hashes[] = {0, 2, 0, 3, 0, 4};
        ikew_notify(&w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof hashes);
    }
    return ikew_finish(&w);
}

/* The gateway's answer to our IKE_SA_INIT: 1 to ask again (COOKIE, INVALID_KE), 0 done. */
static int init_answer(struct slot *s, uint8_t g, struct ike_dh *dh, uint16_t *group, bool *asked,
                       uint8_t *cookie, size_t *cookielen)
{
    if (!ians.have) return 0;
    static struct ike_msg m;
    uint8_t crit = 0;
    FUZZ_CHECK(ike_msg_parse(ians.buf, ians.len, &m, &crit) == IKE_DROP_NONE);
    if (!m.hdr.spi_r) {
        struct ike_notify n;
        FUZZ_CHECK(m.npl == 1 && m.pl[0].type == IKE_PL_NOTIFY &&
                   !ike_parse_notify(m.pl[0].body, m.pl[0].len, &n));
        if (n.type == IKE_N_COOKIE && !(g & 0x10) && n.len <= 64) {
            memcpy(cookie, n.data, n.len);
            *cookielen = n.len;
            return 1;
        }
        if (n.type == IKE_N_INVALID_KE_PAYLOAD) {
            /* §1.2: a group the gateway takes, with which a proposal would be accepted: asked
             * again in it, it does not refuse the group (no ping-pong between two groups). */
            FUZZ_CHECK(n.len == 2);
            uint16_t want = (uint16_t)(n.data[0] << 8 | n.data[1]);
            FUZZ_CHECK(want != *group && (want == IKE_DH_CURVE25519 || want == IKE_DH_ECP256));
            FUZZ_CHECK(!*asked);
            if (g & 0x20) return 0;
            *group = want;
            *asked = true;
            return 1;
        }
        return 0;
    }
    const struct ike_pl *psa = find(m.pl, m.npl, IKE_PL_SA), *pke = find(m.pl, m.npl, IKE_PL_KE),
                        *pno = find(m.pl, m.npl, IKE_PL_NONCE);
    FUZZ_CHECK(psa && pke && pno && dh);
    static struct ike_sa_pl sa;
    FUZZ_CHECK(parse_answer_sa(psa, &sa) && sa.nprop == 1);
    struct ike_suite su = suite_of(&sa, &sa.prop[0]);
    struct ike_ke ke;
    FUZZ_CHECK(!ike_parse_ke(pke->body, pke->len, &ke) && ke.group == *group && su.dh == *group);
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t gl = ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir);
    FUZZ_CHECK(gl > 0);
    FUZZ_CHECK(!ike_parse_nonce(pno->body, pno->len));
    memcpy(s->nr, pno->body, pno->len);
    s->nrlen = pno->len;
    FUZZ_CHECK(!ike_derive_ike_keys(&su, s->ni, s->nilen, s->nr, s->nrlen, gir, gl, m.hdr.spi_i,
                                    m.hdr.spi_r, &s->keys));
    s->up = s->we_init = true;
    s->spi_i = m.hdr.spi_i, s->spi_r = m.hdr.spi_r;
    s->msgid = 1;
    s->frag_mtu = has_notify(m.pl, m.npl, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) ? CFG_MTU : 0;
    return 0;
}

/* An IKE_SA_INIT request of a header only, from an endpoint: the engine looks for a half-open
 * SA of that SPIi and endpoint, then drops the request (no SA, KE, Nonce). */
static void probe_init_table(uint64_t spi_i, const struct ike_ep *local, const struct ike_ep *from)
{
    uint8_t dg[4 + IKE_HDR_LEN] = {0};
    size_t n = local->port == NATT_PORT ? 4 : 0;
    struct ike_wbuf w;
    ikew_init(&w, dg + n, IKE_HDR_LEN);
    struct ike_hdr h = {
        .spi_i = spi_i, .major = 2, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR};
    ikew_hdr(&w, &h);
    FUZZ_CHECK(ikew_finish(&w) == IKE_HDR_LEN);
    ike_input(ike, local, from, dg, n + IKE_HDR_LEN);
    drain();
}

/* ---- the steps ---- */

static void op_raw(struct rd *r)
{
    uint8_t f = u8(r);
    size_t len;
    const uint8_t *d = take(r, u16(r), &len);
    if (f & 1 && gw.port == NATT_PORT) {
        group_begin();
        xmit(d, len, true);
    } else {
        ike_input(ike, &gw, &peer, len ? d : (const uint8_t *)"", len);
        drain();
    }
}

static void op_init(struct rd *r)
{
    uint8_t f = u8(r), g = u8(r);
    struct slot *s = &slots[cur];
    uint64_t spi;
    switch (f & 3) {
    case 0: spi = s->last_spi_i ? s->last_spi_i : SPI_A; break;
    case 1: spi = SPI_A; break;
    case 2: spi = SPI_B; break;
    default: spi = 0x5000000000000000ULL | ++ctr; break;
    }
    /* A new IKE_SA_INIT: this client forgets its SA (the gateway's stays until it expires). */
    slot_reset(s);
    s->last_spi_i = spi;
    s->nilen = g & 8 ? 16 : 32;
    fill_nonce(s->ni, s->nilen);
    uint16_t group = f & 8 ? IKE_DH_MODP2048 : f & 4 ? IKE_DH_ECP256 : IKE_DH_CURVE25519;
    uint8_t cookie[64];
    size_t cookielen = 0;
    bool asked = false; /* INVALID_KE named the group we use now */
    for (int attempt = 0; attempt < 3; attempt++) {
        /* MODP2048 is refused before any DH is done: its KE is filler. */
        struct ike_dh *dh = group == IKE_DH_MODP2048 ? NULL : ike_dh_new(group);
        uint8_t pub[IKE_MAX_DH_LEN];
        size_t publen = 256;
        if (dh)
            publen = ike_dh_public(dh, pub, sizeof pub);
        else
            memset(pub, 0x42, publen);
        size_t n = build_init(s, spi, f, g, group, pub, publen, cookie, cookielen);
        s->init_req_len = n;
        s->init_local = gw, s->init_peer = peer;
        int again = 0;
        if (n) {
            ians.spi_i = spi, ians.have = false;
            group_begin();
            xmit(s->init_req, n, true);
            again = init_answer(s, g, dh, &group, &asked, cookie, &cookielen);
        }
        ike_dh_free(dh);
        if (!again) return;
    }
}

static void op_auth(struct rd *r)
{
    uint8_t f = u8(r);
    struct slot *s = &slots[cur];
    if (!s->up || !s->init_req_len) return;
    static uint8_t chain[2048];
    struct ike_wbuf w;
    chain_begin(&w, chain, sizeof chain);
    uint8_t idb[4 + 32] = {0};
    size_t il;
    switch ((f >> 4) & 3) {
    case 0: idb[0] = IKE_ID_FQDN, il = 6, memcpy(idb + 4, "client", il); break;
    case 1: idb[0] = IKE_ID_KEY_ID, il = 6, memcpy(idb + 4, "group1", il); break;
    case 2: idb[0] = IKE_ID_IPV4_ADDR, il = 4, memcpy(idb + 4, &origin.addr, il); break;
    default: idb[0] = IKE_ID_RFC822_ADDR, il = 16, memcpy(idb + 4, "user@example.com", il); break;
    }
    ikew_id(&w, IKE_PL_IDI, idb[0], idb + 4, il);
    size_t ol;
    uint8_t *oct = ike_signed_octets(s->keys.suite.prf, s->keys.sk_pi, s->keys.prf_len, s->init_req,
                                     s->init_req_len, s->nr, s->nrlen, idb, 4 + il, &ol);
    FUZZ_CHECK(oct != NULL);
    const char *psk = f & 8 ? "wrongkey" : "fuzzkey";
    uint8_t auth[IKE_MAX_PRF_LEN];
    size_t al = ike_psk_auth(s->keys.suite.prf, (const uint8_t *)psk, strlen(psk), oct, ol, auth);
    free(oct);
    ikew_auth(&w, IKE_AUTH_PSK, auth, al);
    if (f & 4) ikew_notify(&w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
    if (!(f & 1)) {
        struct ike_cp cp = {.cfg_type = IKE_CFG_REQUEST, .nattr = 2};
        cp.a[0] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_ADDRESS, 0, NULL};
        cp.a[1] = (struct ike_cp_attr){IKE_CA_INTERNAL_IP4_DNS, 0, NULL};
        ikew_cp(&w, &cp);
    }
    if (!(f & 2)) {
        uint32_t spi = new_child_spi();
        put_esp_sa(&w, spi, false);
        put_ts(&w, f & 0x80);
        slot_add_child(s, spi);
    }
    struct prot p = {.exchange = IKE_AUTH, .msgid = s->msgid++, .chunk = f & 0x40 ? 64 : 0};
    send_chain(s, &p, &w);
}

static void op_sealed(struct rd *r)
{
    uint8_t f = u8(r), x = u8(r), first = u8(r);
    size_t len;
    const uint8_t *d = take(r, u16(r), &len);
    size_t chunk = 0;
    uint8_t mode = 0;
    if (f & 8) {
        chunk = u8(r);
        if (!chunk) chunk = 256;
        mode = u8(r);
    }
    struct slot *s = &slots[cur];
    if (!s->up) return;
    static const uint8_t ex[3] = {IKE_AUTH, IKE_CREATE_CHILD_SA, IKE_INFORMATIONAL};
    struct prot p = {.exchange = (x & 3) == 3 ? x : ex[x & 3],
                     .first = first,
                     .response = f & 1,
                     .xflags = f & 4 ? IKE_FLAG_INITIATOR : 0,
                     .chunk = chunk,
                     .mode = mode};
    p.msgid = f & 0x10 && !(f & 3) ? s->msgid + 1 : msgid_for(s, f & 1, f & 2, true);
    send_prot(s, &p, d, len);
}

static void op_skf(struct rd *r)
{
    uint8_t f = u8(r);
    uint16_t num = u16(r), total = u16(r);
    uint8_t first = u8(r);
    size_t len;
    const uint8_t *d = take(r, u8(r), &len);
    struct slot *s = &slots[cur];
    if (!s->up) return;
    static const uint8_t ex[4] = {IKE_AUTH, IKE_CREATE_CHILD_SA, IKE_INFORMATIONAL,
                                  IKE_INFORMATIONAL};
    struct prot p = {
        .exchange = ex[(f >> 4) & 3], .response = f & 1, .xflags = f & 8 ? IKE_FLAG_INITIATOR : 0};
    p.msgid = msgid_for(s, f & 1, f & 2, false);
    if (!(f & 1) && !(f & 2) && f & 4) s->msgid++;
    static uint8_t buf[1024];
    const struct ike_suite *su = &s->keys.suite;
    struct ike_hdr h;
    hdr_for(s, &p, &h);
    struct ike_wbuf w;
    ikew_init(&w, buf, sizeof buf);
    ikew_hdr(&w, &h);
    ikew_skf(&w, first, 1, 1, ike_suite_iv_len(su), len ? d : buf, len, ike_suite_block(su),
             ike_suite_icv_len(su));
    size_t fl = ikew_finish(&w);
    if (!fl) return;
    /* The numbers as given, authenticated like the rest (ikew_skf takes sane ones only). */
    buf[w.sk_off + 4] = (uint8_t)(num >> 8), buf[w.sk_off + 5] = (uint8_t)num;
    buf[w.sk_off + 6] = (uint8_t)(total >> 8), buf[w.sk_off + 7] = (uint8_t)total;
    if (ike_skf_seal(&s->keys, s->we_init, ++s->iv, buf, fl, w.sk_off)) return;
    group_begin();
    xmit(buf, fl, true);
}

static void op_clock(struct rd *r)
{
    uint8_t t = u8(r);
    loop_advance(loop, t < 128 ? (int64_t)t * 500 : (int64_t)(t - 127) * 30000);
    drain();
}

static void op_peer(struct rd *r)
{
    uint8_t f = u8(r);
    switch (f & 3) {
    case 0: gw.port = NATT_PORT, peer.port = NATT_PORT; break; /* RFC 7296 §2.23 */
    case 1: peer.port = u16(r); break;                         /* NAT rebinding */
    case 2: peer.addr = htonl(0x0a000100u | u8(r)); break;
    default: peer = origin, gw.port = IKE_PORT_500; break;
    }
    if (f & 4) gw.port = gw.port == IKE_PORT_500 ? NATT_PORT : IKE_PORT_500;
}

static void op_replay(struct rd *r)
{
    uint8_t f = u8(r);
    struct slot *s = &slots[cur];
    if (f & 1) {
        if (s->init_req_len) xmit(s->init_req, s->init_req_len, false);
        return;
    }
    int n = f & 2 && lastg.cnt ? 1 : lastg.cnt;
    for (int i = 0; i < n; i++) xmit(lastg.b[i], lastg.n[i], false);
}

static void op_delete(struct rd *r)
{
    uint8_t f = u8(r), i = u8(r);
    struct slot *s = &slots[cur];
    if (!s->up) return;
    static uint8_t chain[1024];
    struct ike_wbuf w;
    chain_begin(&w, chain, sizeof chain);
    if (!(f & 1) || f & 2) {
        struct ike_delete d = {.proto = IKE_PROTO_ESP, .spi_size = 4};
        if (f & 4) {
            unsigned n = s->nchild < MAX_CHILD ? s->nchild : MAX_CHILD;
            for (unsigned k = 0; k < n; k++) put32(d.spi[d.nspi++], s->child_spi[k]);
        }
        if (!d.nspi) put32(d.spi[d.nspi++], slot_child(s, i));
        ikew_delete(&w, &d);
    }
    if (f & 3) {
        struct ike_delete d = {.proto = IKE_PROTO_IKE};
        ikew_delete(&w, &d);
    }
    struct prot p = {.exchange = IKE_INFORMATIONAL, .msgid = s->msgid++};
    send_chain(s, &p, &w);
}

/* Pick one transform of each type of a proposal of the gateway's, as a peer would answer. */
static int pick(const struct ike_sa_pl *sa, const struct ike_proposal *p, uint16_t ke_group,
                struct tf *out)
{
    const struct ike_transform *t = ike_prop_transforms(sa, p);
    int n = 0;
    bool seen[6] = {false};
    bool aead = false;
    for (int i = 0; i < p->ntrans; i++)
        if (t[i].type == IKE_TT_ENCR && !seen[IKE_TT_ENCR]) {
            seen[IKE_TT_ENCR] = true;
            aead = t[i].id == IKE_ENCR_AES_GCM_16;
            out[n++] = (struct tf){t[i].type, t[i].id, t[i].keylen};
        }
    for (int i = 0; i < p->ntrans; i++) {
        uint8_t ty = t[i].type;
        if (ty == IKE_TT_ENCR || ty >= 6 || seen[ty] || (ty == IKE_TT_INTEG && aead)) continue;
        if (ty == IKE_TT_DH && t[i].id != ke_group) continue;
        seen[ty] = true;
        out[n++] = (struct tf){ty, t[i].id, 0};
    }
    return n;
}

/* A real answer to the gateway's CREATE_CHILD_SA (its rekey of a CHILD_SA or of the IKE SA):
 * its first proposal, our nonce, a KE in its group, its selectors. Anything else: empty. */
static void real_answer(struct slot *s, struct ike_wbuf *w, bool last)
{
    static struct ike_pl pl[IKE_MAX_PAYLOADS];
    int npl;
    if (s->ereq.exchange != IKE_CREATE_CHILD_SA || !walk(&s->ereq, pl, &npl)) return;
    const struct ike_pl *psa = find(pl, npl, IKE_PL_SA), *pno = find(pl, npl, IKE_PL_NONCE),
                        *pke = find(pl, npl, IKE_PL_KE), *ptsi = find(pl, npl, IKE_PL_TSI),
                        *ptsr = find(pl, npl, IKE_PL_TSR);
    static struct ike_sa_pl sa;
    if (!psa || !pno || ike_parse_sa(psa->body, psa->len, &sa) || sa.nprop < 1) return;
    struct ike_ke ke = {0};
    if (pke && ike_parse_ke(pke->body, pke->len, &ke)) return;
    struct tf t[8];
    /* The first proposal, or the last (its number is then not 1: RFC 7296 §3.3.1). */
    const struct ike_proposal *p0 = &sa.prop[last ? sa.nprop - 1 : 0];
    int nt = pick(&sa, p0, ke.group, t);
    uint8_t nr[32], pub[IKE_MAX_DH_LEN], gir[IKE_MAX_DH_LEN];
    size_t publen = 0, gl = 0;
    fill_nonce(nr, sizeof nr);
    if (pke) {
        struct ike_dh *dh = ike_dh_new(ke.group);
        if (dh) {
            publen = ike_dh_public(dh, pub, sizeof pub);
            gl = ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir);
        }
        ike_dh_free(dh);
        FUZZ_CHECK(gl > 0); /* the gateway's own KE */
    }
    size_t st = ikew_pl_begin(w, IKE_PL_SA, false);
    if (p0->proto == IKE_PROTO_IKE) {
        FUZZ_CHECK(p0->spi_size == 8 && pke);
        uint64_t ours = 0x6000000000000000ULL | ++ctr;
        uint8_t spi[8];
        put64(spi, ours);
        put_prop(w, true, p0->num, IKE_PROTO_IKE, spi, 8, t, nt);
        ikew_pl_end(w, st);
        ikew_nonce(w, nr, sizeof nr);
        ikew_ke(w, ke.group, pub, publen);
        /* The gateway initiated this rekey: it is the new SA's initiator (§2.18). */
        struct ike_sa_pl one;
        one.nprop = one.ntrans = one.skipped = 0;
        ike_sa_pl_add_prop(&one, 1, IKE_PROTO_IKE, NULL, 0);
        for (int i = 0; i < nt; i++) ike_sa_pl_add_transform(&one, t[i].type, t[i].id, t[i].keylen);
        struct ike_suite su = suite_of(&one, &one.prop[0]);
        struct slot *n = slot_rekeyed(s, false, get64(p0->spi), ours);
        if (ike_derive_rekeyed_keys(s->keys.suite.prf, s->keys.sk_d, s->keys.prf_len, &su,
                                    pno->body, pno->len, nr, sizeof nr, gir, gl, n->spi_i, n->spi_r,
                                    &n->keys))
            n->up = false;
        return;
    }
    uint32_t spi = new_child_spi();
    uint8_t sb[4];
    put32(sb, spi);
    put_prop(w, true, p0->num, p0->proto, sb, 4, t, nt);
    ikew_pl_end(w, st);
    ikew_nonce(w, nr, sizeof nr);
    if (pke) ikew_ke(w, ke.group, pub, publen);
    if (ptsi) {
        st = ikew_pl_begin(w, IKE_PL_TSI, false);
        ikew_put(w, ptsi->body, ptsi->len);
        ikew_pl_end(w, st);
    }
    if (ptsr) {
        st = ikew_pl_begin(w, IKE_PL_TSR, false);
        ikew_put(w, ptsr->body, ptsr->len);
        ikew_pl_end(w, st);
    }
    slot_add_child(s, spi);
}

static void op_answer(struct rd *r)
{
    uint8_t f = u8(r), nt = 0, first = 0;
    uint16_t grp = 0;
    size_t len = 0;
    const uint8_t *d = NULL;
    if ((f & 3) == 2) nt = u8(r), grp = u16(r);
    if ((f & 3) == 3) first = u8(r), d = take(r, u16(r), &len);
    struct slot *s = &slots[cur];
    if (!s->up) return;
    struct prot p = {.exchange = s->ereq.have ? s->ereq.exchange : IKE_INFORMATIONAL,
                     .response = true,
                     .msgid = s->ereq.have ? s->ereq.msgid : s->last_ereq_msgid};
    static uint8_t chain[4096];
    struct ike_wbuf w;
    chain_begin(&w, chain, sizeof chain);
    if ((f & 3) == 1 && s->ereq.have) real_answer(s, &w, f & 8);
    if ((f & 3) == 2) {
        static const uint16_t types[8] = {
            IKE_N_TEMPORARY_FAILURE,  IKE_N_INVALID_KE_PAYLOAD,   IKE_N_CHILD_SA_NOT_FOUND,
            IKE_N_NO_PROPOSAL_CHOSEN, IKE_N_INVALID_SYNTAX,       IKE_N_TS_UNACCEPTABLE,
            IKE_N_NO_ADDITIONAL_SAS,  IKE_N_SINGLE_PAIR_REQUIRED,
        };
        uint16_t type = types[nt % 8];
        uint8_t gd[2] = {(uint8_t)(grp >> 8), (uint8_t)grp};
        bool ke = type == IKE_N_INVALID_KE_PAYLOAD;
        ikew_notify(&w, 0, NULL, 0, type, ke ? gd : NULL, ke ? 2 : 0);
    }
    if (!(f & 4)) s->ereq.have = false;
    if ((f & 3) == 3) {
        p.first = first;
        send_prot(s, &p, d, len);
    } else {
        send_chain(s, &p, &w);
    }
}

static void op_child(struct rd *r)
{
    uint8_t f = u8(r), i = u8(r);
    struct slot *s = &slots[cur];
    if (!s->up) return;
    int kind = f & 3;
    bool pfs = f & 4 || kind == 2;
    static uint8_t chain[2048];
    struct ike_wbuf w;
    chain_begin(&w, chain, sizeof chain);
    uint8_t ni[32];
    fill_nonce(ni, sizeof ni);
    struct ike_dh *dh = pfs ? ike_dh_new(IKE_DH_CURVE25519) : NULL;
    uint8_t pub[IKE_MAX_DH_LEN];
    size_t publen = dh ? ike_dh_public(dh, pub, sizeof pub) : 0;
    uint64_t newspi = 0;
    uint32_t cspi = 0;
    if (kind == 2) {
        newspi = 0x7000000000000000ULL | ++ctr;
        uint8_t sb[8];
        put64(sb, newspi);
        const struct ike_suite *su = &s->keys.suite;
        struct tf t[4];
        int n = 0;
        t[n++] = (struct tf){IKE_TT_ENCR, su->encr, su->keylen};
        t[n++] = (struct tf){IKE_TT_PRF, su->prf, 0};
        if (su->integ) t[n++] = (struct tf){IKE_TT_INTEG, su->integ, 0};
        t[n++] = (struct tf){IKE_TT_DH, IKE_DH_CURVE25519, 0};
        size_t st = ikew_pl_begin(&w, IKE_PL_SA, false);
        put_prop(&w, true, 1, IKE_PROTO_IKE, sb, 8, t, n);
        ikew_pl_end(&w, st);
    } else {
        if (kind & 1) {
            uint8_t ob[4];
            put32(ob, kind == 1 ? slot_child(s, i) : 0xdead0000u | i);
            ikew_notify(&w, IKE_PROTO_ESP, ob, 4, IKE_N_REKEY_SA, NULL, 0);
        }
        cspi = new_child_spi();
        put_esp_sa(&w, cspi, pfs);
    }
    ikew_nonce(&w, ni, sizeof ni);
    if (dh) ikew_ke(&w, IKE_DH_CURVE25519, pub, publen);
    if (kind != 2) put_ts(&w, false);
    struct prot p = {.exchange = IKE_CREATE_CHILD_SA, .msgid = s->msgid++};
    s->resp.have = false;
    send_chain(s, &p, &w);
    static struct ike_pl pl[IKE_MAX_PAYLOADS];
    int npl;
    if (!walk(&s->resp, pl, &npl) || s->resp.msgid != p.msgid) goto out;
    const struct ike_pl *psa = find(pl, npl, IKE_PL_SA), *pno = find(pl, npl, IKE_PL_NONCE),
                        *pke = find(pl, npl, IKE_PL_KE);
    if (!psa) goto out;
    if (kind != 2) {
        slot_add_child(s, cspi);
        goto out;
    }
    /* Our rekey of the IKE SA was accepted: we are the new SA's initiator. An answer of another
     * shape is the gateway's cached answer to an earlier request of this message ID (ours lag
     * behind its window after SKF steps that completed a message): nothing to take from it. */
    static struct ike_sa_pl sa;
    struct ike_ke ke;
    if (s->resp.exchange != IKE_CREATE_CHILD_SA || !pno || !pke || !parse_answer_sa(psa, &sa) ||
        sa.nprop != 1 || sa.prop[0].proto != IKE_PROTO_IKE || sa.prop[0].spi_size != 8 ||
        ike_parse_ke(pke->body, pke->len, &ke) || ke.group != IKE_DH_CURVE25519)
        goto out;
    uint8_t gir[IKE_MAX_DH_LEN];
    size_t gl = ike_dh_shared(dh, ke.data, ke.len, gir, sizeof gir);
    FUZZ_CHECK(gl > 0); /* the gateway's own KE */
    struct ike_suite su = suite_of(&sa, &sa.prop[0]);
    struct slot *n = slot_rekeyed(s, true, newspi, get64(sa.prop[0].spi));
    if (ike_derive_rekeyed_keys(s->keys.suite.prf, s->keys.sk_d, s->keys.prf_len, &su, ni,
                                sizeof ni, pno->body, pno->len, gir, gl, n->spi_i, n->spi_r,
                                &n->keys))
        n->up = false;
    if (f & 8) { /* §2.18: the rekey's initiator deletes the old SA */
        chain_begin(&w, chain, sizeof chain);
        struct ike_delete d = {.proto = IKE_PROTO_IKE};
        ikew_delete(&w, &d);
        struct prot pd = {.exchange = IKE_INFORMATIONAL, .msgid = s->msgid++};
        send_chain(s, &pd, &w);
    }
out:
    ike_dh_free(dh);
}

static void op_kernel(struct rd *r)
{
    uint8_t f = u8(r), x = u8(r);
    uint32_t reqid = IKE_REQID_BASE + (x & 15);
    switch (f & 3) {
    case 0: ike_kernel_expire(ike, reqid, 0, false); break;
    case 1: ike_kernel_expire(ike, reqid, 0, true); break;
    case 2: ike_kernel_acquire(ike, reqid); break;
    default: ike_kernel_expire(ike, reqid, kern.last_spi, x & 0x80); break;
    }
    drain();
}

static void op_admin(struct rd *r)
{
    uint8_t f = u8(r);
    struct strbuf sb = STRBUF_INIT;
    switch (f & 7) {
    case 0: ike_show_sa(ike, false, &sb); break;
    case 1: ike_show_sa(ike, true, &sb); break;
    case 2: ike_show_ipsec_sa(ike, f & 8 ? peer.addr : 0, &sb); break;
    case 3: ike_show_session(ike, f & 8, &sb); break;
    case 4: ike_show_stats(ike, &sb); break;
    case 5: ike_clear_stats(ike); break;
    case 6: ike_clear_sa(ike, 0); break;
    default: ike_clear_sa(ike, peer.addr); break;
    }
    sb_free(&sb);
    drain();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once, trace;
    if (!once) {
        trace = getenv("FUZZ_IKE_TRACE") != NULL; /* a step-by-step account on stderr */
        log_init("fuzz_ike_engine", false);
        log_buffer_config(0, 7);
        once = true;
    }
    struct rd r = {data, size};
    for (int i = 0; i < 3; i++) cfg[i] = u8(&r);
    gw = (struct ike_ep){htonl(0x0a000001u), IKE_PORT_500};
    origin = peer = (struct ike_ep){htonl(0x0a000002u), IKE_PORT_500};
    for (int i = 0; i < NSLOT; i++) slot_reset(&slots[i]);
    cur = 0, ctr = 0, leased = 0;
    memset(&kern, 0, sizeof kern);
    ians.have = false;

    loop = loop_new(true);
    FUZZ_CHECK(loop != NULL);
    struct ike_send_port sp = {NULL, f_send};
    struct ike_policy_port pp = {.ike_proposals = f_props,
                                 .profile = f_profile,
                                 .profile_by_name = f_profile_by_name,
                                 .pool_alloc = f_alloc,
                                 .pool_release = f_release,
                                 .globals = f_globals};
    struct ike_kernel_port kp = {NULL, k_alloc_spi, k_add, k_del, k_counters};
    ike = ike_new(loop, &sp, &pp, CFG_KERNEL ? &kp : NULL);
    FUZZ_CHECK(ike != NULL);
    struct ike_redirect_port rp = {NULL, f_pick};
    ike_set_redirect(ike, &rp);
    bool dbg = cfg[2] & 0x20;
    ike_dbg_packet.on = ike_dbg_hexdump.on = ike_dbg_error.on = ike_dbg_internal.on = dbg;

    struct ike_stats st;
    static const char *const names[16] = {"RAW",    "INIT",   "AUTH",   "SEALED", "SKF",    "CLOCK",
                                          "PEER",   "REPLAY", "DELETE", "SLOT",   "ANSWER", "CHILD",
                                          "KERNEL", "ADMIN",  "CONFIG", "NOP"};
    for (int step = 0; step < MAX_STEPS && r.n; step++) {
        uint8_t op = u8(&r) & 15;
        switch (op) {
        case 0: op_raw(&r); break;
        case 1: op_init(&r); break;
        case 2: op_auth(&r); break;
        case 3: op_sealed(&r); break;
        case 4: op_skf(&r); break;
        case 5: op_clock(&r); break;
        case 6: op_peer(&r); break;
        case 7: op_replay(&r); break;
        case 8: op_delete(&r); break;
        case 9: cur = u8(&r) % NSLOT; break;
        case 10: op_answer(&r); break;
        case 11: op_child(&r); break;
        case 12: op_kernel(&r); break;
        case 13: op_admin(&r); break;
        case 14:
            for (int i = 0; i < 3; i++) cfg[i] ^= u8(&r);
            break;
        default: break;
        }
        ike_get_stats(ike, &st);
        FUZZ_CHECK(kern.installed <= (int)st.children);
        if (trace)
            fprintf(stderr,
                    "step %2d %-6s slot %d %s msgid %u request %u/%u/%u | half-open %u up %u "
                    "children %u rx %llu tx %llu frag in/reassembled %llu/%llu\n",
                    step, names[op], cur, slots[cur].up ? "up" : "--", slots[cur].msgid,
                    slots[cur].ereq.have ? slots[cur].ereq.exchange : 0, slots[cur].ereq.msgid,
                    slots[cur].ereq.first, st.half_open, st.established, st.children,
                    (unsigned long long)st.rx, (unsigned long long)st.tx,
                    (unsigned long long)st.frag_in, (unsigned long long)st.frag_reassembled);
    }
    if (trace) {
        struct strbuf sb = STRBUF_INIT;
        ike_show_stats(ike, &sb);
        fprintf(stderr, "%s", sb_str(&sb));
        sb_free(&sb);
    }

    /* Past every lifetime: whatever was left unanswered gives up, everything expires. */
    loop_advance(loop, 3LL * 86400 * 1000);
    drain();
    /* Then the half-open table is searched where the clients' SAs were: an entry that a freed
     * SA left behind (a table keyed by something that changed while the SA was in it) is read. */
    struct ike_ep here = peer;
    for (int i = 0; i < NSLOT; i++) {
        const struct slot *s = &slots[i];
        if (s->init_req_len) probe_init_table(s->last_spi_i, &s->init_local, &s->init_peer);
        if (s->up) {
            probe_init_table(s->spi_i, &s->init_local, &s->init_peer);
            probe_init_table(s->spi_i, &gw, &here);
        }
    }
    ike_get_stats(ike, &st);
    FUZZ_CHECK(st.half_open == 0 && st.established == 0 && st.children == 0);
    FUZZ_CHECK(leased == 0);         /* every pool address came back */
    FUZZ_CHECK(kern.installed == 0); /* and every SA left the kernel */
    ike_free(ike);
    ike = NULL;
    FUZZ_CHECK(outq.n == 0); /* freeing tells no peer */
    loop_free(loop);
    loop = NULL;
    ike_dbg_packet.on = ike_dbg_hexdump.on = ike_dbg_error.on = ike_dbg_internal.on = 0;
    for (int i = 0; i < NSLOT; i++) slot_reset(&slots[i]);
    group_begin();
    return 0;
}
