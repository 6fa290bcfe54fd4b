/*
 * link: one outbound connection per peer. States: RESOLVING -> CONNECTING
 * -> [AUTH ->] UP, and BACKOFF after any failure, back to RESOLVING when
 * the backoff timer fires. Every change goes through link_set_state(),
 * which logs it. We only write on this connection; what the peer writes
 * is its authentication challenge (AUTH, when a key is configured) and
 * else discarded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "auth.h"
#include "electd.h"
#include "link.h"
#include "log.h"

struct link {
	struct electd *d;
	size_t member;
	const char *id;
	enum link_state state;
	struct bufferevent *bev;
	struct event *timer;          /* connect timeout, or backoff */
	struct evdns_getaddrinfo_request *req;
	uint64_t backoff_ms;          /* next delay before jitter */
	const char *last_error;
};

static void link_connect(struct link *);
static void link_fail(struct link *, const char *why);
static uint64_t link_timeout_ms(const struct link *);

const char *
link_state_name(enum link_state s)
{
	switch (s) {
	case LINK_RESOLVING: return "resolving";
	case LINK_CONNECTING: return "connecting";
	case LINK_AUTH: return "auth";
	case LINK_UP: return "up";
	case LINK_BACKOFF: return "backoff";
	}
	return "unknown";
}

enum link_state
link_state(const struct link *l)
{
	return l->state;
}

static void
link_set_state(struct link *l, enum link_state s, const char *why)
{
	enum log_level lvl = LOG_LEVEL_DEBUG;

	if (l->state == s)
		return;
	/* Up and losing up are worth an info line; retries are debug. */
	if (s == LINK_UP || l->state == LINK_UP)
		lvl = LOG_LEVEL_INFO;
	if (lvl == LOG_LEVEL_INFO)
		log_info("peer %s link=%s was=%s%s%s", l->id,
		    link_state_name(s), link_state_name(l->state),
		    why ? " reason=" : "", why ? why : "");
	else
		log_debug("peer %s link=%s was=%s%s%s", l->id,
		    link_state_name(s), link_state_name(l->state),
		    why ? " reason=" : "", why ? why : "");
	l->state = s;
}

static void
arm(struct link *l, uint64_t ms)
{
	struct timeval tv = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)((ms % 1000) * 1000),
	};

	evtimer_add(l->timer, &tv);
}

static void
drop_connection(struct link *l)
{
	if (l->req != NULL) {
		evdns_getaddrinfo_cancel(l->req);
		l->req = NULL;
	}
	if (l->bev != NULL) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	evtimer_del(l->timer);
}

/* Any failure: close, then retry after a capped, jittered, growing delay. */
static void
link_fail(struct link *l, const char *why)
{
	uint64_t cap = 2 * elector_timing(l->d->el)->hb_interval_ms, wait;

	drop_connection(l);
	l->last_error = why;
	link_set_state(l, LINK_BACKOFF, why);
	/* Half to full delay: peers that fail together retry apart. */
	/* A restarted peer must hear us within a couple of heartbeats. */
	if (cap > LINK_BACKOFF_MAX_MS)
		cap = LINK_BACKOFF_MAX_MS;
	if (cap < LINK_BACKOFF_MIN_MS)
		cap = LINK_BACKOFF_MIN_MS;
	wait = l->backoff_ms / 2 + electd_random(l->d, l->backoff_ms / 2 + 1);
	l->backoff_ms *= 2;
	if (l->backoff_ms > cap)
		l->backoff_ms = cap;
	arm(l, wait);
}

/* The link is usable: its first frame is a fresh heartbeat. */
static void
link_up(struct link *l)
{
	evtimer_del(l->timer);
	l->backoff_ms = LINK_BACKOFF_MIN_MS;
	link_set_state(l, LINK_UP, NULL);
	core_link_up(l->d, l->member);
}

/* The acceptor's KEVYCHALL: answer it, then frames may flow. */
static void
answer_challenge(struct link *l, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in), used = 0, n;
	size_t want = len < AUTH_MSG_MAX ? len : AUTH_MSG_MAX;
	char chall[AUTH_HEX_LEN + 1], mac[AUTH_HEX_LEN + 1];
	uint8_t buf[AUTH_MSG_MAX];

	switch (auth_decode_challenge(evbuffer_pullup(in, (ev_ssize_t)want),
	    want, chall, &used)) {
	case AUTH_NEED_MORE:
		return;
	case AUTH_ERROR:
		link_fail(l, "bad-challenge");
		return;
	case AUTH_OK:
		break;
	}
	evbuffer_drain(in, used);
	if (auth_response(l->d->auth, chall, l->d->cfg->node_id, l->id,
	    mac) == -1 ||
	    (n = auth_encode_response(l->d->cfg->node_id, mac, buf,
	    sizeof(buf))) == 0 ||
	    bufferevent_write(l->bev, buf, n) == -1) {
		link_fail(l, "auth-answer-failed");
		return;
	}
	link_up(l);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (l->state == LINK_AUTH) {
		answer_challenge(l, in);
		if (l->bev != bev)
			return;	/* failed: bev is gone */
	}
	/* Else peers never write on our outbound link: discard, bounded. */
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct link *l = arg;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		evutil_socket_t fd = bufferevent_getfd(bev);

		unsigned int uto = (unsigned int)link_timeout_ms(l);

		evtimer_del(l->timer);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		/*
		 * Heartbeats fit in the kernel's send buffer for minutes, so a
		 * blackholed link never stalls a write: have the kernel drop
		 * it once data sits unacknowledged for down_after, and redial.
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
		if (l->d->auth == NULL) {
			link_up(l);
			return;
		}
		/* No frame before we answered the acceptor's challenge. */
		link_set_state(l, LINK_AUTH, NULL);
		arm(l, AUTH_TIMEOUT_MS);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		link_fail(l, "write-timeout");
	else if (what & BEV_EVENT_EOF)
		link_fail(l, "closed-by-peer");
	else
		link_fail(l, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

/* down_after, within the connect-timeout bounds: a LAN answers in ms. */
static uint64_t
link_timeout_ms(const struct link *l)
{
	uint64_t ms = elector_timing(l->d->el)->down_after_ms;

	if (ms < LINK_CONNECT_TIMEOUT_MIN_MS)
		ms = LINK_CONNECT_TIMEOUT_MIN_MS;
	if (ms > LINK_CONNECT_TIMEOUT_MS)
		ms = LINK_CONNECT_TIMEOUT_MS;
	return ms;
}

static void
start_connect(struct link *l, const struct sockaddr *sa, socklen_t len)
{
	struct timeval wto;
	uint64_t ms = elector_timing(l->d->el)->down_after_ms;

	l->bev = bufferevent_socket_new(l->d->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL) {
		link_fail(l, "bufferevent-failed");
		return;
	}
	bufferevent_setcb(l->bev, on_read, NULL, on_event, l);
	/* A peer that takes no bytes for down_after is as good as dead. */
	wto.tv_sec = (time_t)(ms / 1000);
	wto.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	bufferevent_set_timeouts(l->bev, NULL, &wto);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	link_set_state(l, LINK_CONNECTING, NULL);
	arm(l, link_timeout_ms(l));
	if (bufferevent_socket_connect(l->bev, sa, (int)len) == -1)
		link_fail(l, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

static void
on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct link *l = arg;

	l->req = NULL;
	if (result != 0) {
		if (result != EVUTIL_EAI_CANCEL)
			link_fail(l, evutil_gai_strerror(result));
		return;
	}
	start_connect(l, res->ai_addr, res->ai_addrlen);
	evutil_freeaddrinfo(res);
}

static void
link_connect(struct link *l)
{
	const struct config_hostport *hp = &l->d->cfg->members[l->member].election;
	struct evutil_addrinfo hints;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", (unsigned)hp->port);
	link_set_state(l, LINK_RESOLVING, NULL);
	/* Literal addresses answer at once; names go to evdns, never block. */
	l->req = evdns_getaddrinfo(l->d->dns, hp->host, port, &hints,
	    on_resolved, l);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)what;
	if (l->state == LINK_BACKOFF)
		link_connect(l);
	else if (l->state == LINK_CONNECTING)
		link_fail(l, "connect-timeout");
	else if (l->state == LINK_AUTH)
		link_fail(l, "auth-timeout");
}

struct link *
link_new(struct electd *d, size_t member)
{
	struct link *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->d = d;
	l->member = member;
	l->id = d->cfg->members[member].id;
	l->backoff_ms = LINK_BACKOFF_MIN_MS;
	l->state = LINK_BACKOFF;
	if ((l->timer = evtimer_new(d->base, on_timer, l)) == NULL) {
		free(l);
		return NULL;
	}
	link_connect(l);
	return l;
}

void
link_free(struct link *l)
{
	if (l == NULL)
		return;
	drop_connection(l);
	event_free(l->timer);
	free(l);
}

void
link_send(struct link *l, const uint8_t *buf, size_t len)
{
	struct evbuffer *out;

	if (l->state != LINK_UP) {
		l->d->counters.frames_dropped++;
		return;
	}
	out = bufferevent_get_output(l->bev);
	/* A peer that stopped reading must not grow our memory. */
	if (evbuffer_get_length(out) + len > LINK_OUT_MAX) {
		l->d->counters.frames_dropped++;
		return;
	}
	evbuffer_add(out, buf, len);
}
