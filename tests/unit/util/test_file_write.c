/* lib/util/buf.c porten_file_write_atomic: the temp file is created exclusively, so a
 * symlink planted where a temp name could be (the old guessable <path>.tmp.<pid>) is never
 * followed: its target stays untouched, and the result is right (content, mode, no temp
 * file left behind). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "porten/buf.h"

static char dir[] = "/tmp/porten-test-file-write-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
read_back(const char *p, const char *want)
{
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(porten_file_read(p, 4096, &data, &len), 0);
	assert_string_equal(data, want);
	free(data);
}

static size_t
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
planted_symlink_is_not_followed(void **state)
{
	char path[300], victim[300], planted[400];
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/token.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious", f);
	fclose(f);
	assert_int_equal(chmod(victim, 0644), 0);
	/* the name the function used to take, and a few neighbours */
	snprintf(planted, sizeof(planted), "%s.tmp.%ld", path, (long)getpid());
	assert_int_equal(symlink(victim, planted), 0);

	assert_int_equal(porten_file_write_atomic(path, "secret", 6, 0600), 0);
	read_back(victim, "precious");
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	read_back(path, "secret");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(lstat(planted, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* victim, planted link, the file: no temp file left behind */
	assert_int_equal(entries(), 3);

	/* again over an existing file, with another mode */
	assert_int_equal(porten_file_write_atomic(path, "second", 6, 0640), 0);
	read_back(path, "second");
	read_back(victim, "precious");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(entries(), 3);
}

static void
path_that_is_a_symlink_is_replaced_not_followed(void **state)
{
	char path[300], victim[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/pointer.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim2", dir);
	assert_int_equal(porten_file_write_atomic(victim, "keep", 4, 0644), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(porten_file_write_atomic(path, "new", 3, 0600), 0);
	read_back(victim, "keep");
	read_back(path, "new");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(planted_symlink_is_not_followed),
		cmocka_unit_test(path_that_is_a_symlink_is_replaced_not_followed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
