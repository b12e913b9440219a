/* The operating-system side of an HSRP virtual MAC: a macvlan in private mode on the parent
 * interface that carries the virtual MAC and the virtual IP, and gratuitous ARPs from it.
 *
 * Why a macvlan: the VIP must be answered in ARP, and its traffic received, with the virtual
 * MAC while the parent keeps its burnt-in MAC. The parent gets arp_ignore=1 (answer only for
 * addresses configured on the link a request came in on) so that it never answers for the VIP
 * with its own MAC; the macvlan gets arp_ignore=1 too, so that it answers only for the VIP and
 * never for the parent's addresses. Private mode keeps macvlans of one parent from talking to
 * each other (and broadcasts sent on one from looping into the others).
 *
 * Names: "h<parent>.<group>" (heth0.1). Linux link names have at most 15 characters; when that
 * is too long the fallback is "h<parent ifindex>.<group>" (h4.1). Both match the pattern
 * vmac_flush_stale() removes, h<anything>.<digits> with link kind macvlan.
 *
 * All calls act on the network namespace of the calling thread, are synchronous and return 0
 * (or a count) on success, -errno on failure. vip is in host order throughout. */
#ifndef IKEGATE_VMAC_H
#define IKEGATE_VMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;

/* Room for any link name, terminator included (IFNAMSIZ). */
#define VMAC_NAME_SIZE 16

/* "heth0.1" for parent eth0 group 1; "h<ifindex>.<group>" when that does not fit in 15
 * characters. "" (an invalid name, which vmac_create refuses) if neither fits len or the parent
 * does not exist when the fallback is needed. */
void vmac_name(const char *parent, unsigned group, char *buf, size_t len);

/* Whether name has the form of a vmac link, h<anything>.<digits>. */
bool vmac_name_matches(const char *name);

/* Create the macvlan `name` on parent: private mode, MAC mac (unicast), IPv6 disabled,
 * arp_ignore=1, promote_secondaries=1 and rp_filter=2 (loose: under a strict rp_filter the
 * kernel would drop ARP requests for the VIP, whose senders are routed through the parent),
 * then up. name must match vmac_name_matches() so that vmac_flush_stale() can find it. An existing
 * macvlan of that name with the same parent, mode and MAC is kept (and brought up); one that
 * differs is re-created, which drops its addresses: add the VIP again. Also sets arp_ignore=1 and
 * promote_secondaries=1 on the parent; those stay when the macvlan goes (they are the appliance's
 * policy, shared by all groups of the parent). -ENODEV: no parent; -EEXIST: a link of that name
 * that is not a macvlan; -EINVAL: bad name or multicast MAC. */
int vmac_create(struct netif *n, const char *parent, const char *name, const uint8_t mac[6]);

/* Delete the macvlan (its addresses go with it); absent: 0. -EEXIST if the link of that name is
 * not a macvlan (it is left alone). */
int vmac_destroy(struct netif *n, const char *name);

/* The VIP as an address of the macvlan. A /32 avoids a second connected route for the parent's
 * subnet (through the macvlan); the parent's own subnet route already covers the VIP's peers.
 * Adding an existing address is not an error; deleting an absent one (or from an absent link)
 * returns 0. */
int vmac_add_vip(struct netif *n, const char *name, uint32_t vip, int prefixlen);
int vmac_del_vip(struct netif *n, const char *name, uint32_t vip, int prefixlen);

/* Delete every macvlan whose name matches h<anything>.<digits>: what a crashed ikegated left.
 * Returns how many were deleted, or -errno. */
int vmac_flush_stale(struct netif *n);

/* One gratuitous ARP on ifname (the macvlan: it goes out of the parent with mac as Ethernet
 * source): an ARP reply to ff:ff:ff:ff:ff:ff, sender and target MAC mac, sender and target IP
 * vip. Needs CAP_NET_RAW. */
int vmac_send_garp(const char *ifname, const uint8_t mac[6], uint32_t vip);

#endif
