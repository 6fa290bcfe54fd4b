/*
 * http: the optional monitoring endpoint (http_listen), on libevent's
 * evhttp. GET /metrics: Prometheus text exposition (version 0.0.4) of
 * role, epoch, quorum, fencing, per-peer state, elections, votes, frames
 * by verb, decode errors, control clients, persistence saves and
 * failures. GET /health, /primary (= /leader, /read-write), /replica,
 * /read-only, /liveness, /readiness: 200 or 503 with a one-line body, as
 * Patroni answers them, so HAProxy or a load balancer can route to the
 * writable node. GET /cluster: the CLUSTER table as JSON. Anything else:
 * 404; methods other than GET/HEAD: 405. Bounded: request size and
 * connection count are capped.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

struct electd;
struct http;

#define HTTP_CONNS_MAX      256   /* concurrent HTTP connections */
#define HTTP_HEADERS_MAX    8192  /* bytes of request line + headers */
#define HTTP_BODY_MAX       0     /* request bodies refused */
#define HTTP_TIMEOUT_S      10    /* idle connection dropped after */
#define HTTP_ACCEPT_RETRY_MS 1000 /* listener paused on EMFILE: retry after */

/*
 * HTTP_CONNS_MAX is enforced by evhttp_set_max_connections, which exists
 * from libevent 2.2 on. libevent 2.1 offers no public hook to count or
 * refuse server connections, so there the count is bounded by what the
 * process may open (RLIMIT_NOFILE) and by HTTP_TIMEOUT_S, which drops any
 * connection idle that long (one trickling a request too); running out
 * of descriptors pauses the listener for HTTP_ACCEPT_RETRY_MS instead of
 * spinning. Bind http_listen to loopback or a monitoring network.
 *
 * Status codes: /health and /liveness 200 whenever the daemon answers
 * (Patroni: the process runs; role does not matter). /primary, /leader,
 * /read-write 200 only on a primary that holds its lease (writable), else
 * 503. /replica 200 only on a replica that knows a primary and has
 * quorum, else 503. /read-only 200 on a healthy replica or unfenced
 * primary (quorum, a primary known, the local server not down), else
 * 503. /readiness 200 once the node has quorum and knows a primary, else
 * 503. /cluster 200 (500 should the table not fit). Unknown path
 * 404; a method other than GET or HEAD 405 (with Allow); HEAD answers the
 * status and headers of GET without the body. The query string is
 * ignored. Metric names and types: docs/reference/monitoring.md.
 */

/* Bind http_listen and serve; NULL with a message in err on failure. */
struct http *http_new(struct electd *, char *err, size_t errlen);
/* Close the listener and every connection; NULL is fine. */
void http_free(struct http *);

#endif
