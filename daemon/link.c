/*
 * link: one outbound connection per peer. States: RESOLVING -> CONNECTING
 * -> [AUTH ->] UP, and BACKOFF after any failure, back to RESOLVING when
 * the backoff timer fires. Every change goes through link_set_state(),
 * which logs it (debug); link_fail() and link_stable() write the info
 * lines of the backoff policy (link.h). We only write on this connection;
 * what the peer writes is its authentication challenge (AUTH, when a key
 * is configured), kept until whole however it is segmented, and else
 * discarded. One timer serves every state: connect timeout, challenge
 * timeout, stability period (UP), retry (BACKOFF).
 */
#include <errno.h>
#include <inttypes.h>
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
#include "config.h"
#include "clock.h"
#include "link.h"
#include "rng.h"
#include "util.h"
#include "log.h"

/* Bytes buffered from the acceptor: its challenge; it sends nothing else. */
#define LINK_READ_MAX AUTH_MSG_MAX
#define LINK_REASON_MAX 64  /* bytes of a failure reason in a log line */

struct link {
	struct link_config cfg;
	const struct link_ops *ops;
	void *ctx;
	uint64_t rng;                 /* jitter */
	size_t member;
	const char *id;
	enum link_state state;
	struct bufferevent *bev;
	struct event *timer;          /* timeout, stability, or retry */
	struct evdns_getaddrinfo_request *req;
	uint64_t backoff_ms;          /* next delay before jitter */
	uint64_t logged_ms;           /* delay of the last step logged; 0: none */
	uint64_t failed;              /* attempts failed since last stable */
	bool stable;                  /* UP for the stability period */
};

static void link_connect(struct link *);
static void link_fail(struct link *, const char *why);
static uint64_t link_timeout_ms(const struct link *);
static void on_read(struct bufferevent *, void *);

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
	if (l->state == s)
		return;
	/* Per attempt: debug only. The policy's lines are in link_fail. */
	log_debug("event=link_state peer=%s link=%s was=%s reason=%s", l->id,
	    link_state_name(s), link_state_name(l->state), why ? why : "-");
	l->state = s;
}

static void
arm(struct link *l, uint64_t ms)
{
	struct timeval tv;

	util_ms_to_tv(ms, &tv);
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

/* Connect failures: a restarted peer must hear us within 2 heartbeats. */
static uint64_t
connect_cap_ms(const struct link *l)
{
	uint64_t cap = 2 * l->cfg.hb_interval_ms;

	if (cap > LINK_BACKOFF_MAX_MS)
		cap = LINK_BACKOFF_MAX_MS;
	if (cap < LINK_BACKOFF_MIN_MS)
		cap = LINK_BACKOFF_MIN_MS;
	return cap;
}

/* "Connection refused" -> "connection-refused": one key=value token. */
static const char *
reason_token(const char *why, char *buf, size_t cap)
{
	size_t i = 0;

	for (; why[i] != '\0' && i + 1 < cap; i++) {
		char c = why[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		buf[i] = c;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * Any failure: close, then retry after a jittered delay that doubles up
 * to a cap, the longer one if the peer took the connection and then
 * dropped it before the link was stable: that peer refuses us (link.h).
 */
static void
link_fail(struct link *l, const char *reason)
{
	enum link_state was = l->state;
	bool refused = was == LINK_AUTH || (was == LINK_UP && !l->stable);
	uint64_t cap = refused ? LINK_BACKOFF_REFUSED_MAX_MS : connect_cap_ms(l);
	uint64_t delay, wait;
	char buf[LINK_REASON_MAX];
	const char *why = reason_token(reason, buf, sizeof(buf));

	drop_connection(l);
	link_set_state(l, LINK_BACKOFF, why);
	l->stable = false;
	/* A refusal followed by a closed port: the peer restarts, come back. */
	if (l->backoff_ms > cap)
		l->backoff_ms = cap;
	delay = l->backoff_ms;
	/* Half to full delay: peers that fail together retry apart. */
	wait = delay / 2 + rng_below(&l->rng, delay / 2 + 1);
	l->backoff_ms = 2 * delay < cap ? 2 * delay : cap;
	l->failed++;
	/* One line per step; at the cap, silence until something changes. */
	if (delay != l->logged_ms) {
		log_info("event=link_backoff peer=%s was=%s reason=%s "
		    "refused=%s failed=%" PRIu64 " retry_ms=%" PRIu64
		    " capped=%s", l->id, link_state_name(was), why,
		    refused ? "yes" : "no", l->failed, wait,
		    delay == cap ? "yes" : "no");
		l->logged_ms = delay;
	}
	arm(l, wait);
}

/*
 * Up for the stability period: the peer accepted us. The one line that
 * says so, and the backoff starts over.
 */
static void
link_stable(struct link *l)
{
	log_info("event=link_up peer=%s failed=%" PRIu64, l->id, l->failed);
	l->stable = true;
	l->failed = 0;
	l->logged_ms = 0;
	l->backoff_ms = LINK_BACKOFF_MIN_MS;
}

/* down_after, within the stability bounds (link.h). */
static uint64_t
link_stable_ms(const struct link *l)
{
	uint64_t ms = l->cfg.down_after_ms;

	if (ms < LINK_STABLE_MIN_MS)
		ms = LINK_STABLE_MIN_MS;
	if (ms > LINK_STABLE_MAX_MS)
		ms = LINK_STABLE_MAX_MS;
	return ms;
}

/*
 * The link is usable: its first frame is a fresh heartbeat. Accepted
 * only once it stays up link_stable_ms (the dialer sees no ack).
 */
static void
link_up(struct link *l)
{
	evtimer_del(l->timer);
	l->stable = false;
	link_set_state(l, LINK_UP, NULL);
	arm(l, link_stable_ms(l));
	l->ops->up(l->ctx, l->member);
}

/*
 * The acceptor's KEVYCHALL: answer it, then frames may flow. 1: not all
 * here yet (kept in the buffer), 0: answered and up, -1: failed (the
 * bufferevent is gone).
 */
static int
answer_challenge(struct link *l, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in), used = 0, n;
	size_t want = len < AUTH_MSG_MAX ? len : AUTH_MSG_MAX;
	char chall[AUTH_HEX_LEN + 1], mac[AUTH_HEX_LEN + 1];
	uint8_t buf[AUTH_MSG_MAX];

	switch (auth_decode_challenge(evbuffer_pullup(in, (ev_ssize_t)want),
	    want, chall, &used)) {
	case AUTH_NEED_MORE:
		return 1;
	case AUTH_ERROR:
		link_fail(l, "bad-challenge");
		return -1;
	case AUTH_OK:
		break;
	}
	evbuffer_drain(in, used);
	if (auth_response(l->cfg.auth, chall, l->cfg.cfg->node_id, l->id,
	    mac) == -1 ||
	    (n = auth_encode_response(l->cfg.cfg->node_id, mac, buf,
	    sizeof(buf))) == 0 ||
	    bufferevent_write(l->bev, buf, n) == -1) {
		link_fail(l, "auth-answer-failed");
		return -1;
	}
	link_up(l);
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	switch (l->state) {
	case LINK_AUTH:
		/* A partial challenge stays buffered until its end arrives. */
		if (answer_challenge(l, in) != 0)
			return;
		break;
	case LINK_UP:
		break;
	default:
		/* Read before the connect was seen complete: keep it. */
		return;
	}
	/* Peers never write after the challenge: discard, bounded. */
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
		if (l->cfg.auth == NULL)
			link_up(l);
		else {
			/* No frame before we answered the acceptor's challenge. */
			link_set_state(l, LINK_AUTH, NULL);
			arm(l, AUTH_TIMEOUT_MS);
		}
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			on_read(bev, l);
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
	uint64_t ms = l->cfg.down_after_ms;

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
	uint64_t ms = l->cfg.down_after_ms;

	l->bev = bufferevent_socket_new(l->cfg.base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL) {
		link_fail(l, "bufferevent-failed");
		return;
	}
	bufferevent_setcb(l->bev, on_read, NULL, on_event, l);
	bufferevent_setwatermark(l->bev, EV_READ, 0, LINK_READ_MAX);
	/* A peer that takes no bytes for down_after is as good as dead. */
	util_ms_to_tv(ms, &wto);
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
	const struct config_hostport *hp = &l->cfg.cfg->members[l->member].election;
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
	l->req = evdns_getaddrinfo(l->cfg.dns, hp->host, port, &hints,
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
	else if (l->state == LINK_UP && !l->stable)
		link_stable(l);
}

struct link *
link_new(const struct link_config *cfg, const struct link_ops *ops, void *ctx)
{
	struct link *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->cfg = *cfg;
	l->ops = ops;
	l->ctx = ctx;
	l->rng = cfg->seed;
	l->member = cfg->member;
	l->id = cfg->cfg->members[cfg->member].id;
	l->backoff_ms = LINK_BACKOFF_MIN_MS;
	l->state = LINK_BACKOFF;
	if ((l->timer = evtimer_new(cfg->base, on_timer, l)) == NULL) {
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

bool
link_send(struct link *l, const uint8_t *buf, size_t len)
{
	struct evbuffer *out;

	if (l->state != LINK_UP)
		return false;
	out = bufferevent_get_output(l->bev);
	/* A peer that stopped reading must not grow our memory. */
	if (evbuffer_get_length(out) + len > LINK_OUT_MAX)
		return false;
	return evbuffer_add(out, buf, len) == 0;
}
