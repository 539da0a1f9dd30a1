/* Unit tests: the Prometheus textfile (supervisor/metrics.c): counters by
 * label, label values escaped as the text format wants, the file replaced
 * whole, and the top grower read from a bundle's incident.json. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

static char dir[64], path[128];

static void setup(void)
{
        snprintf(dir, sizeof(dir), "/tmp/oomwatch-met.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/o.prom", dir);
}

static void teardown(void)
{
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

static char *slurp(const char *p)
{
        FILE *f = fopen(p, "re");
        static char buf[65536];
        size_t n;
        ck_assert_ptr_nonnull(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return buf;
}

START_TEST(counters_and_escaping)
{
        struct met *m = NULL;
        char *t;

        ck_assert_int_eq(met_open(path, "/d\"q\\b\n\xff", 1 << 26, &m), 0);
        met_oom_kill(m, "srv");
        met_oom_kill(m, "srv");
        met_oom_kill(m, NULL);
        met_restart(m);
        met_dump_written(m);
        met_usage(m, 12345);
        ck_assert_int_eq(met_write(m), 0);
        t = slurp(path);
        ck_assert_ptr_nonnull(strstr(t, "# TYPE oomwatch_oom_kills_total counter\n"));
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_oom_kills_total{dump_dir=\"/d\\\"q\\\\b\\n\xef\xbf\xbd\",command=\"srv\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(t, ",command=\"unknown\"} 1\n"));
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_memory_usage_bytes{dump_dir=\"/d\\\"q\\\\b\\n\xef\xbf\xbd\"} 12345\n"));
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_memory_limit_bytes{") );
        ck_assert_ptr_null(strstr(t, "oomwatch_last_bundle_timestamp_seconds"));
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 0777, 0644);
        char tmp[160];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        ck_assert_int_ne(access(tmp, F_OK), 0);
        met_close(m);
}
END_TEST

START_TEST(bundle_top_grower)
{
        struct met *m = NULL;
        char inc[160], *t;
        FILE *f;

        snprintf(inc, sizeof(inc), "%s/incident.json", dir);
        f = fopen(inc, "we");
        ck_assert_ptr_nonnull(f);
        fputs("{\"diff\": {\"growth_bytes\": 777, \"top\": [{\"function\": \"malloc_wrapper\", \"flat_bytes\": 1}],"
              " \"sites\": [{\"function\": \"process_leak\", \"file\": \"leaky.c\", \"line\": 42, \"bytes\": 700}]}}", f);
        fclose(f);
        ck_assert_int_eq(met_open(path, "/d", 0, &m), 0);
        ck_assert_int_eq(met_bundle(m, dir, "oom-kill", 1700000000), 0);
        ck_assert_int_eq(met_write(m), 0);
        t = slurp(path);
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_last_bundle_timestamp_seconds{dump_dir=\"/d\"} 1700000000\n"));
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_last_bundle_growth_bytes{dump_dir=\"/d\"} 777\n"));
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_top_grower_info{dump_dir=\"/d\",function=\"process_leak\","
                                        "file=\"leaky.c:42\",verdict=\"oom-kill\"} 1\n"));
        ck_assert_ptr_nonnull(strstr(t, "oomwatch_bundles_total{dump_dir=\"/d\",verdict=\"oom-kill\"} 1\n"));
        /* a bundle without incident.json still counts, and says why */
        ck_assert_int_lt(met_bundle(m, "/nonexistent", "exit", 1700000001), 0);
        ck_assert_int_eq(met_write(m), 0);
        t = slurp(path);
        ck_assert_ptr_nonnull(strstr(t, "verdict=\"exit\"} 1\n"));
        met_close(m);
        /* no file configured: everything is a no-op */
        ck_assert_int_eq(met_open(NULL, "/d", 0, &m), 0);
        ck_assert_ptr_null(m);
        met_restart(m);
        ck_assert_int_eq(met_write(m), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("metrics");
        TCase *t = tcase_create("textfile");
        SRunner *sr;
        int failed;

        tcase_add_checked_fixture(t, setup, teardown);
        tcase_add_test(t, counters_and_escaping);
        tcase_add_test(t, bundle_top_grower);
        suite_add_tcase(s, t);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
