/*
 * elector_view: what the elector reports (role, epoch, primary, down set,
 * quorum, fencing) and the lease arithmetic behind fencing. Read-only: no
 * function here changes the state machine.
 */
#include <stdlib.h>
#include <string.h>

#include "elector_int.h"

enum wire_role elector_role(const struct elector *e) { return e->role; }
uint64_t elector_epoch(const struct elector *e) { return e->epoch; }
int elector_primary(const struct elector *e) { return e->primary; }
uint64_t elector_offset(const struct elector *e) { return e->offset; }
uint64_t elector_primary_offset(const struct elector *e) { return e->primary_offset; }

bool
elector_lags(const struct elector *e)
{
	return e->role == WIRE_ROLE_REPLICA && elector_rank_lags(e, e->offset);
}
size_t elector_members(const struct elector *e) { return e->n; }
size_t elector_self(const struct elector *e) { return e->self; }
size_t elector_quorum_size(const struct elector *e) { return e->quorum; }
uint64_t elector_voted_epoch(const struct elector *e) { return e->voted_epoch; }
bool elector_save_is_failing(const struct elector *e) { return e->save_failing; }
uint64_t elector_next_deadline(const struct elector *e) { return e->next_deadline_ms; }

const struct elector_timing *
elector_timing(const struct elector *e)
{
	return &e->t;
}

const struct elector_stats *
elector_stats(const struct elector *e)
{
	return &e->stats;
}

const char *
elector_primary_addr(const struct elector *e)
{
	return e->primary == ELECTOR_NONE ? NULL : e->primary_addr;
}

const struct elector_member *
elector_member(const struct elector *e, size_t i)
{
	return i < e->n ? &e->members[i] : NULL;
}

int
elector_member_find(const struct elector *e, const char *id)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->members[i].id, id) == 0)
			return (int)i;
	return ELECTOR_NONE;
}

void
elector_peer(const struct elector *e, size_t i, struct elector_peer_view *v)
{
	if (i >= e->n || i == e->self) {
		memset(v, 0, sizeof(*v));
		return;
	}
	*v = e->peers[i].view;
}

bool
elector_peer_alive(const struct elector *e, size_t i, uint64_t now)
{
	const struct elector_peer_view *v = &e->peers[i].view;

	return v->heard && now - v->last_heard_ms < e->t.down_after_ms;
}

bool
elector_peer_is_down(const struct elector *e, size_t i, uint64_t now)
{
	if (i >= e->n || i == e->self)
		return false;
	return !elector_peer_alive(e, i, now);
}

bool
elector_has_quorum(const struct elector *e, uint64_t now)
{
	size_t up = 1;

	for (size_t i = 0; i < e->n; i++)
		if (i != e->self && elector_peer_alive(e, i, now))
			up++;
	return up >= e->quorum;
}

static int
cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y) - (x > y);
}

/*
 * The time at which the (quorum - 1)-th most recently heard eligible peer
 * was heard: until then plus the lease, a majority vouches for us. Peers
 * seen at an epoch above ours may have voted for someone else: they do not
 * vouch. UINT64_MAX when we alone are a majority, 0 when too few qualify.
 */
uint64_t
elector_majority_heard_at(const struct elector *e)
{
	uint64_t heard[ELECTOR_MEMBERS_MAX];
	size_t need = e->quorum - 1, k = 0;

	if (need == 0)
		return UINT64_MAX;
	for (size_t i = 0; i < e->n; i++) {
		const struct elector_peer *p = &e->peers[i];

		if (i != e->self && p->vouch_ms != 0 &&
		    p->view.epoch <= e->epoch)
			heard[k++] = p->vouch_ms;
	}
	if (k < need)
		return 0;
	qsort(heard, k, sizeof(heard[0]), cmp_desc);
	return heard[need - 1];
}

uint64_t
elector_lease_until(const struct elector *e)
{
	uint64_t at = elector_majority_heard_at(e);

	if (at == UINT64_MAX)
		return UINT64_MAX;
	if (at == 0)
		return 0;
	return at + e->t.lease_ms;
}

/*
 * A new primary waits out any lease the old one may still hold: the old
 * one counts a voter's last heartbeat for lease_ms after receiving it,
 * and receives it up to one interval after the vote. Shorter, mostly
 * none, when every vote was quiet (elector_quiet_hold_ms).
 */
uint64_t
elector_hold_ms(const struct elector *e)
{
	return e->hold_ms;
}

bool
elector_primary_won_quiet(const struct elector *e)
{
	return e->role == WIRE_ROLE_REPLICA && e->primary != ELECTOR_NONE &&
	    e->primary_quiet;
}

/*
 * A primary handing over is fenced from the start. One that won with the
 * vote of the primary that handed over to it waits out no hold: that
 * primary left its epoch to vote, and nobody else had a lease to keep.
 */
bool
elector_is_writable(const struct elector *e, uint64_t now)
{
	return e->role == WIRE_ROLE_PRIMARY && e->so_target == ELECTOR_NONE &&
	    (e->won_handoff || now - e->won_ms >= elector_hold_ms(e)) &&
	    now < elector_lease_until(e);
}

bool
elector_is_fenced(const struct elector *e, uint64_t now)
{
	return e->role == WIRE_ROLE_PRIMARY && !elector_is_writable(e, now);
}

const char *
elector_event_name(enum elector_event_kind k)
{
	switch (k) {
	case ELECTOR_EV_PAUSE: return "pause";
	case ELECTOR_EV_CANDIDACY: return "candidacy";
	case ELECTOR_EV_VOTE: return "vote";
	case ELECTOR_EV_WON: return "won";
	case ELECTOR_EV_ADOPT: return "adopt";
	case ELECTOR_EV_STEP_DOWN: return "step-down";
	case ELECTOR_EV_ABDICATE: return "abdicate";
	case ELECTOR_EV_TIMEOUT: return "timeout";
	case ELECTOR_EV_SAVE_FAILED: return "save-failed";
	case ELECTOR_EV_PRIMARY_LOST: return "primary-lost";
	case ELECTOR_EV_LOCAL_DOWN: return "local-down";
	case ELECTOR_EV_LOCAL_UP: return "local-up";
	case ELECTOR_EV_EPOCH_RAISED: return "epoch-raised";
	case ELECTOR_EV_SWITCHOVER: return "switchover";
	case ELECTOR_EV_SO_RELEASE: return "switchover-release";
	case ELECTOR_EV_SO_DONE: return "switchover-done";
	case ELECTOR_EV_SO_FAILED: return "switchover-failed";
	case ELECTOR_EV_HANDOFF: return "handoff";
	case ELECTOR_EV_MAINT_START: return "pause-start";
	case ELECTOR_EV_MAINT_END: return "pause-end";
	case ELECTOR_EV_LAG_LIMIT: return "lag-limit";
	}
	return "unknown";
}
