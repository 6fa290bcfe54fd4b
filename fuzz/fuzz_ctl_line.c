/*
 * fuzz_ctl_line: lib/ctl_parse over hostile bytes, first the whole
 * input as one line, then split on "\n" (a trailing "\r" removed) the way
 * evbuffer_readln(EVBUFFER_EOL_CRLF) hands lines to ctl_client.c.
 *
 * Checks the promises of ctl_parse.h besides "no crash": the status
 * matches the length and the bytes, tokens are non-empty runs without
 * space, tab or NUL that appear in the line in order, at most
 * CTL_ARGS_MAX of them, and nothing but OK/TOO_MANY carries tokens.
 *
 * Must never define anything global but LLVMFuzzerTestOneInput: the same
 * file is linked with libFuzzer (make fuzz) and with tests/fuzz_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ctl_line: broken promise: %s\n", what);
		abort();
	}
}

static int
is_sep(char c)
{
	return c == ' ' || c == '\t';
}

static void
check_tokens(const char *line, size_t len, const struct ctl_request *req,
    enum ctl_parse_status st)
{
	size_t i, tl, at = 0;
	const char *hit;

	check(req->argc >= 1 && req->argc <= CTL_ARGS_MAX, "argc range");
	if (st == CTL_PARSE_TOO_MANY)
		check(req->argc == CTL_ARGS_MAX, "too many but argc short");
	for (i = 0; i < req->argc; i++) {
		const char *t = req->argv[i];

		check(t >= req->buf && t < req->buf + sizeof req->buf,
		    "token outside buf");
		tl = strlen(t);
		check(tl > 0, "empty token");
		check(strpbrk(t, " \t") == NULL, "token with a separator");
		/* In order, each a whole run of the line's bytes. */
		hit = NULL;
		while (at + tl <= len) {
			if (memcmp(line + at, t, tl) == 0 &&
			    (at == 0 || is_sep(line[at - 1])) &&
			    (at + tl == len || is_sep(line[at + tl]))) {
				hit = line + at;
				break;
			}
			at++;
		}
		check(hit != NULL, "token not a whole run of the line, in order");
		at += tl;
	}
}

static void
one_line(const char *line, size_t len)
{
	struct ctl_request req;
	enum ctl_parse_status st;
	size_t i, seps = 0;

	st = ctl_parse_line(line, len, &req);
	check(ctl_parse_status_name(st)[0] != 'u', "status out of enum");
	if (len > CTL_LINE_MAX) {
		check(st == CTL_PARSE_TOO_LONG, "long line not refused");
		check(req.argc == 0, "tokens on an error");
		return;
	}
	check(st != CTL_PARSE_TOO_LONG, "short line refused as long");
	if (memchr(line, '\0', len) != NULL) {
		check(st == CTL_PARSE_NUL, "NUL byte not refused");
		check(req.argc == 0, "tokens on an error");
		return;
	}
	for (i = 0; i < len; i++)
		seps += is_sep(line[i]);
	if (seps == len) {
		check(st == CTL_PARSE_BLANK && req.argc == 0, "blank not blank");
		return;
	}
	check(st == CTL_PARSE_OK || st == CTL_PARSE_TOO_MANY,
	    "a line with tokens not parsed");
	check_tokens(line, len, &req, st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t n;

	one_line(p, size);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		one_line(p, n);
		p = nl + 1;
	}
	return 0;
}
