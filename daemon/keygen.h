/*
 * keygen: `kevy-electd --gen-key FILE`, a new peer key for auth_key_file.
 * The key is KEYGEN_RANDOM_BYTES from the kernel's CSPRNG (getrandom(2)),
 * written as lower-case hex and one newline so that it can be copied and
 * compared as text; the file is created mode 0600, never over an existing
 * one, and read back through auth_key_load before it is reported written,
 * so a generated key always passes the daemon's own loader.
 */
#ifndef KEYGEN_H
#define KEYGEN_H

#include <stddef.h>

#include "auth.h"

#define KEYGEN_RANDOM_BYTES AUTH_KEY_MIN   /* CSPRNG bytes: 256 bits */
#define KEYGEN_TEXT_LEN (2 * KEYGEN_RANDOM_BYTES) /* hex digits, no "\n" */
#define KEYGEN_MODE 0600                   /* the loader's strictest wish */
#define KEYGEN_STDOUT "-"                  /* FILE meaning standard output */

/*
 * Write a new key to path (KEYGEN_STDOUT: to standard output). 0, or -1
 * with a sentence naming path in err; a file that could not be completed
 * is removed, an existing one never touched.
 */
int keygen_write(const char *path, char *err, size_t errlen);

#endif
