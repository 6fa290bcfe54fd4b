/*
 * sysc: see sysc.h. strace -c writes a table ("% time seconds usecs/call
 * calls errors syscall") when it detaches; this reads its calls column.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sysc.h"

#define SYSC_ATTACH_MS 5000  /* bound on strace attaching */
#define SYSC_LINE_MAX  256   /* bytes of one summary line */

bool
sysc_available(void)
{
	return access("/usr/bin/strace", X_OK) == 0 ||
	    access("/bin/strace", X_OK) == 0;
}

pid_t
sysc_start(pid_t pid, const char *path)
{
	char spid[24];
	int pfd[2];
	pid_t sp;
	struct pollfd p;
	char buf[512];
	ssize_t n;
	size_t got = 0;
	int waited = 0;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	if ((sp = fork()) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (sp == 0) {
		/* Its "Process N attached" lines come on stderr: our pipe. */
		dup2(pfd[1], STDERR_FILENO);
		execlp("strace", "strace", "-c", "-f", "-o", path, "-p", spid,
		    (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* Counting starts once strace says it is attached. */
	p.fd = pfd[0];
	p.events = POLLIN;
	while (waited < SYSC_ATTACH_MS) {
		if (poll(&p, 1, 100) == 1) {
			if ((n = read(pfd[0], buf + got, sizeof(buf) - 1 -
			    got)) <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "attached") != NULL) {
				close(pfd[0]);
				return sp;
			}
			if (got == sizeof(buf) - 1)
				got = 0;
		} else
			waited += 100;
	}
	close(pfd[0]);
	kill(sp, SIGKILL);
	waitpid(sp, NULL, 0);
	return -1;
}

int
sysc_stop(pid_t sp, const char *path, struct sysc_counts *out)
{
	char line[SYSC_LINE_MAX];
	FILE *f;
	int st;

	memset(out, 0, sizeof(*out));
	kill(sp, SIGINT);
	if (waitpid(sp, &st, 0) == -1 || (f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		double pct, secs;
		unsigned long long usecs, calls;
		char *name = strrchr(line, ' ');

		/* "% time ..." and "------" lines do not scan as numbers. */
		if (sscanf(line, "%lf %lf %llu %llu", &pct, &secs, &usecs,
		    &calls) != 4 || name == NULL)
			continue;
		name++;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, "total") == 0) {
			out->total = calls;
			continue;
		}
		if (out->n == SYSC_NAMES_MAX)
			continue;
		snprintf(out->by[out->n].name, SYSC_NAME_MAX, "%s", name);
		out->by[out->n++].calls = calls;
	}
	fclose(f);
	return 0;
}

uint64_t
sysc_calls(const struct sysc_counts *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->by[i].name, name) == 0)
			return c->by[i].calls;
	return 0;
}
