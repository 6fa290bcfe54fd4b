/*
 * fuzz_replay: run a fuzz target (fuzz/fuzz_*.c) over every file of a
 * corpus directory without libFuzzer or clang, so that the test command
 * replays the seed corpus with the ordinary compiler, under ASan/UBSan and
 * valgrind too. Each input is given in a heap buffer of exactly its size,
 * so a read past the end shows. A target signals a broken promise by
 * crashing or aborting; that fails the run (with the file named first).
 * Usage: fuzz_replay DIR...
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_INPUT_MAX (1024 * 1024) /* bytes in one corpus file */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read path into a malloc'd buffer of exactly its size; -1 on failure. */
static int
slurp(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > REPLAY_INPUT_MAX) {
		fclose(fp);
		errno = EINVAL;
		return -1;
	}
	n = (size_t)st.st_size;
	/* malloc(0) may be NULL: keep one byte but hand out length 0. */
	if ((*buf = malloc(n > 0 ? n : 1)) == NULL ||
	    fread(*buf, 1, n, fp) != n) {
		free(*buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	*len = n;
	return 0;
}

/* Every file of dir through the target; unreadable ones count as failed. */
static void
replay_dir(const char *dir, size_t *passed, size_t *failed)
{
	char **names = NULL, path[4096];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
		(*failed)++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char **more;

		if (de->d_name[0] == '.')
			continue;
		if ((more = realloc(names, (n + 1) * sizeof *names)) == NULL ||
		    (more[n] = strdup(de->d_name)) == NULL) {
			names = more != NULL ? more : names;
			fprintf(stderr, "fuzz_replay: %s: out of memory\n", dir);
			(*failed)++;
			break;
		}
		names = more;
		n++;
	}
	closedir(d);
	/* A fixed order, so that a failure is the same on every run. */
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (slurp(path, &buf, &len) == -1) {
			fprintf(stderr, "fuzz_replay: %s: %s\n", path,
			    strerror(errno));
			(*failed)++;
			continue;
		}
		/* Named before the run: a crash leaves no other trace. */
		fprintf(stderr, "fuzz_replay: %s (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		(*passed)++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
main(int argc, char **argv)
{
	size_t passed = 0, failed = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		replay_dir(argv[i], &passed, &failed);
	printf("%s: %zu passed, %zu failed\n", argv[0], passed, failed);
	/* An empty corpus proves nothing: fail rather than pass vacuously. */
	return failed == 0 && passed > 0 ? 0 : 1;
}
