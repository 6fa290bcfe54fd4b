/*
 * link: the one outbound TCP connection to a peer, on which this node
 * writes all its frames to that peer (spec: Transport). Non-blocking
 * connect with a timeout, capped and jittered reconnect backoff, host
 * names resolved without blocking the loop, bounded output. A frame sent
 * while the link is down is dropped, never queued: a link that comes back
 * starts with a fresh heartbeat, not a replay of stale state. With peer
 * authentication the link is not up before it answered the acceptor's
 * challenge (AUTH_TIMEOUT_MS at most): frames meanwhile are dropped too.
 */
#ifndef LINK_H
#define LINK_H

#include <stddef.h>
#include <stdint.h>

struct electd;
struct link;

#define LINK_CONNECT_TIMEOUT_MS 2000   /* connect / unacked-data timeout: */
#define LINK_CONNECT_TIMEOUT_MIN_MS 100 /* down_after, within these bounds */
#define LINK_BACKOFF_MIN_MS     25     /* first reconnect delay */
#define LINK_BACKOFF_MAX_MS     1000   /* reconnect delay cap: 2 x hb_interval, at most this */
#define LINK_OUT_MAX            65536  /* bytes queued to a peer: then drop */

enum link_state {
	LINK_RESOLVING = 1,   /* waiting for the name service */
	LINK_CONNECTING,      /* connect() in flight */
	LINK_AUTH,            /* connected, awaiting the peer's challenge */
	LINK_UP,              /* frames flow */
	LINK_BACKOFF,         /* waiting to retry */
};

struct link *link_new(struct electd *, size_t member);
void link_free(struct link *);
/* Queue bytes of one frame; dropped (and counted) unless the link is up. */
void link_send(struct link *, const uint8_t *buf, size_t len);
enum link_state link_state(const struct link *);
const char *link_state_name(enum link_state);

#endif
