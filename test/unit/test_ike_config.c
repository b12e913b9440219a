/* Unit tests for ike/ike_config.c: the IKEv2 configuration without the shell. Algorithm
 * tables, the smart defaults and their restore, proposal accumulation and completeness, the
 * IKE SA proposals a local address gets from the policies, profile matching (IOS's AND/OR
 * rules and ikegate's best-match order), keyring peer precedence and pre-shared keys, the
 * effective values of a session, validation messages, rendering and the show layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_config.h"
#include "ike/ike_wire.h"
#include "platform/strbuf.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static char err[256];

static int setup(void **state)
{
    struct ike_config *c = malloc(sizeof *c);
    if (!c || ike_config_init(c)) {
        free(c);
        return -1;
    }
    err[0] = '\0';
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ike_config_fini(*state);
    free(*state);
    return 0;
}

static void text_is(struct strbuf *sb, const char *want)
{
    if (strcmp(sb_str(sb), want)) {
        char msg[8192];
        snprintf(msg, sizeof msg, "--- got:\n%s--- expected:\n%s---", sb_str(sb), want);
        sb_free(sb);
        fail_msg("%s", msg);
    }
    sb_free(sb);
}

static void render_is(const struct ike_config *c, const char *want)
{
    struct strbuf sb = STRBUF_INIT;
    ike_cfg_render_aaa(c, &sb);
    ike_cfg_render(c, &sb);
    text_is(&sb, want);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* Adds words (space-separated) to a class of a proposal; must succeed. */
static void algs(struct ike_cfg_proposal *p, enum ike_cfg_class cl, const char *text)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    const char *w[IKECFG_MAX_ALGS];
    int n = 0;
    char *sv;
    for (char *t = strtok_r(buf, " ", &sv); t; t = strtok_r(NULL, " ", &sv)) w[n++] = t;
    if (ike_cfg_proposal_add(p, cl, w, n, err, sizeof err)) fail_msg("'%s': %s", text, err);
}

static struct ike_cfg_proposal *proposal(struct ike_config *c, const char *name, const char *encr,
                                         const char *integ, const char *prf, const char *group)
{
    struct ike_cfg_proposal *p = ike_cfg_proposal_get(c, name, err, sizeof err);
    assert_non_null(p);
    if (encr) algs(p, IKECFG_ENCR, encr);
    if (integ) algs(p, IKECFG_INTEG, integ);
    if (prf) algs(p, IKECFG_PRF, prf);
    if (group) algs(p, IKECFG_GROUP, group);
    return p;
}

/* ---- algorithm tables ---- */

static void test_alg_tables(void **state)
{
    (void)state;
    const char *const *w, *const *h;
    assert_int_equal(ike_cfg_alg_keywords(IKECFG_ENCR, &w, &h), 4);
    assert_string_equal(w[0], "aes-cbc-128");
    assert_int_equal(ike_cfg_alg_keywords(IKECFG_INTEG, &w, &h), 4);
    assert_int_equal(ike_cfg_alg_keywords(IKECFG_PRF, &w, &h), 4);
    assert_int_equal(ike_cfg_alg_keywords(IKECFG_GROUP, &w, &h), 7);
    for (size_t i = 0; i < 7; i++) assert_true(h[i] && h[i][0]);

    assert_int_equal(ike_cfg_alg_parse(IKECFG_ENCR, "aes-gcm-256"), IKECFG_AES_GCM_256);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_ENCR, "AES-CBC-128"), IKECFG_AES_CBC_128);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_ENCR, "aes-gcm-1"), IKECFG_AES_GCM_128);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_ENCR, "aes-c"), -1); /* ambiguous */
    assert_int_equal(ike_cfg_alg_parse(IKECFG_ENCR, "3des"), -1);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_ENCR, ""), -1);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_INTEG, "sha5"), IKECFG_SHA512);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_PRF, "sha1"), IKECFG_SHA1);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_INTEG, "md5"), -1);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_GROUP, "19"), 19);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_GROUP, "3"), 31);
    assert_int_equal(ike_cfg_alg_parse(IKECFG_GROUP, "1"), -1); /* 14 15 16 19 */
    assert_int_equal(ike_cfg_alg_parse(IKECFG_GROUP, "2"), -1); /* 20 21 */
    assert_int_equal(ike_cfg_alg_parse(IKECFG_GROUP, "5"), -1); /* legacy groups are refused */

    assert_string_equal(ike_cfg_alg_keyword(IKECFG_GROUP, 31), "31");
    assert_string_equal(ike_cfg_alg_keyword(IKECFG_INTEG, IKECFG_SHA384), "sha384");
    assert_string_equal(ike_cfg_alg_show(IKECFG_ENCR, IKECFG_AES_GCM_128), "AES-GCM-128");
    assert_string_equal(ike_cfg_alg_show(IKECFG_PRF, IKECFG_SHA256), "SHA256");
    assert_string_equal(ike_cfg_alg_show(IKECFG_GROUP, 19), "DH_GROUP_256_ECP/Group 19");
    assert_string_equal(ike_cfg_alg_show(IKECFG_GROUP, 14), "DH_GROUP_2048_MODP/Group 14");
    assert_string_equal(ike_cfg_alg_show(IKECFG_GROUP, 2), "unknown");
    assert_true(ike_cfg_encr_is_aead(IKECFG_AES_GCM_256));
    assert_false(ike_cfg_encr_is_aead(IKECFG_AES_CBC_256));
}

/* ---- smart defaults ---- */

static void test_defaults(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_proposal *p = ike_cfg_proposal_find(c, "default");
    assert_non_null(p);
    assert_true(p->is_default);
    assert_false(ike_cfg_proposal_modified(p));
    assert_true(ike_cfg_proposal_complete(p, NULL, 0));
    static const uint16_t encr[] = {IKECFG_AES_GCM_256, IKECFG_AES_GCM_128, IKECFG_AES_CBC_256,
                                    IKECFG_AES_CBC_128};
    static const uint16_t hash[] = {IKECFG_SHA512, IKECFG_SHA384, IKECFG_SHA256};
    static const uint16_t groups[] = {19, 20, 21, 31, 14};
    assert_int_equal(p->nalg[IKECFG_ENCR], 4);
    assert_memory_equal(p->alg[IKECFG_ENCR], encr, sizeof encr);
    assert_int_equal(p->nalg[IKECFG_INTEG], 3);
    assert_memory_equal(p->alg[IKECFG_INTEG], hash, sizeof hash);
    assert_int_equal(p->nalg[IKECFG_PRF], 3);
    assert_memory_equal(p->alg[IKECFG_PRF], hash, sizeof hash);
    assert_int_equal(p->nalg[IKECFG_GROUP], 5);
    assert_memory_equal(p->alg[IKECFG_GROUP], groups, sizeof groups);

    struct ike_cfg_policy *po = ike_cfg_policy_find(c, "default");
    assert_non_null(po);
    assert_true(po->fvrf_any);
    assert_int_equal(po->nproposal, 1);
    assert_string_equal(po->proposal[0], "default");
    assert_int_equal(po->nlocal, 0);
    assert_false(ike_cfg_policy_modified(po));

    struct ike_cfg_author *a = ike_cfg_author_find(c, "default");
    assert_non_null(a);
    assert_false(ike_cfg_author_modified(a));
    assert_null(ike_cfg_profile_find(c, "default")); /* IOS has no default IKEv2 profile */
    assert_null(ike_cfg_keyring_find(c, "default"));
    assert_int_equal(c->redirect_max, 5);
    render_is(c, ""); /* nothing shows until changed */
}

static void test_default_restore(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_proposal *p = ike_cfg_proposal_get(c, "default", err, sizeof err);
    /* The first command on a shipped list replaces it; later ones accumulate. */
    algs(p, IKECFG_ENCR, "aes-cbc-256");
    assert_int_equal(p->nalg[IKECFG_ENCR], 1);
    algs(p, IKECFG_ENCR, "aes-cbc-128");
    assert_int_equal(p->nalg[IKECFG_ENCR], 2);
    assert_int_equal(p->nalg[IKECFG_INTEG], 3); /* untouched lists stay as shipped */
    const char *g14[] = {"14"};
    assert_int_equal(ike_cfg_proposal_del(p, IKECFG_GROUP, g14, 1, err, sizeof err), 0);
    assert_int_equal(p->nalg[IKECFG_GROUP], 4);
    assert_int_equal(ike_cfg_proposal_del(p, IKECFG_PRF, NULL, 0, err, sizeof err), 0);
    assert_true(ike_cfg_proposal_modified(p));

    struct ike_cfg_policy *po = ike_cfg_policy_get(c, "default", err, sizeof err);
    assert_int_equal(ike_cfg_policy_add_proposal(po, "p1", err, sizeof err), 0);
    assert_int_equal(po->nproposal, 1);
    assert_string_equal(po->proposal[0], "p1");
    po->fvrf_any = false;

    struct ike_cfg_author *a = ike_cfg_author_get(c, "default", err, sizeof err);
    assert_int_equal(ike_cfg_author_set_pool(a, "pool1", err, sizeof err), 0);

    /* A modified default is rendered with what loading needs to rebuild it. */
    render_is(c, "crypto ikev2 authorization policy default\n"
                 " pool pool1\n"
                 "!\n"
                 "crypto ikev2 proposal default\n"
                 " encryption aes-cbc-256 aes-cbc-128\n"
                 " no prf\n"
                 " group 19 20 21 31\n"
                 "!\n"
                 "crypto ikev2 policy default\n"
                 " no match fvrf any\n"
                 " proposal p1\n"
                 "!\n");

    /* `no crypto ikev2 ... default` restores; the objects stay. */
    assert_int_equal(ike_cfg_proposal_remove(c, "default"), 0);
    assert_int_equal(ike_cfg_policy_remove(c, "default"), 0);
    assert_int_equal(ike_cfg_author_remove(c, "default"), 0);
    assert_ptr_equal(ike_cfg_proposal_find(c, "default"), p);
    assert_false(ike_cfg_proposal_modified(p));
    assert_int_equal(p->nalg[IKECFG_GROUP], 5);
    assert_false(ike_cfg_policy_modified(po));
    assert_string_equal(po->proposal[0], "default");
    assert_false(ike_cfg_author_modified(a));
    assert_string_equal(a->name, "default");
    render_is(c, "");

    /* An emptied default proposal list is written as `no ...`. */
    assert_int_equal(ike_cfg_policy_del_proposal(po, NULL), 0);
    render_is(c, "crypto ikev2 policy default\n no proposal\n!\n");
    assert_false(ike_cfg_policy_complete(po));
}

/* ---- proposals ---- */

static void test_proposal_lists(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_proposal *p = proposal(c, "p1", "aes-cbc-256", NULL, NULL, NULL);
    assert_false(p->is_default);
    algs(p, IKECFG_ENCR, "aes-cbc-128 aes-cbc-256"); /* 256 already there: not twice */
    assert_int_equal(p->nalg[IKECFG_ENCR], 2);
    assert_int_equal(p->alg[IKECFG_ENCR][0], IKECFG_AES_CBC_256);
    assert_int_equal(p->alg[IKECFG_ENCR][1], IKECFG_AES_CBC_128);
    algs(p, IKECFG_GROUP, "21 19 14 15 16 20 31");
    assert_int_equal(p->nalg[IKECFG_GROUP], 7);
    assert_int_equal(p->alg[IKECFG_GROUP][0], 21);

    /* An unknown word refuses the whole command. */
    const char *bad[] = {"sha256", "md5"};
    assert_int_equal(ike_cfg_proposal_add(p, IKECFG_INTEG, bad, 2, err, sizeof err), -1);
    assert_string_equal(err, "% Invalid integrity algorithm 'md5'");
    assert_int_equal(p->nalg[IKECFG_INTEG], 0);
    const char *g[] = {"19", "5"};
    assert_int_equal(ike_cfg_proposal_add(p, IKECFG_GROUP, g, 2, err, sizeof err), -1);
    assert_string_equal(err, "% Invalid group algorithm '5'");
    assert_int_equal(ike_cfg_proposal_del(p, IKECFG_GROUP, g, 2, err, sizeof err), -1);
    assert_int_equal(p->nalg[IKECFG_GROUP], 7);

    const char *rm[] = {"19", "31", "20"};
    assert_int_equal(ike_cfg_proposal_del(p, IKECFG_GROUP, rm, 3, err, sizeof err), 0);
    assert_int_equal(p->nalg[IKECFG_GROUP], 4);
    static const uint16_t left[] = {21, 14, 15, 16};
    assert_memory_equal(p->alg[IKECFG_GROUP], left, sizeof left);
    assert_int_equal(ike_cfg_proposal_del(p, IKECFG_GROUP, NULL, 0, err, sizeof err), 0);
    assert_int_equal(p->nalg[IKECFG_GROUP], 0);
    assert_int_equal(ike_cfg_proposal_add(p, IKECFG_GROUP, NULL, 0, err, sizeof err), -1);

    /* Names are kept sorted, case-sensitively. */
    proposal(c, "A", NULL, NULL, NULL, NULL);
    proposal(c, "zz", NULL, NULL, NULL, NULL);
    const char *order[] = {"A", "default", "p1", "zz"};
    int i = 0;
    for (struct ike_cfg_proposal *q = c->proposals; q; q = q->next) {
        assert_true(i < 4);
        assert_string_equal(q->name, order[i++]);
    }
    assert_int_equal(i, 4);
    assert_int_equal(c->nproposals, 4);
    assert_int_equal(ike_cfg_proposal_remove(c, "A"), 0);
    assert_int_equal(ike_cfg_proposal_remove(c, "A"), -1);
    assert_int_equal(c->nproposals, 3);
}

static void test_proposal_complete(void **state)
{
    struct ike_config *c = *state;
    char why[96];
    static const struct {
        const char *encr, *integ, *prf, *group, *why;
    } t[] = {
        {NULL, "sha256", NULL, "14", "no encryption algorithm"},
        {"aes-cbc-256", NULL, "sha256", "14", "AES-CBC needs an integrity algorithm"},
        {"aes-gcm-256", NULL, NULL, "19", "AES-GCM needs a PRF algorithm"},
        {"aes-gcm-256", "sha256", "sha256", "19", "integrity is not allowed with AES-GCM only"},
        {"aes-cbc-256", "sha256", NULL, NULL, "no DH group"},
        {"aes-cbc-256", "sha256", NULL, "14", NULL},
        {"aes-gcm-128", NULL, "sha384", "20", NULL},
        {"aes-gcm-128 aes-cbc-128", "sha1", "sha512", "14 19", NULL},
        {"aes-gcm-128 aes-cbc-128", "sha1", NULL, "14 19", "AES-GCM needs a PRF algorithm"},
        {"aes-gcm-128 aes-cbc-128", NULL, "sha1", "14", "AES-CBC needs an integrity algorithm"},
    };
    for (size_t i = 0; i < N_ELEM(t); i++) {
        char name[16];
        snprintf(name, sizeof name, "c%zu", i);
        struct ike_cfg_proposal *p = proposal(c, name, t[i].encr, t[i].integ, t[i].prf, t[i].group);
        why[0] = '\0';
        bool ok = ike_cfg_proposal_complete(p, why, sizeof why);
        if (ok != (t[i].why == NULL)) fail_msg("case %zu: complete=%d (%s)", i, ok, why);
        if (t[i].why) assert_string_equal(why, t[i].why);
    }
}

/* ---- IKE SA proposals from the policies ---- */

static void test_proposals_for_default(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_tset t[8];
    int n = ike_cfg_proposals_for(c, IP(10, 0, 0, 1), t, 8);
    assert_int_equal(n, 2);
    /* The default proposal holds both kinds of cipher: AEAD first, then CBC with integrity. */
    assert_true(t[0].aead);
    assert_string_equal(t[0].proposal, "default");
    assert_int_equal(t[0].nencr, 2);
    assert_int_equal(t[0].encr[0].id, IKE_ENCR_AES_GCM_16);
    assert_int_equal(t[0].encr[0].keylen, 256);
    assert_int_equal(t[0].encr[1].keylen, 128);
    assert_int_equal(t[0].ninteg, 0);
    assert_int_equal(t[0].nprf, 3);
    assert_int_equal(t[0].prf[0], IKE_PRF_HMAC_SHA2_512);
    assert_int_equal(t[0].prf[2], IKE_PRF_HMAC_SHA2_256);
    assert_int_equal(t[0].ndh, 5);
    assert_int_equal(t[0].dh[0], IKE_DH_ECP256);
    assert_int_equal(t[0].dh[3], IKE_DH_CURVE25519);
    assert_int_equal(t[0].dh[4], IKE_DH_MODP2048);
    assert_false(t[1].aead);
    assert_int_equal(t[1].nencr, 2);
    assert_int_equal(t[1].encr[0].id, IKE_ENCR_AES_CBC);
    assert_int_equal(t[1].encr[0].keylen, 256);
    assert_int_equal(t[1].ninteg, 3);
    assert_int_equal(t[1].integ[0], IKE_INTEG_HMAC_SHA2_512_256);
    assert_int_equal(t[1].integ[1], IKE_INTEG_HMAC_SHA2_384_192);
    assert_int_equal(t[1].integ[2], IKE_INTEG_HMAC_SHA2_256_128);
    assert_int_equal(t[1].nprf, 3);
    /* cap is respected */
    assert_int_equal(ike_cfg_proposals_for(c, 0, t, 1), 1);
    assert_true(t[0].aead);
    assert_int_equal(ike_cfg_proposals_for(c, 0, t, 0), 0);
}

static void test_proposals_for_policies(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_tset t[16];
    /* A CBC proposal without prf: the PRFs are the integrity hashes (IOS). */
    proposal(c, "cbc", "aes-cbc-128", "sha1 sha256", NULL, "14");
    proposal(c, "gcm", "aes-gcm-256", NULL, "sha384", "20");
    proposal(c, "broken", "aes-gcm-256", NULL, NULL, "20"); /* incomplete: skipped */

    struct ike_cfg_policy *any = ike_cfg_policy_get(c, "any", err, sizeof err);
    assert_int_equal(ike_cfg_policy_add_proposal(any, "missing", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(any, "broken", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(any, "cbc", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(any, "cbc", err, sizeof err), 0); /* once */
    assert_int_equal(any->nproposal, 3);

    /* A configured policy replaces the default one. */
    int n = ike_cfg_proposals_for(c, IP(10, 0, 0, 1), t, 16);
    assert_int_equal(n, 1);
    assert_string_equal(t[0].proposal, "cbc");
    assert_false(t[0].aead);
    assert_int_equal(t[0].encr[0].keylen, 128);
    assert_int_equal(t[0].ninteg, 2);
    assert_int_equal(t[0].integ[0], IKE_INTEG_HMAC_SHA1_96);
    assert_int_equal(t[0].nprf, 2);
    assert_int_equal(t[0].prf[0], IKE_PRF_HMAC_SHA1);
    assert_int_equal(t[0].prf[1], IKE_PRF_HMAC_SHA2_256);
    assert_int_equal(t[0].ndh, 1);

    /* A policy naming the local address wins over those matching any address. */
    struct ike_cfg_policy *loc = ike_cfg_policy_get(c, "local", err, sizeof err);
    assert_int_equal(ike_cfg_policy_add_proposal(loc, "gcm", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(loc, "cbc", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_local(loc, IP(10, 0, 0, 1), err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_local(loc, IP(10, 0, 0, 1), err, sizeof err), 0);
    assert_int_equal(loc->nlocal, 1);
    n = ike_cfg_proposals_for(c, IP(10, 0, 0, 1), t, 16);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].proposal, "gcm");
    assert_true(t[0].aead);
    assert_string_equal(t[1].proposal, "cbc");
    n = ike_cfg_proposals_for(c, IP(10, 0, 0, 2), t, 16);
    assert_int_equal(n, 1);
    assert_string_equal(t[0].proposal, "cbc");

    /* Two policies of one kind: name order, each proposal once. */
    struct ike_cfg_policy *any2 = ike_cfg_policy_get(c, "any2", err, sizeof err);
    assert_int_equal(ike_cfg_policy_add_proposal(any2, "cbc", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(any2, "gcm", err, sizeof err), 0);
    n = ike_cfg_proposals_for(c, IP(10, 0, 0, 2), t, 16);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].proposal, "cbc");
    assert_string_equal(t[1].proposal, "gcm");

    /* Only policies that name other addresses: nothing is acceptable. */
    assert_int_equal(ike_cfg_policy_remove(c, "any"), 0);
    assert_int_equal(ike_cfg_policy_remove(c, "any2"), 0);
    assert_int_equal(ike_cfg_proposals_for(c, IP(10, 0, 0, 2), t, 16), 0);

    /* A modified default policy is a configured policy; an unmodified one is not. Typing
     * `proposal default` in it configures it explicitly (same contents, now in force). */
    struct ike_cfg_policy *def = ike_cfg_policy_find(c, "default");
    def->fvrf_any = false;
    assert_true(ike_cfg_policy_modified(def));
    def->fvrf_any = true;
    assert_false(ike_cfg_policy_modified(def));
    assert_int_equal(ike_cfg_proposals_for(c, IP(10, 0, 0, 2), t, 16), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(def, "default", err, sizeof err), 0);
    assert_true(ike_cfg_policy_modified(def));
    assert_int_equal(def->nproposal, 1);
    assert_int_equal(ike_cfg_proposals_for(c, IP(10, 0, 0, 2), t, 16), 2);
    assert_int_equal(ike_cfg_policy_add_proposal(def, "gcm", err, sizeof err), 0);
    assert_true(ike_cfg_policy_modified(def));
    n = ike_cfg_proposals_for(c, IP(10, 0, 0, 2), t, 16);
    assert_int_equal(n, 3);
    assert_string_equal(t[0].proposal, "default");
    assert_string_equal(t[2].proposal, "gcm");

    /* No configured policy left: the default one again. */
    assert_int_equal(ike_cfg_policy_remove(c, "local"), 0);
    assert_int_equal(ike_cfg_policy_remove(c, "default"), 0);
    n = ike_cfg_proposals_for(c, IP(10, 0, 0, 1), t, 16);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].proposal, "default");
}

/* ---- identities and profiles ---- */

static struct ike_cfg_peer_id id_of(uint8_t type, const void *data, size_t len)
{
    return (struct ike_cfg_peer_id){.type = type, .data = data, .len = len};
}

static struct ike_cfg_peer_id text_id(uint8_t type, const char *s)
{
    return id_of(type, s, strlen(s));
}

static struct ike_cfg_idmatch idm(enum ike_cfg_id_kind k, bool domain, const char *text)
{
    struct ike_cfg_idmatch m = {.kind = k, .domain = domain};
    snprintf(m.text, sizeof m.text, "%s", text ? text : "");
    return m;
}

static void test_idmatch(void **state)
{
    (void)state;
    uint8_t a4[4] = {10, 1, 2, 3};
    struct ike_cfg_peer_id addr = id_of(IKE_ID_IPV4_ADDR, a4, 4);
    struct ike_cfg_idmatch m = {
        .kind = IKECFG_ID_ADDRESS, .addr_h = IP(10, 1, 0, 0), .mask_h = IP(255, 255, 0, 0)};
    assert_true(ike_cfg_idmatch_accepts(&m, &addr));
    m.addr_h = IP(10, 2, 0, 0);
    assert_false(ike_cfg_idmatch_accepts(&m, &addr));
    struct ike_cfg_peer_id short_addr = id_of(IKE_ID_IPV4_ADDR, a4, 3);
    m.addr_h = IP(10, 1, 0, 0);
    assert_false(ike_cfg_idmatch_accepts(&m, &short_addr));

    m = idm(IKECFG_ID_FQDN, false, "vpn.example.com");
    struct ike_cfg_peer_id f = text_id(IKE_ID_FQDN, "VPN.Example.COM");
    assert_true(ike_cfg_idmatch_accepts(&m, &f));
    f = text_id(IKE_ID_FQDN, "vpn.example.co");
    assert_false(ike_cfg_idmatch_accepts(&m, &f));
    struct ike_cfg_peer_id wrong_type = text_id(IKE_ID_KEY_ID, "vpn.example.com");
    assert_false(ike_cfg_idmatch_accepts(&m, &wrong_type));

    m = idm(IKECFG_ID_FQDN, true, "example.com");
    f = text_id(IKE_ID_FQDN, "a.b.example.com");
    assert_true(ike_cfg_idmatch_accepts(&m, &f));
    f = text_id(IKE_ID_FQDN, "example.com");
    assert_true(ike_cfg_idmatch_accepts(&m, &f));
    f = text_id(IKE_ID_FQDN, "badexample.com");
    assert_false(ike_cfg_idmatch_accepts(&m, &f));
    f = text_id(IKE_ID_FQDN, "com");
    assert_false(ike_cfg_idmatch_accepts(&m, &f));

    m = idm(IKECFG_ID_EMAIL, false, "joe@example.com");
    struct ike_cfg_peer_id e = text_id(IKE_ID_RFC822_ADDR, "Joe@example.com");
    assert_true(ike_cfg_idmatch_accepts(&m, &e));
    m = idm(IKECFG_ID_EMAIL, true, "example.com");
    e = text_id(IKE_ID_RFC822_ADDR, "ann@lab.example.com");
    assert_true(ike_cfg_idmatch_accepts(&m, &e));
    e = text_id(IKE_ID_RFC822_ADDR, "example.com");
    assert_false(ike_cfg_idmatch_accepts(&m, &e)); /* no '@' */
    e = text_id(IKE_ID_RFC822_ADDR, "ann@example.org");
    assert_false(ike_cfg_idmatch_accepts(&m, &e));

    /* key-id: opaque bytes, case and embedded NUL matter */
    m = idm(IKECFG_ID_KEYID, false, "Key1");
    struct ike_cfg_peer_id k = text_id(IKE_ID_KEY_ID, "Key1");
    assert_true(ike_cfg_idmatch_accepts(&m, &k));
    k = text_id(IKE_ID_KEY_ID, "key1");
    assert_false(ike_cfg_idmatch_accepts(&m, &k));
    k = id_of(IKE_ID_KEY_ID, "Key1\0x", 6);
    assert_false(ike_cfg_idmatch_accepts(&m, &k));

    m = idm(IKECFG_ID_ANY, false, NULL);
    assert_true(ike_cfg_idmatch_accepts(&m, &k));
    assert_true(ike_cfg_idmatch_accepts(&m, NULL));
    m = idm(IKECFG_ID_FQDN, false, "x");
    assert_false(ike_cfg_idmatch_accepts(&m, NULL));
    struct ike_cfg_peer_id bogus = {.type = IKE_ID_FQDN, .data = NULL, .len = 5};
    assert_false(ike_cfg_idmatch_accepts(&m, &bogus));
}

/* A complete profile accepting remote identities by one statement. */
static struct ike_cfg_profile *profile(struct ike_config *c, const char *name,
                                       const struct ike_cfg_idmatch *m)
{
    struct ike_cfg_profile *p = ike_cfg_profile_get(c, name, err, sizeof err);
    assert_non_null(p);
    if (m && ike_cfg_profile_add_idmatch(p, true, m, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(ike_cfg_profile_set_auth(p, false, IKECFG_AUTH_PSK, 0, NULL, err, sizeof err),
                     0);
    assert_int_equal(ike_cfg_profile_set_auth(p, true, IKECFG_AUTH_PSK, 0, NULL, err, sizeof err),
                     0);
    return p;
}

static bool certmap_cb(void *arg, const char *map)
{
    return arg && !strcmp(map, arg);
}

static bool iface_cb(void *arg, const char *ifname, uint32_t addr_h)
{
    (void)arg;
    return !strcmp(ifname, "GigabitEthernet2") && addr_h == IP(192, 0, 2, 1);
}

static const char *match_name(struct ike_config *c, uint32_t local, const struct ike_cfg_peer_id *r,
                              const struct ike_cfg_peer_id *l, const struct ike_cfg_match_env *env)
{
    const struct ike_cfg_profile *p = ike_cfg_match_profile(c, local, r, l, env);
    return p ? p->name : "(none)";
}

static void test_match_profile(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_idmatch any = idm(IKECFG_ID_ANY, false, NULL);
    struct ike_cfg_idmatch exact = idm(IKECFG_ID_FQDN, false, "vpn.example.com");
    struct ike_cfg_idmatch dom = idm(IKECFG_ID_FQDN, true, "example.com");
    struct ike_cfg_idmatch longdom = idm(IKECFG_ID_FQDN, true, "lab.example.com");
    struct ike_cfg_peer_id vpn = text_id(IKE_ID_FQDN, "vpn.example.com");
    struct ike_cfg_peer_id a = text_id(IKE_ID_FQDN, "a.example.com");
    struct ike_cfg_peer_id lab = text_id(IKE_ID_FQDN, "x.lab.example.com");
    struct ike_cfg_peer_id other = text_id(IKE_ID_FQDN, "other.org");
    uint32_t l1 = IP(10, 0, 0, 1);

    assert_string_equal(match_name(c, l1, &vpn, NULL, NULL), "(none)");
    /* An incomplete profile is never chosen. */
    struct ike_cfg_profile *inc = ike_cfg_profile_get(c, "aaa-incomplete", err, sizeof err);
    assert_int_equal(ike_cfg_profile_add_idmatch(inc, true, &any, err, sizeof err), 0);
    char why[96];
    assert_false(ike_cfg_profile_complete(inc, why, sizeof why));
    assert_string_equal(why, "no local authentication method");
    assert_string_equal(match_name(c, l1, &vpn, NULL, NULL), "(none)");

    profile(c, "zany", &any);
    profile(c, "dom", &dom);
    profile(c, "longdom", &longdom);
    profile(c, "exact", &exact);
    assert_string_equal(match_name(c, l1, &vpn, NULL, NULL), "exact");
    assert_string_equal(match_name(c, l1, &a, NULL, NULL), "dom");
    assert_string_equal(match_name(c, l1, &lab, NULL, NULL), "longdom");
    assert_string_equal(match_name(c, l1, &other, NULL, NULL), "zany");

    /* `match certificate` beats `any` and loses to an identity; ORed with identities. */
    struct ike_cfg_profile *cert = profile(c, "cert", NULL);
    assert_int_equal(ike_cfg_profile_add_certmap(cert, "cm1", err, sizeof err), 0);
    struct ike_cfg_match_env env = {.arg = "cm1", .certmap = certmap_cb};
    assert_string_equal(match_name(c, l1, &other, NULL, &env), "cert");
    assert_string_equal(match_name(c, l1, &a, NULL, &env), "dom");
    env.arg = "cm2";
    assert_string_equal(match_name(c, l1, &other, NULL, &env), "zany");

    /* `match address local`: ANDed with the identity; beats a profile without it. */
    struct ike_cfg_profile *loc = profile(c, "local", &any);
    assert_int_equal(ike_cfg_profile_add_local(loc, false, l1, NULL, err, sizeof err), 0);
    assert_string_equal(match_name(c, l1, &other, NULL, NULL), "local");
    assert_string_equal(match_name(c, IP(10, 0, 0, 2), &other, NULL, NULL), "zany");
    assert_int_equal(ike_cfg_profile_add_local(loc, true, 0, "GigabitEthernet2", err, sizeof err),
                     0);
    struct ike_cfg_match_env ifenv = {.iface_has_addr = iface_cb};
    assert_string_equal(match_name(c, IP(192, 0, 2, 1), &other, NULL, &ifenv), "local");
    assert_string_equal(match_name(c, IP(192, 0, 2, 1), &other, NULL, NULL), "zany");

    /* `match identity local`: checked against the IDr the initiator asked for, if any. */
    struct ike_cfg_idmatch me = idm(IKECFG_ID_FQDN, false, "gw1.example.com");
    assert_int_equal(ike_cfg_profile_add_idmatch(loc, false, &me, err, sizeof err), 0);
    struct ike_cfg_peer_id gw1 = text_id(IKE_ID_FQDN, "gw1.example.com");
    struct ike_cfg_peer_id gw2 = text_id(IKE_ID_FQDN, "gw2.example.com");
    assert_string_equal(match_name(c, l1, &other, &gw1, NULL), "local");
    assert_string_equal(match_name(c, l1, &other, &gw2, NULL), "zany");
    assert_string_equal(match_name(c, l1, &other, NULL, NULL), "local");

    /* Equal matches: name order. */
    profile(c, "aexact", &exact);
    assert_string_equal(match_name(c, l1, &vpn, NULL, NULL), "aexact");

    /* Removing statements */
    assert_int_equal(ike_cfg_profile_del_idmatch(loc, false, &me), 0);
    assert_int_equal(ike_cfg_profile_del_idmatch(loc, false, &me), -1);
    assert_int_equal(ike_cfg_profile_del_local(loc, true, 0, "GigabitEthernet2"), 0);
    assert_int_equal(ike_cfg_profile_del_local(loc, false, l1, NULL), 0);
    assert_int_equal(loc->nlocal, 0);
    assert_int_equal(ike_cfg_profile_del_certmap(cert, "cm1"), 0);
    assert_false(ike_cfg_profile_complete(cert, why, sizeof why));
    assert_string_equal(why, "no 'match identity remote' or 'match certificate' statement");
}

static void test_match_profile_addresses(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_idmatch net = {.kind = IKECFG_ID_ADDRESS,
                                  .addr_h = IP(10, 1, 2, 3), /* host bits are cleared */
                                  .mask_h = IP(255, 255, 0, 0)};
    struct ike_cfg_idmatch net24 = {
        .kind = IKECFG_ID_ADDRESS, .addr_h = IP(10, 1, 2, 0), .mask_h = IP(255, 255, 255, 0)};
    struct ike_cfg_idmatch host = {
        .kind = IKECFG_ID_ADDRESS, .addr_h = IP(10, 1, 2, 3), .mask_h = 0xffffffffu};
    struct ike_cfg_profile *p16 = profile(c, "p16", &net);
    assert_int_equal(p16->remote[0].addr_h, IP(10, 1, 0, 0));
    profile(c, "p24", &net24);
    profile(c, "host", &host);
    uint8_t h3[4] = {10, 1, 2, 3}, h4[4] = {10, 1, 2, 4}, h9[4] = {10, 1, 9, 9};
    struct ike_cfg_peer_id i3 = id_of(IKE_ID_IPV4_ADDR, h3, 4);
    struct ike_cfg_peer_id i4 = id_of(IKE_ID_IPV4_ADDR, h4, 4);
    struct ike_cfg_peer_id i9 = id_of(IKE_ID_IPV4_ADDR, h9, 4);
    assert_string_equal(match_name(c, 0, &i3, NULL, NULL), "host");
    assert_string_equal(match_name(c, 0, &i4, NULL, NULL), "p24");
    assert_string_equal(match_name(c, 0, &i9, NULL, NULL), "p16");
    struct ike_cfg_idmatch bad = net;
    bad.mask_h = IP(255, 0, 255, 0);
    assert_int_equal(ike_cfg_profile_add_idmatch(p16, true, &bad, err, sizeof err), -1);
    assert_string_equal(err, "% Bad mask");
}

static void test_profile_for_local(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_idmatch any = idm(IKECFG_ID_ANY, false, NULL);
    assert_null(ike_cfg_profile_for_local(c, IP(10, 0, 0, 1), NULL));
    struct ike_cfg_profile *only = profile(c, "only", &any);
    assert_ptr_equal(ike_cfg_profile_for_local(c, IP(10, 0, 0, 1), NULL), only);
    profile(c, "second", &any);
    assert_null(ike_cfg_profile_for_local(c, IP(10, 0, 0, 1), NULL)); /* ambiguous */
    struct ike_cfg_profile *loc = profile(c, "zlocal", &any);
    assert_int_equal(ike_cfg_profile_add_local(loc, false, IP(10, 0, 0, 1), NULL, err, sizeof err),
                     0);
    assert_ptr_equal(ike_cfg_profile_for_local(c, IP(10, 0, 0, 1), NULL), loc);
    assert_null(ike_cfg_profile_for_local(c, IP(10, 0, 0, 2), NULL));
    /* an incomplete profile is not a candidate */
    assert_int_equal(ike_cfg_profile_remove(c, "second"), 0);
    ike_cfg_profile_clear_auth(only, false, IKECFG_AUTH_NONE);
    assert_null(ike_cfg_profile_for_local(c, IP(10, 0, 0, 2), NULL));
}

/* ---- keyrings and keys ---- */

static struct ike_cfg_kpeer *kpeer(struct ike_cfg_keyring *k, const char *name, uint32_t addr,
                                   uint32_t mask, const char *key)
{
    struct ike_cfg_kpeer *p = ike_cfg_kpeer_get(k, name, err, sizeof err);
    assert_non_null(p);
    if (mask) assert_int_equal(ike_cfg_kpeer_set_address(p, addr, mask, err, sizeof err), 0);
    if (key) assert_int_equal(ike_cfg_kpeer_set_key(p, 0, 0, key, err, sizeof err), 0);
    return p;
}

static void test_keyring_peer(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_keyring *k = ike_cfg_keyring_get(c, "kr", err, sizeof err);
    assert_non_null(k);
    struct ike_cfg_kpeer *wide = kpeer(k, "wide", 0, IP(128, 0, 0, 0), "w"); /* 0.0.0.0/1 */
    struct ike_cfg_kpeer *net = kpeer(k, "net", IP(10, 1, 2, 0), IP(255, 255, 255, 0), "n");
    struct ike_cfg_kpeer *net2 = kpeer(k, "net2", IP(10, 1, 2, 0), IP(255, 255, 255, 0), "n2");
    struct ike_cfg_kpeer *host = kpeer(k, "host", IP(10, 1, 2, 3), 0xffffffffu, "h");
    struct ike_cfg_kpeer *byid = kpeer(k, "byid", 0, 0, "i");
    assert_int_equal(
        ike_cfg_kpeer_set_identity(byid, IKECFG_ID_FQDN, 0, "spoke.example.com", err, sizeof err),
        0);
    struct ike_cfg_kpeer *byname = kpeer(k, "byname", 0, 0, "hn");
    assert_int_equal(ike_cfg_kpeer_set_hostname(byname, "Spoke7", err, sizeof err), 0);
    assert_int_equal(k->npeers, 6);
    assert_string_equal(k->peers->name, "wide"); /* configured order, not sorted */

    struct ike_cfg_peer_id spoke = text_id(IKE_ID_FQDN, "SPOKE.example.com");
    struct ike_cfg_peer_id stranger = text_id(IKE_ID_FQDN, "x.example.com");
    /* identity first, even when an address would match too */
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(10, 1, 2, 3), &spoke, NULL), byid);
    /* then the longest prefix */
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(10, 1, 2, 3), &stranger, NULL), host);
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(10, 1, 2, 4), NULL, NULL), net); /* tie: first */
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(10, 9, 9, 9), NULL, "spoke7"), wide);
    /* then the hostname */
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(200, 0, 0, 1), NULL, "spoke7"), byname);
    assert_null(ike_cfg_keyring_peer(k, IP(200, 0, 0, 1), NULL, "spoke8"));
    assert_null(ike_cfg_keyring_peer(k, IP(200, 0, 0, 1), NULL, NULL));
    (void)net2;

    /* an identity given as an address */
    struct ike_cfg_kpeer *ida = kpeer(k, "ida", 0, 0, "a");
    assert_int_equal(ike_cfg_kpeer_set_identity(ida, IKECFG_ID_ADDRESS, IP(198, 51, 100, 7), NULL,
                                                err, sizeof err),
                     0);
    uint8_t raw[4] = {198, 51, 100, 7};
    struct ike_cfg_peer_id rid = id_of(IKE_ID_IPV4_ADDR, raw, 4);
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(10, 1, 2, 3), &rid, NULL), ida);

    assert_int_equal(ike_cfg_kpeer_remove(k, "host"), 0);
    assert_int_equal(ike_cfg_kpeer_remove(k, "host"), -1);
    assert_ptr_equal(ike_cfg_keyring_peer(k, IP(10, 1, 2, 3), NULL, NULL), net);
    assert_null(ike_cfg_keyring_peer(NULL, 0, NULL, NULL));
}

static void test_psk_lookup(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_idmatch any = idm(IKECFG_ID_ANY, false, NULL);
    struct ike_cfg_profile *p = profile(c, "psk", &any);
    struct ike_cfg_keys k;
    uint32_t peer = IP(10, 0, 0, 2);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_NO_KEYRING);
    assert_int_equal(ike_cfg_profile_set_keyring(p, "kr", err, sizeof err), 0);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_UNDEFINED);
    struct ike_cfg_keyring *kr = ike_cfg_keyring_get(c, "kr", err, sizeof err);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_NO_PEER);
    struct ike_cfg_kpeer *kp = kpeer(kr, "site", IP(10, 0, 0, 0), IP(255, 0, 0, 0), NULL);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_NO_KEY);
    assert_ptr_equal(k.peer, kp);

    /* One key for both directions */
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 0, 0, "both ways", err, sizeof err), 0);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_OK);
    assert_string_equal(k.local, "both ways");
    assert_string_equal(k.remote, "both ways");
    /* local/remote override it */
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 'l', 0, "mine", err, sizeof err), 0);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_OK);
    assert_string_equal(k.local, "mine");
    assert_string_equal(k.remote, "both ways");
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 'r', 0, "theirs", err, sizeof err), 0);
    ike_cfg_kpeer_clear_key(kp, 0);
    assert_false(kp->key.set);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_OK);
    assert_string_equal(k.remote, "theirs");
    ike_cfg_kpeer_clear_key(kp, 'r');
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_NO_KEY);
    assert_int_equal(k.local_st, IKECFG_PSK_OK);
    assert_int_equal(k.remote_st, IKECFG_PSK_NO_KEY);
    /* a type 6 key is kept but cannot be used */
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 'r', 6, "ABCDEF0123", err, sizeof err), 0);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_ENCRYPTED);
    assert_null(k.remote);
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 'r', 6, "two words", err, sizeof err), -1);
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 'r', 7, "x", err, sizeof err), -1);
    assert_string_equal(err, "% Invalid key type 7");

    /* the profile's own keys come first */
    assert_int_equal(
        ike_cfg_profile_set_auth(p, true, IKECFG_AUTH_PSK, 0, "prof-remote", err, sizeof err), 0);
    assert_int_equal(ike_cfg_psk_lookup(c, p, peer, NULL, NULL, &k), IKECFG_PSK_OK);
    assert_string_equal(k.remote, "prof-remote");
    assert_string_equal(k.local, "mine");
    assert_int_equal(
        ike_cfg_profile_set_auth(p, false, IKECFG_AUTH_PSK, 0, "prof-local", err, sizeof err), 0);
    assert_int_equal(ike_cfg_psk_lookup(c, p, IP(99, 0, 0, 1), NULL, NULL, &k), IKECFG_PSK_OK);
    assert_null(k.peer); /* no keyring peer needed */
    assert_string_equal(k.local, "prof-local");
    /* a new local method drops the local key; pre-share without a key drops it too */
    assert_int_equal(ike_cfg_profile_set_auth(p, false, IKECFG_AUTH_RSA, 0, NULL, err, sizeof err),
                     0);
    assert_false(p->auth_local_key.set);
    assert_int_equal(ike_cfg_profile_set_auth(p, true, IKECFG_AUTH_PSK, 0, NULL, err, sizeof err),
                     0);
    assert_false(p->auth_remote_key.set);
    assert_int_equal(ike_cfg_profile_set_auth(p, true, IKECFG_AUTH_RSA, 0, "k", err, sizeof err),
                     -1);
    assert_string_equal(err, "% A key goes with pre-share authentication only");
    assert_string_equal(ike_cfg_psk_status_text(IKECFG_PSK_NO_PEER), "no keyring peer matches");
}

static void test_effective(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_idmatch any = idm(IKECFG_ID_ANY, false, NULL);
    struct ike_cfg_profile *p = profile(c, "p", &any);
    struct ike_cfg_effective e;
    ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
    assert_int_equal(e.lifetime, 86400);
    assert_false(e.dpd.set);
    assert_int_equal(e.nat_keepalive, 0);
    assert_null(e.author_name);
    assert_null(e.author);
    assert_int_equal(e.vtemplate, 0);
    assert_false(e.redirect_init || e.redirect_auth);

    /* globals apply when the profile has nothing of its own */
    assert_int_equal(ike_cfg_dpd_set(&c->dpd, 30, 5, true, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_nat_keepalive(&c->nat_keepalive, 20, err, sizeof err), 0);
    c->redirect_init = true;
    ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
    assert_true(e.dpd.set && e.dpd.periodic);
    assert_int_equal(e.dpd.interval, 30);
    assert_int_equal(e.nat_keepalive, 20);
    assert_true(e.redirect_init);
    assert_false(e.redirect_auth);

    assert_int_equal(ike_cfg_profile_set_lifetime(p, 3600, err, sizeof err), 0);
    assert_int_equal(ike_cfg_dpd_set(&p->dpd, 10, 2, false, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_nat_keepalive(&p->nat_keepalive, 5, err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_set_vtemplate(p, 1, err, sizeof err), 0);
    p->redirect_auth = true;
    assert_int_equal(
        ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_CERT, "default", "default", err, sizeof err),
        0);
    assert_int_equal(
        ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_PSK, "default", NULL, err, sizeof err), 0);
    ike_cfg_effective(c, p, IKECFG_AUTH_RSA, &e);
    assert_int_equal(e.lifetime, 3600);
    assert_false(e.dpd.periodic);
    assert_int_equal(e.dpd.interval, 10);
    assert_int_equal(e.nat_keepalive, 5);
    assert_int_equal(e.vtemplate, 1);
    assert_true(e.redirect_auth && e.redirect_init);
    assert_string_equal(e.author_name, "default");
    assert_ptr_equal(e.author, ike_cfg_author_find(c, "default"));

    /* psk: unnamed means the default policy; a named one may not exist (yet) */
    ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
    assert_string_equal(e.author_name, "default");
    assert_non_null(e.author);
    assert_int_equal(
        ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_PSK, "default", "spokes", err, sizeof err), 0);
    ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
    assert_string_equal(e.author_name, "spokes");
    assert_null(e.author);
    struct ike_cfg_author *sp = ike_cfg_author_get(c, "spokes", err, sizeof err);
    ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
    assert_ptr_equal(e.author, sp);
    ike_cfg_effective(c, p, IKECFG_AUTH_ECDSA, &e);
    assert_string_equal(e.author_name, "default");
    ike_cfg_effective(c, p, IKECFG_AUTH_NONE, &e);
    assert_null(e.author_name);
    assert_int_equal(ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_PSK, NULL, NULL, err, sizeof err),
                     0);
    ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
    assert_null(e.author_name);
}

static void test_local_id_and_limits(void **state)
{
    struct ike_config *c = *state;
    struct ike_cfg_profile *p = ike_cfg_profile_get(c, "p", err, sizeof err);
    uint8_t type, buf[300];
    /* IOS's default: the address the request arrived on */
    assert_int_equal(ike_cfg_local_id(p, IP(10, 10, 10, 1), &type, buf, sizeof buf), 4);
    assert_int_equal(type, IKE_ID_IPV4_ADDR);
    assert_memory_equal(buf, "\x0a\x0a\x0a\x01", 4);
    assert_int_equal(ike_cfg_local_id(p, IP(10, 10, 10, 1), &type, buf, 3), 0);
    assert_int_equal(type, 0);
    assert_int_equal(
        ike_cfg_profile_set_identity(p, IKECFG_ID_ADDRESS, IP(192, 0, 2, 1), NULL, err, sizeof err),
        0);
    assert_int_equal(ike_cfg_local_id(p, IP(10, 10, 10, 1), &type, buf, sizeof buf), 4);
    assert_memory_equal(buf, "\xc0\x00\x02\x01", 4);
    assert_int_equal(ike_cfg_profile_set_identity(p, IKECFG_ID_DN, 0, NULL, err, sizeof err), 0);
    assert_int_equal(ike_cfg_local_id(p, 0, &type, buf, sizeof buf), 0);
    assert_int_equal(type, IKE_ID_DER_ASN1_DN);
    static const struct {
        enum ike_cfg_id_kind k;
        uint8_t type;
        const char *text;
    } t[] = {{IKECFG_ID_FQDN, IKE_ID_FQDN, "gw.example.com"},
             {IKECFG_ID_EMAIL, IKE_ID_RFC822_ADDR, "gw@example.com"},
             {IKECFG_ID_KEYID, IKE_ID_KEY_ID, "KeyId"}};
    for (size_t i = 0; i < N_ELEM(t); i++) {
        assert_int_equal(ike_cfg_profile_set_identity(p, t[i].k, 0, t[i].text, err, sizeof err), 0);
        size_t n = strlen(t[i].text);
        assert_int_equal(ike_cfg_local_id(p, 0, &type, buf, sizeof buf), n);
        assert_int_equal(type, t[i].type);
        assert_memory_equal(buf, t[i].text, n);
        assert_int_equal(ike_cfg_local_id(p, 0, &type, buf, n - 1), 0);
    }

    uint32_t ck, mn, ms;
    ike_cfg_limits(c, &ck, &mn, &ms);
    assert_true(ck == 0 && mn == 0 && ms == 0);
    assert_int_equal(ike_cfg_set_cookie_challenge(c, 10, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_nego(c, 40, 'i', err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_nego(c, 7, 'o', err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_sa(c, 99999, err, sizeof err), 0);
    ike_cfg_limits(c, &ck, &mn, &ms);
    assert_int_equal(ck, 10);
    assert_int_equal(mn, 40);
    assert_int_equal(ms, 99999);
}

/* ---- validation ---- */

static void test_validation(void **state)
{
    struct ike_config *c = *state;
    char longname[80];
    memset(longname, 'n', 64);
    longname[64] = '\0';
    assert_null(ike_cfg_proposal_get(c, longname, err, sizeof err));
    assert_string_equal(err, "% The proposal name is too long (at most 63 characters)");
    longname[63] = '\0';
    assert_non_null(ike_cfg_proposal_get(c, longname, err, sizeof err));
    assert_null(ike_cfg_profile_get(c, "two words", err, sizeof err));
    assert_string_equal(err, "% The profile name contains an invalid character");
    assert_null(ike_cfg_keyring_get(c, "", err, sizeof err));
    assert_string_equal(err, "% A keyring name is required");
    assert_null(ike_cfg_author_get(c, "tab\there", err, sizeof err));
    assert_false(ike_cfg_name_ok(" lead"));
    assert_true(ike_cfg_name_ok("ok-name_1.2"));

    struct ike_cfg_profile *p = ike_cfg_profile_get(c, "p", err, sizeof err);
    assert_int_equal(ike_cfg_profile_set_lifetime(p, 119, err, sizeof err), -1);
    assert_string_equal(err, "% Invalid lifetime 119: the range is 120-86400");
    assert_int_equal(p->lifetime, 86400);
    assert_int_equal(ike_cfg_profile_set_lifetime(p, 86401, err, sizeof err), -1);
    assert_int_equal(ike_cfg_profile_set_lifetime(p, 120, err, sizeof err), 0);
    assert_int_equal(ike_cfg_dpd_set(&p->dpd, 9, 2, false, err, sizeof err), -1);
    assert_int_equal(ike_cfg_dpd_set(&p->dpd, 10, 61, false, err, sizeof err), -1);
    assert_string_equal(err, "% Invalid dpd retry interval 61: the range is 2-60");
    assert_false(p->dpd.set);
    assert_int_equal(ike_cfg_set_nat_keepalive(&p->nat_keepalive, 4, err, sizeof err), -1);
    assert_int_equal(ike_cfg_set_nat_keepalive(&p->nat_keepalive, 3601, err, sizeof err), -1);
    assert_int_equal(ike_cfg_profile_set_vtemplate(p, 65536, err, sizeof err), -1);
    assert_int_equal(ike_cfg_profile_set_vtemplate(p, 65535, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_cookie_challenge(c, 1001, err, sizeof err), -1);
    assert_int_equal(ike_cfg_set_cookie_challenge(c, 1000, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_sa(c, 100000, err, sizeof err), -1);
    assert_int_equal(ike_cfg_set_max_nego(c, 0, 'i', err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_nego(c, 100000, 0, err, sizeof err), -1);
    assert_int_equal(ike_cfg_set_max_nego(c, 50, 'o', err, sizeof err), 0);
    assert_int_equal(c->max_nego_out, 50);
    assert_int_equal(c->max_nego_in, 0);
    assert_int_equal(ike_cfg_set_redirect_client(c, true, 256, err, sizeof err), -1);
    assert_string_equal(err, "% Invalid max-redirects 256: the range is 1-255");
    assert_false(c->redirect_client);
    assert_int_equal(ike_cfg_set_redirect_client(c, true, 0, err, sizeof err), 0);
    assert_int_equal(c->redirect_max, 5);

    struct ike_cfg_idmatch e = idm(IKECFG_ID_EMAIL, false, "no-at-sign");
    assert_int_equal(ike_cfg_profile_add_idmatch(p, true, &e, err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_set_identity(p, IKECFG_ID_EMAIL, 0, "no-at", err, sizeof err),
                     -1);
    assert_string_equal(err, "% Invalid e-mail address 'no-at'");
    assert_int_equal(ike_cfg_profile_set_identity(p, IKECFG_ID_DN, 0, NULL, err, sizeof err), 0);
    assert_int_equal(p->identity.kind, IKECFG_ID_DN);

    struct ike_cfg_keyring *k = ike_cfg_keyring_get(c, "k", err, sizeof err);
    struct ike_cfg_kpeer *kp = ike_cfg_kpeer_get(k, "x", err, sizeof err);
    assert_int_equal(ike_cfg_kpeer_set_identity(kp, IKECFG_ID_DN, 0, NULL, err, sizeof err), -1);
    assert_int_equal(
        ike_cfg_kpeer_set_address(kp, IP(10, 0, 0, 1), IP(255, 0, 255, 0), err, sizeof err), -1);
    assert_string_equal(err, "% Bad mask");
    char key[200];
    memset(key, 'k', 129);
    key[129] = '\0';
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 0, 0, key, err, sizeof err), -1);
    assert_string_equal(err, "% pre-shared-key is too long (at most 128 characters)");
    key[128] = '\0';
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 0, 0, key, err, sizeof err), 0);
    assert_int_equal(ike_cfg_kpeer_set_key(kp, 0, 0, "bad\x01", err, sizeof err), -1);
    assert_string_equal(kp->key.key, key); /* unchanged by the refusal */
    char desc[300];
    memset(desc, 'd', 241);
    desc[241] = '\0';
    assert_int_equal(ike_cfg_kpeer_set_description(kp, desc, err, sizeof err), -1);

    /* lists are bounded */
    for (int i = 0; i < IKECFG_MAX_LIST; i++) {
        char name[16];
        snprintf(name, sizeof name, "cm%d", i);
        assert_int_equal(ike_cfg_profile_add_certmap(p, name, err, sizeof err), 0);
    }
    assert_int_equal(ike_cfg_profile_add_certmap(p, "one-more", err, sizeof err), -1);
    assert_string_equal(err, "% Too many certificate maps (at most 32)");
    assert_int_equal(ike_cfg_profile_add_certmap(p, "cm0", err, sizeof err), 0); /* already */
    struct ike_cfg_author *a = ike_cfg_author_find(c, "default");
    assert_int_equal(
        ike_cfg_author_add_route(a, IP(10, 0, 0, 0), IP(255, 0, 0, 255), err, sizeof err), -1);
    assert_int_equal(ike_cfg_author_set_netmask(a, true, IP(255, 0, 255, 0), err, sizeof err), -1);
    assert_int_equal(ike_cfg_author_set_dns(a, 3, NULL, err, sizeof err), -1);
    assert_false(ike_cfg_author_modified(a));
}

static void test_object_limit(void **state)
{
    struct ike_config *c = *state;
    char name[16];
    /* "default" is already one of them */
    for (int i = 1; i < IKECFG_MAX_OBJECTS; i++) {
        snprintf(name, sizeof name, "p%04d", i);
        assert_non_null(ike_cfg_proposal_get(c, name, err, sizeof err));
    }
    assert_null(ike_cfg_proposal_get(c, "one-more", err, sizeof err));
    assert_string_equal(err, "% Too many IKEv2 proposals (at most 1000)");
    assert_non_null(ike_cfg_proposal_get(c, "p0001", err, sizeof err)); /* existing: fine */
    assert_int_equal(ike_cfg_proposal_remove(c, "p0001"), 0);
    assert_non_null(ike_cfg_proposal_get(c, "one-more", err, sizeof err));
}

/* ---- rendering and show ---- */

static void build_rich(struct ike_config *c)
{
    c->aaa_new_model = true;
    assert_int_equal(ike_cfg_set_aaa_network(c, "default", true, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_aaa_network(c, "ra", true, err, sizeof err), 0);
    proposal(c, "prop1", "aes-gcm-256", NULL, "sha256", "19 14");
    struct ike_cfg_policy *po = ike_cfg_policy_get(c, "pol1", err, sizeof err);
    assert_int_equal(ike_cfg_policy_add_proposal(po, "prop1", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_local(po, IP(10, 10, 10, 1), err, sizeof err), 0);
    po->fvrf_any = true;
    struct ike_cfg_keyring *k = ike_cfg_keyring_get(c, "kr1", err, sizeof err);
    struct ike_cfg_kpeer *a = kpeer(k, "site-a", IP(192, 0, 2, 0), IP(255, 255, 255, 0), "0");
    assert_int_equal(ike_cfg_kpeer_set_description(a, "branch  A", err, sizeof err), 0);
    assert_int_equal(ike_cfg_kpeer_set_hostname(a, "spoke-a", err, sizeof err), 0);
    assert_int_equal(ike_cfg_kpeer_set_identity(a, IKECFG_ID_KEYID, 0, "keyA", err, sizeof err), 0);
    assert_int_equal(ike_cfg_kpeer_set_key(a, 'l', 0, "6 not-type-6", err, sizeof err), 0);
    assert_int_equal(ike_cfg_kpeer_set_key(a, 'r', 6, "ABCDEF", err, sizeof err), 0);
    struct ike_cfg_kpeer *b = kpeer(k, "site-b", IP(198, 51, 100, 1), 0xffffffffu, "lo cal");
    (void)b;
    struct ike_cfg_profile *p = ike_cfg_profile_get(c, "prof1", err, sizeof err);
    assert_int_equal(ike_cfg_profile_set_description(p, "remote access", err, sizeof err), 0);
    p->fvrf_any = true;
    assert_int_equal(ike_cfg_profile_add_local(p, false, IP(10, 10, 10, 1), NULL, err, sizeof err),
                     0);
    assert_int_equal(ike_cfg_profile_add_local(p, true, 0, "GigabitEthernet1", err, sizeof err), 0);
    struct ike_cfg_idmatch m = idm(IKECFG_ID_FQDN, true, "example.com");
    assert_int_equal(ike_cfg_profile_add_idmatch(p, true, &m, err, sizeof err), 0);
    m = (struct ike_cfg_idmatch){
        .kind = IKECFG_ID_ADDRESS, .addr_h = IP(192, 0, 2, 9), .mask_h = 0xffffffffu};
    assert_int_equal(ike_cfg_profile_add_idmatch(p, true, &m, err, sizeof err), 0);
    m = idm(IKECFG_ID_FQDN, false, "gw.example.com");
    assert_int_equal(ike_cfg_profile_add_idmatch(p, false, &m, err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_add_certmap(p, "certmap", err, sizeof err), 0);
    assert_int_equal(
        ike_cfg_profile_set_identity(p, IKECFG_ID_FQDN, 0, "gw.example.com", err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_set_auth(p, true, IKECFG_AUTH_RSA, 0, NULL, err, sizeof err),
                     0);
    assert_int_equal(ike_cfg_profile_set_auth(p, true, IKECFG_AUTH_PSK, 0, "6", err, sizeof err),
                     0);
    assert_int_equal(
        ike_cfg_profile_set_auth(p, false, IKECFG_AUTH_ECDSA, 0, NULL, err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_set_keyring(p, "kr1", err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_add_trustpoint(p, "tp1", IKECFG_TP_BOTH, err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_add_trustpoint(p, "tp2", IKECFG_TP_SIGN, err, sizeof err), 0);
    assert_int_equal(ike_cfg_profile_set_lifetime(p, 3600, err, sizeof err), 0);
    assert_int_equal(ike_cfg_dpd_set(&p->dpd, 10, 2, true, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_nat_keepalive(&p->nat_keepalive, 20, err, sizeof err), 0);
    assert_int_equal(
        ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_CERT, "default", "default", err, sizeof err),
        0);
    p->aaa_user_cached[IKECFG_AAA_CERT] = true;
    assert_int_equal(ike_cfg_profile_set_vtemplate(p, 1, err, sizeof err), 0);
    p->redirect_auth = true;
    struct ike_cfg_author *au = ike_cfg_author_get(c, "default", err, sizeof err);
    assert_int_equal(ike_cfg_author_set_pool(au, "pool1", err, sizeof err), 0);
    uint32_t dns[2] = {IP(10, 0, 0, 53), IP(10, 0, 1, 53)};
    assert_int_equal(ike_cfg_author_set_dns(au, 2, dns, err, sizeof err), 0);
    assert_int_equal(ike_cfg_author_set_netmask(au, true, IP(255, 255, 255, 0), err, sizeof err),
                     0);
    assert_int_equal(ike_cfg_author_set_text(au->def_domain, sizeof au->def_domain, "example.com",
                                             true, "def-domain", err, sizeof err),
                     0);
    assert_int_equal(ike_cfg_author_set_text(au->banner, sizeof au->banner, "Welcome  to VPN",
                                             false, "banner", err, sizeof err),
                     0);
    au->route_set_interface = true;
    assert_int_equal(ike_cfg_author_set_text(au->route_acl, sizeof au->route_acl, "split", true,
                                             "access-list", err, sizeof err),
                     0);
    assert_int_equal(
        ike_cfg_author_add_route(au, IP(10, 20, 0, 7), IP(255, 255, 0, 0), err, sizeof err), 0);
    au->route_accept_any = true;
    c->redirect_init = true;
    assert_int_equal(ike_cfg_set_redirect_client(c, true, 3, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_cookie_challenge(c, 10, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_nego(c, 40, 'i', err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_nego(c, 30, 'o', err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_max_sa(c, 1000, err, sizeof err), 0);
    assert_int_equal(ike_cfg_dpd_set(&c->dpd, 60, 5, false, err, sizeof err), 0);
    assert_int_equal(ike_cfg_set_nat_keepalive(&c->nat_keepalive, 900, err, sizeof err), 0);
}

static void test_render_rich(void **state)
{
    struct ike_config *c = *state;
    build_rich(c);
    render_is(c, "aaa new-model\n"
                 "aaa authorization network default local\n"
                 "aaa authorization network ra local\n"
                 "!\n"
                 "crypto ikev2 authorization policy default\n"
                 " pool pool1\n"
                 " dns 10.0.0.53 10.0.1.53\n"
                 " netmask 255.255.255.0\n"
                 " banner Welcome  to VPN\n"
                 " def-domain example.com\n"
                 " route set interface\n"
                 " route set access-list split\n"
                 " route set remote ipv4 10.20.0.0 255.255.0.0\n"
                 " route accept any\n"
                 "!\n"
                 "crypto ikev2 proposal prop1\n"
                 " encryption aes-gcm-256\n"
                 " prf sha256\n"
                 " group 19 14\n"
                 "!\n"
                 "crypto ikev2 policy pol1\n"
                 " match fvrf any\n"
                 " match address local 10.10.10.1\n"
                 " proposal prop1\n"
                 "!\n"
                 "crypto ikev2 keyring kr1\n"
                 " peer site-a\n"
                 "  description branch  A\n"
                 "  address 192.0.2.0 255.255.255.0\n"
                 "  hostname spoke-a\n"
                 "  identity key-id keyA\n"
                 "  pre-shared-key 0 0\n"
                 "  pre-shared-key local 0 6 not-type-6\n"
                 "  pre-shared-key remote 6 ABCDEF\n"
                 " !\n"
                 " peer site-b\n"
                 "  address 198.51.100.1\n"
                 "  pre-shared-key 0 lo cal\n"
                 " !\n"
                 "!\n"
                 "crypto ikev2 profile prof1\n"
                 " description remote access\n"
                 " match fvrf any\n"
                 " match address local 10.10.10.1\n"
                 " match address local interface GigabitEthernet1\n"
                 " match identity local fqdn gw.example.com\n"
                 " match identity remote fqdn domain example.com\n"
                 " match identity remote address 192.0.2.9 255.255.255.255\n"
                 " match certificate certmap\n"
                 " identity local fqdn gw.example.com\n"
                 " authentication remote pre-share key 0 6\n"
                 " authentication remote rsa-sig\n"
                 " authentication local ecdsa-sig\n"
                 " keyring local kr1\n"
                 " pki trustpoint tp1\n"
                 " pki trustpoint tp2 sign\n"
                 " lifetime 3600\n"
                 " dpd 10 2 periodic\n"
                 " nat keepalive 20\n"
                 " aaa authorization group cert list default default\n"
                 " aaa authorization user cert cached\n"
                 " virtual-template 1\n"
                 " redirect gateway auth\n"
                 "!\n"
                 "crypto ikev2 redirect gateway init\n"
                 "crypto ikev2 redirect client max-redirects 3\n"
                 "crypto ikev2 cookie-challenge 10\n"
                 "crypto ikev2 limit max-in-negotiation-sa 40 incoming\n"
                 "crypto ikev2 limit max-in-negotiation-sa 30 outgoing\n"
                 "crypto ikev2 limit max-sa 1000\n"
                 "crypto ikev2 dpd 60 5 on-demand\n"
                 "crypto ikev2 nat keepalive 900\n"
                 "!\n");
    /* both directions alike: one line */
    assert_int_equal(ike_cfg_set_max_nego(c, 30, 'i', err, sizeof err), 0);
    struct strbuf sb = STRBUF_INIT;
    ike_cfg_render(c, &sb);
    assert_contains(sb_str(&sb), "crypto ikev2 limit max-in-negotiation-sa 30\n");
    sb_free(&sb);
}

static void test_show_proposal_policy(void **state)
{
    struct ike_config *c = *state;
    struct strbuf sb = STRBUF_INIT;
    ike_cfg_show_proposal(c, "default", &sb);
    text_is(&sb, " IKEv2 proposal: default\n"
                 "     Encryption : AES-GCM-256 AES-GCM-128 AES-CBC-256 AES-CBC-128\n"
                 "     Integrity  : SHA512 SHA384 SHA256\n"
                 "     PRF        : SHA512 SHA384 SHA256\n"
                 "     DH Group   : DH_GROUP_256_ECP/Group 19 DH_GROUP_384_ECP/Group 20 "
                 "DH_GROUP_521_ECP/Group 21 DH_GROUP_CURVE25519/Group 31 "
                 "DH_GROUP_2048_MODP/Group 14\n");
    proposal(c, "half", "aes-gcm-128", "sha1", NULL, NULL);
    ike_cfg_show_proposal(c, "half", &sb);
    text_is(&sb, " IKEv2 proposal: half\n"
                 "     Encryption : AES-GCM-128\n"
                 "     Integrity  : SHA1\n"
                 "     PRF        : none\n"
                 "     DH Group   : none\n"
                 "     Incomplete : AES-GCM needs a PRF algorithm\n");
    ike_cfg_show_proposal(c, "nope", &sb);
    text_is(&sb, "");

    ike_cfg_show_policy(c, NULL, &sb);
    text_is(&sb, " IKEv2 policy : default\n"
                 "      Match fvrf : any\n"
                 "      Match address local : any\n"
                 "      Proposal    : default\n");
    struct ike_cfg_policy *po = ike_cfg_policy_get(c, "p", err, sizeof err);
    ike_cfg_show_policy(c, "p", &sb);
    text_is(&sb, " IKEv2 policy : p\n"
                 "      Match fvrf : global\n"
                 "      Match address local : any\n"
                 "      Proposal    : none\n");
    assert_int_equal(ike_cfg_policy_add_proposal(po, "half", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(po, "later", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_proposal(po, "default", err, sizeof err), 0);
    assert_int_equal(ike_cfg_policy_add_local(po, IP(10, 0, 0, 1), err, sizeof err), 0);
    ike_cfg_show_policy(c, "p", &sb);
    text_is(&sb, " IKEv2 policy : p\n"
                 "      Match fvrf : global\n"
                 "      Match address local : 10.0.0.1\n"
                 "      Proposal    : half (incomplete)\n"
                 "                    later (not configured)\n"
                 "                    default\n");
}

static bool refs_cb(void *arg, enum ike_cfg_ref kind, const char *name)
{
    (void)arg;
    return kind == IKECFG_REF_TRUSTPOINT && !strcmp(name, "tp1");
}

static void test_show_profile_author(void **state)
{
    struct ike_config *c = *state;
    build_rich(c);
    struct strbuf sb = STRBUF_INIT;
    struct ike_cfg_refs refs = {.exists = refs_cb};
    ike_cfg_show_profile(c, "prof1", &refs, &sb);
    text_is(&sb, "IKEv2 profile: prof1\n"
                 " Description: remote access\n"
                 " Shutdown: No\n"
                 " Ref Count: 0\n"
                 " Match criteria:\n"
                 "  Fvrf: any\n"
                 "  Local address/interface: 10.10.10.1, GigabitEthernet1\n"
                 "  Identities: fqdn domain example.com\n"
                 "              address 192.0.2.9 255.255.255.255\n"
                 "  Local identities: fqdn gw.example.com\n"
                 "  Certificate maps: certmap (not configured)\n"
                 " Local identity: fqdn gw.example.com\n"
                 " Remote identity: none\n"
                 " Local authentication method: ecdsa-sig\n"
                 " Remote authentication method(s): pre-share rsa-sig\n"
                 " EAP options: none\n"
                 " Keyring: kr1\n"
                 " Trustpoint(s): tp1, tp2 (sign) (not configured)\n"
                 " Lifetime: 3600 seconds\n"
                 " DPD: interval 10, retry 2, periodic\n"
                 " NAT-keepalive: 20 seconds\n"
                 " Ivrf: none\n"
                 " Virtual-template: 1 (not configured)\n"
                 " mode auto: none\n"
                 " AAA AAA EAP authentication mlist: none\n"
                 " AAA Accounting: none\n"
                 " AAA group authorization: default, default\n"
                 " AAA user authorization: cert cached\n"
                 " Redirect gateway: auth\n");

    /* A bare profile: references not yet defined, globals shown as such. */
    struct ike_cfg_profile *p = ike_cfg_profile_get(c, "bare", err, sizeof err);
    assert_int_equal(ike_cfg_profile_set_keyring(p, "kr9", err, sizeof err), 0);
    assert_int_equal(
        ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_PSK, "default", "nope", err, sizeof err), 0);
    assert_int_equal(
        ike_cfg_profile_set_aaa_group(p, IKECFG_AAA_EAP, "list1", NULL, err, sizeof err), 0);
    ike_cfg_show_profile(c, "bare", NULL, &sb);
    text_is(&sb, "IKEv2 profile: bare\n"
                 " Shutdown: No\n"
                 " Ref Count: 0\n"
                 " Match criteria:\n"
                 "  Fvrf: global\n"
                 "  Local address/interface: none\n"
                 "  Identities: none\n"
                 "  Certificate maps: none\n"
                 " Local identity: none\n"
                 " Remote identity: none\n"
                 " Local authentication method: none\n"
                 " Remote authentication method(s): none\n"
                 " EAP options: none\n"
                 " Keyring: kr9 (not configured)\n"
                 " Trustpoint(s): none\n"
                 " Lifetime: 86400 seconds\n"
                 " DPD: interval 60, retry 5, on-demand (global)\n"
                 " NAT-keepalive: 900 seconds (global)\n"
                 " Ivrf: none\n"
                 " Virtual-template: none\n"
                 " mode auto: none\n"
                 " AAA AAA EAP authentication mlist: none\n"
                 " AAA Accounting: none\n"
                 " AAA group authorization psk: default, nope (authorization policy not "
                 "configured)\n"
                 " AAA group authorization eap: list1, none\n"
                 " AAA user authorization: none\n"
                 " Redirect gateway: none\n"
                 " Incomplete: no 'match identity remote' or 'match certificate' statement\n");
    ike_cfg_show_profile(c, NULL, NULL, &sb);
    assert_contains(sb_str(&sb), "IKEv2 profile: bare\n");
    assert_contains(sb_str(&sb), "\nIKEv2 profile: prof1\n"); /* a blank line between */
    sb_free(&sb);

    ike_cfg_show_author(c, "default", &refs, &sb);
    text_is(&sb, "IKEv2 Authorization policy: default\n"
                 "  IPv4 address pool: pool1 (not configured)\n"
                 "  IPv4 DNS primary: 10.0.0.53\n"
                 "  IPv4 DNS secondary: 10.0.1.53\n"
                 "  IPv4 netmask: 255.255.255.0\n"
                 "  Default domain: example.com\n"
                 "  Banner: Welcome  to VPN\n"
                 "  route set interface\n"
                 "  route set access-list split\n"
                 "  route set remote ipv4 10.20.0.0 255.255.0.0\n"
                 "  route accept any\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_tables),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proposal_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proposal_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proposals_for_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proposals_for_policies, setup, teardown),
        cmocka_unit_test(test_idmatch),
        cmocka_unit_test_setup_teardown(test_match_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_profile_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_for_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyring_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_effective, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_id_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_rich, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_proposal_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_profile_author, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
