/*
 * fuzz_resp: lib/resp's reply parser over hostile bytes, driven the way
 * the server adapter drives it: parse the buffered bytes, drop the reply
 * it used, repeat until an error or a need for more bytes.
 *
 * Besides "no crash, no read past len" (ASan), it checks the promises of
 * resp.h: OK consumes 1..len bytes and NEED_MORE and ERROR none, ERROR
 * always says why and the others never do; a parsed reply is a well
 * formed tree within the caps (every array's children found by
 * resp_child at the next depth, every string inside the bytes the reply
 * used); the reply written back in canonical RESP parses to the same
 * tree; an array of bulks re-encoded by resp_encode_argv is the same
 * bytes; and no strict prefix of a reply is anything but NEED_MORE (the
 * parser is stateless and re-parses from the start). That last check is
 * quadratic: it runs on the first reply of an input only.
 *
 * Must never define anything global but LLVMFuzzerTestOneInput: the same
 * file is linked with libFuzzer (make fuzz) and with tests/fuzz_replay.c.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_resp: broken promise: %s\n", what);
		abort();
	}
}

/* The tree is well formed, inside the caps and inside buf[0..used). */
static void
check_tree(const struct resp_reply *r, const uint8_t *buf, size_t used)
{
	size_t i, k;

	check(r->nelems >= 1 && r->nelems <= RESP_ELEMS_MAX, "nelems");
	check(r->elems[0].depth == 0, "root depth");
	check(r->elems[0].end == r->nelems, "root subtree");
	check(resp_root(r) == &r->elems[0], "resp_root");
	for (i = 0; i < r->nelems; i++) {
		const struct resp_elem *e = &r->elems[i], *c;

		check(e->end > i && e->end <= r->nelems, "end out of range");
		check(e->depth <= RESP_DEPTH_MAX, "depth over the cap");
		check(e->type >= RESP_TYPE_SIMPLE &&
		    e->type <= RESP_TYPE_NULL_ARRAY, "unknown type");
		if (e->type == RESP_TYPE_SIMPLE || e->type == RESP_TYPE_ERROR) {
			check(e->len <= RESP_LINE_MAX, "line over the cap");
			check(memchr(e->str, '\r', e->len) == NULL &&
			    memchr(e->str, '\n', e->len) == NULL &&
			    memchr(e->str, '\0', e->len) == NULL,
			    "CR, LF or NUL in a line");
		}
		if (e->type == RESP_TYPE_SIMPLE || e->type == RESP_TYPE_ERROR ||
		    e->type == RESP_TYPE_BULK) {
			check(e->len <= RESP_BULK_MAX, "bulk over the cap");
			check(e->str >= buf && e->str + e->len <= buf + used,
			    "string outside the reply");
		}
		if (e->type != RESP_TYPE_ARRAY) {
			check(e->end == i + 1, "a leaf with a subtree");
			check(resp_child(r, e, 0) == NULL, "a leaf's child");
			continue;
		}
		check(e->depth < RESP_DEPTH_MAX, "array too deep");
		for (k = 0; (c = resp_child(r, e, k)) != NULL; k++) {
			check(c->depth == e->depth + 1, "child depth");
			check(c > e && c < r->elems + e->end,
			    "child outside its parent");
		}
		check(k == e->count, "child count");
		check(e->count > 0 || e->end == i + 1, "empty array");
	}
}

/* Append the canonical RESP of element i (and its subtree) to out. */
static size_t
write_elem(const struct resp_reply *r, size_t i, uint8_t *out, size_t pos)
{
	const struct resp_elem *e = &r->elems[i];
	size_t j;

	switch (e->type) {
	case RESP_TYPE_SIMPLE:
	case RESP_TYPE_ERROR:
		out[pos++] = e->type == RESP_TYPE_SIMPLE ? '+' : '-';
		memcpy(out + pos, e->str, e->len);
		pos += e->len;
		memcpy(out + pos, "\r\n", 2);
		return pos + 2;
	case RESP_TYPE_INTEGER:
		return pos + (size_t)sprintf((char *)out + pos, ":%" PRId64
		    "\r\n", e->integer);
	case RESP_TYPE_BULK:
		pos += (size_t)sprintf((char *)out + pos, "$%zu\r\n", e->len);
		memcpy(out + pos, e->str, e->len);
		pos += e->len;
		memcpy(out + pos, "\r\n", 2);
		return pos + 2;
	case RESP_TYPE_NULL_BULK:
		memcpy(out + pos, "$-1\r\n", 5);
		return pos + 5;
	case RESP_TYPE_NULL_ARRAY:
		memcpy(out + pos, "*-1\r\n", 5);
		return pos + 5;
	case RESP_TYPE_ARRAY:
		pos += (size_t)sprintf((char *)out + pos, "*%zu\r\n",
		    e->count);
		for (j = i + 1; j < e->end; j = r->elems[j].end)
			pos = write_elem(r, j, out, pos);
		return pos;
	}
	check(0, "unknown type");
	return pos;
}

static void
check_same(const struct resp_reply *a, const struct resp_reply *b)
{
	size_t i;

	check(a->nelems == b->nelems, "round trip: nelems");
	for (i = 0; i < a->nelems; i++) {
		const struct resp_elem *x = &a->elems[i], *y = &b->elems[i];

		check(x->type == y->type && x->depth == y->depth &&
		    x->end == y->end, "round trip: shape");
		if (x->type == RESP_TYPE_INTEGER)
			check(x->integer == y->integer, "round trip: integer");
		if (x->type == RESP_TYPE_ARRAY)
			check(x->count == y->count, "round trip: count");
		if (x->type == RESP_TYPE_SIMPLE || x->type == RESP_TYPE_ERROR ||
		    x->type == RESP_TYPE_BULK)
			check(x->len == y->len &&
			    memcmp(x->str, y->str, x->len) == 0,
			    "round trip: bytes");
	}
}

/*
 * Written back canonically (no leading zeros, no "-0"), a reply is never
 * longer than what was read and parses to the same tree; an array of
 * bulks is exactly what resp_encode_argv makes of its elements.
 */
static void
check_round_trip(const struct resp_reply *r, size_t used)
{
	const char *argv[RESP_ELEMS_MAX];
	size_t lens[RESP_ELEMS_MAX], n, u, i, argc = 0;
	struct resp_reply *again = malloc(sizeof *again);
	/* Room for sprintf's NUL after the last header it writes. */
	uint8_t *out = malloc(used + 32), *enc;
	int bulks = r->elems[0].type == RESP_TYPE_ARRAY;

	check(again != NULL && out != NULL, "out of memory");
	n = write_elem(r, 0, out, 0);
	check(n <= used, "canonical form longer");
	check(resp_parse(out, n, again, &u) == RESP_OK && u == n,
	    "canonical form does not parse");
	check_same(r, again);
	for (i = 1; i < r->nelems && bulks; i++) {
		bulks = r->elems[i].type == RESP_TYPE_BULK;
		argv[argc] = (const char *)r->elems[i].str;
		lens[argc++] = r->elems[i].len;
	}
	if (bulks && argc > 0) {
		enc = malloc(n);
		check(enc != NULL, "out of memory");
		check(resp_encode_argv(enc, n, argc, argv, lens) == n &&
		    memcmp(enc, out, n) == 0, "encoder differs");
		check(n == 0 || resp_encode_argv(enc, n - 1, argc, argv,
		    lens) == 0, "encoder overran its cap");
		free(enc);
	}
	free(out);
	free(again);
}

/* The helpers answer anything without tripping. */
static void
check_helpers(const struct resp_reply *r)
{
	enum resp_error_kind k = resp_error_kind(r);
	const char *name = resp_error_kind_name(k);

	check(name != NULL && name[0] != '\0', "kind name");
	check((k == RESP_ERR_NONE) ==
	    (r->elems[0].type != RESP_TYPE_ERROR), "error kind of a non-error");
	if (resp_is_ok(r))
		check(r->elems[0].type == RESP_TYPE_SIMPLE &&
		    r->elems[0].len == 2, "+OK");
}

/* Every strict prefix of what was used is only "need more". */
static void
check_prefixes(const uint8_t *p, size_t used, struct resp_reply *scratch)
{
	size_t k, u;

	for (k = 0; k < used; k++)
		check(resp_parse(p, k, scratch, &u) == RESP_NEED_MORE &&
		    u == 0, "a prefix of a reply is not NEED_MORE");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_reply *r = malloc(sizeof *r);
	size_t off = 0;
	int first = 1;

	check(r != NULL, "out of memory");
	for (;;) {
		size_t used = 99999;
		enum resp_status st;

		st = resp_parse(data + off, size - off, r, &used);
		if (st == RESP_OK) {
			check(used > 0 && used <= size - off,
			    "used out of range");
			check(r->why == NULL, "why set without an error");
			check_tree(r, data + off, used);
			check_helpers(r);
			check_round_trip(r, used);
			if (first)
				check_prefixes(data + off, used, r);
			first = 0;
			off += used;
			continue;
		}
		check(used == 0, "used set without a reply");
		if (st == RESP_NEED_MORE)
			check(r->why == NULL, "need more with a reason");
		else
			check(st == RESP_ERROR && r->why != NULL &&
			    r->why[0] != '\0', "error without why");
		break;
	}
	free(r);
	return 0;
}
