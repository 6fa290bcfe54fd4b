/*
 * secret: see secret.h. The checks are made on the open descriptor
 * (fstat, not stat then open), so the file judged is the file read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

#define SECRET_MODE_OPEN 0077 /* group and other bits: none allowed */

/* A checked descriptor, or -1 with the reason in err. */
static int
secret_open(const char *label, const char *path, uid_t owner, char *err,
    size_t errlen)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s %s: %s", label, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", label,
		    path);
		close(fd);
		return -1;
	}
	if (sb.st_uid != owner) {
		snprintf(err, errlen, "%s %s: owned by uid %lu, must be owned "
		    "by the daemon's uid %lu", label, path,
		    (unsigned long)sb.st_uid, (unsigned long)owner);
		close(fd);
		return -1;
	}
	if (sb.st_mode & SECRET_MODE_OPEN) {
		snprintf(err, errlen, "%s %s: mode %04o: group or others may "
		    "access it; it must be 0600 or stricter (chmod 600 %s)",
		    label, path, (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	return fd;
}

int
secret_file_read(const char *label, const char *path, uid_t owner,
    unsigned char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
	ssize_t n;
	int fd;

	*len = 0;
	if ((fd = secret_open(label, path, owner, err, errlen)) == -1)
		return -1;
	while (*len < cap && (n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s %s: %s", label, path,
			    strerror(errno));
			explicit_bzero(buf, *len);
			*len = 0;
			close(fd);
			return -1;
		}
		*len += (size_t)n;
	}
	close(fd);
	return 0;
}

int
secret_password_load(const char *label, const char *path, uid_t owner,
    char *out, size_t max, char *err, size_t errlen)
{
	/* Room for the line end and one byte more: "too long" is visible. */
	size_t cap = max + 3, len;
	unsigned char *buf;
	const char *bad = NULL;

	out[0] = '\0';
	if ((buf = malloc(cap)) == NULL) {
		snprintf(err, errlen, "%s %s: out of memory", label, path);
		return -1;
	}
	if (secret_file_read(label, path, owner, buf, cap, &len, err,
	    errlen) == -1) {
		free(buf);
		return -1;
	}
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len == 0)
		bad = "is empty";
	else if (len > max)
		bad = "is too long";
	else if (memchr(buf, '\0', len) != NULL)
		bad = "holds a NUL byte";
	else if (memchr(buf, '\n', len) != NULL ||
	    memchr(buf, '\r', len) != NULL)
		bad = "holds a line break (only one trailing newline is "
		    "allowed)";
	if (bad != NULL)
		snprintf(err, errlen, "%s %s: the password %s; it must be one "
		    "line of 1..%zu bytes (one trailing newline is not "
		    "counted)", label, path, bad, max);
	else {
		memcpy(out, buf, len);
		out[len] = '\0';
	}
	explicit_bzero(buf, cap);
	free(buf);
	return bad != NULL ? -1 : 0;
}
