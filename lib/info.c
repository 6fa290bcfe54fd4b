/*
 * info: parse the replication section of INFO (see info.h).
 *
 * The text comes from our own local server, but a server is still input:
 * everything is bounded (INFO_LINE_MAX per line, INFO_REPLICAS_MAX
 * replicas kept, each string's cap), nothing is read past len, and the
 * result is built in a scratch struct that reaches *out only when the
 * whole text parsed, so a half-read INFO never reaches the elector.
 *
 * Why the whole parse fails on one bad known field rather than skipping
 * it: the adapter would otherwise act on a struct that silently lacks the
 * field it needs (the offset it reports, the role it checks) and could
 * not tell "the server did not say" from "we could not read it". Unknown
 * keys are skipped: every Redis, Valkey and kevy release adds some.
 */
#include <string.h>

#include "errbuf.h"
#include "info.h"
#include "num.h"
#include "resp.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A slice of the text: not NUL-ended. */
struct span {
	const char	*s;
	size_t		 n;
};

static bool
span_eq(struct span v, const char *lit)
{
	size_t n = strlen(lit);

	return v.n == n && memcmp(v.s, lit, n) == 0;
}

/* A host or a state: 1..max bytes of printable ASCII, no space. */
static bool
is_token(struct span v, size_t max)
{
	size_t i;

	if (v.n == 0 || v.n > max)
		return false;
	for (i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.s[i];

		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return true;
}

static void
copy_token(char *dst, struct span v)
{
	memcpy(dst, v.s, v.n);
	dst[v.n] = '\0';
}

static int
parse_u64(struct span v, uint64_t *out)
{
	return num_parse_u64(v.s, v.n, out);
}

/* 0..65535: Redis prints 0 for a replica that never sent its port. */
static int
parse_port(struct span v, uint16_t *out)
{
	uint64_t p;

	if (parse_u64(v, &p) == -1 || p > UINT16_MAX)
		return -1;
	*out = (uint16_t)p;
	return 0;
}

/* The fields of a slaveN line, by the bit recording that we saw them. */
enum {
	R_IP = 1u << 0,
	R_PORT = 1u << 1,
	R_STATE = 1u << 2,
	R_OFFSET = 1u << 3,
	R_LAG = 1u << 4,
	R_REQUIRED = R_IP | R_PORT | R_STATE | R_OFFSET,
};

/* "ip=10.0.0.2,port=6379,state=online,offset=123,lag=0"; unknown keys
 * skipped. Returns 0, or -1 with *why. */
static int
parse_replica(struct span v, struct info_replica *r, const char **why)
{
	unsigned seen = 0, bit;
	size_t pos = 0;

	memset(r, 0, sizeof *r);
	while (pos <= v.n) {
		const char *comma = memchr(v.s + pos, ',', v.n - pos);
		size_t end = comma != NULL ? (size_t)(comma - v.s) : v.n;
		struct span item = { v.s + pos, end - pos }, k, val;
		const char *eq = memchr(item.s, '=', item.n);
		int bad = 0;

		pos = end + 1;
		if (eq == NULL) {
			*why = "an item is not key=value";
			return -1;
		}
		k = (struct span){ item.s, (size_t)(eq - item.s) };
		val = (struct span){ eq + 1, item.n - k.n - 1 };
		if (span_eq(k, "ip")) {
			bit = R_IP;
			if (!(bad = !is_token(val, INFO_HOST_MAX)))
				copy_token(r->ip, val);
		} else if (span_eq(k, "port")) {
			bit = R_PORT;
			bad = parse_port(val, &r->port) == -1;
		} else if (span_eq(k, "state")) {
			bit = R_STATE;
			if (!(bad = !is_token(val, INFO_STATE_MAX)))
				copy_token(r->state, val);
		} else if (span_eq(k, "offset")) {
			bit = R_OFFSET;
			bad = parse_u64(val, &r->offset) == -1;
		} else if (span_eq(k, "lag")) {
			bit = R_LAG;
			bad = resp_parse_i64(val.s, val.n, &r->lag) == -1;
		} else {
			continue;
		}
		if (seen & bit) {
			*why = "a field appears twice";
			return -1;
		}
		if (bad) {
			*why = bit == R_IP ? "bad ip" : bit == R_PORT ?
			    "bad port" : bit == R_STATE ? "bad state" :
			    bit == R_OFFSET ? "bad offset" : "bad lag";
			return -1;
		}
		seen |= bit;
	}
	if ((seen & R_REQUIRED) != R_REQUIRED) {
		*why = "ip, port, state or offset missing";
		return -1;
	}
	r->has_lag = (seen & R_LAG) != 0;
	return 0;
}

/* Known keys besides role and slaveN, each a bit of have. */
enum field {
	F_MASTER_HOST,
	F_MASTER_PORT,
	F_MASTER_LINK,
	F_MASTER_SYNC,
	F_MASTER_REPL_OFFSET,
	F_SLAVE_REPL_OFFSET,
	F_CONNECTED_SLAVES,
};

static const struct {
	const char	*key;
	unsigned	 bit;
	const char	*why;
} fields[] = {
	[F_MASTER_HOST] = { "master_host", INFO_HAVE_MASTER_HOST,
	    "not a host name or address" },
	[F_MASTER_PORT] = { "master_port", INFO_HAVE_MASTER_PORT,
	    "not a port" },
	[F_MASTER_LINK] = { "master_link_status", INFO_HAVE_MASTER_LINK_STATUS,
	    "neither up nor down" },
	[F_MASTER_SYNC] = { "master_sync_in_progress", INFO_HAVE_MASTER_SYNC,
	    "neither 0 nor 1" },
	[F_MASTER_REPL_OFFSET] = { "master_repl_offset",
	    INFO_HAVE_MASTER_REPL_OFFSET, "not an offset" },
	[F_SLAVE_REPL_OFFSET] = { "slave_repl_offset",
	    INFO_HAVE_SLAVE_REPL_OFFSET, "not an offset" },
	[F_CONNECTED_SLAVES] = { "connected_slaves", INFO_HAVE_CONNECTED_SLAVES,
	    "not a count" },
};

/* Store value v of field f into r; -1 if v is malformed. */
static int
set_field(enum field f, struct span v, struct info_replication *r)
{
	switch (f) {
	case F_MASTER_HOST:
		if (!is_token(v, INFO_HOST_MAX))
			return -1;
		copy_token(r->master_host, v);
		return 0;
	case F_MASTER_PORT:
		return parse_port(v, &r->master_port);
	case F_MASTER_LINK:
		if (span_eq(v, "up"))
			r->master_link = INFO_LINK_UP;
		else if (span_eq(v, "down"))
			r->master_link = INFO_LINK_DOWN;
		else
			return -1;
		return 0;
	case F_MASTER_SYNC:
		if (!span_eq(v, "0") && !span_eq(v, "1"))
			return -1;
		r->master_sync_in_progress = v.s[0] == '1';
		return 0;
	case F_MASTER_REPL_OFFSET:
		return parse_u64(v, &r->master_repl_offset);
	case F_SLAVE_REPL_OFFSET:
		return parse_u64(v, &r->slave_repl_offset);
	case F_CONNECTED_SLAVES:
		return parse_u64(v, &r->connected_slaves);
	}
	return -1;
}

/* The parse of one text: the result so far and where we are. */
struct state {
	struct info_replication	 r;
	bool			 have_role;
	uint64_t		 nslaves;	/* slaveN lines seen */
	size_t			 lineno;
	char			*err;
	size_t			 errlen;
};

static int
line_fail(struct state *st, struct span key, const char *why)
{
	/* Called with a key only once it matched one of ours (a known
	 * name, or "slave" and digits): no server text reaches a log. */
	return errbuf_set(st->err, st->errlen, "line %zu: %.*s%s%s",
	    st->lineno, (int)key.n, key.s, key.n > 0 ? ": " : "", why);
}

/* "slave<N>" with N digits: the index N; -1 if key is not one. */
static int
slave_index(struct span key, uint64_t *n)
{
	static const char pfx[] = "slave";
	const size_t plen = sizeof pfx - 1;

	if (key.n <= plen || memcmp(key.s, pfx, plen) != 0)
		return -1;
	return num_parse_u64(key.s + plen, key.n - plen, n);
}

static int
parse_line(struct state *st, struct span key, struct span v)
{
	struct info_replication *r = &st->r;
	const char *why;
	uint64_t idx;
	size_t i;

	if (span_eq(key, "role")) {
		if (st->have_role)
			return line_fail(st, key, "appears twice");
		if (span_eq(v, "master"))
			r->role = INFO_ROLE_PRIMARY;
		else if (span_eq(v, "slave") || span_eq(v, "replica"))
			r->role = INFO_ROLE_REPLICA;
		else
			return line_fail(st, key, "unknown role");
		st->have_role = true;
		return 0;
	}
	if (slave_index(key, &idx) == 0) {
		struct info_replica rep;

		/* Redis numbers them 0, 1, ... as it prints them. */
		if (idx != st->nslaves)
			return line_fail(st, key, "out of order");
		st->nslaves++;
		if (parse_replica(v, &rep, &why) == -1)
			return line_fail(st, key, why);
		if (r->nreplicas < INFO_REPLICAS_MAX)
			r->replicas[r->nreplicas++] = rep;
		else
			r->replicas_omitted++;
		return 0;
	}
	for (i = 0; i < NELEM(fields); i++) {
		if (!span_eq(key, fields[i].key))
			continue;
		if (r->have & fields[i].bit)
			return line_fail(st, key, "appears twice");
		if (set_field((enum field)i, v, r) == -1)
			return line_fail(st, key, fields[i].why);
		r->have |= fields[i].bit;
		return 0;
	}
	return 0;	/* a key we do not use */
}

int
info_parse_replication(const char *text, size_t len,
    struct info_replication *out, char *err, size_t errlen)
{
	static const struct span none = { "", 0 };
	struct state st;
	size_t pos = 0;

	memset(&st, 0, sizeof st);
	st.err = err;
	st.errlen = errlen;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		struct span line = { text + pos, end - pos }, key, v;
		const char *colon;

		pos = end + 1;
		st.lineno++;
		if (line.n > 0 && line.s[line.n - 1] == '\r')
			line.n--;
		if (line.n > INFO_LINE_MAX)
			return line_fail(&st, none, "line too long");
		if (memchr(line.s, '\0', line.n) != NULL)
			return line_fail(&st, none, "NUL in the text");
		if (line.n == 0 || line.s[0] == '#')
			continue;
		if ((colon = memchr(line.s, ':', line.n)) == NULL)
			return line_fail(&st, none, "not key:value");
		key = (struct span){ line.s, (size_t)(colon - line.s) };
		v = (struct span){ colon + 1, line.n - key.n - 1 };
		if (parse_line(&st, key, v) == -1)
			return -1;
	}
	if (!st.have_role)
		return errbuf_set(err, errlen,
		    "no role line: not INFO replication");
	*out = st.r;
	return 0;
}

const char *
info_role_name(enum info_role r)
{
	switch (r) {
	case INFO_ROLE_PRIMARY:
		return "primary";
	case INFO_ROLE_REPLICA:
		return "replica";
	case INFO_ROLE_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *
info_link_name(enum info_link l)
{
	switch (l) {
	case INFO_LINK_UP:
		return "up";
	case INFO_LINK_DOWN:
		return "down";
	case INFO_LINK_UNKNOWN:
		break;
	}
	return "unknown";
}
