/*
 * elector_rank: who is the better candidate. One order, from the shared
 * member list and config, for standing (elector.c's am_best), for voting
 * (its offer_is_worse) and for a switchover's default target, so that
 * every kevy-electd node ranks the same candidates alike.
 *
 * The order among a set of candidates, with F the freshest offset among
 * them: those within priority_lag_bytes of F come first, by member
 * priority, then offset, then the smaller id; the others after them, by
 * offset. With every priority equal this is the protocol's own order
 * (offset, then the smaller id). A candidate further than max_lag_bytes
 * behind the last primary offset heard is no candidate at all.
 *
 * Pure like the rest of lib/: it reads the elector's view, changes nothing.
 */
#include <string.h>

#include "elector_int.h"

unsigned
elector_member_priority(const struct elector_member *m)
{
	if (m->never_stand)
		return 0;
	return m->priority == 0 ? ELECTOR_PRIORITY_DEFAULT : m->priority;
}

/* Further than max_lag_bytes behind the last primary offset we know? */
bool
elector_rank_lags(const struct elector *e, uint64_t offset)
{
	return e->max_lag_bytes != 0 && e->primary_offset > offset &&
	    e->primary_offset - offset > e->max_lag_bytes;
}

/*
 * May peer i be elected, as far as this node can tell: live, allowed to
 * stand, not our live primary (or one that just gave up), not lagging?
 */
bool
elector_rank_eligible(const struct elector *e, size_t i, uint64_t now)
{
	if (i == e->self || (int)i == e->primary ||
	    elector_member_priority(&e->members[i]) == 0 ||
	    !elector_peer_alive(e, i, now))
		return false;
	/* A primary that just gave up will not stand: do not wait on it. */
	if ((int)i == e->lost_primary && now < e->lost_primary_until_ms)
		return false;
	return !elector_rank_lags(e, e->peers[i].view.offset);
}

static bool
in_window(const struct elector *e, uint64_t offset, uint64_t fresh)
{
	return offset >= fresh || fresh - offset <= e->priority_lag_bytes;
}

static unsigned
priority_of(const struct elector *e, size_t i)
{
	return elector_member_priority(&e->members[i]);
}

/* Does a (at a_offset) rank above b, the freshest offset being fresh? */
bool
elector_rank_above(const struct elector *e, size_t a, uint64_t a_offset,
    size_t b, uint64_t b_offset, uint64_t fresh)
{
	bool wa = in_window(e, a_offset, fresh);
	bool wb = in_window(e, b_offset, fresh);

	if (wa != wb)
		return wa;
	if (wa && priority_of(e, a) != priority_of(e, b))
		return priority_of(e, a) > priority_of(e, b);
	if (a_offset != b_offset)
		return a_offset > b_offset;
	return strcmp(e->members[a].id, e->members[b].id) < 0;
}

/*
 * Why a above b: a higher offset (FRESHER: the data, waited for while it
 * lives, as the protocol does), or only its priority or id (PREFERRED:
 * waited for one election_timeout, since nothing on the wire says
 * whether it can stand at all).
 */
static enum elector_rank_verdict
why_above(const struct elector *e, size_t a, uint64_t a_offset, size_t b,
    uint64_t b_offset, uint64_t fresh)
{
	if (!elector_rank_above(e, a, a_offset, b, b_offset, fresh))
		return ELECTOR_RANK_NONE;
	return a_offset > b_offset ? ELECTOR_RANK_FRESHER :
	    ELECTOR_RANK_PREFERRED;
}

/* Self, at its own offset, and every eligible live peer. */
enum elector_rank_verdict
elector_rank_waits_for(const struct elector *e, uint64_t now)
{
	enum elector_rank_verdict worst = ELECTOR_RANK_NONE, w;
	uint64_t fresh = e->offset;

	for (size_t i = 0; i < e->n; i++)
		if (elector_rank_eligible(e, i, now) &&
		    e->peers[i].view.offset > fresh)
			fresh = e->peers[i].view.offset;
	for (size_t i = 0; i < e->n; i++) {
		if (!elector_rank_eligible(e, i, now))
			continue;
		w = why_above(e, i, e->peers[i].view.offset, e->self,
		    e->offset, fresh);
		if (w > worst)
			worst = w;
	}
	return worst;
}

/*
 * Does a voter object to candidate c's OFFER (at c_offset)? Itself, if it
 * may stand, ranks above c: FRESHER when it holds more data or wins the
 * id tie-break (spec 4's refusal, for good), PREFERRED when only its
 * priority puts it above c. A live
 * eligible peer with a higher priority ranks above c: PREFERRED. A peer
 * above c by offset alone is not the voter's business, as in the
 * protocol.
 */
enum elector_rank_verdict
elector_rank_objects(const struct elector *e, size_t c, uint64_t c_offset,
    bool self_may_stand, uint64_t now)
{
	enum elector_rank_verdict w = ELECTOR_RANK_NONE;
	uint64_t fresh = c_offset;

	if (self_may_stand && e->offset > fresh)
		fresh = e->offset;
	for (size_t i = 0; i < e->n; i++)
		if (i != c && elector_rank_eligible(e, i, now) &&
		    e->peers[i].view.offset > fresh)
			fresh = e->peers[i].view.offset;
	if (self_may_stand && elector_rank_above(e, e->self, e->offset, c,
	    c_offset, fresh)) {
		bool by_priority = in_window(e, e->offset, fresh) &&
		    in_window(e, c_offset, fresh) &&
		    priority_of(e, e->self) != priority_of(e, c);

		if (!by_priority || e->offset > c_offset)
			return ELECTOR_RANK_FRESHER;
		w = ELECTOR_RANK_PREFERRED;
	}
	for (size_t i = 0; i < e->n; i++)
		if (i != c && elector_rank_eligible(e, i, now) &&
		    priority_of(e, i) > priority_of(e, c) &&
		    elector_rank_above(e, i, e->peers[i].view.offset, c,
		    c_offset, fresh))
			w = ELECTOR_RANK_PREFERRED;
	return w;
}

/*
 * A switchover's default target: the best live replica following us that
 * may stand and is not further than max_lag_bytes behind our own offset
 * (it would have that much to catch up before it is told to stand). One
 * that heartbeats offset 0 while we hold data sits out (its server is
 * down, or it lags) or holds nothing: a wide priority window must not
 * make it the target of a hand-off that would only time out.
 */
int
elector_switchover_pick(const struct elector *e, uint64_t now)
{
	uint64_t fresh = 0;
	int best = ELECTOR_NONE;
	bool ok[ELECTOR_MEMBERS_MAX];

	for (size_t i = 0; i < e->n; i++) {
		const struct elector_peer_view *v = &e->peers[i].view;

		ok[i] = i != e->self && priority_of(e, i) > 0 &&
		    elector_peer_alive(e, i, now) &&
		    v->role == WIRE_ROLE_REPLICA && v->epoch <= e->epoch &&
		    !(v->offset == 0 && e->offset != 0) &&
		    !(e->max_lag_bytes != 0 && e->offset > v->offset &&
		    e->offset - v->offset > e->max_lag_bytes);
		if (ok[i] && v->offset > fresh)
			fresh = v->offset;
	}
	for (size_t i = 0; i < e->n; i++)
		if (ok[i] && (best == ELECTOR_NONE ||
		    elector_rank_above(e, i, e->peers[i].view.offset,
		    (size_t)best, e->peers[best].view.offset, fresh)))
			best = (int)i;
	return best;
}
