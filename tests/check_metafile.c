/*
 * check_metafile: daemon/metafile.c on real files in a fresh mkdtemp
 * directory per test. Failures are provoked for real (a directory where
 * the temp file goes, RLIMIT_FSIZE for a failing write, a directory where
 * elect.meta goes) because tests run as root and permission bits would
 * not stop anything. After every failed save the old elect.meta must be
 * byte for byte what it was, and no temp file may be left behind.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta.h"
#include "metafile.h"
#include "runner.h"

static char dir[64];
static char meta_path[128];
static char tmp_path[128];

static void
rm_tree(const char *path)
{
	struct stat st;
	struct dirent *de;
	char sub[512];
	DIR *d;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			rm_tree(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void
setup(void)
{
	strcpy(dir, "/tmp/check_metafile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(meta_path, sizeof meta_path, "%s/%s", dir, METAFILE_NAME);
	snprintf(tmp_path, sizeof tmp_path, "%s/%s", dir, METAFILE_TMP_NAME);
}

static void
teardown(void)
{
	rm_tree(dir);
}

static void
write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* The whole file as a NUL-terminated string (small files only). */
static const char *
read_file(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Load, expect an error that names elect.meta and says why. */
static void
load_fails(const char *why)
{
	struct elector_saved s;
	bool found = true;
	char err[256] = "";

	ck_assert_int_eq(metafile_load(dir, &s, &found, err, sizeof err), -1);
	ck_assert(!found);
	ck_assert_msg(strstr(err, meta_path) != NULL, "no path in \"%s\"", err);
	ck_assert_msg(strstr(err, why) != NULL, "\"%s\" lacks \"%s\"", err,
	    why);
}

START_TEST(save_load_roundtrip)
{
	struct elector_saved s;
	bool found = false;
	char err[256];

	ck_assert_int_eq(metafile_save(dir, 7, "n2", err, sizeof err), 0);
	ck_assert_int_eq(metafile_load(dir, &s, &found, err, sizeof err), 0);
	ck_assert(found);
	ck_assert_uint_eq(s.epoch, 7);
	ck_assert(s.has_vote);
	ck_assert_str_eq(s.vote, "n2");

	ck_assert_int_eq(metafile_save(dir, UINT64_MAX, NULL, err,
	    sizeof err), 0);
	ck_assert_int_eq(metafile_load(dir, &s, &found, err, sizeof err), 0);
	ck_assert(found);
	ck_assert_uint_eq(s.epoch, UINT64_MAX);
	ck_assert(!s.has_vote);
}
END_TEST

START_TEST(save_overwrites)
{
	char err[256];

	ck_assert_int_eq(metafile_save(dir, 1, "n1", err, sizeof err), 0);
	ck_assert_int_eq(metafile_save(dir, 2, "n2", err, sizeof err), 0);
	ck_assert_str_eq(read_file(meta_path), "epoch 2\nvoted n2\n");
	ck_assert(!exists(tmp_path));
}
END_TEST

START_TEST(save_mode_0600)
{
	struct stat st;
	char err[256];
	mode_t old = umask(0277);

	/* A stale temp file with a wider mode, and a umask that narrows. */
	write_file(tmp_path, "junk", 4);
	ck_assert_int_eq(chmod(tmp_path, 0644), 0);
	ck_assert_int_eq(metafile_save(dir, 3, NULL, err, sizeof err), 0);
	umask(old);
	ck_assert_int_eq(stat(meta_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_str_eq(read_file(meta_path), "epoch 3\nvoted -\n");
}
END_TEST

START_TEST(load_missing_is_fresh)
{
	struct elector_saved s;
	bool found = true;
	char err[256];

	ck_assert_int_eq(metafile_load(dir, &s, &found, err, sizeof err), 0);
	ck_assert(!found);
}
END_TEST

/* A missing state directory is a missing file: fresh (saves will fail). */
START_TEST(load_missing_dir_is_fresh)
{
	struct elector_saved s;
	bool found = true;
	char err[256], nodir[160];

	snprintf(nodir, sizeof nodir, "%s/absent", dir);
	ck_assert_int_eq(metafile_load(nodir, &s, &found, err, sizeof err), 0);
	ck_assert(!found);
}
END_TEST

START_TEST(load_corrupt)
{
	write_file(meta_path, "epoch one\nvoted -\n", 18);
	load_fails("line 1");
}
END_TEST

START_TEST(load_empty)
{
	write_file(meta_path, "", 0);
	load_fails("empty");
}
END_TEST

START_TEST(load_oversized)
{
	static char big[1 << 16];

	memset(big, '\n', sizeof big);
	write_file(meta_path, big, META_FILE_MAX + 1);
	load_fails("limit");
	write_file(meta_path, big, sizeof big);
	load_fails("limit");
}
END_TEST

START_TEST(load_not_regular)
{
	ck_assert_int_eq(mkdir(meta_path, 0700), 0);
	load_fails("not a regular file");
	ck_assert_int_eq(rmdir(meta_path), 0);
	/* A FIFO must be refused, not waited on. */
	ck_assert_int_eq(mkfifo(meta_path, 0600), 0);
	load_fails("not a regular file");
}
END_TEST

/* Present but unopenable (root ignores mode bits; a symlink loop does not). */
START_TEST(load_unreadable)
{
	ck_assert_int_eq(symlink(METAFILE_NAME, meta_path), 0);
	load_fails(strerror(ELOOP));
}
END_TEST

/* Old file intact, no temp file; err names what and why. */
static void
save_fails(const char *d, const char *vote, const char *why)
{
	char err[256] = "";

	ck_assert_int_eq(metafile_save(d, 9, vote, err, sizeof err), -1);
	ck_assert_msg(strstr(err, why) != NULL, "\"%s\" lacks \"%s\"", err,
	    why);
}

START_TEST(save_no_dir)
{
	char nodir[160], want[200];

	snprintf(nodir, sizeof nodir, "%s/absent", dir);
	snprintf(want, sizeof want, "%s/%s: %s", nodir, METAFILE_TMP_NAME,
	    strerror(ENOENT));
	save_fails(nodir, "n1", want);
	ck_assert(!exists(nodir));
}
END_TEST

START_TEST(save_tmp_is_dir)
{
	struct stat st;
	char err[256];

	ck_assert_int_eq(metafile_save(dir, 4, "n4", err, sizeof err), 0);
	ck_assert_int_eq(mkdir(tmp_path, 0700), 0);
	save_fails(dir, "n5", tmp_path);
	save_fails(dir, "n5", strerror(EISDIR));
	ck_assert_str_eq(read_file(meta_path), "epoch 4\nvoted n4\n");
	/* Not ours to remove: the directory is still there, untouched. */
	ck_assert_int_eq(stat(tmp_path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* A write that fails after a short write: the temp file must go. */
START_TEST(save_write_fails)
{
	struct rlimit old, lim;
	char err[256] = "";
	void (*was)(int);
	int rc, set, reset;

	ck_assert_int_eq(metafile_save(dir, 4, "n4", err, sizeof err), 0);
	/* Ignored, SIGXFSZ turns into EFBIG from write. */
	was = signal(SIGXFSZ, SIG_IGN);
	ck_assert(was != SIG_ERR);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 5;
	/* No assert while the limit holds: Check writes a file per assert. */
	set = setrlimit(RLIMIT_FSIZE, &lim);
	rc = metafile_save(dir, 5, "n5", err, sizeof err);
	reset = setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, was);
	ck_assert_int_eq(set, 0);
	ck_assert_int_eq(reset, 0);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, "write") != NULL, "err \"%s\"", err);
	ck_assert_msg(strstr(err, strerror(EFBIG)) != NULL, "err \"%s\"", err);
	ck_assert_str_eq(read_file(meta_path), "epoch 4\nvoted n4\n");
	ck_assert(!exists(tmp_path));
}
END_TEST

/* rename onto a non-empty directory fails after the temp file is done. */
START_TEST(save_rename_fails)
{
	char keep[200];

	ck_assert_int_eq(mkdir(meta_path, 0700), 0);
	snprintf(keep, sizeof keep, "%s/keep", meta_path);
	write_file(keep, "x", 1);
	save_fails(dir, "n1", "rename");
	ck_assert(!exists(tmp_path));
	ck_assert_str_eq(read_file(keep), "x");
}
END_TEST

START_TEST(save_bad_vote)
{
	char err[256];

	ck_assert_int_eq(metafile_save(dir, 4, "n4", err, sizeof err), 0);
	save_fails(dir, "has space", "not a valid node id");
	save_fails(dir, "-", "not a valid node id");
	ck_assert_str_eq(read_file(meta_path), "epoch 4\nvoted n4\n");
	ck_assert(!exists(tmp_path));
}
END_TEST

START_TEST(store_adapter)
{
	struct metafile_store st = { .dir = dir };
	struct elector_store es = { metafile_store_save, &st };
	char nodir[160];

	ck_assert_int_eq(es.save(es.ctx, 6, "n6"), 0);
	ck_assert_str_eq(st.last_error, "");
	ck_assert_str_eq(read_file(meta_path), "epoch 6\nvoted n6\n");

	snprintf(nodir, sizeof nodir, "%s/absent", dir);
	st.dir = nodir;
	ck_assert_int_eq(es.save(es.ctx, 7, NULL), -1);
	ck_assert_ptr_nonnull(strstr(st.last_error, nodir));

	/* Success clears the error: "" means the last save worked. */
	st.dir = dir;
	ck_assert_int_eq(es.save(es.ctx, 7, NULL), 0);
	ck_assert_str_eq(st.last_error, "");
}
END_TEST

static Suite *
metafile_suite(void)
{
	Suite *s = suite_create("metafile");
	TCase *tc;

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, load_missing_is_fresh);
	tcase_add_test(tc, load_missing_dir_is_fresh);
	tcase_add_test(tc, load_corrupt);
	tcase_add_test(tc, load_empty);
	tcase_add_test(tc, load_oversized);
	tcase_add_test(tc, load_not_regular);
	tcase_add_test(tc, load_unreadable);
	suite_add_tcase(s, tc);

	tc = tcase_create("save");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, save_load_roundtrip);
	tcase_add_test(tc, save_overwrites);
	tcase_add_test(tc, save_mode_0600);
	tcase_add_test(tc, save_no_dir);
	tcase_add_test(tc, save_tmp_is_dir);
	tcase_add_test(tc, save_write_fails);
	tcase_add_test(tc, save_rename_fails);
	tcase_add_test(tc, save_bad_vote);
	tcase_add_test(tc, store_adapter);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return runner_main(metafile_suite());
}
