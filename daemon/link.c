/*
 * link: one outbound connection per peer. States: RESOLVING -> CONNECTING
 * -> [AUTH ->] UP, and BACKOFF after any failure, back to RESOLVING when
 * the backoff timer fires. Every change goes through link_set_state(),
 * which logs it (debug); link_fail() and link_stable() write the info
 * lines of the backoff policy (link.h). We only write on this connection;
 * what the peer writes is its authentication challenge (AUTH, when a key
 * is configured), kept until whole however it is segmented, and else
 * discarded. One timer serves every state: connect timeout (short, its
 * own: link.h), challenge timeout, stability period (UP), retry (BACKOFF).
 *
 * The socket is ours, not a bufferevent's: a settled link costs one
 * write per frame sent and nothing else. A frame is written the moment
 * it is sent; only what the socket does not take is queued (out, at most
 * LINK_OUT_MAX), and only then is the write event armed, with the write
 * timeout. The read event stays armed for the life of the connection (a
 * challenge, or the peer's FIN or RST): one epoll_ctl per connect, none
 * per frame. Reads go to a fixed buffer, one read per wakeup.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
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
/* Bytes read (and dropped) at once from an up link: peers send nothing. */
#define LINK_DISCARD_MAX 512
#define LINK_REASON_MAX 64  /* bytes of a failure reason in a log line */

struct link {
	struct link_config cfg;
	const struct link_ops *ops;
	void *ctx;
	uint64_t rng;                 /* jitter */
	size_t member;
	const char *id;
	enum link_state state;
	int fd;                       /* -1: no connection */
	struct event *rd;             /* readable, persistent */
	struct event *wr;             /* connected, or room for out */
	struct evbuffer *out;         /* what the socket did not take yet */
	uint64_t wrote_ms;            /* out last moved (write timeout) */
	uint64_t dialled_ms;          /* connect() of this attempt */
	size_t in_len;                /* bytes of a challenge in in[] */
	uint8_t in[LINK_READ_MAX];
	struct event *timer;          /* timeout, stability, or retry */
	struct evdns_getaddrinfo_request *req;
	uint64_t backoff_ms;          /* next delay before jitter */
	uint64_t logged_ms;           /* delay of the last step logged; 0: none */
	uint64_t failed;              /* attempts failed since last stable */
	bool stable;                  /* UP for the stability period */
};

static void link_connect(struct link *);
static void link_fail(struct link *, const char *why);
static uint64_t link_unacked_ms(const struct link *);
static void on_read(evutil_socket_t, short, void *);

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
	if (l->fd != -1) {
		event_free(l->rd);
		event_free(l->wr);
		l->rd = l->wr = NULL;
		close(l->fd);
		l->fd = -1;
	}
	/* Nothing is kept for the next connection (link.h). */
	evbuffer_drain(l->out, evbuffer_get_length(l->out));
	l->in_len = 0;
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
	/* From the dial: a timed-out connect has waited already (link.h). */
	if (was == LINK_CONNECTING) {
		uint64_t spent = clock_now_ms() - l->dialled_ms;

		wait = wait > spent ? wait - spent : 0;
	}
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

static uint64_t
clamp_ms(uint64_t ms, uint64_t lo, uint64_t hi)
{
	return ms < lo ? lo : ms > hi ? hi : ms;
}

/* down_after, within the stability bounds (link.h). */
static uint64_t
link_stable_ms(const struct link *l)
{
	return clamp_ms(l->cfg.down_after_ms, LINK_STABLE_MIN_MS,
	    LINK_STABLE_MAX_MS);
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

/* Unacknowledged data: down_after, within bounds (link.h). */
static uint64_t
link_unacked_ms(const struct link *l)
{
	return clamp_ms(l->cfg.down_after_ms, LINK_UNACKED_TIMEOUT_MIN_MS,
	    LINK_UNACKED_TIMEOUT_MAX_MS);
}

/* 2 heartbeats, never longer than the unacked-data timeout (link.h). */
static uint64_t
link_connect_timeout_ms(const struct link *l)
{
	uint64_t ms = 2 * l->cfg.hb_interval_ms, max = link_unacked_ms(l);

	if (ms < LINK_CONNECT_TIMEOUT_MIN_MS)
		ms = LINK_CONNECT_TIMEOUT_MIN_MS;
	return ms < max ? ms : max;
}

/*
 * Wait for room in the socket, at most down_after since out last moved:
 * a peer that takes no bytes that long is as good as dead.
 */
static void
arm_write(struct link *l)
{
	uint64_t now = clock_now_ms(), since = now - l->wrote_ms;
	struct timeval tv;

	util_ms_to_tv(since < l->cfg.down_after_ms ?
	    l->cfg.down_after_ms - since : 0, &tv);
	event_add(l->wr, &tv);
}

/*
 * Write what is queued: 0 (all of it, or the rest waits for the write
 * event), -1 the connection failed (the link is in BACKOFF now).
 */
static int
out_flush(struct link *l)
{
	int n;

	while (evbuffer_get_length(l->out) > 0) {
		if ((n = evbuffer_write(l->out, l->fd)) > 0) {
			l->wrote_ms = clock_now_ms();
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			link_fail(l, strerror(errno));
			return -1;
		}
		arm_write(l);
		return 0;
	}
	return 0;
}

/*
 * One frame out: written at once if the socket takes it (one write(2)),
 * else its rest queued behind what waits already, in order, and the
 * write event armed. Frames are whole or absent: one that would take the
 * queue past LINK_OUT_MAX is dropped entirely. False: dropped (the link
 * may have failed on it).
 */
static bool
out_write(struct link *l, const uint8_t *buf, size_t len)
{
	size_t queued = evbuffer_get_length(l->out);
	ssize_t n;

	/* A peer that stopped reading must not grow our memory. */
	if (queued + len > LINK_OUT_MAX)
		return false;
	if (queued > 0)
		return evbuffer_add(l->out, buf, len) == 0;
	n = write(l->fd, buf, len);
	if (n == (ssize_t)len)
		return true;
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			link_fail(l, strerror(errno));
			return false;
		}
		n = 0;
	}
	if (evbuffer_add(l->out, buf + n, len - (size_t)n) == -1) {
		/* Half a frame on the wire and no room for the rest. */
		link_fail(l, "out-of-memory");
		return false;
	}
	l->wrote_ms = clock_now_ms();
	arm_write(l);
	return true;
}

/*
 * The acceptor's KEVYCHALL, in in[]: answer it, then frames may flow.
 * 1: not all here yet, 0: answered and up, -1: failed (in BACKOFF).
 */
static int
answer_challenge(struct link *l)
{
	char chall[AUTH_HEX_LEN + 1], mac[AUTH_HEX_LEN + 1];
	uint8_t buf[AUTH_MSG_MAX];
	size_t used = 0, n;

	switch (auth_decode_challenge(l->in, l->in_len, chall, &used)) {
	case AUTH_NEED_MORE:
		/* in[] holds the longest challenge: a full one is no prefix. */
		if (l->in_len < sizeof(l->in))
			return 1;
		/* FALLTHROUGH */
	case AUTH_ERROR:
		link_fail(l, "bad-challenge");
		return -1;
	case AUTH_OK:
		break;
	}
	/* Whatever followed it: peers write nothing more (discarded). */
	l->in_len = 0;
	if (auth_response(l->cfg.auth, chall, l->cfg.cfg->node_id, l->id,
	    mac) == -1 ||
	    (n = auth_encode_response(l->cfg.cfg->node_id, mac, buf,
	    sizeof(buf))) == 0) {
		link_fail(l, "auth-answer-failed");
		return -1;
	}
	/* The first bytes on a fresh socket: they fit, or it failed. */
	if (!out_write(l, buf, n)) {
		if (l->state == LINK_AUTH)
			link_fail(l, "auth-answer-failed");
		return -1;
	}
	link_up(l);
	return 0;
}

/*
 * One read per wakeup: a challenge into in[] while in AUTH; once up,
 * anything is read and dropped (peers send nothing after the challenge),
 * so only a FIN or an RST matters.
 */
static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	uint8_t drop[LINK_DISCARD_MAX];
	ssize_t n;

	(void)what;
	if (l->state == LINK_AUTH)
		n = read(fd, l->in + l->in_len, sizeof(l->in) - l->in_len);
	else
		n = read(fd, drop, sizeof(drop));
	if (n == 0) {
		link_fail(l, "closed-by-peer");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			link_fail(l, strerror(errno));
		return;
	}
	if (l->state == LINK_AUTH) {
		l->in_len += (size_t)n;
		answer_challenge(l);
	}
}

/* The TCP connect completed: tune the socket, then AUTH or UP. */
static void
connected(struct link *l)
{
	unsigned int uto = (unsigned int)link_unacked_ms(l);
	int one = 1;

	evtimer_del(l->timer);
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(l->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/*
	 * Heartbeats fit in the kernel's send buffer for minutes, so a
	 * blackholed link never stalls a write: have the kernel drop
	 * it once data sits unacknowledged for down_after, and redial.
	 */
	setsockopt(l->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
	/* Armed once for the connection's life: no epoll_ctl per frame. */
	if (event_add(l->rd, NULL) == -1) {
		link_fail(l, "event-add-failed");
		return;
	}
	l->wrote_ms = clock_now_ms();
	if (l->cfg.auth == NULL)
		link_up(l);
	else {
		/* No frame before we answered the acceptor's challenge. */
		link_set_state(l, LINK_AUTH, NULL);
		arm(l, AUTH_TIMEOUT_MS);
	}
}

/* Writable: the connect finished, or there is room for what is queued. */
static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	socklen_t len = sizeof(int);
	int err = 0;

	if (l->state == LINK_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0)
			link_fail(l, strerror(err));
		else
			connected(l);
		return;
	}
	if (what & EV_TIMEOUT) {
		link_fail(l, "write-timeout");
		return;
	}
	out_flush(l);
}

static void
start_connect(struct link *l, const struct sockaddr *sa, socklen_t len)
{
	l->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (l->fd == -1) {
		link_fail(l, strerror(errno));
		return;
	}
	if ((l->rd = event_new(l->cfg.base, l->fd, EV_READ | EV_PERSIST,
	    on_read, l)) == NULL ||
	    (l->wr = event_new(l->cfg.base, l->fd, EV_WRITE, on_write, l)) ==
	    NULL) {
		if (l->rd != NULL)
			event_free(l->rd);
		l->rd = NULL;
		close(l->fd);
		l->fd = -1;
		link_fail(l, "event-new-failed");
		return;
	}
	link_set_state(l, LINK_CONNECTING, NULL);
	l->dialled_ms = clock_now_ms();
	arm(l, link_connect_timeout_ms(l));
	if (connect(l->fd, sa, len) == 0)
		connected(l);
	else if (errno == EINPROGRESS)
		event_add(l->wr, NULL);	/* the timer bounds it */
	else
		link_fail(l, strerror(errno));
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
	if (l->cfg.dns == NULL) {
		/* Every member is an IP literal (link_needs_dns): no lookup. */
		struct evutil_addrinfo *res = NULL;
		int r;

		hints.ai_flags |= EVUTIL_AI_NUMERICHOST;
		r = evutil_getaddrinfo(hp->host, port, &hints, &res);
		on_resolved(r, r == 0 ? res : NULL, l);
		return;
	}
	/* Literal addresses answer at once; names go to evdns, never block. */
	l->req = evdns_getaddrinfo(l->cfg.dns, hp->host, port, &hints,
	    on_resolved, l);
}

bool
link_needs_dns(const struct config *cfg)
{
	unsigned char addr[16];

	for (size_t i = 0; i < cfg->n_members; i++) {
		const char *host = cfg->members[i].election.host;

		if (i != cfg->self &&
		    evutil_inet_pton(AF_INET, host, addr) != 1 &&
		    evutil_inet_pton(AF_INET6, host, addr) != 1)
			return true;
	}
	return false;
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
	l->fd = -1;
	if ((l->out = evbuffer_new()) == NULL ||
	    (l->timer = evtimer_new(cfg->base, on_timer, l)) == NULL) {
		if (l->out != NULL)
			evbuffer_free(l->out);
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
	evbuffer_free(l->out);
	free(l);
}

bool
link_send(struct link *l, const uint8_t *buf, size_t len)
{
	if (l->state != LINK_UP)
		return false;
	return out_write(l, buf, len);
}
