/*
 * reload: SIGHUP. Build a fresh config from the same file; if it is
 * entirely valid, apply what can change safely at run time (log_level)
 * and name every other changed key as needing a restart. Membership never
 * changes online. An invalid file changes nothing.
 */
#ifndef RELOAD_H
#define RELOAD_H

struct electd;

void reload_config(struct electd *);

#endif
