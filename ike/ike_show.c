/* `show crypto ikev2 sa`, `show crypto ipsec sa`, `show crypto session`, `show crypto ikev2
 * stats`, in IOS's layouts (per-session interfaces are named Virtual-AccessN after the SA's
 * tunnel id, as IOS numbers them per session). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike_internal.h"
#include "platform/loop.h"
#include "platform/strbuf.h"

static const char *ip(uint32_t a, char *buf)
{
    struct in_addr in = {.s_addr = a};
    return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static const char *state_name(const struct ike_sa *sa)
{
    switch (sa->state) {
    case SA_HALF_OPEN: return "IN-NEG";
    case SA_ESTABLISHED: return "READY";
    case SA_DELETING: return "DELETE";
    case SA_REKEYED: return "REKEYED";
    }
    return "UNKNOWN";
}

static const char *am_name(uint8_t am)
{
    switch (am) {
    case IKE_AM_PSK: return "PSK";
    case IKE_AM_RSA: return "RSA";
    case IKE_AM_ECDSA: return "ECDSA";
    }
    return "none";
}

static int group_num(uint16_t g)
{
    return g;
}

void ike_show_sa(struct ike *ike, bool detailed, struct strbuf *out)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], la[32], ra[32];
    int64_t now = loop_now(ike->loop);
    sb_puts(out, " IPv4 Crypto IKEv2  SA \n\n");
    sb_puts(out, "Tunnel-id Local                 Remote                fvrf/ivrf            "
                 "Status \n");
    for (struct ike_sa *sa = ike->first; sa; sa = sa->next) {
        snprintf(la, sizeof la, "%s/%u", ip(sa->local.addr, a), sa->local.port);
        snprintf(ra, sizeof ra, "%s/%u", ip(sa->remote.addr, b), sa->remote.port);
        sb_printf(out, "%-9u %-21s %-21s %-20s %-7s\n", sa->conn_id, la, ra, "none/none",
                  state_name(sa));
        const struct ike_suite *s = &sa->keys.suite;
        if (sa->keys.prf_len) {
            sb_printf(out,
                      "      Encr: %s, keysize: %u, PRF: %s, Hash: %s, DH Grp:%d, Auth sign: "
                      "%s, Auth verify: %s\n",
                      ike_encr_name(s->encr), s->keylen, ike_prf_name(s->prf),
                      s->integ ? ike_integ_name(s->integ) : "None", group_num(s->dh),
                      am_name(sa->auth_local), am_name(sa->auth_remote));
        }
        int64_t active = (now - sa->created) / 1000;
        sb_printf(out, "      Life/Active Time: %u/%" PRId64 " sec\n",
                  sa->lifetime ? sa->lifetime : 86400, active);
        if (!detailed) continue;
        sb_printf(out, "      CE id: %u, Session-id: %u\n", 1000 + sa->conn_id, sa->conn_id);
        sb_printf(out, "      Status Description: %s\n",
                  sa->state == SA_ESTABLISHED ? "Negotiation done"
                  : sa->state == SA_HALF_OPEN ? "Negotiation in progress"
                                              : "Deleting");
        sb_printf(out, "      Local spi: %016" PRIX64 "       Remote spi: %016" PRIX64 "\n",
                  ike_sa_spi_local(sa), sa->initiator ? sa->spi_r : sa->spi_i);
        sb_printf(out, "      Local id: %s\n", sa->local_id[0] ? sa->local_id : "none");
        sb_printf(out, "      Remote id: %s\n", sa->peer_id[0] ? sa->peer_id : "none");
        sb_printf(out, "      Local req msg id:  %-14u Remote req msg id:  %u\n",
                  sa->tx_next ? sa->tx_next - 1 : 0, sa->rx_next ? sa->rx_next - 1 : 0);
        sb_printf(out, "      Local next msg id: %-14u Remote next msg id: %u\n", sa->tx_next,
                  sa->rx_next);
        sb_printf(out, "      Local window:      %-14d Remote window:      %d\n", 1, 1);
        if (sa->dpd != IKE_DPD_OFF)
            sb_printf(out, "      DPD configured for %u seconds, retry %u (%s)\n", sa->dpd_interval,
                      sa->dpd_retry, sa->dpd == IKE_DPD_PERIODIC ? "periodic" : "on-demand");
        else
            sb_puts(out, "      DPD disabled\n");
        if (sa->frag_mtu) {
            /* IOS-XE's lines for RFC 7383 in use; the MTU less IPv4 and UDP headers. */
            sb_puts(out, "      IETF Std Fragmentation  enabled.\n");
            sb_printf(out, "      IETF Std Fragmentation MTU in use: %u bytes.\n",
                      sa->frag_mtu > 28 ? sa->frag_mtu - 28 : 0);
        } else {
            sb_puts(out, "      Fragmentation not  configured.\n");
        }
        sb_puts(out, "      Extended Authentication not configured.\n");
        if (sa->nat_local || sa->nat_remote)
            sb_printf(out, "      NAT-T is detected %s\n", sa->nat_local ? "inside" : "outside");
        else
            sb_puts(out, "      NAT-T is not detected  \n");
        if (sa->vip) sb_printf(out, "      Assigned host addr: %s\n", ip(sa->vip, a));
        if (sa->profile[0]) sb_printf(out, "      IKEv2 profile: %s\n", sa->profile);
        sb_printf(out, "      Redirect: %s\n",
                  sa->redirected_from      ? "client was redirected here"
                  : sa->redirect_supported ? "client supports redirect"
                                           : "not supported by client");
        sb_printf(out, "      Initiator of SA : %s\n", sa->initiator ? "Yes" : "No");
    }
    sb_puts(out, "\n");
}

static void mask_str(uint32_t lo, uint32_t hi, char *buf, size_t cap)
{
    /* A range that is a prefix shows as addr/mask, else as lo-hi. */
    uint32_t span = hi - lo;
    char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
    if (((span + 1) & span) == 0 && (lo & span) == 0) {
        ip(htonl(lo), a);
        ip(htonl(~span), m);
        snprintf(buf, cap, "%s/%s", a, m);
    } else {
        char h[INET_ADDRSTRLEN];
        ip(htonl(lo), a);
        ip(htonl(hi), h);
        snprintf(buf, cap, "%s-%s", a, h);
    }
}

static void ts_str(const struct ike_child_ts *s, char *buf, size_t cap)
{
    if (s->n < 1) {
        snprintf(buf, cap, "(none)");
        return;
    }
    const struct ike_ts4 *t = &s->ts[0];
    char r[64];
    mask_str(t->lo, t->hi, r, sizeof r);
    snprintf(buf, cap, "(%s/%u/%u)", r, t->proto, t->sport == t->eport ? t->sport : 0);
}

static const char *transform(const struct ike_child_kernel *k, char *buf, size_t cap)
{
    if (k->encr == IKE_ENCR_AES_GCM_16) {
        snprintf(buf, cap, "esp-gcm %u", k->keylen);
        return buf;
    }
    const char *h = k->integ == IKE_INTEG_HMAC_SHA1_96        ? "esp-sha-hmac"
                    : k->integ == IKE_INTEG_HMAC_SHA2_256_128 ? "esp-sha256-hmac"
                    : k->integ == IKE_INTEG_HMAC_SHA2_384_192 ? "esp-sha384-hmac"
                    : k->integ == IKE_INTEG_HMAC_SHA2_512_256 ? "esp-sha512-hmac"
                                                              : "esp-none";
    snprintf(buf, cap, "esp-%u-aes %s", k->keylen, h);
    return buf;
}

void ike_show_ipsec_sa(struct ike *ike, uint32_t peer, struct strbuf *out)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], t1[96], t2[96], tf[48];
    int64_t now = loop_now(ike->loop);
    bool any = false;
    for (struct ike_sa *sa = ike->first; sa; sa = sa->next) {
        if (peer && sa->remote.addr != peer) continue;
        if (!sa->children) continue;
        any = true;
        sb_printf(out, "\ninterface: Virtual-Access%u\n", sa->conn_id);
        sb_printf(out, "    Crypto map tag: Virtual-Access%u-head-0, local addr %s\n\n",
                  sa->conn_id, ip(sa->local.addr, a));
        for (struct ike_child *c = sa->children; c; c = c->next) {
            if (c->st == CH_DELETING && !c->installed) continue; /* gone but for the DELETE */
            const struct ike_child_kernel *k = &c->k;
            struct ike_child_counters ct = {0};
            bool have = ike->has_kernel && c->installed &&
                        ike->kernel.counters(ike->kernel.ctx, k, &ct) == 0;
            ts_str(&k->ts_local, t1, sizeof t1);
            ts_str(&k->ts_remote, t2, sizeof t2);
            sb_puts(out, "   protected vrf: (none)\n");
            sb_printf(out, "   local  ident (addr/mask/prot/port): %s\n", t1);
            sb_printf(out, "   remote ident (addr/mask/prot/port): %s\n", t2);
            sb_printf(out, "   current_peer %s port %u\n", ip(sa->remote.addr, b), sa->remote.port);
            sb_puts(out, "     PERMIT, flags={origin_is_acl,}\n");
            sb_printf(out,
                      "    #pkts encaps: %" PRIu64 ", #pkts encrypt: %" PRIu64
                      ", #pkts digest: %" PRIu64 "\n",
                      ct.out_packets, ct.out_packets, ct.out_packets);
            sb_printf(out,
                      "    #pkts decaps: %" PRIu64 ", #pkts decrypt: %" PRIu64
                      ", #pkts verify: %" PRIu64 "\n",
                      ct.in_packets, ct.in_packets, ct.in_packets);
            sb_printf(out, "    #bytes encaps: %" PRIu64 ", #bytes decaps: %" PRIu64 "\n",
                      ct.out_bytes, ct.in_bytes);
            if (!have)
                sb_printf(out, "    (%s)\n",
                          !ike->has_kernel ? "data plane: none, counters not kept"
                          : c->installed   ? "kernel counters unavailable"
                                           : "not installed in the kernel");
            sb_printf(out, "\n     local crypto endpt.: %s, remote crypto endpt.: %s\n",
                      ip(sa->local.addr, a), ip(sa->remote.addr, b));
            sb_printf(out, "     current outbound spi: 0x%X(%u)\n", k->spi_out, k->spi_out);
            sb_printf(out, "     PFS (Y/N): %s, DH group: %s\n", c->dh ? "Y" : "N",
                      c->dh ? ike_dh_name(c->dh) : "none");
            int64_t left = (int64_t)k->lifetime_s - (now - c->created) / 1000;
            if (left < 0) left = 0;
            for (int dir = 0; dir < 2; dir++) {
                uint32_t spi = dir ? k->spi_out : k->spi_in;
                sb_printf(out, "\n     %s esp sas:\n", dir ? "outbound" : "inbound");
                sb_printf(out, "      spi: 0x%X(%u)\n", spi, spi);
                sb_printf(out, "        transform: %s ,\n", transform(k, tf, sizeof tf));
                sb_printf(out, "        in use settings ={Tunnel%s, }\n",
                          k->encap ? " UDP-Encaps" : "");
                sb_printf(out, "        conn id: %u, crypto map: Virtual-Access%u-head-0\n",
                          k->reqid - IKE_REQID_BASE + 2001, sa->conn_id);
                sb_printf(out, "        sa timing: remaining key lifetime (sec): (%" PRId64 ")\n",
                          left);
                sb_printf(out, "        IV size: %d bytes\n",
                          k->encr == IKE_ENCR_AES_GCM_16 ? 8 : 16);
                sb_puts(out, "        replay detection support: Y\n");
                sb_printf(out, "        Status: %s\n",
                          c->installed || !ike->has_kernel ? "ACTIVE(ACTIVE)" : "FAILED");
            }
            sb_puts(out, "\n");
        }
    }
    if (!any) sb_puts(out, "\nNo SAs found\n");
}

void ike_show_session(struct ike *ike, bool detail, struct strbuf *out)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], t1[96], t2[96];
    int64_t now = loop_now(ike->loop);
    sb_puts(out, "Crypto session current status\n\n");
    for (struct ike_sa *sa = ike->first; sa; sa = sa->next) {
        if (sa->state == SA_REKEYED) continue;
        sb_printf(out, "Interface: Virtual-Access%u\n", sa->conn_id);
        if (sa->profile[0]) sb_printf(out, "Profile: %s\n", sa->profile);
        const char *st = sa->state != SA_ESTABLISHED ? "DOWN-NEGOTIATING"
                         : sa->children              ? "UP-ACTIVE"
                                                     : "UP-NO-IPSEC";
        sb_printf(out, "Session status: %s\n", st);
        sb_printf(out, "Peer: %s port %u\n", ip(sa->remote.addr, a), sa->remote.port);
        if (detail) {
            int64_t up = (now - sa->created) / 1000;
            sb_printf(out, "  Session ID: %u\n", sa->conn_id);
            sb_printf(out, "  Phase1_id: %s\n", sa->peer_id[0] ? sa->peer_id : "none");
            sb_printf(out, "  Uptime: %02" PRId64 ":%02" PRId64 ":%02" PRId64 "\n", up / 3600,
                      up / 60 % 60, up % 60);
            if (sa->vip) sb_printf(out, "  Assigned address: %s\n", ip(sa->vip, b));
        }
        sb_printf(out, "  IKEv2 SA: local %s/%u remote %s/%u %s\n", ip(sa->local.addr, a),
                  sa->local.port, ip(sa->remote.addr, b), sa->remote.port,
                  sa->state == SA_ESTABLISHED ? "Active" : "Inactive");
        for (struct ike_child *c = sa->children; c; c = c->next) {
            ts_str(&c->k.ts_local, t1, sizeof t1);
            ts_str(&c->k.ts_remote, t2, sizeof t2);
            sb_printf(out, "  IPSEC FLOW: permit ip %s %s\n", t1, t2);
            sb_printf(out, "        Active SAs: 2, origin: crypto map\n");
        }
        sb_puts(out, "\n");
    }
}

void ike_show_stats(struct ike *ike, struct strbuf *out)
{
    struct ike_stats s;
    ike_get_stats(ike, &s);
    struct ike_globals g = {0};
    if (ike->policy.globals) ike->policy.globals(ike->policy.ctx, &g);
    uint32_t ck = g.cookie_threshold, neg = g.max_in_negotiation, max = g.max_sa;
    const char *rule = "--------------------------------------------------------------------------"
                       "------\n";
    sb_puts(out, rule);
    sb_puts(out, "                       Crypto IKEv2 SA Statistics\n");
    sb_puts(out, rule);
    sb_printf(out, "Max IKEv2 SAs: %-10u Max in nego: %-10u Cookie challenge above: %u\n", max, neg,
              ck);
    sb_printf(out, "Total incoming IKEv2 SA Count:    %-10u active:    %-10u negotiating: %u\n",
              s.established + s.half_open, s.established, s.half_open);
    sb_printf(out,
              "Child SAs: %-10u up: %-10" PRIu64 " failed: %-10" PRIu64 " rekeyed: %" PRIu64 "\n",
              s.children, s.child_up, s.child_failed, s.child_rekeys);
    sb_printf(out,
              "Incoming IKEv2 Requests: %-10" PRIu64 " IKE_SA_INIT: %-8" PRIu64
              " IKE_AUTH: %-8" PRIu64 "\n",
              s.init_in + s.auth_in + s.child_in + s.info_in, s.init_in, s.auth_in);
    sb_printf(out, "  CREATE_CHILD_SA: %-10" PRIu64 " INFORMATIONAL: %" PRIu64 "\n", s.child_in,
              s.info_in);
    sb_printf(out,
              "SAs up: %-10" PRIu64 " auth failed: %-10" PRIu64 " deleted: %-10" PRIu64
              " expired: %-10" PRIu64 " dead (DPD): %" PRIu64 "\n",
              s.sa_up, s.sa_failed_auth, s.sa_deleted, s.sa_expired, s.dpd_dead);
    sb_printf(out, "IKE SA rekeys: %-10" PRIu64 " redirects: %" PRIu64 "\n", s.ike_rekeys,
              s.redirects);
    sb_printf(out,
              "Rekeys started here: IKE SA %-10" PRIu64 " CHILD_SA %-10" PRIu64
              " CHILD_SAs expired: %" PRIu64 "\n",
              s.ike_rekeys_sent, s.child_rekeys_sent, s.child_expired);
    sb_printf(out, "Kernel events: expire %-10" PRIu64 " acquire %" PRIu64 "\n", s.kernel_expires,
              s.acquires);
    sb_printf(out, "Incoming IKEV2 Cookie Challenged Requests: %" PRIu64 "\n", s.cookies_sent);
    sb_printf(out,
              "Refusals sent: NO_PROPOSAL_CHOSEN %-8" PRIu64 " INVALID_KE_PAYLOAD %-8" PRIu64
              " TS_UNACCEPTABLE %" PRIu64 "\n",
              s.no_proposal_sent, s.invalid_ke_sent, s.ts_unacceptable_sent);
    sb_printf(out,
              "  AUTHENTICATION_FAILED %-8" PRIu64 " INTERNAL_ADDRESS_FAILURE %-8" PRIu64
              " TEMPORARY_FAILURE %" PRIu64 "\n",
              s.sa_failed_auth, s.addr_failure_sent, s.temp_failure_sent);
    sb_printf(out, "Proposals past the per-payload cap (%d), not considered: %" PRIu64 "\n",
              IKE_MAX_PROPOSALS, s.proposals_skipped);
    sb_printf(out,
              "INITIAL_CONTACT: old IKE SAs removed %-8" PRIu64
              " Addresses released (no CHILD_SA): %" PRIu64 "\n",
              s.initial_contact_deleted, s.leases_released_childless);
    sb_printf(out,
              "Fragmentation (RFC 7383): %s, fragments in %" PRIu64 " out %" PRIu64
              ", messages reassembled %" PRIu64 "\n",
              g.frag_mtu ? "configured" : "not configured", s.frag_in, s.frag_out,
              s.frag_reassembled);
    for (int i = 0; i < IKE_FRAG_DROP_NCOUNT; i++)
        if (s.frag_dropped[i])
            sb_printf(out, "  fragments dropped, %-30s %" PRIu64 "\n", ike_frag_drop_name(i),
                      s.frag_dropped[i]);
    sb_printf(out, "Retransmissions answered: %-10" PRIu64 " sent: %" PRIu64 "\n",
              s.retransmits_answered, s.retransmits_sent);
    sb_printf(out,
              "Packets in: %" PRIu64 " (%" PRIu64 " bytes), out: %" PRIu64 " (%" PRIu64 " bytes)\n",
              s.rx, s.rx_bytes, s.tx, s.tx_bytes);
    uint64_t total = 0;
    for (int i = 1; i < IKE_DROP_NCOUNT; i++) total += s.drops[i];
    sb_printf(out, "IKEv2 packets dropped at dispatch: %" PRIu64 "\n", total);
    for (int i = 1; i < IKE_DROP_NCOUNT; i++)
        if (s.drops[i]) sb_printf(out, "  %-40s %" PRIu64 "\n", ike_drop_name(i), s.drops[i]);
    sb_printf(out, "Half-open SAs timed out: %" PRIu64 "\n", s.drops[IKE_DROP_NONE]);
}
