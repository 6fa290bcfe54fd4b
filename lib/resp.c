/*
 * resp: RESP2 replies of the local server, and the commands we send it
 * (see resp.h).
 *
 * The parser is stateless like wire_decode: each call re-reads the
 * buffered bytes from the start. Only header and status lines are
 * scanned (a bulk payload is stepped over by its length), so re-reading
 * a 64 KiB INFO reply that arrives in pieces costs a few dozen bytes per
 * call. It keeps nothing between calls, allocates nothing, never reads
 * past len, and never loops more than the caps allow: RESP_ELEMS_MAX
 * elements, each a line of at most RESP_LINE_MAX bytes or a payload it
 * does not look into.
 *
 * Decisions beyond the RESP2 spec:
 * - RESP3 types ('_', ',', '#', '!', '=', '(', '%', '~', '>', '|') are
 *   errors: Redis answers RESP2 unless a client sends HELLO 3, and we
 *   never do.
 * - Numbers go through num_parse_u64 (plus a '-' for integers): digits
 *   only, no '+', no space; leading zeros are accepted as num.h does.
 *   A length or count is -1 (null) or 0..its cap: "$-0", "$-2", "*-01"
 *   are errors. ":-0" is 0.
 * - +status and -error lines may not hold CR, LF or NUL; a bulk payload
 *   may hold anything, and must be followed by CRLF.
 * - Every cap is checked on the digits seen so far, before the line end
 *   arrives ("$99999999" fails at once), and an array's count against the
 *   element budget left once every element still due is counted, so a
 *   reply that cannot fit fails before we buffer the rest of it.
 */
#include <stdio.h>
#include <string.h>

#include "num.h"
#include "resp.h"

/* "$<len>\r\n" with the longest length we emit or accept, in bytes. */
#define RESP_HEADER_LEN_MAX (1 + 1 + NUM_U64_DIGITS + 2)

_Static_assert(RESP_HEADER_LEN_MAX + RESP_BULK_MAX + 2 <= RESP_REPLY_MAX,
    "RESP_REPLY_MAX cannot hold the largest bulk");
_Static_assert(1 + RESP_LINE_MAX + 2 <= RESP_REPLY_MAX,
    "RESP_REPLY_MAX cannot hold the longest line");
_Static_assert(RESP_DEPTH_MAX >= 1 && RESP_DEPTH_MAX < RESP_ELEMS_MAX,
    "RESP_DEPTH_MAX out of range");

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
resp_parse_i64(const char *s, size_t len, int64_t *out)
{
	size_t neg = len > 0 && s[0] == '-';
	uint64_t m;

	if (num_parse_u64(s + neg, len - neg, &m) == -1)
		return -1;
	if (!neg) {
		if (m > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)m;
	} else {
		if (m > (uint64_t)INT64_MAX + 1)
			return -1;
		/* -(2^63) has no positive twin to negate. */
		*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	}
	return 0;
}

/* Where the parser stands: buf[0..len) as given, pos the next byte. */
struct cursor {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 pos;
	const char	*why;
};

static enum resp_status
fail(struct cursor *c, const char *why)
{
	c->why = why;
	return RESP_ERROR;
}

/*
 * The CRLF at buf[i] (i <= len) ends a line: OK with c->pos past it, or
 * NEED_MORE, or an error for a CR that some other byte follows.
 */
static enum resp_status
line_end(struct cursor *c, size_t i)
{
	if (i + 1 >= c->len)
		return RESP_NEED_MORE;
	if (c->buf[i + 1] != '\n')
		return fail(c, "CR without LF");
	c->pos = i + 2;
	return RESP_OK;
}

/*
 * The text of a +status or -error line (after its type byte): *s, *n.
 * CR, LF and NUL may not appear in it; a line already longer than
 * RESP_LINE_MAX fails without waiting for its end.
 */
static enum resp_status
scan_text(struct cursor *c, const uint8_t **s, size_t *n)
{
	size_t start = c->pos + 1, i = start;

	while (i < c->len && i - start <= RESP_LINE_MAX) {
		if (c->buf[i] == '\r')
			break;
		if (c->buf[i] == '\n')
			return fail(c, "bare LF");
		if (c->buf[i] == '\0')
			return fail(c, "NUL in a line");
		i++;
	}
	if (i - start > RESP_LINE_MAX)
		return fail(c, "line too long");
	if (i >= c->len)
		return RESP_NEED_MORE;
	*s = c->buf + start;
	*n = i - start;
	return line_end(c, i);
}

/*
 * The number of an integer or header line (after its type byte): an
 * optional '-' and digits. *s, *n are the text seen so far even on
 * NEED_MORE, so that the caller can check its cap before the line ends;
 * any other byte is an error at once (why, or "bare LF").
 */
static enum resp_status
scan_number(struct cursor *c, const char *why, const uint8_t **s, size_t *n)
{
	size_t start = c->pos + 1, i = start;

	while (i < c->len && c->buf[i] != '\r') {
		uint8_t b = c->buf[i];

		if (b == '\n')
			return fail(c, "bare LF");
		if (!(b >= '0' && b <= '9') && !(b == '-' && i == start))
			return fail(c, why);
		/* A sign and NUM_U64_DIGITS digits is the longest number. */
		if (++i - start > 1 + NUM_U64_DIGITS)
			return fail(c, why);
	}
	*s = c->buf + start;
	*n = i - start;
	if (i >= c->len)
		return RESP_NEED_MORE;
	return line_end(c, i);
}

/* Nothing but a sign so far: no value to check yet. */
static bool
has_digits(const uint8_t *s, size_t n)
{
	return n > (n > 0 && s[0] == '-');
}

static enum resp_status
read_integer(struct cursor *c, struct resp_elem *e)
{
	enum resp_status st;
	const uint8_t *s;
	size_t n;

	st = scan_number(c, "bad integer", &s, &n);
	if (st == RESP_ERROR)
		return st;
	/* More digits only move it further from 0: an overflow is final. */
	if (has_digits(s, n) &&
	    resp_parse_i64((const char *)s, n, &e->integer) == -1)
		return fail(c, "bad integer");
	if (st == RESP_NEED_MORE)
		return st;
	if (!has_digits(s, n))
		return fail(c, "bad integer");
	e->type = RESP_TYPE_INTEGER;
	return RESP_OK;
}

/*
 * A "$" or "*" header's length: -1 (null) or 0..max. Over max is error
 * big (a cap), anything else malformed is error bad, both checked on the
 * digits seen so far.
 */
static enum resp_status
read_length(struct cursor *c, uint64_t max, const char *bad, const char *big,
    int64_t *out)
{
	enum resp_status st;
	const uint8_t *s;
	int64_t v = 0;
	size_t n;

	st = scan_number(c, bad, &s, &n);
	if (st == RESP_ERROR)
		return st;
	if (has_digits(s, n)) {
		/* Past INT64_MAX is over any cap; a sign is "-1" or bad. */
		if (resp_parse_i64((const char *)s, n, &v) == -1)
			return fail(c, s[0] == '-' ? bad : big);
		/* Only "-1" itself is negative: "-10", "-2", "-0" are not. */
		if (s[0] == '-' && (n != 2 || s[1] != '1'))
			return fail(c, bad);
		if (v >= 0 && (uint64_t)v > max)
			return fail(c, big);
	}
	if (st == RESP_NEED_MORE)
		return st;
	if (!has_digits(s, n))
		return fail(c, bad);
	*out = v;
	return RESP_OK;
}

static enum resp_status
read_bulk(struct cursor *c, struct resp_elem *e)
{
	enum resp_status st;
	int64_t blen;
	size_t start, end;

	st = read_length(c, RESP_BULK_MAX, "bad bulk length", "bulk too long",
	    &blen);
	if (st != RESP_OK)
		return st;
	if (blen == -1) {
		e->type = RESP_TYPE_NULL_BULK;
		return RESP_OK;
	}
	start = c->pos;
	end = start + (size_t)blen;
	if (end + 2 > RESP_REPLY_MAX)
		return fail(c, "reply too long");
	if (c->len < end + 1)
		return RESP_NEED_MORE;
	if (c->buf[end] != '\r')
		return fail(c, "missing CRLF after bulk");
	if (c->len < end + 2)
		return RESP_NEED_MORE;
	if (c->buf[end + 1] != '\n')
		return fail(c, "missing CRLF after bulk");
	e->type = RESP_TYPE_BULK;
	e->str = c->buf + start;
	e->len = (size_t)blen;
	c->pos = end + 2;
	return RESP_OK;
}

/* RESP3 type bytes: a reply in a protocol we never asked for. */
static bool
is_resp3_type(uint8_t b)
{
	return b != '\0' && strchr("_,#!=(%~>|", b) != NULL;
}

/*
 * One element at c->pos into e: a scalar whole, or an array's header.
 * budget is how many more elements the reply may still add after e and
 * every element already due: an array's count may not exceed it.
 */
static enum resp_status
read_elem(struct cursor *c, struct resp_elem *e, size_t budget)
{
	enum resp_status st;
	const uint8_t *s;
	int64_t count;
	size_t n;
	uint8_t mark;

	if (c->pos >= c->len)
		return RESP_NEED_MORE;
	switch ((mark = c->buf[c->pos])) {
	case '+':
	case '-':
		st = scan_text(c, &s, &n);
		if (st != RESP_OK)
			return st;
		e->type = mark == '+' ? RESP_TYPE_SIMPLE : RESP_TYPE_ERROR;
		e->str = s;
		e->len = n;
		return RESP_OK;
	case ':':
		return read_integer(c, e);
	case '$':
		return read_bulk(c, e);
	case '*':
		if (e->depth >= RESP_DEPTH_MAX)
			return fail(c, "nested too deep");
		st = read_length(c, budget, "bad array count",
		    "too many elements", &count);
		if (st != RESP_OK)
			return st;
		e->type = count == -1 ? RESP_TYPE_NULL_ARRAY : RESP_TYPE_ARRAY;
		e->count = count == -1 ? 0 : (size_t)count;
		return RESP_OK;
	default:
		if (is_resp3_type(mark))
			return fail(c, "RESP3 type (we never send HELLO 3)");
		return fail(c, "bad type byte");
	}
}

/*
 * Read one whole reply into r. due[d] is how many elements are still
 * to come at depth d, open[d] the index of the array they belong to;
 * ndue the sum of due[], which the element budget counts as spent.
 */
static enum resp_status
parse(struct cursor *c, struct resp_reply *r)
{
	size_t due[RESP_DEPTH_MAX + 1], open[RESP_DEPTH_MAX + 1];
	size_t ndue = 1;
	unsigned level = 0;
	enum resp_status st;

	r->nelems = 0;
	due[0] = 1;
	open[0] = 0;
	for (;;) {
		struct resp_elem *e;
		size_t idx;

		/* Close every array whose last element has been read. */
		while (due[level] == 0) {
			if (level == 0)
				return RESP_OK;
			r->elems[open[level]].end = r->nelems;
			level--;
		}
		/* Never reached: counts are checked against the budget. */
		if (r->nelems >= RESP_ELEMS_MAX)
			return fail(c, "too many elements");
		due[level]--;
		ndue--;
		idx = r->nelems++;
		e = &r->elems[idx];
		memset(e, 0, sizeof *e);
		e->depth = level;
		st = read_elem(c, e, RESP_ELEMS_MAX - r->nelems - ndue);
		if (st != RESP_OK)
			return st;
		e->end = r->nelems;
		if (e->type == RESP_TYPE_ARRAY && e->count > 0) {
			level++;
			due[level] = e->count;
			open[level] = idx;
			ndue += e->count;
		}
	}
}

enum resp_status
resp_parse(const uint8_t *buf, size_t len, struct resp_reply *out,
    size_t *used)
{
	/* Past RESP_REPLY_MAX nothing can help: read no further than that. */
	struct cursor c = { buf, len < RESP_REPLY_MAX ? len : RESP_REPLY_MAX,
	    0, NULL };
	enum resp_status st;

	*used = 0;
	out->why = NULL;
	st = parse(&c, out);
	switch (st) {
	case RESP_OK:
		*used = c.pos;
		break;
	case RESP_NEED_MORE:
		/* It wants bytes beyond the cap: it can only end too long. */
		if (len >= RESP_REPLY_MAX) {
			out->why = "reply too long";
			st = RESP_ERROR;
		}
		break;
	case RESP_ERROR:
		out->why = c.why;
		break;
	}
	return st;
}

/* Append n bytes at *pos; false (and nothing written) if they do not fit. */
static bool
append(uint8_t *buf, size_t cap, size_t *pos, const void *p, size_t n)
{
	if (n > cap - *pos)
		return false;
	memcpy(buf + *pos, p, n);
	*pos += n;
	return true;
}

static bool
append_header(uint8_t *buf, size_t cap, size_t *pos, char mark, size_t v)
{
	char h[RESP_HEADER_LEN_MAX + 1];
	int n = snprintf(h, sizeof h, "%c%zu\r\n", mark, v);

	return n > 0 && (size_t)n < sizeof h &&
	    append(buf, cap, pos, h, (size_t)n);
}

/* The command as an array of bulks; argvlen NULL: NUL-ended arguments. */
static size_t
encode(uint8_t *buf, size_t cap, size_t argc, const char *const *argv,
    const size_t *argvlen)
{
	size_t pos = 0, i, n;

	if (argc == 0 || !append_header(buf, cap, &pos, '*', argc))
		return 0;
	for (i = 0; i < argc; i++) {
		n = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		if (!append_header(buf, cap, &pos, '$', n) ||
		    !append(buf, cap, &pos, argv[i], n) ||
		    !append(buf, cap, &pos, "\r\n", 2))
			return 0;
	}
	return pos;
}

size_t
resp_encode_argv(uint8_t *buf, size_t cap, size_t argc,
    const char *const *argv, const size_t *argvlen)
{
	return encode(buf, cap, argc, argv, argvlen);
}

size_t
resp_encode_command(uint8_t *buf, size_t cap, size_t argc,
    const char *const *argv)
{
	return encode(buf, cap, argc, argv, NULL);
}

const struct resp_elem *
resp_root(const struct resp_reply *r)
{
	return r->nelems > 0 ? &r->elems[0] : NULL;
}

const struct resp_elem *
resp_child(const struct resp_reply *r, const struct resp_elem *a, size_t i)
{
	size_t idx, j, k;

	if (a == NULL || a < r->elems || a >= r->elems + r->nelems)
		return NULL;
	if (a->type != RESP_TYPE_ARRAY || i >= a->count)
		return NULL;
	idx = (size_t)(a - r->elems);
	/* Step over the subtrees of the siblings before it. */
	for (j = idx + 1, k = 0; k < i; k++)
		j = r->elems[j].end;
	return &r->elems[j];
}

bool
resp_str_eq(const struct resp_elem *e, const char *s)
{
	size_t n = strlen(s);

	return e != NULL &&
	    (e->type == RESP_TYPE_SIMPLE || e->type == RESP_TYPE_BULK) &&
	    e->len == n && memcmp(e->str, s, n) == 0;
}

bool
resp_is_status(const struct resp_reply *r, const char *s)
{
	const struct resp_elem *e = resp_root(r);

	return e != NULL && e->type == RESP_TYPE_SIMPLE && resp_str_eq(e, s);
}

bool
resp_is_ok(const struct resp_reply *r)
{
	return resp_is_status(r, "OK");
}

bool
resp_error_is(const struct resp_reply *r, const char *prefix)
{
	const struct resp_elem *e = resp_root(r);
	size_t n = strlen(prefix);

	return e != NULL && e->type == RESP_TYPE_ERROR && n > 0 &&
	    e->len >= n && memcmp(e->str, prefix, n) == 0 &&
	    (e->len == n || e->str[n] == ' ');
}

/*
 * Error texts as Redis 5..7 and Valkey send them. The code comes first
 * ("LOADING ..."); errors without their own code start with "ERR".
 */
static const struct {
	const char		*prefix;
	enum resp_error_kind	 kind;
} error_kinds[] = {
	{ "LOADING",			RESP_ERR_LOADING },
	{ "MASTERDOWN",			RESP_ERR_MASTERDOWN },
	{ "BUSY",			RESP_ERR_BUSY },
	{ "NOAUTH",			RESP_ERR_NOAUTH },
	{ "WRONGPASS",			RESP_ERR_WRONGPASS },
	{ "NOPERM",			RESP_ERR_NOPERM },
	/* 6.0 and later, then 5 and before. */
	{ "ERR AUTH <password> called without any password configured",
	  RESP_ERR_NO_PASSWORD },
	{ "ERR Client sent AUTH, but no password is set",
	  RESP_ERR_NO_PASSWORD },
	{ "ERR unknown command",	RESP_ERR_UNKNOWN_COMMAND },
	/* 7 ("ERR unknown subcommand 'x'. Try CLIENT HELP."), then 6. */
	{ "ERR unknown subcommand",	RESP_ERR_UNKNOWN_SUBCOMMAND },
	{ "ERR Unknown subcommand",	RESP_ERR_UNKNOWN_SUBCOMMAND },
};

enum resp_error_kind
resp_error_kind(const struct resp_reply *r)
{
	const struct resp_elem *e = resp_root(r);
	size_t i;

	if (e == NULL || e->type != RESP_TYPE_ERROR)
		return RESP_ERR_NONE;
	for (i = 0; i < NELEM(error_kinds); i++)
		if (resp_error_is(r, error_kinds[i].prefix))
			return error_kinds[i].kind;
	return RESP_ERR_OTHER;
}

const char *
resp_error_kind_name(enum resp_error_kind k)
{
	static const char *const names[] = {
		[RESP_ERR_NONE] = "none",
		[RESP_ERR_OTHER] = "other",
		[RESP_ERR_LOADING] = "LOADING",
		[RESP_ERR_MASTERDOWN] = "MASTERDOWN",
		[RESP_ERR_BUSY] = "BUSY",
		[RESP_ERR_NOAUTH] = "NOAUTH",
		[RESP_ERR_WRONGPASS] = "WRONGPASS",
		[RESP_ERR_NOPERM] = "NOPERM",
		[RESP_ERR_NO_PASSWORD] = "no-password",
		[RESP_ERR_UNKNOWN_COMMAND] = "unknown-command",
		[RESP_ERR_UNKNOWN_SUBCOMMAND] = "unknown-subcommand",
	};

	if ((size_t)k >= NELEM(names) || names[k] == NULL)
		return "unknown";
	return names[k];
}
