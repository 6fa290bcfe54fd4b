/*
 * pending: the frames that wait for a peer's link to come up. A vote
 * (ACCEPT), a candidacy (OFFER) or the announce of a win (ANNOUNCE) sent
 * while the outbound link is still connecting used to be dropped, and
 * the candidate it was for timed out with its votes cast (issue 14). Each
 * now waits in a slot of its own kind, one per peer and kind, the latest
 * replacing an older one; it goes out the moment the link is up, right
 * after the link's fresh heartbeat, if the elector still stands by it
 * (elector_frame_is_current), and is dropped the moment it does not.
 * Heartbeats never wait: a fresh one replaces a stale replay. Bounded by
 * construction: PENDING_KINDS frames per peer, no allocation.
 */
#ifndef PENDING_H
#define PENDING_H

#include <stdbool.h>
#include <stddef.h>

#include "wire.h"

struct elector;

#define PENDING_KINDS 3 /* OFFER, ACCEPT, ANNOUNCE: one slot each */

struct pending {
	bool used[PENDING_KINDS];
	struct wire_frame slot[PENDING_KINDS];
};

/* Would f wait for a link (an OFFER, ACCEPT or ANNOUNCE)? */
bool pending_wants(const struct wire_frame *f);
/* Keep f (pending_wants) in its kind's slot, over an older one. */
void pending_put(struct pending *, const struct wire_frame *f);
/* Drop what the elector no longer stands by; returns how many. */
size_t pending_prune(struct pending *, const struct elector *, size_t member);
/*
 * Move out the frames still current for member (at most PENDING_KINDS,
 * in the order OFFER, ACCEPT, ANNOUNCE) into out; the slots are empty
 * after. Returns how many; *stale counts those dropped as stale.
 */
size_t pending_take(struct pending *, const struct elector *, size_t member,
    struct wire_frame *out, size_t *stale);

#endif
