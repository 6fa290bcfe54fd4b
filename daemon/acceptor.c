/*
 * acceptor: bounded accept batches on one listening socket (acceptor.h).
 * Never blocks, never spins: a batch ends at ACCEPTOR_BATCH_MAX, at
 * EAGAIN, or when the callback paused us; descriptor exhaustion pauses.
 */
#define _GNU_SOURCE /* accept4 */

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "acceptor.h"
#include "limit.h"
#include "log.h"
#include "clock.h"
#include "util.h"

#define ACCEPTOR_NAME_MAX 32  /* bytes of the name used in logs */

struct acceptor {
	struct event *ev;         /* EV_READ | EV_PERSIST on the socket */
	struct event *resume;     /* one-shot: end of a timed pause */
	int fd;
	bool paused;
	acceptor_cb *cb;
	void *arg;
	struct limit_log errlog;
	char name[ACCEPTOR_NAME_MAX];
};

static bool
is_out_of_resources(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

static void
log_accept_error(struct acceptor *a, int err)
{
	uint64_t skipped;
	char q[LOG_QUOTE_MAX(LOG_ERROR_TEXT_MAX)];

	if (limit_log_allow(&a->errlog, clock_now_ms(), ACCEPTOR_LOG_INTERVAL_MS,
	    &skipped))
		log_warnx("event=accept_failed listener=%s error=%s "
		    "suppressed=%" PRIu64, a->name, LOG_Q(q, strerror(err)),
		    skipped);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor *a = arg;

	(void)what;
	for (int n = 0; n < ACCEPTOR_BATCH_MAX && !a->paused; n++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c == -1) {
			int err = errno;

			if (err == EINTR || err == ECONNABORTED ||
			    err == EPROTO)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK)
				return;
			log_accept_error(a, err);
			/* Else the readable socket would spin the loop. */
			if (is_out_of_resources(err))
				acceptor_pause(a, ACCEPTOR_RESUME_MS);
			return;
		}
		a->cb(c, (struct sockaddr *)&ss, len, a->arg);
	}
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	acceptor_resume(arg);
}

struct acceptor *
acceptor_new(struct event_base *base, int fd, const char *name,
    acceptor_cb *cb, void *arg)
{
	struct acceptor *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->fd = fd;
	a->cb = cb;
	a->arg = arg;
	snprintf(a->name, sizeof(a->name), "%s", name);
	if ((a->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable,
	    a)) == NULL || (a->resume = evtimer_new(base, on_resume, a)) ==
	    NULL || event_add(a->ev, NULL) == -1) {
		if (a->ev != NULL)
			event_free(a->ev);
		if (a->resume != NULL)
			event_free(a->resume);
		free(a);
		return NULL;
	}
	return a;
}

int
acceptor_bind_tcp(const char *host, uint16_t port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char serv[8];
	int fd, rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(serv, sizeof(serv), "%u", (unsigned)port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s:%s: %s", host, serv,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, ACCEPTOR_BACKLOG) == -1) {
		snprintf(err, errlen, "listen %s:%s: %s", host, serv,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

void
acceptor_pause(struct acceptor *a, uint64_t retry_ms)
{
	if (!a->paused) {
		event_del(a->ev);
		a->paused = true;
	}
	if (retry_ms > 0) {
		struct timeval tv;

		util_ms_to_tv(retry_ms, &tv);
		evtimer_add(a->resume, &tv);
	}
}

void
acceptor_resume(struct acceptor *a)
{
	if (!a->paused)
		return;
	evtimer_del(a->resume);
	if (event_add(a->ev, NULL) == 0)
		a->paused = false;
}

bool
acceptor_is_paused(const struct acceptor *a)
{
	return a->paused;
}

void
acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	event_free(a->ev);
	event_free(a->resume);
	close(a->fd);
	free(a);
}
