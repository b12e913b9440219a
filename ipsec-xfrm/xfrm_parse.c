/* Pure parsers of the kernel's XFRM netlink messages (linux/xfrm.h): SA and policy dump
 * entries, and the EXPIRE, ACQUIRE and MAPPING events. Bytes in, plain structs out; every
 * length is checked before it is used and every wire structure is copied out with memcpy. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsec-xfrm/xfrm_priv.h"

/* An xfrm_address_t is 16 bytes; an IPv4 one uses the first 4 and the rest is ours to zero. */
static void addr_out(uint8_t out[16], const xfrm_address_t *a, int family)
{
    memcpy(out, a, 16);
    if (family == AF_INET) memset(out + 4, 0, 12);
}

static void ts_out(struct xfrm_ts *t, const struct xfrm_selector *s)
{
    memset(t, 0, sizeof(*t));
    t->family = s->family;
    addr_out(t->src, &s->saddr, s->family);
    addr_out(t->dst, &s->daddr, s->family);
    t->src_len = s->prefixlen_s;
    t->dst_len = s->prefixlen_d;
    t->proto = s->proto;
    /* A zero mask means any port, whatever the port field holds. */
    t->sport = s->sport_mask ? ntohs(s->sport) : 0;
    t->dport = s->dport_mask ? ntohs(s->dport) : 0;
    t->ifindex = s->ifindex;
}

/* The kernel NUL-terminates algorithm names, but these bytes may come from anywhere. */
static void name_out(char out[64], const char in[64])
{
    memcpy(out, in, 63);
    out[63] = '\0';
}

static bool key_fits(uint32_t key_bits, size_t dlen, size_t head)
{
    return dlen >= head && dlen - head >= ((uint64_t)key_bits + 7) / 8;
}

static enum xfrm_sa_mode mode_out(uint8_t kmode)
{
    return kmode == XFRM_MODE_TRANSPORT ? XFRM_SA_TRANSPORT : XFRM_SA_TUNNEL;
}

static enum xfrm_dir dir_out(uint8_t kdir)
{
    switch (kdir) {
    case XFRM_POLICY_IN: return XFRM_DIR_IN;
    case XFRM_POLICY_FWD: return XFRM_DIR_FWD;
    default: return XFRM_DIR_OUT;
    }
}

/* The attributes of an SA (linux net/xfrm/xfrm_user.c copy_to_user_state_extra). */
static int sa_attrs(struct xfrm_sa_info *sa, const uint8_t *p, size_t len)
{
    struct xnl_attrs it;
    uint16_t type;
    const uint8_t *d;
    size_t dlen;
    bool have_trunc = false;
    xnl_attrs_init(&it, p, len);
    while (xnl_attr_next(&it, &type, &d, &dlen)) {
        switch (type) {
        case XFRMA_ALG_AEAD: {
            struct xfrm_algo_aead a;
            if (dlen < sizeof(a)) return -EINVAL;
            memcpy(&a, d, sizeof(a));
            if (!key_fits(a.alg_key_len, dlen, sizeof(a))) return -EINVAL;
            name_out(sa->enc_name, a.alg_name);
            sa->enc_key_bits = a.alg_key_len;
            sa->icv_bits = a.alg_icv_len;
            break;
        }
        case XFRMA_ALG_CRYPT: {
            struct xfrm_algo a;
            if (dlen < sizeof(a)) return -EINVAL;
            memcpy(&a, d, sizeof(a));
            if (!key_fits(a.alg_key_len, dlen, sizeof(a))) return -EINVAL;
            name_out(sa->enc_name, a.alg_name);
            sa->enc_key_bits = a.alg_key_len;
            break;
        }
        case XFRMA_ALG_AUTH_TRUNC: {
            struct xfrm_algo_auth a;
            if (dlen < sizeof(a)) return -EINVAL;
            memcpy(&a, d, sizeof(a));
            if (!key_fits(a.alg_key_len, dlen, sizeof(a))) return -EINVAL;
            name_out(sa->integ_name, a.alg_name);
            sa->integ_trunc_bits = a.alg_trunc_len;
            have_trunc = true;
            break;
        }
        case XFRMA_ALG_AUTH: {
            /* The kernel sends both forms; only the truncated one has the ICV length. */
            struct xfrm_algo a;
            if (dlen < sizeof(a)) return -EINVAL;
            memcpy(&a, d, sizeof(a));
            if (!key_fits(a.alg_key_len, dlen, sizeof(a))) return -EINVAL;
            if (!have_trunc) name_out(sa->integ_name, a.alg_name);
            break;
        }
        case XFRMA_ENCAP: {
            struct xfrm_encap_tmpl e;
            if (dlen < sizeof(e)) return -EINVAL;
            memcpy(&e, d, sizeof(e));
            sa->encap = true;
            sa->encap_type = e.encap_type;
            sa->encap_sport = ntohs(e.encap_sport);
            sa->encap_dport = ntohs(e.encap_dport);
            break;
        }
        case XFRMA_IF_ID:
            if (dlen < 4) return -EINVAL;
            sa->if_id = xnl_get_u32(d);
            break;
        case XFRMA_MARK: {
            struct xfrm_mark mk;
            if (dlen < sizeof(mk)) return -EINVAL;
            memcpy(&mk, d, sizeof(mk));
            sa->id.mark = mk.v;
            sa->id.mark_mask = mk.m;
            break;
        }
        case XFRMA_REPLAY_ESN_VAL: {
            struct xfrm_replay_state_esn r;
            if (dlen < sizeof(r)) return -EINVAL;
            memcpy(&r, d, sizeof(r));
            sa->replay_window = r.replay_window;
            break;
        }
        default: break;
        }
    }
    return it.bad ? -EINVAL : 1;
}

int xfrm_parse_sa(const void *buf, size_t len, struct xfrm_sa_info *sa)
{
    struct xnl_msg m;
    struct xfrm_usersa_info p;
    memset(sa, 0, sizeof(*sa));
    if (!buf || xnl_msg_read(buf, len, &m) < 0) return -EINVAL;
    if (m.type != XFRM_MSG_NEWSA && m.type != XFRM_MSG_UPDSA) return 0;
    if (m.plen < sizeof(p)) return -EINVAL;
    memcpy(&p, m.payload, sizeof(p));

    sa->id.family = p.family;
    addr_out(sa->id.dst, &p.id.daddr, p.family);
    sa->id.spi = ntohl(p.id.spi);
    sa->id.proto = p.id.proto;
    addr_out(sa->src, &p.saddr, p.family);
    sa->reqid = p.reqid;
    sa->kmode = p.mode;
    sa->mode = mode_out(p.mode);
    sa->flags = p.flags;
    ts_out(&sa->sel, &p.sel);
    sa->esn = (p.flags & XFRM_STATE_ESN) != 0;
    sa->replay_window = p.replay_window;
    sa->lifetime.soft_bytes = p.lft.soft_byte_limit;
    sa->lifetime.hard_bytes = p.lft.hard_byte_limit;
    sa->lifetime.soft_packets = p.lft.soft_packet_limit;
    sa->lifetime.hard_packets = p.lft.hard_packet_limit;
    sa->lifetime.soft_add_seconds = p.lft.soft_add_expires_seconds;
    sa->lifetime.hard_add_seconds = p.lft.hard_add_expires_seconds;
    sa->lifetime.soft_use_seconds = p.lft.soft_use_expires_seconds;
    sa->lifetime.hard_use_seconds = p.lft.hard_use_expires_seconds;
    sa->bytes = p.curlft.bytes;
    sa->packets = p.curlft.packets;
    sa->add_time = p.curlft.add_time;
    sa->use_time = p.curlft.use_time;
    sa->replay_fail = p.stats.replay;
    sa->integrity_fail = p.stats.integrity_failed;

    size_t off = NLMSG_ALIGN(sizeof(p));
    if (off > m.plen) off = m.plen;
    int rc = sa_attrs(sa, m.payload + off, m.plen - off);
    if (rc < 0) memset(sa, 0, sizeof(*sa));
    return rc;
}

/* XFRMA_TMPL: an array of struct xfrm_user_tmpl, at most XFRM_MAX_DEPTH (6) of them. */
#define TMPL_MAX 6

static int tmpl_read(const uint8_t *d, size_t dlen, struct xfrm_user_tmpl *out, int *n)
{
    size_t count = dlen / sizeof(struct xfrm_user_tmpl);
    if (dlen % sizeof(struct xfrm_user_tmpl) != 0 || count > TMPL_MAX) return -EINVAL;
    for (size_t i = 0; i < count; i++)
        memcpy(&out[i], d + i * sizeof(struct xfrm_user_tmpl), sizeof(out[i]));
    *n = (int)count;
    return 0;
}

static int policy_fill(const void *buf, size_t len, struct xfrm_pol_info *pol)
{
    struct xnl_msg m;
    struct xfrm_userpolicy_info p;
    memset(pol, 0, sizeof(*pol));
    if (!buf || xnl_msg_read(buf, len, &m) < 0) return -EINVAL;
    if (m.type != XFRM_MSG_NEWPOLICY && m.type != XFRM_MSG_UPDPOLICY) return 0;
    if (m.plen < sizeof(p)) return -EINVAL;
    memcpy(&p, m.payload, sizeof(p));

    ts_out(&pol->spec.sel, &p.sel);
    pol->spec.dir = dir_out(p.dir);
    pol->spec.priority = p.priority;
    pol->index = p.index;
    pol->action = p.action;
    pol->type = XFRM_POLICY_TYPE_MAIN;

    size_t off = NLMSG_ALIGN(sizeof(p));
    if (off > m.plen) off = m.plen;
    struct xnl_attrs it;
    uint16_t type;
    const uint8_t *d;
    size_t dlen;
    struct xfrm_user_tmpl t[TMPL_MAX];
    int nt = 0;
    xnl_attrs_init(&it, m.payload + off, m.plen - off);
    while (xnl_attr_next(&it, &type, &d, &dlen)) {
        switch (type) {
        case XFRMA_TMPL:
            if (tmpl_read(d, dlen, t, &nt) < 0) return -EINVAL;
            break;
        case XFRMA_IF_ID:
            if (dlen < 4) return -EINVAL;
            pol->spec.if_id = xnl_get_u32(d);
            break;
        case XFRMA_MARK: {
            struct xfrm_mark mk;
            if (dlen < sizeof(mk)) return -EINVAL;
            memcpy(&mk, d, sizeof(mk));
            pol->spec.mark = mk.v;
            pol->spec.mark_mask = mk.m;
            break;
        }
        case XFRMA_POLICY_TYPE: {
            struct xfrm_userpolicy_type ut;
            if (dlen < sizeof(ut)) return -EINVAL;
            memcpy(&ut, d, sizeof(ut));
            pol->type = ut.type;
            break;
        }
        default: break;
        }
    }
    if (it.bad) return -EINVAL;

    pol->ntmpl = nt;
    for (int i = 0; i < nt; i++) pol->tmpl_reqid[i] = t[i].reqid;
    if (nt > 0) {
        /* A template's family 0 means the selector's (validate_tmpl in xfrm_user.c). */
        int fam = t[0].family ? t[0].family : p.sel.family;
        pol->spec.tun_family = fam;
        addr_out(pol->spec.tun_src, &t[0].saddr, fam);
        addr_out(pol->spec.tun_dst, &t[0].id.daddr, fam);
        pol->spec.proto = t[0].id.proto;
        pol->spec.mode = mode_out(t[0].mode);
        pol->spec.reqid = t[0].reqid;
    }
    return 1;
}

int xfrm_parse_policy(const void *buf, size_t len, struct xfrm_pol_info *pol)
{
    int rc = policy_fill(buf, len, pol);
    if (rc < 0) memset(pol, 0, sizeof(*pol));
    return rc;
}

static int parse_expire(const struct xnl_msg *m, struct xfrm_event *ev)
{
    struct xfrm_user_expire ue;
    if (m->plen < sizeof(ue)) return -EINVAL;
    memcpy(&ue, m->payload, sizeof(ue));
    ev->type = XFRM_EV_EXPIRE;
    ev->hard = ue.hard != 0;
    ev->sa.family = ue.state.family;
    addr_out(ev->sa.dst, &ue.state.id.daddr, ue.state.family);
    ev->sa.spi = ntohl(ue.state.id.spi);
    ev->sa.proto = ue.state.id.proto;
    addr_out(ev->src, &ue.state.saddr, ue.state.family);
    ev->reqid = ue.state.reqid;
    return (int)NLMSG_ALIGN(sizeof(ue));
}

static int parse_mapping(const struct xnl_msg *m, struct xfrm_event *ev)
{
    struct xfrm_user_mapping um;
    if (m->plen < sizeof(um)) return -EINVAL;
    memcpy(&um, m->payload, sizeof(um));
    ev->type = XFRM_EV_MAPPING;
    ev->sa.family = um.id.family;
    addr_out(ev->sa.dst, &um.id.daddr, um.id.family);
    ev->sa.spi = ntohl(um.id.spi);
    ev->sa.proto = um.id.proto;
    ev->reqid = um.reqid;
    addr_out(ev->old_src, &um.old_saddr, um.id.family);
    addr_out(ev->new_src, &um.new_saddr, um.id.family);
    ev->old_sport = ntohs(um.old_sport);
    ev->new_sport = ntohs(um.new_sport);
    return (int)NLMSG_ALIGN(sizeof(um));
}

/* The acquire's own fields; the reqid comes from the templates (xfrm_user_acquire has none). */
static int parse_acquire(const struct xnl_msg *m, struct xfrm_event *ev,
                         struct xfrm_user_acquire *ua)
{
    if (m->plen < sizeof(*ua)) return -EINVAL;
    memcpy(ua, m->payload, sizeof(*ua));
    ev->type = XFRM_EV_ACQUIRE;
    ts_out(&ev->sel, &ua->sel);
    ev->sa.family = ua->policy.sel.family ? ua->policy.sel.family : ua->sel.family;
    ev->sa.spi = ntohl(ua->id.spi);
    ev->sa.proto = ua->id.proto;
    ev->policy_index = ua->policy.index;
    ev->policy_dir = dir_out(ua->policy.dir);
    ev->seq = ua->seq;
    return (int)NLMSG_ALIGN(sizeof(*ua));
}

int xfrm_parse_event(const void *buf, size_t len, struct xfrm_event *ev)
{
    struct xnl_msg m;
    struct xfrm_user_acquire ua;
    int off;
    memset(ev, 0, sizeof(*ev));
    if (!buf || xnl_msg_read(buf, len, &m) < 0) return -EINVAL;
    switch (m.type) {
    case XFRM_MSG_EXPIRE: off = parse_expire(&m, ev); break;
    case XFRM_MSG_MAPPING: off = parse_mapping(&m, ev); break;
    case XFRM_MSG_ACQUIRE: off = parse_acquire(&m, ev, &ua); break;
    default: return 0;
    }
    if (off < 0) {
        memset(ev, 0, sizeof(*ev));
        return off;
    }
    if ((size_t)off > m.plen) off = (int)m.plen;

    struct xnl_attrs it;
    uint16_t type;
    const uint8_t *d;
    size_t dlen;
    struct xfrm_user_tmpl t[TMPL_MAX];
    int nt = 0;
    xnl_attrs_init(&it, m.payload + off, m.plen - (size_t)off);
    while (xnl_attr_next(&it, &type, &d, &dlen)) {
        switch (type) {
        case XFRMA_IF_ID:
            if (dlen < 4) goto bad;
            ev->if_id = xnl_get_u32(d);
            break;
        case XFRMA_MARK: {
            struct xfrm_mark mk;
            if (dlen < sizeof(mk)) goto bad;
            memcpy(&mk, d, sizeof(mk));
            ev->sa.mark = mk.v;
            ev->sa.mark_mask = mk.m;
            break;
        }
        case XFRMA_TMPL:
            if (m.type == XFRM_MSG_ACQUIRE && tmpl_read(d, dlen, t, &nt) < 0) goto bad;
            break;
        default: break;
        }
    }
    if (it.bad) goto bad;

    if (m.type == XFRM_MSG_ACQUIRE) {
        /* The template being resolved is the one for this protocol and destination; our
         * policies have only one. The acquire's outer addresses are the template's. */
        int pick = -1;
        for (int i = 0; i < nt && pick < 0; i++)
            if (t[i].id.proto == ua.id.proto && memcmp(&t[i].id.daddr, &ua.id.daddr, 16) == 0)
                pick = i;
        if (pick < 0 && nt > 0) pick = 0;
        if (pick >= 0) {
            ev->reqid = t[pick].reqid;
            if (t[pick].family) ev->sa.family = t[pick].family;
        }
        addr_out(ev->sa.dst, &ua.id.daddr, ev->sa.family);
        addr_out(ev->src, &ua.saddr, ev->sa.family);
    }
    return 1;
bad:
    memset(ev, 0, sizeof(*ev));
    return -EINVAL;
}
