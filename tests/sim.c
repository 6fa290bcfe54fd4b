/*
 * sim: deterministic cluster simulator for the elector (see sim.h).
 *
 * One event loop: the earliest of the next frame delivery, a paused node's
 * resume and every live unpaused node's elector_next_deadline() is taken,
 * the clock jumps there and the elector is called. Whatever it sends is
 * encoded with wire_encode, carried with per-link delay and loss in FIFO
 * order (TCP: never before an earlier frame on the same directed link) and
 * decoded with wire_decode at the receiver, so the codec is exercised end to
 * end. It must never read a real clock or a global random source: a seed
 * has to replay a failure exactly.
 *
 * Safety rules checked after every call (the first violation is kept):
 *  (a) at most one node is elector_is_writable(now), paused ones included;
 *  (b) at most one winner per epoch (EV_WON or a role change to primary);
 *  (c) a node never votes (OFFER for itself, ACCEPT for another, a win)
 *      for two candidates in one epoch, across restarts with its store;
 *  (d) a node's epoch never decreases, across restarts with its store;
 *  (e) every OFFER/ACCEPT/ANNOUNCE is preceded by a successful save by
 *      its sender of (that epoch, that candidate);
 *  (f) elector_next_deadline() is after the call that returned it;
 *  (g) every frame encodes and decodes to the same frame.
 * A wiped disk forgets votes, so the node becomes a new identity for (c),
 * (d), (e), and epochs it had reached are "tainted": two winners there are
 * the documented cost of losing a disk, not a bug, and (a)/(b) exempt two
 * primaries of one tainted epoch.
 */
#include "rng.h"
#include "sim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_VIOLATION_MAX 512 /* bytes of the violation message */

struct sim_frame {
	uint64_t at;              /* delivery time */
	uint64_t seq;             /* send order, breaks ties */
	int from, to;
	uint32_t from_inc, to_inc; /* incarnations at send: a restart kills it */
	size_t len;
	uint8_t *buf;
};

struct sim_fifo {                 /* frames waiting for a paused node */
	struct sim_frame *v;
	size_t head, n, cap;
};

struct sim_pair {                 /* (epoch, member) */
	uint64_t epoch;
	int who;
};

struct sim_pairs {
	struct sim_pair *v;
	size_t n, cap;
};

struct sim_link {
	uint64_t dmin, dmax;
	double loss;
	bool blocked;
	uint64_t last;            /* latest delivery time scheduled */
};

struct sim_node {
	struct sim *sim;
	int idx;
	struct elector *el;
	bool up, paused;
	uint64_t resume_at;
	uint32_t inc;
	/* the disk */
	bool st_has, st_fail;
	uint64_t st_epoch;
	int st_vote;
	uint64_t offset;
	bool local_down;          /* its local server is down (sim_set_local) */
	/* what the checker remembers of this identity */
	enum wire_role role;
	bool writable;
	uint64_t max_epoch;
	struct sim_pairs votes, saves;
	struct sim_fifo pending;
	uint64_t ticks, calls;
	bool starting;            /* in elector_new: a deadline of now is due */
	uint64_t last_unfenced;   /* last instant it was writable; NEVER: not */
};

struct sim {
	struct sim_config cfg;
	struct elector_member members[SIM_NODES_MAX];
	uint64_t now, last_check;
	uint64_t rng[4];
	struct sim_node node[SIM_NODES_MAX];
	struct sim_link link[SIM_NODES_MAX][SIM_NODES_MAX];
	struct sim_frame *heap;
	size_t heap_n, heap_cap;
	uint64_t seq;
	struct sim_pairs winners;
	uint64_t taint;
	bool violated;
	char why[SIM_VIOLATION_MAX];
	struct sim_rec ring[SIM_TAIL_LINES];
	size_t ring_n;            /* records ever logged */
	struct sim_rec *trace;
	size_t trace_n, trace_cap;
	void (*hook)(struct sim *, void *);
	void *hook_arg;
	/* Hand-overs: one node writable after another was (sim_gap_min). */
	uint64_t gap_min;
	uint64_t gaps;
};

/* ---- PRNG: splitmix64 (lib/rng.c) seeds xoshiro256**, never rand() ---- */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t sim_next(struct sim *s)
{
	uint64_t *r = s->rng;
	uint64_t out = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;

	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

static uint64_t rng_range(struct sim *s, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + sim_next(s) % (hi - lo + 1);
}

static double rng_unit(struct sim *s)
{
	return (double)(sim_next(s) >> 11) / 9007199254740992.0;
}

/* ---- small containers ---- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fprintf(stderr, "sim: out of memory\n");
		abort();
	}
	return q;
}

static void pairs_add(struct sim_pairs *p, uint64_t epoch, int who)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n].epoch = epoch;
	p->v[p->n].who = who;
	p->n++;
}

/* The member recorded for epoch, -2 if none (newest first: epochs grow). */
static int pairs_get(const struct sim_pairs *p, uint64_t epoch)
{
	for (size_t i = p->n; i-- > 0;)
		if (p->v[i].epoch == epoch)
			return p->v[i].who;
	return -2;
}

static bool pairs_has(const struct sim_pairs *p, uint64_t epoch, int who)
{
	for (size_t i = p->n; i-- > 0;)
		if (p->v[i].epoch == epoch && p->v[i].who == who)
			return true;
	return false;
}

static void pairs_clear(struct sim_pairs *p)
{
	free(p->v);
	memset(p, 0, sizeof *p);
}

static bool frame_before(const struct sim_frame *a, const struct sim_frame *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct sim *s, const struct sim_frame *f)
{
	size_t i;

	if (s->heap_n == s->heap_cap) {
		s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 64;
		s->heap = xrealloc(s->heap, s->heap_cap * sizeof *s->heap);
	}
	i = s->heap_n++;
	s->heap[i] = *f;
	while (i > 0 && frame_before(&s->heap[i], &s->heap[(i - 1) / 2])) {
		struct sim_frame t = s->heap[i];

		s->heap[i] = s->heap[(i - 1) / 2];
		s->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct sim *s, struct sim_frame *out)
{
	size_t i = 0;

	*out = s->heap[0];
	s->heap[0] = s->heap[--s->heap_n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->heap_n && frame_before(&s->heap[l], &s->heap[m]))
			m = l;
		if (r < s->heap_n && frame_before(&s->heap[r], &s->heap[m]))
			m = r;
		if (m == i)
			break;
		struct sim_frame t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

static void fifo_push(struct sim_fifo *q, const struct sim_frame *f)
{
	if (q->head + q->n == q->cap) {
		if (q->head > 0) {
			memmove(q->v, q->v + q->head, q->n * sizeof *q->v);
			q->head = 0;
		} else {
			q->cap = q->cap ? 2 * q->cap : 32;
			q->v = xrealloc(q->v, q->cap * sizeof *q->v);
		}
	}
	q->v[q->head + q->n++] = *f;
}

static void fifo_clear(struct sim_fifo *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[q->head + i].buf);
	free(q->v);
	memset(q, 0, sizeof *q);
}

/* ---- trace ---- */

static const char *rec_kind_name(enum sim_rec_kind k)
{
	switch (k) {
	case SIM_REC_SEND: return "send";
	case SIM_REC_SAVE: return "save";
	case SIM_REC_SAVE_FAIL: return "save-FAIL";
	case SIM_REC_EVENT: return "event";
	case SIM_REC_ROLE: return "role";
	case SIM_REC_FENCED: return "fenced";
	case SIM_REC_FAULT: return "fault";
	case SIM_REC_DROP: return "drop";
	}
	return "?";
}

static const char *verb_name(enum wire_verb v)
{
	const char *n = wire_verb_name(v);

	return n ? n : "?";
}

static const char *who(const struct sim *s, int i)
{
	if (i == ELECTOR_BROADCAST)
		return "*";
	if (i < 0 || (size_t)i >= s->cfg.n)
		return "-";
	return s->members[i].id;
}

void sim_rec_format(const struct sim *s, const struct sim_rec *r, char *buf,
    size_t len)
{
	int k = snprintf(buf, len, "t=%" PRIu64 " %s %s", r->t,
	    who(s, r->node), rec_kind_name(r->kind));

	if (k < 0 || (size_t)k >= len)
		return;
	buf += k;
	len -= (size_t)k;
	switch (r->kind) {
	case SIM_REC_SEND:
	case SIM_REC_DROP:
		snprintf(buf, len, " %s epoch=%" PRIu64 " to=%s cand=%s",
		    verb_name(r->verb), r->epoch, who(s, r->peer),
		    r->vote < 0 ? "-" : who(s, r->vote));
		break;
	case SIM_REC_SAVE:
	case SIM_REC_SAVE_FAIL:
		snprintf(buf, len, " epoch=%" PRIu64 " vote=%s", r->epoch,
		    r->vote < 0 ? "-" : who(s, r->vote));
		break;
	case SIM_REC_EVENT:
		snprintf(buf, len, " %s epoch=%" PRIu64 " peer=%s detail=%"
		    PRIu64, elector_event_name(r->ev), r->epoch,
		    r->peer < 0 ? "-" : who(s, r->peer), r->detail);
		break;
	case SIM_REC_ROLE:
		snprintf(buf, len, " -> %s epoch=%" PRIu64,
		    wire_role_name(r->role) ? wire_role_name(r->role) : "?",
		    r->epoch);
		break;
	case SIM_REC_FENCED:
		snprintf(buf, len, " epoch=%" PRIu64, r->epoch);
		break;
	case SIM_REC_FAULT:
		snprintf(buf, len, " %s peer=%s detail=%" PRIu64,
		    r->text ? r->text : "", who(s, r->peer), r->detail);
		break;
	}
}

static void trace_add(struct sim *s, const struct sim_rec *r)
{
	s->ring[s->ring_n % SIM_TAIL_LINES] = *r;
	s->ring_n++;
	if (s->cfg.keep_trace) {
		if (s->trace_n == s->trace_cap) {
			s->trace_cap = s->trace_cap ? 2 * s->trace_cap : 1024;
			s->trace = xrealloc(s->trace,
			    s->trace_cap * sizeof *s->trace);
		}
		s->trace[s->trace_n++] = *r;
	}
	if (s->cfg.verbose) {
		char line[256];

		sim_rec_format(s, r, line, sizeof line);
		fprintf(stderr, "  %s\n", line);
	}
}

static void trace_fault(struct sim *s, int node, const char *text, int peer,
    uint64_t detail)
{
	struct sim_rec r = { .t = s->now, .kind = SIM_REC_FAULT, .node = node,
	    .peer = peer, .text = text, .detail = detail, .vote = -1 };

	trace_add(s, &r);
}

void sim_trace_print(const struct sim *s, size_t last_n)
{
	size_t n = s->ring_n < SIM_TAIL_LINES ? s->ring_n : SIM_TAIL_LINES;
	char line[256];

	if (last_n < n)
		n = last_n;
	for (size_t i = s->ring_n - n; i < s->ring_n; i++) {
		sim_rec_format(s, &s->ring[i % SIM_TAIL_LINES], line,
		    sizeof line);
		fprintf(stderr, "  %s\n", line);
	}
}

static void violation(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void violation(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->violated)
		return;
	s->violated = true;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
	fprintf(stderr, "sim: SAFETY VIOLATION seed=%" PRIu64 " t=%" PRIu64
	    ": %s\nsim: last %d trace records:\n", s->cfg.seed, s->now,
	    s->why, SIM_TAIL_LINES);
	sim_trace_print(s, SIM_TAIL_LINES);
}

/* ---- the disk ---- */

static int member_index(const struct sim *s, const char *id)
{
	for (size_t i = 0; i < s->cfg.n; i++)
		if (strcmp(s->members[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int store_save(void *ctx, uint64_t epoch, const char *vote)
{
	struct sim_node *nd = ctx;
	struct sim *s = nd->sim;
	int v = vote ? member_index(s, vote) : -1;
	struct sim_rec r = { .t = s->now, .node = nd->idx, .epoch = epoch,
	    .vote = v, .peer = -1 };

	if (vote != NULL && v < 0)
		violation(s, "%s saved a vote for non-member '%s'",
		    who(s, nd->idx), vote);
	if (nd->st_fail) {
		r.kind = SIM_REC_SAVE_FAIL;
		trace_add(s, &r);
		return -1;
	}
	nd->st_has = true;
	nd->st_epoch = epoch;
	nd->st_vote = v;
	pairs_add(&nd->saves, epoch, v);
	r.kind = SIM_REC_SAVE;
	trace_add(s, &r);
	return 0;
}

/* ---- safety bookkeeping ---- */

static void note_winner(struct sim *s, int node, uint64_t epoch)
{
	int w = pairs_get(&s->winners, epoch);

	if (w == node)
		return;
	if (w >= 0 && epoch > s->taint)
		violation(s, "(b) two winners in epoch %" PRIu64 ": %s and %s",
		    epoch, who(s, w), who(s, node));
	pairs_add(&s->winners, epoch, node);
}

static void note_vote(struct sim *s, struct sim_node *nd, uint64_t epoch,
    int cand, const char *how)
{
	int v = pairs_get(&nd->votes, epoch);

	if (v == cand)
		return;
	if (v >= 0)
		violation(s, "(c) %s voted twice in epoch %" PRIu64
		    ": for %s, then %s for %s", who(s, nd->idx), epoch,
		    who(s, v), how, who(s, cand));
	pairs_add(&nd->votes, epoch, cand);
}

static void note_send(struct sim *s, struct sim_node *nd,
    const struct elector_send *snd)
{
	const struct wire_frame *f = &snd->frame;
	int cand = -1;
	struct sim_rec r = { .t = s->now, .kind = SIM_REC_SEND,
	    .node = nd->idx, .peer = snd->to, .verb = f->verb,
	    .epoch = f->epoch, .vote = -1 };

	switch (f->verb) {
	case WIRE_OFFER:
	case WIRE_ANNOUNCE:
		cand = member_index(s, f->id);
		if (cand != nd->idx)
			violation(s, "%s sent %s naming %s", who(s, nd->idx),
			    verb_name(f->verb), f->id);
		break;
	case WIRE_ACCEPT:
		cand = snd->to;
		if (member_index(s, f->id) != nd->idx)
			violation(s, "%s sent ACCEPT as %s", who(s, nd->idx),
			    f->id);
		if (cand < 0)
			violation(s, "%s broadcast an ACCEPT",
			    who(s, nd->idx));
		break;
	case WIRE_HB:
		break;
	}
	r.vote = cand;
	trace_add(s, &r);
	if (f->verb == WIRE_HB || cand < 0)
		return;
	if (!pairs_has(&nd->saves, f->epoch, cand))
		violation(s, "(e) %s sent %s epoch=%" PRIu64 " for %s without"
		    " saving (%" PRIu64 ", %s) first", who(s, nd->idx),
		    verb_name(f->verb), f->epoch, who(s, cand), f->epoch,
		    who(s, cand));
	note_vote(s, nd, f->epoch, cand, verb_name(f->verb));
	if (f->verb == WIRE_ANNOUNCE)
		note_winner(s, nd->idx, f->epoch);
}

/* The exact instant a writable node lost its lease in (lo, hi]. */
static uint64_t fence_instant(const struct elector *el, uint64_t lo,
    uint64_t hi)
{
	if (!elector_is_writable(el, lo))
		return hi;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (elector_is_writable(el, mid))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* Time passed from last_check to now: record leases that ran out. */
static void check_time(struct sim *s)
{
	for (size_t i = 0; i < s->cfg.n; i++) {
		struct sim_node *nd = &s->node[i];

		if (!nd->up || !nd->writable)
			continue;
		if (elector_is_writable(nd->el, s->now))
			continue;
		struct sim_rec r = { .kind = SIM_REC_FENCED, .node = (int)i,
		    .epoch = elector_epoch(nd->el), .vote = -1, .peer = -1 };
		r.t = s->now > s->last_check ?
		    fence_instant(nd->el, s->last_check, s->now) : s->now;
		trace_add(s, &r);
		nd->writable = false;
		nd->last_unfenced = r.t - 1;
	}
	s->last_check = s->now;
}

/*
 * Node i became writable now: the gap since the last instant another
 * node was (0: the same instant, which (a) does not see as two at once
 * when the other's call came first).
 */
static void note_handover(struct sim *s, size_t i)
{
	uint64_t last = SIM_NEVER;

	for (size_t j = 0; j < s->cfg.n; j++)
		if (j != i && s->node[j].last_unfenced != SIM_NEVER &&
		    (last == SIM_NEVER || s->node[j].last_unfenced > last))
			last = s->node[j].last_unfenced;
	if (last == SIM_NEVER)
		return;
	s->gaps++;
	if (s->now - last < s->gap_min)
		s->gap_min = last > s->now ? 0 : s->now - last;
}

uint64_t sim_gap_min(const struct sim *s) { return s->gap_min; }
uint64_t sim_gaps(const struct sim *s) { return s->gaps; }

/* (a): at most one unfenced primary at this instant. */
static void check_writable(struct sim *s)
{
	int first = -1;

	for (size_t i = 0; i < s->cfg.n; i++) {
		struct sim_node *nd = &s->node[i];
		bool w = nd->up && elector_is_writable(nd->el, s->now);

		if (nd->writable && !w) {
			struct sim_rec r = { .t = s->now,
			    .kind = SIM_REC_FENCED, .node = (int)i,
			    .epoch = elector_epoch(nd->el), .vote = -1,
			    .peer = -1 };
			trace_add(s, &r);
			/* Writable until this call, at this very instant. */
			nd->last_unfenced = s->now;
		}
		if (!nd->writable && w)
			note_handover(s, i);
		nd->writable = w;
		if (!w)
			continue;
		if (first < 0) {
			first = (int)i;
			continue;
		}
		uint64_t e1 = elector_epoch(s->node[first].el);
		uint64_t e2 = elector_epoch(nd->el);
		if (e1 == e2 && e1 <= s->taint)
			continue;
		violation(s, "(a) two writable primaries: %s (epoch %" PRIu64
		    ") and %s (epoch %" PRIu64 ")", who(s, first), e1,
		    who(s, (int)i), e2);
	}
}

/* After every elector call: trace its output and check the rules. */
static void after_call(struct sim *s, struct sim_node *nd,
    const struct elector_out *out);

static void transmit(struct sim *s, struct sim_node *nd, int to,
    const struct wire_frame *f, bool keepalive)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = keepalive ? WIRE_KEEPALIVE_LEN :
	    wire_encode(f, buf, sizeof buf);

	/* A reference reader skips it; ours take it as a keepalive. */
	if (keepalive)
		memcpy(buf, WIRE_KEEPALIVE, WIRE_KEEPALIVE_LEN);
	struct sim_link *l = &s->link[nd->idx][to];
	struct sim_frame fr;

	if (len == 0) {
		violation(s, "(g) %s produced a frame wire_encode refuses",
		    who(s, nd->idx));
		return;
	}
	if (l->blocked || (l->loss > 0 && rng_unit(s) < l->loss)) {
		if (s->cfg.verbose) {
			struct sim_rec r = { .t = s->now, .kind = SIM_REC_DROP,
			    .node = nd->idx, .peer = to, .verb = f->verb,
			    .epoch = f->epoch, .vote = -1 };
			trace_add(s, &r);
		}
		return;
	}
	fr.at = s->now + rng_range(s, l->dmin, l->dmax);
	if (fr.at < l->last)
		fr.at = l->last; /* TCP: no overtaking on one connection */
	l->last = fr.at;
	fr.seq = s->seq++;
	fr.from = nd->idx;
	fr.to = to;
	fr.from_inc = nd->inc;
	fr.to_inc = s->node[to].inc;
	fr.len = len;
	fr.buf = xrealloc(NULL, len);
	memcpy(fr.buf, buf, len);
	heap_push(s, &fr);
}

static void after_call(struct sim *s, struct sim_node *nd,
    const struct elector_out *out)
{
	struct elector *el = nd->el;

	nd->calls++;
	for (size_t i = 0; i < out->n_event; i++) {
		const struct elector_event *ev = &out->event[i];
		struct sim_rec r = { .t = s->now, .kind = SIM_REC_EVENT,
		    .node = nd->idx, .ev = ev->kind, .epoch = ev->epoch,
		    .peer = ev->peer, .detail = ev->detail, .vote = -1 };

		trace_add(s, &r);
		if (ev->kind == ELECTOR_EV_WON)
			note_winner(s, nd->idx, elector_epoch(el));
	}
	for (size_t i = 0; i < out->n_send; i++) {
		const struct elector_send *snd = &out->send[i];

		if (!snd->keepalive)
			note_send(s, nd, snd);
		if (snd->to == ELECTOR_BROADCAST) {
			for (size_t j = 0; j < s->cfg.n; j++)
				if ((int)j != nd->idx && (int)j != snd->except)
					transmit(s, nd, (int)j, &snd->frame,
					    snd->keepalive);
		} else if (snd->to >= 0 && (size_t)snd->to < s->cfg.n &&
		    snd->to != nd->idx) {
			transmit(s, nd, snd->to, &snd->frame, snd->keepalive);
		} else {
			violation(s, "%s sent to bad destination %d",
			    who(s, nd->idx), snd->to);
		}
	}
	if (elector_role(el) != nd->role) {
		struct sim_rec r = { .t = s->now, .kind = SIM_REC_ROLE,
		    .node = nd->idx, .role = elector_role(el),
		    .epoch = elector_epoch(el), .vote = -1, .peer = -1 };

		nd->role = elector_role(el);
		trace_add(s, &r);
		if (nd->role == WIRE_ROLE_PRIMARY) {
			note_winner(s, nd->idx, elector_epoch(el));
			note_vote(s, nd, elector_epoch(el), nd->idx, "won");
		}
	}
	if (elector_epoch(el) < nd->max_epoch)
		violation(s, "(d) %s epoch went down from %" PRIu64 " to %"
		    PRIu64, who(s, nd->idx), nd->max_epoch, elector_epoch(el));
	else
		nd->max_epoch = elector_epoch(el);
	if (elector_next_deadline(el) < s->now ||
	    (elector_next_deadline(el) == s->now && !nd->starting))
		violation(s, "(f) %s next deadline %" PRIu64 " is not after"
		    " now", who(s, nd->idx), elector_next_deadline(el));
	check_writable(s);
}

/* ---- construction ---- */

struct sim_config sim_config_make(size_t n, uint64_t seed, uint64_t dmin,
    uint64_t dmax, uint64_t offset)
{
	struct sim_config c;

	memset(&c, 0, sizeof c);
	c.n = n;
	c.seed = seed;
	c.keep_trace = true;
	c.delay_min_ms = dmin;
	c.delay_max_ms = dmax;
	c.verbose = getenv("KEVY_SIM_VERBOSE") != NULL;
	for (size_t i = 0; i < n && i < SIM_NODES_MAX; i++)
		c.offset[i] = offset;
	return c;
}

void sim_timing_fast(struct elector_timing *t)
{
	memset(t, 0, sizeof *t);
	t->hb_interval_ms = 50;
	t->down_after_ms = 500;
	t->election_timeout_ms = 300;
	t->backoff_ms = 100;
	t->backoff_jitter_ms = 400;
}

static void node_start(struct sim *s, size_t i, const struct elector_saved *sv)
{
	struct sim_node *nd = &s->node[i];
	struct elector_config c = {
		.members = s->members, .n_members = s->cfg.n, .self = i,
		.timing = s->cfg.timing, .never_stand = s->cfg.never_stand[i],
		.want_primary = s->cfg.want_primary[i], .seed = sim_next(s),
		.max_epoch_jump = s->cfg.max_epoch_jump,
		.peers_authenticated = s->cfg.peers_authenticated,
		.priority_lag_bytes = s->cfg.priority_lag_bytes,
		.max_lag_bytes = s->cfg.max_lag_bytes,
		.quiet_off = s->cfg.reference[i],
	};
	struct elector_store st = { .save = store_save, .ctx = nd };
	struct elector_out out;
	char err[256] = "";

	nd->el = elector_new(&c, &st, sv, s->now, err, sizeof err);
	if (nd->el == NULL) {
		fprintf(stderr, "sim: elector_new(%s): %s\n", who(s, (int)i),
		    err);
		abort();
	}
	nd->up = true;
	nd->paused = false;
	nd->resume_at = SIM_NEVER;
	nd->role = elector_role(nd->el);
	elector_set_offset(nd->el, nd->offset);
	memset(&out, 0, sizeof out);
	nd->starting = true;
	if (nd->local_down)
		elector_set_local(nd->el, false, s->now, &out);
	after_call(s, nd, &out);
	nd->starting = false;
}

struct sim *sim_new(const struct sim_config *cfg)
{
	struct sim *s = xrealloc(NULL, sizeof *s);
	char err[256];
	uint64_t x;

	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	s->gap_min = SIM_NEVER;
	for (size_t i = 0; i < SIM_NODES_MAX; i++)
		s->node[i].last_unfenced = SIM_NEVER;
	if (s->cfg.n < 1 || s->cfg.n > SIM_NODES_MAX) {
		fprintf(stderr, "sim: bad n %zu\n", s->cfg.n);
		abort();
	}
	if (s->cfg.timing.hb_interval_ms == 0)
		sim_timing_fast(&s->cfg.timing);
	if (elector_timing_check(&s->cfg.timing, err, sizeof err) != 0) {
		fprintf(stderr, "sim: bad timing: %s\n", err);
		abort();
	}
	if (s->cfg.delay_max_ms == 0)
		s->cfg.delay_min_ms = s->cfg.delay_max_ms = 1;
	if (s->cfg.delay_max_ms < s->cfg.delay_min_ms)
		s->cfg.delay_max_ms = s->cfg.delay_min_ms;
	x = cfg->seed;
	for (int k = 0; k < 4; k++)
		s->rng[k] = rng_next(&x);
	for (size_t i = 0; i < s->cfg.n; i++) {
		if (cfg->ids[i] != NULL)
			snprintf(s->members[i].id, sizeof s->members[i].id,
			    "%s", cfg->ids[i]);
		else
			snprintf(s->members[i].id, sizeof s->members[i].id,
			    "n%zu", i + 1);
		snprintf(s->members[i].addr, sizeof s->members[i].addr,
		    "10.0.0.%zu:6379", i + 1);
		s->members[i].never_stand = cfg->never_stand[i];
		s->members[i].priority = cfg->priority[i];
		s->cfg.ids[i] = NULL; /* the caller's strings may go away */
		for (size_t j = 0; j < s->cfg.n; j++) {
			s->link[i][j].dmin = s->cfg.delay_min_ms;
			s->link[i][j].dmax = s->cfg.delay_max_ms;
		}
	}
	for (size_t i = 0; i < s->cfg.n; i++) {
		s->node[i].sim = s;
		s->node[i].idx = (int)i;
		s->node[i].st_vote = -1;
		s->node[i].offset = cfg->offset[i];
	}
	for (size_t i = 0; i < s->cfg.n; i++)
		node_start(s, i, NULL);
	return s;
}

void sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cfg.n; i++) {
		elector_free(s->node[i].el);
		pairs_clear(&s->node[i].votes);
		pairs_clear(&s->node[i].saves);
		fifo_clear(&s->node[i].pending);
	}
	for (size_t i = 0; i < s->heap_n; i++)
		free(s->heap[i].buf);
	free(s->heap);
	pairs_clear(&s->winners);
	free(s->trace);
	free(s);
}

uint64_t sim_now(const struct sim *s) { return s->now; }
uint64_t sim_seed(const struct sim *s) { return s->cfg.seed; }
size_t sim_n(const struct sim *s) { return s->cfg.n; }
bool sim_ok(const struct sim *s) { return !s->violated; }
const char *sim_violation(const struct sim *s)
{
	return s->violated ? s->why : NULL;
}
uint64_t sim_tainted_epoch(const struct sim *s) { return s->taint; }
uint64_t sim_ticks(const struct sim *s, size_t i) { return s->node[i].ticks; }
uint64_t sim_calls(const struct sim *s, size_t i) { return s->node[i].calls; }
bool sim_is_up(const struct sim *s, size_t i) { return s->node[i].up; }
bool sim_is_paused(const struct sim *s, size_t i) { return s->node[i].paused; }

bool sim_is_healthy(const struct sim *s, size_t i)
{
	const struct sim_node *nd = &s->node[i];

	return nd->up && !nd->paused && !nd->local_down && !nd->st_fail;
}

bool sim_link_is_blocked(const struct sim *s, size_t a, size_t b)
{
	return s->link[a][b].blocked;
}
struct elector *sim_elector(struct sim *s, size_t i) { return s->node[i].el; }
size_t sim_trace_len(const struct sim *s) { return s->trace_n; }

const struct sim_rec *sim_trace_at(const struct sim *s, size_t i)
{
	return i < s->trace_n ? &s->trace[i] : NULL;
}

static bool rec_matches(const struct sim_rec *r, enum sim_rec_kind k,
    int node, int what)
{
	int w = k == SIM_REC_EVENT ? (int)r->ev : (int)r->verb;

	return r->kind == k && (node < 0 || r->node == node) &&
	    (what < 0 || w == what);
}

long sim_trace_find(const struct sim *s, size_t from, enum sim_rec_kind k,
    int node, int what)
{
	for (size_t i = from; i < s->trace_n; i++)
		if (rec_matches(&s->trace[i], k, node, what))
			return (long)i;
	return -1;
}

const struct sim_rec *sim_trace_first(const struct sim *s, size_t from,
    enum sim_rec_kind k, int node, int what)
{
	long i = sim_trace_find(s, from, k, node, what);

	return i < 0 ? NULL : &s->trace[i];
}

size_t sim_trace_count(const struct sim *s, size_t from,
    enum sim_rec_kind k, int node, int what)
{
	size_t n = 0;

	for (size_t i = from; i < s->trace_n; i++)
		n += rec_matches(&s->trace[i], k, node, what);
	return n;
}

uint64_t sim_event_time(const struct sim *s, size_t from, int node,
    enum elector_event_kind ev)
{
	const struct sim_rec *r = sim_trace_first(s, from, SIM_REC_EVENT,
	    node, (int)ev);

	return r == NULL ? SIM_NEVER : r->t;
}

bool sim_pred_agreed(struct sim *s, void *arg)
{
	(void)arg;
	return sim_agreed_primary(s) >= 0;
}

bool sim_stored(const struct sim *s, size_t i, uint64_t *epoch, int *vote)
{
	const struct sim_node *nd = &s->node[i];

	if (epoch)
		*epoch = nd->st_epoch;
	if (vote)
		*vote = nd->st_vote;
	return nd->st_has;
}

/* ---- the event loop ---- */

static void deliver(struct sim *s, struct sim_frame *fr)
{
	struct sim_node *nd = &s->node[fr->to];
	struct wire_frame f;
	struct elector_out out;
	size_t used = 0;
	const char *why = NULL;
	enum wire_status st = wire_decode(fr->buf, fr->len, &f, &used, &why);

	/* A keepalive: filler to the codec, its sender alive to us. */
	if (st == WIRE_SKIP && used == fr->len && fr->buf[0] == '*') {
		memset(&out, 0, sizeof out);
		if (!s->cfg.reference[fr->to])
			elector_on_keepalive(nd->el, (size_t)fr->from, s->now,
			    &out);
		else
			elector_tick(nd->el, s->now, &out);
		after_call(s, nd, &out);
		return;
	}
	if (st != WIRE_OK || used != fr->len) {
		violation(s, "(g) frame from %s does not decode: status %d"
		    " used %zu of %zu (%s)", who(s, fr->from), (int)st, used,
		    fr->len, why ? why : "");
		return;
	}
	memset(&out, 0, sizeof out);
	/* Held is fine (a member far ahead); not being a member is not. */
	switch (elector_on_frame(nd->el, &f, s->now, &out)) {
	case ELECTOR_FRAME_APPLIED:
	case ELECTOR_FRAME_HELD:
		break;
	case ELECTOR_FRAME_NOT_MEMBER:
	case ELECTOR_FRAME_FROM_SELF:
		violation(s, "%s rejected a frame from member %s",
		    who(s, fr->to), who(s, fr->from));
		break;
	}
	after_call(s, nd, &out);
}

static void tick(struct sim *s, struct sim_node *nd)
{
	struct elector_out out;

	memset(&out, 0, sizeof out);
	nd->ticks++;
	elector_tick(nd->el, s->now, &out);
	after_call(s, nd, &out);
}

/* A frame's time came: drop it, queue it for a paused node, or deliver. */
static void frame_due(struct sim *s)
{
	struct sim_frame fr;
	struct sim_node *to;

	heap_pop(s, &fr);
	to = &s->node[fr.to];
	/* A dead sender's or receiver's TCP connection died with it. */
	if (fr.from_inc != s->node[fr.from].inc || !s->node[fr.from].up ||
	    fr.to_inc != to->inc || !to->up ||
	    s->link[fr.from][fr.to].blocked) {
		free(fr.buf);
		return;
	}
	if (to->paused) {
		fifo_push(&to->pending, &fr);
		return;
	}
	deliver(s, &fr);
	free(fr.buf);
}

static void resume_now(struct sim *s, struct sim_node *nd)
{
	nd->paused = false;
	nd->resume_at = SIM_NEVER;
	trace_fault(s, nd->idx, "resume", -1, 0);
	/* The overdue timer fires first: the harsher order for the elector. */
	if (elector_next_deadline(nd->el) <= s->now)
		tick(s, nd);
	if (elector_local_ok(nd->el) == nd->local_down) {
		struct elector_out out;

		memset(&out, 0, sizeof out);
		elector_set_local(nd->el, !nd->local_down, s->now, &out);
		after_call(s, nd, &out);
	}
	while (nd->pending.n > 0 && nd->up && !nd->paused) {
		struct sim_frame fr = nd->pending.v[nd->pending.head];

		nd->pending.head++;
		nd->pending.n--;
		if (fr.from_inc == s->node[fr.from].inc && fr.to_inc == nd->inc)
			deliver(s, &fr);
		free(fr.buf);
	}
	nd->pending.head = 0;
}

/* One step at or before limit; false when there is none. */
static bool step(struct sim *s, uint64_t limit)
{
	uint64_t best = SIM_NEVER;
	int what = 0; /* 1 frame, 2 resume, 3 tick */
	size_t who_i = 0;

	if (s->heap_n > 0) {
		best = s->heap[0].at;
		what = 1;
	}
	for (size_t i = 0; i < s->cfg.n; i++) {
		struct sim_node *nd = &s->node[i];

		if (!nd->up)
			continue;
		if (nd->paused) {
			if (nd->resume_at < best) {
				best = nd->resume_at;
				what = 2;
				who_i = i;
			}
			continue;
		}
		uint64_t d = elector_next_deadline(nd->el);
		if (d < best) {
			best = d;
			what = 3;
			who_i = i;
		}
	}
	if (what == 0 || best > limit)
		return false;
	if (best > s->now)
		s->now = best;
	check_time(s);
	if (what == 1)
		frame_due(s);
	else if (what == 2)
		resume_now(s, &s->node[who_i]);
	else
		tick(s, &s->node[who_i]);
	if (s->hook)
		s->hook(s, s->hook_arg);
	return true;
}

void sim_run_until(struct sim *s, uint64_t t)
{
	while (step(s, t))
		;
	if (t > s->now)
		s->now = t;
	check_time(s);
	check_writable(s);
}

void sim_run_for(struct sim *s, uint64_t d)
{
	sim_run_until(s, s->now + d);
}

bool sim_run_until_pred(struct sim *s, bool (*pred)(struct sim *, void *),
    void *arg, uint64_t deadline)
{
	if (pred(s, arg))
		return true;
	while (step(s, deadline))
		if (pred(s, arg))
			return true;
	sim_run_until(s, deadline);
	return pred(s, arg);
}

void sim_set_hook(struct sim *s, void (*hook)(struct sim *, void *),
    void *arg)
{
	s->hook = hook;
	s->hook_arg = arg;
}

/* ---- faults ---- */

void sim_link_delay(struct sim *s, size_t a, size_t b, uint64_t lo,
    uint64_t hi)
{
	s->link[a][b].dmin = lo;
	s->link[a][b].dmax = hi < lo ? lo : hi;
}

void sim_link_loss(struct sim *s, size_t a, size_t b, double p)
{
	s->link[a][b].loss = p;
}

void sim_link_block(struct sim *s, size_t a, size_t b, bool blocked)
{
	if (s->link[a][b].blocked != blocked)
		trace_fault(s, (int)a, blocked ? "block" : "unblock", (int)b,
		    0);
	s->link[a][b].blocked = blocked;
}

void sim_partition(struct sim *s, const bool side[])
{
	for (size_t a = 0; a < s->cfg.n; a++)
		for (size_t b = 0; b < s->cfg.n; b++)
			if (side[a] != side[b])
				sim_link_block(s, a, b, true);
}

void sim_isolate(struct sim *s, size_t node)
{
	for (size_t j = 0; j < s->cfg.n; j++)
		if (j != node) {
			sim_link_block(s, node, j, true);
			sim_link_block(s, j, node, true);
		}
}

void sim_heal_links(struct sim *s)
{
	trace_fault(s, -1, "heal-links", -1, 0);
	for (size_t a = 0; a < s->cfg.n; a++)
		for (size_t b = 0; b < s->cfg.n; b++) {
			s->link[a][b].blocked = false;
			s->link[a][b].loss = 0;
			s->link[a][b].dmin = s->cfg.delay_min_ms;
			s->link[a][b].dmax = s->cfg.delay_max_ms;
		}
}

void sim_kill(struct sim *s, size_t i)
{
	struct sim_node *nd = &s->node[i];

	if (!nd->up)
		return;
	trace_fault(s, (int)i, "kill", -1, 0);
	elector_free(nd->el);
	nd->el = NULL;
	nd->up = false;
	nd->paused = false;
	nd->writable = false;
	nd->inc++;
	fifo_clear(&nd->pending);
}

void sim_restart(struct sim *s, size_t i, bool wipe)
{
	struct sim_node *nd = &s->node[i];
	struct elector_saved sv;

	if (nd->up)
		sim_kill(s, i);
	trace_fault(s, (int)i, wipe ? "restart-wiped" : "restart", -1, 0);
	nd->inc++;
	if (wipe) {
		/* A new identity: its old votes are gone, so are the checks. */
		if (nd->max_epoch > s->taint)
			s->taint = nd->max_epoch;
		if (nd->st_has && nd->st_epoch > s->taint)
			s->taint = nd->st_epoch;
		nd->st_has = false;
		nd->st_vote = -1;
		nd->st_epoch = 0;
		nd->max_epoch = 0;
		pairs_clear(&nd->votes);
		pairs_clear(&nd->saves);
	}
	if (nd->st_has) {
		memset(&sv, 0, sizeof sv);
		sv.epoch = nd->st_epoch;
		sv.has_vote = nd->st_vote >= 0;
		if (sv.has_vote)
			snprintf(sv.vote, sizeof sv.vote, "%s",
			    s->members[nd->st_vote].id);
		node_start(s, i, &sv);
	} else {
		node_start(s, i, NULL);
	}
}

void sim_pause(struct sim *s, size_t i, uint64_t d)
{
	struct sim_node *nd = &s->node[i];

	if (!nd->up)
		return;
	trace_fault(s, (int)i, "pause", -1, d);
	nd->paused = true;
	nd->resume_at = s->now + d;
}

void sim_resume(struct sim *s, size_t i)
{
	if (s->node[i].up && s->node[i].paused)
		resume_now(s, &s->node[i]);
}

void sim_set_offset(struct sim *s, size_t i, uint64_t off)
{
	s->node[i].offset = off;
	if (s->node[i].up)
		elector_set_offset(s->node[i].el, off);
}

void sim_set_local(struct sim *s, size_t i, bool ok)
{
	struct elector_out out;

	trace_fault(s, (int)i, ok ? "local-up" : "local-down", -1, 0);
	s->node[i].local_down = !ok;
	if (!s->node[i].up || s->node[i].paused)
		return;
	memset(&out, 0, sizeof out);
	elector_set_local(s->node[i].el, ok, s->now, &out);
	after_call(s, &s->node[i], &out);
}

int sim_switchover(struct sim *s, size_t i, int target, uint64_t d,
    char *why, size_t len)
{
	struct sim_node *nd = &s->node[i];
	struct elector_out out;
	int rc;

	trace_fault(s, (int)i, "switchover", target, d);
	if (!nd->up || nd->paused) {
		snprintf(why, len, "node down or paused");
		return -1;
	}
	memset(&out, 0, sizeof out);
	rc = elector_switchover(nd->el, target, s->now + d, s->now, &out, why,
	    len);
	after_call(s, nd, &out);
	return rc;
}

int sim_maint(struct sim *s, size_t i, uint64_t d)
{
	struct sim_node *nd = &s->node[i];
	struct elector_out out;
	int rc;

	trace_fault(s, (int)i, "maint", -1, d);
	if (!nd->up || nd->paused)
		return -1;
	memset(&out, 0, sizeof out);
	rc = elector_maint_start(nd->el, s->now + d, s->now, &out);
	after_call(s, nd, &out);
	return rc;
}

void sim_maint_end(struct sim *s, size_t i)
{
	struct sim_node *nd = &s->node[i];
	struct elector_out out;

	trace_fault(s, (int)i, "maint-end", -1, 0);
	if (!nd->up || nd->paused)
		return;
	memset(&out, 0, sizeof out);
	elector_maint_end(nd->el, s->now, &out);
	after_call(s, nd, &out);
}

void sim_store_fail(struct sim *s, size_t i, bool fail)
{
	if (s->node[i].st_fail != fail)
		trace_fault(s, (int)i, fail ? "disk-fail" : "disk-ok", -1, 0);
	s->node[i].st_fail = fail;
}

int sim_inject(struct sim *s, size_t i, const struct wire_frame *f)
{
	struct sim_node *nd = &s->node[i];
	struct elector_out out;
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_frame g;
	size_t used = 0;
	const char *why = NULL;
	int v;

	trace_fault(s, (int)i, "forge", member_index(s, f->id), f->epoch);
	if (!nd->up || nd->paused)
		return -1;
	/* Through the codec, like every frame a daemon would see. */
	if (wire_decode(buf, wire_encode(f, buf, sizeof buf), &g, &used,
	    &why) != WIRE_OK) {
		violation(s, "(g) forged frame does not decode (%s)",
		    why ? why : "");
		return -1;
	}
	memset(&out, 0, sizeof out);
	v = (int)elector_on_frame(nd->el, &g, s->now, &out);
	after_call(s, nd, &out);
	return v;
}

/* ---- cluster queries ---- */

int sim_writable(struct sim *s)
{
	int w = -1;

	for (size_t i = 0; i < s->cfg.n; i++) {
		if (!s->node[i].up ||
		    !elector_is_writable(s->node[i].el, s->now))
			continue;
		if (w >= 0)
			return -2;
		w = (int)i;
	}
	return w;
}

int sim_agreed_primary(struct sim *s)
{
	int w = sim_writable(s);
	uint64_t e;

	if (w < 0)
		return -1;
	e = elector_epoch(s->node[w].el);
	for (size_t i = 0; i < s->cfg.n; i++) {
		struct elector *el = s->node[i].el;

		if (!s->node[i].up)
			continue;
		if (elector_primary(el) != w || elector_epoch(el) != e)
			return -1;
		if ((int)i != w && elector_role(el) != WIRE_ROLE_REPLICA)
			return -1;
	}
	return w;
}
