/*
 * conn: kevy-electctl's one connection to a daemon's control socket
 * (docs/reference/control-protocol.md): connect, send one request line,
 * read reply lines, each step bounded by a deadline. Blocking calls only
 * ever wait in connect (bounded by SO_SNDTIMEO) or in poll(), so a daemon
 * that accepts and never answers costs a timeout, never a hang; a reply
 * longer than CONN_REPLY_MAX is refused, never buffered without end.
 */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* The longest reply line read, "\n" included: a CLUSTER or STATUS JSON. */
#define CONN_REPLY_MAX (STATUS_CLUSTER_MAX > STATUS_JSON_MAX ? \
    STATUS_CLUSTER_MAX : STATUS_JSON_MAX)

enum conn_result {
	CONN_OK = 0,
	CONN_TIMEOUT,       /* the deadline passed */
	CONN_CLOSED,        /* the daemon closed the connection */
	CONN_ERROR,         /* a socket error (errno in conn_error) */
	CONN_TOO_LONG,      /* a reply line over CONN_REPLY_MAX */
	CONN_INTERRUPTED,   /* a signal asked us to stop (watch) */
};

struct conn;

/*
 * Connect to path within timeout_ms. NULL with a sentence in err on
 * failure (no such socket, refused, permission, timeout).
 */
struct conn *conn_open(const char *path, uint64_t timeout_ms, char *err,
    size_t errlen);
void conn_close(struct conn *);

/* Send line (no "\n" in it; one is added). */
enum conn_result conn_send(struct conn *, const char *line,
    uint64_t timeout_ms);
/*
 * The next reply line, without its "\n" (valid until the next call), in
 * *line. timeout_ms 0: no deadline (watch). *stop, when not NULL, is
 * checked whenever a signal interrupts the wait.
 */
enum conn_result conn_read_line(struct conn *, uint64_t timeout_ms,
    volatile const int *stop, char **line, size_t *len);
/* What failed, for messages: strerror of the last socket error. */
const char *conn_error(const struct conn *);
/* Milliseconds on the monotonic clock. */
uint64_t conn_now_ms(void);

#endif
