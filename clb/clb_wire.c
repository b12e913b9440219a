/* The CLB wire codec: docs/clb-protocol.md is the specification; section numbers (§) below
 * are that document's. */
#include "clb/clb_wire.h"
#include "platform/bytes.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define AUTH_VALUE_LEN 40 /* seq u64 + HMAC-SHA256 */
#define TLV_BIT(t) (UINT32_C(1) << (t))
/* Every defined TLV but AUTH has a type below 32, so a set of them fits a uint32_t. */
#define TLV_FIELD_LIMIT 32

/* The MAC's domain separation label (§9.3): 8 ASCII bytes. */
static const uint8_t mac_label[8] = {'C', 'L', 'B', '-', 'A', 'U', 'T', 'H'};
#define DIR_FROM_MEMBER 0x01
#define DIR_FROM_MASTER 0x02

/* Byte order (§4.1): everything is big-endian (platform/bytes.h). */

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

/* ---- names ---- */

const char *clb_drop_name(enum clb_drop d)
{
    static const char *const names[CLB_DROP_COUNT] = {
        [CLB_DROP_NONE] = "none",
        [CLB_DROP_SHORT] = "truncated frame",
        [CLB_DROP_MAGIC] = "bad magic",
        [CLB_DROP_LENGTH] = "bad length",
        [CLB_DROP_VERSION] = "unsupported version",
        [CLB_DROP_TYPE] = "unknown message type",
        [CLB_DROP_TLV] = "malformed TLV",
        [CLB_DROP_TLV_LEN] = "bad TLV length",
        [CLB_DROP_TLV_DUP] = "duplicate TLV",
        [CLB_DROP_TLV_CRITICAL] = "unknown critical TLV",
        [CLB_DROP_MISSING] = "missing TLV",
        [CLB_DROP_VALUE] = "value out of range",
        [CLB_DROP_AUTH_FORMAT] = "malformed AUTH TLV",
        [CLB_DROP_AUTH_MISSING] = "authentication missing",
        [CLB_DROP_AUTH_UNEXPECTED] = "unexpected authentication",
        [CLB_DROP_AUTH_NONCE] = "no nonce",
        [CLB_DROP_AUTH_MAC] = "bad HMAC",
        [CLB_DROP_AUTH_SEQ] = "replayed sequence",
        [CLB_DROP_DIRECTION] = "wrong direction",
    };
    return (unsigned)d < CLB_DROP_COUNT ? names[d] : "unknown";
}

const char *clb_type_name(uint8_t type)
{
    switch (type) {
    case CLB_HELLO: return "HELLO";
    case CLB_LOAD: return "LOAD";
    case CLB_WELCOME: return "WELCOME";
    case CLB_ACK: return "ACK";
    case CLB_REFUSE: return "REFUSE";
    case CLB_BYE: return "BYE";
    default: return "unknown";
    }
}

const char *clb_reason_name(uint16_t reason)
{
    switch (reason) {
    case CLB_REASON_AUTH: return "authentication failed";
    case CLB_REASON_VERSION: return "no common version";
    case CLB_REASON_FULL: return "cluster full";
    case CLB_REASON_NOT_MASTER: return "not master";
    case CLB_REASON_PROTOCOL: return "protocol error";
    case CLB_REASON_SHUTDOWN: return "shutdown";
    case CLB_REASON_REPLACED: return "replaced by a new connection";
    case CLB_REASON_TIMEOUT: return "holdtime expired";
    case CLB_REASON_ROLE_CHANGE: return "became master";
    default: return "unknown";
    }
}

enum clb_drop clb_direction_check(enum clb_role receiver, uint8_t type)
{
    switch (type) {
    case CLB_HELLO:
    case CLB_LOAD: return receiver == CLB_ROLE_MASTER ? CLB_DROP_NONE : CLB_DROP_DIRECTION;
    case CLB_WELCOME:
    case CLB_ACK:
    case CLB_REFUSE: return receiver == CLB_ROLE_MEMBER ? CLB_DROP_NONE : CLB_DROP_DIRECTION;
    case CLB_BYE: return CLB_DROP_NONE;
    default: return CLB_DROP_TYPE;
    }
}

/* ---- the TLVs each message defines and requires (§6) ---- */

struct msgdef {
    uint32_t defined, required;
};

/* Every LOAD TLV is required (§6.2). */
#define LOAD_TLVS                                                                                  \
    (TLV_BIT(CLB_TLV_PRIORITY) | TLV_BIT(CLB_TLV_REDIRECT_ADDR) | TLV_BIT(CLB_TLV_MEM_PERCENT) |   \
     TLV_BIT(CLB_TLV_MEM_USED) | TLV_BIT(CLB_TLV_CPU_5S) | TLV_BIT(CLB_TLV_SESSIONS) |             \
     TLV_BIT(CLB_TLV_IPSEC_SAS) | TLV_BIT(CLB_TLV_NEGOTIATING) | TLV_BIT(CLB_TLV_MAX_SESSION) |    \
     TLV_BIT(CLB_TLV_CAC_MAX_SA) | TLV_BIT(CLB_TLV_CAC_MAX_NEG))

static const struct msgdef *msgdef(uint8_t type)
{
    static const struct msgdef defs[] = {
        [CLB_HELLO] = {TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_HOSTNAME) |
                           TLV_BIT(CLB_TLV_VERSIONS) | TLV_BIT(CLB_TLV_NONCE) |
                           TLV_BIT(CLB_TLV_PRIORITY) | TLV_BIT(CLB_TLV_REDIRECT_ADDR),
                       TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_PRIORITY) |
                           TLV_BIT(CLB_TLV_REDIRECT_ADDR)},
        [CLB_LOAD] = {LOAD_TLVS, LOAD_TLVS},
        [CLB_WELCOME] = {TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_HOSTNAME) |
                             TLV_BIT(CLB_TLV_VERSIONS) | TLV_BIT(CLB_TLV_NONCE) |
                             TLV_BIT(CLB_TLV_HOLDTIME),
                         TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_NONCE) |
                             TLV_BIT(CLB_TLV_HOLDTIME)},
        [CLB_ACK] = {0, 0},
        [CLB_REFUSE] = {TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_VERSIONS) |
                            TLV_BIT(CLB_TLV_NONCE) | TLV_BIT(CLB_TLV_REASON) |
                            TLV_BIT(CLB_TLV_TEXT),
                        TLV_BIT(CLB_TLV_REASON)},
        [CLB_BYE] = {TLV_BIT(CLB_TLV_REASON) | TLV_BIT(CLB_TLV_TEXT), TLV_BIT(CLB_TLV_REASON)},
    };
    return type >= CLB_HELLO && type <= CLB_BYE ? &defs[type] : NULL;
}

/* ---- one TLV value <-> the flat set of fields every message draws from ---- */

struct fields {
    uint8_t id[CLB_ID_LEN];
    char hostname[CLB_HOSTNAME_MAX + 1];
    uint8_t ver_min, ver_max;
    uint8_t nonce[CLB_NONCE_LEN];
    uint8_t priority;
    struct clb_addr addr;
    uint32_t holdtime;
    uint16_t reason;
    char text[CLB_TEXT_MAX + 1];
    uint16_t mem_pct, cpu;
    uint64_t mem_used;
    uint32_t sessions, ipsec, neg, max_session, cac_sa, cac_neg;
};

static bool printable(const uint8_t *v, size_t l, uint8_t lo)
{
    for (size_t i = 0; i < l; i++)
        if (v[i] < lo || v[i] > 0x7e) return false;
    return true;
}

/* Parse and range-check one known TLV's value of length l into f (§7). Returns CLB_DROP_NONE,
 * CLB_DROP_TLV_LEN or CLB_DROP_VALUE. Shared by decode and encode, so that what one writes the
 * other reads. */
static enum clb_drop get_value(unsigned t, const uint8_t *v, size_t l, struct fields *f)
{
    switch (t) {
    case CLB_TLV_MEMBER_ID:
        if (l != CLB_ID_LEN) return CLB_DROP_TLV_LEN;
        memcpy(f->id, v, CLB_ID_LEN);
        return CLB_DROP_NONE;
    case CLB_TLV_HOSTNAME:
        if (l < 1 || l > CLB_HOSTNAME_MAX) return CLB_DROP_TLV_LEN;
        if (!printable(v, l, 0x21)) return CLB_DROP_VALUE;
        memcpy(f->hostname, v, l);
        f->hostname[l] = '\0';
        return CLB_DROP_NONE;
    case CLB_TLV_VERSIONS:
        if (l != 2) return CLB_DROP_TLV_LEN;
        if (v[0] < 1 || v[0] > v[1]) return CLB_DROP_VALUE;
        f->ver_min = v[0];
        f->ver_max = v[1];
        return CLB_DROP_NONE;
    case CLB_TLV_NONCE:
        if (l != CLB_NONCE_LEN) return CLB_DROP_TLV_LEN;
        /* A zero nonce stands for "not known yet" in the MAC input (§9.3). */
        if (all_zero(v, l)) return CLB_DROP_VALUE;
        memcpy(f->nonce, v, CLB_NONCE_LEN);
        return CLB_DROP_NONE;
    case CLB_TLV_PRIORITY:
        if (l != 1) return CLB_DROP_TLV_LEN;
        if (v[0] < 1 || v[0] > 100) return CLB_DROP_VALUE;
        f->priority = v[0];
        return CLB_DROP_NONE;
    case CLB_TLV_REDIRECT_ADDR:
        if (l != 4 && l != 16) return CLB_DROP_TLV_LEN;
        if (all_zero(v, l)) return CLB_DROP_VALUE; /* nowhere to redirect to */
        memset(&f->addr, 0, sizeof f->addr);
        f->addr.len = (uint8_t)l;
        memcpy(f->addr.b, v, l);
        return CLB_DROP_NONE;
    case CLB_TLV_HOLDTIME:
        if (l != 4) return CLB_DROP_TLV_LEN;
        f->holdtime = get32(v);
        return f->holdtime >= 100 && f->holdtime <= 120000 ? CLB_DROP_NONE : CLB_DROP_VALUE;
    case CLB_TLV_REASON:
        if (l != 2) return CLB_DROP_TLV_LEN;
        f->reason = get16(v);
        return f->reason != 0 ? CLB_DROP_NONE : CLB_DROP_VALUE;
    case CLB_TLV_TEXT:
        if (l < 1 || l > CLB_TEXT_MAX) return CLB_DROP_TLV_LEN;
        if (!printable(v, l, 0x20)) return CLB_DROP_VALUE;
        memcpy(f->text, v, l);
        f->text[l] = '\0';
        return CLB_DROP_NONE;
    case CLB_TLV_MEM_PERCENT:
    case CLB_TLV_CPU_5S: {
        if (l != 2) return CLB_DROP_TLV_LEN;
        uint16_t x = get16(v);
        if (x > 10000) return CLB_DROP_VALUE;
        *(t == CLB_TLV_CPU_5S ? &f->cpu : &f->mem_pct) = x;
        return CLB_DROP_NONE;
    }
    case CLB_TLV_MEM_USED:
        if (l != 8) return CLB_DROP_TLV_LEN;
        f->mem_used = get64(v);
        return CLB_DROP_NONE;
    case CLB_TLV_SESSIONS:
    case CLB_TLV_IPSEC_SAS:
    case CLB_TLV_NEGOTIATING:
    case CLB_TLV_MAX_SESSION:
    case CLB_TLV_CAC_MAX_SA:
    case CLB_TLV_CAC_MAX_NEG: {
        if (l != 4) return CLB_DROP_TLV_LEN;
        uint32_t x = get32(v);
        switch (t) {
        case CLB_TLV_SESSIONS: f->sessions = x; break;
        case CLB_TLV_IPSEC_SAS: f->ipsec = x; break;
        case CLB_TLV_NEGOTIATING: f->neg = x; break;
        case CLB_TLV_MAX_SESSION:
            if (x < 1 || x > 100000) return CLB_DROP_VALUE;
            f->max_session = x;
            break;
        case CLB_TLV_CAC_MAX_SA: f->cac_sa = x; break;
        default: f->cac_neg = x; break;
        }
        return CLB_DROP_NONE;
    }
    default: return CLB_DROP_TLV; /* not reached: callers pass defined types only */
    }
}

/* Write one TLV's value from f into v (room for CLB_TEXT_MAX bytes); returns its length. */
static size_t put_value(unsigned t, const struct fields *f, uint8_t *v)
{
    switch (t) {
    case CLB_TLV_MEMBER_ID: memcpy(v, f->id, CLB_ID_LEN); return CLB_ID_LEN;
    case CLB_TLV_HOSTNAME: {
        size_t l = strlen(f->hostname);
        memcpy(v, f->hostname, l);
        return l;
    }
    case CLB_TLV_VERSIONS:
        v[0] = f->ver_min;
        v[1] = f->ver_max;
        return 2;
    case CLB_TLV_NONCE: memcpy(v, f->nonce, CLB_NONCE_LEN); return CLB_NONCE_LEN;
    case CLB_TLV_PRIORITY: v[0] = f->priority; return 1;
    case CLB_TLV_REDIRECT_ADDR: memcpy(v, f->addr.b, f->addr.len); return f->addr.len;
    case CLB_TLV_HOLDTIME: put32(v, f->holdtime); return 4;
    case CLB_TLV_REASON: put16(v, f->reason); return 2;
    case CLB_TLV_TEXT: {
        size_t l = strlen(f->text);
        memcpy(v, f->text, l);
        return l;
    }
    case CLB_TLV_MEM_PERCENT: put16(v, f->mem_pct); return 2;
    case CLB_TLV_CPU_5S: put16(v, f->cpu); return 2;
    case CLB_TLV_MEM_USED: put64(v, f->mem_used); return 8;
    case CLB_TLV_SESSIONS: put32(v, f->sessions); return 4;
    case CLB_TLV_IPSEC_SAS: put32(v, f->ipsec); return 4;
    case CLB_TLV_NEGOTIATING: put32(v, f->neg); return 4;
    case CLB_TLV_MAX_SESSION: put32(v, f->max_session); return 4;
    case CLB_TLV_CAC_MAX_SA: put32(v, f->cac_sa); return 4;
    case CLB_TLV_CAC_MAX_NEG: put32(v, f->cac_neg); return 4;
    default: return 0;
    }
}

/* A NUL-terminated string field of a caller's struct: its length, or SIZE_MAX if the array holds
 * no NUL (the caller's bug; refused, never read past). */
static size_t field_strlen(const char *s, size_t size)
{
    size_t l = strnlen(s, size);
    return l < size ? l : SIZE_MAX;
}

/* Flatten a message into fields + the set of TLVs it carries. Returns CLB_DROP_NONE or
 * CLB_DROP_VALUE (an unterminated string, an address length not 4 or 16). */
static enum clb_drop to_fields(const struct clb_msg *m, struct fields *f, uint32_t *present)
{
    memset(f, 0, sizeof *f);
    uint32_t p = 0;
    const char *host = NULL, *text = NULL;
    switch (m->type) {
    case CLB_HELLO: {
        const struct clb_hello *h = &m->u.hello;
        memcpy(f->id, h->member_id, CLB_ID_LEN);
        f->priority = h->priority;
        f->addr = h->redirect;
        p |=
            TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_PRIORITY) | TLV_BIT(CLB_TLV_REDIRECT_ADDR);
        if (h->has_versions) {
            f->ver_min = h->ver_min;
            f->ver_max = h->ver_max;
            p |= TLV_BIT(CLB_TLV_VERSIONS);
        }
        if (h->has_nonce) {
            memcpy(f->nonce, h->nonce, CLB_NONCE_LEN);
            p |= TLV_BIT(CLB_TLV_NONCE);
        }
        host = h->hostname;
        break;
    }
    case CLB_LOAD: {
        const struct clb_load *l = &m->u.load;
        f->addr = l->redirect;
        f->priority = l->priority;
        f->mem_pct = l->mem_pct100;
        f->mem_used = l->mem_used;
        f->cpu = l->cpu_pct100;
        f->sessions = l->sessions;
        f->ipsec = l->ipsec_sas;
        f->neg = l->negotiating;
        f->max_session = l->max_session;
        f->cac_sa = l->cac_max_sa;
        f->cac_neg = l->cac_max_neg;
        p = LOAD_TLVS;
        break;
    }
    case CLB_WELCOME: {
        const struct clb_welcome *w = &m->u.welcome;
        memcpy(f->id, w->master_id, CLB_ID_LEN);
        f->holdtime = w->holdtime_ms;
        memcpy(f->nonce, w->nonce, CLB_NONCE_LEN);
        p |= TLV_BIT(CLB_TLV_MEMBER_ID) | TLV_BIT(CLB_TLV_HOLDTIME) | TLV_BIT(CLB_TLV_NONCE);
        if (w->has_versions) {
            f->ver_min = w->ver_min;
            f->ver_max = w->ver_max;
            p |= TLV_BIT(CLB_TLV_VERSIONS);
        }
        host = w->hostname;
        break;
    }
    case CLB_ACK: break;
    case CLB_REFUSE: {
        const struct clb_refuse *r = &m->u.refuse;
        f->reason = r->reason;
        p |= TLV_BIT(CLB_TLV_REASON);
        if (r->has_master_id) {
            memcpy(f->id, r->master_id, CLB_ID_LEN);
            p |= TLV_BIT(CLB_TLV_MEMBER_ID);
        }
        if (r->has_nonce) {
            memcpy(f->nonce, r->nonce, CLB_NONCE_LEN);
            p |= TLV_BIT(CLB_TLV_NONCE);
        }
        if (r->has_versions) {
            f->ver_min = r->ver_min;
            f->ver_max = r->ver_max;
            p |= TLV_BIT(CLB_TLV_VERSIONS);
        }
        text = r->text;
        break;
    }
    case CLB_BYE:
        f->reason = m->u.bye.reason;
        p |= TLV_BIT(CLB_TLV_REASON);
        text = m->u.bye.text;
        break;
    default: return CLB_DROP_TYPE;
    }
    if (f->addr.len > sizeof f->addr.b) return CLB_DROP_VALUE;
    if (host) {
        size_t l = field_strlen(host, CLB_HOSTNAME_MAX + 1);
        if (l == SIZE_MAX) return CLB_DROP_VALUE;
        memcpy(f->hostname, host, l);
        if (l) p |= TLV_BIT(CLB_TLV_HOSTNAME);
    }
    if (text) {
        size_t l = field_strlen(text, CLB_TEXT_MAX + 1);
        if (l == SIZE_MAX) return CLB_DROP_VALUE;
        memcpy(f->text, text, l);
        if (l) p |= TLV_BIT(CLB_TLV_TEXT);
    }
    *present = p;
    return CLB_DROP_NONE;
}

/* The inverse of to_fields, for a decoded set (m zeroed, version and type set). */
static void from_fields(struct clb_msg *m, const struct fields *f, uint32_t p)
{
    switch (m->type) {
    case CLB_HELLO: {
        struct clb_hello *h = &m->u.hello;
        memcpy(h->member_id, f->id, CLB_ID_LEN);
        h->priority = f->priority;
        h->redirect = f->addr;
        h->has_versions = p & TLV_BIT(CLB_TLV_VERSIONS);
        if (h->has_versions) h->ver_min = f->ver_min, h->ver_max = f->ver_max;
        h->has_nonce = p & TLV_BIT(CLB_TLV_NONCE);
        if (h->has_nonce) memcpy(h->nonce, f->nonce, CLB_NONCE_LEN);
        memcpy(h->hostname, f->hostname, sizeof h->hostname);
        break;
    }
    case CLB_LOAD: {
        struct clb_load *l = &m->u.load;
        l->redirect = f->addr;
        l->priority = f->priority;
        l->mem_pct100 = f->mem_pct;
        l->mem_used = f->mem_used;
        l->cpu_pct100 = f->cpu;
        l->sessions = f->sessions;
        l->ipsec_sas = f->ipsec;
        l->negotiating = f->neg;
        l->max_session = f->max_session;
        l->cac_max_sa = f->cac_sa;
        l->cac_max_neg = f->cac_neg;
        break;
    }
    case CLB_WELCOME: {
        struct clb_welcome *w = &m->u.welcome;
        memcpy(w->master_id, f->id, CLB_ID_LEN);
        w->holdtime_ms = f->holdtime;
        memcpy(w->nonce, f->nonce, CLB_NONCE_LEN);
        w->has_versions = p & TLV_BIT(CLB_TLV_VERSIONS);
        if (w->has_versions) w->ver_min = f->ver_min, w->ver_max = f->ver_max;
        memcpy(w->hostname, f->hostname, sizeof w->hostname);
        break;
    }
    case CLB_REFUSE: {
        struct clb_refuse *r = &m->u.refuse;
        r->reason = f->reason;
        r->has_master_id = p & TLV_BIT(CLB_TLV_MEMBER_ID);
        if (r->has_master_id) memcpy(r->master_id, f->id, CLB_ID_LEN);
        r->has_nonce = p & TLV_BIT(CLB_TLV_NONCE);
        if (r->has_nonce) memcpy(r->nonce, f->nonce, CLB_NONCE_LEN);
        r->has_versions = p & TLV_BIT(CLB_TLV_VERSIONS);
        if (r->has_versions) r->ver_min = f->ver_min, r->ver_max = f->ver_max;
        memcpy(r->text, f->text, sizeof r->text);
        break;
    }
    case CLB_BYE:
        m->u.bye.reason = f->reason;
        memcpy(m->u.bye.text, f->text, sizeof m->u.bye.text);
        break;
    default: break; /* CLB_ACK: no body */
    }
}

/* ---- encode ---- */

void clb_msg_init(struct clb_msg *m, enum clb_type type)
{
    memset(m, 0, sizeof *m);
    m->version = CLB_VERSION_MIN;
    m->type = (uint8_t)type;
}

/* Encode into buf[0..cap) (buf may be NULL with cap 0 to only check). Returns the length, or
 * 0 with *why = the reason m is refused, or CLB_DROP_NONE when only the room was missing. */
static size_t encode(const struct clb_msg *m, uint8_t *buf, size_t cap, enum clb_drop *why)
{
    *why = CLB_DROP_NONE;
    if (m->version < CLB_VERSION_MIN || m->version > CLB_VERSION_MAX) {
        *why = CLB_DROP_VERSION;
        return 0;
    }
    const struct msgdef *def = msgdef(m->type);
    if (!def) {
        *why = CLB_DROP_TYPE;
        return 0;
    }
    struct fields f, check;
    uint32_t present = 0;
    if ((*why = to_fields(m, &f, &present)) != CLB_DROP_NONE) return 0;

    /* §6: TLVs in ascending type order; AUTH is appended by clb_sign. Each value is re-read
     * with the decoder's own rules, so nothing is sent that a receiver would refuse. */
    size_t off = CLB_HDR_LEN;
    bool room = cap >= CLB_HDR_LEN;
    for (unsigned t = 1; t < TLV_FIELD_LIMIT; t++) {
        if (!(present & TLV_BIT(t))) continue;
        uint8_t v[CLB_TEXT_MAX];
        size_t l = put_value(t, &f, v);
        memset(&check, 0, sizeof check);
        if ((*why = get_value(t, v, l, &check)) != CLB_DROP_NONE) {
            *why = CLB_DROP_VALUE; /* e.g. an empty address: a value, not a length, to fix */
            return 0;
        }
        if (room && cap - off >= CLB_TLV_HDR_LEN + l) {
            put16(buf + off, (uint16_t)t);
            put16(buf + off + 2, (uint16_t)l);
            memcpy(buf + off + CLB_TLV_HDR_LEN, v, l);
        } else {
            room = false;
        }
        off += CLB_TLV_HDR_LEN + l;
    }
    if (!room || off > CLB_FRAME_MAX) return 0;
    put16(buf, CLB_MAGIC);
    buf[2] = m->version;
    buf[3] = m->type;
    put16(buf + 4, 0);
    put16(buf + 6, (uint16_t)off);
    return off;
}

enum clb_drop clb_msg_check(const struct clb_msg *m)
{
    enum clb_drop why;
    encode(m, NULL, 0, &why);
    return why;
}

size_t clb_encode(const struct clb_msg *m, uint8_t *buf, size_t cap)
{
    enum clb_drop why;
    return encode(m, buf, cap, &why);
}

/* ---- frame structure and decode ---- */

/* The header alone: SHORT, MAGIC or LENGTH, as §4.2 orders them. */
static enum clb_drop check_header(const uint8_t *f, size_t len)
{
    if (len < CLB_HDR_LEN) return CLB_DROP_SHORT;
    if (get16(f) != CLB_MAGIC) return CLB_DROP_MAGIC;
    size_t flen = get16(f + 6);
    if (flen < CLB_HDR_LEN || flen > CLB_FRAME_MAX) return CLB_DROP_LENGTH;
    if (len < flen) return CLB_DROP_SHORT;
    if (len > flen) return CLB_DROP_LENGTH;
    return CLB_DROP_NONE;
}

/* Walk the TLVs of a frame whose header passed check_header. Returns 1 with the next TLV's type,
 * value offset and length, 0 at the end, -1 if a TLV runs past the end. */
static int tlv_next(const uint8_t *f, size_t len, size_t *off, unsigned *type, size_t *voff,
                    size_t *vlen)
{
    if (*off == len) return 0;
    if (len - *off < CLB_TLV_HDR_LEN) return -1;
    size_t l = get16(f + *off + 2);
    if (l > len - *off - CLB_TLV_HDR_LEN) return -1;
    *type = get16(f + *off);
    *voff = *off + CLB_TLV_HDR_LEN;
    *vlen = l;
    *off = *voff + l;
    return 1;
}

enum clb_drop clb_frame_check(const uint8_t *f, size_t len)
{
    enum clb_drop r = check_header(f, len);
    if (r != CLB_DROP_NONE) return r;
    bool auth = false;
    size_t off = CLB_HDR_LEN, voff, vlen;
    unsigned t;
    int k;
    while ((k = tlv_next(f, len, &off, &t, &voff, &vlen)) == 1) {
        if (t == CLB_TLV_AUTH) {
            /* §9.3: the AUTH TLV is the last one, so that the MAC is the frame's last 32
             * bytes and covers everything before it. */
            if (off != len || vlen != AUTH_VALUE_LEN) return CLB_DROP_AUTH_FORMAT;
            auth = true;
        } else if (t & CLB_TLV_CRITICAL) {
            return CLB_DROP_TLV_CRITICAL; /* §8: version 1 knows no critical TLV */
        }
    }
    if (k < 0) return CLB_DROP_TLV;
    if (auth != ((get16(f + 4) & CLB_FLAG_AUTH) != 0)) return CLB_DROP_AUTH_FORMAT;
    return CLB_DROP_NONE;
}

enum clb_drop clb_decode(const uint8_t *frame, size_t len, struct clb_msg *m,
                         struct clb_decode_info *info)
{
    struct clb_decode_info scratch;
    if (!info) info = &scratch;
    memset(info, 0, sizeof *info);
    memset(m, 0, sizeof *m);

    enum clb_drop r = check_header(frame, len);
    if (r != CLB_DROP_NONE) return r;
    m->version = frame[2];
    m->type = frame[3];
    /* §8: the version is checked before the type, the type before the body. */
    if (m->version < CLB_VERSION_MIN || m->version > CLB_VERSION_MAX) return CLB_DROP_VERSION;
    const struct msgdef *def = msgdef(m->type);
    if (!def) return CLB_DROP_TYPE;
    if ((r = clb_frame_check(frame, len)) != CLB_DROP_NONE) return r;

    struct fields f;
    memset(&f, 0, sizeof f);
    uint32_t seen = 0;
    size_t off = CLB_HDR_LEN, voff, vlen;
    unsigned t;
    while (tlv_next(frame, len, &off, &t, &voff, &vlen) == 1) {
        if (t == CLB_TLV_AUTH) { /* placement checked by clb_frame_check */
            info->has_auth = true;
            info->seq = get64(frame + voff);
            continue;
        }
        if (t >= TLV_FIELD_LIMIT || !(def->defined & TLV_BIT(t))) {
            /* §8: unknown TLVs (and known ones this message does not define) are skipped. */
            info->skipped_tlvs++;
            info->skipped_bytes += CLB_TLV_HDR_LEN + vlen;
            continue;
        }
        if (seen & TLV_BIT(t)) return CLB_DROP_TLV_DUP;
        seen |= TLV_BIT(t);
        if ((r = get_value(t, frame + voff, vlen, &f)) != CLB_DROP_NONE) return r;
    }
    if (def->required & ~seen) return CLB_DROP_MISSING;
    uint8_t version = m->version, type = m->type;
    memset(m, 0, sizeof *m);
    m->version = version;
    m->type = type;
    from_fields(m, &f, seen);
    return CLB_DROP_NONE;
}

/* ---- stream reassembly ---- */

void clb_rx_init(struct clb_rx *rx)
{
    rx->have = 0;
    rx->need = CLB_HDR_LEN;
    rx->ready = false;
    rx->error = CLB_DROP_NONE;
}

size_t clb_rx_pending(const struct clb_rx *rx)
{
    return rx->ready ? 0 : rx->have;
}

int clb_rx_next(struct clb_rx *rx, const uint8_t **data, size_t *len, const uint8_t **frame,
                size_t *frame_len, enum clb_drop *why)
{
    enum clb_drop scratch;
    if (!why) why = &scratch;
    *why = CLB_DROP_NONE;
    if (rx->error != CLB_DROP_NONE) {
        *why = rx->error;
        return -1;
    }
    if (rx->ready) { /* the frame handed out last time is consumed */
        rx->ready = false;
        rx->have = 0;
        rx->need = CLB_HDR_LEN;
    }
    while (*len > 0) {
        size_t take = rx->need - rx->have;
        if (take > *len) take = *len;
        /* Before the header is complete, take only up to the magic first: a stream that is not
         * CLB is refused after two bytes, not eight. */
        if (rx->have < 2 && rx->have + take > 2) take = 2 - rx->have;
        memcpy(rx->buf + rx->have, *data, take);
        rx->have += take;
        *data += take;
        *len -= take;
        if (rx->have == 2 && get16(rx->buf) != CLB_MAGIC) {
            rx->error = CLB_DROP_MAGIC;
            break;
        }
        if (rx->have == CLB_HDR_LEN && rx->need == CLB_HDR_LEN) {
            size_t flen = get16(rx->buf + 6);
            if (flen < CLB_HDR_LEN || flen > CLB_FRAME_MAX) {
                rx->error = CLB_DROP_LENGTH;
                break;
            }
            rx->need = flen;
        }
        if (rx->have >= CLB_HDR_LEN && rx->have == rx->need) {
            rx->ready = true;
            *frame = rx->buf;
            *frame_len = rx->have;
            return 1;
        }
    }
    if (rx->error != CLB_DROP_NONE) {
        *why = rx->error;
        return -1;
    }
    return 0;
}

/* ---- authentication ---- */

int clb_nonce_new(uint8_t out[CLB_NONCE_LEN])
{
    /* All-zero is reserved (§9.2); 2^-128 per draw, but the rule is cheap to keep. */
    for (int i = 0; i < 4; i++) {
        if (RAND_bytes(out, CLB_NONCE_LEN) != 1) break;
        if (!all_zero(out, CLB_NONCE_LEN)) return 0;
    }
    memset(out, 0, CLB_NONCE_LEN);
    return -1;
}

int clb_id_new(uint8_t out[CLB_ID_LEN])
{
    if (RAND_bytes(out, CLB_ID_LEN) == 1) return 0;
    memset(out, 0, CLB_ID_LEN);
    return -1;
}

int clb_auth_init(struct clb_auth_state *a, enum clb_role role, const uint8_t *key, size_t keylen,
                  const uint8_t local_nonce[CLB_NONCE_LEN])
{
    memset(a, 0, sizeof *a);
    a->role = role;
    if (keylen > CLB_KEY_LEN_MAX || (!key && keylen) || all_zero(local_nonce, CLB_NONCE_LEN)) {
        a->keyed = true; /* fail closed: keylen 0 makes every HMAC refuse */
        return -1;
    }
    a->keyed = keylen > 0;
    if (keylen) memcpy(a->key, key, keylen);
    a->keylen = keylen;
    memcpy(a->local_nonce, local_nonce, CLB_NONCE_LEN);
    return 0;
}

void clb_auth_clear(struct clb_auth_state *a)
{
    OPENSSL_cleanse(a, sizeof *a);
}

/* HMAC-SHA256(key, label || dir || member nonce || master nonce || covered) (§9.3). Returns 0,
 * or -1 (out zeroed) on an OpenSSL failure or an empty key. */
static int auth_mac(const struct clb_auth_state *a, uint8_t dir, const uint8_t *nm,
                    const uint8_t *ns, const uint8_t *covered, size_t n, uint8_t out[CLB_MAC_LEN])
{
    if (a->keylen == 0) {
        memset(out, 0, CLB_MAC_LEN);
        return -1;
    }
    uint8_t ctx_bytes[sizeof mac_label + 1 + 2 * CLB_NONCE_LEN];
    memcpy(ctx_bytes, mac_label, sizeof mac_label);
    ctx_bytes[sizeof mac_label] = dir;
    memcpy(ctx_bytes + sizeof mac_label + 1, nm, CLB_NONCE_LEN);
    memcpy(ctx_bytes + sizeof mac_label + 1 + CLB_NONCE_LEN, ns, CLB_NONCE_LEN);

    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t ol = 0;
    bool ok = c && EVP_MAC_init(c, a->key, a->keylen, params) &&
              EVP_MAC_update(c, ctx_bytes, sizeof ctx_bytes) && EVP_MAC_update(c, covered, n) &&
              EVP_MAC_final(c, out, &ol, CLB_MAC_LEN) && ol == CLB_MAC_LEN;
    EVP_MAC_CTX_free(c); /* wipes its copy of the key */
    EVP_MAC_free(mac);
    if (!ok) {
        memset(out, 0, CLB_MAC_LEN);
        return -1;
    }
    return 0;
}

/* The first NONCE TLV of a structurally valid frame: its value offset, or 0 if there is none;
 * *vlen its length. */
static size_t find_nonce(const uint8_t *f, size_t len, size_t *vlen)
{
    size_t off = CLB_HDR_LEN, voff;
    unsigned t;
    while (tlv_next(f, len, &off, &t, &voff, vlen) == 1)
        if (t == CLB_TLV_NONCE) return voff;
    return 0;
}

static const uint8_t zero_nonce[CLB_NONCE_LEN];

size_t clb_sign(struct clb_auth_state *a, uint8_t *buf, size_t len, size_t cap)
{
    if (!a->keyed || clb_frame_check(buf, len) != CLB_DROP_NONE) return 0;
    if (get16(buf + 4) & CLB_FLAG_AUTH) return 0;
    size_t n = len + CLB_AUTH_TLV_LEN;
    if (n > cap || n > CLB_FRAME_MAX || a->send_seq == UINT64_MAX) return 0;
    /* A NONCE we send must be the one our MAC input uses (§9.2), or the peer cannot verify. */
    size_t vlen = 0, voff = find_nonce(buf, len, &vlen);
    if (voff && (vlen != CLB_NONCE_LEN || memcmp(buf + voff, a->local_nonce, CLB_NONCE_LEN)))
        return 0;

    const uint8_t *peer = a->have_peer_nonce ? a->peer_nonce : zero_nonce;
    const uint8_t *nm = a->role == CLB_ROLE_MEMBER ? a->local_nonce : peer;
    const uint8_t *ns = a->role == CLB_ROLE_MEMBER ? peer : a->local_nonce;
    uint8_t dir = a->role == CLB_ROLE_MEMBER ? DIR_FROM_MEMBER : DIR_FROM_MASTER;

    uint8_t old_hdr[4];
    memcpy(old_hdr, buf + 4, sizeof old_hdr);
    uint64_t seq = a->send_seq + 1;
    put16(buf + len, CLB_TLV_AUTH);
    put16(buf + len + 2, AUTH_VALUE_LEN);
    put64(buf + len + CLB_TLV_HDR_LEN, seq);
    put16(buf + 4, (uint16_t)(get16(buf + 4) | CLB_FLAG_AUTH));
    put16(buf + 6, (uint16_t)n);
    if (auth_mac(a, dir, nm, ns, buf, n - CLB_MAC_LEN, buf + n - CLB_MAC_LEN) != 0) {
        memcpy(buf + 4, old_hdr, sizeof old_hdr);
        return 0;
    }
    a->send_seq = seq;
    return n;
}

size_t clb_seal(struct clb_auth_state *a, const struct clb_msg *m, uint8_t *buf, size_t cap)
{
    size_t n = clb_encode(m, buf, cap);
    if (n == 0 || !a->keyed) return n;
    return clb_sign(a, buf, n, cap);
}

enum clb_drop clb_verify(struct clb_auth_state *a, const uint8_t *frame, size_t len)
{
    enum clb_drop r = clb_frame_check(frame, len);
    if (r != CLB_DROP_NONE) return r;
    bool is_signed = get16(frame + 4) & CLB_FLAG_AUTH;
    if (!a->keyed) return is_signed ? CLB_DROP_AUTH_UNEXPECTED : CLB_DROP_NONE;
    if (!is_signed) return CLB_DROP_AUTH_MISSING;

    /* §9.3: until the peer's first frame is accepted its nonce is read from that frame; the
     * member's first HELLO is sent before it knows the master's nonce, so the master checks it
     * with a zero master nonce (and the member sends nothing else until WELCOME, §5.1). */
    const uint8_t *peer = a->peer_nonce;
    if (!a->have_peer_nonce) {
        size_t vlen = 0, voff = find_nonce(frame, len, &vlen);
        if (!voff || vlen != CLB_NONCE_LEN || all_zero(frame + voff, CLB_NONCE_LEN))
            return CLB_DROP_AUTH_NONCE;
        peer = frame + voff;
    }
    const uint8_t *nm, *ns;
    uint8_t dir;
    if (a->role == CLB_ROLE_MASTER) {
        dir = DIR_FROM_MEMBER;
        nm = peer;
        ns = a->have_peer_nonce ? a->local_nonce : zero_nonce;
    } else {
        dir = DIR_FROM_MASTER;
        nm = a->local_nonce;
        ns = peer;
    }
    uint8_t mac[CLB_MAC_LEN];
    size_t covered = len - CLB_MAC_LEN;
    /* An OpenSSL failure fails closed: a zero MAC is compared and the frame refused anyway. */
    int mac_rc = auth_mac(a, dir, nm, ns, frame, covered, mac);
    if (CRYPTO_memcmp(mac, frame + covered, CLB_MAC_LEN) != 0 || mac_rc != 0)
        return CLB_DROP_AUTH_MAC;
    /* Only an authentic frame's sequence is looked at (§9.4). */
    uint64_t seq = get64(frame + len - AUTH_VALUE_LEN);
    if (seq <= a->recv_seq) return CLB_DROP_AUTH_SEQ;
    a->recv_seq = seq;
    if (!a->have_peer_nonce) {
        memcpy(a->peer_nonce, peer, CLB_NONCE_LEN);
        a->have_peer_nonce = true;
    }
    return CLB_DROP_NONE;
}
