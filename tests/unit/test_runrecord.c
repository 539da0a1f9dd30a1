/* Unit tests: the run record (runrecord.h): one supervisor per directory,
 * nothing written before a target starts, what is written reads back, the
 * sample series (the timeline's, since the target's start) stays bounded and
 * covers the run, hostile files are refused. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "runrecord.h"
#include "timeline.h"

static char dir[64];
static int dfd = -1;

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
        (void)st;
        (void)f;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void setup(void)
{
        snprintf(dir, sizeof(dir), "/tmp/oomwatch-rr.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(dfd, 0);
}

static void teardown(void)
{
        close(dfd);
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *name)
{
        char p[128], *buf = malloc(RR_MAX_BYTES + 1);
        FILE *f;
        size_t n;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "r");
        if (!f) {
                free(buf);
                return NULL;
        }
        n = fread(buf, 1, RR_MAX_BYTES, f);
        fclose(f);
        buf[n] = '\0';
        return buf;
}

START_TEST(one_supervisor_per_directory_and_nothing_before_a_target)
{
        struct rr *a = NULL, *b = NULL;
        struct rr_prev *prev = NULL;
        pid_t holder = -1;
        char *warn = NULL, *text;
        struct rr_counters at = { 1, 0, 2 };
        char *const argv[] = { "server", "--port", "1", NULL };

        ck_assert_int_eq(rr_claim(dfd, &a, &prev, &holder, &warn), 0);
        ck_assert_ptr_null(prev);
        ck_assert_ptr_null(warn);
        ck_assert_int_eq(strlen(rr_run_id(a)), 32);
        /* set-up only: no record yet */
        rr_set_supervisor(a, "node-1");
        ck_assert_int_eq(rr_flush(a, true), 0);
        ck_assert_ptr_null(slurp(RR_FILE));
        rr_target_started(a, 4242, argv, 1, &at, 1000);
        text = slurp(RR_FILE);
        ck_assert_ptr_nonnull(text);
        free(text);
        /* a second supervisor: refused, told the first one's pid */
        ck_assert_int_eq(rr_claim(dfd, &b, &prev, &holder, &warn), -EBUSY);
        ck_assert_int_eq(holder, getpid());
        rr_close(a, RR_ENDED);
        /* the lock goes with the first */
        ck_assert_int_eq(rr_claim(dfd, &b, &prev, &holder, &warn), 0);
        ck_assert_ptr_nonnull(prev);
        ck_assert_str_eq(prev->state, RR_ENDED);
        ck_assert_int_eq(prev->target_pid, 4242);
        ck_assert_str_eq(prev->argv[2], "1");
        ck_assert_ptr_null(prev->argv[3]);
        ck_assert_str_eq(prev->host, "node-1");
        ck_assert(prev->at_spawn_valid);
        ck_assert_uint_eq(prev->at_spawn.oom_kill, 1);
        ck_assert_uint_eq(prev->at_spawn.oom, 2);
        rr_prev_free(prev);
        rr_close(b, NULL);
}
END_TEST

START_TEST(a_dead_run_reads_back_as_running)
{
        struct rr *a = NULL;
        struct rr_prev *prev = NULL;
        char *warn = NULL;
        struct rr_counters at = { 0, 0, 0 };
        char *const argv[] = { "x", NULL };
        struct rr_cgroup cg = { .version = 2, .mode = "own", .path = "/sys/fs/cgroup", .container = "/",
                                .id = 77, .memory_limit = 64 << 20 };

        struct tl *tl = calloc(1, sizeof(*tl));

        ck_assert_ptr_nonnull(tl);
        tl_init(tl);
        ck_assert_int_eq(rr_claim(dfd, &a, &prev, NULL, &warn), 0);
        rr_set_cgroup(a, &cg);
        rr_set_timeline(a, tl);
        rr_target_started(a, 2, argv, 1, &at, 0);
        rr_set_exe(a, "/usr/bin/x", "abcd");
        tl_sample(tl, 500, 30 << 20);
        rr_sample(a, 30 << 20, 29 << 20, 1 << 20, 31 << 20);
        ck_assert_int_eq(rr_flush(a, false), 0);
        /* the supervisor "dies": its record stays as it was; only the lock goes */
        rr_close(a, NULL);
        ck_assert_int_eq(rr_claim(dfd, &a, &prev, NULL, &warn), 0);
        ck_assert_str_eq(prev->state, RR_RUNNING);
        ck_assert_str_eq(prev->cg_mode, "own");
        ck_assert_uint_eq(prev->cg_id, 77);
        ck_assert_uint_eq(prev->memory_limit, 64 << 20);
        ck_assert_str_eq(prev->exe, "/usr/bin/x");
        ck_assert_str_eq(prev->build_id, "abcd");
        ck_assert(prev->last_valid);
        ck_assert_uint_eq(prev->usage, 30 << 20);
        ck_assert_uint_eq(prev->peak, 31 << 20);
        ck_assert_uint_eq(prev->n_samples, 1);
        ck_assert_uint_eq(prev->sample_t_ms[0], 500);
        ck_assert_uint_eq(prev->sample_usage[0], 30 << 20);
        ck_assert_ptr_nonnull(prev->samples_start);
        rr_prev_free(prev);
        rr_close(a, NULL);
        free(tl);
}
END_TEST

/* the record's "samples" as read back from its file */
static struct json_value *record_samples(struct json_value **ret_root, const struct json_value **ret_usage)
{
        char *text = slurp(RR_FILE);
        struct json_value *v = NULL;
        const struct json_value *t;

        ck_assert_ptr_nonnull(text);
        ck_assert_uint_lt(strlen(text), 64 << 10);
        ck_assert_int_eq(json_parse(text, strlen(text), &v, NULL), 0);
        free(text);
        t = json_get(json_get(v, "samples"), "t_ms");
        *ret_usage = json_get(json_get(v, "samples"), "usage");
        ck_assert_ptr_nonnull(t);
        ck_assert_ptr_nonnull(*ret_usage);
        ck_assert_uint_eq(t->n, (*ret_usage)->n);
        *ret_root = v;
        return (struct json_value *)t;
}

START_TEST(samples_stay_bounded_and_cover_the_run)
{
        struct rr *a = NULL;
        struct rr_prev *prev = NULL;
        struct json_value *v = NULL;
        const struct json_value *t, *u;
        char *warn = NULL;
        struct rr_counters at = { 0, 0, 0 };
        char *const argv[] = { "x", NULL };
        struct tl *tl = calloc(1, sizeof(*tl));
        const uint64_t hour = 3600 * 1000, start2 = hour + 5000;

        ck_assert_ptr_nonnull(tl);
        tl_init(tl);
        ck_assert_int_eq(rr_claim(dfd, &a, &prev, NULL, &warn), 0);
        rr_set_timeline(a, tl);
        rr_target_started(a, 2, argv, 1, &at, 0);
        /* an hour of samples every 100 ms: the timeline thins them out, the
         * record writes at most RR_MAX_SAMPLES of what it kept */
        for (uint64_t ms = 0; ms < hour; ms += 100) {
                tl_sample(tl, ms, ms);
                rr_sample(a, ms, 0, 0, 0);
        }
        ck_assert_int_eq(rr_flush(a, true), 0);
        t = record_samples(&v, &u);
        ck_assert_uint_le(t->n, RR_MAX_SAMPLES);
        ck_assert_uint_ge(t->n, RR_MAX_SAMPLES / 2);
        ck_assert_uint_eq(t->items[0].u, 0);
        /* the series reaches the end of the hour (the newest sample), evenly */
        ck_assert_uint_eq(t->items[t->n - 1].u, hour - 100);
        ck_assert_uint_eq(u->items[t->n - 1].u, hour - 100);
        for (size_t i = 1; i < t->n; i++) {
                ck_assert_uint_gt(t->items[i].u, t->items[i - 1].u);
                ck_assert_uint_le(t->items[i].u - t->items[i - 1].u, 8 * hour / RR_MAX_SAMPLES);
                ck_assert_uint_eq(u->items[i].u, t->items[i].u);   /* each time with its own value */
        }
        json_value_free(v);

        /* a restart: the record shows the new target's samples alone, in ms
         * since its start; the timeline keeps both runs */
        rr_target_started(a, 3, argv, 2, &at, start2);
        t = record_samples(&v, &u);
        ck_assert_uint_eq(t->n, 0);
        json_value_free(v);
        tl_sample(tl, start2 + 100, 7);
        tl_sample(tl, start2 + 20000, 8);
        rr_sample(a, 8, 0, 0, 0);
        ck_assert_int_eq(rr_flush(a, true), 0);
        t = record_samples(&v, &u);
        ck_assert_uint_eq(t->n, 2);
        ck_assert_uint_eq(t->items[0].u, 100);
        ck_assert_uint_eq(u->items[0].u, 7);
        ck_assert_uint_eq(t->items[1].u, 20000);
        ck_assert_uint_eq(u->items[1].u, 8);
        ck_assert_uint_gt(tl->n_points, 2);
        json_value_free(v);
        rr_close(a, NULL);

        /* no timeline: a record without samples, still valid */
        ck_assert_int_eq(rr_claim(dfd, &a, &prev, NULL, &warn), 0);
        rr_prev_free(prev);
        rr_target_started(a, 4, argv, 1, &at, 0);
        rr_sample(a, 9, 0, 0, 0);
        ck_assert_int_eq(rr_flush(a, true), 0);
        t = record_samples(&v, &u);
        ck_assert_uint_eq(t->n, 0);
        json_value_free(v);
        rr_close(a, NULL);
        free(tl);
}
END_TEST

START_TEST(hostile_or_broken_records_are_refused)
{
        struct rr *a = NULL;
        struct rr_prev *prev = NULL;
        char *warn = NULL, p[128];

        snprintf(p, sizeof(p), "%s/%s", dir, RR_FILE);
        /* a FIFO planted as the record neither blocks nor is trusted */
        ck_assert_int_eq(mkfifo(p, 0600), 0);
        ck_assert_int_eq(rr_claim(dfd, &a, &prev, NULL, &warn), 0);
        ck_assert_ptr_null(prev);
        ck_assert_ptr_nonnull(warn);
        free(warn);
        warn = NULL;
        rr_close(a, NULL);
        unlink(p);
        /* a symlink is not followed */
        ck_assert_int_eq(symlink("/etc/passwd", p), 0);
        ck_assert_int_eq(rr_claim(dfd, &a, &prev, NULL, &warn), 0);
        ck_assert_ptr_null(prev);
        ck_assert_ptr_nonnull(warn);
        free(warn);
        warn = NULL;
        rr_close(a, NULL);
        unlink(p);
        /* not JSON, another schema */
        ck_assert_int_eq(rr_parse("{\"schema\": 1", 12, &prev, &warn), -EINVAL);
        ck_assert_ptr_nonnull(warn);
        free(warn);
        warn = NULL;
        ck_assert_int_eq(rr_parse("{\"schema\": 2, \"state\": \"running\"}", 33, &prev, &warn), -EINVAL);
        free(warn);
        warn = NULL;
        /* wrong types are left out, not trusted */
        ck_assert_int_eq(rr_parse("{\"schema\":1,\"state\":\"running\",\"target\":{\"pid\":\"7\",\"argv\":[1,\"a\"]},"
                                  "\"dumps\":[\"x\",2]}",
                                  strlen("{\"schema\":1,\"state\":\"running\",\"target\":{\"pid\":\"7\",\"argv\":[1,"
                                         "\"a\"]},\"dumps\":[\"x\",2]}"),
                                  &prev, &warn),
                         0);
        ck_assert_int_eq(prev->target_pid, 0);
        ck_assert_str_eq(prev->argv[0], "a");
        ck_assert_uint_eq(prev->n_dumps, 1);
        rr_prev_free(prev);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("runrecord");
        TCase *t = tcase_create("record");

        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, one_supervisor_per_directory_and_nothing_before_a_target);
        tcase_add_test(t, a_dead_run_reads_back_as_running);
        tcase_add_test(t, samples_stay_bounded_and_cover_the_run);
        tcase_add_test(t, hostile_or_broken_records_are_refused);
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
