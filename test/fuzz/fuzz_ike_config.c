/* libFuzzer harness for the IKEv2 configuration (ike/ike_config.h) and its commands
 * (cli/cmd_ikev2.c): fuzzed command sequences through the real grammar, the running-config
 * round trip, and the engine's lookups fed with fuzzed peer identities (untrusted wire bytes).
 *
 * Input: lines of configuration commands, typed as in a session starting in global
 * configuration (submodes, `exit`, the fallback of a failing line to global configuration);
 * only the IKEv2 commands are run, others are skipped. Then, after a line holding only "#",
 * the lookup part: byte 0 the identity type (IKE_ID_*), bytes 1-4 the local address, 5-8 the
 * peer address, the rest the identity data.
 *
 * Invariants checked, besides the sanitizers:
 * - the rendered IKEv2 configuration loads back line by line into a fresh configuration
 *   (every line parses and is accepted) and renders identically;
 * - every IKE SA proposal offered is usable: an encryption algorithm, a PRF and a DH group,
 *   integrity exactly when the cipher is not AEAD;
 * - the profile chosen for the identity is complete, accepts the local address and one of its
 *   `match identity remote` statements accepts the identity (no certificate maps here);
 * - a keyring peer found for the identity matches it by identity, address or not at all, and
 *   a key reported available is a NUL-terminated configured key. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "cli/cmdtree.h"
#include "ike/ike_wire.h"
#include "platform/log.h"
#include "platform/strbuf.h"
#include "test/fuzz/fuzz_util.h"

static struct cmd_tree tree;
static struct app app1, app2;

static void cleanup(void)
{
    cmdtree_free(&tree);
    app_fini(&app1);
    app_fini(&app2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_init("fuzz_ike_config", false);
    cmdtree_init(&tree);
    app_register_commands(&tree);
    if (app_init(&app1, NULL, NULL, NULL) || app_init(&app2, NULL, NULL, NULL)) abort();
    atexit(cleanup);
    return 0;
}

struct term {
    struct app *a;
    int mode;
    char obj[64];
};

static bool is_ikev2_def(const struct cmd_match *m)
{
    for (size_t i = 0; i < app_ncmds_ikev2; i++)
        if (m->def == &app_cmds_ikev2[i]) return m->mode != CM_EXEC;
    return m->mode == CM_IKEV2_PROPOSAL; /* the generated algorithm lists */
}

/* Runs one line; returns 1 accepted, 0 refused by its handler, -1 not an IKEv2 command or
 * not parsed. */
static int run(struct term *t, const char *line)
{
    static struct cmd_match m, m2;
    cmdtree_parse(&tree, t->mode, 15, line, &m);
    if (m.status == CS_EMPTY) return 1;
    if (m.status != CS_OK && t->mode > CM_CONFIG) {
        cmdtree_parse(&tree, CM_CONFIG, 15, line, &m2);
        if (m2.status == CS_OK) {
            m = m2;
            t->mode = CM_CONFIG;
            t->obj[0] = '\0';
        }
    }
    if (m.status != CS_OK) return -1;
    if (m.def->flags & CMDF_SESSION) {
        if (strcmp(m.argv[0], "exit") && strcmp(m.argv[0], "end")) return -1;
        if (t->mode == CM_IKEV2_PEER && !strcmp(m.argv[0], "exit")) {
            t->mode = CM_IKEV2_KEYRING;
            t->obj[strcspn(t->obj, " ")] = '\0';
        } else {
            t->mode = CM_CONFIG;
            t->obj[0] = '\0';
        }
        return 1;
    }
    if (!is_ikev2_def(&m)) return -1;
    struct strbuf out = STRBUF_INIT;
    struct cmd_ctx c = {.app = t->a,
                        .m = &m,
                        .mode = t->mode,
                        .mode_obj = t->obj,
                        .priv = 15,
                        .who = "fuzz",
                        .out = &out,
                        .new_mode = -1};
    int rc = m.def->fn(&c);
    bool refused = rc != 0 || strstr(sb_str(&out), "% ") != NULL;
    FUZZ_CHECK(!rc || strstr(sb_str(&out), "% ")); /* a refusal says why */
    sb_free(&out);
    if (c.new_mode >= 0) {
        t->mode = c.new_mode;
        snprintf(t->obj, sizeof t->obj, "%s", c.new_obj);
    }
    return refused ? 0 : 1;
}

static char *render(const struct ike_config *c)
{
    struct strbuf sb = STRBUF_INIT;
    ike_cfg_render_aaa(c, &sb);
    ike_cfg_render(c, &sb);
    return sb_detach(&sb);
}

static void reset(struct app *a)
{
    ike_config_fini(&a->ikev2);
    if (ike_config_init(&a->ikev2)) abort();
}

static void check_lookups(const struct ike_config *c, const uint8_t *d, size_t n)
{
    if (n < 9) return;
    uint32_t local = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
    uint32_t peer = (uint32_t)d[5] << 24 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 8 | d[8];
    /* The identity data gets its own allocation, exactly its size, so that ASan sees any
     * read past it. */
    size_t idlen = n - 9;
    uint8_t *idbuf = malloc(idlen ? idlen : 1);
    if (!idbuf) abort();
    if (idlen) memcpy(idbuf, d + 9, idlen);
    struct ike_cfg_peer_id id = {.type = d[0], .data = idbuf, .len = idlen};

    struct ike_cfg_tset ts[16];
    int nts = ike_cfg_proposals_for(c, local, ts, 16);
    FUZZ_CHECK(nts >= 0 && nts <= 16);
    for (int i = 0; i < nts; i++) {
        FUZZ_CHECK(ts[i].nencr > 0 && ts[i].nprf > 0 && ts[i].ndh > 0);
        FUZZ_CHECK(ts[i].aead ? ts[i].ninteg == 0 : ts[i].ninteg > 0);
        for (int k = 0; k < ts[i].nencr; k++)
            FUZZ_CHECK(ts[i].encr[k].id == (ts[i].aead ? IKE_ENCR_AES_GCM_16 : IKE_ENCR_AES_CBC));
    }

    const struct ike_cfg_profile *p = ike_cfg_match_profile(c, local, &id, NULL, NULL);
    if (p) {
        FUZZ_CHECK(ike_cfg_profile_complete(p, NULL, 0));
        bool local_ok = p->nlocal == 0;
        for (int i = 0; i < p->nlocal; i++)
            local_ok |= !p->local[i].is_if && p->local[i].addr_h == local;
        FUZZ_CHECK(local_ok);
        bool id_ok = false;
        for (int i = 0; i < p->nremote; i++) id_ok |= ike_cfg_idmatch_accepts(&p->remote[i], &id);
        FUZZ_CHECK(id_ok);
        struct ike_cfg_keys k;
        enum ike_cfg_psk_status st = ike_cfg_psk_lookup(c, p, peer, &id, "fuzz", &k);
        FUZZ_CHECK(st == (k.local_st != IKECFG_PSK_OK ? k.local_st : k.remote_st));
        if (k.local_st == IKECFG_PSK_OK) FUZZ_CHECK(k.local && strlen(k.local) < IKECFG_KEY_MAX);
        if (k.remote_st == IKECFG_PSK_OK) FUZZ_CHECK(k.remote && strlen(k.remote) < IKECFG_KEY_MAX);
        struct ike_cfg_effective e;
        ike_cfg_effective(c, p, IKECFG_AUTH_PSK, &e);
        FUZZ_CHECK(e.lifetime >= 120 && e.lifetime <= 86400);
        FUZZ_CHECK(!e.author || !strcmp(e.author->name, e.author_name));
    }
    ike_cfg_profile_for_local(c, local, NULL);
    for (const struct ike_cfg_keyring *kr = c->keyrings; kr; kr = kr->next) {
        const struct ike_cfg_kpeer *kp = ike_cfg_keyring_peer(kr, peer, &id, NULL);
        if (!kp) continue;
        bool by_addr = kp->has_addr && (peer & kp->mask_h) == kp->addr_h;
        bool by_id = kp->identity.kind != IKECFG_ID_NONE;
        FUZZ_CHECK(by_addr || by_id);
    }
    free(idbuf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    char *text = fuzz_strdup(data, size);
    const uint8_t *tail = NULL;
    size_t tail_len = 0;
    char *hash = strstr(text, "\n#\n");
    if (hash) {
        size_t off = (size_t)(hash - text) + 3;
        *hash = '\0';
        tail = data + off;
        tail_len = size - off;
    }
    reset(&app1);
    reset(&app2);
    struct term t = {.a = &app1, .mode = CM_CONFIG};
    for (char *sv = NULL, *l = strtok_r(text, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv))
        run(&t, l);

    /* The running-config round trip. */
    char *first = render(&app1.ikev2);
    char *copy = strdup(first);
    if (!copy) abort();
    struct term u = {.a = &app2, .mode = CM_CONFIG};
    for (char *sv = NULL, *l = strtok_r(copy, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv)) {
        const char *p = l + strspn(l, " ");
        if (!*p || *p == '!') continue;
        if (run(&u, l) != 1) {
            fprintf(stderr, "rendered line not accepted: '%s'\n--- rendered:\n%s", l, first);
            abort();
        }
    }
    char *second = render(&app2.ikev2);
    if (strcmp(first, second)) {
        fprintf(stderr, "--- first:\n%s--- second:\n%s", first, second);
        abort();
    }
    free(copy);
    free(first);
    free(second);

    if (tail) check_lookups(&app1.ikev2, tail, tail_len);
    free(text);
    return 0;
}
