/*
 * preflight: the start's file checks, shared with -t (see preflight.h).
 * Each check calls the very function the start relies on (auth_key_load,
 * secret_password_load, hook_check_path, metafile_load) rather than a
 * copy of its rules, so the two answers cannot drift apart. All problems
 * are reported, not just the first, like config errors.
 *
 * Access is judged with the effective ids (faccessat AT_EACCESS), the
 * ones the running daemon has: -t must run as the daemon's user to give
 * the daemon's answer. Directories a service manager creates at each
 * start (StateDirectory=, RuntimeDirectory=) may be missing when -t runs:
 * that is a warning there and an error only in a real start.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "fdbudget.h"
#include "hook.h"
#include "metafile.h"
#include "preflight.h"
#include "secret.h"

#define PREFLIGHT_MSG_MAX (3 * CONFIG_PATH_MAX) /* bytes in one report */
#define PREFLIGHT_ERR_MAX (2 * CONFIG_PATH_MAX) /* bytes from a module */
#define STATE_DIR_MODE 0700 /* a state_dir the start creates */
#define PARENT_DIR_MODE 0755 /* its missing parents, and the socket's */

struct preflight {
	const struct config *cfg;
	enum preflight_mode mode;
	config_report_fn *report;
	void *ctx;
	int errors;
};

static void say(struct preflight *, bool, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct preflight *p, bool is_error, const char *fmt, ...)
{
	char msg[PREFLIGHT_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (is_error)
		p->errors++;
	if (p->report != NULL)
		p->report(p->ctx, is_error, msg);
}

/* The directory holding path ("/" for "/x"); path is absolute. */
static void
parent_of(const char *path, char *out, size_t cap)
{
	char *slash;

	snprintf(out, cap, "%s", path);
	for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
		out[n - 1] = '\0';
	if ((slash = strrchr(out, '/')) == NULL)
		snprintf(out, cap, ".");
	else
		slash[slash == out] = '\0';
}

static bool
may_write_in(const char *dir)
{
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
}

/* The nearest directory of path (or path itself) that exists. */
static void
nearest_existing(const char *path, char *out, size_t cap)
{
	struct stat sb;

	snprintf(out, cap, "%s", path);
	while (stat(out, &sb) == -1 && strcmp(out, "/") != 0 &&
	    strcmp(out, ".") != 0) {
		char up[CONFIG_PATH_MAX + 1];

		parent_of(out, up, sizeof up);
		snprintf(out, cap, "%s", up);
	}
}

/*
 * Make dir and its missing parents (mkdir -p): parents PARENT_DIR_MODE,
 * dir itself mode. 0, or -1 with errno.
 */
static int
make_dirs(const char *dir, mode_t mode)
{
	char up[CONFIG_PATH_MAX + 1];
	struct stat sb;

	if (stat(dir, &sb) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	parent_of(dir, up, sizeof up);
	if (strcmp(up, dir) != 0 && make_dirs(up, PARENT_DIR_MODE) == -1)
		return -1;
	if (mkdir(dir, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * A directory missing in -t, which a start would create with its parents
 * (what) : can this user create it? If not, a start by hand fails.
 */
static void
check_creatable(struct preflight *p, const char *what, const char *dir,
    const char *unit_hint)
{
	char base[CONFIG_PATH_MAX + 1];
	int e;

	nearest_existing(dir, base, sizeof base);
	if (may_write_in(base))
		return;
	e = errno;
	say(p, false, "%s: directory %s does not exist and uid %lu cannot "
	    "create it (%s: %s): a start by this user fails unless it is "
	    "made first (%s)", what, dir, (unsigned long)geteuid(), base,
	    strerror(e), unit_hint);
}

/* state_dir (created in a start, as it always was), then elect.meta. */
static void
check_state(struct preflight *p)
{
	const char *dir = p->cfg->state_dir;
	char err[PREFLIGHT_ERR_MAX];
	struct elector_saved saved;
	struct stat sb;
	bool found;
	int e;

	if (p->mode == PREFLIGHT_START && make_dirs(dir, STATE_DIR_MODE) == -1) {
		say(p, true, "state_dir %s: cannot create it: %s", dir,
		    strerror(errno));
		return;
	}
	if (stat(dir, &sb) == -1) {
		if (errno == ENOENT && p->mode == PREFLIGHT_CHECK)
			check_creatable(p, "state_dir", dir, "the units' "
			    "StateDirectory= makes it");
		else
			say(p, true, "state_dir %s: %s", dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		say(p, true, "state_dir %s: not a directory", dir);
		return;
	}
	if (sb.st_mode & 0022)
		say(p, false, "state_dir %s is writable by others (mode %03o)",
		    dir, (unsigned)(sb.st_mode & 0777));
	if (!may_write_in(dir)) {
		e = errno;
		say(p, false, "state_dir %s: uid %lu may not write in it (%s): "
		    "no vote can be saved, so this node will neither vote nor "
		    "stand (run it as the directory's owner, or chown it)", dir,
		    (unsigned long)geteuid(), strerror(e));
	}
	/* Only a missing file is a fresh node (metafile.h): never guess. */
	if (metafile_load(dir, &saved, &found, err, sizeof err) == -1)
		say(p, true, "state_dir: %s: this node's saved epoch and vote "
		    "cannot be read; the daemon will not start over it (a "
		    "fresh start could vote twice in one epoch): see "
		    "kevy-electd(8), FILES", err);
}

static void
check_auth(struct preflight *p, struct auth_key *key)
{
	const char *path = p->cfg->auth_key_file;
	char err[PREFLIGHT_ERR_MAX];
	struct auth_key scratch;
	struct stat sb;

	if (path[0] == '\0')
		return;
	if (key == NULL)
		key = &scratch;
	/* The start's own loader, with the start's owner: one set of rules. */
	if (auth_key_load(path, geteuid(), key, err, sizeof err) == -1) {
		if (stat(path, &sb) == -1 && errno == ENOENT)
			say(p, true, "%s (kevy-electd --gen-key %s writes a new "
			    "one)", err, path);
		else
			say(p, true, "%s", err);
	}
	explicit_bzero(&scratch, sizeof scratch);
}

/*
 * server.password_file: secret.c's checks and loader, the ones the start
 * keeps the password with. keep: where a start keeps it; NULL: -t, read
 * into a buffer wiped at once.
 */
static void
check_server_password(struct preflight *p, char *keep)
{
	const char *path = p->cfg->server.password_file;
	char err[PREFLIGHT_ERR_MAX], scratch[CONFIG_SERVER_PASSWORD_MAX + 1];

	if (!p->cfg->server.enabled || path[0] == '\0')
		return;
	if (secret_password_load("server.password_file", path, geteuid(),
	    keep != NULL ? keep : scratch, CONFIG_SERVER_PASSWORD_MAX, err,
	    sizeof err) == -1)
		say(p, true, "%s", err);
	explicit_bzero(scratch, sizeof scratch);
}

static void
check_hook(struct preflight *p)
{
	char err[PREFLIGHT_ERR_MAX];

	if (p->cfg->notify_exec[0] != '\0' &&
	    hook_check_path(p->cfg->notify_exec, err, sizeof err) == -1)
		say(p, true, "%s", err);
}

/*
 * What ctl_new would refuse before it binds: an unknown group, a path
 * taken by something that is not a socket, a directory it cannot create
 * the socket in. A socket already there is fine: a stale one is
 * replaced, and a live one is a daemon still running (-t on a running
 * node must pass) or one still stopping, which a retry outlasts.
 */
static void
check_control(struct preflight *p)
{
	const char *path = p->cfg->control_path;
	char dir[CONFIG_SUN_PATH_MAX + 1];
	struct stat sb;
	int e;

	if (p->cfg->control_group[0] != '\0' &&
	    getgrnam(p->cfg->control_group) == NULL)
		say(p, true, "control.group %s: no such group",
		    p->cfg->control_group);
	if (lstat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode)) {
		say(p, true, "control.path %s exists and is not a socket; the "
		    "daemon will not replace it", path);
		return;
	}
	parent_of(path, dir, sizeof dir);
	/* A start makes the socket's directory as it makes state_dir. */
	if (p->mode == PREFLIGHT_START && make_dirs(dir, PARENT_DIR_MODE) == -1) {
		say(p, true, "control.path %s: cannot create directory %s: %s",
		    path, dir, strerror(errno));
		return;
	}
	if (stat(dir, &sb) == -1) {
		if (errno == ENOENT && p->mode == PREFLIGHT_CHECK)
			check_creatable(p, "control.path", dir, "the units' "
			    "RuntimeDirectory= makes it");
		else
			say(p, true, "control.path %s: directory %s: %s", path,
			    dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode))
		say(p, true, "control.path %s: %s is not a directory", path,
		    dir);
	else if (!may_write_in(dir)) {
		e = errno;
		say(p, true, "control.path %s: uid %lu may not create the "
		    "socket in %s: %s", path, (unsigned long)geteuid(), dir,
		    strerror(e));
	}
}

/* pid_file: its directory must be there and take a new file. A file
 * already there is fine (a stale one is reused; a live holder is refused
 * by the start itself, while -t on a running node must pass). */
static void
check_pid_file(struct preflight *p)
{
	const char *path = p->cfg->pid_file;
	char dir[CONFIG_PATH_MAX + 1];
	struct stat sb;

	if (path[0] == '\0')
		return;
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		say(p, true, "pid_file %s exists and is not a regular file",
		    path);
		return;
	}
	parent_of(path, dir, sizeof dir);
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		say(p, true, "pid_file %s: directory %s does not exist", path,
		    dir);
	else if (!may_write_in(dir) && access(path, W_OK) == -1)
		say(p, true, "pid_file %s: uid %lu may not create it in %s: %s",
		    path, (unsigned long)geteuid(), dir, strerror(errno));
}

/* The hard RLIMIT_NOFILE (what the start may raise to) must hold the
 * descriptor reserve and the minimum caps (fdbudget.h). */
static void
check_descriptors(struct preflight *p)
{
	uint64_t need = fdbudget_need(p->cfg->n_members);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_max == RLIM_INFINITY ||
	    (uint64_t)rl.rlim_max >= need)
		return;
	say(p, true, "RLIMIT_NOFILE (hard) is %lu: %zu members need at "
	    "least %lu descriptors (raise LimitNOFILE= or ulimit -n)",
	    (unsigned long)rl.rlim_max, p->cfg->n_members,
	    (unsigned long)need);
}

static int
run(const struct config *cfg, enum preflight_mode mode, struct auth_key *key,
    char *password, config_report_fn *report, void *ctx)
{
	struct preflight p = { .cfg = cfg, .mode = mode, .report = report,
	    .ctx = ctx };

	check_state(&p);
	check_auth(&p, key);
	check_server_password(&p, password);
	check_hook(&p);
	check_control(&p);
	check_pid_file(&p);
	check_descriptors(&p);
	return p.errors;
}

int
preflight_run(const struct config *cfg, enum preflight_mode mode,
    struct auth_key *key, config_report_fn *report, void *ctx)
{
	return run(cfg, mode, key, NULL, report, ctx);
}

int
preflight_start(struct config *cfg, struct auth_key *key,
    config_report_fn *report, void *ctx)
{
	int errors = run(cfg, PREFLIGHT_START, key, cfg->server.password,
	    report, ctx);

	/* Half a start keeps no secret. */
	if (errors > 0)
		explicit_bzero(cfg->server.password,
		    sizeof cfg->server.password);
	return errors;
}
