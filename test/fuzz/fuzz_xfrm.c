/* libFuzzer harness for the pure parsers of ipsec-xfrm/xfrm.h: xfrm_parse_event (the kernel's
 * EXPIRE, ACQUIRE and MAPPING multicasts) and xfrm_parse_sa / xfrm_parse_policy (dump and
 * GETSA replies), on the input as one message and on every message of the input walked as a
 * datagram, the way xfrm_events_read walks what it receives.
 *
 * Invariants checked, besides the sanitizers:
 * - each parser returns 1, 0 or -EINVAL; a header that is not a whole netlink message is
 *   -EINVAL for all three; at most one parser claims a message (their types are disjoint);
 * - a refused message leaves the output all zero, and 0 leaves an event of type NONE;
 * - a parsed result is sane: known event type, names NUL-terminated, IPv4 addresses zero past
 *   their 4 bytes, at most 6 templates and no reqid past them, ours never set by the parser;
 * - parsing is deterministic, and bytes past nlmsg_len change nothing.
 * The seeds (corpus/xfrm/) are messages recorded from real kernels (the host's, without ESP,
 * and Debian 6.1's in a VM: SAs with GCM, CBC+HMAC, ESN, ESP-in-UDP, if_id, marks; policies;
 * ACQUIRE and EXPIRE datagrams) and hand-built MAPPING, multi-message and malformed ones. */
#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsec-xfrm/xfrm.h"
#include "test/fuzz/fuzz_util.h"

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static void check_addr(int family, const uint8_t a[16])
{
    if (family == AF_INET) FUZZ_CHECK(all_zero(a + 4, 12));
}

static void check_name(const char name[64])
{
    FUZZ_CHECK(memchr(name, '\0', 64) != NULL);
}

static void check_ts(const struct xfrm_ts *t)
{
    check_addr(t->family, t->src);
    check_addr(t->family, t->dst);
}

static bool header_ok(const uint8_t *p, size_t n, uint32_t *msglen)
{
    struct nlmsghdr h;
    if (n < sizeof(h)) return false;
    memcpy(&h, p, sizeof(h));
    *msglen = h.nlmsg_len;
    return h.nlmsg_len >= NLMSG_HDRLEN && h.nlmsg_len <= n;
}

static void check_one(const uint8_t *p, size_t n)
{
    uint32_t msglen = 0;
    bool hdr = header_ok(p, n, &msglen);

    struct xfrm_event ev, ev2;
    int re = xfrm_parse_event(p, n, &ev);
    FUZZ_CHECK(re == 1 || re == 0 || re == -EINVAL);
    if (re == -EINVAL) FUZZ_CHECK(all_zero(&ev, sizeof(ev)));
    if (re == 0) FUZZ_CHECK(ev.type == XFRM_EV_NONE);
    if (re == 1) {
        FUZZ_CHECK(ev.type == XFRM_EV_EXPIRE || ev.type == XFRM_EV_ACQUIRE ||
                   ev.type == XFRM_EV_MAPPING);
        check_addr(ev.sa.family, ev.sa.dst);
        check_addr(ev.sa.family, ev.src);
        check_addr(ev.sa.family, ev.old_src);
        check_addr(ev.sa.family, ev.new_src);
        check_ts(&ev.sel);
        FUZZ_CHECK(ev.policy_dir == XFRM_DIR_IN || ev.policy_dir == XFRM_DIR_OUT ||
                   ev.policy_dir == XFRM_DIR_FWD);
    }
    FUZZ_CHECK(xfrm_parse_event(p, n, &ev2) == re);
    FUZZ_CHECK(memcmp(&ev, &ev2, sizeof(ev)) == 0);

    struct xfrm_sa_info sa, sa2;
    int rs = xfrm_parse_sa(p, n, &sa);
    FUZZ_CHECK(rs == 1 || rs == 0 || rs == -EINVAL);
    if (rs != 1) FUZZ_CHECK(all_zero(&sa, sizeof(sa)));
    if (rs == 1) {
        check_name(sa.enc_name);
        check_name(sa.integ_name);
        check_addr(sa.id.family, sa.id.dst);
        check_addr(sa.id.family, sa.src);
        check_ts(&sa.sel);
        FUZZ_CHECK(sa.mode == XFRM_SA_TUNNEL || sa.mode == XFRM_SA_TRANSPORT);
    }
    FUZZ_CHECK(xfrm_parse_sa(p, n, &sa2) == rs);
    FUZZ_CHECK(memcmp(&sa, &sa2, sizeof(sa)) == 0);

    struct xfrm_pol_info pol, pol2;
    int rp = xfrm_parse_policy(p, n, &pol);
    FUZZ_CHECK(rp == 1 || rp == 0 || rp == -EINVAL);
    if (rp != 1) FUZZ_CHECK(all_zero(&pol, sizeof(pol)));
    if (rp == 1) {
        FUZZ_CHECK(pol.ntmpl >= 0 && pol.ntmpl <= 6);
        for (int i = pol.ntmpl; i < 6; i++) FUZZ_CHECK(pol.tmpl_reqid[i] == 0);
        if (pol.ntmpl > 0) FUZZ_CHECK(pol.spec.reqid == pol.tmpl_reqid[0]);
        FUZZ_CHECK(!pol.ours);
        check_ts(&pol.spec.sel);
        check_addr(pol.spec.tun_family, pol.spec.tun_src);
        check_addr(pol.spec.tun_family, pol.spec.tun_dst);
    }
    FUZZ_CHECK(xfrm_parse_policy(p, n, &pol2) == rp);
    FUZZ_CHECK(memcmp(&pol, &pol2, sizeof(pol)) == 0);

    if (!hdr) {
        FUZZ_CHECK(re == -EINVAL && rs == -EINVAL && rp == -EINVAL);
        return;
    }
    FUZZ_CHECK((re == 1) + (rs == 1) + (rp == 1) <= 1);

    /* Only the message's own bytes count. */
    if (msglen < n) {
        FUZZ_CHECK(xfrm_parse_event(p, msglen, &ev2) == re);
        FUZZ_CHECK(memcmp(&ev, &ev2, sizeof(ev)) == 0);
        FUZZ_CHECK(xfrm_parse_sa(p, msglen, &sa2) == rs);
        FUZZ_CHECK(memcmp(&sa, &sa2, sizeof(sa)) == 0);
        FUZZ_CHECK(xfrm_parse_policy(p, msglen, &pol2) == rp);
        FUZZ_CHECK(memcmp(&pol, &pol2, sizeof(pol)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_one(data, size);
    /* The input as a datagram of several messages. */
    size_t off = 0;
    uint32_t msglen;
    while (off < size && header_ok(data + off, size - off, &msglen)) {
        if (off > 0) check_one(data + off, size - off);
        size_t step = NLMSG_ALIGN(msglen);
        if (step > size - off) break;
        off += step;
    }
    return 0;
}
