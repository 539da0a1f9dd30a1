/* Unit tests: the run's timeline (supervisor/timeline.c): marks from the
 * event log's events, samples thinned out evenly when full, dump marks
 * thinned out in a storm while the other marks stay. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

START_TEST(marks_from_events)
{
        struct tl *t = calloc(1, sizeof(*t));
        tl_init(t);
        ck_assert_int_eq(tl_event(t, 1000, "start", "{\"ts\":\"x\",\"event\":\"start\",\"pid\":7,\"run\":1}"), 1);
        ck_assert_int_eq(tl_event(t, 1100, "dump", "{\"event\":\"dump\",\"path\":\"/d/oomwatch.7.3.i2.heap\",\"kind\":\"i\",\"pid\":7}"), 1);
        ck_assert_int_eq(tl_event(t, 1200, "threshold", "{\"event\":\"threshold\",\"percent\":90,\"usage\":5}"), 1);
        ck_assert_int_eq(tl_event(t, 1300, "rotate", "{\"event\":\"rotate\",\"file\":\"x\"}"), 0);
        ck_assert_int_eq(tl_event(t, 1400, "oom", "{\"event\":\"oom\",\"pid\":7,\"oom_kills\":1}"), 1);
        ck_assert_int_eq(tl_event(t, 1400, "oom", "{\"event\":\"oom\",\"pid\":null,\"scope\":\"cgroup\"}"), 1);
        ck_assert_int_eq(tl_event(t, 1500, "restart", "{\"event\":\"restart\",\"attempt\":1}"), 1);
        ck_assert_int_eq(tl_event(t, 1500, "start", "not json"), -22);
        ck_assert_uint_eq(t->t0_ms, 1000);
        ck_assert_uint_eq(t->n_marks, 6);
        ck_assert_str_eq(t->marks[0].label, "start 1 (pid 7)");
        ck_assert_str_eq(t->marks[1].label, "oomwatch.7.3.i2.heap (i)");
        ck_assert_str_eq(t->marks[2].label, "90% of the limit");
        ck_assert_str_eq(t->marks[3].label, "OOM kill (pid 7)");
        ck_assert_str_eq(t->marks[4].label, "OOM kill in the cgroup");
        ck_assert_str_eq(t->marks[5].kind, "restart");
        free(t);
}
END_TEST

START_TEST(samples_thin_out_evenly)
{
        struct tl *t = calloc(1, sizeof(*t));
        tl_init(t);
        for (uint64_t i = 0; i < 10 * TL_MAX_POINTS; i++)
                tl_sample(t, 1000 + i * 10, i);
        ck_assert_uint_le(t->n_points, TL_MAX_POINTS);
        ck_assert_uint_ge(t->n_points, TL_MAX_POINTS / 4);
        ck_assert_uint_eq(t->points[0].t_ms, 1000);                     /* the first stays */
        ck_assert_uint_eq(t->points[t->n_points - 1].usage, 10 * TL_MAX_POINTS - 1);  /* the newest too */
        /* evenly: no gap more than four times the mean */
        uint64_t span = t->points[t->n_points - 1].t_ms - t->points[0].t_ms, mean = span / (t->n_points - 1);
        for (size_t i = 1; i < t->n_points; i++) {
                ck_assert_uint_gt(t->points[i].t_ms, t->points[i - 1].t_ms);
                ck_assert_uint_le(t->points[i].t_ms - t->points[i - 1].t_ms, 4 * mean);
        }
        free(t);
}
END_TEST

START_TEST(points_since_a_time)
{
        struct tl *t = calloc(1, sizeof(*t));
        const struct tl_point *p = NULL;

        tl_init(t);
        ck_assert_uint_eq(tl_points_since(t, 0, &p), 0);
        for (uint64_t i = 0; i < 10; i++)
                tl_sample(t, 100 * i, i);
        ck_assert_uint_eq(tl_points_since(t, 0, &p), 10);
        ck_assert_uint_eq(p[0].usage, 0);
        ck_assert_uint_eq(tl_points_since(t, 450, &p), 5);
        ck_assert_uint_eq(p[0].t_ms, 500);
        ck_assert_uint_eq(p[4].usage, 9);
        ck_assert_uint_eq(tl_points_since(t, 900, &p), 1);
        ck_assert_uint_eq(tl_points_since(t, 901, &p), 0);
        free(t);
}
END_TEST

START_TEST(dump_storm_keeps_other_marks)
{
        struct tl *t = calloc(1, sizeof(*t));
        tl_init(t);
        tl_event(t, 1, "start", "{\"event\":\"start\",\"pid\":1,\"run\":1}");
        for (int i = 0; i < 10000; i++)
                tl_event(t, 2 + (uint64_t)i, "dump", "{\"event\":\"dump\",\"file\":\"oomwatch.1.1.u1.heap\"}");
        tl_event(t, 20000, "oom", "{\"event\":\"oom\",\"pid\":1}");
        ck_assert_uint_le(t->n_marks, TL_MAX_MARKS);
        ck_assert_str_eq(t->marks[0].kind, "start");
        ck_assert_str_eq(t->marks[t->n_marks - 1].kind, "oom");
        ck_assert_uint_ge(t->n_marks, TL_MAX_MARKS / 4);
        free(t);
}
END_TEST

START_TEST(restart_loop_keeps_the_newest)
{
        struct tl *t = calloc(1, sizeof(*t));
        char ev[96];
        tl_init(t);
        for (int i = 1; i <= 5000; i++) {
                snprintf(ev, sizeof(ev), "{\"event\":\"start\",\"pid\":%d,\"run\":%d}", i, i);
                tl_event(t, (uint64_t)i * 10, "start", ev);
                tl_event(t, (uint64_t)i * 10 + 1, "dump", "{\"event\":\"dump\",\"file\":\"f.heap\"}");
                tl_event(t, (uint64_t)i * 10 + 2, "exit", "{\"event\":\"exit\",\"verdict\":\"exit\",\"status\":1}");
                tl_event(t, (uint64_t)i * 10 + 3, "restart", "{\"event\":\"restart\",\"attempt\":1}");
        }
        ck_assert_uint_le(t->n_marks, TL_MAX_MARKS);
        ck_assert_uint_ge(t->n_marks, TL_MAX_MARKS / 4);
        ck_assert_str_eq(t->marks[t->n_marks - 1].kind, "restart");
        ck_assert_uint_eq(t->marks[t->n_marks - 1].t_ms, 50003);
        free(t);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("timeline");
        TCase *tc = tcase_create("timeline");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, marks_from_events);
        tcase_add_test(tc, samples_thin_out_evenly);
        tcase_add_test(tc, points_since_a_time);
        tcase_add_test(tc, dump_storm_keeps_other_marks);
        tcase_add_test(tc, restart_loop_keeps_the_newest);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
