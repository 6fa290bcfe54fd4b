/*
 * check_meta: lib/meta.c, the elect.meta text. Roundtrips at the limits
 * (u64 max, 32-byte ids) and one case per class of malformed file, each
 * checked for the reason it gives: a refused start is only useful if the
 * operator can tell why.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "runner.h"

#define ID32 "abcdefghijklmnopqrstuvwxyz012345"  /* WIRE_ID_MAX bytes */
#define ID33 ID32 "6"

/* Parse a NUL-terminated literal. */
static int
parse_str(const char *s, struct elector_saved *out, char *err, size_t errlen)
{
	return meta_parse(s, strlen(s), out, err, errlen);
}

START_TEST(format_vote)
{
	char buf[META_FILE_MAX + 1];
	size_t n = meta_format(5, "n1", buf, sizeof buf);

	ck_assert_uint_eq(n, strlen("epoch 5\nvoted n1\n"));
	ck_assert_str_eq(buf, "epoch 5\nvoted n1\n");
}
END_TEST

START_TEST(format_no_vote)
{
	char buf[META_FILE_MAX + 1];

	ck_assert_uint_gt(meta_format(0, NULL, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "epoch 0\nvoted -\n");
}
END_TEST

START_TEST(format_longest_fits)
{
	char buf[META_FILE_MAX + 1];
	size_t n = meta_format(UINT64_MAX, ID32, buf, sizeof buf);

	ck_assert_uint_eq(n, 66);
	ck_assert_str_eq(buf, "epoch 18446744073709551615\nvoted " ID32 "\n");
}
END_TEST

START_TEST(format_bad_vote)
{
	char buf[META_FILE_MAX + 1];

	ck_assert_uint_eq(meta_format(1, ID33, buf, sizeof buf), 0);
	ck_assert_uint_eq(meta_format(1, "", buf, sizeof buf), 0);
	ck_assert_uint_eq(meta_format(1, "a b", buf, sizeof buf), 0);
	ck_assert_uint_eq(meta_format(1, "a\nb", buf, sizeof buf), 0);
	/* "-" would read back as "never voted". */
	ck_assert_uint_eq(meta_format(1, "-", buf, sizeof buf), 0);
}
END_TEST

START_TEST(format_cap)
{
	const char *want = "epoch 12\nvoted n1\n";
	size_t len = strlen(want);
	char buf[64];

	ck_assert_uint_eq(meta_format(12, "n1", buf, len + 1), len);
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(meta_format(12, "n1", buf, len), 0);
	ck_assert_uint_eq(meta_format(12, "n1", buf, 0), 0);
}
END_TEST

static const struct {
	uint64_t epoch;
	const char *vote;
} roundtrips[] = {
	{ 0, NULL }, { 1, "n1" }, { 1, NULL }, { 42, "replica-1" },
	{ UINT64_MAX, ID32 }, { UINT64_MAX, NULL }, { 7, "--" },
	{ 9, "!~" },
};

START_TEST(roundtrip)
{
	char buf[META_FILE_MAX + 1], err[128];
	struct elector_saved s;
	size_t n;

	n = meta_format(roundtrips[_i].epoch, roundtrips[_i].vote, buf,
	    sizeof buf);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(meta_parse(buf, n, &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.epoch, roundtrips[_i].epoch);
	ck_assert(s.has_vote == (roundtrips[_i].vote != NULL));
	if (s.has_vote)
		ck_assert_str_eq(s.vote, roundtrips[_i].vote);
	/* Without the final newline too. */
	ck_assert_int_eq(meta_parse(buf, n - 1, &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.epoch, roundtrips[_i].epoch);
}
END_TEST

START_TEST(parse_leading_zeros)
{
	struct elector_saved s;
	char err[128];

	ck_assert_int_eq(parse_str("epoch 007\nvoted n1\n", &s, err,
	    sizeof err), 0);
	ck_assert_uint_eq(s.epoch, 7);
}
END_TEST

/* Exactly len bytes on the heap: the sanitizers catch any over-read. */
START_TEST(parse_reads_only_len)
{
	const char *text = "epoch 3\nvoted n3";
	size_t len = strlen(text);
	char *p = malloc(len), err[128];
	struct elector_saved s;

	ck_assert_ptr_nonnull(p);
	memcpy(p, text, len);
	ck_assert_int_eq(meta_parse(p, len, &s, err, sizeof err), 0);
	ck_assert_str_eq(s.vote, "n3");
	/* The last byte cut off: a 1-byte id, still valid. */
	ck_assert_int_eq(meta_parse(p, len - 1, &s, err, sizeof err), 0);
	ck_assert_str_eq(s.vote, "n");
	free(p);
}
END_TEST

static const struct {
	const char *text;
	size_t len;     /* 0: strlen(text) */
	const char *why; /* a substring of the error */
} bad[] = {
	{ "", 0, "empty" },
	{ "epoch 1", 0, "line 2: missing" },
	{ "epoch 1\n", 0, "line 2: missing" },
	{ "voted -\nepoch 1\n", 0, "line 1: expected" },
	{ "epoch 1\nvoted -\n\n", 0, "extra data" },
	{ "epoch 1\nvoted -\nvoted n1\n", 0, "extra data" },
	{ "epoch 1\nvoted -\nx", 0, "extra data" },
	{ "epoch 1\r\nvoted -\r\n", 0, "carriage return" },
	{ "epoch 1\nvoted -\r\n", 0, "carriage return" },
	{ "epoch 1\0\nvoted -\n", 17, "NUL" },
	{ "\n", 0, "line 1: expected" },
	{ "\nepoch 1\nvoted -\n", 0, "line 1: expected" },
	{ " epoch 1\nvoted -\n", 0, "line 1: expected" },
	{ "EPOCH 1\nvoted -\n", 0, "line 1: expected" },
	{ "epoch\t1\nvoted -\n", 0, "line 1: expected" },
	{ "epoch\nvoted -\n", 0, "line 1: expected" },
	{ "epochs 1\nvoted -\n", 0, "line 1: expected" },
	{ "epoch \nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch  1\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch 1 \nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch -1\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch +1\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch 0x10\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch 1x\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch 18446744073709551616\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch 000000000000000000001\nvoted -\n", 0, "line 1: epoch is not" },
	{ "epoch 1\nvoted\n", 0, "line 2: expected" },
	{ "epoch 1\nVOTED n1\n", 0, "line 2: expected" },
	{ "epoch 1\nvote n1\n", 0, "line 2: expected" },
	{ "epoch 1\n voted n1\n", 0, "line 2: expected" },
	{ "epoch 1\nvoted \n", 0, "line 2: vote is" },
	{ "epoch 1\nvoted n 1\n", 0, "line 2: vote is" },
	{ "epoch 1\nvoted n1 \n", 0, "line 2: vote is" },
	{ "epoch 1\nvoted \x01\n", 0, "line 2: vote is" },
	{ "epoch 1\nvoted n\xff\n", 0, "line 2: vote is" },
	{ "epoch 1\nvoted n1\0\n", 17, "NUL" },
	{ "epoch 1\nvoted " ID33 "\n", 0, "line 2: vote is" },
};

START_TEST(parse_bad)
{
	struct elector_saved s, before;
	char err[160] = "";
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text);

	memset(&s, 0xa5, sizeof s);
	before = s;
	ck_assert_int_eq(meta_parse(bad[_i].text, len, &s, err, sizeof err),
	    -1);
	ck_assert_msg(strstr(err, bad[_i].why) != NULL,
	    "case %d: error \"%s\", want \"%s\"", _i, err, bad[_i].why);
	/* A failed parse changes nothing. */
	ck_assert(memcmp(&s, &before, sizeof s) == 0);
}
END_TEST

START_TEST(parse_huge)
{
	char big[4096], err[128];
	struct elector_saved s;
	size_t n;

	/* A valid start, padded past the cap: the size is refused first. */
	n = meta_format(1, "n1", big, sizeof big);
	memset(big + n, 'x', sizeof big - n);
	ck_assert_int_eq(meta_parse(big, sizeof big, &s, err, sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "over the limit"));
	ck_assert_int_eq(meta_parse(big, META_FILE_MAX + 1, &s, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "over the limit"));
	/* At the cap the size passes and the content is judged. */
	ck_assert_int_eq(meta_parse(big, META_FILE_MAX, &s, err, sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "extra data"));
}
END_TEST

START_TEST(parse_no_err_buffer)
{
	struct elector_saved s;
	char err[1] = { 'z' };

	ck_assert_int_eq(parse_str("junk", &s, NULL, 0), -1);
	ck_assert_int_eq(parse_str("junk", &s, err, 0), -1);
	ck_assert_int_eq(err[0], 'z');
	ck_assert_int_eq(parse_str("junk", &s, err, sizeof err), -1);
	ck_assert_int_eq(err[0], '\0');
}
END_TEST

static Suite *
meta_suite(void)
{
	Suite *s = suite_create("meta");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_test(tc, format_vote);
	tcase_add_test(tc, format_no_vote);
	tcase_add_test(tc, format_longest_fits);
	tcase_add_test(tc, format_bad_vote);
	tcase_add_test(tc, format_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, roundtrip, 0,
	    (int)(sizeof roundtrips / sizeof roundtrips[0]));
	tcase_add_test(tc, parse_leading_zeros);
	tcase_add_test(tc, parse_reads_only_len);
	tcase_add_loop_test(tc, parse_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, parse_huge);
	tcase_add_test(tc, parse_no_err_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(meta_suite());
}
