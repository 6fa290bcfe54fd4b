/*
 * inbound: admission on the election port and the connections peers dial
 * to us. A connection is read-only for us (but for the challenge of peer
 * authentication): bytes are decoded with wire_decode straight from the
 * input buffer, whole frames go to the core. It must never let one peer
 * cost more than a bounded buffer, a bounded rate and a bounded time
 * before it proves itself.
 *
 * Connection states (changes through conn_set_state, which logs them):
 *   AUTH   authentication on: challenge sent, awaiting KEVYAUTH
 *   HELLO  awaiting the first valid frame, which fixes the sender
 *   FRAMES identified: frames must keep naming the same sender
 * AUTH and HELLO end at a deadline (AUTH_TIMEOUT_MS, hello timeout).
 *
 * Admission is capped at INBOUND_CONNS_MAX: at the cap a new connection
 * evicts the oldest one still in AUTH or HELLO (a real peer identifies
 * itself at once), else the listener pauses until a connection closes;
 * on EMFILE it pauses for INBOUND_RESUME_MS.
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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "auth.h"
#include "electd.h"
#include "inbound.h"
#include "limit.h"
#include "log.h"
#include "srcaddr.h"

#define INBOUND_PEER_NAME_MAX 64  /* bytes in "addr:port" for logs */
#define INBOUND_RESUME_MS     100 /* retry accepting after EMFILE */
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
	WHY_EPOCH_JUMP,
	WHY_SOURCE,
	WHY_AUTH,
	WHY_FLOOD,
	WHY_HELLO_TIMEOUT,
	WHY_EVICTED,
	WHY_COUNT
};

struct inbound_conn {
	struct inbound_listener *lis;
	struct bufferevent *bev;
	struct event *deadline;       /* AUTH or HELLO ends */
	enum inbound_state state;
	int member;                   /* sender fixed by auth or first frame */
	struct limit_bucket bucket;   /* frames per second */
	char challenge[AUTH_HEX_LEN + 1];
	char name[INBOUND_PEER_NAME_MAX];
	TAILQ_ENTRY(inbound_conn) entry;
};

struct inbound_listener {
	struct electd *d;
	struct evconnlistener *lev;
	struct event *resume;
	bool paused;
	size_t n;
	unsigned per_member[ELECTOR_MEMBERS_MAX];
	uint64_t frames_per_s;
	uint64_t hello_ms;
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

	if (!limit_log_allow(&lis->logs[why], electd_now_ms(),
	    INBOUND_LOG_INTERVAL_MS, &skipped))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s suppressed=%" PRIu64, msg, skipped);
}

static void
pause_listener(struct inbound_listener *lis, uint64_t retry_ms)
{
	if (!lis->paused) {
		evconnlistener_disable(lis->lev);
		lis->paused = true;
	}
	if (retry_ms > 0) {
		struct timeval tv = { 0, (suseconds_t)(retry_ms * 1000) };

		evtimer_add(lis->resume, &tv);
	}
}

static void
resume_listener(struct inbound_listener *lis)
{
	if (lis->paused && lis->n < INBOUND_CONNS_MAX) {
		evconnlistener_enable(lis->lev);
		lis->paused = false;
	}
}

static const char *
member_name(const struct inbound_conn *c)
{
	return c->member >= 0 ? c->lis->d->cfg->members[c->member].id : "-";
}

static void
conn_set_state(struct inbound_conn *c, enum inbound_state s, const char *why)
{
	log_debug("inbound %s peer=%s state=%s was=%s reason=%s", c->name,
	    member_name(c), state_names[s], state_names[c->state], why);
	c->state = s;
	if (s == INBOUND_FRAMES)
		evtimer_del(c->deadline);
}

static void
conn_bind(struct inbound_conn *c, int member)
{
	c->member = member;
	c->lis->per_member[member]++;
}

static void
conn_free(struct inbound_conn *c, const char *why)
{
	struct inbound_listener *lis = c->lis;

	log_debug("inbound %s peer=%s closed state=%s reason=%s", c->name,
	    member_name(c), state_names[c->state], why);
	if (c->member >= 0)
		lis->per_member[c->member]--;
	TAILQ_REMOVE(&lis->conns, c, entry);
	lis->n--;
	event_free(c->deadline);
	bufferevent_free(c->bev);
	free(c);
	resume_listener(lis);
}

/* KEVYAUTH in the input: 0 bound, 1 wait for more, -1 c was freed. */
static int
conn_auth(struct inbound_conn *c, struct evbuffer *in)
{
	struct electd *d = c->lis->d;
	size_t len = evbuffer_get_length(in), used = 0;
	size_t want = len < AUTH_MSG_MAX ? len : AUTH_MSG_MAX;
	char id[WIRE_ID_MAX + 1], mac[AUTH_HEX_LEN + 1], esc[WIRE_ID_MAX * 4 + 1];
	const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)want);
	const char *why = NULL;
	int x = -1;

	id[0] = '\0';
	switch (auth_decode_response(p, want, id, mac, &used)) {
	case AUTH_NEED_MORE:
		return 1;
	case AUTH_ERROR:
		why = "not-kevyauth";
		break;
	case AUTH_OK:
		x = elector_member_find(d->el, id);
		if (x < 0 || (size_t)x == elector_self(d->el))
			why = "unknown-id";
		else if (!auth_response_is_valid(d->auth, c->challenge, id,
		    d->cfg->node_id, mac, strlen(mac)))
			why = "bad-mac";
		break;
	}
	if (why != NULL) {
		d->counters.auth_failures++;
		ratelog(c->lis, WHY_AUTH, "inbound %s auth refused reason=%s "
		    "id=%s", c->name, why, id[0] == '\0' ? "-" :
		    log_escape(esc, sizeof(esc), id, strlen(id)));
		conn_free(c, "auth-failed");
		return -1;
	}
	evbuffer_drain(in, used);
	conn_bind(c, x);
	conn_set_state(c, INBOUND_FRAMES, "authenticated");
	return 0;
}

/* Decode every whole frame buffered; returns -1 if c was freed. */
static int
conn_drain(struct inbound_conn *c)
{
	struct inbound_listener *lis = c->lis;
	struct electd *d = lis->d;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	int r;

	if (c->state == INBOUND_AUTH && (r = conn_auth(c, in)) != 0)
		return r == -1 ? -1 : 0;
	for (;;) {
		size_t len = evbuffer_get_length(in), used = 0;
		size_t want = len < WIRE_FRAME_MAX ? len : WIRE_FRAME_MAX;
		const char *why = NULL;
		char esc[WIRE_ID_MAX * 4 + 1];
		struct wire_frame f;
		enum wire_status st;
		const uint8_t *p;
		int x;

		if (len == 0)
			return 0;
		p = evbuffer_pullup(in, (ev_ssize_t)want);
		st = wire_decode(p, want, &f, &used, &why);
		if (st == WIRE_NEED_MORE) {
			if (want < WIRE_FRAME_MAX)
				return 0;
			why = "frame too long";
			st = WIRE_ERROR;
		}
		if (st == WIRE_ERROR) {
			char bytes[64];

			d->counters.decode_errors++;
			ratelog(lis, WHY_BAD_FRAME, "inbound %s bad frame "
			    "reason=\"%s\" bytes=%s", c->name, why,
			    log_escape(bytes, sizeof(bytes), p,
			    want < 16 ? want : 16));
			conn_free(c, "bad-frame");
			return -1;
		}
		/* Filler costs work too: it counts like a frame. */
		if (!limit_bucket_take(&c->bucket, lis->frames_per_s,
		    INBOUND_FRAMES_BURST, electd_now_ms())) {
			d->counters.floods++;
			ratelog(lis, WHY_FLOOD, "inbound %s peer=%s closed: over "
			    "%" PRIu64 " frames per second", c->name,
			    member_name(c), lis->frames_per_s);
			conn_free(c, "flood");
			return -1;
		}
		evbuffer_drain(in, used);
		if (st == WIRE_SKIP)
			continue;
		x = elector_member_find(d->el, f.id);
		/* The sender of one connection never changes. */
		if (c->member >= 0 && x != c->member) {
			d->counters.sender_changes++;
			ratelog(lis, WHY_SENDER_CHANGED, "inbound %s sender "
			    "changed from %s to %s", c->name, member_name(c),
			    log_escape(esc, sizeof(esc), f.id, strlen(f.id)));
			conn_free(c, "sender-changed");
			return -1;
		}
		if (core_on_frame(d, &f, &why) == -1) {
			bool jump = strcmp(why, "epoch-jump") == 0;

			if (jump)
				ratelog(lis, WHY_EPOCH_JUMP, "inbound %s %s "
				    "epoch=%" PRIu64 " refused: more than "
				    "max_epoch_jump=%" PRIu64 " above ours "
				    "(%" PRIu64 ")", c->name, log_escape(esc,
				    sizeof(esc), f.id, strlen(f.id)), f.epoch,
				    d->cfg->max_epoch_jump,
				    elector_epoch(d->el));
			else
				ratelog(lis, WHY_NOT_MEMBER, "inbound %s frame "
				    "from %s id=%s", c->name, x >= 0 ?
				    "this node's own" : "non-member",
				    log_escape(esc, sizeof(esc), f.id,
				    strlen(f.id)));
			conn_free(c, why);
			return -1;
		}
		if (c->member < 0) {
			conn_bind(c, x);
			conn_set_state(c, INBOUND_FRAMES, "first-frame");
		}
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_drain(arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct inbound_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF)
		conn_free(c, "eof");
	else if (what & BEV_EVENT_ERROR)
		conn_free(c, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct inbound_conn *c = arg;
	struct electd *d = c->lis->d;

	(void)fd;
	(void)what;
	if (c->state == INBOUND_AUTH) {
		d->counters.auth_failures++;
		ratelog(c->lis, WHY_AUTH, "inbound %s auth refused "
		    "reason=timeout after_ms=%d", c->name, AUTH_TIMEOUT_MS);
		conn_free(c, "auth-timeout");
		return;
	}
	d->counters.hello_timeouts++;
	ratelog(c->lis, WHY_HELLO_TIMEOUT, "inbound %s closed: no valid frame "
	    "within %" PRIu64 " ms", c->name, c->lis->hello_ms);
	conn_free(c, "hello-timeout");
}

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)((ms % 1000) * 1000),
	};

	evtimer_add(ev, &tv);
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
			lis->d->counters.evictions++;
			ratelog(lis, WHY_EVICTED, "inbound %s evicted: %d "
			    "connections, it has not identified itself",
			    c->name, INBOUND_CONNS_MAX);
			conn_free(c, "evicted");
			return true;
		}
	return false;
}

/* Send the challenge and wait for the answer: 0, or -1 (not started). */
static int
start_auth(struct inbound_conn *c)
{
	uint8_t buf[AUTH_MSG_MAX];
	size_t len;

	if (auth_challenge_new(c->challenge) == -1 ||
	    (len = auth_encode_challenge(c->challenge, buf, sizeof(buf))) == 0 ||
	    bufferevent_write(c->bev, buf, len) == -1)
		return -1;
	c->state = INBOUND_AUTH;
	arm(c->deadline, AUTH_TIMEOUT_MS < c->lis->hello_ms ? AUTH_TIMEOUT_MS :
	    c->lis->hello_ms);
	return 0;
}

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct inbound_listener *lis = arg;
	struct inbound_conn *c;
	char name[INBOUND_PEER_NAME_MAX];
	int one = 1;

	(void)lev;
	(void)salen;
	name_of(sa, name, sizeof(name));
	if (lis->check_sources && !srcaddr_is_allowed(&lis->sources, sa)) {
		lis->d->counters.sources_refused++;
		ratelog(lis, WHY_SOURCE, "inbound %s refused: not a member's "
		    "address (peer_source_check)", name);
		evutil_closesocket(fd);
		return;
	}
	if (lis->n >= INBOUND_CONNS_MAX && !evict_one(lis)) {
		evutil_closesocket(fd);
		pause_listener(lis, 0);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->lis = lis;
	c->member = -1;
	c->state = INBOUND_HELLO;
	memcpy(c->name, name, sizeof(c->name));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	c->bev = bufferevent_socket_new(lis->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL || (c->deadline = evtimer_new(lis->d->base,
	    on_deadline, c)) == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		free(c);
		return;
	}
	limit_bucket_init(&c->bucket, INBOUND_FRAMES_BURST, electd_now_ms());
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	/* Never buffer more than a few frames from one peer. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, INBOUND_READ_MAX);
	if (lis->d->auth != NULL && start_auth(c) == -1) {
		log_warnx("inbound %s refused: cannot make a challenge", name);
		event_free(c->deadline);
		bufferevent_free(c->bev);
		free(c);
		return;
	}
	if (c->state == INBOUND_HELLO)
		arm(c->deadline, lis->hello_ms);
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&lis->conns, c, entry);
	lis->n++;
	log_debug("inbound %s accepted state=%s", c->name,
	    state_names[c->state]);
}

static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct inbound_listener *lis = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)lev;
	log_warnx("election listener accept: %s",
	    evutil_socket_error_to_string(err));
	/* Out of descriptors: stop accepting for a moment, not spin. */
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
		pause_listener(lis, INBOUND_RESUME_MS);
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	resume_listener(arg);
}

/* peer_source_check: every member by IP literal, or no check at all. */
static void
setup_sources(struct inbound_listener *lis)
{
	const struct config *cfg = lis->d->cfg;

	if (!cfg->peer_source_check)
		return;
	for (size_t i = 0; i < cfg->n_members; i++)
		if (srcaddr_set_add(&lis->sources,
		    cfg->members[i].election.host) == -1) {
			log_warnx("peer_source_check off: member %s election "
			    "host %s is not an IP address", cfg->members[i].id,
			    cfg->members[i].election.host);
			return;
		}
	lis->check_sources = true;
	log_info("peer_source_check on: %zu member addresses%s",
	    lis->sources.n, lis->sources.loopback ? ", loopback allowed" : "");
}

struct inbound_listener *
inbound_listen(struct electd *d, char *err, size_t errlen)
{
	const struct config_hostport *hp = &d->cfg->listen;
	const struct elector_timing *t = elector_timing(d->el);
	struct evutil_addrinfo hints, *res = NULL;
	struct inbound_listener *lis;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", (unsigned)hp->port);
	/* Before the loop runs: a blocking lookup stalls nothing. */
	if ((rc = evutil_getaddrinfo(hp->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s:%s: %s", hp->host, port,
		    evutil_gai_strerror(rc));
		return NULL;
	}
	if ((lis = calloc(1, sizeof(*lis))) == NULL) {
		evutil_freeaddrinfo(res);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lis->d = d;
	TAILQ_INIT(&lis->conns);
	lis->frames_per_s = INBOUND_FRAMES_PER_S + 2 * 1000 / t->hb_interval_ms;
	lis->hello_ms = INBOUND_HELLO_DOWN_AFTERS * t->down_after_ms;
	setup_sources(lis);
	lis->lev = evconnlistener_new_bind(d->base, on_accept, lis,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    SOMAXCONN, res->ai_addr, (int)res->ai_addrlen);
	evutil_freeaddrinfo(res);
	if (lis->lev == NULL) {
		snprintf(err, errlen, "listen %s:%s: %s", hp->host, port,
		    strerror(errno));
		free(lis);
		return NULL;
	}
	evconnlistener_set_error_cb(lis->lev, on_accept_error);
	lis->resume = evtimer_new(d->base, on_resume, lis);
	log_info("election listening on %s:%s auth=%s", hp->host, port,
	    d->auth != NULL ? "on" : "off");
	return lis;
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
		bufferevent_free(c->bev);
		free(c);
	}
	if (lis->resume != NULL)
		event_free(lis->resume);
	evconnlistener_free(lis->lev);
	free(lis);
}
