/*
 * limit: see limit.h. Pure arithmetic on the caller's clock; it must
 * never read a clock or log by itself.
 */
#include "limit.h"

void
limit_bucket_init(struct limit_bucket *b, uint64_t burst, uint64_t now_ms)
{
	b->milli = burst * 1000;
	b->last_ms = now_ms;
}

bool
limit_bucket_take(struct limit_bucket *b, uint64_t rate_per_s,
    uint64_t burst, uint64_t now_ms)
{
	return limit_bucket_take_backlog(b, rate_per_s, burst, 0, now_ms);
}

bool
limit_bucket_take_backlog(struct limit_bucket *b, uint64_t rate_per_s,
    uint64_t burst, uint64_t credit_ms, uint64_t now_ms)
{
	if (now_ms > b->last_ms) {
		uint64_t gap = now_ms - b->last_ms, cap = burst * 1000, add;

		/* What the gap earned, bounded: no overflow, no hoarding. */
		if (credit_ms > 0) {
			if (gap > credit_ms)
				gap = credit_ms;
			if (gap * rate_per_s > cap)
				cap = gap * rate_per_s;
		}
		add = gap > cap / (rate_per_s > 0 ? rate_per_s : 1) + 1 ?
		    cap : gap * rate_per_s;
		/* Refill up to the cap, never below what is already held. */
		if (b->milli < cap)
			b->milli = b->milli + add > cap ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

bool
limit_log_allow(struct limit_log *l, uint64_t now_ms, uint64_t interval_ms,
    uint64_t *suppressed)
{
	if (l->used && now_ms - l->last_ms < interval_ms) {
		l->suppressed++;
		return false;
	}
	*suppressed = l->suppressed;
	l->suppressed = 0;
	l->used = true;
	l->last_ms = now_ms;
	return true;
}
