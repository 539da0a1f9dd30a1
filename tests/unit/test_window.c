/* Unit tests: the dump window. Every test works in a fresh temporary dump
 * directory and asserts which files are left on disk. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "window.h"

#define DUMP_HEAD "heap_v2/524288\n"

static char tmpdir[64];
static int dfd = -1;
static struct win *w;
static unsigned n_rotated, n_failed, n_left, n_cut_deleted;
static int last_left_err;

static void on_note(void *userdata, enum win_note what, const char *name, int err)
{
        (void)userdata;
        (void)name;
        if (what == WIN_ROTATED)
                n_rotated++;
        else if (what == WIN_ROTATE_FAILED)
                n_failed++;
        else if (what == WIN_CUT_SHORT_DELETED)
                n_cut_deleted++;
        else {
                n_left++;
                last_left_err = err;
        }
}

/* A name of kind i whose kseq equals seq; from a ring of buffers so that
 * several can appear in one call. */
static const char *N(int pid, unsigned long long seq)
{
        static char ring[64][64];
        static unsigned next;
        char *b = ring[next++ % 64];

        snprintf(b, 64, "oomwatch.%d.%llu.i%llu.heap", pid, seq, seq);
        return b;
}

static const char *NK(int pid, unsigned long long seq, char kind, unsigned long long kseq)
{
        static char ring[16][64];
        static unsigned next;
        char *b = ring[next++ % 16];

        if (kind == 'f')
                snprintf(b, 64, "oomwatch.%d.%llu.f.heap", pid, seq);
        else
                snprintf(b, 64, "oomwatch.%d.%llu.%c%llu.heap", pid, seq, kind, kseq);
        return b;
}

/* Writes a dump-like file of `size` bytes (at least the header). */
static void mk_sized(const char *name, size_t size)
{
        static char buf[8192];
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t n = strlen(DUMP_HEAD);

        ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
        ck_assert(size <= sizeof(buf));
        memset(buf, '#', sizeof(buf));
        memcpy(buf, DUMP_HEAD, n);
        if (size < n)
                size = n;
        ck_assert_int_eq(write(fd, buf, size), (ssize_t)size);
        close(fd);
}

static void mk(const char *name)
{
        mk_sized(name, strlen(DUMP_HEAD));
}

static void set_mtime(const char *name, time_t t)
{
        struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };

        ck_assert_int_eq(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static bool on_disk(const char *name)
{
        struct stat st;

        return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static size_t disk_count(void)
{
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fdopendir(fd);
        struct dirent *de;
        size_t n = 0;

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void disk_list(char *buf, size_t len)
{
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fdopendir(fd);
        struct dirent *de;
        size_t o = 0;

        buf[0] = 0;
        while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && o < len)
                        o += (size_t)snprintf(buf + o, len - o, " %s", de->d_name);
        if (d)
                closedir(d);
}

/* The directory holds exactly the names given (NULL-terminated). */
static void expect_disk(const char *first, ...)
{
        char have[4096];
        size_t n = 0;
        va_list ap;

        disk_list(have, sizeof(have));
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *)) {
                ck_assert_msg(on_disk(s), "%s missing; on disk:%s", s, have);
                n++;
        }
        va_end(ap);
        ck_assert_msg(disk_count() == n, "expected %zu files, on disk:%s", n, have);
}

static void open_win(unsigned keep, bool baseline, uint64_t max_bytes, unsigned max_files)
{
        struct win_params p = {
                .keep = keep, .keep_baseline = baseline, .max_bytes = max_bytes,
                .max_files = max_files, .note = on_note,
        };

        if (w)
                win_free(w);
        w = NULL;
        ck_assert_int_eq(win_new(dfd, "oomwatch", &p, &w), 0);
        ck_assert_ptr_nonnull(w);
}

static void add_sized(const char *name, size_t size)
{
        mk_sized(name, size);
        ck_assert_msg(win_add(w, name) == 1, "win_add %s", name);
}

static void add_ok(const char *name)
{
        add_sized(name, strlen(DUMP_HEAD));
}

static void setup(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/oomwatch-test-window.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
        dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(dfd, 0);
        n_rotated = n_failed = n_left = 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
        (void)st;
        (void)f;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void teardown(void)
{
        win_free(w);
        w = NULL;
        close(dfd);
        nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The window's view matches the disk: every tracked name exists, the
 * listing is in (pid, seq) order, and the byte count adds up. */
static void expect_consistent(void)
{
        uint64_t sum = 0;

        for (size_t i = 0; i < win_count(w); i++) {
                const struct win_dump *d = win_get(w, i);
                struct stat st;
                ck_assert_ptr_nonnull(d);
                ck_assert_msg(fstatat(dfd, d->name, &st, AT_SYMLINK_NOFOLLOW) == 0, "%s", d->name);
                ck_assert_uint_eq(d->bytes, (uint64_t)st.st_size);
                sum += d->bytes;
                if (i > 0) {
                        const struct win_dump *p = win_get(w, i - 1);
                        ck_assert(p->pid < d->pid || (p->pid == d->pid && p->seq < d->seq));
                }
        }
        ck_assert_ptr_null(win_get(w, win_count(w)));
        ck_assert_uint_eq(sum, win_bytes(w));
}

/* ---- rules ---------------------------------------------------------------- */

START_TEST(baseline_plus_newest_per_pid)
{
        open_win(3, true, 0, 0);
        for (unsigned s = 0; s < 10; s++) {
                add_ok(N(100, s));
                if (s < 6)
                        add_ok(N(200, s));
        }
        expect_disk(N(100, 0), N(100, 7), N(100, 8), N(100, 9),
                    N(200, 0), N(200, 3), N(200, 4), N(200, 5), NULL);
        ck_assert_uint_eq(win_count(w), 8);
        expect_consistent();
        ck_assert(win_get(w, 0)->baseline);
        ck_assert(!win_get(w, 1)->baseline);
        ck_assert_uint_eq(n_rotated, 6 + 2);
        ck_assert_uint_eq(n_failed + n_left, 0);
}
END_TEST

START_TEST(no_baseline)
{
        open_win(2, false, 0, 0);
        for (unsigned s = 0; s < 6; s++)
                add_ok(N(5, s));
        expect_disk(N(5, 4), N(5, 5), NULL);
        const struct win_dump *b = NULL, *n = NULL;
        ck_assert_int_eq(win_pair(w, 5, &b, &n), 0);
        ck_assert_str_eq(b->name, N(5, 4));
        ck_assert_str_eq(n->name, N(5, 5));
        ck_assert(!b->baseline);
}
END_TEST

/* seq 10 sorts before seq 9 as a string, and the mtimes say the opposite
 * of the seq order: only seq counts. */
START_TEST(order_by_seq_not_name_or_mtime)
{
        open_win(2, false, 0, 0);
        time_t now = time(NULL);
        for (unsigned s = 8; s <= 11; s++) {
                mk(N(3, s));
                set_mtime(N(3, s), now - (time_t)s * 100);
        }
        /* arrival order scrambled too */
        ck_assert_int_eq(win_add(w, N(3, 10)), 1);
        ck_assert_int_eq(win_add(w, N(3, 9)), 1);
        ck_assert_int_eq(win_add(w, N(3, 11)), 1);
        ck_assert_int_eq(win_add(w, N(3, 8)), 1); /* older than the window: rotated at once */
        expect_disk(N(3, 10), N(3, 11), NULL);
        const struct win_dump *n = NULL;
        ck_assert_int_eq(win_pair(w, 0, NULL, &n), 0);
        ck_assert_str_eq(n->name, N(3, 11));

        /* the same files found by a rescan */
        for (unsigned s = 1; s <= 12; s++)
                if (!on_disk(N(3, s))) {
                        mk(N(3, s));
                        set_mtime(N(3, s), now - (time_t)s * 100);
                }
        ck_assert_int_eq(win_rescan(w), 2);
        expect_disk(N(3, 11), N(3, 12), NULL);
}
END_TEST

START_TEST(late_first_dump_becomes_baseline)
{
        open_win(2, true, 0, 0);
        add_ok(N(4, 5));
        add_ok(N(4, 3)); /* a lower seq arrives late: it is the first dump */
        add_ok(N(4, 6));
        add_ok(N(4, 7));
        expect_disk(N(4, 3), N(4, 6), N(4, 7), NULL);
        const struct win_dump *b = NULL;
        ck_assert_int_eq(win_pair(w, 4, &b, NULL), 0);
        ck_assert_str_eq(b->name, N(4, 3));
        ck_assert(b->baseline);
}
END_TEST

START_TEST(kinds_mixed_and_final)
{
        open_win(2, true, 0, 0);
        const char *seq[] = {
                NK(7, 0, 'i', 0), NK(7, 1, 'u', 0), NK(7, 2, 'm', 0),
                NK(7, 3, 'u', 1), NK(7, 4, 'i', 1), NK(7, 5, 'f', 0),
        };
        char names[6][64];
        for (unsigned i = 0; i < 6; i++) {
                snprintf(names[i], sizeof(names[i]), "%s", seq[i]);
                add_ok(names[i]);
        }
        expect_disk(names[0], names[4], names[5], NULL);
        const struct win_dump *b = NULL, *n = NULL;
        ck_assert_int_eq(win_pair(w, 0, &b, &n), 0);
        ck_assert_str_eq(b->name, "oomwatch.7.0.i0.heap");
        ck_assert_str_eq(n->name, "oomwatch.7.5.f.heap");
        ck_assert_int_eq(n->kind, 'f');
        ck_assert_uint_eq(n->seq, 5);
        ck_assert_int_eq(n->pid, 7);
        ck_assert_int_eq(win_get(w, 1)->kind, 'i');
        ck_assert_uint_eq(win_get(w, 1)->kseq, 1);
}
END_TEST

/* ---- byte cap --------------------------------------------------------------- */

START_TEST(max_bytes_keeps_pair)
{
        open_win(5, true, 2500, 0);
        for (unsigned s = 0; s < 5; s++) {
                add_sized(N(1, s), 1000);
                ck_assert_uint_le(win_bytes(w), 2500);
        }
        expect_disk(N(1, 0), N(1, 4), NULL);
        expect_consistent();

        /* the pair alone is above the cap: it stays */
        open_win(5, true, 1500, 0);
        ck_assert_int_eq(win_rescan(w), 2);
        add_sized(N(1, 5), 1000);
        expect_disk(N(1, 0), N(1, 5), NULL);
        ck_assert_uint_eq(win_bytes(w), 2000);
}
END_TEST

START_TEST(max_bytes_oldest_process_first)
{
        open_win(5, true, 4500, 0);
        for (unsigned s = 0; s < 5; s++)
                add_sized(N(1, s), 1000);
        /* a restarted target: its dumps push out the old process's middle */
        add_sized(N(2, 0), 1000);
        add_sized(N(2, 1), 1000);
        expect_disk(N(1, 0), N(1, 4), N(2, 0), N(2, 1), NULL);
        for (unsigned s = 2; s < 5; s++) {
                add_sized(N(2, s), 1000);
                ck_assert_uint_le(win_bytes(w), 4500);
        }
        expect_disk(N(1, 0), N(1, 4), N(2, 0), N(2, 4), NULL);
}
END_TEST

START_TEST(max_bytes_old_pairs_go_before_newest_pair)
{
        open_win(5, true, 2500, 0);
        for (unsigned s = 0; s < 5; s++)
                add_sized(N(1, s), 1000);
        add_sized(N(2, 0), 1000);
        expect_disk(N(1, 4), N(2, 0), NULL);
        add_sized(N(2, 1), 1000);
        expect_disk(N(2, 0), N(2, 1), NULL);
        const struct win_dump *b = NULL, *n = NULL;
        ck_assert_int_eq(win_pair(w, 0, &b, &n), 0);
        ck_assert_str_eq(b->name, N(2, 0));
        ck_assert_str_eq(n->name, N(2, 1));
        ck_assert_int_eq(win_pair(w, 1, &b, &n), -ENOENT);
}
END_TEST

START_TEST(max_files_cap)
{
        open_win(100, true, 0, 5);
        for (unsigned s = 0; s < 20; s++) {
                add_ok(N(9, s));
                ck_assert_uint_le(win_count(w), 5);
                ck_assert_uint_le(disk_count(), 5);
        }
        expect_disk(N(9, 0), N(9, 16), N(9, 17), N(9, 18), N(9, 19), NULL);
}
END_TEST

START_TEST(max_files_rescan)
{
        open_win(100, true, 0, 5);
        for (unsigned s = 0; s < 20; s++)
                mk(N(9, s));
        ck_assert_int_eq(win_rescan(w), 5);
        expect_disk(N(9, 0), N(9, 16), N(9, 17), N(9, 18), N(9, 19), NULL);
}
END_TEST

/* An earlier run's dumps at start-up: held, a rescan keeps all of them
 * (its rungs are not known as rungs); the cap on files still applies;
 * released, rotation by keep goes on as usual. */
START_TEST(hold_keeps_earlier_run)
{
        open_win(2, true, 0, 9);
        for (unsigned s = 0; s < 7; s++)
                mk(N(9, s));
        win_hold(w, true);
        ck_assert_int_eq(win_rescan(w), 7);
        expect_disk(N(9, 0), N(9, 1), N(9, 2), N(9, 3), N(9, 4), N(9, 5), N(9, 6), NULL);
        ck_assert_uint_eq(n_rotated, 0);
        for (unsigned s = 7; s < 12; s++)
                mk(N(9, s));
        ck_assert_int_eq(win_rescan(w), 9);
        expect_consistent();
        win_hold(w, false);
        expect_disk(N(9, 0), N(9, 10), N(9, 11), NULL);
        expect_consistent();
}
END_TEST

/* The cap cannot be met when everything else is pinned: the new dump is
 * refused (left on disk, untracked), nothing pinned is deleted. */
START_TEST(max_files_all_pinned)
{
        open_win(100, false, 0, 2);
        add_ok(N(8, 0));
        add_ok(N(8, 1));
        ck_assert_int_eq(win_pin(w, N(8, 0)), 1);
        ck_assert_int_eq(win_pin(w, N(8, 1)), 1);
        mk(N(8, 2));
        ck_assert_int_eq(win_add(w, N(8, 2)), -ENOBUFS);
        ck_assert_uint_eq(win_count(w), 2);
        expect_disk(N(8, 0), N(8, 1), N(8, 2), NULL);
        /* unpinned, 1 is neither base (0) nor newest (2) of the pair */
        ck_assert_int_eq(win_unpin(w, N(8, 1)), 1);
        ck_assert_int_eq(win_add(w, N(8, 2)), 1);
        expect_disk(N(8, 0), N(8, 2), NULL);
        expect_consistent();
}
END_TEST

/* ---- the storm ------------------------------------------------------------- */

START_TEST(gdump_storm)
{
        const unsigned keep = 8, total = 10000;

        open_win(keep, true, 0, 0);
        for (unsigned s = 0; s < total; s++) {
                const char *name = NK(4242, s, 'u', s);

                mk(name);
                ck_assert_int_eq(win_add(w, name), 1);
                ck_assert_uint_le(disk_count(), 1 + keep);
                ck_assert_uint_le(win_count(w), 1 + keep);
        }
        ck_assert_uint_eq(disk_count(), 1 + keep);
        ck_assert(on_disk(NK(4242, 0, 'u', 0)));
        for (unsigned s = total - keep; s < total; s++)
                ck_assert_msg(on_disk(NK(4242, s, 'u', s)), "seq %u", s);
        ck_assert_uint_eq(n_rotated, total - 1 - keep);
        expect_consistent();
}
END_TEST

/* ---- rescan ----------------------------------------------------------------- */

START_TEST(rescan_after_planting)
{
        open_win(3, true, 0, 0);
        for (unsigned s = 0; s < 5; s++)
                add_ok(N(10, s));
        expect_disk(N(10, 0), N(10, 2), N(10, 3), N(10, 4), NULL);
        /* events lost (IN_Q_OVERFLOW): newer dumps, a late older one, a new
         * process, and one of ours deleted behind our back */
        for (unsigned s = 5; s < 40; s++)
                mk(N(10, s));
        mk(N(10, 1));
        for (unsigned s = 0; s < 7; s++)
                mk(N(11, s));
        ck_assert_int_eq(unlinkat(dfd, N(10, 3), 0), 0);
        ck_assert_int_eq(win_rescan(w), 8);
        expect_disk(N(10, 0), N(10, 37), N(10, 38), N(10, 39),
                    N(11, 0), N(11, 4), N(11, 5), N(11, 6), NULL);
        expect_consistent();
        ck_assert_uint_eq(n_failed + n_left, 0);

        /* start-up: a fresh window over the same directory */
        open_win(1, false, 0, 0);
        ck_assert_int_eq(win_rescan(w), 2);
        expect_disk(N(10, 39), N(11, 6), NULL);
}
END_TEST

/* A kept dump disappears while its event is lost: the rescan forgets it,
 * and the pair falls back to what is still there. */
START_TEST(rescan_forgets_vanished)
{
        const struct win_dump *b = NULL, *n = NULL;

        open_win(3, true, 0, 0);
        for (unsigned s = 0; s < 4; s++)
                add_ok(N(13, s));
        ck_assert_int_eq(unlinkat(dfd, N(13, 3), 0), 0);
        ck_assert_int_eq(unlinkat(dfd, N(13, 0), 0), 0);
        ck_assert_int_eq(win_rescan(w), 2);
        expect_consistent();
        ck_assert_int_eq(win_pair(w, 0, &b, &n), 0);
        ck_assert_str_eq(b->name, N(13, 1));
        ck_assert(b->baseline);
        ck_assert_str_eq(n->name, N(13, 2));
        expect_disk(N(13, 1), N(13, 2), NULL);
}
END_TEST

START_TEST(rescan_keeps_marks)
{
        open_win(2, true, 0, 0);
        for (unsigned s = 0; s < 4; s++)
                add_ok(N(12, s));
        ck_assert_int_eq(win_set_baseline(w, N(12, 2)), 1);
        ck_assert_int_eq(win_pin(w, N(12, 0)), 1);
        for (unsigned s = 4; s < 9; s++)
                mk(N(12, s));
        ck_assert_int_ge(win_rescan(w), 0);
        /* pinned 0, explicit baseline 2, newest 7 and 8 */
        expect_disk(N(12, 0), N(12, 2), N(12, 7), N(12, 8), NULL);
        ck_assert_int_eq(win_unpin(w, N(12, 0)), 1);
        expect_disk(N(12, 2), N(12, 7), N(12, 8), NULL);
}
END_TEST

/* ---- hostile directory contents --------------------------------------------- */

START_TEST(symlink_not_followed_nor_deleted)
{
        char outdir[] = "/tmp/oomwatch-test-window-out.XXXXXX", target[256];
        ck_assert_ptr_nonnull(mkdtemp(outdir));
        snprintf(target, sizeof(target), "%s/precious.heap", outdir);
        FILE *f = fopen(target, "we");
        ck_assert_ptr_nonnull(f);
        fputs(DUMP_HEAD, f);
        fclose(f);

        open_win(2, true, 0, 0);
        ck_assert_int_eq(symlinkat(target, dfd, N(20, 1)), 0);
        ck_assert_int_eq(win_add(w, N(20, 1)), 0);
        ck_assert_int_eq(last_left_err, -ELOOP);
        for (unsigned s = 2; s < 10; s++)
                add_ok(N(20, s));
        ck_assert_int_ge(win_rescan(w), 0);
        ck_assert(on_disk(N(20, 1)));
        ck_assert_int_eq(access(target, F_OK), 0);

        /* a tracked dump swapped for a link before rotation reaches it */
        ck_assert_int_eq(unlinkat(dfd, N(20, 8), 0), 0);
        ck_assert_int_eq(symlinkat(target, dfd, N(20, 8)), 0);
        add_ok(N(20, 10));
        add_ok(N(20, 11));
        ck_assert(on_disk(N(20, 8)));
        ck_assert_int_eq(access(target, F_OK), 0);
        expect_disk(N(20, 1), N(20, 2), N(20, 8), N(20, 10), N(20, 11), NULL);
        expect_consistent();

        unlink(target);
        rmdir(outdir);
}
END_TEST

START_TEST(fifo_no_hang)
{
        struct timespec t0, t1;

        open_win(2, true, 0, 0);
        ck_assert_int_eq(mkfifoat(dfd, N(21, 0), 0600), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ck_assert_int_eq(win_add(w, N(21, 0)), 0);
        ck_assert_int_eq(win_set_baseline(w, N(21, 0)), 0);
        for (unsigned s = 1; s < 6; s++)
                add_ok(N(21, s));
        ck_assert_int_ge(win_rescan(w), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
        struct stat st;
        ck_assert_int_eq(fstatat(dfd, N(21, 0), &st, AT_SYMLINK_NOFOLLOW), 0);
        ck_assert(S_ISFIFO(st.st_mode));
        expect_disk(N(21, 0), N(21, 1), N(21, 4), N(21, 5), NULL);
}
END_TEST

START_TEST(directory_untouched)
{
        open_win(1, false, 0, 0);
        ck_assert_int_eq(mkdirat(dfd, N(22, 0), 0700), 0);
        ck_assert_int_eq(win_add(w, N(22, 0)), 0);
        ck_assert_int_eq(last_left_err, -EISDIR);
        for (unsigned s = 1; s < 4; s++)
                add_ok(N(22, s));
        ck_assert_int_ge(win_rescan(w), 0);
        struct stat st;
        ck_assert_int_eq(fstatat(dfd, N(22, 0), &st, AT_SYMLINK_NOFOLLOW), 0);
        ck_assert(S_ISDIR(st.st_mode));
        expect_disk(N(22, 0), N(22, 3), NULL);
}
END_TEST

START_TEST(hard_links_left_alone)
{
        open_win(1, false, 0, 0);
        /* a dump that has a second name when it appears: never tracked */
        mk(N(23, 0));
        ck_assert_int_eq(linkat(dfd, N(23, 0), dfd, "my-copy.heap", 0), 0);
        ck_assert_int_eq(win_add(w, N(23, 0)), 0);
        ck_assert_int_eq(last_left_err, -EMLINK);
        ck_assert_uint_eq(win_count(w), 0);
        /* a tracked dump that gains a link later: left in place when rotated */
        add_ok(N(23, 1));
        ck_assert_int_eq(linkat(dfd, N(23, 1), dfd, "bundle-link.heap", 0), 0);
        add_ok(N(23, 2));
        add_ok(N(23, 3));
        ck_assert_int_ge(win_rescan(w), 0);
        expect_disk(N(23, 0), "my-copy.heap", N(23, 1), "bundle-link.heap", N(23, 3), NULL);
        ck_assert_uint_eq(win_count(w), 1);
        expect_consistent();
}
END_TEST

/* The bundle's own hard link, declared with win_linked: the dump-dir name
 * is rotated out as usual, the bundle's copy stays. */
START_TEST(own_link_rotated)
{
        char outdir[] = "/tmp/oomwatch-test-window-out.XXXXXX", copy[256];
        struct stat st;

        ck_assert_ptr_nonnull(mkdtemp(outdir));
        int ofd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(ofd, 0);
        open_win(1, false, 0, 0);
        add_ok(N(25, 0));
        add_ok(N(25, 1));
        ck_assert_int_eq(linkat(dfd, N(25, 1), ofd, "bundle.heap", 0), 0);
        ck_assert_int_eq(win_linked(w, N(25, 1)), 1);
        ck_assert_int_eq(win_linked(w, N(25, 7)), 0);
        ck_assert_int_ge(win_rescan(w), 1); /* still tracked with two links */
        add_ok(N(25, 2));
        expect_disk(N(25, 2), NULL);
        ck_assert_int_eq(fstatat(ofd, "bundle.heap", &st, 0), 0);
        ck_assert_uint_eq(st.st_nlink, 1);
        /* a second, undeclared link still keeps a dump in place */
        ck_assert_int_eq(win_linked(w, N(25, 2)), 1);
        ck_assert_int_eq(linkat(dfd, N(25, 2), ofd, "b2.heap", 0), 0);
        ck_assert_int_eq(linkat(dfd, N(25, 2), dfd, "user-copy.heap", 0), 0);
        add_ok(N(25, 3));
        ck_assert_int_eq(last_left_err, -EMLINK);
        expect_disk(N(25, 2), "user-copy.heap", N(25, 3), NULL);

        snprintf(copy, sizeof(copy), "%s/bundle.heap", outdir);
        unlink(copy);
        snprintf(copy, sizeof(copy), "%s/b2.heap", outdir);
        unlink(copy);
        close(ofd);
        rmdir(outdir);
}
END_TEST

START_TEST(foreign_names_untouched)
{
        static const char *foreign[] = {
                "other.1.0.i0.heap", "oomwatchx.1.0.i0.heap", "oomwatch.1.0.i0.heap.tmp",
                "oomwatch.1.0.x0.heap", "oomwatch.01.0.i0.heap", "oomwatch.1.00.i0.heap",
                "oomwatch.1.0.i.heap", "oomwatch.1.0.f0.heap", "oomwatch.0.0.i0.heap",
                "oomwatch.-1.0.i0.heap", "oomwatch.1.+0.i0.heap", "oomwatch.1.0.heap",
                "oomwatch.1.99999999999999999999.i0.heap", "oomwatch.9999999999.0.i0.heap",
                ".oomwatch.1.0.i0.heap", "oomwatch..1.0.i0.heap", "oomwatch.1.0.i0.heapx",
                "oomwatch.1.0.i0.Heap", "oomwatch.1. 0.i0.heap", "notes.txt",
        };
        const size_t n = sizeof(foreign) / sizeof(foreign[0]);

        open_win(1, false, 0, 0);
        for (size_t i = 0; i < n; i++) {
                mk(foreign[i]);
                ck_assert_msg(win_add(w, foreign[i]) == 0, "%s", foreign[i]);
        }
        for (unsigned s = 0; s < 4; s++)
                add_ok(N(1, s));
        ck_assert_int_eq(win_rescan(w), 1);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(on_disk(foreign[i]), "%s deleted", foreign[i]);
        ck_assert_uint_eq(disk_count(), n + 1);
        ck_assert(on_disk(N(1, 3)));

        char longname[NAME_MAX + 32];
        memset(longname, '1', sizeof(longname));
        memcpy(longname, "oomwatch.1.", 11);
        strcpy(longname + sizeof(longname) - 9, ".i0.heap");
        ck_assert_int_eq(win_add(w, longname), 0);
        ck_assert_int_eq(win_forget(w, longname), 0);
}
END_TEST

START_TEST(not_a_dump_yet)
{
        open_win(1, false, 0, 0);
        int fd = openat(dfd, N(24, 0), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_int_eq(win_add(w, N(24, 0)), 0); /* empty */
        fd = openat(dfd, N(24, 1), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ck_assert_int_eq(write(fd, "heap_v1/x\n", 10), 10);
        close(fd);
        ck_assert_int_eq(win_add(w, N(24, 1)), 0);
        ck_assert_uint_eq(win_count(w), 0);
        add_ok(N(24, 2));
        add_ok(N(24, 3));
        expect_disk(N(24, 0), N(24, 1), N(24, 3), NULL);
}
END_TEST

static bool gone_24_26(void *userdata, pid_t pid)
{
        (void)userdata;
        return pid == 24 || pid == 26;
}

static bool all_gone(void *userdata, pid_t pid)
{
        (void)userdata;
        (void)pid;
        return true;
}

/* Files a process left empty or cut short when it ended are deleted once
 * the process is gone, and only if they are still plain non-dumps. */
START_TEST(cut_short_swept_when_writer_gone)
{
        open_win(1, false, 0, 0);
        n_cut_deleted = 0;
        int fd = openat(dfd, N(24, 0), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
        fd = openat(dfd, N(25, 0), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ck_assert_int_eq(write(fd, "heap_v", 6), 6);
        close(fd);
        ck_assert_int_eq(symlinkat("/etc/passwd", dfd, N(26, 0)), 0);
        ck_assert_int_eq(win_add(w, N(24, 0)), 0);
        ck_assert_int_eq(win_add(w, N(25, 0)), 0);
        ck_assert_int_eq(win_add(w, N(26, 0)), 0);
        ck_assert_uint_eq(win_sweep_cut_short(w, gone_24_26, NULL), 1);
        ck_assert_uint_eq(n_cut_deleted, 1);
        expect_disk(N(25, 0), N(26, 0), NULL);
        /* 25 finished its dump after all: a dump now, never deleted */
        mk(N(25, 0));
        ck_assert_uint_eq(win_sweep_cut_short(w, all_gone, NULL), 0);
        /* replaced by a link before the sweep: left alone */
        fd = openat(dfd, N(27, 0), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        close(fd);
        ck_assert_int_eq(win_add(w, N(27, 0)), 0);
        ck_assert_int_eq(unlinkat(dfd, N(27, 0), 0), 0);
        ck_assert_int_eq(symlinkat("/etc/passwd", dfd, N(27, 0)), 0);
        ck_assert_uint_eq(win_sweep_cut_short(w, all_gone, NULL), 0);
        expect_disk(N(25, 0), N(26, 0), N(27, 0), NULL);
        ck_assert(access("/etc/passwd", F_OK) == 0);
}
END_TEST

/* ---- vanished files ---------------------------------------------------------- */

START_TEST(enoent_between_event_and_add)
{
        open_win(2, true, 0, 0);
        ck_assert_int_eq(win_add(w, N(30, 0)), 0); /* never existed */
        ck_assert_uint_eq(win_count(w), 0);
        add_ok(N(30, 1));
        add_ok(N(30, 2));
        /* deleted behind the window's back, no event delivered yet */
        ck_assert_int_eq(unlinkat(dfd, N(30, 2), 0), 0);
        ck_assert_int_eq(win_add(w, N(30, 2)), 0); /* a late event for it */
        ck_assert_uint_eq(win_count(w), 1);
        add_ok(N(30, 3));
        add_ok(N(30, 4));
        ck_assert_int_eq(unlinkat(dfd, N(30, 3), 0), 0);
        add_ok(N(30, 5)); /* rotation meets the missing file */
        add_ok(N(30, 6));
        ck_assert_uint_eq(n_failed, 0);
        expect_disk(N(30, 1), N(30, 5), N(30, 6), NULL);
        expect_consistent();
        ck_assert_int_eq(win_forget(w, N(30, 5)), 1);
        ck_assert_int_eq(win_forget(w, N(30, 5)), 0);
        ck_assert(on_disk(N(30, 5))); /* forgetting deletes nothing */
}
END_TEST

/* A new file renamed over a tracked name (IN_MOVED_TO) is that dump now:
 * rotation deletes it like any other. */
START_TEST(replaced_by_rename)
{
        open_win(1, false, 0, 0);
        add_ok(N(32, 0));
        mk("incoming.tmp");
        ck_assert_int_eq(renameat(dfd, "incoming.tmp", dfd, N(32, 0)), 0);
        ck_assert_int_eq(win_add(w, N(32, 0)), 1);
        ck_assert_uint_eq(win_count(w), 1);
        add_ok(N(32, 1));
        ck_assert_uint_eq(n_left, 0);
        expect_disk(N(32, 1), NULL);
}
END_TEST

START_TEST(baseline_lost_is_replaced)
{
        open_win(2, true, 0, 0);
        for (unsigned s = 0; s < 5; s++)
                add_ok(N(31, s));
        ck_assert_int_eq(unlinkat(dfd, N(31, 0), 0), 0);
        ck_assert_int_eq(win_forget(w, N(31, 0)), 1);
        const struct win_dump *b = NULL;
        ck_assert_int_eq(win_pair(w, 31, &b, NULL), 0);
        ck_assert_str_eq(b->name, N(31, 3));
        ck_assert(b->baseline);
        add_ok(N(31, 5));
        add_ok(N(31, 6));
        expect_disk(N(31, 3), N(31, 5), N(31, 6), NULL);
}
END_TEST

/* ---- the ladder (rungs) --------------------------------------------------------- */

/* A rung: a manual dump of kind m with kseq = seq, marked at level. */
static const char *R(int pid, unsigned long long seq)
{
        return NK(pid, seq, 'm', seq);
}

/* The dump arrives as a rung (the supervisor knows the request it
 * answers), without a win_add before. */
static void add_rung(const char *name, uint64_t level, size_t size)
{
        char copy[64];

        snprintf(copy, sizeof(copy), "%s", name);
        mk_sized(copy, size);
        ck_assert_msg(win_set_rung(w, copy, level) == 1, "win_set_rung %s", copy);
}

/* Eight rungs, one per 10 MB of growth, under keep = 4: the ladder is
 * thinned to every other rung, the newest always kept. */
START_TEST(ladder_thinned_evenly)
{
        open_win(4, true, 0, 0);
        add_ok(N(70, 0));
        for (unsigned k = 1; k <= 8; k++) {
                add_rung(R(70, k), k * 10000000ULL, 100);
                ck_assert_uint_le(win_count(w), 1 + 4);
        }
        expect_disk(N(70, 0), R(70, 2), R(70, 4), R(70, 6), R(70, 8), NULL);
        expect_consistent();
        ck_assert(win_get(w, 1)->rung);
        ck_assert_uint_eq(win_get(w, 1)->level, 20000000ULL);
        ck_assert(!win_get(w, 0)->rung);
        const struct win_dump *b = NULL, *n = NULL;
        ck_assert_int_eq(win_pair(w, 70, &b, &n), 0);
        ck_assert_str_eq(b->name, N(70, 0));
        ck_assert_str_eq(n->name, R(70, 8));

        /* thresholds close together at the top: the rung just below the
         * new top goes, the rest of the ladder stays spread */
        add_rung(R(70, 9), 85000000ULL, 100);
        expect_disk(N(70, 0), R(70, 2), R(70, 4), R(70, 6), R(70, 9), NULL);
        add_rung(R(70, 10), 87000000ULL, 100);
        expect_disk(N(70, 0), R(70, 2), R(70, 4), R(70, 6), R(70, 10), NULL);
        /* a dump after the top rung (one cut short by the kill, say): the top
         * rung stays, the ladder below it thins */
        add_ok(N(70, 11));
        expect_disk(N(70, 0), R(70, 4), R(70, 6), R(70, 10), N(70, 11), NULL);
        add_ok(N(70, 12));
        expect_disk(N(70, 0), R(70, 4), R(70, 6), R(70, 10), N(70, 12), NULL);
}
END_TEST

/* A storm of other dumps (interval, gdump) after the rungs: the rungs and
 * the newest dump stay, the count never passes baseline + keep. */
START_TEST(ladder_survives_storm)
{
        const unsigned keep = 8;
        unsigned seq = 0;

        open_win(keep, true, 0, 0);
        add_ok(N(71, seq++));
        for (unsigned k = 1; k <= 5; k++) {
                for (unsigned j = 0; j < 300; j++) {
                        mk(NK(71, seq, 'u', seq));
                        ck_assert_int_eq(win_add(w, NK(71, seq, 'u', seq)), 1);
                        seq++;
                        ck_assert_uint_le(win_count(w), 1 + keep);
                        ck_assert_uint_le(disk_count(), 1 + keep);
                }
                add_rung(R(71, seq), k * 1000, 100);
                seq++;
        }
        for (unsigned j = 0; j < 1000; j++) {
                mk(NK(71, seq, 'u', seq));
                ck_assert_int_eq(win_add(w, NK(71, seq, 'u', seq)), 1);
                seq++;
                ck_assert_uint_le(disk_count(), 1 + keep);
        }
        /* baseline, the five rungs, and the newest three storm dumps */
        ck_assert_uint_eq(disk_count(), 1 + keep);
        ck_assert(on_disk(N(71, 0)));
        for (unsigned k = 1; k <= 5; k++)
                ck_assert_msg(on_disk(R(71, k * 301)), "rung %u", k);
        for (unsigned j = 1; j <= 3; j++)
                ck_assert(on_disk(NK(71, seq - j, 'u', seq - j)));
        expect_consistent();
}
END_TEST

/* keep = 1 without a baseline: the newest dump is all that stays, rung
 * or not; a rung never makes a process hold more than keep. */
START_TEST(ladder_keep_one)
{
        open_win(1, false, 0, 0);
        add_rung(R(72, 0), 10, 100);
        add_rung(R(72, 1), 20, 100);
        expect_disk(R(72, 1), NULL);
        add_ok(N(72, 2));
        expect_disk(N(72, 2), NULL);
        add_rung(R(72, 3), 30, 100);
        expect_disk(R(72, 3), NULL);
}
END_TEST

/* max_bytes: other dumps go first, then the ladder thins; the pair stays. */
START_TEST(ladder_within_max_bytes)
{
        open_win(100, true, 6000, 0);
        add_sized(N(73, 0), 1000);
        add_rung(R(73, 1), 10, 1000);
        add_sized(N(73, 2), 1000);
        add_rung(R(73, 3), 20, 1000);
        add_rung(R(73, 4), 30, 1000);
        add_sized(N(73, 5), 1000);
        expect_disk(N(73, 0), R(73, 1), N(73, 2), R(73, 3), R(73, 4), N(73, 5), NULL);
        add_rung(R(73, 6), 40, 1000); /* 7000 bytes: the oldest other dump goes */
        expect_disk(N(73, 0), R(73, 1), R(73, 3), R(73, 4), N(73, 5), R(73, 6), NULL);
        add_sized(N(73, 7), 1000); /* 5 is no longer the newest: it goes */
        expect_disk(N(73, 0), R(73, 1), R(73, 3), R(73, 4), R(73, 6), N(73, 7), NULL);
        add_sized(N(73, 8), 1000); /* 7 goes: only rungs are left besides the pair */
        expect_disk(N(73, 0), R(73, 1), R(73, 3), R(73, 4), R(73, 6), N(73, 8), NULL);
        add_sized(N(73, 9), 3000); /* 8 goes, then two rungs, the most crowded first */
        expect_disk(N(73, 0), R(73, 3), R(73, 6), N(73, 9), NULL);
        ck_assert_uint_le(win_bytes(w), 6000);
        add_sized(N(73, 10), 5000); /* above the cap with the pair alone */
        expect_disk(N(73, 0), N(73, 10), NULL);
        expect_consistent();
}
END_TEST

START_TEST(ladder_marks)
{
        open_win(3, true, 0, 0);
        add_ok(N(74, 0));
        /* a rung whose event has not been handled yet */
        mk(R(74, 1));
        ck_assert_int_eq(win_set_rung(w, R(74, 1), 5), 1);
        ck_assert(win_get(w, 1)->rung);
        ck_assert_int_eq(win_set_rung(w, R(74, 9), 5), 0); /* no such file */
        /* marks survive a rescan */
        for (unsigned s = 2; s < 6; s++)
                mk(N(74, s));
        ck_assert_int_eq(win_rescan(w), 4);
        expect_disk(N(74, 0), R(74, 1), N(74, 4), N(74, 5), NULL);
        ck_assert(win_get(w, 1)->rung);
        ck_assert_uint_eq(win_get(w, 1)->level, 5);
        /* a bad dump cannot be a rung; a bad rung goes */
        ck_assert_int_eq(win_pin(w, N(74, 5)), 1);
        ck_assert_int_eq(win_mark_bad(w, N(74, 5)), 1);
        ck_assert_int_eq(win_set_rung(w, N(74, 5), 9), -EINVAL);
        ck_assert_int_eq(win_unpin(w, N(74, 5)), 1);
        ck_assert_int_eq(win_mark_bad(w, R(74, 1)), 1);
        expect_disk(N(74, 0), N(74, 4), NULL);
        /* another file under a rung's name is not that rung */
        add_rung(NK(74, 6, 'm', 6), 7, 100);
        mk("new");
        ck_assert_int_eq(renameat(dfd, "new", dfd, NK(74, 6, 'm', 6)), 0); /* a new inode */
        ck_assert_int_eq(win_add(w, NK(74, 6, 'm', 6)), 1);
        ck_assert(!win_get(w, 2)->rung);
        ck_assert_uint_eq(win_get(w, 2)->level, 0);
}
END_TEST

/* ---- baseline, bad dumps, pins ---------------------------------------------- */

START_TEST(set_baseline)
{
        open_win(2, true, 0, 0);
        for (unsigned s = 0; s < 4; s++)
                add_ok(N(40, s));
        expect_disk(N(40, 0), N(40, 2), N(40, 3), NULL);
        ck_assert_int_eq(win_set_baseline(w, N(40, 3)), 1);
        add_ok(N(40, 4));
        add_ok(N(40, 5));
        add_ok(N(40, 6));
        expect_disk(N(40, 3), N(40, 5), N(40, 6), NULL);
        const struct win_dump *b = NULL, *n = NULL;
        ck_assert_int_eq(win_pair(w, 40, &b, &n), 0);
        ck_assert_str_eq(b->name, N(40, 3));
        ck_assert(b->baseline);
        ck_assert_str_eq(n->name, N(40, 6));

        /* a baseline dump whose event has not been handled yet */
        mk(NK(40, 7, 'm', 0));
        ck_assert_int_eq(win_set_baseline(w, NK(40, 7, 'm', 0)), 1);
        ck_assert_int_eq(win_pair(w, 40, &b, &n), 0);
        ck_assert_ptr_null(b); /* the baseline is also the newest */
        ck_assert_str_eq(n->name, "oomwatch.40.7.m0.heap");
        expect_disk(N(40, 5), N(40, 6), NK(40, 7, 'm', 0), NULL);

        /* even without keep_baseline an explicit baseline is kept */
        open_win(1, false, 0, 0);
        ck_assert_int_eq(win_rescan(w), 1);
        add_ok(N(41, 0));
        ck_assert_int_eq(win_set_baseline(w, N(41, 0)), 1);
        add_ok(N(41, 1));
        add_ok(N(41, 2));
        ck_assert(on_disk(N(41, 0)));
        ck_assert(!on_disk(N(41, 1)));
        ck_assert_int_eq(win_set_baseline(w, N(41, 9)), 0); /* no such file */
}
END_TEST

START_TEST(mark_bad)
{
        const struct win_dump *b = NULL, *n = NULL;

        open_win(3, true, 0, 0);
        for (unsigned s = 0; s < 5; s++)
                add_ok(N(50, s));
        expect_disk(N(50, 0), N(50, 2), N(50, 3), N(50, 4), NULL);
        ck_assert_int_eq(win_mark_bad(w, N(50, 4)), 1);
        expect_disk(N(50, 0), N(50, 2), N(50, 3), NULL);
        ck_assert_int_eq(win_pair(w, 0, &b, &n), 0);
        ck_assert_str_eq(b->name, N(50, 0));
        ck_assert_str_eq(n->name, N(50, 3));

        /* the baseline goes bad: the oldest good dump takes its place */
        ck_assert_int_eq(win_mark_bad(w, N(50, 0)), 1);
        ck_assert_int_eq(win_pair(w, 0, &b, &n), 0);
        ck_assert_str_eq(b->name, N(50, 2));
        ck_assert(b->baseline);
        ck_assert_str_eq(n->name, N(50, 3));

        /* pinned and bad: stays until unpinned, never offered again */
        ck_assert_int_eq(win_pin(w, N(50, 3)), 1);
        ck_assert_int_eq(win_mark_bad(w, N(50, 3)), 1);
        ck_assert(on_disk(N(50, 3)));
        ck_assert_int_eq(win_pair(w, 0, &b, &n), 0);
        ck_assert_ptr_null(b);
        ck_assert_str_eq(n->name, N(50, 2));
        ck_assert_int_eq(win_set_baseline(w, N(50, 3)), -EINVAL);
        ck_assert_int_eq(win_unpin(w, N(50, 3)), 1);
        expect_disk(N(50, 2), NULL);
        ck_assert_int_eq(win_mark_bad(w, N(50, 9)), 0);

        /* everything bad: no pair */
        ck_assert_int_eq(win_mark_bad(w, N(50, 2)), 1);
        ck_assert_int_eq(win_pair(w, 0, &b, &n), -ENOENT);
        ck_assert_uint_eq(disk_count(), 0);
}
END_TEST

START_TEST(pins)
{
        open_win(1, false, 1, 0);
        add_ok(N(60, 0));
        ck_assert_int_eq(win_pin(w, N(60, 0)), 1);
        ck_assert_int_eq(win_pin(w, N(60, 0)), 1);
        ck_assert(win_get(w, 0)->pinned);
        add_ok(N(60, 1));
        add_ok(N(60, 2));
        expect_disk(N(60, 0), N(60, 2), NULL);
        ck_assert_int_eq(win_unpin(w, N(60, 0)), 1);
        expect_disk(N(60, 0), N(60, 2), NULL); /* still pinned once */
        ck_assert_int_eq(win_unpin(w, N(60, 0)), 1);
        expect_disk(N(60, 2), NULL);
        ck_assert_int_eq(win_unpin(w, N(60, 2)), 0);
        ck_assert_int_eq(win_pin(w, N(60, 7)), 0);
}
END_TEST

START_TEST(bad_params)
{
        struct win_params p = { .keep = 0 };
        struct win *x = (struct win *)&p;

        ck_assert_int_eq(win_new(dfd, "oomwatch", &p, &x), -EINVAL);
        ck_assert_ptr_eq(x, (struct win *)&p); /* untouched */
        p.keep = 1;
        ck_assert_int_eq(win_new(dfd, "", &p, &x), -EINVAL);
        ck_assert_int_eq(win_new(dfd, "a/b", &p, &x), -EINVAL);
        ck_assert_int_eq(win_new(-1, "oomwatch", &p, &x), -EINVAL);
        ck_assert_ptr_eq(x, (struct win *)&p);
        win_free(NULL);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("window");
        TCase *t = tcase_create("rules");

        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, baseline_plus_newest_per_pid);
        tcase_add_test(t, no_baseline);
        tcase_add_test(t, order_by_seq_not_name_or_mtime);
        tcase_add_test(t, late_first_dump_becomes_baseline);
        tcase_add_test(t, kinds_mixed_and_final);
        tcase_add_test(t, max_bytes_keeps_pair);
        tcase_add_test(t, max_bytes_oldest_process_first);
        tcase_add_test(t, max_bytes_old_pairs_go_before_newest_pair);
        tcase_add_test(t, max_files_cap);
        tcase_add_test(t, max_files_rescan);
        tcase_add_test(t, hold_keeps_earlier_run);
        tcase_add_test(t, max_files_all_pinned);
        tcase_add_test(t, rescan_after_planting);
        tcase_add_test(t, rescan_forgets_vanished);
        tcase_add_test(t, rescan_keeps_marks);
        tcase_add_test(t, set_baseline);
        tcase_add_test(t, mark_bad);
        tcase_add_test(t, pins);
        tcase_add_test(t, ladder_thinned_evenly);
        tcase_add_test(t, ladder_keep_one);
        tcase_add_test(t, ladder_within_max_bytes);
        tcase_add_test(t, ladder_marks);
        tcase_add_test(t, bad_params);
        suite_add_tcase(s, t);

        /* the harness lists the directory after every dump: slow on a busy
         * machine, so the time limit is on the window's own CPU time */
        t = tcase_create("storm");
        tcase_set_timeout(t, 120);
        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, gdump_storm);
        tcase_add_test(t, ladder_survives_storm);
        suite_add_tcase(s, t);

        t = tcase_create("hostile");
        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, symlink_not_followed_nor_deleted);
        tcase_add_test(t, fifo_no_hang);
        tcase_add_test(t, directory_untouched);
        tcase_add_test(t, hard_links_left_alone);
        tcase_add_test(t, own_link_rotated);
        tcase_add_test(t, foreign_names_untouched);
        tcase_add_test(t, not_a_dump_yet);
        tcase_add_test(t, cut_short_swept_when_writer_gone);
        tcase_add_test(t, enoent_between_event_and_add);
        tcase_add_test(t, replaced_by_rename);
        tcase_add_test(t, baseline_lost_is_replaced);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
