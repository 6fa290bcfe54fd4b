/*
 * acceptor: a listening socket that accepts in bounded batches. libevent's
 * evconnlistener accepts until the backlog is empty, so a client that
 * connects and resets as fast as it can keeps the loop inside accept()
 * for as long as it likes: heartbeats, timers and the control socket
 * starve. Here each wakeup takes at most ACCEPTOR_BATCH_MAX connections
 * and returns to the loop; the socket stays readable (level-triggered),
 * so the rest waits one loop iteration behind every other ready event.
 * Out of descriptors, the acceptor pauses for ACCEPTOR_RESUME_MS instead
 * of spinning on a readable socket it cannot serve.
 */
#ifndef ACCEPTOR_H
#define ACCEPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct acceptor;

#define ACCEPTOR_BATCH_MAX    16   /* connections accepted per wakeup */
#define ACCEPTOR_RESUME_MS    100  /* retry accepting after EMFILE/ENFILE */
#define ACCEPTOR_BACKLOG      SOMAXCONN /* listen(2) queue */
#define ACCEPTOR_LOG_INTERVAL_MS 1000 /* one accept-error line per this */

/*
 * A new connection: fd is non-blocking and close-on-exec, and belongs to
 * the callback (close it, or keep it). The callback may pause the acceptor.
 */
typedef void acceptor_cb(int fd, const struct sockaddr *sa, socklen_t salen,
    void *arg);

/* Take over a bound, listening, non-blocking socket fd (closed on free). */
struct acceptor *acceptor_new(struct event_base *, int fd, const char *name,
    acceptor_cb *, void *arg);
/*
 * A TCP socket bound to host:port and listening (SO_REUSEADDR, non-blocking,
 * close-on-exec). Resolves without the loop: call it before the loop runs.
 * The fd, or -1 with a sentence in err.
 */
int acceptor_bind_tcp(const char *host, uint16_t port, char *err,
    size_t errlen);
void acceptor_free(struct acceptor *);
/* Stop accepting; retry_ms > 0 resumes by itself after that long. */
void acceptor_pause(struct acceptor *, uint64_t retry_ms);
void acceptor_resume(struct acceptor *);
bool acceptor_is_paused(const struct acceptor *);

#endif
