/*
 * inbound: admission on the election port and the connections peers dial
 * to us. A connection is read-only for us: bytes are decoded with
 * wire_decode straight from the input buffer, whole frames go to the core.
 * Admission is capped; at the cap or on EMFILE the listener pauses and
 * resumes when a connection closes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#include "electd.h"
#include "inbound.h"
#include "log.h"

#define INBOUND_PEER_NAME_MAX 64 /* bytes in "addr:port" for logs */
#define INBOUND_RESUME_MS     100 /* retry accepting after EMFILE */

struct inbound_conn {
	struct inbound_listener *lis;
	struct bufferevent *bev;
	int member;                   /* sender fixed by the first frame */
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
	TAILQ_HEAD(, inbound_conn) conns;
};

unsigned
inbound_count(const struct inbound_listener *lis, size_t member)
{
	return member < ELECTOR_MEMBERS_MAX ? lis->per_member[member] : 0;
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

static void
conn_free(struct inbound_conn *c, const char *why)
{
	struct inbound_listener *lis = c->lis;

	log_debug("inbound %s peer=%s closed reason=%s", c->name,
	    c->member >= 0 ? lis->d->cfg->members[c->member].id : "-", why);
	if (c->member >= 0)
		lis->per_member[c->member]--;
	TAILQ_REMOVE(&lis->conns, c, entry);
	lis->n--;
	bufferevent_free(c->bev);
	free(c);
	resume_listener(lis);
}

/* Decode every whole frame buffered; returns -1 if c was freed. */
static int
conn_drain(struct inbound_conn *c)
{
	struct electd *d = c->lis->d;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	for (;;) {
		size_t len = evbuffer_get_length(in), used = 0;
		size_t want = len < WIRE_FRAME_MAX ? len : WIRE_FRAME_MAX;
		const char *why = NULL;
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
			char esc[64];

			d->counters.decode_errors++;
			log_warnx("inbound %s bad frame reason=\"%s\" bytes=%s",
			    c->name, why, log_escape(esc, sizeof(esc), p,
			    want < 16 ? want : 16));
			conn_free(c, "bad-frame");
			return -1;
		}
		evbuffer_drain(in, used);
		if (st == WIRE_SKIP)
			continue;
		x = elector_member_find(d->el, f.id);
		/* The sender of one connection never changes. */
		if (c->member >= 0 && x != c->member) {
			log_warnx("inbound %s sender changed from %s to %s",
			    c->name, d->cfg->members[c->member].id, f.id);
			conn_free(c, "sender-changed");
			return -1;
		}
		if (core_on_frame(d, &f) == -1) {
			char esc[WIRE_ID_MAX * 4 + 1];

			log_warnx("inbound %s frame from non-member id=%s",
			    c->name, log_escape(esc, sizeof(esc), f.id,
			    strlen(f.id)));
			conn_free(c, "not-a-member");
			return -1;
		}
		if (c->member < 0) {
			c->member = x;
			c->lis->per_member[x]++;
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
on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct inbound_listener *lis = arg;
	struct inbound_conn *c;
	char host[48];
	int one = 1;

	(void)lev;
	(void)salen;
	if (lis->n >= INBOUND_CONNS_MAX || (c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		pause_listener(lis, 0);
		return;
	}
	c->lis = lis;
	c->member = -1;
	host[0] = '\0';
	if (sa->sa_family == AF_INET)
		evutil_inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		evutil_inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
	snprintf(c->name, sizeof(c->name), "%s:%u", host,
	    sa->sa_family == AF_INET ?
	    ntohs(((struct sockaddr_in *)sa)->sin_port) :
	    ntohs(((struct sockaddr_in6 *)sa)->sin6_port));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	c->bev = bufferevent_socket_new(lis->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	/* Never buffer more than a few frames from one peer. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, INBOUND_READ_MAX);
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&lis->conns, c, entry);
	if (++lis->n >= INBOUND_CONNS_MAX)
		pause_listener(lis, 0);
	log_debug("inbound %s accepted", c->name);
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

struct inbound_listener *
inbound_listen(struct electd *d, char *err, size_t errlen)
{
	const struct config_hostport *hp = &d->cfg->listen;
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
	log_info("election listening on %s:%s", hp->host, port);
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
		bufferevent_free(c->bev);
		free(c);
	}
	if (lis->resume != NULL)
		event_free(lis->resume);
	evconnlistener_free(lis->lev);
	free(lis);
}
