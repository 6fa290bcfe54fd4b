/*
 * history: see history.h. One mutex guards everything; the reader thread
 * reads a ready WATCH socket (non-blocking) and checks its lines while it
 * holds the lock, so the order of the history is the order of the checks.
 * A pipe wakes the reader when a connection is attached or dropped; only
 * the reader closes a connection's descriptor, so a number it polls is
 * never reused under it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "history.h"

#define HISTORY_LINE_MAX   16384  /* bytes of one STATUS line */
#define HISTORY_POLL_MS    1000   /* reader re-checks its stop flag */
#define HISTORY_ID_MAX     32     /* bytes of a node id */
#define HISTORY_CLOSE_MAX  64     /* descriptors waiting to be closed */

struct history_node {
	char id[HISTORY_ID_MAX + 1];
	int fd;                  /* current WATCH connection, or -1 */
	unsigned gen;            /* bumped on every attach / kill */
	char buf[HISTORY_LINE_MAX];
	size_t len;
	bool up, stopped, fresh;
	bool primary, fenced;    /* of the latest fresh line */
	char leader[HISTORY_ID_MAX + 1];
	uint64_t epoch;          /* of the latest line */
	uint64_t max_epoch;      /* ever, across restarts */
	bool epoch_seen;
};

struct history_win {
	uint64_t epoch;
	size_t node;
};

struct history {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t reader;
	bool reader_on, stop;
	int wake[2];
	int closing[HISTORY_CLOSE_MAX];
	size_t nclosing;
	size_t n;
	struct history_node nodes[HISTORY_NODES_MAX];
	FILE *f;
	uint64_t t0_us;
	struct history_win *wins;
	size_t nwins, capwins;
	size_t lines;
	bool overlap;             /* two unfenced primaries right now */
	uint64_t converged_at;    /* receipt time of the converging event */
	bool majority;            /* the nemesis: a majority runs, connected */
	uint64_t gap_since;       /* majority without unfenced primary; 0: no */
	struct history_gaps gaps;
	size_t nviol;
	char viol[HISTORY_VIOLATIONS_MAX][HISTORY_TEXT_MAX];
};

uint64_t
history_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const char *
ev_name(enum history_ev ev)
{
	switch (ev) {
	case HISTORY_FAULT: return "FAULT";
	case HISTORY_KILL:  return "KILL";
	case HISTORY_START: return "START";
	case HISTORY_STOP:  return "STOP";
	case HISTORY_CONT:  return "CONT";
	}
	return "?";
}

/* One history file line; the lock is held. */
static void
note(struct history *h, uint64_t at, const char *who, const char *kind,
    unsigned gen, const char *text)
{
	uint64_t rel = at - h->t0_us;

	if (h->f != NULL)
		fprintf(h->f, "%llu.%03llu %s %s g%u %s\n",
		    (unsigned long long)(rel / 1000),
		    (unsigned long long)(rel % 1000), who, kind, gen, text);
}

static void
violate_locked(struct history *h, uint64_t at, const char *text)
{
	if (h->nviol < HISTORY_VIOLATIONS_MAX)
		snprintf(h->viol[h->nviol], HISTORY_TEXT_MAX, "t=%llu.%03llu ms: %s",
		    (unsigned long long)((at - h->t0_us) / 1000),
		    (unsigned long long)((at - h->t0_us) % 1000), text);
	h->nviol++;
	note(h, at, "-", "VIOLATION", 0, text);
	if (h->f != NULL)
		fflush(h->f);
}

void
history_violate(struct history *h, const char *fmt, ...)
{
	char text[HISTORY_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&h->mu);
	violate_locked(h, history_now_us(), text);
	pthread_mutex_unlock(&h->mu);
}

static bool
is_converged(const struct history *h)
{
	const struct history_node *p = NULL;

	for (size_t i = 0; i < h->n; i++) {
		const struct history_node *nd = &h->nodes[i];

		if (!nd->up || nd->stopped || !nd->fresh)
			return false;
		if (nd->primary) {
			if (p != NULL)
				return false;
			p = nd;
		}
	}
	if (p == NULL || p->fenced)
		return false;
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->nodes[i].leader, p->id) != 0)
			return false;
	return true;
}

static void
close_gap(struct history *h, uint64_t at)
{
	uint64_t len = at - h->gap_since;
	struct history_gaps *g = &h->gaps;

	g->n++;
	g->over_1s += len > 1000000;
	g->over_2s += len > 2000000;
	g->over_5s += len > 5000000;
	if (len > g->longest_us) {
		g->longest_us = len;
		g->longest_at_us = h->gap_since - h->t0_us;
	}
}

/* A gap opens or closes; lock held. */
static void
track_gap(struct history *h, uint64_t at, bool gap)
{
	if (gap && h->gap_since == 0) {
		h->gap_since = at;
		note(h, at, "-", "GAP-OPEN", 0, "majority connected, no "
		    "unfenced primary");
	} else if (!gap && h->gap_since != 0) {
		char text[64];

		snprintf(text, sizeof(text), "%llu ms", (unsigned long long)
		    ((at - h->gap_since) / 1000));
		note(h, at, "-", "GAP-CLOSE", 0, text);
		close_gap(h, at);
		h->gap_since = 0;
	}
}

/* After every event: the instant-wise rule, and convergence. */
static void
check_instant(struct history *h, uint64_t at)
{
	size_t unfenced = 0, who[2] = { 0, 0 };

	for (size_t i = 0; i < h->n; i++) {
		const struct history_node *nd = &h->nodes[i];

		if (nd->up && !nd->stopped && nd->fresh && nd->primary &&
		    !nd->fenced) {
			if (unfenced < 2)
				who[unfenced] = i;
			unfenced++;
		}
	}
	if (unfenced >= 2 && !h->overlap) {
		char text[HISTORY_TEXT_MAX];

		snprintf(text, sizeof(text), "%zu unfenced primaries at once: "
		    "%s (epoch %llu) and %s (epoch %llu)", unfenced,
		    h->nodes[who[0]].id,
		    (unsigned long long)h->nodes[who[0]].epoch,
		    h->nodes[who[1]].id,
		    (unsigned long long)h->nodes[who[1]].epoch);
		violate_locked(h, at, text);
	}
	h->overlap = unfenced >= 2;
	track_gap(h, at, h->majority && unfenced == 0);
	if (!is_converged(h))
		h->converged_at = 0;
	else if (h->converged_at == 0)
		h->converged_at = at;
	pthread_cond_broadcast(&h->cv);
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

static void
record_win(struct history *h, uint64_t at, size_t i, uint64_t epoch)
{
	char text[HISTORY_TEXT_MAX];

	for (size_t k = 0; k < h->nwins; k++)
		if (h->wins[k].epoch == epoch) {
			if (h->wins[k].node != i) {
				snprintf(text, sizeof(text), "epoch %llu won by "
				    "two nodes: %s and %s",
				    (unsigned long long)epoch,
				    h->nodes[h->wins[k].node].id, h->nodes[i].id);
				violate_locked(h, at, text);
			}
			return;
		}
	if (h->nwins == h->capwins) {
		size_t cap = h->capwins ? h->capwins * 2 : 64;
		struct history_win *w = realloc(h->wins, cap * sizeof(*w));

		if (w == NULL)
			return;
		h->wins = w;
		h->capwins = cap;
	}
	h->wins[h->nwins].epoch = epoch;
	h->wins[h->nwins++].node = i;
}

/* A complete STATUS line of node i's current connection; lock held. */
static void
on_line(struct history *h, size_t i, const char *line)
{
	struct history_node *nd = &h->nodes[i];
	uint64_t at = history_now_us(), epoch;
	char role[16], fenced[8], num[32], text[HISTORY_TEXT_MAX];

	h->lines++;
	note(h, at, nd->id, "LINE", nd->gen, line);
	cluster_field(line, "role", role, sizeof(role));
	cluster_field(line, "fenced", fenced, sizeof(fenced));
	cluster_field(line, "epoch", num, sizeof(num));
	if (!parse_u64(num, &epoch) || role[0] == '\0') {
		snprintf(text, sizeof(text), "%s: unparsable STATUS line", nd->id);
		violate_locked(h, at, text);
		return;
	}
	if (nd->epoch_seen && epoch < nd->max_epoch) {
		snprintf(text, sizeof(text), "%s: epoch went back from %llu to "
		    "%llu", nd->id, (unsigned long long)nd->max_epoch,
		    (unsigned long long)epoch);
		violate_locked(h, at, text);
	}
	if (!nd->epoch_seen || epoch > nd->max_epoch)
		nd->max_epoch = epoch;
	nd->epoch_seen = true;
	nd->epoch = epoch;
	nd->primary = strcmp(role, "primary") == 0;
	nd->fenced = strcmp(fenced, "no") != 0;
	cluster_field(line, "primary", nd->leader, sizeof(nd->leader));
	if (nd->primary)
		record_win(h, at, i, epoch);
	/* Written before a SIGSTOP: true then, stale now. */
	nd->fresh = !nd->stopped;
	check_instant(h, at);
}

static void
drop_conn(struct history *h, struct history_node *nd)
{
	/*
	 * The reader may be polling it: it closes it between polls. The
	 * queue is drained at every wake-up, so it never fills in practice;
	 * if it did, leaking one descriptor beats closing one being polled.
	 */
	if (nd->fd >= 0 && h->nclosing < HISTORY_CLOSE_MAX)
		h->closing[h->nclosing++] = nd->fd;
	nd->fd = -1;
	nd->len = 0;
	nd->fresh = false;
}

static void
read_conn(struct history *h, size_t i)
{
	struct history_node *nd = &h->nodes[i];
	ssize_t r = read(nd->fd, nd->buf + nd->len, sizeof(nd->buf) - 1 - nd->len);
	char *nl;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		/* A client would fence at once: the view is gone. */
		note(h, history_now_us(), nd->id, "WATCH-EOF", nd->gen, "");
		drop_conn(h, nd);
		check_instant(h, history_now_us());
		return;
	}
	nd->len += (size_t)r;
	nd->buf[nd->len] = '\0';
	while ((nl = memchr(nd->buf, '\n', nd->len)) != NULL) {
		*nl = '\0';
		on_line(h, i, nd->buf);
		nd->len -= (size_t)(nl + 1 - nd->buf);
		memmove(nd->buf, nl + 1, nd->len);
	}
	if (nd->len == sizeof(nd->buf) - 1)
		nd->len = 0;	/* an absurd line: drop it */
}

static void *
reader_main(void *arg)
{
	struct history *h = arg;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		struct pollfd p[HISTORY_NODES_MAX + 1];
		size_t map[HISTORY_NODES_MAX + 1], np = 0;

		/* Dropped connections are closed only here, between polls. */
		for (size_t k = 0; k < h->nclosing; k++)
			close(h->closing[k]);
		h->nclosing = 0;
		p[np].fd = h->wake[0];
		p[np].events = POLLIN;
		map[np++] = SIZE_MAX;
		for (size_t i = 0; i < h->n; i++)
			if (h->nodes[i].fd >= 0) {
				p[np].fd = h->nodes[i].fd;
				p[np].events = POLLIN;
				map[np++] = i;
			}
		pthread_mutex_unlock(&h->mu);
		(void)poll(p, np, HISTORY_POLL_MS);
		pthread_mutex_lock(&h->mu);
		if (p[0].revents & POLLIN) {
			char sink[64];

			while (read(h->wake[0], sink, sizeof(sink)) > 0)
				;
		}
		for (size_t k = 1; k < np; k++) {
			size_t i = map[k];

			/* Skip a connection replaced while we polled. */
			if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    h->nodes[i].fd == p[k].fd)
				read_conn(h, i);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void
wake(struct history *h)
{
	(void)!write(h->wake[1], "w", 1);
}

struct history *
history_new(size_t n, const char *const *ids, const char *path)
{
	struct history *h;
	sigset_t all, old;

	if (n == 0 || n > HISTORY_NODES_MAX ||
	    (h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->n = n;
	h->t0_us = history_now_us();
	h->wake[0] = h->wake[1] = -1;
	pthread_mutex_init(&h->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&h->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(h->nodes[i].id, sizeof(h->nodes[i].id), "%s", ids[i]);
		h->nodes[i].fd = -1;
		snprintf(h->nodes[i].leader, sizeof(h->nodes[i].leader), "none");
	}
	if ((h->f = fopen(path, "w")) == NULL ||
	    pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		history_free(h);
		return NULL;
	}
	/* Signals are for the nemesis (it stops on SIGINT/SIGTERM). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->reader_on = pthread_create(&h->reader, NULL, reader_main, h) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->reader_on) {
		history_free(h);
		return NULL;
	}
	return h;
}

void
history_free(struct history *h)
{
	if (h == NULL)
		return;
	if (h->reader_on) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_mutex_unlock(&h->mu);
		wake(h);
		pthread_join(h->reader, NULL);
	}
	for (size_t k = 0; k < h->nclosing; k++)
		close(h->closing[k]);
	for (size_t i = 0; i < h->n; i++)
		if (h->nodes[i].fd >= 0)
			close(h->nodes[i].fd);
	for (int k = 0; k < 2; k++)
		if (h->wake[k] >= 0)
			close(h->wake[k]);
	if (h->f != NULL)
		fclose(h->f);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->wins);
	free(h);
}

void
history_attach(struct history *h, size_t i, int fd)
{
	struct history_node *nd = &h->nodes[i];
	char text[32];

	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&h->mu);
	drop_conn(h, nd);
	nd->fd = fd;
	nd->gen++;
	snprintf(text, sizeof(text), "fd=%d", fd);
	note(h, history_now_us(), nd->id, "WATCH", nd->gen, text);
	check_instant(h, history_now_us());
	pthread_mutex_unlock(&h->mu);
	wake(h);
}

bool
history_needs_watch(struct history *h, size_t i)
{
	bool r;

	pthread_mutex_lock(&h->mu);
	r = h->nodes[i].fd < 0;
	pthread_mutex_unlock(&h->mu);
	return r;
}

void
history_event(struct history *h, size_t i, enum history_ev ev,
    const char *fmt, ...)
{
	struct history_node *nd = ev == HISTORY_FAULT ? NULL : &h->nodes[i];
	char text[HISTORY_TEXT_MAX];
	uint64_t at;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&h->mu);
	at = history_now_us();
	if (nd != NULL) {
		switch (ev) {
		case HISTORY_KILL:
			nd->up = false;
			nd->stopped = false;
			drop_conn(h, nd);
			nd->gen++;
			break;
		case HISTORY_START:
			nd->up = true;
			nd->stopped = false;
			nd->fresh = false;
			break;
		case HISTORY_STOP:
			nd->stopped = true;
			nd->fresh = false;
			break;
		case HISTORY_CONT:
			nd->stopped = false;
			nd->fresh = false;
			break;
		case HISTORY_FAULT:
			break;
		}
	}
	note(h, at, nd != NULL ? nd->id : "-", ev_name(ev), nd ? nd->gen : 0,
	    text);
	check_instant(h, at);
	pthread_mutex_unlock(&h->mu);
	if (ev == HISTORY_KILL)
		wake(h);
}

int
history_primary(struct history *h)
{
	int r = -1;

	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n && r < 0; i++)
		if (h->nodes[i].up && h->nodes[i].fresh && h->nodes[i].primary)
			r = (int)i;
	pthread_mutex_unlock(&h->mu);
	return r;
}

bool
history_await_converged(struct history *h, uint64_t timeout_ms,
    uint64_t *at_us, int *primary, char *state, size_t cap)
{
	struct timespec dl;
	bool ok;
	size_t len = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += (time_t)(timeout_ms / 1000);
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->mu);
	while (h->converged_at == 0 &&
	    pthread_cond_timedwait(&h->cv, &h->mu, &dl) != ETIMEDOUT)
		;
	ok = h->converged_at != 0;
	*at_us = h->converged_at;
	*primary = -1;
	for (size_t i = 0; i < h->n && ok; i++)
		if (h->nodes[i].primary)
			*primary = (int)i;
	if (cap > 0)
		state[0] = '\0';
	for (size_t i = 0; i < h->n && len < cap; i++) {
		const struct history_node *nd = &h->nodes[i];

		len += (size_t)snprintf(state + len, cap - len,
		    "%s%s:%s%s%s,e%llu,%s,->%s", i ? " " : "", nd->id,
		    nd->up ? "" : "down,", nd->stopped ? "stopped," : "",
		    nd->fresh ? "fresh" : "stale",
		    (unsigned long long)nd->epoch,
		    nd->primary ? (nd->fenced ? "primary-fenced" : "PRIMARY") :
		    "not-primary", nd->leader);
	}
	note(h, history_now_us(), "-", ok ? "CONVERGED" : "NOT-CONVERGED", 0,
	    state);
	pthread_mutex_unlock(&h->mu);
	return ok;
}

void
history_set_majority(struct history *h, bool connected)
{
	pthread_mutex_lock(&h->mu);
	if (h->majority != connected) {
		h->majority = connected;
		note(h, history_now_us(), "-", "MAJORITY", 0,
		    connected ? "connected" : "not-connected");
		check_instant(h, history_now_us());
	}
	pthread_mutex_unlock(&h->mu);
}

void
history_gaps(struct history *h, struct history_gaps *out)
{
	pthread_mutex_lock(&h->mu);
	*out = h->gaps;
	if (h->gap_since != 0) {
		/* Still open: count it as it stands now, without closing it. */
		uint64_t len = history_now_us() - h->gap_since;

		out->n++;
		out->over_1s += len > 1000000;
		out->over_2s += len > 2000000;
		out->over_5s += len > 5000000;
		if (len > out->longest_us) {
			out->longest_us = len;
			out->longest_at_us = h->gap_since - h->t0_us;
		}
	}
	pthread_mutex_unlock(&h->mu);
}

void
history_flush(struct history *h)
{
	pthread_mutex_lock(&h->mu);
	if (h->f != NULL)
		fflush(h->f);
	pthread_mutex_unlock(&h->mu);
}

size_t
history_violations(struct history *h)
{
	size_t r;

	pthread_mutex_lock(&h->mu);
	r = h->nviol;
	pthread_mutex_unlock(&h->mu);
	return r;
}

const char *
history_violation(struct history *h, size_t k)
{
	return k < HISTORY_VIOLATIONS_MAX ? h->viol[k] : "";
}

size_t
history_epochs_won(struct history *h)
{
	size_t r;

	pthread_mutex_lock(&h->mu);
	r = h->nwins;
	pthread_mutex_unlock(&h->mu);
	return r;
}

size_t
history_lines(struct history *h)
{
	size_t r;

	pthread_mutex_lock(&h->mu);
	r = h->lines;
	pthread_mutex_unlock(&h->mu);
	return r;
}
