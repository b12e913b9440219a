#include "ike/ike_config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ike/ike_wire.h"
#include "platform/bytes.h"
#include "platform/strbuf.h"

/* ---- algorithm tables ---- */

static const char *const encr_kw[IKECFG_NENCR] = {"aes-cbc-128", "aes-cbc-256", "aes-gcm-128",
                                                  "aes-gcm-256"};
static const char *const encr_help[IKECFG_NENCR] = {
    "AES-CBC-128", "AES-CBC-256", "Combined-mode,128 bit key,16 byte ICV(Authentication Tag)",
    "Combined-mode,256 bit key,16 byte ICV(Authentication Tag)"};
static const char *const encr_show[IKECFG_NENCR] = {"AES-CBC-128", "AES-CBC-256", "AES-GCM-128",
                                                    "AES-GCM-256"};
static const char *const hash_kw[IKECFG_NHASH] = {"sha1", "sha256", "sha384", "sha512"};
static const char *const integ_help[IKECFG_NHASH] = {"SHA1 (HMAC variant)", "SHA256 (HMAC variant)",
                                                     "SHA384 (HMAC variant)",
                                                     "SHA512 (HMAC variant)"};
static const char *const prf_help[IKECFG_NHASH] = {"SHA1", "SHA256", "SHA384", "SHA512"};
static const char *const hash_show[IKECFG_NHASH] = {"SHA1", "SHA256", "SHA384", "SHA512"};
/* RFC 7296 §3.3.2 transform IDs for each hash, as integrity (the truncations of RFC 4868)
 * and as PRF. */
static const uint16_t integ_id[IKECFG_NHASH] = {IKE_INTEG_HMAC_SHA1_96, IKE_INTEG_HMAC_SHA2_256_128,
                                                IKE_INTEG_HMAC_SHA2_384_192,
                                                IKE_INTEG_HMAC_SHA2_512_256};
static const uint16_t prf_id[IKECFG_NHASH] = {IKE_PRF_HMAC_SHA1, IKE_PRF_HMAC_SHA2_256,
                                              IKE_PRF_HMAC_SHA2_384, IKE_PRF_HMAC_SHA2_512};

#define NGROUPS 7
static const char *const group_kw[NGROUPS] = {"14", "15", "16", "19", "20", "21", "31"};
static const uint16_t group_val[NGROUPS] = {14, 15, 16, 19, 20, 21, 31};
static const char *const group_help[NGROUPS] = {"DH 2048 MODP",
                                                "DH 3072 MODP",
                                                "DH 4096 MODP",
                                                "DH 256 ECP",
                                                "DH 384 ECP",
                                                "DH 521 ECP",
                                                "DH 25519 ECP (Curve25519)"};
static const char *const group_show[NGROUPS] = {
    "DH_GROUP_2048_MODP/Group 14", "DH_GROUP_3072_MODP/Group 15", "DH_GROUP_4096_MODP/Group 16",
    "DH_GROUP_256_ECP/Group 19",   "DH_GROUP_384_ECP/Group 20",   "DH_GROUP_521_ECP/Group 21",
    "DH_GROUP_CURVE25519/Group 31"};

static const char *const class_kw[IKECFG_NCLASS] = {"encryption", "integrity", "prf", "group"};

size_t ike_cfg_alg_keywords(enum ike_cfg_class c, const char *const **words,
                            const char *const **helps)
{
    switch (c) {
    case IKECFG_ENCR: *words = encr_kw, *helps = encr_help; return IKECFG_NENCR;
    case IKECFG_INTEG: *words = hash_kw, *helps = integ_help; return IKECFG_NHASH;
    case IKECFG_PRF: *words = hash_kw, *helps = prf_help; return IKECFG_NHASH;
    case IKECFG_GROUP: *words = group_kw, *helps = group_help; return NGROUPS;
    default: *words = NULL, *helps = NULL; return 0;
    }
}

static int value_of_index(enum ike_cfg_class c, size_t i)
{
    return c == IKECFG_GROUP ? group_val[i] : (int)i;
}

int ike_cfg_alg_parse(enum ike_cfg_class c, const char *word)
{
    const char *const *w, *const *h;
    size_t n = ike_cfg_alg_keywords(c, &w, &h);
    if (!word || !*word) return -1;
    int hit = -1, hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcasecmp(word, w[i])) return value_of_index(c, i);
        if (!strncasecmp(word, w[i], strlen(word))) hit = value_of_index(c, i), hits++;
    }
    return hits == 1 ? hit : -1;
}

static int index_of_value(enum ike_cfg_class c, int v)
{
    if (c == IKECFG_GROUP) {
        for (int i = 0; i < NGROUPS; i++)
            if (group_val[i] == v) return i;
        return -1;
    }
    int n = c == IKECFG_ENCR ? IKECFG_NENCR : IKECFG_NHASH;
    return v >= 0 && v < n ? v : -1;
}

const char *ike_cfg_alg_keyword(enum ike_cfg_class c, int value)
{
    const char *const *w, *const *h;
    ike_cfg_alg_keywords(c, &w, &h);
    int i = index_of_value(c, value);
    return i < 0 || !w ? "unknown" : w[i];
}

const char *ike_cfg_alg_show(enum ike_cfg_class c, int value)
{
    int i = index_of_value(c, value);
    if (i < 0) return "unknown";
    switch (c) {
    case IKECFG_ENCR: return encr_show[i];
    case IKECFG_INTEG:
    case IKECFG_PRF: return hash_show[i];
    case IKECFG_GROUP: return group_show[i];
    default: return "unknown";
    }
}

bool ike_cfg_encr_is_aead(int encr)
{
    return encr == IKECFG_AES_GCM_128 || encr == IKECFG_AES_GCM_256;
}

/* ---- text checks ---- */

static int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool text_ok(const char *s, size_t cap, bool one_word)
{
    if (!s) return false;
    size_t n = strlen(s);
    if (n == 0 || n >= cap) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || (one_word && ch == ' ')) return false;
    }
    /* A LINE never starts or ends with a space: the parser trims it. */
    return s[0] != ' ' && s[n - 1] != ' ';
}

bool ike_cfg_name_ok(const char *name)
{
    return text_ok(name, IKECFG_NAME_MAX, true);
}

static int set_text(char *dst, size_t cap, const char *src, bool one_word, const char *what,
                    char *err, size_t errlen)
{
    if (!src) {
        dst[0] = '\0';
        return 0;
    }
    if (!*src) return errf(err, errlen, "%% %s: a value is required", what);
    if (strlen(src) >= cap)
        return errf(err, errlen, "%% %s is too long (at most %zu characters)", what, cap - 1);
    if (!text_ok(src, cap, one_word))
        return errf(err, errlen, "%% %s contains an invalid character", what);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static int check_name(const char *name, const char *what, char *err, size_t errlen)
{
    if (!name || !*name) return errf(err, errlen, "%% A %s name is required", what);
    if (strlen(name) >= IKECFG_NAME_MAX)
        return errf(err, errlen, "%% The %s name is too long (at most %d characters)", what,
                    IKECFG_NAME_MAX - 1);
    if (!ike_cfg_name_ok(name))
        return errf(err, errlen, "%% The %s name contains an invalid character", what);
    return 0;
}

static int mask_prefix(uint32_t mask)
{
    int len = 0;
    while (len < 32 && (mask & (0x80000000u >> len))) len++;
    if (len < 32 && (mask << len)) return -1;
    return len;
}

static void dotted(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* ---- defaults (REFERENCE §4; these are ikegate's, IOS's differ between releases) ---- */

static const uint16_t def_encr[] = {IKECFG_AES_GCM_256, IKECFG_AES_GCM_128, IKECFG_AES_CBC_256,
                                    IKECFG_AES_CBC_128};
static const uint16_t def_hash[] = {IKECFG_SHA512, IKECFG_SHA384, IKECFG_SHA256};
static const uint16_t def_group[] = {19, 20, 21, 31, 14};

static void proposal_set_default(struct ike_cfg_proposal *p)
{
    static const struct {
        const uint16_t *v;
        int n;
    } d[IKECFG_NCLASS] = {
        [IKECFG_ENCR] = {def_encr, 4},
        [IKECFG_INTEG] = {def_hash, 3},
        [IKECFG_PRF] = {def_hash, 3},
        [IKECFG_GROUP] = {def_group, 5},
    };
    for (int c = 0; c < IKECFG_NCLASS; c++) {
        memcpy(p->alg[c], d[c].v, (size_t)d[c].n * sizeof d[c].v[0]);
        p->nalg[c] = d[c].n;
        p->pristine[c] = true;
    }
}

static void policy_set_default(struct ike_cfg_policy *p)
{
    p->fvrf_any = true;
    p->nlocal = 0;
    p->nproposal = 1;
    snprintf(p->proposal[0], sizeof p->proposal[0], "default");
    p->pristine = true;
}

static void author_clear(struct ike_cfg_author *a)
{
    char name[IKECFG_NAME_MAX];
    memcpy(name, a->name, sizeof name);
    struct ike_cfg_author *next = a->next;
    bool is_default = a->is_default;
    memset(a, 0, sizeof *a);
    memcpy(a->name, name, sizeof name);
    a->next = next;
    a->is_default = is_default;
}

static void wipe(void *p, size_t n)
{
    /* Keys leave memory before it is freed (explicit_bzero is not optimised away). */
    explicit_bzero(p, n);
}

/* ---- object lists: sorted by name, one code path per kind ---- */

#define LIST_SLOT(T, headp, nm)                                                                    \
    T **pp = (headp);                                                                              \
    while (*pp && strcmp((*pp)->name, (nm)) < 0) pp = &(*pp)->next

#define LIST_FIND(T, head, nm)                                                                     \
    do {                                                                                           \
        if (!(nm)) return NULL;                                                                    \
        for (T *o_ = (head); o_; o_ = o_->next)                                                    \
            if (!strcmp(o_->name, (nm))) return o_;                                                \
        return NULL;                                                                               \
    } while (0)

static bool room(int count, const char *what, char *err, size_t errlen)
{
    if (count < IKECFG_MAX_OBJECTS) return true;
    errf(err, errlen, "%% Too many %s (at most %d)", what, IKECFG_MAX_OBJECTS);
    return false;
}

struct ike_cfg_proposal *ike_cfg_proposal_find(const struct ike_config *c, const char *name)
{
    LIST_FIND(struct ike_cfg_proposal, c->proposals, name);
}

struct ike_cfg_proposal *ike_cfg_proposal_get(struct ike_config *c, const char *name, char *err,
                                              size_t errlen)
{
    if (check_name(name, "proposal", err, errlen)) return NULL;
    LIST_SLOT(struct ike_cfg_proposal, &c->proposals, name);
    if (*pp && !strcmp((*pp)->name, name)) return *pp;
    if (!room(c->nproposals, "IKEv2 proposals", err, errlen)) return NULL;
    struct ike_cfg_proposal *p = calloc(1, sizeof *p);
    if (!p) return errf(err, errlen, "%% Out of memory"), NULL;
    memcpy(p->name, name, strlen(name) + 1);
    p->next = *pp;
    *pp = p;
    c->nproposals++;
    return p;
}

int ike_cfg_proposal_remove(struct ike_config *c, const char *name)
{
    LIST_SLOT(struct ike_cfg_proposal, &c->proposals, name);
    struct ike_cfg_proposal *p = *pp;
    if (!p || strcmp(p->name, name)) return -1;
    if (p->is_default) {
        proposal_set_default(p);
        return 0;
    }
    *pp = p->next;
    free(p);
    c->nproposals--;
    return 0;
}

struct ike_cfg_policy *ike_cfg_policy_find(const struct ike_config *c, const char *name)
{
    LIST_FIND(struct ike_cfg_policy, c->policies, name);
}

struct ike_cfg_policy *ike_cfg_policy_get(struct ike_config *c, const char *name, char *err,
                                          size_t errlen)
{
    if (check_name(name, "policy", err, errlen)) return NULL;
    LIST_SLOT(struct ike_cfg_policy, &c->policies, name);
    if (*pp && !strcmp((*pp)->name, name)) return *pp;
    if (!room(c->npolicies, "IKEv2 policies", err, errlen)) return NULL;
    struct ike_cfg_policy *p = calloc(1, sizeof *p);
    if (!p) return errf(err, errlen, "%% Out of memory"), NULL;
    memcpy(p->name, name, strlen(name) + 1);
    p->next = *pp;
    *pp = p;
    c->npolicies++;
    return p;
}

int ike_cfg_policy_remove(struct ike_config *c, const char *name)
{
    LIST_SLOT(struct ike_cfg_policy, &c->policies, name);
    struct ike_cfg_policy *p = *pp;
    if (!p || strcmp(p->name, name)) return -1;
    if (p->is_default) {
        policy_set_default(p);
        return 0;
    }
    *pp = p->next;
    free(p);
    c->npolicies--;
    return 0;
}

static void kpeer_free(struct ike_cfg_kpeer *p)
{
    wipe(p, sizeof *p);
    free(p);
}

static void keyring_free(struct ike_cfg_keyring *k)
{
    while (k->peers) {
        struct ike_cfg_kpeer *p = k->peers;
        k->peers = p->next;
        kpeer_free(p);
    }
    free(k);
}

struct ike_cfg_keyring *ike_cfg_keyring_find(const struct ike_config *c, const char *name)
{
    LIST_FIND(struct ike_cfg_keyring, c->keyrings, name);
}

struct ike_cfg_keyring *ike_cfg_keyring_get(struct ike_config *c, const char *name, char *err,
                                            size_t errlen)
{
    if (check_name(name, "keyring", err, errlen)) return NULL;
    LIST_SLOT(struct ike_cfg_keyring, &c->keyrings, name);
    if (*pp && !strcmp((*pp)->name, name)) return *pp;
    if (!room(c->nkeyrings, "IKEv2 keyrings", err, errlen)) return NULL;
    struct ike_cfg_keyring *k = calloc(1, sizeof *k);
    if (!k) return errf(err, errlen, "%% Out of memory"), NULL;
    memcpy(k->name, name, strlen(name) + 1);
    k->next = *pp;
    *pp = k;
    c->nkeyrings++;
    return k;
}

int ike_cfg_keyring_remove(struct ike_config *c, const char *name)
{
    LIST_SLOT(struct ike_cfg_keyring, &c->keyrings, name);
    struct ike_cfg_keyring *k = *pp;
    if (!k || strcmp(k->name, name)) return -1;
    *pp = k->next;
    keyring_free(k);
    c->nkeyrings--;
    return 0;
}

/* Peers keep the order in which they were configured, as IOS shows them. */
struct ike_cfg_kpeer *ike_cfg_kpeer_find(const struct ike_cfg_keyring *k, const char *name)
{
    LIST_FIND(struct ike_cfg_kpeer, k->peers, name);
}

struct ike_cfg_kpeer *ike_cfg_kpeer_get(struct ike_cfg_keyring *k, const char *name, char *err,
                                        size_t errlen)
{
    if (check_name(name, "peer", err, errlen)) return NULL;
    struct ike_cfg_kpeer **pp = &k->peers;
    for (; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->name, name)) return *pp;
    if (!room(k->npeers, "peers in a keyring", err, errlen)) return NULL;
    struct ike_cfg_kpeer *p = calloc(1, sizeof *p);
    if (!p) return errf(err, errlen, "%% Out of memory"), NULL;
    memcpy(p->name, name, strlen(name) + 1);
    *pp = p;
    k->npeers++;
    return p;
}

int ike_cfg_kpeer_remove(struct ike_cfg_keyring *k, const char *name)
{
    for (struct ike_cfg_kpeer **pp = &k->peers; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name)) continue;
        struct ike_cfg_kpeer *p = *pp;
        *pp = p->next;
        kpeer_free(p);
        k->npeers--;
        return 0;
    }
    return -1;
}

static void profile_init(struct ike_cfg_profile *p)
{
    p->lifetime = 86400;
}

static void profile_free(struct ike_cfg_profile *p)
{
    wipe(p, sizeof *p);
    free(p);
}

struct ike_cfg_profile *ike_cfg_profile_find(const struct ike_config *c, const char *name)
{
    LIST_FIND(struct ike_cfg_profile, c->profiles, name);
}

struct ike_cfg_profile *ike_cfg_profile_get(struct ike_config *c, const char *name, char *err,
                                            size_t errlen)
{
    if (check_name(name, "profile", err, errlen)) return NULL;
    LIST_SLOT(struct ike_cfg_profile, &c->profiles, name);
    if (*pp && !strcmp((*pp)->name, name)) return *pp;
    if (!room(c->nprofiles, "IKEv2 profiles", err, errlen)) return NULL;
    struct ike_cfg_profile *p = calloc(1, sizeof *p);
    if (!p) return errf(err, errlen, "%% Out of memory"), NULL;
    memcpy(p->name, name, strlen(name) + 1);
    profile_init(p);
    p->next = *pp;
    *pp = p;
    c->nprofiles++;
    return p;
}

int ike_cfg_profile_remove(struct ike_config *c, const char *name)
{
    LIST_SLOT(struct ike_cfg_profile, &c->profiles, name);
    struct ike_cfg_profile *p = *pp;
    if (!p || strcmp(p->name, name)) return -1;
    *pp = p->next;
    profile_free(p);
    c->nprofiles--;
    return 0;
}

struct ike_cfg_author *ike_cfg_author_find(const struct ike_config *c, const char *name)
{
    LIST_FIND(struct ike_cfg_author, c->authors, name);
}

struct ike_cfg_author *ike_cfg_author_get(struct ike_config *c, const char *name, char *err,
                                          size_t errlen)
{
    if (check_name(name, "authorization policy", err, errlen)) return NULL;
    LIST_SLOT(struct ike_cfg_author, &c->authors, name);
    if (*pp && !strcmp((*pp)->name, name)) return *pp;
    if (!room(c->nauthors, "IKEv2 authorization policies", err, errlen)) return NULL;
    struct ike_cfg_author *a = calloc(1, sizeof *a);
    if (!a) return errf(err, errlen, "%% Out of memory"), NULL;
    memcpy(a->name, name, strlen(name) + 1);
    a->next = *pp;
    *pp = a;
    c->nauthors++;
    return a;
}

int ike_cfg_author_remove(struct ike_config *c, const char *name)
{
    LIST_SLOT(struct ike_cfg_author, &c->authors, name);
    struct ike_cfg_author *a = *pp;
    if (!a || strcmp(a->name, name)) return -1;
    if (a->is_default) {
        author_clear(a);
        return 0;
    }
    *pp = a->next;
    free(a);
    c->nauthors--;
    return 0;
}

/* ---- init / fini ---- */

int ike_config_init(struct ike_config *c)
{
    memset(c, 0, sizeof *c);
    c->redirect_max = 5;
    c->frag_mtu = IKECFG_FRAG_MTU_DEFAULT;
    struct ike_cfg_proposal *pr = ike_cfg_proposal_get(c, "default", NULL, 0);
    struct ike_cfg_policy *po = pr ? ike_cfg_policy_get(c, "default", NULL, 0) : NULL;
    struct ike_cfg_author *au = po ? ike_cfg_author_get(c, "default", NULL, 0) : NULL;
    if (!au) {
        ike_config_fini(c);
        return -1;
    }
    pr->is_default = true;
    proposal_set_default(pr);
    po->is_default = true;
    policy_set_default(po);
    au->is_default = true;
    return 0;
}

void ike_config_fini(struct ike_config *c)
{
    while (c->proposals) {
        struct ike_cfg_proposal *p = c->proposals;
        c->proposals = p->next;
        free(p);
    }
    while (c->policies) {
        struct ike_cfg_policy *p = c->policies;
        c->policies = p->next;
        free(p);
    }
    while (c->keyrings) {
        struct ike_cfg_keyring *k = c->keyrings;
        c->keyrings = k->next;
        keyring_free(k);
    }
    while (c->profiles) {
        struct ike_cfg_profile *p = c->profiles;
        c->profiles = p->next;
        profile_free(p);
    }
    while (c->authors) {
        struct ike_cfg_author *a = c->authors;
        c->authors = a->next;
        free(a);
    }
    memset(c, 0, sizeof *c);
}

/* ---- proposals ---- */

static int parse_words(enum ike_cfg_class cl, const char *const *words, int n, int *vals, char *err,
                       size_t errlen)
{
    if (n > IKECFG_MAX_ALGS) return errf(err, errlen, "%% Too many algorithms in one command");
    for (int i = 0; i < n; i++) {
        vals[i] = ike_cfg_alg_parse(cl, words[i]);
        if (vals[i] < 0)
            return errf(err, errlen, "%% Invalid %s algorithm '%s'", class_kw[cl], words[i]);
    }
    return 0;
}

static int alg_index(const struct ike_cfg_proposal *p, enum ike_cfg_class cl, int v)
{
    for (int i = 0; i < p->nalg[cl]; i++)
        if (p->alg[cl][i] == v) return i;
    return -1;
}

int ike_cfg_proposal_add(struct ike_cfg_proposal *p, enum ike_cfg_class cl,
                         const char *const *words, int n, char *err, size_t errlen)
{
    int vals[IKECFG_MAX_ALGS];
    if (cl >= IKECFG_NCLASS || n < 1) return errf(err, errlen, "%% Incomplete command.");
    if (parse_words(cl, words, n, vals, err, errlen)) return -1;
    if (p->pristine[cl]) p->nalg[cl] = 0;
    p->pristine[cl] = false;
    for (int i = 0; i < n; i++) {
        /* As IOS: the algorithms accumulate, each listed once, in the order given. Every
         * class has fewer values than IKECFG_MAX_ALGS, so a new one always fits. */
        if (alg_index(p, cl, vals[i]) >= 0) continue;
        p->alg[cl][p->nalg[cl]++] = (uint16_t)vals[i];
    }
    return 0;
}

int ike_cfg_proposal_del(struct ike_cfg_proposal *p, enum ike_cfg_class cl,
                         const char *const *words, int n, char *err, size_t errlen)
{
    int vals[IKECFG_MAX_ALGS];
    if (cl >= IKECFG_NCLASS) return errf(err, errlen, "%% Incomplete command.");
    if (parse_words(cl, words, n, vals, err, errlen)) return -1;
    p->pristine[cl] = false;
    if (n == 0) {
        p->nalg[cl] = 0;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        int k = alg_index(p, cl, vals[i]);
        if (k < 0) continue;
        memmove(&p->alg[cl][k], &p->alg[cl][k + 1],
                (size_t)(p->nalg[cl] - k - 1) * sizeof p->alg[cl][0]);
        p->nalg[cl]--;
    }
    return 0;
}

static void cipher_kinds(const struct ike_cfg_proposal *p, bool *aead, bool *plain)
{
    *aead = *plain = false;
    for (int i = 0; i < p->nalg[IKECFG_ENCR]; i++) {
        if (ike_cfg_encr_is_aead(p->alg[IKECFG_ENCR][i]))
            *aead = true;
        else
            *plain = true;
    }
}

bool ike_cfg_proposal_complete(const struct ike_cfg_proposal *p, char *why, size_t whylen)
{
    bool aead, plain;
    cipher_kinds(p, &aead, &plain);
    const char *r = NULL;
    if (!p->nalg[IKECFG_ENCR])
        r = "no encryption algorithm";
    else if (plain && !p->nalg[IKECFG_INTEG])
        r = "AES-CBC needs an integrity algorithm";
    else if (aead && !p->nalg[IKECFG_PRF])
        r = "AES-GCM needs a PRF algorithm";
    else if (aead && !plain && p->nalg[IKECFG_INTEG])
        r = "integrity is not allowed with AES-GCM only";
    else if (!p->nalg[IKECFG_GROUP])
        r = "no DH group";
    if (r && why && whylen) snprintf(why, whylen, "%s", r);
    return r == NULL;
}

bool ike_cfg_proposal_modified(const struct ike_cfg_proposal *p)
{
    if (!p->is_default) return true;
    for (int c = 0; c < IKECFG_NCLASS; c++)
        if (!p->pristine[c]) return true;
    return false;
}

/* ---- policies ---- */

int ike_cfg_policy_add_proposal(struct ike_cfg_policy *p, const char *name, char *err,
                                size_t errlen)
{
    if (check_name(name, "proposal", err, errlen)) return -1;
    if (p->pristine) p->nproposal = 0;
    for (int i = 0; i < p->nproposal; i++)
        if (!strcmp(p->proposal[i], name)) {
            p->pristine = false;
            return 0;
        }
    if (p->nproposal >= IKECFG_MAX_LIST) {
        /* Only reachable when not pristine: a pristine list holds one proposal. */
        return errf(err, errlen, "%% Too many proposals in one policy (at most %d)",
                    IKECFG_MAX_LIST);
    }
    p->pristine = false;
    memcpy(p->proposal[p->nproposal++], name, strlen(name) + 1);
    return 0;
}

int ike_cfg_policy_del_proposal(struct ike_cfg_policy *p, const char *name)
{
    p->pristine = false;
    if (!name) {
        p->nproposal = 0;
        return 0;
    }
    for (int i = 0; i < p->nproposal; i++) {
        if (strcmp(p->proposal[i], name)) continue;
        memmove(p->proposal[i], p->proposal[i + 1],
                (size_t)(p->nproposal - i - 1) * sizeof p->proposal[0]);
        p->nproposal--;
        return 0;
    }
    return -1;
}

int ike_cfg_policy_add_local(struct ike_cfg_policy *p, uint32_t addr_h, char *err, size_t errlen)
{
    for (int i = 0; i < p->nlocal; i++)
        if (p->local_h[i] == addr_h) return 0;
    if (p->nlocal >= IKECFG_MAX_LIST)
        return errf(err, errlen, "%% Too many local addresses in one policy (at most %d)",
                    IKECFG_MAX_LIST);
    p->local_h[p->nlocal++] = addr_h;
    return 0;
}

int ike_cfg_policy_del_local(struct ike_cfg_policy *p, uint32_t addr_h)
{
    for (int i = 0; i < p->nlocal; i++) {
        if (p->local_h[i] != addr_h) continue;
        memmove(&p->local_h[i], &p->local_h[i + 1],
                (size_t)(p->nlocal - i - 1) * sizeof p->local_h[0]);
        p->nlocal--;
        return 0;
    }
    return -1;
}

bool ike_cfg_policy_modified(const struct ike_cfg_policy *p)
{
    return !p->is_default || !p->pristine || p->nlocal || !p->fvrf_any;
}

bool ike_cfg_policy_complete(const struct ike_cfg_policy *p)
{
    return p->nproposal > 0;
}

/* ---- keyring peers ---- */

int ike_cfg_kpeer_set_address(struct ike_cfg_kpeer *p, uint32_t addr_h, uint32_t mask_h, char *err,
                              size_t errlen)
{
    if (mask_prefix(mask_h) < 0) return errf(err, errlen, "%% Bad mask");
    p->has_addr = true;
    p->addr_h = addr_h & mask_h;
    p->mask_h = mask_h;
    return 0;
}

int ike_cfg_kpeer_set_hostname(struct ike_cfg_kpeer *p, const char *name, char *err, size_t errlen)
{
    return set_text(p->hostname, sizeof p->hostname, name, true, "hostname", err, errlen);
}

static int set_ident(struct ike_cfg_ident *id, enum ike_cfg_id_kind kind, uint32_t addr_h,
                     const char *text, bool allow_dn, char *err, size_t errlen)
{
    struct ike_cfg_ident n = {.kind = kind};
    switch (kind) {
    case IKECFG_ID_NONE: break;
    case IKECFG_ID_ADDRESS: n.addr_h = addr_h; break;
    case IKECFG_ID_FQDN:
    case IKECFG_ID_EMAIL:
    case IKECFG_ID_KEYID:
        if (set_text(n.text, sizeof n.text, text ? text : "", true, "identity", err, errlen))
            return -1;
        if (kind == IKECFG_ID_EMAIL && !strchr(n.text, '@'))
            return errf(err, errlen, "%% Invalid e-mail address '%s'", n.text);
        break;
    case IKECFG_ID_DN:
        if (allow_dn) break;
        /* fall through */
    default: return errf(err, errlen, "%% Invalid identity type");
    }
    *id = n;
    return 0;
}

int ike_cfg_kpeer_set_identity(struct ike_cfg_kpeer *p, enum ike_cfg_id_kind kind, uint32_t addr_h,
                               const char *text, char *err, size_t errlen)
{
    return set_ident(&p->identity, kind, addr_h, text, false, err, errlen);
}

int ike_cfg_kpeer_set_description(struct ike_cfg_kpeer *p, const char *text, char *err,
                                  size_t errlen)
{
    return set_text(p->description, sizeof p->description, text, false, "description", err, errlen);
}

static int set_psk(struct ike_cfg_psk *k, int type, const char *key, char *err, size_t errlen)
{
    if (type != 0 && type != 6) return errf(err, errlen, "%% Invalid key type %d", type);
    struct ike_cfg_psk n = {.set = true, .type = (uint8_t)type};
    if (set_text(n.key, sizeof n.key, key ? key : "", type == 6, "pre-shared-key", err, errlen)) {
        wipe(&n, sizeof n);
        return -1;
    }
    wipe(k, sizeof *k);
    *k = n;
    wipe(&n, sizeof n);
    return 0;
}

static struct ike_cfg_psk *kpeer_slot(struct ike_cfg_kpeer *p, int which)
{
    return which == 'l' ? &p->key_local : which == 'r' ? &p->key_remote : &p->key;
}

int ike_cfg_kpeer_set_key(struct ike_cfg_kpeer *p, int which, int type, const char *key, char *err,
                          size_t errlen)
{
    return set_psk(kpeer_slot(p, which), type, key, err, errlen);
}

void ike_cfg_kpeer_clear_key(struct ike_cfg_kpeer *p, int which)
{
    wipe(kpeer_slot(p, which), sizeof(struct ike_cfg_psk));
}

/* ---- profiles ---- */

int ike_cfg_profile_set_description(struct ike_cfg_profile *p, const char *text, char *err,
                                    size_t errlen)
{
    return set_text(p->description, sizeof p->description, text, false, "description", err, errlen);
}

static bool local_eq(const struct ike_cfg_profile *p, int i, bool is_if, uint32_t addr_h,
                     const char *ifname)
{
    if (p->local[i].is_if != is_if) return false;
    return is_if ? !strcmp(p->local[i].ifname, ifname) : p->local[i].addr_h == addr_h;
}

int ike_cfg_profile_add_local(struct ike_cfg_profile *p, bool is_if, uint32_t addr_h,
                              const char *ifname, char *err, size_t errlen)
{
    if (is_if && check_name(ifname, "interface", err, errlen)) return -1;
    for (int i = 0; i < p->nlocal; i++)
        if (local_eq(p, i, is_if, addr_h, ifname)) return 0;
    if (p->nlocal >= IKECFG_MAX_LIST)
        return errf(err, errlen, "%% Too many 'match address local' statements (at most %d)",
                    IKECFG_MAX_LIST);
    p->local[p->nlocal].is_if = is_if;
    p->local[p->nlocal].addr_h = is_if ? 0 : addr_h;
    snprintf(p->local[p->nlocal].ifname, sizeof p->local[0].ifname, "%s", is_if ? ifname : "");
    p->nlocal++;
    return 0;
}

int ike_cfg_profile_del_local(struct ike_cfg_profile *p, bool is_if, uint32_t addr_h,
                              const char *ifname)
{
    for (int i = 0; i < p->nlocal; i++) {
        if (!local_eq(p, i, is_if, addr_h, ifname)) continue;
        memmove(&p->local[i], &p->local[i + 1], (size_t)(p->nlocal - i - 1) * sizeof p->local[0]);
        p->nlocal--;
        return 0;
    }
    return -1;
}

static bool idmatch_eq(const struct ike_cfg_idmatch *a, const struct ike_cfg_idmatch *b)
{
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case IKECFG_ID_ADDRESS: return a->addr_h == b->addr_h && a->mask_h == b->mask_h;
    case IKECFG_ID_FQDN:
    case IKECFG_ID_EMAIL: return a->domain == b->domain && !strcasecmp(a->text, b->text);
    case IKECFG_ID_KEYID: return !strcmp(a->text, b->text);
    default: return true;
    }
}

/* A statement made canonical: the mask applied, a /32 for an address without one, the text
 * checked. */
static int idmatch_norm(const struct ike_cfg_idmatch *m, struct ike_cfg_idmatch *n, char *err,
                        size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->kind = m->kind;
    switch (m->kind) {
    case IKECFG_ID_ADDRESS:
        if (mask_prefix(m->mask_h) < 0) return errf(err, errlen, "%% Bad mask");
        n->mask_h = m->mask_h;
        n->addr_h = m->addr_h & m->mask_h;
        return 0;
    case IKECFG_ID_FQDN:
    case IKECFG_ID_EMAIL:
    case IKECFG_ID_KEYID:
        n->domain = m->kind != IKECFG_ID_KEYID && m->domain;
        return set_text(n->text, sizeof n->text, m->text, true, "identity", err, errlen);
    case IKECFG_ID_ANY: return 0;
    default: return errf(err, errlen, "%% Invalid identity type");
    }
}

int ike_cfg_profile_add_idmatch(struct ike_cfg_profile *p, bool remote,
                                const struct ike_cfg_idmatch *m, char *err, size_t errlen)
{
    struct ike_cfg_idmatch n;
    if (idmatch_norm(m, &n, err, errlen)) return -1;
    int *cnt = remote ? &p->nremote : &p->nlocal_id;
    struct ike_cfg_idmatch *list = remote ? p->remote : p->local_id;
    for (int i = 0; i < *cnt; i++)
        if (idmatch_eq(&list[i], &n)) return 0;
    if (*cnt >= IKECFG_MAX_LIST)
        return errf(err, errlen, "%% Too many 'match identity %s' statements (at most %d)",
                    remote ? "remote" : "local", IKECFG_MAX_LIST);
    list[(*cnt)++] = n;
    return 0;
}

int ike_cfg_profile_del_idmatch(struct ike_cfg_profile *p, bool remote,
                                const struct ike_cfg_idmatch *m)
{
    struct ike_cfg_idmatch n;
    if (idmatch_norm(m, &n, NULL, 0)) return -1;
    int *cnt = remote ? &p->nremote : &p->nlocal_id;
    struct ike_cfg_idmatch *list = remote ? p->remote : p->local_id;
    for (int i = 0; i < *cnt; i++) {
        if (!idmatch_eq(&list[i], &n)) continue;
        memmove(&list[i], &list[i + 1], (size_t)(*cnt - i - 1) * sizeof list[0]);
        (*cnt)--;
        return 0;
    }
    return -1;
}

static int name_list_add(char (*list)[IKECFG_NAME_MAX], int *n, const char *name, const char *what,
                         char *err, size_t errlen)
{
    if (check_name(name, what, err, errlen)) return -1;
    for (int i = 0; i < *n; i++)
        if (!strcmp(list[i], name)) return 0;
    if (*n >= IKECFG_MAX_LIST)
        return errf(err, errlen, "%% Too many %ss (at most %d)", what, IKECFG_MAX_LIST);
    memcpy(list[(*n)++], name, strlen(name) + 1);
    return 0;
}

static int name_list_del(char (*list)[IKECFG_NAME_MAX], int *n, const char *name)
{
    for (int i = 0; i < *n; i++) {
        if (strcmp(list[i], name)) continue;
        memmove(list[i], list[i + 1], (size_t)(*n - i - 1) * sizeof list[0]);
        (*n)--;
        return 0;
    }
    return -1;
}

int ike_cfg_profile_add_certmap(struct ike_cfg_profile *p, const char *map, char *err,
                                size_t errlen)
{
    return name_list_add(p->certmap, &p->ncertmap, map, "certificate map", err, errlen);
}

int ike_cfg_profile_del_certmap(struct ike_cfg_profile *p, const char *map)
{
    return name_list_del(p->certmap, &p->ncertmap, map);
}

int ike_cfg_profile_set_identity(struct ike_cfg_profile *p, enum ike_cfg_id_kind kind,
                                 uint32_t addr_h, const char *text, char *err, size_t errlen)
{
    return set_ident(&p->identity, kind, addr_h, text, true, err, errlen);
}

static bool auth_ok(enum ike_cfg_auth m)
{
    return m == IKECFG_AUTH_PSK || m == IKECFG_AUTH_RSA || m == IKECFG_AUTH_ECDSA;
}

int ike_cfg_profile_set_auth(struct ike_cfg_profile *p, bool remote, enum ike_cfg_auth m,
                             int key_type, const char *key, char *err, size_t errlen)
{
    if (!auth_ok(m)) return errf(err, errlen, "%% Invalid authentication method");
    if (key && m != IKECFG_AUTH_PSK)
        return errf(err, errlen, "%% A key goes with pre-share authentication only");
    struct ike_cfg_psk *slot = remote ? &p->auth_remote_key : &p->auth_local_key;
    if (key) {
        if (set_psk(slot, key_type, key, err, errlen)) return -1;
    } else if (m == IKECFG_AUTH_PSK || !remote) {
        /* pre-share without a key takes the keys from the keyring again; a new local method
         * replaces the old one and the key that went with it. */
        wipe(slot, sizeof *slot);
    }
    if (remote)
        p->auth_remote |= (unsigned)m;
    else
        p->auth_local = m;
    return 0;
}

void ike_cfg_profile_clear_auth(struct ike_cfg_profile *p, bool remote, enum ike_cfg_auth m)
{
    if (remote) {
        if (m == IKECFG_AUTH_NONE)
            p->auth_remote = 0;
        else
            p->auth_remote &= ~(unsigned)m;
        if (!(p->auth_remote & IKECFG_AUTH_PSK))
            wipe(&p->auth_remote_key, sizeof p->auth_remote_key);
    } else {
        p->auth_local = IKECFG_AUTH_NONE;
        wipe(&p->auth_local_key, sizeof p->auth_local_key);
    }
}

int ike_cfg_profile_set_keyring(struct ike_cfg_profile *p, const char *name, char *err,
                                size_t errlen)
{
    if (!name || !*name) {
        p->keyring[0] = '\0';
        return 0;
    }
    if (check_name(name, "keyring", err, errlen)) return -1;
    memcpy(p->keyring, name, strlen(name) + 1);
    return 0;
}

int ike_cfg_profile_add_trustpoint(struct ike_cfg_profile *p, const char *name,
                                   enum ike_cfg_tp_usage u, char *err, size_t errlen)
{
    if (check_name(name, "trustpoint", err, errlen)) return -1;
    if (u != IKECFG_TP_BOTH && u != IKECFG_TP_SIGN && u != IKECFG_TP_VERIFY)
        return errf(err, errlen, "%% Invalid trustpoint usage");
    for (int i = 0; i < p->ntp; i++)
        if (!strcmp(p->tp[i].name, name)) {
            p->tp[i].usage = u;
            return 0;
        }
    if (p->ntp >= IKECFG_MAX_LIST)
        return errf(err, errlen, "%% Too many trustpoints (at most %d)", IKECFG_MAX_LIST);
    memcpy(p->tp[p->ntp].name, name, strlen(name) + 1);
    p->tp[p->ntp++].usage = u;
    return 0;
}

int ike_cfg_profile_del_trustpoint(struct ike_cfg_profile *p, const char *name)
{
    for (int i = 0; i < p->ntp; i++) {
        if (strcmp(p->tp[i].name, name)) continue;
        memmove(&p->tp[i], &p->tp[i + 1], (size_t)(p->ntp - i - 1) * sizeof p->tp[0]);
        p->ntp--;
        return 0;
    }
    return -1;
}

static int range(long v, long lo, long hi, const char *what, char *err, size_t errlen)
{
    if (v < lo || v > hi)
        return errf(err, errlen, "%% Invalid %s %ld: the range is %ld-%ld", what, v, lo, hi);
    return 0;
}

int ike_cfg_profile_set_lifetime(struct ike_cfg_profile *p, long s, char *err, size_t errlen)
{
    if (range(s, 120, 86400, "lifetime", err, errlen)) return -1;
    p->lifetime = (uint32_t)s;
    return 0;
}

int ike_cfg_dpd_set(struct ike_cfg_dpd *d, long interval, long retry, bool periodic, char *err,
                    size_t errlen)
{
    if (interval == 0) {
        memset(d, 0, sizeof *d);
        return 0;
    }
    if (range(interval, 10, 3600, "dpd interval", err, errlen) ||
        range(retry, 2, 60, "dpd retry interval", err, errlen))
        return -1;
    *d = (struct ike_cfg_dpd){.set = true,
                              .interval = (uint16_t)interval,
                              .retry = (uint16_t)retry,
                              .periodic = periodic};
    return 0;
}

int ike_cfg_set_nat_keepalive(uint16_t *dst, long s, char *err, size_t errlen)
{
    if (s && range(s, 5, 3600, "nat keepalive", err, errlen)) return -1;
    *dst = (uint16_t)s;
    return 0;
}

int ike_cfg_profile_set_aaa_group(struct ike_cfg_profile *p, enum ike_cfg_aaa_kind k,
                                  const char *list, const char *name, char *err, size_t errlen)
{
    if (k >= IKECFG_NAAA) return errf(err, errlen, "%% Invalid authorization group");
    struct ike_cfg_aaa_group *g = &p->aaa_group[k];
    if (!list) {
        memset(g, 0, sizeof *g);
        return 0;
    }
    if (check_name(list, "method list", err, errlen)) return -1;
    if (name && *name && check_name(name, "authorization policy", err, errlen)) return -1;
    g->set = true;
    memcpy(g->list, list, strlen(list) + 1);
    snprintf(g->name, sizeof g->name, "%s", name ? name : "");
    return 0;
}

int ike_cfg_profile_set_vtemplate(struct ike_cfg_profile *p, long n, char *err, size_t errlen)
{
    if (n && range(n, 1, 65535, "virtual-template", err, errlen)) return -1;
    p->vtemplate = (uint16_t)n;
    return 0;
}

bool ike_cfg_profile_complete(const struct ike_cfg_profile *p, char *why, size_t whylen)
{
    const char *r = NULL;
    if (!p->nremote && !p->ncertmap)
        r = "no 'match identity remote' or 'match certificate' statement";
    else if (p->auth_local == IKECFG_AUTH_NONE)
        r = "no local authentication method";
    else if (!p->auth_remote)
        r = "no remote authentication method";
    if (r && why && whylen) snprintf(why, whylen, "%s", r);
    return r == NULL;
}

/* ---- authorization policies ---- */

int ike_cfg_author_set_pool(struct ike_cfg_author *a, const char *name, char *err, size_t errlen)
{
    if (!name) {
        a->pool[0] = '\0';
        return 0;
    }
    if (check_name(name, "pool", err, errlen)) return -1;
    memcpy(a->pool, name, strlen(name) + 1);
    return 0;
}

int ike_cfg_author_set_dns(struct ike_cfg_author *a, int n, const uint32_t *dns_h, char *err,
                           size_t errlen)
{
    if (n < 0 || n > 2) return errf(err, errlen, "%% At most two DNS servers");
    a->ndns = n;
    for (int i = 0; i < 2; i++) a->dns_h[i] = i < n ? dns_h[i] : 0;
    return 0;
}

int ike_cfg_author_set_netmask(struct ike_cfg_author *a, bool set, uint32_t mask_h, char *err,
                               size_t errlen)
{
    if (set && mask_prefix(mask_h) < 0) return errf(err, errlen, "%% Bad mask");
    a->has_netmask = set;
    a->netmask_h = set ? mask_h : 0;
    return 0;
}

int ike_cfg_author_set_text(char *dst, size_t cap, const char *text, bool one_word,
                            const char *what, char *err, size_t errlen)
{
    return set_text(dst, cap, text, one_word, what, err, errlen);
}

int ike_cfg_author_add_route(struct ike_cfg_author *a, uint32_t addr_h, uint32_t mask_h, char *err,
                             size_t errlen)
{
    if (mask_prefix(mask_h) < 0) return errf(err, errlen, "%% Bad mask");
    addr_h &= mask_h;
    for (int i = 0; i < a->nroutes; i++)
        if (a->routes[i].addr_h == addr_h && a->routes[i].mask_h == mask_h) return 0;
    if (a->nroutes >= IKECFG_MAX_LIST)
        return errf(err, errlen, "%% Too many routes (at most %d)", IKECFG_MAX_LIST);
    a->routes[a->nroutes].addr_h = addr_h;
    a->routes[a->nroutes++].mask_h = mask_h;
    return 0;
}

int ike_cfg_author_del_route(struct ike_cfg_author *a, uint32_t addr_h, uint32_t mask_h)
{
    addr_h &= mask_h;
    for (int i = 0; i < a->nroutes; i++) {
        if (a->routes[i].addr_h != addr_h || a->routes[i].mask_h != mask_h) continue;
        memmove(&a->routes[i], &a->routes[i + 1],
                (size_t)(a->nroutes - i - 1) * sizeof a->routes[0]);
        a->nroutes--;
        return 0;
    }
    return -1;
}

bool ike_cfg_author_modified(const struct ike_cfg_author *a)
{
    return !a->is_default || a->pool[0] || a->ndns || a->has_netmask || a->def_domain[0] ||
           a->banner[0] || a->route_set_interface || a->route_acl[0] || a->route_accept_any ||
           a->nroutes;
}

/* ---- globals ---- */

int ike_cfg_set_aaa_network(struct ike_config *c, const char *list, bool on, char *err,
                            size_t errlen)
{
    if (on) return name_list_add(c->aaa_net, &c->naaa_net, list, "method list", err, errlen);
    name_list_del(c->aaa_net, &c->naaa_net, list);
    return 0;
}

int ike_cfg_set_fragmentation(struct ike_config *c, bool on, long mtu, char *err, size_t errlen)
{
    if (on && mtu && range(mtu, 68, 1500, "fragmentation mtu", err, errlen)) return -1;
    c->frag = on;
    c->frag_mtu = on && mtu ? (uint16_t)mtu : IKECFG_FRAG_MTU_DEFAULT;
    return 0;
}

int ike_cfg_set_cookie_challenge(struct ike_config *c, long n, char *err, size_t errlen)
{
    if (n && range(n, 1, 1000, "cookie-challenge", err, errlen)) return -1;
    c->cookie_challenge = (uint32_t)n;
    return 0;
}

int ike_cfg_set_max_nego(struct ike_config *c, long n, int dir, char *err, size_t errlen)
{
    if (n && range(n, 1, 99999, "max-in-negotiation-sa", err, errlen)) return -1;
    if (dir != 'o') c->max_nego_in = (uint32_t)n;
    if (dir != 'i') c->max_nego_out = (uint32_t)n;
    return 0;
}

int ike_cfg_set_max_sa(struct ike_config *c, long n, char *err, size_t errlen)
{
    if (n && range(n, 1, 99999, "max-sa", err, errlen)) return -1;
    c->max_sa = (uint32_t)n;
    return 0;
}

int ike_cfg_set_redirect_client(struct ike_config *c, bool on, long max, char *err, size_t errlen)
{
    if (max && range(max, 1, 255, "max-redirects", err, errlen)) return -1;
    c->redirect_client = on;
    c->redirect_max = (uint8_t)(on && max ? max : 5);
    return 0;
}

/* ---- running-config ---- */

void ike_cfg_render_aaa(const struct ike_config *c, struct strbuf *out)
{
    if (c->aaa_new_model) sb_puts(out, "aaa new-model\n");
    for (int i = 0; i < c->naaa_net; i++)
        sb_printf(out, "aaa authorization network %s local\n", c->aaa_net[i]);
    if (c->aaa_new_model || c->naaa_net) sb_puts(out, "!\n");
}

static void render_algs(const struct ike_cfg_proposal *p, int cl, struct strbuf *out)
{
    if (p->nalg[cl] == 0) {
        /* Only a default proposal's emptied list is written: loading `no group` then empties
         * the shipped list again. */
        if (p->is_default && !p->pristine[cl]) sb_printf(out, " no %s\n", class_kw[cl]);
        return;
    }
    if (p->is_default && p->pristine[cl]) return;
    sb_printf(out, " %s", class_kw[cl]);
    for (int i = 0; i < p->nalg[cl]; i++)
        sb_printf(out, " %s", ike_cfg_alg_keyword((enum ike_cfg_class)cl, p->alg[cl][i]));
    sb_puts(out, "\n");
}

/* A type-0 key is written with an explicit "0 " when its first word would otherwise be read
 * back as a keyword of the command (`0`, `6`, or an abbreviation of `local`/`remote`). */
static void render_key(const char *lead, const struct ike_cfg_psk *k, bool kw_lr,
                       struct strbuf *out)
{
    if (k->type == 6) {
        sb_printf(out, "%s 6 %s\n", lead, k->key);
        return;
    }
    size_t w = strcspn(k->key, " ");
    bool clash = (w == 1 && (k->key[0] == '0' || k->key[0] == '6')) ||
                 (kw_lr && (!strncasecmp(k->key, "local", w) || !strncasecmp(k->key, "remote", w)));
    sb_printf(out, "%s %s%s\n", lead, clash ? "0 " : "", k->key);
}

static void render_ident(const char *lead, const struct ike_cfg_ident *id, struct strbuf *out)
{
    char a[16];
    switch (id->kind) {
    case IKECFG_ID_ADDRESS:
        dotted(id->addr_h, a, sizeof a);
        sb_printf(out, "%s address %s\n", lead, a);
        break;
    case IKECFG_ID_FQDN: sb_printf(out, "%s fqdn %s\n", lead, id->text); break;
    case IKECFG_ID_EMAIL: sb_printf(out, "%s email %s\n", lead, id->text); break;
    case IKECFG_ID_KEYID: sb_printf(out, "%s key-id %s\n", lead, id->text); break;
    case IKECFG_ID_DN: sb_printf(out, "%s dn\n", lead); break;
    default: break;
    }
}

static void idmatch_text(const struct ike_cfg_idmatch *m, char *buf, size_t len)
{
    char a[16], k[16];
    switch (m->kind) {
    case IKECFG_ID_ADDRESS:
        dotted(m->addr_h, a, sizeof a);
        dotted(m->mask_h, k, sizeof k);
        snprintf(buf, len, "address %s %s", a, k);
        break;
    case IKECFG_ID_FQDN:
        snprintf(buf, len, "fqdn %s%s", m->domain ? "domain " : "", m->text);
        break;
    case IKECFG_ID_EMAIL:
        snprintf(buf, len, "email %s%s", m->domain ? "domain " : "", m->text);
        break;
    case IKECFG_ID_KEYID: snprintf(buf, len, "key-id %s", m->text); break;
    case IKECFG_ID_ANY: snprintf(buf, len, "any"); break;
    default: snprintf(buf, len, "none"); break;
    }
}

static const char *auth_kw(unsigned m)
{
    return m == IKECFG_AUTH_PSK ? "pre-share" : m == IKECFG_AUTH_RSA ? "rsa-sig" : "ecdsa-sig";
}

static const char *const aaa_kw[IKECFG_NAAA] = {"psk", "cert", "eap"};

static void render_profile(const struct ike_cfg_profile *p, struct strbuf *out)
{
    char a[16], buf[IKECFG_ID_MAX + 64];
    sb_printf(out, "crypto ikev2 profile %s\n", p->name);
    if (p->description[0]) sb_printf(out, " description %s\n", p->description);
    if (p->fvrf_any) sb_puts(out, " match fvrf any\n");
    for (int i = 0; i < p->nlocal; i++) {
        if (p->local[i].is_if) {
            sb_printf(out, " match address local interface %s\n", p->local[i].ifname);
        } else {
            dotted(p->local[i].addr_h, a, sizeof a);
            sb_printf(out, " match address local %s\n", a);
        }
    }
    for (int i = 0; i < p->nlocal_id; i++) {
        idmatch_text(&p->local_id[i], buf, sizeof buf);
        sb_printf(out, " match identity local %s\n", buf);
    }
    for (int i = 0; i < p->nremote; i++) {
        idmatch_text(&p->remote[i], buf, sizeof buf);
        sb_printf(out, " match identity remote %s\n", buf);
    }
    for (int i = 0; i < p->ncertmap; i++) sb_printf(out, " match certificate %s\n", p->certmap[i]);
    render_ident(" identity local", &p->identity, out);
    for (unsigned m = 1; m <= IKECFG_AUTH_ECDSA; m <<= 1) {
        if (!(p->auth_remote & m)) continue;
        if (m == IKECFG_AUTH_PSK && p->auth_remote_key.set)
            render_key(" authentication remote pre-share key", &p->auth_remote_key, false, out);
        else
            sb_printf(out, " authentication remote %s\n", auth_kw(m));
    }
    if (p->auth_local == IKECFG_AUTH_PSK && p->auth_local_key.set)
        render_key(" authentication local pre-share key", &p->auth_local_key, false, out);
    else if (p->auth_local)
        sb_printf(out, " authentication local %s\n", auth_kw(p->auth_local));
    if (p->keyring[0]) sb_printf(out, " keyring local %s\n", p->keyring);
    for (int i = 0; i < p->ntp; i++)
        sb_printf(out, " pki trustpoint %s%s\n", p->tp[i].name,
                  p->tp[i].usage == IKECFG_TP_SIGN     ? " sign"
                  : p->tp[i].usage == IKECFG_TP_VERIFY ? " verify"
                                                       : "");
    if (p->lifetime != 86400) sb_printf(out, " lifetime %u\n", p->lifetime);
    if (p->dpd.set)
        sb_printf(out, " dpd %u %u %s\n", p->dpd.interval, p->dpd.retry,
                  p->dpd.periodic ? "periodic" : "on-demand");
    if (p->nat_keepalive) sb_printf(out, " nat keepalive %u\n", p->nat_keepalive);
    for (int k = 0; k < IKECFG_NAAA; k++) {
        const struct ike_cfg_aaa_group *g = &p->aaa_group[k];
        if (!g->set) continue;
        sb_printf(out, " aaa authorization group %s list %s%s%s\n", aaa_kw[k], g->list,
                  g->name[0] ? " " : "", g->name);
    }
    for (int k = 0; k < IKECFG_NAAA; k++)
        if (p->aaa_user_cached[k]) sb_printf(out, " aaa authorization user %s cached\n", aaa_kw[k]);
    if (p->vtemplate) sb_printf(out, " virtual-template %u\n", p->vtemplate);
    if (p->redirect_init) sb_puts(out, " redirect gateway init\n");
    if (p->redirect_auth) sb_puts(out, " redirect gateway auth\n");
    sb_puts(out, "!\n");
}

static void render_author(const struct ike_cfg_author *a, struct strbuf *out)
{
    char x[16], y[16];
    sb_printf(out, "crypto ikev2 authorization policy %s\n", a->name);
    if (a->pool[0]) sb_printf(out, " pool %s\n", a->pool);
    if (a->ndns) {
        dotted(a->dns_h[0], x, sizeof x);
        sb_printf(out, " dns %s", x);
        if (a->ndns > 1) {
            dotted(a->dns_h[1], y, sizeof y);
            sb_printf(out, " %s", y);
        }
        sb_puts(out, "\n");
    }
    if (a->has_netmask) {
        dotted(a->netmask_h, x, sizeof x);
        sb_printf(out, " netmask %s\n", x);
    }
    if (a->banner[0]) sb_printf(out, " banner %s\n", a->banner);
    if (a->def_domain[0]) sb_printf(out, " def-domain %s\n", a->def_domain);
    if (a->route_set_interface) sb_puts(out, " route set interface\n");
    if (a->route_acl[0]) sb_printf(out, " route set access-list %s\n", a->route_acl);
    for (int i = 0; i < a->nroutes; i++) {
        dotted(a->routes[i].addr_h, x, sizeof x);
        dotted(a->routes[i].mask_h, y, sizeof y);
        sb_printf(out, " route set remote ipv4 %s %s\n", x, y);
    }
    if (a->route_accept_any) sb_puts(out, " route accept any\n");
    sb_puts(out, "!\n");
}

void ike_cfg_render(const struct ike_config *c, struct strbuf *out)
{
    char a[16], m[16];
    for (const struct ike_cfg_author *au = c->authors; au; au = au->next)
        if (ike_cfg_author_modified(au)) render_author(au, out);
    for (const struct ike_cfg_proposal *p = c->proposals; p; p = p->next) {
        if (!ike_cfg_proposal_modified(p)) continue;
        sb_printf(out, "crypto ikev2 proposal %s\n", p->name);
        for (int cl = 0; cl < IKECFG_NCLASS; cl++) render_algs(p, cl, out);
        sb_puts(out, "!\n");
    }
    for (const struct ike_cfg_policy *p = c->policies; p; p = p->next) {
        if (!ike_cfg_policy_modified(p)) continue;
        sb_printf(out, "crypto ikev2 policy %s\n", p->name);
        if (p->fvrf_any && !p->is_default) sb_puts(out, " match fvrf any\n");
        if (!p->fvrf_any && p->is_default) sb_puts(out, " no match fvrf any\n");
        for (int i = 0; i < p->nlocal; i++) {
            dotted(p->local_h[i], a, sizeof a);
            sb_printf(out, " match address local %s\n", a);
        }
        if (!p->is_default || !p->pristine) {
            for (int i = 0; i < p->nproposal; i++) sb_printf(out, " proposal %s\n", p->proposal[i]);
            if (p->is_default && !p->nproposal) sb_puts(out, " no proposal\n");
        }
        sb_puts(out, "!\n");
    }
    for (const struct ike_cfg_keyring *k = c->keyrings; k; k = k->next) {
        sb_printf(out, "crypto ikev2 keyring %s\n", k->name);
        for (const struct ike_cfg_kpeer *p = k->peers; p; p = p->next) {
            sb_printf(out, " peer %s\n", p->name);
            if (p->description[0]) sb_printf(out, "  description %s\n", p->description);
            if (p->has_addr) {
                dotted(p->addr_h, a, sizeof a);
                dotted(p->mask_h, m, sizeof m);
                if (p->mask_h == 0xffffffffu)
                    sb_printf(out, "  address %s\n", a);
                else
                    sb_printf(out, "  address %s %s\n", a, m);
            }
            if (p->hostname[0]) sb_printf(out, "  hostname %s\n", p->hostname);
            render_ident("  identity", &p->identity, out);
            if (p->key.set) render_key("  pre-shared-key", &p->key, true, out);
            if (p->key_local.set) render_key("  pre-shared-key local", &p->key_local, false, out);
            if (p->key_remote.set)
                render_key("  pre-shared-key remote", &p->key_remote, false, out);
            sb_puts(out, " !\n");
        }
        sb_puts(out, "!\n");
    }
    for (const struct ike_cfg_profile *p = c->profiles; p; p = p->next) render_profile(p, out);
    size_t before = out->len;
    if (c->redirect_init) sb_puts(out, "crypto ikev2 redirect gateway init\n");
    if (c->redirect_auth) sb_puts(out, "crypto ikev2 redirect gateway auth\n");
    if (c->redirect_client) {
        sb_puts(out, "crypto ikev2 redirect client");
        if (c->redirect_max != 5) sb_printf(out, " max-redirects %u", c->redirect_max);
        sb_puts(out, "\n");
    }
    if (c->cookie_challenge)
        sb_printf(out, "crypto ikev2 cookie-challenge %u\n", c->cookie_challenge);
    if (c->max_nego_in && c->max_nego_in == c->max_nego_out) {
        sb_printf(out, "crypto ikev2 limit max-in-negotiation-sa %u\n", c->max_nego_in);
    } else {
        if (c->max_nego_in)
            sb_printf(out, "crypto ikev2 limit max-in-negotiation-sa %u incoming\n",
                      c->max_nego_in);
        if (c->max_nego_out)
            sb_printf(out, "crypto ikev2 limit max-in-negotiation-sa %u outgoing\n",
                      c->max_nego_out);
    }
    if (c->max_sa) sb_printf(out, "crypto ikev2 limit max-sa %u\n", c->max_sa);
    if (c->dpd.set)
        sb_printf(out, "crypto ikev2 dpd %u %u %s\n", c->dpd.interval, c->dpd.retry,
                  c->dpd.periodic ? "periodic" : "on-demand");
    if (c->nat_keepalive) sb_printf(out, "crypto ikev2 nat keepalive %u\n", c->nat_keepalive);
    if (c->frag) {
        sb_puts(out, "crypto ikev2 fragmentation");
        if (c->frag_mtu != IKECFG_FRAG_MTU_DEFAULT) sb_printf(out, " mtu %u", c->frag_mtu);
        sb_puts(out, "\n");
    }
    if (out->len != before) sb_puts(out, "!\n");
}

/* ---- show commands ---- */

static bool ref_missing(const struct ike_cfg_refs *r, enum ike_cfg_ref kind, const char *name)
{
    return r && r->exists && !r->exists(r->arg, kind, name);
}

static void show_one_proposal(const struct ike_cfg_proposal *p, struct strbuf *out)
{
    static const char *const label[IKECFG_NCLASS] = {"Encryption", "Integrity ", "PRF       ",
                                                     "DH Group  "};
    sb_printf(out, " IKEv2 proposal: %s\n", p->name);
    for (int cl = 0; cl < IKECFG_NCLASS; cl++) {
        sb_printf(out, "     %s :", label[cl]);
        if (!p->nalg[cl]) sb_puts(out, " none");
        for (int i = 0; i < p->nalg[cl]; i++)
            sb_printf(out, " %s", ike_cfg_alg_show((enum ike_cfg_class)cl, p->alg[cl][i]));
        sb_puts(out, "\n");
    }
    char why[96];
    if (!ike_cfg_proposal_complete(p, why, sizeof why))
        sb_printf(out, "     Incomplete : %s\n", why);
}

void ike_cfg_show_proposal(const struct ike_config *c, const char *name, struct strbuf *out)
{
    for (const struct ike_cfg_proposal *p = c->proposals; p; p = p->next)
        if (!name || !strcmp(name, p->name)) show_one_proposal(p, out);
}

static void show_one_policy(const struct ike_config *c, const struct ike_cfg_policy *p,
                            struct strbuf *out)
{
    char a[16];
    sb_printf(out, " IKEv2 policy : %s\n", p->name);
    sb_printf(out, "      Match fvrf : %s\n", p->fvrf_any ? "any" : "global");
    if (!p->nlocal) sb_puts(out, "      Match address local : any\n");
    for (int i = 0; i < p->nlocal; i++) {
        dotted(p->local_h[i], a, sizeof a);
        sb_printf(out, "      Match address local : %s\n", a);
    }
    if (!p->nproposal) sb_puts(out, "      Proposal    : none\n");
    for (int i = 0; i < p->nproposal; i++) {
        const struct ike_cfg_proposal *pr = ike_cfg_proposal_find(c, p->proposal[i]);
        sb_printf(out, "%s%s%s\n",
                  i ? "                    " : "      Proposal    : ", p->proposal[i],
                  !pr                                       ? " (not configured)"
                  : !ike_cfg_proposal_complete(pr, NULL, 0) ? " (incomplete)"
                                                            : "");
    }
}

void ike_cfg_show_policy(const struct ike_config *c, const char *name, struct strbuf *out)
{
    for (const struct ike_cfg_policy *p = c->policies; p; p = p->next)
        if (!name || !strcmp(name, p->name)) show_one_policy(c, p, out);
}

static void show_list_line(struct strbuf *out, const char *label, int n)
{
    sb_printf(out, "%s:%s", label, n ? "" : " none\n");
}

static void show_one_profile(const struct ike_config *c, const struct ike_cfg_profile *p,
                             const struct ike_cfg_refs *refs, struct strbuf *out)
{
    char a[16], buf[IKECFG_ID_MAX + 64];
    sb_printf(out, "IKEv2 profile: %s\n", p->name);
    if (p->description[0]) sb_printf(out, " Description: %s\n", p->description);
    sb_puts(out, " Shutdown: No\n Ref Count: 0\n Match criteria:\n");
    sb_printf(out, "  Fvrf: %s\n", p->fvrf_any ? "any" : "global");
    show_list_line(out, "  Local address/interface", p->nlocal);
    for (int i = 0; i < p->nlocal; i++) {
        if (p->local[i].is_if)
            snprintf(buf, sizeof buf, "%s", p->local[i].ifname);
        else
            dotted(p->local[i].addr_h, buf, sizeof buf);
        sb_printf(out, "%s%s", i ? ", " : " ", buf);
        if (i == p->nlocal - 1) sb_puts(out, "\n");
    }
    show_list_line(out, "  Identities", p->nremote);
    for (int i = 0; i < p->nremote; i++) {
        idmatch_text(&p->remote[i], buf, sizeof buf);
        sb_printf(out, "%s%s\n", i ? "              " : " ", buf);
    }
    if (p->nlocal_id) {
        sb_puts(out, "  Local identities:");
        for (int i = 0; i < p->nlocal_id; i++) {
            idmatch_text(&p->local_id[i], buf, sizeof buf);
            sb_printf(out, "%s%s\n", i ? "                    " : " ", buf);
        }
    }
    show_list_line(out, "  Certificate maps", p->ncertmap);
    for (int i = 0; i < p->ncertmap; i++)
        sb_printf(out, "%s%s%s", i ? ", " : " ", p->certmap[i],
                  ref_missing(refs, IKECFG_REF_CERTMAP, p->certmap[i]) ? " (not configured)" : "");
    if (p->ncertmap) sb_puts(out, "\n");
    switch (p->identity.kind) {
    case IKECFG_ID_ADDRESS:
        dotted(p->identity.addr_h, a, sizeof a);
        sb_printf(out, " Local identity: address %s\n", a);
        break;
    case IKECFG_ID_FQDN: sb_printf(out, " Local identity: fqdn %s\n", p->identity.text); break;
    case IKECFG_ID_EMAIL: sb_printf(out, " Local identity: email %s\n", p->identity.text); break;
    case IKECFG_ID_KEYID: sb_printf(out, " Local identity: key-id %s\n", p->identity.text); break;
    case IKECFG_ID_DN: sb_puts(out, " Local identity: DN\n"); break;
    default: sb_puts(out, " Local identity: none\n"); break;
    }
    sb_puts(out, " Remote identity: none\n");
    sb_printf(out, " Local authentication method: %s\n",
              p->auth_local ? auth_kw(p->auth_local) : "none");
    sb_puts(out, " Remote authentication method(s):");
    if (!p->auth_remote) sb_puts(out, " none");
    for (unsigned m = 1; m <= IKECFG_AUTH_ECDSA; m <<= 1)
        if (p->auth_remote & m) sb_printf(out, " %s", auth_kw(m));
    sb_puts(out, "\n EAP options: none\n");
    if (!p->keyring[0])
        sb_puts(out, " Keyring: none\n");
    else
        sb_printf(out, " Keyring: %s%s\n", p->keyring,
                  ike_cfg_keyring_find(c, p->keyring) ? "" : " (not configured)");
    show_list_line(out, " Trustpoint(s)", p->ntp);
    for (int i = 0; i < p->ntp; i++)
        sb_printf(out, "%s%s%s%s", i ? ", " : " ", p->tp[i].name,
                  p->tp[i].usage == IKECFG_TP_SIGN     ? " (sign)"
                  : p->tp[i].usage == IKECFG_TP_VERIFY ? " (verify)"
                                                       : "",
                  ref_missing(refs, IKECFG_REF_TRUSTPOINT, p->tp[i].name) ? " (not configured)"
                                                                          : "");
    if (p->ntp) sb_puts(out, "\n");
    sb_printf(out, " Lifetime: %u seconds\n", p->lifetime);
    const struct ike_cfg_dpd *d = p->dpd.set ? &p->dpd : &c->dpd;
    if (d->set)
        sb_printf(out, " DPD: interval %u, retry %u, %s%s\n", d->interval, d->retry,
                  d->periodic ? "periodic" : "on-demand", p->dpd.set ? "" : " (global)");
    else
        sb_puts(out, " DPD: disabled\n");
    uint16_t nk = p->nat_keepalive ? p->nat_keepalive : c->nat_keepalive;
    if (nk)
        sb_printf(out, " NAT-keepalive: %u seconds%s\n", nk, p->nat_keepalive ? "" : " (global)");
    else
        sb_puts(out, " NAT-keepalive: disabled\n");
    sb_puts(out, " Ivrf: none\n");
    snprintf(buf, sizeof buf, "%u", p->vtemplate);
    if (p->vtemplate)
        sb_printf(out, " Virtual-template: %u%s\n", p->vtemplate,
                  ref_missing(refs, IKECFG_REF_VTEMPLATE, buf) ? " (not configured)" : "");
    else
        sb_puts(out, " Virtual-template: none\n");
    sb_puts(out, " mode auto: none\n AAA AAA EAP authentication mlist: none\n"
                 " AAA Accounting: none\n");
    int ngroups = 0;
    for (int k = 0; k < IKECFG_NAAA; k++) ngroups += p->aaa_group[k].set;
    if (!ngroups) sb_puts(out, " AAA group authorization: none\n");
    for (int k = 0; k < IKECFG_NAAA; k++) {
        const struct ike_cfg_aaa_group *g = &p->aaa_group[k];
        if (!g->set) continue;
        const char *policy = g->name[0] ? g->name : "default";
        sb_printf(out, " AAA group authorization%s%s: %s, %s%s\n", ngroups > 1 ? " " : "",
                  ngroups > 1 ? aaa_kw[k] : "", g->list, g->name[0] ? g->name : "none",
                  ike_cfg_author_find(c, policy) ? "" : " (authorization policy not configured)");
    }
    sb_puts(out, " AAA user authorization:");
    bool any_user = false;
    for (int k = 0; k < IKECFG_NAAA; k++)
        if (p->aaa_user_cached[k]) sb_printf(out, " %s cached", aaa_kw[k]), any_user = true;
    sb_puts(out, any_user ? "\n" : " none\n");
    sb_printf(out, " Redirect gateway: %s\n",
              p->redirect_init && p->redirect_auth ? "init, auth"
              : p->redirect_init                   ? "init"
              : p->redirect_auth                   ? "auth"
                                                   : "none");
    char why[96];
    if (!ike_cfg_profile_complete(p, why, sizeof why)) sb_printf(out, " Incomplete: %s\n", why);
}

void ike_cfg_show_profile(const struct ike_config *c, const char *name,
                          const struct ike_cfg_refs *refs, struct strbuf *out)
{
    bool first = true;
    for (const struct ike_cfg_profile *p = c->profiles; p; p = p->next) {
        if (name && strcmp(name, p->name)) continue;
        if (!first) sb_puts(out, "\n");
        first = false;
        show_one_profile(c, p, refs, out);
    }
}

static void show_one_author(const struct ike_cfg_author *a, const struct ike_cfg_refs *refs,
                            struct strbuf *out)
{
    char x[16], y[16];
    sb_printf(out, "IKEv2 Authorization policy: %s\n", a->name);
    if (a->pool[0])
        sb_printf(out, "  IPv4 address pool: %s%s\n", a->pool,
                  ref_missing(refs, IKECFG_REF_POOL, a->pool) ? " (not configured)" : "");
    for (int i = 0; i < a->ndns; i++) {
        dotted(a->dns_h[i], x, sizeof x);
        sb_printf(out, "  IPv4 DNS %s: %s\n", i ? "secondary" : "primary", x);
    }
    if (a->has_netmask) {
        dotted(a->netmask_h, x, sizeof x);
        sb_printf(out, "  IPv4 netmask: %s\n", x);
    }
    if (a->def_domain[0]) sb_printf(out, "  Default domain: %s\n", a->def_domain);
    if (a->banner[0]) sb_printf(out, "  Banner: %s\n", a->banner);
    if (a->route_set_interface) sb_puts(out, "  route set interface\n");
    if (a->route_acl[0]) sb_printf(out, "  route set access-list %s\n", a->route_acl);
    for (int i = 0; i < a->nroutes; i++) {
        dotted(a->routes[i].addr_h, x, sizeof x);
        dotted(a->routes[i].mask_h, y, sizeof y);
        sb_printf(out, "  route set remote ipv4 %s %s\n", x, y);
    }
    if (a->route_accept_any) sb_puts(out, "  route accept any\n");
}

void ike_cfg_show_author(const struct ike_config *c, const char *name,
                         const struct ike_cfg_refs *refs, struct strbuf *out)
{
    for (const struct ike_cfg_author *a = c->authors; a; a = a->next)
        if (!name || !strcmp(name, a->name)) show_one_author(a, refs, out);
}

/* ---- lookups ---- */

/* One configured proposal as one or two IKE proposals (AEAD first): RFC 7296 §3.3 forbids an
 * integrity transform beside a combined-mode cipher, and a CBC cipher needs one. */
static int tsets_of(const struct ike_cfg_proposal *p, struct ike_cfg_tset *out, int cap)
{
    int n = 0;
    for (int pass = 0; pass < 2 && n < cap; pass++) {
        bool aead = pass == 0;
        struct ike_cfg_tset t = {.proposal = p->name, .aead = aead};
        for (int i = 0; i < p->nalg[IKECFG_ENCR]; i++) {
            int e = p->alg[IKECFG_ENCR][i];
            if (ike_cfg_encr_is_aead(e) != aead) continue;
            t.encr[t.nencr].id = aead ? IKE_ENCR_AES_GCM_16 : IKE_ENCR_AES_CBC;
            t.encr[t.nencr++].keylen =
                e == IKECFG_AES_CBC_128 || e == IKECFG_AES_GCM_128 ? 128 : 256;
        }
        if (!t.nencr) continue;
        if (!aead)
            for (int i = 0; i < p->nalg[IKECFG_INTEG]; i++)
                t.integ[t.ninteg++] = integ_id[p->alg[IKECFG_INTEG][i]];
        /* IOS: without a `prf` line the PRFs are the integrity algorithms' hashes. */
        bool prf_from_integ = !p->nalg[IKECFG_PRF] && !aead;
        int cl = prf_from_integ ? IKECFG_INTEG : IKECFG_PRF;
        for (int i = 0; i < p->nalg[cl]; i++) t.prf[t.nprf++] = prf_id[p->alg[cl][i]];
        for (int i = 0; i < p->nalg[IKECFG_GROUP]; i++) t.dh[t.ndh++] = p->alg[IKECFG_GROUP][i];
        out[n++] = t;
    }
    return n;
}

static bool policy_in_force(const struct ike_cfg_policy *p)
{
    return !p->is_default || ike_cfg_policy_modified(p);
}

int ike_cfg_proposals_for(const struct ike_config *c, uint32_t local_h, struct ike_cfg_tset *out,
                          int cap)
{
    bool configured = false;
    for (const struct ike_cfg_policy *p = c->policies; p; p = p->next)
        if (policy_in_force(p)) configured = true;
    /* Which policies apply, and does any of them name local_h? */
    bool specific = false;
    for (const struct ike_cfg_policy *p = c->policies; p; p = p->next) {
        if (configured ? !policy_in_force(p) : !p->is_default) continue;
        for (int i = 0; i < p->nlocal; i++)
            if (p->local_h[i] == local_h) specific = true;
    }
    const char *seen[IKECFG_MAX_OBJECTS];
    int nseen = 0, n = 0;
    for (const struct ike_cfg_policy *p = c->policies; p && n < cap; p = p->next) {
        if (configured ? !policy_in_force(p) : !p->is_default) continue;
        bool hit = false;
        for (int i = 0; i < p->nlocal; i++)
            if (p->local_h[i] == local_h) hit = true;
        if (specific ? !hit : p->nlocal != 0) continue;
        for (int i = 0; i < p->nproposal && n < cap; i++) {
            bool dup = false;
            for (int k = 0; k < nseen; k++)
                if (!strcmp(seen[k], p->proposal[i])) dup = true;
            if (dup) continue;
            const struct ike_cfg_proposal *pr = ike_cfg_proposal_find(c, p->proposal[i]);
            if (!pr || !ike_cfg_proposal_complete(pr, NULL, 0)) continue;
            if (nseen < IKECFG_MAX_OBJECTS) seen[nseen++] = pr->name;
            n += tsets_of(pr, out + n, cap - n);
        }
    }
    return n;
}

/* Case-insensitive comparison of wire bytes (not NUL-terminated) with a string. */
static bool eq_ci(const uint8_t *d, size_t n, const char *s)
{
    if (n != strlen(s)) return false;
    for (size_t i = 0; i < n; i++)
        if (tolower(d[i]) != tolower((unsigned char)s[i])) return false;
    return true;
}

/* d equals dom, or ends with "." followed by dom. */
static bool in_domain(const uint8_t *d, size_t n, const char *dom)
{
    size_t dl = strlen(dom);
    if (eq_ci(d, n, dom)) return true;
    return n > dl && d[n - dl - 1] == '.' && eq_ci(d + n - dl, dl, dom);
}

bool ike_cfg_idmatch_accepts(const struct ike_cfg_idmatch *m, const struct ike_cfg_peer_id *id)
{
    if (m->kind == IKECFG_ID_ANY) return true;
    if (!id || (!id->data && id->len)) return false;
    switch (m->kind) {
    case IKECFG_ID_ADDRESS:
        if (id->type != IKE_ID_IPV4_ADDR || id->len != 4) return false;
        return (get32(id->data) & m->mask_h) == m->addr_h;
    case IKECFG_ID_FQDN:
        if (id->type != IKE_ID_FQDN) return false;
        return m->domain ? in_domain(id->data, id->len, m->text)
                         : eq_ci(id->data, id->len, m->text);
    case IKECFG_ID_EMAIL: {
        if (id->type != IKE_ID_RFC822_ADDR) return false;
        if (!m->domain) return eq_ci(id->data, id->len, m->text);
        const uint8_t *at = NULL;
        for (size_t i = 0; i < id->len; i++)
            if (id->data[i] == '@') at = id->data + i;
        if (!at) return false;
        return in_domain(at + 1, id->len - (size_t)(at + 1 - id->data), m->text);
    }
    case IKECFG_ID_KEYID:
        return id->type == IKE_ID_KEY_ID && id->len == strlen(m->text) &&
               !memcmp(id->data, m->text, id->len);
    default: return false;
    }
}

/* How specifically a statement names an identity: higher is better. */
static int idmatch_rank(const struct ike_cfg_idmatch *m, int *spec)
{
    *spec = 0;
    switch (m->kind) {
    case IKECFG_ID_ANY: return 1;
    case IKECFG_ID_ADDRESS: *spec = mask_prefix(m->mask_h); return *spec == 32 ? 4 : 3;
    case IKECFG_ID_FQDN:
    case IKECFG_ID_EMAIL:
        if (!m->domain) return 4;
        *spec = (int)strlen(m->text);
        return 3;
    default: return 4; /* key-id */
    }
}

static bool local_accepts(const struct ike_cfg_profile *p, uint32_t local_h,
                          const struct ike_cfg_match_env *env)
{
    if (!p->nlocal) return true;
    for (int i = 0; i < p->nlocal; i++) {
        if (!p->local[i].is_if && p->local[i].addr_h == local_h) return true;
        if (p->local[i].is_if && env && env->iface_has_addr &&
            env->iface_has_addr(env->arg, p->local[i].ifname, local_h))
            return true;
    }
    return false;
}

const struct ike_cfg_profile *ike_cfg_match_profile(const struct ike_config *c, uint32_t local_h,
                                                    const struct ike_cfg_peer_id *remote,
                                                    const struct ike_cfg_peer_id *local_req,
                                                    const struct ike_cfg_match_env *env)
{
    const struct ike_cfg_profile *best = NULL;
    int best_rank = 0, best_spec = 0, best_local = 0;
    for (const struct ike_cfg_profile *p = c->profiles; p; p = p->next) {
        if (!ike_cfg_profile_complete(p, NULL, 0)) continue;
        if (!local_accepts(p, local_h, env)) continue;
        if (local_req && p->nlocal_id) {
            bool ok = false;
            for (int i = 0; i < p->nlocal_id && !ok; i++)
                ok = ike_cfg_idmatch_accepts(&p->local_id[i], local_req);
            if (!ok) continue;
        }
        int rank = 0, spec = 0;
        for (int i = 0; i < p->nremote; i++) {
            int s, r = idmatch_rank(&p->remote[i], &s);
            if (!ike_cfg_idmatch_accepts(&p->remote[i], remote)) continue;
            if (r > rank || (r == rank && s > spec)) rank = r, spec = s;
        }
        if (rank < 2 && env && env->certmap)
            for (int i = 0; i < p->ncertmap; i++)
                if (env->certmap(env->arg, p->certmap[i])) {
                    rank = 2, spec = 0;
                    break;
                }
        if (!rank) continue;
        int lr = p->nlocal ? 1 : 0;
        bool better = !best || rank > best_rank || (rank == best_rank && spec > best_spec) ||
                      (rank == best_rank && spec == best_spec && lr > best_local);
        if (better) best = p, best_rank = rank, best_spec = spec, best_local = lr;
    }
    return best;
}

const struct ike_cfg_profile *ike_cfg_profile_for_local(const struct ike_config *c,
                                                        uint32_t local_h,
                                                        const struct ike_cfg_match_env *env)
{
    const struct ike_cfg_profile *any = NULL;
    int nany = 0;
    for (const struct ike_cfg_profile *p = c->profiles; p; p = p->next) {
        if (!ike_cfg_profile_complete(p, NULL, 0) || !local_accepts(p, local_h, env)) continue;
        if (p->nlocal) return p;
        any = p, nany++;
    }
    return nany == 1 ? any : NULL;
}

static bool ident_equals(const struct ike_cfg_ident *i, const struct ike_cfg_peer_id *id)
{
    if (!id || (!id->data && id->len)) return false;
    switch (i->kind) {
    case IKECFG_ID_ADDRESS:
        return id->type == IKE_ID_IPV4_ADDR && id->len == 4 && get32(id->data) == i->addr_h;
    case IKECFG_ID_FQDN: return id->type == IKE_ID_FQDN && eq_ci(id->data, id->len, i->text);
    case IKECFG_ID_EMAIL:
        return id->type == IKE_ID_RFC822_ADDR && eq_ci(id->data, id->len, i->text);
    case IKECFG_ID_KEYID:
        return id->type == IKE_ID_KEY_ID && id->len == strlen(i->text) &&
               !memcmp(id->data, i->text, id->len);
    default: return false;
    }
}

const struct ike_cfg_kpeer *ike_cfg_keyring_peer(const struct ike_cfg_keyring *k, uint32_t peer_h,
                                                 const struct ike_cfg_peer_id *id,
                                                 const char *hostname)
{
    if (!k) return NULL;
    for (const struct ike_cfg_kpeer *p = k->peers; p; p = p->next)
        if (ident_equals(&p->identity, id)) return p;
    const struct ike_cfg_kpeer *best = NULL;
    int best_len = -1;
    for (const struct ike_cfg_kpeer *p = k->peers; p; p = p->next) {
        if (!p->has_addr || (peer_h & p->mask_h) != p->addr_h) continue;
        int l = mask_prefix(p->mask_h);
        if (l > best_len) best = p, best_len = l;
    }
    if (best) return best;
    if (hostname && *hostname)
        for (const struct ike_cfg_kpeer *p = k->peers; p; p = p->next)
            if (p->hostname[0] && !strcasecmp(p->hostname, hostname)) return p;
    return NULL;
}

bool ike_cfg_kpeer_binds(const struct ike_cfg_kpeer *kp, const struct ike_cfg_peer_id *id)
{
    return kp && kp->identity.kind != IKECFG_ID_KEYID && ident_equals(&kp->identity, id);
}

static enum ike_cfg_psk_status take_key(const struct ike_cfg_psk *k, const char **dst)
{
    if (!k || !k->set) return IKECFG_PSK_NO_KEY;
    if (k->type == 6) return IKECFG_PSK_ENCRYPTED;
    *dst = k->key;
    return IKECFG_PSK_OK;
}

enum ike_cfg_psk_status ike_cfg_psk_lookup(const struct ike_config *c,
                                           const struct ike_cfg_profile *p, uint32_t peer_h,
                                           const struct ike_cfg_peer_id *id, const char *hostname,
                                           struct ike_cfg_keys *out)
{
    memset(out, 0, sizeof *out);
    out->local_st = out->remote_st = IKECFG_PSK_NO_KEY;
    bool need_local = true, need_remote = true;
    if (p->auth_local_key.set) {
        out->local_st = take_key(&p->auth_local_key, &out->local);
        need_local = false;
    }
    if (p->auth_remote_key.set) {
        out->remote_st = take_key(&p->auth_remote_key, &out->remote);
        need_remote = false;
    }
    if (need_local || need_remote) {
        enum ike_cfg_psk_status st = IKECFG_PSK_OK;
        const struct ike_cfg_keyring *k = NULL;
        if (!p->keyring[0])
            st = IKECFG_PSK_NO_KEYRING;
        else if (!(k = ike_cfg_keyring_find(c, p->keyring)))
            st = IKECFG_PSK_UNDEFINED;
        else if (!(out->peer = ike_cfg_keyring_peer(k, peer_h, id, hostname)))
            st = IKECFG_PSK_NO_PEER;
        const struct ike_cfg_kpeer *kp = out->peer;
        if (need_local)
            out->local_st =
                st != IKECFG_PSK_OK
                    ? st
                    : take_key(kp->key_local.set ? &kp->key_local : &kp->key, &out->local);
        if (need_remote)
            out->remote_st =
                st != IKECFG_PSK_OK
                    ? st
                    : take_key(kp->key_remote.set ? &kp->key_remote : &kp->key, &out->remote);
    }
    return out->local_st != IKECFG_PSK_OK ? out->local_st : out->remote_st;
}

const char *ike_cfg_psk_status_text(enum ike_cfg_psk_status s)
{
    switch (s) {
    case IKECFG_PSK_OK: return "ok";
    case IKECFG_PSK_NO_KEYRING: return "the profile has no keyring";
    case IKECFG_PSK_UNDEFINED: return "the profile's keyring is not configured";
    case IKECFG_PSK_NO_PEER: return "no keyring peer matches";
    case IKECFG_PSK_NO_KEY: return "no pre-shared key for this direction";
    case IKECFG_PSK_ENCRYPTED: return "the pre-shared key is type 6 (cannot be decrypted)";
    default: return "unknown";
    }
}

void ike_cfg_effective(const struct ike_config *c, const struct ike_cfg_profile *p,
                       enum ike_cfg_auth m, struct ike_cfg_effective *out)
{
    memset(out, 0, sizeof *out);
    out->lifetime = p->lifetime;
    out->dpd = p->dpd.set ? p->dpd : c->dpd;
    out->nat_keepalive = p->nat_keepalive ? p->nat_keepalive : c->nat_keepalive;
    int k = m == IKECFG_AUTH_PSK                             ? IKECFG_AAA_PSK
            : m == IKECFG_AUTH_RSA || m == IKECFG_AUTH_ECDSA ? IKECFG_AAA_CERT
                                                             : -1;
    if (k >= 0 && p->aaa_group[k].set) {
        /* Without a user name IOS asks AAA about the peer; with local authorization only the
         * smart default policy can answer, so the name is "default". */
        out->author_name = p->aaa_group[k].name[0] ? p->aaa_group[k].name : "default";
        out->author = ike_cfg_author_find(c, out->author_name);
    }
    out->vtemplate = p->vtemplate;
    out->redirect_init = p->redirect_init || c->redirect_init;
    out->redirect_auth = p->redirect_auth || c->redirect_auth;
}

size_t ike_cfg_local_id(const struct ike_cfg_profile *p, uint32_t local_h, uint8_t *type,
                        uint8_t *buf, size_t cap)
{
    const struct ike_cfg_ident *id = &p->identity;
    uint32_t a = id->kind == IKECFG_ID_ADDRESS ? id->addr_h : local_h;
    size_t n;
    *type = 0;
    switch (id->kind) {
    case IKECFG_ID_DN: *type = IKE_ID_DER_ASN1_DN; return 0;
    case IKECFG_ID_FQDN:
    case IKECFG_ID_EMAIL:
    case IKECFG_ID_KEYID:
        n = strlen(id->text);
        if (n > cap) return 0;
        memcpy(buf, id->text, n);
        *type = id->kind == IKECFG_ID_FQDN    ? IKE_ID_FQDN
                : id->kind == IKECFG_ID_EMAIL ? IKE_ID_RFC822_ADDR
                                              : IKE_ID_KEY_ID;
        return n;
    default: /* an address: configured, or the one the request arrived on */
        if (cap < 4) return 0;
        buf[0] = (uint8_t)(a >> 24), buf[1] = (uint8_t)(a >> 16);
        buf[2] = (uint8_t)(a >> 8), buf[3] = (uint8_t)a;
        *type = IKE_ID_IPV4_ADDR;
        return 4;
    }
}

void ike_cfg_limits(const struct ike_config *c, uint32_t *cookie, uint32_t *max_nego,
                    uint32_t *max_sa)
{
    *cookie = c->cookie_challenge;
    *max_nego = c->max_nego_in;
    *max_sa = c->max_sa;
}
