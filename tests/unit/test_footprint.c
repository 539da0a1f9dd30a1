/* Unit tests: dropping the pages of set-up (supervisor/footprint.c): the
 * pages of a read-only file mapping are unmapped and read back the same,
 * a read-only mapping holding a private copy of a page keeps it, and a
 * writable mapping is not touched. */
#include <check.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "footprint.h"

#define PAGES 256
static char path[64];
static long page;

/* Rss and Anonymous (KiB) of the mapping that starts at addr */
static void usage_of(const void *addr, unsigned long *rss, unsigned long *anon)
{
        char line[512], want[32];
        bool in = false;
        FILE *f = fopen("/proc/self/smaps", "re");

        ck_assert_ptr_nonnull(f);
        snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
        *rss = *anon = (unsigned long)-1;
        while (fgets(line, sizeof(line), f)) {
                unsigned long kib, a, b;
                char perms[8];
                if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3) {
                        in = strncmp(line, want, strlen(want)) == 0;
                        continue;
                }
                if (in && sscanf(line, "Rss: %lu kB", &kib) == 1)
                        *rss = kib;
                if (in && sscanf(line, "Anonymous: %lu kB", &kib) == 1)
                        *anon = kib;
        }
        fclose(f);
        ck_assert_uint_ne(*rss, (unsigned long)-1);
}

static unsigned long sum(const volatile unsigned char *p)
{
        unsigned long s = 0;
        for (long i = 0; i < PAGES; i++)
                s += p[i * page] + p[i * page + 7];
        return s;
}

static int make_file(void)
{
        unsigned char *buf;
        int fd;

        page = sysconf(_SC_PAGESIZE);
        snprintf(path, sizeof(path), "/tmp/oomwatch-fp.XXXXXX");
        fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        buf = malloc((size_t)(PAGES * page));
        for (long i = 0; i < PAGES * page; i++)
                buf[i] = (unsigned char)(i * 31 + i / page);
        ck_assert_int_eq(write(fd, buf, (size_t)(PAGES * page)), PAGES * page);
        free(buf);
        return fd;
}

START_TEST(readonly_file_pages_dropped_kept_copies_and_writable_alone)
{
        int fd = make_file();
        size_t len = (size_t)(PAGES * page);
        unsigned long rss, anon, rss_w_before;
        struct fp_drop d;

        unsigned char *ro = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        unsigned char *cow = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        unsigned char *rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        ck_assert(ro != MAP_FAILED && cow != MAP_FAILED && rw != MAP_FAILED);
        unsigned long want = sum(ro);
        (void)sum(rw);
        /* the relocated-data case: one private copy, then read-only */
        (void)sum(cow);
        cow[3 * page + 5] = 0xab;
        ck_assert_int_eq(mprotect(cow, len, PROT_READ), 0);

        usage_of(ro, &rss, &anon);
        ck_assert_uint_ge(rss, (unsigned long)(PAGES * page / 1024) / 2);
        ck_assert_uint_eq(anon, 0);
        usage_of(rw, &rss_w_before, &anon);

        ck_assert_int_eq(fp_drop_setup_pages(&d), 0);
        usage_of(ro, &rss, &anon);
        ck_assert_uint_eq(rss, 0);
        ck_assert_uint_ge(d.kib, (unsigned long)(PAGES * page / 1024) / 2);
        ck_assert_uint_ge(d.mappings, 1);
        /* read back from the page cache, the same bytes */
        ck_assert_uint_eq(sum(ro), want);

        /* the mapping with a private page is whole, the page kept */
        usage_of(cow, &rss, &anon);
        ck_assert_uint_ge(anon, (unsigned long)page / 1024);
        ck_assert_uint_ge(rss, (unsigned long)(PAGES * page / 1024) / 2);
        ck_assert_int_eq(cow[3 * page + 5], 0xab);
        /* a writable mapping is never a candidate */
        usage_of(rw, &rss, &anon);
        ck_assert_uint_eq(rss, rss_w_before);

        munmap(ro, len);
        munmap(cow, len);
        munmap(rw, len);
        close(fd);
        unlink(path);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("footprint");
        TCase *t = tcase_create("drop");
        SRunner *sr;
        int failed;

        tcase_add_test(t, readonly_file_pages_dropped_kept_copies_and_writable_alone);
        suite_add_tcase(s, t);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
