/*
 * pending: see pending.h. Pure bookkeeping over wire frames; whether a
 * frame is still worth sending is the elector's answer, never guessed
 * here.
 */
#include <string.h>

#include "elector.h"
#include "pending.h"

static int
kind(enum wire_verb v)
{
	switch (v) {
	case WIRE_OFFER: return 0;
	case WIRE_ACCEPT: return 1;
	case WIRE_ANNOUNCE: return 2;
	case WIRE_HB: break;
	}
	return -1;
}

bool
pending_wants(const struct wire_frame *f)
{
	return kind(f->verb) >= 0;
}

void
pending_put(struct pending *p, const struct wire_frame *f)
{
	int k = kind(f->verb);

	if (k < 0)
		return;
	p->slot[k] = *f;
	p->used[k] = true;
}

size_t
pending_prune(struct pending *p, const struct elector *el, size_t member)
{
	size_t n = 0;

	for (int k = 0; k < PENDING_KINDS; k++)
		if (p->used[k] &&
		    !elector_frame_is_current(el, member, &p->slot[k])) {
			p->used[k] = false;
			n++;
		}
	return n;
}

size_t
pending_take(struct pending *p, const struct elector *el, size_t member,
    struct wire_frame *out, size_t *stale)
{
	size_t n = 0;

	*stale = pending_prune(p, el, member);
	for (int k = 0; k < PENDING_KINDS; k++)
		if (p->used[k]) {
			out[n++] = p->slot[k];
			p->used[k] = false;
		}
	return n;
}
