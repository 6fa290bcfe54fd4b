/*
 * elector_quiet: the quiet rule (docs/design/elector.md, "The quiet
 * rule"), which lets a new primary skip the hold. An old primary's lease
 * rests on frames it receives; a node whose frames could still feed one
 * must not vote. So a node votes, or stands without a hold, only once
 * hb_interval (the delivery bound) + lease have passed since it last sent
 * a frame; and a replica that has not heard its primary for quiet_ms
 * sends keepalives instead of heartbeats, so that by the time its sticky
 * window lets it vote it has been quiet that long already. A winner whose
 * candidacy and every vote kept the rule knows every lease its voters fed
 * has run out: no hold. Pure like the rest of the elector; it never
 * decides who may win, only when a vote may leave and how long a winner
 * waits.
 */
#include "elector_int.h"

uint64_t
elector_timing_quiet_ms(const struct elector_timing *t)
{
	uint64_t hb = t->hb_interval_ms, spare;

	/* The sticky window ends down_after - hb after the primary was heard. */
	if (t->down_after_ms < 2 * hb + t->lease_ms)
		return 0;
	spare = t->down_after_ms - 2 * hb - t->lease_ms;
	/* Heartbeats arrive up to two intervals apart: never quiet on that. */
	return spare >= ELECTOR_QUIET_MIN_INTERVALS * hb ? spare : 0;
}

uint64_t
elector_quiet_ms(const struct elector *e)
{
	return elector_quiet_rule_on(e) ? e->quiet_ms : 0;
}

bool
elector_quiet_rule_on(const struct elector *e)
{
	return e->quiet_ms != 0;
}

/* Every frame we sent before now has stopped feeding any lease. */
bool
elector_quiet_long_enough(const struct elector *e, uint64_t now)
{
	return now - e->spoke_ms >= e->t.hb_interval_ms + e->t.lease_ms;
}

/*
 * Keepalives instead of heartbeats: a replica whose primary has been
 * silent for quiet_ms (it may have to vote soon), or one that was asked
 * for a vote it could not give yet. A primary or candidate never is:
 * a candidate's frames carry its new epoch, which vouches for no older
 * primary.
 */
bool
elector_quiet_now(const struct elector *e, uint64_t now)
{
	if (!elector_quiet_rule_on(e) || e->role != WIRE_ROLE_REPLICA)
		return false;
	if (now < e->vote_wait_until_ms)
		return true;
	return e->primary != ELECTOR_NONE && e->primary != (int)e->self &&
	    !e->primary_gone && now - e->leader_ref_ms >= e->quiet_ms;
}

bool
elector_is_quiet(const struct elector *e, uint64_t now)
{
	return elector_quiet_now(e, now);
}

/*
 * A vote or candidacy in epoch needs no wait when it is our epoch's next
 * and the primary of our epoch has left it: our frames of epoch E vouch
 * only for a primary of E or above, and E had one primary. Either we are
 * it (a fenced primary voting, one handing over, or standing again), or
 * it told us it left (it heartbeat as a replica or candidate, or stood
 * above E, after it claimed primary in E to us). This keeps the
 * switchover and the step-down of a primary whose server died as fast as
 * before.
 */
bool
elector_quiet_exempt(const struct elector *e, uint64_t epoch)
{
	if (epoch != e->epoch + 1)
		return false;
	return e->role == WIRE_ROLE_PRIMARY || e->left_epoch == e->epoch;
}

/* May our vote for this OFFER leave now? */
bool
elector_quiet_may_vote(const struct elector *e, const struct wire_frame *f,
    uint64_t now)
{
	return !elector_quiet_rule_on(e) || elector_quiet_long_enough(e, now) ||
	    elector_quiet_exempt(e, f->epoch);
}

/* Won quiet, and with every vote from a peer that keeps the rule. */
bool
elector_quiet_win(const struct elector *e)
{
	if (!elector_quiet_rule_on(e) || !e->cand_quiet)
		return false;
	for (size_t i = 0; i < e->n; i++)
		if (i != e->self && e->peers[i].voted_for_me &&
		    !e->peers[i].vote_quiet)
			return false;
	return true;
}

void
elector_set_peer_quiet(struct elector *e, size_t i, bool keeps)
{
	if (i < e->n && i != e->self)
		e->peers[i].keeps_quiet = keeps;
}

void
elector_note_spoke(struct elector *e, uint64_t now)
{
	if (now > e->spoke_ms)
		e->spoke_ms = now;
}
