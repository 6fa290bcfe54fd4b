/*
 * textfile: whole small text files for the Check suites: write one, read
 * one back. A failure fails the calling test (ck_assert), so callers
 * never check a return value.
 */
#ifndef TEXTFILE_H
#define TEXTFILE_H

/* Create or truncate path and write text into it. */
void textfile_write(const char *path, const char *text);

/* The whole of path, NUL-terminated, in a buffer the caller frees. */
char *textfile_read(const char *path);

#endif
