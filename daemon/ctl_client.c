/*
 * ctl_client: one control-socket connection. Reads request lines, answers each
 * with exactly one reply line (docs/reference/control-protocol.md), or after
 * WATCH receives the STATUS lines ctl_publish pushes.
 *
 * Everything here comes from an untrusted local process, so: a line is
 * measured before it is read, whether complete or still waiting for its
 * end; a client that does not read its replies stops being read (its
 * output cannot grow past CTL_OUT_HIGH plus one reply), a watcher that
 * does not read is dropped past CTL_WATCH_OUT_MAX, and a reply nobody takes
 * for CTL_WRITE_TIMEOUT_MS drops the client. Nothing here blocks.
 *
 * The socket is the client's own, not a bufferevent's, so that a batch
 * costs what Redis pays for it: one read(2) per wakeup into a fixed input
 * buffer (CTL_IN_HIGH bytes, no FIONREAD), every complete line in it
 * parsed in place and answered into the client's output buffer (grown to
 * fit, never allocated per line), then one write(2) for all the replies
 * before the loop sleeps. Only a client whose socket is full gets the
 * write event, and with it the write timeout; the read event stays armed
 * from connect to close (no epoll_ctl per request).
 *
 * A verb's handler calls the daemon's ops itself, first, and then renders
 * its one reply line straight into this client's own output buffer, never
 * into anything shared: whatever the daemon does meanwhile (publish to
 * every watcher, say) cannot touch a reply.
 *
 * States (all changes through client_set_state, which logs them):
 *   REQUESTS  request lines in, one reply line out for each
 *   WATCHING  STATUS lines pushed; input read and discarded but for QUIT
 *   WAITING   its SWITCHOVER is under way: input is not read (later lines
 *             wait in the socket) until ctl_client_answer replies
 *   CLOSING   a last reply (BYE, ERR line too long) or replies owed after
 *             the client's EOF are queued; input is no longer read; killed
 *             once the output drains
 *   DEAD      killed (a socket error, a write timeout, an EOF with nothing
 *             left to send, a watcher's overflow, drained while closing,
 *             shutdown): no events, no callbacks; on the ctl's dead list
 *             until the reaper frees it at the end of the loop iteration
 * Nothing here frees a client or acts on a dead one (ctl_int.h).
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "ctl.h"
#include "ctl_int.h"
#include "ctl_parse.h"
#include "log.h"
#include "num.h"
#include "util.h"

/*
 * Bytes reserved for a short reply, "\n" included, and the first try for
 * a long one (STATUS, STATUS JSON, DOWN, PEERS), which gets its own
 * maximum only when that is not enough: a small cluster's reply never
 * allocates room for 255 peers.
 */
#define CTL_REPLY_MAX 1024

enum ctl_client_state {
	CTL_CLIENT_REQUESTS,
	CTL_CLIENT_WATCHING,
	CTL_CLIENT_WAITING,
	CTL_CLIENT_CLOSING,
	CTL_CLIENT_DEAD,
};

static const char *const state_names[] = {
	[CTL_CLIENT_REQUESTS] = "requests",
	[CTL_CLIENT_WATCHING] = "watching",
	[CTL_CLIENT_WAITING] = "waiting",
	[CTL_CLIENT_CLOSING] = "closing",
	[CTL_CLIENT_DEAD] = "dead",
};

struct ctl_client {
	struct ctl_shared	*sh;
	int			 fd;
	struct event		*rd;         /* readable: persistent */
	struct event		*wr;         /* room in a full socket */
	uint64_t		 id;
	enum ctl_client_state	 state;
	bool			 throttled;  /* input paused: output too big */
	struct ctl_cred		 who;        /* SO_PEERCRED, and may it write */
	bool			 denied;     /* a write was refused: logged once */
	const char		*why_closing;
	char			*out;        /* replies: [out_off, out_len) unsent */
	size_t			 out_off, out_len, out_cap;
	size_t			 in_len;     /* bytes in in[], a line's start first */
	char			*in;         /* CTL_IN_HIGH bytes */
	TAILQ_ENTRY(ctl_client)	 entry;      /* sh->live; sh->dead once dead */
};

/* A handler appends exactly one reply line to the client's output. */
typedef void ctl_handler(struct ctl_client *, char **argv, size_t argc);

/* Which requests change the daemon (docs/reference/control-protocol.md). */
enum ctl_access {
	CTL_READ,                    /* anyone who can connect */
	CTL_WRITE,                   /* ctl_may_write clients only */
	CTL_WRITE_WITH_ARGS,         /* a write with arguments, else a read */
};

struct ctl_verb {
	const char	*name;
	size_t		 min_args;   /* after the verb */
	size_t		 max_args;
	ctl_handler	*fn;
	const char	*usage;
	enum ctl_access	 access;
};

/* Bytes queued and not yet taken by the socket. */
static size_t
out_pending(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

static void
client_set_state(struct ctl_client *c, enum ctl_client_state state,
    const char *reason)
{
	char q[LOG_QUOTE_MAX(64)];

	log_debug("event=ctl_client_state client=%" PRIu64 " state=%s "
	    "was=%s reason=%s", c->id, state_names[state],
	    state_names[c->state], LOG_Q(q, reason));
	c->state = state;
	switch (state) {
	case CTL_CLIENT_REQUESTS:
		/* Back from WAITING: read again (already armed: no syscall). */
		if (!c->throttled)
			event_add(c->rd, NULL);
		break;
	case CTL_CLIENT_WATCHING:
		break;
	case CTL_CLIENT_WAITING:
		event_del(c->rd);
		break;
	case CTL_CLIENT_CLOSING:
		c->why_closing = reason;
		event_del(c->rd);
		break;
	case CTL_CLIENT_DEAD:
		/* Nothing more happens on it; the reaper frees it. */
		event_del(c->rd);
		event_del(c->wr);
		if (c->sh->waiter == c)
			c->sh->waiter = NULL;	/* the switchover goes on */
		TAILQ_REMOVE(&c->sh->live, c, entry);
		TAILQ_INSERT_TAIL(&c->sh->dead, c, entry);
		event_active(c->sh->reaper, EV_TIMEOUT, 0);
		break;
	}
}

/* Still taking request lines (or a watcher's QUIT)? */
static bool
client_is_reading(const struct ctl_client *c)
{
	return c->state == CTL_CLIENT_REQUESTS ||
	    c->state == CTL_CLIENT_WATCHING;
}

/*
 * Room for need more bytes at out + out_len: sent bytes are dropped from
 * the front first, then the buffer grows. False: no memory.
 */
static bool
out_reserve(struct ctl_client *c, size_t need)
{
	size_t cap;
	char *p;

	if (c->out_cap - c->out_len >= need)
		return true;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_cap - c->out_len >= need)
			return true;
	}
	cap = c->out_cap > 0 ? c->out_cap : CTL_OUT_INIT;
	while (cap - c->out_len < need)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return false;
	c->out = p;
	c->out_cap = cap;
	return true;
}

/* Everything sent: start over at the front; give back a grown buffer. */
static void
out_drained(struct ctl_client *c)
{
	c->out_off = c->out_len = 0;
	if (c->out_cap > CTL_OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
}

/*
 * One reply line rendered in place, at the end of its client's output:
 * reply_begin reserves the room, the caller renders into buf, reply_end
 * commits. Nothing but pure formatting may run in between (no ops call):
 * a reservation is void once anything else is added to that buffer.
 */
struct reply {
	struct ctl_client	*c;
	char			*buf;
	size_t			 cap;
};

static bool
reply_begin(struct reply *r, struct ctl_client *c, size_t cap)
{
	r->c = c;
	r->cap = cap;
	if (!out_reserve(c, cap)) {
		log_warnx("event=ctl_reply_dropped client=%" PRIu64
		    " reason=no_memory", c->id);
		return false;
	}
	r->buf = c->out + c->out_len;
	return true;
}

/*
 * Commit the len bytes rendered, "\n" last; len 0 (it did not fit):
 * "<fail>\n" instead. A reply is one line by construction; should a
 * daemon-supplied string ever carry a control byte, it is masked here
 * rather than let it split the line and desynchronise a pipelining client.
 */
static void
reply_end(struct reply *r, size_t len, const char *fail)
{
	if (len == 0) {
		len = strlen(fail);
		memcpy(r->buf, fail, len);
		r->buf[len++] = '\n';
	}
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)r->buf[i] < 0x20)
			r->buf[i] = '?';
	r->c->out_len += len;
}

/* A fixed reply line, "\n" included: no formatting at all. */
static void
reply_lit(struct ctl_client *c, const char *line, size_t len)
{
	if (!out_reserve(c, len)) {
		log_warnx("event=ctl_reply_dropped client=%" PRIu64
		    " reason=no_memory", c->id);
		return;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
}

static void reply(struct ctl_client *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A short reply line (at most CTL_REPLY_MAX bytes: longer is cut). */
static void
reply(struct ctl_client *c, const char *fmt, ...)
{
	struct reply r;
	va_list ap;
	int n;

	if (!reply_begin(&r, c, CTL_REPLY_MAX))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r.buf, r.cap - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= r.cap - 1)
		n = (int)(r.cap - 2);
	r.buf[n++] = '\n';
	reply_end(&r, (size_t)n, "ERR reply too long");
}

/* Renders one line, "\n" included, from st: its length, 0 if too long. */
typedef size_t render_fn(const struct status *st, char *buf, size_t cap);

/*
 * A long reply rendered from st: in CTL_REPLY_MAX bytes first, then, if
 * that was refused (a rendering never comes out cut), in max. False, and
 * "<fail>" sent instead, if it did not fit even there.
 */
static bool
reply_render(struct ctl_client *c, const struct status *st, render_fn *fn,
    size_t max, const char *fail)
{
	struct reply r;
	size_t n;

	if (!reply_begin(&r, c, CTL_REPLY_MAX))
		return false;
	/* The small reservation, never committed, is simply replaced. */
	if ((n = fn(st, r.buf, r.cap)) == 0 && max > r.cap) {
		if (!reply_begin(&r, c, max))
			return false;
		n = fn(st, r.buf, r.cap);
	}
	reply_end(&r, n, fail);
	return n > 0;
}

/*
 * The full status, now, in the ctl's one snapshot (ctl_int.h): render
 * from it before calling anything else. No memset, ever (the struct is
 * ~22 KiB, most of it peers[] a small cluster never uses): ops->status
 * fills the header and the n_peers peers in use (core_status clears each
 * before filling it), which are all any renderer or status_is_same reads.
 */
static const struct status *
fresh_status(struct ctl_client *c)
{
	c->sh->ops->status(c->sh->ctx, c->sh->snap);
	return c->sh->snap;
}

/* The cheap snapshot, for the verbs that read only watched fields. */
static const struct status *
watched_status(struct ctl_client *c)
{
	if (c->sh->ops->watched != NULL)
		return c->sh->ops->watched(c->sh->ctx);
	return fresh_status(c);
}

static const char *
role_text(enum wire_role r)
{
	return wire_role_name(r) != NULL ? wire_role_name(r) : "unknown";
}

static void
h_ping(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	reply_lit(c, "PONG\n", 5);
}

static void
h_role(struct ctl_client *c, char **argv, size_t argc)
{
	const char *role = role_text(watched_status(c)->role);
	char line[32];
	size_t len = strlen(role);

	(void)argv, (void)argc;
	/* No formatting for the verb the local server may poll hardest. */
	if (len < sizeof(line)) {
		memcpy(line, role, len);
		line[len++] = '\n';
		reply_lit(c, line, len);
	} else
		reply(c, "%s", role);
}

static void
h_epoch(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	reply(c, "%" PRIu64, watched_status(c)->epoch);
}

static void
h_primary(struct ctl_client *c, char **argv, size_t argc)
{
	const struct status *st = watched_status(c);

	(void)argv, (void)argc;
	/* Always two tokens, so "id addr" parses the same either way. */
	if (st->primary[0] == '\0')
		reply(c, "none");
	else
		reply(c, "%s %s", st->primary,
		    st->primary_addr[0] != '\0' ? st->primary_addr : "none");
}

/* Peer ids, space-separated, all or only the down ones; "none" if empty. */
static size_t
id_list(const struct status *st, bool only_down, char *buf, size_t cap)
{
	size_t len = 0;
	int r;

	for (size_t i = 0; i < st->n_peers; i++) {
		if (only_down && st->peers[i].up)
			continue;
		r = snprintf(buf + len, cap - len, "%s%s", len > 0 ? " " : "",
		    st->peers[i].id);
		if (r < 0 || (size_t)r >= cap - len)
			return 0;
		len += (size_t)r;
	}
	if (len == 0) {
		r = snprintf(buf, cap, "none");
		if (r < 0 || (size_t)r >= cap)
			return 0;
		len = (size_t)r;
	}
	/* snprintf left room for its NUL: that is where the "\n" goes. */
	buf[len++] = '\n';
	return len;
}

static size_t
render_down(const struct status *st, char *buf, size_t cap)
{
	return id_list(st, true, buf, cap);
}

static size_t
render_peers(const struct status *st, char *buf, size_t cap)
{
	return id_list(st, false, buf, cap);
}

static void
h_down(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	reply_render(c, watched_status(c), render_down, STATUS_LINE_MAX,
	    "ERR reply too long");
}

static void
h_peers(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	reply_render(c, watched_status(c), render_peers, STATUS_LINE_MAX,
	    "ERR reply too long");
}

static void
h_offset(struct ctl_client *c, char **argv, size_t argc)
{
	const char *why;
	uint64_t v;

	if (argc == 0) {
		reply(c, "%" PRIu64, fresh_status(c)->offset);
		return;
	}
	if (num_parse_u64(argv[1], strlen(argv[1]), &v) == -1) {
		reply(c, "ERR bad offset");
		return;
	}
	/* Straight to the daemon, which may publish: the reply comes after. */
	if ((why = c->sh->ops->set_offset(c->sh->ctx, v)) != NULL) {
		reply(c, "ERR %s", why);
		return;
	}
	reply(c, "OK");
}

static void
h_alive(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	if (c->sh->ops->alive != NULL)
		c->sh->ops->alive(c->sh->ctx);
	reply(c, "OK");
}

/*
 * The STATUS line, rendered only when it would come out different: the
 * ctl keeps the last rendering and the status it came from (ctl_int.h);
 * a fresh status equal to that one, byte for byte, gets the same line,
 * copied. Every field counts, the millisecond ones too (since_change_ms,
 * uptime_ms), so a line is rendered at most once per change or per
 * millisecond, and is always the one a fresh rendering would give.
 */
static void
reply_status_line(struct ctl_client *c)
{
	struct ctl_shared *sh = c->sh;
	uint64_t now = clock_now_ms();
	const struct status *st;
	struct status *tmp;
	size_t start = c->out_len;

	/* Pipelined STATUS in one batch and one millisecond: nothing moved. */
	if (sh->line_len > 0 && sh->line_current && sh->line_ms == now) {
		reply_lit(c, sh->line, sh->line_len);
		return;
	}
	/* Taken after now: its own clock read is now or later. */
	st = fresh_status(c);
	sh->line_ms = now;
	if (sh->line_len > 0 && status_is_same(st, sh->line_of)) {
		sh->line_current = true;
		reply_lit(c, sh->line, sh->line_len);
		return;
	}
	sh->line_current = false;
	if (!reply_render(c, st, status_format, STATUS_LINE_MAX,
	    "ERR status too long"))
		return;
	if (sh->line == NULL && (sh->line = malloc(STATUS_LINE_MAX)) == NULL)
		return;
	/* reply_render may have moved the output: start is an offset. */
	sh->line_len = c->out_len - start;
	memcpy(sh->line, c->out + start, sh->line_len);
	/* Keep the status it came from; the next request fills the other. */
	tmp = sh->line_of;
	sh->line_of = sh->snap;
	sh->snap = tmp;
	sh->line_current = true;
}

static void
h_status(struct ctl_client *c, char **argv, size_t argc)
{
	char bad[CTL_ECHO_MAX + 1];

	if (argc == 1 && strcasecmp(argv[1], "JSON") != 0) {
		reply(c, "ERR unknown STATUS format '%s'",
		    log_escape(bad, sizeof bad, argv[1], strlen(argv[1])));
		return;
	}
	if (argc == 1)
		reply_render(c, fresh_status(c), status_format_json,
		    STATUS_JSON_MAX, "ERR status too long");
	else
		reply_status_line(c);
}

static void
h_peer(struct ctl_client *c, char **argv, size_t argc)
{
	const struct status *st = fresh_status(c);
	struct reply r;

	(void)argc;
	for (size_t i = 0; i < st->n_peers; i++) {
		if (strcmp(st->peers[i].id, argv[1]) != 0)
			continue;
		if (reply_begin(&r, c, STATUS_PEER_LINE_MAX))
			reply_end(&r, status_format_peer(&st->peers[i], r.buf,
			    r.cap), "ERR reply too long");
		return;
	}
	reply(c, "ERR no such peer");
}

/* The cluster table, one JSON line (lib/status.c renders it for /cluster too). */
static void
h_cluster(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	reply_render(c, fresh_status(c), status_format_cluster,
	    STATUS_CLUSTER_MAX, "ERR cluster table too long");
}

static void
h_watch(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	if (reply_render(c, fresh_status(c), status_format, STATUS_LINE_MAX,
	    "ERR status too long"))
		client_set_state(c, CTL_CLIENT_WATCHING, "watch");
}

static void
h_quit(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	reply(c, "BYE");
	client_set_state(c, CTL_CLIENT_CLOSING, "quit");
}

/* A duration argument: digits only, 1..max; -1 with a reply sent. */
static int
parse_duration(struct ctl_client *c, const char *arg, uint64_t max,
    const char *what, uint64_t *out)
{
	char bad[CTL_ECHO_MAX + 1];

	if (num_parse_u64(arg, strlen(arg), out) == -1 || *out == 0 ||
	    *out > max) {
		reply(c, "ERR bad %s '%s': 1 to %" PRIu64, what, log_escape(bad,
		    sizeof bad, arg, strlen(arg)), max);
		return -1;
	}
	return 0;
}

static bool
is_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool
is_member(struct ctl_client *c, const char *id)
{
	const struct status *st = watched_status(c);

	if (strcmp(st->node_id, id) == 0)
		return true;
	for (size_t i = 0; i < st->n_peers; i++)
		if (strcmp(st->peers[i].id, id) == 0)
			return true;
	return false;
}

/*
 * SWITCHOVER [<id>] [<timeout_ms>]. One argument is a timeout when it is
 * digits only and names no member (ids may be digits too); the id "-"
 * (no member's: elect.meta reserves it) is the daemon's choice.
 */
static void
h_switchover(struct ctl_client *c, char **argv, size_t argc)
{
	const char *target = NULL, *ms_arg = NULL;
	uint64_t ms = CTL_SWITCHOVER_TIMEOUT_DEFAULT_MS;
	char err[CTL_REPLY_MAX - 8];

	if (argc == 2) {
		target = argv[1];
		ms_arg = argv[2];
	} else if (argc == 1) {
		if (is_digits(argv[1]) && !is_member(c, argv[1]))
			ms_arg = argv[1];
		else
			target = argv[1];
	}
	if (ms_arg != NULL && parse_duration(c, ms_arg,
	    CTL_SWITCHOVER_TIMEOUT_MAX_MS, "timeout_ms", &ms) == -1)
		return;
	if (target != NULL && strcmp(target, "-") == 0)
		target = NULL;
	if (c->sh->ops->switchover == NULL) {
		reply(c, "ERR SWITCHOVER not available");
		return;
	}
	if (c->sh->waiter != NULL) {
		reply(c, "ERR a switchover is already under way");
		return;
	}
	/* Waiting before the call: its end may come from inside it. */
	c->sh->waiter = c;
	client_set_state(c, CTL_CLIENT_WAITING, "switchover");
	if (c->sh->ops->switchover(c->sh->ctx, target, ms, err,
	    sizeof err) == -1) {
		c->sh->waiter = NULL;
		client_set_state(c, CTL_CLIENT_REQUESTS, "switchover-refused");
		reply(c, "ERR %s", err);
	}
}

static void
h_pause(struct ctl_client *c, char **argv, size_t argc)
{
	uint64_t s = CTL_PAUSE_DEFAULT_S;
	char err[CTL_REPLY_MAX - 8];

	if (argc == 1 && parse_duration(c, argv[1], CTL_PAUSE_MAX_S,
	    "seconds", &s) == -1)
		return;
	if (c->sh->ops->pause == NULL) {
		reply(c, "ERR PAUSE not available");
		return;
	}
	if (c->sh->ops->pause(c->sh->ctx, s * 1000, err, sizeof err) == -1) {
		reply(c, "ERR %s", err);
		return;
	}
	reply(c, "OK paused for=%" PRIu64, s);
}

static void
h_resume(struct ctl_client *c, char **argv, size_t argc)
{
	(void)argv, (void)argc;
	if (c->sh->ops->resume != NULL)
		c->sh->ops->resume(c->sh->ctx);
	reply(c, "OK resumed");
}

static void h_help(struct ctl_client *, char **, size_t);

static const struct ctl_verb verbs[] = {
	{ "PING",    0, 0, h_ping,    "PING", CTL_READ },
	{ "ROLE",    0, 0, h_role,    "ROLE", CTL_READ },
	{ "EPOCH",   0, 0, h_epoch,   "EPOCH", CTL_READ },
	{ "PRIMARY", 0, 0, h_primary, "PRIMARY", CTL_READ },
	{ "DOWN",    0, 0, h_down,    "DOWN", CTL_READ },
	{ "OFFSET",  0, 1, h_offset,  "OFFSET [<u64>]", CTL_WRITE_WITH_ARGS },
	{ "ALIVE",   0, 0, h_alive,   "ALIVE", CTL_WRITE },
	{ "STATUS",  0, 1, h_status,  "STATUS [JSON]", CTL_READ },
	{ "PEERS",   0, 0, h_peers,   "PEERS", CTL_READ },
	{ "PEER",    1, 1, h_peer,    "PEER <id>", CTL_READ },
	{ "CLUSTER", 0, 0, h_cluster, "CLUSTER", CTL_READ },
	{ "WATCH",   0, 0, h_watch,   "WATCH", CTL_READ },
	{ "SWITCHOVER", 0, 2, h_switchover,
	  "SWITCHOVER [<id>] [<timeout_ms>]", CTL_WRITE },
	{ "PAUSE",   0, 1, h_pause,   "PAUSE [<seconds>]", CTL_WRITE },
	{ "RESUME",  0, 0, h_resume,  "RESUME", CTL_WRITE },
	{ "HELP",    0, 0, h_help,    "HELP", CTL_READ },
	{ "QUIT",    0, 0, h_quit,    "QUIT", CTL_READ },
};
#define N_VERBS (sizeof verbs / sizeof verbs[0])

static void
h_help(struct ctl_client *c, char **argv, size_t argc)
{
	struct reply r;
	size_t len = 0;
	int n;

	(void)argv, (void)argc;
	if (!reply_begin(&r, c, CTL_REPLY_MAX))
		return;
	for (size_t i = 0; i <= N_VERBS; i++) {
		if (i == 0)
			n = snprintf(r.buf, r.cap, "commands:");
		else
			n = snprintf(r.buf + len, r.cap - len, "%s %s",
			    i > 1 ? "," : "", verbs[i - 1].usage);
		if (n < 0 || (size_t)n >= r.cap - len) {
			len = 0;
			break;
		}
		len += (size_t)n;
	}
	if (len > 0)	/* where snprintf's NUL went */
		r.buf[len++] = '\n';
	reply_end(&r, len, "ERR reply too long");
}

/*
 * One request line (its end removed) from a client; at most one reply.
 * ctl_parse_line splits it; here the verb is looked up and run.
 */
static void
handle_line(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_request req;
	enum ctl_parse_status st;
	const struct ctl_verb *v = NULL;
	char bad[CTL_ECHO_MAX + 1];

	switch ((st = ctl_parse_line(line, len, &req))) {
	case CTL_PARSE_NUL:
		reply(c, "ERR NUL byte in request");
		return;
	case CTL_PARSE_TOO_LONG:	/* next_line already refuses these */
		reply(c, "ERR line too long");
		return;
	case CTL_PARSE_BLANK:
		/*
		 * Blank lines are not requests: no reply
		 * (docs/reference/control-protocol.md).
		 */
		return;
	case CTL_PARSE_OK:
	case CTL_PARSE_TOO_MANY:
		break;
	}
	if (c->state == CTL_CLIENT_WATCHING) {
		/* A watcher's stream is STATUS lines only; QUIT still works. */
		if (st == CTL_PARSE_OK && req.argc == 1 &&
		    strcasecmp(req.argv[0], "QUIT") == 0)
			h_quit(c, req.argv, 0);
		return;
	}
	for (size_t i = 0; i < N_VERBS && v == NULL; i++)
		if (strcasecmp(req.argv[0], verbs[i].name) == 0)
			v = &verbs[i];
	if (v == NULL)
		reply(c, "ERR unknown command '%s'", log_escape(bad,
		    sizeof bad, req.argv[0], strlen(req.argv[0])));
	else if (st == CTL_PARSE_TOO_MANY || req.argc - 1 < v->min_args ||
	    req.argc - 1 > v->max_args)
		reply(c, "ERR wrong number of arguments for '%s'", v->name);
	else if (!c->who.may_write && (v->access == CTL_WRITE ||
	    (v->access == CTL_WRITE_WITH_ARGS && req.argc > 1))) {
		/* The ids as this daemon sees them: in a user namespace an
		 * unmapped client shows up as the overflow id (65534). */
		if (!c->denied)
			log_warnx("event=ctl_write_denied client=%" PRIu64
			    " verb=%s uid=%ld gid=%ld pid=%ld reason="
			    "not_in_write_uids_or_write_gids", c->id, v->name,
			    c->who.uid, c->who.gid, c->who.pid);
		c->denied = true;
		reply(c, "ERR permission denied");
	} else {
		/* A verb that may change the daemon: STATUS asks afresh. */
		if (v->access != CTL_READ && !(v->access ==
		    CTL_WRITE_WITH_ARGS && req.argc == 1))
			c->sh->line_current = false;
		v->fn(c, req.argv, req.argc - 1);
	}
}

static void client_flush(struct ctl_client *);

/*
 * A line too long, complete or not: say so, drop the input, close once
 * the reply is out. A peer must not make us buffer more than a line.
 */
static void
line_too_long(struct ctl_client *c)
{
	reply(c, "ERR line too long");
	c->in_len = 0;
	client_set_state(c, CTL_CLIENT_CLOSING, "line-too-long");
}

/*
 * Answer the complete lines buffered, in order, each parsed where it lies
 * (no copy, no allocation); the partial line left goes to the front. A
 * client pipelining without reading gets what its socket takes; once that
 * is full with CTL_OUT_HIGH still queued it is no longer read (throttled)
 * until all is written (on_write).
 */
static void
client_process(struct ctl_client *c)
{
	size_t start = 0;

	/* Since the last batch, frames and timers may have run. */
	c->sh->line_current = false;

	while (client_is_reading(c) && start < c->in_len) {
		char *line = c->in + start, *eol;
		size_t have = c->in_len - start, len;

		if (out_pending(c) > CTL_OUT_HIGH) {
			client_flush(c);
			if (!client_is_reading(c))
				return;
		}
		if (out_pending(c) > CTL_OUT_HIGH) {
			log_debug("event=ctl_client_throttled client=%" PRIu64
			    " queued=%zu", c->id, out_pending(c));
			c->throttled = true;
			event_del(c->rd);
			break;
		}
		if ((eol = memchr(line, '\n', have)) == NULL) {
			/* A full-length line whose "\r\n" is half here is fine. */
			if (have > CTL_LINE_MAX && !(have == CTL_LINE_MAX + 1 &&
			    line[have - 1] == '\r')) {
				line_too_long(c);
				return;
			}
			break;
		}
		len = (size_t)(eol - line);
		start += len + 1;
		/* "\n" or "\r\n" ends a line; a "\r" alone is a byte of it. */
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > CTL_LINE_MAX) {
			line_too_long(c);
			return;
		}
		handle_line(c, line, len);
	}
	if (c->state == CTL_CLIENT_DEAD || start == 0)
		return;
	c->in_len -= start < c->in_len ? start : c->in_len;
	memmove(c->in, c->in + start, c->in_len);
}

/* No reply byte taken for CTL_WRITE_TIMEOUT_MS since the last one. */
static void
arm_write(struct ctl_client *c)
{
	struct timeval tv = {
		CTL_WRITE_TIMEOUT_MS / 1000, (CTL_WRITE_TIMEOUT_MS % 1000) * 1000
	};

	event_add(c->wr, &tv);
}

/*
 * Write what is queued now, as Redis does before it sleeps: one write for
 * a whole batch of replies, and a batch that fits the socket never arms
 * a write event. Only a client whose socket is full gets EV_WRITE, and
 * with it the write timeout (from the last byte taken). A client gone
 * (EPIPE, ECONNRESET) is killed here, and so is a closing one that has
 * drained. A throttled client is left to on_write, which reads it again
 * once all is written.
 */
static void
client_flush(struct ctl_client *c)
{
	ssize_t n;

	if (c->state == CTL_CLIENT_DEAD || c->throttled)
		return;
	if (out_pending(c) > 0) {
		do
			n = write(c->fd, c->out + c->out_off, out_pending(c));
		while (n == -1 && errno == EINTR);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			ctl_client_kill(c, "error");
			return;
		}
		if (n > 0)
			c->out_off += (size_t)n;
		if (out_pending(c) > 0) {
			/* A full socket: wait for room, from this progress on. */
			if (n > 0 || !event_pending(c->wr, EV_WRITE, NULL))
				arm_write(c);
			return;
		}
		out_drained(c);
	}
	/* All written: no write event (and no timeout) left armed. */
	if (event_pending(c->wr, EV_WRITE, NULL))
		event_del(c->wr);
	if (c->state == CTL_CLIENT_CLOSING)
		ctl_client_kill(c, c->why_closing);
}

/*
 * At the client's EOF: what is left in the input is a last line that
 * never got its end ("printf STATUS | socat ..."). It is a request like
 * any other (client_process already refused one over CTL_LINE_MAX).
 */
static void
client_take_tail(struct ctl_client *c)
{
	size_t len = c->in_len;

	if (!client_is_reading(c) || c->throttled || len == 0 ||
	    len > CTL_LINE_MAX + 1)
		return;
	c->in_len = 0;
	/* A lone "\r" at the very end was the start of a line end. */
	if (c->in[len - 1] == '\r')
		len--;
	if (len <= CTL_LINE_MAX)
		handle_line(c, c->in, len);
}

/*
 * The client's EOF. A half-close ("echo STATUS | socat - UNIX-CONNECT:...")
 * still gets the replies it is owed, a last line without its end
 * included.
 */
static void
client_eof(struct ctl_client *c)
{
	client_take_tail(c);
	if (c->state == CTL_CLIENT_DEAD)
		return;
	if (out_pending(c) > 0) {
		if (c->state != CTL_CLIENT_CLOSING)
			client_set_state(c, CTL_CLIENT_CLOSING, "eof");
		client_flush(c);
		return;
	}
	ctl_client_kill(c, c->state == CTL_CLIENT_CLOSING ? c->why_closing :
	    "eof");
}

/* One read per wakeup; whatever is left, the next wakeup reads. */
static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *c = arg;
	ssize_t n;

	(void)what;
	/*
	 * A full in[] holds complete lines held back (WAITING, throttled):
	 * answer those first; a read of 0 bytes would look like an EOF.
	 * (A partial line never fills it: past CTL_LINE_MAX it is refused.)
	 */
	if (c->in_len == CTL_IN_HIGH) {
		n = -1;
		errno = EAGAIN;
	} else
		n = read(fd, c->in + c->in_len, CTL_IN_HIGH - c->in_len);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		ctl_client_kill(c, "error");
		return;
	}
	if (n > 0)
		c->in_len += (size_t)n;
	/*
	 * Lines held back (WAITING, throttled) are answered before an EOF;
	 * one that throttles the client again leaves the EOF for the read
	 * that follows the drain (on_write arms reading again).
	 */
	client_process(c);
	if (n == 0 && client_is_reading(c) && !c->throttled)
		client_eof(c);
	else
		client_flush(c);
}

/* Room in a full socket, or the write timeout. */
static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *c = arg;
	bool was_throttled = c->throttled;

	(void)fd;
	if (what & EV_TIMEOUT) {
		ctl_client_kill(c, "write-timeout");
		return;
	}
	c->throttled = false;
	client_flush(c);
	if (c->state == CTL_CLIENT_DEAD || out_pending(c) > 0) {
		c->throttled = was_throttled && c->state != CTL_CLIENT_DEAD;
		return;
	}
	if (was_throttled) {
		event_add(c->rd, NULL);
		/* Lines already buffered will not raise another read event. */
		client_process(c);
		client_flush(c);
	}
}

struct ctl_client *
ctl_client_new(struct ctl_shared *sh, int fd, uint64_t id,
    const struct ctl_cred *who)
{
	struct ctl_client *c;

	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->in = malloc(CTL_IN_HIGH)) == NULL ||
	    (c->rd = event_new(sh->base, fd, EV_READ | EV_PERSIST, on_read,
	    c)) == NULL ||
	    (c->wr = event_new(sh->base, fd, EV_WRITE, on_write, c)) == NULL ||
	    /* No read timeout: the local server keeps an idle connection. */
	    event_add(c->rd, NULL) == -1) {
		if (c != NULL) {
			if (c->rd != NULL)
				event_free(c->rd);
			if (c->wr != NULL)
				event_free(c->wr);
			free(c->in);
			free(c);
		}
		close(fd);
		return NULL;
	}
	c->sh = sh;
	c->fd = fd;
	c->id = id;
	c->who = *who;
	c->state = CTL_CLIENT_REQUESTS;
	TAILQ_INSERT_TAIL(&sh->live, c, entry);
	return c;
}

void
ctl_client_kill(struct ctl_client *c, const char *reason)
{
	if (c->state != CTL_CLIENT_DEAD)
		client_set_state(c, CTL_CLIENT_DEAD, reason);
}

void
ctl_client_free(struct ctl_client *c)
{
	/* A live one could still be on a caller's stack: ctl_int.h. */
	if (c->state != CTL_CLIENT_DEAD)
		fatalx("event=bug reason=ctl_client_freed_alive client=%"
		    PRIu64 " state=%s", c->id, state_names[c->state]);
	TAILQ_REMOVE(&c->sh->dead, c, entry);
	event_free(c->rd);
	event_free(c->wr);
	close(c->fd);
	free(c->out);
	free(c->in);
	free(c);
}

struct ctl_client *
ctl_client_next(const struct ctl_client *c)
{
	return TAILQ_NEXT(c, entry);
}

bool
ctl_client_is_watching(const struct ctl_client *c)
{
	return c->state == CTL_CLIENT_WATCHING;
}

void
ctl_client_answer(struct ctl_client *c, const char *line)
{
	if (c->state != CTL_CLIENT_WAITING)
		return;
	reply(c, "%s", line);
	client_set_state(c, CTL_CLIENT_REQUESTS, "answered");
	client_flush(c);
	/*
	 * Lines already in in[] raise no new read event: run on_read later
	 * in this loop iteration, never from here (a change subscriber may
	 * be calling: a request now could re-enter the core).
	 */
	if (c->state == CTL_CLIENT_REQUESTS)
		event_active(c->rd, EV_READ, 0);
}

void
ctl_client_push(struct ctl_client *c, const char *line, size_t len)
{
	size_t queued = out_pending(c);

	if (queued + len > CTL_WATCH_OUT_MAX) {
		log_warnx("event=ctl_client_dropped client=%" PRIu64
		    " reason=watch_backlog queued=%zu", c->id, queued);
		ctl_client_kill(c, "watch-backlog");
		return;
	}
	if (!out_reserve(c, len)) {
		log_warnx("event=ctl_push_dropped client=%" PRIu64
		    " reason=no_memory", c->id);
		return;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	client_flush(c);
}
