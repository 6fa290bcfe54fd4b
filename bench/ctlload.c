/*
 * ctlload: a load generator for any one-request-line / one-reply-line
 * protocol over a Unix stream socket (kevy-electd's control socket,
 * Redis's inline commands, ...). C connections each keep P requests in
 * flight for a fixed duration: every reply (counted by its "\n") is
 * answered at once with a new request, so the pipeline never drains.
 * One thread, epoll, non-blocking sockets. Each connection keeps a ring of
 * the send times of its requests in flight, so every reply's latency is
 * known; latencies go into a log-linear histogram (64 sub-buckets per
 * power of two of nanoseconds: under 1.6 % error).
 *
 * usage: ctlload -s socket -r request [-c conns] [-p depth] [-d seconds]
 *                [-w warmup_seconds] [-n] [-l label]
 *   -r   the request line, sent with "\r\n" (-n: with "\n" only)
 *   -w   replies in the first warmup seconds are not counted (default 0.5)
 * Output: one human line and one "RESULT key=value ..." line.
 * Exit: 0, or 1 if a connection failed or no reply came.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOAD_CONNS_MAX  10000   /* connections */
#define LOAD_DEPTH_MAX  1024    /* requests in flight per connection */
#define LOAD_REQ_MAX    1024    /* bytes of the request line, with its end */
#define LOAD_READ_MAX   65536   /* bytes read at once */
#define LOAD_SUB_BITS   6       /* histogram: 64 sub-buckets per octave */
#define LOAD_BUCKETS    (128 + 57 * 64)

struct conn {
	int fd;
	uint64_t *sent;          /* ring of send times (ns), depth entries */
	size_t head, inflight;   /* oldest request in flight; how many */
	char *out;               /* bytes not yet written */
	size_t out_len, out_cap;
	bool want_out;           /* EPOLLOUT armed */
};

static struct {
	const char *path, *label;
	char req[LOAD_REQ_MAX];
	size_t req_len, conns, depth;
	double secs, warmup;
} opt = { .conns = 1, .depth = 1, .secs = 5, .warmup = 0.5 };

static uint64_t hist[LOAD_BUCKETS];
static uint64_t counted, lat_sum_ns;
static int epfd;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned
bucket_of(uint64_t v)
{
	unsigned msb, shift;

	if (v < 128)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - LOAD_SUB_BITS;
	if (msb - 7 >= (LOAD_BUCKETS - 128) / 64)
		return LOAD_BUCKETS - 1;
	return 128 + (msb - 7) * 64 + (unsigned)((v >> shift) - 64);
}

/* The middle of bucket b, in ns. */
static double
bucket_mid(unsigned b)
{
	unsigned octave, shift;

	if (b < 128)
		return b;
	octave = (b - 128) / 64;
	shift = octave + 1;
	return (double)(((uint64_t)(64 + (b - 128) % 64) << shift) +
	    ((1ULL << shift) >> 1));
}

static double
percentile_us(double q)
{
	uint64_t want = (uint64_t)((double)counted * q / 100.0 + 0.5), seen = 0;

	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < LOAD_BUCKETS; b++)
		if ((seen += hist[b]) >= want)
			return bucket_mid(b) / 1000.0;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ctlload -s socket -r request [-c conns] "
	    "[-p depth] [-d seconds] [-w warmup] [-n] [-l label]\n");
	exit(64);
}

static void
arm(struct conn *c, bool out)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c,
	};

	if (c->want_out != out && epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd,
	    &ev) == 0)
		c->want_out = out;
}

/* Write what is queued; false on a dead connection. */
static bool
flush(struct conn *c)
{
	while (c->out_len > 0) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			arm(c, true);
			return true;
		}
		if (n <= 0)
			return false;
		c->out_len -= (size_t)n;
		memmove(c->out, c->out + n, c->out_len);
	}
	arm(c, false);
	return true;
}

/* Queue k more requests, stamped now; false on a dead connection. */
static bool
send_more(struct conn *c, size_t k, uint64_t t)
{
	for (size_t i = 0; i < k; i++) {
		c->sent[(c->head + c->inflight) % opt.depth] = t;
		c->inflight++;
		memcpy(c->out + c->out_len, opt.req, opt.req_len);
		c->out_len += opt.req_len;
	}
	return c->want_out ? true : flush(c);
}

static int
connect_one(struct conn *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", opt.path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) == -1 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		perror(opt.path);
		return -1;
	}
	c->out_cap = opt.depth * opt.req_len;
	if ((c->out = malloc(c->out_cap)) == NULL ||
	    (c->sent = calloc(opt.depth, sizeof(*c->sent))) == NULL)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[LOAD_READ_MAX];
	static struct epoll_event evs[256];
	struct conn *conns;
	struct rusage ru0, ru1;
	uint64_t t_start, t_count, t_end, errors = 0;
	bool crlf = true;
	const char *req = NULL;
	double wall, cpu;
	int ch;

	while ((ch = getopt(argc, argv, "s:r:c:p:d:w:nl:")) != -1) {
		switch (ch) {
		case 's': opt.path = optarg; break;
		case 'r': req = optarg; break;
		case 'c': opt.conns = strtoul(optarg, NULL, 10); break;
		case 'p': opt.depth = strtoul(optarg, NULL, 10); break;
		case 'd': opt.secs = strtod(optarg, NULL); break;
		case 'w': opt.warmup = strtod(optarg, NULL); break;
		case 'n': crlf = false; break;
		case 'l': opt.label = optarg; break;
		default: usage();
		}
	}
	if (opt.path == NULL || req == NULL || opt.conns < 1 ||
	    opt.conns > LOAD_CONNS_MAX || opt.depth < 1 ||
	    opt.depth > LOAD_DEPTH_MAX || opt.secs <= 0 || opt.warmup < 0 ||
	    strlen(req) + 2 >= LOAD_REQ_MAX || strchr(req, '\n') != NULL)
		usage();
	opt.req_len = (size_t)snprintf(opt.req, sizeof(opt.req), "%s%s", req,
	    crlf ? "\r\n" : "\n");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (conns = calloc(opt.conns, sizeof(*conns))) == NULL) {
		perror("ctlload");
		return 1;
	}
	for (size_t i = 0; i < opt.conns; i++)
		if (connect_one(&conns[i]) == -1)
			return 1;
	getrusage(RUSAGE_SELF, &ru0);
	t_start = now_ns();
	t_count = t_start + (uint64_t)(opt.warmup * 1e9);
	t_end = t_count + (uint64_t)(opt.secs * 1e9);
	for (size_t i = 0; i < opt.conns; i++)
		if (!send_more(&conns[i], opt.depth, t_start))
			return 1;
	for (;;) {
		uint64_t t = now_ns();
		int n;

		if (t >= t_end)
			break;
		n = epoll_wait(epfd, evs, 256,
		    (int)((t_end - t) / 1000000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_wait");
			return 1;
		}
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			size_t replies = 0;
			ssize_t got;

			if (c->fd < 0)
				continue;
			if ((evs[k].events & EPOLLOUT) && !flush(c))
				goto dead;
			if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			got = recv(c->fd, buf, sizeof(buf), 0);
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (got <= 0)
				goto dead;
			t = now_ns();
			for (char *p = buf, *e = buf + got;
			    (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) {
				uint64_t lat;

				if (c->inflight == 0) {
					errors++;	/* a reply nobody asked for */
					continue;
				}
				lat = t - c->sent[c->head];
				c->head = (c->head + 1) % opt.depth;
				c->inflight--;
				replies++;
				if (t >= t_count && t < t_end) {
					hist[bucket_of(lat)]++;
					lat_sum_ns += lat;
					counted++;
				}
			}
			if (replies > 0 && !send_more(c, replies, t))
				goto dead;
			continue;
dead:
			fprintf(stderr, "ctlload: connection %zu closed\n",
			    (size_t)(c - conns));
			close(c->fd);
			c->fd = -1;
			errors++;
		}
	}
	getrusage(RUSAGE_SELF, &ru1);
	wall = opt.secs;
	cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
	    ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
	    ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	printf("%s: c=%zu p=%zu %.0f req/s p50 %.1f us p99 %.1f us "
	    "(%llu replies in %.1f s, errors %llu, generator cpu %.0f%%)\n",
	    opt.label != NULL ? opt.label : req, opt.conns, opt.depth,
	    (double)counted / wall, percentile_us(50), percentile_us(99),
	    (unsigned long long)counted, wall, (unsigned long long)errors,
	    100.0 * cpu / (wall + opt.warmup));
	printf("RESULT label=%s conns=%zu depth=%zu rps=%.0f p50_us=%.1f "
	    "p99_us=%.1f mean_us=%.1f replies=%llu errors=%llu gen_cpu=%.2f\n",
	    opt.label != NULL ? opt.label : "-", opt.conns, opt.depth,
	    (double)counted / wall, percentile_us(50), percentile_us(99),
	    counted ? (double)lat_sum_ns / (double)counted / 1000 : 0,
	    (unsigned long long)counted, (unsigned long long)errors,
	    cpu / (wall + opt.warmup));
	for (size_t i = 0; i < opt.conns; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	return errors == 0 && counted > 0 ? 0 : 1;
}
