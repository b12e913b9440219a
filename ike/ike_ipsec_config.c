#include "ike/ike_ipsec_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ike/ike_wire.h"
#include "platform/ifname.h"
#include "platform/strbuf.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *const ike_cm_field_names[IKE_CM_NFIELDS] = {
    [IKE_CM_SUBJECT_NAME] = "subject-name",
    [IKE_CM_ISSUER_NAME] = "issuer-name",
    [IKE_CM_ALT_SUBJECT_NAME] = "alt-subject-name",
    [IKE_CM_UNSTRUCTURED_SUBJECT_NAME] = "unstructured-subject-name",
    [IKE_CM_NAME] = "name",
    [IKE_CM_SERIAL_NUMBER] = "serial-number",
};
const char *const ike_cm_op_names[IKE_CM_NOPS] = {
    [IKE_CM_EQ] = "eq", [IKE_CM_NE] = "ne", [IKE_CM_CO] = "co", [IKE_CM_NC] = "nc"};

/* REFERENCE §4: the smart defaults' contents are ours. */
static const struct ike_esp_proposal default_ts[] = {
    {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128},
};
_Static_assert(N_ELEM(default_ts) <= IKE_TS_MAX_PROPOSALS, "default transform set too long");

static const struct {
    const char *word;
    uint16_t id;
    const char *show; /* IOS's name in show output */
} integ_words[] = {
    {"esp-sha-hmac", IKE_INTEG_HMAC_SHA1_96, "esp-sha-hmac"},
    {"esp-sha256-hmac", IKE_INTEG_HMAC_SHA2_256_128, "esp-sha256-hmac"},
    {"esp-sha384-hmac", IKE_INTEG_HMAC_SHA2_384_192, "esp-sha384-hmac"},
    {"esp-sha512-hmac", IKE_INTEG_HMAC_SHA2_512_256, "esp-sha512-hmac"},
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int ike_ipsec_check_name(const char *name, size_t max, const char *what, char *err, size_t errlen)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= max) {
        set_err(err, errlen, "%% Invalid %s name: 1 to %zu characters", what, max - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= 0x20 || ch >= 0x7f) {
            set_err(err, errlen, "%% Invalid %s name: it contains an invalid character", what);
            return -1;
        }
    }
    return 0;
}

/* Free text (descriptions, subject names, values): printable, not empty, not too long. */
static int set_text(char *dst, size_t cap, const char *src, const char *what, bool one_word,
                    char *err, size_t errlen)
{
    size_t n = src ? strlen(src) : 0;
    if (n == 0 || strspn(src, " ") == n) {
        set_err(err, errlen, "%% %s: a value is required", what);
        return -1;
    }
    if (n >= cap) {
        set_err(err, errlen, "%% %s is too long (at most %zu characters)", what, cap - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f || (one_word && ch == ' ')) {
            set_err(err, errlen, "%% %s contains an invalid character", what);
            return -1;
        }
    }
    memcpy(dst, src, n + 1);
    return 0;
}

/* ---- init ---- */

static void ts_builtin(struct ike_transform_set *t)
{
    t->nprop = (int)N_ELEM(default_ts);
    memcpy(t->prop, default_ts, sizeof default_ts);
    t->mode = IKE_IPSEC_MODE_TUNNEL;
}

static void profile_builtin(struct ike_ipsec_profile *p)
{
    char name[IKE_IPSEC_NAME_MAX];
    memcpy(name, p->name, sizeof name);
    struct ike_ipsec_profile *next = p->next;
    memset(p, 0, sizeof *p);
    memcpy(p->name, name, sizeof name);
    p->next = next;
    if (!strcmp(p->name, "default")) {
        p->nts = 1;
        strcpy(p->ts[0], "default");
        strcpy(p->ikev2_profile, "default");
    }
}

int ike_ipsec_config_init(struct ike_ipsec_config *c)
{
    memset(c, 0, sizeof *c);
    c->pools = ike_pools_new();
    c->ts = calloc(1, sizeof *c->ts);
    c->profiles = calloc(1, sizeof *c->profiles);
    if (!c->pools || !c->ts || !c->profiles) {
        ike_ipsec_config_fini(c);
        return -1;
    }
    strcpy(c->ts->name, "default");
    ts_builtin(c->ts);
    c->nts = 1;
    strcpy(c->profiles->name, "default");
    profile_builtin(c->profiles);
    c->nprofiles = 1;
    return 0;
}

#define FREE_LIST(head)                                                                            \
    do {                                                                                           \
        while (head) {                                                                             \
            void *n_ = (head)->next;                                                               \
            free(head);                                                                            \
            (head) = n_;                                                                           \
        }                                                                                          \
    } while (0)

void ike_ipsec_config_fini(struct ike_ipsec_config *c)
{
    FREE_LIST(c->ts);
    FREE_LIST(c->profiles);
    FREE_LIST(c->tps);
    FREE_LIST(c->certmaps);
    FREE_LIST(c->vts);
    ike_pools_free(c->pools);
    memset(c, 0, sizeof *c);
}

/* ---- transform sets ---- */

int ike_ts_parse(int argc, const char *const *argv, struct ike_esp_proposal *out, char *err,
                 size_t errlen)
{
    struct ike_esp_proposal p = {0};
    bool have_cipher = false, have_integ = false;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        bool gcm = !strcasecmp(w, "esp-gcm"), aes = !strcasecmp(w, "esp-aes");
        if (gcm || aes) {
            if (have_cipher) {
                set_err(err, errlen, "%% A transform set takes one encryption transform");
                return -1;
            }
            have_cipher = true;
            p.encr = gcm ? IKE_ENCR_AES_GCM_16 : IKE_ENCR_AES_CBC;
            p.keylen = 128;
            if (i + 1 < argc && isdigit((unsigned char)argv[i + 1][0])) {
                const char *k = argv[++i];
                if (!strcmp(k, "128") || !strcmp(k, "256") || (aes && !strcmp(k, "192")))
                    p.keylen = (uint16_t)atoi(k);
                else {
                    set_err(err, errlen, "%% Invalid key size %s for %s", k, w);
                    return -1;
                }
            }
            continue;
        }
        size_t k = 0;
        while (k < N_ELEM(integ_words) && strcasecmp(w, integ_words[k].word)) k++;
        if (k == N_ELEM(integ_words)) {
            set_err(err, errlen, "%% Unknown transform %s", w);
            return -1;
        }
        if (have_integ) {
            set_err(err, errlen, "%% A transform set takes one integrity transform");
            return -1;
        }
        have_integ = true;
        p.integ = integ_words[k].id;
    }
    if (!have_cipher) {
        set_err(err, errlen,
                "%% A transform set needs an encryption transform (esp-gcm or "
                "esp-aes)");
        return -1;
    }
    if (p.encr == IKE_ENCR_AES_GCM_16 && have_integ) {
        set_err(err, errlen,
                "%% esp-gcm provides integrity itself: it takes no integrity "
                "transform");
        return -1;
    }
    if (p.encr == IKE_ENCR_AES_CBC && !have_integ) {
        set_err(err, errlen, "%% esp-aes needs an integrity transform (esp-sha256-hmac, ...)");
        return -1;
    }
    *out = p;
    return 0;
}

static const char *integ_word(uint16_t id)
{
    for (size_t k = 0; k < N_ELEM(integ_words); k++)
        if (integ_words[k].id == id) return integ_words[k].word;
    return "?";
}

void ike_ts_words(const struct ike_esp_proposal *p, char *buf, size_t len)
{
    const char *c = p->encr == IKE_ENCR_AES_GCM_16 ? "esp-gcm" : "esp-aes";
    char size[8] = "";
    if (p->keylen != 128) snprintf(size, sizeof size, " %u", p->keylen);
    if (p->integ != IKE_INTEG_NONE)
        snprintf(buf, len, "%s%s %s", c, size, integ_word(p->integ));
    else
        snprintf(buf, len, "%s%s", c, size);
}

/* IOS's show spelling: "esp-256-aes esp-sha256-hmac", "esp-gcm 256". */
static void ts_show_words(const struct ike_esp_proposal *p, char *buf, size_t len)
{
    if (p->encr == IKE_ENCR_AES_GCM_16) {
        ike_ts_words(p, buf, len);
        return;
    }
    char c[16];
    if (p->keylen == 128)
        snprintf(c, sizeof c, "esp-aes");
    else
        snprintf(c, sizeof c, "esp-%u-aes", p->keylen);
    snprintf(buf, len, "%s %s", c, integ_word(p->integ));
}

struct ike_transform_set *ike_ts_find(const struct ike_ipsec_config *c, const char *name)
{
    for (struct ike_transform_set *t = c->ts; t && name; t = t->next)
        if (!strcmp(t->name, name)) return t;
    return NULL;
}

struct ike_transform_set *ike_ts_define(struct ike_ipsec_config *c, const char *name,
                                        const struct ike_esp_proposal *p, char *err, size_t errlen)
{
    if (ike_ipsec_check_name(name, IKE_IPSEC_NAME_MAX, "transform set", err, errlen)) return NULL;
    struct ike_transform_set *t = ike_ts_find(c, name);
    if (!t) {
        if (c->nts >= IKE_IPSEC_MAX_OBJECTS) {
            set_err(err, errlen, "%% Too many transform sets (at most %d)", IKE_IPSEC_MAX_OBJECTS);
            return NULL;
        }
        t = calloc(1, sizeof *t);
        if (!t) {
            set_err(err, errlen, "%% Out of memory");
            return NULL;
        }
        snprintf(t->name, sizeof t->name, "%s", name);
        t->mode = IKE_IPSEC_MODE_TUNNEL;
        struct ike_transform_set **tail = &c->ts;
        while (*tail) tail = &(*tail)->next;
        *tail = t;
        c->nts++;
    }
    t->nprop = 1;
    memset(t->prop, 0, sizeof t->prop);
    t->prop[0] = *p;
    return t;
}

int ike_ts_remove(struct ike_ipsec_config *c, const char *name)
{
    for (struct ike_transform_set **pp = &c->ts; *pp; pp = &(*pp)->next) {
        struct ike_transform_set *t = *pp;
        if (strcmp(t->name, name)) continue;
        if (!strcmp(name, "default")) {
            ts_builtin(t);
        } else {
            *pp = t->next;
            free(t);
            c->nts--;
        }
        return 0;
    }
    return -1;
}

bool ike_ts_is_builtin(const struct ike_transform_set *t)
{
    return !strcmp(t->name, "default") && t->nprop == (int)N_ELEM(default_ts) &&
           !memcmp(t->prop, default_ts, sizeof default_ts) && t->mode == IKE_IPSEC_MODE_TUNNEL;
}

/* ---- profiles ---- */

struct ike_ipsec_profile *ike_profile_find(const struct ike_ipsec_config *c, const char *name)
{
    for (struct ike_ipsec_profile *p = c->profiles; p && name; p = p->next)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

struct ike_ipsec_profile *ike_profile_get(struct ike_ipsec_config *c, const char *name, char *err,
                                          size_t errlen)
{
    if (ike_ipsec_check_name(name, IKE_IPSEC_NAME_MAX, "profile", err, errlen)) return NULL;
    struct ike_ipsec_profile *p = ike_profile_find(c, name);
    if (p) return p;
    if (c->nprofiles >= IKE_IPSEC_MAX_OBJECTS) {
        set_err(err, errlen, "%% Too many IPsec profiles (at most %d)", IKE_IPSEC_MAX_OBJECTS);
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        set_err(err, errlen, "%% Out of memory");
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    struct ike_ipsec_profile **tail = &c->profiles;
    while (*tail) tail = &(*tail)->next;
    *tail = p;
    c->nprofiles++;
    return p;
}

int ike_profile_remove(struct ike_ipsec_config *c, const char *name)
{
    for (struct ike_ipsec_profile **pp = &c->profiles; *pp; pp = &(*pp)->next) {
        struct ike_ipsec_profile *p = *pp;
        if (strcmp(p->name, name)) continue;
        if (!strcmp(name, "default")) {
            profile_builtin(p);
        } else {
            *pp = p->next;
            free(p);
            c->nprofiles--;
        }
        return 0;
    }
    return -1;
}

int ike_profile_set_ts(struct ike_ipsec_profile *p, int n, const char *const *names, char *err,
                       size_t errlen)
{
    if (n < 0 || n > IKE_PROFILE_MAX_TS) {
        set_err(err, errlen, "%% At most %d transform sets", IKE_PROFILE_MAX_TS);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (ike_ipsec_check_name(names[i], IKE_IPSEC_NAME_MAX, "transform set", err, errlen))
            return -1;
        for (int j = 0; j < i; j++) {
            if (!strcmp(names[i], names[j])) {
                set_err(err, errlen, "%% Transform set %s is listed twice", names[i]);
                return -1;
            }
        }
    }
    memset(p->ts, 0, sizeof p->ts);
    for (int i = 0; i < n; i++) snprintf(p->ts[i], sizeof p->ts[i], "%s", names[i]);
    p->nts = n;
    return 0;
}

int ike_profile_set_ikev2(struct ike_ipsec_profile *p, const char *name, char *err, size_t errlen)
{
    if (!name) {
        p->ikev2_profile[0] = '\0';
        return 0;
    }
    if (ike_ipsec_check_name(name, IKE_IPSEC_NAME_MAX, "IKEv2 profile", err, errlen)) return -1;
    snprintf(p->ikev2_profile, sizeof p->ikev2_profile, "%s", name);
    return 0;
}

int ike_profile_set_lifetime_sec(struct ike_ipsec_profile *p, long sec, char *err, size_t errlen)
{
    if (sec != 0 && (sec < IKE_IPSEC_LIFETIME_SEC_MIN || sec > IKE_IPSEC_LIFETIME_SEC_MAX)) {
        set_err(err, errlen, "%% Invalid lifetime %ld seconds: the range is %d-%d", sec,
                IKE_IPSEC_LIFETIME_SEC_MIN, IKE_IPSEC_LIFETIME_SEC_MAX);
        return -1;
    }
    p->lifetime_sec = sec;
    return 0;
}

int ike_profile_set_lifetime_kb(struct ike_ipsec_profile *p, long kb, char *err, size_t errlen)
{
    if (kb != 0 && kb != -1 && (kb < IKE_IPSEC_LIFETIME_KB_MIN || kb > IKE_IPSEC_LIFETIME_KB_MAX)) {
        set_err(err, errlen, "%% Invalid lifetime %ld kilobytes: the range is %d-%d", kb,
                IKE_IPSEC_LIFETIME_KB_MIN, IKE_IPSEC_LIFETIME_KB_MAX);
        return -1;
    }
    p->lifetime_kb = kb;
    return 0;
}

static const int pfs_groups[] = {IKE_DH_MODP2048, IKE_DH_MODP3072, IKE_DH_MODP4096,  IKE_DH_ECP256,
                                 IKE_DH_ECP384,   IKE_DH_ECP521,   IKE_DH_CURVE25519};

int ike_profile_set_pfs(struct ike_ipsec_profile *p, int group, char *err, size_t errlen)
{
    bool ok = group == 0;
    for (size_t i = 0; i < N_ELEM(pfs_groups); i++) ok |= group == pfs_groups[i];
    if (!ok) {
        set_err(err, errlen, "%% Unsupported PFS group %d", group);
        return -1;
    }
    p->pfs = group;
    return 0;
}

int ike_profile_set_description(struct ike_ipsec_profile *p, const char *text, char *err,
                                size_t errlen)
{
    if (!text) {
        p->description[0] = '\0';
        return 0;
    }
    return set_text(p->description, sizeof p->description, text, "description", false, err, errlen);
}

/* ---- trustpoints ---- */

struct ike_trustpoint *ike_tp_find(const struct ike_ipsec_config *c, const char *name)
{
    for (struct ike_trustpoint *t = c->tps; t && name; t = t->next)
        if (!strcmp(t->name, name)) return t;
    return NULL;
}

struct ike_trustpoint *ike_tp_get(struct ike_ipsec_config *c, const char *name, char *err,
                                  size_t errlen)
{
    if (ike_ipsec_check_name(name, IKE_IPSEC_NAME_MAX, "trustpoint", err, errlen)) return NULL;
    struct ike_trustpoint *t = ike_tp_find(c, name);
    if (t) return t;
    if (c->ntps >= IKE_IPSEC_MAX_OBJECTS) {
        set_err(err, errlen, "%% Too many trustpoints (at most %d)", IKE_IPSEC_MAX_OBJECTS);
        return NULL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, errlen, "%% Out of memory");
        return NULL;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->revocation = IKE_TP_REVOKE_CRL;
    struct ike_trustpoint **tail = &c->tps;
    while (*tail) tail = &(*tail)->next;
    *tail = t;
    c->ntps++;
    return t;
}

int ike_tp_remove(struct ike_ipsec_config *c, const char *name)
{
    for (struct ike_trustpoint **pp = &c->tps; *pp; pp = &(*pp)->next) {
        struct ike_trustpoint *t = *pp;
        if (strcmp(t->name, name)) continue;
        *pp = t->next;
        free(t);
        c->ntps--;
        return 0;
    }
    return -1;
}

int ike_tp_set_enroll(struct ike_trustpoint *t, enum ike_tp_enroll e, const char *url, char *err,
                      size_t errlen)
{
    if (e == IKE_TP_ENROLL_URL) {
        if (set_text(t->enroll_url, sizeof t->enroll_url, url, "enrollment url", true, err, errlen))
            return -1;
    } else {
        t->enroll_url[0] = '\0';
    }
    t->enroll = e;
    return 0;
}

void ike_tp_set_revocation(struct ike_trustpoint *t, enum ike_tp_revocation r)
{
    t->revocation = r;
}

int ike_tp_set_text(struct ike_trustpoint *t, enum ike_tp_text which, const char *text, char *err,
                    size_t errlen)
{
    char *dst;
    size_t cap;
    const char *what;
    bool one_word = true;
    switch (which) {
    case IKE_TP_SUBJECT_NAME:
        dst = t->subject_name, cap = sizeof t->subject_name, what = "subject-name";
        one_word = false;
        break;
    case IKE_TP_SUBJECT_ALT_NAME:
        dst = t->subject_alt_name, cap = sizeof t->subject_alt_name, what = "subject-alt-name";
        one_word = false;
        break;
    case IKE_TP_RSAKEYPAIR:
        dst = t->rsakeypair, cap = sizeof t->rsakeypair, what = "rsakeypair";
        break;
    case IKE_TP_FQDN: dst = t->fqdn, cap = sizeof t->fqdn, what = "fqdn"; break;
    case IKE_TP_IP_ADDRESS:
        dst = t->ip_address, cap = sizeof t->ip_address, what = "ip-address";
        if (text && strcmp(text, "none")) {
            struct in_addr a;
            if (inet_pton(AF_INET, text, &a) != 1) {
                set_err(err, errlen, "%% ip-address: %s is not an IPv4 address", text);
                return -1;
            }
        }
        break;
    default: return -1;
    }
    if (!text) {
        dst[0] = '\0';
        return 0;
    }
    return set_text(dst, cap, text, what, one_word, err, errlen);
}

int ike_tp_set_auto_enroll(struct ike_trustpoint *t, int pct, char *err, size_t errlen)
{
    if (pct < -1 || pct > 100) {
        set_err(err, errlen, "%% Invalid auto-enroll percentage %d: the range is 1-100", pct);
        return -1;
    }
    t->auto_enroll = pct >= 0;
    t->auto_enroll_pct = pct > 0 ? pct : 0;
    return 0;
}

/* ---- certificate maps ---- */

struct ike_certmap *ike_certmap_find(const struct ike_ipsec_config *c, const char *name,
                                     unsigned seq)
{
    for (struct ike_certmap *m = c->certmaps; m && name; m = m->next)
        if (m->seq == seq && !strcmp(m->name, name)) return m;
    return NULL;
}

struct ike_certmap *ike_certmap_get(struct ike_ipsec_config *c, const char *name, unsigned seq,
                                    char *err, size_t errlen)
{
    if (ike_ipsec_check_name(name, IKE_CERTMAP_NAME_MAX, "certificate map", err, errlen))
        return NULL;
    if (seq < 1 || seq > 65535) {
        set_err(err, errlen, "%% Invalid sequence number %u: the range is 1-65535", seq);
        return NULL;
    }
    struct ike_certmap *m = ike_certmap_find(c, name, seq);
    if (m) return m;
    if (c->ncertmaps >= IKE_IPSEC_MAX_OBJECTS) {
        set_err(err, errlen, "%% Too many certificate map entries (at most %d)",
                IKE_IPSEC_MAX_OBJECTS);
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        set_err(err, errlen, "%% Out of memory");
        return NULL;
    }
    snprintf(m->name, sizeof m->name, "%s", name);
    m->seq = seq;
    /* After the entries of the same name with a lower number; a new name goes last. */
    struct ike_certmap **pp = &c->certmaps, **after_name = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name)) {
            if (after_name) break;
            continue;
        }
        if ((*pp)->seq > seq) break;
        after_name = &(*pp)->next;
    }
    m->next = *pp;
    *pp = m;
    c->ncertmaps++;
    return m;
}

int ike_certmap_remove(struct ike_ipsec_config *c, const char *name, unsigned seq)
{
    int found = -1;
    for (struct ike_certmap **pp = &c->certmaps; *pp;) {
        struct ike_certmap *m = *pp;
        if (!strcmp(m->name, name) && (seq == 0 || m->seq == seq)) {
            *pp = m->next;
            free(m);
            c->ncertmaps--;
            found = 0;
        } else {
            pp = &m->next;
        }
    }
    return found;
}

const struct ike_certmap *ike_certmap_next(const struct ike_ipsec_config *c, const char *name,
                                           const struct ike_certmap *prev)
{
    for (const struct ike_certmap *m = prev ? prev->next : c->certmaps; m; m = m->next)
        if (!strcmp(m->name, name)) return m;
    return NULL;
}

int ike_certmap_add_rule(struct ike_certmap *m, enum ike_cm_field f, enum ike_cm_op op,
                         const char *value, char *err, size_t errlen)
{
    if ((unsigned)f >= IKE_CM_NFIELDS || (unsigned)op >= IKE_CM_NOPS) {
        set_err(err, errlen, "%% Invalid certificate map rule");
        return -1;
    }
    struct ike_certmap_rule r = {.field = f, .op = op};
    if (set_text(r.value, sizeof r.value, value, ike_cm_field_names[f], false, err, errlen))
        return -1;
    for (char *p = r.value; *p; p++) *p = (char)tolower((unsigned char)*p);
    for (int i = 0; i < m->nrules; i++)
        if (m->rule[i].field == f && m->rule[i].op == op && !strcmp(m->rule[i].value, r.value))
            return 0;
    if (m->nrules >= IKE_CERTMAP_MAX_RULES) {
        set_err(err, errlen, "%% Too many rules in certificate map %s %u (at most %d)", m->name,
                m->seq, IKE_CERTMAP_MAX_RULES);
        return -1;
    }
    m->rule[m->nrules++] = r;
    return 0;
}

int ike_certmap_remove_rule(struct ike_certmap *m, enum ike_cm_field f, enum ike_cm_op op,
                            const char *value)
{
    char low[IKE_CM_VALUE_MAX] = "";
    if (value) {
        snprintf(low, sizeof low, "%s", value);
        for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
    }
    int found = -1, k = 0;
    for (int i = 0; i < m->nrules; i++) {
        const struct ike_certmap_rule *r = &m->rule[i];
        bool match = r->field == f && (op == IKE_CM_NOPS || r->op == op) &&
                     (!value || !strcmp(r->value, low));
        if (match)
            found = 0;
        else
            m->rule[k++] = *r;
    }
    m->nrules = k;
    return found;
}

/* ---- Virtual-Template ---- */

struct ike_vtemplate *ike_vt_find(const struct ike_ipsec_config *c, unsigned long num)
{
    for (struct ike_vtemplate *v = c->vts; v; v = v->next)
        if (v->num == num) return v;
    return NULL;
}

struct ike_vtemplate *ike_vt_get(struct ike_ipsec_config *c, unsigned long num, char *err,
                                 size_t errlen)
{
    if (num < 1 || num > 65535) {
        set_err(err, errlen, "%% Invalid Virtual-Template number %lu: the range is 1-65535", num);
        return NULL;
    }
    struct ike_vtemplate **pp = &c->vts;
    while (*pp && (*pp)->num < num) pp = &(*pp)->next;
    if (*pp && (*pp)->num == num) return *pp;
    struct ike_vtemplate *v = calloc(1, sizeof *v);
    if (!v) {
        set_err(err, errlen, "%% Out of memory");
        return NULL;
    }
    v->num = num;
    v->next = *pp;
    *pp = v;
    return v;
}

void ike_vt_remove(struct ike_ipsec_config *c, unsigned long num)
{
    for (struct ike_vtemplate **pp = &c->vts; *pp; pp = &(*pp)->next) {
        if ((*pp)->num == num) {
            struct ike_vtemplate *v = *pp;
            *pp = v->next;
            free(v);
            return;
        }
    }
}

void ike_vt_reset(struct ike_vtemplate *v)
{
    unsigned long num = v->num;
    struct ike_vtemplate *next = v->next;
    memset(v, 0, sizeof *v);
    v->num = num;
    v->next = next;
}

int ike_vt_set_unnumbered(struct ike_vtemplate *v, const char *ifname, char *err, size_t errlen)
{
    if (!ifname) {
        v->unnumbered[0] = '\0';
        return 0;
    }
    struct ifname n;
    if (ifname_parse(ifname, NULL, &n, NULL) || (n.type != IFT_GIGABIT && n.type != IFT_LOOPBACK)) {
        set_err(err, errlen, "%% ip unnumbered: %s is not a GigabitEthernet or Loopback interface",
                ifname);
        return -1;
    }
    ifname_full(&n, v->unnumbered, sizeof v->unnumbered);
    return 0;
}

int ike_vt_set_tunnel_source(struct ike_vtemplate *v, const char *src, char *err, size_t errlen)
{
    if (!src) {
        v->tunnel_source[0] = '\0';
        v->tunnel_source_is_addr = false;
        v->tunnel_source_addr = 0;
        return 0;
    }
    struct in_addr a;
    struct ifname n;
    if (inet_pton(AF_INET, src, &a) == 1) {
        v->tunnel_source_is_addr = true;
        v->tunnel_source_addr = ntohl(a.s_addr);
        inet_ntop(AF_INET, &a, v->tunnel_source, sizeof v->tunnel_source);
        return 0;
    }
    if (ifname_parse(src, NULL, &n, NULL) || (n.type != IFT_GIGABIT && n.type != IFT_LOOPBACK)) {
        set_err(err, errlen,
                "%% tunnel source: %s is not an address, a GigabitEthernet or a "
                "Loopback",
                src);
        return -1;
    }
    v->tunnel_source_is_addr = false;
    v->tunnel_source_addr = 0;
    ifname_full(&n, v->tunnel_source, sizeof v->tunnel_source);
    return 0;
}

void ike_vt_set_mode(struct ike_vtemplate *v, enum ike_tunnel_mode m)
{
    v->mode = m;
}

int ike_vt_set_protection(struct ike_vtemplate *v, const char *profile, bool shared, char *err,
                          size_t errlen)
{
    if (!profile) {
        v->ipsec_profile[0] = '\0';
        v->shared = false;
        return 0;
    }
    if (ike_ipsec_check_name(profile, IKE_IPSEC_NAME_MAX, "profile", err, errlen)) return -1;
    snprintf(v->ipsec_profile, sizeof v->ipsec_profile, "%s", profile);
    v->shared = shared;
    return 0;
}

int ike_vt_set_mtu(struct ike_vtemplate *v, unsigned mtu, char *err, size_t errlen)
{
    if (mtu && (mtu < IKE_VT_MTU_MIN || mtu > IKE_VT_MTU_MAX)) {
        set_err(err, errlen, "%% Invalid ip mtu %u: the range is %d-%d", mtu, IKE_VT_MTU_MIN,
                IKE_VT_MTU_MAX);
        return -1;
    }
    v->mtu = mtu;
    return 0;
}

int ike_vt_set_tcp_mss(struct ike_vtemplate *v, unsigned mss, char *err, size_t errlen)
{
    if (mss && (mss < IKE_VT_MSS_MIN || mss > IKE_VT_MSS_MAX)) {
        set_err(err, errlen, "%% Invalid ip tcp adjust-mss %u: the range is %d-%d", mss,
                IKE_VT_MSS_MIN, IKE_VT_MSS_MAX);
        return -1;
    }
    v->tcp_mss = mss;
    return 0;
}

void ike_vt_render_ip(const struct ike_vtemplate *v, struct strbuf *out)
{
    if (v->unnumbered[0]) sb_printf(out, " ip unnumbered %s\n", v->unnumbered);
    if (v->mtu) sb_printf(out, " ip mtu %u\n", v->mtu);
    if (v->tcp_mss) sb_printf(out, " ip tcp adjust-mss %u\n", v->tcp_mss);
}

void ike_vt_render_tunnel(const struct ike_vtemplate *v, struct strbuf *out)
{
    if (v->tunnel_source[0]) sb_printf(out, " tunnel source %s\n", v->tunnel_source);
    if (v->mode == IKE_TUNNEL_MODE_IPSEC_IPV4) sb_puts(out, " tunnel mode ipsec ipv4\n");
    if (v->ipsec_profile[0])
        sb_printf(out, " tunnel protection ipsec profile %s%s\n", v->ipsec_profile,
                  v->shared ? " shared" : "");
}

/* ---- rendering ---- */

static const char *enroll_text(const struct ike_trustpoint *t, char *buf, size_t len)
{
    switch (t->enroll) {
    case IKE_TP_ENROLL_TERMINAL: return "terminal";
    case IKE_TP_ENROLL_TERMINAL_PEM: return "terminal pem";
    case IKE_TP_ENROLL_SELFSIGNED: return "selfsigned";
    case IKE_TP_ENROLL_PKCS12: return "pkcs12";
    case IKE_TP_ENROLL_URL: snprintf(buf, len, "url %s", t->enroll_url); return buf;
    default: return NULL;
    }
}

static const char *const revocation_text[] = {[IKE_TP_REVOKE_CRL] = "crl",
                                              [IKE_TP_REVOKE_NONE] = "none",
                                              [IKE_TP_REVOKE_CRL_NONE] = "crl none"};

void ike_ipsec_render_pki(const struct ike_ipsec_config *c, struct strbuf *out)
{
    char buf[IKE_IPSEC_TEXT_MAX + 8];
    for (const struct ike_trustpoint *t = c->tps; t; t = t->next) {
        sb_printf(out, "crypto pki trustpoint %s\n", t->name);
        const char *e = enroll_text(t, buf, sizeof buf);
        if (e) sb_printf(out, " enrollment %s\n", e);
        if (t->fqdn[0]) sb_printf(out, " fqdn %s\n", t->fqdn);
        if (t->ip_address[0]) sb_printf(out, " ip-address %s\n", t->ip_address);
        if (t->subject_name[0]) sb_printf(out, " subject-name %s\n", t->subject_name);
        if (t->subject_alt_name[0]) sb_printf(out, " subject-alt-name %s\n", t->subject_alt_name);
        /* IOS shows the revocation check always, its default (crl) too. */
        sb_printf(out, " revocation-check %s\n", revocation_text[t->revocation]);
        if (t->rsakeypair[0]) sb_printf(out, " rsakeypair %s\n", t->rsakeypair);
        if (t->auto_enroll) {
            sb_puts(out, " auto-enroll");
            if (t->auto_enroll_pct) sb_printf(out, " %d", t->auto_enroll_pct);
            sb_puts(out, "\n");
        }
        sb_puts(out, "!\n");
    }
    for (const struct ike_certmap *m = c->certmaps; m; m = m->next) {
        sb_printf(out, "crypto pki certificate map %s %u\n", m->name, m->seq);
        for (int i = 0; i < m->nrules; i++)
            sb_printf(out, " %s %s %s\n", ike_cm_field_names[m->rule[i].field],
                      ike_cm_op_names[m->rule[i].op], m->rule[i].value);
        sb_puts(out, "!\n");
    }
}

static void render_ts_list(const struct ike_ipsec_profile *p, struct strbuf *out)
{
    sb_puts(out, " set transform-set");
    for (int i = 0; i < p->nts; i++) sb_printf(out, " %s", p->ts[i]);
    sb_puts(out, "\n");
}

/* The default profile is rendered by difference with its built-in contents, so that loading
 * the text onto a fresh default gives the same object: a removed built-in setting shows as
 * its `no` form. */
static void render_profile(const struct ike_ipsec_profile *p, struct strbuf *out)
{
    bool dflt = !strcmp(p->name, "default");
    struct strbuf body = STRBUF_INIT;
    if (p->description[0]) sb_printf(&body, " description %s\n", p->description);
    if (p->lifetime_kb == -1)
        sb_puts(&body, " set security-association lifetime kilobytes disable\n");
    else if (p->lifetime_kb)
        sb_printf(&body, " set security-association lifetime kilobytes %ld\n", p->lifetime_kb);
    if (p->lifetime_sec)
        sb_printf(&body, " set security-association lifetime seconds %ld\n", p->lifetime_sec);
    if (!dflt) {
        if (p->nts) render_ts_list(p, &body);
    } else if (!(p->nts == 1 && !strcmp(p->ts[0], "default"))) {
        if (p->nts)
            render_ts_list(p, &body);
        else
            sb_puts(&body, " no set transform-set\n");
    }
    if (p->pfs) sb_printf(&body, " set pfs group%d\n", p->pfs);
    if (!dflt) {
        if (p->ikev2_profile[0]) sb_printf(&body, " set ikev2-profile %s\n", p->ikev2_profile);
    } else if (strcmp(p->ikev2_profile, "default")) {
        if (p->ikev2_profile[0])
            sb_printf(&body, " set ikev2-profile %s\n", p->ikev2_profile);
        else
            sb_puts(&body, " no set ikev2-profile\n");
    }
    if (!dflt || body.len) {
        sb_printf(out, "crypto ipsec profile %s\n", p->name);
        sb_puts(out, sb_str(&body));
        sb_puts(out, "!\n");
    }
    sb_free(&body);
}

void ike_ipsec_render_crypto(const struct ike_ipsec_config *c, struct strbuf *out)
{
    char words[64];
    bool any = false;
    for (const struct ike_transform_set *t = c->ts; t; t = t->next) {
        if (ike_ts_is_builtin(t)) continue;
        /* Only the built-in default holds two alternatives, and it is never rendered. */
        ike_ts_words(&t->prop[0], words, sizeof words);
        sb_printf(out, "crypto ipsec transform-set %s %s\n", t->name, words);
        /* IOS 15 and later show the mode always. */
        sb_printf(out, " mode %s\n", t->mode == IKE_IPSEC_MODE_TRANSPORT ? "transport" : "tunnel");
        any = true;
    }
    if (any) sb_puts(out, "!\n");
    for (const struct ike_ipsec_profile *p = c->profiles; p; p = p->next) render_profile(p, out);
}

int ike_ipsec_show_ts(const struct ike_ipsec_config *c, const char *name, struct strbuf *out)
{
    if (name && !ike_ts_find(c, name)) return -1;
    char words[64];
    for (const struct ike_transform_set *t = c->ts; t; t = t->next) {
        if (name && strcmp(t->name, name)) continue;
        sb_printf(out, "Transform set %s: ", t->name);
        for (int i = 0; i < t->nprop; i++) {
            ts_show_words(&t->prop[i], words, sizeof words);
            sb_printf(out, "{ %s  } ", words);
        }
        sb_printf(out, "\n   will negotiate = { %s,  }, \n   \n",
                  t->mode == IKE_IPSEC_MODE_TRANSPORT ? "Transport" : "Tunnel");
    }
    return 0;
}

int ike_ipsec_show_profile(const struct ike_ipsec_config *c, const char *name, struct strbuf *out)
{
    if (name && !ike_profile_find(c, name)) return -1;
    char words[64];
    for (const struct ike_ipsec_profile *p = c->profiles; p; p = p->next) {
        if (name && strcmp(p->name, name)) continue;
        struct ike_ipsec_sa_params sp = {0};
        ike_ipsec_sa_params(c, p->name, &sp);
        sb_printf(out, "IPSEC profile %s\n", p->name);
        if (p->description[0]) sb_printf(out, "        Description: %s\n", p->description);
        if (p->ikev2_profile[0]) sb_printf(out, "        IKEv2 Profile: %s\n", p->ikev2_profile);
        if (sp.lifetime_kb)
            sb_printf(out, "        Security association lifetime: %llu kilobytes/%u seconds\n",
                      (unsigned long long)sp.lifetime_kb, sp.lifetime_sec);
        else
            sb_printf(out,
                      "        Security association lifetime: %u seconds (volume-based rekey "
                      "disabled)\n",
                      sp.lifetime_sec);
        sb_puts(out, "        Responder-Only (Y/N): N\n");
        if (p->pfs)
            sb_printf(out, "        PFS (Y/N): Y\n        DH group:  group%d\n", p->pfs);
        else
            sb_puts(out, "        PFS (Y/N): N\n");
        sb_puts(out, "        Transform sets={ \n");
        bool implied = !p->nts && strcmp(p->name, "default");
        for (int i = 0; i < (implied ? 1 : p->nts); i++) {
            const char *tn = implied ? "default" : p->ts[i];
            const struct ike_transform_set *t = ike_ts_find(c, tn);
            sb_printf(out, "                %s:  ", tn);
            if (!t) {
                sb_puts(out, "(not defined) , \n");
                continue;
            }
            for (int k = 0; k < t->nprop; k++) {
                ts_show_words(&t->prop[k], words, sizeof words);
                sb_printf(out, "{ %s  } ", words);
            }
            sb_puts(out, ", \n");
        }
        sb_puts(out, "        }\n");
        char why[160];
        if (!ike_ipsec_profile_complete(c, p->name, why, sizeof why))
            sb_printf(out, "        Incomplete: %s\n", why);
        sb_puts(out, "\n");
    }
    return 0;
}

/* ---- lookups ---- */

int ike_ipsec_esp_offers(const struct ike_ipsec_config *c, const char *profile,
                         struct ike_esp_offer *out, size_t max)
{
    const struct ike_ipsec_profile *p = ike_profile_find(c, profile);
    if (!p) return -1;
    size_t n = 0;
    /* IOS: a profile that never had `set transform-set` uses the default transform set (the
     * default profile names it; its `no set transform-set` leaves it with none). */
    bool implied = !p->nts && strcmp(p->name, "default");
    int nts = implied ? 1 : p->nts;
    for (int i = 0; i < nts; i++) {
        const struct ike_transform_set *t = ike_ts_find(c, implied ? "default" : p->ts[i]);
        for (int k = 0; t && k < t->nprop; k++) {
            struct ike_esp_offer o = {t->prop[k], t->mode};
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = !memcmp(&out[j].prop, &o.prop, sizeof o.prop) && out[j].mode == o.mode;
            if (dup) continue;
            if (n < max) out[n] = o;
            n++;
        }
    }
    return (int)(n < max ? n : max);
}

int ike_ipsec_sa_params(const struct ike_ipsec_config *c, const char *profile,
                        struct ike_ipsec_sa_params *out)
{
    const struct ike_ipsec_profile *p = ike_profile_find(c, profile);
    if (!p) return -1;
    out->lifetime_sec =
        (uint32_t)(p->lifetime_sec ? p->lifetime_sec : IKE_IPSEC_DEFAULT_LIFETIME_SEC);
    out->lifetime_kb = p->lifetime_kb == -1 ? 0
                       : p->lifetime_kb     ? (uint64_t)p->lifetime_kb
                                            : IKE_IPSEC_DEFAULT_LIFETIME_KB;
    out->pfs = p->pfs;
    out->ikev2_profile = p->ikev2_profile;
    return 0;
}

bool ike_ipsec_profile_complete(const struct ike_ipsec_config *c, const char *profile, char *why,
                                size_t len)
{
    if (len) why[0] = '\0';
    const struct ike_ipsec_profile *p = ike_profile_find(c, profile);
    if (!p) {
        set_err(why, len, "IPsec profile %s is not defined", profile);
        return false;
    }
    if (p->nts == 0 && !strcmp(p->name, "default")) {
        set_err(why, len, "no transform set");
        return false;
    }
    for (int i = 0; i < p->nts; i++) {
        if (!ike_ts_find(c, p->ts[i])) {
            set_err(why, len, "transform set %s is not defined", p->ts[i]);
            return false;
        }
    }
    return true;
}

const char *ike_ipsec_vt_profile(const struct ike_ipsec_config *c, unsigned long num)
{
    const struct ike_vtemplate *v = ike_vt_find(c, num);
    return v && v->ipsec_profile[0] ? v->ipsec_profile : NULL;
}
