/*
 * status: one snapshot of what the operator and the local kevy server need
 * to know, and its two renderings: one line of key=value (STATUS, WATCH)
 * and one line of JSON (STATUS JSON). Formatting only: the daemon fills
 * the snapshot (core.c), the control socket prints it.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elector.h"
#include "wire.h"

/* Longest rendering: 256 peers' ids in the down list dominate. */
#define STATUS_LINE_MAX 16384 /* bytes in a STATUS line, with "\n" */
#define STATUS_PEER_LINE_MAX 1024 /* bytes in a PEER line, with "\n" */
/* STATUS JSON also carries every peer's object: 255 of them dominate. */
#define STATUS_JSON_MAX 524288 /* bytes in a STATUS JSON line, with "\n" */
/* CLUSTER: one object per member, addresses included: 256 of them. */
#define STATUS_CLUSTER_MAX 524288 /* bytes in a CLUSTER line, with "\n" */
#define STATUS_LINK_MAX 32 /* bytes of a peer's link state shown */
/* An election address: a 253-byte host, [] around IPv6, ":65535". */
#define STATUS_ADDR_MAX 262 /* bytes of an election host:port */

struct status_peer {
	char id[WIRE_ID_MAX + 1];
	bool up;                  /* heard within down_after */
	bool heard;               /* ever, since this daemon started */
	uint64_t last_seen_ms;    /* ago; meaningful if heard */
	uint64_t epoch;           /* highest it claimed */
	enum wire_role role;      /* from its last HB; 0 if never heard */
	uint64_t offset;
	const char *link;         /* our outbound link: "up", "connecting", ...;
	                             NULL or "" shown as "none"; bytes other
	                             than [A-Za-z0-9_-] shown as '?' */
	unsigned inbound;         /* its connections to us */
	bool never_stand;
	unsigned priority;        /* from members; 0: never stands */
	char addr[STATUS_ADDR_MAX + 1];        /* its election host:port */
	char client_addr[WIRE_ADDR_MAX + 1];   /* its server's, from members */
};

enum status_local {
	STATUS_LOCAL_OFF = 0,               /* local_health_timeout_ms = 0 */
	STATUS_LOCAL_UP,
	STATUS_LOCAL_DOWN,                  /* sitting out until it is back */
};

/* The local server as the server adapter last saw it (daemon/server.c). */
#define STATUS_SERVER_WORD_MAX 23   /* bytes of a state, role or fencing */
#define STATUS_SERVER_ADDR_MAX 63   /* bytes of the master it follows */
struct status_server {
	bool on;                            /* the adapter runs */
	char state[STATUS_SERVER_WORD_MAX + 1];   /* up, down, ... */
	char role[STATUS_SERVER_WORD_MAX + 1];    /* master, replica, unknown */
	char master[STATUS_SERVER_ADDR_MAX + 1];  /* host:port, or "" */
	uint64_t offset;                    /* master_repl_offset */
	char fencing[STATUS_SERVER_WORD_MAX + 1]; /* pause+min-replicas, ... */
};

struct status {
	char node_id[WIRE_ID_MAX + 1];
	enum wire_role role;
	uint64_t epoch;
	char primary[WIRE_ID_MAX + 1];      /* "" when none */
	char primary_addr[WIRE_ADDR_MAX + 1];
	bool primary_unheld;                /* it announced a win without a
	                                       hold: its server is a master
	                                       at once (not shown) */
	bool quorum;                        /* spec 8: majority heard */
	bool fenced;                        /* primary without its lease */
	uint64_t offset;
	uint64_t voted_epoch;
	bool save_failing;
	bool never_stand;
	uint64_t since_change_ms;           /* since role/epoch/primary changed */
	uint64_t uptime_ms;
	enum status_local local;            /* local-server health */
	struct status_server server;        /* only when server.on */
	char addr[STATUS_ADDR_MAX + 1];     /* this node's election address */
	char client_addr[WIRE_ADDR_MAX + 1]; /* its server's, from members */
	size_t self_index;                  /* its place in members: the */
	                                    /* CLUSTER rows keep that order */
	/* Operator state (docs/reference/control-protocol.md). */
	bool paused;                        /* PAUSE: no failover starts here */
	uint64_t pause_left_ms;
	char switchover[WIRE_ID_MAX + 1];   /* its target, "" when none */
	unsigned priority;                  /* 0: never stands */
	bool lagging;                       /* beyond max_lag_bytes: sits out */
	size_t n_peers;                     /* other members */
	struct status_peer peers[ELECTOR_MEMBERS_MAX - 1];
};

const char *status_local_name(enum status_local);  /* off, up, down */

/*
 * Peers up (other members, never self), and whether the watched fields
 * differ: role, epoch, primary, quorum, fenced, local, paused, the
 * switchover's target or the down peers
 * (compared as a set, whatever the order of peers[]). WATCH pushes then.
 */
size_t status_peers_up(const struct status *);
bool status_watch_differs(const struct status *, const struct status *);
/*
 * Would a and b render alike? Compared byte for byte: the header (padding
 * included) and the n_peers peers in use, so only statuses whose header
 * was cleared before it was filled (core_status does) compare equal. A
 * false "no" costs a rendering; a false "yes" cannot happen.
 */
bool status_is_same(const struct status *a, const struct status *b);

/*
 * Render into buf (cap bytes, at least STATUS_LINE_MAX): one line ending
 * in "\n". Returns the length, or 0 (buf "") if it did not fit. Keys, in
 * order: node_id role epoch primary primary_addr quorum fenced offset down
 * peers_up peers_total since_change_ms voted_epoch save never_stand
 * uptime_ms local [server fields], then paused pause_left_ms switchover
 * priority lagging. Lists are comma-separated; "none" (JSON: null or []) when
 * empty. peers_total counts the other members (n_peers). Values never
 * hold a space or '=': a byte outside printable ASCII shows as '?'.
 */
size_t status_format(const struct status *, char *buf, size_t cap);
/*
 * The same keys as one JSON object on one line (cap: STATUS_JSON_MAX),
 * plus "peers": an array of objects with the PEER fields. primary and
 * primary_addr are null when there is none; down is an array; booleans
 * are true/false; a peer's role and last_seen_ms are null if never heard.
 */
size_t status_format_json(const struct status *, char *buf, size_t cap);
/*
 * One PEER line (cap: STATUS_PEER_LINE_MAX): id state last_seen_ms epoch
 * role offset link inbound never_stand addr client_addr; last_seen_ms=never
 * and role=unknown for a peer never heard.
 */
size_t status_format_peer(const struct status_peer *, char *buf, size_t cap);

/*
 * The cluster table (CONTROL verb CLUSTER, HTTP /cluster, kevy-electctl
 * list): one JSON array on one line (cap: STATUS_CLUSTER_MAX), one object
 * per member in members order, this node included, with id, self, addr,
 * client_addr, role, state, epoch, offset, lag, last_seen_ms, never_stand,
 * priority.
 * lag is the bytes a member's offset is behind the primary's last known
 * one (0 if ahead); null when no primary is known or the member was never
 * heard. This node's row is what it knows of itself: state "up",
 * last_seen_ms 0.
 */
size_t status_format_cluster(const struct status *, char *buf, size_t cap);

#endif
