/*
 * show: what kevy-electctl prints. Human output (aligned, for a terminal)
 * or JSON (one line, for scripts) of what the daemon answered. It only
 * formats: every byte it prints comes from a reply already read, and a
 * reply it cannot understand is said to be so, never half-printed.
 */
#ifndef SHOW_H
#define SHOW_H

#include <stdbool.h>
#include <stdio.h>

#define SHOW_ROWS_MAX 256   /* members in a cluster table (ELECTOR_MEMBERS_MAX) */

/* s as a JSON string, quotes included; bytes outside ASCII as \u00XX. */
void show_json_str(FILE *, const char *s);

/* A STATUS line, one "key  value" per line. */
void show_status(FILE *, const char *line);

/*
 * The CLUSTER reply (one JSON array) as an aligned table, this node
 * marked '*'. 0, or -1 with a reason in *why if it is not such a table.
 */
int show_table(FILE *, const char *json, const char **why);

/*
 * One WATCH line: now's local time, then the fields that WATCH reports
 * on (role, epoch, primary, ...). json: one object per line instead.
 */
void show_watch(FILE *, const char *status_line, bool json);

/* The value of key in a "k=v k=v" line into out ("" if absent). */
void show_field(const char *line, const char *key, char *out, size_t cap);

#endif
