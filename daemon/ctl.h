/*
 * ctl: the control socket. A Unix stream socket speaking a line protocol
 * (docs/control-protocol.md): one request line, exactly one reply line,
 * except after WATCH, which turns the connection into a stream of STATUS
 * lines, one per change. Used by the local kevy server and by operators
 * with socat. Nothing a client does can block the loop or grow memory
 * without bound.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"

struct event_base;

#define CTL_LINE_MAX     1024   /* bytes in a request, without the line end */
#define CTL_CLIENTS_MAX  4096   /* concurrent control clients */
#define CTL_OUT_HIGH     65536  /* reply bytes queued before we stop reading */
#define CTL_WATCH_OUT_MAX 262144 /* bytes queued to a WATCH client: then drop */

/* What the control socket asks of the daemon. */
struct ctl_ops {
	void (*status)(void *ctx, struct status *out);
	void (*set_offset)(void *ctx, uint64_t offset);
};

struct ctl_config {
	const char *path;
	mode_t mode;
	const char *group;        /* "" or NULL: leave the daemon's group */
};

struct ctl;

/*
 * Bind and listen. A stale socket file (nobody accepting) is replaced; a
 * live daemon answering on it makes this fail with a message in err.
 */
struct ctl *ctl_new(struct event_base *, const struct ctl_config *,
    const struct ctl_ops *, void *ctx, char *err, size_t errlen);
/* Close every client and the listener, unlink the socket file. */
void ctl_free(struct ctl *);

/* Push st to every WATCH client (the caller decides it changed). */
void ctl_publish(struct ctl *, const struct status *st);
size_t ctl_clients(const struct ctl *);
size_t ctl_watchers(const struct ctl *);

#endif
