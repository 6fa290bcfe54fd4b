/*
 * Check suite for lib/num: the strict parser must accept plain decimal
 * only, and every u64 exactly, since the wire and the config trust it.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "runner.h"

/* Parse a C string; the sentinel shows *out is untouched on failure. */
static int
parse(const char *s, uint64_t *v)
{
	*v = 0xdeadbeef;
	return num_parse_u64(s, strlen(s), v);
}

START_TEST(test_valid)
{
	uint64_t v;

	ck_assert_int_eq(parse("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse("1", &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(parse("1234567", &v), 0);
	ck_assert_uint_eq(v, 1234567);
	ck_assert_int_eq(parse("007", &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(parse("00000000000000000000", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse("18446744073709551614", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX - 1);
	ck_assert_int_eq(parse("9999999999999999999", &v), 0);
	ck_assert_uint_eq(v, 9999999999999999999ULL);
}
END_TEST

START_TEST(test_overflow)
{
	uint64_t v;

	ck_assert_int_eq(parse("18446744073709551616", &v), -1);
	ck_assert_int_eq(parse("18446744073709551620", &v), -1);
	ck_assert_int_eq(parse("19000000000000000000", &v), -1);
	ck_assert_int_eq(parse("99999999999999999999", &v), -1);
	/* 21 digits, even if the value would fit. */
	ck_assert_int_eq(parse("000000000000000000001", &v), -1);
	ck_assert_int_eq(parse("184467440737095516150", &v), -1);
	ck_assert_uint_eq(v, 0xdeadbeef);
}
END_TEST

START_TEST(test_junk)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.0", "1,000",
		"١", "\t1", "1\n", "a", "12a", "-0", "0b1", "1_000",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse(bad[i], &v) == -1, "accepted \"%s\"",
		    bad[i]);
		ck_assert_uint_eq(v, 0xdeadbeef);
	}
}
END_TEST

START_TEST(test_length_bounds)
{
	/* The parser must stop at len: an embedded NUL or later digits do
	 * not count, and bytes beyond len are never read. */
	uint64_t v;
	char *heap;

	ck_assert_int_eq(num_parse_u64("12345", 2, &v), 0);
	ck_assert_uint_eq(v, 12);
	ck_assert_int_eq(num_parse_u64("1\0002", 3, &v), -1);
	ck_assert_int_eq(num_parse_u64("5", 0, &v), -1);
	heap = malloc(3);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, "987", 3);
	ck_assert_int_eq(num_parse_u64(heap, 3, &v), 0);
	ck_assert_uint_eq(v, 987);
	free(heap);
}
END_TEST

static Suite *
num_suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("parse_u64");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_junk);
	tcase_add_test(tc, test_length_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(num_suite());
}
