/*
 * sim: a deterministic in-memory cluster of 1..SIM_NODES_MAX electors on a
 * virtual millisecond clock, for the scenario and property tests. Frames
 * go through wire_encode/wire_decode, links have delay, loss, FIFO order
 * and partitions; nodes can be killed, restarted (with their persisted
 * state or a wiped disk), paused and told to fail their saves.
 *
 * A safety checker runs after every step (see sim.c for the exact rules)
 * and records the first violation; it never aborts, so a test asserts
 * sim_ok() and gets the seed, the virtual time and the trace tail on
 * stderr. Everything is seeded by sim_config.seed: the same config and the
 * same calls give the same run. No wall clock, no rand(), no globals.
 */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elector.h"
#include "wire.h"

#define SIM_NODES_MAX  9   /* members in a simulated cluster */
#define SIM_TAIL_LINES 40  /* trace lines printed on a violation */
#define SIM_NEVER      UINT64_MAX /* no such time */

struct sim_config {
	size_t n;                         /* members, 1..SIM_NODES_MAX */
	const char *ids[SIM_NODES_MAX];   /* NULL: "n1", "n2", ... */
	struct elector_timing timing;     /* zero hb_interval: fast defaults */
	uint64_t seed;
	bool never_stand[SIM_NODES_MAX];
	unsigned priority[SIM_NODES_MAX]; /* members' priority; 0: default */
	uint64_t priority_lag_bytes;      /* elector_config's */
	uint64_t max_lag_bytes;           /* elector_config's */
	bool want_primary[SIM_NODES_MAX];
	uint64_t offset[SIM_NODES_MAX];
	uint64_t delay_min_ms;            /* every link at start */
	uint64_t delay_max_ms;
	uint64_t max_epoch_jump;          /* elector_config's; 0: unlimited */
	bool peers_authenticated;         /* elector_config's */
	/*
	 * A node that does not keep the quiet rule (a reference node, as far
	 * as the rule goes): its elector has quiet_off and no peer takes it
	 * for one that keeps it (its votes carry no quiet mark).
	 */
	bool reference[SIM_NODES_MAX];
	bool keep_trace;                  /* keep every record (sim_trace) */
	bool verbose;                     /* print every record as it happens */
};

/* Fast timings for tests: hb 50, down_after 500, timeout 300, backoff 100+400. */
void sim_timing_fast(struct elector_timing *);
/*
 * What the simulator tests start from: n nodes of seed, every frame
 * delayed dmin..dmax ms, every offset the same, the whole trace kept and
 * printed as it happens when KEVY_SIM_VERBOSE is set.
 */
struct sim_config sim_config_make(size_t n, uint64_t seed, uint64_t dmin,
    uint64_t dmax, uint64_t offset);

enum sim_rec_kind {
	SIM_REC_SEND = 1,   /* node sent verb/epoch to peer (-1: broadcast) */
	SIM_REC_SAVE,       /* node saved (epoch, vote) durably */
	SIM_REC_SAVE_FAIL,  /* node's save of (epoch, vote) failed */
	SIM_REC_EVENT,      /* elector event: ev, epoch, peer, detail */
	SIM_REC_ROLE,       /* node's role changed to role at epoch */
	SIM_REC_FENCED,     /* a writable primary stopped being writable */
	SIM_REC_FAULT,      /* kill, restart, pause, partition... (text) */
	SIM_REC_DROP,       /* a frame was lost */
};

struct sim_rec {
	uint64_t t;
	enum sim_rec_kind kind;
	int node;
	int peer;                  /* send: destination; event: peer */
	enum wire_verb verb;
	uint64_t epoch;
	int vote;                  /* save: member voted for, -1 for none */
	enum elector_event_kind ev;
	enum wire_role role;
	uint64_t detail;
	const char *text;          /* fault: static description */
};

struct sim;

struct sim *sim_new(const struct sim_config *);
/*
 * Hand-overs of writability: how many times a node became writable after
 * another had been, and the shortest gap, in ms, from the last instant
 * another node was writable to the first instant of the new one (at
 * least 1 when safe; SIM_NEVER before the first hand-over).
 */
uint64_t sim_gap_min(const struct sim *);
uint64_t sim_gaps(const struct sim *);
void sim_free(struct sim *);

uint64_t sim_now(const struct sim *);
uint64_t sim_seed(const struct sim *);
size_t sim_n(const struct sim *);

/* Process every event at or before t, then set the clock to t. */
void sim_run_until(struct sim *, uint64_t t_ms);
void sim_run_for(struct sim *, uint64_t d_ms);
/*
 * Run until pred holds (checked after every step and at the start) or the
 * clock reaches deadline. Returns whether pred held; the clock stays at the
 * step that made it true.
 */
bool sim_run_until_pred(struct sim *, bool (*pred)(struct sim *, void *),
    void *arg, uint64_t deadline_ms);
/* Called after every step (after the checker), for tests that watch. */
void sim_set_hook(struct sim *, void (*hook)(struct sim *, void *), void *arg);

/* Links. Directed: from -> to. */
void sim_link_delay(struct sim *, size_t from, size_t to, uint64_t min_ms,
    uint64_t max_ms);
void sim_link_loss(struct sim *, size_t from, size_t to, double p);
void sim_link_block(struct sim *, size_t from, size_t to, bool blocked);
/* Block both directions between side[i] true and false nodes. */
void sim_partition(struct sim *, const bool side[]);
void sim_isolate(struct sim *, size_t node);
/* Every link unblocked, lossless, back to the configured delay. */
void sim_heal_links(struct sim *);

/* Nodes. */
void sim_kill(struct sim *, size_t node);
/* Start a killed node again, from its store or with a wiped disk. */
void sim_restart(struct sim *, size_t node, bool wipe);
void sim_pause(struct sim *, size_t node, uint64_t d_ms);
void sim_resume(struct sim *, size_t node);
void sim_set_offset(struct sim *, size_t node, uint64_t offset);
void sim_store_fail(struct sim *, size_t node, bool fail);
/*
 * A forger's frame (f->id names the member it poses as) handed to node
 * now, as if on a connection of its own; dropped when the node is down
 * or paused. Returns the elector's verdict, or -1 when dropped. Safety
 * stays checked: only frames that no rule can tell from the real
 * member's, without authentication, break it (tests/check_property.c).
 */
int sim_inject(struct sim *, size_t node, const struct wire_frame *f);
/* The node's local server up or down (elector_set_local); kept across restarts. */
void sim_set_local(struct sim *, size_t node, bool ok);
/*
 * An operator's SWITCHOVER on node to target (ELECTOR_NONE: its pick),
 * for d_ms: elector_switchover's return (-1 also when the node is down
 * or paused, why then says so).
 */
int sim_switchover(struct sim *, size_t node, int target, uint64_t d_ms,
    char *why, size_t len);
/* An operator's PAUSE (maintenance) of d_ms on node, and its RESUME. */
int sim_maint(struct sim *, size_t node, uint64_t d_ms);
void sim_maint_end(struct sim *, size_t node);

bool sim_is_up(const struct sim *, size_t node);
/* Up, not paused, its local server up and its disk saving. */
bool sim_is_healthy(const struct sim *, size_t node);
bool sim_link_is_blocked(const struct sim *, size_t from, size_t to);
bool sim_is_paused(const struct sim *, size_t node);
struct elector *sim_elector(struct sim *, size_t node);
/* What the node's store holds (false: nothing saved yet). */
bool sim_stored(const struct sim *, size_t node, uint64_t *epoch, int *vote);

/* The single writable node now, -1 for none, -2 for several. */
int sim_writable(struct sim *);
/*
 * Exactly one writable primary, every live node follows it at its epoch
 * and none is a candidate. Returns its index or -1.
 */
int sim_agreed_primary(struct sim *);

/* Safety. */
bool sim_ok(const struct sim *);
const char *sim_violation(const struct sim *);
/* Epochs at or below this may have two winners: a wiped disk forgot votes. */
uint64_t sim_tainted_epoch(const struct sim *);

/* Counters. */
uint64_t sim_ticks(const struct sim *, size_t node);
uint64_t sim_calls(const struct sim *, size_t node);

/* The full trace (only with keep_trace). */
size_t sim_trace_len(const struct sim *);
const struct sim_rec *sim_trace_at(const struct sim *, size_t i);
/*
 * Records at or after index from of kind k at node, whose what matches:
 * the verb of a SIM_REC_SEND, the event kind of a SIM_REC_EVENT (-1 for
 * node or what: any). find: the first one's index, or -1; first: that
 * record, or NULL; count: how many; event_time: the first event's time,
 * or SIM_NEVER.
 */
long sim_trace_find(const struct sim *, size_t from, enum sim_rec_kind,
    int node, int what);
const struct sim_rec *sim_trace_first(const struct sim *, size_t from,
    enum sim_rec_kind, int node, int what);
size_t sim_trace_count(const struct sim *, size_t from, enum sim_rec_kind,
    int node, int what);
uint64_t sim_event_time(const struct sim *, size_t from, int node,
    enum elector_event_kind);
/* A predicate for sim_run_until_pred: one agreed primary. */
bool sim_pred_agreed(struct sim *, void *);
void sim_trace_print(const struct sim *, size_t last_n);
void sim_rec_format(const struct sim *, const struct sim_rec *, char *buf,
    size_t len);

#endif
