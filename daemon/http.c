/*
 * http: the monitoring endpoint on libevent's evhttp (see http.h). It only
 * reads the daemon's state: a request never changes the elector, never
 * blocks the loop and never grows memory past the limits in http.h. Every
 * answer is built from one fresh core_status() snapshot, so the numbers a
 * scrape returns are consistent with each other and with STATUS.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "ctl.h"
#include "core.h"
#include "electd.h"
#include "http.h"
#include "inbound.h"
#include "server.h"
#include "log.h"

#define HTTP_PREFIX "kevy_electd_"
/* {name="value"} with every byte of an id escaped at worst. */
#define HTTP_LABELS_MAX (2 * WIRE_ID_MAX + 32) /* bytes, with the NUL */
#define HTTP_CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_CT_TEXT "text/plain; charset=utf-8"
#define HTTP_CT_JSON "application/json"

struct http {
	struct electd *d;
	struct evhttp *evh;
	struct evhttp_bound_socket *bound;
	struct status *st;        /* the snapshot each answer is built from */
	char *table;              /* STATUS_CLUSTER_MAX bytes, for /cluster */
};

/* A handler fills body and says which status and content type apply. */
typedef int http_handler_fn(struct http *, struct evbuffer *body,
    const char **ctype);

static const char *
reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/*
 * {key="value"}: the exposition format escapes \, " and newline in label
 * values. Ids are printable words already; escape anyway, they are config.
 */
static const char *
label(char *buf, size_t cap, const char *key, const char *value)
{
	size_t n = (size_t)snprintf(buf, cap, "{%s=\"", key);

	for (const char *p = value; *p != '\0' && n + 4 < cap; p++) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			buf[n++] = '\\';
			buf[n++] = *p == '\n' ? 'n' : *p;
		} else
			buf[n++] = *p;
	}
	snprintf(buf + n, cap - n, "\"}");
	return buf;
}

static void
head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP " HTTP_PREFIX "%s %s\n"
	    "# TYPE " HTTP_PREFIX "%s %s\n", name, help, name, type);
}

static void
sample(struct evbuffer *b, const char *name, const char *labels, uint64_t v)
{
	evbuffer_add_printf(b, HTTP_PREFIX "%s%s %" PRIu64 "\n", name,
	    labels != NULL ? labels : "", v);
}

static void
gauge(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	head(b, name, "gauge", help);
	sample(b, name, NULL, v);
}

static void
counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	head(b, name, "counter", help);
	sample(b, name, NULL, v);
}

/* The elector's counters, in the order they are exposed. */
static const struct {
	const char *name;
	size_t off;               /* into struct elector_stats */
	const char *help;
} elector_counters[] = {
	{ "elections_started_total",
	  offsetof(struct elector_stats, elections_started),
	  "Candidacies this node started." },
	{ "elections_won_total", offsetof(struct elector_stats, elections_won),
	  "Candidacies that made this node primary." },
	{ "elections_failed_total",
	  offsetof(struct elector_stats, elections_failed),
	  "Candidacies that timed out or lost." },
	{ "votes_cast_total", offsetof(struct elector_stats, votes_cast),
	  "Votes this node granted." },
	{ "votes_refused_total", offsetof(struct elector_stats, votes_refused),
	  "Vote requests this node refused." },
	{ "saves_total", offsetof(struct elector_stats, saves),
	  "Successful writes of the persisted epoch and vote." },
	{ "save_failures_total", offsetof(struct elector_stats, save_failures),
	  "Failed writes of the persisted epoch and vote." },
	{ "pauses_total", offsetof(struct elector_stats, pauses),
	  "Process pauses detected (a gap between calls over the threshold)." },
	{ "abdications_total", offsetof(struct elector_stats, abdications),
	  "Times this node stepped down as primary." },
	{ "restands_total", offsetof(struct elector_stats, restands),
	  "Times a primary stood again to lift its epoch." },
	{ "rivals_yielded_total", offsetof(struct elector_stats, rivals_yielded),
	  "Times this node yielded to a primary of its own epoch." },
	{ "epochs_raised_total", offsetof(struct elector_stats, epochs_raised),
	  "Times this node raised its epoch on a peer's confirmed claim." },
	{ "frames_ignored_total",
	  offsetof(struct elector_stats, frames_ignored),
	  "Valid frames ignored as stale or not for this node." },
	{ "votes_quiet_total", offsetof(struct elector_stats, votes_quiet),
	  "Votes cast with the quiet mark: none of this node's earlier "
	  "frames still fed a lease (quiet rule)." },
	{ "holds_skipped_total", offsetof(struct elector_stats, holds_skipped),
	  "Wins writable at once: every vote quiet, and this node's own "
	  "last frames too old to feed a lease." },
	{ "quiet_starts_total", offsetof(struct elector_stats, quiet_starts),
	  "Times this node went quiet (keepalives instead of heartbeats)." },
};

static void
frames_by_verb(struct evbuffer *b, const char *name, const char *help,
    const uint64_t *counts)
{
	char l[HTTP_LABELS_MAX];

	head(b, name, "counter", help);
	for (int v = WIRE_HB; v <= WIRE_ANNOUNCE; v++) {
		const char *vn = wire_verb_name((enum wire_verb)v);

		if (vn != NULL)
			sample(b, name, label(l, sizeof(l), "verb", vn),
			    counts[v]);
	}
}

static int
serve_metrics(struct http *h, struct evbuffer *b, const char **ctype)
{
	static const enum wire_role roles[] = { WIRE_ROLE_PRIMARY,
	    WIRE_ROLE_REPLICA, WIRE_ROLE_CANDIDATE };
	const struct status *st = h->st;
	static const struct inbound_stats no_inbound;
	const struct core_stats *c = core_stats(h->d);
	const struct inbound_stats *in = h->d->inbound != NULL ?
	    inbound_stats(h->d->inbound) : &no_inbound;
	const struct elector_stats *es = core_elector_stats(h->d);
	char l[HTTP_LABELS_MAX];

	*ctype = HTTP_CT_METRICS;
	head(b, "node_info", "gauge", "This node's id, as a label; always 1.");
	sample(b, "node_info", label(l, sizeof(l), "node", st->node_id), 1);
	head(b, "role", "gauge", "1 for this node's current role, 0 for the "
	    "others.");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		sample(b, "role", label(l, sizeof(l), "role",
		    wire_role_label(roles[i])), st->role == roles[i]);
	gauge(b, "epoch", "Current election epoch.", st->epoch);
	gauge(b, "voted_epoch", "Epoch of the last vote cast; 0 if never.",
	    st->voted_epoch);
	gauge(b, "quorum", "1 if a majority of members is heard.", st->quorum);
	gauge(b, "fenced", "1 if primary without its lease (refuses writes).",
	    st->fenced);
	gauge(b, "writable", "1 if primary and not fenced.",
	    st->role == WIRE_ROLE_PRIMARY && !st->fenced);
	gauge(b, "primary_known", "1 if this node knows a primary.",
	    st->primary[0] != '\0');
	gauge(b, "offset", "Replication offset the local server last reported.",
	    st->offset);
	gauge(b, "save_failing", "1 if the last persistence write failed.",
	    st->save_failing);

	head(b, "peer_up", "gauge", "1 if the peer was heard within "
	    "down_after.");
	for (size_t i = 0; i < st->n_peers; i++)
		sample(b, "peer_up", label(l, sizeof(l), "peer",
		    st->peers[i].id), st->peers[i].up);
	/* A peer never heard has no age: its sample is left out, not faked. */
	head(b, "peer_last_seen_seconds", "gauge", "Seconds since the peer was "
	    "last heard; absent if never heard since start.");
	for (size_t i = 0; i < st->n_peers; i++)
		if (st->peers[i].heard)
			evbuffer_add_printf(b, HTTP_PREFIX
			    "peer_last_seen_seconds%s %.3f\n", label(l,
			    sizeof(l), "peer", st->peers[i].id),
			    (double)st->peers[i].last_seen_ms / 1000.0);

	for (size_t i = 0; i < sizeof(elector_counters) /
	    sizeof(elector_counters[0]); i++)
		counter(b, elector_counters[i].name, elector_counters[i].help,
		    *(const uint64_t *)(const void *)((const char *)es +
		    elector_counters[i].off));

	frames_by_verb(b, "frames_received_total", "Frames decoded from "
	    "peers, by verb.", c->frames_in);
	frames_by_verb(b, "frames_sent_total", "Frames queued to peers, by "
	    "verb.", c->frames_out);
	counter(b, "frames_dropped_total", "Frames not sent: link down or "
	    "output full.", c->frames_dropped);
	counter(b, "keepalives_sent_total", "Keepalives sent while quiet "
	    "(quiet rule).", c->keepalives_out);
	counter(b, "keepalives_received_total", "Keepalives received: the "
	    "peer is alive, vouching for no lease.", c->keepalives_in);
	counter(b, "frames_pending_total", "Votes, offers and announces "
	    "kept for a link still coming up.", c->frames_pending);
	counter(b, "frames_pending_sent_total", "Kept frames sent once "
	    "their link was up.", c->frames_pending_sent);
	counter(b, "frames_pending_stale_total", "Kept frames dropped: no "
	    "longer current (epoch moved, candidacy over, vote superseded).",
	    c->frames_pending_stale);
	counter(b, "decode_errors_total", "Malformed frames (the connection "
	    "was closed).", in->decode_errors);
	counter(b, "rejected_senders_total", "Frames naming a non-member or "
	    "this node.", in->rejected_senders);
	counter(b, "sender_changes_total", "Inbound connections closed: a "
	    "second sender id on one connection.", in->sender_changes);
	counter(b, "epochs_refused_total", "Frames held: epoch more than "
	    "max_epoch_jump above ours (not applied, connection kept; a claim "
	    "kept up raises our epoch).", c->frames_held);
	counter(b, "sources_refused_total", "Election connections refused by "
	    "peer_source_check.", in->sources_refused);
	counter(b, "auth_failures_total", "Election connections closed: no, "
	    "wrong or late authentication.", in->auth_failures);
	counter(b, "inbound_floods_total", "Election connections closed: "
	    "over the frames-per-second limit.", in->floods);
	counter(b, "hello_timeouts_total", "Election connections closed: no "
	    "valid frame in time.", in->hello_timeouts);
	counter(b, "inbound_evictions_total", "Unidentified election "
	    "connections closed at the connection cap for a newer one.",
	    in->evictions);
	counter(b, "inbound_idle_timeouts_total", "Identified election "
	    "connections closed: no frame for INBOUND_IDLE_DOWN_AFTERS x "
	    "down_after.", in->idle_timeouts);
	counter(b, "inbound_replaced_total", "Election connections closed: "
	    "their member opened a newer one past INBOUND_PER_MEMBER_MAX.",
	    in->member_replaced);

	if (h->d->server != NULL) {
		const struct server_stats *ss = server_stats(h->d->server);

		gauge(b, "server_up", "1 if the server adapter's last poll of "
		    "the local server was answered.", strcmp(st->server.state,
		    "up") == 0);
		gauge(b, "server_offset", "master_repl_offset of the last "
		    "poll.", st->server.offset);
		counter(b, "server_polls_total", "INFO replication polls "
		    "answered.", ss->polls);
		counter(b, "server_connects_total", "Connections to the local "
		    "server that came up.", ss->connects);
		counter(b, "server_promotions_total", "REPLICAOF NO ONE sent.",
		    ss->promotions);
		counter(b, "server_repoints_total", "REPLICAOF host port sent.",
		    ss->repoints);
		counter(b, "server_fences_total", "CLIENT PAUSE WRITE sent.",
		    ss->fences);
		counter(b, "server_command_failures_total", "Commands to the "
		    "local server that failed or timed out.",
		    ss->command_failures);
	}
	gauge(b, "inbound_connections", "Election connections open now.",
	    h->d->inbound != NULL ? inbound_open(h->d->inbound) : 0);
	gauge(b, "inbound_connections_max", "Election connections allowed at "
	    "once (the descriptor budget's share).",
	    h->d->inbound != NULL ? inbound_cap(h->d->inbound) : 0);
	gauge(b, "control_clients", "Connected control-socket clients.",
	    h->d->ctl != NULL ? ctl_clients(h->d->ctl) : 0);
	gauge(b, "control_watchers", "Control-socket clients in WATCH.",
	    h->d->ctl != NULL ? ctl_watchers(h->d->ctl) : 0);
	head(b, "since_change_seconds", "gauge", "Seconds since role, epoch "
	    "or primary last changed.");
	evbuffer_add_printf(b, HTTP_PREFIX "since_change_seconds %.3f\n",
	    (double)st->since_change_ms / 1000.0);
	head(b, "uptime_seconds", "gauge", "Seconds since the daemon started.");
	evbuffer_add_printf(b, HTTP_PREFIX "uptime_seconds %.3f\n",
	    (double)st->uptime_ms / 1000.0);
	return 200;
}

/* Patroni's /health: the daemon answers, whatever its role. */
static int
serve_health(struct http *h, struct evbuffer *b, const char **ctype)
{
	*ctype = HTTP_CT_TEXT;
	evbuffer_add_printf(b, "ok role=%s epoch=%" PRIu64 "\n",
	    wire_role_label(h->st->role), h->st->epoch);
	return 200;
}

/* " primary=<id> client_addr=<addr>": where clients find the primary. */
static void
primary_where(struct evbuffer *b, const struct status *st)
{
	if (st->primary[0] == '\0') {
		evbuffer_add_printf(b, " primary=none");
		return;
	}
	evbuffer_add_printf(b, " primary=%s client_addr=%s", st->primary,
	    st->primary_addr[0] != '\0' ? st->primary_addr : "none");
}

/*
 * Where writes may go: primary and holding its lease. Also /leader and
 * /read-write, Patroni's names for the same check.
 */
static int
serve_primary(struct http *h, struct evbuffer *b, const char **ctype)
{
	const struct status *st = h->st;

	*ctype = HTTP_CT_TEXT;
	if (st->role == WIRE_ROLE_PRIMARY && !st->fenced) {
		evbuffer_add_printf(b, "primary %s epoch=%" PRIu64
		    " client_addr=%s\n", st->node_id, st->epoch,
		    st->primary_addr[0] != '\0' ? st->primary_addr : "none");
		return 200;
	}
	evbuffer_add_printf(b, "not writable: role=%s%s",
	    wire_role_label(st->role), st->fenced ? " fenced=yes" : "");
	primary_where(b, st);
	evbuffer_add_printf(b, "\n");
	return 503;
}

/* Where reads may go: a replica that follows a primary, with quorum. */
static int
serve_replica(struct http *h, struct evbuffer *b, const char **ctype)
{
	const struct status *st = h->st;

	*ctype = HTTP_CT_TEXT;
	if (st->role != WIRE_ROLE_REPLICA)
		evbuffer_add_printf(b, "not a replica: role=%s\n",
		    wire_role_label(st->role));
	else if (st->primary[0] == '\0')
		evbuffer_add_printf(b, "not a replica: no primary known\n");
	else if (!st->quorum)
		evbuffer_add_printf(b, "not a replica: no quorum\n");
	else {
		evbuffer_add_printf(b, "replica of %s epoch=%" PRIu64 "\n",
		    st->primary, st->epoch);
		return 200;
	}
	return 503;
}

/* ---- Patroni's other checks, and the cluster table ---- */

/*
 * Why this node should not serve reads, or NULL if it may ("healthy",
 * docs/reference/monitoring.md): it hears a majority, knows a primary
 * (or is the unfenced one) and its local server is not known to be down.
 */
static const char *
unhealthy(const struct status *st)
{
	if (st->role == WIRE_ROLE_PRIMARY && st->fenced)
		return "fenced";
	if (st->role != WIRE_ROLE_PRIMARY && st->role != WIRE_ROLE_REPLICA)
		return "electing";
	if (!st->quorum)
		return "no quorum";
	if (st->primary[0] == '\0')
		return "no primary known";
	if (st->local == STATUS_LOCAL_DOWN)
		return "local server down";
	if (st->server.on && strcmp(st->server.state, "up") != 0)
		return "server not up";
	return NULL;
}

/* Where reads may go: a healthy replica or primary. */
static int
serve_read_only(struct http *h, struct evbuffer *b, const char **ctype)
{
	const struct status *st = h->st;
	const char *why = unhealthy(st);

	*ctype = HTTP_CT_TEXT;
	if (why != NULL)
		evbuffer_add_printf(b, "not readable: %s role=%s", why,
		    wire_role_label(st->role));
	else
		evbuffer_add_printf(b, "readable role=%s epoch=%" PRIu64,
		    wire_role_label(st->role), st->epoch);
	primary_where(b, st);
	evbuffer_add_printf(b, "\n");
	return why != NULL ? 503 : 200;
}

/* The loop runs: it is the loop that answers. */
static int
serve_liveness(struct http *h, struct evbuffer *b, const char **ctype)
{
	*ctype = HTTP_CT_TEXT;
	evbuffer_add_printf(b, "alive uptime_ms=%" PRIu64 "\n",
	    h->st->uptime_ms);
	return 200;
}

/* Part of a working cluster: a majority heard, a primary known (or it). */
static int
serve_readiness(struct http *h, struct evbuffer *b, const char **ctype)
{
	const struct status *st = h->st;

	*ctype = HTTP_CT_TEXT;
	if (!st->quorum || st->primary[0] == '\0') {
		evbuffer_add_printf(b, "not ready: %s role=%s\n",
		    !st->quorum ? "no quorum" : "no primary known",
		    wire_role_label(st->role));
		return 503;
	}
	evbuffer_add_printf(b, "ready role=%s epoch=%" PRIu64,
	    wire_role_label(st->role), st->epoch);
	primary_where(b, st);
	evbuffer_add_printf(b, "\n");
	return 200;
}

/*
 * The CLUSTER table as it is: one JSON line (lib/status.c), rendered in
 * the one buffer of the http and copied out at its length, so a slow
 * client holds the bytes of its table, not STATUS_CLUSTER_MAX.
 */
static int
serve_cluster(struct http *h, struct evbuffer *b, const char **ctype)
{
	size_t n;

	*ctype = HTTP_CT_TEXT;
	if (h->table == NULL && (h->table = malloc(STATUS_CLUSTER_MAX)) ==
	    NULL) {
		evbuffer_add_printf(b, "out of memory\n");
		return 500;
	}
	if ((n = status_format_cluster(h->st, h->table,
	    STATUS_CLUSTER_MAX)) == 0) {
		evbuffer_add_printf(b, "cluster table too long\n");
		return 500;
	}
	*ctype = HTTP_CT_JSON;
	evbuffer_add(b, h->table, n);
	return 200;
}

static const struct {
	const char *path;
	http_handler_fn *handler;
} routes[] = {
	{ "/metrics", serve_metrics },
	{ "/health", serve_health },
	{ "/primary", serve_primary },
	{ "/replica", serve_replica },
	{ "/leader", serve_primary },
	{ "/read-write", serve_primary },
	{ "/read-only", serve_read_only },
	{ "/liveness", serve_liveness },
	{ "/readiness", serve_readiness },
	{ "/cluster", serve_cluster },
};

/*
 * HEAD: the headers GET would get, Content-Length included, and no body.
 * evhttp 2.1 would send the body of a HEAD answer: drop it here.
 */
static void
reply(struct evhttp_request *req, int code, const char *ctype,
    struct evbuffer *body)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	char len[32];

	evhttp_add_header(hdr, "Content-Type", ctype);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (code == 405)
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(body));
		evhttp_add_header(hdr, "Content-Length", len);
		evbuffer_drain(body, evbuffer_get_length(body));
	}
	evhttp_send_reply(req, code, reason(code), body);
}

static void
log_request(struct evhttp_request *req, const char *path, int code)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL, q[LOG_VALUE_MAX];
	ev_uint16_t port = 0;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	log_debug("event=http_request client=%s:%u method=%s path=%s "
	    "status=%d", addr != NULL ? addr : "-", (unsigned)port,
	    m == EVHTTP_REQ_GET ? "GET" : m == EVHTTP_REQ_HEAD ? "HEAD" :
	    "other", LOG_Q(q, path), code);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *shown = "other";
	struct evbuffer *body = evbuffer_new();
	const char *ctype = HTTP_CT_TEXT;
	char *path = NULL;
	size_t plen = 0;
	int code = 404;

	if (body == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (raw == NULL || raw[0] == '\0')
		raw = "/";
	/* The query string is not part of the path: it is ignored. */
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		code = 405;
		evbuffer_add_printf(body, "method not allowed: GET or HEAD\n");
	} else if ((path = evhttp_uridecode(raw, 0, &plen)) == NULL ||
	    strlen(path) != plen) {
		code = 400;
		evbuffer_add_printf(body, "bad path\n");
	} else {
		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]);
		    i++) {
			if (strcmp(path, routes[i].path) != 0)
				continue;
			shown = routes[i].path;
			core_status(h->d, h->st);
			code = routes[i].handler(h, body, &ctype);
			break;
		}
		if (code == 404)
			evbuffer_add_printf(body, "not found\n");
	}
	log_request(req, shown, code);
	reply(req, code, ctype, body);
	evbuffer_free(body);
	free(path);
}

static void
on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/*
 * accept() failed. Out of descriptors, the listener would fire again at
 * once and spin: pause it and retry later, as the control socket does.
 * The retry is a one-shot event on the listener itself (its callback
 * argument is evhttp's, not ours); the loop no longer runs once
 * http_free has freed the listener, so it cannot fire on a freed one.
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	char q[LOG_QUOTE_MAX(LOG_ERROR_TEXT_MAX)];
	struct timeval tv = { HTTP_ACCEPT_RETRY_MS / 1000,
	    (HTTP_ACCEPT_RETRY_MS % 1000) * 1000 };

	(void)arg;
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM) {
		log_warnx("event=http_accept_failed error=%s",
		    LOG_Q(q, strerror(e)));
		return;
	}
	log_warnx("event=http_accept_failed error=%s paused_ms=%d",
	    LOG_Q(q, strerror(e)), HTTP_ACCEPT_RETRY_MS);
	evconnlistener_disable(lev);
	if (event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
	    on_accept_retry, lev, &tv) == -1)
		evconnlistener_enable(lev);
}

struct http *
http_new(struct electd *d, char *err, size_t errlen)
{
	const struct config_hostport *hp = &d->cfg->http_listen;
	struct evconnlistener *lev;
	struct http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->st = malloc(sizeof(*h->st))) == NULL ||
	    (h->evh = evhttp_new(d->base)) == NULL) {
		snprintf(err, errlen, "http: out of memory");
		http_free(h);
		return NULL;
	}
	h->d = d;
	evhttp_set_max_headers_size(h->evh, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->evh, HTTP_BODY_MAX);
	evhttp_set_timeout(h->evh, HTTP_TIMEOUT_S);
#if LIBEVENT_VERSION_NUMBER >= 0x02020000
	evhttp_set_max_connections(h->evh, HTTP_CONNS_MAX);
#endif
	/*
	 * evhttp answers a method outside this set with 501 Not Implemented
	 * itself; let the common ones through so on_request can say 405 with
	 * an Allow header, as RFC 9110 asks.
	 */
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->evh, on_request, h);
	errno = 0;
	if ((h->bound = evhttp_bind_socket_with_handle(h->evh, hp->host,
	    hp->port)) == NULL) {
		snprintf(err, errlen, "http_listen %s:%u: cannot listen: %s",
		    hp->host, (unsigned)hp->port,
		    errno != 0 ? strerror(errno) : "address not usable");
		http_free(h);
		return NULL;
	}
	if ((lev = evhttp_bound_socket_get_listener(h->bound)) != NULL)
		evconnlistener_set_error_cb(lev, on_accept_error);
	log_info("event=http_listening address=%s:%u", hp->host,
	    (unsigned)hp->port);
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->evh != NULL)
		evhttp_free(h->evh);    /* its listener and connections too */
	free(h->st);
	free(h->table);
	free(h);
}
