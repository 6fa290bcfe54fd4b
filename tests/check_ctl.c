/*
 * Check suite for the control socket (daemon/ctl.c, daemon/ctl_client.c):
 * a real event_base and a real Unix socket in a mkdtemp directory, fake
 * daemon ops over a static struct status the tests edit, and plain
 * blocking client sockets. The loop runs only while a client waits for a
 * reply (cl_line), bounded by DEADLINE_MS; nothing waits on a fixed sleep.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.h"
#include "log.h"

#define DEADLINE_MS 5000     /* for any one awaited event */
#define CL_BUF      8192     /* client-side buffer for ordinary replies */
#define MANY        1024     /* concurrent clients the issue asks for */

struct cl {
	int	 fd;
	bool	 eof;
	size_t	 len;
	size_t	 cap;
	char	*buf;
};

static struct event_base *base;
static struct ctl *ctl;
static struct status fake;
static unsigned status_calls, offset_calls;
static struct ctl *publish_to;   /* set: OFFSET <n> publishes, as core does */
static bool status_publishes;    /* and so does every status read */
static char dir[64], path[128];
static char big[STATUS_JSON_MAX + 1];

static void
fake_status(void *ctx, struct status *out)
{
	(void)ctx;
	status_calls++;
	*out = fake;
	/* Between the snapshot and its rendering: neither may change. */
	if (status_publishes && publish_to != NULL)
		ctl_publish(publish_to, &fake);
}

static const char *
fake_set_offset(void *ctx, uint64_t offset)
{
	(void)ctx;
	offset_calls++;
	fake.offset = offset;
	/* The daemon publishes from inside the request (core.c: after()). */
	if (publish_to != NULL) {
		fake.epoch++;
		ctl_publish(publish_to, &fake);
	}
	return NULL;
}

static unsigned alive_calls;

static void
fake_alive(void *ctx)
{
	(void)ctx;
	alive_calls++;
}

static const struct ctl_ops ops = { fake_status, fake_set_offset, fake_alive,
    NULL, NULL, NULL, NULL };

static void
set_peer(struct status_peer *p, const char *id, bool up, enum wire_role r,
    const char *link)
{
	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", id);
	p->up = up;
	p->heard = up;
	p->last_seen_ms = up ? 40 : 0;
	p->epoch = 7;
	p->role = r;
	p->offset = 100;
	p->link = link;
	p->inbound = up;
}

static void
fake_reset(void)
{
	memset(&fake, 0, sizeof fake);
	strcpy(fake.node_id, "n1");
	fake.role = WIRE_ROLE_PRIMARY;
	fake.epoch = 7;
	strcpy(fake.primary, "n1");
	strcpy(fake.primary_addr, "10.0.0.1:6379");
	fake.quorum = true;
	fake.offset = 12345;
	fake.n_peers = 3;
	set_peer(&fake.peers[0], "n2", true, WIRE_ROLE_REPLICA, "up");
	set_peer(&fake.peers[1], "n3", false, 0, "connecting");
	set_peer(&fake.peers[2], "n4", false, 0, "connecting");
}

/* 255 peers, all down, long ids: STATUS lines of about 9 KiB. */
static void
fake_big(void)
{
	fake.n_peers = ELECTOR_MEMBERS_MAX - 1;
	for (size_t i = 0; i < fake.n_peers; i++) {
		char id[WIRE_ID_MAX + 1];

		snprintf(id, sizeof id, "node-%03zu-xxxxxxxxxxxxxxxxxxxxxxxx",
		    i);
		set_peer(&fake.peers[i], id, false, 0, "connecting");
	}
}

static struct ctl *
open_ctl(const char *p, mode_t mode, const char *group, char *err,
    size_t errlen)
{
	struct ctl_config cc = { .path = p, .mode = mode, .group = group };

	return ctl_new(base, &cc, &ops, NULL, err, errlen);
}

static void
setup(void)
{
	char err[256] = "";

	fake_reset();
	status_calls = offset_calls = 0;
	publish_to = NULL;
	status_publishes = false;
	strcpy(dir, "/tmp/check_ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ctl.sock", dir);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ctl = open_ctl(path, 0660, NULL, err, sizeof err);
	ck_assert_msg(ctl != NULL, "ctl_new: %s", err);
}

static void
teardown(void)
{
	char cmd[160];

	ctl_free(ctl);
	ctl = NULL;
	event_base_free(base);
	base = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_ctl: could not remove %s\n", dir);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct cl *
cl_open_at(const char *p, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cl *c = calloc(1, sizeof *c);

	ck_assert_ptr_nonnull(c);
	c->cap = cap;
	c->buf = malloc(cap);
	ck_assert_ptr_nonnull(c->buf);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", p);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	ck_assert_msg(connect(c->fd, (struct sockaddr *)&sun, sizeof sun) == 0,
	    "connect %s: %s", p, strerror(errno));
	return c;
}

static struct cl *
cl_open(void)
{
	return cl_open_at(path, CL_BUF);
}

static void
cl_close(struct cl *c)
{
	if (c->fd != -1)
		close(c->fd);
	free(c->buf);
	free(c);
}

static void
cl_send(struct cl *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(c->fd, p, len);
		ck_assert_msg(w > 0, "write: %s", strerror(errno));
		p += w;
		len -= (size_t)w;
	}
}

static void
cl_say(struct cl *c, const char *s)
{
	cl_send(c, s, strlen(s));
}

/* Run the loop once, then take what the socket has for c (if anything). */
static void
pump(struct cl *c, int wait_ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t r;

	event_base_loop(base, EVLOOP_NONBLOCK);
	if (c->eof || poll(&pfd, 1, wait_ms) <= 0)
		return;
	ck_assert_msg(c->len < c->cap, "client buffer full");
	r = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (r > 0)
		c->len += (size_t)r;
	else if (r == 0 || errno == ECONNRESET)
		c->eof = true;
}

/* The next reply line, without its "\n"; false on EOF. */
static bool
cl_line(struct cl *c, char *out, size_t cap)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	char *nl;
	size_t n;

	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			n = (size_t)(nl - c->buf);
			ck_assert_uint_lt(n, cap);
			memcpy(out, c->buf, n);
			out[n] = '\0';
			c->len -= n + 1;
			memmove(c->buf, nl + 1, c->len);
			return true;
		}
		if (c->eof)
			return false;
		ck_assert_msg(now_ms() < deadline, "no reply within %d ms",
		    DEADLINE_MS);
		pump(c, 1);
	}
}

static void
expect(struct cl *c, const char *want)
{
	char line[CL_BUF];

	ck_assert_msg(cl_line(c, line, sizeof line), "EOF, wanted '%s'", want);
	ck_assert_str_eq(line, want);
}

static void
ask(struct cl *c, const char *req, const char *want)
{
	cl_say(c, req);
	expect(c, want);
}

static void
expect_eof(struct cl *c)
{
	char line[CL_BUF];

	ck_assert_msg(!cl_line(c, line, sizeof line), "got '%s', wanted EOF",
	    line);
	ck_assert_uint_eq(c->len, 0);
}

/* The loop has run until cond held, within the deadline. */
#define RUN_UNTIL(cond) do {						\
	uint64_t until_ = now_ms() + DEADLINE_MS;			\
	while (!(cond)) {						\
		ck_assert_msg(now_ms() < until_, "timed out: %s", #cond); \
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);	\
	}								\
} while (0)

/* The line status_format (or _json) gives for fake, without its "\n". */
static const char *
rendered(bool json)
{
	size_t n = json ? status_format_json(&fake, big, sizeof big) :
	    status_format(&fake, big, sizeof big);

	ck_assert_uint_gt(n, 0);
	big[n - 1] = '\0';
	return big;
}

/* The line status_format_cluster gives for fake, without its "\n". */
static const char *
rendered_cluster(void)
{
	size_t n = status_format_cluster(&fake, big, sizeof big);

	ck_assert_uint_gt(n, 0);
	big[n - 1] = '\0';
	return big;
}

START_TEST(test_every_verb)
{
	struct cl *c = cl_open_at(path, STATUS_JSON_MAX + 2);
	char line[STATUS_JSON_MAX];

	ask(c, "PING\n", "PONG");
	ask(c, "ROLE\n", "primary");
	ask(c, "EPOCH\n", "7");
	ask(c, "PRIMARY\n", "n1 10.0.0.1:6379");
	ask(c, "DOWN\n", "n3 n4");
	ask(c, "OFFSET\n", "12345");
	ask(c, "OFFSET 99\n", "OK");
	alive_calls = 0;
	ask(c, "alive\n", "OK");
	ck_assert_uint_eq(alive_calls, 1);
	ck_assert_uint_eq(offset_calls, 1);
	ck_assert_uint_eq(fake.offset, 99);
	ask(c, "OFFSET\n", "99");
	ask(c, "STATUS\n", rendered(false));
	ask(c, "STATUS JSON\n", rendered(true));
	ask(c, "PEERS\n", "n2 n3 n4");
	ask(c, "PEER n2\n", "id=n2 state=up last_seen_ms=40 epoch=7 "
	    "role=replica offset=100 link=up inbound=1 never_stand=no "
	    "addr=none client_addr=none");
	ask(c, "PEER n4\n", "id=n4 state=down last_seen_ms=never epoch=7 "
	    "role=unknown offset=100 link=connecting inbound=0 "
	    "never_stand=no addr=none client_addr=none");
	ask(c, "CLUSTER\n", rendered_cluster());
	ask(c, "PEER n9\n", "ERR no such peer");
	ask(c, "PEER n1\n", "ERR no such peer");
	ask(c, "HELP\n", "commands: PING, ROLE, EPOCH, PRIMARY, DOWN, "
	    "OFFSET [<u64>], ALIVE, STATUS [JSON], PEERS, PEER <id>, CLUSTER, "
	    "WATCH, SWITCHOVER [<id>] [<timeout_ms>], PAUSE [<seconds>], "
	    "RESUME, HELP, QUIT");

	/* The other roles, and the "none" forms. */
	fake.role = WIRE_ROLE_REPLICA;
	ask(c, "ROLE\n", "replica");
	fake.role = WIRE_ROLE_CANDIDATE;
	fake.primary[0] = fake.primary_addr[0] = '\0';
	ask(c, "ROLE\n", "candidate");
	ask(c, "PRIMARY\n", "none");
	strcpy(fake.primary, "n2");
	ask(c, "PRIMARY\n", "n2 none");
	fake.peers[1].up = fake.peers[2].up = true;
	ask(c, "DOWN\n", "none");
	fake.n_peers = 0;
	ask(c, "PEERS\n", "none");

	cl_say(c, "QUIT\n");
	ck_assert(cl_line(c, line, sizeof line));
	ck_assert_str_eq(line, "BYE");
	expect_eof(c);
	RUN_UNTIL(ctl_clients(ctl) == 0);
	cl_close(c);
}
END_TEST

START_TEST(test_case_and_spacing)
{
	struct cl *c = cl_open_at(path, STATUS_JSON_MAX + 2);

	ask(c, "ping\n", "PONG");
	ask(c, "PiNg\r\n", "PONG");
	ask(c, "  \t PING \t \r\n", "PONG");
	ask(c, "offset\t\t  42   \n", "OK");
	ck_assert_uint_eq(fake.offset, 42);
	ask(c, "status json\r\n", rendered(true));
	ask(c, "Status Json\n", rendered(true));
	ask(c, "peer\tn2\n", "id=n2 state=up last_seen_ms=40 epoch=7 "
	    "role=replica offset=100 link=up inbound=1 never_stand=no "
	    "addr=none client_addr=none");
	/* Peer ids are exact: case matters there. */
	ask(c, "PEER N2\n", "ERR no such peer");
	cl_close(c);
}
END_TEST

/* One write, many requests: one reply each, in order; blanks get none. */
START_TEST(test_pipelined)
{
	struct cl *c = cl_open();

	cl_say(c, "PING\nEPOCH\r\n\n   \r\nROLE\nBOGUS\nOFFSET 1\nOFFSET\n"
	    "PING x\nQUIT\nPING\n");
	expect(c, "PONG");
	expect(c, "7");
	expect(c, "primary");
	expect(c, "ERR unknown command 'BOGUS'");
	expect(c, "OK");
	expect(c, "1");
	expect(c, "ERR wrong number of arguments for 'PING'");
	expect(c, "BYE");
	expect_eof(c);
	cl_close(c);
}
END_TEST

/*
 * STATUS reuses its last rendering only while the status is the same:
 * an OFFSET between two STATUS in one batch, or a millisecond field that
 * moved, gives a new line; an unchanged status gives the same line.
 */
START_TEST(test_status_rendering_follows_changes)
{
	struct cl *c = cl_open();
	char a[CL_BUF], b[CL_BUF], d[CL_BUF], e[CL_BUF];
	unsigned calls;

	cl_say(c, "STATUS\nOFFSET 99\nSTATUS\nSTATUS\n");
	ck_assert(cl_line(c, a, sizeof a));
	ck_assert_ptr_nonnull(strstr(a, " offset=12345 "));
	expect(c, "OK");
	ck_assert(cl_line(c, b, sizeof b));
	ck_assert_ptr_nonnull(strstr(b, " offset=99 "));
	ck_assert(cl_line(c, d, sizeof d));
	ck_assert_str_eq(b, d);
	/* Every STATUS still asked the daemon: only the rendering is kept. */
	calls = status_calls;
	fake.uptime_ms += 1;
	cl_say(c, "STATUS\n");
	ck_assert(cl_line(c, e, sizeof e));
	ck_assert_uint_eq(status_calls, calls + 1);
	ck_assert_str_ne(e, d);
	ck_assert_ptr_nonnull(strstr(e, " uptime_ms=1"));
	/* A peer going down changes the line too (down=, peers_up=). */
	fake.peers[0].up = false;
	cl_say(c, "STATUS\n");
	ck_assert(cl_line(c, a, sizeof a));
	ck_assert_ptr_nonnull(strstr(a, " down=n2,n3,n4 "));
	cl_close(c);
}
END_TEST

START_TEST(test_unknown_and_arity)
{
	struct cl *c = cl_open();
	char line[CL_BUF], req[CTL_LINE_MAX + 1];

	ask(c, "FOO bar\n", "ERR unknown command 'FOO'");
	ask(c, "PING\n", "PONG");
	ask(c, "\x01\x7f\\'x\n", "ERR unknown command '\\x01\\x7f\\x5c'x'");
	/* A long verb is echoed capped. */
	memset(req, 'Z', 1000);
	strcpy(req + 1000, "\n");
	cl_say(c, req);
	ck_assert(cl_line(c, line, sizeof line));
	ck_assert_uint_le(strlen(line), strlen("ERR unknown command ''") +
	    CTL_ECHO_MAX);
	ck_assert(strncmp(line, "ERR unknown command 'ZZZ", 24) == 0);

	ask(c, "PING x\n", "ERR wrong number of arguments for 'PING'");
	ask(c, "peer\n", "ERR wrong number of arguments for 'PEER'");
	ask(c, "PEER a b\n", "ERR wrong number of arguments for 'PEER'");
	ask(c, "OFFSET 1 2\n", "ERR wrong number of arguments for 'OFFSET'");
	ask(c, "STATUS JSON x\n",
	    "ERR wrong number of arguments for 'STATUS'");
	ask(c, "WATCH now\n", "ERR wrong number of arguments for 'WATCH'");
	ask(c, "QUIT now\n", "ERR wrong number of arguments for 'QUIT'");
	ask(c, "ROLE a b c d e f g h i j k l m n o p\n",
	    "ERR wrong number of arguments for 'ROLE'");
	ask(c, "STATUS XML\n", "ERR unknown STATUS format 'XML'");
	ask(c, "PING\n", "PONG");
	ck_assert_uint_eq(offset_calls, 0);
	cl_close(c);
}
END_TEST

START_TEST(test_offset_strict)
{
	static const char *const bad[] = {
		"-1", "+1", "1x", "0x10", "1.0", "123456789012345678901",
		"18446744073709551616", "99999999999999999999",
	};
	struct cl *c = cl_open();
	char req[64];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(req, sizeof req, "OFFSET %s\n", bad[i]);
		ask(c, req, "ERR bad offset");
	}
	ck_assert_uint_eq(offset_calls, 0);
	ck_assert_uint_eq(fake.offset, 12345);
	ask(c, "OFFSET 18446744073709551615\n", "OK");
	ask(c, "OFFSET\n", "18446744073709551615");
	ask(c, "OFFSET 0\n", "OK");
	ask(c, "OFFSET\n", "0");
	cl_close(c);
}
END_TEST

/* "PING" padded with spaces to n bytes (without the line end). */
static void
padded_ping(char *buf, size_t n, const char *end)
{
	memset(buf, ' ', n);
	memcpy(buf, "PING", 4);
	strcpy(buf + n, end);
}

START_TEST(test_line_max)
{
	struct cl *c = cl_open();
	char req[CTL_LINE_MAX + 8];

	padded_ping(req, CTL_LINE_MAX, "\n");
	ask(c, req, "PONG");
	padded_ping(req, CTL_LINE_MAX, "\r\n");
	ask(c, req, "PONG");
	/* The "\r\n" split across writes: the "\r" alone is no overflow. */
	padded_ping(req, CTL_LINE_MAX, "\r");
	cl_say(c, req);
	for (int i = 0; i < 50; i++)
		pump(c, 0);
	ck_assert_uint_eq(c->len, 0);
	ask(c, "\n", "PONG");
	padded_ping(req, CTL_LINE_MAX + 1, "\n");
	ask(c, req, "ERR line too long");
	expect_eof(c);
	cl_close(c);
}
END_TEST

/* No line end ever comes: the partial line is measured too. */
START_TEST(test_partial_overlong)
{
	struct cl *c = cl_open(), *d = cl_open();
	char req[CTL_LINE_MAX + 2];

	memset(req, 'A', CTL_LINE_MAX + 1);
	req[CTL_LINE_MAX + 1] = '\0';
	cl_say(c, req);
	expect(c, "ERR line too long");
	expect_eof(c);
	/* Others are served meanwhile and after. */
	ask(d, "PING\n", "PONG");
	cl_close(c);
	cl_close(d);
}
END_TEST

START_TEST(test_nul_byte)
{
	struct cl *c = cl_open();

	cl_send(c, "PI\0NG\n", 6);
	expect(c, "ERR NUL byte in request");
	cl_send(c, "OFFSET 5\0\n", 10);
	expect(c, "ERR NUL byte in request");
	ck_assert_uint_eq(offset_calls, 0);
	ask(c, "PING\n", "PONG");
	cl_close(c);
}
END_TEST

START_TEST(test_half_close_gets_replies)
{
	struct cl *c = cl_open();

	cl_say(c, "PING\nEPOCH\nROLE");   /* the last has no end: answered */
	ck_assert_int_eq(shutdown(c->fd, SHUT_WR), 0);
	expect(c, "PONG");
	expect(c, "7");
	expect(c, "primary");
	expect_eof(c);
	RUN_UNTIL(ctl_clients(ctl) == 0);
	cl_close(c);
}
END_TEST

START_TEST(test_watch)
{
	struct cl *w = cl_open_at(path, STATUS_LINE_MAX + 2);
	struct cl *o = cl_open();
	char line[STATUS_LINE_MAX];

	ask(o, "PING\n", "PONG");
	ck_assert_uint_eq(ctl_watchers(ctl), 0);
	ask(w, "watch\n", rendered(false));
	ck_assert_uint_eq(ctl_watchers(ctl), 1);
	ck_assert_uint_eq(ctl_clients(ctl), 2);

	fake.role = WIRE_ROLE_REPLICA;
	fake.epoch = 8;
	strcpy(fake.primary, "n2");
	ctl_publish(ctl, &fake);
	expect(w, rendered(false));
	fake.fenced = true;
	ctl_publish(ctl, &fake);
	ck_assert(cl_line(w, line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, " fenced=yes "));
	ck_assert_str_eq(line, rendered(false));
	/* Non-watchers get nothing pushed. */
	ask(o, "EPOCH\n", "8");

	/* Input after WATCH is discarded, but for QUIT. */
	cl_say(w, "PING\nSTATUS\nBOGUS\n\nQUIT\n");
	expect(w, "BYE");
	expect_eof(w);
	RUN_UNTIL(ctl_watchers(ctl) == 0 && ctl_clients(ctl) == 1);
	cl_close(w);
	cl_close(o);
}
END_TEST

/* A watcher that never reads is dropped; one that reads is not. */
START_TEST(test_watch_slow_dropped)
{
	struct cl *slow = cl_open_at(path, STATUS_LINE_MAX + 2);
	struct cl *good = cl_open_at(path, STATUS_LINE_MAX + 2);
	char line[STATUS_LINE_MAX];
	size_t i;

	fake_big();
	cl_say(slow, "WATCH\n");
	cl_say(good, "WATCH\n");
	ck_assert(cl_line(good, line, sizeof line));
	ck_assert_str_eq(line, rendered(false));
	RUN_UNTIL(ctl_watchers(ctl) == 2);
	for (i = 0; i < 1000 && ctl_watchers(ctl) == 2; i++) {
		fake.epoch++;
		ctl_publish(ctl, &fake);
		ck_assert(cl_line(good, line, sizeof line));
		ck_assert_str_eq(line, rendered(false));
	}
	ck_assert_uint_eq(ctl_watchers(ctl), 1);
	/* It took at least the cap's worth of lines to get there. */
	ck_assert_uint_ge(i * strlen(rendered(false)), CTL_WATCH_OUT_MAX);
	fake.epoch++;
	ctl_publish(ctl, &fake);
	ck_assert(cl_line(good, line, sizeof line));
	ck_assert_str_eq(line, rendered(false));
	ck_assert_uint_eq(ctl_clients(ctl), 1);
	cl_close(slow);
	cl_close(good);
}
END_TEST

/*
 * A client pipelining big requests without reading: the server stops
 * reading it (status_calls shows how many requests it took) until the
 * client drains, then answers every one, in order, though the client
 * has shut down its sending side meanwhile.
 */
START_TEST(test_backpressure)
{
	enum { N = 100 };
	struct cl *c = cl_open_at(path, STATUS_JSON_MAX + 2);
	char *req = malloc(N * 13 + 1), *line = malloc(STATUS_JSON_MAX);
	size_t reply_len;

	fake_big();
	reply_len = strlen(rendered(true)) + 1;
	for (size_t i = 0; i < N; i++)
		memcpy(req + i * 13, "STATUS JSON\r\n", 13);
	cl_send(c, req, N * 13);
	/* And hang up our side: every reply is still owed. */
	ck_assert_int_eq(shutdown(c->fd, SHUT_WR), 0);
	for (int i = 0; i < 2000; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	/* Bounded by socket buffers + CTL_OUT_HIGH + one reply, not N. */
	ck_assert_uint_lt(status_calls, N / 2);
	ck_assert_uint_lt(status_calls * reply_len,
	    (size_t)4 << 20);
	for (size_t i = 0; i < N; i++) {
		ck_assert(cl_line(c, line, STATUS_JSON_MAX));
		ck_assert_str_eq(line, rendered(true));
	}
	ck_assert_uint_eq(status_calls, N);
	expect_eof(c);
	RUN_UNTIL(ctl_clients(ctl) == 0);
	free(req);
	free(line);
	cl_close(c);
}
END_TEST

/* rendered(json) for fake with this offset and epoch, copied to dst. */
static void
rendered_at(char *dst, size_t cap, bool json, uint64_t offset,
    uint64_t epoch)
{
	struct status saved = fake;

	fake.offset = offset;
	fake.epoch = epoch;
	snprintf(dst, cap, "%s", rendered(json));
	fake = saved;
}

/*
 * OFFSET publishes from inside its handler (as the daemon does), and then
 * every status read does too, between other requests of the same write:
 * every reply is the requester's own, whole and in order, and the watcher
 * gets each published line.
 */
START_TEST(test_publish_inside_request)
{
	struct cl *w = cl_open_at(path, STATUS_LINE_MAX + 2);
	struct cl *c = cl_open_at(path, STATUS_JSON_MAX + 2);
	static char s78[STATUS_LINE_MAX], s79[STATUS_LINE_MAX];
	static char j79[STATUS_JSON_MAX];

	ask(w, "WATCH\n", rendered(false));
	publish_to = ctl;
	rendered_at(s78, sizeof s78, false, 78, 8);
	rendered_at(s79, sizeof s79, false, 79, 9);
	rendered_at(j79, sizeof j79, true, 79, 9);
	cl_say(c, "OFFSET 78\nSTATUS\nOFFSET 79\nSTATUS\nOFFSET\n"
	    "STATUS JSON\nEPOCH\nPING\n");
	expect(c, "OK");
	expect(c, s78);
	expect(c, "OK");
	expect(c, s79);
	expect(c, "79");
	expect(c, j79);
	expect(c, "9");
	expect(c, "PONG");
	expect(w, s78);
	expect(w, s79);
	ck_assert_uint_eq(offset_calls, 2);
	/* A publish inside the status read each of these makes. */
	status_publishes = true;
	cl_say(c, "STATUS\nPEER n2\nSTATUS JSON\nWATCH\n");
	expect(c, s79);
	expect(c, "id=n2 state=up last_seen_ms=40 epoch=7 role=replica "
	    "offset=100 link=up inbound=1 never_stand=no "
	    "addr=none client_addr=none");
	expect(c, j79);
	expect(c, s79);
	for (int i = 0; i < 4; i++)
		expect(w, s79);
	ck_assert_uint_eq(ctl_watchers(ctl), 2);
	status_publishes = false;
	/* A watcher takes no requests: its OFFSET publishes nothing. */
	cl_say(w, "OFFSET 80\nQUIT\n");
	expect(w, "BYE");
	expect_eof(w);
	ck_assert_uint_eq(offset_calls, 2);
	ck_assert_uint_eq(fake.offset, 79);
	ask(c, "QUIT\n", "BYE");
	cl_close(w);
	cl_close(c);
}
END_TEST

/*
 * A watcher that does not read, dropped by a publish made inside another
 * client's request, in the middle of that client's pipelined batch: the
 * batch goes on, every OFFSET answered.
 */
START_TEST(test_watcher_dropped_inside_request)
{
	enum { N = 400 };
	struct cl *slow = cl_open_at(path, STATUS_LINE_MAX + 2);
	struct cl *c = cl_open();
	char *req = malloc(N * 16), line[64];
	size_t len = 0;

	fake_big();
	cl_say(slow, "WATCH\n");
	RUN_UNTIL(ctl_watchers(ctl) == 1);
	publish_to = ctl;
	for (size_t i = 0; i < N; i++)
		len += (size_t)snprintf(req + len, 16, "OFFSET %zu\n", i);
	ck_assert_uint_le(len, CTL_IN_HIGH);
	cl_send(c, req, len);
	for (size_t i = 0; i < N; i++)
		expect(c, "OK");
	ck_assert_uint_eq(offset_calls, N);
	ck_assert_uint_eq(ctl_watchers(ctl), 0);
	snprintf(line, sizeof line, "%zu", (size_t)N - 1);
	ask(c, "OFFSET\n", line);
	RUN_UNTIL(ctl_clients(ctl) == 1);
	free(req);
	cl_close(slow);
	cl_close(c);
}
END_TEST

/*
 * A client pipelines big requests, is throttled with replies queued and
 * requests still unread, and resets (it closes with replies unread): it
 * is reaped, what it left is never run, others are served.
 */
START_TEST(test_reset_mid_batch)
{
	enum { N = 100 };
	struct cl *c = cl_open(), *d = cl_open();
	char *req = malloc(N * 13);
	unsigned calls;

	fake_big();
	for (size_t i = 0; i < N; i++)
		memcpy(req + i * 13, "STATUS JSON\r\n", 13);
	cl_send(c, req, N * 13);
	RUN_UNTIL(status_calls > 0);
	for (int i = 0; i < 200; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	calls = status_calls;
	ck_assert_uint_lt(calls, N);
	ck_assert_uint_eq(ctl_clients(ctl), 2);
	close(c->fd);
	c->fd = -1;
	RUN_UNTIL(ctl_clients(ctl) == 1);
	ck_assert_uint_eq(status_calls, calls);
	ask(d, "PING\n", "PONG");
	free(req);
	cl_close(c);
	cl_close(d);
}
END_TEST

/*
 * Every client of a full ctl closes at once (some watchers with a publish
 * queued to them, some with replies unread): one loop iteration frees
 * them all, and the listener, paused at the cap, takes the one waiting.
 */
START_TEST(test_many_close_at_once)
{
	enum { N = 16 };
	struct ctl_config cc = { .mode = 0600, .clients_max = N };
	struct cl *c[N], *late;
	char p2[300], err[256] = "";
	struct ctl *c2;

	snprintf(p2, sizeof p2, "%s/ctl2.sock", dir);
	cc.path = p2;
	c2 = ctl_new(base, &cc, &ops, NULL, err, sizeof err);
	ck_assert_msg(c2 != NULL, "ctl_new: %s", err);
	for (size_t i = 0; i < N; i++) {
		c[i] = cl_open_at(p2, STATUS_LINE_MAX + 2);
		if (i % 2 == 0)
			ask(c[i], "WATCH\n", rendered(false));
		else
			ask(c[i], "PING\n", "PONG");
	}
	ck_assert_uint_eq(ctl_clients(c2), N);
	ck_assert_uint_eq(ctl_watchers(c2), N / 2);
	late = cl_open_at(p2, CL_BUF);	/* in the backlog: at the cap */
	for (int i = 0; i < 50; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_eq(ctl_clients(c2), N);
	for (size_t i = 0; i < N; i++) {
		if (i % 4 == 1)
			cl_say(c[i], "PING\n");   /* a reply they never read */
		close(c[i]->fd);
		c[i]->fd = -1;
	}
	ctl_publish(c2, &fake);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_uint_eq(ctl_clients(c2), 0);
	ck_assert_uint_eq(ctl_watchers(c2), 0);
	ask(late, "PING\n", "PONG");
	ck_assert_uint_eq(ctl_clients(c2), 1);
	for (size_t i = 0; i < N; i++)
		cl_close(c[i]);
	cl_close(late);
	ctl_free(c2);
}
END_TEST

/*
 * Clients killed but not yet reaped (a watcher dropped by a publish made
 * outside the loop, a client that asked to QUIT) are freed by ctl_free
 * with the rest, once each.
 */
START_TEST(test_free_before_reap)
{
	struct cl *slow = cl_open_at(path, STATUS_LINE_MAX + 2);
	struct cl *q = cl_open(), *o = cl_open();
	size_t i;

	fake_big();
	cl_say(slow, "WATCH\n");
	ask(o, "PING\n", "PONG");
	RUN_UNTIL(ctl_watchers(ctl) == 1 && ctl_clients(ctl) == 3);
	for (i = 0; i < 1000 && ctl_watchers(ctl) == 1; i++) {
		fake.epoch++;
		ctl_publish(ctl, &fake);
	}
	ck_assert_uint_eq(ctl_watchers(ctl), 0);
	/* Dead, waiting for the reaper, which has not run: still counted. */
	ck_assert_uint_eq(ctl_clients(ctl), 3);
	/* Never read: q is still live, QUIT unanswered. */
	cl_say(q, "QUIT\n");
	ctl_free(ctl);
	ctl = NULL;
	expect_eof(o);
	cl_close(slow);
	cl_close(q);
	cl_close(o);
}
END_TEST

START_TEST(test_stale_socket_replaced)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char stale[160], err[256] = "";
	struct ctl *c2;
	struct cl *c;
	int fd;

	/* Bound, never listening, closed: what a crashed daemon leaves. */
	snprintf(stale, sizeof stale, "%s/stale.sock", dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	ck_assert_int_eq(access(stale, F_OK), 0);

	c2 = open_ctl(stale, 0600, NULL, err, sizeof err);
	ck_assert_msg(c2 != NULL, "ctl_new over a stale socket: %s", err);
	c = cl_open_at(stale, CL_BUF);
	ask(c, "PING\n", "PONG");
	cl_close(c);
	ctl_free(c2);
	ck_assert_int_eq(access(stale, F_OK), -1);
}
END_TEST

START_TEST(test_live_listener_refused)
{
	char err[256] = "", want[256];
	struct cl *c;

	ck_assert_ptr_null(open_ctl(path, 0600, NULL, err, sizeof err));
	snprintf(want, sizeof want, "another kevy-electd is listening on %s",
	    path);
	ck_assert_str_eq(err, want);
	/* The first one is untouched. */
	c = cl_open();
	ask(c, "PING\n", "PONG");
	cl_close(c);
}
END_TEST

START_TEST(test_regular_file_kept)
{
	char file[160], err[256] = "", got[16] = "";
	FILE *f;

	snprintf(file, sizeof file, "%s/not-a-socket", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("precious\n", f);
	fclose(f);
	ck_assert_ptr_null(open_ctl(file, 0600, NULL, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "not a socket"));
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof got, f));
	fclose(f);
	ck_assert_str_eq(got, "precious\n");
}
END_TEST

START_TEST(test_mode_and_group)
{
	char p2[160], err[256] = "";
	struct group *gr = getgrgid(getegid());
	struct ctl *c2;
	struct stat sb;

	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, 0660);

	snprintf(p2, sizeof p2, "%s/other.sock", dir);
	ck_assert_ptr_nonnull(gr);
	c2 = open_ctl(p2, 0600, gr->gr_name, err, sizeof err);
	ck_assert_msg(c2 != NULL, "ctl_new: %s", err);
	ck_assert_int_eq(lstat(p2, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	ck_assert_uint_eq(sb.st_gid, getegid());
	ctl_free(c2);

	ck_assert_ptr_null(open_ctl(p2, 0600, "no-such-group-kevy", err,
	    sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "no-such-group-kevy"));
	ck_assert_int_eq(access(p2, F_OK), -1);
}
END_TEST

START_TEST(test_free_removes_file)
{
	struct cl *c = cl_open(), *w = cl_open_at(path, STATUS_LINE_MAX + 2);

	ask(c, "PING\n", "PONG");
	ask(w, "WATCH\n", rendered(false));
	ctl_free(ctl);
	ctl = NULL;
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	expect_eof(c);
	expect_eof(w);
	cl_close(c);
	cl_close(w);
}
END_TEST

/* Raise the descriptor limit to at least want; false if it cannot. */
static bool
raise_nofile(rlim_t want, struct rlimit *saved)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	*saved = rl;
	if (rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		return false;
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

START_TEST(test_many_clients)
{
	struct cl **c = calloc(MANY, sizeof *c);
	struct rlimit saved;
	size_t i;

	/* Each client costs two descriptors here: ours and the server's. */
	if (!raise_nofile(2 * MANY + 64, &saved)) {
		fprintf(stderr, "check_ctl: SKIP test_many_clients: "
		    "RLIMIT_NOFILE hard limit %llu < %d\n",
		    (unsigned long long)saved.rlim_max, 2 * MANY + 64);
		free(c);
		return;
	}
	for (i = 0; i < MANY; i++) {
		c[i] = cl_open_at(path, 64);
		RUN_UNTIL(ctl_clients(ctl) == i + 1);
	}
	for (i = 0; i < MANY; i++)
		cl_say(c[i], "PING\n");
	for (i = 0; i < MANY; i++)
		expect(c[i], "PONG");
	for (i = 0; i < MANY; i++)
		cl_close(c[i]);
	RUN_UNTIL(ctl_clients(ctl) == 0);
	free(c);
	setrlimit(RLIMIT_NOFILE, &saved);
}
END_TEST

static bool
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

/*
 * Out of descriptors: accept fails with EMFILE. The listener must pause
 * (not spin), and accept the waiting client once descriptors are back.
 */
START_TEST(test_emfile_pauses_listener)
{
	struct rlimit saved, tight;
	struct cl *a, *b, *c;
	char line[CL_BUF];
	int probe;

	a = cl_open();
	RUN_UNTIL(ctl_clients(ctl) == 1);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	b = cl_open();           /* waits in the backlog */
	/* The lowest free descriptor is the one accept would get: forbid it. */
	probe = dup(0);
	ck_assert_int_ge(probe, 0);
	close(probe);
	tight = saved;
	tight.rlim_cur = (rlim_t)probe;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	for (int i = 0; i < 100; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_eq(ctl_clients(ctl), 1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	/* A client leaving re-enables the listener at once (no timer). */
	cl_close(a);
	c = cl_open();
	ask(c, "PING\n", "PONG");
	/*
	 * b waited in the backlog and is served too. Under valgrind it is
	 * gone: valgrind itself closes a descriptor accept got over its
	 * emulated limit, so there b may only see EOF.
	 */
	if (send(b->fd, "PING\n", 5, MSG_NOSIGNAL) == 5 &&
	    cl_line(b, line, sizeof line))
		ck_assert_str_eq(line, "PONG");
	else
		ck_assert_msg(under_valgrind(), "b was dropped");
	cl_close(b);
	cl_close(c);
}
END_TEST

/* Write verbs: root, the daemon's uid, listed uids or gids; else no. */
static struct status watched_st;

static const struct status *
fake_watched(void *ctx)
{
	(void)ctx;
	return &watched_st;
}

/* ROLE, EPOCH, PRIMARY, DOWN, PEERS read the cheap watched snapshot. */
START_TEST(test_watched_snapshot)
{
	static const struct ctl_ops ops2 = { fake_status, fake_set_offset,
	    fake_alive, fake_watched, NULL, NULL, NULL };
	struct ctl_config cc = { .mode = 0600 };
	char p2[300], err[256] = "", line[STATUS_JSON_MAX];
	struct ctl *c2;
	struct cl *c;
	unsigned calls;

	watched_st = fake;
	watched_st.role = WIRE_ROLE_REPLICA;
	watched_st.epoch = 9;
	snprintf(p2, sizeof p2, "%s/ctl2.sock", dir);
	cc.path = p2;
	c2 = ctl_new(base, &cc, &ops2, NULL, err, sizeof err);
	ck_assert_msg(c2 != NULL, "ctl_new: %s", err);
	c = cl_open_at(p2, STATUS_JSON_MAX + 2);
	calls = status_calls;
	ask(c, "ROLE\n", "replica");
	ask(c, "EPOCH\n", "9");
	ck_assert_uint_eq(status_calls, calls);
	/* STATUS is always fresh: the full snapshot, now. */
	cl_say(c, "STATUS\n");
	ck_assert(cl_line(c, line, sizeof line));
	ck_assert_ptr_nonnull(strstr(line, " role=primary "));
	ck_assert_uint_eq(status_calls, calls + 1);
	cl_close(c);
	ctl_free(c2);
}
END_TEST

START_TEST(test_may_write)
{
	const uint32_t uids[] = { 1000, 1001 }, gids[] = { 50 };
	struct ctl_perm none = { .self_uid = 999 };
	struct ctl_perm some = { .self_uid = 999, .uids = uids, .n_uids = 2,
	    .gids = gids, .n_gids = 1 };

	/* Default (empty lists): root and the daemon's own uid only. */
	ck_assert(ctl_may_write(&none, 0, 0));
	ck_assert(ctl_may_write(&none, 999, 999));
	ck_assert(!ctl_may_write(&none, 65534, 65534));
	ck_assert(!ctl_may_write(&none, 1000, 50));
	/* Unknown credentials never write, whatever the gid. */
	ck_assert(!ctl_may_write(&none, (uid_t)-1, 0));
	ck_assert(!ctl_may_write(&some, (uid_t)-1, 50));
	ck_assert(ctl_may_write(&some, 1001, 7));
	ck_assert(ctl_may_write(&some, 4242, 50));
	ck_assert(!ctl_may_write(&some, 4242, 51));
	ck_assert(!ctl_may_write(&some, 4242, (gid_t)-1));
	ck_assert(ctl_may_write(&some, 0, 0));
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *proto = tcase_create("protocol");
	TCase *sock = tcase_create("socket");

	tcase_add_checked_fixture(proto, setup, teardown);
	tcase_set_timeout(proto, 60);
	tcase_add_test(proto, test_every_verb);
	tcase_add_test(proto, test_watched_snapshot);
	tcase_add_test(proto, test_may_write);
	tcase_add_test(proto, test_case_and_spacing);
	tcase_add_test(proto, test_pipelined);
	tcase_add_test(proto, test_status_rendering_follows_changes);
	tcase_add_test(proto, test_unknown_and_arity);
	tcase_add_test(proto, test_offset_strict);
	tcase_add_test(proto, test_line_max);
	tcase_add_test(proto, test_partial_overlong);
	tcase_add_test(proto, test_nul_byte);
	tcase_add_test(proto, test_half_close_gets_replies);
	tcase_add_test(proto, test_watch);
	tcase_add_test(proto, test_watch_slow_dropped);
	tcase_add_test(proto, test_backpressure);
	tcase_add_test(proto, test_publish_inside_request);
	tcase_add_test(proto, test_watcher_dropped_inside_request);
	tcase_add_test(proto, test_reset_mid_batch);
	tcase_add_test(proto, test_free_before_reap);
	suite_add_tcase(s, proto);

	tcase_add_checked_fixture(sock, setup, teardown);
	tcase_set_timeout(sock, 120);
	tcase_add_test(sock, test_stale_socket_replaced);
	tcase_add_test(sock, test_live_listener_refused);
	tcase_add_test(sock, test_regular_file_kept);
	tcase_add_test(sock, test_mode_and_group);
	tcase_add_test(sock, test_free_removes_file);
	tcase_add_test(sock, test_many_clients);
	tcase_add_test(sock, test_many_close_at_once);
	tcase_add_test(sock, test_emfile_pauses_listener);
	suite_add_tcase(s, sock);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	const char *lv = getenv("KEVY_LOG");
	enum log_level level = LOG_LEVEL_ERROR;
	int failed;

	/* Quiet by default; KEVY_LOG=debug shows every client line. */
	if (lv != NULL && log_level_parse(lv, &level) == -1)
		level = LOG_LEVEL_ERROR;
	log_init(level, false);
	/* As the daemon does: a client hanging up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
