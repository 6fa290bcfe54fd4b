/*
 * ctl: the control socket's listener and admission. Binds the Unix socket
 * (refusing to start over a live daemon or over a file that is not a
 * socket), gives it its mode and group, accepts clients in bounded
 * batches (acceptor.c) up to its share of the descriptor budget (at most
 * CTL_CLIENTS_MAX), keeps the lists of them, formats each WATCH line once
 * for all watchers, and frees closed clients at the end of the loop
 * iteration (the reaper; the rule is in ctl_int.h). ctl_client.c runs
 * each client. It must never block the loop, never delete a file it did
 * not create, never accept past the cap (at the cap the listener is
 * disabled, and re-enabled when a client is freed; out of descriptors,
 * the acceptor pauses itself for a moment) and never free a client
 * anywhere but in the reaper and ctl_free.
 */
#define _GNU_SOURCE /* struct ucred: who connected, and may it write */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acceptor.h"
#include "ctl.h"
#include "ctl_int.h"
#include "log.h"

struct ctl {
	struct acceptor		*acc;
	size_t			 clients_max;
	bool			 freeing;    /* ctl_free: no resuming */
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;        /* the socket file we made, so */
	ino_t			 ino;        /* we unlink only that one */
	struct ctl_perm		 perm;
	struct ctl_shared	 sh;         /* ops, snapshot, lists, reaper */
	size_t			 n_clients;  /* live and dead: descriptors */
	uint64_t		 next_id;
};

bool
ctl_may_write(const struct ctl_perm *p, uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1)
		return false;
	if (uid == 0 || uid == p->self_uid)
		return true;
	for (size_t i = 0; i < p->n_uids; i++)
		if (p->uids[i] == (uint32_t)uid)
			return true;
	for (size_t i = 0; gid != (gid_t)-1 && i < p->n_gids; i++)
		if (p->gids[i] == (uint32_t)gid)
			return true;
	return false;
}

static void
listener_pause(struct ctl *ctl, const char *reason)
{
	if (acceptor_is_paused(ctl->acc))
		return;
	acceptor_pause(ctl->acc, 0);
	log_warnx("event=ctl_listener_paused reason=%s clients=%zu", reason,
	    ctl->n_clients);
}

static void
listener_resume(struct ctl *ctl)
{
	if (!acceptor_is_paused(ctl->acc) || ctl->freeing ||
	    ctl->n_clients >= ctl->clients_max)
		return;
	acceptor_resume(ctl->acc);
	log_info("event=ctl_listener_resumed clients=%zu", ctl->n_clients);
}

/*
 * The end of a loop iteration for the clients killed in it: free them
 * (their descriptors with them) and let the listener take more.
 */
static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *ctl = arg;

	(void)fd, (void)what;
	while (!TAILQ_EMPTY(&ctl->sh.dead)) {
		ctl_client_free(TAILQ_FIRST(&ctl->sh.dead));
		ctl->n_clients--;
	}
	listener_resume(ctl);
}

static void
on_accept(int fd, const struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct ctl *ctl = arg;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t len = sizeof cred;
	struct ctl_cred who;
	uint64_t id;

	(void)sa;
	(void)salen;
	/* A batch may hold more than the room left: the cap is hard. */
	if (ctl->n_clients >= ctl->clients_max) {
		close(fd);
		listener_pause(ctl, "clients-max");
		return;
	}
	id = ++ctl->next_id;
	/* Unknown credentials: may read, never write. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		cred.pid = 0;
		cred.uid = (uid_t)-1;
		cred.gid = (gid_t)-1;
	}
	who.pid = (long)cred.pid;
	who.uid = cred.uid == (uid_t)-1 ? -1 : (long)cred.uid;
	who.gid = cred.gid == (gid_t)-1 ? -1 : (long)cred.gid;
	who.may_write = ctl_may_write(&ctl->perm, cred.uid, cred.gid);
	if (ctl_client_new(&ctl->sh, fd, id, &who) == NULL) {
		log_warnx("event=ctl_client_refused client=%" PRIu64
		    " reason=no_memory", id);
		return;
	}
	ctl->n_clients++;
	log_debug("event=ctl_client_connected client=%" PRIu64 " pid=%ld "
	    "uid=%ld gid=%ld write=%s clients=%zu", id, who.pid, who.uid, who.gid,
	    who.may_write ? "yes" : "no", ctl->n_clients);
	if (ctl->n_clients >= ctl->clients_max)
		listener_pause(ctl, "clients-max");
}

/*
 * Is somebody serving path? 1 yes, 0 no (stale or gone), -1 cannot tell
 * (err filled). Non-blocking, so a live daemon with a full backlog counts
 * as live instead of hanging us.
 */
static int
is_live(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	if (r == 0 || errno == EAGAIN || errno == EINPROGRESS)
		r = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		r = 0;
	else {
		snprintf(err, errlen, "%s: connect: %s", sun->sun_path,
		    strerror(errno));
		r = -1;
	}
	close(fd);
	return r;
}

/* Clear the way for bind: 0, or -1 with err filled. */
static int
clear_path(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	char q[LOG_QUOTE_MAX(sizeof(((struct sockaddr_un *)0)->sun_path))];
	struct stat sb;

	if (lstat(sun->sun_path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", sun->sun_path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; not "
		    "touching it", sun->sun_path);
		return -1;
	}
	switch (is_live(sun, err, errlen)) {
	case 1:
		snprintf(err, errlen, "another kevy-electd is listening on %s",
		    sun->sun_path);
		return -1;
	case 0:
		break;
	default:
		return -1;
	}
	if (unlink(sun->sun_path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: unlink stale socket: %s",
		    sun->sun_path, strerror(errno));
		return -1;
	}
	log_info("event=ctl_stale_socket_replaced path=%s",
	    LOG_Q(q, sun->sun_path));
	return 0;
}

/* Bound, owned and moded socket, not yet listening; -1 with err filled. */
static int
bind_socket(struct ctl *ctl, const struct ctl_config *cfg, char *err,
    size_t errlen)
{
	struct sockaddr_un sun;
	struct group *gr = NULL;
	struct stat sb;
	mode_t old;
	int fd, r;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (cfg->path == NULL || cfg->path[0] == '\0' ||
	    strlen(cfg->path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "control socket path empty or longer "
		    "than %zu bytes", sizeof sun.sun_path - 1);
		return -1;
	}
	memcpy(sun.sun_path, cfg->path, strlen(cfg->path));
	/* Resolve the group first: an unknown one must not leave a file. */
	if (cfg->group != NULL && cfg->group[0] != '\0' &&
	    (gr = getgrnam(cfg->group)) == NULL) {
		snprintf(err, errlen, "control socket group '%s' unknown",
		    cfg->group);
		return -1;
	}
	if (clear_path(&sun, err, errlen) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Born owner-only: never looser than asked, even for an instant. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (r == -1) {
		snprintf(err, errlen, "%s: bind: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	/* Group before mode, so group access is granted to the right group. */
	if ((gr != NULL && chown(sun.sun_path, (uid_t)-1, gr->gr_gid) == -1) ||
	    chmod(sun.sun_path, cfg->mode) == -1 ||
	    lstat(sun.sun_path, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", sun.sun_path, strerror(errno));
		unlink(sun.sun_path);
		close(fd);
		return -1;
	}
	memcpy(ctl->path, sun.sun_path, sizeof ctl->path);
	ctl->dev = sb.st_dev;
	ctl->ino = sb.st_ino;
	return fd;
}

/* Unlink the socket file only if it is still the one we bound. */
static void
unlink_ours(const struct ctl *ctl)
{
	struct stat sb;

	if (ctl->path[0] == '\0' || lstat(ctl->path, &sb) == -1)
		return;
	if (sb.st_dev == ctl->dev && sb.st_ino == ctl->ino)
		unlink(ctl->path);
}

struct ctl *
ctl_new(struct event_base *base, const struct ctl_config *cfg,
    const struct ctl_ops *ops, void *ctx, char *err, size_t errlen)
{
	char q[LOG_QUOTE_MAX(sizeof(((struct sockaddr_un *)0)->sun_path))], qg[LOG_VALUE_MAX];
	struct ctl *ctl;
	int fd;

	/*
	 * The snapshots are not zeroed: ops->status fills all a renderer or
	 * status_is_same reads (fresh_status, ctl_client.c), and the peers a
	 * small cluster never uses stay untouched, never resident.
	 */
	if ((ctl = calloc(1, sizeof *ctl)) == NULL ||
	    (ctl->sh.snap = malloc(sizeof *ctl->sh.snap)) == NULL ||
	    (ctl->sh.line_of = malloc(sizeof *ctl->sh.line_of)) == NULL ||
	    (ctl->sh.reaper = event_new(base, -1, 0, reap, ctl)) == NULL) {
		snprintf(err, errlen, "control socket: out of memory");
		goto fail;
	}
	ctl->clients_max = cfg->clients_max > 0 &&
	    cfg->clients_max < CTL_CLIENTS_MAX ? cfg->clients_max :
	    CTL_CLIENTS_MAX;
	ctl->perm = cfg->perm;
	ctl->sh.base = base;
	ctl->sh.ops = ops;
	ctl->sh.ctx = ctx;
	TAILQ_INIT(&ctl->sh.live);
	TAILQ_INIT(&ctl->sh.dead);
	if ((fd = bind_socket(ctl, cfg, err, errlen)) == -1)
		goto fail;
	if (listen(fd, ACCEPTOR_BACKLOG) == -1 ||
	    (ctl->acc = acceptor_new(base, fd, "ctl", on_accept, ctl)) ==
	    NULL) {
		snprintf(err, errlen, "%s: listen: %s", ctl->path,
		    strerror(errno));
		close(fd);
		unlink_ours(ctl);
		goto fail;
	}
	log_info("event=ctl_listening path=%s mode=%04o group=%s",
	    LOG_Q(q, ctl->path), (unsigned)cfg->mode,
	    cfg->group != NULL && cfg->group[0] != '\0' ?
	    LOG_Q(qg, cfg->group) : "-");
	return ctl;

fail:
	if (ctl != NULL) {
		if (ctl->sh.reaper != NULL)
			event_free(ctl->sh.reaper);
		free(ctl->sh.snap);
		free(ctl->sh.line_of);
		free(ctl);
	}
	return NULL;
}

void
ctl_free(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	ctl->freeing = true;
	while (!TAILQ_EMPTY(&ctl->sh.live))
		ctl_client_kill(TAILQ_FIRST(&ctl->sh.live), "shutdown");
	reap(-1, 0, ctl);
	event_free(ctl->sh.reaper);
	acceptor_free(ctl->acc);
	unlink_ours(ctl);
	free(ctl->sh.snap);
	free(ctl->sh.line_of);
	free(ctl->sh.line);
	free(ctl);
}

void
ctl_publish(struct ctl *ctl, const struct status *st)
{
	struct ctl_client *c, *next;
	char line[STATUS_LINE_MAX];   /* this call's alone */
	size_t len;

	/* Formatted once, whatever the number of watchers. */
	if ((len = status_format(st, line, sizeof line)) == 0) {
		log_warnx("event=ctl_publish_failed reason=status_too_long");
		return;
	}
	/* A push may kill that watcher, which leaves live: step first. */
	for (c = TAILQ_FIRST(&ctl->sh.live); c != NULL; c = next) {
		next = ctl_client_next(c);
		if (ctl_client_is_watching(c))
			ctl_client_push(c, line, len);
	}
}

void
ctl_switchover_done(struct ctl *ctl, const char *line)
{
	struct ctl_client *c = ctl->sh.waiter;

	ctl->sh.waiter = NULL;
	if (c != NULL)
		ctl_client_answer(c, line);
}

size_t
ctl_clients(const struct ctl *ctl)
{
	return ctl->n_clients;
}

size_t
ctl_watchers(const struct ctl *ctl)
{
	const struct ctl_client *c;
	size_t n = 0;

	for (c = TAILQ_FIRST(&ctl->sh.live); c != NULL;
	    c = ctl_client_next(c))
		if (ctl_client_is_watching(c))
			n++;
	return n;
}
