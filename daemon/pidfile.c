/*
 * pidfile: see pidfile.h. flock(2), not fcntl locks: an flock belongs to
 * the open file description, so it survives the fork of daemonizing and
 * the exit of the parent; fcntl locks would stay with the parent.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pidfile.h"

#define PIDFILE_TEXT_MAX 32 /* bytes of a pid file we read back */
#define PIDFILE_TRIES 3     /* opens when the file is replaced under us */

struct pidfile {
	int	 fd;
	char	 path[CONFIG_PATH_MAX + 1];
	dev_t	 dev;          /* the file we locked, so that we remove */
	ino_t	 ino;          /* only that one */
};

/* The holder's pid as its file says, for the message; "?" if unknown. */
static void
holder(int fd, char *out, size_t cap)
{
	char text[PIDFILE_TEXT_MAX];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	size_t len;

	text[n > 0 ? n : 0] = '\0';
	len = strspn(text, "0123456789");
	if (len == 0 || len >= cap)
		snprintf(out, cap, "?");
	else
		snprintf(out, cap, "%.*s", (int)len, text);
}

struct pidfile *
pidfile_take(const char *path, char *err, size_t errlen)
{
	struct pidfile *pf;
	struct stat sb;
	char pid[PIDFILE_TEXT_MAX];

	if ((pf = calloc(1, sizeof *pf)) == NULL) {
		snprintf(err, errlen, "pid_file %s: out of memory", path);
		return NULL;
	}
	snprintf(pf->path, sizeof pf->path, "%s", path);
	for (int tries = 0;; tries++) {
		struct stat now;

		pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    PIDFILE_MODE);
		if (pf->fd == -1) {
			snprintf(err, errlen, "pid_file %s: %s", path,
			    strerror(errno));
			free(pf);
			return NULL;
		}
		if (flock(pf->fd, LOCK_EX | LOCK_NB) == -1 ||
		    tries == PIDFILE_TRIES)
			break;
		/* Locked a file its last holder unlinked meanwhile? Again. */
		if (fstat(pf->fd, &sb) == 0 && stat(path, &now) == 0 &&
		    sb.st_dev == now.st_dev && sb.st_ino == now.st_ino)
			break;
		close(pf->fd);
	}
	if (flock(pf->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			holder(pf->fd, pid, sizeof pid);
			snprintf(err, errlen, "pid_file %s: held by a running "
			    "kevy-electd (pid %s): not starting a second one",
			    path, pid);
		} else
			snprintf(err, errlen, "pid_file %s: lock: %s", path,
			    strerror(errno));
		close(pf->fd);
		free(pf);
		return NULL;
	}
	if (fstat(pf->fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "pid_file %s: not a regular file", path);
		close(pf->fd);
		free(pf);
		return NULL;
	}
	pf->dev = sb.st_dev;
	pf->ino = sb.st_ino;
	return pf;
}

int
pidfile_write(struct pidfile *pf, pid_t pid)
{
	char text[PIDFILE_TEXT_MAX];
	int n = snprintf(text, sizeof text, "%ld\n", (long)pid);

	if (ftruncate(pf->fd, 0) == -1 ||
	    pwrite(pf->fd, text, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void
pidfile_release(struct pidfile *pf)
{
	struct stat sb;

	if (pf == NULL)
		return;
	/* Unlink while still locked: nobody else can have taken it. */
	if (lstat(pf->path, &sb) == 0 && sb.st_dev == pf->dev &&
	    sb.st_ino == pf->ino)
		unlink(pf->path);
	close(pf->fd);
	free(pf);
}

void
pidfile_forget(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	close(pf->fd);
	free(pf);
}
