/* Unit tests: value parsers, configuration loading, MALLOC_CONF. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "config.h"
#include "mallconf.h"
#include "units.h"

/* ---- units ---------------------------------------------------------------- */

START_TEST(size_ok)
{
        static const struct { const char *in; uint64_t out; } t[] = {
                { "0", 0 }, { "4096", 4096 }, { "512K", 512ULL << 10 }, { "256M", 256ULL << 20 },
                { "1G", 1ULL << 30 }, { "2T", 2ULL << 40 }, { "256MiB", 256ULL << 20 }, { "64MB", 64ULL << 20 },
                { "1g", 1ULL << 30 }, { "10B", 10 },
        };
        for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                uint64_t v = 12345;
                ck_assert_msg(unit_parse_size(t[i].in, &v) == 0, "%s", t[i].in);
                ck_assert_uint_eq(v, t[i].out);
        }
}
END_TEST

START_TEST(size_bad)
{
        static const struct { const char *in; int r; } t[] = {
                { "", -EINVAL }, { "-1", -EINVAL }, { " 1", -EINVAL }, { "1.5G", -EINVAL }, { "1X", -EINVAL },
                { "M", -EINVAL }, { "1 M", -EINVAL }, { "1MM", -EINVAL }, { "+5", -EINVAL },
                { "99999999999999999999", -ERANGE }, { "9999999999T", -ERANGE }, { "8589934592G", -ERANGE },
        };
        for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                uint64_t v = 777;
                ck_assert_msg(unit_parse_size(t[i].in, &v) == t[i].r, "%s", t[i].in);
                ck_assert_uint_eq(v, 777); /* untouched on failure */
        }
}
END_TEST

START_TEST(duration)
{
        uint64_t v = 0;
        ck_assert_int_eq(unit_parse_duration("250ms", &v), 0);
        ck_assert_uint_eq(v, 250);
        ck_assert_int_eq(unit_parse_duration("30s", &v), 0);
        ck_assert_uint_eq(v, 30000);
        ck_assert_int_eq(unit_parse_duration("5m", &v), 0);
        ck_assert_uint_eq(v, 300000);
        ck_assert_int_eq(unit_parse_duration("0", &v), 0);
        ck_assert_uint_eq(v, 0);
        v = 9;
        ck_assert_int_eq(unit_parse_duration("30", &v), -EINVAL);
        ck_assert_int_eq(unit_parse_duration("1d", &v), -EINVAL);
        ck_assert_int_eq(unit_parse_duration("s", &v), -EINVAL);
        ck_assert_int_eq(unit_parse_duration("-1s", &v), -EINVAL);
        ck_assert_int_eq(unit_parse_duration("1000h", &v), -ERANGE);
        ck_assert_int_eq(unit_parse_duration("99999999999999999999ms", &v), -ERANGE);
        ck_assert_uint_eq(v, 9);
}
END_TEST

START_TEST(percent_bool_uint)
{
        unsigned p = 0;
        bool b = false;
        uint64_t u = 0;

        ck_assert_int_eq(unit_parse_percent("80%", 1, 99, &p), 0);
        ck_assert_uint_eq(p, 80);
        ck_assert_int_eq(unit_parse_percent("90", 1, 99, &p), 0);
        ck_assert_uint_eq(p, 90);
        ck_assert_int_eq(unit_parse_percent("100%", 1, 99, &p), -ERANGE);
        ck_assert_int_eq(unit_parse_percent("0%", 1, 99, &p), -ERANGE);
        ck_assert_int_eq(unit_parse_percent("8%0", 1, 99, &p), -EINVAL);
        ck_assert_int_eq(unit_parse_percent("%", 1, 99, &p), -EINVAL);
        ck_assert_uint_eq(p, 90);
        ck_assert_int_eq(unit_parse_bool("On", &b), 0);
        ck_assert(b);
        ck_assert_int_eq(unit_parse_bool("false", &b), 0);
        ck_assert(!b);
        ck_assert_int_eq(unit_parse_bool("maybe", &b), -EINVAL);
        ck_assert_int_eq(unit_parse_uint("17", 1, 20, &u), 0);
        ck_assert_uint_eq(u, 17);
        ck_assert_int_eq(unit_parse_uint("21", 1, 20, &u), -ERANGE);
        ck_assert_int_eq(unit_parse_uint("0x10", 0, 100, &u), -EINVAL);
        ck_assert_int_eq(unit_parse_uint("", 0, 100, &u), -EINVAL);
}
END_TEST

START_TEST(format_size)
{
        char b[32];
        ck_assert_str_eq(unit_format_size(812, b, sizeof(b)), "812 B");
        ck_assert_str_eq(unit_format_size(256ULL << 20, b, sizeof(b)), "256 MiB");
        ck_assert_str_eq(unit_format_size(3ULL << 29, b, sizeof(b)), "1.5 GiB");
}
END_TEST

/* ---- config ------------------------------------------------------------- */

static int load(struct ow_config *c, const char *text, char **err)
{
        cfg_init(c);
        *err = NULL;
        return cfg_load_string(c, "test.conf", text, err);
}

START_TEST(defaults)
{
        struct ow_config c;
        cfg_init(&c);
        ck_assert_uint_eq(c.lg_prof_sample, 19);
        ck_assert(c.interval_auto);
        ck_assert_uint_eq(c.keep, 8);
        ck_assert(c.keep_baseline);
        ck_assert(c.final);
        ck_assert(c.agent);
        ck_assert_int_eq(c.baseline_after_ms, -1);
        ck_assert_int_eq(c.restart, CFG_RESTART_NEVER);
        ck_assert_int_eq(c.report_on, CFG_REPORT_ON_OOM);
        ck_assert_uint_eq(c.memory_limit, 0);
        ck_assert_uint_eq(c.swap, 0);
        ck_assert_uint_eq(c.n_warn_at, 3);
        ck_assert_uint_eq(c.warn_at[0], 90);
        ck_assert_uint_eq(c.warn_at[2], 98);
        cfg_free(&c);
}
END_TEST

START_TEST(shipped_config_matches_defaults)
{
        /* configs/oomwatch.conf documents every key with its default */
        const char *src = getenv("OOMWATCH_SRC");
        struct ow_config c, d;
        char *path = NULL, *err = NULL;
        FILE *f;
        char line[512];
        bool mentioned[CK__COUNT] = { false };

        ck_assert_ptr_nonnull(src);
        ck_assert_int_ge(asprintf(&path, "%s/configs/oomwatch.conf", src), 0);
        cfg_init(&c);
        ck_assert_msg(cfg_load_file(&c, path, &err) == 0, "%s", err ? err : "");
        cfg_init(&d);
        ck_assert_uint_eq(c.lg_prof_sample, d.lg_prof_sample);
        ck_assert_uint_eq(c.keep, d.keep);
        ck_assert_uint_eq(c.max_bytes, d.max_bytes);
        ck_assert_uint_eq(c.max_restarts, d.max_restarts);
        ck_assert_uint_eq(c.restart_delay_ms, d.restart_delay_ms);
        ck_assert_uint_eq(c.formats, d.formats);
        ck_assert_uint_eq(c.top, d.top);
        ck_assert_int_eq(c.gdump, d.gdump);
        ck_assert_int_eq(c.gdump_fast, d.gdump_fast);
        ck_assert_uint_eq(c.usage_step, d.usage_step);
        ck_assert_int_eq(c.interval_auto, d.interval_auto);
        ck_assert_int_eq(c.preload_jemalloc, d.preload_jemalloc);
        ck_assert_uint_eq(c.n_warn_at, d.n_warn_at);
        ck_assert_mem_eq(c.warn_at, d.warn_at, sizeof(c.warn_at));

        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
                char *p = line;
                while (*p == '#')
                        p++;
                for (unsigned k = 0; k < CK__COUNT; k++) {
                        size_t n = strlen(cfg_keys[k].name);
                        if (strncmp(p, cfg_keys[k].name, n) == 0 && (p[n] == ' ' || p[n] == '='))
                                mentioned[k] = true;
                }
        }
        fclose(f);
        for (unsigned k = 0; k < CK__COUNT; k++)
                ck_assert_msg(mentioned[k], "key %s.%s is not documented in oomwatch.conf", cfg_keys[k].section,
                              cfg_keys[k].name);
        free(path);
        cfg_free(&c);
        cfg_free(&d);
}
END_TEST

START_TEST(every_key_parses)
{
        struct ow_config c;
        char *err;
        const char *text =
                "[target]\ncommand = ./server --name 'a b' \"c d\" e\\ f\nuser = nobody\ngroup = nogroup\n"
                "workdir = /tmp\nrestart = on-oom\nrestart_delay = 250ms\nmax_restarts = 2\n"
                "[cgroup]\nmemory_limit = 256M\nswap = 0\nparent = /a/b\nwarn_at = 95, 80,90%\n"
                "[profiling]\nlg_prof_sample = 17\ninterval = 16M\ngdump = 90%\nfinal = off\n"
                "malloc_conf = prof_accum:true,dirty_decay_ms:-1\npreload_jemalloc = off\npython_malloc = off\nagent = on\n"
                "processes = gunicorn 'post*'\n"
                "[dumps]\ndir = /var/tmp/d\nkeep = 3\nkeep_baseline = off\nbaseline_after = 30s\nmax_bytes = 64M\n"
                "[report]\ndir = /var/tmp/r\non = always\nformats = svg,dot\ntop = 5\nengine = jeprof\n"
                "hide = app::Arena::* , default,*/libapp.so*\nbundle_limit = 3/90s\n";

        ck_assert_msg(load(&c, text, &err) == 0, "%s", err);
        ck_assert_str_eq(c.argv[0], "./server");
        ck_assert_str_eq(c.argv[1], "--name");
        ck_assert_str_eq(c.argv[2], "a b");
        ck_assert_str_eq(c.argv[3], "c d");
        ck_assert_str_eq(c.argv[4], "e f");
        ck_assert_ptr_null(c.argv[5]);
        ck_assert_str_eq(c.user, "nobody");
        ck_assert_str_eq(c.group, "nogroup");
        ck_assert_str_eq(c.workdir, "/tmp");
        ck_assert_int_eq(c.restart, CFG_RESTART_ON_OOM);
        ck_assert_uint_eq(c.restart_delay_ms, 250);
        ck_assert_uint_eq(c.max_restarts, 2);
        ck_assert_uint_eq(c.memory_limit, 256ULL << 20);
        ck_assert_str_eq(c.parent, "/a/b");
        ck_assert_uint_eq(c.n_warn_at, 3);
        ck_assert_uint_eq(c.warn_at[0], 80);
        ck_assert_uint_eq(c.warn_at[1], 90);
        ck_assert_uint_eq(c.warn_at[2], 95);
        ck_assert_uint_eq(c.lg_prof_sample, 17);
        ck_assert(!c.interval_auto);
        ck_assert_uint_eq(c.interval, 16ULL << 20);
        ck_assert_int_eq(c.gdump, CFG_AUTO);
        ck_assert_uint_eq(c.gdump_percent, 90);
        ck_assert(!c.gdump_fast);
        ck_assert(!c.final);
        ck_assert_str_eq(c.malloc_conf, "prof_accum:true,dirty_decay_ms:-1");
        ck_assert_int_eq(c.preload_jemalloc, CFG_OFF);
        ck_assert_str_eq(c.dump_dir, "/var/tmp/d");
        ck_assert_uint_eq(c.keep, 3);
        ck_assert(!c.keep_baseline);
        ck_assert_int_eq(c.baseline_after_ms, 30000);
        ck_assert_uint_eq(c.max_bytes, 64ULL << 20);
        ck_assert_str_eq(c.report_dir, "/var/tmp/r");
        ck_assert_int_eq(c.report_on, CFG_REPORT_ON_ALWAYS);
        ck_assert_uint_eq(c.formats, CFG_FMT_TEXT | CFG_FMT_JSON | CFG_FMT_SVG | CFG_FMT_DOT);
        ck_assert_uint_eq(c.top, 5);
        ck_assert_int_eq(c.engine, CFG_ENGINE_JEPROF);
        ck_assert(!c.python_malloc);
        ck_assert_str_eq(c.processes, "gunicorn 'post*'");
        ck_assert_uint_eq(c.bundle_limit, 3);
        ck_assert_uint_eq(c.bundle_window_ms, 90000);
        ck_assert_str_eq(c.hide_text, "app::Arena::* , default,*/libapp.so*");
        size_t nh = 0;
        while (c.hide[nh])
                nh++;
        size_t nd = 0;
        while (an_default_hide[nd])
                nd++;
        ck_assert_uint_eq(nh, nd + 2);
        ck_assert_str_eq(c.hide[0], "app::Arena::*");
        ck_assert_str_eq(c.hide[1], an_default_hide[0]);
        ck_assert_str_eq(c.hide[nh - 1], "*/libapp.so*");
        ck_assert_str_eq(c.origin[CK_KEEP], "test.conf:26");
        ck_assert_int_eq(cfg_check(&c, true, &err), 0);
        cfg_free(&c);
}
END_TEST

START_TEST(hide_none_and_default)
{
        struct ow_config c;
        char *err;
        /* the default: no list of its own, the analyzer's built-in one */
        cfg_init(&c);
        ck_assert_ptr_null(c.hide);
        cfg_free(&c);
        ck_assert_msg(load(&c, "[report]\nhide = none\n", &err) == 0, "%s", err);
        ck_assert_ptr_nonnull(c.hide);
        ck_assert_ptr_null(c.hide[0]);
        cfg_free(&c);
        ck_assert_msg(load(&c, "[report]\nhide = default\n", &err) == 0, "%s", err);
        for (size_t i = 0; an_default_hide[i]; i++)
                ck_assert_str_eq(c.hide[i], an_default_hide[i]);
        cfg_free(&c);
}
END_TEST

/* Each bad input gives FILE:LINE and a message naming the problem. */
static const struct {
        const char *text;
        const char *expect; /* full error must start with this */
        const char *contains;
} bad_configs[] = {
        { "[profiling]\nmalloc_conf = prof_final:true;lg_prof_interval:30\n", "test.conf:2: ", "separates options with ','" },
        { "[profiling]\nmalloc_conf = prof_finall:true\n", "test.conf:2: ", "did you mean 'prof_final'" },
        { "[profiling]\nmalloc_conf = prof_final\n", "test.conf:2: ", "has no ':'" },
        { "[profiling]\nmalloc_conf = prof_final:yes\n", "test.conf:2: ", "true or false" },
        { "[profiling]\nmalloc_conf = lg_prof_sample:x\n", "test.conf:2: ", "whole number" },
        { "[profiling]\nmalloc_conf = prof_prefix:/tmp/x\n", "test.conf:2: ", "set dumps.dir instead" },
        { "[profiling]\nmalloc_conf = prof:true,prof:false\n", "test.conf:2: ", "given twice" },
        { "[profiling]\nmalloc_conf = prof:true,\n", "test.conf:2: ", "ends with ','" },
        { "[profiling]\nmalloc_conf = ,prof:true\n", "test.conf:2: ", "stray ','" },
        { "[profiling]\nmalloc_conf = :true\n", "test.conf:2: ", "no option name" },
        { "[profiling]\nmalloc_conf = prof-x:true\n", "test.conf:2: ", "not an option name" },
        { "\n[cgroup]\n\nmemory_limit = 1X\n", "test.conf:4: ", "malformed size" },
        { "[report]\nbundle_limit = 5\n", "test.conf:2: ", "expected N/DURATION" },
        { "[report]\nbundle_limit = 65/1m\n", "test.conf:2: ", "from 0 to 64" },
        { "[report]\nbundle_limit = 5/0s\n", "test.conf:2: ", "a non-zero duration" },
        { "[report]\nbundle_limit = 5/fast\n", "test.conf:2: ", "duration after '/'" },
        { "[profiling]\nprocesses =   \n", "test.conf:2: ", "no pattern" },
        { "[cgroup]\nmemory_limit = 1M\n", "test.conf:2: ", "too small" },
        { "[cgroup]\nmemory_limit = 99999999999999999999\n", "test.conf:2: ", "out of range" },
        { "[cgroup]\nmemory_limit = 64M\nmemory_limit = 128M\n", "test.conf:3: ", "duplicate key 'memory_limit' (first set on line 2)" },
        { "[cgroup]\nmemory_limits = 64M\n", "test.conf:2: ", "unknown key 'memory_limits'" },
        { "[cgroup]\nkeep = 4\n", "test.conf:2: ", "belongs in [dumps]" },
        { "[bogus]\n", "test.conf:1: ", "unknown section [bogus]" },
        { "keep = 4\n", "test.conf:1: ", "outside any section" },
        { "[dumps]\njunk line\n", "test.conf:2: ", "syntax error" },
        { "[dumps]\nkeep = 0\n", "test.conf:2: ", "keep '0'" },
        { "[dumps]\nkeep = -3\n", "test.conf:2: ", "keep '-3'" },
        { "[dumps]\nkeep_baseline = perhaps\n", "test.conf:2: ", "on or off" },
        { "[dumps]\nbaseline_after = 30\n", "test.conf:2: ", "malformed duration" },
        { "[dumps]\nmax_bytes = 1K\n", "test.conf:2: ", "too small" },
        { "[cgroup]\nusage_step = 32K\n", "test.conf:2: ", "usage_step '32K': expected auto, off, a size of at least 64K" },
        { "[cgroup]\nusage_step = 60%\n", "test.conf:2: ", "from 1% to 50%" },
        { "[cgroup]\nusage_step = 6.25%\n", "test.conf:2: ", "usage_step '6.25%'" },
        { "[cgroup]\nusage_step = often\n", "test.conf:2: ", "usage_step 'often'" },
        { "[dumps]\ndir = /a,b\n", "test.conf:2: ", "contains ','" },
        { "[target]\nrestart = sometimes\n", "test.conf:2: ", "never, on-failure, on-oom or always" },
        { "[target]\nrestart_delay = 1x\n", "test.conf:2: ", "restart_delay" },
        { "[target]\nmax_restarts = many\n", "test.conf:2: ", "max_restarts" },
        { "[target]\ncommand = './a\n", "test.conf:2: ", "unterminated ' quote" },
        { "[target]\ncommand = \"a\n", "test.conf:2: ", "unterminated \" quote" },
        { "[target]\ncommand = a\\\n", "test.conf:2: ", "trailing backslash" },
        { "[cgroup]\nwarn_at = 80,100\n", "test.conf:2: ", "from 1 to 99" },
        { "[cgroup]\nwarn_at = 80,80\n", "test.conf:2: ", "listed twice" },
        { "[cgroup]\nwarn_at = 1,2,3,4,5,6,7,8,9\n", "test.conf:2: ", "at most 8" },
        { "[cgroup]\nparent = ../x\n", "test.conf:2: ", "'..' is not allowed" },
        { "[profiling]\nlg_prof_sample = 41\n", "test.conf:2: ", "from 0 to 40" },
        { "[profiling]\ninterval = 1K\n", "test.conf:2: ", "from 4K to 1T" },
        { "[profiling]\ninterval = sometimes\n", "test.conf:2: ", "expected auto, off" },
        { "[profiling]\ngdump = 100%\n", "test.conf:2: ", "1% to 99%" },
        { "[profiling]\nfinal = 2\n", "test.conf:2: ", "on or off" },
        { "[profiling]\npreload_jemalloc = maybe\n", "test.conf:2: ", "auto, on or off" },
        { "[report]\non = crash\n", "test.conf:2: ", "oom, exit or always" },
        { "[report]\nformats = text,pdf\n", "test.conf:2: ", "formats 'text,pdf'" },
        { "[report]\nformats = svg,\n", "test.conf:2: ", "formats 'svg,'" },
        { "[report]\nformats = svg,,dot\n", "test.conf:2: ", "formats 'svg,,dot'" },
        { "[target\nrestart = never\n", "test.conf:1: ", "section header without ']'" },
        { "[report]\ntop = 0\n", "test.conf:2: ", "top '0'" },
        { "[report]\nengine = pprof\n", "test.conf:2: ", "native or jeprof" },
        { "[report]\nhide = std::*,,x\n", "test.conf:2: ", "hide 'std::*,,x': an empty pattern" },
        { "[report]\nhide = default,\n", "test.conf:2: ", "an empty pattern" },
        { "[report]\nhide = a\tb\n", "test.conf:2: ", "a control character" },
        { "[report]\nhide = none,std::*\n", "test.conf:2: ", "hide 'none,std::*': 'none' stands alone" },
        { "[profiling]\npython_malloc = sometimes\n", "test.conf:2: ", "python_malloc 'sometimes': expected on or off" },
        { "[report]\ndir =\n", "test.conf:2: ", "empty value" },
        { "[report]\n  top = 5\n  top2\n", "test.conf:3: ", "duplicate key 'top'" },
};

START_TEST(bad_config)
{
        struct ow_config c;
        char *err = NULL;
        int r = load(&c, bad_configs[_i].text, &err);

        ck_assert_msg(r < 0, "accepted: %s", bad_configs[_i].text);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(strncmp(err, bad_configs[_i].expect, strlen(bad_configs[_i].expect)) == 0,
                      "'%s' does not start with '%s'", err, bad_configs[_i].expect);
        ck_assert_msg(strstr(err, bad_configs[_i].contains), "'%s' lacks '%s'", err, bad_configs[_i].contains);
        free(err);
        cfg_free(&c);
}
END_TEST

START_TEST(long_line)
{
        struct ow_config c;
        char *err = NULL, text[600];

        memset(text, 'a', sizeof(text));
        memcpy(text, "[target]\ncommand = ", 19);
        text[sizeof(text) - 1] = '\0';
        ck_assert_int_lt(load(&c, text, &err), 0);
        ck_assert_msg(strstr(err, "test.conf:2: line longer than"), "%s", err);
        free(err);
        cfg_free(&c);
}
END_TEST

START_TEST(missing_file)
{
        struct ow_config c;
        char *err = NULL;

        cfg_init(&c);
        ck_assert_int_eq(cfg_load_file(&c, "/nonexistent/x.conf", &err), -ENOENT);
        ck_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
        free(err);
        cfg_free(&c);
}
END_TEST

START_TEST(check_needs)
{
        struct ow_config c;
        char *err = NULL;

        cfg_init(&c);
        ck_assert_int_lt(cfg_check(&c, true, &err), 0);
        ck_assert_msg(strstr(err, "no command"), "%s", err);
        free(err);
        err = NULL;
        ck_assert_int_eq(cfg_set(&c, CK_COMMAND, "true", "option x", &err), 0);
        ck_assert_int_lt(cfg_check(&c, true, &err), 0);
        ck_assert_msg(strstr(err, "no memory limit"), "%s", err);
        free(err);
        err = NULL;
        ck_assert_int_eq(cfg_set(&c, CK_MEMORY_LIMIT, "64M", "option --memory-limit", &err), 0);
        ck_assert_int_eq(cfg_check(&c, true, &err), 0);
        ck_assert_int_eq(cfg_set(&c, CK_AGENT, "off", "t.conf:3", &err), 0);
        ck_assert_int_eq(cfg_set(&c, CK_WARN_AT, "90", "t.conf:4", &err), 0);
        ck_assert_int_lt(cfg_check(&c, true, &err), 0);
        ck_assert_msg(strncmp(err, "t.conf:4: warn_at", 17) == 0, "%s", err);
        free(err);
        err = NULL;
        ck_assert_int_lt(cfg_set(&c, CK_KEEP, "x", "option --keep", &err), 0);
        ck_assert_str_eq(err, "option --keep: keep 'x': expected a whole number from 1 to 10000");
        free(err);
        cfg_free(&c);
}
END_TEST

/* usage_step: auto is 1/16 of the limit; a size; a percentage only with
 * its sign; none without the agent or a limit. */
START_TEST(usage_step_values)
{
        struct ow_config c;
        char *err = NULL;

        cfg_init(&c);
        ck_assert_int_eq(c.usage_step, CFG_AUTO);
        ck_assert_uint_eq(cfg_usage_step(&c), 0);       /* no limit yet */
        c.memory_limit = 64ULL << 20;
        ck_assert_uint_eq(cfg_usage_step(&c), 4ULL << 20);
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "8M", "x", &err), 0);
        ck_assert_uint_eq(cfg_usage_step(&c), 8ULL << 20);
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "10%", "x", &err), 0);
        ck_assert_uint_eq(cfg_usage_step(&c), (64ULL << 20) / 100 * 10);
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "65536", "x", &err), 0);  /* a bare number is a size */
        ck_assert_uint_eq(cfg_usage_step(&c), 65536);
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "off", "x", &err), 0);
        ck_assert_uint_eq(cfg_usage_step(&c), 0);
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "auto", "x", &err), 0);
        ck_assert_uint_eq(cfg_usage_step(&c), 4ULL << 20);
        c.agent = false;
        ck_assert_uint_eq(cfg_usage_step(&c), 0);
        ck_assert_int_eq(cfg_check(&c, false, &err), 0);        /* auto without the agent: none, quietly */
        /* gdump: fast by default (peak dumps in a burst), off, on */
        ck_assert(c.gdump_fast);
        ck_assert_int_eq(c.gdump, CFG_OFF);
        ck_assert_int_eq(cfg_set(&c, CK_GDUMP, "off", "x", &err), 0);
        ck_assert(!c.gdump_fast);
        ck_assert_int_eq(cfg_set(&c, CK_GDUMP, "fast", "x", &err), 0);
        ck_assert(c.gdump_fast);
        ck_assert_int_eq(c.gdump, CFG_OFF);
        ck_assert_int_eq(cfg_set(&c, CK_GDUMP, "on", "x", &err), 0);
        ck_assert(!c.gdump_fast);
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "8M", "t.conf:5", &err), 0);
        ck_assert_int_lt(cfg_check(&c, false, &err), 0);
        ck_assert_msg(strncmp(err, "t.conf:5: usage_step", 20) == 0, "%s", err);
        free(err);
        cfg_free(&c);
}
END_TEST

/* ---- MALLOC_CONF ---------------------------------------------------------- */

START_TEST(interval_auto)
{
        struct ow_config c;
        cfg_init(&c);
        /* with the agent the usage steps take the dumps: none by interval */
        c.memory_limit = 256ULL << 20;
        ck_assert_int_eq(cfg_lg_prof_interval(&c), -1);
        /* without usage steps, the interval follows the limit */
        ck_assert_int_eq(cfg_set(&c, CK_USAGE_STEP, "off", "x", NULL), 0);
        ck_assert_int_eq(cfg_lg_prof_interval(&c), 25); /* /8 = 32 MiB = 2^25 */
        c.usage_step = CFG_AUTO;
        c.agent = false;
        ck_assert_int_eq(cfg_lg_prof_interval(&c), 25);
        c.memory_limit = 96ULL << 20;  /* 12 MiB: 2^23 (8) and 2^24 (16) equally near -> 8 */
        ck_assert_int_eq(cfg_lg_prof_interval(&c), 23);
        c.memory_limit = 100ULL << 20; /* 12.5 MiB: nearer 16 MiB */
        ck_assert_int_eq(cfg_lg_prof_interval(&c), 24);
        c.memory_limit = 8ULL << 20;   /* 1 MiB */
        ck_assert_int_eq(cfg_lg_prof_interval(&c), 20);
        c.memory_limit = 0;
        ck_assert_int_eq(cfg_lg_prof_interval(&c), -1);
        c.interval_auto = false;
        c.interval = 0;
        ck_assert_int_eq(cfg_lg_prof_interval(&c), -1);
        c.interval = 1ULL << 30;
        ck_assert_int_eq(cfg_lg_prof_interval(&c), 30);
        cfg_free(&c);
}
END_TEST

START_TEST(compose)
{
        struct ow_config c;
        struct mc_result m = { 0 };
        char *err = NULL;

        cfg_init(&c);
        c.memory_limit = 256ULL << 20;
        ck_assert_int_eq(mc_compose(&c, "/d/oomwatch", &m, &err), 0);
        ck_assert_str_eq(m.conf, "prof:true,prof_active:true,lg_prof_sample:19,lg_prof_interval:-1,"
                                 "prof_gdump:false,prof_final:true,prof_prefix:/d/oomwatch");
        ck_assert_int_eq(m.lg_prof_interval, -1);
        free(m.conf);
        c.agent = false;     /* no usage steps without the agent: interval dumps */
        ck_assert_int_eq(mc_compose(&c, "/d/oomwatch", &m, &err), 0);
        ck_assert_str_eq(m.conf, "prof:true,prof_active:true,lg_prof_sample:19,lg_prof_interval:25,"
                                 "prof_gdump:false,prof_final:true,prof_prefix:/d/oomwatch");
        ck_assert_int_eq(m.lg_prof_sample, 19);
        ck_assert_int_eq(m.lg_prof_interval, 25);
        ck_assert(m.prof);
        free(m.conf);

        /* the user's pairs replace the composed ones and add to them */
        ck_assert_int_eq(cfg_set(&c, CK_MALLOC_CONF, "lg_prof_sample:8,prof_accum:true", "x", &err), 0);
        ck_assert_int_eq(cfg_set(&c, CK_GDUMP, "on", "x", &err), 0);
        ck_assert_int_eq(cfg_set(&c, CK_FINAL, "off", "x", &err), 0);
        ck_assert_int_eq(mc_compose(&c, "/d/oomwatch", &m, &err), 0);
        ck_assert_str_eq(m.conf, "prof:true,prof_active:true,lg_prof_sample:8,lg_prof_interval:25,"
                                 "prof_gdump:true,prof_final:false,prof_prefix:/d/oomwatch,prof_accum:true");
        ck_assert_int_eq(m.lg_prof_sample, 8);
        free(m.conf);

        ck_assert_int_eq(cfg_set(&c, CK_MALLOC_CONF, "prof:false", "x", &err), 0);
        ck_assert_int_eq(mc_compose(&c, "/d/oomwatch", &m, &err), 0);
        ck_assert(!m.prof);
        free(m.conf);

        ck_assert_int_eq(mc_compose(&c, "/d,x/oomwatch", &m, &err), -EINVAL);
        ck_assert_msg(strstr(err, "contains ','"), "%s", err);
        free(err);
        cfg_free(&c);
}
END_TEST

START_TEST(validate_known)
{
        char *why = NULL;
        ck_assert_int_eq(mc_validate_pairs("abort_conf:true,narenas:4,thp:always,dirty_decay_ms:-1", &why), 0);
        ck_assert(mc_option_known("prof_gdump"));
        ck_assert(!mc_option_known("prof_gdumps"));
        ck_assert_int_eq(mc_validate_pairs("prof_accum:true prof:true", &why), -EINVAL);
        ck_assert_msg(strstr(why, "white space"), "%s", why);
        free(why);
        ck_assert_int_eq(mc_validate_pairs("", &why), -EINVAL);
        free(why);
        ck_assert_int_eq(mc_validate_pairs("zzzzzzzzzz:1", &why), -EINVAL);
        ck_assert_str_eq(why, "unknown jemalloc option 'zzzzzzzzzz'");
        free(why);
}
END_TEST

/* The effective lg_prof_* values are shift counts for the caller: a pair
 * outside jemalloc's range is refused, not composed. */
START_TEST(validate_ranges)
{
        static const char *const bad[] = {
                "lg_prof_sample:64", "lg_prof_sample:-1", "lg_prof_interval:64", "lg_prof_interval:-2",
                "lg_prof_sample:4294967315", "narenas:18446744073709551616",
        };
        struct ow_config c;
        struct mc_result m = { 0 };
        char *why = NULL;

        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ck_assert_int_eq(mc_validate_pairs(bad[i], &why), -EINVAL);
                ck_assert_msg(strstr(why, bad[i]), "%s", why);
                free(why);
                why = NULL;
        }
        ck_assert_int_eq(mc_validate_pairs("lg_prof_sample:63,lg_prof_interval:-1,narenas:18446744073709551615", &why),
                         0);
        cfg_init(&c);
        ck_assert_int_eq(cfg_set(&c, CK_MALLOC_CONF, "lg_prof_sample:0,lg_prof_interval:63", NULL, &why), 0);
        ck_assert_int_eq(mc_compose(&c, "/d/oomwatch", &m, &why), 0);
        ck_assert_int_eq(m.lg_prof_sample, 0);
        ck_assert_int_eq(m.lg_prof_interval, 63);
        free(m.conf);
        ck_assert_int_eq(cfg_set(&c, CK_MALLOC_CONF, "lg_prof_interval:99", NULL, &why), -EINVAL);
        ck_assert_msg(strstr(why, "from -1 to 63"), "%s", why);
        free(why);
        cfg_free(&c);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("config");
        TCase *t = tcase_create("units");

        tcase_add_test(t, hide_none_and_default);
        tcase_add_test(t, size_ok);
        tcase_add_test(t, size_bad);
        tcase_add_test(t, duration);
        tcase_add_test(t, percent_bool_uint);
        tcase_add_test(t, format_size);
        suite_add_tcase(s, t);

        t = tcase_create("config");
        tcase_add_test(t, defaults);
        tcase_add_test(t, shipped_config_matches_defaults);
        tcase_add_test(t, every_key_parses);
        tcase_add_loop_test(t, bad_config, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
        tcase_add_test(t, long_line);
        tcase_add_test(t, missing_file);
        tcase_add_test(t, check_needs);
        suite_add_tcase(s, t);

        t = tcase_create("malloc_conf");
        tcase_add_test(t, interval_auto);
        tcase_add_test(t, usage_step_values);
        tcase_add_test(t, compose);
        tcase_add_test(t, validate_known);
        tcase_add_test(t, validate_ranges);
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
        return failed ? 1 : 0;
}
