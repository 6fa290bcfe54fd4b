/*
 * ctl: the control socket's listener and admission. Binds the Unix socket
 * (refusing to start over a live daemon or over a file that is not a
 * socket), gives it its mode and group, accepts clients in bounded
 * batches (acceptor.c) up to its share of the descriptor budget (at most
 * CTL_CLIENTS_MAX) and keeps the list of them; ctl_client.c runs each one.
 * It must never block the loop, never delete a file it did not create and
 * never accept past the cap: at the cap the listener is disabled, and
 * re-enabled when a client leaves; out of descriptors, the acceptor
 * pauses itself for a moment.
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
#include "log.h"

struct ctl {
	struct event_base	*base;
	struct acceptor		*acc;
	size_t			 clients_max;
	bool			 freeing;    /* ctl_free: no resuming */
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;        /* the socket file we made, so */
	ino_t			 ino;        /* we unlink only that one */
	const struct ctl_ops	*ops;
	void			*ctx;
	struct ctl_perm		 perm;
	struct ctl_client_list	 clients;
	size_t			 n_clients;
	uint64_t		 next_id;
	struct status		*snap;       /* big: one, on the heap */
	char			*scratch;    /* STATUS_JSON_MAX bytes */
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
	log_warnx("ctl listener paused reason=%s clients=%zu", reason,
	    ctl->n_clients);
}

static void
listener_resume(struct ctl *ctl)
{
	if (!acceptor_is_paused(ctl->acc) || ctl->freeing ||
	    ctl->n_clients >= ctl->clients_max)
		return;
	acceptor_resume(ctl->acc);
	log_info("ctl listener resumed clients=%zu", ctl->n_clients);
}

static void
on_accept(int fd, const struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct ctl *ctl = arg;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t len = sizeof cred;
	uint64_t id;
	bool may_write;

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
	may_write = ctl_may_write(&ctl->perm, cred.uid, cred.gid);
	if (ctl_client_new(ctl, ctl->base, fd, id, may_write) == NULL) {
		log_warnx("ctl client %" PRIu64 " refused reason=no-memory", id);
		return;
	}
	ctl->n_clients++;
	log_debug("ctl client %" PRIu64 " connect pid=%ld uid=%ld gid=%ld "
	    "write=%s clients=%zu", id, (long)cred.pid, (long)cred.uid,
	    (long)cred.gid, may_write ? "yes" : "no", ctl->n_clients);
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
	log_info("ctl socket path=%s stale=replaced", sun->sun_path);
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
	struct ctl *ctl;
	int fd;

	if ((ctl = calloc(1, sizeof *ctl)) == NULL ||
	    (ctl->snap = calloc(1, sizeof *ctl->snap)) == NULL ||
	    (ctl->scratch = malloc(STATUS_JSON_MAX)) == NULL) {
		snprintf(err, errlen, "control socket: out of memory");
		goto fail;
	}
	ctl->base = base;
	ctl->clients_max = cfg->clients_max > 0 &&
	    cfg->clients_max < CTL_CLIENTS_MAX ? cfg->clients_max :
	    CTL_CLIENTS_MAX;
	ctl->perm = cfg->perm;
	ctl->ops = ops;
	ctl->ctx = ctx;
	TAILQ_INIT(&ctl->clients);
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
	log_info("ctl listening path=%s mode=%04o group=%s", ctl->path,
	    (unsigned)cfg->mode, cfg->group != NULL && cfg->group[0] != '\0' ?
	    cfg->group : "-");
	return ctl;

fail:
	if (ctl != NULL) {
		free(ctl->scratch);
		free(ctl->snap);
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
	while (!TAILQ_EMPTY(&ctl->clients))
		ctl_client_free(TAILQ_FIRST(&ctl->clients), "shutdown");
	acceptor_free(ctl->acc);
	unlink_ours(ctl);
	free(ctl->scratch);
	free(ctl->snap);
	free(ctl);
}

void
ctl_publish(struct ctl *ctl, const struct status *st)
{
	struct ctl_client *c, *next;
	size_t len;

	/* Formatted once, whatever the number of watchers. */
	if ((len = status_format(st, ctl->scratch, STATUS_JSON_MAX)) == 0) {
		log_warnx("ctl publish reason=status-too-long");
		return;
	}
	/* A push may drop (free) that watcher: step before pushing. */
	for (c = TAILQ_FIRST(&ctl->clients); c != NULL; c = next) {
		next = ctl_client_next(c);
		if (ctl_client_is_watching(c))
			ctl_client_push(c, ctl->scratch, len);
	}
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

	for (c = TAILQ_FIRST(&ctl->clients); c != NULL; c = ctl_client_next(c))
		if (ctl_client_is_watching(c))
			n++;
	return n;
}

struct ctl_client_list *
ctl_svc_list(struct ctl *ctl)
{
	return &ctl->clients;
}

void
ctl_svc_client_gone(struct ctl *ctl)
{
	ctl->n_clients--;
	listener_resume(ctl);
}

/*
 * No memset per request (the struct is ~50 KB, most of it peers[] a small
 * cluster never uses): ops->status fills the header and the n_peers peers
 * in use (core_status clears each before filling it), which are all any
 * renderer reads. The snapshot is zeroed once, at allocation.
 */
const struct status *
ctl_svc_watched(struct ctl *ctl)
{
	if (ctl->ops->watched != NULL)
		return ctl->ops->watched(ctl->ctx);
	return ctl_svc_snapshot(ctl);
}

const struct status *
ctl_svc_snapshot(struct ctl *ctl)
{
	ctl->ops->status(ctl->ctx, ctl->snap);
	return ctl->snap;
}

void
ctl_svc_set_offset(struct ctl *ctl, uint64_t offset)
{
	ctl->ops->set_offset(ctl->ctx, offset);
}

void
ctl_svc_alive(struct ctl *ctl)
{
	if (ctl->ops->alive != NULL)
		ctl->ops->alive(ctl->ctx);
}

char *
ctl_svc_scratch(struct ctl *ctl, size_t *cap)
{
	*cap = STATUS_JSON_MAX;
	return ctl->scratch;
}
