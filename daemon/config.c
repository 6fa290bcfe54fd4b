/*
 * config: read kevy-electd.conf with libconfig, walk it against the schema
 * of config_schema.c, then check what no single key can: member ids and
 * election addresses unique, node_id among the members, the timing
 * relations, the defaults that come from our own members entry, the
 * server group's values derived from the timings and its relations.
 *
 * Every problem is reported, each as "file:line: key: problem" (no line
 * when there is none, as for a missing top-level key), and the load goes
 * on after an error so that one run shows them all. The result is built in
 * a private copy and handed out only if there was no error: a config with
 * any error is never half-applied, which is what lets SIGHUP and -t share
 * this code. Warnings (N=2, initial_role = primary...) never fail a load.
 */
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "num.h"

#define CONFIG_MSG_MAX 1024 /* bytes in one reported problem */
#define CONFIG_KEY_MAX 128  /* bytes in a key path; longer unknown names are cut */

struct loader {
	const char *file;          /* as the caller named it */
	const char *text;          /* config_load_string's text; NULL: file */
	char incdir[CONFIG_PATH_MAX + 1]; /* its directory; "" if none */
	config_report_fn *report;
	void *ctx;
	int errors;
	bool timing_bad;           /* a timing was rejected: skip relations */
	config_t cf;
	struct config *c;          /* private copy; out only if errors == 0 */
};

static void say(struct loader *, bool, const config_setting_t *,
    const char *, const char *, ...) __attribute__((format(printf, 5, 6)));

/* at == NULL or the root: no line to point at. */
static void
say(struct loader *l, bool is_error, const config_setting_t *at,
    const char *key, const char *fmt, ...)
{
	char msg[CONFIG_MSG_MAX], what[CONFIG_MSG_MAX];
	char inc[CONFIG_PATH_MAX * 2 + 2];
	const char *file = l->file;
	unsigned line = 0;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (at != NULL) {
		line = config_setting_source_line(at);
		/* libconfig names an @include as written: say where it was. */
		if ((file = config_setting_source_file(at)) == NULL)
			file = l->file;
		else if (file[0] != '/' && l->incdir[0] != '\0') {
			snprintf(inc, sizeof inc, "%s/%s", l->incdir, file);
			file = inc;
		}
	}
	if (line > 0)
		r = snprintf(msg, sizeof msg, "%s:%u: %s: %s", file, line, key,
		    what);
	else
		r = snprintf(msg, sizeof msg, "%s: %s: %s", file, key, what);
	if (r >= (int)sizeof msg)
		memcpy(msg + sizeof msg - 4, "...", 4); /* show it was cut */
	if (is_error)
		l->errors++;
	if (l->report != NULL)
		l->report(l->ctx, is_error, msg);
}

static const char *
type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "integer";
	case CONFIG_TYPE_FLOAT:
		return "float";
	case CONFIG_TYPE_STRING:
		return "string";
	case CONFIG_TYPE_BOOL:
		return "boolean";
	case CONFIG_TYPE_ARRAY:
		return "array";
	case CONFIG_TYPE_LIST:
		return "list";
	}
	return "nothing";
}

static bool
type_matches(enum config_kind kind, const config_setting_t *s)
{
	int t = config_setting_type(s);

	switch (kind) {
	case CONFIG_KIND_STRING:
		return t == CONFIG_TYPE_STRING;
	case CONFIG_KIND_BOOL:
		return t == CONFIG_TYPE_BOOL;
	case CONFIG_KIND_MS:
	case CONFIG_KIND_INT:
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case CONFIG_KIND_IDS:
		return t == CONFIG_TYPE_ARRAY;
	case CONFIG_KIND_GROUP:
		return t == CONFIG_TYPE_GROUP;
	case CONFIG_KIND_LIST:
		return t == CONFIG_TYPE_LIST;
	}
	return false;
}

static const struct config_key *
find_key(enum config_scope scope, const char *name)
{
	const struct config_key *k;
	size_t n, i;

	k = config_keys(&n);
	for (i = 0; i < n; i++)
		if (config_key_scope(&k[i]) == scope &&
		    strcmp(config_key_name(&k[i]), name) == 0)
			return &k[i];
	return NULL;
}

static void walk(struct loader *, enum config_scope,
    const config_setting_t *, size_t, const char *);

static void
store(struct loader *l, const struct config_key *k, const config_setting_t *at,
    size_t member, const char *key, const struct config_value *v)
{
	const char *why = "invalid value";

	if (config_key_set(k, l->c, member, v, &why) == -1)
		say(l, true, at, key, "%s", why);
}

/* An array of uids or gids: [0, 1000]. */
static int
take_ids(struct loader *l, const struct config_key *k,
    const config_setting_t *s, const char *key, struct config_value *v)
{
	int n = config_setting_length(s), i;

	if ((uint64_t)n < k->min || (uint64_t)n > k->max) {
		say(l, true, s, key, "%d entries, expected %llu..%llu", n,
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);
		long long id;

		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64) {
			say(l, true, s, key, "entry %d: expected an integer, "
			    "found %s", i, type_name(e));
			return -1;
		}
		/* (uid_t)-1 means "no change" to chown: never a real id. */
		id = config_setting_get_int64(e);
		if (id < 0 || id > (long long)CONFIG_ID_MAX) {
			say(l, true, s, key, "entry %d: %lld is not a uid or gid "
			    "(0..%llu)", i, id, (unsigned long long)CONFIG_ID_MAX);
			return -1;
		}
		v->ids[v->n_ids++] = (uint32_t)id;
	}
	return 0;
}

/* A list of groups: each entry walked as a scope of its own. */
static void
take_list(struct loader *l, const struct config_key *k,
    const config_setting_t *s, const char *key)
{
	struct config_value v = { 0 };
	char prefix[CONFIG_KEY_MAX + 16];
	int n = config_setting_length(s), i;

	if ((uint64_t)n < k->min || (uint64_t)n > k->max) {
		say(l, true, s, key, "%d entries, expected %llu..%llu", n,
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);

		snprintf(prefix, sizeof prefix, "%s.[%d]", key, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			say(l, true, e, prefix, "expected group { ... }, "
			    "found %s", type_name(e));
			continue;
		}
		strncat(prefix, ".", sizeof prefix - strlen(prefix) - 1);
		walk(l, k->opens, e, (size_t)i, prefix);
	}
	v.num = (uint64_t)n;
	store(l, k, s, 0, key, &v);
}

static void
take(struct loader *l, const struct config_key *k, const config_setting_t *s,
    size_t member, const char *key)
{
	struct config_value v = { 0 };
	char prefix[CONFIG_KEY_MAX + 2];
	long long n;
	size_t len;

	if (!type_matches(k->kind, s)) {
		say(l, true, s, key, "expected %s, found %s",
		    config_kind_name(k->kind), type_name(s));
		return;
	}
	switch (k->kind) {
	case CONFIG_KIND_STRING:
		v.str = config_setting_get_string(s);
		len = strlen(v.str);
		if (len < k->min) {
			say(l, true, s, key, "must not be empty");
			return;
		}
		if (len > k->max) {
			say(l, true, s, key, "longer than %llu bytes",
			    (unsigned long long)k->max);
			return;
		}
		break;
	case CONFIG_KIND_BOOL:
		v.flag = config_setting_get_bool(s) != 0;
		break;
	case CONFIG_KIND_MS:
	case CONFIG_KIND_INT:
		n = config_setting_get_int64(s);
		if (n < 0 || (uint64_t)n < k->min || (uint64_t)n > k->max) {
			say(l, true, s, key, "%lld is out of range %llu..%llu",
			    n, (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return;
		}
		v.num = (uint64_t)n;
		break;
	case CONFIG_KIND_GROUP:
		snprintf(prefix, sizeof prefix, "%s.", key);
		walk(l, k->opens, s, member, prefix);
		break;
	case CONFIG_KIND_LIST:
		take_list(l, k, s, key);
		return;
	case CONFIG_KIND_IDS:
		if (take_ids(l, k, s, key, &v) == -1)
			return;
		break;
	}
	store(l, k, s, member, key, &v);
}

/* Defaults go through the setters too, so they obey the same rules. */
static void
take_default(struct loader *l, const struct config_key *k, size_t member,
    const char *key)
{
	struct config_value v = { 0 };
	char prefix[CONFIG_KEY_MAX + 2];

	if (k->kind == CONFIG_KIND_GROUP) {
		snprintf(prefix, sizeof prefix, "%s.", key);
		walk(l, k->opens, NULL, member, prefix);
		return;
	}
	if (k->def == NULL)
		return;
	v.str = k->def;
	v.flag = strcmp(k->def, "true") == 0;
	/* IDS: the only default is "[]", no entries. */
	if ((k->kind == CONFIG_KIND_MS || k->kind == CONFIG_KIND_INT) &&
	    num_parse_u64(k->def, strlen(k->def), &v.num) == -1)
		v.num = UINT64_MAX; /* caught by the schema test */
	store(l, k, NULL, member, key, &v);
}

/*
 * One group (NULL: absent, defaults only): reject keys the scope does not
 * know, check and store the others, then default or demand the rest.
 */
static void
walk(struct loader *l, enum config_scope scope, const config_setting_t *g,
    size_t member, const char *prefix)
{
	const struct config_key *keys;
	char key[CONFIG_KEY_MAX];
	size_t nkeys, i;
	int n = g != NULL ? config_setting_length(g) : 0, j;

	for (j = 0; j < n; j++) {
		const config_setting_t *s = config_setting_get_elem(g,
		    (unsigned)j);
		const struct config_key *k = find_key(scope,
		    config_setting_name(s));
		int before = l->errors;

		snprintf(key, sizeof key, "%s%s", prefix,
		    config_setting_name(s));
		if (k == NULL) {
			say(l, true, s, key, "unknown key");
			continue;
		}
		take(l, k, s, member, key);
		/* Its relations would be judged on the default instead. */
		if (k->kind == CONFIG_KIND_MS && l->errors > before)
			l->timing_bad = true;
	}
	keys = config_keys(&nkeys);
	for (i = 0; i < nkeys; i++) {
		const char *name = config_key_name(&keys[i]);

		if (config_key_scope(&keys[i]) != scope)
			continue;
		snprintf(key, sizeof key, "%s%s", prefix, name);
		if (g != NULL && config_setting_get_member(g, name) != NULL)
			continue;
		if (keys[i].required)
			say(l, true, g, key, "missing (required)");
		else
			take_default(l, &keys[i], member, key);
	}
}

/* The setting of a member's field, for its line; NULL if absent. */
static const config_setting_t *
member_setting(struct loader *l, size_t i, const char *field)
{
	const config_setting_t *m = config_lookup(&l->cf, "members");

	if (m == NULL || (m = config_setting_get_elem(m, (unsigned)i)) == NULL)
		return NULL;
	return field != NULL ? config_setting_get_member(m, field) : m;
}

/*
 * never_stand is priority 0: either says it, both may if they agree. One
 * member's two keys that disagree are an error, not a guess.
 */
static void
resolve_priority(struct loader *l, size_t i)
{
	struct config_member *m = &l->c->members[i];
	char key[CONFIG_KEY_MAX];
	const config_setting_t *p = member_setting(l, i, "priority");

	if (p != NULL && member_setting(l, i, "never_stand") != NULL &&
	    m->never_stand != (m->priority == 0)) {
		snprintf(key, sizeof key, "members.[%zu].priority", i);
		say(l, true, p, key, "%llu disagrees with never_stand = %s "
		    "(never_stand is priority 0: set one of them)",
		    (unsigned long long)m->priority,
		    m->never_stand ? "true" : "false");
		return;
	}
	if (m->never_stand)
		m->priority = 0;
	else if (m->priority == 0)
		m->never_stand = true;
}

static void
check_members(struct loader *l)
{
	struct config *c = l->c;
	char key[CONFIG_KEY_MAX];
	size_t i, j, standers = 0;

	for (i = 0; i < c->n_members; i++)
		resolve_priority(l, i);
	for (i = 0; i < c->n_members; i++) {
		const struct config_member *a = &c->members[i];

		if (!a->never_stand)
			standers++;
		/* Zeroed fields were unset or bad: already reported. */
		for (j = 0; j < i; j++) {
			const struct config_member *b = &c->members[j];

			if (a->id[0] != '\0' && strcmp(a->id, b->id) == 0) {
				snprintf(key, sizeof key, "members.[%zu].id", i);
				say(l, true, member_setting(l, i, "id"), key,
				    "duplicate id \"%s\" (also members.[%zu])",
				    a->id, j);
			}
			if (a->election.port != 0 &&
			    a->election.port == b->election.port &&
			    strcasecmp(a->election.host, b->election.host) == 0) {
				snprintf(key, sizeof key,
				    "members.[%zu].election", i);
				say(l, true, member_setting(l, i, "election"),
				    key, "duplicate election address (also "
				    "members.[%zu])", j);
			}
			/* Tests may share one fake server; real use never. */
			if (a->client[0] != '\0' &&
			    strcasecmp(a->client, b->client) == 0) {
				snprintf(key, sizeof key,
				    "members.[%zu].client", i);
				say(l, false, member_setting(l, i, "client"),
				    key, "same client address as members.[%zu]",
				    j);
			}
		}
	}
	if (c->n_members > 0 && standers == 0)
		say(l, true, config_lookup(&l->cf, "members"), "members",
		    "every member is never_stand: no node could ever become "
		    "primary");
	if (c->n_members == 1)
		say(l, false, config_lookup(&l->cf, "members"), "members",
		    "a single member: it is always primary, there is no "
		    "failover");
	else if (c->n_members == 2)
		say(l, false, config_lookup(&l->cf, "members"), "members",
		    "N=2 has no fault tolerance: quorum is 2, losing either "
		    "node stops elections; use 3");
	/* Not an error: N=4 works, it just buys nothing over N=3. */
	else if (c->n_members > 2 && c->n_members % 2 == 0)
		say(l, false, config_lookup(&l->cf, "members"), "members",
		    "N=%zu tolerates no more failures than N=%zu (quorum "
		    "%zu); an odd N is better", c->n_members, c->n_members - 1,
		    c->n_members / 2 + 1);
}

/* node_id among the members, and the defaults that come from its entry. */
static void
check_self(struct loader *l)
{
	struct config *c = l->c;
	const struct config_member *me;
	const config_setting_t *s;
	size_t i;

	if (c->node_id[0] == '\0' || c->n_members == 0)
		return;
	for (i = 0; i < c->n_members; i++)
		if (strcmp(c->members[i].id, c->node_id) == 0)
			break;
	if (i == c->n_members) {
		say(l, true, config_lookup(&l->cf, "node_id"), "node_id",
		    "\"%s\" is not the id of any members entry", c->node_id);
		return;
	}
	c->self = i;
	me = &c->members[i];
	if ((s = config_lookup(&l->cf, "listen")) == NULL)
		c->listen = me->election;
	else if (c->listen.port != 0 && me->election.port != 0 &&
	    c->listen.port != me->election.port)
		say(l, false, s, "listen", "port %u, but peers dial "
		    "members.[%zu].election on port %u", c->listen.port, i,
		    me->election.port);
	if (config_lookup(&l->cf, "advertise") == NULL)
		memcpy(c->advertise, me->client, sizeof c->advertise);
	if (me->never_stand)
		c->never_stand = true;
	else if (c->never_stand)
		say(l, false, config_lookup(&l->cf, "never_stand"),
		    "never_stand", "set members.[%zu].never_stand too, so "
		    "that every node knows", i);
	if (c->want_primary)
		say(l, false, config_lookup(&l->cf, "initial_role"),
		    "initial_role", c->never_stand ?
		    "\"primary\" ignored: this node is never_stand" :
		    "\"primary\" is a preference only: the node starts as "
		    "replica and becomes primary only by winning an election");
}

static void
check_control(struct loader *l)
{
	/* The socket moves elections (OFFSET): anyone could push one. */
	if (l->c->control_mode & 0002)
		say(l, false, config_lookup(&l->cf, "control.mode"),
		    "control.mode", "world-writable: any local user can "
		    "drive this node's elections");
}

static const char *const timing_keys[] = {
	"hb_interval_ms", "down_after_ms", "election_timeout_ms",
	"election_backoff_ms", "election_backoff_jitter_ms", "lease_ms",
	"pause_threshold_ms",
};

/*
 * Name the keys the broken relation mentions, point at the first of them
 * set in the file, and show the values in force (defaults included).
 */
static void
check_timing(struct loader *l)
{
	struct elector_timing t = l->c->timing;
	const uint64_t vals[] = { t.hb_interval_ms, t.down_after_ms,
	    t.election_timeout_ms, t.backoff_ms, t.backoff_jitter_ms,
	    t.lease_ms, t.pause_threshold_ms };
	char err[256], keys[CONFIG_MSG_MAX / 2] = "", vs[CONFIG_MSG_MAX / 2] = "";
	const config_setting_t *at = NULL, *s;
	size_t i, kl = 0, vl = 0;

	if (l->timing_bad ||
	    elector_timing_check(&l->c->timing, err, sizeof err) == 0)
		return;
	for (i = 0; i < sizeof timing_keys / sizeof timing_keys[0]; i++) {
		if (strstr(err, timing_keys[i]) == NULL)
			continue;
		s = config_lookup(&l->cf, timing_keys[i]);
		if (at == NULL)
			at = s;
		kl += (size_t)snprintf(keys + kl, sizeof keys - kl, "%s%s",
		    kl ? ", " : "", timing_keys[i]);
		/* lease and pause: 0 asks the check to derive them. */
		if (vals[i] == 0 && i >= 5)
			vl += (size_t)snprintf(vs + vl, sizeof vs - vl,
			    "%s%s = %llu (derived)", vl ? ", " : "",
			    timing_keys[i], (unsigned long long)(i == 5 ?
			    l->c->timing.lease_ms :
			    l->c->timing.pause_threshold_ms));
		else
			vl += (size_t)snprintf(vs + vl, sizeof vs - vl,
			    "%s%s = %llu%s", vl ? ", " : "", timing_keys[i],
			    (unsigned long long)vals[i],
			    s == NULL ? " (default)" : "");
		if (kl >= sizeof keys || vl >= sizeof vs)
			break;
	}
	say(l, true, at, kl ? keys : "timings", "%s (%s)", err, vs);
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The setting of key for its line, else that of the group it is in. */
static const config_setting_t *
setting_or(struct loader *l, const char *key, const config_setting_t *dflt)
{
	const config_setting_t *s = config_lookup(&l->cf, key);

	return s != NULL ? s : dflt;
}

/*
 * The server group: its derived values (poll_ms, timeout_ms, health_ms),
 * then what no single key of it can say. The timeout and the polls are
 * judged against the timings in force, so not when a timing was rejected.
 */
static void
check_server(struct loader *l)
{
	struct config *c = l->c;
	struct config_server *sv = &c->server;
	const config_setting_t *g = config_lookup(&l->cf, "server"), *at;
	uint64_t down = c->timing.down_after_ms;
	bool local = c->local_health_timeout_ms != 0;

	/* No group, no adapter: its timings stay 0, SIGHUP sees no change. */
	if (g == NULL || config_setting_type(g) != CONFIG_TYPE_GROUP)
		return;
	if (sv->poll_ms == 0)
		sv->poll_ms = min_u64(c->timing.hb_interval_ms,
		    CONFIG_SERVER_MS_MAX);
	if (sv->timeout_ms == 0)
		sv->timeout_ms = min_u64(CONFIG_SERVER_TIMEOUT_DEFAULT_MS, down);
	/* One missing key is no reason to run on a half-described server. */
	if (config_setting_get_member(g, "address") == NULL)
		say(l, true, g, "server.address", "missing (required in a "
		    "server group: it turns the adapter on)");
	if (sv->user[0] != '\0' && sv->password_file[0] == '\0')
		say(l, true, config_lookup(&l->cf, "server.user"),
		    "server.user", "needs server.password_file: AUTH takes a "
		    "user and a password");
	if (sv->fence == CONFIG_FENCE_NONE)
		say(l, false, config_lookup(&l->cf, "server.fence"),
		    "server.fence", "\"none\": writes are not fenced in the "
		    "server: a primary that loses its role keeps accepting "
		    "writes until its clients move");
	sv->health_ms = local ? c->local_health_timeout_ms :
	    min_u64(CONFIG_SERVER_HEALTH_POLLS * sv->poll_ms, down);
	if (l->timing_bad)
		return;
	if (sv->timeout_ms > down)
		say(l, true, setting_or(l, "server.timeout_ms", g),
		    "server.timeout_ms, down_after_ms", "server.timeout_ms "
		    "must not exceed down_after_ms: a server that does not "
		    "answer must count as down before the peers would call "
		    "this node down (server.timeout_ms = %llu, down_after_ms "
		    "= %llu%s)", (unsigned long long)sv->timeout_ms,
		    (unsigned long long)down,
		    config_lookup(&l->cf, "down_after_ms") == NULL ?
		    " (default)" : "");
	if (sv->poll_ms < sv->health_ms)
		return;
	at = setting_or(l, "server.poll_ms", g);
	if (local)
		say(l, true, at, "server.poll_ms, local_health_timeout_ms",
		    "server.poll_ms must be below local_health_timeout_ms, the "
		    "adapter's health timeout, or every poll would come too "
		    "late (server.poll_ms = %llu, local_health_timeout_ms = "
		    "%llu)", (unsigned long long)sv->poll_ms,
		    (unsigned long long)c->local_health_timeout_ms);
	else
		say(l, true, at, "server.poll_ms, down_after_ms",
		    "server.poll_ms must be below down_after_ms, which bounds "
		    "the adapter's health timeout (3 x server.poll_ms, at most "
		    "down_after_ms), or every poll would come too late "
		    "(server.poll_ms = %llu, down_after_ms = %llu%s)",
		    (unsigned long long)sv->poll_ms, (unsigned long long)down,
		    config_lookup(&l->cf, "down_after_ms") == NULL ?
		    " (default)" : "");
}

/* libconfig stops at the first syntax error: that one is all we get. */
static int
syntax_error(struct loader *l)
{
	char msg[CONFIG_MSG_MAX];

	snprintf(msg, sizeof msg, "%s:%d: syntax: %s",
	    config_error_file(&l->cf) != NULL ?
	    config_error_file(&l->cf) : l->file,
	    config_error_line(&l->cf), config_error_text(&l->cf));
	l->errors++;
	if (l->report != NULL)
		l->report(l->ctx, true, msg);
	return -1;
}

/*
 * libconfig 1.5 (Debian 12) reads an integer literal without an L suffix
 * into 32 bits and silently wraps what does not fit: 4294967496 becomes
 * 200. Scan the text for such literals first (outside strings and
 * comments) and refuse them, so a typo never becomes a valid value.
 */
static void
check_int_literals(struct loader *l, const char *t)
{
	char msg[CONFIG_MSG_MAX];
	unsigned line = 1;

	for (size_t i = 0; t[i] != '\0'; i++) {
		size_t j, k;
		uint64_t v;

		if (t[i] == '\n')
			line++;
		else if (t[i] == '"') {
			for (i++; t[i] != '\0' && t[i] != '"'; i++)
				if (t[i] == '\\' && t[i + 1] != '\0')
					i++;
				else if (t[i] == '\n')
					line++;
			if (t[i] == '\0')
				return;
		} else if (t[i] == '#' || (t[i] == '/' && t[i + 1] == '/')) {
			while (t[i + 1] != '\0' && t[i + 1] != '\n')
				i++;
		} else if (t[i] == '/' && t[i + 1] == '*') {
			for (i += 2; t[i] != '\0' &&
			    !(t[i] == '*' && t[i + 1] == '/'); i++)
				if (t[i] == '\n')
					line++;
			if (t[i] == '\0')
				return;
			i++;
		} else if (t[i] >= '0' && t[i] <= '9' && (i == 0 ||
		    !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_' ||
		    t[i - 1] == '.'))) {
			for (j = i; t[j] >= '0' && t[j] <= '9'; j++)
				;
			k = j;
			/* Hex, floats and L-suffixed literals are fine. */
			if (t[j] == 'x' || t[j] == 'X' || t[j] == '.' ||
			    t[j] == 'e' || t[j] == 'E' || t[j] == 'L') {
				while (isalnum((unsigned char)t[k]) || t[k] == '.')
					k++;
			} else if (num_parse_u64(t + i, j - i, &v) == -1 ||
			    v > INT32_MAX) {
				snprintf(msg, sizeof msg, "%s:%u: integer: %.*s "
				    "does not fit in 32 bits and would be "
				    "silently wrapped; write it as %.*sL", l->file,
				    line, (int)(j - i), t + i, (int)(j - i),
				    t + i);
				l->errors++;
				if (l->report != NULL)
					l->report(l->ctx, true, msg);
			}
			i = k - 1;
		}
	}
}

/*
 * A config in memory has no directory to resolve an @include against and
 * must not read files behind its caller's back (fuzz/fuzz_config.c): any
 * "@include" is refused, even one libconfig would see as a comment.
 */
static int
read_string(struct loader *l)
{
	if (strstr(l->text, "@include") != NULL) {
		say(l, true, NULL, "@include", "not allowed in a config "
		    "given in memory");
		return -1;
	}
	if (config_read_string(&l->cf, l->text) != CONFIG_TRUE)
		return syntax_error(l);
	check_int_literals(l, l->text);
	return l->errors > 0 ? -1 : 0;
}

/* The literal scan over the file libconfig just read (top file only). */
static int
scan_file(struct loader *l, FILE *fp, off_t size)
{
	char *text;
	size_t n;

	if (size < 0 || (uint64_t)size > CONFIG_FILE_MAX) {
		say(l, true, NULL, "file", "larger than %d bytes",
		    CONFIG_FILE_MAX);
		return -1;
	}
	if ((text = malloc((size_t)size + 1)) == NULL) {
		say(l, true, NULL, "file", "out of memory");
		return -1;
	}
	rewind(fp);
	n = fread(text, 1, (size_t)size, fp);
	text[n] = '\0';
	check_int_literals(l, text);
	free(text);
	return l->errors > 0 ? -1 : 0;
}

static int
read_file(struct loader *l)
{
	struct stat st;
	char *slash;
	FILE *fp;
	int rc;

	if (l->text != NULL)
		return read_string(l);
	if ((fp = fopen(l->file, "r")) == NULL) {
		say(l, true, NULL, "file", "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		say(l, true, NULL, "file", "not a regular file");
		fclose(fp);
		return -1;
	}
	/* @include "x" is relative to this file, not to our cwd. */
	snprintf(l->incdir, sizeof l->incdir, "%s", l->file);
	if ((slash = strrchr(l->incdir, '/')) != NULL) {
		slash[slash == l->incdir] = '\0';
		config_set_include_dir(&l->cf, l->incdir);
	} else
		l->incdir[0] = '\0';
	rc = config_read(&l->cf, fp);
	if (rc != CONFIG_TRUE) {
		fclose(fp);
		return syntax_error(l);
	}
	rc = scan_file(l, fp, st.st_size);
	fclose(fp);
	return rc;
}

/*
 * path: the file, or with text the label that names it in messages. The
 * config is built in a fresh calloc (*out, NULL unless valid): a struct
 * config is ~145 KiB, room for ELECTOR_MEMBERS_MAX members, and only the
 * pages it fills ever become resident, where a copy would touch them all.
 */
static int
load(const char *path, const char *text, struct config **out,
    config_report_fn *report, void *ctx)
{
	struct loader l = { .file = path, .text = text, .report = report,
	    .ctx = ctx };

	*out = NULL;
	if ((l.c = calloc(1, sizeof *l.c)) == NULL) {
		say(&l, true, NULL, "file", "out of memory");
		return l.errors;
	}
	if (strlen(path) >= sizeof l.c->path) {
		say(&l, true, NULL, "file", "path longer than %d bytes",
		    CONFIG_PATH_MAX);
		free(l.c);
		return l.errors;
	}
	memcpy(l.c->path, path, strlen(path) + 1);
	elector_timing_defaults(&l.c->timing);
	l.c->max_epoch_jump = ELECTOR_MAX_EPOCH_JUMP_DEFAULT;
	config_init(&l.cf);
	if (read_file(&l) == 0) {
		walk(&l, CONFIG_SCOPE_TOP, config_root_setting(&l.cf), 0, "");
		check_members(&l);
		check_self(&l);
		check_control(&l);
		check_timing(&l);
		check_server(&l);
	}
	/* libconfig's tree is gone before the config is used. */
	config_destroy(&l.cf);
	if (l.errors == 0)
		*out = l.c;
	else
		free(l.c);
	return l.errors;
}

int
config_load_new(const char *path, struct config **out,
    config_report_fn *report, void *ctx)
{
	return load(path, NULL, out, report, ctx);
}

int
config_load(const char *path, struct config *out, config_report_fn *report,
    void *ctx)
{
	struct config *c;
	int errors = load(path, NULL, &c, report, ctx);

	if (errors == 0) {
		*out = *c;
		free(c);
	}
	return errors;
}

int
config_load_string(const char *text, const char *label, struct config *out,
    config_report_fn *report, void *ctx)
{
	struct config *c;
	int errors = load(label, text, &c, report, ctx);

	if (errors == 0) {
		*out = *c;
		free(c);
	}
	return errors;
}

void
config_to_elector(const struct config *c, struct elector_member *members,
    struct elector_config *out)
{
	size_t i;

	for (i = 0; i < c->n_members; i++) {
		const char *addr = i == c->self ? c->advertise :
		    c->members[i].client;

		memset(&members[i], 0, sizeof members[i]);
		snprintf(members[i].id, sizeof members[i].id, "%s",
		    c->members[i].id);
		snprintf(members[i].addr, sizeof members[i].addr, "%s", addr);
		members[i].never_stand = c->members[i].never_stand;
		members[i].priority = (unsigned)c->members[i].priority;
	}
	memset(out, 0, sizeof *out);
	out->members = members;
	out->n_members = c->n_members;
	out->self = c->self;
	out->timing = c->timing;
	out->never_stand = c->never_stand;
	out->want_primary = c->want_primary;
	out->max_epoch_jump = c->max_epoch_jump;
	out->priority_lag_bytes = c->priority_lag_bytes;
	out->max_lag_bytes = c->max_lag_bytes;
}
