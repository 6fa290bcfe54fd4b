/*
 * Check suite for lib/resp: every RESP2 reply type, replies that arrive
 * in pieces (every split point, byte by byte) and back to back, each cap
 * exactly at and one past its limit, malformed replies refused with their
 * reason, the command encoder, and the helpers the adapter asks. Every
 * parse runs on a heap copy of exactly the given length so that ASan
 * flags any read past len.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "runner.h"

/* A literal as (bytes, length), embedded NULs included. */
#define S(x) (const uint8_t *)(x), (sizeof(x) - 1)

/* The parser's output lives in a heap copy: keep it with the reply. */
struct parsed {
	uint8_t			*copy;
	struct resp_reply	 r;
	size_t			 used;
	enum resp_status	 st;
};

static void
parse_copy(struct parsed *p, const uint8_t *buf, size_t len)
{
	p->copy = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(p->copy);
	if (len > 0)
		memcpy(p->copy, buf, len);
	p->used = 12345;
	p->st = resp_parse(p->copy, len, &p->r, &p->used);
	if (p->st != RESP_OK)
		ck_assert_uint_eq(p->used, 0);
	if (p->st == RESP_ERROR)
		ck_assert_ptr_nonnull(p->r.why);
	else
		ck_assert_ptr_null(p->r.why);
}

static void
parsed_free(struct parsed *p)
{
	free(p->copy);
	p->copy = NULL;
}

/* The status alone, the bytes freed at once. */
static enum resp_status
status_of(const uint8_t *buf, size_t len, const char **why)
{
	struct parsed p;

	parse_copy(&p, buf, len);
	parsed_free(&p);
	if (why != NULL)
		*why = p.r.why;
	return p.st;
}

/*
 * A reply as text, one token per element in order, so that replies can
 * be compared after their buffer moved: S(text) E(text) I(n) B(len:text)
 * NB A(count) NA, each with its depth.
 */
static void
describe(const struct resp_reply *r, char *out, size_t cap)
{
	size_t i, pos = 0;

	out[0] = '\0';
	for (i = 0; i < r->nelems && pos < cap; i++) {
		const struct resp_elem *e = &r->elems[i];
		int n = 0;

		switch (e->type) {
		case RESP_TYPE_SIMPLE:
			n = snprintf(out + pos, cap - pos, "%uS(%.*s)",
			    e->depth, (int)e->len, (const char *)e->str);
			break;
		case RESP_TYPE_ERROR:
			n = snprintf(out + pos, cap - pos, "%uE(%.*s)",
			    e->depth, (int)e->len, (const char *)e->str);
			break;
		case RESP_TYPE_INTEGER:
			n = snprintf(out + pos, cap - pos, "%uI(%lld)",
			    e->depth, (long long)e->integer);
			break;
		case RESP_TYPE_BULK:
			n = snprintf(out + pos, cap - pos, "%uB(%zu:%.*s)",
			    e->depth, e->len, (int)e->len,
			    (const char *)e->str);
			break;
		case RESP_TYPE_NULL_BULK:
			n = snprintf(out + pos, cap - pos, "%uNB", e->depth);
			break;
		case RESP_TYPE_ARRAY:
			n = snprintf(out + pos, cap - pos, "%uA(%zu)",
			    e->depth, e->count);
			break;
		case RESP_TYPE_NULL_ARRAY:
			n = snprintf(out + pos, cap - pos, "%uNA", e->depth);
			break;
		}
		ck_assert_int_gt(n, 0);
		pos += (size_t)n;
		if (pos < cap - 1)
			out[pos++] = ' ';
		out[pos < cap ? pos : cap - 1] = '\0';
	}
}

/* buf parses whole to the description want. */
static void
assert_reply(const uint8_t *buf, size_t len, const char *want)
{
	char got[4096];
	struct parsed p;

	parse_copy(&p, buf, len);
	ck_assert_msg(p.st == RESP_OK, "status %d (%s) for %.*s", p.st,
	    p.r.why ? p.r.why : "", (int)len, (const char *)buf);
	ck_assert_uint_eq(p.used, len);
	describe(&p.r, got, sizeof got);
	ck_assert_str_eq(got, want);
	parsed_free(&p);
}

START_TEST(test_types)
{
	assert_reply(S("+OK\r\n"), "0S(OK) ");
	assert_reply(S("+PONG\r\n"), "0S(PONG) ");
	assert_reply(S("+\r\n"), "0S() ");
	assert_reply(S("-ERR wrong number of arguments\r\n"),
	    "0E(ERR wrong number of arguments) ");
	assert_reply(S("-\r\n"), "0E() ");
	assert_reply(S(":0\r\n"), "0I(0) ");
	assert_reply(S(":1000\r\n"), "0I(1000) ");
	assert_reply(S(":-1\r\n"), "0I(-1) ");
	assert_reply(S(":-0\r\n"), "0I(0) ");
	assert_reply(S(":007\r\n"), "0I(7) ");
	assert_reply(S(":9223372036854775807\r\n"),
	    "0I(9223372036854775807) ");
	assert_reply(S(":-9223372036854775808\r\n"),
	    "0I(-9223372036854775808) ");
	assert_reply(S("$5\r\nhello\r\n"), "0B(5:hello) ");
	assert_reply(S("$0\r\n\r\n"), "0B(0:) ");
	assert_reply(S("$-1\r\n"), "0NB ");
	assert_reply(S("*-1\r\n"), "0NA ");
	assert_reply(S("*0\r\n"), "0A(0) ");
	assert_reply(S("*3\r\n$3\r\nfoo\r\n:1\r\n$-1\r\n"),
	    "0A(3) 1B(3:foo) 1I(1) 1NB ");
	assert_reply(S("*2\r\n+OK\r\n-ERR x\r\n"), "0A(2) 1S(OK) 1E(ERR x) ");
}
END_TEST

/* A bulk is binary safe: CR, LF, NUL and '$' inside are payload. */
START_TEST(test_bulk_binary)
{
	struct parsed p;

	parse_copy(&p, S("$8\r\na\r\nb\0\n$\r\r\n"));
	ck_assert_int_eq(p.st, RESP_OK);
	ck_assert_uint_eq(p.used, 14);
	ck_assert_int_eq(p.r.elems[0].type, RESP_TYPE_BULK);
	ck_assert_uint_eq(p.r.elems[0].len, 8);
	ck_assert_mem_eq(p.r.elems[0].str, "a\r\nb\0\n$\r", 8);
	/* Pointers go into the caller's buffer, not a copy. */
	ck_assert_ptr_eq(p.r.elems[0].str, p.copy + 4);
	parsed_free(&p);
}
END_TEST

START_TEST(test_nested)
{
	static const char in[] =
	    "*4\r\n*2\r\n:1\r\n*1\r\n$1\r\na\r\n*0\r\n*-1\r\n+x\r\n";
	const struct resp_elem *root, *a, *b, *c;
	struct parsed p;

	assert_reply(S(in), "0A(4) 1A(2) 2I(1) 2A(1) 3B(1:a) 1A(0) 1NA "
	    "1S(x) ");
	parse_copy(&p, S(in));
	ck_assert_int_eq(p.st, RESP_OK);
	root = resp_root(&p.r);
	ck_assert_ptr_eq(root, &p.r.elems[0]);
	ck_assert_uint_eq(root->end, 8);
	ck_assert_uint_eq(p.r.nelems, 8);
	/* Children skip over their siblings' subtrees. */
	a = resp_child(&p.r, root, 0);
	ck_assert_int_eq(a->type, RESP_TYPE_ARRAY);
	ck_assert_uint_eq(a->end, 5);
	ck_assert_int_eq(resp_child(&p.r, root, 1)->type, RESP_TYPE_ARRAY);
	ck_assert_uint_eq(resp_child(&p.r, root, 1)->count, 0);
	ck_assert_int_eq(resp_child(&p.r, root, 2)->type,
	    RESP_TYPE_NULL_ARRAY);
	ck_assert(resp_str_eq(resp_child(&p.r, root, 3), "x"));
	ck_assert_ptr_null(resp_child(&p.r, root, 4));
	b = resp_child(&p.r, a, 1);
	ck_assert_int_eq(b->type, RESP_TYPE_ARRAY);
	c = resp_child(&p.r, b, 0);
	ck_assert(resp_str_eq(c, "a"));
	ck_assert_uint_eq(c->depth, 3);
	ck_assert_ptr_null(resp_child(&p.r, b, 1));
	/* Not arrays, or not elements of r: no children. */
	ck_assert_ptr_null(resp_child(&p.r, c, 0));
	ck_assert_ptr_null(resp_child(&p.r, resp_child(&p.r, root, 2), 0));
	ck_assert_ptr_null(resp_child(&p.r, NULL, 0));
	ck_assert_ptr_null(resp_child(&p.r, &p.r.elems[p.r.nelems], 0));
	parsed_free(&p);
}
END_TEST

/* COMMAND INFO GET from Redis 7.2: the deepest reply we ask for. */
static const char command_info_get[] =
    "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n"
    ":1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n"
    "*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
    "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
    "$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n"
    "*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
    "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n"
    "limit\r\n:0\r\n*0\r\n";

START_TEST(test_command_info)
{
	const struct resp_elem *cmd, *specs, *spec, *begin, *bspec;
	struct parsed p;
	unsigned deepest = 0;
	size_t i;

	parse_copy(&p, S(command_info_get));
	ck_assert_int_eq(p.st, RESP_OK);
	ck_assert_uint_eq(p.used, sizeof command_info_get - 1);
	ck_assert_uint_eq(p.r.nelems, 42);
	for (i = 0; i < p.r.nelems; i++)
		if (p.r.elems[i].depth > deepest)
			deepest = p.r.elems[i].depth;
	ck_assert_uint_eq(deepest, 6);
	ck_assert_uint_le(deepest, RESP_DEPTH_MAX);
	/* The walk an adapter would take: name, arity, key specs. */
	cmd = resp_child(&p.r, resp_root(&p.r), 0);
	ck_assert_uint_eq(cmd->count, 10);
	ck_assert(resp_str_eq(resp_child(&p.r, cmd, 0), "get"));
	ck_assert_int_eq(resp_child(&p.r, cmd, 1)->integer, 2);
	ck_assert(resp_str_eq(resp_child(&p.r, resp_child(&p.r, cmd, 2), 1),
	    "fast"));
	specs = resp_child(&p.r, cmd, 8);
	ck_assert_uint_eq(specs->count, 1);
	spec = resp_child(&p.r, specs, 0);
	ck_assert(resp_str_eq(resp_child(&p.r, spec, 2), "begin_search"));
	begin = resp_child(&p.r, spec, 3);
	bspec = resp_child(&p.r, begin, 3);
	ck_assert(resp_str_eq(resp_child(&p.r, bspec, 0), "index"));
	ck_assert_int_eq(resp_child(&p.r, bspec, 1)->integer, 1);
	ck_assert_uint_eq(resp_child(&p.r, cmd, 9)->count, 0);
	ck_assert_ptr_null(resp_child(&p.r, cmd, 10));
	parsed_free(&p);
}
END_TEST

/* Replies of every kind the adapter meets, as one pipelined stream. */
static const char stream[] =
    "+PONG\r\n"
    "+OK\r\n"
    "-LOADING Redis is loading the dataset in memory\r\n"
    ":42\r\n"
    "$46\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
    "$-1\r\n"
    "*-1\r\n"
    "*0\r\n"
    "*4\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    "$7\r\ntimeout\r\n$1\r\n0\r\n"
    "*1\r\n*3\r\n$9\r\nreplicaof\r\n:3\r\n*2\r\n+admin\r\n+stale\r\n"
    ":-7\r\n";
#define STREAM_REPLIES 11

/* Parse every whole reply in buf from *pos on; describe each into got. */
static void
drain(const uint8_t *buf, size_t len, size_t *pos, char got[][512],
    size_t *ngot)
{
	struct resp_reply r;
	enum resp_status st;
	size_t used;

	while ((st = resp_parse(buf + *pos, len - *pos, &r, &used)) ==
	    RESP_OK) {
		ck_assert_uint_gt(used, 0);
		ck_assert_uint_lt(*ngot, STREAM_REPLIES);
		describe(&r, got[*ngot], sizeof got[0]);
		(*ngot)++;
		*pos += used;
	}
	ck_assert_msg(st == RESP_NEED_MORE, "%s", r.why);
	ck_assert_uint_eq(used, 0);
}

START_TEST(test_pipelined)
{
	char want[STREAM_REPLIES][512];
	size_t len = sizeof stream - 1, pos = 0, n = 0;
	uint8_t *h = malloc(len);

	memcpy(h, stream, len);
	drain(h, len, &pos, want, &n);
	ck_assert_uint_eq(n, STREAM_REPLIES);
	ck_assert_uint_eq(pos, len);
	ck_assert_str_eq(want[0], "0S(PONG) ");
	ck_assert_str_eq(want[2],
	    "0E(LOADING Redis is loading the dataset in memory) ");
	ck_assert_str_eq(want[5], "0NB ");
	ck_assert_str_eq(want[8], "0A(4) 1B(10:maxclients) 1B(5:10000) "
	    "1B(7:timeout) 1B(1:0) ");
	ck_assert_str_eq(want[9], "0A(1) 1A(3) 2B(9:replicaof) 2I(3) 2A(2) "
	    "3S(admin) 3S(stale) ");
	ck_assert_str_eq(want[10], "0I(-7) ");
	free(h);
}
END_TEST

/*
 * The stream arrives in two pieces, split at every byte: the replies
 * complete in the first piece parse at once, the one cut in two waits
 * (NEED_MORE), and after the second piece the same replies come out.
 */
START_TEST(test_every_split)
{
	char want[STREAM_REPLIES][512], got[STREAM_REPLIES][512];
	size_t len = sizeof stream - 1, split, i, pos, n;
	uint8_t *first, *all;

	all = malloc(len);
	memcpy(all, stream, len);
	pos = n = 0;
	drain(all, len, &pos, want, &n);
	free(all);
	for (split = 0; split <= len; split++) {
		/* The first piece alone, in a buffer of exactly its size. */
		first = malloc(split > 0 ? split : 1);
		memcpy(first, stream, split);
		pos = n = 0;
		drain(first, split, &pos, got, &n);
		free(first);
		/* The rest arrives: the unparsed tail plus the second piece. */
		all = malloc(len);
		memcpy(all, stream, len);
		drain(all, len, &pos, got, &n);
		free(all);
		ck_assert_uint_eq(pos, len);
		ck_assert_uint_eq(n, STREAM_REPLIES);
		for (i = 0; i < n; i++)
			ck_assert_str_eq(got[i], want[i]);
	}
}
END_TEST

/* One byte at a time: a reply completes exactly when its last byte comes. */
START_TEST(test_byte_by_byte)
{
	char want[STREAM_REPLIES][512], got[STREAM_REPLIES][512];
	size_t len = sizeof stream - 1, have, pos = 0, n = 0;
	size_t ends[STREAM_REPLIES], i, used;
	struct resp_reply r;
	uint8_t *buf;

	/* Where each reply ends, from the whole stream. */
	buf = malloc(len);
	memcpy(buf, stream, len);
	for (i = 0; i < STREAM_REPLIES; i++) {
		ck_assert_int_eq(resp_parse(buf + pos, len - pos, &r, &used),
		    RESP_OK);
		describe(&r, want[i], sizeof want[i]);
		pos += used;
		ends[i] = pos;
	}
	free(buf);
	ck_assert_uint_eq(pos, len);
	for (have = 1, i = 0, pos = 0; have <= len; have++) {
		size_t before = n;

		buf = malloc(have);
		memcpy(buf, stream, have);
		drain(buf, have, &pos, got, &n);
		free(buf);
		if (n > before) {
			ck_assert_uint_eq(n, before + 1);
			ck_assert_uint_eq(have, ends[i]);
			ck_assert_str_eq(got[i], want[i]);
			i++;
		}
	}
	ck_assert_uint_eq(n, STREAM_REPLIES);
}
END_TEST

/* Every strict prefix of a complete reply is NEED_MORE, never an error. */
START_TEST(test_prefixes)
{
	static const char *const replies[] = {
		"+OK\r\n", "-ERR x y\r\n", ":-12\r\n", "$3\r\nabc\r\n",
		"$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"*2\r\n*1\r\n:1\r\n$2\r\nab\r\n",
	};
	size_t i, k;

	for (i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		size_t len = strlen(replies[i]);

		for (k = 0; k < len; k++)
			ck_assert_msg(status_of((const uint8_t *)replies[i], k,
			    NULL) == RESP_NEED_MORE, "%zu of %s", k,
			    replies[i]);
	}
}
END_TEST

/* Raw inputs and the reason each must be refused with. */
static const struct {
	const uint8_t	*p;
	size_t		 len;
	const char	*why;
} bad[] = {
	/* type bytes */
	{ S("x"), "bad type byte" },
	{ S(" +OK\r\n"), "bad type byte" },
	{ S("\r\n"), "bad type byte" },
	{ S("\0"), "bad type byte" },
	{ S("OK\r\n"), "bad type byte" },
	{ S("_\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S(",1.5\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("#t\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("%1\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("~1\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S(">2\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("|1\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("=5\r\ntxt:x\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("!3\r\nERR\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("(12345\r\n"), "RESP3 type (we never send HELLO 3)" },
	{ S("*1\r\n_\r\n"), "RESP3 type (we never send HELLO 3)" },
	/* simple strings and errors */
	{ S("+OK\n"), "bare LF" },
	{ S("+O\nK\r\n"), "bare LF" },
	{ S("+O\rK\r\n"), "CR without LF" },
	{ S("+OK\r\r\n"), "CR without LF" },
	{ S("-ERR\rx"), "CR without LF" },
	{ S("+O\0K\r\n"), "NUL in a line" },
	{ S("-\0\r\n"), "NUL in a line" },
	/* integers */
	{ S(":\r\n"), "bad integer" },
	{ S(":-\r\n"), "bad integer" },
	{ S(":+1\r\n"), "bad integer" },
	{ S(": 1\r\n"), "bad integer" },
	{ S(":1 \r\n"), "bad integer" },
	{ S(":1-\r\n"), "bad integer" },
	{ S(":--1\r\n"), "bad integer" },
	{ S(":0x10\r\n"), "bad integer" },
	{ S(":1.5\r\n"), "bad integer" },
	{ S(":9223372036854775808\r\n"), "bad integer" },
	{ S(":-9223372036854775809\r\n"), "bad integer" },
	{ S(":000000000000000000001\r\n"), "bad integer" },
	{ S(":1\n"), "bare LF" },
	{ S(":1\rx"), "CR without LF" },
	/* bulk lengths */
	{ S("$\r\n"), "bad bulk length" },
	{ S("$-\r\n"), "bad bulk length" },
	{ S("$-0\r\n"), "bad bulk length" },
	{ S("$-2\r\n"), "bad bulk length" },
	{ S("$-10\r\n"), "bad bulk length" },
	{ S("$-01\r\n"), "bad bulk length" },
	{ S("$+1\r\nx\r\n"), "bad bulk length" },
	{ S("$ 1\r\nx\r\n"), "bad bulk length" },
	{ S("$1 \r\nx\r\n"), "bad bulk length" },
	{ S("$x\r\n"), "bad bulk length" },
	{ S("$-9223372036854775809\r\n"), "bad bulk length" },
	{ S("$65537\r\n"), "bulk too long" },
	{ S("$9223372036854775808\r\n"), "bulk too long" },
	{ S("$99999999999999999999\r\n"), "bulk too long" },
	{ S("$1\n"), "bare LF" },
	{ S("$1\r\r"), "CR without LF" },
	/* bulk payloads */
	{ S("$3\r\nabcd\r\n"), "missing CRLF after bulk" },
	{ S("$3\r\nab\r\n"), "missing CRLF after bulk" },
	{ S("$3\r\nabc\n"), "missing CRLF after bulk" },
	{ S("$3\r\nabc\rx"), "missing CRLF after bulk" },
	{ S("$0\r\nx"), "missing CRLF after bulk" },
	/* arrays */
	{ S("*\r\n"), "bad array count" },
	{ S("*-2\r\n"), "bad array count" },
	{ S("*-0\r\n"), "bad array count" },
	{ S("*+1\r\n"), "bad array count" },
	{ S("*1x\r\n"), "bad array count" },
	{ S("*129\r\n"), "too many elements" },
	{ S("*1000000\r\n"), "too many elements" },
	{ S("*1\r\n*127\r\n"), "too many elements" },
	{ S("*2\r\n*126\r\n"), "too many elements" },
	{ S("*2\r\n:1\r\n*126\r\n"), "too many elements" },
	{ S("*2\r\n:1\r\nx"), "bad type byte" },
	{ S("*3\r\n:1\r\n:2\r\n$-2\r\n"), "bad bulk length" },
};

START_TEST(test_rejects)
{
	const char *why;

	ck_assert_msg(status_of(bad[_i].p, bad[_i].len, &why) == RESP_ERROR,
	    "case %d accepted", _i);
	ck_assert_msg(strcmp(why, bad[_i].why) == 0, "case %d: %s, not %s",
	    _i, why, bad[_i].why);
}
END_TEST

/* A prefix that cannot become valid fails at once, without its CRLF. */
START_TEST(test_fail_early)
{
	const char *why;

	ck_assert_int_eq(status_of(S("$65537"), &why), RESP_ERROR);
	ck_assert_str_eq(why, "bulk too long");
	ck_assert_int_eq(status_of(S("$99999999999"), &why), RESP_ERROR);
	ck_assert_int_eq(status_of(S("*129"), &why), RESP_ERROR);
	ck_assert_str_eq(why, "too many elements");
	ck_assert_int_eq(status_of(S("$-2"), &why), RESP_ERROR);
	ck_assert_int_eq(status_of(S("$-11"), &why), RESP_ERROR);
	ck_assert_int_eq(status_of(S("*-0"), &why), RESP_ERROR);
	ck_assert_int_eq(status_of(S(":92233720368547758070"), &why),
	    RESP_ERROR);
	ck_assert_int_eq(status_of(S(":12a"), &why), RESP_ERROR);
	ck_assert_int_eq(status_of(S("+OK\rx"), &why), RESP_ERROR);
	ck_assert_int_eq(status_of(S("$3\r\nabcX"), &why), RESP_ERROR);
	/* ... while a prefix that can still be valid waits. */
	ck_assert_int_eq(status_of(S("$65536"), &why), RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S("$-1"), &why), RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S("$-"), &why), RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S("*127"), &why), RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S(":-9223372036854775808"), &why),
	    RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S("$3\r\nabc"), &why), RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S("$3\r\nabc\r"), &why), RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S(""), &why), RESP_NEED_MORE);
}
END_TEST

/* A heap buffer: header, then fill bytes of c, then tail. */
static uint8_t *
build(const char *head, size_t nfill, char c, const char *tail, size_t *len)
{
	size_t h = strlen(head), t = strlen(tail);
	uint8_t *b = malloc(h + nfill + t + 1);

	ck_assert_ptr_nonnull(b);
	memcpy(b, head, h);
	memset(b + h, c, nfill);
	memcpy(b + h + nfill, tail, t);
	*len = h + nfill + t;
	return b;
}

START_TEST(test_line_limit)
{
	const char *why;
	uint8_t *b;
	size_t len;

	/* Exactly RESP_LINE_MAX bytes of text: fine, status and error. */
	b = build("+", RESP_LINE_MAX, 'a', "\r\n", &len);
	ck_assert_int_eq(status_of(b, len, &why), RESP_OK);
	b[0] = '-';
	ck_assert_int_eq(status_of(b, len, &why), RESP_OK);
	/* Still waiting for its CR: more may come. */
	ck_assert_int_eq(status_of(b, len - 2, &why), RESP_NEED_MORE);
	free(b);
	/* One more: an error, even before the line end arrives. */
	b = build("+", RESP_LINE_MAX + 1, 'a', "\r\n", &len);
	ck_assert_int_eq(status_of(b, len, &why), RESP_ERROR);
	ck_assert_str_eq(why, "line too long");
	ck_assert_int_eq(status_of(b, len - 2, &why), RESP_ERROR);
	ck_assert_str_eq(why, "line too long");
	free(b);
}
END_TEST

START_TEST(test_bulk_limit)
{
	char head[32];
	const char *why;
	struct parsed p;
	uint8_t *b;
	size_t len;

	snprintf(head, sizeof head, "$%d\r\n", RESP_BULK_MAX);
	b = build(head, RESP_BULK_MAX, 'x', "\r\n", &len);
	parse_copy(&p, b, len);
	ck_assert_int_eq(p.st, RESP_OK);
	ck_assert_uint_eq(p.used, len);
	ck_assert_uint_eq(p.r.elems[0].len, RESP_BULK_MAX);
	parsed_free(&p);
	ck_assert_int_eq(status_of(b, len - 1, &why), RESP_NEED_MORE);
	free(b);
	snprintf(head, sizeof head, "$%d\r\n", RESP_BULK_MAX + 1);
	b = build(head, RESP_BULK_MAX + 1, 'x', "\r\n", &len);
	ck_assert_int_eq(status_of(b, len, &why), RESP_ERROR);
	ck_assert_str_eq(why, "bulk too long");
	free(b);
}
END_TEST

/* "*1\r\n" n times around tail: n nested arrays (tail may be one). */
static enum resp_status
nest(unsigned n, const char *tail, const char **why, size_t *nelems)
{
	char buf[RESP_DEPTH_MAX * 8 + 16];
	size_t pos = 0;
	struct parsed p;
	unsigned i;

	for (i = 0; i < n; i++)
		pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "*1\r\n");
	pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s", tail);
	parse_copy(&p, (const uint8_t *)buf, pos);
	parsed_free(&p);
	*why = p.r.why;
	if (p.st == RESP_OK) {
		/* The innermost element and the root's subtree. */
		ck_assert_uint_eq(p.r.elems[p.r.nelems - 1].depth, n);
		ck_assert_uint_eq(p.r.elems[0].end, p.r.nelems);
	}
	*nelems = p.r.nelems;
	return p.st;
}

START_TEST(test_depth_limit)
{
	const char *why;
	size_t n;

	ck_assert_int_eq(nest(1, ":1\r\n", &why, &n), RESP_OK);
	ck_assert_int_eq(nest(RESP_DEPTH_MAX, ":1\r\n", &why, &n), RESP_OK);
	ck_assert_uint_eq(n, RESP_DEPTH_MAX + 1);
	ck_assert_int_eq(nest(RESP_DEPTH_MAX + 1, ":1\r\n", &why, &n),
	    RESP_ERROR);
	ck_assert_str_eq(why, "nested too deep");
	/* An empty or null array is a level too: the last one allowed is
	 * the RESP_DEPTH_MAX-th. */
	ck_assert_int_eq(nest(RESP_DEPTH_MAX - 1, "*0\r\n", &why, &n),
	    RESP_OK);
	ck_assert_int_eq(nest(RESP_DEPTH_MAX - 1, "*-1\r\n", &why, &n),
	    RESP_OK);
	ck_assert_int_eq(nest(RESP_DEPTH_MAX, "*0\r\n", &why, &n),
	    RESP_ERROR);
	ck_assert_str_eq(why, "nested too deep");
	ck_assert_int_eq(nest(RESP_DEPTH_MAX, "*-1\r\n", &why, &n),
	    RESP_ERROR);
	/* Refused at the type byte, before its count arrives. */
	ck_assert_int_eq(nest(RESP_DEPTH_MAX, "*", &why, &n), RESP_ERROR);
}
END_TEST

/* An array of n integers, nested once in an outer array if wrap. */
static enum resp_status
wide(size_t n, int wrap, const char **why, size_t *nelems)
{
	char *buf = malloc(n * 8 + 32);
	size_t pos = 0, i;
	struct parsed p;

	if (wrap)
		pos += (size_t)sprintf(buf + pos, "*1\r\n");
	pos += (size_t)sprintf(buf + pos, "*%zu\r\n", n);
	for (i = 0; i < n; i++)
		pos += (size_t)sprintf(buf + pos, ":%zu\r\n", i % 10);
	parse_copy(&p, (const uint8_t *)buf, pos);
	free(buf);
	parsed_free(&p);
	*why = p.r.why;
	*nelems = p.r.nelems;
	return p.st;
}

START_TEST(test_elems_limit)
{
	const char *why;
	size_t n;

	/* The array counts itself: 1 + (MAX - 1) children is the cap. */
	ck_assert_int_eq(wide(RESP_ELEMS_MAX - 1, 0, &why, &n), RESP_OK);
	ck_assert_uint_eq(n, RESP_ELEMS_MAX);
	ck_assert_int_eq(wide(RESP_ELEMS_MAX, 0, &why, &n), RESP_ERROR);
	ck_assert_str_eq(why, "too many elements");
	ck_assert_int_eq(wide(RESP_ELEMS_MAX - 2, 1, &why, &n), RESP_OK);
	ck_assert_uint_eq(n, RESP_ELEMS_MAX);
	ck_assert_int_eq(wide(RESP_ELEMS_MAX - 1, 1, &why, &n), RESP_ERROR);
	ck_assert_str_eq(why, "too many elements");
	/* Siblings still due count against the budget too. */
	ck_assert_int_eq(status_of(S("*2\r\n*125\r\n"), &why),
	    RESP_NEED_MORE);
	ck_assert_int_eq(status_of(S("*3\r\n*125\r\n"), &why), RESP_ERROR);
	ck_assert_str_eq(why, "too many elements");
}
END_TEST

/*
 * A reply spans at most RESP_REPLY_MAX bytes: two bulks, the second
 * sized so that the whole reply is exactly the cap, then one byte more.
 */
START_TEST(test_reply_limit)
{
	const size_t b1 = RESP_BULK_MAX;
	char head1[32], head2[32];
	size_t h1, len, b2;
	const char *why;
	uint8_t *buf;
	int over;

	h1 = (size_t)snprintf(head1, sizeof head1, "*2\r\n$%zu\r\n", b1);
	for (over = 0; over <= 1; over++) {
		size_t fixed = h1 + b1 + 2 + 2, h2;

		/* Find b2 with fixed + len("$b2\r\n") + b2 == cap (+ over). */
		for (b2 = 0;; b2++) {
			h2 = (size_t)snprintf(head2, sizeof head2, "$%zu\r\n",
			    b2);
			if (fixed + h2 + b2 >= RESP_REPLY_MAX + (size_t)over)
				break;
		}
		ck_assert_uint_eq(fixed + h2 + b2,
		    RESP_REPLY_MAX + (size_t)over);
		len = fixed + h2 + b2;
		buf = malloc(len);
		memcpy(buf, head1, h1);
		memset(buf + h1, 'a', b1);
		memcpy(buf + h1 + b1, "\r\n", 2);
		memcpy(buf + h1 + b1 + 2, head2, h2);
		memset(buf + h1 + b1 + 2 + h2, 'b', b2);
		memcpy(buf + len - 2, "\r\n", 2);
		if (!over) {
			ck_assert_int_eq(status_of(buf, len, &why), RESP_OK);
		} else {
			/* Refused as soon as the second header is read. */
			ck_assert_int_eq(status_of(buf, h1 + b1 + 2 + h2,
			    &why), RESP_ERROR);
			ck_assert_str_eq(why, "reply too long");
		}
		free(buf);
	}
}
END_TEST

/* A reply that crosses the cap inside a line: an error once len does. */
START_TEST(test_reply_limit_lines)
{
	size_t nlines = RESP_ELEMS_MAX - 3, pos, i, len;
	char head[64];
	const char *why;
	uint8_t *buf;

	pos = (size_t)snprintf(head, sizeof head, "*%zu\r\n$%d\r\n",
	    nlines + 1, RESP_BULK_MAX);
	len = pos + RESP_BULK_MAX + 2 + nlines * (RESP_LINE_MAX + 3);
	ck_assert_uint_gt(len, RESP_REPLY_MAX);
	buf = malloc(len);
	memcpy(buf, head, pos);
	memset(buf + pos, 'x', RESP_BULK_MAX);
	pos += RESP_BULK_MAX;
	memcpy(buf + pos, "\r\n", 2);
	pos += 2;
	for (i = 0; i < nlines; i++) {
		buf[pos] = '+';
		memset(buf + pos + 1, 'y', RESP_LINE_MAX);
		memcpy(buf + pos + 1 + RESP_LINE_MAX, "\r\n", 2);
		pos += RESP_LINE_MAX + 3;
	}
	ck_assert_int_eq(status_of(buf, RESP_REPLY_MAX - 1, &why),
	    RESP_NEED_MORE);
	ck_assert_int_eq(status_of(buf, RESP_REPLY_MAX, &why), RESP_ERROR);
	ck_assert_str_eq(why, "reply too long");
	ck_assert_int_eq(status_of(buf, len, &why), RESP_ERROR);
	ck_assert_str_eq(why, "reply too long");
	free(buf);
}
END_TEST

START_TEST(test_encode)
{
	const char *info[] = { "INFO", "replication" };
	const char *ping[] = { "PING" };
	const char *empty[] = { "" };
	const char *pause[] = { "CLIENT", "PAUSE", "5000", "WRITE" };
	static const char want[] = "*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n";
	uint8_t buf[256];
	size_t n, k;

	n = resp_encode_command(buf, sizeof buf, 2, info);
	ck_assert_uint_eq(n, sizeof want - 1);
	ck_assert_mem_eq(buf, want, n);
	n = resp_encode_command(buf, sizeof buf, 1, ping);
	ck_assert_uint_eq(n, 14);
	ck_assert_mem_eq(buf, "*1\r\n$4\r\nPING\r\n", n);
	n = resp_encode_command(buf, sizeof buf, 1, empty);
	ck_assert_mem_eq(buf, "*1\r\n$0\r\n\r\n", n);
	n = resp_encode_command(buf, sizeof buf, 4, pause);
	ck_assert_mem_eq(buf, "*4\r\n$6\r\nCLIENT\r\n$5\r\nPAUSE\r\n"
	    "$4\r\n5000\r\n$5\r\nWRITE\r\n", n);
	/* Nothing to send: no command. */
	ck_assert_uint_eq(resp_encode_command(buf, sizeof buf, 0, info), 0);
	/* Exactly the room it needs, then one byte less at every size. */
	ck_assert_uint_eq(resp_encode_command(buf, sizeof want - 1, 2, info),
	    sizeof want - 1);
	for (k = 0; k < sizeof want - 1; k++)
		ck_assert_uint_eq(resp_encode_command(buf, k, 2, info), 0);
}
END_TEST

START_TEST(test_encode_argv)
{
	const char *argv[] = { "AUTH", "us\0er", "p\r\nw" };
	const size_t lens[] = { 4, 5, 4 };
	uint8_t buf[128];
	struct parsed p;
	size_t n;

	n = resp_encode_argv(buf, sizeof buf, 3, argv, lens);
	ck_assert_mem_eq(buf, "*3\r\n$4\r\nAUTH\r\n$5\r\nus\0er\r\n"
	    "$4\r\np\r\nw\r\n", n);
	ck_assert_uint_eq(n, 35);
	/* What we send is a reply our parser reads back as sent. */
	parse_copy(&p, buf, n);
	ck_assert_int_eq(p.st, RESP_OK);
	ck_assert_uint_eq(p.used, n);
	ck_assert_uint_eq(p.r.nelems, 4);
	ck_assert_mem_eq(p.r.elems[2].str, "us\0er", 5);
	ck_assert_mem_eq(p.r.elems[3].str, "p\r\nw", 4);
	parsed_free(&p);
	ck_assert_uint_eq(resp_encode_argv(buf, 34, 3, argv, lens), 0);
}
END_TEST

static bool
is_ok(const uint8_t *b, size_t len)
{
	struct parsed p;
	bool ok;

	parse_copy(&p, b, len);
	ck_assert_int_eq(p.st, RESP_OK);
	ok = resp_is_ok(&p.r);
	parsed_free(&p);
	return ok;
}

START_TEST(test_is_ok)
{
	struct parsed p;

	ck_assert(is_ok(S("+OK\r\n")));
	ck_assert(!is_ok(S("+ok\r\n")));
	ck_assert(!is_ok(S("+OKAY\r\n")));
	ck_assert(!is_ok(S("+O\r\n")));
	ck_assert(!is_ok(S("$2\r\nOK\r\n")));
	ck_assert(!is_ok(S("-OK\r\n")));
	ck_assert(!is_ok(S("*1\r\n+OK\r\n")));
	parse_copy(&p, S("+PONG\r\n"));
	ck_assert(resp_is_status(&p.r, "PONG"));
	ck_assert(!resp_is_status(&p.r, "PON"));
	ck_assert(!resp_is_ok(&p.r));
	ck_assert(resp_str_eq(resp_root(&p.r), "PONG"));
	ck_assert(!resp_str_eq(NULL, "PONG"));
	ck_assert_int_eq(resp_error_kind(&p.r), RESP_ERR_NONE);
	ck_assert(!resp_error_is(&p.r, "PONG"));
	parsed_free(&p);
	/* An empty reply struct has no root and is nothing. */
	memset(&p.r, 0, sizeof p.r);
	ck_assert_ptr_null(resp_root(&p.r));
	ck_assert(!resp_is_ok(&p.r));
	ck_assert_int_eq(resp_error_kind(&p.r), RESP_ERR_NONE);
}
END_TEST

/* Error texts as servers send them, and what each one is. */
static const struct {
	const char		*text;
	enum resp_error_kind	 kind;
} errors[] = {
	{ "-LOADING Redis is loading the dataset in memory\r\n",
	  RESP_ERR_LOADING },
	{ "-LOADING Valkey is loading the dataset in memory\r\n",
	  RESP_ERR_LOADING },
	{ "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data "
	  "is set to 'no'.\r\n", RESP_ERR_MASTERDOWN },
	{ "-BUSY Redis is busy running a script. You can only call SCRIPT "
	  "KILL or SHUTDOWN NOSAVE.\r\n", RESP_ERR_BUSY },
	{ "-NOAUTH Authentication required.\r\n", RESP_ERR_NOAUTH },
	{ "-WRONGPASS invalid username-password pair or user is "
	  "disabled.\r\n", RESP_ERR_WRONGPASS },
	{ "-NOPERM User elector has no permissions to run the 'replicaof' "
	  "command\r\n", RESP_ERR_NOPERM },
	{ "-ERR AUTH <password> called without any password configured for "
	  "the default user. Are you sure your configuration is correct?\r\n",
	  RESP_ERR_NO_PASSWORD },
	{ "-ERR Client sent AUTH, but no password is set\r\n",
	  RESP_ERR_NO_PASSWORD },
	{ "-ERR unknown command 'REPLICAOF', with args beginning with: "
	  "'NO' 'ONE' \r\n", RESP_ERR_UNKNOWN_COMMAND },
	{ "-ERR unknown command `FOO`, with args beginning with: \r\n",
	  RESP_ERR_UNKNOWN_COMMAND },
	{ "-ERR unknown subcommand 'unpause'. Try CLIENT HELP.\r\n",
	  RESP_ERR_UNKNOWN_SUBCOMMAND },
	{ "-ERR Unknown subcommand or wrong number of arguments for "
	  "'UNPAUSE'. Try CLIENT HELP.\r\n", RESP_ERR_UNKNOWN_SUBCOMMAND },
	/* Near misses: a longer code, another case, another error. */
	{ "-BUSYKEY Target key name already exists.\r\n", RESP_ERR_OTHER },
	{ "-LOADINGX\r\n", RESP_ERR_OTHER },
	{ "-loading\r\n", RESP_ERR_OTHER },
	{ "-ERR unknown commands\r\n", RESP_ERR_OTHER },
	{ "-ERR wrong number of arguments for 'config|set' command\r\n",
	  RESP_ERR_OTHER },
	{ "-READONLY You can't write against a read only replica.\r\n",
	  RESP_ERR_OTHER },
	{ "-\r\n", RESP_ERR_OTHER },
	{ "+LOADING\r\n", RESP_ERR_NONE },
	{ "$7\r\nLOADING\r\n", RESP_ERR_NONE },
};

START_TEST(test_error_kinds)
{
	struct parsed p;
	enum resp_error_kind k;

	parse_copy(&p, (const uint8_t *)errors[_i].text,
	    strlen(errors[_i].text));
	ck_assert_int_eq(p.st, RESP_OK);
	k = resp_error_kind(&p.r);
	ck_assert_msg(k == errors[_i].kind, "%s: %s, not %s", errors[_i].text,
	    resp_error_kind_name(k), resp_error_kind_name(errors[_i].kind));
	parsed_free(&p);
}
END_TEST

START_TEST(test_error_is)
{
	struct parsed p;

	parse_copy(&p, S("-ERR unknown command 'X'\r\n"));
	ck_assert(resp_error_is(&p.r, "ERR"));
	ck_assert(resp_error_is(&p.r, "ERR unknown"));
	ck_assert(resp_error_is(&p.r, "ERR unknown command"));
	ck_assert(resp_error_is(&p.r, "ERR unknown command 'X'"));
	ck_assert(!resp_error_is(&p.r, "ER"));
	ck_assert(!resp_error_is(&p.r, "ERR unknown comm"));
	ck_assert(!resp_error_is(&p.r, "ERR unknown command 'X' "));
	ck_assert(!resp_error_is(&p.r, ""));
	ck_assert(!resp_error_is(&p.r, "err"));
	parsed_free(&p);
	parse_copy(&p, S("-NOAUTH\r\n"));
	ck_assert(resp_error_is(&p.r, "NOAUTH"));
	ck_assert_int_eq(resp_error_kind(&p.r), RESP_ERR_NOAUTH);
	parsed_free(&p);
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(resp_error_kind_name(RESP_ERR_NONE), "none");
	ck_assert_str_eq(resp_error_kind_name(RESP_ERR_LOADING), "LOADING");
	ck_assert_str_eq(resp_error_kind_name(RESP_ERR_UNKNOWN_COMMAND),
	    "unknown-command");
	ck_assert_str_eq(resp_error_kind_name(RESP_ERR_UNKNOWN_SUBCOMMAND),
	    "unknown-subcommand");
	ck_assert_str_eq(resp_error_kind_name((enum resp_error_kind)99),
	    "unknown");
}
END_TEST

START_TEST(test_parse_i64)
{
	int64_t v = 77;

	ck_assert_int_eq(resp_parse_i64("0", 1, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(resp_parse_i64("-1", 2, &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(resp_parse_i64("9223372036854775807", 19, &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(resp_parse_i64("-9223372036854775808", 20, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	v = 77;
	ck_assert_int_eq(resp_parse_i64("9223372036854775808", 19, &v), -1);
	ck_assert_int_eq(resp_parse_i64("-9223372036854775809", 20, &v), -1);
	ck_assert_int_eq(resp_parse_i64("", 0, &v), -1);
	ck_assert_int_eq(resp_parse_i64("-", 1, &v), -1);
	ck_assert_int_eq(resp_parse_i64("+1", 2, &v), -1);
	ck_assert_int_eq(resp_parse_i64("--1", 3, &v), -1);
	ck_assert_int_eq(resp_parse_i64(" 1", 2, &v), -1);
	ck_assert_int_eq(resp_parse_i64("1 ", 2, &v), -1);
	/* Only len bytes are read: "12" of "123". */
	ck_assert_int_eq(resp_parse_i64("123", 2, &v), 0);
	ck_assert_int_eq(v, 12);
	v = 77;
	ck_assert_int_eq(resp_parse_i64("1x", 2, &v), -1);
	ck_assert_int_eq(v, 77);
}
END_TEST

/*
 * Mutations of valid replies (a byte changed, dropped or repeated; a
 * deterministic generator): never a crash, a read past len or a broken
 * promise, and the mix exercises both outcomes.
 */
#define MUTATIONS 20000

START_TEST(test_mutations)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t len = sizeof stream - 1, i;
	int nok = 0, nerr = 0;

	for (i = 0; i < MUTATIONS; i++) {
		uint8_t *h = malloc(len + 1);
		size_t at, n = len, pos = 0, used;
		struct resp_reply r;
		enum resp_status st;

		memcpy(h, stream, len);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		at = (size_t)(x % len);
		switch ((x >> 32) % 3) {
		case 0:
			h[at] = (uint8_t)(x >> 40);
			break;
		case 1:
			memmove(h + at, h + at + 1, len - at - 1);
			n--;
			break;
		default:
			memmove(h + at + 1, h + at, len - at);
			n++;
			break;
		}
		while (pos < n) {
			st = resp_parse(h + pos, n - pos, &r, &used);
			if (st != RESP_OK) {
				ck_assert_uint_eq(used, 0);
				nerr += st == RESP_ERROR;
				break;
			}
			ck_assert_uint_gt(used, 0);
			ck_assert_uint_le(used, n - pos);
			ck_assert_uint_ge(r.nelems, 1);
			ck_assert_uint_le(r.nelems, RESP_ELEMS_MAX);
			ck_assert_uint_eq(r.elems[0].end, r.nelems);
			nok++;
			pos += used;
		}
		free(h);
	}
	ck_assert_int_gt(nok, MUTATIONS);
	ck_assert_int_gt(nerr, MUTATIONS / 4);
}
END_TEST

static Suite *
resp_suite(void)
{
	Suite *s = suite_create("resp");
	TCase *tc = tcase_create("resp");

	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_bulk_binary);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_command_info);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_every_split);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_prefixes);
	tcase_add_loop_test(tc, test_rejects, 0, (int)(sizeof bad /
	    sizeof bad[0]));
	tcase_add_test(tc, test_fail_early);
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_bulk_limit);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_elems_limit);
	tcase_add_test(tc, test_reply_limit);
	tcase_add_test(tc, test_reply_limit_lines);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_encode_argv);
	tcase_add_test(tc, test_is_ok);
	tcase_add_loop_test(tc, test_error_kinds, 0, (int)(sizeof errors /
	    sizeof errors[0]));
	tcase_add_test(tc, test_error_is);
	tcase_add_test(tc, test_kind_names);
	tcase_add_test(tc, test_parse_i64);
	tcase_add_test(tc, test_mutations);
	/* The mutation run is long under sanitizers. */
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(resp_suite());
}
