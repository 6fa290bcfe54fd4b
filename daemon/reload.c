/*
 * reload: SIGHUP handling; see reload.h. Comparing configs field by field
 * is deliberate: a key added to struct config must be placed here as
 * either live or restart-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "electd.h"
#include "log.h"
#include "notify.h"
#include "reload.h"

static void
report(void *ctx, bool is_error, const char *msg)
{
	(void)ctx;
	if (is_error)
		log_error("reload: %s", msg);
	else
		log_warnx("reload: %s", msg);
}

static bool
members_differ(const struct config *a, const struct config *b)
{
	if (a->n_members != b->n_members || a->self != b->self)
		return true;
	for (size_t i = 0; i < a->n_members; i++) {
		const struct config_member *x = &a->members[i];
		const struct config_member *y = &b->members[i];

		if (strcmp(x->id, y->id) != 0 ||
		    strcmp(x->election.host, y->election.host) != 0 ||
		    x->election.port != y->election.port ||
		    strcmp(x->client, y->client) != 0 ||
		    x->never_stand != y->never_stand)
			return true;
	}
	return false;
}

static void
restart_only(const char *key, bool changed)
{
	if (changed)
		log_warnx("reload: %s changed: takes effect after a restart",
		    key);
}

void
reload_config(struct electd *d)
{
	struct config *fresh, *cur = d->cfg;
	char msg[NOTIFY_MSG_MAX];

	/* systemd's reload protocol: RELOADING=1 now, READY=1 when done. */
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)clock_now_us());
	notify_send(msg);
	fresh = calloc(1, sizeof(*fresh));
	if (fresh == NULL) {
		log_warn("reload");
		notify_send("READY=1");
		return;
	}
	if (config_load(cur->path, fresh, report, NULL) != 0) {
		log_error("reload: %s is invalid: nothing changed", cur->path);
		free(fresh);
		notify_send("READY=1");
		return;
	}
	if (strcmp(fresh->node_id, cur->node_id) != 0 ||
	    members_differ(fresh, cur))
		log_warnx("reload: membership changed: membership changes "
		    "need a restart of every node; running with the old one");
	restart_only("listen", strcmp(fresh->listen.host, cur->listen.host)
	    != 0 || fresh->listen.port != cur->listen.port);
	restart_only("advertise", strcmp(fresh->advertise, cur->advertise) != 0);
	restart_only("state_dir", strcmp(fresh->state_dir, cur->state_dir) != 0);
	restart_only("control", strcmp(fresh->control_path,
	    cur->control_path) != 0 || fresh->control_mode != cur->control_mode ||
	    strcmp(fresh->control_group, cur->control_group) != 0 ||
	    fresh->n_write_uids != cur->n_write_uids ||
	    memcmp(fresh->write_uids, cur->write_uids,
	    sizeof(fresh->write_uids)) != 0 ||
	    fresh->n_write_gids != cur->n_write_gids ||
	    memcmp(fresh->write_gids, cur->write_gids,
	    sizeof(fresh->write_gids)) != 0);
	restart_only("timings", memcmp(&fresh->timing, &cur->timing,
	    sizeof(fresh->timing)) != 0);
	restart_only("initial_role", fresh->want_primary != cur->want_primary);
	restart_only("never_stand", fresh->never_stand != cur->never_stand);
	restart_only("local_health_timeout_ms",
	    fresh->local_health_timeout_ms != cur->local_health_timeout_ms);
	restart_only("notify_exec", strcmp(fresh->notify_exec,
	    cur->notify_exec) != 0 ||
	    fresh->notify_timeout_ms != cur->notify_timeout_ms);
	restart_only("http_listen", fresh->http_enabled != cur->http_enabled ||
	    strcmp(fresh->http_listen.host, cur->http_listen.host) != 0 ||
	    fresh->http_listen.port != cur->http_listen.port);
	restart_only("max_epoch_jump",
	    fresh->max_epoch_jump != cur->max_epoch_jump);
	restart_only("peer_source_check",
	    fresh->peer_source_check != cur->peer_source_check);
	/* The key file is read at start; a changed file needs one too. */
	restart_only("auth_key_file", strcmp(fresh->auth_key_file,
	    cur->auth_key_file) != 0);
	if (fresh->log_level != cur->log_level) {
		log_info("reload: log_level %s -> %s",
		    log_level_name(cur->log_level),
		    log_level_name(fresh->log_level));
		log_set_level(fresh->log_level);
		cur->log_level = fresh->log_level;
	}
	log_info("reload: %s done", cur->path);
	free(fresh);
	notify_send("READY=1");
}
