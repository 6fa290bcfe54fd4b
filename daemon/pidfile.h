/*
 * pidfile: the optional pid_file. Taken (created and flock'ed) before
 * the daemon forks, so a second daemon on the same file is refused before
 * it touches any socket; the lock lives in the open file description,
 * which the forked daemon inherits. The pid is written only once the
 * daemon is ready, and the file is removed at a clean exit. It must never
 * remove or overwrite a file another running daemon holds.
 */
#ifndef PIDFILE_H
#define PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

#define PIDFILE_MODE 0644 /* a pid file is public: anybody may signal-check */

struct pidfile;

/* Create or open path and lock it; NULL with err filled if it cannot or
 * another process holds the lock (err names that pid). */
struct pidfile *pidfile_take(const char *path, char *err, size_t errlen);
/* Write pid (decimal and "\n"), replacing the content; 0 or -1 (errno). */
int pidfile_write(struct pidfile *, pid_t pid);
/* Remove the file (if still ours) and drop the lock; NULL is fine. */
void pidfile_release(struct pidfile *);
/* Close without removing: the parent's copy after a fork. */
void pidfile_forget(struct pidfile *);

#endif
