/*
 * kevy-electd: wires the modules together. Parse flags, load the config,
 * run the start's file checks (preflight.c, shared with -t), bind the
 * control socket and the election port, start the elector, run the loop
 * until SIGTERM/SIGINT.
 *
 * The exit status tells a supervisor whether to try again: EXIT_CONFIG
 * when the configuration or a file it names is wrong (a restart cannot
 * help; the units' RestartPreventExitStatus= lists it), EXIT_RUNTIME for
 * what a restart may fix (an address in use, out of memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "auth.h"
#include "change.h"
#include "clock.h"
#include "changelog.h"
#include "config.h"
#include "core.h"
#include "ctl.h"
#include "electd.h"
#include "fdbudget.h"
#include "hook.h"
#include "http.h"
#include "inbound.h"
#include "keygen.h"
#include "link.h"
#include "log.h"
#include "notify.h"
#include "pidfile.h"
#include "preflight.h"
#include "reload.h"
#include "server.h"
#include "rng.h"
#include "util.h"

#define KEVY_ELECTD_VERSION "0.1.0"
#define EXIT_RUNTIME 1            /* a start or run failed; a restart may help */
#define EXIT_USAGE 64             /* EX_USAGE */
#define EXIT_CONFIG 78            /* EX_CONFIG: config or a file it names */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kevy-electd [-ft] [-c file]\n"
	    "       kevy-electd -h | -V\n"
	    "       kevy-electd --gen-key file\n"
	    "       kevy-electd --dump-config md|man\n"
	    "  -c file    configuration (default %s)\n"
	    "  -t         check the configuration and every file a start\n"
	    "             checks (auth_key_file, notify_exec, state_dir and\n"
	    "             its elect.meta, control.path), as this user, without\n"
	    "             binding or writing anything; then exit\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  --gen-key file\n"
	    "             write a new random peer key for auth_key_file to\n"
	    "             file (mode 0600, never over an existing file; \"-\":\n"
	    "             standard output) and exit\n"
	    "  --dump-config md|man\n"
	    "             print the key reference of the configuration, made\n"
	    "             from the schema, as docs/reference/configuration.md (md) or\n"
	    "             kevy-electd.conf(5) (man) hold it, and exit\n"
	    "  -V, --version\n"
	    "             print the version and exit\n"
	    "  -h, --help print this help and exit\n"
	    "exit status:\n"
	    "  0   clean shutdown; -t found no problem; --gen-key wrote the key\n"
	    "  %d   a failure a restart may fix (address in use, out of\n"
	    "      memory...); --gen-key could not write the key\n"
	    "  %d  usage error\n"
	    "  %d  the configuration or a file it names is wrong (from -t, or\n"
	    "      refused at start): restarting cannot help\n",
	    CONFIG_DEFAULT_PATH, EXIT_RUNTIME, EXIT_USAGE, EXIT_CONFIG);
}

static void
report(void *ctx, bool is_error, const char *msg)
{
	int *warnings = ctx;

	if (!is_error && warnings != NULL)
		(*warnings)++;
	fprintf(stderr, "kevy-electd: %s: %s\n", is_error ? "error" : "warning",
	    msg);
}

/* At start the same sentences go to the log. */
static void
report_log(void *ctx, bool is_error, const char *msg)
{
	char q[LOG_VALUE_MAX];

	(void)ctx;
	if (is_error)
		log_error("event=start_refused error=%s", LOG_Q(q, msg));
	else
		log_warnx("event=start_warning warning=%s", LOG_Q(q, msg));
}

/*
 * A writable primary hands over first (handoff_on_stop_ms), and the loop
 * ends when that is done (on_switchover_end) or called off; anyone else,
 * or a second signal, stops at once.
 */
static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct electd *d = arg;
	const char *name = sig == SIGTERM ? "TERM" : "INT";
	char err[256], q[LOG_VALUE_MAX];

	(void)what;
	if (!d->stopping && d->cfg->handoff_on_stop_ms > 0 &&
	    core_published(d)->role == WIRE_ROLE_PRIMARY &&
	    !core_published(d)->fenced) {
		if (core_switchover(d, NULL, d->cfg->handoff_on_stop_ms, err,
		    sizeof(err)) == 0) {
			d->stopping = true;
			log_info("event=stop_handoff signal=%s timeout_ms=%llu",
			    name, (unsigned long long)d->cfg->handoff_on_stop_ms);
			return;
		}
		log_warnx("event=stop_handoff_refused signal=%s reason=%s",
		    name, LOG_Q(q, err));
	}
	log_info("event=stopping signal=%s", name);
	event_base_loopexit(d->base, NULL);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	/* The loop turned: we are alive. A stuck loop never gets here. */
	if (notify_send("WATCHDOG=1") == -1)
		log_warn("event=notify_failed message=WATCHDOG");
}

/* WatchdogSec=: ping at half the interval, as sd_watchdog_enabled(3) says. */
static struct event *
start_watchdog(struct electd *d)
{
	uint64_t usec = notify_watchdog_usec() / 2;
	struct timeval tv;
	struct event *ev;

	if (usec == 0)
		return NULL;
	util_us_to_tv(usec, &tv);
	if ((ev = event_new(d->base, -1, EV_PERSIST, on_watchdog, d)) == NULL ||
	    event_add(ev, &tv) == -1)
		fatalx("event=watchdog_failed reason=cannot_arm_timer");
	log_info("event=watchdog interval_ms=%llu", (unsigned long long)(usec / 500));
	return ev;
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	reload_config(arg);
}

static void
ctl_status(void *ctx, struct status *out)
{
	core_status(ctx, out);
}

static const char *
ctl_set_offset(void *ctx, uint64_t offset)
{
	const struct electd *d = ctx;

	/* One writer of the offset: the adapter polls it from the server. */
	if (d->server != NULL)
		return "offset is read from the local server by the server "
		    "adapter (server.address): OFFSET is not accepted";
	core_set_offset(ctx, offset);
	return NULL;
}

static void
server_offset(void *ctx, uint64_t offset)
{
	core_set_offset(ctx, offset);
}

static const struct status *
server_status(void *ctx)
{
	return core_published(ctx);
}

static void
ctl_alive(void *ctx)
{
	core_local_alive(ctx);
}

static const struct status *
ctl_watched(void *ctx)
{
	return core_published(ctx);
}

static int
ctl_switchover(void *ctx, const char *target, uint64_t timeout_ms, char *err,
    size_t len)
{
	struct electd *d = ctx;

	if (d->stopping) {
		snprintf(err, len, "shutting down");
		return -1;
	}
	return core_switchover(ctx, target, timeout_ms, err, len);
}

static int
ctl_pause(void *ctx, uint64_t ms, char *err, size_t len)
{
	return core_pause(ctx, ms, err, len);
}

static void
ctl_resume(void *ctx)
{
	core_resume(ctx);
}

/*
 * The end of a switchover: the reply its client waits for, and the exit
 * of a stop that handed over. Text: docs/reference/control-protocol.md.
 */
static void
on_switchover_end(void *ctx, const struct change *ch)
{
	struct electd *d = ctx;
	uint64_t ms;
	char line[512], q[LOG_VALUE_MAX];

	for (size_t i = 0; i < ch->n_events; i++) {
		const struct elector_event *ev = &ch->events[i];
		const char *who = ev->peer >= 0 ?
		    elector_member(d->el, (size_t)ev->peer)->id : "-";

		if (ev->kind != ELECTOR_EV_SO_DONE &&
		    ev->kind != ELECTOR_EV_SO_FAILED)
			continue;
		ms = clock_now_ms() - d->so_start_ms;
		if (ev->kind == ELECTOR_EV_SO_DONE)
			snprintf(line, sizeof(line), "OK %s epoch=%llu ms=%llu",
			    who, (unsigned long long)ev->epoch,
			    (unsigned long long)ms);
		else if (ev->detail == ELECTOR_SO_OTHER_WON)
			snprintf(line, sizeof(line), "ERR switchover failed: "
			    "%s won epoch=%llu instead", who,
			    (unsigned long long)ev->epoch);
		else if (ch->now->role == WIRE_ROLE_PRIMARY)
			snprintf(line, sizeof(line), "ERR switchover to %s %s "
			    "after %llu ms: it did not catch up or could not "
			    "stand; this node is primary again", who,
			    ev->detail == ELECTOR_SO_TIMEOUT ? "timed out" :
			    "failed", (unsigned long long)ms);
		else
			snprintf(line, sizeof(line), "ERR switchover to %s %s "
			    "after %llu ms: this node is no longer primary; "
			    "the cluster elects as after a failure", who,
			    ev->detail == ELECTOR_SO_TIMEOUT ? "timed out" :
			    "failed", (unsigned long long)ms);
		log_info("event=switchover_end target=%s ms=%llu result=%s",
		    who, (unsigned long long)ms, LOG_Q(q, line));
		if (d->ctl != NULL)
			ctl_switchover_done(d->ctl, line);
		if (d->stopping) {
			log_info("event=stop_handoff_end action=stop");
			event_base_loopexit(d->base, NULL);
		}
	}
}

static enum elector_verdict
peer_frame(void *ctx, size_t member, const struct wire_frame *f)
{
	return core_on_frame(ctx, member, f);
}

static void
peer_keepalive(void *ctx, size_t member)
{
	core_on_keepalive(ctx, member);
}

static void
peer_link_up(void *ctx, size_t member)
{
	core_link_up(ctx, member);
}

/* WATCH clients: a STATUS line whenever a field they show changed. */
static void
watch_on_change(void *ctx, const struct change *ch)
{
	if (ch->watched && ctx != NULL)
		ctl_publish(ctx, ch->now);
}

/*
 * The change pipeline's subscribers, in the order they hear a change:
 * the log first (the record of what happened), then the server adapter
 * (a fence must reach the server before anyone is told), the notify
 * hook, the service manager, WATCH clients.
 */
static int
subscribe(struct electd *d)
{
	d->changelog.el = d->el;
	d->changelog.store = &d->store;
	if (change_subscribe(&d->changes, "log", changelog_on_change,
	    &d->changelog) == -1 ||
	    (d->server != NULL && change_subscribe(&d->changes, "server",
	    server_on_change, d->server) == -1) ||
	    (d->hook != NULL && change_subscribe(&d->changes, "hook",
	    hook_on_change, d->hook) == -1) ||
	    change_subscribe(&d->changes, "notify", notify_on_change,
	    NULL) == -1 ||
	    change_subscribe(&d->changes, "watch", watch_on_change,
	    d->ctl) == -1 ||
	    change_subscribe(&d->changes, "switchover", on_switchover_end,
	    d) == -1)
		return -1;
	return 0;
}

/* Outbound links to every other member. */
static int
start_links(struct electd *d)
{
	static const struct link_ops ops = { peer_link_up };
	const struct elector_timing *t = elector_timing(d->el);
	struct link_config lc = {
		.base = d->base, .dns = d->dns, .cfg = d->cfg, .auth = d->auth,
		.hb_interval_ms = t->hb_interval_ms,
		.down_after_ms = t->down_after_ms,
	};

	for (size_t i = 0; i < d->cfg->n_members; i++) {
		if (i == d->cfg->self)
			continue;
		lc.member = i;
		lc.seed = rng_next(&d->rng);
		if ((d->links[i] = link_new(&lc, &ops, d)) == NULL)
			return -1;
	}
	return 0;
}

static int
start(struct electd *d, char *err, size_t errlen)
{
	char q[LOG_VALUE_MAX];
	static const struct ctl_ops ops = { ctl_status, ctl_set_offset,
	    ctl_alive, ctl_watched, ctl_switchover, ctl_pause, ctl_resume };
	struct ctl_config cc = {
		.path = d->cfg->control_path,
		.mode = d->cfg->control_mode,
		.group = d->cfg->control_group,
		.clients_max = 0,	/* set from the budget below */
		.perm = {
			.self_uid = geteuid(),
			.uids = d->cfg->write_uids,
			.n_uids = d->cfg->n_write_uids,
			.gids = d->cfg->write_gids,
			.n_gids = d->cfg->n_write_gids,
		},
	};

	/* state_dir, the key (d->auth) and the hook passed preflight. */
	if (d->auth != NULL)
		log_info("event=peer_auth_on key_file=%s",
		    LOG_Q(q, d->cfg->auth_key_file));
	if ((d->base = event_base_new()) == NULL ||
	    (link_needs_dns(d->cfg) && (d->dns = evdns_base_new(d->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)) {
		snprintf(err, errlen, "cannot create the event loop");
		return -1;
	}
	/* Caps from RLIMIT_NOFILE before anything takes a descriptor. */
	if (fdbudget_init(d->cfg->n_members, &d->fds, err, errlen) == -1)
		return -1;
	log_info("event=descriptors limit=%" PRIu64 " election=%zu "
	    "control=%zu http=%zu", d->fds.limit, d->fds.inbound, d->fds.ctl, d->fds.http);
	if (core_start(d, err, errlen) == -1)
		return -1;
	if (d->cfg->notify_exec[0] != '\0' && (d->hook = hook_new(d->base,
	    d->cfg->notify_exec, d->cfg->notify_timeout_ms, err, errlen)) == NULL)
		return -1;
	cc.clients_max = d->fds.ctl;
	if ((d->ctl = ctl_new(d->base, &cc, &ops, d, err, errlen)) == NULL)
		return -1;
	{
		static const struct inbound_ops iops = { peer_frame,
		    peer_keepalive };
		const struct elector_timing *t = elector_timing(d->el);
		struct inbound_config ic = {
			.base = d->base, .cfg = d->cfg, .auth = d->auth,
			.hb_interval_ms = t->hb_interval_ms,
			.down_after_ms = t->down_after_ms,
			.cap = d->fds.inbound,
		};

		if ((d->inbound = inbound_listen(&ic, &iops, d, err,
		    errlen)) == NULL)
			return -1;
	}
	if (d->cfg->http_enabled && (d->http = http_new(d, err, errlen)) == NULL)
		return -1;
	if (d->cfg->server.enabled) {
		static const struct server_ops sops = { server_offset,
		    server_status };
		const struct elector_timing *t = elector_timing(d->el);
		struct server_config sc = {
			.base = d->base, .cfg = d->cfg,
			.hb_interval_ms = t->hb_interval_ms,
			.lease_ms = t->lease_ms,
		};

		if ((d->server = server_new(&sc, &sops, d)) == NULL) {
			snprintf(err, errlen, "server adapter: cannot resolve "
			    "%s or out of memory", d->cfg->server.address);
			return -1;
		}
	}
	if (subscribe(d) == -1 || start_links(d) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
stop(struct electd *d)
{
	server_free(d->server);
	d->server = NULL;
	http_free(d->http);
	d->http = NULL;
	for (size_t i = 0; i < ELECTOR_MEMBERS_MAX; i++)
		link_free(d->links[i]);
	inbound_free(d->inbound);
	if (d->ctl != NULL)
		ctl_free(d->ctl);
	hook_free(d->hook);
	d->hook = NULL;
	core_stop(d);
	if (d->auth != NULL) {
		explicit_bzero(d->auth, sizeof(*d->auth));
		free(d->auth);
		d->auth = NULL;
	}
	if (d->dns != NULL)
		evdns_base_free(d->dns, 1);
	if (d->base != NULL)
		event_base_free(d->base);
}

/*
 * Without -f: fork. The parent waits for the child's word on a pipe and
 * exits with the start's real outcome: 0 once the child is ready (a byte
 * from daemonize_ready), else the child's own exit status (it closed the
 * pipe by dying). Returns, in the child, the pipe's write end.
 */
static int
daemonize(void)
{
	int fd, p[2], ws;
	ssize_t n;
	pid_t pid;
	char b;

	if (pipe(p) == -1)
		return -1;
	switch ((pid = fork())) {
	case -1:
		return -1;
	case 0:
		close(p[0]);
		break;
	default:
		close(p[1]);
		do
			n = read(p[0], &b, 1);
		while (n == -1 && errno == EINTR);
		if (n == 1)
			_exit(0);
		if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
			_exit(WEXITSTATUS(ws));
		_exit(EXIT_RUNTIME);
	}
	if (fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1 || setsid() == -1)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return p[1];
}

/* The child is ready: the parent may exit 0. */
static void
daemonize_ready(int fd)
{
	if (fd == -1)
		return;
	if (write(fd, "", 1) != 1)
		log_warn("event=daemonize_report_failed");
	close(fd);
}

/* --gen-key FILE. */
static int
gen_key(const char *file)
{
	char err[CONFIG_PATH_MAX + 512];

	if (keygen_write(file, err, sizeof(err)) == -1) {
		fprintf(stderr, "kevy-electd: error: --gen-key: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (strcmp(file, KEYGEN_STDOUT) != 0)
		printf("%s: new peer key written, mode %04o, owner uid %lu; "
		    "every node needs this same key, owned by the user its "
		    "daemon runs as\n", file, KEYGEN_MODE,
		    (unsigned long)geteuid());
	return 0;
}

/* -t: the loaded config, then everything a start would check. */
static int
check_config(const struct config *cfg, const char *path)
{
	int warnings = 0;
	int errors = preflight_run(cfg, PREFLIGHT_CHECK, NULL, report,
	    &warnings);

	if (errors > 0) {
		fprintf(stderr, "kevy-electd: %s: %d problem%s: a start would "
		    "be refused (exit %d)\n", path, errors,
		    errors == 1 ? "" : "s", EXIT_CONFIG);
		return EXIT_CONFIG;
	}
	/* Warnings predict a start by this user that fails or runs lame:
	 * never a bare "valid" over them. */
	if (warnings > 0)
		printf("%s: configuration valid, but see the %d warning%s "
		    "above before a start as uid %lu\n", path, warnings,
		    warnings == 1 ? "" : "s", (unsigned long)geteuid());
	else
		printf("%s: configuration valid\n", path);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "gen-key", required_argument, NULL, 'k' },
		{ "dump-config", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *key_file = NULL;
	bool check_only = false, foreground = false, path_given = false;
	struct event *sigs[3], *watchdog;
	struct pidfile *pf = NULL;
	struct electd d;
	char err[CONFIG_PATH_MAX + 512], q[LOG_VALUE_MAX];
	int ch, rc = 0, ready_fd = -1;

	while ((ch = getopt_long(argc, argv, "c:tfhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; path_given = true; break;
		case 't': check_only = true; break;
		case 'f': foreground = true; break;
		case 'k': key_file = optarg; break;
		case 'D':
			if (config_dump(stdout, optarg) == -1) {
				usage(stderr);
				return EXIT_USAGE;
			}
			return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kevy-electd %s\n", KEVY_ELECTD_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc ||
	    (key_file != NULL && (check_only || foreground || path_given))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (key_file != NULL)
		return gen_key(key_file);
	/*
	 * A start logs from here on, node=- until the config names the node;
	 * -t reports to a person, in sentences.
	 * Timestamps wherever stderr is not the journal, -f or not.
	 */
	if (!check_only)
		log_init(LOG_LEVEL_INFO, !log_stderr_is_journal());
	memset(&d, 0, sizeof(d));
	if (config_load_new(path, &d.cfg, check_only ? report : report_log,
	    NULL) != 0)
		return EXIT_CONFIG;
	if (check_only) {
		rc = check_config(d.cfg, path);
		free(d.cfg);
		return rc;
	}
	log_set_level(d.cfg->log_level);
	log_set_node(d.cfg->node_id);
	signal(SIGPIPE, SIG_IGN);
	if (d.cfg->auth_key_file[0] != '\0' &&
	    (d.auth = calloc(1, sizeof(*d.auth))) == NULL) {
		log_error("event=start_failed error=\"out of memory\"");
		free(d.cfg);
		return EXIT_RUNTIME;
	}
	/* Before daemonize: even without -f, a refusal reaches our caller. */
	if (preflight_start(d.cfg, d.auth, report_log, NULL) > 0) {
		stop(&d);
		free(d.cfg);
		return EXIT_CONFIG;
	}
	/* Before the fork too: a second daemon is refused to our caller. */
	if (d.cfg->pid_file[0] != '\0' &&
	    (pf = pidfile_take(d.cfg->pid_file, err, sizeof(err))) == NULL) {
		log_error("event=start_failed error=%s", LOG_Q(q, err));
		stop(&d);
		free(d.cfg);
		return EXIT_RUNTIME;
	}
	/* stderr stays open: under a supervisor it is the log. */
	if (!foreground && (ready_fd = daemonize()) == -1)
		fatal("event=daemonize_failed");
	if (start(&d, err, sizeof(err)) == -1) {
		log_error("event=start_failed error=%s", LOG_Q(q, err));
		stop(&d);
		pidfile_release(pf);
		free(d.cfg);
		return EXIT_RUNTIME;
	}
	sigs[0] = evsignal_new(d.base, SIGTERM, on_stop, &d);
	sigs[1] = evsignal_new(d.base, SIGINT, on_stop, &d);
	sigs[2] = evsignal_new(d.base, SIGHUP, on_hup, &d);
	for (size_t i = 0; i < 3; i++)
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("event=start_failed reason=signal_handlers");
	log_info("event=started version=%s members=%zu quorum=%zu",
	    KEVY_ELECTD_VERSION, d.cfg->n_members,
	    d.cfg->n_members / 2 + 1);
	/* Sockets bound and state loaded: only now are we ready. */
	if (pf != NULL && pidfile_write(pf, getpid()) == -1) {
		log_warn("event=pid_file_write_failed path=%s",
		    LOG_Q(q, d.cfg->pid_file));
		stop(&d);
		pidfile_release(pf);
		free(d.cfg);
		return EXIT_RUNTIME;
	}
	daemonize_ready(ready_fd);
	if (notify_send("READY=1") == -1)
		log_warn("event=notify_failed message=READY");
	notify_status(core_published(&d));
	watchdog = start_watchdog(&d);
#ifdef __GLIBC__
	/*
	 * What the start freed (the config file's text, libconfig's tree,
	 * the load's scratch) still holds resident heap pages glibc keeps
	 * below its trim threshold: give them back once, before the loop.
	 */
	malloc_trim(0);
#endif
	if (event_base_dispatch(d.base) == -1) {
		log_error("event=event_loop_failed");
		rc = EXIT_RUNTIME;
	}
	notify_send("STOPPING=1");
	if (watchdog != NULL)
		event_free(watchdog);
	for (size_t i = 0; i < 3; i++)
		event_free(sigs[i]);
	stop(&d);
	pidfile_release(pf);
	free(d.cfg);
	log_info("event=stopped");
	return rc;
}
