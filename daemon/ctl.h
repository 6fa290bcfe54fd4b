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
#include <sys/queue.h>
#include <sys/types.h>

#include "ctl_parse.h" /* CTL_LINE_MAX, CTL_ARGS_MAX */
#include "status.h"

struct event_base;

#define CTL_CLIENTS_MAX  4096   /* concurrent control clients, at most */
#define CTL_OUT_HIGH     65536  /* reply bytes queued before we stop reading */
#define CTL_WATCH_OUT_MAX 262144 /* bytes queued to a WATCH client: then drop */
#define CTL_IN_HIGH      16384  /* bytes of unparsed input read per client */
#define CTL_ECHO_MAX     64     /* bytes of a bad verb echoed in ERR (escaped) */
#define CTL_WRITE_TIMEOUT_MS 30000 /* no reply byte taken for this long: drop */
#define CTL_ACCEPT_RETRY_MS 1000 /* listener paused on EMFILE: retry after */

/*
 * What the control socket asks of the daemon. Both may call ctl_publish;
 * neither may call ctl_free.
 */
struct ctl_ops {
	void (*status)(void *ctx, struct status *out);
	void (*set_offset)(void *ctx, uint64_t offset);
	void (*alive)(void *ctx);   /* the local server says it lives */
	/*
	 * Optional: the last snapshot taken, whose watched fields (role,
	 * epoch, primary, quorum, fenced, local, down set) are current; the
	 * cheap answer for the verbs that read only those.
	 */
	const struct status *(*watched)(void *ctx);
};

/*
 * Who may use the write verbs (OFFSET <n>, ALIVE): root, self_uid (the
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
/* Close every client and the listener, unlink the socket file. */
void ctl_free(struct ctl *);

/* Push st to every WATCH client (the caller decides it changed). */
void ctl_publish(struct ctl *, const struct status *st);
size_t ctl_clients(const struct ctl *);
size_t ctl_watchers(const struct ctl *);

/*
 * Internal: the seam between ctl.c (listener, admission, the client list)
 * and ctl_client.c (one connection). Not for the rest of the daemon.
 */
struct ctl_client;
TAILQ_HEAD(ctl_client_list, ctl_client);

/* Adopt fd (closed on failure) and join the list; NULL on failure. */
struct ctl_client *ctl_client_new(struct ctl *, struct event_base *, int fd,
    uint64_t id, bool may_write);
/* Close now, whatever is queued; reason goes to the log. */
void ctl_client_free(struct ctl_client *, const char *reason);
struct ctl_client *ctl_client_next(const struct ctl_client *);
bool ctl_client_is_watching(const struct ctl_client *);
/* Queue one STATUS line to a watcher; drops it past CTL_WATCH_OUT_MAX. */
void ctl_client_push(struct ctl_client *, const char *line, size_t len);

/* Services ctl.c gives its clients (ctl_svc_: apart from the daemon's names). */
struct ctl_client_list *ctl_svc_list(struct ctl *);
void ctl_svc_client_gone(struct ctl *);          /* one left the list */
const struct status *ctl_svc_snapshot(struct ctl *);
const struct status *ctl_svc_watched(struct ctl *);
void ctl_svc_set_offset(struct ctl *, uint64_t);
void ctl_svc_alive(struct ctl *);
char *ctl_svc_scratch(struct ctl *, size_t *cap); /* STATUS_JSON_MAX bytes */

#endif
