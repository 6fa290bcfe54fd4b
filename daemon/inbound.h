/*
 * inbound: the election listener and the connections peers dial to us.
 * We only read on them (spec: Transport), except for the one challenge
 * of peer authentication. Each connection decodes frames with
 * wire_decode; a bad frame, a sender that is not a member (or is us), a
 * sender that changes on one connection, a flood, or no valid frame in
 * time closes it. Every such close is
 * counted (struct electd_counters) and logged at most once per
 * INBOUND_LOG_INTERVAL_MS per reason, with the number of lines skipped.
 */
#ifndef INBOUND_H
#define INBOUND_H

#include <stddef.h>

#include <stdint.h>

#include "elector.h"
#include "wire.h"

struct auth_key;
struct config;
struct event_base;
struct inbound_listener;

/*
 * Accepted election connections at once, at most: the descriptor budget
 * (fdbudget.h) may allow fewer under a low RLIMIT_NOFILE.
 */
#define INBOUND_CONNS_MAX  1024
/* Connections one member may hold at once: the newest wins. */
#define INBOUND_PER_MEMBER_MAX 2
#define INBOUND_READ_MAX   (4 * 1024) /* bytes buffered from one peer */
#define INBOUND_LOG_INTERVAL_MS 1000 /* one warning per reason per this */
/*
 * Frames (and filler) a connection may send per second: this plus twice
 * the heartbeat rate (2 x 1000 / hb_interval_ms), in bursts of up to
 * INBOUND_FRAMES_BURST. A real peer sends one HB per interval and a few
 * frames per election; over the limit the connection is closed. A
 * backlog is not a flood: the burst covers the 256 frames the reference
 * queues for an unreachable peer and sends at once on reconnect, and a
 * quiet gap (our own pause: the peer's frames wait in the socket) earns
 * the rate's worth of frames for up to INBOUND_BACKLOG_CREDIT_MS of it.
 */
#define INBOUND_FRAMES_PER_S  100
#define INBOUND_FRAMES_BURST  (256 + 64)
#define INBOUND_BACKLOG_CREDIT_MS 60000
/*
 * A connection that has not sent a valid frame (or, with authentication,
 * a valid KEVYAUTH within AUTH_TIMEOUT_MS) after this many down_after_ms
 * is closed. A real peer sends its heartbeat at once; one silent that
 * long is counted down anyway, so nothing is lost by closing it.
 */
#define INBOUND_HELLO_DOWN_AFTERS 2
/*
 * An identified connection with no valid frame for this many down_after_ms
 * is closed: the peer counts as down by then anyway, and a live one that
 * redials is let in at once. Bytes that are not frames keep nothing open.
 */
#define INBOUND_IDLE_DOWN_AFTERS 3

/* What the listener needs, copied at creation. */
struct inbound_config {
	struct event_base *base;
	const struct config *cfg;     /* listen, members, self, node_id,
	                                 peer_source_check; outlives it */
	const struct auth_key *auth;  /* NULL: authentication off */
	uint64_t hb_interval_ms;      /* for the frame rate limit */
	uint64_t down_after_ms;       /* for the hello and idle timeouts */
	size_t cap;                   /* connections at once (fdbudget) */
};

/* Its one way into the core. */
struct inbound_ops {
	/*
	 * A decoded frame from member: the connection is bound to it (its
	 * id checked, the first frame fixed it). The verdict is only
	 * informative: a held frame keeps its connection.
	 */
	enum elector_verdict (*frame)(void *ctx, size_t member,
	    const struct wire_frame *);
	/*
	 * An empty array once the connection is bound (by AUTH or a first
	 * frame): member is alive, vouching for no lease (the quiet rule).
	 */
	void (*keepalive)(void *ctx, size_t member);
};

/* Connections closed or refused, by reason; /metrics reads them. */
struct inbound_stats {
	uint64_t decode_errors;      /* a frame that does not decode */
	uint64_t rejected_senders;   /* frames naming a non-member or us */
	uint64_t sender_changes;     /* a second sender id on one connection */
	uint64_t sources_refused;    /* peer_source_check: not a member's IP */
	uint64_t auth_failures;      /* no, wrong or late KEVYAUTH */
	uint64_t floods;             /* over the frames-per-second limit */
	uint64_t hello_timeouts;     /* no valid frame in time */
	uint64_t evictions;          /* at the cap, for a newer connection */
	uint64_t idle_timeouts;      /* identified, but no frame for long */
	uint64_t member_replaced;    /* a member's oldest, for its newest */
};

/* Listen on cfg->cfg->listen; frames go to ops with ctx. */
struct inbound_listener *inbound_listen(const struct inbound_config *,
    const struct inbound_ops *, void *ctx, char *err, size_t errlen);
const struct inbound_stats *inbound_stats(const struct inbound_listener *);
void inbound_free(struct inbound_listener *);
/* Connections currently open from member i (after its first frame). */
unsigned inbound_count(const struct inbound_listener *, size_t member);
/* Connections open now, and the cap on them. */
size_t inbound_open(const struct inbound_listener *);
size_t inbound_cap(const struct inbound_listener *);

#endif
