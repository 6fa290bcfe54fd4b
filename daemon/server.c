/*
 * server: the server adapter (server.h). One connection, commands in a
 * bounded FIFO with one deadline (the oldest's), replies parsed with
 * lib/resp and INFO with lib/info. apply() compares what the election
 * wants with what the last INFO said and sends only the difference;
 * it runs on every change of the node (server_on_change) and after every
 * poll. Fencing commands are written at once, in the loop iteration of
 * the change that needs them.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "change.h"
#include "clock.h"
#include "config.h"
#include "info.h"
#include "log.h"
#include "num.h"
#include "resp.h"
#include "server.h"
#include "status.h"
#include "util.h"

#define SERVER_ARGS_MAX   6     /* words in one command we send */
#define SERVER_CMD_MAX    512   /* bytes of one encoded command */
#define SERVER_PAUSE_MAJOR 6    /* CLIENT PAUSE ... WRITE: Redis 6.2 */
#define SERVER_PAUSE_MINOR 2

enum cmd {
	CMD_AUTH = 1,
	CMD_PROBE_VERSION,   /* INFO server: is there CLIENT PAUSE WRITE? */
	CMD_PROBE_MINREP,    /* CONFIG GET min-replicas-to-write */
	CMD_SET_MINREP,
	CMD_SET_MINLAG,
	CMD_INFO,            /* INFO replication: the poll */
	CMD_PROMOTE,         /* REPLICAOF NO ONE */
	CMD_REPOINT,         /* REPLICAOF host port */
	CMD_PAUSE,           /* CLIENT PAUSE ms WRITE */
	CMD_UNPAUSE,
};

static const char *const cmd_names[] = {
	[CMD_AUTH] = "AUTH", [CMD_PROBE_VERSION] = "INFO server",
	[CMD_PROBE_MINREP] = "CONFIG GET min-replicas-to-write",
	[CMD_SET_MINREP] = "CONFIG SET min-replicas-to-write",
	[CMD_SET_MINLAG] = "CONFIG SET min-replicas-max-lag",
	[CMD_INFO] = "INFO replication", [CMD_PROMOTE] = "REPLICAOF NO ONE",
	[CMD_REPOINT] = "REPLICAOF", [CMD_PAUSE] = "CLIENT PAUSE WRITE",
	[CMD_UNPAUSE] = "CLIENT UNPAUSE",
};

struct server {
	struct server_config sc;
	const struct config_server *conf;
	const struct server_ops *ops;
	void *ctx;
	enum server_state state;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct bufferevent *bev;
	struct event *retry;          /* redial after a backoff */
	struct event *deadline;       /* the oldest command's answer is due */
	struct event *poll;           /* the next INFO replication */
	struct event *renew;          /* the next CLIENT PAUSE renewal */
	struct event *point;          /* a new primary's server is promoted */
	char primary[WIRE_ID_MAX + 1]; /* the primary last seen, "" none */
	uint64_t primary_since_ms;    /* when it was first seen */
	bool point_told;              /* its wait was logged */
	uint64_t backoff_ms;
	enum cmd pending[SERVER_PENDING_MAX];
	uint64_t due_ms[SERVER_PENDING_MAX];
	size_t head, n;
	bool can_pause;               /* CLIENT PAUSE ... WRITE exists */
	bool can_minrep;              /* min-replicas-to-write exists */
	bool have_info;
	struct info_replication info;
	uint64_t pause_until_ms;      /* our CLIENT PAUSE WRITE runs until */
	bool role_cmd_pending;        /* a REPLICAOF is in flight */
	bool unpause_pending;
	uint64_t link_down_since_ms;  /* replica's link to its master: 0 up */
	char repoint_to[CONFIG_HOST_MAX + 8]; /* host:port of the last REPLICAOF */
	struct config_hostport repoint_hp;    /* the same, parsed */
	uint64_t repoint_at_ms;       /* when it was sent */
	uint64_t repoint_backoff_ms;  /* before another at the same master */
	bool repoint_held;            /* the hold is logged (once a backoff) */
	struct server_stats stats;
	struct resp_reply reply;      /* big: parsed in place, reused */
};

const char *
server_state_name(enum server_state s)
{
	switch (s) {
	case SERVER_DOWN: return "down";
	case SERVER_CONNECTING: return "connecting";
	case SERVER_UP: return "up";
	case SERVER_AUTH_FAILED: return "auth-failed";
	case SERVER_LOADING: return "loading";
	}
	return "unknown";
}

static void server_connect(struct server *);
static void apply(struct server *, const struct status *);

static void
set_state(struct server *s, enum server_state st, const char *why)
{
	char q[LOG_QUOTE_MAX(128)];

	if (s->state == st)
		return;
	if (st == SERVER_UP || s->state == SERVER_UP)
		log_info("event=server_state server=%s state=%s was=%s "
		    "reason=%s", s->conf->address, server_state_name(st),
		    server_state_name(s->state), why != NULL ?
		    LOG_Q(q, why) : "-");
	else
		log_debug("event=server_state server=%s state=%s was=%s "
		    "reason=%s", s->conf->address, server_state_name(st),
		    server_state_name(s->state), why != NULL ?
		    LOG_Q(q, why) : "-");
	s->state = st;
}

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv;

	util_ms_to_tv(ms, &tv);
	evtimer_add(ev, &tv);
}

/* Any failure: drop the connection, forget what it said, redial later. */
static void
fail(struct server *s, enum server_state st, const char *why)
{
	char q[LOG_VALUE_MAX];

	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	log_warnx("event=server_down server=%s reason=%s retry_ms=%" PRIu64,
	    s->conf->address, LOG_Q(q, why), s->backoff_ms);
	s->n = s->head = 0;
	s->have_info = false;
	s->role_cmd_pending = s->unpause_pending = false;
	s->pause_until_ms = 0;
	evtimer_del(s->deadline);
	evtimer_del(s->poll);
	evtimer_del(s->renew);
	set_state(s, st, why);
	arm(s->retry, s->backoff_ms);
	/* A refused password is not fixed in milliseconds. */
	s->backoff_ms = st == SERVER_AUTH_FAILED ? SERVER_BACKOFF_MAX_MS :
	    s->backoff_ms * 2 > SERVER_BACKOFF_MAX_MS ? SERVER_BACKOFF_MAX_MS :
	    s->backoff_ms * 2;
}

static void
arm_deadline(struct server *s)
{
	uint64_t now = clock_now_ms();

	if (s->n == 0) {
		evtimer_del(s->deadline);
		return;
	}
	arm(s->deadline, s->due_ms[s->head] > now ? s->due_ms[s->head] - now :
	    0);
}

/* Queue one command; false if it could not be (the caller went down). */
static bool
send_cmd(struct server *s, enum cmd kind, size_t argc,
    const char *const *argv)
{
	uint8_t buf[SERVER_CMD_MAX];
	char q[LOG_QUOTE_MAX(32)], qt[LOG_VALUE_MAX];
	size_t len, tail;

	if (s->bev == NULL)
		return false;
	if (s->n == SERVER_PENDING_MAX ||
	    evbuffer_get_length(bufferevent_get_output(s->bev)) >
	    SERVER_OUT_MAX) {
		fail(s, SERVER_DOWN, "server not reading");
		return false;
	}
	if ((len = resp_encode_command(buf, sizeof(buf), argc, argv)) == 0 ||
	    bufferevent_write(s->bev, buf, len) == -1) {
		fail(s, SERVER_DOWN, "cannot queue a command");
		return false;
	}
	tail = (s->head + s->n) % SERVER_PENDING_MAX;
	s->pending[tail] = kind;
	s->due_ms[tail] = clock_now_ms() + s->conf->timeout_ms;
	if (s->n++ == 0)
		arm_deadline(s);
	if (kind != CMD_INFO)
		log_info("event=server_command server=%s command=%s "
		    "target=%s", s->conf->address, LOG_Q(q, cmd_names[kind]),
		    kind == CMD_REPOINT ? LOG_Q(qt, argv[1]) : "-");
	return true;
}

/* Fences go out now, not on the next loop iteration. */
static void
flush_now(struct server *s)
{
	if (s->bev != NULL && util_bev_write_now(s->bev) == -1)
		fail(s, SERVER_DOWN, strerror(errno));
}

static void
send_poll(struct server *s)
{
	static const char *const argv[] = { "INFO", "replication" };

	send_cmd(s, CMD_INFO, 2, argv);
}

/* CLIENT PAUSE for a lease, renewed SERVER_PAUSE_RENEWS times a lease. */
static void
send_pause(struct server *s)
{
	uint64_t ms = s->sc.lease_ms;
	char arg[24];
	const char *argv[] = { "CLIENT", "PAUSE", arg, "WRITE" };

	snprintf(arg, sizeof(arg), "%" PRIu64, ms);
	if (!send_cmd(s, CMD_PAUSE, 4, argv))
		return;
	s->pause_until_ms = clock_now_ms() + ms;
	s->stats.fences++;
	arm(s->renew, s->sc.lease_ms / SERVER_PAUSE_RENEWS);
}

static void
send_config(struct server *s)
{
	size_t quorum = s->sc.cfg->n_members / 2 + 1;
	uint64_t lag_s = (s->sc.lease_ms + 999) / 1000;

	if (lag_s < SERVER_MINLAG_MIN_S)
		lag_s = SERVER_MINLAG_MIN_S;
	char minrep[24], minlag[24];
	const char *rep[] = { "CONFIG", "SET", "min-replicas-to-write", minrep };
	const char *lag[] = { "CONFIG", "SET", "min-replicas-max-lag", minlag };

	/* A master needs a majority, itself included, to take a write. */
	snprintf(minrep, sizeof(minrep), "%zu", quorum - 1);
	snprintf(minlag, sizeof(minlag), "%" PRIu64, lag_s);
	if (send_cmd(s, CMD_SET_MINREP, 4, rep))
		send_cmd(s, CMD_SET_MINLAG, 4, lag);
}

/* The member that is primary, or NULL (none, or this node). */
static const struct config_member *
primary_member(const struct server *s, const struct status *st)
{
	const struct config *cfg = s->sc.cfg;

	if (st->primary[0] == '\0')
		return NULL;
	for (size_t i = 0; i < cfg->n_members; i++)
		if (strcmp(cfg->members[i].id, st->primary) == 0)
			return i == cfg->self ? NULL : &cfg->members[i];
	return NULL;
}

/*
 * How long after learning a new primary a replica points its server: the
 * margin alone when it announced a win without a hold (the quiet rule),
 * else the hold and the margin.
 */
static uint64_t
point_after_ms(const struct server *s, const struct status *st)
{
	uint64_t margin = SERVER_POINT_MARGIN_HB * s->sc.hb_interval_ms;

	if (st->primary_unheld)
		return margin;
	return s->sc.lease_ms + s->sc.hb_interval_ms + margin;
}

static bool
fencing_wanted(const struct server *s)
{
	return s->conf->fence == CONFIG_FENCE_AUTO && s->can_pause;
}

/*
 * Point a replica's server at the primary's (hp): at once when it has
 * another master; at the same one again only when its link has been down
 * SERVER_RELINK_HB heartbeats and the last REPLICAOF at it is older than
 * the backoff.
 */
static void
repoint(struct server *s, const struct config_hostport *hp, uint64_t now)
{
	bool same = s->info.role == INFO_ROLE_REPLICA &&
	    s->info.master_port == hp->port &&
	    strcmp(s->info.master_host, hp->host) == 0;
	bool stale_link = same && s->link_down_since_ms != 0 &&
	    now - s->link_down_since_ms > SERVER_RELINK_HB *
	    s->sc.hb_interval_ms;
	char to[CONFIG_HOST_MAX + 8], port[8];
	const char *argv[] = { "REPLICAOF", hp->host, port };

	snprintf(port, sizeof(port), "%u", (unsigned)hp->port);
	snprintf(to, sizeof(to), "%s:%s", hp->host, port);
	if (same && !stale_link)
		return;
	if (strcmp(to, s->repoint_to) != 0)
		s->repoint_backoff_ms = 0;
	if (same && s->repoint_backoff_ms != 0 &&
	    now - s->repoint_at_ms < s->repoint_backoff_ms) {
		if (!s->repoint_held)
			log_info("event=server_repoint_held server=%s master=%s "
			    "link_down_ms=%" PRIu64 " retry_in_ms=%" PRIu64,
			    s->conf->address, to,
			    now - s->link_down_since_ms, s->repoint_at_ms +
			    s->repoint_backoff_ms - now);
		s->repoint_held = true;
		return;
	}
	if (same)
		log_info("event=server_repoint server=%s master=%s "
		    "reason=link_down link_down_ms=%" PRIu64 " next_after_ms=%"
		    PRIu64, s->conf->address, to, now - s->link_down_since_ms, s->repoint_backoff_ms * 2 >
		    SERVER_REPOINT_BACKOFF_MAX_MS ?
		    (uint64_t)SERVER_REPOINT_BACKOFF_MAX_MS :
		    s->repoint_backoff_ms * 2);
	if (!send_cmd(s, CMD_REPOINT, 3, argv))
		return;
	s->role_cmd_pending = true;
	s->stats.repoints++;
	s->link_down_since_ms = 0;
	snprintf(s->repoint_to, sizeof(s->repoint_to), "%s", to);
	s->repoint_hp = *hp;
	s->repoint_at_ms = now;
	s->repoint_held = false;
	s->repoint_backoff_ms = s->repoint_backoff_ms == 0 ?
	    SERVER_REPOINT_BACKOFF_MIN_MS : s->repoint_backoff_ms * 2 >
	    SERVER_REPOINT_BACKOFF_MAX_MS ? SERVER_REPOINT_BACKOFF_MAX_MS :
	    s->repoint_backoff_ms * 2;
}

/*
 * Make the server what the election says: a writable master only while
 * this node is an unfenced primary; otherwise fenced while it is still a
 * master, and a replica of the elected primary as soon as one is known.
 */
static void
apply(struct server *s, const struct status *st)
{
	const struct config_member *p;
	struct config_hostport hp;
	uint64_t now = clock_now_ms();
	bool master;

	if (s->state != SERVER_UP || !s->have_info)
		return;
	master = s->info.role == INFO_ROLE_PRIMARY;
	if (st->role == WIRE_ROLE_PRIMARY && !st->fenced) {
		if (!master && !s->role_cmd_pending) {
			static const char *const argv[] = { "REPLICAOF", "NO",
			    "ONE" };

			if (send_cmd(s, CMD_PROMOTE, 3, argv)) {
				s->role_cmd_pending = true;
				s->stats.promotions++;
			}
		}
		if (s->pause_until_ms > now && !s->unpause_pending) {
			static const char *const argv[] = { "CLIENT",
			    "UNPAUSE" };

			if (send_cmd(s, CMD_UNPAUSE, 2, argv))
				s->unpause_pending = true;
		}
		evtimer_del(s->renew);
		flush_now(s);
		return;
	}
	/*
	 * Not ours to write: a master here must stop taking writes now, and
	 * stay paused. The renewal is due once less than lease - lease /
	 * SERVER_PAUSE_RENEWS is left; a renew timer that fires a little
	 * early by our clock (libevent arms it from the loop's cached time)
	 * is armed again for the rest, or the pause would lapse until the
	 * next poll.
	 */
	if (master && fencing_wanted(s)) {
		uint64_t keep = s->sc.lease_ms - s->sc.lease_ms /
		    SERVER_PAUSE_RENEWS;

		if (s->pause_until_ms <= now + keep)
			send_pause(s);
		else
			arm(s->renew, s->pause_until_ms - keep - now);
	}
	p = primary_member(s, st);
	if (strcmp(st->primary, s->primary) != 0) {
		snprintf(s->primary, sizeof(s->primary), "%s", st->primary);
		s->primary_since_ms = now;
		s->point_told = false;
	}
	/* Not before its server can be a master: see server.h. */
	if (p != NULL && now - s->primary_since_ms < point_after_ms(s, st)) {
		char q[LOG_QUOTE_MAX(WIRE_ID_MAX)];

		if (!s->point_told)
			log_info("event=server_point_wait server=%s primary=%s "
			    "wait_ms=%" PRIu64 " hold=%s", s->conf->address,
			    LOG_Q(q, st->primary), point_after_ms(s, st),
			    st->primary_unheld ? "none" : "maybe");
		s->point_told = true;
		arm(s->point, point_after_ms(s, st) -
		    (now - s->primary_since_ms));
		p = NULL;
	}
	if (p != NULL && config_parse_hostport(p->client, &hp) == 0 &&
	    !s->role_cmd_pending)
		repoint(s, &hp, now);
	flush_now(s);
}

/* INFO server: redis_version (Valkey reports one too) >= 6.2. */
static void
probe_version(struct server *s, const struct resp_elem *e)
{
	static const char key[] = "redis_version:";
	const char *p = NULL, *end;
	uint64_t major = 0, minor = 0;
	size_t i;

	if (e->type != RESP_TYPE_BULK)
		return;
	for (i = 0; i + sizeof(key) - 1 <= e->len; i++)
		if (memcmp(e->str + i, key, sizeof(key) - 1) == 0) {
			p = (const char *)e->str + i + sizeof(key) - 1;
			break;
		}
	if (p == NULL)
		return;
	end = (const char *)e->str + e->len;
	for (i = 0; p + i < end && p[i] != '.'; i++)
		;
	if (num_parse_u64(p, i, &major) == -1 || p + i >= end)
		return;
	p += i + 1;
	for (i = 0; p + i < end && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (num_parse_u64(p, i, &minor) == -1)
		return;
	s->can_pause = major > SERVER_PAUSE_MAJOR ||
	    (major == SERVER_PAUSE_MAJOR && minor >= SERVER_PAUSE_MINOR);
}

static void
on_info(struct server *s, const struct resp_elem *e)
{
	char err[128], q[LOG_QUOTE_MAX(128)];
	uint64_t now = clock_now_ms();

	if (e->type != RESP_TYPE_BULK || info_parse_replication((const char *)
	    e->str, e->len, &s->info, err, sizeof(err)) == -1) {
		s->stats.command_failures++;
		log_warnx("event=server_info_unreadable server=%s error=%s",
		    s->conf->address, LOG_Q(q, e->type == RESP_TYPE_BULK ?
		    err : "not a bulk string"));
		/* Not the server we need: redial later, not every poll. */
		fail(s, SERVER_DOWN, "INFO replication unreadable");
		return;
	}
	s->stats.polls++;
	s->have_info = true;
	if (s->info.role == INFO_ROLE_REPLICA &&
	    s->info.master_link == INFO_LINK_DOWN) {
		if (s->link_down_since_ms == 0)
			s->link_down_since_ms = now;
	} else {
		s->link_down_since_ms = 0;
		/* Linked (or a master): a later break starts afresh. */
		if (s->info.master_link == INFO_LINK_UP)
			s->repoint_backoff_ms = 0;
	}
	if (s->state != SERVER_UP) {
		s->stats.connects++;
		s->backoff_ms = SERVER_BACKOFF_MIN_MS;
		set_state(s, SERVER_UP, NULL);
		log_info("event=server_role server=%s role=%s offset=%" PRIu64
	    " fencing=%s",
		    s->conf->address, info_role_name(s->info.role),
		    s->info.master_repl_offset,
		    s->conf->fence == CONFIG_FENCE_NONE ? "none" :
		    fencing_wanted(s) ? (s->can_minrep ?
		    "pause+min-replicas" : "pause") :
		    s->can_minrep ? "min-replicas" : "none");
	}
	s->ops->offset(s->ctx, s->info.master_repl_offset);
	apply(s, s->ops->status(s->ctx));
}

/*
 * +OK to REPLICAOF: the server is what we asked, whatever the last poll
 * said. Until the next poll, apply() must not act on the stale INFO: a
 * node fenced while its promotion was in flight would leave a fresh
 * master unpaused (its INFO still said replica), and a stale role sent
 * the same REPLICAOF again. So take the reply's word, and apply again.
 */
static void
role_done(struct server *s, enum cmd kind)
{
	if (kind == CMD_PROMOTE)
		s->info.role = INFO_ROLE_PRIMARY;
	else {
		s->info.role = INFO_ROLE_REPLICA;
		snprintf(s->info.master_host, sizeof(s->info.master_host), "%s",
		    s->repoint_hp.host);
		s->info.master_port = s->repoint_hp.port;
	}
	s->link_down_since_ms = 0;
	apply(s, s->ops->status(s->ctx));
}

/* One reply to the oldest pending command. */
static void
on_reply(struct server *s, enum cmd kind)
{
	const struct resp_elem *e = resp_root(&s->reply);
	enum resp_error_kind ek = resp_error_kind(&s->reply);
	char q[LOG_QUOTE_MAX(32)], qe[LOG_QUOTE_MAX(120)];
	/* A loading or busy server says so every poll: warn once. */
	bool again = kind == CMD_INFO && s->state == SERVER_LOADING &&
	    (ek == RESP_ERR_LOADING || ek == RESP_ERR_BUSY);

	if (ek != RESP_ERR_NONE) {
		s->stats.command_failures++;
		if (!again)
			log_warnx("event=server_command_failed server=%s "
			    "command=%s error=%s", s->conf->address,
			    LOG_Q(q, cmd_names[kind]), log_quote_bytes(qe,
			    sizeof(qe), e->str, e->len > 120 ? 120 : e->len));
	}
	switch (kind) {
	case CMD_AUTH:
		if (ek != RESP_ERR_NONE)
			fail(s, SERVER_AUTH_FAILED, resp_error_kind_name(ek));
		return;
	case CMD_PROBE_VERSION:
		probe_version(s, e);
		return;
	case CMD_PROBE_MINREP:
		s->can_minrep = ek == RESP_ERR_NONE &&
		    e->type == RESP_TYPE_ARRAY && e->count == 2;
		if (s->can_minrep && s->conf->fence != CONFIG_FENCE_NONE)
			send_config(s);
		return;
	case CMD_SET_MINREP:
	case CMD_SET_MINLAG:
		if (ek != RESP_ERR_NONE)
			s->can_minrep = false;
		return;
	case CMD_INFO:
		if (ek == RESP_ERR_LOADING || ek == RESP_ERR_BUSY) {
			set_state(s, SERVER_LOADING, resp_error_kind_name(ek));
			return;
		}
		if (ek == RESP_ERR_NOAUTH || ek == RESP_ERR_WRONGPASS ||
		    ek == RESP_ERR_NOPERM) {
			fail(s, SERVER_AUTH_FAILED, resp_error_kind_name(ek));
			return;
		}
		/*
		 * Any other error will come again on the next poll: drop the
		 * connection and redial with the backoff, rather than a
		 * warning every poll_ms for as long as it lasts.
		 */
		if (ek != RESP_ERR_NONE) {
			fail(s, SERVER_DOWN, "INFO replication refused");
			return;
		}
		on_info(s, e);
		return;
	case CMD_PROMOTE:
	case CMD_REPOINT:
		s->role_cmd_pending = false;
		log_info("event=server_command_done server=%s command=%s "
		    "result=%s", s->conf->address, LOG_Q(q, cmd_names[kind]),
		    ek == RESP_ERR_NONE ? "ok" : "error");
		if (ek == RESP_ERR_NONE)
			role_done(s, kind);
		return;
	case CMD_PAUSE:
		if (ek != RESP_ERR_NONE) {
			s->pause_until_ms = 0;
			s->can_pause = false;
		}
		return;
	case CMD_UNPAUSE:
		s->unpause_pending = false;
		if (ek == RESP_ERR_NONE)
			s->pause_until_ms = 0;
		return;
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (s->bev == bev && evbuffer_get_length(in) > 0) {
		size_t len = evbuffer_get_length(in), used = 0;
		const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)len);
		enum cmd kind;

		switch (resp_parse(p, len, &s->reply, &used)) {
		case RESP_NEED_MORE:
			if (len >= SERVER_READ_MAX)
				fail(s, SERVER_DOWN, "reply too long");
			return;
		case RESP_ERROR:
			fail(s, SERVER_DOWN, s->reply.why != NULL ?
			    s->reply.why : "garbage from the server");
			return;
		case RESP_OK:
			break;
		}
		if (s->n == 0) {
			fail(s, SERVER_DOWN, "a reply nobody asked for");
			return;
		}
		kind = s->pending[s->head];
		s->head = (s->head + 1) % SERVER_PENDING_MAX;
		s->n--;
		arm_deadline(s);
		/* The reply points into in: handle it before draining. */
		on_reply(s, kind);
		if (s->bev != bev)
			return;
		evbuffer_drain(in, used);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct server *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		static const char *const version[] = { "INFO", "server" };
		static const char *const minrep[] = { "CONFIG", "GET",
		    "min-replicas-to-write" };

		/* AUTH first when configured; then probe, then poll. */
		if (s->conf->password_file[0] != '\0') {
			const char *auth[] = { "AUTH", s->conf->user,
			    s->conf->password };

			if (s->conf->user[0] != '\0' ?
			    !send_cmd(s, CMD_AUTH, 3, auth) :
			    !send_cmd(s, CMD_AUTH, 2, (const char *[]){ "AUTH",
			    s->conf->password }))
				return;
		}
		if (send_cmd(s, CMD_PROBE_VERSION, 2, version) &&
		    send_cmd(s, CMD_PROBE_MINREP, 3, minrep))
			send_poll(s);
		arm(s->poll, s->conf->poll_ms);
		return;
	}
	fail(s, SERVER_DOWN, what & BEV_EVENT_EOF ? "closed by the server" :
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	/*
	 * Nothing queued yet while connecting: the connect itself is late.
	 * A server whose accept queue is full drops our SYN, and the kernel
	 * would retry it for minutes.
	 */
	if (s->n == 0 && (s->state != SERVER_CONNECTING || s->bev == NULL))
		return;
	s->stats.command_failures++;
	fail(s, SERVER_DOWN, s->n == 0 ? "connect timed out" :
	    s->state == SERVER_CONNECTING && s->pending[s->head] == CMD_AUTH ?
	    "AUTH timed out" : "no answer in time");
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	bool polling = false;

	(void)fd;
	(void)what;
	if (s->bev == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		polling = polling || s->pending[(s->head + i) %
		    SERVER_PENDING_MAX] == CMD_INFO;
	/* One INFO at a time: a slow server is not flooded with them. */
	if (!polling)
		send_poll(s);
	arm(s->poll, s->conf->poll_ms);
}

static void
on_renew(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	apply(s, s->ops->status(s->ctx));
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_connect(arg);
}

static void
server_connect(struct server *s)
{
	set_state(s, SERVER_CONNECTING, NULL);
	s->bev = bufferevent_socket_new(s->sc.base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		fail(s, SERVER_DOWN, "out of memory");
		return;
	}
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, SERVER_READ_MAX);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	/* The connect has the command deadline too. */
	arm(s->deadline, s->conf->timeout_ms);
	s->n = 0;
	if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&s->addr,
	    (int)s->addrlen) == -1)
		fail(s, SERVER_DOWN, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

/* Before the loop runs: a name is resolved once, blocking nothing. */
static int
resolve(struct server *s)
{
	const struct config_server *c = s->conf;
	struct addrinfo hints, *res = NULL;
	char port[8];

	if (c->unix_path[0] != '\0') {
		struct sockaddr_un *sun = (struct sockaddr_un *)&s->addr;

		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s",
		    c->unix_path);
		s->addrlen = sizeof(*sun);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", (unsigned)c->tcp.port);
	if (getaddrinfo(c->tcp.host, port, &hints, &res) != 0 || res == NULL)
		return -1;
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct server *
server_new(const struct server_config *sc, const struct server_ops *ops,
    void *ctx)
{
	struct server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->sc = *sc;
	s->conf = &sc->cfg->server;
	s->ops = ops;
	s->ctx = ctx;
	s->state = SERVER_DOWN;
	s->backoff_ms = SERVER_BACKOFF_MIN_MS;
	if (resolve(s) == -1 ||
	    (s->retry = evtimer_new(sc->base, on_retry, s)) == NULL ||
	    (s->deadline = evtimer_new(sc->base, on_deadline, s)) == NULL ||
	    (s->poll = evtimer_new(sc->base, on_poll, s)) == NULL ||
	    (s->renew = evtimer_new(sc->base, on_renew, s)) == NULL ||
	    (s->point = evtimer_new(sc->base, on_renew, s)) == NULL) {
		server_free(s);
		return NULL;
	}
	log_info("event=server_adapter address=%s poll_ms=%" PRIu64
	    " timeout_ms=%" PRIu64 " fence=%s", s->conf->address, s->conf->poll_ms,
	    s->conf->timeout_ms, s->conf->fence == CONFIG_FENCE_AUTO ? "auto" :
	    s->conf->fence == CONFIG_FENCE_NONE ? "none" : "min-replicas");
	if (s->conf->fence == CONFIG_FENCE_NONE)
		/* A deposed primary's server takes writes until repointed. */
		log_warnx("event=server_fence_none risk=writes_on_deposed_"
		    "primary_until_repointed");
	server_connect(s);
	return s;
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	if (s->retry != NULL)
		event_free(s->retry);
	if (s->deadline != NULL)
		event_free(s->deadline);
	if (s->poll != NULL)
		event_free(s->poll);
	if (s->renew != NULL)
		event_free(s->renew);
	if (s->point != NULL)
		event_free(s->point);
	free(s);
}

/*
 * The change's own snapshot: the published one is still the old one
 * while the bus runs (core.c swaps it after), and acting on it left a
 * promotion or a fence to the next poll.
 */
void
server_on_change(void *ctx, const struct change *ch)
{
	apply(ctx, ch->now);
}

void
server_view(const struct server *s, struct server_view *v)
{
	memset(v, 0, sizeof(*v));
	v->state = server_state_name(s->state);
	v->role = s->have_info ? info_role_name(s->info.role) : "unknown";
	if (s->have_info && s->info.role == INFO_ROLE_REPLICA)
		snprintf(v->master, sizeof(v->master), "%s:%u",
		    s->info.master_host, (unsigned)s->info.master_port);
	v->offset = s->have_info ? s->info.master_repl_offset : 0;
	v->fencing = s->conf->fence == CONFIG_FENCE_NONE ? "none" :
	    fencing_wanted(s) ? (s->can_minrep ? "pause+min-replicas" :
	    "pause") : s->can_minrep ? "min-replicas" : "none";
}

const struct server_stats *
server_stats(const struct server *s)
{
	return &s->stats;
}
