/*
 * http: the optional monitoring endpoint (http_listen), on libevent's
 * evhttp. GET /metrics: Prometheus text exposition (version 0.0.4) of
 * role, epoch, quorum, fencing, per-peer state, elections, votes, frames
 * by verb, decode errors, control clients, persistence saves and
 * failures. GET /health, /primary, /replica: 200 or 503 with a one-line
 * body, as Patroni answers them, so HAProxy or a load balancer can route
 * to the writable node. Anything else: 404; methods other than GET/HEAD:
 * 405. Bounded: request size and connection count are capped.
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

struct http *http_new(struct electd *, char *err, size_t errlen);
void http_free(struct http *);

#endif
