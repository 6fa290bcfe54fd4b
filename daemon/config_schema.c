/*
 * config_schema: the table of every key kevy-electd.conf may hold, and
 * the setters that turn one checked value into struct config fields.
 * Generic checks (unknown keys, types, integer ranges, string lengths,
 * required keys, defaults) live in the walker in config.c and are driven
 * by the table; a setter only checks what is particular to its key. A
 * setter never writes on failure, so a zeroed field still means "unset or
 * bad" to the cross-checks that run after the walk.
 *
 * Syntax only: nothing here resolves a host, looks up a group or touches
 * the file system; that happens when the daemon uses the values.
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

/* ---- setters ---- */

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

static int
set_node_id(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (check_id(v->str, why) == -1)
		return -1;
	snprintf(c->node_id, sizeof c->node_id, "%s", v->str);
	return 0;
}

static int
set_members(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	(void)why;
	c->n_members = (size_t)v->num;
	return 0;
}

static int
set_member_id(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	if (check_id(v->str, why) == -1)
		return -1;
	snprintf(c->members[m].id, sizeof c->members[m].id, "%s", v->str);
	return 0;
}

static int
set_member_election(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	return config_parse_hostport_why(v->str, &c->members[m].election, why);
}

/* Kept as written: it travels in ANNOUNCE and the server dials it. */
static int
set_member_client(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	struct config_hostport hp;

	if (config_parse_hostport_why(v->str, &hp, why) == -1)
		return -1;
	snprintf(c->members[m].client, sizeof c->members[m].client, "%s",
	    v->str);
	return 0;
}

static int
set_member_never_stand(struct config *c, size_t m,
    const struct config_value *v, const char **why)
{
	(void)why;
	c->members[m].never_stand = v->flag;
	return 0;
}

static int
set_listen(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	return config_parse_hostport_why(v->str, &c->listen, why);
}

static int
set_advertise(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	struct config_hostport hp;

	(void)m;
	if (config_parse_hostport_why(v->str, &hp, why) == -1)
		return -1;
	snprintf(c->advertise, sizeof c->advertise, "%s", v->str);
	return 0;
}

static int
set_state_dir(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (check_abs_path(v->str, why) == -1)
		return -1;
	snprintf(c->state_dir, sizeof c->state_dir, "%s", v->str);
	return 0;
}

/* The group itself holds nothing; its keys have their own rows. */
static int
set_nothing(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)c;
	(void)m;
	(void)v;
	(void)why;
	return 0;
}

static int
set_control_path(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (check_abs_path(v->str, why) == -1)
		return -1;
	snprintf(c->control_path, sizeof c->control_path, "%s", v->str);
	return 0;
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

/* The portable name set of POSIX; looked up only when the socket is made. */
static int
set_control_group(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	const char *s;

	(void)m;
	for (s = v->str; *s != '\0'; s++)
		if (!is_name_byte((unsigned char)*s) || *v->str == '-') {
			*why = "a group name may hold only letters, digits, "
			    "'-', '.' and '_', and not start with '-'";
			return -1;
		}
	snprintf(c->control_group, sizeof c->control_group, "%s", v->str);
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

#define TIMING_SETTER(fn, field)					\
static int								\
fn(struct config *c, size_t m, const struct config_value *v,		\
    const char **why)							\
{									\
	(void)m;							\
	(void)why;							\
	c->timing.field = v->num;					\
	return 0;							\
}
TIMING_SETTER(set_hb_interval, hb_interval_ms)
TIMING_SETTER(set_down_after, down_after_ms)
TIMING_SETTER(set_election_timeout, election_timeout_ms)
TIMING_SETTER(set_backoff, backoff_ms)
TIMING_SETTER(set_backoff_jitter, backoff_jitter_ms)
TIMING_SETTER(set_lease, lease_ms)
TIMING_SETTER(set_pause_threshold, pause_threshold_ms)

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
set_never_stand(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	(void)why;
	c->never_stand = v->flag;
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
set_local_health_timeout(struct config *c, size_t m,
    const struct config_value *v, const char **why)
{
	(void)m;
	(void)why;
	c->local_health_timeout_ms = v->num;
	return 0;
}

static int
set_notify_exec(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (v->str[0] != '\0' && check_abs_path(v->str, why) == -1)
		return -1;
	snprintf(c->notify_exec, sizeof c->notify_exec, "%s", v->str);
	return 0;
}

static int
set_notify_timeout(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	(void)why;
	c->notify_timeout_ms = v->num;
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

static int
set_max_epoch_jump(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	(void)why;
	c->max_epoch_jump = v->num;
	return 0;
}

static int
set_peer_source_check(struct config *c, size_t m,
    const struct config_value *v, const char **why)
{
	(void)m;
	(void)why;
	c->peer_source_check = v->flag;
	return 0;
}

/* Only the syntax here: mode, owner and length are checked at start. */
static int
set_auth_key_file(struct config *c, size_t m, const struct config_value *v,
    const char **why)
{
	(void)m;
	if (v->str[0] != '\0' && check_abs_path(v->str, why) == -1)
		return -1;
	snprintf(c->auth_key_file, sizeof c->auth_key_file, "%s", v->str);
	return 0;
}

/* ---- the table ---- */

#define T CONFIG_SCOPE_TOP
#define C CONFIG_SCOPE_CONTROL
#define M CONFIG_SCOPE_MEMBER
#define S CONFIG_KIND_STRING
#define B CONFIG_KIND_BOOL
#define MS CONFIG_KIND_MS
#define TMAX ELECTOR_TIMING_MAX_MS

static const struct config_key keys[] = {
	{ T, "node_id", S, true, 1, WIRE_ID_MAX, NULL,
	  "this node's id; must be the id of one members entry", 0,
	  set_node_id },
	{ T, "members", CONFIG_KIND_LIST, true, 1, ELECTOR_MEMBERS_MAX, NULL,
	  "every node of the cluster, self included, the same list on "
	  "every node", M, set_members },
	{ M, "id", S, true, 1, WIRE_ID_MAX, NULL,
	  "node id: printable ASCII, no spaces, not \"-\", unique", 0,
	  set_member_id },
	{ M, "election", S, true, 1, WIRE_ADDR_MAX, NULL,
	  "host:port its elector listens on; peers dial it; unique", 0,
	  set_member_election },
	{ M, "client", S, true, 1, WIRE_ADDR_MAX, NULL,
	  "host:port of its kevy server, what ANNOUNCE carries", 0,
	  set_member_client },
	{ M, "never_stand", B, false, 0, 0, "false",
	  "votes but never stands for primary (a witness)", 0,
	  set_member_never_stand },
	{ T, "listen", S, false, 1, WIRE_ADDR_MAX, NULL,
	  "host:port to listen on for peers; default: own members "
	  "entry's election", 0, set_listen },
	{ T, "advertise", S, false, 1, WIRE_ADDR_MAX, NULL,
	  "client host:port this node announces when it wins; default: "
	  "own members entry's client", 0, set_advertise },
	{ T, "state_dir", S, false, 1, CONFIG_PATH_MAX, CONFIG_DEFAULT_STATE_DIR,
	  "absolute directory of elect.meta (epoch and vote)", 0,
	  set_state_dir },
	{ T, "control", CONFIG_KIND_GROUP, false, 0, 0, NULL,
	  "the control socket", C, set_nothing },
	{ C, "path", S, false, 1, CONFIG_SUN_PATH_MAX, CONFIG_DEFAULT_CONTROL,
	  "absolute path of the Unix control socket", 0, set_control_path },
	{ C, "mode", S, false, 1, CONFIG_NAME_MAX, "0660",
	  "octal permission bits of the socket, as a string, 0..0777", 0,
	  set_control_mode },
	{ C, "group", S, false, 0, CONFIG_NAME_MAX, "",
	  "group owning the socket; \"\": the daemon's own group", 0,
	  set_control_group },
	{ C, "write_uids", CONFIG_KIND_IDS, false, 0, CONFIG_UIDS_MAX, "[]",
	  "uids allowed the write verbs (OFFSET <n>, ALIVE) besides root and "
	  "the daemon's own uid, as [0, 1000]", 0, set_write_uids },
	{ C, "write_gids", CONFIG_KIND_IDS, false, 0, CONFIG_UIDS_MAX, "[]",
	  "gids (the client's own gid) allowed the write verbs", 0,
	  set_write_gids },
	{ T, "hb_interval_ms", MS, false, 1, TMAX,
	  STR(ELECTOR_HB_INTERVAL_DEFAULT),
	  "heartbeat period per peer", 0, set_hb_interval },
	{ T, "down_after_ms", MS, false, 0, TMAX,
	  STR(ELECTOR_DOWN_AFTER_DEFAULT),
	  "a peer unheard this long is down; >= 4 x hb_interval_ms", 0,
	  set_down_after },
	{ T, "election_timeout_ms", MS, false, 0, TMAX,
	  STR(ELECTOR_ELECTION_TIMEOUT_DEFAULT),
	  "a candidate gives up after this; >= hb_interval_ms", 0,
	  set_election_timeout },
	{ T, "election_backoff_ms", MS, false, 0, TMAX,
	  STR(ELECTOR_BACKOFF_DEFAULT),
	  "no new candidacy for this long after a failed one", 0,
	  set_backoff },
	{ T, "election_backoff_jitter_ms", MS, false, 0, TMAX,
	  STR(ELECTOR_BACKOFF_JITTER_DEFAULT),
	  "plus a random [0, this) on each backoff", 0, set_backoff_jitter },
	{ T, "lease_ms", MS, false, 0, TMAX, NULL,
	  "a primary without a majority this long is fenced; 0 or unset: "
	  "derived from hb_interval_ms and down_after_ms by the elector",
	  0, set_lease },
	{ T, "pause_threshold_ms", MS, false, 0, TMAX, NULL,
	  "a gap this long between two wakeups is a pause; 0 or unset: "
	  "derived from hb_interval_ms by the elector", 0,
	  set_pause_threshold },
	{ T, "initial_role", S, false, 1, CONFIG_NAME_MAX, "replica",
	  "\"replica\" or \"primary\"; a preference only: every node "
	  "starts as replica", 0, set_initial_role },
	{ T, "never_stand", B, false, 0, 0, "false",
	  "this node votes but never stands; also set by its members entry",
	  0, set_never_stand },
	{ T, "log_level", S, false, 1, CONFIG_NAME_MAX, "info",
	  "\"error\", \"warn\", \"info\" or \"debug\"", 0, set_log_level },
	{ T, "local_health_timeout_ms", MS, false, 0, TMAX, "0",
	  "the local server must push OFFSET or ALIVE this often, or the "
	  "node stops standing (a primary steps down); 0: off", 0,
	  set_local_health_timeout },
	{ T, "notify_exec", S, false, 0, CONFIG_PATH_MAX, "",
	  "absolute path of an executable run (no shell) on every role or "
	  "primary change; \"\": none", 0, set_notify_exec },
	{ T, "notify_timeout_ms", MS, false, 1, TMAX,
	  STR(CONFIG_DEFAULT_NOTIFY_TIMEOUT_MS),
	  "a notify_exec run still going after this is killed", 0,
	  set_notify_timeout },
	{ T, "http_listen", S, false, 0, WIRE_ADDR_MAX, "",
	  "host:port of the HTTP endpoint (/metrics, /health, /primary, "
	  "/replica); \"\": off", 0, set_http_listen },
	{ T, "max_epoch_jump", CONFIG_KIND_INT, false, 0, INT64_MAX,
	  STR(ELECTOR_MAX_EPOCH_JUMP_DEFAULT),
	  "refuse a frame whose epoch is more than this above ours; 0: "
	  "unlimited", 0, set_max_epoch_jump },
	{ T, "peer_source_check", B, false, 0, 0, "false",
	  "refuse election connections from addresses that are not a "
	  "member's election IP (members given as IP literals)", 0,
	  set_peer_source_check },
	{ T, "auth_key_file", S, false, 0, CONFIG_PATH_MAX, "",
	  "absolute path of the shared peer key (mode 0600, owned by the "
	  "daemon's uid, 32..1024 bytes); \"\": no peer authentication", 0,
	  set_auth_key_file },
};

const struct config_key *
config_keys(size_t *n)
{
	*n = NELEM(keys);
	return keys;
}

const char *
config_key_path(const struct config_key *k, char *buf, size_t cap)
{
	static const char *const prefix[] = {
		[CONFIG_SCOPE_TOP] = "",
		[CONFIG_SCOPE_CONTROL] = "control.",
		[CONFIG_SCOPE_MEMBER] = "members.[].",
	};

	snprintf(buf, cap, "%s%s", prefix[k->scope], k->name);
	return buf;
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
