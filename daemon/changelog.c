/*
 * changelog: one log line per transition and per event worth its own
 * (changelog.h). It reads the change record only; it never calls the core.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "changelog.h"
#include "log.h"
#include "metafile.h"

#define CHANGELOG_CAUSE_MAX 192  /* bytes of a cause= list */
#define CHANGELOG_NAME_MAX  32   /* bytes of an elector event's name */

static const char *
member_id(const struct changelog *cl, int i)
{
	return i < 0 ? "-" : elector_member(cl->el, (size_t)i)->id;
}

/* Events that explain a move of role, epoch or primary. */
static bool
is_cause(enum elector_event_kind k)
{
	switch (k) {
	case ELECTOR_EV_CANDIDACY:
	case ELECTOR_EV_VOTE:
	case ELECTOR_EV_WON:
	case ELECTOR_EV_ADOPT:
	case ELECTOR_EV_STEP_DOWN:
	case ELECTOR_EV_ABDICATE:
	case ELECTOR_EV_PRIMARY_LOST:
		return true;
	default:
		return false;
	}
}

/*
 * The log's name of an elector event: "elector_" and the elector's own
 * name in snake case ("step-down" -> "elector_step_down").
 */
static const char *
event_name(enum elector_event_kind k, char *buf, size_t cap)
{
	const char *name = elector_event_name(k);
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < cap; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

static void
log_event(const struct changelog *cl, const struct elector_event *ev)
{
	char name[CHANGELOG_NAME_MAX], q[LOG_VALUE_MAX];

	event_name(ev->kind, name, sizeof(name));
	switch (ev->kind) {
	case ELECTOR_EV_SAVE_FAILED:
		/* The frame that needed the save was not sent. */
		log_error("event=elector_%s epoch=%" PRIu64 " vote=%s error=%s "
		    "action=frame_not_sent", name, ev->epoch,
		    member_id(cl, ev->peer), LOG_Q(q, cl->store->last_error));
		break;
	case ELECTOR_EV_PAUSE:
		/* This node was stopped or starved: re-learn peers first. */
		log_warnx("event=elector_%s gap_ms=%" PRIu64
		    " action=relearn_peers", name, ev->detail);
		break;
	case ELECTOR_EV_EPOCH_RAISED:
		log_info("event=elector_%s from=%" PRIu64 " to=%" PRIu64
		    " peer=%s reason=confirmed_claim", name, ev->detail,
		    ev->epoch, member_id(cl, ev->peer));
		break;
	case ELECTOR_EV_TIMEOUT:
		log_info("event=elector_%s epoch=%" PRIu64 " backoff_ms=%"
		    PRIu64, name, ev->epoch, ev->detail);
		break;
	case ELECTOR_EV_LAG_LIMIT:
		log_info("event=elector_%s lagging=%s offset=%" PRIu64
		    " primary_offset=%" PRIu64 " primary=%s", name,
		    ev->detail ? "yes" : "no", elector_offset(cl->el),
		    elector_primary_offset(cl->el), member_id(cl, ev->peer));
		break;
	default:
		log_info("event=elector_%s epoch=%" PRIu64 " peer=%s", name,
		    ev->epoch, member_id(cl, ev->peer));
		break;
	}
}

/* "won,adopt:n2": the causes of a move, in the order they happened. */
static void
causes(const struct changelog *cl, const struct change *ch, char *buf,
    size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ch->n_events && len < cap; i++) {
		const struct elector_event *ev = &ch->events[i];

		if (!is_cause(ev->kind))
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s%s%s",
		    len > 0 ? "," : "", elector_event_name(ev->kind),
		    ev->peer >= 0 ? ":" : "", ev->peer >= 0 ?
		    member_id(cl, ev->peer) : "");
	}
	if (buf[0] == '\0')
		snprintf(buf, cap, "-");
}

static void
log_watched(const struct status *was, const struct status *now)
{
	if (was->quorum != now->quorum)
		log_info("event=quorum quorum=%s", now->quorum ? "yes" : "no");
	if (was->fenced != now->fenced)
		log_info("event=fencing fenced=%s role=%s epoch=%" PRIu64,
		    now->fenced ? "yes" : "no", wire_role_label(now->role),
		    now->epoch);
	for (size_t i = 0; i < now->n_peers; i++)
		if (was->peers[i].up != now->peers[i].up)
			log_info("event=peer_state peer=%s state=%s",
			    now->peers[i].id,
			    now->peers[i].up ? "up" : "down");
}

void
changelog_on_change(void *ctx, const struct change *ch)
{
	const struct changelog *cl = ctx;
	char why[CHANGELOG_CAUSE_MAX];

	for (size_t i = 0; i < ch->n_events; i++)
		if (!ch->moved || !is_cause(ch->events[i].kind))
			log_event(cl, &ch->events[i]);
	if (ch->moved) {
		causes(cl, ch, why, sizeof(why));
		log_info("event=transition role=%s epoch=%" PRIu64 " primary=%s "
		    "was_role=%s was_epoch=%" PRIu64 " was_primary=%s cause=%s",
		    wire_role_label(ch->now->role), ch->now->epoch,
		    ch->now->primary[0] ? ch->now->primary : "none",
		    wire_role_label(ch->was->role), ch->was->epoch,
		    ch->was->primary[0] ? ch->was->primary : "none", why);
	}
	if (ch->watched)
		log_watched(ch->was, ch->now);
}
