/*
 * errbuf: the one way every module writes a sentence into a caller's
 * (char *err, size_t errlen) pair. Pure: formatting only.
 */
#ifndef ERRBUF_H
#define ERRBUF_H

#include <stddef.h>

/* Format into err (when err is not NULL and errlen > 0); returns -1. */
int errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
