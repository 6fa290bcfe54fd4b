/*
 * notify: the service manager's readiness protocol (sd_notify), spoken
 * directly: one datagram of "KEY=value\n" lines to $NOTIFY_SOCKET. A
 * no-op when the variable is unset. Tests point NOTIFY_SOCKET at a socket
 * of their own and await READY=1 instead of polling.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#define NOTIFY_MSG_MAX 512 /* bytes in one notification */

/* Send msg (e.g. "READY=1\nSTATUS=..."); 0, or -1 on failure. */
int notify_send(const char *msg);
bool notify_enabled(void);
/*
 * The watchdog interval the manager asked for (WATCHDOG_USEC, for this
 * process if WATCHDOG_PID is set), in microseconds; 0 when none.
 */
uint64_t notify_watchdog_usec(void);

struct change;
struct status;
/* STATUS=role=... epoch=... primary=...: what systemctl status shows. */
void notify_status(const struct status *);
/* change_fn: a new STATUS= whenever role, epoch or primary moved. */
void notify_on_change(void *ctx, const struct change *);

#endif
