/*
 * Check suite for lib/jsonflat: the CLUSTER table read back as
 * kevy-electctl reads it, every value type, escapes, and each malformed
 * input refused with its reason (never half-read).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonflat.h"
#include "runner.h"
#include "status.h"

static struct jsonflat_object scratch;

struct seen {
	size_t n;
	char ids[8][JSONFLAT_VALUE_MAX + 1];
	enum jsonflat_type lag[8];
};

static int
note(const struct jsonflat_object *o, void *ctx)
{
	struct seen *s = ctx;
	const struct jsonflat_field *f = jsonflat_get(o, "id");

	ck_assert_uint_lt(s->n, 8);
	strcpy(s->ids[s->n], f != NULL ? f->value : "");
	f = jsonflat_get(o, "lag");
	s->lag[s->n++] = f != NULL ? f->type : 0;
	return 0;
}

static long
parse(const char *text, struct seen *s, const char **why)
{
	memset(s, 0, sizeof *s);
	return jsonflat_parse_array(text, strlen(text), &scratch, note, s,
	    why);
}

/* What lib/status renders, jsonflat reads: the two ends of CLUSTER. */
START_TEST(test_reads_status_format_cluster)
{
	struct status *st = calloc(1, sizeof *st);
	char *buf = malloc(STATUS_CLUSTER_MAX);
	const char *why;
	struct seen s;

	strcpy(st->node_id, "n\"1");
	st->role = WIRE_ROLE_PRIMARY;
	strcpy(st->primary, "n\"1");
	st->offset = 500;
	st->n_peers = 2;
	strcpy(st->peers[0].id, "n2");
	st->peers[0].heard = true;
	st->peers[0].offset = 200;
	strcpy(st->peers[1].id, "n3");
	ck_assert_uint_gt(status_format_cluster(st, buf, STATUS_CLUSTER_MAX),
	    0);
	ck_assert_int_eq(parse(buf, &s, &why), 3);
	ck_assert_str_eq(s.ids[0], "n\"1");
	ck_assert_str_eq(s.ids[1], "n2");
	ck_assert_str_eq(s.ids[2], "n3");
	ck_assert_int_eq(s.lag[1], JSONFLAT_NUMBER);
	ck_assert_int_eq(s.lag[2], JSONFLAT_NULL);
	free(buf);
	free(st);
}
END_TEST

START_TEST(test_types_and_escapes)
{
	const char *text = " [ {\"s\":\"a\\\"b\\\\c\\/\\u0041\\u00e9\\n\","
	    "\"n\":-12.5e+3,\"z\":0,\"t\":true,\"f\":false,\"x\":null} ]\n";
	const struct jsonflat_field *f;
	const char *why;

	ck_assert_int_eq(jsonflat_parse_array(text, strlen(text), &scratch,
	    NULL, NULL, &why), 1);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(scratch.n, 6);
	f = jsonflat_get(&scratch, "s");
	ck_assert_int_eq(f->type, JSONFLAT_STRING);
	/* Beyond ASCII and control bytes: '?', so a print stays one line. */
	ck_assert_str_eq(f->value, "a\"b\\c/A??");
	f = jsonflat_get(&scratch, "n");
	ck_assert_int_eq(f->type, JSONFLAT_NUMBER);
	ck_assert_str_eq(f->value, "-12.5e+3");
	ck_assert_str_eq(jsonflat_get(&scratch, "z")->value, "0");
	ck_assert_int_eq(jsonflat_get(&scratch, "t")->type, JSONFLAT_TRUE);
	ck_assert_int_eq(jsonflat_get(&scratch, "f")->type, JSONFLAT_FALSE);
	ck_assert_int_eq(jsonflat_get(&scratch, "x")->type, JSONFLAT_NULL);
	ck_assert_ptr_null(jsonflat_get(&scratch, "nope"));
	ck_assert_int_eq(jsonflat_parse_array("[]", 2, &scratch, NULL, NULL,
	    &why), 0);
	ck_assert_int_eq(jsonflat_parse_array("[{}]", 4, &scratch, NULL, NULL,
	    &why), 1);
	ck_assert_uint_eq(scratch.n, 0);
}
END_TEST

START_TEST(test_refusals)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "expected an array" },
		{ "{}", "expected an array" },
		{ "[", "expected an object" },
		{ "[{}", "expected ',' or ']'" },
		{ "[{},]", "expected an object" },
		{ "[{\"a\":1,}]", "expected a string" },
		{ "[{\"a\" 1}]", "expected ':'" },
		{ "[{\"a\":[1]}]", "nested value: not a flat object" },
		{ "[{\"a\":{}}]", "nested value: not a flat object" },
		{ "[{\"a\":01}]", "number with a leading zero" },
		{ "[{\"a\":-}]", "bad number" },
		{ "[{\"a\":1.}]", "bad number" },
		{ "[{\"a\":1e}]", "bad number" },
		{ "[{\"a\":tru}]", "expected a value" },
		{ "[{\"a\":\"x}]", "unterminated string" },
		{ "[{\"a\":\"\\q\"}]", "bad escape in string" },
		{ "[{\"a\":\"\\u12g4\"}]", "bad \\u escape in string" },
		{ "[{\"a\":\"\t\"}]", "control byte in string" },
		{ "[{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}]", "key too long" },
		{ "[] x", "bytes after the array" },
		{ "[]]", "bytes after the array" },
	};
	const char *why;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(jsonflat_parse_array(bad[i].text,
		    strlen(bad[i].text), &scratch, NULL, NULL, &why) == -1,
		    "accepted: %s", bad[i].text);
		ck_assert_msg(why != NULL && strcmp(why, bad[i].why) == 0,
		    "%s: why '%s', wanted '%s'", bad[i].text, why, bad[i].why);
	}
}
END_TEST

/* Limits: a value at its maximum passes, one byte more does not. */
START_TEST(test_limits)
{
	char *text = malloc(JSONFLAT_VALUE_MAX + 64), fields[2048];
	const char *why;
	size_t n = 0;

	n += (size_t)sprintf(text, "[{\"v\":\"");
	memset(text + n, 'x', JSONFLAT_VALUE_MAX);
	strcpy(text + n + JSONFLAT_VALUE_MAX, "\"}]");
	ck_assert_int_eq(jsonflat_parse_array(text, strlen(text), &scratch,
	    NULL, NULL, &why), 1);
	ck_assert_uint_eq(strlen(jsonflat_get(&scratch, "v")->value),
	    JSONFLAT_VALUE_MAX);
	strcpy(text + n + JSONFLAT_VALUE_MAX, "x\"}]");
	ck_assert_int_eq(jsonflat_parse_array(text, strlen(text), &scratch,
	    NULL, NULL, &why), -1);
	ck_assert_str_eq(why, "value too long");
	/* JSONFLAT_FIELDS_MAX fields, then one more. */
	n = (size_t)sprintf(fields, "[{");
	for (int i = 0; i < JSONFLAT_FIELDS_MAX; i++)
		n += (size_t)sprintf(fields + n, "%s\"k%d\":%d", i ? "," : "",
		    i, i);
	strcpy(fields + n, "}]");
	ck_assert_int_eq(jsonflat_parse_array(fields, strlen(fields),
	    &scratch, NULL, NULL, &why), 1);
	strcpy(fields + n, ",\"more\":1}]");
	ck_assert_int_eq(jsonflat_parse_array(fields, strlen(fields),
	    &scratch, NULL, NULL, &why), -1);
	ck_assert_str_eq(why, "too many fields in an object");
	/* Never read past len: the same bytes, cut short. */
	ck_assert_int_eq(jsonflat_parse_array("[{}]", 3, &scratch, NULL, NULL,
	    &why), -1);
	free(text);
}
END_TEST

static int
stop_at_two(const struct jsonflat_object *o, void *ctx)
{
	(void)o;
	return ++*(int *)ctx == 2;
}

START_TEST(test_callback_stops)
{
	const char *why;
	int calls = 0;

	ck_assert_int_eq(jsonflat_parse_array("[{},{},{}]", 10, &scratch,
	    stop_at_two, &calls, &why), -1);
	ck_assert_str_eq(why, "stopped");
	ck_assert_int_eq(calls, 2);
}
END_TEST

static Suite *
jsonflat_suite(void)
{
	Suite *s = suite_create("jsonflat");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_reads_status_format_cluster);
	tcase_add_test(tc, test_types_and_escapes);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_callback_stops);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(jsonflat_suite());
}
