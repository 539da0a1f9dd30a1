/* Unit tests: the termination log's summary of a bundle (termlog.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "termlog.h"

static const char report[] =
        "oomwatch incident report\n"
        "\n"
        "verdict:      oom-kill (signal 9)\n"
        "target:       pid 7: /usr/local/bin/myservice --port 8080\n"
        "limit:        448 MiB (cgroup v2)\n"
        "peak:         448 MiB (100% of the limit)\n"
        "oom kills:    1\n"
        "diff:         dumps/a.heap -> dumps/b.heap\n"
        "heap growth:  401 MiB\n"
        "\n"
        "where it grew (first frame outside the C/C++ runtime and the allocator):\n"
        "      ≈400 MiB  process_leak  at handlers.c:150\n"
        "        ≈1 MiB  f2\n"
        "        ≈1 KiB  f3\n"
        "        ≈1 KiB  f4\n"
        "        ≈1 KiB  f5\n"
        "        ≈1 KiB  f6\n"
        "\n"
        "coverage:     the newest dump's heap, 400 MiB, is 89% of the peak\n"
        "\n"
        "all growth (flat, flat%, sum%, cum, cum%):\n"
        "  process_leak ...\n";

START_TEST(summary_has_the_head_and_five_growers)
{
        char buf[TLOG_MAX_BYTES + 1];
        size_t n = tlog_compose(report, "/v/reports/20260101T000000Z-7", buf, sizeof(buf));

        ck_assert_uint_eq(n, strlen(buf));
        ck_assert_ptr_nonnull(strstr(buf, "verdict:      oom-kill (signal 9)\n"));
        ck_assert_ptr_nonnull(strstr(buf, "limit:        448 MiB (cgroup v2)\n"));
        ck_assert_ptr_nonnull(strstr(buf, "allocator):\n      ≈400 MiB  process_leak  at handlers.c:150\n"));
        ck_assert_ptr_nonnull(strstr(buf, "  f5\n"));
        ck_assert_ptr_null(strstr(buf, "  f6\n"));
        ck_assert_ptr_null(strstr(buf, "coverage"));
        ck_assert_ptr_null(strstr(buf, "all growth"));
        ck_assert_ptr_nonnull(strstr(buf, "\nbundle: /v/reports/20260101T000000Z-7\n"));
}
END_TEST

START_TEST(summary_is_capped)
{
        size_t big = 20000;
        char *huge = malloc(big + 64), *buf = malloc(8192);

        ck_assert_ptr_nonnull(huge);
        ck_assert_ptr_nonnull(buf);
        strcpy(huge, "verdict:      ");
        memset(huge + 14, 'x', big);
        strcpy(huge + 14 + big, "\ntop growers:\n  a 1 flat\n"); /* the older report's header */
        ck_assert_uint_le(tlog_compose(huge, "/b", buf, 8192), TLOG_MAX_BYTES);
        ck_assert_uint_le(strlen(buf), TLOG_MAX_BYTES);
        /* a small buffer is never overrun */
        ck_assert_uint_eq(tlog_compose(report, "/b", buf, 10), 9);
        ck_assert_uint_eq(strlen(buf), 9);
        free(huge);
        free(buf);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("termlog");
        TCase *t = tcase_create("compose");

        tcase_add_test(t, summary_has_the_head_and_five_growers);
        tcase_add_test(t, summary_is_capped);
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
