/*
 * limit: pure helpers that bound what a hostile peer can cost us: a
 * token bucket (frames per second on one connection) and a rate limit on
 * log lines (one per interval per reason, with a count of the lines
 * skipped). No clock reads, no I/O: time comes in as now_ms.
 */
#ifndef LIMIT_H
#define LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct limit_bucket {
	uint64_t milli;           /* tokens x 1000 */
	uint64_t last_ms;
};

/* A full bucket of burst tokens at now_ms. */
void limit_bucket_init(struct limit_bucket *, uint64_t burst, uint64_t now_ms);
/*
 * Refill at rate_per_s tokens per second up to burst, then take one token:
 * true, or false (and nothing taken) when the bucket is empty.
 */
bool limit_bucket_take(struct limit_bucket *, uint64_t rate_per_s,
    uint64_t burst, uint64_t now_ms);

/*
 * The same, but a gap of g ms since the last take may fill the bucket
 * beyond burst, up to rate_per_s x min(g, credit_ms) / 1000 tokens: what a
 * sender at the allowed rate could have queued meanwhile (a backlog that
 * TCP hands over at once after a pause) is not taken for a flood.
 */
bool limit_bucket_take_backlog(struct limit_bucket *, uint64_t rate_per_s,
    uint64_t burst, uint64_t credit_ms, uint64_t now_ms);

struct limit_log {
	bool used;                /* a line was ever logged */
	uint64_t last_ms;         /* when the last line was logged */
	uint64_t suppressed;      /* lines skipped since */
};

/*
 * May a line be logged now (none in the last interval_ms)? If so, the
 * number of lines skipped since the last one goes to *suppressed and the
 * count restarts; if not, the skipped line is counted.
 */
bool limit_log_allow(struct limit_log *, uint64_t now_ms, uint64_t interval_ms,
    uint64_t *suppressed);

#endif
