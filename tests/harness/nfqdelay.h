/*
 * nfqdelay: heartbeat jitter where the kernel has no sch_netem. A child
 * process enters one node's network namespace, takes the packets that an
 * rule queues to it (every packet leaving eth0: `iptables -t mangle -A
 * OUTPUT -o eth0 -j NFQUEUE --queue-num Q`, which the child puts in itself
 * once it holds the queue), holds each for a delay drawn uniformly from
 * [0, max_delay_us] and lets it go unchanged. That is the law of
 * `tc qdisc add dev eth0 root netem delay J/2 J/2` (netem draws its jitter
 * uniformly unless given a distribution table), J = max_delay_us: frames
 * sent one interval apart arrive between 0 and interval + J apart. Why
 * not netem itself: kernels without CONFIG_NET_SCH_NETEM (this machine's)
 * exist, and the NFQUEUE target is in any netfilter build (iptables puts
 * it in through nft_compat or the legacy tables; nft's own `queue`
 * expression needs CONFIG_NFT_QUEUE, which this kernel lacks too).
 *
 * It also measures what it shapes: the gaps between the election frames
 * (TCP segments with payload to frame_port) as their receiver gets them.
 * TCP delivers in order, so a segment reaches the peer's daemon once it
 * and every earlier segment of its connection are released.
 *
 * Must never: drop or alter a packet, hold one longer than max_delay_us
 * (plus scheduling), or outlive its parent (PR_SET_PDEATHSIG).
 */
#ifndef NFQDELAY_H
#define NFQDELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFQDELAY_GAP_BUCKETS 4096  /* 1 ms buckets of frame gaps; the last: longer */
#define NFQDELAY_HELD_MAX    8192  /* packets held at once; beyond: sent at once */
#define NFQDELAY_START_MS    5000  /* bound on the child binding its queue */

/* Counters the child keeps in memory shared with the parent. */
struct nfqdelay_stats {
	uint64_t packets;          /* packets held and released */
	uint64_t held_sum_us;      /* their holds, summed */
	uint64_t held_max_us;      /* the longest drawn hold */
	uint64_t unheld;           /* released at once: the hold queue full */
	uint64_t frames;           /* election segments with payload */
	uint64_t gap_max_us;       /* the longest gap between two of them */
	uint64_t gaps[NFQDELAY_GAP_BUCKETS];
};

struct nfqdelay;

/*
 * Fork the child into the namespace nsfd (setns), bind NFQUEUE queue and
 * put the rule in; returns once both are done, or NULL with a reason in
 * why (no iptables: mk/deps.sh installs it as root).
 */
struct nfqdelay *nfqdelay_start(int nsfd, uint16_t queue,
    uint64_t max_delay_us, uint16_t frame_port, uint64_t seed, char *why,
    size_t why_cap);
/* Is the child still running? */
bool nfqdelay_is_alive(struct nfqdelay *);
/* A copy of the child's counters (a snapshot; exact once it stopped). */
void nfqdelay_stats(const struct nfqdelay *, struct nfqdelay_stats *);
/* Kill and reap the child; the counters stay readable until the free. */
void nfqdelay_stop(struct nfqdelay *);
void nfqdelay_free(struct nfqdelay *);

#endif
