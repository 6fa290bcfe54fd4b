/*
 * link: the one outbound TCP connection to a peer, on which this node
 * writes all its frames to that peer (spec: Transport). Non-blocking
 * connect with a timeout, host names resolved without blocking the loop,
 * bounded output. A frame sent while the link is down is dropped, never
 * queued: a link that comes back starts with a fresh heartbeat, not a
 * replay of stale state. With peer authentication the link is not up
 * before it answered the acceptor's challenge (AUTH_TIMEOUT_MS at most;
 * the challenge may arrive in any number of pieces): frames meanwhile
 * are dropped too.
 *
 * Reconnects wait a jittered delay (half to full) that doubles on each
 * failure, up to a cap that depends on how the attempt failed:
 *  - the TCP connect failed (refused, timed out, no address): the peer is
 *    down, restarting or cut off; cap 2 x hb_interval_ms within
 *    LINK_BACKOFF_MIN_MS..LINK_BACKOFF_MAX_MS, so a restarted peer hears
 *    us within a couple of heartbeats. Such a failure also brings a
 *    longer delay back down. The delay runs from the attempt's start:
 *    a connect that timed out has waited already.
 *  - the peer took the connection, then closed it during the handshake or
 *    before the link was stable: it refuses us (another auth key, auth on
 *    one side only, our frames refused); cap LINK_BACKOFF_REFUSED_MAX_MS,
 *    so such a peer is retried every 5 to 10 s, not 50 times a second.
 * The dialer never sees the acceptor accept KEVYAUTH (the protocol has no
 * ack), so only a link that stayed up for the stability period (below)
 * counts as accepted: its backoff starts over from LINK_BACKOFF_MIN_MS.
 *
 * Logging: one info line per backoff step (the delay changed: reason,
 * attempts failed, next wait), none while it stays at its cap; one when
 * the link becomes stable (with the attempts that failed before). Every
 * state change is a debug line.
 */
#ifndef LINK_H
#define LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_key;
struct config;
struct event_base;
struct evdns_base;
struct link;

/* Unacknowledged data on an up link: down_after, within these bounds. */
#define LINK_UNACKED_TIMEOUT_MIN_MS 100
#define LINK_UNACKED_TIMEOUT_MAX_MS 2000
/*
 * A TCP connect is abandoned after 2 x hb_interval_ms, at least
 * LINK_CONNECT_TIMEOUT_MIN_MS and at most the unacked-data timeout. The
 * kernel resends a lost SYN only after 1 s: during a partition every
 * SYN is lost, and a long attempt would hear a heal only on that resend
 * or its own end (up to down_after plus a backoff step late). A short
 * attempt sends a fresh SYN instead; the retry delay counts from the
 * attempt's start, so a blackholed peer gets one SYN per connect timeout
 * (at most 10 a second), and a heal is heard within about 2 heartbeats.
 * A peer whose connect round trip exceeds it is never reached; a
 * heartbeat interval under half the round trip is a misconfiguration
 * anyway.
 */
#define LINK_CONNECT_TIMEOUT_MIN_MS 100
#define LINK_BACKOFF_MIN_MS     25     /* first reconnect delay */
#define LINK_BACKOFF_MAX_MS     1000   /* connect failures: 2 x hb_interval, at most this */
/*
 * Delay cap for a peer that refuses us (closed during the handshake or
 * before the link was stable). Retrying a misconfigured peer faster
 * gains nothing; at most this long after a fix (the peer's restart
 * brings our delay back down at once) the link is up again, and this is
 * short against the minutes an operator takes to notice and fix it.
 */
#define LINK_BACKOFF_REFUSED_MAX_MS 10000
/*
 * A link up this long counts as accepted and its backoff starts over:
 * down_after_ms, within these bounds. A peer refuses a bad KEVYAUTH or
 * first frame one round trip after it; down_after_ms is the longest
 * round trip we wait for anyway (TCP_USER_TIMEOUT, write timeout), and
 * a peer lost after it is treated as a restart, redialled at once.
 */
#define LINK_STABLE_MIN_MS      100
#define LINK_STABLE_MAX_MS      2000
#define LINK_OUT_MAX            65536  /* bytes queued to a peer: then drop */

enum link_state {
	LINK_RESOLVING = 1,   /* waiting for the name service */
	LINK_CONNECTING,      /* connect() in flight */
	LINK_AUTH,            /* connected, awaiting the peer's challenge */
	LINK_UP,              /* frames flow (stable after LINK_STABLE_*) */
	LINK_BACKOFF,         /* waiting to retry */
};

/* What a link needs, copied at creation. */
struct link_config {
	struct event_base *base;
	struct evdns_base *dns;       /* names resolve without blocking;
	                                 NULL: the peer's host is an IP
	                                 literal (link_needs_dns) */
	const struct config *cfg;     /* members' ids and addresses, node_id;
	                                 outlives the link */
	size_t member;                /* the peer: an index in cfg->members */
	const struct auth_key *auth;  /* NULL: authentication off */
	uint64_t hb_interval_ms;      /* connect timeout, backoff cap */
	uint64_t down_after_ms;       /* write timeouts, stability */
	uint64_t seed;                /* of the jitter's PRNG */
};

/* Its one way into the core. */
struct link_ops {
	/* The link is usable: its first frame should be a fresh heartbeat. */
	void (*up)(void *ctx, size_t member);
};

struct link *link_new(const struct link_config *, const struct link_ops *,
    void *ctx);
void link_free(struct link *);
/* Queue bytes of one frame: false (dropped) unless the link is up. */
bool link_send(struct link *, const uint8_t *buf, size_t len);
enum link_state link_state(const struct link *);
/*
 * Is any peer's election host a name rather than an IP literal? Only then
 * does the daemon need a resolver (evdns reads resolv.conf and the hosts
 * file, and its pages stay resident for good).
 */
bool link_needs_dns(const struct config *);
const char *link_state_name(enum link_state);

#endif
