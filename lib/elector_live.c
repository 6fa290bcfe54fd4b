/*
 * elector_live: the liveness policies (docs/design/elector.md, "Standing
 * only when it could win" and "Votes that come late"). They decide when a
 * node stands and how long a candidacy waits for its votes; they never
 * decide who may vote or how often, so safety rests on the rules of
 * elector.c alone. Pure like the rest of the elector; nothing here is
 * visible on the wire but repeated frames the reference already accepts.
 */
#include <stdio.h>
#include <string.h>

#include "elector_int.h"

/*
 * A live peer whose last word was "primary" (its heartbeat or its
 * ANNOUNCE), whatever its epoch: a winner in its hold, or a primary we
 * cannot follow yet. Standing now would split the votes it already has;
 * it is either writable within its hold or abdicates (its heartbeats say
 * replica) within down_after, and either ends the wait. Likewise the
 * candidate we just voted for, while its round in our epoch is open: a
 * candidacy of our own one epoch up would take back the vote it counts
 * on (the property test found a voter standing in the very call that
 * voted; the winner then could not count it for its lease).
 */
bool
elector_live_claimant(const struct elector *e, uint64_t now)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct elector_peer_view *v = &e->peers[i].view;

		if (i == e->self || !elector_peer_alive(e, i, now))
			continue;
		if (v->role == WIRE_ROLE_PRIMARY)
			return true;
		if (v->role == WIRE_ROLE_CANDIDATE &&
		    e->voted_for == (int)i && e->voted_epoch == e->epoch &&
		    v->epoch == e->epoch)
			return true;
	}
	return false;
}

/*
 * Not before: a majority heard without a break for down_after. A node
 * that heard no majority for a while (cut off, restarted, a partition
 * just healed) knows nothing of what the voters saw meanwhile: they may
 * have heard the old primary until a moment ago, and their sticky votes
 * refuse any OFFER until they too have found it silent for down_after.
 * Standing on its own stale timer got it refused and left the cluster
 * waiting out its candidacy (issue 14, pattern 1). So the primary's
 * silence counts only from the moment a majority is heard again, as time
 * unwatched during a pause does not count (TILT). A live primary is
 * heard meanwhile and followed. One that abdicated said so in its
 * heartbeats, to the voters too: no wait then. UINT64_MAX: no majority.
 */
uint64_t
elector_live_stand_after(const struct elector *e)
{
	if (e->visible_since_ms == UINT64_MAX)
		return UINT64_MAX;
	if (e->primary_gone)
		return 0;
	return e->visible_since_ms + e->t.down_after_ms;
}

/*
 * Would peer i vote for our open candidacy but for stickiness? It is
 * live, has not taken our epoch (a vote for us or anyone else there
 * raises it), and does not rank above us (elector_rank.c: its refusal
 * then is final; a node that sits out heartbeats offset 0, a witness has
 * priority 0, and both vote whatever their own rank).
 */
static bool
only_sticky(const struct elector *e, size_t i, uint64_t now)
{
	const struct elector_peer *p = &e->peers[i];
	uint64_t fresh = p->view.offset > e->offset ? p->view.offset :
	    e->offset;

	return elector_peer_alive(e, i, now) && !p->voted_for_me &&
	    p->view.epoch < e->epoch &&
	    (elector_member_priority(&e->members[i]) == 0 ||
	    !elector_rank_above(e, i, p->view.offset, e->self, e->offset,
	    fresh));
}

/*
 * Do the votes we lack come only from voters that stickiness explains,
 * enough of them to make a quorum? Those voters stop refusing at most
 * down_after after they last heard the old primary: by then the
 * candidacy, repeating its OFFER every interval, gets their votes.
 */
static bool
votes_are_coming(const struct elector *e, uint64_t now)
{
	size_t n = e->votes;

	for (size_t i = 0; i < e->n; i++)
		if (i != e->self && only_sticky(e, i, now))
			n++;
	return n >= e->quorum;
}

/*
 * When the open candidacy gives up: after election_timeout, or, while
 * its missing votes are only sticky, once down_after has passed since it
 * started, when every voter that lost the old primary no later than we
 * stood has stopped refusing (their window is down_after - hb_interval).
 * A voter that still hears the primary then keeps it: the one-way cut, in
 * which the healthy primary must stay.
 */
uint64_t
elector_live_cand_deadline(const struct elector *e, uint64_t now)
{
	uint64_t t = e->cand_start_ms + e->t.election_timeout_ms;
	uint64_t wait = e->cand_start_ms + e->t.down_after_ms;

	if (wait > t && now < wait && votes_are_coming(e, now))
		return wait;
	return t;
}

/*
 * The OFFER of our open candidacy, to repeat with every heartbeat. A
 * voter that refused while it was sticky votes once its window is over,
 * within an interval, instead of after our timeout and a backoff; one
 * whose ACCEPT was lost on the way sends it again (on_offer). A voter
 * that voted, or moved past our epoch, ignores it (spec 4).
 */
bool
elector_live_reoffer(const struct elector *e, struct wire_frame *f)
{
	if (e->role != WIRE_ROLE_CANDIDATE || e->n < 2)
		return false;
	memset(f, 0, sizeof(*f));
	f->verb = WIRE_OFFER;
	f->epoch = e->epoch;
	snprintf(f->id, sizeof(f->id), "%s", e->members[e->self].id);
	f->offset = e->offset;
	return true;
}

/*
 * The same OFFER again from the candidate we voted for in our current
 * epoch: our ACCEPT may have been lost (a link still connecting). The
 * vote is saved already; saying it again changes nothing.
 */
bool
elector_live_reaccept(const struct elector *e, int c,
    const struct wire_frame *f, struct wire_frame *r)
{
	if (f->epoch != e->epoch || f->epoch != e->voted_epoch ||
	    e->voted_for != c || e->role != WIRE_ROLE_REPLICA)
		return false;
	memset(r, 0, sizeof(*r));
	r->verb = WIRE_ACCEPT;
	r->epoch = e->epoch;
	r->quiet = e->voted_quiet;	/* as the vote it repeats */
	snprintf(r->id, sizeof(r->id), "%s", e->members[e->self].id);
	return true;
}

bool
elector_frame_is_current(const struct elector *e, size_t member,
    const struct wire_frame *f)
{
	if (f->epoch != e->epoch || member >= e->n || member == e->self)
		return false;
	switch (f->verb) {
	case WIRE_OFFER:
		return e->role == WIRE_ROLE_CANDIDATE;
	case WIRE_ACCEPT:
		return e->voted_epoch == f->epoch &&
		    e->voted_for == (int)member && e->role == WIRE_ROLE_REPLICA;
	case WIRE_ANNOUNCE:
		return e->role == WIRE_ROLE_PRIMARY;
	case WIRE_HB:
		break;
	}
	return false;
}
