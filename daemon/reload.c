/*
 * reload: SIGHUP handling; see reload.h. A loop over the schema
 * (config_schema.c): each row says how its value is compared and whether
 * a change is live or needs a restart, so a key added to the table is
 * placed here by its own row, never by a list kept in this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "electd.h"
#include "log.h"
#include "notify.h"
#include "reload.h"

#define RELOAD_SAID_MAX 128 /* bytes in a live key's "old -> new" */
#define RELOAD_LIST_MAX 512 /* bytes in one list of key names; cut with ",..." */

/* The keys one reload found changed, by what became of them. */
struct reload_lists {
	char applied[RELOAD_LIST_MAX];     /* live keys, now in force */
	char restart[RELOAD_LIST_MAX];     /* kept until a restart */
	char membership[RELOAD_LIST_MAX];  /* kept until every node restarts */
};

/* Append key to a comma-separated list; a full list ends in ",...". */
static void
list_add(char *list, const char *key)
{
	size_t len = strlen(list);
	int n;

	if (len >= 4 && strcmp(list + len - 4, ",...") == 0)
		return;
	n = snprintf(list + len, RELOAD_LIST_MAX - len, "%s%s",
	    len > 0 ? "," : "", key);
	if (n < 0 || (size_t)n >= RELOAD_LIST_MAX - len)
		snprintf(list + (len < RELOAD_LIST_MAX - 4 ? len :
		    RELOAD_LIST_MAX - 5), 5, ",...");
}

static void
report(void *ctx, bool is_error, const char *msg)
{
	(void)ctx;
	char q[LOG_VALUE_MAX];

	if (is_error)
		log_error("event=reload_config_error error=%s", LOG_Q(q, msg));
	else
		log_warnx("event=reload_config_warning warning=%s",
		    LOG_Q(q, msg));
}

/*
 * Name every changed key that the running daemon keeps as it is: the
 * membership keys in one line (every node must restart with the new
 * list), each restart-only key in a line of its own.
 */
static void
report_kept(const struct config *cur, const struct config *fresh,
    struct reload_lists *l)
{
	const struct config_key *keys;
	char members[512] = "";
	size_t n, i, len = 0;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];

		if (config_key_same(k, fresh, cur))
			continue;
		if (k->reload == CONFIG_RELOAD_RESTART)
			list_add(l->restart, k->path);
		else if (k->reload == CONFIG_RELOAD_MEMBERSHIP)
			list_add(l->membership, k->path);
		if (k->reload == CONFIG_RELOAD_RESTART)
			log_warnx("event=reload_restart_needed key=%s",
			    k->path);
		else if (k->reload == CONFIG_RELOAD_MEMBERSHIP &&
		    len < sizeof(members))
			len += (size_t)snprintf(members + len,
			    sizeof(members) - len, "%s%s", len ? "," : "",
			    k->path);
	}
	if (len > 0)
		/* Every node must restart; this one runs with the old list. */
		log_warnx("event=reload_membership_changed keys=%s "
		    "action=restart_every_node", members);
}

/* After report_kept: a new log_level must not hide its warnings. */
static void
apply_live(struct config *cur, const struct config *fresh,
    struct reload_lists *l)
{
	const struct config_key *keys;
	char said[RELOAD_SAID_MAX], q[LOG_QUOTE_MAX(RELOAD_SAID_MAX)];
	size_t n, i;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];

		if (k->reload != CONFIG_RELOAD_LIVE ||
		    config_key_same(k, fresh, cur))
			continue;
		k->apply(cur, fresh, said, sizeof(said));
		list_add(l->applied, k->path);
		log_info("event=reload_applied key=%s change=%s", k->path,
		    LOG_Q(q, said));
	}
}

void
reload_config(struct electd *d)
{
	struct config *fresh, *cur = d->cfg;
	struct reload_lists l = { "", "", "" };
	char msg[NOTIFY_MSG_MAX], path[LOG_QUOTE_MAX(CONFIG_PATH_MAX)];

	/* systemd's reload protocol: RELOADING=1 now, READY=1 when done. */
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)clock_now_us());
	notify_send(msg);
	if (config_load_new(cur->path, &fresh, report, NULL) != 0) {
		log_error("event=reload_refused path=%s reason=invalid_config "
		    "action=nothing_changed", LOG_Q(path, cur->path));
		notify_send("READY=1");
		return;
	}
	report_kept(cur, fresh, &l);
	apply_live(cur, fresh, &l);
	/* One line that names every changed key, whatever became of it. */
	log_info("event=reload_done path=%s applied=%s restart_needed=%s "
	    "restart_all_nodes=%s", log_quote(path, sizeof(path), cur->path),
	    l.applied[0] ? l.applied : "none",
	    l.restart[0] ? l.restart : "none",
	    l.membership[0] ? l.membership : "none");
	free(fresh);
	notify_send("READY=1");
}
