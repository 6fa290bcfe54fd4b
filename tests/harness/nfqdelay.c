/*
 * nfqdelay: see nfqdelay.h. The child speaks nfnetlink_queue on a raw
 * netlink socket (no libnetfilter_queue): one config message to bind the
 * queue and ask for the first bytes of each packet, then packets in and
 * verdicts (NF_ACCEPT, by packet id, in any order) out. Held packets wait
 * in a binary heap ordered by release time; the child sleeps in ppoll
 * until the next release or the next packet. The parent is single-
 * threaded where it forks (bench/jitter), so the child may use stdio and
 * malloc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "nfqdelay.h"

#define NFQ_COPY_BYTES  128        /* IPv4 + TCP headers, at most 120 */
#define NFQ_RCVBUF      (1 << 20)  /* bytes: packets waiting for us */
#define NFQ_MSG_MAX     65536      /* bytes of one recv */
#define NFQ_FLOWS_MAX   32         /* connections whose gaps are measured */

struct nfqdelay {
	pid_t pid;
	struct nfqdelay_stats *st;       /* shared with the child */
};

struct held {
	uint64_t at_us;                  /* release time */
	uint32_t id;                     /* the kernel's packet id */
};

/* One connection carrying election frames: when its last one arrives. */
struct flow {
	uint32_t daddr;
	uint16_t sport;
	uint64_t delivered_us;           /* 0: no frame yet */
};

struct child {
	int fd;
	char iptables[256];
	uint16_t queue;
	uint64_t max_delay_us;
	uint16_t frame_port;
	uint64_t rng;
	struct nfqdelay_stats *st;
	struct held heap[NFQDELAY_HELD_MAX];
	size_t n;
	struct flow flows[NFQ_FLOWS_MAX];
	size_t nflows;
	uint32_t seq;
};

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A netlink message to the queue subsystem: header, nfgenmsg, attrs. */
struct msg {
	char buf[256];
	size_t len;
};

static void
msg_init(struct msg *m, uint16_t type, uint16_t flags, uint16_t queue,
    uint32_t seq)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(void *)m->buf;
	struct nfgenmsg *g;

	memset(m->buf, 0, sizeof(m->buf));
	nh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_QUEUE << 8) | type);
	nh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nh->nlmsg_seq = seq;
	g = (struct nfgenmsg *)(void *)(m->buf + NLMSG_HDRLEN);
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(queue);
	m->len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));
}

static void
msg_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(void *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(m->buf + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(a->nla_len);
}

static int
msg_send(int fd, struct msg *m)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	((struct nlmsghdr *)(void *)m->buf)->nlmsg_len = (uint32_t)m->len;
	return sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&to,
	    sizeof(to)) == (ssize_t)m->len ? 0 : -1;
}

/* Send a config message and await its acknowledgement; 0 or -1 (errno). */
static int
config(struct child *c, uint16_t attr, const void *data, size_t len)
{
	struct msg m;
	char reply[1024];
	ssize_t r;

	msg_init(&m, NFQNL_MSG_CONFIG, NLM_F_ACK, c->queue, ++c->seq);
	msg_attr(&m, attr, data, len);
	if (msg_send(c->fd, &m) == -1)
		return -1;
	r = recv(c->fd, reply, sizeof(reply), 0);
	if (r < (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr)))
		return -1;
	{
		struct nlmsghdr *nh = (struct nlmsghdr *)(void *)reply;
		struct nlmsgerr *e = NLMSG_DATA(nh);

		if (nh->nlmsg_type != NLMSG_ERROR)
			return -1;
		if (e->error != 0) {
			errno = -e->error;
			return -1;
		}
	}
	return 0;
}

static int
bind_queue(struct child *c)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND,
	    .pf = htons(AF_INET) };
	struct nfqnl_msg_config_params params = {
	    .copy_range = htonl(NFQ_COPY_BYTES), .copy_mode = NFQNL_COPY_PACKET };
	uint32_t maxlen = htonl(NFQDELAY_HELD_MAX);
	int rcvbuf = NFQ_RCVBUF;

	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf));
	if (config(c, NFQA_CFG_CMD, &cmd, sizeof(cmd)) == -1 ||
	    config(c, NFQA_CFG_PARAMS, &params, sizeof(params)) == -1 ||
	    config(c, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof(maxlen)) == -1)
		return -1;
	return 0;
}

static void
verdict(struct child *c, uint32_t id)
{
	struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(NF_ACCEPT),
	    .id = htonl(id) };
	struct msg m;

	msg_init(&m, NFQNL_MSG_VERDICT, 0, c->queue, ++c->seq);
	msg_attr(&m, NFQA_VERDICT_HDR, &v, sizeof(v));
	/* A verdict that cannot be sent leaves the packet queued: no drop. */
	(void)msg_send(c->fd, &m);
}

static void
heap_push(struct child *c, uint64_t at, uint32_t id)
{
	size_t i = c->n++;

	while (i > 0 && c->heap[(i - 1) / 2].at_us > at) {
		c->heap[i] = c->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	c->heap[i].at_us = at;
	c->heap[i].id = id;
}

static void
heap_pop(struct child *c)
{
	struct held last = c->heap[--c->n];
	size_t i = 0;

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= c->n)
			break;
		if (k + 1 < c->n && c->heap[k + 1].at_us < c->heap[k].at_us)
			k++;
		if (c->heap[k].at_us >= last.at_us)
			break;
		c->heap[i] = c->heap[k];
		i = k;
	}
	if (c->n > 0)
		c->heap[i] = last;
}

/*
 * An election frame of this node leaves at `release`: when does its peer
 * get it? When it and all before it on its connection are out (TCP
 * delivers in order); the gap since the connection's last frame counts.
 */
static void
measure(struct child *c, const uint8_t *p, size_t len, uint64_t release)
{
	size_t ihl, doff, tot;
	uint16_t sport, dport;
	uint32_t daddr;
	struct flow *f = NULL;

	if (len < 20 || (p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
		return;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = (size_t)p[2] << 8 | p[3];
	if (len < ihl + 20)
		return;
	doff = (size_t)(p[ihl + 12] >> 4) * 4;
	sport = (uint16_t)(p[ihl] << 8 | p[ihl + 1]);
	dport = (uint16_t)(p[ihl + 2] << 8 | p[ihl + 3]);
	memcpy(&daddr, p + 16, sizeof(daddr));
	if (dport != c->frame_port || tot <= ihl + doff)
		return;
	for (size_t k = 0; k < c->nflows; k++)
		if (c->flows[k].daddr == daddr && c->flows[k].sport == sport)
			f = &c->flows[k];
	if (f == NULL) {
		/* A new connection replaces the oldest once the table is full. */
		f = &c->flows[c->nflows < NFQ_FLOWS_MAX ? c->nflows++ :
		    (size_t)(splitmix(&c->rng) % NFQ_FLOWS_MAX)];
		f->daddr = daddr;
		f->sport = sport;
		f->delivered_us = 0;
	}
	c->st->frames++;
	if (release < f->delivered_us)
		release = f->delivered_us;          /* waits for an earlier one */
	if (f->delivered_us != 0) {
		uint64_t gap = release - f->delivered_us, ms = gap / 1000;

		c->st->gaps[ms < NFQDELAY_GAP_BUCKETS ? ms :
		    NFQDELAY_GAP_BUCKETS - 1]++;
		if (gap > c->st->gap_max_us)
			c->st->gap_max_us = gap;
	}
	f->delivered_us = release;
}

static void
on_packet(struct child *c, const struct nlmsghdr *nh)
{
	const struct nlattr *a;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const uint8_t *payload = NULL;
	size_t plen = 0;
	bool have_id = false;
	uint32_t id = 0;
	uint64_t hold, now;

	while (off + NLA_HDRLEN <= nh->nlmsg_len) {
		a = (const struct nlattr *)(const void *)((const char *)nh + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > nh->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR &&
		    a->nla_len >= NLA_HDRLEN +
		    sizeof(struct nfqnl_msg_packet_hdr)) {
			struct nfqnl_msg_packet_hdr h;

			memcpy(&h, (const char *)a + NLA_HDRLEN, sizeof(h));
			id = ntohl(h.packet_id);
			have_id = true;
		} else if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PAYLOAD) {
			payload = (const uint8_t *)a + NLA_HDRLEN;
			plen = a->nla_len - NLA_HDRLEN;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	if (!have_id)
		return;
	now = cluster_now_us();
	hold = splitmix(&c->rng) % (c->max_delay_us + 1);
	if (c->n >= NFQDELAY_HELD_MAX) {
		c->st->unheld++;
		verdict(c, id);
		hold = 0;
	} else
		heap_push(c, now + hold, id);
	c->st->packets++;
	c->st->held_sum_us += hold;
	if (hold > c->st->held_max_us)
		c->st->held_max_us = hold;
	if (payload != NULL)
		measure(c, payload, plen, now + hold);
}

static void
on_readable(struct child *c)
{
	static char buf[NFQ_MSG_MAX];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		/* Signed: NLMSG_NEXT takes the aligned length off, which can
		 * pass what is left after the last, unpadded message. */
		int left;
		const struct nlmsghdr *nh;

		/* ENOBUFS: the kernel dropped our copies of some; go on. */
		if (r <= 0)
			return;
		left = (int)r;
		for (nh = (const struct nlmsghdr *)(const void *)buf;
		    NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left))
			if (nh->nlmsg_type ==
			    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
				on_packet(c, nh);
	}
}

static void
release_due(struct child *c)
{
	uint64_t now = cluster_now_us();

	while (c->n > 0 && c->heap[0].at_us <= now) {
		verdict(c, c->heap[0].id);
		heap_pop(c);
	}
}

/* The queue rule, in the child's namespace; 0 or -1. */
static int
add_rule(const struct child *c)
{
	char num[8];
	char *argv[] = { (char *)(uintptr_t)c->iptables, "-w", "-t", "mangle",
	    "-A", "OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", num,
	    NULL };
	int status;
	pid_t pid;

	snprintf(num, sizeof(num), "%u", c->queue);
	if ((pid = fork()) == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0)
			dup2(nul, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void __attribute__((noreturn))
child_main(struct child *c, int nsfd, int ready)
{
	char why[160];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	if (setns(nsfd, CLONE_NEWNET) == -1) {
		snprintf(why, sizeof(why), "setns: %s\n", strerror(errno));
		goto fail;
	}
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (c->fd == -1 || bind_queue(c) == -1) {
		snprintf(why, sizeof(why), "NFQUEUE %u: %s\n", c->queue,
		    strerror(errno));
		goto fail;
	}
	if (add_rule(c) == -1) {
		snprintf(why, sizeof(why), "%s -t mangle -A OUTPUT -o eth0 -j "
		    "NFQUEUE failed\n", c->iptables);
		goto fail;
	}
	(void)!write(ready, "ok\n", 3);
	close(ready);
	for (;;) {
		struct pollfd p = { c->fd, POLLIN, 0 };
		struct timespec ts, *tp = NULL;

		if (c->n > 0) {
			uint64_t now = cluster_now_us(), at = c->heap[0].at_us;
			uint64_t wait = at > now ? at - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000);
			ts.tv_nsec = (long)(wait % 1000000) * 1000;
			tp = &ts;
		}
		if (ppoll(&p, 1, tp, NULL) > 0)
			on_readable(c);
		release_due(c);
	}
fail:
	(void)!write(ready, why, strlen(why));
	_exit(1);
}

static bool
find_iptables(char *out, size_t cap)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin",
	    "/bin" };

	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		snprintf(out, cap, "%s/iptables", dirs[k]);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

struct nfqdelay *
nfqdelay_start(int nsfd, uint16_t queue, uint64_t max_delay_us,
    uint16_t frame_port, uint64_t seed, char *why, size_t cap)
{
	struct nfqdelay *d = calloc(1, sizeof(*d));
	int pipefd[2];
	char line[160] = "";
	ssize_t r = 0;
	struct pollfd p;
	char iptables[256];

	if (!find_iptables(iptables, sizeof(iptables))) {
		snprintf(why, cap, "no iptables (its NFQUEUE target queues the "
		    "packets)");
		free(d);
		return NULL;
	}
	if (d == NULL || pipe2(pipefd, O_CLOEXEC) == -1) {
		snprintf(why, cap, "out of memory or descriptors");
		free(d);
		return NULL;
	}
	d->st = mmap(NULL, sizeof(*d->st), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d->st == MAP_FAILED) {
		snprintf(why, cap, "mmap: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		free(d);
		return NULL;
	}
	if ((d->pid = fork()) == 0) {
		/* The child's state is large: on the heap, not the stack. */
		struct child *c = calloc(1, sizeof(*c));

		close(pipefd[0]);
		if (c == NULL)
			_exit(1);
		c->fd = -1;
		snprintf(c->iptables, sizeof(c->iptables), "%s", iptables);
		c->queue = queue;
		c->max_delay_us = max_delay_us;
		c->frame_port = frame_port;
		c->rng = seed;
		c->st = d->st;
		child_main(c, nsfd, pipefd[1]);
	}
	close(pipefd[1]);
	p.fd = pipefd[0];
	p.events = POLLIN;
	if (d->pid > 0 && poll(&p, 1, NFQDELAY_START_MS) == 1)
		r = read(pipefd[0], line, sizeof(line) - 1);
	close(pipefd[0]);
	if (d->pid == -1 || r < 3 || strncmp(line, "ok\n", 3) != 0) {
		line[r > 0 ? r : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		snprintf(why, cap, "the delayer did not start: %s",
		    line[0] != '\0' ? line : "no answer");
		nfqdelay_free(d);
		return NULL;
	}
	return d;
}

bool
nfqdelay_is_alive(struct nfqdelay *d)
{
	if (d->pid <= 0)
		return false;
	if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
		d->pid = 0;
		return false;
	}
	return true;
}

void
nfqdelay_stats(const struct nfqdelay *d, struct nfqdelay_stats *out)
{
	memcpy(out, d->st, sizeof(*out));
}

void
nfqdelay_stop(struct nfqdelay *d)
{
	if (d == NULL || d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	(void)waitpid(d->pid, NULL, 0);
	d->pid = 0;
}

void
nfqdelay_free(struct nfqdelay *d)
{
	if (d == NULL)
		return;
	nfqdelay_stop(d);
	munmap(d->st, sizeof(*d->st));
	free(d);
}
