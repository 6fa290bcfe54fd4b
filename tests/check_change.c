/*
 * Check suite for the change pipeline (daemon/change.c) and its log
 * subscriber (daemon/changelog.c): subscribers hear a change in the order
 * they subscribed; a subscriber that publishes again (re-enters) is a
 * broken invariant that stops the daemon; a transition is logged once,
 * naming the events that caused it, and events that moved nothing keep
 * their own line.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change.h"
#include "changelog.h"
#include "elector.h"
#include "log.h"
#include "metafile.h"
#include "runner.h"

#define LOG_CAPTURE_MAX 8192 /* bytes of log kept by one test */

static char heard[8];
static size_t n_heard;

static void
sub_a(void *ctx, const struct change *ch)
{
	(void)ch;
	heard[n_heard++] = *(const char *)ctx;
}

START_TEST(subscribers_hear_in_subscription_order)
{
	struct change_bus bus = { 0 };
	struct status was = { 0 }, now = { 0 };
	struct change ch = { .was = &was, .now = &now };

	n_heard = 0;
	ck_assert_int_eq(change_subscribe(&bus, "a", sub_a, "a"), 0);
	ck_assert_int_eq(change_subscribe(&bus, "b", sub_a, "b"), 0);
	ck_assert_int_eq(change_subscribe(&bus, "c", sub_a, "c"), 0);
	change_publish(&bus, &ch);
	change_publish(&bus, &ch);
	ck_assert_uint_eq(n_heard, 6);
	ck_assert(memcmp(heard, "abcabc", 6) == 0);
	ck_assert(!change_is_publishing(&bus));
	for (size_t i = 3; i < CHANGE_SUBSCRIBERS_MAX; i++)
		ck_assert_int_eq(change_subscribe(&bus, "x", sub_a, "x"), 0);
	ck_assert_int_eq(change_subscribe(&bus, "full", sub_a, "y"), -1);
}
END_TEST

static struct change_bus reentered;

static void
sub_reenter(void *ctx, const struct change *ch)
{
	(void)ctx;
	ck_assert(change_is_publishing(&reentered));
	change_publish(&reentered, ch);
}

/* fatalx exits 1: the test passes only by that exit. */
START_TEST(subscriber_publishing_again_is_fatal)
{
	struct status was = { 0 }, now = { 0 };
	struct change ch = { .was = &was, .now = &now };

	log_init(LOG_LEVEL_ERROR, false);
	ck_assert_int_eq(change_subscribe(&reentered, "bad", sub_reenter,
	    NULL), 0);
	change_publish(&reentered, &ch);
	ck_abort_msg("a re-entering subscriber went on");
}
END_TEST

START_TEST(move_is_role_epoch_or_primary)
{
	struct status a = { 0 }, b = { 0 };

	ck_assert(!change_is_move(&a, &b));
	b.quorum = true;
	b.fenced = true;
	ck_assert(!change_is_move(&a, &b));
	b.epoch = 1;
	ck_assert(change_is_move(&a, &b));
	b = a;
	b.role = WIRE_ROLE_PRIMARY;
	ck_assert(change_is_move(&a, &b));
	b = a;
	snprintf(b.primary, sizeof(b.primary), "n2");
	ck_assert(change_is_move(&a, &b));
}
END_TEST

/* ---- the log subscriber ---- */

static struct elector *el;
static struct metafile_store store;
static char logbuf[LOG_CAPTURE_MAX];

static int
never_save(void *ctx, uint64_t epoch, const char *vote)
{
	(void)ctx;
	(void)epoch;
	(void)vote;
	return 0;
}

/* A three-member elector for the ids, and stderr into logbuf. */
static FILE *
setup_log(void)
{
	static struct elector_member m[3];
	struct elector_config c;
	struct elector_store st = { .save = never_save };
	char err[128];
	FILE *f = tmpfile();

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < 3; i++)
		snprintf(m[i].id, sizeof(m[i].id), "n%zu", i + 1);
	c.members = m;
	c.n_members = 3;
	c.self = 0;
	c.timing.hb_interval_ms = 50;
	c.timing.down_after_ms = 500;
	c.timing.election_timeout_ms = 300;
	c.timing.backoff_ms = 100;
	c.timing.backoff_jitter_ms = 400;
	ck_assert_msg(elector_timing_check(&c.timing, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_ptr_nonnull(el = elector_new(&c, &st, NULL, 0, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(f), STDERR_FILENO), 0);
	log_init(LOG_LEVEL_INFO, false);
	return f;
}

static const char *
captured(FILE *f)
{
	size_t n;

	fflush(stderr);
	rewind(f);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, f);
	logbuf[n] = '\0';
	return logbuf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

START_TEST(transition_logged_once_with_its_cause)
{
	FILE *f = setup_log();
	struct changelog cl = { .el = el, .store = &store };
	struct status was = { 0 }, now = { 0 };
	struct elector_event ev[] = {
		{ .kind = ELECTOR_EV_WON, .epoch = 7, .peer = 0, .detail = 2 },
	};
	struct change ch = { .was = &was, .now = &now, .events = ev,
	    .n_events = 1, .watched = true, .moved = true };
	const char *out;

	was.role = WIRE_ROLE_CANDIDATE;
	was.epoch = 7;
	now.role = WIRE_ROLE_PRIMARY;
	now.epoch = 7;
	snprintf(now.primary, sizeof(now.primary), "n1");
	changelog_on_change(&cl, &ch);
	out = captured(f);
	ck_assert_uint_eq(count(out, "transition "), 1);
	ck_assert_msg(strstr(out, "transition role=primary epoch=7 primary=n1 "
	    "was_role=candidate was_epoch=7 was_primary=none cause=won:n1") !=
	    NULL, "%s", out);
	ck_assert_msg(strstr(out, "event=won") == NULL, "logged twice: %s",
	    out);
	elector_free(el);
	fclose(f);
}
END_TEST

START_TEST(events_that_move_nothing_keep_their_line)
{
	FILE *f = setup_log();
	struct changelog cl = { .el = el, .store = &store };
	struct status was = { 0 }, now = { 0 };
	struct elector_event ev[] = {
		{ .kind = ELECTOR_EV_TIMEOUT, .epoch = 3, .peer = -1,
		  .detail = 250 },
		{ .kind = ELECTOR_EV_VOTE, .epoch = 3, .peer = 1 },
	};
	struct change ch = { .was = &was, .now = &now, .events = ev,
	    .n_events = 2 };
	const char *out;

	was.epoch = now.epoch = 3;
	changelog_on_change(&cl, &ch);
	out = captured(f);
	ck_assert_uint_eq(count(out, "transition "), 0);
	ck_assert_msg(strstr(out, "event=elector_timeout epoch=3 "
	    "backoff_ms=250\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "event=elector_vote epoch=3 peer=n2\n") !=
	    NULL, "%s", out);
	elector_free(el);
	fclose(f);
}
END_TEST

START_TEST(watched_fields_get_one_line_each)
{
	FILE *f = setup_log();
	struct changelog cl = { .el = el, .store = &store };
	struct status was = { 0 }, now = { 0 };
	struct change ch = { .was = &was, .now = &now, .watched = true };
	const char *out;

	was.n_peers = now.n_peers = 1;
	snprintf(now.peers[0].id, sizeof(now.peers[0].id), "n2");
	was.peers[0].up = true;
	now.quorum = true;
	changelog_on_change(&cl, &ch);
	out = captured(f);
	ck_assert_uint_eq(count(out, "quorum=yes"), 1);
	ck_assert_uint_eq(count(out, "event=peer_state peer=n2 state=down"),
	    1);
	ck_assert_uint_eq(count(out, "fenced="), 0);
	elector_free(el);
	fclose(f);
}
END_TEST

static Suite *
change_suite(void)
{
	Suite *s = suite_create("change");
	TCase *bus = tcase_create("bus");
	TCase *log = tcase_create("changelog");

	tcase_add_test(bus, subscribers_hear_in_subscription_order);
	tcase_add_exit_test(bus, subscriber_publishing_again_is_fatal, 1);
	tcase_add_test(bus, move_is_role_epoch_or_primary);
	tcase_add_test(log, transition_logged_once_with_its_cause);
	tcase_add_test(log, events_that_move_nothing_keep_their_line);
	tcase_add_test(log, watched_fields_get_one_line_each);
	suite_add_tcase(s, bus);
	suite_add_tcase(s, log);
	return s;
}

int
main(void)
{
	return runner_main(change_suite());
}
