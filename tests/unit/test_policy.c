/* Unit tests: the supervisor's pure decisions (policy.h). Wait statuses are
 * made with the W_EXITCODE / W_STOPCODE layout of <sys/wait.h>. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "policy.h"

#define EXITED(code) W_EXITCODE((code), 0)
#define KILLED(sig) W_EXITCODE(0, (sig))

START_TEST(oom_needs_sigkill_and_a_counted_kill)
{
        ck_assert_str_eq(pol_verdict(false, KILLED(SIGKILL), true, false), POL_VERDICT_OOM);
        /* a counted kill without SIGKILL is someone else's */
        ck_assert_str_eq(pol_verdict(false, KILLED(SIGSEGV), true, true), POL_VERDICT_SIGNAL);
        ck_assert_str_eq(pol_verdict(false, EXITED(0), true, true), POL_VERDICT_EXIT);
        /* SIGKILL, not counted yet: wait, then call it a signal */
        ck_assert_ptr_null(pol_verdict(false, KILLED(SIGKILL), false, false));
        ck_assert_str_eq(pol_verdict(false, KILLED(SIGKILL), false, true), POL_VERDICT_SIGNAL);
        ck_assert_str_eq(pol_verdict(true, EXITED(127), false, true), POL_VERDICT_EXEC_FAILED);
}
END_TEST

START_TEST(exit_status_round_trips)
{
        for (int code = 0; code < 256; code++)
                ck_assert_int_eq(pol_exit_status(EXITED(code)), code);
        for (int sig = 1; sig < 32; sig++)
                ck_assert_int_eq(pol_exit_status(KILLED(sig)), 128 + sig);
}
END_TEST

START_TEST(report_wanted)
{
        ck_assert(pol_wants_report(CFG_REPORT_ON_OOM, POL_VERDICT_OOM, 137));
        ck_assert(!pol_wants_report(CFG_REPORT_ON_OOM, POL_VERDICT_SIGNAL, 137));
        ck_assert(!pol_wants_report(CFG_REPORT_ON_OOM, POL_VERDICT_EXIT, 1));
        ck_assert(pol_wants_report(CFG_REPORT_ON_EXIT, POL_VERDICT_EXIT, 1));
        ck_assert(!pol_wants_report(CFG_REPORT_ON_EXIT, POL_VERDICT_EXIT, 0));
        ck_assert(pol_wants_report(CFG_REPORT_ON_EXIT, POL_VERDICT_OOM, 137));
        ck_assert(pol_wants_report(CFG_REPORT_ON_ALWAYS, POL_VERDICT_EXIT, 0));
}
END_TEST

START_TEST(restart_policies)
{
        ck_assert(!pol_restart(CFG_RESTART_NEVER, POL_VERDICT_OOM, 137, false, false, 0, 5));
        ck_assert(pol_restart(CFG_RESTART_ON_OOM, POL_VERDICT_OOM, 137, false, false, 0, 5));
        ck_assert(!pol_restart(CFG_RESTART_ON_OOM, POL_VERDICT_SIGNAL, 137, false, false, 0, 5));
        ck_assert(pol_restart(CFG_RESTART_ON_FAILURE, POL_VERDICT_EXIT, 3, false, false, 0, 5));
        ck_assert(!pol_restart(CFG_RESTART_ON_FAILURE, POL_VERDICT_EXIT, 0, false, false, 0, 5));
        ck_assert(pol_restart(CFG_RESTART_ALWAYS, POL_VERDICT_EXIT, 0, false, false, 4, 5));
        /* limits: max_restarts, a stop asked for, exec failures */
        ck_assert(!pol_restart(CFG_RESTART_ALWAYS, POL_VERDICT_EXIT, 0, false, false, 5, 5));
        ck_assert(!pol_restart(CFG_RESTART_ALWAYS, POL_VERDICT_EXIT, 0, false, false, 0, 0));
        ck_assert(!pol_restart(CFG_RESTART_ALWAYS, POL_VERDICT_SIGNAL, 143, false, true, 0, 5));
        ck_assert(!pol_restart(CFG_RESTART_ALWAYS, POL_VERDICT_EXEC_FAILED, 127, true, false, 0, 5));
}
END_TEST

START_TEST(restart_delay_doubles_to_the_cap)
{
        ck_assert_uint_eq(pol_restart_delay(100, 0, 60000), 100);
        ck_assert_uint_eq(pol_restart_delay(100, 1, 60000), 200);
        ck_assert_uint_eq(pol_restart_delay(100, 3, 60000), 800);
        ck_assert_uint_eq(pol_restart_delay(100, 20, 60000), 60000);
        ck_assert_uint_eq(pol_restart_delay(0, 5, 60000), 0);
        ck_assert_uint_eq(pol_restart_delay(UINT64_MAX / 2 + 1, 3, UINT64_MAX), UINT64_MAX);
}
END_TEST

START_TEST(unobserved_cause_from_the_counters)
{
        ck_assert_str_eq(pol_unobserved_cause(false, 3, 1), POL_CAUSE_UNKNOWN);
        ck_assert_str_eq(pol_unobserved_cause(true, 3, 1), POL_CAUSE_GROUP_OOM);
        ck_assert_str_eq(pol_unobserved_cause(true, 1, 0), POL_CAUSE_OOM);
        ck_assert_str_eq(pol_unobserved_cause(true, 0, 0), POL_CAUSE_NO_OOM);
}
END_TEST

START_TEST(child_limit_keeps_room_under_an_ancestor)
{
        uint64_t l, room;

        ck_assert_int_eq(pol_child_limit(256ULL << 20, 0, &l, &room), POL_LIMIT_FITS);
        ck_assert_uint_eq(l, 256ULL << 20);
        ck_assert_int_eq(pol_child_limit(448ULL << 20, 512ULL << 20, &l, &room), POL_LIMIT_FITS);
        ck_assert_uint_eq(l, 448ULL << 20);
        ck_assert_uint_eq(room, 64ULL << 20);
        ck_assert_int_eq(pol_child_limit(480ULL << 20, 512ULL << 20, &l, &room), POL_LIMIT_TIGHT);
        ck_assert_uint_eq(l, 480ULL << 20);
        /* the case: an 80 MiB ancestor, -m 128M */
        ck_assert_int_eq(pol_child_limit(128ULL << 20, 80ULL << 20, &l, &room), POL_LIMIT_CAPPED);
        ck_assert_uint_eq(room, 20ULL << 20);
        ck_assert_uint_eq(l, 60ULL << 20);
        ck_assert_int_eq(pol_child_limit(1ULL << 40, 1ULL << 30, &l, &room), POL_LIMIT_CAPPED);
        ck_assert_uint_eq(l, (1ULL << 30) - (64ULL << 20));
        ck_assert_int_eq(pol_child_limit(64ULL << 20, 64ULL << 20, &l, &room), POL_LIMIT_CAPPED);
        ck_assert_uint_eq(l, 48ULL << 20);
        ck_assert_uint_eq(l % 4096, 0);
}
END_TEST

START_TEST(exit_status_tells_a_kill_in_the_tree)
{
        /* a wrapper that exits 0 after its child's OOM kill: 137 */
        ck_assert_int_eq(pol_exit_status_tree(0, 1, false), POL_EXIT_TREE_OOM);
        ck_assert_int_eq(pol_exit_status_tree(0, 5, false), 137);
        /* its own failure stays its own */
        ck_assert_int_eq(pol_exit_status_tree(3, 1, false), 3);
        ck_assert_int_eq(pol_exit_status_tree(137, 1, false), 137);
        /* no kill in the tree */
        ck_assert_int_eq(pol_exit_status_tree(0, 0, false), 0);
        /* stopped by a forwarded signal: the master's own status */
        ck_assert_int_eq(pol_exit_status_tree(0, 2, true), 0);
        ck_assert_int_eq(pol_exit_status_tree(143, 2, true), 143);
}
END_TEST

START_TEST(bundle_rate)
{
        struct pol_rate r = { 0 };

        /* 2 per 10 s */
        ck_assert(pol_rate_allow(&r, 2, 10000, 1000));
        ck_assert(pol_rate_allow(&r, 2, 10000, 2000));
        ck_assert(!pol_rate_allow(&r, 2, 10000, 3000));
        ck_assert(!pol_rate_allow(&r, 2, 10000, 10999));
        ck_assert(pol_rate_allow(&r, 2, 10000, 11000));      /* the first fell out */
        ck_assert(!pol_rate_allow(&r, 2, 10000, 11500));
        ck_assert(pol_rate_allow(&r, 2, 10000, 12000));
        /* limit 0: none */
        struct pol_rate z = { 0 };
        ck_assert(!pol_rate_allow(&z, 0, 10000, 1));
        /* at most POL_MAX_TREE_BUNDLES per run, however slow */
        struct pol_rate m = { 0 };
        unsigned n = 0;
        for (uint64_t t = 0; t < 1000; t++)
                n += pol_rate_allow(&m, 64, 1, t * 10);
        ck_assert_uint_eq(n, POL_MAX_TREE_BUNDLES);
        /* a limit above the ring is the ring */
        struct pol_rate big = { 0 };
        n = 0;
        for (int i = 0; i < 100; i++)
                n += pol_rate_allow(&big, 1000, 60000, 5);
        ck_assert_uint_eq(n, POL_RATE_MAX);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("policy");
        TCase *t = tcase_create("decisions");

        tcase_add_test(t, oom_needs_sigkill_and_a_counted_kill);
        tcase_add_test(t, exit_status_round_trips);
        tcase_add_test(t, report_wanted);
        tcase_add_test(t, restart_policies);
        tcase_add_test(t, restart_delay_doubles_to_the_cap);
        tcase_add_test(t, exit_status_tells_a_kill_in_the_tree);
        tcase_add_test(t, bundle_rate);
        tcase_add_test(t, unobserved_cause_from_the_counters);
        tcase_add_test(t, child_limit_keeps_room_under_an_ancestor);
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
