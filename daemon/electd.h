/*
 * electd: the one struct that holds a running daemon. main.c builds it
 * and wires the modules together; core.c owns the elector inside it.
 * The connection modules (inbound.c, link.c, ctl.c, http.c) do not reach
 * into it: each gets its own config and an ops table at creation, and
 * offers its counters through an accessor.
 */
#ifndef ELECTD_H
#define ELECTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "change.h"
#include "changelog.h"
#include "config.h"
#include "core.h"
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
struct server;
struct auth_key;

struct electd {
	struct event_base *base;
	struct evdns_base *dns;
	struct config *cfg;
	struct elector *el;
	struct metafile_store store;
	struct event *timer;          /* one-shot at the elector's deadline */
	struct link *links[ELECTOR_MEMBERS_MAX]; /* outbound; NULL for self */
	struct pending *pending;      /* per member: frames awaiting its link */
	struct inbound_listener *inbound;
	struct ctl *ctl;
	struct http *http;             /* NULL unless http_listen is set */
	struct hook *hook;            /* notify_exec runner; NULL: none */
	struct server *server;        /* server adapter; NULL: none */
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
	uint64_t so_start_ms;         /* the switchover under way began */
	bool stopping;                /* SIGTERM: handing over, then exit */
	struct core_stats stats;      /* core.c's counters */
	struct change_bus changes;    /* the change pipeline's subscribers */
	struct changelog changelog;   /* its log subscriber's context */
	struct fdbudget fds;          /* connection caps from RLIMIT_NOFILE */
};

#endif
