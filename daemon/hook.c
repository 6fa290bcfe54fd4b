/*
 * hook: runs notify_exec on role and primary changes (see hook.h). One
 * child at a time, in event order, from a bounded FIFO; the loop learns
 * of a child's exit from SIGCHLD (evsignal) and reaps it with
 * waitpid(WNOHANG), then starts the next queued run at once. A timer per
 * run SIGKILLs the child's process group past notify_timeout_ms.
 *
 * The child's stdout and stderr are a pipe the loop reads: each line
 * it writes becomes one event=hook_output line of the log, with the
 * run's number, quoted (HOOK_OUTPUT_LINE_MAX, HOOK_OUTPUT_MAX bound it).
 *
 * It must never block the loop (no waitpid without WNOHANG but at
 * shutdown), never go through a shell, and never let the child inherit
 * the daemon's sockets, signal handlers or blocked signals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "change.h"
#include "clock.h"
#include "hook.h"
#include "util.h"
#include "log.h"
#include "wire.h"

#define HOOK_ARGC     7   /* PATH EVENT NEW OLD EPOCH PRIMARY ADDR */
#define HOOK_ENVC     7   /* KEVY_* variables added to the environment */
#define HOOK_ENV_MAX  (WIRE_ADDR_MAX + 32) /* bytes in one KEVY_x=value */
#define HOOK_NUM_MAX  24  /* bytes in a decimal uint64_t, with NUL */
#define HOOK_READ_MAX 4096 /* bytes read from the output pipe at once */
#define HOOK_DRAIN_READS 32 /* reads at most when the child has exited */

extern char **environ;

/* One change waiting for (or having) its run. */
struct hook_event {
	const char *event;                   /* "role" or "primary" */
	enum wire_role role;
	enum wire_role old_role;
	uint64_t epoch;
	char primary[WIRE_ID_MAX + 1];       /* "" when none */
	char primary_addr[WIRE_ADDR_MAX + 1];
	char node_id[WIRE_ID_MAX + 1];
};

struct hook {
	struct event_base *base;
	char path[CONFIG_PATH_MAX + 1];
	uint64_t timeout_ms;
	struct event *sigchld;
	struct event *timer;                 /* the running child's deadline */
	/* FIFO ring: queue[(head + i) % HOOK_QUEUE_MAX], i < queued. */
	struct hook_event queue[HOOK_QUEUE_MAX];
	size_t head;
	size_t queued;
	/* The running child, if pid > 0. */
	pid_t pid;
	uint64_t run;                        /* its number, 1-based */
	struct hook_event cur;
	uint64_t started_ms;
	bool timed_out;
	/* Its output: the pipe's read end (-1: none), the line so far. */
	int out_fd;
	struct event *out_ev;
	char out_line[HOOK_OUTPUT_LINE_MAX];
	size_t out_len;
	uint64_t out_bytes;                  /* logged this run */
	uint64_t out_dropped;                /* past HOOK_OUTPUT_MAX */
	struct hook_stats stats;
};

static const char *
or_none(const char *s)
{
	return s[0] != '\0' ? s : "none";
}

/* Close every descriptor from lo up to hi (inclusive). */
static void
close_from(int lo, int hi)
{
	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0U) == 0)
		return;
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);

		if (max <= 0)
			max = 1024;
		for (long i = lo; i <= hi && i < max; i++)
			close((int)i);
	}
}

/*
 * In the child, between fork and execve: a clean slate, then exec. Only
 * what the hook needs survives: stdin is /dev/null, stdout and stderr
 * are the output pipe (out: its write end), nothing else. The daemon's
 * stderr is kept aside, close-on-exec, to say why an exec failed.
 */
static void __attribute__((noreturn))
child(const struct hook *h, int out, char *const argv[], char *const envp[])
{
	char q[LOG_VALUE_MAX];
	struct sigaction sa;
	sigset_t none;
	int fd, logfd;

	/* Handlers would run libevent's code; SIG_IGN (SIGPIPE) survives exec. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Its own process group, so a timeout kills what it spawned too. */
	(void)setpgid(0, 0);
	if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	logfd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (out >= 0 && (dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(out, STDERR_FILENO) == -1))
		_exit(127);
	if (logfd >= 3) {
		close_from(3, logfd - 1);
		close_from(logfd + 1, INT_MAX);
	} else
		close_from(3, INT_MAX);
	execve(h->path, argv, envp);
	if (logfd >= 0)
		dup2(logfd, STDERR_FILENO);
	log_warn("event=hook_exec_failed run=%" PRIu64 " change=%s path=%s",
	    h->run, h->cur.event, LOG_Q(q, h->path));
	_exit(127);
}

static bool
env_is_ours(const char *kv)
{
	return strncmp(kv, "KEVY_", 5) == 0 && (
	    strncmp(kv, "KEVY_EVENT=", 11) == 0 ||
	    strncmp(kv, "KEVY_ROLE=", 10) == 0 ||
	    strncmp(kv, "KEVY_OLD_ROLE=", 14) == 0 ||
	    strncmp(kv, "KEVY_EPOCH=", 11) == 0 ||
	    strncmp(kv, "KEVY_PRIMARY=", 13) == 0 ||
	    strncmp(kv, "KEVY_PRIMARY_ADDR=", 18) == 0 ||
	    strncmp(kv, "KEVY_NODE_ID=", 13) == 0);
}

/* One line of the hook's output (without its end) into the log. */
static void
output_line(struct hook *h, const char *s, size_t len)
{
	char q[LOG_QUOTE_MAX(HOOK_OUTPUT_LINE_MAX)];

	if (h->out_bytes + len > HOOK_OUTPUT_MAX) {
		h->out_dropped += len + 1;
		return;
	}
	h->out_bytes += len + 1;
	log_info("event=hook_output run=%" PRIu64 " line=%s", h->run,
	    log_quote_bytes(q, sizeof(q), s, len));
}

/* Bytes read from the pipe: whole lines out, a long one in pieces. */
static void
output_feed(struct hook *h, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			output_line(h, h->out_line, h->out_len);
			h->out_len = 0;
			continue;
		}
		if (h->out_len == sizeof(h->out_line)) {
			output_line(h, h->out_line, h->out_len);
			h->out_len = 0;
		}
		h->out_line[h->out_len++] = buf[i];
	}
}

/* The pipe is done with (EOF, or the child is gone): flush and close. */
static void
output_close(struct hook *h)
{
	if (h->out_fd < 0)
		return;
	if (h->out_len > 0)
		output_line(h, h->out_line, h->out_len);
	if (h->out_dropped > 0)
		log_warnx("event=hook_output_dropped run=%" PRIu64 " bytes=%"
		    PRIu64 " max=%d", h->run, h->out_dropped, HOOK_OUTPUT_MAX);
	event_free(h->out_ev);
	h->out_ev = NULL;
	close(h->out_fd);
	h->out_fd = -1;
	h->out_len = 0;
}

/* One read; false at EOF or on an error (then the pipe is closed). */
static bool
output_read(struct hook *h)
{
	char buf[HOOK_READ_MAX];
	ssize_t n;

	while ((n = read(h->out_fd, buf, sizeof(buf))) == -1 && errno == EINTR)
		;
	if (n > 0) {
		output_feed(h, buf, (size_t)n);
		return true;
	}
	if (n == -1 && errno == EAGAIN)
		return false;
	output_close(h);
	return false;
}

static void
on_output(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	output_read(arg);
}

/*
 * The child has exited: what it wrote is in the pipe; take it, then
 * close (a process it left behind writes into a closed pipe).
 */
static void
output_drain(struct hook *h)
{
	for (int i = 0; i < HOOK_DRAIN_READS && h->out_fd >= 0; i++)
		if (!output_read(h))
			break;
	output_close(h);
}

/* The pipe for the next child's output; its write end, or -1. */
static int
output_open(struct hook *h)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1 ||
	    (h->out_ev = event_new(h->base, p[0], EV_READ | EV_PERSIST,
	    on_output, h)) == NULL || event_add(h->out_ev, NULL) == -1) {
		if (h->out_ev != NULL)
			event_free(h->out_ev);
		h->out_ev = NULL;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	h->out_fd = p[0];
	h->out_len = 0;
	h->out_bytes = h->out_dropped = 0;
	return p[1];
}

/* Fork and exec the hook for h->cur; 0, or -1 (logged, counted). */
static int
spawn(struct hook *h)
{
	const struct hook_event *ev = &h->cur;
	char epoch[HOOK_NUM_MAX];
	char env[HOOK_ENVC][HOOK_ENV_MAX];
	char *argv[HOOK_ARGC + 1];
	char **envp;
	size_t n = 0, k = 0;
	sigset_t all, old;
	pid_t pid;
	int saved, out;

	/* Everything the child needs is built here: it only resets and execs. */
	snprintf(epoch, sizeof(epoch), "%" PRIu64, ev->epoch);
	argv[0] = h->path;
	argv[1] = (char *)ev->event;
	argv[2] = (char *)wire_role_label(ev->role);
	argv[3] = (char *)wire_role_label(ev->old_role);
	argv[4] = epoch;
	argv[5] = (char *)or_none(ev->primary);
	argv[6] = (char *)or_none(ev->primary_addr);
	argv[7] = NULL;
	snprintf(env[0], HOOK_ENV_MAX, "KEVY_EVENT=%s", argv[1]);
	snprintf(env[1], HOOK_ENV_MAX, "KEVY_ROLE=%s", argv[2]);
	snprintf(env[2], HOOK_ENV_MAX, "KEVY_OLD_ROLE=%s", argv[3]);
	snprintf(env[3], HOOK_ENV_MAX, "KEVY_EPOCH=%s", argv[4]);
	snprintf(env[4], HOOK_ENV_MAX, "KEVY_PRIMARY=%s", argv[5]);
	snprintf(env[5], HOOK_ENV_MAX, "KEVY_PRIMARY_ADDR=%s", argv[6]);
	snprintf(env[6], HOOK_ENV_MAX, "KEVY_NODE_ID=%s", ev->node_id);
	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((envp = calloc(n + HOOK_ENVC + 1, sizeof(*envp))) == NULL) {
		log_warn("event=hook_spawn_failed run=%" PRIu64 " change=%s "
		    "reason=environment", h->run, ev->event);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!env_is_ours(environ[i]))
			envp[k++] = environ[i];
	for (size_t i = 0; i < HOOK_ENVC; i++)
		envp[k++] = env[i];
	envp[k] = NULL;

	/* Without a pipe the run goes ahead; its output is lost, said once. */
	if ((out = output_open(h)) == -1)
		log_warn("event=hook_output_lost run=%" PRIu64 " reason=pipe",
		    h->run);
	/* No handler may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0)
		child(h, out, argv, envp);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(envp);
	if (out >= 0)
		close(out);
	if (pid == -1) {
		output_close(h);
		errno = saved;
		log_warn("event=hook_spawn_failed run=%" PRIu64 " change=%s "
		    "reason=fork", h->run, ev->event);
		return -1;
	}
	/* Also here, or a timeout could race the child's own setpgid. */
	(void)setpgid(pid, pid);
	h->pid = pid;
	return 0;
}

static void
start_next(struct hook *h)
{
	while (h->pid <= 0 && h->queued > 0) {
		struct timeval tv;

		h->cur = h->queue[h->head];
		h->head = (h->head + 1) % HOOK_QUEUE_MAX;
		h->queued--;
		h->run = ++h->stats.runs;
		h->timed_out = false;
		h->started_ms = clock_now_ms();
		if (spawn(h) == -1) {
			h->stats.failures++;
			continue;
		}
		log_info("event=hook_start run=%" PRIu64 " change=%s role=%s "
		    "old_role=%s epoch=%" PRIu64 " primary=%s pid=%ld", h->run,
		    h->cur.event,
		    wire_role_label(h->cur.role), wire_role_label(h->cur.old_role),
		    h->cur.epoch, or_none(h->cur.primary), (long)h->pid);
		/* The deadline counts from now, not from the loop's cached time. */
		event_base_update_cache_time(h->base);
		util_ms_to_tv(h->timeout_ms, &tv);
		evtimer_add(h->timer, &tv);
	}
}

/* The running child ended with wait status ws: log, count, clear. */
static void
finished(struct hook *h, int ws)
{
	uint64_t elapsed = clock_now_ms() - h->started_ms;

	evtimer_del(h->timer);
	output_drain(h);
	if (h->timed_out)
		log_warnx("event=hook_end run=%" PRIu64 " change=%s "
		    "result=timeout signal=%d elapsed_ms=%" PRIu64, h->run,
		    h->cur.event,
		    WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, elapsed);
	else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		log_info("event=hook_end run=%" PRIu64 " change=%s result=ok "
		    "exit=0 elapsed_ms=%" PRIu64, h->run, h->cur.event,
		    elapsed);
	else if (WIFEXITED(ws)) {
		h->stats.failures++;
		/* 127: the child's own line says why exec failed. */
		log_warnx("event=hook_end run=%" PRIu64 " change=%s "
		    "result=failed exit=%d elapsed_ms=%" PRIu64, h->run,
		    h->cur.event, WEXITSTATUS(ws), elapsed);
	} else {
		h->stats.failures++;
		log_warnx("event=hook_end run=%" PRIu64 " change=%s "
		    "result=killed signal=%d elapsed_ms=%" PRIu64, h->run,
		    h->cur.event,
		    WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, elapsed);
	}
	h->pid = 0;
}

/* Whether the running child has exited; reaps it without blocking. */
static bool
reaped(struct hook *h)
{
	int ws;
	pid_t r;

	while ((r = waitpid(h->pid, &ws, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == 0)
		return false;
	if (r == -1) {
		/* Not ours any more (ECHILD): nothing to wait for. */
		log_warn("event=hook_wait_failed run=%" PRIu64 " change=%s "
		    "pid=%ld", h->run, h->cur.event, (long)h->pid);
		h->stats.failures++;
		evtimer_del(h->timer);
		output_drain(h);
		h->pid = 0;
		return true;
	}
	finished(h, ws);
	return true;
}

static void
on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct hook *h = arg;

	(void)sig;
	(void)what;
	/* Signals merge: one SIGCHLD may stand for the exit we wait for. */
	if (h->pid > 0 && reaped(h))
		start_next(h);
}

static void
kill_child(const struct hook *h)
{
	if (kill(-h->pid, SIGKILL) == -1)
		(void)kill(h->pid, SIGKILL);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h = arg;

	(void)fd;
	(void)what;
	if (h->pid <= 0 || h->timed_out)
		return;
	h->timed_out = true;
	h->stats.timeouts++;
	log_warnx("event=hook_timeout run=%" PRIu64 " change=%s pid=%ld "
	    "timeout_ms=%" PRIu64 " action=kill", h->run, h->cur.event,
	    (long)h->pid, h->timeout_ms);
	kill_child(h);
	/* Its exit arrives as SIGCHLD; the next run starts from there. */
}

int
hook_check_path(const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (strlen(path) > CONFIG_PATH_MAX) {
		snprintf(err, errlen, "notify_exec: path too long");
		return -1;
	}
	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "notify_exec %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "notify_exec %s: not a regular file",
		    path);
		return -1;
	}
	/* The effective ids are the ones execve will be judged by. */
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == -1) {
		snprintf(err, errlen, "notify_exec %s: not executable: %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

struct hook *
hook_new(struct event_base *base, const char *path, uint64_t timeout_ms,
    char *err, size_t errlen)
{
	char q[LOG_VALUE_MAX];
	struct hook *h;

	if (hook_check_path(path, err, errlen) == -1)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->base = base;
	h->out_fd = -1;
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->timeout_ms = timeout_ms;
	if ((h->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, h)) == NULL ||
	    evsignal_add(h->sigchld, NULL) == -1 ||
	    (h->timer = evtimer_new(base, on_timeout, h)) == NULL) {
		snprintf(err, errlen, "notify_exec: cannot watch SIGCHLD");
		hook_free(h);
		return NULL;
	}
	log_info("event=hook_ready path=%s timeout_ms=%" PRIu64,
	    LOG_Q(q, h->path), timeout_ms);
	return h;
}

void
hook_free(struct hook *h)
{
	if (h == NULL)
		return;
	if (h->pid > 0 && !reaped(h)) {
		int ws;

		log_warnx("event=hook_killed run=%" PRIu64 " change=%s "
		    "pid=%ld reason=shutdown", h->run, h->cur.event,
		    (long)h->pid);
		kill_child(h);
		while (waitpid(h->pid, &ws, 0) == -1 && errno == EINTR)
			;
		h->pid = 0;
	}
	output_drain(h);
	if (h->queued > 0) {
		log_warnx("event=hook_dropped count=%zu reason=shutdown",
		    h->queued);
		h->stats.dropped += h->queued;
		h->queued = 0;
	}
	if (h->timer != NULL)
		event_free(h->timer);
	if (h->sigchld != NULL)
		event_free(h->sigchld);
	free(h);
}

void
hook_on_change(void *ctx, const struct change *ch)
{
	struct hook *h = ctx;
	const struct status *old = ch->was, *st = ch->now;
	struct hook_event *ev;

	if (old->role == st->role && strcmp(old->primary, st->primary) == 0)
		return;  /* epoch, quorum, fencing, peers: not hook events */
	if (h->queued == HOOK_QUEUE_MAX) {
		const struct hook_event *oldest = &h->queue[h->head];

		h->stats.dropped++;
		log_warnx("event=hook_queue_full max=%d dropped_change=%s "
		    "dropped_epoch=%" PRIu64 " dropped_total=%" PRIu64,
		    HOOK_QUEUE_MAX, oldest->event, oldest->epoch,
		    h->stats.dropped);
		h->head = (h->head + 1) % HOOK_QUEUE_MAX;
		h->queued--;
	}
	ev = &h->queue[(h->head + h->queued) % HOOK_QUEUE_MAX];
	memset(ev, 0, sizeof(*ev));
	ev->event = old->role != st->role ? "role" : "primary";
	ev->role = st->role;
	ev->old_role = old->role;
	ev->epoch = st->epoch;
	snprintf(ev->primary, sizeof(ev->primary), "%s", st->primary);
	snprintf(ev->primary_addr, sizeof(ev->primary_addr), "%s",
	    st->primary[0] != '\0' ? st->primary_addr : "");
	snprintf(ev->node_id, sizeof(ev->node_id), "%s", st->node_id);
	h->queued++;
	start_next(h);
}

const struct hook_stats *
hook_stats(const struct hook *h)
{
	return &h->stats;
}

size_t
hook_pending(const struct hook *h)
{
	return h->queued + (h->pid > 0 ? 1 : 0);
}
