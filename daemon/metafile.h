/*
 * metafile: elect.meta on disk, in the state directory. Loads it at start
 * and saves (epoch, vote) crash-safely: a temporary file written in full,
 * fsynced and closed, renamed over elect.meta, then the directory fsynced.
 * A save either leaves the old file intact or returns only once the new
 * one is on stable storage (a failed fsync of the directory after the
 * rename is the one exception: the new file may or may not survive a
 * crash, and either is safe because the caller did not act on it).
 *
 * Deviation from the reference (spec item 9): only a MISSING file means a
 * fresh node. A file that is present but unreadable, not a regular file,
 * oversized or corrupt refuses the start. The reference treats it as
 * fresh, which forgets the vote and could make this node vote twice in
 * one epoch; an operator has to look at (or remove) the file instead.
 */
#ifndef METAFILE_H
#define METAFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elector.h"

#define METAFILE_NAME     "elect.meta"
#define METAFILE_TMP_NAME "elect.meta.tmp"
#define METAFILE_MODE     0600 /* state, not for other users */
#define METAFILE_ERR_MAX  256  /* bytes in metafile_store.last_error */

/*
 * Read dir/elect.meta. Missing: *found = false, return 0. Present and
 * valid: fill out, *found = true, return 0. Otherwise -1 with an error
 * naming the path and the problem in err.
 */
int metafile_load(const char *dir, struct elector_saved *out, bool *found,
    char *err, size_t errlen);

/*
 * Replace dir/elect.meta with (epoch, vote); vote is NULL for no vote.
 * Returns 0 once durable, or -1 with the path and strerror in err.
 */
int metafile_save(const char *dir, uint64_t epoch, const char *vote,
    char *err, size_t errlen);

/* The ctx of metafile_store_save: the directory and the last error. */
struct metafile_store {
	const char *dir;
	char last_error[METAFILE_ERR_MAX]; /* "" after a successful save */
};

/* struct elector_store's save: ctx is a struct metafile_store. */
int metafile_store_save(void *ctx, uint64_t epoch, const char *vote);

#endif
