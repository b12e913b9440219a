/* ikegen: an IKE_SA_INIT load generator for the redirect benchmark (test/bench/
 * bench_redirect.py).
 *
 * Every request is a fresh client's first message (RFC 7296 §1.2): an IKE header with a new
 * random SPIi and Message ID 0, SA{ENCR_AES_GCM_16 keylen 128, PRF_HMAC_SHA2_256, DH 31},
 * KE with a real X25519 public value (a pool of 256 keys made with OpenSSL), a 32-byte random
 * Ni and N(REDIRECT_SUPPORTED) (RFC 5685 §9.1). Requests leave in batches with sendmmsg and
 * answers are read with recvmmsg; each answer is matched to its request by SPIi (the low 16
 * bits name the slot) and checked:
 *
 *   -e redirect  an IKE_SA_INIT response (R set, MID 0, SPIr 0) with N(REDIRECT) whose
 *                Nonce Data is exactly the Ni we sent (RFC 5685 §5, §9.2)
 *   -e init      a normal IKE_SA_INIT response: SPIr != 0, SA, KE of our group, Nr
 *   -e any       either of the two; a normal response counts as the responder keeping the
 *                client (target "stay"), a REDIRECT counts for the gateway it names
 *   -e echo      our own datagram back byte for byte (a UDP echo responder)
 *
 * Closed loop (-w WINDOW requests outstanding) or open loop (-r RATE requests/s in 1 ms
 * ticks). -p PID samples utime+stime of PID (/proc/PID/stat) at the start and end of the
 * measured interval. -i MS prints, every MS ms, the answers of that interval by target.
 * Output: JSON lines on stdout, {"tick": ...} lines then one {"result": ...} line.
 *
 * usage: ikegen -d ADDR[:PORT] [-b SRCADDR] [-e redirect|init|any|echo] [-w WINDOW | -r RATE]
 *               [-t SECONDS] [-W WARMUP_SECONDS] [-n REQUESTS] [-T TIMEOUT_MS] [-p PID]
 *               [-i TICK_MS] [-D DRAIN_MS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "platform/bytes.h"

#define BATCH 64
#define NSLOTS 65536 /* the low 16 bits of SPIi name the slot */
#define MAX_DGRAM 4096
#define REQ_MAX 256
#define NONCE_LEN 32
#define KE_LEN 32 /* X25519 public value, RFC 8031 §3.1 */
#define KE_POOL 256
#define MAX_TARGETS 32

/* RFC 7296 §3.2 payload types, §3.10.1 and RFC 5685 §9 notify types. */
enum {
    PL_SA = 33,
    PL_KE = 34,
    PL_NONCE = 40,
    PL_NOTIFY = 41,
    EXCH_IKE_SA_INIT = 34,
    N_INVALID_KE_PAYLOAD = 17,
    N_COOKIE = 16390,
    N_REDIRECT_SUPPORTED = 16406,
    N_REDIRECT = 16407,
    GROUP_X25519 = 31,
};

enum expect { EXP_REDIRECT, EXP_INIT, EXP_ANY, EXP_ECHO };

/* What one answer turned out to be. */
enum outcome {
    OUT_REDIRECT,     /* a well-formed REDIRECT carrying our nonce */
    OUT_INIT,         /* a well-formed IKE_SA_INIT response (the responder keeps us) */
    OUT_ECHO,         /* our datagram, echoed */
    OUT_MALFORMED,    /* header or payload chain does not parse */
    OUT_UNKNOWN_SPI,  /* no outstanding request has this SPIi (late or duplicate) */
    OUT_BAD_NONCE,    /* REDIRECT whose Nonce Data is not our Ni */
    OUT_BAD_SPIR,     /* REDIRECT with a responder SPI other than 0 */
    OUT_COOKIE,       /* COOKIE (RFC 7296 §2.6) */
    OUT_INVALID_KE,   /* INVALID_KE_PAYLOAD (§1.3) */
    OUT_ERROR_NOTIFY, /* another error notify (type < 16384) */
    OUT_INCOMPLETE,   /* a response that is neither a REDIRECT nor a complete answer */
    OUT_UNEXPECTED,   /* well-formed, but not what -e asked for */
    OUT_COUNT
};
static const char *const outcome_name[OUT_COUNT] = {
    "redirect", "init",   "echo",       "malformed",    "unknown_spi", "bad_nonce",
    "bad_spir", "cookie", "invalid_ke", "error_notify", "incomplete",  "unexpected"};

struct slot {
    uint8_t spi[8]; /* SPIi as sent */
    uint8_t nonce[NONCE_LEN];
    uint16_t len; /* request length (for the echo check) */
    bool busy;
    uint64_t sent_ns;
};

/* A redirect target: the gateway identity of RFC 5685 §9.2 (type 0: "stay"). */
struct target {
    uint8_t type, len;
    uint8_t id[255];
    uint64_t total, tick;
};

static struct slot *slots;
static uint8_t ke_pool[KE_POOL][KE_LEN];
static struct target targets[MAX_TARGETS];
static int ntargets;
static uint64_t target_overflow;
static uint16_t last_error_notify;

/* Random bytes from OpenSSL's DRBG, drawn in bulk: SPIs and nonces need not be secret here,
 * but they must not repeat, and one large RAND_bytes is cheap per request. */
static uint8_t rnd_buf[1 << 16];
static size_t rnd_off = sizeof rnd_buf;

static void rnd(void *out, size_t n)
{
    if (rnd_off + n > sizeof rnd_buf) {
        if (RAND_bytes(rnd_buf, sizeof rnd_buf) != 1) {
            fprintf(stderr, "ikegen: RAND_bytes failed\n");
            exit(1);
        }
        rnd_off = 0;
    }
    memcpy(out, rnd_buf + rnd_off, n);
    rnd_off += n;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* utime + stime of a whole process (fields 14 and 15 of proc(5)), seconds; -1 on error. */
static double proc_cpu(int pid)
{
    if (pid <= 0) return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double rusage_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void make_ke_pool(void)
{
    for (int i = 0; i < KE_POOL; i++) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        size_t len = KE_LEN;
        if (!k || EVP_PKEY_get_raw_public_key(k, ke_pool[i], &len) != 1 || len != KE_LEN) {
            fprintf(stderr, "ikegen: X25519 key generation failed\n");
            exit(1);
        }
        EVP_PKEY_free(k);
    }
}

/* A generic payload header (RFC 7296 §3.2). */
static uint8_t *payload(uint8_t *p, uint8_t next, unsigned len)
{
    p[0] = next;
    p[1] = 0;
    put16(p + 2, len);
    return p + 4;
}

/* One transform substructure (§3.3.2); keylen 0: no attribute. */
static uint8_t *transform(uint8_t *p, bool last, uint8_t type, unsigned id, unsigned keylen)
{
    unsigned len = keylen ? 12 : 8;
    p[0] = last ? 0 : 3;
    p[1] = 0;
    put16(p + 2, len);
    p[4] = type;
    p[5] = 0;
    put16(p + 6, id);
    if (keylen) {
        put16(p + 8, 0x8000 | 14); /* TV format, Key Length (§3.3.5) */
        put16(p + 10, keylen);
    }
    return p + len;
}

/* Offset of Ni's data in every request: header 28, SA 40, KE 8 + 32, Nonce header 4. */
#define NONCE_OFF (28 + 40 + 8 + KE_LEN + 4)

static size_t build_request(uint8_t *b, uint32_t slot_no, uint64_t seq)
{
    struct slot *s = &slots[slot_no];
    uint8_t *p = b;
    /* RFC 7296 §3.1 header: SPIi (fresh; low 16 bits = slot), SPIr 0, next SA, version 2.0,
     * IKE_SA_INIT, Initiator flag, Message ID 0; the length is filled in last. */
    rnd(p, 6);
    put16(p + 6, slot_no);
    memcpy(s->spi, p, 8);
    memset(p + 8, 0, 8);
    p[16] = PL_SA;
    p[17] = 0x20;
    p[18] = EXCH_IKE_SA_INIT;
    p[19] = 0x08;
    memset(p + 20, 0, 4);
    p += 28;
    /* SA: one IKE proposal (§3.3.1), no SPI, three transforms. */
    p = payload(p, PL_KE, 40);
    p[0] = 0;
    p[1] = 0;
    put16(p + 2, 36);
    p[4] = 1; /* proposal number */
    p[5] = 1; /* protocol IKE */
    p[6] = 0; /* SPI size */
    p[7] = 3; /* transforms */
    p += 8;
    p = transform(p, false, 1, 20, 128); /* ENCR_AES_GCM_16, 128-bit key (RFC 5282) */
    p = transform(p, false, 2, 5, 0);    /* PRF_HMAC_SHA2_256 */
    p = transform(p, true, 4, GROUP_X25519, 0);
    /* KE (§3.4): group, reserved, the public value. */
    p = payload(p, PL_NONCE, 8 + KE_LEN);
    put16(p, GROUP_X25519);
    put16(p + 2, 0);
    memcpy(p + 4, ke_pool[seq % KE_POOL], KE_LEN);
    p += 4 + KE_LEN;
    /* Ni (§3.9). */
    p = payload(p, PL_NOTIFY, 4 + NONCE_LEN);
    rnd(s->nonce, NONCE_LEN);
    memcpy(p, s->nonce, NONCE_LEN);
    p += NONCE_LEN;
    /* N(REDIRECT_SUPPORTED) (RFC 5685 §9.1): protocol 0, no SPI, no data. */
    p = payload(p, 0, 8);
    p[0] = 0;
    p[1] = 0;
    put16(p + 2, N_REDIRECT_SUPPORTED);
    p += 4;
    size_t len = (size_t)(p - b);
    put32(b + 24, (uint32_t)len);
    s->len = (uint16_t)len;
    return len;
}

static struct target *target_get(uint8_t type, uint8_t len, const uint8_t *id)
{
    for (int i = 0; i < ntargets; i++)
        if (targets[i].type == type && targets[i].len == len && !memcmp(targets[i].id, id, len))
            return &targets[i];
    if (ntargets == MAX_TARGETS) {
        target_overflow++;
        return NULL;
    }
    struct target *t = &targets[ntargets++];
    t->type = type;
    t->len = len;
    memcpy(t->id, id, len);
    return t;
}

static void count_target(uint8_t type, uint8_t len, const uint8_t *id)
{
    struct target *t = target_get(type, len, id);
    if (t) t->total++, t->tick++;
}

/* The REDIRECT data (RFC 5685 §9.2): GW Ident Type, GW Ident Len, the identity, then the
 * Nonce Data, which must be the Ni of our request. On success *gw points at the data. */
static enum outcome check_redirect(const struct slot *s, const uint8_t *d, size_t len,
                                   bool spir_zero, const uint8_t **gw)
{
    if (len < 2) return OUT_MALFORMED;
    uint8_t type = d[0], glen = d[1];
    if ((type == 1 && glen != 4) || (type == 2 && glen != 16) || (type == 3 && glen == 0) ||
        type < 1 || type > 3 || (size_t)glen + 2 > len)
        return OUT_MALFORMED;
    size_t nlen = len - 2 - glen;
    if (nlen != NONCE_LEN || memcmp(d + 2 + glen, s->nonce, NONCE_LEN)) return OUT_BAD_NONCE;
    if (!spir_zero) return OUT_BAD_SPIR;
    *gw = d;
    return OUT_REDIRECT;
}

static enum outcome check_answer(const uint8_t *b, size_t len, enum expect ex, uint32_t *slot_no)
{
    if (len < 28) return OUT_MALFORMED;
    uint32_t sn = get16(b + 6);
    struct slot *s = &slots[sn];
    if (!s->busy || memcmp(s->spi, b, 8)) return OUT_UNKNOWN_SPI;
    *slot_no = sn;
    if (ex == EXP_ECHO)
        return len == s->len && b[19] == 0x08 && !memcmp(b + NONCE_OFF, s->nonce, NONCE_LEN)
                   ? OUT_ECHO
                   : OUT_MALFORMED;
    /* §3.1: version 2.0, IKE_SA_INIT, Response flag without Initiator, MID 0, exact length. */
    if (b[17] != 0x20 || b[18] != EXCH_IKE_SA_INIT || (b[19] & 0x28) != 0x20 || get32(b + 20) ||
        get32(b + 24) != len)
        return OUT_MALFORMED;
    static const uint8_t zero[8];
    bool spir_zero = !memcmp(b + 8, zero, 8);
    bool sa = false, ke = false, nr = false;
    enum outcome redirect = OUT_COUNT;
    const uint8_t *gw = NULL;
    unsigned next = b[16];
    size_t off = 28;
    while (next) {
        if (off + 4 > len) return OUT_MALFORMED;
        unsigned this = next, plen = get16(b + off + 2);
        next = b[off];
        if (plen < 4 || plen > len - off) return OUT_MALFORMED;
        const uint8_t *d = b + off + 4;
        size_t dlen = plen - 4;
        off += plen;
        if (this == PL_SA) {
            sa = true;
        } else if (this == PL_KE) {
            ke = dlen >= 4 + KE_LEN && get16(d) == GROUP_X25519;
        } else if (this == PL_NONCE) {
            nr = dlen >= 16 && dlen <= 256; /* §3.9 */
        } else if (this == PL_NOTIFY) {
            if (dlen < 4 || (size_t)d[1] + 4 > dlen) return OUT_MALFORMED;
            unsigned type = get16(d + 2);
            const uint8_t *nd = d + 4 + d[1];
            size_t ndlen = dlen - 4 - d[1];
            if (type == N_COOKIE) return OUT_COOKIE;
            if (type == N_INVALID_KE_PAYLOAD) return OUT_INVALID_KE;
            if (type < 16384) {
                last_error_notify = (uint16_t)type;
                return OUT_ERROR_NOTIFY;
            }
            if (type == N_REDIRECT) redirect = check_redirect(s, nd, ndlen, spir_zero, &gw);
        }
    }
    if (off != len) return OUT_MALFORMED;
    if (redirect != OUT_COUNT) {
        if (redirect != OUT_REDIRECT) return redirect;
        count_target(gw[0], gw[1], gw + 2); /* the whole message parsed: count it */
        return ex == EXP_INIT ? OUT_UNEXPECTED : OUT_REDIRECT;
    }
    if (spir_zero || !sa || !ke || !nr) return OUT_INCOMPLETE;
    count_target(0, 0, zero); /* "stay": counted whatever -e says */
    return ex == EXP_REDIRECT ? OUT_UNEXPECTED : OUT_INIT;
}

static bool outcome_valid(enum outcome o, enum expect ex)
{
    switch (ex) {
    case EXP_REDIRECT: return o == OUT_REDIRECT;
    case EXP_INIT: return o == OUT_INIT;
    case EXP_ANY: return o == OUT_REDIRECT || o == OUT_INIT;
    case EXP_ECHO: return o == OUT_ECHO;
    }
    return false;
}

static void target_name(const struct target *t, char *out, size_t cap)
{
    if (t->type == 0) {
        snprintf(out, cap, "stay");
    } else if (t->type == 1) {
        inet_ntop(AF_INET, t->id, out, (socklen_t)cap);
    } else if (t->type == 2) {
        inet_ntop(AF_INET6, t->id, out, (socklen_t)cap);
    } else {
        /* An FQDN (RFC 7296 §3.5 ID_FQDN): printable ASCII only, for the JSON string. */
        size_t n = 0;
        for (size_t i = 0; i < t->len && n + 1 < cap; i++)
            out[n++] = t->id[i] > 32 && t->id[i] < 127 && t->id[i] != '"' && t->id[i] != '\\'
                           ? (char)t->id[i]
                           : '?';
        out[n] = 0;
    }
}

static void print_targets(bool tick)
{
    printf("{");
    for (int i = 0; i < ntargets; i++) {
        char name[300];
        target_name(&targets[i], name, sizeof name);
        printf("%s\"%s\": %" PRIu64, i ? ", " : "", name,
               tick ? targets[i].tick : targets[i].total);
        if (tick) targets[i].tick = 0;
    }
    printf("}");
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ikegen -d ADDR[:PORT] [-b SRCADDR] [-e redirect|init|any|echo]\n"
            "              [-w WINDOW | -r RATE] [-t SECONDS] [-W WARMUP_SECONDS] [-n REQUESTS]\n"
            "              [-T TIMEOUT_MS] [-p PID] [-i TICK_MS] [-D DRAIN_MS]\n");
    exit(2);
}

static bool parse_addr(const char *s, uint16_t def_port, struct sockaddr_in *out)
{
    char host[64];
    snprintf(host, sizeof host, "%s", s);
    unsigned long port = def_port;
    char *c = strchr(host, ':');
    if (c) {
        *c = 0;
        char *end;
        port = strtoul(c + 1, &end, 10);
        if (*end || port > 65535) return false;
    }
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

static long num_arg(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) usage();
    return v;
}

int main(int argc, char **argv)
{
    const char *dst = NULL, *src = NULL;
    enum expect ex = EXP_REDIRECT;
    long window = 64, rate = 0, timeout_ms = 1000, tick_ms = 0, drain_ms = -1;
    int pid = 0;
    double secs = 5, warm = 0.5;
    uint64_t max_req = 0;
    int o;
    while ((o = getopt(argc, argv, "d:b:e:w:r:t:W:n:T:p:i:D:")) != -1) {
        switch (o) {
        case 'd': dst = optarg; break;
        case 'b': src = optarg; break;
        case 'e':
            if (!strcmp(optarg, "redirect"))
                ex = EXP_REDIRECT;
            else if (!strcmp(optarg, "init"))
                ex = EXP_INIT;
            else if (!strcmp(optarg, "any"))
                ex = EXP_ANY;
            else if (!strcmp(optarg, "echo"))
                ex = EXP_ECHO;
            else
                usage();
            break;
        case 'w': window = num_arg(optarg, 1, NSLOTS); break;
        case 'r': rate = num_arg(optarg, 1, 10000000); break;
        case 't': secs = atof(optarg); break;
        case 'W': warm = atof(optarg); break;
        case 'n': max_req = (uint64_t)num_arg(optarg, 1, 1000000000); break;
        case 'T': timeout_ms = num_arg(optarg, 1, 600000); break;
        case 'p': pid = (int)num_arg(optarg, 1, 1 << 30); break;
        case 'i': tick_ms = num_arg(optarg, 1, 600000); break;
        case 'D': drain_ms = num_arg(optarg, 0, 600000); break;
        default: usage();
        }
    }
    struct sockaddr_in da, sa;
    if (!dst || !parse_addr(dst, 500, &da) || (src && !parse_addr(src, 0, &sa)) || secs <= 0 ||
        warm < 0)
        usage();
    if (drain_ms < 0) drain_ms = timeout_ms < 300 ? timeout_ms : 300;

    slots = calloc(NSLOTS, sizeof *slots);
    uint32_t *free_slots = malloc(sizeof(uint32_t) * NSLOTS);
    if (!slots || !free_slots) return 1;
    make_ke_pool();

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz);
    if (src && bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("ikegen: bind");
        return 1;
    }
    if (connect(fd, (struct sockaddr *)&da, sizeof da) < 0) {
        perror("ikegen: connect");
        return 1;
    }

    static uint8_t sbuf[BATCH][REQ_MAX], rbuf[BATCH][MAX_DGRAM];
    struct mmsghdr smsg[BATCH], rmsg[BATCH];
    struct iovec siov[BATCH], riov[BATCH];
    for (int i = 0; i < BATCH; i++) {
        siov[i] = (struct iovec){sbuf[i], 0};
        smsg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &siov[i], .msg_iovlen = 1}};
        riov[i] = (struct iovec){rbuf[i], MAX_DGRAM};
        rmsg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &riov[i], .msg_iovlen = 1}};
    }
    int nfree = 0;
    for (long i = window - 1; i >= 0; i--) free_slots[nfree++] = (uint32_t)i;

    /* Counters; the m0_* copies are taken when the measured interval starts. */
    uint64_t sent = 0, answers = 0, valid = 0, lost = 0, send_fail = 0, refused = 0;
    uint64_t outcome_n[OUT_COUNT] = {0};
    uint64_t rtt_sum = 0, rtt_n = 0, rtt_max = 0;
    uint64_t m0_sent = 0, m0_answers = 0, m0_valid = 0, m0_lost = 0, m0_send_fail = 0;
    uint64_t t_start = now_ns();
    uint64_t t_meas = t_start + (uint64_t)(warm * 1e9), t_end = t_meas + (uint64_t)(secs * 1e9);
    bool measuring = warm <= 0, sending = true;
    double cpu0 = measuring ? proc_cpu(pid) : 0, cpu1 = 0;
    double gcpu0 = measuring ? rusage_cpu() : 0, gcpu1 = 0;
    uint64_t t_m0 = t_start, t_m1 = 0, drain_until = 0;
    uint64_t seq = 0, next_tick = t_start, last_scan = t_start;
    uint64_t open_seq = 0, open_oldest = 0, inflight = 0;
    double credit = 0;
    uint64_t t_report = t_start + (uint64_t)tick_ms * 1000000u;
    uint64_t lim = (uint64_t)timeout_ms * 1000000u;

    for (;;) {
        uint64_t t = now_ns();
        if (!measuring && t >= t_meas) {
            measuring = true;
            cpu0 = proc_cpu(pid);
            gcpu0 = rusage_cpu();
            m0_sent = sent, m0_answers = answers, m0_valid = valid, m0_lost = lost;
            m0_send_fail = send_fail;
            memset(outcome_n, 0, sizeof outcome_n);
            for (int i = 0; i < ntargets; i++) targets[i].total = 0;
            rtt_sum = rtt_n = rtt_max = 0;
            t_m0 = t;
        }
        if (sending && (t >= t_end || (max_req && sent >= max_req))) {
            sending = false;
            cpu1 = proc_cpu(pid);
            gcpu1 = rusage_cpu();
            t_m1 = t;
            drain_until = t + (uint64_t)drain_ms * 1000000u;
        }
        /* After the last request: wait for the stragglers (not counted in the rate). */
        if (!sending && (t >= drain_until || !inflight)) break;

        int nb = 0;
        if (sending) {
            uint64_t room = max_req ? max_req - sent : BATCH;
            if (rate) {
                if (t >= next_tick) {
                    credit += (double)rate * (double)(t - next_tick + 1000000) / 1e9;
                    next_tick = t + 1000000;
                }
                while (credit >= 1 && nb < BATCH && (uint64_t)nb < room) {
                    if (open_seq - open_oldest >= NSLOTS) {
                        /* The ring wrapped: the oldest request is lost if still unanswered. */
                        struct slot *old = &slots[open_oldest++ % NSLOTS];
                        if (old->busy) old->busy = false, lost++, inflight--;
                    }
                    uint32_t sn = (uint32_t)(open_seq++ % NSLOTS);
                    siov[nb].iov_len = build_request(sbuf[nb], sn, seq++);
                    slots[sn].busy = true;
                    slots[sn].sent_ns = t;
                    inflight++;
                    nb++;
                    credit -= 1;
                }
            } else {
                while (nfree > 0 && nb < BATCH && (uint64_t)nb < room) {
                    uint32_t sn = free_slots[--nfree];
                    siov[nb].iov_len = build_request(sbuf[nb], sn, seq++);
                    slots[sn].busy = true;
                    slots[sn].sent_ns = t;
                    inflight++;
                    nb++;
                }
            }
        }
        for (int off = 0; off < nb;) {
            int r = sendmmsg(fd, smsg + off, (unsigned)(nb - off), 0);
            if (r > 0) {
                off += r;
                sent += (uint64_t)r;
                continue;
            }
            if (r < 0 && errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED) {
                perror("ikegen: sendmmsg");
                return 1;
            }
            if (r < 0 && errno == ECONNREFUSED) refused++;
            /* Not sent: release the slots (open loop: they become "lost" at once). */
            for (int i = off; i < nb; i++) {
                uint32_t sn = get16(sbuf[i] + 6);
                slots[sn].busy = false;
                inflight--;
                if (!rate) free_slots[nfree++] = sn;
                send_fail++;
                sent++; /* counted as sent and lost, so that rates stay honest */
                lost++;
            }
            break;
        }

        if (!nb) {
            struct pollfd pfd = {fd, POLLIN, 0};
            struct timespec to = {0, 1000000};
            if (rate && sending) to.tv_nsec = next_tick > t ? (long)(next_tick - t) : 0;
            ppoll(&pfd, 1, &to, NULL);
        }
        for (int round = 0; round < 16; round++) {
            int n = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
            if (n < 0 && errno == ECONNREFUSED) {
                refused++;
                continue;
            }
            if (n <= 0) break;
            uint64_t tr = now_ns();
            for (int i = 0; i < n; i++) {
                uint32_t sn = NSLOTS;
                enum outcome oc = check_answer(rbuf[i], rmsg[i].msg_len, ex, &sn);
                answers++;
                outcome_n[oc]++;
                if (outcome_valid(oc, ex)) valid++;
                if (sn == NSLOTS) continue;
                uint64_t rtt = tr - slots[sn].sent_ns;
                rtt_sum += rtt;
                rtt_n++;
                if (rtt > rtt_max) rtt_max = rtt;
                slots[sn].busy = false;
                inflight--;
                if (!rate) free_slots[nfree++] = sn;
            }
            if (n < BATCH) break;
        }

        /* Requests without an answer after the timeout are lost; their slots are reused. */
        if (t - last_scan > 10000000u) {
            last_scan = t;
            if (rate) {
                while (open_oldest < open_seq) {
                    struct slot *s = &slots[open_oldest % NSLOTS];
                    if (s->busy && t - s->sent_ns < lim) break;
                    if (s->busy) s->busy = false, lost++, inflight--;
                    open_oldest++;
                }
            } else {
                for (long i = 0; i < window; i++) {
                    if (slots[i].busy && t - slots[i].sent_ns > lim) {
                        slots[i].busy = false;
                        free_slots[nfree++] = (uint32_t)i;
                        lost++;
                        inflight--;
                    }
                }
            }
        }
        if (tick_ms && t >= t_report) {
            printf("{\"tick\": {\"t_ms\": %.1f, \"mono_ns\": %" PRIu64 ", \"targets\": ",
                   (double)(t - t_start) / 1e6, t);
            print_targets(true);
            printf("}}\n");
            fflush(stdout);
            t_report += (uint64_t)tick_ms * 1000000u;
        }
    }
    if (tick_ms) {
        printf("{\"tick\": {\"t_ms\": %.1f, \"mono_ns\": %" PRIu64 ", \"targets\": ",
               (double)(now_ns() - t_start) / 1e6, now_ns());
        print_targets(true);
        printf("}}\n");
    }
    if (!measuring) { /* stopped (by -n) before the warm-up ended: measure nothing */
        t_m0 = t_m1;
        cpu0 = cpu1;
        gcpu0 = gcpu1;
        m0_sent = sent, m0_answers = answers, m0_valid = valid, m0_lost = lost;
    }
    uint64_t unanswered = 0;
    for (uint32_t i = 0; i < NSLOTS; i++) unanswered += slots[i].busy;
    double dur = (double)(t_m1 - t_m0) / 1e9;
    uint64_t ms = sent - m0_sent, mv = valid - m0_valid;
    const char *exname[] = {"redirect", "init", "any", "echo"};
    printf("{\"result\": {\"expect\": \"%s\", \"mode\": \"%s\", \"window\": %ld, \"rate\": %ld, "
           "\"seconds\": %.4f, \"sent\": %" PRIu64 ", \"answers\": %" PRIu64 ", \"valid\": %" PRIu64
           ", \"lost\": %" PRIu64 ", \"unanswered_at_end\": %" PRIu64 ", \"send_fail\": %" PRIu64
           ", \"refused\": %" PRIu64
           ", \"sent_per_s\": %.1f, \"valid_per_s\": %.1f, \"rtt_avg_ms\": %.4f, "
           "\"rtt_max_ms\": %.4f, \"gen_cpu_s\": %.4f",
           exname[ex], rate ? "open" : "closed", rate ? 0 : window, rate, dur, ms,
           answers - m0_answers, mv, lost - m0_lost, unanswered, send_fail - m0_send_fail, refused,
           dur > 0 ? (double)ms / dur : 0, dur > 0 ? (double)mv / dur : 0,
           rtt_n ? (double)rtt_sum / 1e6 / (double)rtt_n : 0, (double)rtt_max / 1e6, gcpu1 - gcpu0);
    if (pid)
        printf(", \"target_pid\": %d, \"target_cpu_s\": %.4f, \"target_cpu_us_per_valid\": %.4f",
               pid, cpu1 - cpu0, mv ? (cpu1 - cpu0) * 1e6 / (double)mv : 0);
    printf(", \"outcomes\": {");
    bool first = true;
    for (int i = 0; i < OUT_COUNT; i++) {
        if (!outcome_n[i]) continue;
        printf("%s\"%s\": %" PRIu64, first ? "" : ", ", outcome_name[i], outcome_n[i]);
        first = false;
    }
    printf("}, \"last_error_notify\": %u, \"target_overflow\": %" PRIu64 ", \"targets\": ",
           last_error_notify, target_overflow);
    print_targets(false);
    printf("}}\n");
    close(fd);
    free(free_slots);
    free(slots);
    return 0;
}
