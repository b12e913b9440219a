/* libFuzzer harness for the HSRP codec of hsrp/hsrp_packet.h: hsrp_parse_ex on arbitrary bytes,
 * hsrp_auth_check with a fixed text and a fixed MD5 key, and for every packet that parses, a
 * re-build with the same authentication kind.
 *
 * Invariants checked, besides the sanitizers:
 * - parse returns 0 exactly when the reason is HSRP_DROP_NONE, and the reason has a name;
 * - a parsed message is within the documented ranges (version, op, state, group, timers of a
 *   Hello, v1 whole seconds, IPv4 address bytes, text NUL-terminated and zero after);
 * - the authentication check of unparsable bytes reports the parse reason; of parsed ones, only
 *   reasons of its own kind;
 * - parse(build(m)) == m for every field the build carries, the re-built packet passes the
 *   authentication it was built with, build is idempotent on its own output, and a buffer one
 *   byte short is refused. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hsrp/hsrp_packet.h"
#include "test/fuzz/fuzz_util.h"

static const char fuzz_key[] = "fuzz-key"; /* the seeds' MD5 packets are signed with it */

static void check_ranges(const struct hsrp_msg *m)
{
    FUZZ_CHECK(m->version == 1 || m->version == 2);
    FUZZ_CHECK((unsigned)m->op <= HSRP_ADVERTISE);
    FUZZ_CHECK((unsigned)m->state <= HSRP_ACTIVE);
    FUZZ_CHECK(m->ipver == 4 || m->ipver == 6);
    FUZZ_CHECK(!(m->has_text && m->has_md5));
    FUZZ_CHECK(m->text[8] == '\0');
    size_t tl = strlen(m->text);
    for (size_t i = tl; i < sizeof m->text; i++) FUZZ_CHECK(m->text[i] == '\0');
    if (!m->has_text) FUZZ_CHECK(tl == 0);
    if (m->ipver == 4)
        for (int i = 4; i < 16; i++) FUZZ_CHECK(m->vip[i] == 0);
    if (m->op == HSRP_HELLO) FUZZ_CHECK(m->hello_ms > 0 && m->hold_ms > m->hello_ms);
    if (m->version == 1) {
        FUZZ_CHECK(m->ipver == 4 && !m->has_ifstate);
        FUZZ_CHECK(m->group <= 255 && m->priority <= 255);
        FUZZ_CHECK(m->hello_ms % 1000 == 0 && m->hold_ms % 1000 == 0);
        FUZZ_CHECK(m->hello_ms <= 255000 && m->hold_ms <= 255000);
        for (int i = 0; i < 6; i++) FUZZ_CHECK(m->ident[i] == 0);
        if (m->op == HSRP_ADVERTISE) FUZZ_CHECK(m->adv_state >= 1 && m->adv_state <= 3);
        if (m->op != HSRP_ADVERTISE) FUZZ_CHECK(m->has_text != m->has_md5);
    } else {
        FUZZ_CHECK(m->group <= 4095);
        FUZZ_CHECK(m->adv_state == 0 && m->adv_active == 0 && m->adv_passive == 0);
        if (m->op == HSRP_ADVERTISE) FUZZ_CHECK(m->has_ifstate && m->group == 0);
    }
}

/* The fields a rebuild carries (for HSRP_ADVERTISE only the counters travel). */
static void check_same(const struct hsrp_msg *a, const struct hsrp_msg *b)
{
    FUZZ_CHECK(a->version == b->version);
    FUZZ_CHECK(a->op == b->op);
    if (a->op == HSRP_ADVERTISE) {
        FUZZ_CHECK(a->adv_state == b->adv_state);
        FUZZ_CHECK(a->adv_active == b->adv_active && a->adv_passive == b->adv_passive);
        FUZZ_CHECK(a->has_ifstate == b->has_ifstate);
        FUZZ_CHECK(a->active_groups == b->active_groups);
        FUZZ_CHECK(a->passive_groups == b->passive_groups);
        return;
    }
    FUZZ_CHECK(a->state == b->state);
    FUZZ_CHECK(a->group == b->group);
    FUZZ_CHECK(a->priority == b->priority);
    FUZZ_CHECK(a->hello_ms == b->hello_ms && a->hold_ms == b->hold_ms);
    FUZZ_CHECK(a->ipver == b->ipver);
    FUZZ_CHECK(memcmp(a->vip, b->vip, sizeof a->vip) == 0);
    FUZZ_CHECK(memcmp(a->ident, b->ident, sizeof a->ident) == 0);
    FUZZ_CHECK(a->has_md5 == b->has_md5);
    if (a->has_md5) FUZZ_CHECK(a->md5_sender_ip == b->md5_sender_ip && b->md5_key_id == 0);
    FUZZ_CHECK(a->has_text == b->has_text);
    FUZZ_CHECK(memcmp(a->text, b->text, sizeof a->text) == 0);
}

static void check_auth(const uint8_t *data, size_t size, int rc, enum hsrp_drop why,
                       const struct hsrp_msg *m, const struct hsrp_auth *text,
                       const struct hsrp_auth *md5)
{
    enum hsrp_drop dt = hsrp_auth_check(data, size, m, text);
    enum hsrp_drop dm = hsrp_auth_check(data, size, m, md5);
    if (rc != 0) {
        FUZZ_CHECK(dt == why && dm == why);
        return;
    }
    FUZZ_CHECK(dt == HSRP_DROP_NONE || dt == HSRP_DROP_AUTH_TEXT || dt == HSRP_DROP_AUTH_MISSING);
    FUZZ_CHECK(dm == HSRP_DROP_NONE || dm == HSRP_DROP_AUTH_MD5 || dm == HSRP_DROP_AUTH_MISSING);
    bool unauthenticated = !m->has_text && !m->has_md5;
    if (unauthenticated && m->op == HSRP_ADVERTISE)
        FUZZ_CHECK(dt == HSRP_DROP_NONE && dm == HSRP_DROP_NONE);
    if (unauthenticated && m->op != HSRP_ADVERTISE)
        FUZZ_CHECK(dt == HSRP_DROP_AUTH_MISSING && dm == HSRP_DROP_AUTH_MISSING);
    if (m->has_text) FUZZ_CHECK(dm == HSRP_DROP_AUTH_MISSING);
    if (m->has_md5) FUZZ_CHECK(dt == HSRP_DROP_AUTH_MISSING);
    if (m->has_text && dt == HSRP_DROP_NONE) FUZZ_CHECK(strcmp(m->text, text->text) == 0);
    FUZZ_CHECK(hsrp_auth_check(data, size, m, NULL) == HSRP_DROP_AUTH_MISSING);
}

static void check_rebuild(const struct hsrp_msg *m, const struct hsrp_auth *md5)
{
    struct hsrp_auth same = {0};
    const struct hsrp_auth *a = NULL;
    if (m->has_md5) {
        a = md5;
    } else if (m->has_text) {
        same.kind = HSRP_AUTH_TEXT;
        memcpy(same.text, m->text, sizeof same.text);
        a = &same;
    }
    uint8_t out[HSRP_PACKET_MAX];
    size_t n = hsrp_build(m, a, m->md5_sender_ip, out, sizeof out);
    FUZZ_CHECK(n > 0 && n <= sizeof out);

    struct hsrp_msg m2;
    enum hsrp_drop why;
    FUZZ_CHECK(hsrp_parse(out, n, &m2, &why) == 0 && why == HSRP_DROP_NONE);
    check_ranges(&m2);
    check_same(m, &m2);
    if (a && m->op != HSRP_ADVERTISE) FUZZ_CHECK(hsrp_auth_check(out, n, &m2, a) == HSRP_DROP_NONE);

    uint8_t again[HSRP_PACKET_MAX];
    FUZZ_CHECK(hsrp_build(&m2, a, m2.md5_sender_ip, again, sizeof again) == n);
    FUZZ_CHECK(memcmp(out, again, n) == 0);
    FUZZ_CHECK(hsrp_build(m, a, m->md5_sender_ip, again, n - 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hsrp_auth text, md5;
    hsrp_auth_default(&text);
    memset(&md5, 0, sizeof md5);
    md5.kind = HSRP_AUTH_MD5;
    md5.keylen = sizeof fuzz_key - 1;
    memcpy(md5.key, fuzz_key, md5.keylen);

    struct hsrp_msg m;
    struct hsrp_parse_info info;
    enum hsrp_drop why = HSRP_DROP_COUNT;
    int rc = hsrp_parse_ex(data, size, &m, &why, &info);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK((unsigned)why < HSRP_DROP_COUNT);
    FUZZ_CHECK((rc == 0) == (why == HSRP_DROP_NONE));
    FUZZ_CHECK(hsrp_drop_name(why)[0] != '\0');
    check_auth(data, size, rc, why, &m, &text, &md5);
    if (rc != 0) return 0;
    check_ranges(&m);
    FUZZ_CHECK(info.ignored_groups + info.unknown_tlvs <= size / 3);
    FUZZ_CHECK(hsrp_state_name(m.state)[0] != '\0');
    check_rebuild(&m, &md5);
    return 0;
}
