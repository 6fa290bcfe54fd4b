/*
 * ctl_client: one control-socket connection. Reads request lines, answers
 * each with exactly one reply line (docs/control-protocol.md), or after
 * WATCH receives the STATUS lines ctl_publish pushes.
 *
 * Everything here comes from an untrusted local process, so: a line is
 * measured before it is read, whether complete or still waiting for its
 * end; a client that does not read its replies stops being read (its
 * output cannot grow past CTL_OUT_HIGH plus one reply), a watcher that
 * does not read is dropped past CTL_WATCH_OUT_MAX, and a reply nobody takes
 * for CTL_WRITE_TIMEOUT_MS drops the client. Nothing here blocks.
 *
 * States (all changes through client_set_state, which logs them):
 *   REQUESTS  request lines in, one reply line out for each
 *   WATCHING  STATUS lines pushed; input read and discarded but for QUIT
 *   CLOSING   a last reply (BYE, ERR line too long) or replies owed after
 *             the client's EOF are queued; input is no longer read; freed
 *             once the output drains
 * A client is freed at once on a socket error, a write timeout, an EOF
 * with nothing left to send, or a watcher's overflow; never touched after.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ctl.h"
#include "ctl_parse.h"
#include "log.h"
#include "num.h"

enum ctl_client_state {
	CTL_CLIENT_REQUESTS,
	CTL_CLIENT_WATCHING,
	CTL_CLIENT_CLOSING,
};

static const char *const state_names[] = {
	[CTL_CLIENT_REQUESTS] = "requests",
	[CTL_CLIENT_WATCHING] = "watching",
	[CTL_CLIENT_CLOSING] = "closing",
};

struct ctl_client {
	struct ctl		*ctl;
	struct bufferevent	*bev;
	uint64_t		 id;
	enum ctl_client_state	 state;
	bool			 throttled;  /* input paused: output too big */
	bool			 may_write;  /* SO_PEERCRED passed ctl_may_write */
	bool			 denied;     /* a write was refused: logged once */
	const char		*why_closing;
	TAILQ_ENTRY(ctl_client)	 entry;
};

/* A handler writes its one reply line, "\n" included, into out. */
typedef size_t ctl_handler(struct ctl_client *, char **argv, size_t argc,
    char *out, size_t cap);

/* Which requests change the daemon (docs/control-protocol.md). */
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

static void client_process(struct ctl_client *);

static void
client_set_state(struct ctl_client *c, enum ctl_client_state state,
    const char *reason)
{
	log_debug("ctl client %" PRIu64 " state=%s from=%s reason=%s", c->id,
	    state_names[state], state_names[c->state], reason);
	c->state = state;
	if (state == CTL_CLIENT_CLOSING) {
		c->why_closing = reason;
		bufferevent_disable(c->bev, EV_READ);
	}
}

static size_t reply(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static size_t
reply(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(out, cap - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	if ((size_t)r >= cap - 1)
		r = (int)(cap - 2);
	out[r++] = '\n';
	out[r] = '\0';
	return (size_t)r;
}

static const char *
role_text(enum wire_role r)
{
	return wire_role_name(r) != NULL ? wire_role_name(r) : "unknown";
}

static size_t
h_ping(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	(void)c, (void)argv, (void)argc;
	return reply(out, cap, "PONG");
}

static size_t
h_role(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	(void)argv, (void)argc;
	return reply(out, cap, "%s", role_text(ctl_svc_watched(c->ctl)->role));
}

static size_t
h_epoch(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	(void)argv, (void)argc;
	return reply(out, cap, "%" PRIu64, ctl_svc_watched(c->ctl)->epoch);
}

static size_t
h_primary(struct ctl_client *c, char **argv, size_t argc, char *out,
    size_t cap)
{
	const struct status *st = ctl_svc_watched(c->ctl);

	(void)argv, (void)argc;
	if (st->primary[0] == '\0')
		return reply(out, cap, "none");
	/* Always two tokens, so "id addr" parses the same either way. */
	return reply(out, cap, "%s %s", st->primary,
	    st->primary_addr[0] != '\0' ? st->primary_addr : "none");
}

/* Peer ids, space-separated, all or only the down ones; "none" if empty. */
static size_t
id_list(const struct status *st, bool only_down, char *out, size_t cap)
{
	size_t len = 0;
	int r;

	out[0] = '\0';
	for (size_t i = 0; i < st->n_peers; i++) {
		if (only_down && st->peers[i].up)
			continue;
		r = snprintf(out + len, cap - len, "%s%s", len > 0 ? " " : "",
		    st->peers[i].id);
		if (r < 0 || (size_t)r >= cap - len)
			return reply(out, cap, "ERR reply too long");
		len += (size_t)r;
	}
	if (len == 0)
		return reply(out, cap, "none");
	return reply(out + len, cap - len, "%s", "") + len;
}

static size_t
h_down(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	(void)argv, (void)argc;
	return id_list(ctl_svc_watched(c->ctl), true, out, cap);
}

static size_t
h_peers(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	(void)argv, (void)argc;
	return id_list(ctl_svc_watched(c->ctl), false, out, cap);
}

static size_t
h_offset(struct ctl_client *c, char **argv, size_t argc, char *out,
    size_t cap)
{
	uint64_t v;

	if (argc == 0)
		return reply(out, cap, "%" PRIu64,
		    ctl_svc_snapshot(c->ctl)->offset);
	if (num_parse_u64(argv[1], strlen(argv[1]), &v) == -1)
		return reply(out, cap, "ERR bad offset");
	/* Before the reply is written: the daemon may publish (and use out). */
	ctl_svc_set_offset(c->ctl, v);
	return reply(out, cap, "OK");
}

static size_t
h_alive(struct ctl_client *c, char **argv, size_t argc, char *out,
    size_t cap)
{
	(void)argv, (void)argc;
	ctl_svc_alive(c->ctl);
	return reply(out, cap, "OK");
}

static size_t
h_status(struct ctl_client *c, char **argv, size_t argc, char *out,
    size_t cap)
{
	char bad[CTL_ECHO_MAX + 1];
	size_t n;

	if (argc == 1 && strcasecmp(argv[1], "JSON") != 0)
		return reply(out, cap, "ERR unknown STATUS format '%s'",
		    log_escape(bad, sizeof bad, argv[1], strlen(argv[1])));
	if (argc == 1)
		n = status_format_json(ctl_svc_snapshot(c->ctl), out, cap);
	else
		n = status_format(ctl_svc_snapshot(c->ctl), out, cap);
	return n > 0 ? n : reply(out, cap, "ERR status too long");
}

static size_t
h_peer(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	const struct status *st = ctl_svc_snapshot(c->ctl);

	(void)argc;
	for (size_t i = 0; i < st->n_peers; i++)
		if (strcmp(st->peers[i].id, argv[1]) == 0)
			return status_format_peer(&st->peers[i], out, cap);
	return reply(out, cap, "ERR no such peer");
}

static size_t
h_watch(struct ctl_client *c, char **argv, size_t argc, char *out,
    size_t cap)
{
	size_t n;

	(void)argv, (void)argc;
	if ((n = status_format(ctl_svc_snapshot(c->ctl), out, cap)) == 0)
		return reply(out, cap, "ERR status too long");
	client_set_state(c, CTL_CLIENT_WATCHING, "watch");
	return n;
}

static size_t
h_quit(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	(void)argv, (void)argc;
	client_set_state(c, CTL_CLIENT_CLOSING, "quit");
	return reply(out, cap, "BYE");
}

static size_t h_help(struct ctl_client *, char **, size_t, char *, size_t);

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
	{ "WATCH",   0, 0, h_watch,   "WATCH", CTL_READ },
	{ "HELP",    0, 0, h_help,    "HELP", CTL_READ },
	{ "QUIT",    0, 0, h_quit,    "QUIT", CTL_READ },
};
#define N_VERBS (sizeof verbs / sizeof verbs[0])

static size_t
h_help(struct ctl_client *c, char **argv, size_t argc, char *out, size_t cap)
{
	size_t len = 0;
	int r;

	(void)c, (void)argv, (void)argc;
	r = snprintf(out, cap, "commands:");
	len = r > 0 ? (size_t)r : 0;
	for (size_t i = 0; i < N_VERBS && len < cap; i++) {
		r = snprintf(out + len, cap - len, "%s %s", i > 0 ? "," : "",
		    verbs[i].usage);
		len += r > 0 ? (size_t)r : 0;
	}
	return reply(out + len, cap - len, "%s", "") + len;
}

/*
 * Queue one reply line. A reply is one line by construction; should a
 * daemon-supplied string ever carry a control byte, it is masked here
 * rather than let it split the line and desynchronise a pipelining client.
 */
static void
send_line(struct ctl_client *c, char *line, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = '?';
	if (evbuffer_add(bufferevent_get_output(c->bev), line, len) == -1)
		log_warnx("ctl client %" PRIu64 " reply dropped reason=no-memory",
		    c->id);
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
	char bad[CTL_ECHO_MAX + 1], *out;
	size_t cap, n;

	out = ctl_svc_scratch(c->ctl, &cap);
	switch ((st = ctl_parse_line(line, len, &req))) {
	case CTL_PARSE_NUL:
		send_line(c, out, reply(out, cap, "ERR NUL byte in request"));
		return;
	case CTL_PARSE_TOO_LONG:	/* next_line already refuses these */
		send_line(c, out, reply(out, cap, "ERR line too long"));
		return;
	case CTL_PARSE_BLANK:
		/* Blank lines are not requests: no reply (docs/control-protocol.md). */
		return;
	case CTL_PARSE_OK:
	case CTL_PARSE_TOO_MANY:
		break;
	}
	if (c->state == CTL_CLIENT_WATCHING) {
		/* A watcher's stream is STATUS lines only; QUIT still works. */
		if (st == CTL_PARSE_OK && req.argc == 1 &&
		    strcasecmp(req.argv[0], "QUIT") == 0)
			send_line(c, out, h_quit(c, req.argv, 0, out, cap));
		return;
	}
	for (size_t i = 0; i < N_VERBS; i++)
		if (strcasecmp(req.argv[0], verbs[i].name) == 0)
			v = &verbs[i];
	if (v == NULL)
		n = reply(out, cap, "ERR unknown command '%s'",
		    log_escape(bad, sizeof bad, req.argv[0],
		    strlen(req.argv[0])));
	else if (st == CTL_PARSE_TOO_MANY || req.argc - 1 < v->min_args ||
	    req.argc - 1 > v->max_args)
		n = reply(out, cap, "ERR wrong number of arguments for '%s'",
		    v->name);
	else if (!c->may_write && (v->access == CTL_WRITE ||
	    (v->access == CTL_WRITE_WITH_ARGS && req.argc > 1))) {
		if (!c->denied)
			log_warnx("ctl client %" PRIu64 " %s denied: not in "
			    "control.write_uids or write_gids", c->id, v->name);
		c->denied = true;
		n = reply(out, cap, "ERR permission denied");
	} else
		n = v->fn(c, req.argv, req.argc - 1, out, cap);
	send_line(c, out, n);
}

/*
 * The next complete line (malloc'd, NUL-terminated) into *line: 1; 0 if
 * none yet; -1 if the line, complete or not, is over CTL_LINE_MAX (or no
 * memory). Measured before it is read: a peer must not make us buffer or
 * copy more than a line's worth.
 */
static int
next_line(struct evbuffer *in, char **line, size_t *len)
{
	struct evbuffer_ptr eol, last;
	size_t eol_len, have;
	char ch;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos == -1) {
		have = evbuffer_get_length(in);
		if (have <= CTL_LINE_MAX)
			return 0;
		/* A full-length line whose "\r\n" is half here is still fine. */
		if (have == CTL_LINE_MAX + 1 &&
		    evbuffer_ptr_set(in, &last, have - 1, EVBUFFER_PTR_SET) == 0 &&
		    evbuffer_copyout_from(in, &last, &ch, 1) == 1 && ch == '\r')
			return 0;
		return -1;
	}
	if ((size_t)eol.pos > CTL_LINE_MAX)
		return -1;
	*line = evbuffer_readln(in, len, EVBUFFER_EOL_CRLF);
	return *line != NULL ? 1 : -1;
}

static void
client_process(struct ctl_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char *line, *buf;
	size_t len, cap;
	int r;

	while (c->state != CTL_CLIENT_CLOSING) {
		/* Pipelining without reading: stop reading until drained. */
		if (evbuffer_get_length(out) > CTL_OUT_HIGH) {
			if (!c->throttled)
				log_debug("ctl client %" PRIu64 " throttled "
				    "queued=%zu", c->id, evbuffer_get_length(out));
			c->throttled = true;
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		if ((r = next_line(in, &line, &len)) == 0)
			return;
		if (r == -1) {
			buf = ctl_svc_scratch(c->ctl, &cap);
			send_line(c, buf, reply(buf, cap, "ERR line too long"));
			evbuffer_drain(in, evbuffer_get_length(in));
			client_set_state(c, CTL_CLIENT_CLOSING, "line-too-long");
			return;
		}
		handle_line(c, line, len);
		free(line);
	}
}

/*
 * Write what is queued now, as Redis does before it sleeps: a reply that
 * fits the socket never arms a write event (two epoll_ctl calls per
 * request). Only a client whose socket is full gets EV_WRITE, and with it
 * the write timeout and the drain callback. May free c (closing, drained).
 */
static void
client_flush(struct ctl_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	while (evbuffer_get_length(out) > 0)
		if (evbuffer_write(out, fd) <= 0)
			break;
	if (evbuffer_get_length(out) > 0) {
		/* Full socket or an error: the bufferevent takes over. */
		bufferevent_enable(c->bev, EV_WRITE);
		return;
	}
	if (c->state == CTL_CLIENT_CLOSING)
		ctl_client_free(c, c->why_closing);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_process(arg);
	client_flush(arg);
}

/* Output drained (the write low-watermark is 0). */
static void
on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	(void)bev;
	/* Drained: back to writing directly (client_flush). */
	bufferevent_disable(c->bev, EV_WRITE);
	if (c->state == CTL_CLIENT_CLOSING) {
		ctl_client_free(c, c->why_closing);
		return;
	}
	if (c->throttled) {
		c->throttled = false;
		bufferevent_enable(c->bev, EV_READ);
		/* Lines already buffered will not raise another read event. */
		client_process(c);
		client_flush(c);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;

	/*
	 * A half-close ("echo STATUS | socat - UNIX-CONNECT:...") still gets
	 * its replies; a trailing line without its end is discarded.
	 */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		if (c->state != CTL_CLIENT_CLOSING)
			client_set_state(c, CTL_CLIENT_CLOSING, "eof");
		client_flush(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		ctl_client_free(c, "write-timeout");
	else if (what & BEV_EVENT_ERROR)
		ctl_client_free(c, "error");
	else
		ctl_client_free(c, c->state == CTL_CLIENT_CLOSING ?
		    c->why_closing : "eof");
}

struct ctl_client *
ctl_client_new(struct ctl *ctl, struct event_base *base, int fd, uint64_t id,
    bool may_write)
{
	struct timeval wt = {
		CTL_WRITE_TIMEOUT_MS / 1000, (CTL_WRITE_TIMEOUT_MS % 1000) * 1000
	};
	struct ctl_client *c;

	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return NULL;
	}
	if ((c->bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(c);
		return NULL;
	}
	c->ctl = ctl;
	c->id = id;
	c->may_write = may_write;
	c->state = CTL_CLIENT_REQUESTS;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	/* Bounded input: a line's worth plus room for pipelined requests. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_IN_HIGH);
	/* No read timeout: the local server keeps an idle connection. */
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	/* EV_WRITE only while output is stuck: see client_flush. */
	if (bufferevent_enable(c->bev, EV_READ) == -1) {
		bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(ctl_svc_list(ctl), c, entry);
	return c;
}

void
ctl_client_free(struct ctl_client *c, const char *reason)
{
	struct ctl *ctl = c->ctl;

	TAILQ_REMOVE(ctl_svc_list(ctl), c, entry);
	bufferevent_free(c->bev);
	log_debug("ctl client %" PRIu64 " close reason=%s", c->id, reason);
	free(c);
	ctl_svc_client_gone(ctl);
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
ctl_client_push(struct ctl_client *c, const char *line, size_t len)
{
	size_t queued = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (queued + len > CTL_WATCH_OUT_MAX) {
		log_warnx("ctl client %" PRIu64 " dropped reason=watch-backlog "
		    "queued=%zu", c->id, queued);
		ctl_client_free(c, "watch-backlog");
		return;
	}
	if (evbuffer_add(bufferevent_get_output(c->bev), line, len) == -1)
		log_warnx("ctl client %" PRIu64 " push dropped reason=no-memory",
		    c->id);
	client_flush(c);
}
