/*
 * elector_timing: the election timings, their defaults and the relations
 * between them that must hold for the lease and the failure detector to
 * mean anything. Checked once, at config load, never at run time.
 */
#include <stdio.h>

#include "elector.h"
#include "errbuf.h"

void
elector_timing_defaults(struct elector_timing *t)
{
	t->hb_interval_ms = ELECTOR_HB_INTERVAL_DEFAULT;
	t->down_after_ms = ELECTOR_DOWN_AFTER_DEFAULT;
	t->election_timeout_ms = ELECTOR_TIMING_DERIVE;
	t->backoff_ms = ELECTOR_TIMING_DERIVE;
	t->backoff_jitter_ms = ELECTOR_TIMING_DERIVE;
	t->lease_ms = 0;
	t->pause_threshold_ms = 0;
}

/* An unset retry timing: tenths of down_after (elector.h). */
static void
derive(uint64_t *ms, uint64_t down_after, uint64_t tenths)
{
	if (*ms == ELECTOR_TIMING_DERIVE)
		*ms = down_after / 10 * tenths + down_after % 10 * tenths / 10;
}

int
elector_timing_check(struct elector_timing *t, char *err, size_t errlen)
{
	const uint64_t max = ELECTOR_TIMING_MAX_MS;
	uint64_t hb = t->hb_interval_ms;

	/* Out of range stays out of range: checked as the others below. */
	if (t->down_after_ms <= max) {
		derive(&t->election_timeout_ms, t->down_after_ms,
		    ELECTOR_ELECTION_TIMEOUT_TENTHS);
		derive(&t->backoff_ms, t->down_after_ms,
		    ELECTOR_BACKOFF_TENTHS);
		derive(&t->backoff_jitter_ms, t->down_after_ms,
		    ELECTOR_BACKOFF_JITTER_TENTHS);
	}
	if (hb == 0 || hb > max || t->down_after_ms > max ||
	    t->election_timeout_ms > max || t->backoff_ms > max ||
	    t->backoff_jitter_ms > max || t->lease_ms > max ||
	    t->pause_threshold_ms > max)
		return errbuf_set(err, errlen, "every timing must be 1 ms to one hour "
		    "(hb_interval_ms must not be 0)");
	/* Room for a lease of 2 intervals and its 2-interval safety margin. */
	if (t->down_after_ms < 4 * hb)
		return errbuf_set(err, errlen, "down_after_ms must be at least "
		    "4 x hb_interval_ms, or one late heartbeat marks a live "
		    "peer down");
	if (t->election_timeout_ms < hb)
		return errbuf_set(err, errlen, "election_timeout_ms must be at least "
		    "hb_interval_ms, or a candidacy gives up before one round "
		    "trip");
	if (t->lease_ms == 0) {
		/* Short: a new primary waits it out before taking writes. */
		t->lease_ms = 4 * hb;
		if (t->lease_ms + 2 * hb > t->down_after_ms)
			t->lease_ms = t->down_after_ms - 2 * hb;
	}
	if (t->lease_ms < 2 * hb)
		return errbuf_set(err, errlen, "lease_ms must be at least "
		    "2 x hb_interval_ms, or a primary fences itself between "
		    "two heartbeats");
	if (t->lease_ms + 2 * hb > t->down_after_ms)
		return errbuf_set(err, errlen, "lease_ms + 2 x hb_interval_ms must not "
		    "exceed down_after_ms, or an old primary may still be "
		    "unfenced when a replica starts a candidacy");
	if (t->pause_threshold_ms == 0)
		t->pause_threshold_ms = 2 * hb;
	if (t->pause_threshold_ms < 2 * hb)
		return errbuf_set(err, errlen, "pause_threshold_ms must be at least "
		    "2 x hb_interval_ms, or ordinary scheduling delays count "
		    "as pauses");
	return 0;
}
