/*
 * change: the bus of the change pipeline (change.h). It owns no state but
 * the subscriber list and the publishing flag; the records are the
 * core's and live only for the call.
 */
#include <string.h>

#include "change.h"
#include "log.h"

int
change_subscribe(struct change_bus *bus, const char *name, change_fn *fn,
    void *ctx)
{
	if (bus->n == CHANGE_SUBSCRIBERS_MAX)
		return -1;
	bus->sub[bus->n].name = name;
	bus->sub[bus->n].fn = fn;
	bus->sub[bus->n].ctx = ctx;
	bus->n++;
	return 0;
}

void
change_publish(struct change_bus *bus, const struct change *ch)
{
	if (bus->publishing)
		fatalx("event=bug reason=change_published_from_a_change_subscriber");
	bus->publishing = true;
	for (size_t i = 0; i < bus->n; i++)
		bus->sub[i].fn(bus->sub[i].ctx, ch);
	bus->publishing = false;
}

bool
change_is_publishing(const struct change_bus *bus)
{
	return bus->publishing;
}

bool
change_is_move(const struct status *was, const struct status *now)
{
	return was->role != now->role || was->epoch != now->epoch ||
	    strcmp(was->primary, now->primary) != 0;
}
