/* IOS interface names ("GigabitEthernet1", "Loopback0") and their Linux counterparts.
 * Pure string handling: nothing here touches the operating system. */
#ifndef IKEGATE_IFNAME_H
#define IKEGATE_IFNAME_H

#include <stddef.h>

/* Big enough for any full IOS name ("GigabitEthernet65535", "Loopback2147483647"). */
#define IFNAME_IOS_LEN 32
/* IFNAMSIZ: Linux names are at most 15 characters. */
#define IFNAME_LINUX_LEN 16

enum if_type { IFT_GIGABIT, IFT_LOOPBACK, IFT_VTEMPLATE };

struct ifname {
    enum if_type type;
    unsigned long num;
};

/* Parse an IOS name, possibly abbreviated, from one word ("gi1") or two ("gi", "1"; word2 may be
 * NULL). The type is any case-insensitive prefix that names exactly one type; the number is
 * decimal, leading zeros allowed, within the type's range (GigabitEthernet 1-65535, Loopback
 * 0-2147483647, Virtual-Template 1-65535). The short spelling ("Gi", "Lo", "Vt") is accepted too.
 * Returns 0 and fills *out, or -1 if the words are not an interface name. *consumed (if non-NULL)
 * is set to the number of words used, 1 or 2. */
int ifname_parse(const char *word1, const char *word2, struct ifname *out, int *consumed);
/* "GigabitEthernet1", "Loopback1" */
void ifname_full(const struct ifname *n, char *buf, size_t len);
/* "Gi1", "Lo1", "Vt1" */
void ifname_short(const struct ifname *n, char *buf, size_t len);
/* The number range of the type a (possibly abbreviated) type word names; -1 if none. */
int ifname_type_range(const char *word, unsigned long *lo, unsigned long *hi);
/* The interface type names and their IOS help texts, in parallel arrays; returns the count. */
size_t ifname_types(const char *const **names, const char *const **helps);

/* The --ifmap override table: IOS interface -> Linux link name. */
struct ifmap;
/* NULL on allocation failure. */
struct ifmap *ifmap_new(void);
void ifmap_free(struct ifmap *m);
/* Add the entries of one --ifmap value ("GigabitEthernet1=ens3,gi2=veth7"); may be called once per
 * option given. Returns 0, or -1 with a message in err and the map left unchanged. */
int ifmap_parse(struct ifmap *m, const char *spec, char *err, size_t errlen);
/* The map entry if any, else eth(N-1) for GigabitEthernetN, "lo" for Loopbacks (whose
 * addresses carry the label "lo:N") and vtN for Virtual-TemplateN (the xfrm interface the data
 * plane creates; configuration never creates it). m may be NULL (no overrides). */
void ifmap_linux_name(const struct ifmap *m, const struct ifname *n, char *buf, size_t len);
/* Reverse lookup: the map first, then ethK -> GigabitEthernet(K+1), the address label
 * lo:N -> LoopbackN and vtN -> Virtual-TemplateN, unless that IOS interface is mapped elsewhere.
 * Returns 0, or -1 if the Linux name corresponds to no IOS interface. m may be NULL. */
int ifmap_ios_name(const struct ifmap *m, const char *linux_name, struct ifname *out);

#endif
