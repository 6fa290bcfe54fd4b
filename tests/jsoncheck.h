/*
 * jsoncheck: a minimal JSON validator for the tests, enough to prove a
 * rendering's shape is legal JSON (lib/status.c's STATUS JSON and CLUSTER,
 * kevy-electctl --json). Not a parser: it says yes or no.
 */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stdbool.h>

/*
 * s is one JSON value starting with open ('{' or '['), then exactly "\n"
 * and the end of the string.
 */
bool jsoncheck_line(const char *s, char open);

#endif
