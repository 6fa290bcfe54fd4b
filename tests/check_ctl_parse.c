/*
 * Check suite for lib/ctl_parse: one control request line into tokens.
 * Every parse runs on a heap copy of exactly the given length, so ASan
 * flags a read past len; the line must come out unchanged.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_parse.h"
#include "runner.h"

/* A literal as (bytes, length), embedded NULs included. */
#define S(x) (x), (sizeof(x) - 1)

static enum ctl_parse_status
parse(const char *line, size_t len, struct ctl_request *req)
{
	char *h = malloc(len > 0 ? len : 1);
	enum ctl_parse_status st;

	ck_assert_ptr_nonnull(h);
	if (len > 0)
		memcpy(h, line, len);
	memset(req, 0xa5, sizeof *req);
	st = ctl_parse_line(h, len, req);
	ck_assert(len == 0 || memcmp(h, line, len) == 0);
	free(h);
	return st;
}

/* The tokens, joined with "|", for one-line comparisons. */
static const char *
joined(const struct ctl_request *req)
{
	static char buf[CTL_LINE_MAX * 2];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < req->argc; i++) {
		if (i > 0)
			strcat(buf, "|");
		strcat(buf, req->argv[i]);
	}
	return buf;
}

START_TEST(test_verbs)
{
	static const char *const lines[][2] = {
		{ "PING", "PING" }, { "ROLE", "ROLE" }, { "EPOCH", "EPOCH" },
		{ "PRIMARY", "PRIMARY" }, { "DOWN", "DOWN" },
		{ "OFFSET", "OFFSET" }, { "OFFSET 12345", "OFFSET|12345" },
		{ "ALIVE", "ALIVE" }, { "STATUS", "STATUS" },
		{ "status json", "status|json" }, { "PEERS", "PEERS" },
		{ "PEER n2", "PEER|n2" }, { "WATCH", "WATCH" },
		{ "HELP", "HELP" }, { "QUIT", "QUIT" },
		/* Not ours to judge: unknown verbs and bad arguments pass. */
		{ "FROB x y", "FROB|x|y" }, { "OFFSET -1", "OFFSET|-1" },
	};
	struct ctl_request req;
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_int_eq(parse(lines[i][0], strlen(lines[i][0]), &req),
		    CTL_PARSE_OK);
		ck_assert_str_eq(joined(&req), lines[i][1]);
	}
}
END_TEST

START_TEST(test_whitespace)
{
	struct ctl_request req;

	ck_assert_int_eq(parse(S("  PING"), &req), CTL_PARSE_OK);
	ck_assert_str_eq(joined(&req), "PING");
	ck_assert_int_eq(parse(S("PING \t "), &req), CTL_PARSE_OK);
	ck_assert_uint_eq(req.argc, 1);
	ck_assert_int_eq(parse(S("\tOFFSET\t \t7\t"), &req), CTL_PARSE_OK);
	ck_assert_str_eq(joined(&req), "OFFSET|7");
	/* Only space and tab separate: other bytes belong to a token. */
	ck_assert_int_eq(parse(S("PING\r"), &req), CTL_PARSE_OK);
	ck_assert_str_eq(req.argv[0], "PING\r");
	ck_assert_int_eq(parse(S("a\vb\fc"), &req), CTL_PARSE_OK);
	ck_assert_uint_eq(req.argc, 1);
	ck_assert_int_eq(parse(S("\xff\xfe \x01"), &req), CTL_PARSE_OK);
	ck_assert_str_eq(joined(&req), "\xff\xfe|\x01");
}
END_TEST

START_TEST(test_blank)
{
	struct ctl_request req;

	ck_assert_int_eq(parse(S(""), &req), CTL_PARSE_BLANK);
	ck_assert_uint_eq(req.argc, 0);
	ck_assert_int_eq(parse(S(" "), &req), CTL_PARSE_BLANK);
	ck_assert_int_eq(parse(S(" \t \t"), &req), CTL_PARSE_BLANK);
	ck_assert_uint_eq(req.argc, 0);
	/* A lone CR is a byte, not a blank (readln strips the line end). */
	ck_assert_int_eq(parse(S("\r"), &req), CTL_PARSE_OK);
}
END_TEST

START_TEST(test_nul)
{
	struct ctl_request req;

	ck_assert_int_eq(parse(S("\0"), &req), CTL_PARSE_NUL);
	ck_assert_uint_eq(req.argc, 0);
	ck_assert_int_eq(parse(S("PING\0"), &req), CTL_PARSE_NUL);
	ck_assert_int_eq(parse(S("OFFSET 1\0002"), &req), CTL_PARSE_NUL);
	ck_assert_int_eq(parse(S(" \0 "), &req), CTL_PARSE_NUL);
	ck_assert_uint_eq(req.argc, 0);
}
END_TEST

START_TEST(test_token_count)
{
	struct ctl_request req;

	ck_assert_int_eq(parse(S("a b c d e f g h"), &req), CTL_PARSE_OK);
	ck_assert_uint_eq(req.argc, CTL_ARGS_MAX);
	ck_assert_str_eq(joined(&req), "a|b|c|d|e|f|g|h");
	ck_assert_int_eq(parse(S("a b c d e f g h "), &req), CTL_PARSE_OK);
	ck_assert_int_eq(parse(S("a b c d e f g h i"), &req),
	    CTL_PARSE_TOO_MANY);
	ck_assert_uint_eq(req.argc, CTL_ARGS_MAX);
	ck_assert_str_eq(req.argv[0], "a");
	ck_assert_str_eq(req.argv[CTL_ARGS_MAX - 1], "h");
}
END_TEST

START_TEST(test_length)
{
	static char line[CTL_LINE_MAX + 2];
	struct ctl_request req;

	memset(line, 'A', sizeof line);
	ck_assert_int_eq(parse(line, CTL_LINE_MAX, &req), CTL_PARSE_OK);
	ck_assert_uint_eq(strlen(req.argv[0]), CTL_LINE_MAX);
	ck_assert_int_eq(parse(line, CTL_LINE_MAX + 1, &req),
	    CTL_PARSE_TOO_LONG);
	ck_assert_uint_eq(req.argc, 0);
	/* Length is judged before content: a long NUL line is too long. */
	line[3] = '\0';
	ck_assert_int_eq(parse(line, CTL_LINE_MAX + 1, &req),
	    CTL_PARSE_TOO_LONG);
	ck_assert_int_eq(parse(line, CTL_LINE_MAX, &req), CTL_PARSE_NUL);
	/* The most tokens a full line can hold: the first 8 are kept. */
	for (size_t i = 0; i < CTL_LINE_MAX; i++)
		line[i] = i % 2 ? ' ' : 'x';
	ck_assert_int_eq(parse(line, CTL_LINE_MAX, &req), CTL_PARSE_TOO_MANY);
	ck_assert_uint_eq(req.argc, CTL_ARGS_MAX);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(ctl_parse_status_name(CTL_PARSE_OK), "ok");
	ck_assert_str_eq(ctl_parse_status_name(CTL_PARSE_BLANK), "blank");
	ck_assert_str_eq(ctl_parse_status_name(CTL_PARSE_NUL), "nul");
	ck_assert_str_eq(ctl_parse_status_name(CTL_PARSE_TOO_LONG),
	    "too-long");
	ck_assert_str_eq(ctl_parse_status_name(CTL_PARSE_TOO_MANY),
	    "too-many");
	ck_assert_str_eq(ctl_parse_status_name((enum ctl_parse_status)99),
	    "unknown");
}
END_TEST

static Suite *
ctl_parse_suite(void)
{
	Suite *s = suite_create("ctl_parse");
	TCase *tc = tcase_create("parse_line");

	tcase_add_test(tc, test_verbs);
	tcase_add_test(tc, test_whitespace);
	tcase_add_test(tc, test_blank);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_token_count);
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_status_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(ctl_parse_suite());
}
