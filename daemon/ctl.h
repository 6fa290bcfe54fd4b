/*
 * ctl: the control socket. A Unix stream socket speaking a line protocol
 * (docs/reference/control-protocol.md): one request line, exactly one reply
 * line, except after WATCH, which turns the connection into a stream of STATUS
 * lines, one per change. Used by the local kevy server and by operators with
 * socat. Nothing a client does can block the loop or grow memory without bound.
 *
 * This is all the daemon sees of it; how ctl.c (listener, admission) and
 * ctl_client.c (one connection) divide the work is their private header,
 * ctl_int.h, which nothing else may include.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_parse.h" /* CTL_LINE_MAX, CTL_ARGS_MAX */
#include "status.h"

struct event_base;

#define CTL_CLIENTS_MAX  4096   /* concurrent control clients, at most */
#define CTL_OUT_HIGH     65536  /* reply bytes queued before we stop reading */
/*
 * A client's output buffer: CTL_OUT_INIT bytes at its first reply,
 * doubled only when a reply does not fit, given back once it drains if
 * it grew past CTL_OUT_KEEP (a STATUS JSON, a backlog).
 */
#define CTL_OUT_INIT     4096   /* bytes */
#define CTL_OUT_KEEP     16384  /* bytes */
#define CTL_WATCH_OUT_MAX 262144 /* bytes queued to a WATCH client: then drop */
#define CTL_IN_HIGH      16384  /* bytes of unparsed input read per client */
#define CTL_ECHO_MAX     64     /* bytes of a bad verb echoed in ERR (escaped) */
#define CTL_WRITE_TIMEOUT_MS 30000 /* no reply byte taken for this long: drop */
#define CTL_ACCEPT_RETRY_MS 1000 /* listener paused on EMFILE: retry after */
/* SWITCHOVER's timeout when none is given, and the longest one taken. */
#define CTL_SWITCHOVER_TIMEOUT_DEFAULT_MS 10000
#define CTL_SWITCHOVER_TIMEOUT_MAX_MS     600000
/* PAUSE's duration when none is given, and the longest: it always ends. */
#define CTL_PAUSE_DEFAULT_S 300
#define CTL_PAUSE_MAX_S     3600

/*
 * What the control socket asks of the daemon, the one seam to it: a verb's
 * handler calls these directly (OFFSET <n>: set_offset). Any of them may
 * call ctl_publish; none may call ctl_free.
 */
struct ctl_ops {
	void (*status)(void *ctx, struct status *out);
	/* NULL, or why the offset is refused (it has another writer). */
	const char *(*set_offset)(void *ctx, uint64_t offset);
	void (*alive)(void *ctx);   /* the local server says it lives */
	/*
	 * Optional: the last snapshot taken, whose watched fields (role,
	 * epoch, primary, quorum, fenced, local, down set) are current; the
	 * cheap answer for the verbs that read only those.
	 */
	const struct status *(*watched)(void *ctx);
	/*
	 * Optional (NULL: the verb answers "ERR ... not available").
	 * SWITCHOVER: 0 once under way (the daemon answers the client later
	 * with ctl_switchover_done), or -1 with the reason in err.
	 */
	int (*switchover)(void *ctx, const char *target, uint64_t timeout_ms,
	    char *err, size_t len);
	/* PAUSE for ms: 0, or -1 with the reason in err. RESUME. */
	int (*pause)(void *ctx, uint64_t ms, char *err, size_t len);
	void (*resume)(void *ctx);
};

/*
 * Who may use the write verbs (OFFSET <n>, ALIVE, SWITCHOVER, PAUSE,
 * RESUME): root, self_uid (the
 * daemon's), and the listed uids and gids, by the client's SO_PEERCRED
 * credentials taken at connect. Everyone who can connect may read.
 */
struct ctl_perm {
	uid_t self_uid;
	const uint32_t *uids;
	size_t n_uids;
	const uint32_t *gids;
	size_t n_gids;
};

struct ctl_config {
	const char *path;
	mode_t mode;
	const char *group;        /* "" or NULL: leave the daemon's group */
	struct ctl_perm perm;     /* copied: the lists must outlive the ctl */
	size_t clients_max;       /* 0: CTL_CLIENTS_MAX; at most that */
};

/* May a client with these credentials write? (uid -1: unknown: no.) */
bool ctl_may_write(const struct ctl_perm *, uid_t uid, gid_t gid);

struct ctl;

/*
 * Bind and listen. A stale socket file (nobody accepting) is replaced; a
 * live daemon answering on it makes this fail with a message in err, and
 * so does any other kind of file at path (it is left alone). The file gets
 * mode and group once bound and is never looser before. The process must
 * ignore SIGPIPE (a client that hangs up must not kill the daemon).
 */
struct ctl *ctl_new(struct event_base *, const struct ctl_config *,
    const struct ctl_ops *, void *ctx, char *err, size_t errlen);
/*
 * Close every client and the listener, unlink the socket file; every
 * client is freed here and now. Not from inside ops.
 */
void ctl_free(struct ctl *);

/*
 * Push st to every WATCH client (the caller decides it changed). The line
 * is formatted once, here, and copied to each watcher's own output; a
 * watcher too far behind is closed. Safe from inside ops: no client is
 * freed before the loop iteration ends.
 */
void ctl_publish(struct ctl *, const struct status *st);
/*
 * The switchover under way ended: line (no "\n") is the reply of the
 * client that asked for it, if it is still there; it then takes requests
 * again. Safe from inside ops.
 */
void ctl_switchover_done(struct ctl *, const char *line);
/* Clients holding a descriptor (a closed one until the iteration ends). */
size_t ctl_clients(const struct ctl *);
size_t ctl_watchers(const struct ctl *);

#endif
