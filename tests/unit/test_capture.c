/* Unit tests: capture.c's pure decisions — who gets a threshold dump, when a
 * threshold fires and re-arms, which dumps stay in the window. */
#include <check.h>
#include <stdlib.h>

#include "capture.h"

#define MiB (1ULL << 20)

START_TEST(pick_the_largest_that_can_dump)
{
        struct cap_cand c[] = {
                { .pid = 1, .anon = 4 * MiB, .can_dump = true },    /* the master */
                { .pid = 2, .anon = 60 * MiB, .can_dump = true },   /* the growing worker */
                { .pid = 3, .anon = 5 * MiB, .can_dump = true },
        };
        size_t out[CAP_PICK_MAX], n;

        n = cap_pick(c, 3, CAP_SHARE_PERCENT, CAP_PICK_MAX, out);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(out[0], 1);
        /* max 1 is one even when more hold a share */
        c[0].anon = 50 * MiB;
        n = cap_pick(c, 3, CAP_SHARE_PERCENT, 1, out);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(out[0], 1);
}
END_TEST

START_TEST(pick_every_one_above_the_share)
{
        /* total 100: 40 and 30 and 20 hold 20% or more, 10 does not */
        struct cap_cand c[] = {
                { .pid = 1, .anon = 10 * MiB, .can_dump = true },
                { .pid = 2, .anon = 30 * MiB, .can_dump = true },
                { .pid = 3, .anon = 40 * MiB, .can_dump = true },
                { .pid = 4, .anon = 20 * MiB, .can_dump = true },
        };
        size_t out[CAP_PICK_MAX], n = cap_pick(c, 4, 20, CAP_PICK_MAX, out);

        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(out[0], 2);   /* largest first */
        ck_assert_uint_eq(out[1], 1);
        ck_assert_uint_eq(out[2], 3);
        /* at most max */
        ck_assert_uint_eq(cap_pick(c, 4, 20, 2, out), 2);
}
END_TEST

START_TEST(pick_skips_those_that_cannot_dump)
{
        /* the largest has no jemalloc: the largest that can dump is picked,
         * and the one that cannot still counts in the total */
        struct cap_cand c[] = {
                { .pid = 1, .anon = 70 * MiB, .can_dump = false },
                { .pid = 2, .anon = 20 * MiB, .can_dump = true },
                { .pid = 3, .anon = 10 * MiB, .can_dump = true },
        };
        size_t out[CAP_PICK_MAX], n = cap_pick(c, 3, 20, CAP_PICK_MAX, out);

        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(out[0], 1);   /* 10 of 100 is below the share */
        c[1].anon = 30 * MiB;           /* 30 and 25 of 125: both hold 20% or more */
        c[2].anon = 25 * MiB;
        n = cap_pick(c, 3, 20, CAP_PICK_MAX, out);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(out[0], 1);
        ck_assert_uint_eq(out[1], 2);
        /* nobody can dump */
        c[1].can_dump = c[2].can_dump = false;
        ck_assert_uint_eq(cap_pick(c, 3, 20, CAP_PICK_MAX, out), 0);
        /* nothing sampled yet: the first that can dump */
        struct cap_cand z[] = { { .pid = 9, .can_dump = false }, { .pid = 8, .can_dump = true },
                                { .pid = 7, .can_dump = true } };
        ck_assert_uint_eq(cap_pick(z, 3, 20, CAP_PICK_MAX, out), 1);
        ck_assert_uint_eq(out[0], 1);
        ck_assert_uint_eq(cap_pick(z, 0, 20, CAP_PICK_MAX, out), 0);
}
END_TEST

START_TEST(threshold_fires_up_and_rearms_below)
{
        uint64_t limit = 100 * MiB;

        ck_assert_int_eq(cap_threshold_step(false, 89 * MiB, limit, 90), CAP_STEP_NONE);
        ck_assert_int_eq(cap_threshold_step(false, 90 * MiB, limit, 90), CAP_STEP_FIRE);
        ck_assert_int_eq(cap_threshold_step(false, 99 * MiB, limit, 90), CAP_STEP_FIRE);
        /* fired: nothing until the usage falls CAP_REARM_POINTS below */
        ck_assert_int_eq(cap_threshold_step(true, 99 * MiB, limit, 90), CAP_STEP_NONE);
        ck_assert_int_eq(cap_threshold_step(true, 85 * MiB, limit, 90), CAP_STEP_NONE);
        ck_assert_int_eq(cap_threshold_step(true, 80 * MiB, limit, 90), CAP_STEP_NONE);
        ck_assert_int_eq(cap_threshold_step(true, 80 * MiB - 1, limit, 90), CAP_STEP_REARM);
        ck_assert_uint_eq(cap_rearm_percent(90), 80);
        ck_assert_uint_eq(cap_rearm_bytes(limit, 90), 80 * MiB);
        /* low thresholds re-arm at half */
        ck_assert_uint_eq(cap_rearm_percent(10), 5);
        ck_assert_uint_eq(cap_rearm_percent(1), 0);
        ck_assert_int_eq(cap_threshold_step(true, 0, limit, 1), CAP_STEP_NONE);
}
END_TEST

/* Usage steps: a dump a step above the last step's level, levels on the
 * grid of the step, one dump for a burst over several steps. */
START_TEST(steps_fire_a_step_above_the_last)
{
        uint64_t limit = 160 * MiB, step = limit / 16, level = 0, l = 12345;

        ck_assert_uint_eq(step, 10 * MiB);
        ck_assert_int_eq(cap_usage_step(level, 9 * MiB, step, limit, &l), CAP_STEP_NONE);
        ck_assert_uint_eq(l, 12345);            /* untouched */
        ck_assert_int_eq(cap_usage_step(level, 10 * MiB, step, limit, &l), CAP_STEP_FIRE);
        ck_assert_uint_eq(l, 10 * MiB);
        level = l;
        ck_assert_int_eq(cap_usage_step(level, 20 * MiB - 1, step, limit, &l), CAP_STEP_NONE);
        ck_assert_int_eq(cap_usage_step(level, 23 * MiB, step, limit, &l), CAP_STEP_FIRE);
        ck_assert_uint_eq(l, 20 * MiB);         /* on the grid, not the usage */
        level = l;
        /* a burst over five steps at once: one dump, at the highest level passed */
        ck_assert_int_eq(cap_usage_step(level, 75 * MiB, step, limit, &l), CAP_STEP_FIRE);
        ck_assert_uint_eq(l, 70 * MiB);
        level = l;
        ck_assert_int_eq(cap_usage_step(level, 79 * MiB, step, limit, &l), CAP_STEP_NONE);
        /* no steps: nothing, whatever the usage */
        ck_assert_int_eq(cap_usage_step(0, limit, 0, limit, &l), CAP_STEP_NONE);
        ck_assert_int_eq(cap_usage_step(70 * MiB, 0, 0, limit, &l), CAP_STEP_NONE);
}
END_TEST

/* The level falls back only when the usage falls CAP_REARM_POINTS points of
 * the limit below it (half of it for low levels); then the next step fires a
 * step above the grid level under the usage. */
START_TEST(steps_rearm_below_the_level)
{
        uint64_t limit = 160 * MiB, step = 10 * MiB, l = 0, r = cap_step_rearm_bytes(limit, 70 * MiB);

        ck_assert_uint_eq(r, 70 * MiB - limit / 100 * CAP_REARM_POINTS);        /* about 54 MiB */
        ck_assert_int_eq(cap_usage_step(70 * MiB, 60 * MiB, step, limit, &l), CAP_STEP_NONE);
        ck_assert_int_eq(cap_usage_step(70 * MiB, r, step, limit, &l), CAP_STEP_NONE);
        ck_assert_int_eq(cap_usage_step(70 * MiB, r - 1, step, limit, &l), CAP_STEP_REARM);
        ck_assert_uint_eq(l, 50 * MiB);
        ck_assert_int_eq(cap_usage_step(50 * MiB, 59 * MiB, step, limit, &l), CAP_STEP_NONE);
        ck_assert_int_eq(cap_usage_step(50 * MiB, 60 * MiB, step, limit, &l), CAP_STEP_FIRE);
        ck_assert_uint_eq(l, 60 * MiB);
        /* low levels re-arm at half */
        ck_assert_uint_eq(cap_step_rearm_bytes(limit, 10 * MiB), 5 * MiB);
        ck_assert_int_eq(cap_usage_step(10 * MiB, 6 * MiB, step, limit, &l), CAP_STEP_NONE);
        ck_assert_int_eq(cap_usage_step(10 * MiB, 4 * MiB, step, limit, &l), CAP_STEP_REARM);
        ck_assert_uint_eq(l, 0);
        /* level 0 has nothing to re-arm */
        ck_assert_int_eq(cap_usage_step(0, 0, step, limit, &l), CAP_STEP_NONE);
}
END_TEST

/* A run as the samples see it: a leak to the limit, a worker killed and
 * replaced (the usage falls to 20%), its growth again, with the usage
 * jittering by 3 MiB all the while. Each climb takes one dump per step it
 * passes, the jitter none. */
static unsigned climb(uint64_t *level, uint64_t from, uint64_t to, uint64_t step, uint64_t limit, unsigned *rearms)
{
        unsigned fires = 0;

        for (uint64_t u = from; from < to ? u <= to : u >= to; u = from < to ? u + MiB / 4 : u - MiB / 4) {
                for (int jitter = 0; jitter < 2; jitter++) {
                        uint64_t l, v = jitter && u >= 3 * MiB ? u - 3 * MiB : u;
                        switch (cap_usage_step(*level, v, step, limit, &l)) {
                        case CAP_STEP_FIRE:
                                ck_assert_uint_eq(l % step, 0);
                                ck_assert_uint_gt(l, *level);
                                fires++;
                                *level = l;
                                break;
                        case CAP_STEP_REARM:
                                ck_assert_uint_lt(l, *level);
                                (*rearms)++;
                                *level = l;
                                break;
                        case CAP_STEP_NONE:
                                break;
                        }
                }
                if (from > to && u < MiB / 4)
                        break;
        }
        return fires;
}

START_TEST(steps_follow_a_replaced_worker)
{
        uint64_t limit = 160 * MiB, step = limit / 16, level = 0;
        unsigned rearms = 0;

        ck_assert_uint_eq(climb(&level, 0, 158 * MiB, step, limit, &rearms), 15);
        ck_assert_uint_eq(level, 150 * MiB);
        ck_assert_uint_eq(rearms, 0);
        /* the worker is killed: the level follows the usage down */
        ck_assert_uint_eq(climb(&level, 158 * MiB, 32 * MiB, step, limit, &rearms), 0);
        ck_assert_uint_ge(rearms, 1);
        ck_assert_uint_le(level, 30 * MiB);
        /* its replacement grows: a dump for every step of the new growth */
        ck_assert_uint_eq(climb(&level, 32 * MiB, 158 * MiB, step, limit, &rearms), 12);
        ck_assert_uint_eq(level, 150 * MiB);
}
END_TEST

/* A burst: growth that fills the limit in CAP_FAST_FILL_MS or less. */
START_TEST(fast_growth_is_a_rate_against_the_limit)
{
        uint64_t limit = 96 * MiB;

        /* /oom: 8 MiB in 45 ms */
        ck_assert(cap_fast_growth(7 * MiB, 1000, 15 * MiB, 1045, limit));
        /* exactly the limit in CAP_FAST_FILL_MS */
        ck_assert(cap_fast_growth(0, 0, limit / 2, CAP_FAST_FILL_MS / 2, limit));
        ck_assert(!cap_fast_growth(0, 0, limit / 2, CAP_FAST_FILL_MS / 2 + 1, limit));
        /* a slow leak through HTTP: 6 MiB in 180 ms; a C++ service: 4 MiB of 64 in 500 ms */
        ck_assert(!cap_fast_growth(30 * MiB, 1000, 36 * MiB, 1180, limit));
        ck_assert(!cap_fast_growth(40 * MiB, 1000, 44 * MiB, 1500, 64 * MiB));
        /* the same instant: fast; no growth, or a fall: never */
        ck_assert(cap_fast_growth(10 * MiB, 5, 11 * MiB, 5, limit));
        ck_assert(!cap_fast_growth(10 * MiB, 5, 10 * MiB, 5, limit));
        ck_assert(!cap_fast_growth(20 * MiB, 5, 10 * MiB, 6, limit));
        /* no overflow at a terabyte over a day */
        ck_assert(!cap_fast_growth(0, 0, 1ULL << 40, 86400000ULL, 1ULL << 40));
        ck_assert(cap_fast_growth(0, 0, 1ULL << 40, 1000, 1ULL << 40));
}
END_TEST

START_TEST(which_dumps_stay)
{
        /* alive, in_scope, killed, evidence, keep_all */
        ck_assert(cap_dump_stays(true, true, false, false, false));
        ck_assert(!cap_dump_stays(true, false, false, false, false));     /* outside profiling.processes */
        ck_assert(!cap_dump_stays(false, true, false, false, false));     /* exited, not the one kept */
        ck_assert(cap_dump_stays(false, true, true, false, false));       /* a victim: its bundle takes them */
        ck_assert(cap_dump_stays(false, true, false, true, false));       /* the exited one that grew */
        ck_assert(cap_dump_stays(false, true, false, false, true));       /* the target is dying or stopped */
        ck_assert(!cap_dump_stays(false, false, true, true, true));       /* out of scope, whatever else */
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("capture");
        TCase *t = tcase_create("decisions");

        tcase_add_test(t, pick_the_largest_that_can_dump);
        tcase_add_test(t, pick_every_one_above_the_share);
        tcase_add_test(t, pick_skips_those_that_cannot_dump);
        tcase_add_test(t, threshold_fires_up_and_rearms_below);
        tcase_add_test(t, steps_fire_a_step_above_the_last);
        tcase_add_test(t, steps_rearm_below_the_level);
        tcase_add_test(t, steps_follow_a_replaced_worker);
        tcase_add_test(t, fast_growth_is_a_rate_against_the_limit);
        tcase_add_test(t, which_dumps_stay);
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
