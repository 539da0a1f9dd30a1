/* Unit tests: the bundle's directory (bundledir.h) and the facts handed to
 * the analysis (bundlefacts.h), in a temporary directory. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundledir.h"
#include "bundlefacts.h"
#include "reportdir.h"

static char root[PATH_MAX];
static int rfd = -1, dfd = -1;

static void setup(void)
{
        char dumps[PATH_MAX + 8];

        snprintf(root, sizeof(root), "%s/ow-bd.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(root));
        rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(dumps, sizeof(dumps), "%s/dumps", root);
        ck_assert_int_eq(mkdir(dumps, 0700), 0);
        dfd = open(dumps, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(rfd, 0);
        ck_assert_int_ge(dfd, 0);
}

static void teardown(void)
{
        char cmd[PATH_MAX + 16];

        close(rfd);
        close(dfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
}

static void write_at(int at, const char *name, const char *text)
{
        int fd = openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

START_TEST(built_aside_then_renamed_into_place)
{
        struct bdir d;
        struct stat st;
        static const char *const req[] = { "report.txt", NULL };
        int fd;

        write_at(dfd, "oomwatch.1.0.i0.heap", "heap_v2/524288\n");
        ck_assert_int_eq(bd_create(rfd, "20260101T000000Z-1", &d), 0);
        ck_assert_int_eq(fstatat(rfd, BD_PREFIX "20260101T000000Z-1", &st, 0), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0711);
        /* the final name does not exist while it is built */
        ck_assert_int_lt(fstatat(rfd, "20260101T000000Z-1", &st, 0), 0);
        ck_assert_int_eq(bd_take_dump(&d, dfd, "oomwatch.1.0.i0.heap", geteuid(), geteuid(), getegid()), 0);
        ck_assert_int_lt(fstatat(dfd, "oomwatch.1.0.i0.heap", &st, 0), 0); /* moved, not copied */
        fd = bd_add_output(&d, "report.txt");
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "x\n", 2), 2);
        ck_assert_int_ge(bd_add_output(&d, "growth.svg"), 0); /* stays empty: removed */
        ck_assert_int_eq(bd_finish(&d, req), 0);
        ck_assert_str_eq(d.name, "20260101T000000Z-1");
        ck_assert_int_eq(fstatat(rfd, "20260101T000000Z-1/report.txt", &st, 0), 0);
        ck_assert_int_eq(fstatat(rfd, "20260101T000000Z-1/dumps/oomwatch.1.0.i0.heap", &st, 0), 0);
        ck_assert_int_lt(fstatat(rfd, "20260101T000000Z-1/growth.svg", &st, 0), 0);
        ck_assert_int_eq(fstatat(rfd, "20260101T000000Z-1", &st, 0), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0700);
        bd_close(&d);
}
END_TEST

/* Links under the name and every suffix: an error, nothing written through them. */
START_TEST(name_collision_is_an_error)
{
        char name[64], elsewhere[PATH_MAX + 16];
        struct bdir d;
        struct stat st;
        static const char *const req[] = { NULL };

        snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", root);
        ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
        ck_assert_int_eq(bd_create(rfd, "20260101T000000Z-2", &d), 0);
        ck_assert_int_eq(symlinkat(elsewhere, rfd, "20260101T000000Z-2"), 0);
        for (int i = 1; i < 100; i++) {
                snprintf(name, sizeof(name), "20260101T000000Z-2.%d", i);
                ck_assert_int_eq(symlinkat(elsewhere, rfd, name), 0);
        }
        ck_assert_int_eq(bd_finish(&d, req), -EEXIST);
        ck_assert_int_eq(lstat(elsewhere, &st), 0);
        ck_assert_int_eq(rmdir(elsewhere), 0); /* still empty */
        bd_discard(&d);
        ck_assert_int_lt(fstatat(rfd, BD_PREFIX "20260101T000000Z-2", &st, 0), 0);
}
END_TEST

START_TEST(planted_things_are_not_taken)
{
        struct bdir d;
        struct stat st;

        ck_assert_int_eq(symlinkat("/etc/passwd", dfd, "oomwatch.1.1.i1.heap"), 0);
        ck_assert_int_eq(mkfifoat(dfd, "oomwatch.1.2.i2.heap", 0600), 0);
        write_at(dfd, "oomwatch.1.3.i3.heap", "x");
        ck_assert_int_eq(linkat(dfd, "oomwatch.1.3.i3.heap", dfd, "oomwatch.1.4.i4.heap", 0), 0);
        ck_assert_int_eq(bd_create(rfd, "20260101T000000Z-3", &d), 0);
        ck_assert_int_eq(bd_take_dump(&d, dfd, "oomwatch.1.1.i1.heap", geteuid(), geteuid(), getegid()), -ELOOP);
        ck_assert_int_eq(bd_take_dump(&d, dfd, "oomwatch.1.2.i2.heap", geteuid(), geteuid(), getegid()), -ENOTSUP);
        ck_assert_int_eq(bd_take_dump(&d, dfd, "oomwatch.1.3.i3.heap", geteuid(), geteuid(), getegid()), -EPERM);
        /* another owner's file */
        ck_assert_int_eq(unlinkat(dfd, "oomwatch.1.4.i4.heap", 0), 0);
        ck_assert_int_eq(bd_take_dump(&d, dfd, "oomwatch.1.3.i3.heap", geteuid() + 1, geteuid(), getegid()), -EPERM);
        ck_assert_uint_eq(d.n_dumps, 0);
        ck_assert_int_eq(fstatat(dfd, "oomwatch.1.3.i3.heap", &st, AT_SYMLINK_NOFOLLOW), 0);
        bd_discard(&d);
}
END_TEST

START_TEST(interrupted_is_found_only_when_unlocked)
{
        struct bdir d, e;
        int n;

        ck_assert_int_eq(bd_create(rfd, "20260101T000000Z-4", &d), 0);
        ck_assert_int_eq(bd_adopt(rfd, BD_PREFIX "20260101T000000Z-4", &e), -EBUSY);
        bd_close(&e);
        bd_close(&d); /* its supervisor died: the lock is free */
        ck_assert_int_eq(bd_adopt(rfd, BD_PREFIX "20260101T000000Z-4", &e), 0);
        ck_assert_str_eq(e.name, "20260101T000000Z-4");
        n = bd_find_interrupted(rfd, NULL, NULL);
        ck_assert_int_eq(n, 0); /* adopted: locked again */
        bd_discard(&e);
}
END_TEST

START_TEST(facts_round_trip)
{
        struct ow_config cfg;
        char *argv[] = { "/usr/bin/server", "--port", "8080", NULL };
        struct bundle_dump dumps[2] = {
                { .file = "dumps/a.1.0.i0.heap", .pid = 1, .seq = 0, .kind = 'i', .bytes = 10, .baseline = true },
                { .file = "dumps/a.1.5.u3.heap", .pid = 1, .seq = 5, .kind = 'u', .bytes = 20 },
        };
        struct bundle b = {
                .dir = "/r/20260101T000000Z-1", .verdict = "oom-kill", .argv = argv, .exe = "/usr/bin/server",
                .pid = 1, .exit_code = -1, .signal = 9, .cg_version = 2, .memory_limit = 1 << 26, .peak = 12345,
                .oom_kills = 1, .host = "h\xfe\"x", .when = { 1700000000, 5 }, .dumps = dumps, .n_dumps = 2,
                .base_index = 0, .new_index = 1, .build_id = "abcdef",
        };
        const char *outs[] = { "report.txt", "incident.json", NULL };
        gid_t groups[] = { 65534, 4 };
        struct bf_extra x = { .uid = 65534, .gid = 65534, .groups = groups, .n_groups = 2, .dump_dir = "/d",
                              .outputs = outs, .symbol_cache = NULL };
        struct bundle r;
        struct bf_read_result res;
        char *text = NULL, *err = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        cfg_init(&cfg);
        cfg.top = 7;
        b.cfg = &cfg;
        ck_assert_int_eq(bf_write(&b, &x, f), 0);
        fclose(f);
        ck_assert_msg(bf_read(text, len, &r, &res, &err) == 0, "%s", err ? err : "");
        ck_assert_str_eq(r.verdict, "oom-kill");
        ck_assert_str_eq(r.argv[2], "8080");
        ck_assert_ptr_null(r.argv[3]);
        ck_assert_str_eq(r.host, "h\xfe\"x");
        ck_assert_int_eq(r.signal, 9);
        ck_assert_int_eq(r.exit_code, -1);
        ck_assert_uint_eq(r.peak, 12345);
        ck_assert_int_eq(r.when.tv_sec, 1700000000);
        ck_assert_uint_eq(r.n_dumps, 2);
        ck_assert_str_eq(r.dumps[1].file, "dumps/a.1.5.u3.heap");
        ck_assert_int_eq(r.dumps[1].kind, 'u');
        ck_assert(r.dumps[0].baseline);
        ck_assert_int_eq(r.new_index, 1);
        ck_assert_str_eq(r.build_id, "abcdef");
        ck_assert_uint_eq(r.cfg->top, 7);
        ck_assert_uint_eq(res.x.uid, 65534);
        ck_assert_uint_eq(res.x.n_groups, 2);
        ck_assert_str_eq(res.x.outputs[1], "incident.json");
        bundle_free(&r);
        bf_read_free(&res);
        /* facts that name a file outside dumps/ are refused */
        {
                char *bad = strdup(text), *p = strstr(bad, "dumps/a.1.0");
                memcpy(p, "../../etc/x", 11);
                ck_assert_int_eq(bf_read(bad, strlen(bad), &r, &res, &err), -EINVAL);
                bundle_free(&r);
                bf_read_free(&res);
                free(bad);
        }
        free(err);
        free(text);
        cfg_free(&cfg);
}
END_TEST

START_TEST(report_dir_refusals)
{
        gid_t g = 4242;
        struct rd_target t = { .uid = 4242, .gids = &g, .n_gids = 1 };
        struct stat st = { .st_mode = S_IFDIR | 0755, .st_uid = 0, .st_gid = 0 };

        ck_assert_ptr_null(rd_refusal(&st, &t));
        st.st_uid = 4242;
        ck_assert_str_eq(rd_refusal(&st, &t), "owned by the target's user");
        st.st_uid = 1000;
        ck_assert_str_eq(rd_refusal(&st, &t), "owned by another user");
        st.st_uid = 0;
        st.st_mode = S_IFDIR | 0775;
        st.st_gid = 4242;
        ck_assert_str_eq(rd_refusal(&st, &t), "writable by a group of the target's user");
        st.st_gid = 5;
        ck_assert_str_eq(rd_refusal(&st, &t), "writable by its group");
        st.st_mode = S_IFDIR | 0777;
        ck_assert_str_eq(rd_refusal(&st, &t), "writable by others");
        st.st_mode = S_IFDIR | 01777;
        ck_assert_ptr_null(rd_refusal(&st, &t)); /* /tmp */
        st.st_uid = 1000;
        ck_assert_str_eq(rd_refusal(&st, &t), "owned by another user");
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("bundledir");
        TCase *t = tcase_create("directory");

        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, built_aside_then_renamed_into_place);
        tcase_add_test(t, name_collision_is_an_error);
        tcase_add_test(t, planted_things_are_not_taken);
        tcase_add_test(t, interrupted_is_found_only_when_unlocked);
        tcase_add_test(t, facts_round_trip);
        tcase_add_test(t, report_dir_refusals);
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
