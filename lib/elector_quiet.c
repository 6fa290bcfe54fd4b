/*
 * elector_quiet: the quiet rule (docs/design/elector.md, "The quiet
 * rule"), which lets a new primary skip the hold. An old primary's lease
 * rests on frames it receives. A vote whose voter sent no frame for
 * hb_interval (the delivery bound) + lease feeds no lease any more: the
 * voter marks it quiet. A replica that has not heard its primary for
 * quiet_ms sends keepalives instead of heartbeats, so that by the time
 * its sticky window lets it vote its vote is quiet. A winner whose every
 * vote was quiet waits only for its own last frames; any other keeps the
 * whole hold. Votes never wait for the rule: it only decides how long a
 * winner holds. Pure like the rest of the elector.
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

/*
 * Keepalives instead of heartbeats: a replica whose primary has been
 * silent for quiet_ms (it may have to vote soon). A primary or candidate
 * never is: a candidate's frames carry its new epoch, which vouches for
 * no older primary.
 */
bool
elector_is_quiet(const struct elector *e, uint64_t now)
{
	if (!elector_quiet_rule_on(e) || e->role != WIRE_ROLE_REPLICA)
		return false;
	return e->primary != ELECTOR_NONE && e->primary != (int)e->self &&
	    !e->primary_gone && now - e->leader_ref_ms >= e->quiet_ms;
}

/*
 * A vote or candidacy in epoch feeds nothing from the start when it is
 * our epoch's next and the primary of our epoch has left it: our frames
 * of epoch E vouch only for a primary of E or above, and E had one
 * primary. Either we are it (a fenced primary voting, one handing over,
 * or standing again), or it told us it left (it heartbeat as a replica or
 * candidate, or stood above E, after it claimed primary in E to us).
 * This keeps the switchover and the step-down of a primary whose server
 * died writable at once.
 */
static bool
exempt(const struct elector *e, uint64_t epoch)
{
	if (epoch != e->epoch + 1)
		return false;
	return e->role == WIRE_ROLE_PRIMARY || e->left_epoch == e->epoch;
}

/*
 * Until when may the frames we sent before a vote or OFFER in epoch feed
 * an old primary's lease? They reach it within hb_interval and count for
 * lease after that. 0: they feed none.
 */
uint64_t
elector_quiet_fed_until(const struct elector *e, uint64_t epoch)
{
	if (exempt(e, epoch))
		return 0;
	return e->spoke_ms + e->t.hb_interval_ms + e->t.lease_ms;
}

/* Does our vote in epoch, leaving now, carry the quiet mark? */
bool
elector_quiet_vote(const struct elector *e, uint64_t epoch, uint64_t now)
{
	return elector_quiet_rule_on(e) &&
	    elector_quiet_fed_until(e, epoch) <= now;
}

/*
 * The hold of a win now. With every vote marked, only our own last frames
 * before the OFFER may still feed a lease; one unmarked vote (a reference
 * node's, one from a node that had spoken lately) keeps the whole hold:
 * its voter may have heartbeat until the instant it voted.
 */
uint64_t
elector_quiet_hold_ms(const struct elector *e, uint64_t now)
{
	uint64_t full = e->t.lease_ms + e->t.hb_interval_ms;

	if (!elector_quiet_rule_on(e))
		return full;
	for (size_t i = 0; i < e->n; i++)
		if (i != e->self && e->peers[i].voted_for_me &&
		    !e->peers[i].vote_quiet)
			return full;
	if (e->cand_fed_until_ms <= now)
		return 0;
	return e->cand_fed_until_ms - now < full ?
	    e->cand_fed_until_ms - now : full;
}

void
elector_note_spoke(struct elector *e, uint64_t now)
{
	if (now > e->spoke_ms)
		e->spoke_ms = now;
}
