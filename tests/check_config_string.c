/*
 * Check suite for config_load_string (daemon/config.c): a config held in
 * memory loads exactly as a file would, names its label where a file name
 * would go, and never reads a file (@include is refused).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "runner.h"

#define LABEL "mem.conf"
#define MEMBERS "members = ( { id = \"a\"; election = \"127.0.0.1:7401\"; " \
    "client = \"127.0.0.1:6401\"; }, { id = \"b\"; election = " \
    "\"127.0.0.1:7402\"; client = \"127.0.0.1:6402\"; }, { id = \"c\"; " \
    "election = \"127.0.0.1:7403\"; client = \"127.0.0.1:6403\"; } );\n"

struct msgs {
	char text[4096];
	int errors;
};

static void
collect(void *ctx, bool is_error, const char *msg)
{
	struct msgs *m = ctx;

	if (is_error)
		m->errors++;
	strncat(m->text, msg, sizeof m->text - strlen(m->text) - 2);
	strcat(m->text, "\n");
}

static int
load(const char *text, struct config *c, struct msgs *m)
{
	memset(m, 0, sizeof *m);
	return config_load_string(text, LABEL, c, collect, m);
}

START_TEST(test_valid)
{
	struct config *c = calloc(1, sizeof *c);
	struct msgs m;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(load("node_id = \"b\";\n" MEMBERS, c, &m), 0);
	ck_assert_str_eq(c->path, LABEL);
	ck_assert_str_eq(c->node_id, "b");
	ck_assert_uint_eq(c->n_members, 3);
	ck_assert_uint_eq(c->self, 1);
	ck_assert_uint_eq(c->listen.port, 7402);
	free(c);
}
END_TEST

START_TEST(test_errors_name_label)
{
	struct config c;
	struct msgs m;

	ck_assert_int_eq(load("node_id = \"b\";\n" MEMBERS "bogus = 1;\n",
	    &c, &m), 1);
	ck_assert_ptr_nonnull(strstr(m.text, LABEL ":3: bogus: unknown key"));
	ck_assert_int_eq(load("node_id = \"b\"\n\nmembers = (;\n", &c, &m), 1);
	ck_assert_ptr_nonnull(strstr(m.text, LABEL ":3: syntax:"));
	ck_assert_int_eq(load("", &c, &m), 2);
	ck_assert_ptr_nonnull(strstr(m.text,
	    LABEL ": node_id: missing (required)"));
	ck_assert_int_eq(m.errors, 2);
}
END_TEST

START_TEST(test_include_refused)
{
	struct config c;
	struct msgs m;

	ck_assert_int_eq(load("@include \"/etc/passwd\"\n", &c, &m), 1);
	ck_assert_ptr_nonnull(strstr(m.text, LABEL ": @include: not allowed"));
	ck_assert_int_eq(load("node_id = \"b\"; # @include \"x\"\n" MEMBERS,
	    &c, &m), 1);
}
END_TEST

static Suite *
config_string_suite(void)
{
	Suite *s = suite_create("config_string");
	TCase *tc = tcase_create("load_string");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_errors_name_label);
	tcase_add_test(tc, test_include_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(config_string_suite());
}
