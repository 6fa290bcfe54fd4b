/*
 * ctl_parse: one control-socket request line
 * (docs/reference/control-protocol.md) into its tokens, verb first. Pure: no
 * I/O, no allocation, no state; the input is never written and never read past
 * its length, so it can be tested and fuzzed apart from the socket
 * (fuzz/fuzz_ctl_line.c).
 *
 * It knows nothing of the verbs: which exist and how many arguments each
 * takes is the dispatch table's business (ctl_client.c).
 */
#ifndef CTL_PARSE_H
#define CTL_PARSE_H

#include <stddef.h>

#define CTL_LINE_MAX     1024   /* bytes in a request, without the line end */
#define CTL_ARGS_MAX     8      /* tokens looked at in a request line */

enum ctl_parse_status {
	CTL_PARSE_OK = 0,   /* argv[0] the verb, then 0..CTL_ARGS_MAX-1 args */
	CTL_PARSE_BLANK,    /* nothing but spaces and tabs: not a request */
	CTL_PARSE_NUL,      /* an embedded NUL byte */
	CTL_PARSE_TOO_LONG, /* over CTL_LINE_MAX bytes */
	CTL_PARSE_TOO_MANY, /* over CTL_ARGS_MAX tokens; argv has the first */
};

/*
 * A parsed request. Tokens are runs of bytes other than space and tab, as
 * NUL-terminated strings in buf (a copy of the line). Filled on OK and
 * TOO_MANY (argc == CTL_ARGS_MAX then); argc is 0 otherwise.
 */
struct ctl_request {
	char	*argv[CTL_ARGS_MAX];
	size_t	 argc;
	char	 buf[CTL_LINE_MAX + 1];
};

/*
 * Split line[0..len), its line end already removed. Checks in this order:
 * length, NUL bytes, blank, token count. A "\r" left inside a line is an
 * ordinary byte of a token.
 */
enum ctl_parse_status ctl_parse_line(const char *line, size_t len,
    struct ctl_request *out);

/* "ok", "blank", "nul", "too-long", "too-many"; "unknown" otherwise. */
const char *ctl_parse_status_name(enum ctl_parse_status);

#endif
