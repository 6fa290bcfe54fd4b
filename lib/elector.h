/*
 * elector: the kevy quorum election (the wire contract shared with the Rust
 * reference, docs/design/elector.md) as a pure state machine. Time comes in as
 * now_ms (any monotonic millisecond clock), frames come in decoded, randomness
 * comes from a caller's seed, persistence goes out through an injected save
 * function, and frames to send go out as data in a struct elector_out. No I/O,
 * no globals, no clock or random reads: the same inputs give the same outputs.
 *
 * The caller must call elector_tick() at elector_next_deadline() (or
 * later) and after nothing else; there is no fixed tick.
 *
 * Policies beyond the reference (all local, invisible on the wire; the
 * reasons are in docs/design/elector.md):
 *  - Lease. A primary is unfenced only while itself plus the peers heard
 *    within lease_ms (default 4 x hb_interval), not seen at an epoch above
 *    its own, make a majority; lease_ms + 2 x hb_interval_ms <=
 *    down_after_ms, so it ends before any peer can stand.
 *  - Hold. A new primary stays fenced for lease + hb_interval after it
 *    wins: whatever lease an old primary may still count on runs out
 *    first, even when links failed one way before both ways. Shorter,
 *    mostly none, when every vote it won with was quiet.
 *  - Quiet rule (elector_quiet.c): a replica that has not heard its
 *    primary for quiet_ms (down_after - 2 x hb_interval - lease) stops
 *    heartbeating (keepalives only, which vouch for no lease); a vote
 *    whose voter sent no frame for hb_interval + lease before it is
 *    marked quiet (a blank line before the ACCEPT, which the reference
 *    skips): every lease the voter's frames fed has run out.
 *  - Every node heartbeats at once when its epoch or role changes.
 *  - Sticky votes. No vote while the current primary was heard claiming
 *    primary within down_after - hb_interval, nor while itself an
 *    unfenced primary; voting for another steps a node down at once.
 *  - Abdication. A primary that has not heard a majority for down_after
 *    becomes a replica and says so in its heartbeats; its replicas count
 *    it down at once and do not defer to it for down_after.
 *  - Standing needs a majority heard, settled for two intervals after it
 *    was (re)gained.
 *  - Never stand (priority 0): votes whatever its offset, never stands,
 *    sends offset 0 in heartbeats; members flagged never_stand are never
 *    deferred to.
 *  - Priorities and a lag limit (elector_rank.c): among candidates whose
 *    offsets are within priority_lag_bytes of the freshest, the higher
 *    member priority wins, then the offset, then the smaller id; the same
 *    order for standing and for voting. Deferring to a candidate better
 *    only by priority or id lasts one election_timeout. A replica further
 *    than max_lag_bytes behind the last primary offset it heard sits out;
 *    voters refuse an OFFER that far behind.
 *  - Epochs: a candidacy takes the highest epoch seen plus one; a replica
 *    that knows no primary follows a live one at a lower epoch; a primary
 *    whose follower sits quietly at a higher epoch stands again above it.
 *  - Pause detection (Sentinel's TILT): a gap between calls above
 *    pause_threshold_ms does not count as silence of the primary, and
 *    frames received in the first interval after it vouch for no lease;
 *    likewise for one peer after a gap that long in its stream (a TCP
 *    backlog handed over when a partition heals).
 *  - Two primaries of one epoch (a voter lost its disk): the higher id
 *    yields at the first heartbeat of the other.
 *  - Local-server health: a node whose server stopped sits out (see
 *    elector_set_local()).
 *  - Switchover: a primary handing over is fenced, then heartbeats
 *    `candidate` at its own epoch to its target alone, which stands at
 *    once; it votes for the target, which needs no hold if it won with
 *    that vote; the others vote for a refused OFFER once their primary
 *    is seen voting in its epoch, and wait election_timeout to stand.
 *  - Maintenance pause: no candidacy, a primary keeps its role on a dead
 *    local server; ends at its time, on a lost majority or by hand.
 *  - Restart clamp (spec 10): every node starts as a replica.
 *  - Epoch claims: a frame more than max_epoch_jump (L) epochs ahead of
 *    ours is held, not applied: it only records its sender's claim. A
 *    claim kept up, without a gap over down_after, for the confirmation
 *    window W (ELECTOR_EPOCH_CONFIRM_DOWN_AFTERS x down_after), or at
 *    once when peers are authenticated, raises our epoch by at most L
 *    (to just below the claim when authenticated): a forged epoch near
 *    2^64 moves a node at most L per W while it is kept up, and a node
 *    far below its peers walks up to them without a restart. A replica
 *    without a live primary also walks to a peer exactly L above it, and
 *    a replica does not stand while a majority would hold its OFFER.
 *  - Liveness (elector_live.c): a replica stands only after hearing a
 *    majority for down_after without a break and while no live peer
 *    claims primary; a candidate repeats its OFFER every interval (a
 *    voter repeats its ACCEPT to it) and, when only sticky votes are
 *    missing, waits down_after for them instead of election_timeout.
 */
#ifndef ELECTOR_H
#define ELECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define ELECTOR_MEMBERS_MAX 256 /* members in a cluster, self included */
#define ELECTOR_OUT_MAX     8   /* sends one call can produce */
#define ELECTOR_EVENTS_MAX  8   /* events one call can report */
#define ELECTOR_BROADCAST   (-1) /* elector_send.to: every other member */
#define ELECTOR_NONE        (-1) /* no member (no primary, no peer) */

/*
 * Timings in milliseconds. Zero in lease / pause_threshold, and
 * ELECTOR_TIMING_DERIVE in election_timeout / backoff / backoff_jitter:
 * derived by elector_timing_check().
 */
struct elector_timing {
	uint64_t hb_interval_ms;      /* heartbeat period per peer */
	uint64_t down_after_ms;       /* unheard this long = DOWN */
	uint64_t election_timeout_ms; /* candidate gives up after */
	uint64_t backoff_ms;          /* no candidacy for this after a failed one */
	uint64_t backoff_jitter_ms;   /* plus uniform random [0, jitter) */
	uint64_t lease_ms;            /* primary fenced without majority this long */
	uint64_t pause_threshold_ms;  /* a gap between calls above this = pause */
};

#define ELECTOR_HB_INTERVAL_DEFAULT      200
#define ELECTOR_DOWN_AFTER_DEFAULT       5000
/* The reference's fixed values, what the derivation gives at 5000 ms. */
#define ELECTOR_ELECTION_TIMEOUT_DEFAULT 3000
#define ELECTOR_BACKOFF_DEFAULT          1000
#define ELECTOR_BACKOFF_JITTER_DEFAULT   4000
#define ELECTOR_TIMING_MAX_MS            3600000 /* one hour, any timing */
/*
 * Unset election_timeout / backoff / backoff_jitter: derived from
 * down_after, in tenths of it (docs/design/elector.md "Timings"), so that
 * a cluster tuned to detect failures fast also retries fast. At the
 * default down_after (5000 ms) they are the reference's 3000 / 1000 /
 * 4000 ms.
 */
#define ELECTOR_TIMING_DERIVE            UINT64_MAX
#define ELECTOR_ELECTION_TIMEOUT_TENTHS  6  /* x down_after / 10 */
#define ELECTOR_BACKOFF_TENTHS           2
#define ELECTOR_BACKOFF_JITTER_TENTHS    8
/*
 * Epochs a frame may run ahead of ours; 0: unlimited
 * (docs/design/elector.md).
 */
#define ELECTOR_MAX_EPOCH_JUMP_DEFAULT   1000000
/*
 * A peer's claim of an epoch beyond max_epoch_jump is confirmed once kept
 * up for this many down_after periods (the confirmation window W): long
 * enough that a one-shot forgery goes stale first (a real peer repeats
 * its epoch every hb_interval), short enough to follow an honest cluster
 * within seconds.
 */
#define ELECTOR_EPOCH_CONFIRM_DOWN_AFTERS 2
/*
 * The quiet rule needs quiet_ms (down_after - 2 x hb_interval - lease) of
 * at least this many intervals: the reference's heartbeats arrive up to
 * two intervals apart, and a settled cluster must never go quiet on that.
 * Tighter timings keep the hold.
 */
#define ELECTOR_QUIET_MIN_INTERVALS 3

/*
 * Reference defaults for hb_interval and down_after; everything else left
 * to derive (election timeout, backoff and jitter from down_after; lease
 * and pause threshold from hb_interval).
 */
void elector_timing_defaults(struct elector_timing *);

/*
 * Fill the derived values (election timeout, backoff, jitter: 6, 2, 8
 * tenths of down_after; lease = 4 x hb_interval, at most down_after -
 * 2 x hb_interval; pause threshold = 2 x hb_interval) and check that the
 * timings can work. Returns 0, or -1 with a sentence naming the broken
 * relation in err.
 */
int elector_timing_check(struct elector_timing *, char *err, size_t errlen);

/*
 * Member priorities: higher is preferred among candidates within
 * priority_lag_bytes of the freshest; 0 never stands (never_stand).
 */
#define ELECTOR_PRIORITY_MAX     255
#define ELECTOR_PRIORITY_DEFAULT 1

struct elector_member {
	char id[WIRE_ID_MAX + 1];     /* node id */
	char addr[WIRE_ADDR_MAX + 1]; /* client host:port, what ANNOUNCE carries */
	bool never_stand;             /* known witness (priority 0): never
	                                 deferred to */
	unsigned priority;            /* 1..ELECTOR_PRIORITY_MAX; 0 here reads
	                                 as ELECTOR_PRIORITY_DEFAULT (a zeroed
	                                 member); see elector_member_priority */
};

/* A member's priority as the rules use it: 0 for never_stand. */
unsigned elector_member_priority(const struct elector_member *);

struct elector_config {
	const struct elector_member *members; /* same list on every node */
	size_t n_members;
	size_t self;                  /* index of this node in members */
	struct elector_timing timing;
	bool never_stand;             /* votes, never stands (or members[self]) */
	bool want_primary;            /* initial_role = primary: clamped, kept */
	uint64_t seed;                /* jitter randomness */
	uint64_t max_epoch_jump;      /* hold frames above epoch + this; 0: off */
	bool peers_authenticated;     /* frames come from key holders only:
	                                 epoch claims are confirmed at once */
	uint64_t priority_lag_bytes;  /* priority counts among candidates this
	                                 close to the freshest; 0: equal only */
	uint64_t max_lag_bytes;       /* further behind the last primary offset
	                                 heard: does not stand (still votes),
	                                 its OFFER is refused; 0: off */
	bool quiet_off;               /* behave as a node that does not keep
	                                 the quiet rule (the simulator's
	                                 model of a reference node; the
	                                 daemon never sets it) */
};

/* What elect.meta held at start; NULL for a fresh node. */
struct elector_saved {
	uint64_t epoch;
	bool has_vote;
	char vote[WIRE_ID_MAX + 1];
};

/*
 * Durable save of (epoch, vote): returns 0 only once the state is on
 * stable storage. vote is NULL for "voted -". A failed save stops the
 * message that needed it.
 */
struct elector_store {
	int (*save)(void *ctx, uint64_t epoch, const char *vote);
	void *ctx;
};

struct elector_send {
	int to;                   /* member index or ELECTOR_BROADCAST */
	int except;               /* a broadcast skips this member; or NONE */
	bool keepalive;           /* send WIRE_KEEPALIVE, not frame (frame is
	                             the heartbeat it replaces) */
	struct wire_frame frame;
};

enum elector_event_kind {
	ELECTOR_EV_PAUSE = 1,     /* detail: gap in ms */
	ELECTOR_EV_CANDIDACY,     /* epoch: the new epoch */
	ELECTOR_EV_VOTE,          /* peer: candidate voted for */
	ELECTOR_EV_WON,           /* detail: votes */
	ELECTOR_EV_ADOPT,         /* peer: primary followed now */
	ELECTOR_EV_STEP_DOWN,     /* left primary or candidate role */
	ELECTOR_EV_ABDICATE,      /* primary without majority for down_after */
	ELECTOR_EV_TIMEOUT,       /* candidacy failed; detail: backoff ms */
	ELECTOR_EV_SAVE_FAILED,   /* epoch: what could not be saved */
	ELECTOR_EV_PRIMARY_LOST,  /* peer: primary that stopped claiming */
	ELECTOR_EV_LOCAL_DOWN,    /* the local server stopped: sitting out */
	ELECTOR_EV_LOCAL_UP,      /* the local server is back */
	ELECTOR_EV_EPOCH_RAISED,  /* epoch: new; peer: claimant; detail: old */
	ELECTOR_EV_SWITCHOVER,    /* started; peer: target */
	ELECTOR_EV_SO_RELEASE,    /* target caught up, told to stand; peer */
	ELECTOR_EV_SO_DONE,       /* peer: the new primary; epoch: its */
	ELECTOR_EV_SO_FAILED,     /* peer: target; detail: enum elector_so_fail */
	ELECTOR_EV_HANDOFF,       /* stood on our primary's hand-off; peer: it */
	ELECTOR_EV_MAINT_START,   /* failover paused; detail: ms */
	ELECTOR_EV_MAINT_END,     /* detail: enum elector_maint_end */
	ELECTOR_EV_LAG_LIMIT,     /* detail: 1 now beyond max_lag_bytes (sits
	                             out), 0 back within; peer: our primary */
};
#define ELECTOR_EV_LAST ELECTOR_EV_LAG_LIMIT

/* Why a switchover failed (ELECTOR_EV_SO_FAILED.detail). */
enum elector_so_fail {
	ELECTOR_SO_TIMEOUT = 1,   /* the deadline passed */
	ELECTOR_SO_LOST_ROLE,     /* stepped down for another reason first */
	ELECTOR_SO_OTHER_WON,     /* peer: another node became primary */
};

/* Why a maintenance pause ended (ELECTOR_EV_MAINT_END.detail). */
enum elector_maint_end {
	ELECTOR_MAINT_RESUMED = 1, /* elector_maint_end() */
	ELECTOR_MAINT_EXPIRED,     /* its time ran out */
	ELECTOR_MAINT_NO_MAJORITY, /* this node stopped hearing a majority */
};

struct elector_event {
	enum elector_event_kind kind;
	uint64_t epoch;
	int peer;
	uint64_t detail;
};

struct elector_out {
	size_t n_send;
	struct elector_send send[ELECTOR_OUT_MAX];
	size_t n_event;
	struct elector_event event[ELECTOR_EVENTS_MAX];
};

struct elector_peer_view {
	bool heard;               /* ever heard since start */
	uint64_t last_heard_ms;
	uint64_t epoch;           /* its last HB's, or higher if a later frame said */
	enum wire_role role;      /* from its last HB */
	uint64_t offset;          /* from its last HB or OFFER */
	/* Held frames: its claim of an epoch beyond max_epoch_jump. */
	uint64_t claim_epoch;     /* the last held frame's; 0: no claim */
	uint64_t claim_since_ms;  /* confirmation window start */
	uint64_t claim_last_ms;   /* last held frame */
};

struct elector_stats {
	uint64_t elections_started;
	uint64_t elections_won;
	uint64_t elections_failed;
	uint64_t votes_cast;
	uint64_t votes_refused;
	uint64_t saves;
	uint64_t save_failures;
	uint64_t pauses;
	uint64_t abdications;
	uint64_t restands;        /* primary stood again to lift its epoch */
	uint64_t rivals_yielded;  /* yielded to a primary of the same epoch */
	uint64_t frames_ignored;  /* valid but stale or not for us */
	uint64_t frames_held;     /* frames beyond epoch + max_epoch_jump */
	uint64_t epochs_raised;   /* raises on a confirmed claim */
	uint64_t switchovers;     /* started here */
	uint64_t switchovers_done;
	uint64_t switchovers_failed;
	uint64_t handoffs;        /* stood on a primary's hand-off */
	uint64_t votes_deferred;  /* sticky refusals voted later */
	uint64_t rank_refusals;   /* OFFERs refused for a higher priority or
	                             the lag limit (also in votes_refused) */
	uint64_t votes_quiet;     /* votes cast with the quiet mark */
	uint64_t holds_skipped;   /* won with every vote quiet: no hold */
	uint64_t quiet_starts;    /* heartbeats turned into keepalives */
};

struct elector;

/*
 * Create an elector. Returns NULL with a reason in err on a bad config
 * (timings, members, self). Restores epoch (at least 1) and the vote
 * from saved. Starts as a replica with no primary, heartbeat due at once.
 */
struct elector *elector_new(const struct elector_config *,
    const struct elector_store *, const struct elector_saved *,
    uint64_t now_ms, char *err, size_t errlen);
void elector_free(struct elector *);

/*
 * What elector_on_frame() did with a frame. Only NOT_MEMBER and FROM_SELF
 * say that the connection carrying it is not a member's: close it. A held
 * frame may be a real peer's at an epoch we cannot confirm yet; its
 * connection stays, so its next frames can confirm the claim.
 */
enum elector_verdict {
	ELECTOR_FRAME_APPLIED = 0, /* taken, or ignored as stale */
	ELECTOR_FRAME_HELD,        /* epoch beyond max_epoch_jump: only its
	                              claim was recorded (maybe raising ours) */
	ELECTOR_FRAME_NOT_MEMBER,  /* its sender id is no member */
	ELECTOR_FRAME_FROM_SELF,   /* its sender id is this node's */
};

/*
 * A decoded frame arrived. A frame more than max_epoch_jump above our
 * epoch is HELD (counted in frames_held): no role, vote, view or liveness
 * changes, only its sender's claim is recorded. A claim its sender keeps
 * up for the confirmation window (at once when peers_authenticated)
 * first saves and takes a raised epoch (at most max_epoch_jump higher
 * unless authenticated; a primary or candidate steps down); if the frame
 * is then within reach it is applied in the same call (APPLIED).
 * NOT_MEMBER and FROM_SELF frames change nothing.
 */
enum elector_verdict elector_on_frame(struct elector *,
    const struct wire_frame *, uint64_t now_ms, struct elector_out *);
/*
 * The same for a caller that already knows the sender: member is the
 * index of f->id, another member than self (the daemon binds each
 * connection to its sender before it hands over a frame).
 */
enum elector_verdict elector_on_member_frame(struct elector *, size_t member,
    const struct wire_frame *, uint64_t now_ms, struct elector_out *);

/* Timers: heartbeats, election timeout, candidacy, lease, abdication. */
void elector_tick(struct elector *, uint64_t now_ms, struct elector_out *);

/* When to call elector_tick() next (absolute ms, after the last call's now). */
uint64_t elector_next_deadline(const struct elector *);

/*
 * Local-server health (the daemon's local_health_timeout_ms). While not
 * ok the node sits out like a never-stand node (no candidacy, offset 0 in
 * heartbeats, votes for others whatever its offset) and a primary or
 * candidate steps down at once; its next heartbeat says replica. A new
 * elector starts ok.
 */
void elector_set_local(struct elector *, bool ok, uint64_t now_ms,
    struct elector_out *);
bool elector_local_ok(const struct elector *);

/*
 * Does this node still stand by f, a frame it sent to member that could
 * not leave yet (a link still connecting)? An OFFER while its candidacy
 * is open, an ACCEPT while the vote is its last word to that candidate
 * in that epoch, an ANNOUNCE while it is primary in that epoch; never a
 * heartbeat (a fresh one replaces it).
 */
bool elector_frame_is_current(const struct elector *, size_t member,
    const struct wire_frame *f);

/*
 * Quiet rule (docs/design/elector.md, "The quiet rule"). A keepalive
 * (WIRE_KEEPALIVE on a connection bound to member by AUTH or a frame)
 * says the member is alive: it counts for down_after, never for a lease.
 */
void elector_on_keepalive(struct elector *, size_t member, uint64_t now_ms,
    struct elector_out *);
/*
 * Did our primary announce a quiet win (no hold: its server is promoted
 * at once)? False when we learned it otherwise (a heartbeat).
 */
bool elector_primary_won_quiet(const struct elector *);
/* Would this node send keepalives instead of heartbeats now? */
bool elector_is_quiet(const struct elector *, uint64_t now_ms);
/*
 * The first frame of a link that just came up, as member to gets it: the
 * heartbeat, noted as spoken; a keepalive (s->keepalive) while quiet
 * when peers_authenticated (AUTH already told the receiver who we are).
 */
void elector_link_up(struct elector *, size_t to, uint64_t now_ms,
    struct elector_send *s);
/* The daemon sent a frame the elector made earlier (one that waited). */
void elector_note_spoke(struct elector *, uint64_t now_ms);
/* quiet_ms of these timings; 0: too tight for the rule (always a hold). */
uint64_t elector_timing_quiet_ms(const struct elector_timing *);
/* The rule's quiet_ms on this node; 0: off (always a hold). */
uint64_t elector_quiet_ms(const struct elector *);

/* The heartbeat this node would send now: a new link's first frame. */
void elector_heartbeat(const struct elector *, struct wire_frame *);
/* The same, as member to would get it (a hand-off target's differs). */
void elector_heartbeat_to(const struct elector *, size_t to,
    struct wire_frame *);

/*
 * Switchover (docs/design/elector.md, "Switchover"): a writable primary
 * hands its role to target (ELECTOR_NONE: elector_switchover_pick()). It
 * is fenced at once; once a heartbeat of the target, received at least
 * one interval later, shows an offset at least ours, its heartbeats to
 * the target alone say `candidate` at our epoch: the target stands at
 * once, and we vote for it. Reported by ELECTOR_EV_SO_DONE when we
 * follow the target, ELECTOR_EV_SO_FAILED otherwise; at deadline_ms
 * before our vote it is called off and we are unfenced again. Returns
 * 0, or -1 with a sentence in why (nothing changed).
 */
int elector_switchover(struct elector *, int target, uint64_t deadline_ms,
    uint64_t now_ms, struct elector_out *, char *why, size_t whylen);
/*
 * The best live replica following us that may stand (the priority order,
 * not further than max_lag_bytes behind our offset), or ELECTOR_NONE.
 */
int elector_switchover_pick(const struct elector *, uint64_t now_ms);
/* The target of the switchover under way, or ELECTOR_NONE. */
int elector_switchover_target(const struct elector *);

/*
 * Maintenance pause: until until_ms no failover starts here (no
 * candidacy, no hand-off on a dead local server: a primary keeps its
 * role); votes, leases and fencing are as always. Ends by itself at
 * until_ms, when this node stops hearing a majority, or by
 * elector_maint_end(). Returns -1 (nothing changed) without a majority.
 */
int elector_maint_start(struct elector *, uint64_t until_ms, uint64_t now_ms,
    struct elector_out *);
void elector_maint_end(struct elector *, uint64_t now_ms,
    struct elector_out *);
/* When the pause ends; 0: not paused. */
uint64_t elector_maint_until(const struct elector *);

/* The local server's replication offset, carried in HB and OFFER. */
void elector_set_offset(struct elector *, uint64_t offset);
uint64_t elector_offset(const struct elector *);
/*
 * The last offset a primary's heartbeat carried (our own while primary);
 * max_lag_bytes counts from it. 0: none known.
 */
uint64_t elector_primary_offset(const struct elector *);
/* Further than max_lag_bytes behind it: sits out, does not stand. */
bool elector_lags(const struct elector *);

/* Queries. */
enum wire_role elector_role(const struct elector *);
uint64_t elector_epoch(const struct elector *);
int elector_primary(const struct elector *);          /* index or NONE */
const char *elector_primary_addr(const struct elector *); /* NULL if none */
size_t elector_members(const struct elector *);
size_t elector_self(const struct elector *);
const struct elector_member *elector_member(const struct elector *, size_t);
int elector_member_find(const struct elector *, const char *id);
size_t elector_quorum_size(const struct elector *);   /* N/2 + 1 */
bool elector_peer_is_down(const struct elector *, size_t, uint64_t now_ms);
void elector_peer(const struct elector *, size_t, struct elector_peer_view *);
bool elector_has_quorum(const struct elector *, uint64_t now_ms); /* spec 8 */
bool elector_is_fenced(const struct elector *, uint64_t now_ms);  /* primary, no lease */
bool elector_is_writable(const struct elector *, uint64_t now_ms); /* primary, unfenced */
uint64_t elector_voted_epoch(const struct elector *); /* 0: never voted */
bool elector_save_is_failing(const struct elector *); /* last save failed */
const struct elector_timing *elector_timing(const struct elector *);
const struct elector_stats *elector_stats(const struct elector *);

const char *elector_event_name(enum elector_event_kind);

#endif
