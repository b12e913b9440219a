#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "platform/ifname.h"

static void assert_parses(const char *w1, const char *w2, enum if_type type, unsigned long num,
                          int words)
{
    struct ifname n = {IFT_LOOPBACK, 12345};
    int consumed = -1;
    if (ifname_parse(w1, w2, &n, &consumed) != 0)
        fail_msg("'%s' '%s' did not parse", w1, w2 ? w2 : "(null)");
    assert_int_equal(n.type, type);
    assert_int_equal(n.num, num);
    assert_int_equal(consumed, words);
}

static void assert_rejects(const char *w1, const char *w2)
{
    struct ifname n;
    if (ifname_parse(w1, w2, &n, NULL) != -1)
        fail_msg("'%s' '%s' was accepted", w1 ? w1 : "(null)", w2 ? w2 : "(null)");
}

static void test_gigabit_abbreviations(void **state)
{
    (void)state;
    const char *forms[] = {"g1",
                           "gi1",
                           "gig1",
                           "giga1",
                           "gigabit1",
                           "Gig1",
                           "GI1",
                           "gIgAbIt1",
                           "GigabitEthernet1",
                           "gigabite1",
                           "gigabitethernet1",
                           "GIGABITETHERNET1"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        assert_parses(forms[i], NULL, IFT_GIGABIT, 1, 1);
    assert_parses("gi2", NULL, IFT_GIGABIT, 2, 1);
    assert_parses("GigabitEthernet65535", NULL, IFT_GIGABIT, 65535, 1);
}

static void test_loopback_abbreviations(void **state)
{
    (void)state;
    assert_parses("l0", NULL, IFT_LOOPBACK, 0, 1);
    assert_parses("lo1", NULL, IFT_LOOPBACK, 1, 1);
    assert_parses("loo1", NULL, IFT_LOOPBACK, 1, 1);
    assert_parses("loop1", NULL, IFT_LOOPBACK, 1, 1);
    assert_parses("Loopback1", NULL, IFT_LOOPBACK, 1, 1);
    assert_parses("LOOPBACK7", NULL, IFT_LOOPBACK, 7, 1);
    assert_parses("loopback2147483647", NULL, IFT_LOOPBACK, 2147483647UL, 1);
    /* Virtual-Template: any prefix, and the short spelling "Vt" that is not one. */
    assert_parses("v1", NULL, IFT_VTEMPLATE, 1, 1);
    assert_parses("virtual-t", "65535", IFT_VTEMPLATE, 65535, 2);
    assert_parses("Vt1", NULL, IFT_VTEMPLATE, 1, 1);
    assert_parses("VT", "2", IFT_VTEMPLATE, 2, 2);
}

static void test_two_words(void **state)
{
    (void)state;
    assert_parses("Gig", "1", IFT_GIGABIT, 1, 2);
    assert_parses("g", "3", IFT_GIGABIT, 3, 2);
    assert_parses("GigabitEthernet", "4", IFT_GIGABIT, 4, 2);
    assert_parses("lo", "0", IFT_LOOPBACK, 0, 2);
    assert_parses("Loopback", "99", IFT_LOOPBACK, 99, 2);
    /* a number in the first word leaves the second one alone */
    assert_parses("gi1", "2", IFT_GIGABIT, 1, 1);
    assert_parses("lo5", "ip", IFT_LOOPBACK, 5, 1);
    assert_rejects("gi", "1x");
    assert_rejects("gi", "");
    assert_rejects("gi", "-1");
    assert_rejects("gi", "0");
    assert_rejects("gi", "ip");
}

static void test_leading_zeros(void **state)
{
    (void)state;
    assert_parses("gi01", NULL, IFT_GIGABIT, 1, 1);
    assert_parses("gi", "0002", IFT_GIGABIT, 2, 2);
    assert_parses("lo00", NULL, IFT_LOOPBACK, 0, 1);
    assert_parses("lo000000000000000000000000000042", NULL, IFT_LOOPBACK, 42, 1);
    assert_rejects("gi00", NULL);
}

static void test_rejections(void **state)
{
    (void)state;
    assert_rejects(NULL, NULL);
    assert_rejects("", NULL);
    assert_rejects("", "1");
    assert_rejects("1", NULL);
    assert_rejects("g", NULL);
    assert_rejects("gi", NULL);
    assert_rejects("Loopback", NULL);
    assert_rejects("gi1x", NULL);
    assert_rejects("gi1.100", NULL);
    assert_rejects("gi1/0", NULL);
    assert_rejects("gi-1", NULL);
    assert_rejects("vt0", NULL);
    assert_rejects("Virtual-Template65536", NULL);
    assert_rejects("vtx1", NULL);
    assert_rejects("gi 1", NULL);
    assert_rejects("gi+1", NULL);
    assert_rejects("x1", NULL);
    assert_rejects("ethernet1", NULL);
    assert_rejects("gigabitethernetx1", NULL);
    assert_rejects("gigabitethernet-1", NULL);
    assert_rejects("Tunnel1", NULL);
    assert_rejects("eth0", NULL);
    assert_rejects("lo:1", NULL);
    /* range */
    assert_rejects("GigabitEthernet0", NULL);
    assert_rejects("gi65536", NULL);
    assert_rejects("lo2147483648", NULL);
    assert_rejects("lo99999999999999999999999999", NULL);
    assert_rejects("gi18446744073709551617", NULL);
}

static void test_names(void **state)
{
    (void)state;
    char buf[IFNAME_IOS_LEN];
    struct ifname g = {IFT_GIGABIT, 1}, l = {IFT_LOOPBACK, 2147483647UL};
    ifname_full(&g, buf, sizeof(buf));
    assert_string_equal(buf, "GigabitEthernet1");
    ifname_short(&g, buf, sizeof(buf));
    assert_string_equal(buf, "Gi1");
    ifname_full(&l, buf, sizeof(buf));
    assert_string_equal(buf, "Loopback2147483647");
    ifname_short(&l, buf, sizeof(buf));
    assert_string_equal(buf, "Lo2147483647");

    struct ifname n;
    assert_int_equal(ifname_parse("gi007", NULL, &n, NULL), 0);
    ifname_full(&n, buf, sizeof(buf));
    assert_string_equal(buf, "GigabitEthernet7");

    char tiny[4];
    ifname_full(&g, tiny, sizeof(tiny));
    assert_string_equal(tiny, "Gig");
}

static void test_types(void **state)
{
    (void)state;
    const char *const *names, *const *helps;
    size_t n = ifname_types(&names, &helps);
    assert_int_equal(n, 3);
    assert_string_equal(names[IFT_GIGABIT], "GigabitEthernet");
    assert_string_equal(helps[IFT_GIGABIT], "GigabitEthernet IEEE 802.3z");
    assert_string_equal(names[IFT_LOOPBACK], "Loopback");
    assert_string_equal(helps[IFT_LOOPBACK], "Loopback interface");
    assert_string_equal(names[IFT_VTEMPLATE], "Virtual-Template");
    assert_string_equal(helps[IFT_VTEMPLATE], "Virtual Template interface");
    /* every type name parses as itself */
    for (size_t i = 0; i < n; i++) {
        struct ifname p;
        assert_int_equal(ifname_parse(names[i], "1", &p, NULL), 0);
        assert_int_equal(p.type, i);
    }
}

static void assert_linux(const struct ifmap *m, enum if_type type, unsigned long num,
                         const char *want)
{
    char buf[IFNAME_LINUX_LEN];
    struct ifname n = {type, num};
    ifmap_linux_name(m, &n, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void assert_ios(const struct ifmap *m, const char *linux_name, const char *want)
{
    struct ifname n;
    char buf[IFNAME_IOS_LEN];
    if (!want) {
        if (ifmap_ios_name(m, linux_name, &n) != -1)
            fail_msg("'%s' mapped back", linux_name ? linux_name : "(null)");
        return;
    }
    if (ifmap_ios_name(m, linux_name, &n) != 0)
        fail_msg("'%s' did not map back", linux_name ? linux_name : "(null)");
    ifname_full(&n, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_ifmap_defaults(void **state)
{
    (void)state;
    struct ifmap *m = ifmap_new();
    assert_non_null(m);
    for (const struct ifmap *map = m;; map = NULL) {
        assert_linux(map, IFT_GIGABIT, 1, "eth0");
        assert_linux(map, IFT_GIGABIT, 12, "eth11");
        assert_linux(map, IFT_GIGABIT, 65535, "eth65534");
        assert_linux(map, IFT_LOOPBACK, 0, "lo");
        assert_linux(map, IFT_LOOPBACK, 9, "lo");
        assert_ios(map, "eth0", "GigabitEthernet1");
        assert_ios(map, "eth11", "GigabitEthernet12");
        assert_ios(map, "eth65534", "GigabitEthernet65535");
        assert_ios(map, "lo:5", "Loopback5");
        assert_linux(map, IFT_VTEMPLATE, 1, "vt1");
        assert_ios(map, "vt1", "Virtual-Template1");
        assert_ios(map, "vt65535", "Virtual-Template65535");
        assert_ios(map, "vt0", NULL);
        assert_ios(map, "vt65536", NULL);
        assert_ios(map, "vt01", NULL);
        assert_ios(map, "eth65535", NULL);
        assert_ios(map, "eth01", NULL);
        assert_ios(map, "eth", NULL);
        assert_ios(map, "eth1x", NULL);
        assert_ios(map, "ETH1", NULL);
        assert_ios(map, "ens3", NULL);
        assert_ios(map, "lo", NULL);
        assert_ios(map, "lo:", NULL);
        assert_ios(map, "lo:05", NULL);
        assert_ios(map, "", NULL);
        assert_ios(map, NULL, NULL);
        if (!map) break;
    }
    ifmap_free(m);
    ifmap_free(NULL);
}

static void test_ifmap_overrides(void **state)
{
    (void)state;
    struct ifmap *m = ifmap_new();
    char err[256] = "";
    assert_int_equal(ifmap_parse(m, "GigabitEthernet1=ens3,gi2=veth7", err, sizeof(err)), 0);
    assert_int_equal(ifmap_parse(m, " Gig 3 = eth0 , lo4=dummy4", err, sizeof(err)), 0);
    assert_int_equal(ifmap_parse(m, "g0005=abcdefghijklmno", err, sizeof(err)), 0);

    assert_linux(m, IFT_GIGABIT, 1, "ens3");
    assert_linux(m, IFT_GIGABIT, 2, "veth7");
    assert_linux(m, IFT_GIGABIT, 3, "eth0");
    assert_linux(m, IFT_GIGABIT, 4, "eth3");
    assert_linux(m, IFT_GIGABIT, 5, "abcdefghijklmno");
    assert_linux(m, IFT_LOOPBACK, 4, "dummy4");
    assert_linux(m, IFT_LOOPBACK, 3, "lo");

    assert_ios(m, "ens3", "GigabitEthernet1");
    assert_ios(m, "veth7", "GigabitEthernet2");
    assert_ios(m, "eth0", "GigabitEthernet3");
    assert_ios(m, "dummy4", "Loopback4");
    assert_ios(m, "abcdefghijklmno", "GigabitEthernet5");
    /* ethK no longer means Gi(K+1) once that interface is mapped elsewhere */
    assert_ios(m, "eth1", NULL);
    assert_ios(m, "eth2", NULL);
    assert_ios(m, "lo:4", NULL);
    assert_ios(m, "eth3", "GigabitEthernet4");
    assert_ios(m, "lo:3", "Loopback3");
    assert_ios(m, "ENS3", NULL);
    ifmap_free(m);
}

static void assert_bad_spec(const char *spec, const char *want_err)
{
    struct ifmap *m = ifmap_new();
    char err[256] = "";
    assert_int_equal(ifmap_parse(m, "gi9=keep9", err, sizeof(err)), 0);
    if (ifmap_parse(m, spec, err, sizeof(err)) != -1) fail_msg("'%s' was accepted", spec);
    assert_string_equal(err, want_err);
    /* a failed parse leaves the map as it was */
    assert_linux(m, IFT_GIGABIT, 9, "keep9");
    assert_linux(m, IFT_GIGABIT, 1, "eth0");
    assert_ios(m, "keep9", "GigabitEthernet9");
    ifmap_free(m);
}

static void test_ifmap_malformed(void **state)
{
    (void)state;
    assert_bad_spec("", "empty --ifmap value");
    assert_bad_spec("  ", "empty --ifmap value");
    assert_bad_spec("gi1=a,,gi2=b", "bad --ifmap value 'gi1=a,,gi2=b': empty entry");
    assert_bad_spec("gi1=a,", "bad --ifmap value 'gi1=a,': empty entry");
    assert_bad_spec("x", "bad --ifmap entry 'x': expected IOS-NAME=LINUX-NAME, e.g. "
                         "GigabitEthernet1=ens3");
    assert_bad_spec("x=", "bad --ifmap entry 'x=': missing Linux interface name after '='");
    assert_bad_spec("gi1= ", "bad --ifmap entry 'gi1=': missing Linux interface name after '='");
    assert_bad_spec("=ens3", "bad --ifmap entry '=ens3': missing IOS interface name before '='");
    assert_bad_spec("foo=ens3", "bad --ifmap entry 'foo=ens3': not an IOS interface name on the "
                                "left (expected e.g. GigabitEthernet1)");
    assert_bad_spec("gi0=ens3", "bad --ifmap entry 'gi0=ens3': not an IOS interface name on the "
                                "left (expected e.g. GigabitEthernet1)");
    assert_bad_spec("gi 1 2=ens3", "bad --ifmap entry 'gi 1 2=ens3': not an IOS interface name "
                                   "on the left (expected e.g. GigabitEthernet1)");
    assert_bad_spec("gi1 2=ens3", "bad --ifmap entry 'gi1 2=ens3': not an IOS interface name "
                                  "on the left (expected e.g. GigabitEthernet1)");
    assert_bad_spec("gi1=abcdefghijklmnop", "bad --ifmap entry 'gi1=abcdefghijklmnop': Linux "
                                            "interface name is longer than 15 characters");
    assert_bad_spec("gi1=ens 3", "bad --ifmap entry 'gi1=ens 3': Linux interface name contains "
                                 "'/', ':', '=' or whitespace");
    assert_bad_spec("gi1=a/b", "bad --ifmap entry 'gi1=a/b': Linux interface name contains '/', "
                               "':', '=' or whitespace");
    assert_bad_spec("gi1=lo:1", "bad --ifmap entry 'gi1=lo:1': Linux interface name contains "
                                "'/', ':', '=' or whitespace");
    assert_bad_spec("gi1=a=b", "bad --ifmap entry 'gi1=a=b': Linux interface name contains '/', "
                               "':', '=' or whitespace");
    assert_bad_spec("gi1=..",
                    "bad --ifmap entry 'gi1=..': Linux interface name is not a valid name");
    assert_bad_spec("gi1=ens3,GigabitEthernet1=ens4",
                    "bad --ifmap entry 'GigabitEthernet1=ens4': GigabitEthernet1 is already "
                    "mapped to ens3");
    assert_bad_spec("gi1=ens3,gi2=ens3",
                    "bad --ifmap entry 'gi2=ens3': ens3 is already mapped to GigabitEthernet1");
    /* against entries from an earlier --ifmap */
    assert_bad_spec("gi10=ens10,gig9=x",
                    "bad --ifmap entry 'gig9=x': GigabitEthernet9 is already mapped to keep9");
    assert_bad_spec("lo1=keep9",
                    "bad --ifmap entry 'lo1=keep9': keep9 is already mapped to GigabitEthernet9");

    struct ifmap *m = ifmap_new();
    assert_int_equal(ifmap_parse(m, NULL, NULL, 0), -1);
    char small[8];
    assert_int_equal(ifmap_parse(m, "nonsense", small, sizeof(small)), -1);
    assert_string_equal(small, "bad --i");
    ifmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gigabit_abbreviations),
        cmocka_unit_test(test_loopback_abbreviations),
        cmocka_unit_test(test_two_words),
        cmocka_unit_test(test_leading_zeros),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_ifmap_defaults),
        cmocka_unit_test(test_ifmap_overrides),
        cmocka_unit_test(test_ifmap_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
