/*
 * sentinel: redis-sentinel processes and their answers (sentinel.h).
 */
#include <stdio.h>
#include <string.h>

#include "sentinel.h"

#define SENTINEL_BIN "redis-sentinel"

int
sentinel_write_conf(const char *path, const struct redis_addr *self,
    const struct sentinel_conf *c)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "port %u\nbind %s\nprotected-mode no\n"
	    "daemonize no\ndir %s\n"
	    "sentinel monitor " SENTINEL_MASTER " %s %u %u\n"
	    "sentinel down-after-milliseconds " SENTINEL_MASTER " %llu\n"
	    "sentinel failover-timeout " SENTINEL_MASTER " %llu\n"
	    "sentinel parallel-syncs " SENTINEL_MASTER " 1\n",
	    (unsigned)self->port, self->host, c->dir, c->master.host,
	    (unsigned)c->master.port, c->quorum,
	    (unsigned long long)c->down_after_ms,
	    (unsigned long long)c->failover_timeout_ms);
	return fclose(f);
}

pid_t
sentinel_start(const struct redis_addr *self, const char *conf,
    const char *log)
{
	const char *sent[] = { SENTINEL_BIN, conf, NULL };
	const char *server[] = { "redis-server", conf, "--sentinel", NULL };
	pid_t pid = redis_spawn(self->nsfd, sent, log, self);

	/* Without the redis-sentinel package: the same code. */
	return pid > 0 ? pid : redis_spawn(self->nsfd, server, log, self);
}

int
sentinel_master(const struct redis_addr *s, struct redis_reply *scratch,
    struct redis_addr *master)
{
	static const char *const argv[] = { "SENTINEL",
	    "get-master-addr-by-name", SENTINEL_MASTER, NULL };
	const struct resp_reply *r = &scratch->r;
	const struct resp_elem *a, *h;
	uint16_t port;

	if (redis_ask(s, argv, scratch, SENTINEL_CMD_MS) == -1)
		return -1;
	a = resp_root(r);
	if (a->type != RESP_TYPE_ARRAY ||
	    (h = resp_child(r, a, 0)) == NULL || h->type != RESP_TYPE_BULK ||
	    h->len == 0 || h->len >= sizeof(master->host) ||
	    (port = redis_elem_port(resp_child(r, a, 1))) == 0)
		return -1;
	memcpy(master->host, h->str, h->len);
	master->host[h->len] = '\0';
	master->port = port;
	return 0;
}

bool
sentinel_agrees(const struct redis_addr *s, size_t n,
    const struct redis_addr *master, struct redis_reply *scratch)
{
	static const char *const ckq[] = { "SENTINEL", "CKQUORUM",
	    SENTINEL_MASTER, NULL };
	static const char *const mst[] = { "SENTINEL", "MASTER",
	    SENTINEL_MASTER, NULL };
	static const char *const rep[] = { "SENTINEL", "REPLICAS",
	    SENTINEL_MASTER, NULL };
	const struct resp_reply *r = &scratch->r;
	const struct resp_elem *a, *e;
	struct redis_addr named;
	char usable[32], others[16];
	size_t k;

	if (sentinel_master(s, scratch, &named) == -1 ||
	    named.port != master->port ||
	    strcmp(named.host, master->host) != 0)
		return false;
	snprintf(usable, sizeof(usable), "OK %zu ", n);
	if (redis_ask(s, ckq, scratch, SENTINEL_CMD_MS) == -1 ||
	    (a = resp_root(r))->type != RESP_TYPE_SIMPLE ||
	    a->len < strlen(usable) ||
	    memcmp(a->str, usable, strlen(usable)) != 0)
		return false;
	if (redis_ask(s, mst, scratch, SENTINEL_CMD_MS) == -1)
		return false;
	a = resp_root(r);
	snprintf(others, sizeof(others), "%zu", n - 1);
	if (!resp_str_eq(redis_kv(r, a, "flags"), "master") ||
	    !resp_str_eq(redis_kv(r, a, "num-slaves"), others) ||
	    !resp_str_eq(redis_kv(r, a, "num-other-sentinels"), others))
		return false;
	if (redis_ask(s, rep, scratch, SENTINEL_CMD_MS) == -1)
		return false;
	a = resp_root(r);
	for (k = 0; (e = resp_child(r, a, k)) != NULL; k++)
		if (!resp_str_eq(redis_kv(r, e, "flags"), "slave"))
			return false;
	return k == n - 1;
}
