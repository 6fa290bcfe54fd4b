/*
 * history: the recorder and checker of the partition tests. A reader
 * thread follows every node's WATCH stream and stamps each STATUS line with
 * its monotonic receipt time; the nemesis adds its own events (faults,
 * kills, pauses, restarts) to the same timeline under the same lock, so the
 * history is one total order. Every event is written to a history file
 * and checked at once against the safety rules:
 *
 *   - never two unfenced primaries at the same instant: a node counts only
 *     while it runs and its view is fresh (a killed node is out; a stopped
 *     node's last line is stale from SIGSTOP until it speaks again on a
 *     WATCH connection opened after SIGCONT);
 *   - at most one winner per epoch (role=primary at epoch e: one node id);
 *   - each node's epoch never decreases, across restarts.
 *
 * It also tells when the cluster has converged after a heal: every node up
 * and fresh, exactly one says role=primary, unfenced, and all name it.
 *
 * Must never: block the reader on the nemesis, or count a line from a
 * WATCH connection that was replaced (its node was killed or continued).
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTORY_NODES_MAX      9      /* nodes followed */
#define HISTORY_VIOLATIONS_MAX 32     /* violations kept verbatim */
#define HISTORY_TEXT_MAX       512    /* bytes of one violation text */

enum history_ev {
	HISTORY_FAULT,      /* a note in the fault log (partition, heal ...) */
	HISTORY_KILL,       /* node SIGKILLed: out, its WATCH is dropped */
	HISTORY_START,      /* node (re)started: out until its first line */
	HISTORY_STOP,       /* node SIGSTOPped: its view is stale */
	HISTORY_CONT,       /* node SIGCONTed: stale until a new WATCH line */
};

struct history;

/* ids[i] names node i; path is the history file (created). NULL on error. */
struct history *history_new(size_t n, const char *const *ids,
    const char *path);
/* Stop the reader, close every connection, flush the file. */
void history_free(struct history *);

/* Hand node i's fresh WATCH connection to the reader (it owns fd now). */
void history_attach(struct history *, size_t i, int fd);
/* Does node i lack a WATCH connection (never attached, or EOF)? */
bool history_needs_watch(struct history *, size_t i);
/* Record an event of node i (i ignored for HISTORY_FAULT). */
void history_event(struct history *, size_t i, enum history_ev,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The node whose fresh view says role=primary (first such), or -1. */
int history_primary(struct history *);

/*
 * Await convergence (see above) for at most timeout_ms. On success true,
 * with *at_us the receipt time of the event that completed it (it may
 * precede the call) and *primary the agreed node; false otherwise. Either
 * way a one-line description of every node's view goes into state.
 */
bool history_await_converged(struct history *, uint64_t timeout_ms,
    uint64_t *at_us, int *primary, char *state, size_t cap);

/*
 * Liveness: the nemesis says whether a majority of nodes is running and
 * connected both ways (history_set_majority); every stretch of time in
 * which it is and no fresh view says unfenced primary is a gap. Gaps are
 * measured on the same timeline as the safety checks.
 */
struct history_gaps {
	uint64_t longest_us;      /* the longest gap (an open one counts now) */
	uint64_t longest_at_us;   /* when it started, since history_new */
	size_t n;                 /* gaps, any length */
	size_t over_1s, over_2s, over_5s;
};

void history_set_majority(struct history *, bool connected);
void history_gaps(struct history *, struct history_gaps *);

/* Write out what is buffered of the history file. */
void history_flush(struct history *);
size_t history_violations(struct history *);
/* Violation k (k < HISTORY_VIOLATIONS_MAX), as recorded. */
const char *history_violation(struct history *, size_t k);
/* A violation found outside the rules above (e.g. liveness). */
void history_violate(struct history *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Distinct epochs with a winner, and STATUS lines seen. */
size_t history_epochs_won(struct history *);
size_t history_lines(struct history *);

uint64_t history_now_us(void);

#endif
