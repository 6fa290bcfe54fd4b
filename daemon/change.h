/*
 * change: the one pipeline by which the rest of the daemon learns what
 * the elector did. Every elector call (a frame, a timer, a local-health
 * change) ends in core.c building one change record: the snapshot WATCH
 * last saw, the new one, and the elector's events of that call. The bus
 * hands it to each subscriber in the order they subscribed, which main.c
 * fixes once: the log, the notify hook, the service manager, WATCH
 * clients, then whatever comes next (the server adapter, operator verbs).
 *
 * A subscriber only reads the record and acts outside the core (writes a
 * line, queues a hook run, sends a datagram); it must never call back
 * into the core: core entry points refuse to run while a change is being
 * published (change_is_publishing), which would be a broken invariant.
 */
#ifndef CHANGE_H
#define CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elector.h"
#include "status.h"

#define CHANGE_SUBSCRIBERS_MAX 8  /* subscribers on one bus */

struct change {
	const struct status *was;     /* the snapshot WATCH last saw */
	const struct status *now;     /* the snapshot after this call */
	const struct elector_event *events;
	size_t n_events;
	bool watched;                 /* a field WATCH shows differs */
	bool moved;                   /* role, epoch or primary differ */
};

typedef void change_fn(void *ctx, const struct change *);

struct change_bus {
	struct {
		const char *name;
		change_fn *fn;
		void *ctx;
	} sub[CHANGE_SUBSCRIBERS_MAX];
	size_t n;
	bool publishing;
};

/* Add a subscriber after the ones already there; 0, or -1 when full. */
int change_subscribe(struct change_bus *, const char *name, change_fn *,
    void *ctx);
/* Hand ch to every subscriber, in order. */
void change_publish(struct change_bus *, const struct change *);
/* Is a change being handed out right now (a subscriber is running)? */
bool change_is_publishing(const struct change_bus *);

/* Do these two snapshots differ in role, epoch or primary? */
bool change_is_move(const struct status *was, const struct status *now);

#endif
