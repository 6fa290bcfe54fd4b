/*
 * inbound: the election listener and the connections peers dial to us.
 * We only read on them (spec: Transport), except for the one challenge
 * of peer authentication. Each connection decodes frames with
 * wire_decode; a bad frame, a sender that is not a member (or is us), a
 * sender that changes on one connection, an epoch beyond max_epoch_jump,
 * a flood, or no valid frame in time closes it. Every such close is
 * counted (struct electd_counters) and logged at most once per
 * INBOUND_LOG_INTERVAL_MS per reason, with the number of lines skipped.
 */
#ifndef INBOUND_H
#define INBOUND_H

#include <stddef.h>

struct electd;
struct inbound_listener;

#define INBOUND_CONNS_MAX  1024  /* accepted election connections at once */
#define INBOUND_READ_MAX   (4 * 1024) /* bytes buffered from one peer */
#define INBOUND_LOG_INTERVAL_MS 1000 /* one warning per reason per this */
/*
 * Frames (and filler) a connection may send per second: this plus twice
 * the heartbeat rate (2 x 1000 / hb_interval_ms), in bursts of up to
 * INBOUND_FRAMES_BURST. A real peer sends one HB per interval and a few
 * frames per election; over the limit the connection is closed.
 */
#define INBOUND_FRAMES_PER_S  100
#define INBOUND_FRAMES_BURST  64
/*
 * A connection that has not sent a valid frame (or, with authentication,
 * a valid KEVYAUTH within AUTH_TIMEOUT_MS) after this many down_after_ms
 * is closed. A real peer sends its heartbeat at once; one silent that
 * long is counted down anyway, so nothing is lost by closing it.
 */
#define INBOUND_HELLO_DOWN_AFTERS 2

struct inbound_listener *inbound_listen(struct electd *, char *err,
    size_t errlen);
void inbound_free(struct inbound_listener *);
/* Connections currently open from member i (after its first frame). */
unsigned inbound_count(const struct inbound_listener *, size_t member);

#endif
