/* Unit tests: rewriting a file whole (supervisor/fsutil.c, fs_rewrite_*):
 * each version whole under its name, the pages of the version before last
 * reused, what is planted at the spare's name never written through, and a
 * failed write leaving the last version alone. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static char dir[64];
static int dfd = -1;

static void setup(void)
{
        snprintf(dir, sizeof(dir), "/tmp/oomwatch-fsu.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(dfd, 0);
}

static void teardown(void)
{
        char cmd[160];
        close(dfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

static int rewrite(const char *text, int writer_err)
{
        struct fs_rewrite rw;
        int r;
        FILE *f = fs_rewrite_begin(&rw, dfd, "s.json", "s.json.tmp", 0644, &r);

        if (!f)
                return r;
        fputs(text, f);
        return fs_rewrite_end(&rw, writer_err);
}

static const char *slurp_fd(int fd)
{
        static char buf[65536];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        ck_assert_int_ge(n, 0);
        buf[n] = '\0';
        return buf;
}

static const char *slurp(const char *name)
{
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        const char *t;
        ck_assert_int_ge(fd, 0);
        t = slurp_fd(fd);
        close(fd);
        return t;
}

static ino_t ino(const char *name)
{
        struct stat st;
        ck_assert_int_eq(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
        return st.st_ino;
}

static char *text(char c, size_t n)
{
        char *t = malloc(n + 1);
        ck_assert_ptr_nonnull(t);
        memset(t, c, n);
        t[n] = '\0';
        return t;
}

START_TEST(versions_whole_and_pages_reused)
{
        char *v1 = text('a', 3 * 4096 + 17), *v2 = text('b', 5000);
        ino_t first, second;
        int held;

        ck_assert_int_eq(rewrite(v1, 0), 0);
        ck_assert_str_eq(slurp("s.json"), v1);
        first = ino("s.json");
        /* a reader holding the first version keeps it whole across one rewrite */
        held = openat(dfd, "s.json", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(held, 0);
        ck_assert_int_eq(rewrite(v2, 0), 0);
        ck_assert_str_eq(slurp("s.json"), v2);
        ck_assert_str_eq(slurp_fd(held), v1);
        close(held);
        second = ino("s.json");
        ck_assert_uint_ne(second, first);
        /* the third version goes into the first one's inode, cut to its length */
        ck_assert_int_eq(rewrite("{\"short\": 1}\n", 0), 0);
        ck_assert_str_eq(slurp("s.json"), "{\"short\": 1}\n");
        ck_assert_uint_eq(ino("s.json"), first);
        ck_assert_uint_eq(ino("s.json.tmp"), second);
        ck_assert_int_eq(rewrite(v1, 0), 0);
        ck_assert_uint_eq(ino("s.json"), second);
        ck_assert_str_eq(slurp("s.json"), v1);
        free(v1);
        free(v2);
}
END_TEST

START_TEST(planted_spare_never_written_through)
{
        char outside[128];
        int fd;

        ck_assert_int_eq(rewrite("one\n", 0), 0);
        /* a symbolic link at the spare's name: replaced, its target untouched */
        snprintf(outside, sizeof(outside), "%s/outside", dir);
        fd = open(outside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "keep\n", 5), 5);
        close(fd);
        ck_assert_int_eq(symlinkat("outside", dfd, "s.json.tmp"), 0);
        ck_assert_int_eq(rewrite("two\n", 0), 0);
        ck_assert_str_eq(slurp("s.json"), "two\n");
        ck_assert_str_eq(slurp("outside"), "keep\n");
        /* a hard link to another file at the spare's name: the same */
        ck_assert_int_eq(unlinkat(dfd, "s.json.tmp", 0), 0);
        ck_assert_int_eq(linkat(dfd, "outside", dfd, "s.json.tmp", 0), 0);
        ck_assert_int_eq(rewrite("three\n", 0), 0);
        ck_assert_str_eq(slurp("s.json"), "three\n");
        ck_assert_str_eq(slurp("outside"), "keep\n");
        /* a FIFO: never opened (an open for writing would block or fail) */
        ck_assert_int_eq(unlinkat(dfd, "s.json.tmp", 0), 0);
        ck_assert_int_eq(mkfifoat(dfd, "s.json.tmp", 0644), 0);
        ck_assert_int_eq(rewrite("four\n", 0), 0);
        ck_assert_str_eq(slurp("s.json"), "four\n");
        /* a directory cannot be replaced: an error, the last version stays */
        ck_assert_int_eq(unlinkat(dfd, "s.json.tmp", 0), 0);
        ck_assert_int_eq(mkdirat(dfd, "s.json.tmp", 0755), 0);
        ck_assert_int_lt(rewrite("five\n", 0), 0);
        ck_assert_str_eq(slurp("s.json"), "four\n");
}
END_TEST

START_TEST(failed_write_keeps_last_version)
{
        ck_assert_int_eq(rewrite("good\n", 0), 0);
        ck_assert_int_eq(rewrite("good, second\n", 0), 0);
        ck_assert_int_eq(rewrite("half", -EIO), -EIO);
        ck_assert_str_eq(slurp("s.json"), "good, second\n");
        ck_assert_int_ne(faccessat(dfd, "s.json.tmp", F_OK, AT_SYMLINK_NOFOLLOW), 0);
        ck_assert_int_eq(rewrite("good, third\n", 0), 0);
        ck_assert_str_eq(slurp("s.json"), "good, third\n");
}
END_TEST

int main(void)
{
        Suite *s = suite_create("fsutil");
        TCase *t = tcase_create("rewrite");
        SRunner *sr;
        int failed;

        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, versions_whole_and_pages_reused);
        tcase_add_test(t, planted_spare_never_written_through);
        tcase_add_test(t, failed_write_keeps_last_version);
        suite_add_tcase(s, t);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
