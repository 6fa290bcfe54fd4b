/*
 * check_http: the monitoring endpoint (http_listen) of real kevy-electd
 * processes on loopback. A tiny blocking HTTP/1.0 client sends one request
 * per connection and reads the answer to EOF, every read bounded by
 * poll(); the cluster is observed through its WATCH streams, never by
 * sleeping. Checks the Patroni-style status codes, the Prometheus text
 * exposition (format and values) and the limits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "jsoncheck.h"
#include "jsonflat.h"
#include "runner.h"

#define WAIT_MS        15000  /* bound on any one cluster wait */
#define IO_MS          5000   /* bound on one HTTP exchange */
#define REPLY_MAX      262144 /* bytes of one answer kept */
#define CONF_LINE_MAX  128    /* bytes of one extra_conf line */
#define METRICS_MAX    256    /* metric families tracked by the parser */
#define NAME_MAX_LEN   128    /* bytes in a metric name */
#define LONG_HEADER    16384  /* bytes in the over-long header (> 8192) */

struct reply {
	int status;               /* 0: closed without a status line */
	char buf[REPLY_MAX + 1];  /* whole answer, NUL-terminated */
	size_t len;
	const char *body;         /* after the blank line, or "" */
};

static int
dial(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * Send raw, read to EOF (or reset) within IO_MS. 0 with r filled, -1 if
 * the connection failed or the server neither answered nor closed.
 */
static int
exchange(uint16_t port, const char *raw, size_t rawlen, struct reply *r)
{
	uint64_t deadline = cluster_now_us() + (uint64_t)IO_MS * 1000;
	int fd = dial(port);
	size_t off = 0;
	char *eol;

	r->status = 0;
	r->len = 0;
	r->buf[0] = '\0';
	r->body = "";
	if (fd == -1)
		return -1;
	while (off < rawlen) {
		ssize_t n = send(fd, raw + off, rawlen - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;    /* refused mid-request: read what it said */
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = cluster_now_us();
		ssize_t n;

		if (now >= deadline ||
		    poll(&p, 1, (int)((deadline - now) / 1000) + 1) <= 0) {
			close(fd);
			return -1;
		}
		n = read(fd, r->buf + r->len, REPLY_MAX - r->len);
		if (n == 0 || (n < 0 && errno == ECONNRESET) ||
		    r->len == REPLY_MAX)
			break;
		if (n < 0) {
			close(fd);
			return -1;
		}
		r->len += (size_t)n;
	}
	close(fd);
	r->buf[r->len] = '\0';
	if (strncmp(r->buf, "HTTP/1.", 7) == 0 && r->len > 12)
		r->status = (int)strtol(r->buf + 9, NULL, 10);
	if ((eol = strstr(r->buf, "\r\n\r\n")) != NULL)
		r->body = eol + 4;
	return 0;
}

static struct reply *
request(uint16_t port, const char *method, const char *path)
{
	static struct reply r;
	char raw[512];
	int n = snprintf(raw, sizeof(raw), "%s %s HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n\r\n", method, path);

	ck_assert_msg(exchange(port, raw, (size_t)n, &r) == 0,
	    "no answer to %s %s on port %u", method, path, (unsigned)port);
	return &r;
}

static int
status_of(uint16_t port, const char *method, const char *path)
{
	return request(port, method, path)->status;
}

/* A cluster of n whose node i serves HTTP on ports[i]. */
struct hcluster {
	struct cluster *c;
	uint16_t ports[CLUSTER_NODES_MAX];
	char conf[CLUSTER_NODES_MAX][CONF_LINE_MAX];
};

static void
hcluster_new(struct hcluster *h, size_t n)
{
	struct cluster_opts o = { .n = n };

	for (size_t i = 0; i < n; i++) {
		h->ports[i] = cluster_free_port();
		ck_assert_uint_ne(h->ports[i], 0);
		snprintf(h->conf[i], sizeof(h->conf[i]),
		    "http_listen = \"127.0.0.1:%u\";", (unsigned)h->ports[i]);
		o.extra_conf[i] = h->conf[i];
	}
	h->c = cluster_new(&o);
	ck_assert_ptr_nonnull(h->c);
}

static int
hcluster_agree(struct hcluster *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(cluster_start(h->c, i) == 0, "node %zu did not "
		    "start (logs in %s)", i + 1, cluster_dir(h->c));
	ck_assert_msg(cluster_wait(h->c, cluster_agreed, NULL, WAIT_MS),
	    "no agreed primary within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(h->c));
	return cluster_primary(h->c);
}

/*
 * The value of the sample whose name-and-labels part is exactly key.
 * false if there is no such sample.
 */
static bool
sample_value(const char *body, const char *key, double *v)
{
	size_t klen = strlen(key);

	for (const char *line = body; *line != '\0'; ) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*v = strtod(line + klen + 1, NULL);
			return true;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return false;
}

static double
metric(const char *body, const char *key)
{
	double v = 0;

	ck_assert_msg(sample_value(body, key, &v), "no sample %s in:\n%s",
	    key, body);
	return v;
}

struct family {
	char name[NAME_MAX_LEN];
	bool help;
	char type[16];
};

static struct family *
family(struct family *f, size_t *n, const char *name, size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen(f[i].name) == len &&
		    memcmp(f[i].name, name, len) == 0)
			return &f[i];
	ck_assert_uint_lt(*n, METRICS_MAX);
	ck_assert_uint_lt(len, NAME_MAX_LEN);
	memcpy(f[*n].name, name, len);
	f[*n].name[len] = '\0';
	f[*n].help = false;
	f[*n].type[0] = '\0';
	return &f[(*n)++];
}

static size_t
name_len(const char *s)
{
	size_t i = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_' && s[0] != ':')
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':')
		i++;
	return i;
}

/* {k="v",...}: returns the bytes it spans, 0 if malformed. */
static size_t
labels_len(const char *s)
{
	size_t i = 1, n;

	if (s[0] != '{')
		return 0;
	while (s[i] != '}') {
		if ((n = name_len(s + i)) == 0 || s[i + n] != '=' ||
		    s[i + n + 1] != '"')
			return 0;
		i += n + 2;
		while (s[i] != '"') {
			if (s[i] == '\0' || s[i] == '\n')
				return 0;
			if (s[i] == '\\') {
				if (s[i + 1] != '\\' && s[i + 1] != '"' &&
				    s[i + 1] != 'n')
					return 0;
				i++;
			}
			i++;
		}
		i++;
		if (s[i] == ',')
			i++;
		else if (s[i] != '}')
			return 0;
	}
	return i + 1;
}

/* Text exposition 0.0.4, as strictly as this daemon writes it. */
static void
check_exposition(const char *body)
{
	static struct family f[METRICS_MAX];
	size_t nf = 0, samples = 0;
	char line[1024];

	for (const char *p = body; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');
		size_t len, n, l;
		struct family *fam;
		char *end;

		ck_assert_msg(nl != NULL, "last line not terminated");
		len = (size_t)(nl - p);
		ck_assert_uint_lt(len, sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = name_len(line + 7);
			ck_assert_msg(n > 0 && line[7 + n] == ' ', "bad: %s",
			    line);
			fam = family(f, &nf, line + 7, n);
			ck_assert_msg(!fam->help && fam->type[0] == '\0',
			    "HELP twice or after TYPE: %s", line);
			fam->help = true;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = name_len(line + 7);
			ck_assert_msg(n > 0 && line[7 + n] == ' ', "bad: %s",
			    line);
			fam = family(f, &nf, line + 7, n);
			ck_assert_msg(fam->help, "TYPE before HELP: %s", line);
			ck_assert_msg(fam->type[0] == '\0', "TYPE twice: %s",
			    line);
			ck_assert_msg(strcmp(line + 8 + n, "counter") == 0 ||
			    strcmp(line + 8 + n, "gauge") == 0, "type: %s",
			    line);
			snprintf(fam->type, sizeof(fam->type), "%s",
			    line + 8 + n);
			if (strcmp(fam->type, "counter") == 0)
				ck_assert_msg(n > 6 && strncmp(line + 7 + n - 6,
				    "_total", 6) == 0, "counter not _total: %s",
				    line);
			continue;
		}
		ck_assert_msg(line[0] != '#', "stray comment: %s", line);
		n = name_len(line);
		ck_assert_msg(n > 0, "no metric name: %s", line);
		ck_assert_msg(strncmp(line, "kevy_electd_", 12) == 0,
		    "unprefixed: %s", line);
		fam = family(f, &nf, line, n);
		ck_assert_msg(fam->help && fam->type[0] != '\0',
		    "sample before HELP and TYPE: %s", line);
		l = line[n] == '{' ? labels_len(line + n) : 0;
		ck_assert_msg(line[n] != '{' || l > 0, "bad labels: %s", line);
		ck_assert_msg(line[n + l] == ' ' && line[n + l + 1] != '\0',
		    "no value: %s", line);
		errno = 0;
		(void)strtod(line + n + l + 1, &end);
		ck_assert_msg(errno == 0 && *end == '\0', "bad value: %s",
		    line);
		samples++;
	}
	ck_assert_uint_gt(samples, 20);
}

static uint64_t
status_epoch(struct cluster *c, size_t i)
{
	char reply[CLUSTER_LINE_MAX];
	const char *e;

	ck_assert_int_eq(cluster_request(c, i, "STATUS", reply,
	    sizeof(reply)), 0);
	ck_assert_ptr_nonnull(e = strstr(reply, " epoch="));
	return strtoull(e + 7, NULL, 10);
}

static const char *
peer_key(char *buf, size_t cap, const char *metric_name, const char *peer)
{
	snprintf(buf, cap, "kevy_electd_%s{peer=\"%s\"}", metric_name, peer);
	return buf;
}

/* GET path on port: 200 and a body containing want. */
static void
answers(uint16_t port, const char *path, int code, const char *want)
{
	struct reply *r = request(port, "GET", path);

	ck_assert_msg(r->status == code, "GET %s: %d, wanted %d: %s", path,
	    r->status, code, r->body);
	ck_assert_msg(strstr(r->body, want) != NULL, "GET %s: no '%s' in %s",
	    path, want, r->body);
}

static int
count_row(const struct jsonflat_object *o, void *ctx)
{
	(void)o;
	++*(int *)ctx;
	return 0;
}

/*
 * /cluster on port: JSON, one row per member, the primary's role in it
 * (primary NULL: nobody's), the member down shown down.
 */
static void
cluster_json(uint16_t port, size_t n, const char *primary,
    const char *down)
{
	static struct jsonflat_object scratch;
	struct reply *r = request(port, "GET", "/cluster");
	char want[128];
	const char *why;
	int rows = 0;

	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->buf, "Content-Type: application/json"
	    "\r\n"));
	ck_assert_msg(jsoncheck_line(r->body, '['), "not JSON: %s", r->body);
	ck_assert_int_eq(jsonflat_parse_array(r->body, strlen(r->body),
	    &scratch, count_row, &rows, &why), (long)n);
	ck_assert_int_eq(rows, (int)n);
	if (primary != NULL) {
		snprintf(want, sizeof want, "{\"id\":\"%s\",", primary);
		ck_assert_ptr_nonnull(strstr(r->body, want));
		ck_assert_ptr_nonnull(strstr(strstr(r->body, want),
		    "\"role\":\"primary\",\"state\":\"up\""));
	} else
		ck_assert_ptr_null(strstr(r->body, "\"role\":\"primary\""));
	if (down != NULL) {
		snprintf(want, sizeof want, "{\"id\":\"%s\",", down);
		ck_assert_ptr_nonnull(strstr(r->body, want));
		ck_assert_ptr_nonnull(strstr(strstr(r->body, want),
		    "\"state\":\"down\""));
	}
}

/*
 * /leader and /read-write are /primary; /read-only takes a healthy
 * replica or primary; /liveness and /readiness; /cluster. The primary's
 * client address (members: 127.0.0.1:20000 + index) is in the answers.
 */
static void
patroni_checks(struct hcluster *h, size_t p, size_t rep)
{
	static const char *const write_paths[] = { "/primary", "/leader",
	    "/read-write" };
	char addr[64];
	struct reply *r;

	snprintf(addr, sizeof addr, "client_addr=127.0.0.1:%u",
	    (unsigned)(20000 + p));
	for (size_t i = 0; i < 3; i++) {
		answers(h->ports[p], write_paths[i], 200, addr);
		answers(h->ports[rep], write_paths[i], 503, addr);
		answers(h->ports[rep], write_paths[i], 503, "not writable: "
		    "role=replica primary=");
	}
	answers(h->ports[p], "/read-only", 200, "readable role=primary");
	answers(h->ports[rep], "/read-only", 200, addr);
	answers(h->ports[rep], "/liveness", 200, "alive uptime_ms=");
	answers(h->ports[p], "/readiness", 200, "ready role=primary");
	answers(h->ports[rep], "/readiness", 200, addr);
	cluster_json(h->ports[rep], 3, cluster_id(h->c, p), NULL);
	r = request(h->ports[p], "HEAD", "/cluster");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->body, "");
	ck_assert_int_eq(status_of(h->ports[p], "POST", "/cluster"), 405);
}

START_TEST(status_codes_and_metrics_on_an_agreed_cluster)
{
	static struct hcluster h;
	struct reply *r;
	char key[128], raw[LONG_HEADER + 128];
	size_t p, rep;
	int n;

	hcluster_new(&h, 3);
	p = (size_t)hcluster_agree(&h, 3);
	rep = (p + 1) % 3;

	/* Patroni's codes: routing to the writable node. */
	r = request(h.ports[p], "GET", "/primary");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "primary "));
	ck_assert_int_eq(status_of(h.ports[p], "GET", "/replica"), 503);
	r = request(h.ports[p], "GET", "/health");
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(strncmp(r->body, "ok", 2), 0);
	ck_assert_int_eq(status_of(h.ports[rep], "GET", "/primary"), 503);
	r = request(h.ports[rep], "GET", "/replica");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, cluster_id(h.c, p)));
	ck_assert_int_eq(status_of(h.ports[rep], "GET", "/health"), 200);
	ck_assert_int_eq(status_of(h.ports[p], "GET", "/primary?x=1"), 200);

	/* The exposition: format first, then what it says. */
	r = request(h.ports[p], "GET", "/metrics");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->buf, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	check_exposition(r->body);
	ck_assert(metric(r->body, "kevy_electd_role{role=\"primary\"}") == 1);
	ck_assert(metric(r->body, "kevy_electd_role{role=\"replica\"}") == 0);
	ck_assert(metric(r->body, "kevy_electd_role{role=\"candidate\"}") == 0);
	ck_assert(metric(r->body, "kevy_electd_writable") == 1);
	ck_assert(metric(r->body, "kevy_electd_fenced") == 0);
	ck_assert(metric(r->body, "kevy_electd_quorum") == 1);
	for (size_t i = 0; i < 3; i++) {
		if (i == p)
			continue;
		ck_assert(metric(r->body, peer_key(key, sizeof(key), "peer_up",
		    cluster_id(h.c, i))) == 1);
		ck_assert(metric(r->body, peer_key(key, sizeof(key),
		    "peer_last_seen_seconds", cluster_id(h.c, i))) >= 0);
	}
	ck_assert(metric(r->body, "kevy_electd_epoch") ==
	    (double)status_epoch(h.c, p));
	ck_assert(metric(r->body,
	    "kevy_electd_frames_received_total{verb=\"HB\"}") > 0);
	ck_assert(metric(r->body,
	    "kevy_electd_frames_sent_total{verb=\"HB\"}") > 0);
	ck_assert(metric(r->body, "kevy_electd_elections_won_total") >= 1);
	ck_assert(metric(r->body, "kevy_electd_control_watchers") >= 1);
	ck_assert(metric(r->body, "kevy_electd_uptime_seconds") >= 0);
	r = request(h.ports[rep], "GET", "/metrics");
	check_exposition(r->body);
	ck_assert(metric(r->body, "kevy_electd_role{role=\"replica\"}") == 1);
	ck_assert(metric(r->body, "kevy_electd_votes_cast_total") >= 0);

	/* Patroni's other names, and where the primary's clients connect. */
	patroni_checks(&h, p, rep);

	/* Unknown path, other methods, HEAD. */
	ck_assert_int_eq(status_of(h.ports[p], "GET", "/nope"), 404);
	ck_assert_int_eq(status_of(h.ports[p], "GET", "/metrics/x"), 404);
	r = request(h.ports[p], "POST", "/primary");
	ck_assert_int_eq(r->status, 405);
	ck_assert_ptr_nonnull(strstr(r->buf, "Allow: GET, HEAD\r\n"));
	ck_assert_int_eq(status_of(h.ports[p], "DELETE", "/health"), 405);
	r = request(h.ports[p], "HEAD", "/primary");
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strcmp(r->body, "") == 0, "HEAD body: %s", r->buf);
	ck_assert_ptr_null(strstr(r->buf, "Content-Length: 0\r\n"));
	r = request(h.ports[rep], "HEAD", "/primary");
	ck_assert_int_eq(r->status, 503);
	ck_assert_str_eq(r->body, "");

	/* A request past HTTP_HEADERS_MAX is refused; service goes on. */
	n = snprintf(raw, sizeof(raw), "GET /health HTTP/1.0\r\nX-Long: ");
	memset(raw + n, 'a', LONG_HEADER);
	n += LONG_HEADER;
	n += snprintf(raw + n, sizeof(raw) - (size_t)n, "\r\n\r\n");
	{
		static struct reply big;

		ck_assert_int_eq(exchange(h.ports[p], raw, (size_t)n, &big), 0);
		ck_assert_msg(big.status == 0 ||
		    (big.status >= 400 && big.status < 500),
		    "over-long header answered %d", big.status);
	}
	ck_assert_int_eq(status_of(h.ports[p], "GET", "/health"), 200);
	ck_assert(cluster_running(h.c, p));
	cluster_free(h.c);
}
END_TEST

static bool
agreed_without(struct cluster *c, void *arg)
{
	int p = cluster_primary(c);

	return cluster_agreed(c, NULL) && p >= 0 && p != *(int *)arg;
}

START_TEST(failover_shows_the_dead_peer_down_and_moves_primary)
{
	static struct hcluster h;
	char key[128];
	struct reply *r;
	int old, np;

	hcluster_new(&h, 3);
	old = hcluster_agree(&h, 3);
	cluster_kill(h.c, (size_t)old);
	ck_assert_msg(cluster_wait(h.c, agreed_without, &old, WAIT_MS),
	    "no new primary within %d ms (logs in %s)", WAIT_MS,
	    cluster_dir(h.c));
	np = cluster_primary(h.c);
	ck_assert_int_eq(status_of(h.ports[np], "GET", "/primary"), 200);
	/* The table shows the dead member down; two of three still ready. */
	cluster_json(h.ports[np], 3, cluster_id(h.c, (size_t)np),
	    cluster_id(h.c, (size_t)old));
	ck_assert_int_eq(status_of(h.ports[np], "GET", "/readiness"), 200);
	ck_assert_int_eq(status_of(h.ports[np], "GET", "/replica"), 503);
	r = request(h.ports[np], "GET", "/metrics");
	ck_assert_int_eq(r->status, 200);
	check_exposition(r->body);
	ck_assert(metric(r->body, peer_key(key, sizeof(key), "peer_up",
	    cluster_id(h.c, (size_t)old))) == 0);
	ck_assert(metric(r->body, "kevy_electd_role{role=\"primary\"}") == 1);
	/* The dead node's port answers nothing. */
	{
		static struct reply dead;
		static const char get[] = "GET / HTTP/1.0\r\n\r\n";

		ck_assert_int_eq(exchange(h.ports[old], get, sizeof(get) - 1,
		    &dead), -1);
	}
	cluster_free(h.c);
}
END_TEST

/* One node of three up: it runs, but it is no part of a working cluster. */
START_TEST(a_lone_node_is_alive_but_not_ready)
{
	static struct hcluster h;

	hcluster_new(&h, 3);
	ck_assert_int_eq(cluster_start(h.c, 0), 0);
	answers(h.ports[0], "/liveness", 200, "alive");
	answers(h.ports[0], "/health", 200, "ok");
	answers(h.ports[0], "/readiness", 503, "not ready: no quorum");
	answers(h.ports[0], "/read-only", 503, "not readable: ");
	answers(h.ports[0], "/leader", 503, "primary=none");
	answers(h.ports[0], "/read-write", 503, "not writable");
	cluster_json(h.ports[0], 3, NULL, "n2");
	cluster_free(h.c);
}
END_TEST

START_TEST(http_listen_on_a_busy_port_fails_startup)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct cluster_opts o = { .n = 3 };
	char conf[CONF_LINE_MAX], log[65536];
	struct cluster *c;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;
	size_t n;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(conf, sizeof(conf), "http_listen = \"127.0.0.1:%u\";",
	    (unsigned)ntohs(sin.sin_port));
	o.extra_conf[0] = conf;
	ck_assert_ptr_nonnull(c = cluster_new(&o));
	ck_assert_int_eq(cluster_start(c, 0), -1);
	ck_assert_ptr_nonnull(f = fopen(cluster_log_path(c, 0), "r"));
	n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = '\0';
	ck_assert_msg(strstr(log, "http_listen") != NULL &&
	    strstr(log, "in use") != NULL, "log does not say why:\n%s", log);
	cluster_free(c);
	close(fd);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("daemons");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, status_codes_and_metrics_on_an_agreed_cluster);
	tcase_add_test(tc, failover_shows_the_dead_peer_down_and_moves_primary);
	tcase_add_test(tc, a_lone_node_is_alive_but_not_ready);
	tcase_add_test(tc, http_listen_on_a_busy_port_fails_startup);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(http_suite());
}
