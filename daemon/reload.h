/*
 * reload: SIGHUP. Build a fresh config from the same file; if it is
 * entirely valid, apply the keys the schema marks live (log_level) and
 * name every other changed key as needing a restart, the membership keys
 * as needing a restart of every node. Membership never changes online. An
 * invalid file changes nothing.
 */
#ifndef RELOAD_H
#define RELOAD_H

struct electd;

void reload_config(struct electd *);

#endif
