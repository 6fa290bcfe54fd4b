/*
 * core: the elector inside the event loop (core.h). Every entry point
 * makes one elector call, then apply(): frames out to the links, the
 * timer re-armed at the elector's next deadline, and one change record
 * published through the pipeline (change.h) in the same loop iteration.
 * It never sleeps and never polls; no subscriber may call back into it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <event2/event.h>

#include "change.h"
#include "clock.h"
#include "core.h"
#include "electd.h"
#include "inbound.h"
#include "limit.h"
#include "link.h"
#include "log.h"
#include "pending.h"
#include "rng.h"
#include "server.h"
#include "util.h"

/* ms between two warnings about held frames, as for inbound refusals. */
#define CORE_HELD_LOG_INTERVAL_MS INBOUND_LOG_INTERVAL_MS

/* A subscriber calling back in would publish inside a publish. */
static void
enter_core(const struct electd *d)
{
	if (change_is_publishing(&d->changes))
		fatalx("event=bug reason=core_entered_from_a_change_subscriber");
}

/*
 * How long the local server may be silent before the node sits out: the
 * adapter's health_ms when it polls the server, else the ALIVE timeout.
 */
static uint64_t
health_ms(const struct electd *d)
{
	return d->cfg->server.enabled ? d->cfg->server.health_ms :
	    d->cfg->local_health_timeout_ms;
}

static const char *
member_id(const struct electd *d, int i)
{
	if (i < 0)
		return "-";
	return elector_member(d->el, (size_t)i)->id;
}

static void
send_frame(struct electd *d, const struct elector_send *s)
{
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len;

	/* Silent: every member, reference nodes too, sees us DOWN. */
	if (d->silent) {
		d->stats.frames_silenced++;
		return;
	}
	/* Quiet (the quiet rule): alive to our peers, vouching for none. */
	if (s->keepalive) {
		memcpy(buf, WIRE_KEEPALIVE, WIRE_KEEPALIVE_LEN);
		len = WIRE_KEEPALIVE_LEN;
	} else
		len = wire_encode(&s->frame, buf, sizeof(buf));
	if (len == 0) {
		log_error("event=bug reason=unencodable_frame frame=%s",
		    wire_verb_name(s->frame.verb));
		return;
	}
	for (size_t i = 0; i < elector_members(d->el); i++) {
		if (d->links[i] == NULL ||
		    (s->to != ELECTOR_BROADCAST && (size_t)s->to != i) ||
		    (s->to == ELECTOR_BROADCAST && (int)i == s->except))
			continue;
		if (s->keepalive) {
			if (link_send(d->links[i], buf, len))
				d->stats.keepalives_out++;
			continue;
		}
		d->stats.frames_out[s->frame.verb]++;
		if (link_send(d->links[i], buf, len))
			continue;
		/*
		 * A vote, a candidacy or an announce waits for a link still
		 * coming up (pending.h); a heartbeat, or anything for a link
		 * that is up but full, is dropped.
		 */
		if (link_state(d->links[i]) != LINK_UP &&
		    pending_wants(&s->frame)) {
			pending_put(&d->pending[i], &s->frame);
			d->stats.frames_pending++;
			log_debug("event=frame_pending peer=%s frame=%s epoch=%"
			    PRIu64 " link=%s", member_id(d, (int)i),
			    wire_verb_name(s->frame.verb), s->frame.epoch,
			    link_state_name(link_state(d->links[i])));
		} else
			d->stats.frames_dropped++;
	}
}

/* Frames waiting for a link that the elector no longer stands by: gone. */
static void
prune_pending(struct electd *d)
{
	for (size_t i = 0; i < elector_members(d->el); i++)
		if (d->links[i] != NULL)
			d->stats.frames_pending_stale +=
			    pending_prune(&d->pending[i], d->el, i);
}

/*
 * Re-arm the timer, then publish what this call changed: one record with
 * the snapshot WATCH saw last, the new one and the elector's events.
 */
static void
apply(struct electd *d, const struct elector_out *out)
{
	uint64_t now_us, due_us, wait_us;
	struct status *st = d->scratch;
	struct timeval tv;
	struct change ch;

	for (size_t i = 0; i < out->n_send; i++)
		send_frame(d, &out->send[i]);
	/*
	 * A primary that stepped down for a dead local server (at once, or
	 * when a maintenance pause ended) goes silent once its step-down
	 * heartbeat left: its replicas react at once, reference nodes too.
	 */
	if (!d->local_ok && d->published->role == WIRE_ROLE_PRIMARY &&
	    elector_role(d->el) != WIRE_ROLE_PRIMARY)
		d->silent = true;
	prune_pending(d);
	now_us = clock_now_us();
	due_us = elector_next_deadline(d->el) * 1000;
	wait_us = due_us > now_us ? due_us - now_us : 0;
	util_us_to_tv(wait_us, &tv);
	evtimer_add(d->timer, &tv);
	core_status(d, st);
	ch.was = d->published;
	ch.now = st;
	ch.events = out->event;
	ch.n_events = out->n_event;
	ch.watched = status_watch_differs(d->published, st);
	ch.moved = ch.watched && change_is_move(d->published, st);
	/*
	 * A move restarts the count; any other watched change (quorum,
	 * fencing, the down set) keeps it: core_status measured it.
	 */
	if (ch.moved) {
		d->changed_ms = clock_now_ms();
		st->since_change_ms = 0;
	}
	if (ch.watched || ch.n_events > 0)
		change_publish(&d->changes, &ch);
	if (ch.watched) {
		/* The snapshot becomes the published one; reuse the old. */
		d->scratch = d->published;
		d->published = st;
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct electd *d = arg;
	struct elector_out out;

	(void)fd;
	(void)what;
	elector_tick(d->el, clock_now_ms(), &out);
	apply(d, &out);
}

/* A held frame: one warning per CORE_HELD_LOG_INTERVAL_MS at most. */
static void
log_held(struct electd *d, const struct wire_frame *f)
{
	char esc[LOG_QUOTE_MAX(WIRE_ID_MAX)];
	uint64_t skipped;

	if (!limit_log_allow(&d->held_log, clock_now_ms(),
	    CORE_HELD_LOG_INTERVAL_MS, &skipped))
		return;
	/* A claim kept up for raise_after_down_afters x down_after raises
	 * ours (authenticated: at once). */
	log_warnx("event=epoch_jump_held peer=%s frame=%s epoch=%" PRIu64
	    " ours=%" PRIu64 " max_epoch_jump=%" PRIu64
	    " raise_after_down_afters=%d authenticated=%s suppressed=%" PRIu64,
	    LOG_Q(esc, f->id), wire_verb_name(f->verb), f->epoch,
	    elector_epoch(d->el), d->cfg->max_epoch_jump,
	    ELECTOR_EPOCH_CONFIRM_DOWN_AFTERS,
	    d->auth != NULL ? "yes" : "no", skipped);
}

enum elector_verdict
core_on_frame(struct electd *d, size_t member, const struct wire_frame *f)
{
	struct elector_out out;
	enum elector_verdict v;

	enter_core(d);
	d->stats.frames_in[f->verb]++;
	v = elector_on_member_frame(d->el, member, f, clock_now_ms(), &out);
	/* Not applied, but maybe a real peer's: the connection stays. */
	if (v == ELECTOR_FRAME_HELD) {
		d->stats.frames_held++;
		log_held(d, f);
	}
	apply(d, &out);
	return v;
}

void
core_on_keepalive(struct electd *d, size_t member)
{
	struct elector_out out;

	enter_core(d);
	d->stats.keepalives_in++;
	elector_on_keepalive(d->el, member, clock_now_ms(), &out);
	apply(d, &out);
}

void
core_set_offset(struct electd *d, uint64_t offset)
{
	enter_core(d);
	elector_set_offset(d->el, offset);
	core_local_alive(d);
}

static void
set_local(struct electd *d, bool ok)
{
	struct elector_out out;

	d->local_ok = ok;
	elector_set_local(d->el, ok, clock_now_ms(), &out);
	apply(d, &out);
}

void
core_local_alive(struct electd *d)
{
	uint64_t ms = health_ms(d);
	struct timeval tv;

	enter_core(d);
	if (ms == 0)
		return;
	util_ms_to_tv(ms, &tv);
	evtimer_add(d->health_timer, &tv);
	if (d->local_ok)
		return;
	d->silent = false;
	log_info("event=local_up action=stand_again");
	set_local(d, true);
}

/* The local server missed its deadline: a dead server is never primary. */
static void
on_health_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct electd *d = arg;
	bool was_primary = elector_role(d->el) == WIRE_ROLE_PRIMARY;

	(void)fd;
	(void)what;
	set_local(d, false);
	log_warnx("event=local_down silent_ms=%" PRIu64 " action=%s",
	    health_ms(d), !was_primary ? "sit_out" :
	    elector_role(d->el) == WIRE_ROLE_PRIMARY ? "keep_primary_paused" :
	    "step_down_and_go_silent");
}

void
core_link_up(struct electd *d, size_t member)
{
	struct elector_send s = { .to = (int)member, .except = ELECTOR_NONE };
	struct wire_frame f[PENDING_KINDS];
	size_t n, stale;

	enter_core(d);
	if (d->silent)
		return;
	elector_link_up(d->el, member, clock_now_ms(), &s);
	send_frame(d, &s);
	/* Then what waited for this link, if the elector still means it. */
	n = pending_take(&d->pending[member], d->el, member, f, &stale);
	d->stats.frames_pending_stale += stale;
	s.keepalive = false;
	for (size_t k = 0; k < n; k++) {
		s.frame = f[k];
		elector_note_spoke(d->el, clock_now_ms());
		send_frame(d, &s);
		d->stats.frames_pending_sent++;
	}
	if (n > 0 || stale > 0)
		log_info("event=pending_frames_sent peer=%s sent=%zu stale=%zu",
		    member_id(d, (int)member), n, stale);
}

/*
 * A member's election address as it is written: "[v6]:port" for IPv6.
 * Built by hand, not with snprintf: every STATUS fills it for each member.
 */
static void
election_addr(const struct config_member *m, char *buf, size_t cap)
{
	bool v6 = strchr(m->election.host, ':') != NULL;
	char port[8], *p = port + sizeof(port);
	size_t hl = strlen(m->election.host), pl, len = 0;
	unsigned v = m->election.port;

	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	pl = strlen(p);
	/* "[" host "]" ":" port NUL; cut like snprintf if it cannot fit. */
	if (hl + pl + (v6 ? 2 : 0) + 2 > cap) {
		snprintf(buf, cap, "%s%s%s:%s", v6 ? "[" : "",
		    m->election.host, v6 ? "]" : "", p);
		return;
	}
	if (v6)
		buf[len++] = '[';
	memcpy(buf + len, m->election.host, hl);
	len += hl;
	if (v6)
		buf[len++] = ']';
	buf[len++] = ':';
	memcpy(buf + len, p, pl + 1);
}

void
core_status(struct electd *d, struct status *st)
{
	uint64_t now = clock_now_ms();
	int p = elector_primary(d->el);
	size_t self = elector_self(d->el);

	/* Only the header: the peers in use are filled in whole below. */
	memset(st, 0, offsetof(struct status, peers));
	util_strcpy(st->node_id, sizeof(st->node_id), d->cfg->node_id);
	st->role = elector_role(d->el);
	st->epoch = elector_epoch(d->el);
	if (p != ELECTOR_NONE) {
		util_strcpy(st->primary, sizeof(st->primary), member_id(d, p));
		util_strcpy(st->primary_addr, sizeof(st->primary_addr),
		    elector_primary_addr(d->el));
		st->primary_unheld = elector_primary_won_quiet(d->el);
	}
	st->quorum = elector_has_quorum(d->el, now);
	st->fenced = elector_is_fenced(d->el, now);
	st->offset = elector_offset(d->el);
	st->voted_epoch = elector_voted_epoch(d->el);
	st->save_failing = elector_save_is_failing(d->el);
	st->never_stand = d->cfg->never_stand ||
	    d->cfg->members[self].never_stand;
	st->self_index = self;
	election_addr(&d->cfg->members[self], st->addr, sizeof(st->addr));
	util_strcpy(st->client_addr, sizeof(st->client_addr),
	    d->cfg->members[self].client);
	st->since_change_ms = now - d->changed_ms;
	st->uptime_ms = now - d->start_ms;
	if (d->server != NULL) {
		struct server_view sv;

		server_view(d->server, &sv);
		st->server.on = true;
		util_strcpy(st->server.state, sizeof(st->server.state),
		    sv.state);
		util_strcpy(st->server.role, sizeof(st->server.role),
		    sv.role);
		util_strcpy(st->server.master, sizeof(st->server.master),
		    sv.master);
		st->server.offset = sv.offset;
		util_strcpy(st->server.fencing, sizeof(st->server.fencing),
		    sv.fencing);
	}
	st->local = health_ms(d) == 0 ? STATUS_LOCAL_OFF :
	    d->local_ok ? STATUS_LOCAL_UP : STATUS_LOCAL_DOWN;
	{
		uint64_t until = elector_maint_until(d->el);
		int t = elector_switchover_target(d->el);

		st->paused = until > now;
		st->pause_left_ms = st->paused ? until - now : 0;
		if (t != ELECTOR_NONE)
			util_strcpy(st->switchover, sizeof(st->switchover),
			    member_id(d, t));
		st->priority = st->never_stand ? 0 :
		    (unsigned)d->cfg->members[self].priority;
		st->lagging = elector_lags(d->el);
	}
	for (size_t i = 0; i < elector_members(d->el); i++) {
		struct status_peer *sp;
		struct elector_peer_view v;

		if (i == self)
			continue;
		sp = &st->peers[st->n_peers++];
		memset(sp, 0, sizeof(*sp));
		elector_peer(d->el, i, &v);
		util_strcpy(sp->id, sizeof(sp->id), member_id(d, (int)i));
		sp->up = !elector_peer_is_down(d->el, i, now);
		sp->heard = v.heard;
		sp->last_seen_ms = v.heard ? now - v.last_heard_ms : 0;
		sp->epoch = v.epoch;
		sp->role = v.heard ? v.role : 0;
		sp->offset = v.offset;
		sp->link = d->links[i] != NULL ?
		    link_state_name(link_state(d->links[i])) : "none";
		sp->inbound = d->inbound != NULL ?
		    inbound_count(d->inbound, i) : 0;
		sp->never_stand = d->cfg->members[i].never_stand;
		sp->priority = (unsigned)d->cfg->members[i].priority;
		election_addr(&d->cfg->members[i], sp->addr, sizeof(sp->addr));
		util_strcpy(sp->client_addr, sizeof(sp->client_addr),
		    d->cfg->members[i].client);
	}
}

int
core_switchover(struct electd *d, const char *target, uint64_t timeout_ms,
    char *err, size_t len)
{
	struct elector_out out;
	uint64_t now = clock_now_ms();
	int p = elector_primary(d->el), t = ELECTOR_NONE, rc;
	char esc[WIRE_ID_MAX * 4 + 1];

	enter_core(d);
	if (elector_role(d->el) != WIRE_ROLE_PRIMARY) {
		if (p == ELECTOR_NONE)
			snprintf(err, len, "not primary: primary is none");
		else
			snprintf(err, len, "not primary: primary is %s %s",
			    member_id(d, p), elector_primary_addr(d->el));
		return -1;
	}
	if (target != NULL &&
	    (t = elector_member_find(d->el, target)) == ELECTOR_NONE) {
		snprintf(err, len, "no such member '%s'", log_escape(esc,
		    sizeof(esc), target, strlen(target)));
		return -1;
	}
	rc = elector_switchover(d->el, t, now + timeout_ms, now, &out, err,
	    len);
	if (rc == 0) {
		d->so_start_ms = now;
		log_info("event=switchover_start target=%s timeout_ms=%" PRIu64,
		    member_id(d, elector_switchover_target(d->el)), timeout_ms);
	}
	apply(d, &out);
	return rc;
}

int
core_pause(struct electd *d, uint64_t ms, char *err, size_t len)
{
	struct elector_out out;
	uint64_t now = clock_now_ms();
	int rc;

	enter_core(d);
	rc = elector_maint_start(d->el, now + ms, now, &out);
	if (rc == -1)
		snprintf(err, len, "no majority heard: a pause needs one");
	else
		log_info("event=pause_start for_ms=%" PRIu64, ms);
	apply(d, &out);
	return rc;
}

void
core_resume(struct electd *d)
{
	struct elector_out out;

	enter_core(d);
	elector_maint_end(d->el, clock_now_ms(), &out);
	apply(d, &out);
}

static void
seed(struct electd *d, uint64_t *elector_seed)
{
	uint64_t r[2];

	/* Real randomness for jitter; the clock only if the kernel fails us. */
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		r[0] = clock_now_us() ^ (uint64_t)getpid() << 32;
		r[1] = rng_next(&r[0]);
	}
	*elector_seed = r[0];
	d->rng = r[1];
}

int
core_start(struct electd *d, char *err, size_t errlen)
{
	struct elector_member *members;
	struct elector_config ec;
	struct elector_store store = { metafile_store_save, &d->store };
	struct elector_saved saved;
	bool found;
	uint64_t now = clock_now_ms();
	char q[LOG_QUOTE_MAX(CONFIG_PATH_MAX)];

	d->store.dir = d->cfg->state_dir;
	if (metafile_load(d->cfg->state_dir, &saved, &found, err, errlen) == -1)
		return -1;
	if ((d->pending = calloc(d->cfg->n_members, sizeof(*d->pending))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The members there are, not room for ELECTOR_MEMBERS_MAX (74 KiB). */
	if ((members = calloc(d->cfg->n_members, sizeof(*members))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	config_to_elector(d->cfg, members, &ec);
	/* Only key holders get a frame in: their epoch claims are real. */
	ec.peers_authenticated = d->auth != NULL;
	seed(d, &ec.seed);
	d->el = elector_new(&ec, &store, found ? &saved : NULL, now, err,
	    errlen);
	free(members);
	if (d->el == NULL)
		return -1;
	if (found)
		log_info("event=state_restored epoch=%" PRIu64 " voted=%s",
		    elector_epoch(d->el), saved.has_vote ? saved.vote : "-");
	else
		log_info("event=state_fresh dir=%s", LOG_Q(q, d->cfg->state_dir));
	if (d->cfg->want_primary)
		/* Write authority comes only from winning an election. */
		log_info("event=initial_role_clamped initial_role=primary "
		    "now=replica");
	d->start_ms = d->changed_ms = now;
	/*
	 * Not zeroed: core_status clears the header and each peer it fills,
	 * all anyone reads, and the ~22 KiB of peers[] a small cluster never
	 * uses stay untouched, so they never become resident.
	 */
	if ((d->published = malloc(sizeof(*d->published))) == NULL ||
	    (d->scratch = malloc(sizeof(*d->scratch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	core_status(d, d->published);
	if ((d->timer = evtimer_new(d->base, on_timer, d)) == NULL ||
	    (d->health_timer = evtimer_new(d->base, on_health_timeout, d)) ==
	    NULL) {
		snprintf(err, errlen, "evtimer_new failed");
		return -1;
	}
	d->local_ok = true;
	if (health_ms(d) > 0) {
		/* Sit out until the local server first proves it lives. */
		log_info("event=local_wait reason=no_offset_or_alive_yet");
		d->local_ok = false;
		elector_set_local(d->el, false, now, &(struct elector_out){ 0 });
		core_status(d, d->published);
	}
	{
		struct elector_out none = { 0 };

		apply(d, &none);	/* arms the first deadline */
	}
	return 0;
}

void
core_stop(struct electd *d)
{
	if (d->timer != NULL)
		event_free(d->timer);
	if (d->health_timer != NULL)
		event_free(d->health_timer);
	d->timer = d->health_timer = NULL;
	elector_free(d->el);
	d->el = NULL;
	free(d->pending);
	d->pending = NULL;
	free(d->published);
	free(d->scratch);
	d->published = d->scratch = NULL;
}

const struct status *
core_published(const struct electd *d)
{
	return d->published;
}

const struct core_stats *
core_stats(const struct electd *d)
{
	return &d->stats;
}

const struct elector_stats *
core_elector_stats(const struct electd *d)
{
	return elector_stats(d->el);
}
