/*
 * hook: the notify hook, in the manner of keepalived's notify scripts and
 * Sentinel's client-reconfig-script. On every change of role or primary
 * the configured executable (notify_exec) runs via fork+exec, no shell,
 * with the event described in argv and the environment. Runs are
 * serialized in event order, each time-limited (notify_timeout_ms, then
 * SIGKILL), and never block the loop: children are reaped from the loop.
 * Failures (exec error, non-zero exit, signal, timeout) are logged, and
 * so is each line the run writes to stdout or stderr (event=hook_output
 * run=<n> line="...").
 *
 * argv: PATH EVENT NEW_ROLE OLD_ROLE EPOCH PRIMARY_ID PRIMARY_ADDR
 *   EVENT is "role" when the role changed, else "primary" (same role, a
 *   new primary); PRIMARY_ID / PRIMARY_ADDR are "none" when there is none.
 * environment: the daemon's, plus KEVY_EVENT, KEVY_ROLE, KEVY_OLD_ROLE,
 *   KEVY_EPOCH, KEVY_PRIMARY, KEVY_PRIMARY_ADDR, KEVY_NODE_ID.
 */
#ifndef HOOK_H
#define HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct event_base;
struct hook;

#define HOOK_QUEUE_MAX 64 /* events waiting for their run; older dropped */
#define HOOK_OUTPUT_LINE_MAX 512  /* bytes of one line of a run's output
                                     logged; a longer one is cut in parts */
#define HOOK_OUTPUT_MAX (64 * 1024) /* bytes of one run's output logged;
                                       the rest is counted, not logged */

struct hook_stats {
	uint64_t runs;
	uint64_t failures;      /* non-zero exit, signal or exec failure */
	uint64_t timeouts;      /* killed after notify_timeout_ms */
	uint64_t dropped;       /* queue overflow */
};

/*
 * Can notify_exec run? An existing regular file the effective user may
 * execute. 0, or -1 with a sentence naming the path in err. hook_new and
 * the start checks (preflight.c, also behind -t) both ask this.
 */
int hook_check_path(const char *path, char *err, size_t errlen);
/* NULL with err on failure (hook_check_path's, or out of memory). */
struct hook *hook_new(struct event_base *, const char *path,
    uint64_t timeout_ms, char *err, size_t errlen);
/* Kill a running child (logged) and drop what is queued. */
void hook_free(struct hook *);
struct change;
/* change_fn (ctx: the hook): queues a run if role or primary changed. */
void hook_on_change(void *ctx, const struct change *);
const struct hook_stats *hook_stats(const struct hook *);
size_t hook_pending(const struct hook *);  /* queued + running */

#endif
