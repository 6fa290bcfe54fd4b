/*
 * secret: the rules every file holding a secret must pass before a byte
 * of it is used (auth_key_file, server.password_file), in one place so
 * that the two can never disagree: a regular file, owned by the daemon's
 * user, no permission bits for group or others, read to a bound.
 *
 * Never logs, keeps or prints a secret: an error says what is wrong with
 * the file, never what is in it; every buffer that held file bytes is
 * wiped before it is released.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Open path and check it: a regular file owned by owner, no permission
 * bits for group or others. Then read it into buf, at most cap bytes
 * (*len): a file longer than that is read to cap only, so a caller with
 * a limit below cap tells "too long" from *len. label names the key in
 * errors ("auth_key_file /k: mode 0644: ..."). 0, or -1 with a sentence
 * in err (buf then holds nothing the caller must wipe beyond *len = 0).
 */
int secret_file_read(const char *label, const char *path, uid_t owner,
    unsigned char *buf, size_t cap, size_t *len, char *err, size_t errlen);

/*
 * A password: the file as secret_file_read checks it,
 * 1..max bytes once one trailing "\n" or "\r\n" is stripped, no NUL, CR
 * or LF inside. Into out (max + 1 bytes), NUL-terminated; out is wiped
 * and left "" on failure. 0, or -1 with a sentence in err.
 */
int secret_password_load(const char *label, const char *path, uid_t owner,
    char *out, size_t max, char *err, size_t errlen);

#endif
