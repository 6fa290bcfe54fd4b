/*
 * kevy-electctl: the operator's client of a kevy-electd control socket
 * (docs/reference/control-protocol.md; kevy-electctl(1)). One command per
 * run: it checks its arguments, finds the socket (-s, or control.path of
 * the config the daemon reads), sends one request line and prints the
 * reply, for a person or (--json) for a script. watch follows the WATCH
 * stream until interrupted.
 *
 * It must never hang (every wait has a deadline but watch's, which a
 * signal ends), never print a reply it did not understand as if it had,
 * and always say with its exit code what happened: 0 done, 1 the daemon
 * answered ERR, 2 usage (or a config it cannot read), 3 no answer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "ctl_parse.h"
#include "num.h"
#include "show.h"
#include "wire.h"

#define ELECTCTL_VERSION "0.1.0"

/* Exit codes (kevy-electctl(1)). */
#define ELECTCTL_EXIT_OK    0   /* done */
#define ELECTCTL_EXIT_ERR   1   /* the daemon answered ERR */
#define ELECTCTL_EXIT_USAGE 2   /* bad arguments, or a config it cannot read */
#define ELECTCTL_EXIT_CONN  3   /* cannot connect, no reply in time, cut off */

/* Bound on connecting and on each reply: a live daemon answers in < 1 ms. */
#define ELECTCTL_TIMEOUT_MS 5000
/* A switchover without --timeout: the daemon's own bound, whatever it is,
 * is well under this; with --timeout T the wait is T + ELECTCTL_TIMEOUT_MS. */
#define ELECTCTL_SWITCHOVER_WAIT_MS 60000
#define ELECTCTL_ARG_MS_MAX 3600000   /* --timeout at most: one hour */

static volatile sig_atomic_t stop_flag;

struct ctx {
	const char	*prog;
	const char	*socket;     /* -s */
	const char	*config;     /* -c */
	bool		 json;
	struct conn	*conn;
};

struct cmd {
	const char *name;
	int (*fn)(struct ctx *, int argc, char **argv);
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: kevy-electctl [-s SOCKET] [-c FILE] [--json] COMMAND [ARGS]\n"
"       kevy-electctl -h | -V\n"
"\n"
"Talk to the kevy-electd on this host through its control socket.\n"
"\n"
"commands:\n"
"  status                 this node's STATUS (--json: STATUS JSON)\n"
"  list                   the cluster table as this node sees it\n"
"  watch                  one line per change, until interrupted\n"
"  switchover [--to ID] [--timeout MS]\n"
"                         hand the primary role over (on the primary's node)\n"
"  pause [--for SECONDS]  maintenance pause: no failover while it lasts\n"
"  resume                 end a pause\n"
"  ping                   is the daemon answering?\n"
"  raw LINE...            send one request line, print the reply line\n"
"\n"
"options:\n"
"  -s, --socket SOCKET    the control socket (default: control.path of the\n"
"                         config, else " CONFIG_DEFAULT_CONTROL ")\n"
"  -c, --config FILE      read control.path from FILE (default:\n"
"                         " CONFIG_DEFAULT_PATH ", if it exists)\n"
"      --json             print JSON, one line, for scripts\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n"
"\n"
"exit status: 0 done; 1 the daemon answered ERR; 2 usage error, or the\n"
"config cannot be read; 3 cannot connect, or no reply within %d ms\n"
"(a switchover waits for its --timeout plus that).\n", ELECTCTL_TIMEOUT_MS);
}

static int bad_usage(struct ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad_usage(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", x->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(%s --help for usage)\n", x->prog);
	return ELECTCTL_EXIT_USAGE;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ---- the socket path ---- */

static void
report(void *ctx, bool is_error, const char *msg)
{
	struct ctx *x = ctx;

	/* Warnings are the daemon's business; only what stops a load counts. */
	if (is_error)
		fprintf(stderr, "%s: %s\n", x->prog, msg);
}

/* x->socket from -s, -c, the default config or the default path. */
static int
find_socket(struct ctx *x)
{
	static char path[CONFIG_SUN_PATH_MAX + 1];
	const char *file = x->config;
	struct config *cfg;

	if (x->socket != NULL)
		return ELECTCTL_EXIT_OK;
	if (file == NULL) {
		if (access(CONFIG_DEFAULT_PATH, F_OK) == -1) {
			x->socket = CONFIG_DEFAULT_CONTROL;
			return ELECTCTL_EXIT_OK;
		}
		file = CONFIG_DEFAULT_PATH;
	}
	if ((cfg = calloc(1, sizeof *cfg)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", x->prog);
		return ELECTCTL_EXIT_CONN;
	}
	if (config_load(file, cfg, report, x) != 0) {
		fprintf(stderr, "%s: cannot take control.path from %s; give "
		    "the socket with -s SOCKET\n", x->prog, file);
		free(cfg);
		return ELECTCTL_EXIT_USAGE;
	}
	snprintf(path, sizeof path, "%s", cfg->control_path);
	free(cfg);
	x->socket = path;
	return ELECTCTL_EXIT_OK;
}

/* ---- one request ---- */

/*
 * Send line, read one reply line into *reply (valid until the next
 * read). ELECTCTL_EXIT_OK, or ELECTCTL_EXIT_CONN with the reason said.
 */
static int
request(struct ctx *x, const char *line, uint64_t timeout_ms, char **reply)
{
	char err[512];
	enum conn_result r;
	size_t len;
	int rc;

	if ((rc = find_socket(x)) != ELECTCTL_EXIT_OK)
		return rc;
	if ((x->conn = conn_open(x->socket, ELECTCTL_TIMEOUT_MS, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "%s: %s (is kevy-electd running? -s SOCKET or "
		    "-c FILE name another socket)\n", x->prog, err);
		return ELECTCTL_EXIT_CONN;
	}
	if ((r = conn_send(x->conn, line, ELECTCTL_TIMEOUT_MS)) == CONN_OK)
		r = conn_read_line(x->conn, timeout_ms, &stop_flag, reply,
		    &len);
	switch (r) {
	case CONN_OK:
		return ELECTCTL_EXIT_OK;
	case CONN_TIMEOUT:
		fprintf(stderr, "%s: %s: no reply within %" PRIu64 " ms\n",
		    x->prog, x->socket, timeout_ms);
		break;
	case CONN_CLOSED:
		fprintf(stderr, "%s: %s: the daemon closed the connection "
		    "without a reply\n", x->prog, x->socket);
		break;
	case CONN_TOO_LONG:
		fprintf(stderr, "%s: %s: reply longer than %d bytes\n",
		    x->prog, x->socket, (int)CONN_REPLY_MAX);
		break;
	case CONN_INTERRUPTED:
		fprintf(stderr, "%s: interrupted\n", x->prog);
		break;
	case CONN_ERROR:
		fprintf(stderr, "%s: %s: %s\n", x->prog, x->socket,
		    conn_error(x->conn));
		break;
	}
	return ELECTCTL_EXIT_CONN;
}

static bool
is_err(const char *reply)
{
	return strncmp(reply, "ERR", 3) == 0 &&
	    (reply[3] == ' ' || reply[3] == '\0');
}

/* The daemon said ERR: say so, the way the output mode asks. */
static int
daemon_err(struct ctx *x, const char *what, const char *verb,
    const char *reply)
{
	const char *reason = reply[3] == ' ' ? reply + 4 : "(no reason)";

	if (x->json) {
		fputs("{\"ok\":false,\"error\":", stdout);
		show_json_str(stdout, reason);
		fputs("}\n", stdout);
	} else {
		fprintf(stderr, "%s: %s: %s\n", x->prog, what, reason);
		if (strncmp(reason, "unknown command", 15) == 0 && verb != NULL)
			fprintf(stderr, "%s: this kevy-electd does not know "
			    "%s: it is older than this kevy-electctl\n",
			    x->prog, verb);
	}
	return ELECTCTL_EXIT_ERR;
}

/* A command without arguments: anything given is a usage error. */
static int
no_args(struct ctx *x, const char *cmd, int argc, char **argv)
{
	(void)cmd;
	if (argc > 1)
		return bad_usage(x, "unexpected argument '%s'", argv[1]);
	return ELECTCTL_EXIT_OK;
}

/*
 * "--name VALUE" or "--name=VALUE" at argv[*i]: 1 with *val set (and *i
 * past it), 0 if argv[*i] is not --name, -1 if its value is missing.
 */
static int
opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return **val != '\0' ? 1 : -1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc || argv[*i + 1][0] == '\0')
		return -1;
	*val = argv[++*i];
	return 1;
}

/* ---- the commands ---- */

static int
cmd_status(struct ctx *x, int argc, char **argv)
{
	char *reply;
	int rc;

	if ((rc = no_args(x, "status", argc, argv)) != 0 ||
	    (rc = request(x, x->json ? "STATUS JSON" : "STATUS",
	    ELECTCTL_TIMEOUT_MS, &reply)) != 0)
		return rc;
	if (is_err(reply))
		return daemon_err(x, "status", NULL, reply);
	if (x->json)
		printf("%s\n", reply);
	else
		show_status(stdout, reply);
	return ELECTCTL_EXIT_OK;
}

static int
cmd_list(struct ctx *x, int argc, char **argv)
{
	const char *why;
	char *reply;
	int rc;

	if ((rc = no_args(x, "list", argc, argv)) != 0 ||
	    (rc = request(x, "CLUSTER", ELECTCTL_TIMEOUT_MS, &reply)) != 0)
		return rc;
	if (is_err(reply))
		return daemon_err(x, "list", "CLUSTER", reply);
	if (x->json) {
		printf("%s\n", reply);
		return ELECTCTL_EXIT_OK;
	}
	if (show_table(stdout, reply, &why) == -1) {
		fprintf(stderr, "%s: list: cannot read the daemon's CLUSTER "
		    "reply: %s\n", x->prog, why);
		return ELECTCTL_EXIT_CONN;
	}
	return ELECTCTL_EXIT_OK;
}

static int
cmd_watch(struct ctx *x, int argc, char **argv)
{
	struct sigaction sa;
	enum conn_result r;
	uint64_t timeout = ELECTCTL_TIMEOUT_MS;
	char *line;
	size_t len;
	int rc;

	if ((rc = no_args(x, "watch", argc, argv)) != 0)
		return rc;
	/* Interrupted is the normal end: no SA_RESTART, poll must return. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((rc = request(x, "WATCH", ELECTCTL_TIMEOUT_MS, &line)) != 0)
		return stop_flag ? ELECTCTL_EXIT_OK : rc;
	if (is_err(line))
		return daemon_err(x, "watch", "WATCH", line);
	for (;;) {
		show_watch(stdout, line, x->json);
		/* After the first line, changes come when they come. */
		timeout = 0;
		r = conn_read_line(x->conn, timeout, &stop_flag, &line, &len);
		if (r == CONN_INTERRUPTED)
			return ELECTCTL_EXIT_OK;
		if (r != CONN_OK)
			break;
	}
	fprintf(stderr, "%s: watch: %s\n", x->prog, r == CONN_CLOSED ?
	    "the daemon closed the connection" : r == CONN_TOO_LONG ?
	    "line too long" : conn_error(x->conn));
	return ELECTCTL_EXIT_CONN;
}

/* "OK <id> epoch=<e> ms=<t>" for a person, or as a JSON object. */
static void
print_switchover(struct ctx *x, const char *reply)
{
	char id[WIRE_ID_MAX + 2] = "", epoch[32], ms[32];
	uint64_t v;
	size_t n;

	if (strncmp(reply, "OK ", 3) == 0 &&
	    (n = strcspn(reply + 3, " ")) <= WIRE_ID_MAX)
		snprintf(id, sizeof id, "%.*s", (int)n, reply + 3);
	show_field(reply, "epoch", epoch, sizeof epoch);
	show_field(reply, "ms", ms, sizeof ms);
	/* Numbers or nothing: JSON must not get a word where a number goes. */
	if (num_parse_u64(epoch, strlen(epoch), &v) == -1)
		epoch[0] = '\0';
	if (num_parse_u64(ms, strlen(ms), &v) == -1)
		ms[0] = '\0';
	if (x->json) {
		fputs("{\"ok\":true,\"primary\":", stdout);
		show_json_str(stdout, id);
		printf(",\"epoch\":%s,\"ms\":%s,\"reply\":", epoch[0] != '\0' ?
		    epoch : "null", ms[0] != '\0' ? ms : "null");
		show_json_str(stdout, reply);
		fputs("}\n", stdout);
	} else if (id[0] != '\0' && epoch[0] != '\0' && ms[0] != '\0')
		printf("switched over: %s is primary, epoch %s, in %s ms\n",
		    id, epoch, ms);
	else
		printf("%s\n", reply);
}

static int
cmd_switchover(struct ctx *x, int argc, char **argv)
{
	const char *to = NULL, *tmo = NULL;
	uint64_t ms = 0, wait = ELECTCTL_SWITCHOVER_WAIT_MS;
	char line[CTL_LINE_MAX + 1], *reply;
	int rc, r;

	for (int i = 1; i < argc; i++) {
		if ((r = opt_value(argc, argv, &i, "--to", &to)) == -1)
			return bad_usage(x, "%s needs a node id", "--to");
		if (r == 1)
			continue;
		if ((r = opt_value(argc, argv, &i, "--timeout", &tmo)) == -1)
			return bad_usage(x, "%s needs milliseconds",
			    "--timeout");
		if (r == 0)
			return bad_usage(x, "switchover: unexpected argument "
			    "'%s'", argv[i]);
	}
	if (to != NULL && (!wire_id_is_valid(to, strlen(to)) ||
	    strcmp(to, "-") == 0))
		return bad_usage(x, "--to '%s': not a node id (printable "
		    "ASCII, no spaces, at most 32 bytes)", to);
	if (tmo != NULL) {
		if (num_parse_u64(tmo, strlen(tmo), &ms) == -1 || ms == 0 ||
		    ms > ELECTCTL_ARG_MS_MAX)
			return bad_usage(x, "--timeout '%s': want milliseconds, "
			    "1 to 3600000", tmo);
		wait = ms + ELECTCTL_TIMEOUT_MS;
	}
	/* "-" (no member may be called that) stands for "the daemon's choice". */
	if (tmo != NULL)
		snprintf(line, sizeof line, "SWITCHOVER %s %" PRIu64,
		    to != NULL ? to : "-", ms);
	else if (to != NULL)
		snprintf(line, sizeof line, "SWITCHOVER %s", to);
	else
		snprintf(line, sizeof line, "SWITCHOVER");
	if ((rc = request(x, line, wait, &reply)) != 0)
		return rc;
	if (is_err(reply))
		return daemon_err(x, "switchover", "SWITCHOVER", reply);
	print_switchover(x, reply);
	return ELECTCTL_EXIT_OK;
}

/* An OK reply of a verb without a richer answer: as it came, or as JSON. */
static int
print_ok(struct ctx *x, const char *reply)
{
	if (x->json) {
		fputs("{\"ok\":true,\"reply\":", stdout);
		show_json_str(stdout, reply);
		fputs("}\n", stdout);
	} else
		printf("%s\n", reply);
	return ELECTCTL_EXIT_OK;
}

static int
cmd_pause(struct ctx *x, int argc, char **argv)
{
	const char *secs = NULL;
	char line[CTL_LINE_MAX + 1], *reply;
	uint64_t s = 0;
	int rc, r;

	for (int i = 1; i < argc; i++) {
		if ((r = opt_value(argc, argv, &i, "--for", &secs)) == -1)
			return bad_usage(x, "%s needs seconds", "--for");
		if (r == 0)
			return bad_usage(x, "pause: unexpected argument '%s'",
			    argv[i]);
	}
	/* The range is the daemon's (its maximum pause); the form is ours. */
	if (secs != NULL && num_parse_u64(secs, strlen(secs), &s) == -1)
		return bad_usage(x, "--for '%s': want whole seconds (digits "
		    "only)", secs);
	if (secs != NULL)
		snprintf(line, sizeof line, "PAUSE %" PRIu64, s);
	else
		snprintf(line, sizeof line, "PAUSE");
	if ((rc = request(x, line, ELECTCTL_TIMEOUT_MS, &reply)) != 0)
		return rc;
	if (is_err(reply))
		return daemon_err(x, "pause", "PAUSE", reply);
	return print_ok(x, reply);
}

static int
cmd_resume(struct ctx *x, int argc, char **argv)
{
	char *reply;
	int rc;

	if ((rc = no_args(x, "resume", argc, argv)) != 0 ||
	    (rc = request(x, "RESUME", ELECTCTL_TIMEOUT_MS, &reply)) != 0)
		return rc;
	if (is_err(reply))
		return daemon_err(x, "resume", "RESUME", reply);
	return print_ok(x, reply);
}

static int
cmd_ping(struct ctx *x, int argc, char **argv)
{
	uint64_t t0 = conn_now_ms();
	char *reply;
	int rc;

	if ((rc = no_args(x, "ping", argc, argv)) != 0 ||
	    (rc = request(x, "PING", ELECTCTL_TIMEOUT_MS, &reply)) != 0)
		return rc;
	if (is_err(reply))
		return daemon_err(x, "ping", NULL, reply);
	if (strcmp(reply, "PONG") != 0) {
		fprintf(stderr, "%s: ping: unexpected reply '%.64s'\n",
		    x->prog, reply);
		return ELECTCTL_EXIT_CONN;
	}
	if (x->json)
		printf("{\"ok\":true,\"reply\":\"PONG\",\"ms\":%" PRIu64 "}\n",
		    conn_now_ms() - t0);
	else
		printf("PONG from %s in %" PRIu64 " ms\n", x->socket,
		    conn_now_ms() - t0);
	return ELECTCTL_EXIT_OK;
}

static int
cmd_raw(struct ctx *x, int argc, char **argv)
{
	char line[CTL_LINE_MAX + 1], *reply;
	size_t len = 0, n;
	int rc;

	if (argc < 2)
		return bad_usage(x, "%s: needs the request line", "raw");
	for (int i = 1; i < argc; i++) {
		n = strlen(argv[i]);
		if (len + n + (i > 1) > CTL_LINE_MAX)
			return bad_usage(x, "raw: the line is longer than the "
			    "%d bytes a request may have", CTL_LINE_MAX);
		if (i > 1)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len] = '\0';
	if (strpbrk(line, "\r\n") != NULL)
		return bad_usage(x, "raw: %s", "one line only: no CR or LF "
		    "inside");
	if ((rc = request(x, line, ELECTCTL_TIMEOUT_MS, &reply)) != 0)
		return rc;
	if (x->json) {
		printf("{\"ok\":%s,\"reply\":", is_err(reply) ? "false" :
		    "true");
		show_json_str(stdout, reply);
		fputs("}\n", stdout);
	} else
		printf("%s\n", reply);
	return is_err(reply) ? ELECTCTL_EXIT_ERR : ELECTCTL_EXIT_OK;
}

static const struct cmd cmds[] = {
	{ "status", cmd_status },
	{ "list", cmd_list },
	{ "watch", cmd_watch },
	{ "switchover", cmd_switchover },
	{ "pause", cmd_pause },
	{ "resume", cmd_resume },
	{ "ping", cmd_ping },
	{ "raw", cmd_raw },
};

/*
 * "kevy-electctl list --json" is how people type it: --json after the
 * command counts as before it, but for raw, whose words are the line.
 */
static int
json_after_command(struct ctx *x, int argc, char **argv)
{
	int out = optind + 1;

	if (strcmp(argv[optind], "raw") == 0)
		return argc;
	for (int i = optind + 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			x->json = true;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx x = { .prog = "kevy-electctl" };
	int ch, rc;

	/* "+": options stop at the command; its own come after it. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+s:c:hV", longs, NULL)) != -1) {
		switch (ch) {
		case 's':
			x.socket = optarg;
			break;
		case 'c':
			x.config = optarg;
			break;
		case 'j':
			x.json = true;
			break;
		case 'h':
			usage(stdout);
			return ELECTCTL_EXIT_OK;
		case 'V':
			printf("kevy-electctl " ELECTCTL_VERSION "\n");
			return ELECTCTL_EXIT_OK;
		default:
			if (optopt != 0 && strchr("sc", optopt) != NULL)
				return bad_usage(&x, "-%c needs a value",
				    optopt);
			return bad_usage(&x, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (x.socket != NULL && x.socket[0] == '\0')
		return bad_usage(&x, "%s: empty socket path", "-s");
	if (optind >= argc)
		return bad_usage(&x, "%s", "no command given");
	argc = json_after_command(&x, argc, argv);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			rc = cmds[i].fn(&x, argc - optind, argv + optind);
			conn_close(x.conn);
			return rc;
		}
	return bad_usage(&x, "unknown command '%s'", argv[optind]);
}
