/*
 * changelog: the log's subscriber of the change pipeline (change.h). Each
 * transition is one line, naming the elector events that caused it
 * (`event=transition role=primary epoch=7 primary=n1 was_role=candidate
 * was_epoch=7 was_primary=none cause=won`); events that are news by
 * themselves (a pause, a failed candidacy, a failed save, the local
 * server, a vote that moved nothing) get a line of their own, and so do
 * quorum, fencing and peer up/down changes. Nothing is logged twice.
 */
#ifndef CHANGELOG_H
#define CHANGELOG_H

#include "change.h"

struct metafile_store;

struct changelog {
	const struct elector *el;          /* member ids of event peers */
	const struct metafile_store *store; /* why a save failed */
};

/* change_fn: ctx is a struct changelog. */
void changelog_on_change(void *ctx, const struct change *);

#endif
