/*
 * Check suite for the pure admission policies of daemon/: the descriptor
 * budget (fdbudget_split) and the frame limiter's backlog credit
 * (limit_bucket_take_backlog). Deterministic: limits and clocks are
 * arguments.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "fdbudget.h"
#include "limit.h"
#include "runner.h"

static const struct fdbudget maxes = { .inbound = 1024, .ctl = 4096,
    .http = 256 };

START_TEST(budget_large_limit_gives_every_maximum)
{
	struct fdbudget b;
	uint64_t need;

	ck_assert_int_eq(fdbudget_split(1 << 20, 3, &maxes, &b, &need), 0);
	ck_assert_uint_eq(b.limit, 1 << 20);
	ck_assert_uint_eq(b.inbound, 1024);
	ck_assert_uint_eq(b.ctl, 4096);
	ck_assert_uint_eq(b.http, 256);
}
END_TEST

/* What the issue saw: 64 descriptors. The sum never eats the reserve. */
START_TEST(budget_small_limit_keeps_the_reserve)
{
	struct fdbudget b;
	uint64_t need;

	ck_assert_int_eq(fdbudget_split(64, 3, &maxes, &b, &need), 0);
	ck_assert_uint_le(b.inbound + b.ctl + b.http + FDBUDGET_RESERVED + 3,
	    64);
	ck_assert_uint_ge(b.inbound, FDBUDGET_INBOUND_MIN);
	ck_assert_uint_ge(b.ctl, FDBUDGET_CTL_MIN);
	ck_assert_uint_ge(b.http, FDBUDGET_HTTP_MIN);
	/* The Debian default soft limit: also under the maximums. */
	ck_assert_int_eq(fdbudget_split(1024, 3, &maxes, &b, &need), 0);
	ck_assert_uint_le(b.inbound + b.ctl + b.http + FDBUDGET_RESERVED + 3,
	    1024);
}
END_TEST

START_TEST(budget_too_small_is_refused_with_what_it_needs)
{
	struct fdbudget b;
	uint64_t need = 0;

	ck_assert_int_eq(fdbudget_split(20, 3, &maxes, &b, &need), -1);
	ck_assert_uint_eq(need, FDBUDGET_RESERVED + 3 + FDBUDGET_INBOUND_MIN +
	    FDBUDGET_CTL_MIN + FDBUDGET_HTTP_MIN);
	ck_assert_int_eq(fdbudget_split(need, 3, &maxes, &b, &need), 0);
	ck_assert_int_eq(fdbudget_split(need - 1, 3, &maxes, &b, &need), -1);
}
END_TEST

/* A sustained flood empties the bucket whatever the credit. */
START_TEST(bucket_flood_is_cut_off)
{
	struct limit_bucket b;
	unsigned ok = 0;

	limit_bucket_init(&b, 320, 1000);
	for (unsigned i = 0; i < 10000; i++)
		ok += limit_bucket_take_backlog(&b, 140, 320, 60000, 1000);
	ck_assert_uint_eq(ok, 320);
	/* 100 ms later, 14 more and no more. */
	ok = 0;
	for (unsigned i = 0; i < 100; i++)
		ok += limit_bucket_take_backlog(&b, 140, 320, 60000, 1100);
	ck_assert_uint_eq(ok, 14);
}
END_TEST

/* A gap earns the rate's worth beyond the burst, up to the credit. */
START_TEST(bucket_gap_earns_backlog_credit)
{
	struct limit_bucket b;
	unsigned ok = 0;

	limit_bucket_init(&b, 320, 0);
	/* 20 s of a stopped process at 140/s: 2800 frames may wait. */
	for (unsigned i = 0; i < 5000; i++)
		ok += limit_bucket_take_backlog(&b, 140, 320, 60000, 20000);
	ck_assert_uint_eq(ok, 2800);
	/* The credit caps a long gap: an hour earns 60 s worth. */
	limit_bucket_init(&b, 320, 0);
	ok = 0;
	for (unsigned i = 0; i < 20000; i++)
		ok += limit_bucket_take_backlog(&b, 140, 320, 60000, 3600000);
	ck_assert_uint_eq(ok, 140 * 60);
	/* Without credit, the classic bucket: the burst and no more. */
	limit_bucket_init(&b, 320, 0);
	ok = 0;
	for (unsigned i = 0; i < 5000; i++)
		ok += limit_bucket_take(&b, 140, 320, 20000);
	ck_assert_uint_eq(ok, 320);
}
END_TEST

/* Tokens earned in a gap are not clawed back by the next, short one. */
START_TEST(bucket_credit_survives_the_next_take)
{
	struct limit_bucket b;
	unsigned ok = 0;

	limit_bucket_init(&b, 10, 0);
	ck_assert(limit_bucket_take_backlog(&b, 100, 10, 60000, 10000));
	/* 999 left; 1 ms later the cap is the burst, but nothing is lost. */
	for (unsigned i = 0; i < 2000; i++)
		ok += limit_bucket_take_backlog(&b, 100, 10, 60000, 10001);
	ck_assert_uint_eq(ok, 999);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, budget_large_limit_gives_every_maximum);
	tcase_add_test(tc, budget_small_limit_keeps_the_reserve);
	tcase_add_test(tc, budget_too_small_is_refused_with_what_it_needs);
	tcase_add_test(tc, bucket_flood_is_cut_off);
	tcase_add_test(tc, bucket_gap_earns_backlog_credit);
	tcase_add_test(tc, bucket_credit_survives_the_next_take);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(limits_suite());
}
