/*
 * keygen: see keygen.h. It must never overwrite a file (O_EXCL, and
 * O_NOFOLLOW so a planted symlink is not followed either), never leave a
 * key readable by others even for an instant (created 0600, then fchmod
 * to exactly that whatever the umask), and never leave the key's bytes in
 * memory it gives back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keygen.h"
#include "util.h"

_Static_assert(KEYGEN_TEXT_LEN >= AUTH_KEY_MIN &&
    KEYGEN_TEXT_LEN <= AUTH_KEY_MAX, "a generated key must fit the loader");

static int
fill_random(unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	/* Flags 0: blocks only until the pool is first seeded, then never. */
	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* KEYGEN_TEXT_LEN hex digits and "\n" into text; 0 or -1 (errno). */
static int
make_text(char text[KEYGEN_TEXT_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char r[KEYGEN_RANDOM_BYTES];

	if (fill_random(r, sizeof r) == -1)
		return -1;
	for (size_t i = 0; i < sizeof r; i++) {
		text[2 * i] = digits[r[i] >> 4];
		text[2 * i + 1] = digits[r[i] & 15];
	}
	text[KEYGEN_TEXT_LEN] = '\n';
	explicit_bzero(r, sizeof r);
	return 0;
}

/* Create path exclusively and write text; the file is gone on failure. */
static int
write_file(const char *path, const char *text, size_t len, char *err,
    size_t errlen)
{
	const char *what = "fchmod";
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, KEYGEN_MODE);
	if (fd == -1 && errno == EEXIST) {
		snprintf(err, errlen, "%s exists; not overwriting it (a peer "
		    "key is replaced on every node at once: remove the old one "
		    "first)", path);
		return -1;
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, KEYGEN_MODE) == -1)
		goto fail;
	what = "write";
	if (util_write_all(fd, text, len) == -1)
		goto fail;
	what = "fsync";
	if (fsync(fd) == -1)
		goto fail;
	what = "close";
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(path);
	snprintf(err, errlen, "%s: %s: %s", path, what, strerror(e));
	return -1;
}

int
keygen_write(const char *path, char *err, size_t errlen)
{
	char text[KEYGEN_TEXT_LEN + 1];
	struct auth_key check;
	int rc = -1;

	if (make_text(text) == -1) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	if (strcmp(path, KEYGEN_STDOUT) == 0) {
		if (util_write_all(STDOUT_FILENO, text, sizeof text) == -1)
			snprintf(err, errlen, "standard output: %s",
			    strerror(errno));
		else
			rc = 0;
		goto out;
	}
	if (write_file(path, text, sizeof text, err, errlen) == -1)
		goto out;
	/* What the daemon will do with it: a key it refuses is no key. */
	if (auth_key_load(path, geteuid(), &check, err, errlen) == -1) {
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(text, sizeof text);
	explicit_bzero(&check, sizeof check);
	return rc;
}
