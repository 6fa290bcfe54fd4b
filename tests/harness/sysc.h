/*
 * sysc: count a running process's system calls with strace -c, for the
 * idle benchmark (bench/idle) and the tests that hold the daemon to its
 * syscall budget (tests/check_syscalls). strace attaches with ptrace and
 * slows every call it sees: count in a window of its own, never while
 * timing anything.
 */
#ifndef SYSC_H
#define SYSC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SYSC_NAMES_MAX 64   /* distinct syscalls kept per count */
#define SYSC_NAME_MAX  32   /* bytes of a syscall name */

struct sysc_counts {
	size_t n;
	struct {
		char name[SYSC_NAME_MAX];
		uint64_t calls;
	} by[SYSC_NAMES_MAX];
	uint64_t total;
};

/* Is strace there to run? (Tests skip, the bench leaves the columns out.) */
bool sysc_available(void);
/*
 * Attach strace -c -f to pid, writing its summary to path; the strace
 * process's pid, or -1. It counts from the moment it is attached, which
 * this returns after (bounded wait for its "attached" line).
 */
pid_t sysc_start(pid_t pid, const char *path);
/* Detach (SIGINT) and read the summary into out: 0 or -1. */
int sysc_stop(pid_t strace_pid, const char *path, struct sysc_counts *out);
/* Calls of name (0 if it never ran). */
uint64_t sysc_calls(const struct sysc_counts *, const char *name);

#endif
