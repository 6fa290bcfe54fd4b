/*
 * elector_int: the elector's private state, shared by elector.c (what
 * happens) and elector_view.c (what it reports). Not for the daemon.
 */
#ifndef ELECTOR_INT_H
#define ELECTOR_INT_H

#include "elector.h"

struct elector_peer {
	struct elector_peer_view view;
	bool voted_for_me;            /* in the open candidacy */
	uint64_t epoch_since_ms;      /* when its epoch last rose */
	uint64_t vouch_ms;            /* last frame that counts for a lease; 0: none */
	uint64_t quarantine_until_ms; /* frames before this do not vouch */
	bool vote_quiet;              /* its vote for us came with the mark */
};

struct elector {
	struct elector_member *members;
	struct elector_peer *peers;   /* indexed like members; self unused */
	size_t n;
	size_t self;
	size_t quorum;
	struct elector_timing t;
	uint64_t sticky_ms;           /* no vote while primary heard within */
	bool never_stand;
	bool local_ok;                /* the local server is alive */
	bool want_primary;
	uint64_t max_epoch_jump;      /* 0: unlimited */
	bool peers_authenticated;     /* claims confirmed at once */
	uint64_t priority_lag_bytes;  /* the priority window */
	uint64_t max_lag_bytes;       /* 0: no lag limit */
	struct elector_store store;
	uint64_t rng;

	enum wire_role role;
	uint64_t epoch;
	uint64_t voted_epoch;         /* highest epoch voted in; 0: none */
	int voted_for;                /* whom, in voted_epoch; NONE: unknown */
	int primary;                  /* member index or ELECTOR_NONE */
	uint64_t primary_epoch;       /* the epoch it claimed primary in */
	char primary_addr[WIRE_ADDR_MAX + 1];
	bool primary_gone;            /* our primary stopped claiming: down now */
	int lost_primary;             /* it, not deferred to until: */
	uint64_t lost_primary_until_ms;
	uint64_t visible_since_ms;    /* majority heard since; MAX: not now */
	uint64_t offset;
	uint64_t primary_offset;      /* last a primary heartbeated; 0: none */
	bool lagging;                 /* beyond max_lag_bytes, as last reported */
	/*
	 * Since when this node has known no live primary, at rank_epoch:
	 * refusals for a better candidate by priority last one
	 * election_timeout from here. UINT64_MAX: a primary is live.
	 */
	uint64_t rank_wait_ms;
	uint64_t rank_epoch;

	/* Silence of the primary counts from here; pauses shift it. */
	uint64_t leader_ref_ms;
	/* A primary's grace before abdicating counts from here. */
	uint64_t quorum_ref_ms;
	uint64_t won_ms;              /* when this node last won */
	uint64_t next_hb_ms;
	uint64_t cand_start_ms;
	size_t votes;
	uint64_t backoff_until_ms;
	/*
	 * Since when this node could stand but for a live peer of the same
	 * offset and a smaller id, at tie_epoch; UINT64_MAX: not waiting.
	 */
	uint64_t tie_wait_ms;
	uint64_t tie_epoch;
	uint64_t last_now_ms;
	uint64_t next_deadline_ms;
	bool save_failing;

	/* Switchover, on the primary handing over (elector_switchover). */
	int so_target;                /* NONE: none under way */
	bool so_released;             /* the target was told to stand */
	bool so_voted;                /* we voted for it: no way back */
	uint64_t so_start_ms;
	uint64_t so_deadline_ms;
	/* On the target: the primary whose hand-off made us stand. */
	int cand_from;                /* NONE: an ordinary candidacy */
	bool cand_from_voted;         /* its ACCEPT is among our votes */
	bool won_handoff;             /* won with it: no hold to wait out */
	/*
	 * On the others: our primary was seen at round_epoch without
	 * claiming primary (it voted there): a candidacy is under way; no
	 * standing until round_until_ms, and no id tie-break at that epoch.
	 */
	uint64_t round_epoch;
	uint64_t round_until_ms;
	/* An OFFER refused only for stickiness, voted if that ends soon. */
	bool deferred;
	int deferred_from;
	uint64_t deferred_ms;
	struct wire_frame deferred_offer;
	/* Maintenance pause: no failover starts before this; 0: none. */
	uint64_t maint_until_ms;

	/* Quiet rule (elector_quiet.c); quiet_ms 0: off. */
	uint64_t quiet_ms;
	uint64_t spoke_ms;            /* last frame put out (not keepalives) */
	bool was_quiet;               /* last heartbeat time was a keepalive */
	uint64_t cand_fed_until_ms;   /* our frames before our OFFER may feed
	                                 a lease until then; 0: none */
	uint64_t hold_ms;             /* the hold of our last win */
	bool voted_quiet;             /* our vote of voted_epoch was marked */
	bool primary_quiet;           /* our primary announced a quiet win */
	uint64_t left_epoch;          /* its primary left it (or we did) */

	struct elector_stats stats;
};

/* elector_view.c */
bool elector_peer_alive(const struct elector *, size_t, uint64_t now_ms);
uint64_t elector_lease_until(const struct elector *);
uint64_t elector_majority_heard_at(const struct elector *);
uint64_t elector_hold_ms(const struct elector *);

/*
 * elector_rank.c: who is the better candidate (standing, voting, the
 * switchover's default target). A better candidate is FRESHER when its
 * offset decides (waited for while it lives), PREFERRED when only its
 * priority or id does (waited for one election_timeout).
 */
enum elector_rank_verdict {
	ELECTOR_RANK_NONE = 0,        /* nobody better */
	ELECTOR_RANK_PREFERRED,       /* better by priority or id */
	ELECTOR_RANK_FRESHER,         /* better by its offset */
};
bool elector_rank_lags(const struct elector *, uint64_t offset);
bool elector_rank_eligible(const struct elector *, size_t, uint64_t now_ms);
bool elector_rank_above(const struct elector *, size_t a, uint64_t a_offset,
    size_t b, uint64_t b_offset, uint64_t fresh);
enum elector_rank_verdict elector_rank_waits_for(const struct elector *,
    uint64_t now_ms);
enum elector_rank_verdict elector_rank_objects(const struct elector *,
    size_t c, uint64_t c_offset, bool self_may_stand, uint64_t now_ms);

/* elector_live.c: when to stand, how long a candidacy waits for votes. */
bool elector_live_claimant(const struct elector *, uint64_t now_ms);
uint64_t elector_live_stand_after(const struct elector *);
uint64_t elector_live_cand_deadline(const struct elector *, uint64_t now_ms);
bool elector_live_reoffer(const struct elector *, struct wire_frame *);
bool elector_live_reaccept(const struct elector *, int candidate,
    const struct wire_frame *offer, struct wire_frame *accept);

/* elector_quiet.c: the quiet rule. */
bool elector_quiet_rule_on(const struct elector *);
bool elector_quiet_vote(const struct elector *, uint64_t epoch,
    uint64_t now_ms);
uint64_t elector_quiet_fed_until(const struct elector *, uint64_t epoch);
uint64_t elector_quiet_hold_ms(const struct elector *, uint64_t now_ms);

#endif
