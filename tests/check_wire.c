/*
 * Check suite for lib/wire: byte-exact frames against the spec, and a
 * decoder that holds up against hostile bytes. Every decode runs on a heap
 * copy of exactly the given length so ASan flags any read past len.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "runner.h"

/* A literal as (bytes, length), embedded NULs included. */
#define S(x) (const uint8_t *)(x), (sizeof(x) - 1)

static const char hb_golden[] =
    "*5\r\n$2\r\nHB\r\n$2\r\n42\r\n$12\r\nprimary-east\r\n"
    "$7\r\nprimary\r\n$7\r\n1234567\r\n";
static const char offer_golden[] =
    "*4\r\n$5\r\nOFFER\r\n$2\r\n43\r\n$9\r\nreplica-1\r\n$7\r\n1234567\r\n";
static const char accept_golden[] =
    "*3\r\n$6\r\nACCEPT\r\n$2\r\n43\r\n$9\r\nreplica-2\r\n";
static const char announce_golden[] =
    "*4\r\n$8\r\nANNOUNCE\r\n$2\r\n43\r\n$9\r\nreplica-1\r\n"
    "$13\r\n10.0.0.2:6379\r\n";

static enum wire_status
dec(const uint8_t *p, size_t len, struct wire_frame *f, size_t *used,
    const char **why)
{
	uint8_t *h = malloc(len > 0 ? len : 1);
	enum wire_status st;

	ck_assert_ptr_nonnull(h);
	if (len > 0)
		memcpy(h, p, len);
	st = wire_decode(h, len, f, used, why);
	free(h);
	return st;
}

static struct wire_frame
frame(enum wire_verb v, uint64_t epoch, const char *id, enum wire_role r,
    uint64_t off, const char *addr)
{
	struct wire_frame f;

	memset(&f, 0, sizeof f);
	f.verb = v;
	f.epoch = epoch;
	snprintf(f.id, sizeof f.id, "%s", id);
	f.role = r;
	f.offset = off;
	snprintf(f.addr, sizeof f.addr, "%s", addr);
	return f;
}

static void
assert_encodes(const struct wire_frame *f, const char *want)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t n = wire_encode(f, buf, sizeof buf);

	ck_assert_uint_eq(n, strlen(want));
	ck_assert_mem_eq(buf, want, n);
}

START_TEST(test_golden_encode)
{
	struct wire_frame f;

	f = frame(WIRE_HB, 42, "primary-east", WIRE_ROLE_PRIMARY, 1234567, "");
	assert_encodes(&f, hb_golden);
	f = frame(WIRE_OFFER, 43, "replica-1", 0, 1234567, "");
	assert_encodes(&f, offer_golden);
	f = frame(WIRE_ACCEPT, 43, "replica-2", 0, 0, "");
	assert_encodes(&f, accept_golden);
	f = frame(WIRE_ANNOUNCE, 43, "replica-1", 0, 0, "10.0.0.2:6379");
	assert_encodes(&f, announce_golden);
	f = frame(WIRE_HB, 0, "r", WIRE_ROLE_CANDIDATE, UINT64_MAX, "");
	assert_encodes(&f, "*5\r\n$2\r\nHB\r\n$1\r\n0\r\n$1\r\nr\r\n"
	    "$9\r\ncandidate\r\n$20\r\n18446744073709551615\r\n");
	f = frame(WIRE_HB, 1, "r", WIRE_ROLE_REPLICA, 10, "");
	assert_encodes(&f, "*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\nr\r\n"
	    "$7\r\nreplica\r\n$2\r\n10\r\n");
}
END_TEST

START_TEST(test_golden_decode)
{
	struct wire_frame f;
	size_t used;
	const char *why;

	ck_assert_int_eq(dec(S(hb_golden), &f, &used, &why), WIRE_OK);
	ck_assert_uint_eq(used, sizeof hb_golden - 1);
	ck_assert_int_eq(f.verb, WIRE_HB);
	ck_assert_uint_eq(f.epoch, 42);
	ck_assert_str_eq(f.id, "primary-east");
	ck_assert_int_eq(f.role, WIRE_ROLE_PRIMARY);
	ck_assert_uint_eq(f.offset, 1234567);

	ck_assert_int_eq(dec(S(offer_golden), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_OFFER);
	ck_assert_uint_eq(f.epoch, 43);
	ck_assert_str_eq(f.id, "replica-1");
	ck_assert_uint_eq(f.offset, 1234567);

	ck_assert_int_eq(dec(S(accept_golden), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_ACCEPT);
	ck_assert_str_eq(f.id, "replica-2");

	ck_assert_int_eq(dec(S(announce_golden), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_ANNOUNCE);
	ck_assert_str_eq(f.id, "replica-1");
	ck_assert_str_eq(f.addr, "10.0.0.2:6379");
	ck_assert_uint_eq(used, sizeof announce_golden - 1);
}
END_TEST

static void
assert_same(const struct wire_frame *a, const struct wire_frame *b)
{
	ck_assert_int_eq(a->verb, b->verb);
	ck_assert_uint_eq(a->epoch, b->epoch);
	ck_assert_str_eq(a->id, b->id);
	if (a->verb == WIRE_HB)
		ck_assert_int_eq(a->role, b->role);
	if (a->verb == WIRE_HB || a->verb == WIRE_OFFER)
		ck_assert_uint_eq(a->offset, b->offset);
	if (a->verb == WIRE_ANNOUNCE)
		ck_assert_str_eq(a->addr, b->addr);
}

START_TEST(test_roundtrip)
{
	const char id32[] = "abcdefghijklmnopqrstuvwxyz012345";
	struct wire_frame in[] = {
		frame(WIRE_HB, 0, "a", WIRE_ROLE_PRIMARY, 0, ""),
		frame(WIRE_HB, UINT64_MAX, id32, WIRE_ROLE_REPLICA,
		    UINT64_MAX, ""),
		frame(WIRE_HB, 7, "n~!", WIRE_ROLE_CANDIDATE, 99, ""),
		frame(WIRE_OFFER, 1, "replica-1", 0, 123, ""),
		frame(WIRE_ACCEPT, 1ULL << 63, "x", 0, 0, ""),
		frame(WIRE_ANNOUNCE, 5, "p", 0, 0, "[::1]:6379"),
	};
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_frame out;
	size_t i, n, used;
	const char *why;

	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		n = wire_encode(&in[i], buf, sizeof buf);
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(dec(buf, n, &out, &used, &why), WIRE_OK);
		ck_assert_uint_eq(used, n);
		assert_same(&in[i], &out);
	}
	/* An addr at its cap still round-trips. */
	in[5].addr[WIRE_ADDR_MAX] = '\0';
	memset(in[5].addr, 'a', WIRE_ADDR_MAX);
	n = wire_encode(&in[5], buf, sizeof buf);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(dec(buf, n, &out, &used, &why), WIRE_OK);
	assert_same(&in[5], &out);
}
END_TEST

START_TEST(test_case_insensitive)
{
	struct wire_frame f;
	size_t used;
	const char *why;

	ck_assert_int_eq(dec(S("*5\r\n$2\r\nhb\r\n$1\r\n1\r\n$1\r\na\r\n"
	    "$7\r\nPRIMARY\r\n$1\r\n0\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_HB);
	ck_assert_int_eq(f.role, WIRE_ROLE_PRIMARY);
	ck_assert_int_eq(dec(S("*5\r\n$2\r\nHb\r\n$1\r\n1\r\n$1\r\na\r\n"
	    "$7\r\nRePlIcA\r\n$1\r\n0\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.role, WIRE_ROLE_REPLICA);
	ck_assert_int_eq(dec(S("*5\r\n$2\r\nhB\r\n$1\r\n1\r\n$1\r\na\r\n"
	    "$9\r\nCandidate\r\n$1\r\n0\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.role, WIRE_ROLE_CANDIDATE);
	ck_assert_int_eq(dec(S("*4\r\n$5\r\noffer\r\n$1\r\n1\r\n$1\r\na\r\n"
	    "$1\r\n0\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_OFFER);
	ck_assert_int_eq(dec(S("*3\r\n$6\r\nAccept\r\n$1\r\n1\r\n$1\r\na\r\n"),
	    &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_ACCEPT);
	ck_assert_int_eq(dec(S("*4\r\n$8\r\nannounce\r\n$1\r\n1\r\n$1\r\na\r\n"
	    "$3\r\nh:1\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(f.verb, WIRE_ANNOUNCE);
	/* Ids are opaque: their case is kept, not folded. */
	ck_assert_str_eq(f.id, "a");
}
END_TEST

/* Every proper prefix waits, the whole frame decodes; extra bytes stay. */
static void
assert_incremental(const char *frm)
{
	size_t len = strlen(frm), i, used;
	struct wire_frame f;
	const char *why;
	uint8_t buf[WIRE_FRAME_MAX + 8];

	for (i = 0; i < len; i++) {
		ck_assert_msg(dec((const uint8_t *)frm, i, &f, &used, &why) ==
		    WIRE_NEED_MORE, "prefix %zu of %zu not NEED_MORE", i, len);
		ck_assert_uint_eq(used, 0);
	}
	ck_assert_int_eq(dec((const uint8_t *)frm, len, &f, &used, &why),
	    WIRE_OK);
	ck_assert_uint_eq(used, len);
	memcpy(buf, frm, len);
	memcpy(buf + len, "*5\r\n$2", 6);
	ck_assert_int_eq(dec(buf, len + 6, &f, &used, &why), WIRE_OK);
	ck_assert_uint_eq(used, len);
}

START_TEST(test_byte_by_byte)
{
	assert_incremental(hb_golden);
	assert_incremental(offer_golden);
	assert_incremental(accept_golden);
	assert_incremental(announce_golden);
}
END_TEST

START_TEST(test_back_to_back)
{
	uint8_t buf[4 * WIRE_FRAME_MAX];
	size_t n = 0, pos = 0, used;
	struct wire_frame f;
	const char *why;
	enum wire_verb got[8];
	int nframes = 0, nskips = 0;

	memcpy(buf + n, hb_golden, sizeof hb_golden - 1);
	n += sizeof hb_golden - 1;
	memcpy(buf + n, accept_golden, sizeof accept_golden - 1);
	n += sizeof accept_golden - 1;
	memcpy(buf + n, "\r\n*0\r\n\n", 7);
	n += 7;
	memcpy(buf + n, announce_golden, sizeof announce_golden - 1);
	n += sizeof announce_golden - 1;

	while (pos < n) {
		enum wire_status st = dec(buf + pos, n - pos, &f, &used, &why);

		ck_assert(st == WIRE_OK || st == WIRE_SKIP);
		ck_assert_uint_gt(used, 0);
		if (st == WIRE_OK)
			got[nframes++] = f.verb;
		else
			nskips++;
		pos += used;
	}
	ck_assert_uint_eq(pos, n);
	ck_assert_int_eq(nframes, 3);
	ck_assert_int_eq(nskips, 3);
	ck_assert_int_eq(got[0], WIRE_HB);
	ck_assert_int_eq(got[1], WIRE_ACCEPT);
	ck_assert_int_eq(got[2], WIRE_ANNOUNCE);
}
END_TEST

START_TEST(test_skip_filler)
{
	struct wire_frame f;
	size_t used;
	const char *why;

	ck_assert_int_eq(dec(S("*0\r\n"), &f, &used, &why), WIRE_SKIP);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(dec(S("*0\r\n*3\r\n"), &f, &used, &why), WIRE_SKIP);
	ck_assert_uint_eq(used, 4);
	/* A blank line before a frame: filler unless the frame is marked. */
	ck_assert_int_eq(dec(S("\r\n*5"), &f, &used, &why), WIRE_NEED_MORE);
	ck_assert_int_eq(dec(S("\r\n"), &f, &used, &why), WIRE_NEED_MORE);
	ck_assert_int_eq(dec(S("\r\n\r\n"), &f, &used, &why), WIRE_SKIP);
	ck_assert_uint_eq(used, 2);
	ck_assert_int_eq(dec(S("\r\n*0\r\n"), &f, &used, &why), WIRE_SKIP);
	ck_assert_uint_eq(used, 2);
	ck_assert_int_eq(dec(S("\n"), &f, &used, &why), WIRE_SKIP);
	ck_assert_uint_eq(used, 1);
	/* Partial filler waits like any frame. */
	ck_assert_int_eq(dec(S("\r"), &f, &used, &why), WIRE_NEED_MORE);
	ck_assert_int_eq(dec(S("*0"), &f, &used, &why), WIRE_NEED_MORE);
	ck_assert_int_eq(dec(S("*0\r"), &f, &used, &why), WIRE_NEED_MORE);
	ck_assert_int_eq(dec(S(""), &f, &used, &why), WIRE_NEED_MORE);
}
END_TEST

/*
 * The quiet mark: a CRLF right before an ACCEPT or ANNOUNCE travels with
 * it; before any other frame it stays filler, and so does a bare LF.
 */
START_TEST(test_quiet_mark)
{
	static const enum wire_verb verbs[] = { WIRE_HB, WIRE_OFFER,
	    WIRE_ACCEPT, WIRE_ANNOUNCE };
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_frame f, g;
	size_t n, used;
	const char *why;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		bool marks = verbs[i] == WIRE_ACCEPT ||
		    verbs[i] == WIRE_ANNOUNCE;

		memset(&f, 0, sizeof f);
		f.verb = verbs[i];
		f.epoch = 7;
		f.offset = 9;
		f.role = WIRE_ROLE_REPLICA;
		snprintf(f.id, sizeof f.id, "n2");
		snprintf(f.addr, sizeof f.addr, "127.0.0.1:6379");
		f.quiet = true;
		n = wire_encode(&f, buf, sizeof buf);
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(buf[0] == '\r', marks);
		ck_assert_int_eq(wire_decode(buf, n, &g, &used, &why), WIRE_OK);
		ck_assert_uint_eq(used, n);
		ck_assert_int_eq(g.verb, f.verb);
		ck_assert_int_eq(g.quiet, marks);
		/* Unmarked, the same frame decodes without the mark. */
		f.quiet = false;
		n = wire_encode(&f, buf, sizeof buf);
		ck_assert_int_eq(wire_decode(buf, n, &g, &used, &why), WIRE_OK);
		ck_assert(!g.quiet);
		/* A mark cut off from its frame is a prefix: wait. */
		if (marks) {
			f.quiet = true;
			n = wire_encode(&f, buf, sizeof buf);
			ck_assert_int_eq(wire_decode(buf, n - 1, &g, &used,
			    &why), WIRE_NEED_MORE);
			ck_assert_int_eq(wire_decode(buf, 2, &g, &used, &why),
			    WIRE_NEED_MORE);
		}
	}
	/* A blank line before an HB is filler; the HB follows unmarked. */
	ck_assert_int_eq(dec(S("\r\n*5\r\n$2\r\nHB\r\n$1\r\n1\r\n"
	    "$1\r\na\r\n$7\r\nprimary\r\n$1\r\n0\r\n"), &g, &used, &why),
	    WIRE_SKIP);
	ck_assert_uint_eq(used, 2);
	/* A bare LF never marks. */
	ck_assert_int_eq(dec(S("\n*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n"
	    "$1\r\na\r\n"), &g, &used, &why), WIRE_SKIP);
	ck_assert_uint_eq(used, 1);
	/* A broken frame after a mark fails on its own, one call later. */
	ck_assert_int_eq(dec(S("\r\n*3\r\n$6\r\nACCEPX\r\n"), &g, &used,
	    &why), WIRE_SKIP);
	ck_assert_int_eq(dec(S("*3\r\n$6\r\nACCEPX\r\n"), &g, &used, &why),
	    WIRE_ERROR);
}
END_TEST

START_TEST(test_inline_rejected)
{
	struct wire_frame f;
	size_t used;
	const char *why;

	ck_assert_int_eq(dec(S("HB 1 a primary 0\r\n"), &f, &used, &why),
	    WIRE_ERROR);
	ck_assert_str_eq(why, "inline command rejected");
	/* Fail on the first byte: no need to wait for the line end. */
	ck_assert_int_eq(dec(S("H"), &f, &used, &why), WIRE_ERROR);
	ck_assert_int_eq(dec(S("hb 1 a primary 0\n"), &f, &used, &why),
	    WIRE_ERROR);
	ck_assert_int_eq(dec(S(" *5\r\n"), &f, &used, &why), WIRE_ERROR);
}
END_TEST

/* Raw inputs and the reason each must be refused with. */
static const struct {
	const uint8_t	*p;
	size_t		 len;
	const char	*why;
} bad[] = {
	/* envelope: counts */
	{ S("*-1\r\n"), "bad array count" },
	{ S("*-5\r\n"), "bad array count" },
	{ S("*+5\r\n"), "bad array count" },
	{ S("* 5\r\n"), "bad array count" },
	{ S("*5 \r\n"), "bad array count" },
	{ S("*x5\r\n"), "bad array count" },
	{ S("*\r\n"), "bad array count" },
	{ S("*6\r\n"), "bad array count" },
	{ S("*99\r\n"), "bad array count" },
	{ S("*00000000000005\r\n"), "header line too long" },
	{ S("*1\r\n$2\r\nHB\r\n"), "wrong element count" },
	{ S("*2\r\n$2\r\nHB\r\n$1\r\n1\r\n"), "wrong element count" },
	{ S("*4\r\n$2\r\nHB\r\n"), "wrong element count" },
	{ S("*5\r\n$6\r\nACCEPT\r\n"), "wrong element count" },
	{ S("*3\r\n$5\r\nOFFER\r\n"), "wrong element count" },
	{ S("*5\r\n$8\r\nANNOUNCE\r\n"), "wrong element count" },
	/* envelope: bulk lengths and types */
	{ S("*3\r\n$-1\r\n"), "bad bulk length" },
	{ S("*3\r\n$+2\r\nHB\r\n"), "bad bulk length" },
	{ S("*3\r\n$ 2\r\nHB\r\n"), "bad bulk length" },
	{ S("*3\r\n$2 \r\nHB\r\n"), "bad bulk length" },
	{ S("*3\r\n$\r\n"), "bad bulk length" },
	{ S("*3\r\n$256\r\n"), "bad bulk length" },
	{ S("*3\r\n$0002\r\nHB\r\n"), "wrong element count" },
	{ S("*3\r\n:3\r\n"), "expected bulk string" },
	{ S("*3\r\n+HB\r\n"), "expected bulk string" },
	{ S("*3\r\n*1\r\n"), "expected bulk string" },
	{ S("*3\r\n\r\n"), "expected bulk string" },
	{ S("*3\r\n$6\r\nACCEPT\r\n:1\r\n"), "expected bulk string" },
	/* envelope: line ends */
	{ S("*3\n"), "bare LF" },
	{ S("*3\r\n$6\nACCEPT\r\n"), "bare LF" },
	{ S("*3\r\n$6\r\nACCEPT\n"), "bare LF" },
	{ S("*3\rX"), "bad line end" },
	{ S("\rX"), "bad line end" },
	{ S("\r\r\n"), "bad line end" },
	{ S("*3\r\n$6\r\nACCEPTX\r\n"), "missing CRLF after bulk" },
	{ S("*3\r\n$6\r\nACCEPT\rX"), "missing CRLF after bulk" },
	{ S("*3\r\n$6\r\nACCEPT\r\r"), "missing CRLF after bulk" },
	{ S("*3\r\n$2\r\nACCEPT\r\n"), "missing CRLF after bulk" },
	/* verbs */
	{ S("*3\r\n$2\r\nHX\r\n"), "unknown verb" },
	{ S("*3\r\n$3\r\nHBB\r\n"), "unknown verb" },
	{ S("*3\r\n$4\r\nPING\r\n"), "unknown verb" },
	{ S("*3\r\n$9\r\nANNOUNCEX\r\n"), "unknown verb" },
	{ S("*3\r\n$0\r\n\r\n"), "unknown verb" },
	{ S("*3\r\n$2\r\nH\0\r\n"), "unknown verb" },
	/* numbers */
	{ S("*3\r\n$6\r\nACCEPT\r\n$2\r\n-1\r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$2\r\n+1\r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$2\r\n 1\r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$2\r\n1 \r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$3\r\n0x1\r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$3\r\n1.5\r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$0\r\n\r\n$1\r\na\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$21\r\n"), "bad epoch" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$20\r\n18446744073709551616\r\n"),
	  "bad epoch" },
	{ S("*4\r\n$5\r\nOFFER\r\n$1\r\n1\r\n$1\r\na\r\n$2\r\n-0\r\n"),
	  "bad offset" },
	{ S("*4\r\n$5\r\nOFFER\r\n$1\r\n1\r\n$1\r\na\r\n"
	  "$20\r\n99999999999999999999\r\n"), "bad offset" },
	/* ids */
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$0\r\n\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$3\r\na b\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$3\r\na\tb\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$3\r\na\0b\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$2\r\na\x7f\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$2\r\na\x80\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$2\r\n\xc3\xa9\r\n"), "bad id" },
	{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$33\r\n"), "bad id" },
	/* roles */
	{ S("*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\na\r\n$6\r\nleader\r\n"),
	  "unknown role" },
	{ S("*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\na\r\n$8\r\nprimaryx\r\n"),
	  "unknown role" },
	{ S("*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\na\r\n$8\r\ncandidat\r\n"),
	  "unknown role" },
	{ S("*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\na\r\n$0\r\n\r\n"),
	  "unknown role" },
	{ S("*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\na\r\n$10\r\n"),
	  "unknown role" },
	/* addresses */
	{ S("*4\r\n$8\r\nANNOUNCE\r\n$1\r\n1\r\n$1\r\na\r\n$0\r\n\r\n"),
	  "bad addr" },
	{ S("*4\r\n$8\r\nANNOUNCE\r\n$1\r\n1\r\n$1\r\na\r\n$4\r\nh :1\r\n"),
	  "bad addr" },
	{ S("*4\r\n$8\r\nANNOUNCE\r\n$1\r\n1\r\n$1\r\na\r\n$4\r\nh\n:1\r\n"),
	  "bad addr" },
	{ S("*4\r\n$8\r\nANNOUNCE\r\n$1\r\n1\r\n$1\r\na\r\n$4\r\nh\xff:1\r\n"),
	  "bad addr" },
	{ S("*4\r\n$8\r\nANNOUNCE\r\n$1\r\n1\r\n$1\r\na\r\n$256\r\n"),
	  "bad bulk length" },
	/* not an array at all */
	{ S("HB 1 a primary 0\r\n"), "inline command rejected" },
	{ S("$2\r\nHB\r\n"), "inline command rejected" },
	{ S("+OK\r\n"), "inline command rejected" },
	{ S(":1\r\n"), "inline command rejected" },
	{ S("\0"), "inline command rejected" },
};

START_TEST(test_rejects)
{
	struct wire_frame f;
	size_t used = 99;
	const char *why = NULL;

	memset(&f, 0xa5, sizeof f);
	ck_assert_msg(dec(bad[_i].p, bad[_i].len, &f, &used, &why) ==
	    WIRE_ERROR, "case %d accepted", _i);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strcmp(why, bad[_i].why) == 0,
	    "case %d: why \"%s\", want \"%s\"", _i, why, bad[_i].why);
	ck_assert_uint_eq(used, 0);
	/* A refused frame leaves *out alone. */
	ck_assert_uint_eq(((uint8_t *)&f)[0], 0xa5);
	/* why is optional. */
	ck_assert_int_eq(wire_decode(bad[_i].p, bad[_i].len, &f, &used, NULL),
	    WIRE_ERROR);
}
END_TEST

/* A provably bad prefix fails at once rather than waiting for more. */
START_TEST(test_fail_early)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} early[] = {
		{ S("*9") }, { S("*6") }, { S("*-") }, { S("* ") },
		{ S("*00000000000000") }, { S("*3\r\n$999") },
		{ S("*3\r\n$9") }, { S("*3\r\n$6\r\nACCEPT\r\n$21") },
		{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$33") },
		{ S("*3\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n$00000000000000") },
		{ S("*5\r\n$2\r\nHB\r\n$1\r\n1\r\n$1\r\na\r\n$10") },
		{ S("*3\r\n$4\r\nPING\r\n") }, { S("*4\r\n$2\r\nHB\r\n") },
	};
	struct wire_frame f;
	size_t i, used;
	const char *why;

	for (i = 0; i < sizeof early / sizeof early[0]; i++)
		ck_assert_msg(dec(early[i].p, early[i].len, &f, &used, &why) ==
		    WIRE_ERROR, "early case %zu waits", i);
	/* ...but a header at exactly its cap is still fine. */
	ck_assert_int_eq(dec(S("*0000000000003\r\n$6\r\nACCEPT\r\n$1\r\n1\r\n"
	    "$1\r\na\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_int_eq(dec(S("*0000000000000"), &f, &used, &why),
	    WIRE_NEED_MORE);
}
END_TEST

/* An ACCEPT from an id of n bytes of 'i'. */
static size_t
accept_with_id(uint8_t *buf, size_t n)
{
	size_t len = (size_t)snprintf((char *)buf, 64,
	    "*3\r\n$6\r\nACCEPT\r\n$1\r\n7\r\n$%zu\r\n", n);

	memset(buf + len, 'i', n);
	memcpy(buf + len + n, "\r\n", 2);
	return len + n + 2;
}

START_TEST(test_id_limits)
{
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_frame f;
	size_t n, used;
	const char *why;

	n = accept_with_id(buf, 32);
	ck_assert_int_eq(dec(buf, n, &f, &used, &why), WIRE_OK);
	ck_assert_uint_eq(strlen(f.id), 32);
	n = accept_with_id(buf, 33);
	ck_assert_int_eq(dec(buf, n, &f, &used, &why), WIRE_ERROR);
	ck_assert_str_eq(why, "bad id");
	n = accept_with_id(buf, 1);
	ck_assert_int_eq(dec(buf, n, &f, &used, &why), WIRE_OK);

	ck_assert(wire_id_is_valid("a", 1));
	ck_assert(wire_id_is_valid("abcdefghijklmnopqrstuvwxyz012345", 32));
	ck_assert(!wire_id_is_valid("abcdefghijklmnopqrstuvwxyz0123456", 33));
	ck_assert(!wire_id_is_valid("", 0));
	ck_assert(!wire_id_is_valid("a b", 3));
	ck_assert(!wire_id_is_valid("a\0b", 3));
	ck_assert(!wire_id_is_valid("\x7f", 1));
	ck_assert(!wire_id_is_valid("\x80", 1));
	ck_assert(!wire_id_is_valid(NULL, 1));
}
END_TEST

START_TEST(test_u64_limits)
{
	struct wire_frame f;
	size_t used;
	const char *why;

	ck_assert_int_eq(dec(S("*4\r\n$5\r\nOFFER\r\n"
	    "$20\r\n18446744073709551615\r\n$1\r\na\r\n"
	    "$20\r\n18446744073709551615\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_uint_eq(f.epoch, UINT64_MAX);
	ck_assert_uint_eq(f.offset, UINT64_MAX);
	ck_assert_int_eq(dec(S("*4\r\n$5\r\nOFFER\r\n"
	    "$20\r\n18446744073709551616\r\n$1\r\na\r\n$1\r\n0\r\n"),
	    &f, &used, &why), WIRE_ERROR);
	ck_assert_str_eq(why, "bad epoch");
	ck_assert_int_eq(dec(S("*4\r\n$5\r\nOFFER\r\n$1\r\n0\r\n$1\r\na\r\n"
	    "$20\r\n18446744073709551616\r\n"), &f, &used, &why), WIRE_ERROR);
	ck_assert_str_eq(why, "bad offset");
	/* Zero and leading zeros are plain decimal, as the reference reads. */
	ck_assert_int_eq(dec(S("*4\r\n$5\r\nOFFER\r\n$1\r\n0\r\n$1\r\na\r\n"
	    "$3\r\n007\r\n"), &f, &used, &why), WIRE_OK);
	ck_assert_uint_eq(f.epoch, 0);
	ck_assert_uint_eq(f.offset, 7);
}
END_TEST

START_TEST(test_encode_refuses)
{
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_frame f;
	size_t n, cap;

	f = frame(WIRE_ACCEPT, 1, "", 0, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_ACCEPT, 1, "a b", 0, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_ACCEPT, 1, "a\tb", 0, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_ACCEPT, 1, "\xc3\xa9", 0, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	/* An id filling the array with no NUL is 33 bytes: too long. */
	memset(f.id, 'x', sizeof f.id);
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_HB, 1, "a", 0, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_HB, 1, "a", (enum wire_role)4, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame((enum wire_verb)0, 1, "a", WIRE_ROLE_PRIMARY, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame((enum wire_verb)5, 1, "a", WIRE_ROLE_PRIMARY, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_ANNOUNCE, 1, "a", 0, 0, "");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	f = frame(WIRE_ANNOUNCE, 1, "a", 0, 0, "h :1");
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);
	memset(f.addr, 'h', sizeof f.addr);
	ck_assert_uint_eq(wire_encode(&f, buf, sizeof buf), 0);

	/* Too small by any amount: nothing; exact fit: everything. */
	f = frame(WIRE_HB, 42, "primary-east", WIRE_ROLE_PRIMARY, 1234567, "");
	n = sizeof hb_golden - 1;
	for (cap = 0; cap < n; cap++) {
		uint8_t *h = malloc(cap > 0 ? cap : 1);

		ck_assert_ptr_nonnull(h);
		ck_assert_uint_eq(wire_encode(&f, h, cap), 0);
		free(h);
	}
	ck_assert_uint_eq(wire_encode(&f, buf, n), n);
	ck_assert_mem_eq(buf, hb_golden, n);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(wire_verb_name(WIRE_HB), "HB");
	ck_assert_str_eq(wire_verb_name(WIRE_OFFER), "OFFER");
	ck_assert_str_eq(wire_verb_name(WIRE_ACCEPT), "ACCEPT");
	ck_assert_str_eq(wire_verb_name(WIRE_ANNOUNCE), "ANNOUNCE");
	ck_assert_ptr_null(wire_verb_name((enum wire_verb)0));
	ck_assert_ptr_null(wire_verb_name((enum wire_verb)99));
	ck_assert_str_eq(wire_role_name(WIRE_ROLE_PRIMARY), "primary");
	ck_assert_str_eq(wire_role_name(WIRE_ROLE_REPLICA), "replica");
	ck_assert_str_eq(wire_role_name(WIRE_ROLE_CANDIDATE), "candidate");
	ck_assert_ptr_null(wire_role_name((enum wire_role)0));
	ck_assert_ptr_null(wire_role_name((enum wire_role)99));
	ck_assert_ptr_null(wire_role_name((enum wire_role)-1));
}
END_TEST

/* xorshift64: a fixed seed makes every failure reproducible. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define FUZZ_CASES	200000
#define FUZZ_SEED	0x6b65767965ULL	/* "kevye" */
#define FUZZ_BUF_MAX	(3 * WIRE_FRAME_MAX)

/* Bytes that sit on the parser's decision points. */
static const char fuzz_bytes[] = "\r\n*$-+0129: aZ~\x7f\x80\xff";

static void
rnd_word(uint64_t *s, char *out, size_t max)
{
	size_t n = 1 + rnd(s) % max, i;

	for (i = 0; i < n; i++)
		out[i] = (char)(0x21 + rnd(s) % (0x7f - 0x21));
	out[n] = '\0';
}

static uint64_t
rnd_num(uint64_t *s)
{
	switch (rnd(s) % 4) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX - rnd(s) % 3;
	case 2:
		return rnd(s) % 1000;
	default:
		return rnd(s);
	}
}

/* A valid frame of a random verb, encoded into buf. */
static size_t
rnd_frame(uint64_t *s, uint8_t *buf, size_t cap)
{
	struct wire_frame f;
	size_t n;

	memset(&f, 0, sizeof f);
	f.verb = (enum wire_verb)(1 + rnd(s) % 4);
	f.epoch = rnd_num(s);
	rnd_word(s, f.id, WIRE_ID_MAX);
	f.role = (enum wire_role)(1 + rnd(s) % 3);
	f.offset = rnd_num(s);
	rnd_word(s, f.addr, rnd(s) % 8 == 0 ? WIRE_ADDR_MAX : 24);
	n = wire_encode(&f, buf, cap);
	ck_assert_uint_gt(n, 0);
	return n;
}

static void
mutate(uint64_t *s, uint8_t *buf, size_t *len)
{
	size_t pos = *len > 0 ? rnd(s) % *len : 0, n, i;

	switch (rnd(s) % 8) {
	case 0:		/* flip one bit */
		if (*len > 0)
			buf[pos] ^= (uint8_t)(1u << rnd(s) % 8);
		break;
	case 1:		/* a byte the parser branches on */
		if (*len > 0)
			buf[pos] = (uint8_t)fuzz_bytes[rnd(s) %
			    (sizeof fuzz_bytes - 1)];
		break;
	case 2:		/* delete a byte */
		if (*len > 0) {
			memmove(buf + pos, buf + pos + 1, *len - pos - 1);
			(*len)--;
		}
		break;
	case 3:		/* insert a byte */
		if (*len < FUZZ_BUF_MAX) {
			memmove(buf + pos + 1, buf + pos, *len - pos);
			buf[pos] = (uint8_t)(rnd(s) % 2 ? rnd(s) :
			    (uint64_t)fuzz_bytes[rnd(s) %
			    (sizeof fuzz_bytes - 1)]);
			(*len)++;
		}
		break;
	case 4:		/* truncate */
		*len = pos;
		break;
	case 5:		/* another frame, or filler, behind */
		if (*len + WIRE_FRAME_MAX <= FUZZ_BUF_MAX) {
			if (rnd(s) % 2)
				*len += rnd_frame(s, buf + *len,
				    FUZZ_BUF_MAX - *len);
			else {
				memcpy(buf + *len, "*0\r\n\r\n\n", 7);
				*len += 7;
			}
		}
		break;
	case 6:		/* a random digit run (lengths, counts, numbers) */
		n = 1 + rnd(s) % 22;
		if (*len + n <= FUZZ_BUF_MAX) {
			memmove(buf + pos + n, buf + pos, *len - pos);
			for (i = 0; i < n; i++)
				buf[pos + i] = (uint8_t)('0' + rnd(s) % 10);
			*len += n;
		}
		break;
	default:	/* garbage */
		*len = rnd(s) % 64;
		for (i = 0; i < *len; i++)
			buf[i] = (uint8_t)rnd(s);
		break;
	}
}

/* Whatever the input, the outcome must be one the caller can trust. */
static void
check_outcome(const uint8_t *p, size_t len, uint64_t *s)
{
	uint8_t enc[WIRE_FRAME_MAX], more[FUZZ_BUF_MAX + 8];
	struct wire_frame f, g;
	size_t used = 99, used2, n, i;
	const char *why = NULL;
	enum wire_status st = wire_decode(p, len, &f, &used, &why);

	switch (st) {
	case WIRE_OK:
		ck_assert(used >= 1 && used <= len && used <= WIRE_FRAME_MAX);
		ck_assert(f.verb >= WIRE_HB && f.verb <= WIRE_ANNOUNCE);
		ck_assert(memchr(f.id, '\0', sizeof f.id) != NULL);
		ck_assert(wire_id_is_valid(f.id, strlen(f.id)));
		if (f.verb == WIRE_HB)
			ck_assert(wire_role_name(f.role) != NULL);
		if (f.verb == WIRE_ANNOUNCE)
			ck_assert(memchr(f.addr, '\0', sizeof f.addr) != NULL);
		/* What we accept we can send back, and it means the same. */
		n = wire_encode(&f, enc, sizeof enc);
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(wire_decode(enc, n, &g, &used2, NULL),
		    WIRE_OK);
		assert_same(&f, &g);
		/* Sometimes: no prefix of an accepted frame is refused. */
		if (rnd(s) % 32 == 0)
			for (i = 0; i < used; i++)
				ck_assert_int_eq(wire_decode(p, i, &g, &used2,
				    NULL), WIRE_NEED_MORE);
		break;
	case WIRE_SKIP:
		ck_assert(used >= 1 && used <= len);
		break;
	case WIRE_NEED_MORE:
		/* Waiting is bounded: a partial frame is under the cap. */
		ck_assert_uint_eq(used, 0);
		ck_assert_uint_lt(len, WIRE_FRAME_MAX);
		break;
	case WIRE_ERROR:
		ck_assert_uint_eq(used, 0);
		ck_assert_ptr_nonnull(why);
		/* Sometimes: an error is final, more bytes cannot fix it. */
		if (rnd(s) % 16 == 0 && len + 8 <= sizeof more) {
			memcpy(more, p, len);
			for (i = 0; i < 8; i++)
				more[len + i] = (uint8_t)rnd(s);
			ck_assert_int_eq(wire_decode(more, len + 8, &g,
			    &used2, NULL), WIRE_ERROR);
		}
		break;
	default:
		ck_abort_msg("status %d", st);
	}
}

START_TEST(test_mutations)
{
	static uint8_t buf[FUZZ_BUF_MAX];
	uint64_t s = FUZZ_SEED;
	size_t len, pos, used, k, nmut;
	long nok = 0, nerr = 0;

	for (k = 0; k < FUZZ_CASES; k++) {
		uint8_t *h;

		len = rnd_frame(&s, buf, sizeof buf);
		nmut = rnd(&s) % 5;	/* 0: the valid frame itself */
		while (nmut-- > 0)
			mutate(&s, buf, &len);
		/* Exact-length heap copy: ASan sees any read past len. */
		h = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(h);
		memcpy(h, buf, len);
		for (pos = 0; pos < len; pos += used) {
			struct wire_frame f;
			enum wire_status st;

			check_outcome(h + pos, len - pos, &s);
			st = wire_decode(h + pos, len - pos, &f, &used, NULL);
			nok += st == WIRE_OK;
			nerr += st == WIRE_ERROR;
			if (st != WIRE_OK && st != WIRE_SKIP)
				break;
		}
		free(h);
	}
	/* The mix must exercise both sides, or the test proves little. */
	ck_assert_int_gt(nok, FUZZ_CASES / 10);
	ck_assert_int_gt(nerr, FUZZ_CASES / 10);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("wire");

	tcase_add_test(tc, test_golden_encode);
	tcase_add_test(tc, test_golden_decode);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_case_insensitive);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_back_to_back);
	tcase_add_test(tc, test_skip_filler);
	tcase_add_test(tc, test_quiet_mark);
	tcase_add_test(tc, test_inline_rejected);
	tcase_add_loop_test(tc, test_rejects, 0, (int)(sizeof bad /
	    sizeof bad[0]));
	tcase_add_test(tc, test_fail_early);
	tcase_add_test(tc, test_id_limits);
	tcase_add_test(tc, test_u64_limits);
	tcase_add_test(tc, test_encode_refuses);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_mutations);
	/* The mutation run is long under sanitizers. */
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(wire_suite());
}
