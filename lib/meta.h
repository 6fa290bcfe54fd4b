/*
 * meta: the text of elect.meta (docs/design/protocol.md, rule 9),
 * formatted and parsed, with no I/O. The file is exactly two lines:
 *
 *     epoch <n>\n
 *     voted <id>\n          or   voted -\n
 *
 * <n> is unsigned 64-bit decimal (num_parse_u64), <id> a node id
 * (wire_id_is_valid). The parser is strict because a file it half
 * understands could make this node vote twice in one epoch: anything but
 * those two lines in that order is an error, never a guess.
 *
 * Decisions:
 *  - The final newline is optional (a hand-written file may lack it);
 *    nothing may follow it, not even a blank line.
 *  - CRLF is rejected. Only this daemon writes the file, with "\n"; a CR
 *    means something else edited it, and refusing with a clear reason is
 *    safer than guessing what else that editor changed.
 *  - Keywords are lower case, separated from the value by one space.
 *  - "-" always means "no vote", so a node named "-" cannot be saved:
 *    meta_format refuses it rather than write something that would read
 *    back as "never voted".
 *  - An epoch of 0 is returned as is; elector_new clamps it to 1 (spec).
 */
#ifndef META_H
#define META_H

#include <stddef.h>
#include <stdint.h>

#include "elector.h"

/* bytes in elect.meta; the longest valid file is 66 (20 digits, 32-byte id) */
#define META_FILE_MAX 128

#define META_NO_VOTE "-" /* the id written for "not voted in this epoch" */

/*
 * Write the file text for (epoch, vote) into buf, NUL-terminated. vote is
 * NULL for no vote. Returns the length without the NUL, or 0 if vote is
 * not a valid id (or is "-") or the text and its NUL do not fit in cap.
 * META_FILE_MAX + 1 bytes always suffice.
 */
size_t meta_format(uint64_t epoch, const char *vote, char *buf, size_t cap);

/*
 * Parse buf[0..len) (not NUL-terminated, may hold NULs). Returns 0 and
 * fills out, or -1 with the reason in err (out untouched).
 */
int meta_parse(const char *buf, size_t len, struct elector_saved *out,
    char *err, size_t errlen);

#endif
