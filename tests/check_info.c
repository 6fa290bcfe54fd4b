/*
 * Check suite for lib/info: INFO replication texts as Redis 7 prints them
 * (a primary with two replicas, a replica in sync, a replica syncing with
 * its link down), with CRLF and LF line ends, missing fields, unknown
 * fields, the replica cap, and malformed texts refused whole with their
 * sentence and *out untouched. Every parse runs on a heap copy of exactly
 * the given length, with no NUL after it, so ASan flags a read past len.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "runner.h"

/* Redis 7.2, INFO replication on a primary with two replicas. */
static const char primary_crlf[] =
    "# Replication\r\n"
    "role:master\r\n"
    "connected_slaves:2\r\n"
    "slave0:ip=10.0.0.2,port=6379,state=online,offset=3212451,lag=0\r\n"
    "slave1:ip=10.0.0.3,port=6380,state=wait_bgsave,offset=0,lag=12\r\n"
    "master_failover_state:no-failover\r\n"
    "master_replid:6a1b2b9f2e4f0b2d8e1c5a7d3f9b0c4e2a6d8f10\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:3212451\r\n"
    "second_repl_offset:-1\r\n"
    "repl_backlog_active:1\r\n"
    "repl_backlog_size:1048576\r\n"
    "repl_backlog_first_byte_offset:2163876\r\n"
    "repl_backlog_histlen:1048576\r\n";

/* The same server's view from a replica in sync. */
static const char replica_crlf[] =
    "# Replication\r\n"
    "role:slave\r\n"
    "master_host:10.0.0.1\r\n"
    "master_port:6379\r\n"
    "master_link_status:up\r\n"
    "master_last_io_seconds_ago:1\r\n"
    "master_sync_in_progress:0\r\n"
    "slave_read_repl_offset:3212451\r\n"
    "slave_repl_offset:3212440\r\n"
    "slave_priority:100\r\n"
    "slave_read_only:1\r\n"
    "replica_announced:1\r\n"
    "connected_slaves:0\r\n"
    "master_failover_state:no-failover\r\n"
    "master_replid:6a1b2b9f2e4f0b2d8e1c5a7d3f9b0c4e2a6d8f10\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:3212451\r\n"
    "second_repl_offset:-1\r\n"
    "repl_backlog_active:1\r\n"
    "repl_backlog_size:1048576\r\n"
    "repl_backlog_first_byte_offset:1\r\n"
    "repl_backlog_histlen:3212451\r\n";

/* A replica that has just been pointed at a primary it cannot reach. */
static const char replica_syncing[] =
    "# Replication\r\n"
    "role:slave\r\n"
    "master_host:primary-1.cache.example.internal\r\n"
    "master_port:6379\r\n"
    "master_link_status:down\r\n"
    "master_last_io_seconds_ago:-1\r\n"
    "master_sync_in_progress:1\r\n"
    "slave_read_repl_offset:0\r\n"
    "slave_repl_offset:0\r\n"
    "master_sync_total_bytes:-1\r\n"
    "master_sync_read_bytes:0\r\n"
    "master_sync_left_bytes:-1\r\n"
    "master_sync_perc:-0.00\r\n"
    "master_sync_last_io_seconds_ago:0\r\n"
    "master_link_down_since_seconds:-1\r\n"
    "slave_priority:100\r\n"
    "slave_read_only:1\r\n"
    "replica_announced:1\r\n"
    "connected_slaves:0\r\n"
    "master_failover_state:no-failover\r\n"
    "master_replid:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567\r\n"
    "master_replid2:0000000000000000000000000000000000000000\r\n"
    "master_repl_offset:0\r\n"
    "second_repl_offset:-1\r\n"
    "repl_backlog_active:0\r\n"
    "repl_backlog_size:1048576\r\n"
    "repl_backlog_first_byte_offset:0\r\n"
    "repl_backlog_histlen:0\r\n";

/* Parse text[0..len) from a heap copy of exactly that size. */
static int
parse_n(const char *text, size_t len, struct info_replication *out,
    char *err, size_t errlen)
{
	char *h = malloc(len > 0 ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(h);
	memcpy(h, text, len);
	rc = info_parse_replication(h, len, out, err, errlen);
	free(h);
	return rc;
}

static int
parse(const char *text, struct info_replication *out, char *err,
    size_t errlen)
{
	return parse_n(text, strlen(text), out, err, errlen);
}

/* text with every "\r\n" turned into "\n", into a malloc'd string. */
static char *
to_lf(const char *text)
{
	char *s = malloc(strlen(text) + 1), *d = s;

	ck_assert_ptr_nonnull(s);
	for (; *text != '\0'; text++)
		if (!(text[0] == '\r' && text[1] == '\n'))
			*d++ = *text;
	*d = '\0';
	return s;
}

static void
assert_same(const struct info_replication *a, const struct info_replication *b)
{
	size_t i;

	ck_assert_uint_eq(a->have, b->have);
	ck_assert_int_eq(a->role, b->role);
	ck_assert_str_eq(a->master_host, b->master_host);
	ck_assert_uint_eq(a->master_port, b->master_port);
	ck_assert_int_eq(a->master_link, b->master_link);
	ck_assert_int_eq(a->master_sync_in_progress,
	    b->master_sync_in_progress);
	ck_assert_uint_eq(a->master_repl_offset, b->master_repl_offset);
	ck_assert_uint_eq(a->slave_repl_offset, b->slave_repl_offset);
	ck_assert_uint_eq(a->connected_slaves, b->connected_slaves);
	ck_assert_uint_eq(a->nreplicas, b->nreplicas);
	ck_assert_uint_eq(a->replicas_omitted, b->replicas_omitted);
	for (i = 0; i < a->nreplicas; i++) {
		ck_assert_str_eq(a->replicas[i].ip, b->replicas[i].ip);
		ck_assert_uint_eq(a->replicas[i].port, b->replicas[i].port);
		ck_assert_str_eq(a->replicas[i].state, b->replicas[i].state);
		ck_assert_uint_eq(a->replicas[i].offset,
		    b->replicas[i].offset);
		ck_assert_int_eq(a->replicas[i].lag, b->replicas[i].lag);
		ck_assert_int_eq(a->replicas[i].has_lag,
		    b->replicas[i].has_lag);
	}
}

START_TEST(test_primary)
{
	struct info_replication r;
	char err[128] = "";

	ck_assert_int_eq(parse(primary_crlf, &r, err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(r.role, INFO_ROLE_PRIMARY);
	ck_assert_uint_eq(r.have, INFO_HAVE_CONNECTED_SLAVES |
	    INFO_HAVE_MASTER_REPL_OFFSET);
	ck_assert_uint_eq(r.connected_slaves, 2);
	ck_assert_uint_eq(r.master_repl_offset, 3212451);
	ck_assert_int_eq(r.master_link, INFO_LINK_UNKNOWN);
	ck_assert_str_eq(r.master_host, "");
	ck_assert_uint_eq(r.nreplicas, 2);
	ck_assert_uint_eq(r.replicas_omitted, 0);
	ck_assert_str_eq(r.replicas[0].ip, "10.0.0.2");
	ck_assert_uint_eq(r.replicas[0].port, 6379);
	ck_assert_str_eq(r.replicas[0].state, "online");
	ck_assert_uint_eq(r.replicas[0].offset, 3212451);
	ck_assert_int_eq(r.replicas[0].lag, 0);
	ck_assert(r.replicas[0].has_lag);
	ck_assert_str_eq(r.replicas[1].ip, "10.0.0.3");
	ck_assert_uint_eq(r.replicas[1].port, 6380);
	ck_assert_str_eq(r.replicas[1].state, "wait_bgsave");
	ck_assert_uint_eq(r.replicas[1].offset, 0);
	ck_assert_int_eq(r.replicas[1].lag, 12);
}
END_TEST

START_TEST(test_replica)
{
	struct info_replication r;
	char err[128];

	ck_assert_int_eq(parse(replica_crlf, &r, err, sizeof err), 0);
	ck_assert_int_eq(r.role, INFO_ROLE_REPLICA);
	ck_assert_uint_eq(r.have, INFO_HAVE_MASTER_HOST |
	    INFO_HAVE_MASTER_PORT | INFO_HAVE_MASTER_LINK_STATUS |
	    INFO_HAVE_MASTER_SYNC | INFO_HAVE_MASTER_REPL_OFFSET |
	    INFO_HAVE_SLAVE_REPL_OFFSET | INFO_HAVE_CONNECTED_SLAVES);
	ck_assert_str_eq(r.master_host, "10.0.0.1");
	ck_assert_uint_eq(r.master_port, 6379);
	ck_assert_int_eq(r.master_link, INFO_LINK_UP);
	ck_assert(!r.master_sync_in_progress);
	ck_assert_uint_eq(r.slave_repl_offset, 3212440);
	ck_assert_uint_eq(r.master_repl_offset, 3212451);
	ck_assert_uint_eq(r.connected_slaves, 0);
	ck_assert_uint_eq(r.nreplicas, 0);

	ck_assert_int_eq(parse(replica_syncing, &r, err, sizeof err), 0);
	ck_assert_int_eq(r.role, INFO_ROLE_REPLICA);
	ck_assert_str_eq(r.master_host, "primary-1.cache.example.internal");
	ck_assert_int_eq(r.master_link, INFO_LINK_DOWN);
	ck_assert(r.master_sync_in_progress);
	ck_assert_uint_eq(r.slave_repl_offset, 0);
}
END_TEST

/* LF line ends, a last line without one, and a mix: the same result. */
START_TEST(test_line_ends)
{
	const char *samples[] = { primary_crlf, replica_crlf,
	    replica_syncing };
	struct info_replication a, b;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char *lf = to_lf(samples[i]);
		size_t n = strlen(samples[i]);

		ck_assert_int_eq(parse(samples[i], &a, err, sizeof err), 0);
		ck_assert_int_eq(parse(lf, &b, err, sizeof err), 0);
		assert_same(&a, &b);
		/* Without the last line end, CRLF and LF. */
		ck_assert_int_eq(parse_n(samples[i], n - 2, &b, err,
		    sizeof err), 0);
		assert_same(&a, &b);
		ck_assert_int_eq(parse_n(lf, strlen(lf) - 1, &b, err,
		    sizeof err), 0);
		assert_same(&a, &b);
		free(lf);
	}
	ck_assert_int_eq(parse("role:master\nconnected_slaves:1\r\n"
	    "slave0:ip=a,port=1,state=online,offset=5,lag=0\n"
	    "master_repl_offset:5", &a, err, sizeof err), 0);
	ck_assert_uint_eq(a.nreplicas, 1);
	ck_assert_uint_eq(a.master_repl_offset, 5);
	/* Blank lines, CR alone included, are skipped. */
	ck_assert_int_eq(parse("\n\r\n\r\nrole:master\n\n", &a, err,
	    sizeof err), 0);
}
END_TEST

/* Only role is required; have says what else was there. */
START_TEST(test_missing_fields)
{
	struct info_replication r;
	char err[128];

	ck_assert_int_eq(parse("role:master\r\n", &r, err, sizeof err), 0);
	ck_assert_int_eq(r.role, INFO_ROLE_PRIMARY);
	ck_assert_uint_eq(r.have, 0);
	ck_assert_uint_eq(r.nreplicas, 0);
	ck_assert_uint_eq(r.master_repl_offset, 0);
	ck_assert_int_eq(parse("role:slave\r\nmaster_port:6379\r\n", &r, err,
	    sizeof err), 0);
	ck_assert_uint_eq(r.have, INFO_HAVE_MASTER_PORT);
	ck_assert_int_eq(r.master_link, INFO_LINK_UNKNOWN);
	ck_assert_int_eq(parse("role:replica\r\n", &r, err, sizeof err), 0);
	ck_assert_int_eq(r.role, INFO_ROLE_REPLICA);

	ck_assert_int_eq(parse("", &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "no role line: not INFO replication");
	ck_assert_int_eq(parse("# Replication\r\n", &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "no role line: not INFO replication");
	ck_assert_int_eq(parse("connected_slaves:0\r\nmaster_repl_offset:1\r\n",
	    &r, err, sizeof err), -1);
	/* Keys are case-sensitive, as the server prints them. */
	ck_assert_int_eq(parse("ROLE:master\r\n", &r, err, sizeof err), -1);
}
END_TEST

/* Unknown keys, other sections, unknown replica fields: skipped. */
START_TEST(test_unknown_skipped)
{
	struct info_replication r;
	char err[128];

	ck_assert_int_eq(parse("# Server\r\nredis_version:7.2.4\r\n"
	    "uptime_in_seconds:5\r\n\r\n# Replication\r\nrole:master\r\n"
	    "connected_slaves:1\r\n"
	    "slave0:ip=::1,port=7000,state=online,offset=9,lag=1,type=x,"
	    "future=a=b\r\nmaster_new_field:\r\nweird key: v\r\n"
	    "slave_priority:abc\r\n\r\n# Keyspace\r\n"
	    "db0:keys=1,expires=0,avg_ttl=0\r\n", &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.nreplicas, 1);
	ck_assert_str_eq(r.replicas[0].ip, "::1");
	ck_assert_uint_eq(r.replicas[0].port, 7000);
	ck_assert_int_eq(r.replicas[0].lag, 1);
	/* lag is optional, port 0 is what Redis prints before REPLCONF,
	 * and a clock stepped back makes lag negative. */
	ck_assert_int_eq(parse("role:master\r\n"
	    "slave0:ip=h,port=0,state=send_bulk,offset=0\r\n"
	    "slave1:offset=1,state=online,port=2,ip=g,lag=-3\r\n",
	    &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.nreplicas, 2);
	ck_assert(!r.replicas[0].has_lag);
	ck_assert_uint_eq(r.replicas[0].port, 0);
	ck_assert_str_eq(r.replicas[0].state, "send_bulk");
	ck_assert(r.replicas[1].has_lag);
	ck_assert_int_eq(r.replicas[1].lag, -3);
	ck_assert_str_eq(r.replicas[1].ip, "g");
}
END_TEST

/* The lines of n replicas, slave0 .. slave(n-1), after role:master. */
static char *
replicas_text(size_t n)
{
	char *s = malloc(32 + n * 80), *p = s;
	size_t i;

	ck_assert_ptr_nonnull(s);
	p += sprintf(p, "role:master\r\nconnected_slaves:%zu\r\n", n);
	for (i = 0; i < n; i++)
		p += sprintf(p, "slave%zu:ip=10.0.1.%zu,port=6379,"
		    "state=online,offset=%zu,lag=0\r\n", i, i, 1000 + i);
	return s;
}

START_TEST(test_replicas_cap)
{
	struct info_replication r;
	char err[128], *t;

	t = replicas_text(INFO_REPLICAS_MAX);
	ck_assert_int_eq(parse(t, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.nreplicas, INFO_REPLICAS_MAX);
	ck_assert_uint_eq(r.replicas_omitted, 0);
	ck_assert_uint_eq(r.replicas[INFO_REPLICAS_MAX - 1].offset,
	    1000 + INFO_REPLICAS_MAX - 1);
	free(t);
	t = replicas_text(INFO_REPLICAS_MAX + 1);
	ck_assert_int_eq(parse(t, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.nreplicas, INFO_REPLICAS_MAX);
	ck_assert_uint_eq(r.replicas_omitted, 1);
	ck_assert_uint_eq(r.connected_slaves, INFO_REPLICAS_MAX + 1);
	free(t);
	/* Past the cap the lines are still checked, order included. */
	t = replicas_text(INFO_REPLICAS_MAX + 3);
	strstr(t, "slave17:")[6] = '9';
	ck_assert_int_eq(parse(t, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 20: slave19: out of order");
	free(t);
}
END_TEST

START_TEST(test_limits)
{
	char host[INFO_HOST_MAX + 2], text[2 * INFO_LINE_MAX];
	struct info_replication r;
	char err[128];

	/* A host at its cap, then one byte over. */
	memset(host, 'h', INFO_HOST_MAX);
	host[INFO_HOST_MAX] = '\0';
	snprintf(text, sizeof text, "role:slave\nmaster_host:%s\n", host);
	ck_assert_int_eq(parse(text, &r, err, sizeof err), 0);
	ck_assert_str_eq(r.master_host, host);
	snprintf(text, sizeof text, "role:master\nslave0:ip=%s,port=1,"
	    "state=online,offset=1\n", host);
	ck_assert_int_eq(parse(text, &r, err, sizeof err), 0);
	ck_assert_str_eq(r.replicas[0].ip, host);
	strcat(host, "h");
	snprintf(text, sizeof text, "role:slave\nmaster_host:%s\n", host);
	ck_assert_int_eq(parse(text, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 2: master_host: not a host name or "
	    "address");
	snprintf(text, sizeof text, "role:master\nslave0:ip=%s,port=1,"
	    "state=online,offset=1\n", host);
	ck_assert_int_eq(parse(text, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 2: slave0: bad ip");

	/* A line of exactly INFO_LINE_MAX bytes, then one more. */
	memset(text, 'v', sizeof text);
	memcpy(text, "role:master\r\nk:", 15);
	memcpy(text + 13 + INFO_LINE_MAX, "\r\n", 3);
	ck_assert_int_eq(parse(text, &r, err, sizeof err), 0);
	memset(text, 'v', sizeof text);
	memcpy(text, "role:master\r\nk:", 15);
	memcpy(text + 13 + INFO_LINE_MAX + 1, "\r\n", 3);
	ck_assert_int_eq(parse(text, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 2: line too long");
	/* Also as the last line, without its line end. */
	ck_assert_int_eq(parse_n(text, 13 + INFO_LINE_MAX, &r, err,
	    sizeof err), 0);
	ck_assert_int_eq(parse_n(text, 13 + INFO_LINE_MAX + 1, &r, err,
	    sizeof err), -1);

	/* The state's cap. */
	ck_assert_int_eq(parse("role:master\nslave0:ip=a,port=1,offset=1,"
	    "state=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", &r, err, sizeof err),
	    0);
	ck_assert_uint_eq(strlen(r.replicas[0].state), INFO_STATE_MAX);
	ck_assert_int_eq(parse("role:master\nslave0:ip=a,port=1,offset=1,"
	    "state=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", &r, err, sizeof err),
	    -1);
	ck_assert_str_eq(err, "line 2: slave0: bad state");
}
END_TEST

/* Texts refused whole, and the sentence each is refused with. */
static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* not INFO at all */
	{ "hello world\r\n", "line 1: not key:value" },
	{ "role:master\r\n+OK\r\n", "line 2: not key:value" },
	{ "role master\r\n", "line 1: not key:value" },
	{ "-ERR unknown command\r\n", "line 1: not key:value" },
	/* role */
	{ "role:leader\r\n", "line 1: role: unknown role" },
	{ "role:Master\r\n", "line 1: role: unknown role" },
	{ "role:master \r\n", "line 1: role: unknown role" },
	{ "role:\r\n", "line 1: role: unknown role" },
	{ "role:master\r\r\n", "line 1: role: unknown role" },
	{ "role:master\r\nrole:slave\r\n", "line 2: role: appears twice" },
	/* numbers */
	{ "role:slave\r\nmaster_port:abc\r\n",
	  "line 2: master_port: not a port" },
	{ "role:slave\r\nmaster_port:65536\r\n",
	  "line 2: master_port: not a port" },
	{ "role:slave\r\nmaster_port:-1\r\n",
	  "line 2: master_port: not a port" },
	{ "role:slave\r\nmaster_port:\r\n", "line 2: master_port: not a port" },
	{ "role:slave\r\nmaster_port: 6379\r\n",
	  "line 2: master_port: not a port" },
	{ "role:slave\r\nmaster_port:6379\r\r\n",
	  "line 2: master_port: not a port" },
	{ "role:master\r\nmaster_repl_offset:-1\r\n",
	  "line 2: master_repl_offset: not an offset" },
	{ "role:master\r\nmaster_repl_offset:18446744073709551616\r\n",
	  "line 2: master_repl_offset: not an offset" },
	{ "role:master\r\nmaster_repl_offset:+5\r\n",
	  "line 2: master_repl_offset: not an offset" },
	{ "role:master\r\nmaster_repl_offset:0x10\r\n",
	  "line 2: master_repl_offset: not an offset" },
	{ "role:slave\r\nslave_repl_offset:1e6\r\n",
	  "line 2: slave_repl_offset: not an offset" },
	{ "role:master\r\nconnected_slaves:two\r\n",
	  "line 2: connected_slaves: not a count" },
	/* flags and states */
	{ "role:slave\r\nmaster_sync_in_progress:2\r\n",
	  "line 2: master_sync_in_progress: neither 0 nor 1" },
	{ "role:slave\r\nmaster_sync_in_progress:00\r\n",
	  "line 2: master_sync_in_progress: neither 0 nor 1" },
	{ "role:slave\r\nmaster_link_status:UP\r\n",
	  "line 2: master_link_status: neither up nor down" },
	{ "role:slave\r\nmaster_link_status:\r\n",
	  "line 2: master_link_status: neither up nor down" },
	{ "role:slave\r\nmaster_host:\r\n",
	  "line 2: master_host: not a host name or address" },
	{ "role:slave\r\nmaster_host:a b\r\n",
	  "line 2: master_host: not a host name or address" },
	{ "role:slave\r\nmaster_host:h\xc3\xa9\r\n",
	  "line 2: master_host: not a host name or address" },
	{ "role:slave\r\nmaster_port:1\r\nmaster_port:1\r\n",
	  "line 3: master_port: appears twice" },
	/* replica lines */
	{ "role:master\r\nslave1:ip=a,port=1,state=online,offset=1\r\n",
	  "line 2: slave1: out of order" },
	{ "role:master\r\nslave0:ip=a,port=1,state=online,offset=1\r\n"
	  "slave0:ip=a,port=1,state=online,offset=1\r\n",
	  "line 3: slave0: out of order" },
	{ "role:master\r\nslave0:ip=a,port=1,state=online\r\n",
	  "line 2: slave0: ip, port, state or offset missing" },
	{ "role:master\r\nslave0:port=1,state=online,offset=1\r\n",
	  "line 2: slave0: ip, port, state or offset missing" },
	{ "role:master\r\nslave0:\r\n",
	  "line 2: slave0: an item is not key=value" },
	{ "role:master\r\nslave0:ip=a,port=1,state=online,offset=1,\r\n",
	  "line 2: slave0: an item is not key=value" },
	{ "role:master\r\nslave0:ip=a,port=1,,state=online,offset=1\r\n",
	  "line 2: slave0: an item is not key=value" },
	{ "role:master\r\nslave0:ip=a,ip=b,port=1,state=online,offset=1\r\n",
	  "line 2: slave0: a field appears twice" },
	{ "role:master\r\nslave0:ip=,port=1,state=online,offset=1\r\n",
	  "line 2: slave0: bad ip" },
	{ "role:master\r\nslave0:ip=a,port=99999,state=online,offset=1\r\n",
	  "line 2: slave0: bad port" },
	{ "role:master\r\nslave0:ip=a,port=1,state=,offset=1\r\n",
	  "line 2: slave0: bad state" },
	{ "role:master\r\nslave0:ip=a,port=1,state=online,offset=-1\r\n",
	  "line 2: slave0: bad offset" },
	{ "role:master\r\nslave0:ip=a,port=1,state=online,offset=1,lag=x\r\n",
	  "line 2: slave0: bad lag" },
	{ "role:master\r\nslave0:ip=a,port=1,state=online,offset=1,lag=\r\n",
	  "line 2: slave0: bad lag" },
};

START_TEST(test_rejects)
{
	struct info_replication r, before;
	char err[128];

	/* *out is left as it was. */
	memset(&r, 0xa5, sizeof r);
	before = r;
	ck_assert_int_eq(parse(bad[_i].text, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, bad[_i].err);
	ck_assert_mem_eq(&r, &before, sizeof r);
}
END_TEST

/* A NUL anywhere is refused: the text is bytes, not a C string. */
START_TEST(test_nul)
{
	static const char t1[] = "role:master\r\nmaster_repl_offset:1\0\r\n";
	static const char t2[] = "role:master\r\nx:\0\r\n";
	struct info_replication r;
	char err[128];

	ck_assert_int_eq(parse_n(t1, sizeof t1 - 1, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 2: NUL in the text");
	ck_assert_int_eq(parse_n(t2, sizeof t2 - 1, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 2: NUL in the text");
}
END_TEST

/* Every prefix of a sample (a reply cut anywhere): no read past len. */
START_TEST(test_prefixes)
{
	const char *samples[] = { primary_crlf, replica_crlf,
	    replica_syncing };
	struct info_replication r;
	char err[128];
	size_t i, k;
	int nok = 0, nerr = 0;

	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		for (k = 0; k <= strlen(samples[i]); k++) {
			if (parse_n(samples[i], k, &r, err, sizeof err) == 0)
				nok++;
			else
				nerr++;
		}
	}
	ck_assert_int_gt(nok, 0);
	ck_assert_int_gt(nerr, 0);
	/* "master_port:63" of "master_port:6379": the digits it has. */
	ck_assert_int_eq(parse_n(replica_crlf, strstr(replica_crlf,
	    "6379") - replica_crlf + 2, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.master_port, 63);
}
END_TEST

/* No error buffer, or one of size 0 or 1: still -1, nothing overrun. */
START_TEST(test_err_buffers)
{
	struct info_replication r;
	char err[8];

	ck_assert_int_eq(parse("role:x\n", &r, NULL, 0), -1);
	ck_assert_int_eq(parse("role:x\n", &r, err, 0), -1);
	memset(err, 'z', sizeof err);
	ck_assert_int_eq(parse("role:x\n", &r, err, 1), -1);
	ck_assert_int_eq(err[0], '\0');
	ck_assert_int_eq(err[1], 'z');
	ck_assert_int_eq(parse("role:x\n", &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 1:");
	ck_assert_int_eq(parse("role:master\n", &r, NULL, 0), 0);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(info_role_name(INFO_ROLE_PRIMARY), "primary");
	ck_assert_str_eq(info_role_name(INFO_ROLE_REPLICA), "replica");
	ck_assert_str_eq(info_role_name(INFO_ROLE_UNKNOWN), "unknown");
	ck_assert_str_eq(info_role_name((enum info_role)42), "unknown");
	ck_assert_str_eq(info_link_name(INFO_LINK_UP), "up");
	ck_assert_str_eq(info_link_name(INFO_LINK_DOWN), "down");
	ck_assert_str_eq(info_link_name(INFO_LINK_UNKNOWN), "unknown");
	ck_assert_str_eq(info_link_name((enum info_link)42), "unknown");
}
END_TEST

static Suite *
info_suite(void)
{
	Suite *s = suite_create("info");
	TCase *tc = tcase_create("info");

	tcase_add_test(tc, test_primary);
	tcase_add_test(tc, test_replica);
	tcase_add_test(tc, test_line_ends);
	tcase_add_test(tc, test_missing_fields);
	tcase_add_test(tc, test_unknown_skipped);
	tcase_add_test(tc, test_replicas_cap);
	tcase_add_test(tc, test_limits);
	tcase_add_loop_test(tc, test_rejects, 0, (int)(sizeof bad /
	    sizeof bad[0]));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_err_buffers);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(info_suite());
}
