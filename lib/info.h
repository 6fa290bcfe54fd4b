/*
 * info: the replication section of the local server's INFO reply (the
 * payload of the bulk string "INFO replication" returns) as a struct:
 * its role, its primary and the link to it, its offsets, and the
 * replicas attached to it.
 *
 * Pure code: no I/O, no allocation. It reads the text it is given and
 * never past len, assumes no NUL at the end, and writes *out only when
 * the whole text parsed. It must never guess: a known field with a value
 * it cannot read fails the parse, rather than hand the elector an offset
 * or a role that the server did not say.
 */
#ifndef INFO_H
#define INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * INFO_REPLICAS_MAX: the adapter looks at the replicas a primary lists to
 * see that they are attached and how far behind; the elector learns the
 * members' offsets from the members themselves. Lines past the cap are
 * counted (replicas_omitted), and connected_slaves keeps the true number.
 * INFO_HOST_MAX: a DNS name is at most 253 bytes, an IPv6 literal 45; as
 * WIRE_ADDR_MAX.
 * INFO_STATE_MAX: the longest replica state Redis 7 prints is
 * "wait_bgsave" (11 bytes); room for a future one.
 * INFO_LINE_MAX: the longest line we expect is a slaveN line with a long
 * host name, under 400 bytes.
 */
#define INFO_REPLICAS_MAX 16   /* slaveN lines kept */
#define INFO_HOST_MAX     255  /* bytes in master_host or a replica's ip */
#define INFO_STATE_MAX    31   /* bytes in a replica's state */
#define INFO_LINE_MAX     1024 /* bytes in one line, without its line end */

enum info_role {
	INFO_ROLE_UNKNOWN = 0,
	INFO_ROLE_PRIMARY,    /* role:master */
	INFO_ROLE_REPLICA,    /* role:slave (or role:replica) */
};

enum info_link {
	INFO_LINK_UNKNOWN = 0, /* no master_link_status line */
	INFO_LINK_UP,
	INFO_LINK_DOWN,
};

/* Which fields the text held: bits of info_replication.have. */
#define INFO_HAVE_MASTER_HOST         (1u << 0)
#define INFO_HAVE_MASTER_PORT         (1u << 1)
#define INFO_HAVE_MASTER_LINK_STATUS  (1u << 2)
#define INFO_HAVE_MASTER_SYNC         (1u << 3)
#define INFO_HAVE_MASTER_REPL_OFFSET  (1u << 4)
#define INFO_HAVE_SLAVE_REPL_OFFSET   (1u << 5)
#define INFO_HAVE_CONNECTED_SLAVES    (1u << 6)

/* One "slaveN:ip=...,port=...,state=...,offset=...,lag=..." line. */
struct info_replica {
	char		 ip[INFO_HOST_MAX + 1];	/* NUL-ended */
	uint16_t	 port;			/* 0: the replica did not say */
	char		 state[INFO_STATE_MAX + 1]; /* "online", ... */
	uint64_t	 offset;
	int64_t		 lag;		/* seconds; < 0 after a clock step */
	bool		 has_lag;	/* lag= was there */
};

struct info_replication {
	unsigned	 have;		/* INFO_HAVE_* */
	enum info_role	 role;		/* always set: role is required */
	char		 master_host[INFO_HOST_MAX + 1]; /* NUL-ended */
	uint16_t	 master_port;
	enum info_link	 master_link;
	bool		 master_sync_in_progress;
	uint64_t	 master_repl_offset;
	uint64_t	 slave_repl_offset;
	uint64_t	 connected_slaves;
	size_t		 nreplicas;	/* replicas[0 .. nreplicas) */
	size_t		 replicas_omitted; /* slaveN lines past the cap */
	struct info_replica replicas[INFO_REPLICAS_MAX];
};

/*
 * Parse text[0..len), lines ending in CRLF or LF (the last may end
 * without one). Blank lines and "# Section" lines are skipped; every
 * other line is "key:value"; unknown keys are ignored. Returns 0, or -1
 * with a sentence in err ("line 4: master_port: not a port") and *out
 * untouched, when:
 * - a line has no ':', holds a NUL, or is longer than INFO_LINE_MAX;
 * - a known key appears twice, or slaveN lines are not slave0, slave1,
 *   ... in order (what Redis prints);
 * - a known key's value is malformed: a number that num_parse_u64 (or
 *   resp_parse_i64 for lag) refuses, a port over 65535, a flag other than
 *   0 or 1, a link status other than up or down, an unknown role, a host
 *   or state that is empty, too long or not printable ASCII without
 *   spaces; a slaveN line without ip, port, state or offset;
 * - there is no role line: then the text is not INFO replication.
 */
int info_parse_replication(const char *text, size_t len,
    struct info_replication *out, char *err, size_t errlen);

/* "primary", "replica", "unknown"; "up", "down", "unknown". */
const char *info_role_name(enum info_role);
const char *info_link_name(enum info_link);

#endif
