/*
 * config_schema: the table of every key kevy-electd.conf may hold, and
 * the hooks for the keys whose value is not a plain field. A row says
 * where its value lives (offset and size in struct config), how SIGHUP
 * treats a change (live or restart) and what the docs say about it.
 * Generic checks (unknown keys, types, integer ranges, string lengths,
 * required keys, defaults) live in the walker in config.c and are driven
 * by the table; a hook only does what is particular to its key. Nothing
 * is written on failure, so a zeroed field still means "unset or bad" to
 * the cross-checks that run after the walk.
 *
 * Syntax only: nothing here resolves a host, looks up a group or touches
 * the file system; that happens when the daemon uses the values. The one
 * effect is the apply hook of a live key (log_level: the logger's level),
 * which only reload.c calls, on SIGHUP.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "num.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define STR_(x) #x
#define STR(x) STR_(x)
#define PORT_MAX 65535

/* ---- host:port ---- */

static bool
is_name_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

int
config_parse_hostport_why(const char *s, struct config_hostport *out,
    const char **why)
{
	const char *host, *port;
	char buf[CONFIG_HOST_MAX + 1], *zone;
	unsigned char v6[16];
	size_t hlen, i;
	uint64_t p;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
			*why = "contains a space, control or non-ASCII byte";
			return -1;
		}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			*why = "expected [IPv6 address]:port";
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (colon == NULL) {
			*why = "expected host:port";
			return -1;
		}
		host = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
		/* "::1:7400" is ambiguous: which colon starts the port? */
		if (memchr(host, ':', hlen) != NULL) {
			*why = "an IPv6 address must be bracketed, as [::1]:7400";
			return -1;
		}
	}
	if (hlen == 0) {
		*why = "empty host";
		return -1;
	}
	if (hlen > CONFIG_HOST_MAX) {
		*why = "host longer than " STR(CONFIG_HOST_MAX) " bytes";
		return -1;
	}
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (s[0] == '[') {
		/* A zone ("fe80::1%eth0") names an interface, not an address. */
		if ((zone = strchr(buf, '%')) != NULL)
			*zone = '\0';
		if (inet_pton(AF_INET6, buf, v6) != 1) {
			*why = "not an IPv6 address inside [ ]";
			return -1;
		}
		if (zone != NULL)
			*zone = '%';
	} else {
		for (i = 0; i < hlen; i++)
			if (!is_name_byte((unsigned char)buf[i])) {
				*why = "host may hold only letters, digits, "
				    "'-', '.' and '_'";
				return -1;
			}
	}
	if (num_parse_u64(port, strlen(port), &p) == -1 || p == 0 ||
	    p > PORT_MAX) {
		*why = "port must be a number 1..65535";
		return -1;
	}
	memcpy(out->host, buf, hlen + 1);
	out->port = (uint16_t)p;
	return 0;
}

int
config_parse_hostport(const char *s, struct config_hostport *out)
{
	const char *why;

	return config_parse_hostport_why(s, out, &why);
}

/* ---- checks: a string's own rule, then the generic copy ---- */

/* Ids go into elect.meta, where "voted -" means no vote: "-" is taken. */
static int
check_id(const char *s, const char **why)
{
	if (!wire_id_is_valid(s, strlen(s))) {
		*why = "an id may hold only printable ASCII without spaces";
		return -1;
	}
	if (strcmp(s, "-") == 0) {
		*why = "\"-\" is reserved (elect.meta writes \"voted -\")";
		return -1;
	}
	return 0;
}

static int
check_abs_path(const char *s, const char **why)
{
	if (s[0] != '/') {
		*why = "must be an absolute path";
		return -1;
	}
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) {
			*why = "contains a control byte";
			return -1;
		}
	return 0;
}

/* "" turns the feature off. */
static int
check_abs_path_or_empty(const char *s, const char **why)
{
	return s[0] == '\0' ? 0 : check_abs_path(s, why);
}

/* Kept as written: it travels in ANNOUNCE and the server dials it. */
static int
check_hostport(const char *s, const char **why)
{
	struct config_hostport hp;

	return config_parse_hostport_why(s, &hp, why);
}

/* The portable name set of POSIX; looked up only when the socket is made. */
static int
check_group_name(const char *s, const char **why)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!is_name_byte((unsigned char)*p) || *s == '-') {
			*why = "a group name may hold only letters, digits, "
			    "'-', '.' and '_', and not start with '-'";
			return -1;
		}
	return 0;
}

/* An ACL user goes to AUTH as one argument and into logs: no spaces. */
static int
check_acl_user(const char *s, const char **why)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
			*why = "a user name may hold only printable ASCII "
			    "without spaces";
			return -1;
		}
	return 0;
}

/* ---- setters: values stored as something else than themselves ---- */

static int
set_member_election(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	return config_parse_hostport_why(v->str, &c->members[m].election, why);
}

static int
set_listen(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	return config_parse_hostport_why(v->str, &c->listen, why);
}

/* A string, because libconfig reads the integer 0660 as decimal 660. */
static int
set_control_mode(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	unsigned mode = 0;
	const char *s;

	(void)m;
	for (s = v->str; *s != '\0'; s++) {
		if (*s < '0' || *s > '7' || mode > 0777) {
			*why = "expected octal digits 0..0777, as \"0660\"";
			return -1;
		}
		mode = mode * 8 + (unsigned)(*s - '0');
	}
	if (v->str[0] == '\0' || mode > 0777) {
		*why = "expected octal digits 0..0777, as \"0660\"";
		return -1;
	}
	c->control_mode = (mode_t)mode;
	return 0;
}

/* Lists of ids: root and the daemon's own uid may always write. */
static int
set_write_uids(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	(void)why;
	memcpy(c->write_uids, v->ids, v->n_ids * sizeof(v->ids[0]));
	c->n_write_uids = v->n_ids;
	return 0;
}

static int
set_write_gids(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	(void)why;
	memcpy(c->write_gids, v->ids, v->n_ids * sizeof(v->ids[0]));
	c->n_write_gids = v->n_ids;
	return 0;
}

static int
set_initial_role(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (strcmp(v->str, "replica") == 0)
		c->want_primary = false;
	else if (strcmp(v->str, "primary") == 0)
		c->want_primary = true;
	else {
		*why = "expected \"replica\" or \"primary\"";
		return -1;
	}
	return 0;
}

static int
set_log_level(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (log_level_parse(v->str, &c->log_level) == -1) {
		*why = "expected \"error\", \"warn\", \"info\" or \"debug\"";
		return -1;
	}
	return 0;
}

static int
set_http_listen(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	c->http_enabled = false;
	if (v->str[0] == '\0')
		return 0;
	if (config_parse_hostport_why(v->str, &c->http_listen, why) == -1)
		return -1;
	c->http_enabled = true;
	return 0;
}

/* A Unix socket path (absolute) or host:port; either turns the adapter on. */
static int
set_server_address(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	struct config_server *sv = &c->server;
	struct config_hostport hp = { .port = 0 };

	(void)m;
	if (v->str[0] == '/') {
		if (check_abs_path(v->str, why) == -1)
			return -1;
		if (strlen(v->str) > CONFIG_SUN_PATH_MAX) {
			*why = "a Unix socket path is longer than "
			    STR(CONFIG_SUN_PATH_MAX) " bytes";
			return -1;
		}
		snprintf(sv->unix_path, sizeof sv->unix_path, "%s", v->str);
	} else if (strchr(v->str, ':') == NULL) {
		*why = "expected host:port or an absolute Unix socket path";
		return -1;
	} else if (config_parse_hostport_why(v->str, &hp, why) == -1)
		return -1;
	else
		sv->unix_path[0] = '\0';
	sv->tcp = hp;
	snprintf(sv->address, sizeof sv->address, "%s", v->str);
	sv->enabled = true;
	return 0;
}

static int
set_server_fence(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (strcmp(v->str, "auto") == 0)
		c->server.fence = CONFIG_FENCE_AUTO;
	else if (strcmp(v->str, "min-replicas") == 0)
		c->server.fence = CONFIG_FENCE_MIN_REPLICAS;
	else if (strcmp(v->str, "none") == 0)
		c->server.fence = CONFIG_FENCE_NONE;
	else {
		*why = "expected \"auto\", \"min-replicas\" or \"none\"";
		return -1;
	}
	return 0;
}

/* ---- compares, for SIGHUP ---- */

/* Not a memcmp: nothing promises what follows the host's NUL. */
static bool
hostport_equal(const struct config_hostport *a,
    const struct config_hostport *b)
{
	return strcmp(a->host, b->host) == 0 && a->port == b->port;
}

static bool
same_member_election(const struct config *a, const struct config *b,
    size_t m)
{
	return hostport_equal(&a->members[m].election, &b->members[m].election);
}

static bool
same_listen(const struct config *a, const struct config *b, size_t m)
{
	(void)m;
	return hostport_equal(&a->listen, &b->listen);
}

static bool
same_http_listen(const struct config *a, const struct config *b, size_t m)
{
	(void)m;
	return a->http_enabled == b->http_enabled &&
	    hostport_equal(&a->http_listen, &b->http_listen);
}

/* As written: the parsed forms follow from it. */
static bool
same_server_address(const struct config *a, const struct config *b, size_t m)
{
	(void)m;
	return a->server.enabled == b->server.enabled &&
	    strcmp(a->server.address, b->server.address) == 0;
}

static bool
ids_equal(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	return na == nb && memcmp(a, b, na * sizeof(a[0])) == 0;
}

static bool
same_write_uids(const struct config *a, const struct config *b, size_t m)
{
	(void)m;
	return ids_equal(a->write_uids, a->n_write_uids, b->write_uids,
	    b->n_write_uids);
}

static bool
same_write_gids(const struct config *a, const struct config *b, size_t m)
{
	(void)m;
	return ids_equal(a->write_gids, a->n_write_gids, b->write_gids,
	    b->n_write_gids);
}

/* ---- live keys: what SIGHUP does with a new value ---- */

static void
apply_log_level(struct config *cur, const struct config *fresh, char *said,
    size_t cap)
{
	snprintf(said, cap, "%s -> %s", log_level_name(cur->log_level),
	    log_level_name(fresh->log_level));
	log_set_level(fresh->log_level);
	cur->log_level = fresh->log_level;
}

static void
apply_handoff_on_stop(struct config *cur, const struct config *fresh,
    char *said, size_t cap)
{
	snprintf(said, cap, "%llu -> %llu",
	    (unsigned long long)cur->handoff_on_stop_ms,
	    (unsigned long long)fresh->handoff_on_stop_ms);
	cur->handoff_on_stop_ms = fresh->handoff_on_stop_ms;
}

/* ---- the table ---- */

/* The field a row's value lives in: offset and size, for store and compare. */
#define IN_CONFIG(f) .off = offsetof(struct config, f), \
	.size = sizeof(((struct config *)0)->f)
#define IN_MEMBER(f) .off = offsetof(struct config_member, f), \
	.size = sizeof(((struct config_member *)0)->f)
#define TIMING_MAX ELECTOR_TIMING_MAX_MS

static const struct config_key keys[] = {
	{
		.path = "node_id", .section = "Membership",
		.kind = CONFIG_KIND_STRING, .required = true,
		.min = 1, .max = WIRE_ID_MAX,
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		IN_CONFIG(node_id), .check = check_id,
		.form = "printable ASCII, no spaces, not `-`",
		.help = "This node's id: the `id` of one `members` entry.",
	},
	{
		.path = "members",
		.kind = CONFIG_KIND_LIST, .required = true,
		.min = 1, .max = ELECTOR_MEMBERS_MAX,
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		IN_CONFIG(n_members), .opens = CONFIG_SCOPE_MEMBER,
		.help = "Every node of the cluster, self included: the same "
		    "list, in any order, on every node; an odd count is "
		    "recommended. Each entry is a group of the `members.[]` "
		    "keys below.",
	},
	{
		.path = "members.[].id",
		.kind = CONFIG_KIND_STRING, .required = true,
		.min = 1, .max = WIRE_ID_MAX,
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		IN_MEMBER(id), .check = check_id,
		.form = "printable ASCII, no spaces, not `-`, unique",
		.help = "The node's id; kebab-case recommended (`replica-1`).",
	},
	{
		.path = "members.[].election",
		.kind = CONFIG_KIND_STRING, .required = true,
		.min = 1, .max = WIRE_ADDR_MAX,
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		.set = set_member_election, .same = same_member_election,
		.form = "`host:port`, unique",
		.help = "Where its elector listens; peers dial it.",
	},
	{
		.path = "members.[].client",
		.kind = CONFIG_KIND_STRING, .required = true,
		.min = 1, .max = WIRE_ADDR_MAX,
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		IN_MEMBER(client), .check = check_hostport,
		.form = "`host:port`",
		.help = "Its kevy server's client address, what ANNOUNCE "
		    "carries when it wins.",
	},
	{
		.path = "members.[].never_stand",
		.kind = CONFIG_KIND_BOOL, .def = "false",
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		IN_MEMBER(never_stand),
		.help = "A witness: votes, never stands; the other nodes "
		    "never defer to it. The same as `priority = 0` (setting "
		    "both so that they disagree is an error).",
	},
	{
		.path = "members.[].priority",
		.kind = CONFIG_KIND_INT,
		.min = 0, .max = ELECTOR_PRIORITY_MAX,
		.def = STR(ELECTOR_PRIORITY_DEFAULT),
		.reload = CONFIG_RELOAD_MEMBERSHIP,
		IN_MEMBER(priority),
		.help = "Which node should win: among candidates whose "
		    "offsets are within `priority_lag_bytes` of the freshest, "
		    "the higher priority wins, then the higher offset, then "
		    "the smaller id; 0: never stands (`never_stand`). Every "
		    "node applies the same order, standing and voting "
		    "(docs/design/elector.md, \"Priorities and a lag "
		    "limit\").",
	},
	{
		.path = "listen", .section = "Addresses and files",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = WIRE_ADDR_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		.set = set_listen, .same = same_listen,
		.derived = "own `election`",
		.form = "`host:port`",
		.help = "Where to accept peer connections: `\"0.0.0.0:7401\"` "
		    "or `\"[::]:7401\"` for every interface.",
	},
	{
		.path = "advertise",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = WIRE_ADDR_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(advertise), .check = check_hostport,
		.derived = "own `client`",
		.form = "`host:port`",
		.help = "The client address this node announces when it wins "
		    "(set it behind NAT).",
	},
	{
		.path = "state_dir",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = CONFIG_PATH_MAX,
		.def = CONFIG_DEFAULT_STATE_DIR,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(state_dir), .check = check_abs_path,
		.form = "absolute path",
		.help = "Directory of `elect.meta` (epoch and vote); one per "
		    "node.",
	},
	{
		.path = "control",
		.kind = CONFIG_KIND_GROUP, .opens = CONFIG_SCOPE_CONTROL,
		.help = "The control socket: the `control.` keys below.",
	},
	{
		.path = "control.path",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = CONFIG_SUN_PATH_MAX,
		.def = CONFIG_DEFAULT_CONTROL,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(control_path), .check = check_abs_path,
		.form = "absolute path",
		.help = "Path of the Unix control socket.",
	},
	{
		.path = "control.mode",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = CONFIG_NAME_MAX, .def = "0660",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(control_mode), .set = set_control_mode,
		.form = "octal `\"0\"`..`\"0777\"`",
		.help = "Permission bits of the socket; a string because "
		    "libconfig reads `0660` as decimal 660. A world-writable "
		    "mode gives a warning.",
	},
	{
		.path = "control.group",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = CONFIG_NAME_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(control_group), .check = check_group_name,
		.form = "`[A-Za-z0-9._-]`, not starting with `-`",
		.help = "Group owning the socket, looked up at start; `\"\"`: "
		    "the daemon's own group.",
	},
	{
		.path = "control.write_uids",
		.kind = CONFIG_KIND_IDS,
		.min = 0, .max = CONFIG_UIDS_MAX, .def = "[]",
		.reload = CONFIG_RELOAD_RESTART,
		.set = set_write_uids, .same = same_write_uids,
		.form = "as `[0, 1000]`",
		.help = "Uids (the client's `SO_PEERCRED` uid) allowed the "
		    "write verbs `OFFSET <n>` and `ALIVE`, besides root and "
		    "the daemon's own uid, which always are. Anyone who can "
		    "connect may use the read verbs; any other client gets "
		    "`ERR permission denied` "
		    "(docs/reference/control-protocol.md, \"Permissions\").",
	},
	{
		.path = "control.write_gids",
		.kind = CONFIG_KIND_IDS,
		.min = 0, .max = CONFIG_UIDS_MAX, .def = "[]",
		.reload = CONFIG_RELOAD_RESTART,
		.set = set_write_gids, .same = same_write_gids,
		.form = "as `[0, 1000]`",
		.help = "Gids (the client's `SO_PEERCRED` gid, its primary "
		    "group) allowed the write verbs.",
	},
	{
		.path = "hb_interval_ms", .section = "Timings",
		.kind = CONFIG_KIND_MS,
		.min = 1, .max = TIMING_MAX,
		.def = STR(ELECTOR_HB_INTERVAL_DEFAULT),
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.hb_interval_ms),
		.help = "Heartbeat period, per peer.",
	},
	{
		.path = "down_after_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX,
		.def = STR(ELECTOR_DOWN_AFTER_DEFAULT),
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.down_after_ms),
		.help = "A peer unheard this long is down.",
	},
	{
		.path = "election_timeout_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.election_timeout_ms),
		.derived = "6/10 x `down_after_ms`",
		.help = "A candidate without a quorum gives up after this. "
		    "Unset: 6/10 of `down_after_ms` (3000 at its default), so "
		    "that fast failure detection also retries fast; a value "
		    "set here wins. Reference nodes of a mixed cluster keep "
		    "their own fixed 3000 ms.",
	},
	{
		.path = "election_backoff_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.backoff_ms),
		.derived = "2/10 x `down_after_ms`",
		.help = "No new candidacy for this long after a failed one. "
		    "Unset: 2/10 of `down_after_ms` (1000 at its default).",
	},
	{
		.path = "election_backoff_jitter_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.backoff_jitter_ms),
		.derived = "8/10 x `down_after_ms`",
		.help = "Plus a random [0, this) on each backoff. Unset: 8/10 "
		    "of `down_after_ms` (4000 at its default).",
	},
	{
		.path = "lease_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.lease_ms),
		.derived = "derived",
		.help = "A primary unheard by a majority this long is fenced. "
		    "0 or unset: derived from `hb_interval_ms` and "
		    "`down_after_ms` by the elector, within the timing "
		    "relations (docs/design/elector.md).",
	},
	{
		.path = "pause_threshold_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(timing.pause_threshold_ms),
		.derived = "derived",
		.help = "A gap this long between two wakeups is a pause "
		    "(stopped, starved). 0 or unset: derived from "
		    "`hb_interval_ms` (2 x `hb_interval_ms`).",
	},
	{
		.path = "initial_role", .section = "Behaviour",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = CONFIG_NAME_MAX, .def = "replica",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(want_primary), .set = set_initial_role,
		.form = "`\"replica\"` or `\"primary\"`",
		.help = "A preference only: every node starts as replica and "
		    "is primary only after winning an election; "
		    "`\"primary\"` gives a warning.",
	},
	{
		.path = "never_stand",
		.kind = CONFIG_KIND_BOOL, .def = "false",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(never_stand),
		.help = "This node votes but never stands; also true when its "
		    "`members` entry says so (set it there, so that every "
		    "node knows).",
	},
	{
		.path = "priority_lag_bytes",
		.kind = CONFIG_KIND_INT,
		.min = 0, .max = INT64_MAX, .def = "0",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(priority_lag_bytes),
		.help = "Bytes of replication offset a candidate may be "
		    "behind the freshest and still win on its "
		    "`members.[].priority`: the data a failover may give up "
		    "for the preferred node. 0: priority decides only between "
		    "equal offsets. Set the same on every node.",
	},
	{
		.path = "max_lag_bytes",
		.kind = CONFIG_KIND_INT,
		.min = 0, .max = INT64_MAX, .def = "0",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(max_lag_bytes),
		.help = "A replica further than this behind the last offset "
		    "its primary heartbeated does not stand (it still votes), "
		    "and the others refuse its candidacy; if every replica "
		    "is that far behind, no failover happens until the "
		    "primary returns. Leave room for the offset's polling "
		    "delay under load. 0: off. Set the same on every node.",
	},
	{
		.path = "log_level",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = CONFIG_NAME_MAX, .def = "info",
		.reload = CONFIG_RELOAD_LIVE, .apply = apply_log_level,
		IN_CONFIG(log_level), .set = set_log_level,
		.form = "`\"error\"`, `\"warn\"`, `\"info\"` or `\"debug\"`",
		.help = "Least severe level logged.",
	},
	{
		.path = "handoff_on_stop_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = CONFIG_HANDOFF_ON_STOP_MAX_MS,
		.def = "600",
		.reload = CONFIG_RELOAD_LIVE, .apply = apply_handoff_on_stop,
		IN_CONFIG(handoff_on_stop_ms),
		.help = "On SIGTERM or SIGINT a writable primary first hands "
		    "its role to the best replica (by priority, then offset, "
		    "as an election would choose; a switchover, "
		    "docs/design/elector.md) and exits once that node won, "
		    "or after this long at most. The new primary is writable "
		    "at once. 0: exit at once, as any other node does.",
	},
	{
		.path = "local_health_timeout_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = TIMING_MAX, .def = "0",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(local_health_timeout_ms),
		.help = "The local server must push `OFFSET` or `ALIVE` this "
		    "often, else the node stops standing, and a primary steps "
		    "down and goes silent on the peer port, until the server "
		    "is back. 0: off. With a `server` group the adapter checks "
		    "the server itself and this is its health timeout; 0 there "
		    "means 3 x `server.poll_ms`, at most `down_after_ms` "
		    "(\"Local server\" below).",
	},
	{
		.path = "pid_file",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = CONFIG_PATH_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(pid_file), .check = check_abs_path_or_empty,
		.form = "absolute path or `\"\"`",
		.help = "File the daemon writes its pid into once it is ready "
		    "(sockets bound, state loaded), locked (flock) for as long "
		    "as it runs and removed at a clean exit. A start whose "
		    "`pid_file` is locked by a running daemon is refused "
		    "(exit 1). For starts by hand or by an init without "
		    "supervision; the units do not need it. `\"\"`: none.",
	},
	{
		.path = "notify_exec",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = CONFIG_PATH_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(notify_exec), .check = check_abs_path_or_empty,
		.form = "absolute path or `\"\"`",
		.help = "Executable run (fork and exec, no shell) on every "
		    "role or primary change, serialized in event order, with "
		    "`EVENT NEW_ROLE OLD_ROLE EPOCH PRIMARY_ID PRIMARY_ADDR` "
		    "as arguments and the same in `KEVY_*` environment "
		    "variables (docs/reference/hooks.md). `\"\"`: none.",
	},
	{
		.path = "notify_timeout_ms",
		.kind = CONFIG_KIND_MS,
		.min = 1, .max = TIMING_MAX,
		.def = STR(CONFIG_DEFAULT_NOTIFY_TIMEOUT_MS),
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(notify_timeout_ms),
		.help = "A `notify_exec` run still going after this is killed.",
	},
	{
		.path = "http_listen",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = WIRE_ADDR_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		.set = set_http_listen, .same = same_http_listen,
		.form = "`host:port` or `\"\"`",
		.help = "HTTP endpoint, as `\"127.0.0.1:9105\"`: `/metrics`, "
		    "`/health`, `/primary`, `/replica` "
		    "(docs/reference/monitoring.md). `\"\"`: off.",
	},
	{
		.path = "max_epoch_jump", .section = "Hardening",
		.kind = CONFIG_KIND_INT,
		.min = 0, .max = INT64_MAX,
		.def = STR(ELECTOR_MAX_EPOCH_JUMP_DEFAULT),
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(max_epoch_jump),
		.help = "A frame whose epoch is more than this above ours is "
		    "held, not applied (its connection stays); a peer that "
		    "keeps claiming such an epoch for 2 x `down_after_ms` "
		    "raises ours by at most this much per such window, or at "
		    "once to its epoch when `auth_key_file` is set "
		    "(docs/design/elector.md, \"Epoch claims\"). Small values "
		    "work but turn every lag into a walk of windows. 0: unlimited, "
		    "as the reference nodes.",
	},
	{
		.path = "peer_source_check",
		.kind = CONFIG_KIND_BOOL, .def = "false",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(peer_source_check),
		.help = "Refuse election connections whose source address is "
		    "not one of the members' election IPs; loopback sources "
		    "only when a member is on loopback. Needs IP literals in "
		    "`members.[].election` (with a host name among them the "
		    "check is off, with a warning).",
	},
	{
		.path = "auth_key_file",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = CONFIG_PATH_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(auth_key_file), .check = check_abs_path_or_empty,
		.form = "absolute path or `\"\"`",
		.help = "Shared key authenticating every peer connection with "
		    "an HMAC-SHA256 challenge-response "
		    "(docs/reference/wire.md, \"Authentication\"). The file must be mode 0600 or "
		    "stricter, owned by the daemon's uid, 32..1024 bytes (one "
		    "trailing newline stripped), else the daemon refuses to "
		    "start (exit 78, and `-t` says so too); "
		    "`kevy-electd --gen-key FILE` writes a valid one. Every "
		    "node must set it or none: the reference nodes do not "
		    "speak it, so a mixed cluster must leave it `\"\"`.",
	},
	{
		.path = "server", .section = "Local server",
		.kind = CONFIG_KIND_GROUP, .opens = CONFIG_SCOPE_SERVER,
		.help = "The adapter: the daemon itself watches the local kevy, "
		    "Redis or Valkey server (`INFO replication`), judges its "
		    "health and fences its writes when this node is not "
		    "primary. Absent: no adapter, nothing changes. Present: "
		    "`server.address` is required. Every `server.` key is "
		    "read at start only.",
	},
	{
		.path = "server.address",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = WIRE_ADDR_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		.set = set_server_address, .same = same_server_address,
		.derived = "none (adapter off)",
		.form = "`host:port` or an absolute Unix socket path of at "
		    "most " STR(CONFIG_SUN_PATH_MAX) " bytes",
		.help = "The local server, as `\"127.0.0.1:6379\"` or "
		    "`\"/run/valkey/valkey.sock\"`; setting it turns the "
		    "adapter on.",
	},
	{
		.path = "server.user",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = CONFIG_SERVER_USER_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(server.user), .check = check_acl_user,
		.form = "printable ASCII, no spaces",
		.help = "ACL user for `AUTH user password`; needs "
		    "`server.password_file`. `\"\"`: `AUTH password` when a "
		    "password file is set, else no `AUTH`.",
	},
	{
		.path = "server.password_file",
		.kind = CONFIG_KIND_STRING,
		.min = 0, .max = CONFIG_PATH_MAX, .def = "",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(server.password_file),
		.check = check_abs_path_or_empty,
		.form = "absolute path or `\"\"`",
		.help = "File holding the server password, read at start: "
		    "one line of 1.." STR(CONFIG_SERVER_PASSWORD_MAX) " bytes "
		    "(one trailing newline stripped, no NUL or line break "
		    "inside), checked like `auth_key_file`: a regular file, "
		    "owned by the daemon's uid, mode 0600 or stricter, else "
		    "the daemon refuses to start (exit 78, and `-t` says so "
		    "too). `\"\"`: no `AUTH`.",
	},
	{
		.path = "server.poll_ms",
		.kind = CONFIG_KIND_MS,
		.min = 0, .max = CONFIG_SERVER_MS_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(server.poll_ms),
		.derived = "`hb_interval_ms`",
		.help = "Period of `INFO replication` polls. 0 or unset: "
		    "`hb_interval_ms` (at most " STR(CONFIG_SERVER_MS_MAX)
		    "). Must be below the adapter's health timeout, "
		    "`local_health_timeout_ms` when set, else 3 x this, at "
		    "most `down_after_ms`: a server unanswered that long is "
		    "down, so a longer period would call a healthy one down.",
	},
	{
		.path = "server.timeout_ms",
		.kind = CONFIG_KIND_MS,
		.min = 1, .max = CONFIG_SERVER_MS_MAX,
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(server.timeout_ms),
		.derived = "`" STR(CONFIG_SERVER_TIMEOUT_DEFAULT_MS) "`, or "
		    "`down_after_ms` if less",
		.help = "Bound on connecting, on `AUTH` and on each command; "
		    "a command unanswered within it counts as the server "
		    "down. At most `down_after_ms`: a hung server must count "
		    "as down no later than the peers would call a silent node "
		    "down; a longer timeout would let a primary keep its "
		    "role, and its clients their writes, on a server that "
		    "stopped answering.",
	},
	{
		.path = "server.fence",
		.kind = CONFIG_KIND_STRING,
		.min = 1, .max = CONFIG_NAME_MAX, .def = "auto",
		.reload = CONFIG_RELOAD_RESTART,
		IN_CONFIG(server.fence), .set = set_server_fence,
		.form = "`\"auto\"`, `\"min-replicas\"` or `\"none\"`",
		.help = "How writes are fenced in the server when this node "
		    "is not primary: `\"auto\"`, `CLIENT PAUSE WRITE` where "
		    "the server supports it plus `min-replicas-to-write`; "
		    "`\"min-replicas\"`, only `min-replicas-to-write`; "
		    "`\"none\"`, not at all (a loud warning at start: a "
		    "deposed primary keeps taking writes until its clients "
		    "move).",
	},
};

const struct config_key *
config_keys(size_t *n)
{
	*n = NELEM(keys);
	return keys;
}

static const char *const scope_prefix[] = {
	[CONFIG_SCOPE_TOP] = "",
	[CONFIG_SCOPE_CONTROL] = "control.",
	[CONFIG_SCOPE_MEMBER] = "members.[].",
	[CONFIG_SCOPE_SERVER] = "server.",
};

enum config_scope
config_key_scope(const struct config_key *k)
{
	static const enum config_scope nested[] = { CONFIG_SCOPE_CONTROL,
	    CONFIG_SCOPE_MEMBER, CONFIG_SCOPE_SERVER };
	size_t i;

	for (i = 0; i < NELEM(nested); i++)
		if (strncmp(k->path, scope_prefix[nested[i]],
		    strlen(scope_prefix[nested[i]])) == 0)
			return nested[i];
	return CONFIG_SCOPE_TOP;
}

const char *
config_key_name(const struct config_key *k)
{
	return k->path + strlen(scope_prefix[config_key_scope(k)]);
}

const char *
config_kind_name(enum config_kind kind)
{
	switch (kind) {
	case CONFIG_KIND_STRING:
		return "string";
	case CONFIG_KIND_BOOL:
		return "boolean";
	case CONFIG_KIND_MS:
		return "integer";
	case CONFIG_KIND_GROUP:
		return "group";
	case CONFIG_KIND_LIST:
		return "list";
	case CONFIG_KIND_INT:
		return "integer";
	case CONFIG_KIND_IDS:
		return "array";
	}
	return "unknown";
}

/* ---- the generic store and compare, by field ---- */

/* Where a row's field is, from the start of struct config. */
static size_t
field_off(const struct config_key *k, size_t member)
{
	if (config_key_scope(k) != CONFIG_SCOPE_MEMBER)
		return k->off;
	return offsetof(struct config, members) +
	    member * sizeof(struct config_member) + k->off;
}

int
config_key_set(const struct config_key *k, struct config *c, size_t member,
    const struct config_value *v, const char **why)
{
	void *f;

	if (k->set != NULL)
		return k->set(c, member, v, why);
	if (k->kind == CONFIG_KIND_GROUP)
		return 0; /* its keys have their own rows */
	f = (char *)c + field_off(k, member);
	switch (k->kind) {
	case CONFIG_KIND_STRING:
		if (k->check != NULL && k->check(v->str, why) == -1)
			return -1;
		snprintf(f, k->size, "%s", v->str);
		break;
	case CONFIG_KIND_MS:
	case CONFIG_KIND_INT:
		memcpy(f, &v->num, sizeof v->num);
		break;
	case CONFIG_KIND_BOOL:
		memcpy(f, &v->flag, sizeof v->flag);
		break;
	case CONFIG_KIND_LIST: {
		size_t n = (size_t)v->num;

		memcpy(f, &n, sizeof n);
		break;
	}
	case CONFIG_KIND_GROUP:
	case CONFIG_KIND_IDS: /* an IDS row has a setter */
		break;
	}
	return 0;
}

static bool
same_one(const struct config_key *k, const struct config *a,
    const struct config *b, size_t member)
{
	const char *fa = (const char *)a + field_off(k, member);
	const char *fb = (const char *)b + field_off(k, member);

	if (k->same != NULL)
		return k->same(a, b, member);
	/* A plain string: what follows its NUL is nobody's business. */
	if (k->kind == CONFIG_KIND_STRING && k->set == NULL)
		return strcmp(fa, fb) == 0;
	return memcmp(fa, fb, k->size) == 0;
}

bool
config_key_same(const struct config_key *k, const struct config *a,
    const struct config *b)
{
	size_t n, i;

	if (k->kind == CONFIG_KIND_GROUP)
		return true; /* its keys have their own rows */
	if (config_key_scope(k) != CONFIG_SCOPE_MEMBER)
		return same_one(k, a, b, 0);
	/* Entries only one side has: the members row tells that change. */
	n = a->n_members < b->n_members ? a->n_members : b->n_members;
	for (i = 0; i < n; i++)
		if (!same_one(k, a, b, i))
			return false;
	return true;
}
