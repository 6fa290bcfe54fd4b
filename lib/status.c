/*
 * status: render a status snapshot as one key=value line, one JSON line
 * or one PEER line. Pure formatting into a caller's buffer: no I/O, no
 * allocation, no clock. A rendering that does not fit is refused whole
 * (length 0), never cut, because a client parsing a half line would read
 * wrong values rather than fail.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "status.h"

/* An output buffer that remembers overflow instead of checking each put. */
struct out {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	bool	 full;
};

static void
put_bytes(struct out *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len <= n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
put(struct out *o, const char *s)
{
	put_bytes(o, s, strlen(s));
}

static void put_fmt(struct out *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
put_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof tmp) {
		o->full = true;
		return;
	}
	put_bytes(o, tmp, (size_t)r);
}

static void
put_u64(struct out *o, uint64_t v)
{
	put_fmt(o, "%" PRIu64, v);
}

/*
 * A key=value token: a space or '=' in a value would let one field pose
 * as another, so anything but printable non-space ASCII becomes '?'.
 */
static void
put_token(struct out *o, const char *s, size_t max)
{
	char c;

	for (size_t i = 0; i < max && s[i] != '\0'; i++) {
		c = s[i];
		if (c < 0x21 || c > 0x7e || c == '=')
			c = '?';
		put_bytes(o, &c, 1);
	}
}

/* A JSON string body: ids are safe today, but quotes must never break out. */
static void
put_json_str(struct out *o, const char *s, size_t max)
{
	unsigned char c;

	put(o, "\"");
	for (size_t i = 0; i < max && s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			put_bytes(o, esc, 2);
		} else if (c < 0x20 || c > 0x7e) {
			/* Also bytes >= 0x80: the output stays ASCII, so valid UTF-8. */
			put_fmt(o, "\\u%04x", c);
		} else {
			put_bytes(o, (const char *)&c, 1);
		}
	}
	put(o, "\"");
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *
json_bool(bool b)
{
	return b ? "true" : "false";
}

/* The link state is daemon text, not a peer's: keep a tame subset. */
static void
link_text(const char *link, char *dst)
{
	size_t i;
	char c;

	if (link == NULL || link[0] == '\0')
		link = "none";
	for (i = 0; i < STATUS_LINK_MAX && link[i] != '\0'; i++) {
		c = link[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			c = '?';
		dst[i] = c;
	}
	dst[i] = '\0';
}

static size_t
finish(struct out *o)
{
	put(o, "\n");
	if (o->full) {
		if (o->cap > 0)
			o->buf[0] = '\0';
		return 0;
	}
	return o->len;
}

static void
out_init(struct out *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->full = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

const char *
status_local_name(enum status_local l)
{
	switch (l) {
	case STATUS_LOCAL_OFF: return "off";
	case STATUS_LOCAL_UP: return "up";
	case STATUS_LOCAL_DOWN: return "down";
	}
	return "unknown";
}

size_t
status_peers_up(const struct status *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_peers; i++)
		if (st->peers[i].up)
			n++;
	return n;
}

static bool
is_down_in(const struct status *st, const char *id)
{
	for (size_t i = 0; i < st->n_peers; i++)
		if (strcmp(st->peers[i].id, id) == 0)
			return !st->peers[i].up;
	return false;
}

static bool
down_sets_differ(const struct status *a, const struct status *b)
{
	size_t i, down_a = 0, down_b = 0;
	bool same_order = a->n_peers == b->n_peers;

	/* Members come in config order, so the common case is index-wise. */
	for (i = 0; same_order && i < a->n_peers; i++)
		if (strcmp(a->peers[i].id, b->peers[i].id) != 0)
			same_order = false;
	if (same_order) {
		for (i = 0; i < a->n_peers; i++)
			if (a->peers[i].up != b->peers[i].up)
				return true;
		return false;
	}
	for (i = 0; i < a->n_peers; i++) {
		if (a->peers[i].up)
			continue;
		down_a++;
		if (!is_down_in(b, a->peers[i].id))
			return true;
	}
	for (i = 0; i < b->n_peers; i++)
		if (!b->peers[i].up)
			down_b++;
	return down_a != down_b;
}

bool
status_watch_differs(const struct status *a, const struct status *b)
{
	return a->role != b->role || a->epoch != b->epoch ||
	    strcmp(a->primary, b->primary) != 0 || a->quorum != b->quorum ||
	    a->fenced != b->fenced || a->local != b->local ||
	    a->paused != b->paused ||
	    strcmp(a->switchover, b->switchover) != 0 ||
	    down_sets_differ(a, b);
}

bool
status_is_same(const struct status *a, const struct status *b)
{
	return memcmp(a, b, offsetof(struct status, peers)) == 0 &&
	    memcmp(a->peers, b->peers, a->n_peers * sizeof(a->peers[0])) == 0;
}

size_t
status_format(const struct status *st, char *buf, size_t cap)
{
	struct out o;
	bool any = false;

	out_init(&o, buf, cap);
	put(&o, "node_id=");
	put_token(&o, st->node_id, WIRE_ID_MAX);
	put(&o, " role=");
	put(&o, wire_role_label(st->role));
	put(&o, " epoch=");
	put_u64(&o, st->epoch);
	put(&o, " primary=");
	if (st->primary[0] != '\0')
		put_token(&o, st->primary, WIRE_ID_MAX);
	else
		put(&o, "none");
	put(&o, " primary_addr=");
	if (st->primary_addr[0] != '\0')
		put_token(&o, st->primary_addr, WIRE_ADDR_MAX);
	else
		put(&o, "none");
	put(&o, " quorum=");
	put(&o, yes_no(st->quorum));
	put(&o, " fenced=");
	put(&o, yes_no(st->fenced));
	put(&o, " offset=");
	put_u64(&o, st->offset);
	put(&o, " down=");
	for (size_t i = 0; i < st->n_peers; i++) {
		if (st->peers[i].up)
			continue;
		if (any)
			put(&o, ",");
		put_token(&o, st->peers[i].id, WIRE_ID_MAX);
		any = true;
	}
	if (!any)
		put(&o, "none");
	put_fmt(&o, " peers_up=%zu peers_total=%zu", status_peers_up(st),
	    st->n_peers);
	put(&o, " since_change_ms=");
	put_u64(&o, st->since_change_ms);
	put(&o, " voted_epoch=");
	put_u64(&o, st->voted_epoch);
	put(&o, " save=");
	put(&o, st->save_failing ? "failing" : "ok");
	put(&o, " never_stand=");
	put(&o, yes_no(st->never_stand));
	put(&o, " uptime_ms=");
	put_u64(&o, st->uptime_ms);
	put(&o, " local=");
	put(&o, status_local_name(st->local));
	if (st->server.on) {
		put(&o, " server=");
		put_token(&o, st->server.state, STATUS_SERVER_WORD_MAX);
		put(&o, " server_role=");
		put_token(&o, st->server.role, STATUS_SERVER_WORD_MAX);
		put(&o, " server_master=");
		if (st->server.master[0] != '\0')
			put_token(&o, st->server.master,
			    STATUS_SERVER_ADDR_MAX);
		else
			put(&o, "none");
		put(&o, " server_offset=");
		put_u64(&o, st->server.offset);
		put(&o, " fencing=");
		put_token(&o, st->server.fencing, STATUS_SERVER_WORD_MAX);
	}
	put(&o, " paused=");
	put(&o, yes_no(st->paused));
	put(&o, " pause_left_ms=");
	put_u64(&o, st->pause_left_ms);
	put(&o, " switchover=");
	if (st->switchover[0] != '\0')
		put_token(&o, st->switchover, WIRE_ID_MAX);
	else
		put(&o, "none");
	put_fmt(&o, " priority=%u lagging=%s", st->priority,
	    yes_no(st->lagging));
	return finish(&o);
}

/* A JSON string, or null for "" (not known, not configured). */
static void
put_json_str_or_null(struct out *o, const char *s, size_t max)
{
	if (s[0] != '\0')
		put_json_str(o, s, max);
	else
		put(o, "null");
}

/* ,"addr":..,"client_addr":..: appended last, so old parsers still work. */
static void
put_json_addrs(struct out *o, const char *addr, const char *client_addr)
{
	put(o, ",\"addr\":");
	put_json_str_or_null(o, addr, STATUS_ADDR_MAX);
	put(o, ",\"client_addr\":");
	put_json_str_or_null(o, client_addr, WIRE_ADDR_MAX);
}

static void
put_json_peer(struct out *o, const struct status_peer *p)
{
	char link[STATUS_LINK_MAX + 1];

	put(o, "{\"id\":");
	put_json_str(o, p->id, WIRE_ID_MAX);
	put(o, ",\"state\":");
	put(o, p->up ? "\"up\"" : "\"down\"");
	put(o, ",\"last_seen_ms\":");
	if (p->heard)
		put_u64(o, p->last_seen_ms);
	else
		put(o, "null");
	put(o, ",\"epoch\":");
	put_u64(o, p->epoch);
	put(o, ",\"role\":");
	if (wire_role_name(p->role) != NULL)
		put_json_str(o, wire_role_name(p->role), 16);
	else
		put(o, "null");
	put(o, ",\"offset\":");
	put_u64(o, p->offset);
	link_text(p->link, link);
	put(o, ",\"link\":");
	put_json_str(o, link, sizeof link);
	put_fmt(o, ",\"inbound\":%u,\"never_stand\":%s", p->inbound,
	    json_bool(p->never_stand));
	put_json_addrs(o, p->addr, p->client_addr);
	put(o, "}");
}

size_t
status_format_json(const struct status *st, char *buf, size_t cap)
{
	struct out o;
	bool any = false;

	out_init(&o, buf, cap);
	put(&o, "{\"node_id\":");
	put_json_str(&o, st->node_id, WIRE_ID_MAX);
	put(&o, ",\"role\":");
	put_json_str(&o, wire_role_label(st->role), 16);
	put(&o, ",\"epoch\":");
	put_u64(&o, st->epoch);
	put(&o, ",\"primary\":");
	if (st->primary[0] != '\0')
		put_json_str(&o, st->primary, WIRE_ID_MAX);
	else
		put(&o, "null");
	put(&o, ",\"primary_addr\":");
	if (st->primary_addr[0] != '\0')
		put_json_str(&o, st->primary_addr, WIRE_ADDR_MAX);
	else
		put(&o, "null");
	put_fmt(&o, ",\"quorum\":%s,\"fenced\":%s", json_bool(st->quorum),
	    json_bool(st->fenced));
	put(&o, ",\"offset\":");
	put_u64(&o, st->offset);
	put(&o, ",\"down\":[");
	for (size_t i = 0; i < st->n_peers; i++) {
		if (st->peers[i].up)
			continue;
		if (any)
			put(&o, ",");
		put_json_str(&o, st->peers[i].id, WIRE_ID_MAX);
		any = true;
	}
	put_fmt(&o, "],\"peers_up\":%zu,\"peers_total\":%zu",
	    status_peers_up(st), st->n_peers);
	put(&o, ",\"since_change_ms\":");
	put_u64(&o, st->since_change_ms);
	put(&o, ",\"voted_epoch\":");
	put_u64(&o, st->voted_epoch);
	put(&o, ",\"save\":");
	put(&o, st->save_failing ? "\"failing\"" : "\"ok\"");
	put(&o, ",\"never_stand\":");
	put(&o, json_bool(st->never_stand));
	put(&o, ",\"uptime_ms\":");
	put_u64(&o, st->uptime_ms);
	put(&o, ",\"local\":\"");
	put(&o, status_local_name(st->local));
	put(&o, "\"");
	if (st->server.on) {
		put(&o, ",\"server\":{\"state\":");
		put_json_str(&o, st->server.state, STATUS_SERVER_WORD_MAX);
		put(&o, ",\"role\":");
		put_json_str(&o, st->server.role, STATUS_SERVER_WORD_MAX);
		put(&o, ",\"master\":");
		if (st->server.master[0] != '\0')
			put_json_str(&o, st->server.master,
			    STATUS_SERVER_ADDR_MAX);
		else
			put(&o, "null");
		put(&o, ",\"offset\":");
		put_u64(&o, st->server.offset);
		put(&o, ",\"fencing\":");
		put_json_str(&o, st->server.fencing, STATUS_SERVER_WORD_MAX);
		put(&o, "}");
	}
	put_fmt(&o, ",\"paused\":%s", json_bool(st->paused));
	put(&o, ",\"pause_left_ms\":");
	put_u64(&o, st->pause_left_ms);
	put(&o, ",\"switchover\":");
	if (st->switchover[0] != '\0')
		put_json_str(&o, st->switchover, WIRE_ID_MAX);
	else
		put(&o, "null");
	put_fmt(&o, ",\"priority\":%u,\"lagging\":%s", st->priority,
	    json_bool(st->lagging));
	put(&o, ",\"peers\":[");
	for (size_t i = 0; i < st->n_peers; i++) {
		if (i > 0)
			put(&o, ",");
		put_json_peer(&o, &st->peers[i]);
	}
	put(&o, "]}");
	return finish(&o);
}

size_t
status_format_peer(const struct status_peer *p, char *buf, size_t cap)
{
	char link[STATUS_LINK_MAX + 1];
	struct out o;

	out_init(&o, buf, cap);
	put(&o, "id=");
	put_token(&o, p->id, WIRE_ID_MAX);
	put(&o, p->up ? " state=up" : " state=down");
	put(&o, " last_seen_ms=");
	if (p->heard)
		put_u64(&o, p->last_seen_ms);
	else
		put(&o, "never");
	put(&o, " epoch=");
	put_u64(&o, p->epoch);
	put(&o, " role=");
	put(&o, wire_role_label(p->role));
	put(&o, " offset=");
	put_u64(&o, p->offset);
	link_text(p->link, link);
	put(&o, " link=");
	put(&o, link);
	put_fmt(&o, " inbound=%u never_stand=%s", p->inbound,
	    yes_no(p->never_stand));
	put(&o, " addr=");
	if (p->addr[0] != '\0')
		put_token(&o, p->addr, STATUS_ADDR_MAX);
	else
		put(&o, "none");
	put(&o, " client_addr=");
	if (p->client_addr[0] != '\0')
		put_token(&o, p->client_addr, WIRE_ADDR_MAX);
	else
		put(&o, "none");
	return finish(&o);
}

/* ---- the cluster table (CLUSTER, /cluster, kevy-electctl list) ---- */

/*
 * The primary's offset as this node last knew it: its own if it is the
 * primary, else the primary's last heartbeat. false if no primary is
 * known or it was never heard.
 */
static bool
primary_offset(const struct status *st, uint64_t *off)
{
	if (st->primary[0] == '\0')
		return false;
	if (strcmp(st->primary, st->node_id) == 0) {
		*off = st->offset;
		return true;
	}
	for (size_t i = 0; i < st->n_peers; i++)
		if (strcmp(st->peers[i].id, st->primary) == 0 &&
		    st->peers[i].heard) {
			*off = st->peers[i].offset;
			return true;
		}
	return false;
}

static void
put_lag(struct out *o, bool known, uint64_t primary, uint64_t offset)
{
	put(o, ",\"lag\":");
	if (!known)
		put(o, "null");
	else
		put_u64(o, primary > offset ? primary - offset : 0);
}

static void
put_cluster_self(struct out *o, const struct status *st, bool known,
    uint64_t poff)
{
	put(o, "{\"id\":");
	put_json_str(o, st->node_id, WIRE_ID_MAX);
	put(o, ",\"self\":true");
	put_json_addrs(o, st->addr, st->client_addr);
	put(o, ",\"role\":");
	put_json_str(o, wire_role_label(st->role), 16);
	put(o, ",\"state\":\"up\",\"epoch\":");
	put_u64(o, st->epoch);
	put(o, ",\"offset\":");
	put_u64(o, st->offset);
	put_lag(o, known, poff, st->offset);
	put_fmt(o, ",\"last_seen_ms\":0,\"never_stand\":%s,\"priority\":%u}",
	    json_bool(st->never_stand), st->priority);
}

static void
put_cluster_peer(struct out *o, const struct status_peer *p, bool known,
    uint64_t poff)
{
	put(o, "{\"id\":");
	put_json_str(o, p->id, WIRE_ID_MAX);
	put(o, ",\"self\":false");
	put_json_addrs(o, p->addr, p->client_addr);
	put(o, ",\"role\":");
	if (wire_role_name(p->role) != NULL)
		put_json_str(o, wire_role_name(p->role), 16);
	else
		put(o, "null");
	put(o, p->up ? ",\"state\":\"up\"" : ",\"state\":\"down\"");
	put(o, ",\"epoch\":");
	put_u64(o, p->epoch);
	put(o, ",\"offset\":");
	put_u64(o, p->offset);
	put_lag(o, known && p->heard, poff, p->offset);
	put(o, ",\"last_seen_ms\":");
	if (p->heard)
		put_u64(o, p->last_seen_ms);
	else
		put(o, "null");
	put_fmt(o, ",\"never_stand\":%s,\"priority\":%u}",
	    json_bool(p->never_stand), p->priority);
}

size_t
status_format_cluster(const struct status *st, char *buf, size_t cap)
{
	struct out o;
	uint64_t poff = 0;
	bool known = primary_offset(st, &poff);
	size_t self = st->self_index <= st->n_peers ? st->self_index :
	    st->n_peers;

	out_init(&o, buf, cap);
	put(&o, "[");
	/* Members order: the peers are in it with this node left out. */
	for (size_t i = 0; i <= st->n_peers; i++) {
		if (i > 0)
			put(&o, ",");
		if (i == self)
			put_cluster_self(&o, st, known, poff);
		else
			put_cluster_peer(&o, &st->peers[i < self ? i : i - 1],
			    known, poff);
	}
	put(&o, "]");
	return finish(&o);
}
