/*
 * electd: the one struct that holds a running daemon, passed explicitly
 * to every module of daemon/. main.c builds it; core.c drives the elector
 * inside it; link.c, inbound.c and ctl.c are its connections.
 */
#ifndef ELECTD_H
#define ELECTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "elector.h"
#include "fdbudget.h"
#include "limit.h"
#include "metafile.h"
#include "status.h"
#include "wire.h"

struct event_base;
struct event;
struct evdns_base;
struct link;
struct inbound_listener;
struct ctl;
struct http;
struct hook;
struct auth_key;

/* Frame counters by verb (index enum wire_verb), for STATUS and metrics. */
struct electd_counters {
	uint64_t frames_in[WIRE_ANNOUNCE + 1];
	uint64_t frames_out[WIRE_ANNOUNCE + 1];
	uint64_t frames_dropped;     /* link down or output full */
	uint64_t decode_errors;
	uint64_t rejected_senders;   /* frames naming a non-member or us */
	uint64_t frames_silenced;    /* not sent: local server down */
	/* Inbound connections closed or refused, by reason (inbound.c). */
	uint64_t sender_changes;     /* a second sender id on one connection */
	uint64_t epochs_refused;     /* frames held: epoch beyond
	                                max_epoch_jump (connection kept) */
	uint64_t sources_refused;    /* peer_source_check: not a member's IP */
	uint64_t auth_failures;      /* no, wrong or late KEVYAUTH */
	uint64_t floods;             /* over INBOUND_FRAMES_PER_S */
	uint64_t hello_timeouts;     /* no valid frame in time */
	uint64_t evictions;          /* at the cap, for a newer connection */
	uint64_t idle_timeouts;      /* identified, but no frame for long */
	uint64_t member_replaced;    /* a member's oldest, for its newest */
};

struct electd {
	struct event_base *base;
	struct evdns_base *dns;
	struct config *cfg;
	struct elector *el;
	struct metafile_store store;
	struct event *timer;          /* one-shot at the elector's deadline */
	struct link *links[ELECTOR_MEMBERS_MAX]; /* outbound; NULL for self */
	struct inbound_listener *inbound;
	struct ctl *ctl;
	struct http *http;             /* NULL unless http_listen is set */
	struct hook *hook;            /* notify_exec runner; NULL: none */
	struct auth_key *auth;        /* peer key; NULL: authentication off */
	struct limit_log held_log;    /* core.c: warnings about held frames */
	struct status *published;     /* last snapshot WATCH saw */
	struct status *scratch;       /* the next one, built in place */
	uint64_t start_ms;
	uint64_t changed_ms;          /* role, epoch or primary last changed */
	uint64_t rng;                 /* link jitter */
	struct event *health_timer;   /* local server silent past its timeout */
	bool local_ok;                /* the local server pushed in time */
	bool silent;                  /* stepped down for it: no peer frames */
	struct electd_counters counters;
	struct fdbudget fds;          /* connection caps from RLIMIT_NOFILE */
};

/* core.c: the elector inside the event loop. */
int core_start(struct electd *, char *err, size_t errlen);
void core_stop(struct electd *);
/*
 * A decoded frame from an inbound connection; -1: close that connection,
 * *why saying why ("not-a-member"; counted here). A frame held for its
 * epoch (docs/elector.md) returns 0: its connection stays.
 */
int core_on_frame(struct electd *, const struct wire_frame *,
    const char **why);
void core_set_offset(struct electd *, uint64_t offset);
/* The local server pushed OFFSET or ALIVE: it lives (health gating). */
void core_local_alive(struct electd *);
void core_status(struct electd *, struct status *);
/* Tell the service manager role, epoch and primary (STATUS=). */
void core_notify_status(const struct status *);
/* A link just came up: its first frame is a fresh heartbeat. */
void core_link_up(struct electd *, size_t member);

#endif
