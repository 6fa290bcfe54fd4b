/*
 * churn: a connect-and-reset attacker for the admission test and bench.
 * Threads open TCP connections to a port and reset them at once (SO_LINGER
 * 0: an RST, so the attacker never runs out of TIME_WAIT ports), as fast
 * as they can, until stopped or a deadline; a sampler thread keeps the
 * highest descriptor count of a target process seen meanwhile.
 */
#ifndef CHURN_H
#define CHURN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHURN_THREADS_MAX  16   /* attacker threads at once */
#define CHURN_SAMPLE_MS    5    /* descriptor count sampled this often */

struct churn;

/* Start threads against 127.0.0.1:port for at most ms; NULL on failure. */
struct churn *churn_start(uint16_t port, unsigned threads, uint64_t ms,
    pid_t target);
/* Stop, join, and report what was done; frees ch. */
void churn_stop(struct churn *, unsigned long long *connections,
    unsigned long long *max_fds);
/* Descriptors pid holds now (from /proc), 0 if unknown. */
unsigned long long churn_count_fds(pid_t pid);

#endif
