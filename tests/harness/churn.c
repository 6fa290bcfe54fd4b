/*
 * churn: connect/reset threads and a descriptor sampler (churn.h). Plain
 * POSIX and pthreads: the bench links it without Check.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "churn.h"

struct churn {
	uint16_t port;
	uint64_t end_ns;
	pid_t target;
	unsigned n;
	atomic_bool stop;
	atomic_ullong done;
	atomic_ullong max_fds;
	pthread_t t[CHURN_THREADS_MAX];
	pthread_t sampler;
	bool sampling;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool
running(struct churn *ch)
{
	return !atomic_load(&ch->stop) && now_ns() < ch->end_ns;
}

static void *
attack(void *arg)
{
	struct churn *ch = arg;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct linger rst = { 1, 0 };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(ch->port);
	while (running(ch)) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			atomic_fetch_add(&ch->done, 1);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(fd);
	}
	return NULL;
}

unsigned long long
churn_count_fds(pid_t pid)
{
	char path[64];
	unsigned long long n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A gauge, not a synchronisation: the highest count seen is kept. */
static void *
sample(void *arg)
{
	struct churn *ch = arg;

	while (running(ch)) {
		unsigned long long n = churn_count_fds(ch->target);

		if (n > atomic_load(&ch->max_fds))
			atomic_store(&ch->max_fds, n);
		poll(NULL, 0, CHURN_SAMPLE_MS);
	}
	return NULL;
}

struct churn *
churn_start(uint16_t port, unsigned threads, uint64_t ms, pid_t target)
{
	struct churn *ch;

	if (threads == 0 || threads > CHURN_THREADS_MAX ||
	    (ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->port = port;
	ch->target = target;
	ch->end_ns = now_ns() + ms * 1000000u;
	atomic_init(&ch->stop, false);
	atomic_init(&ch->done, 0);
	atomic_init(&ch->max_fds, churn_count_fds(target));
	ch->sampling = pthread_create(&ch->sampler, NULL, sample, ch) == 0;
	for (; ch->n < threads; ch->n++)
		if (pthread_create(&ch->t[ch->n], NULL, attack, ch) != 0)
			break;
	return ch;
}

void
churn_stop(struct churn *ch, unsigned long long *connections,
    unsigned long long *max_fds)
{
	atomic_store(&ch->stop, true);
	for (unsigned k = 0; k < ch->n; k++)
		pthread_join(ch->t[k], NULL);
	if (ch->sampling)
		pthread_join(ch->sampler, NULL);
	*connections = atomic_load(&ch->done);
	*max_fds = atomic_load(&ch->max_fds);
	free(ch);
}
