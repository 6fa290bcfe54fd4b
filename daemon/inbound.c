/*
 * inbound: admission on the election port and the connections peers dial
 * to us. A connection is read-only for us (but for the challenge of peer
 * authentication): each wakeup reads once into the connection's own
 * fixed buffer, whole frames are decoded with wire_decode and go to the
 * core. It must never let one peer cost more than a bounded buffer, a
 * bounded rate and a bounded time before it proves itself, nor let many
 * cost more than a bounded share of the descriptors (fdbudget.h).
 *
 * Connection states (changes through conn_set_state, which logs them):
 *   AUTH   authentication on: challenge sent, awaiting KEVYAUTH
 *   HELLO  awaiting the first valid frame, which fixes the sender
 *   FRAMES identified: frames must keep naming the same sender, and one
 *          must arrive every INBOUND_IDLE_DOWN_AFTERS x down_after
 * AUTH and HELLO end at a deadline (AUTH_TIMEOUT_MS, hello timeout).
 *
 * Admission (acceptor.c) takes bounded batches per wakeup. It is capped at
 * the descriptor budget's share (at most INBOUND_CONNS_MAX): at the cap a
 * new connection evicts the oldest one still in AUTH or HELLO (a real peer
 * identifies itself at once), else the listener pauses until a connection
 * closes. A member holds at most INBOUND_PER_MEMBER_MAX connections: the
 * newest wins. Sockets are closed the moment they are refused, evicted or
 * done with: never later by a deferred callback.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "acceptor.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "inbound.h"
#include "limit.h"
#include "log.h"
#include "srcaddr.h"
#include "util.h"

#define INBOUND_PEER_NAME_MAX 64  /* bytes in "addr:port" for logs */
#define INBOUND_LOG_MAX       256 /* bytes of one warning before suppressed= */

enum inbound_state {
	INBOUND_AUTH = 1,
	INBOUND_HELLO,
	INBOUND_FRAMES,
};

/* Why a connection was closed or refused: one log limit each. */
enum inbound_why {
	WHY_BAD_FRAME,
	WHY_NOT_MEMBER,
	WHY_SENDER_CHANGED,
	WHY_SOURCE,
	WHY_AUTH,
	WHY_FLOOD,
	WHY_HELLO_TIMEOUT,
	WHY_IDLE,
	WHY_EVICTED,
	WHY_REPLACED,
	WHY_COUNT
};

struct inbound_conn {
	struct inbound_listener *lis;
	int fd;
	struct event *rd;             /* readable, persistent */
	struct event *deadline;       /* AUTH or HELLO ends; FRAMES: idle check */
	enum inbound_state state;
	int member;                   /* sender fixed by auth or first frame */
	uint64_t last_frame_ms;       /* the last valid frame (or accept) */
	struct limit_bucket bucket;   /* frames per second */
	char challenge[AUTH_HEX_LEN + 1];
	char name[INBOUND_PEER_NAME_MAX];
	size_t len;                   /* bytes buffered in in[] */
	uint8_t in[INBOUND_READ_MAX];
	TAILQ_ENTRY(inbound_conn) entry;
};

struct inbound_listener {
	struct inbound_config cfg;
	const struct inbound_ops *ops;
	void *ctx;
	struct inbound_stats stats;
	struct acceptor *acc;
	size_t n;
	size_t cap;                   /* connections at once (fdbudget) */
	unsigned per_member[ELECTOR_MEMBERS_MAX];
	uint64_t frames_per_s;
	uint64_t hello_ms;
	uint64_t idle_ms;
	bool check_sources;
	struct srcaddr_set sources;
	struct limit_log logs[WHY_COUNT];
	TAILQ_HEAD(, inbound_conn) conns;
};

static const char *const state_names[] = {
	[INBOUND_AUTH] = "auth",
	[INBOUND_HELLO] = "hello",
	[INBOUND_FRAMES] = "frames",
};

unsigned
inbound_count(const struct inbound_listener *lis, size_t member)
{
	return member < ELECTOR_MEMBERS_MAX ? lis->per_member[member] : 0;
}

size_t
inbound_cap(const struct inbound_listener *lis)
{
	return lis->cap;
}

size_t
inbound_open(const struct inbound_listener *lis)
{
	return lis->n;
}

static void ratelog(struct inbound_listener *, enum inbound_why,
    const char *, ...) __attribute__((format(printf, 3, 4)));

/* A warning, at most one per INBOUND_LOG_INTERVAL_MS per reason. */
static void
ratelog(struct inbound_listener *lis, enum inbound_why why, const char *fmt,
    ...)
{
	char msg[INBOUND_LOG_MAX];
	uint64_t skipped;
	va_list ap;

	if (!limit_log_allow(&lis->logs[why], clock_now_ms(),
	    INBOUND_LOG_INTERVAL_MS, &skipped))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* msg is "event=... key=value...": the caller's fields. */
	log_warnx("%s suppressed=%" PRIu64, msg, skipped);
}

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv;

	util_ms_to_tv(ms, &tv);
	evtimer_add(ev, &tv);
}

static const char *
member_name(const struct inbound_conn *c)
{
	return c->member >= 0 ? c->lis->cfg.cfg->members[c->member].id : "-";
}

static void
conn_set_state(struct inbound_conn *c, enum inbound_state s, const char *why)
{
	log_debug("event=inbound_state conn=%s peer=%s state=%s was=%s "
	    "reason=%s", c->name, member_name(c), state_names[s],
	    state_names[c->state], why);
	c->state = s;
	/* Identified: from now on the deadline is the idle check. */
	if (s == INBOUND_FRAMES)
		arm(c->deadline, c->lis->idle_ms);
}

/* Close and free at once: the descriptor is back before we return. */
static void
conn_free(struct inbound_conn *c, const char *why)
{
	struct inbound_listener *lis = c->lis;

	log_debug("event=inbound_closed conn=%s peer=%s state=%s reason=%s",
	    c->name, member_name(c), state_names[c->state], why);
	if (c->member >= 0)
		lis->per_member[c->member]--;
	TAILQ_REMOVE(&lis->conns, c, entry);
	lis->n--;
	event_free(c->deadline);
	event_free(c->rd);
	close(c->fd);
	free(c);
	if (lis->n < lis->cap)
		acceptor_resume(lis->acc);
}

/* The member a frame or KEVYAUTH names: -1 for a stranger or ourselves. */
static int
member_of(const struct inbound_listener *lis, const char *id)
{
	const struct config *cfg = lis->cfg.cfg;

	for (size_t i = 0; i < cfg->n_members; i++)
		if (strcmp(cfg->members[i].id, id) == 0)
			return i == cfg->self ? -1 : (int)i;
	return -1;
}

/*
 * A member holds at most INBOUND_PER_MEMBER_MAX connections: a peer that
 * redials leaves its old one half-open, so the newest wins.
 */
static void
conn_bind(struct inbound_conn *c, int member)
{
	struct inbound_listener *lis = c->lis;
	struct inbound_conn *old;

	if (lis->per_member[member] >= INBOUND_PER_MEMBER_MAX)
		TAILQ_FOREACH(old, &lis->conns, entry)
			if (old->member == member) {
				lis->stats.member_replaced++;
				ratelog(lis, WHY_REPLACED, "event=inbound_"
				    "replaced conn=%s peer=%s by=%s "
				    "per_member_max=%d", old->name,
				    member_name(old), c->name,
				    INBOUND_PER_MEMBER_MAX);
				conn_free(old, "replaced");
				break;
			}
	c->member = member;
	lis->per_member[member]++;
}

static void
conn_consume(struct inbound_conn *c, size_t used)
{
	c->len -= used;
	memmove(c->in, c->in + used, c->len);
}

/* KEVYAUTH in the input: 0 bound, 1 wait for more, -1 c was freed. */
static int
conn_auth(struct inbound_conn *c)
{
	struct inbound_listener *lis = c->lis;
	size_t used = 0, want = c->len < AUTH_MSG_MAX ? c->len : AUTH_MSG_MAX;
	char id[WIRE_ID_MAX + 1], mac[AUTH_HEX_LEN + 1];
	char esc[LOG_QUOTE_MAX(WIRE_ID_MAX)], qwhy[LOG_VALUE_MAX];
	const char *why = NULL;
	int x = -1;

	id[0] = '\0';
	switch (auth_decode_response(c->in, want, id, mac, &used)) {
	case AUTH_NEED_MORE:
		return 1;
	case AUTH_ERROR:
		why = "not-kevyauth";
		break;
	case AUTH_OK:
		if ((x = member_of(lis, id)) < 0)
			why = "unknown-id";
		else if (!auth_response_is_valid(lis->cfg.auth, c->challenge,
		    id, lis->cfg.cfg->node_id, mac, strlen(mac)))
			why = "bad-mac";
		break;
	}
	if (why != NULL) {
		lis->stats.auth_failures++;
		ratelog(lis, WHY_AUTH, "event=inbound_auth_refused conn=%s "
		    "reason=%s id=%s", c->name, LOG_Q(qwhy, why),
		    id[0] == '\0' ? "-" : LOG_Q(esc, id));
		conn_free(c, "auth-failed");
		return -1;
	}
	conn_consume(c, used);
	conn_bind(c, x);
	conn_set_state(c, INBOUND_FRAMES, "authenticated");
	return 0;
}

/* Decode every whole frame buffered; returns -1 if c was freed. */
static int
conn_drain(struct inbound_conn *c)
{
	struct inbound_listener *lis = c->lis;
	int r;

	if (c->state == INBOUND_AUTH && (r = conn_auth(c)) != 0)
		return r == -1 ? -1 : 0;
	while (c->len > 0) {
		size_t used = 0;
		size_t want = c->len < WIRE_FRAME_MAX ? c->len : WIRE_FRAME_MAX;
		const char *why = NULL;
		char esc[LOG_QUOTE_MAX(WIRE_ID_MAX)];
		struct wire_frame f;
		enum wire_status st;
		int x;

		st = wire_decode(c->in, want, &f, &used, &why);
		if (st == WIRE_NEED_MORE) {
			if (want < WIRE_FRAME_MAX)
				return 0;
			why = "frame too long";
			st = WIRE_ERROR;
		}
		if (st == WIRE_ERROR) {
			char bytes[LOG_QUOTE_MAX(16)], qwhy[LOG_VALUE_MAX];

			lis->stats.decode_errors++;
			ratelog(lis, WHY_BAD_FRAME, "event=inbound_bad_frame "
			    "conn=%s reason=%s bytes=%s", c->name,
			    LOG_Q(qwhy, why), log_quote_bytes(bytes,
			    sizeof(bytes), c->in, want < 16 ? want : 16));
			conn_free(c, "bad-frame");
			return -1;
		}
		/* Filler costs work too: it counts like a frame. */
		if (!limit_bucket_take_backlog(&c->bucket, lis->frames_per_s,
		    INBOUND_FRAMES_BURST, INBOUND_BACKLOG_CREDIT_MS,
		    clock_now_ms())) {
			lis->stats.floods++;
			ratelog(lis, WHY_FLOOD, "event=inbound_flood conn=%s "
			    "peer=%s frames_per_s_max=%" PRIu64, c->name,
			    member_name(c), lis->frames_per_s);
			conn_free(c, "flood");
			return -1;
		}
		conn_consume(c, used);
		/*
		 * An empty array (blank lines are 1 or 2 bytes) from a known
		 * sender is a keepalive; before we know it, filler.
		 */
		if (st == WIRE_SKIP && used == WIRE_KEEPALIVE_LEN &&
		    c->member >= 0 && lis->ops->keepalive != NULL) {
			lis->ops->keepalive(lis->ctx, (size_t)c->member);
			c->last_frame_ms = clock_now_ms();
		}
		if (st == WIRE_SKIP)
			continue;
		/* The sender of one connection never changes. */
		if (c->member >= 0 && strcmp(f.id, member_name(c)) != 0) {
			lis->stats.sender_changes++;
			ratelog(lis, WHY_SENDER_CHANGED, "event=inbound_"
			    "sender_changed conn=%s was=%s now=%s", c->name,
			    member_name(c), LOG_Q(esc, f.id));
			conn_free(c, "sender-changed");
			return -1;
		}
		/* Bound to its sender before the frame is applied. */
		if (c->member < 0) {
			if ((x = member_of(lis, f.id)) < 0) {
				lis->stats.rejected_senders++;
				ratelog(lis, WHY_NOT_MEMBER, "event=inbound_"
				    "not_member conn=%s sender=%s id=%s",
				    c->name,
				    strcmp(f.id, lis->cfg.cfg->node_id) == 0 ?
				    "this_node" : "non_member",
				    log_escape(esc, sizeof(esc), f.id,
				    strlen(f.id)));
				conn_free(c, "not-a-member");
				return -1;
			}
			conn_bind(c, x);
			conn_set_state(c, INBOUND_FRAMES, "first-frame");
		}
		/* Held frames are a maybe-real peer's: the connection stays. */
		lis->ops->frame(lis->ctx, (size_t)c->member, &f);
		c->last_frame_ms = clock_now_ms();
	}
	return 0;
}

/* One read per wakeup: what is left, the loop reports again. -1: freed. */
static int
conn_read(struct inbound_conn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->in))
		return conn_drain(c);	/* a frame longer than the buffer */
	n = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);
	if (n == 0) {
		conn_free(c, "eof");
		return -1;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		conn_free(c, strerror(errno));
		return -1;
	}
	c->len += (size_t)n;
	return conn_drain(c);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_read(arg);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct inbound_conn *c = arg;
	struct inbound_listener *lis = c->lis;
	uint64_t now, quiet;

	(void)fd;
	(void)what;
	if (c->state == INBOUND_AUTH) {
		lis->stats.auth_failures++;
		ratelog(lis, WHY_AUTH, "event=inbound_auth_refused conn=%s "
		    "reason=timeout after_ms=%d", c->name, AUTH_TIMEOUT_MS);
		conn_free(c, "auth-timeout");
		return;
	}
	if (c->state == INBOUND_HELLO) {
		lis->stats.hello_timeouts++;
		ratelog(lis, WHY_HELLO_TIMEOUT, "event=inbound_hello_timeout "
		    "conn=%s after_ms=%" PRIu64, c->name, lis->hello_ms);
		conn_free(c, "hello-timeout");
		return;
	}
	/*
	 * After a pause of ours the frames may be waiting in the socket
	 * with the timer already due: read them before calling it idle.
	 */
	if (conn_read(c) == -1)
		return;
	now = clock_now_ms();
	quiet = now - c->last_frame_ms;
	if (quiet < lis->idle_ms) {
		arm(c->deadline, lis->idle_ms - quiet);
		return;
	}
	lis->stats.idle_timeouts++;
	ratelog(lis, WHY_IDLE, "event=inbound_idle conn=%s peer=%s "
	    "silent_ms=%" PRIu64, c->name, member_name(c), quiet);
	conn_free(c, "idle");
}

static void
name_of(const struct sockaddr *sa, char *name, size_t cap)
{
	char host[48] = "";

	if (sa->sa_family == AF_INET)
		evutil_inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		evutil_inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    host, sizeof(host));
	snprintf(name, cap, "%s:%u", host, sa->sa_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port));
}

/* At the cap: make room by closing the oldest unidentified connection. */
static bool
evict_one(struct inbound_listener *lis)
{
	struct inbound_conn *c;

	TAILQ_FOREACH(c, &lis->conns, entry)
		if (c->state != INBOUND_FRAMES) {
			lis->stats.evictions++;
			ratelog(lis, WHY_EVICTED, "event=inbound_evicted "
			    "conn=%s reason=unidentified_at_cap "
			    "connections_max=%zu", c->name, lis->cap);
			conn_free(c, "evicted");
			return true;
		}
	return false;
}

/*
 * Send the challenge and wait for the answer: 0, or -1 (not started). A
 * fresh socket's send buffer is empty: 160 bytes fit, or the peer is gone.
 */
static int
start_auth(struct inbound_conn *c)
{
	uint8_t buf[AUTH_MSG_MAX];
	size_t len;

	if (auth_challenge_new(c->challenge) == -1 ||
	    (len = auth_encode_challenge(c->challenge, buf, sizeof(buf))) == 0 ||
	    write(c->fd, buf, len) != (ssize_t)len)
		return -1;
	c->state = INBOUND_AUTH;
	arm(c->deadline, AUTH_TIMEOUT_MS < c->lis->hello_ms ? AUTH_TIMEOUT_MS :
	    c->lis->hello_ms);
	return 0;
}

static void
on_accept(int fd, const struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct inbound_listener *lis = arg;
	struct inbound_conn *c;
	char name[INBOUND_PEER_NAME_MAX];
	int one = 1;

	(void)salen;
	name_of(sa, name, sizeof(name));
	if (lis->check_sources && !srcaddr_is_allowed(&lis->sources, sa)) {
		lis->stats.sources_refused++;
		ratelog(lis, WHY_SOURCE, "event=inbound_refused conn=%s "
		    "reason=not_a_member_address", name);
		close(fd);
		return;
	}
	if (lis->n >= lis->cap && !evict_one(lis)) {
		close(fd);
		acceptor_pause(lis->acc, 0);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->lis = lis;
	c->fd = fd;
	c->member = -1;
	c->state = INBOUND_HELLO;
	c->last_frame_ms = clock_now_ms();
	memcpy(c->name, name, sizeof(c->name));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if ((c->rd = event_new(lis->cfg.base, fd, EV_READ | EV_PERSIST, on_read,
	    c)) == NULL || (c->deadline = evtimer_new(lis->cfg.base,
	    on_deadline, c)) == NULL ||
	    (lis->cfg.auth != NULL && start_auth(c) == -1) ||
	    event_add(c->rd, NULL) == -1) {
		log_warnx("event=inbound_refused conn=%s reason=setup_failed",
		    name);
		if (c->rd != NULL)
			event_free(c->rd);
		if (c->deadline != NULL)
			event_free(c->deadline);
		close(fd);
		free(c);
		return;
	}
	limit_bucket_init(&c->bucket, INBOUND_FRAMES_BURST, c->last_frame_ms);
	if (c->state == INBOUND_HELLO)
		arm(c->deadline, lis->hello_ms);
	TAILQ_INSERT_TAIL(&lis->conns, c, entry);
	lis->n++;
	log_debug("event=inbound_accepted conn=%s state=%s", c->name,
	    state_names[c->state]);
}

/* peer_source_check: every member by IP literal, or no check at all. */
static void
setup_sources(struct inbound_listener *lis)
{
	char q[LOG_QUOTE_MAX(CONFIG_HOST_MAX)];
	const struct config *cfg = lis->cfg.cfg;

	if (!cfg->peer_source_check)
		return;
	for (size_t i = 0; i < cfg->n_members; i++)
		if (srcaddr_set_add(&lis->sources,
		    cfg->members[i].election.host) == -1) {
			log_warnx("event=peer_source_check_off member=%s "
			    "host=%s reason=host_not_an_ip_address",
			    cfg->members[i].id,
			    LOG_Q(q, cfg->members[i].election.host));
			return;
		}
	lis->check_sources = true;
	log_info("event=peer_source_check_on addresses=%zu loopback=%s",
	    lis->sources.n, lis->sources.loopback ? "allowed" : "no");
}

struct inbound_listener *
inbound_listen(const struct inbound_config *cfg, const struct inbound_ops *ops,
    void *ctx, char *err, size_t errlen)
{
	const struct config_hostport *hp = &cfg->cfg->listen;
	struct inbound_listener *lis;
	int fd;

	/* Before the loop runs: a blocking lookup stalls nothing. */
	if ((fd = acceptor_bind_tcp(hp->host, hp->port, err, errlen)) == -1)
		return NULL;
	if ((lis = calloc(1, sizeof(*lis))) == NULL ||
	    (lis->acc = acceptor_new(cfg->base, fd, "election", on_accept,
	    lis)) == NULL) {
		free(lis);
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lis->cfg = *cfg;
	lis->ops = ops;
	lis->ctx = ctx;
	lis->cap = cfg->cap < INBOUND_CONNS_MAX ? cfg->cap : INBOUND_CONNS_MAX;
	TAILQ_INIT(&lis->conns);
	lis->frames_per_s = INBOUND_FRAMES_PER_S + 2 * 1000 /
	    cfg->hb_interval_ms;
	lis->hello_ms = INBOUND_HELLO_DOWN_AFTERS * cfg->down_after_ms;
	lis->idle_ms = INBOUND_IDLE_DOWN_AFTERS * cfg->down_after_ms;
	setup_sources(lis);
	log_info("event=election_listening address=%s:%u auth=%s "
	    "connections_max=%zu", hp->host, (unsigned)hp->port, cfg->auth != NULL ? "on" : "off",
	    lis->cap);
	return lis;
}

const struct inbound_stats *
inbound_stats(const struct inbound_listener *lis)
{
	return &lis->stats;
}

void
inbound_free(struct inbound_listener *lis)
{
	struct inbound_conn *c;

	if (lis == NULL)
		return;
	while ((c = TAILQ_FIRST(&lis->conns)) != NULL) {
		TAILQ_REMOVE(&lis->conns, c, entry);
		event_free(c->deadline);
		event_free(c->rd);
		close(c->fd);
		free(c);
	}
	acceptor_free(lis->acc);
	free(lis);
}
