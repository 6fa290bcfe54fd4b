/*
 * notify: see notify.h. The datagram is sent non-blocking: a manager that
 * does not read must never stall the daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "change.h"
#include "log.h"
#include "notify.h"
#include "num.h"

bool
notify_enabled(void)
{
	const char *p = getenv("NOTIFY_SOCKET");

	return p != NULL && (p[0] == '/' || p[0] == '@');
}

uint64_t
notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	if (usec == NULL || num_parse_u64(usec, strlen(usec), &v) == -1)
		return 0;
	/* Meant for another process (we were exec'd by a wrapper). */
	if (pid != NULL && (num_parse_u64(pid, strlen(pid), &p) == -1 ||
	    p != (uint64_t)getpid()))
		return 0;
	return v;
}

int
notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	size_t plen;
	socklen_t slen;
	ssize_t n;
	int fd;

	if (!notify_enabled())
		return 0;
	plen = strlen(path);
	if (plen >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	/* "@name" is a Linux abstract socket: a leading NUL, no terminator. */
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    slen);
	close(fd);
	return n == (ssize_t)strlen(msg) ? 0 : -1;
}

void
notify_status(const struct status *st)
{
	char msg[NOTIFY_MSG_MAX];

	snprintf(msg, sizeof(msg), "STATUS=role=%s epoch=%" PRIu64
	    " primary=%s", wire_role_label(st->role), st->epoch,
	    st->primary[0] ? st->primary : "none");
	if (notify_send(msg) == -1)
		log_warn("event=notify_failed message=STATUS");
}

void
notify_on_change(void *ctx, const struct change *ch)
{
	(void)ctx;
	if (ch->moved)
		notify_status(ch->now);
}
