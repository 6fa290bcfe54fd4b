/*
 * ctl_int: the seam between ctl.c (listener, admission, the client lists,
 * WATCH fan-out, the reaper) and ctl_client.c (one connection). Only those
 * two files include it; the rest of the daemon sees ctl.h alone. It must
 * never grow into a second public header: nothing here is for core.c,
 * main.c or http.c.
 *
 * The one lifetime rule. A client that must go (error, EOF, write timeout,
 * a watcher's overflow, its last reply drained, shutdown) is killed,
 * never freed on the spot: ctl_client_kill turns its events off, clears
 * its callbacks and moves it from the live list to the dead list, and
 * ctl.c's reaper frees the dead at the end of the loop iteration (tmux's
 * deferred client free). So whoever is still holding it up the stack (a
 * request loop mid-batch, ctl_publish mid-fan-out, a handler whose ops
 * call published) reads valid memory and simply sees it dead; no function
 * "may free" its argument. Only the reaper and ctl_free free a client
 * (ctl_client_free), and nothing touches a client after that.
 */
#ifndef CTL_INT_H
#define CTL_INT_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

struct event;
struct event_base;
struct ctl_client;
TAILQ_HEAD(ctl_client_list, ctl_client);

/*
 * What a ctl shares with its clients: all a client may reach of its ctl
 * (the listener, the socket file and the counts stay private to ctl.c).
 * ctl.c sets it up and tears it down. ctl_client.c links a new client into
 * live and moves a killed one to dead; ctl.c walks live (publish, counts)
 * and empties dead (reaper, ctl_free).
 */
struct ctl_shared {
	struct event_base	*base;
	const struct ctl_ops	*ops;    /* request handlers call these */
	void			*ctx;    /* directly, with this */
	/*
	 * The full status for the verbs that need it (~22 KiB: one per ctl,
	 * not one per client). A handler fills it (ops->status) and renders
	 * it into its own client's output before it returns, calling nothing
	 * in between. Replies never live here, and ctl_publish never
	 * touches it: it formats from the status its caller passes.
	 */
	struct status		*snap;
	/*
	 * The last STATUS line rendered (line_len bytes, "\n" included; 0:
	 * none yet) and the status it was rendered from: a STATUS whose
	 * fresh status is the same, byte for byte, gets this line again
	 * (ctl_client.c, reply_status_line). Replaced only by a rendering.
	 */
	struct status		*line_of;
	char			*line;      /* STATUS_LINE_MAX bytes, at first use */
	size_t			 line_len;
	/*
	 * line_of is still the daemon's status, without asking: only read
	 * verbs ran since it was taken, in this client's batch (nothing
	 * but a handler runs inside one), and the clock still reads
	 * line_ms (every time field is in ms). Cleared at each batch's
	 * start and before any verb that may change the daemon.
	 */
	bool			 line_current;
	uint64_t		 line_ms;
	struct ctl_client_list	 live;    /* in accept order */
	struct ctl_client_list	 dead;    /* killed, freed by the reaper */
	struct event		*reaper;  /* made active by every kill */
	struct ctl_client	*waiter;  /* its SWITCHOVER under way; or NULL */
};

/* Who is on the other end (SO_PEERCRED; -1 when it cannot be read). */
struct ctl_cred {
	long	 pid;
	long	 uid;
	long	 gid;
	bool	 may_write;  /* ctl_may_write said yes */
};

/* Adopt fd (closed on failure) and join sh->live; NULL on failure. */
struct ctl_client *ctl_client_new(struct ctl_shared *, int fd, uint64_t id,
    const struct ctl_cred *);
/*
 * Close now, whatever is queued (reason goes to the log): nothing more
 * happens on c, and the reaper frees it. Killing a dead client does
 * nothing.
 */
void ctl_client_kill(struct ctl_client *, const char *reason);
/* Unlink a dead client from sh->dead and free it: reaper and ctl_free. */
void ctl_client_free(struct ctl_client *);
struct ctl_client *ctl_client_next(const struct ctl_client *);
bool ctl_client_is_watching(const struct ctl_client *);
/*
 * Queue one STATUS line (line[0..len), "\n" included) to a watcher and
 * write it if the socket takes it; past CTL_WATCH_OUT_MAX queued, the
 * watcher is killed instead.
 */
void ctl_client_push(struct ctl_client *, const char *line, size_t len);
/* The waiting client's reply (no "\n"); then it takes requests again. */
void ctl_client_answer(struct ctl_client *, const char *line);

#endif
