/*
 * sentinel: Redis Sentinel as the benchmarks' comparison stack: one
 * redis-sentinel per server, each with a config file of its own (which it
 * rewrites), monitoring one master named SENTINEL_MASTER, and the
 * questions a client or a bench asks of it (where is the master, does
 * this sentinel see a settled cluster).
 */
#ifndef SENTINEL_H
#define SENTINEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "redis.h"

#define SENTINEL_MASTER "m"         /* the name of the monitored master */
#define SENTINEL_CMD_MS 1000        /* bound on one question's answer */

/* What every sentinel of a stack is told. */
struct sentinel_conf {
	struct redis_addr master;   /* the first master (host, port) */
	unsigned	 quorum;
	uint64_t	 down_after_ms;
	uint64_t	 failover_timeout_ms;
	const char	*dir;       /* its working directory */
};

/*
 * Write sentinel self's config file at path: port, bind, dir, monitor
 * SENTINEL_MASTER at c->master with c->quorum, down-after-milliseconds,
 * failover-timeout, parallel-syncs 1. 0 or -1.
 */
int sentinel_write_conf(const char *path, const struct redis_addr *self,
    const struct sentinel_conf *c);
/*
 * Start redis-sentinel with config file conf in self's namespace (the
 * redis-server binary in sentinel mode without the redis-sentinel
 * package), log appended to log, and await its PONG. pid or -1.
 */
pid_t sentinel_start(const struct redis_addr *self, const char *conf,
    const char *log);
/*
 * The master sentinel s names (SENTINEL get-master-addr-by-name) into
 * *master (host and port; nsfd left alone). 0, or -1: no answer, or not
 * an address.
 */
int sentinel_master(const struct redis_addr *s, struct redis_reply *scratch,
    struct redis_addr *master);
/*
 * Sentinel s agrees the master is at *master: names it, sees n - 1
 * healthy replicas and n - 1 other sentinels, no failover running, and
 * says a failover could be authorized (CKQUORUM: n usable sentinels).
 */
bool sentinel_agrees(const struct redis_addr *s, size_t n,
    const struct redis_addr *master, struct redis_reply *scratch);

#endif
