/*
 * redis: real redis-server processes for the server adapter's tests, on
 * loopback ports in a directory of the test's own (no persistence), and
 * a tiny blocking RESP client to ask them things (INFO replication,
 * SET). Waits are bounded polls of the server's own answers.
 */
#ifndef REDIS_H
#define REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REDIS_START_MS  10000   /* bound on a server answering PING */
#define REDIS_REPLY_MAX 16384   /* bytes of one reply kept */

/* Is redis-server installed? (Tests skip, loudly, when it is not.) */
bool redis_available(void);
/*
 * Start redis-server on 127.0.0.1:port in dir; its pid, or -1. Full
 * syncs start at once (repl-diskless-sync-delay 0: Redis 7 waits 5 s by
 * default for more replicas to share one).
 */
pid_t redis_start(uint16_t port, const char *dir);
/* The same with more arguments (NULL-terminated), e.g. --requirepass x. */
pid_t redis_start_with(uint16_t port, const char *dir,
    const char *const *extra);
void redis_kill(pid_t);
/*
 * One command (argv, NULL-terminated) on a fresh connection; the reply's
 * text into out ("+OK" as "OK", "-ERR x" as "-ERR x", a bulk as its
 * bytes, an integer as digits). 0, or -1 if no reply came in timeout_ms.
 */
int redis_cmd(uint16_t port, char *out, size_t cap, uint64_t timeout_ms,
    const char *const *argv);
/*
 * Send one command and leave its connection open, the reply unread (a
 * command that blocks, or waits out a CLIENT PAUSE, still runs): the
 * descriptor to close, or -1.
 */
int redis_send(uint16_t port, const char *const *argv);
/* The value of field in the server's INFO replication ("" if absent). */
void redis_info(uint16_t port, const char *field, char *out, size_t cap);

#endif
