/*
 * metafile: the POSIX shell around lib/meta.c. It owns every system call
 * on elect.meta and must never leave a half-written elect.meta, never
 * report a save before fsync, and never mistake a damaged file for a
 * fresh node (see metafile.h).
 */
#include "metafile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "meta.h"
#include "util.h"

static int
metafile_path(char *buf, size_t cap, const char *dir, const char *name,
    char *err, size_t errlen)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap) {
		errbuf_set(err, errlen, "%s/%s: path too long", dir, name);
		return -1;
	}
	return 0;
}

/* Read at most cap bytes; *len < cap means the whole file was read. */
static int
metafile_read(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

int
metafile_load(const char *dir, struct elector_saved *out, bool *found,
    char *err, size_t errlen)
{
	char path[PATH_MAX], buf[META_FILE_MAX + 1], why[128];
	struct stat st;
	size_t len;
	int fd, rc = -1;

	*found = false;
	if (metafile_path(path, sizeof path, dir, METAFILE_NAME, err,
	    errlen) == -1)
		return -1;
	/* O_NONBLOCK: a FIFO planted here must not hang the start. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 && errno == ENOENT)
		return 0;
	if (fd == -1) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errbuf_set(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Read one byte past the cap: the size may change under us. */
	if (metafile_read(fd, buf, sizeof buf, &len) == -1) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > META_FILE_MAX) {
		errbuf_set(err, errlen, "%s: over the limit of %d bytes",
		    path, META_FILE_MAX);
		goto out;
	}
	if (meta_parse(buf, len, out, why, sizeof why) == -1) {
		errbuf_set(err, errlen, "%s: %s", path, why);
		goto out;
	}
	*found = true;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* fsync the directory so the rename itself survives a crash. */
static int
metafile_sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fsync(fd) == -1) {
		errbuf_set(err, errlen, "%s: fsync: %s", dir,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
metafile_save(const char *dir, uint64_t epoch, const char *vote,
    char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], buf[META_FILE_MAX + 1];
	const char *what;
	size_t len;
	int fd, saved_errno;

	len = meta_format(epoch, vote, buf, sizeof buf);
	if (len == 0) {
		errbuf_set(err, errlen, "%s/%s: vote is not a valid node id",
		    dir, METAFILE_NAME);
		return -1;
	}
	if (metafile_path(path, sizeof path, dir, METAFILE_NAME, err,
	    errlen) == -1 ||
	    metafile_path(tmp, sizeof tmp, dir, METAFILE_TMP_NAME, err,
	    errlen) == -1)
		return -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, METAFILE_MODE);
	if (fd == -1) {
		errbuf_set(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* A stale temp file keeps its old mode through O_TRUNC; the umask
	 * may narrow a new one. Either way the result is exactly 0600. */
	what = "fchmod";
	if (fchmod(fd, METAFILE_MODE) == -1)
		goto fail_open;
	what = "write";
	if (util_write_all(fd, buf, len) == -1)
		goto fail_open;
	what = "fsync";
	if (fsync(fd) == -1)
		goto fail_open;
	/* close can report a deferred write error (NFS): check it. */
	what = "close";
	if (close(fd) == -1)
		goto fail_closed;
	what = "rename to " METAFILE_NAME;
	if (rename(tmp, path) == -1)
		goto fail_closed;
	return metafile_sync_dir(dir, err, errlen);

fail_open:
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
fail_closed:
	saved_errno = errno;
	/* The old elect.meta was never touched: only the temp file goes. */
	unlink(tmp);
	errbuf_set(err, errlen, "%s: %s: %s", tmp, what,
	    strerror(saved_errno));
	return -1;
}

int
metafile_store_save(void *ctx, uint64_t epoch, const char *vote)
{
	struct metafile_store *st = ctx;

	if (metafile_save(st->dir, epoch, vote, st->last_error,
	    sizeof st->last_error) == -1)
		return -1;
	st->last_error[0] = '\0';
	return 0;
}
