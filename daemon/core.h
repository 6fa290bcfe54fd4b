/*
 * core: the pure elector inside the event loop. It feeds the elector
 * frames (from inbound.c, bound to their sender), the clock and the local
 * server's health; routes the frames that come out to the links; arms
 * the one timer at the elector's next deadline; and ends every elector
 * call in one change record for the change pipeline (change.h). Nothing
 * else in the daemon calls the elector.
 */
#ifndef CORE_H
#define CORE_H

#include <stddef.h>
#include <stdint.h>

#include "elector.h"
#include "status.h"
#include "wire.h"

struct electd;

/* What the core counted; read by /metrics through core_stats(). */
struct core_stats {
	uint64_t frames_in[WIRE_ANNOUNCE + 1];  /* by enum wire_verb */
	uint64_t frames_out[WIRE_ANNOUNCE + 1];
	uint64_t frames_dropped;     /* link not up, or its output full */
	uint64_t frames_pending;     /* kept for a link still coming up */
	uint64_t frames_pending_sent;  /* ... and sent once it was up */
	uint64_t frames_pending_stale; /* ... dropped: no longer current */
	uint64_t frames_silenced;    /* not sent: local server down */
	uint64_t keepalives_out;     /* quiet rule: keepalives sent */
	uint64_t keepalives_in;      /* quiet rule: keepalives received */
	uint64_t rejected_senders;   /* frames naming a non-member or us */
	uint64_t frames_held;        /* epoch beyond max_epoch_jump */
};

/* Load the state, make the elector, take the first snapshot. */
int core_start(struct electd *, char *err, size_t errlen);
void core_stop(struct electd *);

/*
 * A decoded frame from member (its connection is bound to it: inbound.c
 * checked the id). The verdict says whether the connection may stay.
 */
/* A keepalive on member's bound connection: alive, vouching for no lease. */
void core_on_keepalive(struct electd *, size_t member);
enum elector_verdict core_on_frame(struct electd *, size_t member,
    const struct wire_frame *);
/* A link to member just came up: its first frame is a fresh heartbeat. */
void core_link_up(struct electd *, size_t member);

/* The local server pushed OFFSET (health gating counts it as alive). */
void core_set_offset(struct electd *, uint64_t offset);
/* The local server pushed OFFSET or ALIVE: it lives (health gating). */
void core_local_alive(struct electd *);

/*
 * SWITCHOVER (docs/reference/control-protocol.md): hand this primary's
 * role to target (NULL: the freshest eligible replica) within timeout_ms.
 * 0 once under way (its end is an ELECTOR_EV_SO_DONE or _SO_FAILED event
 * on the change bus), or -1 with the reason in err, nothing changed.
 */
int core_switchover(struct electd *, const char *target, uint64_t timeout_ms,
    char *err, size_t len);
/* PAUSE for ms (no failover starts here), RESUME; 0, or -1 with err. */
int core_pause(struct electd *, uint64_t ms, char *err, size_t len);
void core_resume(struct electd *);

/* A fresh snapshot of role, epoch, primary, peers. */
void core_status(struct electd *, struct status *);
/* The snapshot WATCH clients saw last. */
const struct status *core_published(const struct electd *);
const struct core_stats *core_stats(const struct electd *);
const struct elector_stats *core_elector_stats(const struct electd *);

#endif
