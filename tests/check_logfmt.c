/*
 * check_logfmt: the log format (docs/reference/monitoring.md, "The
 * log"). The writer (daemon/log.c) against the reader
 * (tests/harness/logfmt.c), and every log call in daemon/ and cli/: its
 * format string is "event=<snake_name> key=value..." and its event name
 * is in the doc's table. `make logfmt-check` runs the "source" case
 * alone: it names each call that breaks the rule, file:line.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "elector.h"
#include "log.h"
#include "logfmt.h"
#include "runner.h"
#include "textfile.h"

#define MONITORING_DOC "docs/reference/monitoring.md"
#define FORMAT_MAX     2048  /* bytes of one call's format, concatenated */
#define CAPTURE_MAX    8192  /* bytes of log captured in one test */

/* ---- the writer ---- */

static char captured[CAPTURE_MAX];

/* Run fn with stderr into a file; what it logged into captured. */
static void
capture(void (*fn)(void))
{
	char path[] = "/tmp/kevy-logfmt.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	unlink(path);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	fn();
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, captured, sizeof(captured) - 1, 0);
	ck_assert_int_ge(n, 0);
	captured[n] = '\0';
	close(fd);
}

/* Every line of captured passes the reader; how many there are. */
static size_t
captured_lines_valid(void)
{
	char err[LOGFMT_ERR_MAX], *p = captured, *nl;
	size_t n = 0;

	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1, n++)
		ck_assert_msg(logfmt_check_line(p, (size_t)(nl - p), err,
		    sizeof(err)) == 0, "%s: %.*s", err, (int)(nl - p), p);
	ck_assert_str_eq(p, "");
	return n;
}

static void
log_hostile_values(void)
{
	char q[LOG_VALUE_MAX], b[LOG_QUOTE_MAX(8)];

	log_init(LOG_LEVEL_DEBUG, true);
	log_info("event=test_plain a=%s", LOG_Q(q, "plain"));
	log_info("event=test_space reason=%s", LOG_Q(q,
	    "Connection reset by peer"));
	log_info("event=test_quotes v=%s", LOG_Q(q, "say \"hi\" \\ a=b"));
	log_info("event=test_empty v=%s", LOG_Q(q, ""));
	log_info("event=test_bytes v=%s", log_quote_bytes(b, sizeof(b),
	    "a\0b\n\x7f", 5));
	errno = ECONNREFUSED;
	log_warn("event=test_errno peer=n2");
	log_set_node("n 1=\"x\"");
	log_debug("event=test_node");
	log_set_node("n1");
}

/* Values with spaces, quotes, '=', NULs and newlines, errno, an odd
 * node id: each line still one valid line, the values read back. */
START_TEST(writer_quotes_what_needs_it)
{
	struct logfmt_line l;
	char err[LOGFMT_ERR_MAX], v[256], *line;

	capture(log_hostile_values);
	ck_assert_uint_eq(captured_lines_valid(), 7);
	ck_assert_ptr_nonnull(strstr(captured, " a=plain\n"));
	ck_assert_ptr_nonnull(strstr(captured,
	    " reason=\"Connection reset by peer\"\n"));
	ck_assert_ptr_nonnull(strstr(captured, " v=\"\"\n"));
	ck_assert_ptr_nonnull(strstr(captured, " v=\"a\\x00b\\x0a\\x7f\"\n"));
	ck_assert_ptr_nonnull(strstr(captured,
	    "event=test_errno peer=n2 error=\"Connection refused\"\n"));
	ck_assert_ptr_nonnull(strstr(captured,
	    "node=\"n 1=\\\"x\\\"\" event=test_node\n"));
	ck_assert_ptr_eq(strstr(captured, "ts="), captured);
	/* The third line, read back: the value as it was. */
	line = strstr(captured, " event=test_quotes ");
	ck_assert_ptr_nonnull(line);
	while (line > captured && line[-1] != '\n')
		line--;
	ck_assert_int_eq(logfmt_parse(line, strcspn(line, "\n"), &l, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(logfmt_get(&l, "v", v, sizeof(v)),
	    "say \"hi\" \\ a=b");
}
END_TEST

static void
log_long_lines(void)
{
	char big[3 * LOG_LINE_MAX], q[LOG_VALUE_MAX];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init(LOG_LEVEL_INFO, false);
	/* A long plain value: cut before it. */
	log_info("event=test_long a=1 b=%s", big);
	/* Long quoted free text: cut inside its quotes by LOG_VALUE_MAX. */
	memset(big, ' ', 900);
	big[900] = '\0';
	log_info("event=test_long_text text=%s after=1", LOG_Q(q, big));
	/* Many quoted fields: the cut between two of them. */
	{
		char many[2 * LOG_LINE_MAX];
		size_t o = 0;

		for (int i = 0; o + 16 < sizeof(many); i++)
			o += (size_t)snprintf(many + o, sizeof(many) - o,
			    "%sk%d=\"a b\"", i ? " " : "", i);
		log_info("event=test_many %s", many);
	}
}

/* LOG_LINE_MAX holds, and a cut line is still valid, ends truncated=yes. */
START_TEST(writer_cuts_long_lines_between_fields)
{
	char *p = captured, *nl;
	size_t n = 0;

	capture(log_long_lines);
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1, n++)
		ck_assert_uint_le((size_t)(nl - p) + 1, LOG_LINE_MAX);
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_nonnull(strstr(captured,
	    "event=test_long a=1 truncated=yes\n"));
	ck_assert_ptr_nonnull(strstr(captured, "\" after=1\n"));
	ck_assert_ptr_nonnull(strstr(captured, "\" truncated=yes\n"));
	ck_assert_uint_eq(captured_lines_valid(), 3);
}
END_TEST

/* The reader refuses what the format forbids. */
START_TEST(reader_is_strict)
{
	static const char *const bad[] = {
		"level=info node=n1 event=x info: peer n2 state=up",
		"level=info node=n1 event=x reason=Connection reset",
		"level=info node=n1 event=x v=\"open",
		"level=info node=n1 event=x v=\"bad \\q escape\"",
		"level=info node=n1 event=x v=a\"b",
		"level=info node=n1 event=x v=",
		"level=info node=n1 event=x v=1 v=2",
		"level=info node=n1 event=x  v=1",
		"level=info node=n1 event=x v=1 ",
		"level=info node=n1 event=Bad-Name",
		"level=info node=n1 v=1 event=x",
		"node=n1 level=info event=x",
		"level=notice node=n1 event=x",
		"ts=2025-01-31 12:00:00 level=info node=n1 event=x",
		"ts=2025-01-31T12:00:00Z level=info node=n1 event=x",
		"2025-01-31T12:00:00.123Z info: started",
		"",
	};
	static const char *const good[] = {
		"level=info node=n1 event=x",
		"ts=2025-01-31T12:00:00.123Z level=warn node=- event=start_refused "
		    "error=\"/etc/x.conf:3: a \\\"b\\\" \\\\ \\x01\"",
		"level=debug node=\"n 1\" event=a_b2 cause=won:n1,adopt:n2 "
		    "address=127.0.0.1:7000",
	};
	char err[LOGFMT_ERR_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(logfmt_check_line(bad[i], strlen(bad[i]), err,
		    sizeof(err)) == -1, "accepted: %s", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(logfmt_check_line(good[i], strlen(good[i]), err,
		    sizeof(err)) == 0, "%s: %s", err, good[i]);
}
END_TEST

/* ---- the source: every log call ---- */

static const char *const log_fns[] = {
	"log_info", "log_warn", "log_warnx", "log_error", "log_debug",
	"fatal", "fatalx", "ratelog",
};

#define RATELOG 7 /* log_fns[RATELOG]: its format is the third argument */

/* The ',' that ends the argument after s[i] ('(' or ','), at depth 0. */
static size_t
next_arg(const char *s, size_t i)
{
	int depth = 0;

	for (i++; s[i] != '\0'; i++) {
		if (s[i] == '"') {
			for (i++; s[i] != '"' && s[i] != '\0'; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth-- == 0)
			break;
		else if (s[i] == ',' && depth == 0)
			break;
	}
	return i;
}

/*
 * Pass-through formats: the message was built (and checked) by the
 * caller. inbound.c's ratelog() formats its caller's "event=..." and
 * adds suppressed=.
 */
static const char *const passthrough[] = { "%s suppressed=%u" };

static bool
is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/*
 * The format of the call whose '(' is at s[i]: its string literals
 * concatenated, PRIu64 and the like as "u", every conversion as "v" (a
 * plain value), "%%" as "%". false if the first argument is not made
 * of string literals.
 */
static bool
call_format(const char *s, size_t i, char *out, size_t cap)
{
	size_t o = 0;
	bool any = false;

	i++;
	for (;;) {
		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
			i++;
		if (s[i] == '"') {
			for (i++; s[i] != '"' && s[i] != '\0'; i++) {
				char c = s[i];

				if (c == '\\') {
					c = s[++i];
					c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
				}
				if (o + 1 < cap)
					out[o++] = c;
			}
			i++;
			any = true;
		} else if (strncmp(s + i, "PRI", 3) == 0) {
			while (is_ident(s[i]))
				i++;
			if (o + 1 < cap)
				out[o++] = 'u';
		} else
			break;
	}
	out[o] = '\0';
	return any && (s[i] == ',' || s[i] == ')');
}

/* Conversions as "v": "%s" -> "v", "%" PRIu64 (now "%u") -> "v". */
static void
flatten(const char *fmt, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; fmt[i] != '\0' && o + 1 < cap; i++) {
		if (fmt[i] != '%') {
			out[o++] = fmt[i];
			continue;
		}
		if (fmt[++i] == '%') {
			out[o++] = '%';
			continue;
		}
		while (strchr("-+ #0123456789.*hljzt", fmt[i]) != NULL &&
		    fmt[i] != '\0')
			i++;
		out[o++] = 'v';
		if (fmt[i] == '\0')
			break;
	}
	out[o] = '\0';
}

struct source_check {
	char *doc;
	size_t calls;
	size_t bad;
	char report[8192];
	size_t rlen;
};

static void
complain(struct source_check *sc, const char *file, int line,
    const char *why, const char *fmt)
{
	sc->bad++;
	if (sc->rlen < sizeof(sc->report))
		sc->rlen += (size_t)snprintf(sc->report + sc->rlen,
		    sizeof(sc->report) - sc->rlen, "%s:%d: %s: \"%s\"\n", file,
		    line, why, fmt);
}

/* One call's format: the rule, and its event name in the doc. */
static void
check_format(struct source_check *sc, const char *file, int line,
    const char *fmt)
{
	char flat[FORMAT_MAX], body[FORMAT_MAX + 64], err[LOGFMT_ERR_MAX];
	char name[128], want[140];
	struct logfmt_line l;

	for (size_t k = 0; k < sizeof(passthrough) / sizeof(passthrough[0]);
	    k++)
		if (strcmp(fmt, passthrough[k]) == 0)
			return;
	flatten(fmt, flat, sizeof(flat));
	/* The fields log.c puts first, so the reader sees a whole line. */
	snprintf(body, sizeof(body), "level=info node=n1 %s", flat);
	if (strncmp(flat, "event=", 6) != 0) {
		complain(sc, file, line, "does not start with event=", fmt);
		return;
	}
	if (logfmt_check_line(body, strlen(body), err, sizeof(err)) == -1 ||
	    logfmt_parse(body, strlen(body), &l, err, sizeof(err)) == -1) {
		complain(sc, file, line, err, fmt);
		return;
	}
	logfmt_get(&l, "event", name, sizeof(name));
	/* "elector_%s": the family; each member is checked by name. */
	if (strcmp(name, "elector_v") == 0)
		return;
	snprintf(want, sizeof(want), "`%s`", name);
	if (strstr(sc->doc, want) == NULL)
		complain(sc, file, line, "event not in " MONITORING_DOC, fmt);
}

static void
check_file(struct source_check *sc, const char *file)
{
	char *s = textfile_read(file), fmt[FORMAT_MAX];
	int line = 1;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\n')
			line++;
		else if (s[i] == '/' && s[i + 1] == '*') {
			for (i += 2; s[i] != '\0' && !(s[i] == '*' &&
			    s[i + 1] == '/'); i++)
				line += s[i] == '\n';
			if (s[i] == '\0')
				break;
			i++;
		} else if (s[i] == '"' || s[i] == '\'') {
			char q = s[i];

			for (i++; s[i] != q && s[i] != '\0'; i++)
				if (s[i] == '\\')
					i++;
			if (s[i] == '\0')
				break;
		} else if (is_ident(s[i]) && (i == 0 || !is_ident(s[i - 1]))) {
			size_t j = i;

			while (is_ident(s[j]))
				j++;
			for (size_t k = 0; k < sizeof(log_fns) /
			    sizeof(log_fns[0]); k++) {
				size_t n = strlen(log_fns[k]), p = j;

				if (j - i != n || strncmp(s + i, log_fns[k], n))
					continue;
				while (s[p] == ' ')
					p++;
				if (s[p] != '(')
					continue;
				/* A prototype or definition: a type before. */
				if (strncmp(s + p + 1, "const char", 10) == 0 ||
				    strncmp(s + p + 1, "struct ", 7) == 0)
					continue;
				sc->calls++;
				/* ratelog(lis, why, fmt, ...): the third. */
				for (int skip = k == RATELOG ? 2 : 0; skip > 0;
				    skip--)
					p = next_arg(s, p);
				if (!call_format(s, p, fmt, sizeof(fmt)))
					complain(sc, file, line, "the format is "
					    "not a string literal", log_fns[k]);
				else
					check_format(sc, file, line, fmt);
			}
			i = j - 1;
		}
	}
	free(s);
}

/* Write text to a fresh temporary file; its path goes to path. */
static void
temp_log(char *path, size_t cap, const char *text)
{
	int fd;

	snprintf(path, cap, "/tmp/check_logfmt.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/*
 * A SIGKILL can cut a daemon's last write short (a file write stops at a
 * page boundary for a fatal signal): the cluster harness checks the logs
 * right after killing every node, so a cut last line passes there, and
 * only there, and only last.
 */
START_TEST(file_reader_forgives_only_a_killed_writer_its_cut_tail)
{
	static const char ok[] = "level=info node=n1 event=x\n";
	char path[64], err[LOGFMT_ERR_MAX + 128];
	size_t lines;

	temp_log(path, sizeof(path), "level=info node=n1 event=x\n"
	    "level=info node=n1 event=link_backoff peer");
	ck_assert_int_eq(logfmt_check_file(path, false, &lines, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(logfmt_check_file(path, true, &lines, err,
	    sizeof(err)), 0);
	unlink(path);
	/* No line end where more follows: never a kill's doing. */
	{
		char big[2 * LOGFMT_FILE_LINE_MAX];

		memset(big, 'a', sizeof(big));
		memcpy(big + sizeof(big) - sizeof(ok), ok, sizeof(ok));
		temp_log(path, sizeof(path), big);
	}
	ck_assert_int_eq(logfmt_check_file(path, true, &lines, err,
	    sizeof(err)), -1);
	unlink(path);
	temp_log(path, sizeof(path), ok);
	ck_assert_int_eq(logfmt_check_file(path, false, &lines, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(lines, 1);
	unlink(path);
}
END_TEST

START_TEST(every_log_call_follows_the_format)
{
	static const char *const patterns[] = { "daemon/*.c", "cli/*.c" };
	struct source_check *sc = calloc(1, sizeof(*sc));

	ck_assert_ptr_nonnull(sc);
	ck_assert_ptr_nonnull(sc->doc = textfile_read(MONITORING_DOC));
	for (size_t k = 0; k < 2; k++) {
		glob_t g;

		if (glob(patterns[k], 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (strcmp(g.gl_pathv[i], "daemon/log.c") != 0)
				check_file(sc, g.gl_pathv[i]);
		globfree(&g);
	}
	fprintf(stderr, "logfmt: %zu log calls in daemon/ and cli/, %zu not "
	    "in the format\n", sc->calls, sc->bad);
	ck_assert_uint_ge(sc->calls, 100);
	ck_assert_msg(sc->bad == 0, "log calls not in the documented format "
	    "(%s, \"The log\"):\n%s", MONITORING_DOC, sc->report);
	free(sc->doc);
	free(sc);
}
END_TEST

/* The elector_<name> family: every elector event has its row. */
START_TEST(every_elector_event_is_documented)
{
	char *doc = textfile_read(MONITORING_DOC);

	ck_assert_ptr_nonnull(doc);
	for (int k = 1; k <= ELECTOR_EV_LAST; k++) {
		const char *name = elector_event_name(k);
		char want[64];
		size_t o;

		o = (size_t)snprintf(want, sizeof(want), "`elector_");
		for (size_t i = 0; name[i] != '\0' && o + 2 < sizeof(want); i++)
			want[o++] = name[i] == '-' ? '_' : name[i];
		want[o++] = '`';
		want[o] = '\0';
		ck_assert_msg(strstr(doc, want) != NULL, "%s: no %s",
		    MONITORING_DOC, want);
	}
	free(doc);
}
END_TEST

static Suite *
logfmt_suite(void)
{
	Suite *s = suite_create("logfmt");
	TCase *writer = tcase_create("writer");
	TCase *source = tcase_create("source");

	tcase_add_test(writer, writer_quotes_what_needs_it);
	tcase_add_test(writer, writer_cuts_long_lines_between_fields);
	tcase_add_test(writer, reader_is_strict);
	tcase_add_test(writer, file_reader_forgives_only_a_killed_writer_its_cut_tail);
	suite_add_tcase(s, writer);
	tcase_add_test(source, every_log_call_follows_the_format);
	tcase_add_test(source, every_elector_event_is_documented);
	suite_add_tcase(s, source);
	return s;
}

int
main(void)
{
	return runner_main(logfmt_suite());
}
