/*
 * fdbudget_split: how many descriptors each kind of connection may hold,
 * out of a given RLIMIT_NOFILE (pure: the limit comes in as an argument;
 * daemon/fdbudget.c reads and raises the real one). A fixed reserve is
 * never given to clients: without it a flood of accepted sockets could
 * leave no descriptor for an elect.meta save (a vote that cannot be
 * persisted is not sent), an outbound peer link, the notify socket or a
 * hook's pipes. What is left is shared: half for election connections, a
 * quarter for control clients, the rest for HTTP, each capped by its own
 * maximum.
 */
#ifndef FDBUDGET_SPLIT_H
#define FDBUDGET_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Descriptors kept back, beyond one per outbound peer link: stdio, the
 * log, epoll, libevent's signal and wakeup pipes, evdns, the election,
 * control and HTTP listeners, the notify socket, an elect.meta save (file
 * and directory), a hook run (three pipes), the local server connection.
 */
#define FDBUDGET_RESERVED      32
#define FDBUDGET_INBOUND_MIN   8    /* election connections, at least */
#define FDBUDGET_CTL_MIN       4    /* control clients, at least */
#define FDBUDGET_HTTP_MIN      2    /* HTTP connections, at least */

struct fdbudget {
	uint64_t limit;           /* RLIMIT_NOFILE (soft) in force */
	size_t inbound;           /* election connections at once */
	size_t ctl;               /* control clients at once */
	size_t http;              /* HTTP connections at once */
};

/*
 * Split limit descriptors for a cluster of n_members, each kind capped by
 * its own maximum in max (pure). -1 when the
 * limit cannot hold the reserve and the minimums: *need says how many.
 */
int fdbudget_split(uint64_t limit, size_t n_members,
    const struct fdbudget *max, struct fdbudget *, uint64_t *need);

/* The least RLIMIT_NOFILE a cluster of n_members can run under. */
uint64_t fdbudget_need(size_t n_members);

#endif
