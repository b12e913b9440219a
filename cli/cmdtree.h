/* The IOS command grammar: a tree of keywords and typed arguments per mode, matched with
 * IOS's rules (unique abbreviations, keywords before arguments, `do`, output filters), and
 * the help (`?`) and completion (TAB) that go with it. Pure: no I/O, no libcli, no engine
 * state, so it is unit-tested and fuzzed directly. */
#ifndef IKEGATE_CMDTREE_H
#define IKEGATE_CMDTREE_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* Modes share libcli's numbering for EXEC and CONFIG. */
enum cmd_mode {
    CM_EXEC = 0,
    CM_CONFIG = 1,
    CM_IF = 2,
    CM_CLUSTER = 3,
    CM_IKEV2_PROPOSAL, /* crypto ikev2 proposal NAME */
    CM_IKEV2_POLICY,   /* crypto ikev2 policy NAME */
    CM_IKEV2_KEYRING,  /* crypto ikev2 keyring NAME */
    CM_IKEV2_PEER,     /* peer NAME inside a keyring (exit returns to the keyring) */
    CM_IKEV2_PROFILE,  /* crypto ikev2 profile NAME */
    CM_IKEV2_AUTHOR,   /* crypto ikev2 authorization policy NAME */
    CM_IPSEC_TS,       /* crypto ipsec transform-set NAME ... */
    CM_IPSEC_PROFILE,  /* crypto ipsec profile NAME */
    CM_PKI_TP,         /* crypto pki trustpoint NAME */
    CM_PKI_CERTMAP,    /* crypto pki certificate map NAME SEQ */
    CM_COUNT
};
/* Every configuration mode (global and submodes): for end, exit, do and the like. */
#define CM_ANYCONF_MASK (((1u << CM_COUNT) - 1) & ~1u)

#define CMD_MAX_WORDS 64
#define CMD_MAX_TOKENS 12

/* Definition flags */
#define CMDF_SESSION 0x1u    /* runs on the session thread (prompt, privilege, terminal settings) */
#define CMDF_FILTER 0x2u     /* output may be piped: `| include ...` */
#define CMDF_DO 0x4u         /* the `do` keyword: the rest is an EXEC command */
#define CMDF_NO_DEFAULT 0x8u /* a `no` form with no `default` twin */
#define CMDF_HIDDEN 0x10u    /* accepted, never offered by ? or TAB */

struct cmd_ctx;
typedef int (*cmd_fn)(struct cmd_ctx *c);

/* One command line shape. `syntax` is space-separated tokens:
 *   keyword      a literal word, matched by unique prefix, case-insensitive
 *   <LO-HI>      a decimal integer in range
 *   A.B.C.D      a dotted-quad IPv4 address (any value; masks use it too)
 *   WORD         any single word
 *   LINE         the rest of the line, as typed
 *   IFNAME       an interface name, one word (`gi1`) or two (`GigabitEthernet 1`)
 *   LEVEL        a logging level: <0-7> or one of the level names
 * help[i] is the help text for token i; NULL reuses what an earlier definition gave the
 * same node. A `no ...` definition automatically gets a `default ...` twin with the same
 * handler unless CMDF_NO_DEFAULT is set. */
struct cmd_def {
    unsigned modes; /* bitmask of 1u << enum cmd_mode */
    int priv;       /* minimum privilege level (1 user EXEC, 15 privileged) */
    unsigned flags;
    cmd_fn fn;
    const char *syntax;
    const char *help[CMD_MAX_TOKENS];
};

enum tok_kind { TK_KW, TK_INT, TK_IPV4, TK_WORD, TK_LINE, TK_IFNAME };

struct cmd_node {
    enum tok_kind kind;
    char *text; /* keyword, or the placeholder shown by help: "<1-100000>", "WORD" ... */
    char *help;
    long lo, hi;
    int priv;                  /* lowest privilege of any definition through this node */
    bool hidden;               /* only hidden definitions pass through here */
    const struct cmd_def *def; /* non-NULL when a command may end here */
    struct cmd_node **kids;
    size_t nkids, capkids;
};

struct cmd_tree {
    struct cmd_node *root[CM_COUNT];
    void **owned; /* allocations freed with the tree (definitions made at run time) */
    size_t nowned;
};

void cmdtree_init(struct cmd_tree *t);
void cmdtree_free(struct cmd_tree *t);
/* The tree frees p with itself: for definitions built at run time. */
void cmdtree_own(struct cmd_tree *t, void *p);
/* Adds a definition (and its `default` twin for `no` forms). Returns 0, or -1 on a malformed
 * syntax string (a programming error: callers abort). */
int cmdtree_add(struct cmd_tree *t, const struct cmd_def *d);
int cmdtree_add_all(struct cmd_tree *t, const struct cmd_def *defs, size_t n);

enum cmd_status {
    CS_OK,
    CS_EMPTY,      /* blank line */
    CS_INVALID,    /* % Invalid input detected at '^' marker.  (col says where) */
    CS_INCOMPLETE, /* % Incomplete command. */
    CS_AMBIGUOUS,  /* % Ambiguous command:  "<line up to end_col>" */
    CS_TOO_LONG,   /* more words than CMD_MAX_WORDS */
};

enum cmd_filter {
    FILTER_NONE,
    FILTER_BEGIN,
    FILTER_COUNT,
    FILTER_EXCLUDE,
    FILTER_INCLUDE,
    FILTER_SECTION
};

struct cmd_match {
    enum cmd_status status;
    int col;  /* CS_INVALID: column of the caret; CS_AMBIGUOUS: end of the ambiguous word */
    int mode; /* the mode whose grammar matched (EXEC for `do`) */
    const struct cmd_def *def;
    int argc;
    /* Normalised words of the command (keywords spelled out, an interface as one
     * full name, a LINE as its raw text), without `do` and without the filter part. */
    char argv[CMD_MAX_WORDS][256];
    bool is_no, is_default; /* first word was `no` / `default` */
    bool via_do;            /* typed after `do` in a configuration mode */
    bool iftype_pending;    /* CS_INCOMPLETE because an interface number is missing */
    enum cmd_filter filter;
    char filter_arg[256];
};

/* Parse a full line in `mode` at privilege `priv`. */
void cmdtree_parse(const struct cmd_tree *t, int mode, int priv, const char *line,
                   struct cmd_match *m);

/* `?` at the end of `line` (which does not include the `?`). Fills `out` with IOS help text
 * (each line ending in "\n"). Returns CS_OK, or CS_INVALID/CS_AMBIGUOUS with *col set when
 * the words before the cursor do not parse (caller prints the caret), or CS_INCOMPLETE when
 * a partial word matches nothing ("% Unrecognized command"). */
enum cmd_status cmdtree_help(const struct cmd_tree *t, int mode, int priv, const char *line,
                             struct strbuf *out, int *col);

/* TAB at the end of `line`: if the last partial word completes to exactly one keyword,
 * writes the completed line (with a trailing space) to out and returns true. */
bool cmdtree_complete(const struct cmd_tree *t, int mode, int priv, const char *line, char *out,
                      size_t outlen);

/* Validators shared with engines and tests. */
bool cmd_parse_long(const char *s, long lo, long hi, long *out);
bool cmd_parse_ipv4(const char *s, unsigned *addr_hostorder);
/* A mask in dotted form -> prefix length, -1 if not contiguous. */
int cmd_mask_to_prefix(unsigned mask_hostorder);

#endif
