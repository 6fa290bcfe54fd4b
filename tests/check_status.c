/*
 * Check suite for lib/status: the STATUS, STATUS JSON and PEER
 * renderings are an interface (the kevy server and operators' scripts
 * parse them), so they are compared byte for byte, the JSON is run
 * through a small validator, and the worst case must fit the documented
 * buffer sizes.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "runner.h"
#include "status.h"

static void
set_peer(struct status_peer *p, const char *id, bool up, bool heard,
    uint64_t seen, uint64_t epoch, enum wire_role role, uint64_t offset,
    const char *link, unsigned inbound)
{
	memset(p, 0, sizeof *p);
	strcpy(p->id, id);
	p->up = up;
	p->heard = heard;
	p->last_seen_ms = seen;
	p->epoch = epoch;
	p->role = role;
	p->offset = offset;
	p->link = link;
	p->inbound = inbound;
}

/* A 4-node primary: n2 up, n3 down, n4 never heard. */
static struct status *
sample(void)
{
	struct status *st = calloc(1, sizeof *st);

	ck_assert_ptr_nonnull(st);
	strcpy(st->node_id, "n1");
	st->role = WIRE_ROLE_PRIMARY;
	st->epoch = 7;
	strcpy(st->primary, "n1");
	strcpy(st->primary_addr, "10.0.0.1:6379");
	st->quorum = true;
	st->offset = 12345;
	st->voted_epoch = 7;
	st->since_change_ms = 1500;
	st->uptime_ms = 60000;
	st->local = STATUS_LOCAL_UP;
	st->n_peers = 3;
	set_peer(&st->peers[0], "n2", true, true, 40, 7, WIRE_ROLE_REPLICA,
	    12000, "up", 1);
	set_peer(&st->peers[1], "n3", false, true, 5000, 6, WIRE_ROLE_REPLICA,
	    11000, "connecting", 0);
	set_peer(&st->peers[2], "n4", false, false, 0, 0, 0, 0, "connecting",
	    0);
	st->peers[2].never_stand = true;
	strcpy(st->addr, "127.0.0.1:7001");
	strcpy(st->client_addr, "10.0.0.1:6379");
	strcpy(st->peers[0].addr, "127.0.0.1:7002");
	strcpy(st->peers[0].client_addr, "10.0.0.2:6379");
	return st;
}

/* One JSON object (or array), then exactly "\n" and the end. */
static bool
is_json_line(const char *s)
{
	return jsoncheck_line(s, '{');
}

static bool
is_json_array_line(const char *s)
{
	return jsoncheck_line(s, '[');
}

START_TEST(test_json_validator_self_check)
{
	ck_assert(is_json_line("{\"a\":[1,null,\"x\\\"\"],\"b\":{}}\n"));
	ck_assert(!is_json_line("{\"a\":[1,]}\n"));
	ck_assert(!is_json_line("{\"a\":\"x\"y\"}\n"));
	ck_assert(!is_json_line("{\"a\":1}"));
	ck_assert(!is_json_line("{\"a\":01}\n"));
}
END_TEST

START_TEST(test_format_exact)
{
	struct status *st = sample();
	char buf[STATUS_LINE_MAX];
	size_t n;

	st->paused = true;
	st->pause_left_ms = 1234;
	strcpy(st->switchover, "n2");
	st->priority = 1;
	st->lagging = true;
	n = status_format(st, buf, sizeof buf);
	ck_assert_str_eq(buf, "node_id=n1 role=primary epoch=7 primary=n1 "
	    "primary_addr=10.0.0.1:6379 quorum=yes fenced=no offset=12345 "
	    "down=n3,n4 peers_up=1 peers_total=3 since_change_ms=1500 "
	    "voted_epoch=7 save=ok never_stand=no uptime_ms=60000 local=up "
	    "paused=yes pause_left_ms=1234 switchover=n2 priority=1 "
	    "lagging=yes\n");
	ck_assert_uint_eq(n, strlen(buf));
	free(st);
}
END_TEST

START_TEST(test_format_empty_and_flags)
{
	struct status *st = calloc(1, sizeof *st);
	char buf[STATUS_LINE_MAX];

	strcpy(st->node_id, "solo");
	st->role = WIRE_ROLE_CANDIDATE;
	st->fenced = true;
	st->save_failing = true;
	st->never_stand = true;
	st->offset = UINT64_MAX;
	ck_assert_uint_gt(status_format(st, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "node_id=solo role=candidate epoch=0 "
	    "primary=none primary_addr=none quorum=no fenced=yes "
	    "offset=18446744073709551615 down=none peers_up=0 peers_total=0 "
	    "since_change_ms=0 voted_epoch=0 save=failing never_stand=yes "
	    "uptime_ms=0 local=off paused=no pause_left_ms=0 switchover=none "
	    "priority=0 lagging=no\n");
	st->role = WIRE_ROLE_REPLICA;
	ck_assert_uint_gt(status_format(st, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, " role=replica "));
	free(st);
}
END_TEST

/* Every documented key, once, in the documented order. */
START_TEST(test_keys_in_order)
{
	static const char *const keys[] = {
		"node_id", "role", "epoch", "primary", "primary_addr",
		"quorum", "fenced", "offset", "down", "peers_up",
		"peers_total", "since_change_ms", "voted_epoch", "save",
		"never_stand", "uptime_ms", "local", "paused",
		"pause_left_ms", "switchover", "priority", "lagging",
	};
	struct status *st = sample();
	char buf[STATUS_LINE_MAX], *tok, *save = NULL, *eq;
	size_t i = 0;

	ck_assert_uint_gt(status_format(st, buf, sizeof buf), 0);
	buf[strlen(buf) - 1] = '\0';
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save), i++) {
		ck_assert_uint_lt(i, sizeof keys / sizeof keys[0]);
		eq = strchr(tok, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		ck_assert_str_eq(tok, keys[i]);
		ck_assert_ptr_null(strchr(eq + 1, '='));
	}
	ck_assert_uint_eq(i, sizeof keys / sizeof keys[0]);
	free(st);
}
END_TEST

START_TEST(test_json_exact)
{
	struct status *st = sample();
	char *buf = malloc(STATUS_JSON_MAX);
	size_t n = status_format_json(st, buf, STATUS_JSON_MAX);

	ck_assert_str_eq(buf, "{\"node_id\":\"n1\",\"role\":\"primary\","
	    "\"epoch\":7,\"primary\":\"n1\",\"primary_addr\":\"10.0.0.1:6379\","
	    "\"quorum\":true,\"fenced\":false,\"offset\":12345,"
	    "\"down\":[\"n3\",\"n4\"],\"peers_up\":1,\"peers_total\":3,"
	    "\"since_change_ms\":1500,\"voted_epoch\":7,\"save\":\"ok\","
	    "\"never_stand\":false,\"uptime_ms\":60000,\"local\":\"up\","
	    "\"paused\":false,\"pause_left_ms\":0,\"switchover\":null,"
	    "\"priority\":0,\"lagging\":false,"
	    "\"peers\":["
	    "{\"id\":\"n2\",\"state\":\"up\",\"last_seen_ms\":40,\"epoch\":7,"
	    "\"role\":\"replica\",\"offset\":12000,\"link\":\"up\","
	    "\"inbound\":1,\"never_stand\":false,"
	    "\"addr\":\"127.0.0.1:7002\",\"client_addr\":\"10.0.0.2:6379\"},"
	    "{\"id\":\"n3\",\"state\":\"down\",\"last_seen_ms\":5000,"
	    "\"epoch\":6,\"role\":\"replica\",\"offset\":11000,"
	    "\"link\":\"connecting\",\"inbound\":0,\"never_stand\":false,"
	    "\"addr\":null,\"client_addr\":null},"
	    "{\"id\":\"n4\",\"state\":\"down\",\"last_seen_ms\":null,"
	    "\"epoch\":0,\"role\":null,\"offset\":0,\"link\":\"connecting\","
	    "\"inbound\":0,\"never_stand\":true,\"addr\":null,"
	    "\"client_addr\":null}]}\n");
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert(is_json_line(buf));
	free(buf);
	free(st);
}
END_TEST

START_TEST(test_json_none)
{
	struct status *st = calloc(1, sizeof *st);
	char *buf = malloc(STATUS_JSON_MAX);

	strcpy(st->node_id, "solo");
	st->role = WIRE_ROLE_REPLICA;
	ck_assert_uint_gt(status_format_json(st, buf, STATUS_JSON_MAX), 0);
	ck_assert(is_json_line(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"primary\":null,"
	    "\"primary_addr\":null,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"down\":[],"));
	ck_assert_ptr_nonnull(strstr(buf, "\"peers\":[]}"));
	free(buf);
	free(st);
}
END_TEST

/* Quotes and backslashes in ids are escaped; the line stays one object. */
START_TEST(test_json_escapes)
{
	struct status *st = sample();
	char *buf = malloc(STATUS_JSON_MAX);

	strcpy(st->node_id, "a\"b\\c");
	strcpy(st->peers[1].id, "\"\\\"");
	st->peers[0].link = "we ird\"";
	ck_assert_uint_gt(status_format_json(st, buf, STATUS_JSON_MAX), 0);
	ck_assert(is_json_line(buf));
	ck_assert_ptr_nonnull(strstr(buf, "{\"node_id\":\"a\\\"b\\\\c\","));
	ck_assert_ptr_nonnull(strstr(buf, "\"down\":[\"\\\"\\\\\\\"\",\"n4\"]"));
	ck_assert_ptr_nonnull(strstr(buf, "\"link\":\"we?ird?\""));
	free(buf);
	free(st);
}
END_TEST

START_TEST(test_peer_lines)
{
	struct status *st = sample();
	char buf[STATUS_PEER_LINE_MAX];

	ck_assert_uint_gt(status_format_peer(&st->peers[0], buf, sizeof buf),
	    0);
	ck_assert_str_eq(buf, "id=n2 state=up last_seen_ms=40 epoch=7 "
	    "role=replica offset=12000 link=up inbound=1 never_stand=no "
	    "addr=127.0.0.1:7002 client_addr=10.0.0.2:6379\n");
	ck_assert_uint_gt(status_format_peer(&st->peers[2], buf, sizeof buf),
	    0);
	ck_assert_str_eq(buf, "id=n4 state=down last_seen_ms=never epoch=0 "
	    "role=unknown offset=0 link=connecting inbound=0 "
	    "never_stand=yes addr=none client_addr=none\n");
	st->peers[2].link = NULL;
	ck_assert_uint_gt(status_format_peer(&st->peers[2], buf, sizeof buf),
	    0);
	ck_assert_ptr_nonnull(strstr(buf, " link=none "));
	st->peers[2].link = "a b=c";
	ck_assert_uint_gt(status_format_peer(&st->peers[2], buf, sizeof buf),
	    0);
	ck_assert_ptr_nonnull(strstr(buf, " link=a?b?c "));
	free(st);
}
END_TEST

/* The table of a primary: its own offset is the one lags count from. */
START_TEST(test_cluster_exact)
{
	struct status *st = sample();
	char *buf = malloc(STATUS_CLUSTER_MAX);
	size_t n;

	/* Each row carries its member's configured priority. */
	st->priority = 2;
	st->peers[0].priority = 5;
	st->peers[1].priority = 1;
	n = status_format_cluster(st, buf, STATUS_CLUSTER_MAX);

	ck_assert_str_eq(buf, "["
	    "{\"id\":\"n1\",\"self\":true,\"addr\":\"127.0.0.1:7001\","
	    "\"client_addr\":\"10.0.0.1:6379\",\"role\":\"primary\","
	    "\"state\":\"up\",\"epoch\":7,\"offset\":12345,\"lag\":0,"
	    "\"last_seen_ms\":0,\"never_stand\":false,\"priority\":2},"
	    "{\"id\":\"n2\",\"self\":false,\"addr\":\"127.0.0.1:7002\","
	    "\"client_addr\":\"10.0.0.2:6379\",\"role\":\"replica\","
	    "\"state\":\"up\",\"epoch\":7,\"offset\":12000,\"lag\":345,"
	    "\"last_seen_ms\":40,\"never_stand\":false,\"priority\":5},"
	    "{\"id\":\"n3\",\"self\":false,\"addr\":null,"
	    "\"client_addr\":null,\"role\":\"replica\",\"state\":\"down\","
	    "\"epoch\":6,\"offset\":11000,\"lag\":1345,"
	    "\"last_seen_ms\":5000,\"never_stand\":false,\"priority\":1},"
	    "{\"id\":\"n4\",\"self\":false,\"addr\":null,"
	    "\"client_addr\":null,\"role\":null,\"state\":\"down\","
	    "\"epoch\":0,\"offset\":0,\"lag\":null,\"last_seen_ms\":null,"
	    "\"never_stand\":true,\"priority\":0}]\n");
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert(is_json_array_line(buf));
	free(buf);
	free(st);
}
END_TEST

/*
 * A replica's table: lags count from the primary's last heartbeat, a
 * member ahead of it is 0 behind, and this node's row sits at its place
 * in members, not first.
 */
START_TEST(test_cluster_replica_view)
{
	struct status *st = sample();
	char *buf = malloc(STATUS_CLUSTER_MAX);
	const char *n2, *n3, *self, *n4;

	st->role = WIRE_ROLE_REPLICA;
	strcpy(st->primary, "n2");
	st->peers[0].role = WIRE_ROLE_PRIMARY;
	st->self_index = 2;
	ck_assert_uint_gt(status_format_cluster(st, buf, STATUS_CLUSTER_MAX),
	    0);
	ck_assert(is_json_array_line(buf));
	n2 = strstr(buf, "{\"id\":\"n2\"");
	n3 = strstr(buf, "{\"id\":\"n3\"");
	self = strstr(buf, "{\"id\":\"n1\",\"self\":true");
	n4 = strstr(buf, "{\"id\":\"n4\"");
	ck_assert(n2 == buf + 1 && n2 < n3 && n3 < self && self < n4);
	ck_assert_ptr_nonnull(strstr(n2, "\"role\":\"primary\","
	    "\"state\":\"up\",\"epoch\":7,\"offset\":12000,\"lag\":0,"));
	ck_assert_ptr_nonnull(strstr(n3, "\"offset\":11000,\"lag\":1000,"));
	ck_assert_ptr_nonnull(strstr(self, "\"role\":\"replica\","
	    "\"state\":\"up\",\"epoch\":7,\"offset\":12345,\"lag\":0,"));
	/* The primary never heard: no offset to count from. */
	st->peers[0].heard = false;
	ck_assert_uint_gt(status_format_cluster(st, buf, STATUS_CLUSTER_MAX),
	    0);
	ck_assert_ptr_null(strstr(buf, "\"lag\":1"));
	ck_assert_ptr_null(strstr(buf, "\"lag\":0"));
	free(buf);
	free(st);
}
END_TEST

START_TEST(test_cluster_no_primary_and_alone)
{
	struct status *st = sample();
	char *buf = malloc(STATUS_CLUSTER_MAX);

	st->primary[0] = '\0';
	st->role = WIRE_ROLE_CANDIDATE;
	ck_assert_uint_gt(status_format_cluster(st, buf, STATUS_CLUSTER_MAX),
	    0);
	ck_assert(is_json_array_line(buf));
	ck_assert_ptr_null(strstr(buf, "\"lag\":0"));
	ck_assert_ptr_nonnull(strstr(buf, "\"role\":\"candidate\""));
	st->n_peers = 0;
	st->self_index = 5;       /* out of range: still one row, itself */
	ck_assert_uint_gt(status_format_cluster(st, buf, STATUS_CLUSTER_MAX),
	    0);
	ck_assert(is_json_array_line(buf));
	ck_assert_ptr_nonnull(strstr(buf, "[{\"id\":\"n1\",\"self\":true,"));
	ck_assert_ptr_nonnull(strstr(buf, "}]\n"));
	ck_assert_uint_eq(status_format_cluster(st, buf, 40), 0);
	ck_assert_str_eq(buf, "");
	free(buf);
	free(st);
}
END_TEST

/* 255 peers with the longest ids, all escaped, every number at its max. */
START_TEST(test_worst_case_fits)
{
	struct status *st = calloc(1, sizeof *st);
	char *buf = malloc(STATUS_CLUSTER_MAX > STATUS_JSON_MAX ?
	    STATUS_CLUSTER_MAX : STATUS_JSON_MAX);
	size_t n;

	memset(st->node_id, '"', WIRE_ID_MAX);
	memset(st->primary, '\\', WIRE_ID_MAX);
	memset(st->primary_addr, '"', WIRE_ADDR_MAX);
	st->role = WIRE_ROLE_CANDIDATE;
	st->epoch = st->offset = st->voted_epoch = UINT64_MAX;
	st->since_change_ms = st->uptime_ms = UINT64_MAX;
	st->n_peers = ELECTOR_MEMBERS_MAX - 1;
	for (size_t i = 0; i < st->n_peers; i++) {
		struct status_peer *p = &st->peers[i];

		memset(p->id, i % 2 ? '"' : '\\', WIRE_ID_MAX);
		p->id[0] = (char)('!' + i % 90);
		p->id[1] = (char)('!' + i / 90);
		p->heard = true;
		p->last_seen_ms = p->epoch = p->offset = UINT64_MAX;
		p->role = WIRE_ROLE_CANDIDATE;
		p->link = "connecting-connecting-connecting-connecting";
		p->inbound = UINT32_MAX;
		memset(p->addr, '"', STATUS_ADDR_MAX);
		memset(p->client_addr, '\\', WIRE_ADDR_MAX);
	}
	memset(st->addr, '"', STATUS_ADDR_MAX);
	memset(st->client_addr, '"', WIRE_ADDR_MAX);
	n = status_format(st, buf, STATUS_LINE_MAX);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, STATUS_LINE_MAX);
	n = status_format_json(st, buf, STATUS_JSON_MAX);
	ck_assert_uint_gt(n, 0);
	ck_assert(is_json_line(buf));
	n = status_format_peer(&st->peers[0], buf, STATUS_PEER_LINE_MAX);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, STATUS_PEER_LINE_MAX);
	/* The cluster table, with the primary known so every lag is a number. */
	memcpy(st->primary, st->peers[3].id, sizeof st->primary);
	st->self_index = st->n_peers;
	n = status_format_cluster(st, buf, STATUS_CLUSTER_MAX);
	ck_assert_uint_gt(n, 0);
	ck_assert(is_json_array_line(buf));
	free(buf);
	free(st);
}
END_TEST

/* Too small a buffer: refused whole, never a cut line. */
START_TEST(test_too_small)
{
	struct status *st = sample();
	char buf[64];

	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(status_format(st, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(status_format_json(st, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(status_format_peer(&st->peers[0], buf, 10), 0);
	ck_assert_str_eq(buf, "");
	free(st);
}
END_TEST

START_TEST(test_peers_up)
{
	struct status *st = sample();

	ck_assert_uint_eq(status_peers_up(st), 1);
	st->peers[1].up = st->peers[2].up = true;
	ck_assert_uint_eq(status_peers_up(st), 3);
	st->n_peers = 0;
	ck_assert_uint_eq(status_peers_up(st), 0);
	free(st);
}
END_TEST

START_TEST(test_differs)
{
	struct status *a = sample(), *b = sample();

	ck_assert(!status_watch_differs(a, b));
	/* Not watched: offsets, timers, link states, last_seen. */
	b->offset++;
	b->since_change_ms++;
	b->uptime_ms++;
	b->voted_epoch++;
	b->peers[0].last_seen_ms++;
	b->peers[0].link = "connecting";
	ck_assert(!status_watch_differs(a, b));

	b->role = WIRE_ROLE_REPLICA;
	ck_assert(status_watch_differs(a, b));
	b->role = a->role;
	b->epoch++;
	ck_assert(status_watch_differs(a, b));
	b->epoch = a->epoch;
	strcpy(b->primary, "n2");
	ck_assert(status_watch_differs(a, b));
	b->primary[0] = '\0';
	ck_assert(status_watch_differs(a, b));
	strcpy(b->primary, a->primary);
	b->quorum = !a->quorum;
	ck_assert(status_watch_differs(a, b));
	b->quorum = a->quorum;
	b->fenced = !a->fenced;
	ck_assert(status_watch_differs(a, b));
	b->fenced = a->fenced;
	b->peers[1].up = true;
	ck_assert(status_watch_differs(a, b));
	b->peers[1].up = false;
	ck_assert(!status_watch_differs(a, b));

	/* The down set is a set: another order of peers is no change. */
	b->peers[0] = a->peers[2];
	b->peers[2] = a->peers[0];
	ck_assert(!status_watch_differs(a, b));
	b->peers[2].up = false;
	ck_assert(status_watch_differs(a, b));
	b->peers[2].up = true;
	b->n_peers = 1;    /* n3 (down) gone from the list */
	ck_assert(status_watch_differs(a, b));
	free(a);
	free(b);
}
END_TEST

/*
 * status_is_same: the STATUS line cache's key (daemon/ctl_client.c). Any
 * field that renders differently makes it false; peers past n_peers,
 * which no rendering reads, do not count.
 */
START_TEST(test_is_same)
{
	struct status *a = sample(), *b = sample();
	char la[STATUS_LINE_MAX], lb[STATUS_LINE_MAX];

	ck_assert(status_is_same(a, b));
	ck_assert_uint_gt(status_format(a, la, sizeof la), 0);
	ck_assert_uint_gt(status_format(b, lb, sizeof lb), 0);
	ck_assert_str_eq(la, lb);
	strcpy(b->peers[5].id, "n9");	/* not in use: n_peers is 3 */
	ck_assert(status_is_same(a, b));
	b->uptime_ms++;
	ck_assert(!status_is_same(a, b));
	b->uptime_ms--;
	b->peers[2].offset = 1;
	ck_assert(!status_is_same(a, b));
	b->peers[2].offset = 0;
	b->offset = 1;
	ck_assert(!status_is_same(a, b));
	b->offset = a->offset;
	b->n_peers = 2;
	ck_assert(!status_is_same(a, b));
	free(a);
	free(b);
}
END_TEST

static Suite *
status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_json_validator_self_check);
	tcase_add_test(tc, test_format_exact);
	tcase_add_test(tc, test_is_same);
	tcase_add_test(tc, test_format_empty_and_flags);
	tcase_add_test(tc, test_keys_in_order);
	tcase_add_test(tc, test_json_exact);
	tcase_add_test(tc, test_json_none);
	tcase_add_test(tc, test_json_escapes);
	tcase_add_test(tc, test_peer_lines);
	tcase_add_test(tc, test_cluster_exact);
	tcase_add_test(tc, test_cluster_replica_view);
	tcase_add_test(tc, test_cluster_no_primary_and_alone);
	tcase_add_test(tc, test_worst_case_fits);
	tcase_add_test(tc, test_too_small);
	tcase_add_test(tc, test_peers_up);
	tcase_add_test(tc, test_differs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(status_suite());
}
