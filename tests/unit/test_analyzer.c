/* Unit tests of the analyzer: heap_v2 parser and its error messages,
 * sampling correction, symbolizer naming, diff, trend and renderers. */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer.h"
#include "heap_profile.h"
#include "symbolize.h"

/* real dumps of tests/programs/leak_c.c, three rounds of growth */
#define DUMP0 "leak_c.18163.0.m0.heap"
#define DUMP1 "leak_c.18163.1.m1.heap"
#define DUMP2 "leak_c.18163.2.m2.heap"

static char *data_path(const char *rel)
{
        const char *src = getenv("OOMWATCH_SRC");
        char *p = NULL;
        ck_assert_msg(src != NULL, "OOMWATCH_SRC must name the source tree");
        ck_assert_int_ge(asprintf(&p, "%s/tests/data/%s", src, rel), 0);
        return p;
}

static bool near(double a, double b, double rel)
{
        return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

/* ---- sampling correction -------------------------------------------------- */

START_TEST(scale_factor_by_hand)
{
        /* 1/(1-exp(-(bytes/objs)/period)) */
        ck_assert(near(hp_scale_factor(1, 524288, 524288), 1.5819767068693265, 1e-12));
        ck_assert(near(hp_scale_factor(10, 1000, 524288), 5243.380015895091, 1e-9));
        ck_assert(near(hp_scale_factor(40, 203680, 16384), 3.7434538824040673, 1e-12));
        ck_assert(near(hp_scale_factor(6, 288, 16384), 341.8335774739259, 1e-9));
        /* nothing sampled: no scaling, like jeprof */
        ck_assert(hp_scale_factor(0, 0, 524288) == 1.0);
        ck_assert(hp_scale_factor(0, 100, 524288) == 1.0);
        /* huge objects are always sampled */
        ck_assert(near(hp_scale_factor(1, 1ULL << 40, 524288), 1.0, 1e-15));
}
END_TEST

/* ---- parser on real dumps ------------------------------------------------- */

START_TEST(parse_real_dump)
{
        char *path = data_path(DUMP0), *err = NULL;
        struct hp_profile *p = NULL;
        ck_assert_msg(hp_parse_file(path, NULL, &p, &err) == 0, "%s", err ? err : "");
        ck_assert_uint_eq(p->period, 16384);
        ck_assert_uint_ge(p->nstacks, 4);
        ck_assert_uint_ge(p->nmaps, 3);
        /* the first stack: 11 frames, "t*: 40: 203680", corrected by hand */
        const struct hp_stack *s = &p->stacks[0];
        ck_assert_uint_eq(s->nframes, 11);
        ck_assert_uint_eq(p->frames[s->first], 0x7f69b52a2630ULL);
        ck_assert_uint_eq(p->frames[s->first + 10], 0x55c813fa70e1ULL);
        ck_assert_uint_eq(s->raw_objs, 40);
        ck_assert_uint_eq(s->raw_bytes, 203680);
        ck_assert(near(s->objs, 149.7381552961627, 1e-12));
        ck_assert(near(s->bytes, 762466.6867680604, 1e-12));
        /* the second: "t*: 6: 288" */
        ck_assert(near(p->stacks[1].bytes, 98448.07031249066, 1e-12));
        /* the total is the sum of the corrected stacks, not the header line */
        double sum = 0;
        for (size_t i = 0; i < p->nstacks; i++)
                sum += p->stacks[i].bytes;
        ck_assert(near(p->total_bytes, sum, 1e-12));
        ck_assert(p->total_bytes > 244967 * 1.5);
        /* only executable file mappings are kept; the executable comes first */
        for (size_t i = 0; i < p->nmaps; i++)
                ck_assert(p->maps[i].exec && p->maps[i].path[0] == '/');
        ck_assert_ptr_nonnull(strstr(p->maps[0].path, "leak_c"));

        int64_t peek = 0;
        ck_assert_int_eq(hp_peek_total(path, &peek, &err), 0);
        ck_assert_int_eq(peek, llround(p->total_bytes));
        peek = 0;
        ck_assert_int_eq(an_peek_total(path, &peek, &err), 0);
        ck_assert_int_eq(peek, llround(p->total_bytes));
        hp_profile_free(p);
        free(path);
}
END_TEST

START_TEST(parse_mem_matches_file)
{
        char *path = data_path(DUMP1), *err = NULL;
        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        struct hp_profile *a = NULL, *b = NULL;
        ck_assert_int_eq(hp_parse_file(path, NULL, &a, &err), 0);
        ck_assert_int_eq(hp_parse_mem(buf, n, "mem", NULL, &b, &err), 0);
        ck_assert_uint_eq(a->nstacks, b->nstacks);
        ck_assert(a->total_bytes == b->total_bytes);
        ck_assert_str_eq(b->name, "mem");
        hp_profile_free(a);
        hp_profile_free(b);
        /* a cap on the size refuses it, naming the file */
        struct hp_limits lim = { .max_bytes = 1000 };
        ck_assert_int_eq(hp_parse_mem(buf, n, "mem", &lim, &a, &err), -EFBIG);
        ck_assert_ptr_nonnull(strstr(err, "mem: dump larger than 1000 bytes"));
        free(err);
        err = NULL;
        ck_assert_int_eq(hp_parse_file(path, &lim, &a, &err), -EFBIG);
        free(err);
        /* caps on frames and stacks are honoured */
        err = NULL;
        lim = (struct hp_limits){ .max_frames = 4 };
        ck_assert_int_eq(hp_parse_mem(buf, n, "mem", &lim, &a, &err), -E2BIG);
        ck_assert_str_eq(err, "mem:4: stack has more than 4 frames");
        free(err);
        err = NULL;
        lim = (struct hp_limits){ .max_stacks = 2 };
        ck_assert_int_eq(hp_parse_mem(buf, n, "mem", &lim, &a, &err), -E2BIG);
        ck_assert_ptr_nonnull(strstr(err, "more than 2 stacks"));
        free(err);
        free(path);
}
END_TEST

/* ---- every malformed fixture gives its error with file and line ----------- */

static const struct {
        const char *file;
        unsigned line;
        const char *reason;
} bad[] = {
        { "empty.heap", 1, "empty dump" },
        { "bad_header.heap", 1, "not a heap_v2 profile (bad header)" },
        { "bad_period.heap", 1, "bad sample period in header" },
        { "zero_period.heap", 1, "bad sample period in header" },
        { "truncated_mid_stack.heap", 6, "truncated: stack at line 6 has no counts" },
        { "truncated_real.heap", 7, "truncated: stack at line 7 has no counts" },
        { "truncated_mid_line.heap", 62, "truncated: last line has no newline" },
        { "no_maps.heap", 5, "truncated: no MAPPED_LIBRARIES section" },
        { "bad_number.heap", 4, "bad number in count line" },
        { "negative_number.heap", 4, "bad number in count line" },
        { "overflow_number.heap", 4, "bad number in count line" },
        { "missing_bracket.heap", 4, "expected '[' before cumulative counts" },
        { "bad_address.heap", 3, "bad address in stack" },
        { "long_address.heap", 3, "bad address in stack" },
        { "huge_line.heap", 3, "line longer than 16384 bytes" },
        { "too_many_frames.heap", 3, "stack has more than 256 frames" },
        { "stack_without_counts.heap", 3, "stack has no 't*:' count line" },
        { "garbage_line.heap", 3, "unexpected line" },
        { "duplicate_counts.heap", 5, "second 't*:' line for one stack" },
        { "bad_maps.heap", 6, "bad address range in MAPPED_LIBRARIES" },
        { "nul_byte.heap", 4, "NUL byte in dump" },
        { "empty_stack.heap", 2, "stack with no addresses" },
};

START_TEST(malformed_fixture)
{
        char *rel = NULL, *path, *want = NULL, *err = NULL;
        ck_assert_int_ge(asprintf(&rel, "bad/%s", bad[_i].file), 0);
        path = data_path(rel);
        ck_assert_int_ge(asprintf(&want, "%s:%u: %s", path, bad[_i].line, bad[_i].reason), 0);
        struct hp_profile *p = (struct hp_profile *)0x1;
        int r = hp_parse_file(path, NULL, &p, &err);
        ck_assert_msg(r < 0, "%s parsed", bad[_i].file);
        ck_assert_ptr_eq(p, (struct hp_profile *)0x1);  /* untouched */
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'", err, want);
        /* the front API passes the same message through */
        free(err);
        err = NULL;
        struct an_report *rep = NULL;
        ck_assert_int_lt(an_diff_paths(NULL, path, NULL, &rep, &err), 0);
        ck_assert_ptr_null(rep);
        ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s'", err);
        free(err);
        free(want);
        free(path);
        free(rel);
}
END_TEST

START_TEST(missing_file)
{
        char *err = NULL;
        struct hp_profile *p = NULL;
        ck_assert_int_eq(hp_parse_file("/nonexistent/x.heap", NULL, &p, &err), -ENOENT);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.heap: cannot open"));
        free(err);
        err = NULL;
        ck_assert_int_eq(hp_parse_file("/", NULL, &p, &err), -EINVAL);
        free(err);

        /* a FIFO where a dump should be: refused at once, not waited on */
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char *fifo = NULL;
        ck_assert_int_ge(asprintf(&fifo, "%s/x.1.1.m1.heap", dir), 0);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        err = NULL;
        ck_assert_int_eq(hp_parse_file(fifo, NULL, &p, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
        free(err);
        unlink(fifo);
        rmdir(dir);
        free(fifo);
}
END_TEST

/* ---- dump names and ordering ------------------------------------------------ */

START_TEST(dump_names)
{
        struct hp_dump_name n;
        ck_assert_int_eq(hp_dump_name_parse("/d/jeprof.out.123.40.i3.heap", &n), 0);
        ck_assert_int_eq(n.pid, 123);
        ck_assert_uint_eq(n.seq, 40);
        ck_assert_int_eq(n.kind, 'i');
        ck_assert_uint_eq(n.kseq, 3);
        ck_assert_int_eq(hp_dump_name_parse("x.7.12.f.heap", &n), 0);
        ck_assert_int_eq(n.kind, 'f');
        ck_assert_uint_eq(n.seq, 12);
        ck_assert_int_eq(hp_dump_name_parse("x.7.2.u100.heap", &n), 0);
        ck_assert_int_eq(n.kind, 'u');
        n.pid = 99;
        ck_assert_int_eq(hp_dump_name_parse("x.7.2.q1.heap", &n), -EINVAL);
        ck_assert_int_eq(hp_dump_name_parse("x.7.2.i.heap", &n), -EINVAL);
        ck_assert_int_eq(hp_dump_name_parse("x.7.2.f1.heap", &n), -EINVAL);
        ck_assert_int_eq(hp_dump_name_parse("7.2.i1.heap", &n), -EINVAL);
        ck_assert_int_eq(hp_dump_name_parse("x.7.2.i1.txt", &n), -EINVAL);
        ck_assert_int_eq(hp_dump_name_parse("x.-7.2.i1.heap", &n), -EINVAL);
        ck_assert_int_eq(n.pid, 99);
}
END_TEST

/* ---- names -------------------------------------------------------------------- */

START_TEST(short_names)
{
        static const struct { const char *in, *out; } t[] = {
                { "leak", "leak" },
                /* template arguments are kept; argument lists go */
                { "shop::Store<shop::Item>::add(int)", "shop::Store<shop::Item>::add" },
                { "Shard<4ul>::append(char const*)", "Shard<4ul>::append" },
                /* a return type goes before word:: or word<...>::, or before a
                 * function template's name */
                { "void grow<Widget>(std::vector<Widget*, std::allocator<Widget*> >&, int)", "grow<Widget>" },
                { "void Shard<4>::append<int>(int)", "Shard<4>::append<int>" },
                { "std::vector<int, std::allocator<int> > make<int>(int)", "make<int>" },
                { "std::map<int, std::string>::operator[](int const&)", "std::map<int, std::string>::operator[]" },
                { "ns::A::get() const", "ns::A::get" },
                { "operator new(unsigned long)", "operator new" },
                { "unsigned long std::vector<int>::size() const", "std::vector<int>::size" },
                /* jeprof's quirks outside template arguments (checked against its Perl) */
                { "f(a(b)c)", "f" },
                { "std::function<void (int)>::operator()(int) const", "std::function<void (int)>::operator" },
                { "(anonymous namespace)::foo(int)", "::foo" },
                { "operator<<(std::ostream&, int)", "operator<<" },
                { "std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> >"
                  "(std::basic_ostream<char, std::char_traits<char> >&, char const*)",
                  "std::operator<< <std::char_traits<char> >" },
                { "bool operator< <int>(A<int> const&, A<int> const&)", "operator< <int>" },
                { "Foo::operator Bar<int>() const", "Foo::operator Bar<int>" },
                { "a::b<c<d>, e>::f() const &&", "a::b<c<d>, e>::f &&" },
                { "main::{lambda()#1}::operator()() const", "main::{lambda#1}::operator" },
                { "g<(anonymous namespace)::X>(int)", "g<(anonymous namespace)::X>" },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                char *s = sym_short_name(t[i].in);
                ck_assert_msg(strcmp(s, t[i].out) == 0, "%s -> '%s', want '%s'", t[i].in, s, t[i].out);
                free(s);
        }
        ck_assert(sym_is_alloc_name("malloc"));
        ck_assert(sym_is_alloc_name("operator new[]"));
        ck_assert(sym_is_alloc_name("je_prof_backtrace"));
        ck_assert(sym_is_alloc_name("imalloc_body"));
        ck_assert(sym_is_alloc_name("__GI___libc_malloc"));
        ck_assert(sym_is_alloc_name("__interceptor_malloc"));
        ck_assert(sym_is_alloc_name("do_rallocx"));
        ck_assert(!sym_is_alloc_name("process_leak"));
        ck_assert(!sym_is_alloc_name("mallocate_things"));
}
END_TEST

/* ---- symbolizer end to end on this very process ------------------------ */

__attribute__((noinline)) void ut_alloc_site(void);
__attribute__((noinline)) void ut_alloc_site(void)
{
        __asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop");
}

__attribute__((noinline)) void ut_caller(void);
__attribute__((noinline)) void ut_caller(void)
{
        ut_alloc_site();
        __asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop");
}

/* Write a dump whose one stack is [malloc, ut_alloc_site, ut_caller], with
 * this process's own maps, so the symbolizer works on a real PIE and libc. */
static char *write_self_dump(const char *dir, const char *name, unsigned objs, unsigned bytes)
{
        char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        void *m = dlsym(RTLD_DEFAULT, "malloc");
        ck_assert_ptr_nonnull(m);
        fprintf(f, "heap_v2/524288\n  t*: %u: %u [0: 0]\n", objs, bytes);
        fprintf(f, "@ %p %p %p\n", (void *)((char *)m + 8), (void *)((char *)ut_alloc_site + 5),
                (void *)((char *)ut_caller + 6));
        fprintf(f, "  t*: %u: %u [0: 0]\n  t0: %u: %u [0: 0]\n\nMAPPED_LIBRARIES:\n", objs, bytes, objs, bytes);
        FILE *maps = fopen("/proc/self/maps", "re");
        ck_assert_ptr_nonnull(maps);
        char line[4096];
        while (fgets(line, sizeof(line), maps))
                fputs(line, f);
        fclose(maps);
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

static char *render_json(const struct an_report *r)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        ck_assert_int_eq(an_render(r, AN_FORMAT_JSON, f), 0);
        fclose(f);
        return out;
}

/* A bundle's diff and trend through one session: the same reports as
 * alone, and the trend resolves no address the diff resolved already. */
START_TEST(session_shares_symbols)
{
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char *d[3] = { write_self_dump(dir, "self.1.1.m1.heap", 1, 1000),
                       write_self_dump(dir, "self.1.2.m2.heap", 3, 3000),
                       write_self_dump(dir, "self.1.3.m3.heap", 5, 5000) };
        char *err = NULL;
        struct an_report *alone_diff, *alone_trend, *diff, *trend;
        ck_assert_int_eq(an_diff_paths(d[0], d[2], NULL, &alone_diff, &err), 0);
        ck_assert_int_eq(an_trend_paths((const char *const *)d, 3, NULL, &alone_trend, &err), 0);

        struct an_session *s, *t;
        unsigned mods, mods_trend;
        unsigned long after_diff, after_both, trend_alone;
        ck_assert_int_eq(an_session_new(NULL, &s), 0);
        ck_assert_int_eq(an_session_diff(s, d[0], d[2], &diff, &err), 0);
        an_session_stats(s, NULL, &after_diff);
        ck_assert_int_eq(an_session_trend(s, (const char *const *)d, 3, &trend, &err), 0);
        an_session_stats(s, &mods, &after_both);
        an_session_free(s);    /* reports outlive their session */
        ck_assert_int_eq(an_session_new(NULL, &t), 0);
        struct an_report *tmp;
        ck_assert_int_eq(an_session_trend(t, (const char *const *)d, 3, &tmp, &err), 0);
        an_session_stats(t, &mods_trend, &trend_alone);
        an_session_free(t);
        an_report_free(tmp);

        ck_assert_uint_gt(after_diff, 0);
        /* the dumps hold the same stacks: the trend adds no lookup */
        ck_assert_uint_eq(after_both, after_diff);
        ck_assert_uint_eq(after_both, trend_alone);
        ck_assert_uint_eq(mods, mods_trend);
        char *a = render_json(alone_diff), *b = render_json(diff);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        a = render_json(alone_trend);
        b = render_json(trend);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        an_report_free(alone_diff);
        an_report_free(alone_trend);
        an_report_free(diff);
        an_report_free(trend);
        for (int i = 0; i < 3; i++) {
                unlink(d[i]);
                free(d[i]);
        }
        rmdir(dir);
}
END_TEST

/* The modules of a report: the test program with its build-id (as readelf
 * would print it) and no unnamed function; the same dumps analysed with a
 * program that does not exist: the module is unreadable and its top
 * functions are counted as unnamed. */
START_TEST(modules_and_unnamed)
{
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char *base = write_self_dump(dir, "self.1.1.m1.heap", 1, 1000);
        char *newer = write_self_dump(dir, "self.1.2.m2.heap", 5, 5000);
        char *exe = realpath("/proc/self/exe", NULL), *cmd = NULL, want[160] = "";
        ck_assert_ptr_nonnull(exe);
        ck_assert_int_ge(asprintf(&cmd, "readelf -n '%s' | awk '/Build ID/ { print $3 }'", exe), 0);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_nonnull(fgets(want, sizeof(want), p));
        pclose(p);
        want[strcspn(want, "\n")] = '\0';
        ck_assert_uint_gt(strlen(want), 8);

        struct an_report *r = NULL;
        char *err = NULL;
        ck_assert_int_eq(an_diff_paths(base, newer, NULL, &r, &err), 0);
        bool found = false;
        for (size_t i = 0; i < an_report_module_count(r); i++) {
                struct an_module m;
                ck_assert_int_eq(an_report_module(r, i, &m), 0);
                if (strcmp(m.path, exe) != 0)
                        continue;
                found = true;
                ck_assert_ptr_nonnull(m.build_id);
                ck_assert_str_eq(m.build_id, want);
                ck_assert(m.readable);
                ck_assert_uint_eq(m.unnamed, 0);
                ck_assert_ptr_null(m.debuginfod);
        }
        ck_assert_msg(found, "the test program is not among the modules");
        struct an_module m;
        ck_assert_int_eq(an_report_module(r, an_report_module_count(r), &m), -ERANGE);
        an_report_free(r);

        struct an_options o = { .binary = "/nonexistent/prog" };
        ck_assert_int_eq(an_diff_paths(base, newer, &o, &r, &err), 0);
        found = false;
        for (size_t i = 0; i < an_report_module_count(r); i++) {
                ck_assert_int_eq(an_report_module(r, i, &m), 0);
                if (strcmp(m.path, "/nonexistent/prog") != 0)
                        continue;
                found = true;
                ck_assert(!m.readable);
                ck_assert_ptr_null(m.build_id);
                ck_assert_uint_eq(m.unnamed, 2);   /* ut_alloc_site, ut_caller */
        }
        ck_assert_msg(found, "the missing program is not among the modules");
        an_report_free(r);
        unlink(base);
        unlink(newer);
        rmdir(dir);
        free(base);
        free(newer);
        free(exe);
        free(cmd);
}
END_TEST

START_TEST(symbolize_self)
{
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char *base = write_self_dump(dir, "self.1.1.m1.heap", 1, 1000);
        char *newer = write_self_dump(dir, "self.1.2.m2.heap", 5, 5000);
        struct an_report *r = NULL;
        char *err = NULL;
        ck_assert_msg(an_diff_paths(base, newer, NULL, &r, &err) == 0, "%s", err ? err : "");
        /* malloc is dropped: the allocating function is the first frame */
        const char *fn = NULL;
        int64_t flat = 0, cum = 0;
        ck_assert_uint_eq(an_report_count(r), 2);
        ck_assert_int_eq(an_report_row(r, 0, &fn, &flat, &cum), 0);
        ck_assert_str_eq(fn, "ut_alloc_site");
        double want = 5000 * hp_scale_factor(5, 5000, 524288) - 1000 * hp_scale_factor(1, 1000, 524288);
        ck_assert_int_eq(flat, llround(want));
        ck_assert_int_eq(cum, flat);
        ck_assert_int_eq(an_report_row(r, 1, &fn, &flat, &cum), 0);
        ck_assert_str_eq(fn, "ut_caller");
        ck_assert_int_eq(flat, 0);
        ck_assert_int_eq(cum, llround(want));
        ck_assert_int_eq(an_report_row(r, 2, &fn, &flat, &cum), -ERANGE);
        ck_assert_int_eq(an_report_total(r), llround(want));

        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        ck_assert_int_eq(an_render(r, AN_FORMAT_COLLAPSED, f), 0);
        fclose(f);
        char *line = NULL;
        ck_assert_int_ge(asprintf(&line, "ut_caller;ut_alloc_site %lld\n", (long long)llround(want)), 0);
        ck_assert_str_eq(out, line);
        free(line);
        free(out);
        an_report_free(r);

        /* --binary naming a FIFO: not opened for reading, no hang */
        char *fifo = NULL;
        ck_assert_int_ge(asprintf(&fifo, "%s/prog", dir), 0);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        struct an_options of = { .binary = fifo };
        ck_assert_int_eq(an_diff_paths(base, newer, &of, &r, &err), 0);
        ck_assert_int_eq(an_report_row(r, 0, &fn, NULL, NULL), 0);
        ck_assert_msg(strncmp(fn, "prog+0x", 7) == 0, "%s", fn);
        an_report_free(r);
        unlink(fifo);
        free(fifo);

        /* --binary: an executable that does not exist gives module+0xOFF names */
        struct an_options o = { .binary = "/nonexistent/prog" };
        ck_assert_int_eq(an_diff_paths(base, newer, &o, &r, &err), 0);
        ck_assert_int_eq(an_report_row(r, 0, &fn, NULL, NULL), 0);
        ck_assert_msg(strncmp(fn, "prog+0x", 7) == 0, "%s", fn);
        an_report_free(r);
        unlink(base);
        unlink(newer);
        rmdir(dir);
        free(base);
        free(newer);
}
END_TEST

/* ---- sites: the first frame outside the runtime ------------------------- */

/* A dump of this process with one stack [malloc, second, ut_alloc_site,
 * ut_caller]; second NULL: strdup, which is libc's, so the site is
 * ut_alloc_site. */
static char *write_site_dump_with(const char *dir, const char *name, unsigned objs, unsigned bytes, void *second)
{
        char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        void *m = dlsym(RTLD_DEFAULT, "malloc"), *sd = second ? second : dlsym(RTLD_DEFAULT, "strdup");
        ck_assert_ptr_nonnull(m);
        ck_assert_ptr_nonnull(sd);
        fprintf(f, "heap_v2/524288\n  t*: %u: %u [0: 0]\n", objs, bytes);
        fprintf(f, "@ %p %p %p %p\n", (void *)((char *)m + 8), (void *)((char *)sd + 9),
                (void *)((char *)ut_alloc_site + 5), (void *)((char *)ut_caller + 6));
        fprintf(f, "  t*: %u: %u [0: 0]\n  t0: %u: %u [0: 0]\n\nMAPPED_LIBRARIES:\n", objs, bytes, objs, bytes);
        FILE *maps = fopen("/proc/self/maps", "re");
        ck_assert_ptr_nonnull(maps);
        char line[4096];
        while (fgets(line, sizeof(line), maps))
                fputs(line, f);
        fclose(maps);
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

static char *write_site_dump(const char *dir, const char *name, unsigned objs, unsigned bytes)
{
        return write_site_dump_with(dir, name, objs, bytes, NULL);
}

/* [malloc, an address of this program no symbol covers, ut_alloc_site,
 * ut_caller]: with ut_alloc_site hidden (an allocator's entry point, like
 * PostgreSQL's repalloc), the unnamed frame of the same module under it is
 * the allocator's own (a static function, like AllocSetRealloc): the site
 * is ut_caller. With nothing hidden above it, the unnamed frame is the
 * site; an unnamed frame of another place (here the heap) is never taken
 * for the allocator's. */
/* 64 bytes of this program's code that no symbol covers (a stripped
 * static function), between two sized functions */
__asm__(".pushsection .text\n"
        ".type ut_before_gap, @function\nut_before_gap:\n ret\n.size ut_before_gap, 1\n"
        ".skip 64, 0x90\n"
        ".type ut_after_gap, @function\nut_after_gap:\n ret\n.size ut_after_gap, 1\n"
        ".popsection\n");
extern char ut_before_gap[];

START_TEST(sites_unnamed_under_hidden)
{
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        void *gap = ut_before_gap + 16; /* the frame: + 9, looked up at - 1 */
        void *anon = malloc(64);         /* the heap: no module */
        char *base = write_site_dump_with(dir, "own.1.1.m1.heap", 1, 1000, gap);
        char *newer = write_site_dump_with(dir, "own.1.2.m2.heap", 5, 5000, gap);
        char *hbase = write_site_dump_with(dir, "heap.1.1.m1.heap", 1, 1000, anon);
        char *hnewer = write_site_dump_with(dir, "heap.1.2.m2.heap", 5, 5000, anon);
        struct an_report *r = NULL;
        char *err = NULL;
        struct an_site st;

        const char *const hide[] = { "*/libc.so*", "*/libasan.so*", "ut_alloc_*", NULL };
        struct an_options o = { .hide = hide };
        ck_assert_msg(an_diff_paths(base, newer, &o, &r, &err) == 0, "%s", err ? err : "");
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_str_eq(st.function, "ut_caller");
        an_report_free(r);

        ck_assert_int_eq(an_diff_paths(hbase, hnewer, &o, &r, &err), 0);
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_msg(strncmp(st.function, "0x", 2) == 0, "%s", st.function);
        an_report_free(r);

        const char *const only_libc[] = { "*/libc.so*", "*/libasan.so*", NULL };
        o.hide = only_libc;
        ck_assert_int_eq(an_diff_paths(base, newer, &o, &r, &err), 0);
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_msg(strstr(st.function, "test_analyzer+0x") != NULL, "%s", st.function);
        an_report_free(r);

        char *paths[] = { base, newer, hbase, hnewer };
        for (size_t i = 0; i < 4; i++) {
                unlink(paths[i]);
                free(paths[i]);
        }
        rmdir(dir);
        free(anon);
}
END_TEST

START_TEST(sites_self)
{
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char *base = write_site_dump(dir, "self.1.1.m1.heap", 1, 1000);
        char *newer = write_site_dump(dir, "self.1.2.m2.heap", 5, 5000);
        double want = 5000 * hp_scale_factor(5, 5000, 524288) - 1000 * hp_scale_factor(1, 1000, 524288);
        struct an_report *r = NULL;
        char *err = NULL;
        struct an_site st;

        /* default patterns: libc's strdup is runtime */
        ck_assert_msg(an_diff_paths(base, newer, NULL, &r, &err) == 0, "%s", err ? err : "");
        const char *fn = NULL;
        ck_assert_int_eq(an_report_row(r, 0, &fn, NULL, NULL), 0);
        /* the flat row stays jeprof's: libc's strdup ("__GI___strdup" where
         * libc's debug file is installed) */
        ck_assert_msg(strstr(fn, "strdup") != NULL, "%s", fn);
        char *dup = strdup(fn);
        ck_assert_uint_eq(an_report_site_count(r), 1);
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_str_eq(st.function, "ut_alloc_site");
        ck_assert_int_eq(st.bytes, llround(want));
        ck_assert_ptr_nonnull(st.module);
        ck_assert_msg(strstr(st.module, "test_analyzer") != NULL, "%s", st.module);
        ck_assert_int_eq(an_report_site(r, 1, &st), -ERANGE);
        ck_assert_uint_eq(an_report_period(r), 524288);
        an_report_free(r);

        /* the file and line of the call, unless the output does not show them */
        struct an_options nl = { .no_lines = false };
        for (int k = 0; k < 2; k++, nl.no_lines = true) {
                ck_assert_int_eq(an_diff_paths(base, newer, &nl, &r, &err), 0);
                ck_assert_int_eq(an_report_site(r, 0, &st), 0);
                ck_assert_str_eq(st.function, "ut_alloc_site");
                if (nl.no_lines) {
                        ck_assert_ptr_null(st.file);
                        ck_assert_int_eq(st.line, 0);
                } else {
                        ck_assert_msg(st.file && strstr(st.file, "test_analyzer.c"), "%s", st.file ? st.file : "(null)");
                        ck_assert_int_gt(st.line, 0);
                }
                an_report_free(r);
        }

        /* a list of one's own: a name pattern and a module pattern (under
         * AddressSanitizer strdup is libasan's interceptor) */
        const char *const hide[] = { "*/libc.so*", "*/libasan.so*", "ut_alloc_*", NULL };
        struct an_options o = { .hide = hide };
        ck_assert_int_eq(an_diff_paths(base, newer, &o, &r, &err), 0);
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_str_eq(st.function, "ut_caller");
        an_report_free(r);

        /* an empty list: the first frame is the site */
        const char *const none[] = { NULL };
        o.hide = none;
        ck_assert_int_eq(an_diff_paths(base, newer, &o, &r, &err), 0);
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_str_eq(st.function, dup);
        an_report_free(r);

        /* everything hidden: the first frame again */
        const char *const all[] = { "*", NULL };
        o.hide = all;
        ck_assert_int_eq(an_diff_paths(base, newer, &o, &r, &err), 0);
        ck_assert_int_eq(an_report_site(r, 0, &st), 0);
        ck_assert_str_eq(st.function, dup);
        an_report_free(r);
        free(dup);

        /* shrinking: no site grew */
        ck_assert_int_eq(an_diff_paths(newer, base, NULL, &r, &err), 0);
        ck_assert_uint_eq(an_report_site_count(r), 0);
        an_report_free(r);

        const char *why = NULL;
        ck_assert_int_eq(an_hide_check("std::*", &why), 0);
        ck_assert_int_eq(an_hide_check("", &why), -EINVAL);
        ck_assert_int_eq(an_hide_check("a\tb", &why), -EINVAL);
        unlink(base);
        unlink(newer);
        rmdir(dir);
        free(base);
        free(newer);
}
END_TEST

START_TEST(name_fit)
{
        char buf[256];
        ck_assert_str_eq(an_name_fit("svc::Store::add", 40, buf, sizeof(buf)), "svc::Store::add");
        const char *v = "std::vector<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, "
                        "std::allocator<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > > "
                        ">::_M_realloc_insert<std::string const&>";
        /* the innermost arguments go first, then outwards */
        ck_assert_str_eq(an_name_fit(v, 190, buf, sizeof(buf)),
                         "std::vector<std::__cxx11::basic_string<char, std::char_traits<...>, std::allocator<...> >, "
                         "std::allocator<std::__cxx11::basic_string<...> > >::_M_realloc_insert<std::string const&>");
        ck_assert_str_eq(an_name_fit(v, 150, buf, sizeof(buf)),
                         "std::vector<std::__cxx11::basic_string<...>, std::allocator<...> >::_M_realloc_insert<std::string "
                         "const&>");
        ck_assert_str_eq(an_name_fit(v, 50, buf, sizeof(buf)), "std::vector<...>::_M_realloc_insert<...>");
        an_name_fit(v, 30, buf, sizeof(buf));
        ck_assert_uint_eq(strlen(buf), 30);
        ck_assert_str_eq(buf, "std::vector<.....c_insert<...>");
        /* operator< and operator<< are not brackets */
        ck_assert_str_eq(an_name_fit("Shard<16ul>::operator<<<unsigned int>", 30, buf, sizeof(buf)),
                         "Shard<...>::operator<<<...>");
        ck_assert_str_eq(an_name_fit("Shard<16ul>::operator< <unsigned int>", 30, buf, sizeof(buf)),
                         "Shard<...>::operator< <...>");
        ck_assert_str_eq(an_name_fit("Shard<16ul>::operator->", 22, buf, sizeof(buf)), "Shard<...>::operator->");
        /* groups no longer than "<...>" stay */
        ck_assert_str_eq(an_name_fit("Shard<4>::append<int>", 12, buf, sizeof(buf)), "Shard...int>");
        ck_assert_str_eq(an_name_fit("Shard<4>::operator<<<int>", 25, buf, sizeof(buf)), "Shard<4>::operator<<<int>");
        /* too long without brackets: head...tail within the width */
        an_name_fit("a_really_long_function_name_without_any_template_arguments_at_all", 20, buf, sizeof(buf));
        ck_assert_uint_eq(strlen(buf), 20);
        ck_assert_str_eq(buf, "a_really_...s_at_all");
        /* unbalanced brackets are left as they are, then cut */
        an_name_fit("f<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", 10, buf, sizeof(buf));
        ck_assert_uint_eq(strlen(buf), 10);
}
END_TEST

START_TEST(estimate_by_hand)
{
        /* two stacks: 4 samples of 1000 bytes each, 1 of 262144; period 524288 */
        char path[] = "/tmp/oomwatch-ut-est.XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        FILE *f = fdopen(fd, "w");
        fputs("heap_v2/524288\n  t*: 5: 266144 [0: 0]\n"
              "@ 0x1000 0x2000\n  t*: 4: 4000 [0: 0]\n"
              "@ 0x1000 0x3000\n  t*: 1: 262144 [0: 0]\n"
              "\nMAPPED_LIBRARIES:\n", f);
        ck_assert_int_eq(fclose(f), 0);
        struct an_estimate est;
        char *err = NULL;
        ck_assert_msg(an_peek_estimate(path, &est, &err) == 0, "%s", err ? err : "");
        double f1 = hp_scale_factor(4, 4000, 524288), f2 = hp_scale_factor(1, 262144, 524288);
        double b1 = 4000 * f1, b2 = 262144 * f2;
        double var = b1 * b1 * (1 - 1 / f1) / 4 + b2 * b2 * (1 - 1 / f2) / 1;
        ck_assert_int_eq(est.bytes, llround(b1 + b2));
        ck_assert(near(est.stderr_bytes, sqrt(var), 1e-9));
        ck_assert_uint_eq(est.period, 524288);
        unlink(path);
}
END_TEST

/* ---- diff of two real dumps ------------------------------------------------ */

static char *render(const struct an_report *r, enum an_format fmt)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(an_render(r, fmt, f), 0);
        fclose(f);
        return out;
}

START_TEST(diff_real_dumps)
{
        char *p0 = data_path(DUMP0), *p1 = data_path(DUMP1), *err = NULL;
        struct hp_profile *a, *b;
        ck_assert_int_eq(hp_parse_file(p0, NULL, &a, &err), 0);
        ck_assert_int_eq(hp_parse_file(p1, NULL, &b, &err), 0);
        struct an_report *r = NULL;
        ck_assert_msg(an_diff_paths(p0, p1, NULL, &r, &err) == 0, "%s", err ? err : "");
        /* scaled per stack before subtraction */
        ck_assert_int_eq(an_report_total(r), llround(b->total_bytes - a->total_bytes));
        ck_assert_uint_ge(an_report_count(r), 3);
        /* rows by flat, descending; flats add up to the growth */
        int64_t prev = INT64_MAX, sum = 0, flat, cum;
        const char *fn;
        for (size_t i = 0; i < an_report_count(r); i++) {
                ck_assert_int_eq(an_report_row(r, i, &fn, &flat, &cum), 0);
                ck_assert_int_le(flat, prev);
                prev = flat;
                sum += flat;
        }
        ck_assert(llabs(sum - an_report_total(r)) <= (int64_t)an_report_count(r));

        char *json = render(r, AN_FORMAT_JSON);
        char *want = NULL;
        ck_assert_int_ge(asprintf(&want, "{\"base\":\"%s\",\"new\":\"%s\",\"growth_bytes\":%lld,", p0, p1,
                                  (long long)an_report_total(r)), 0);
        ck_assert_msg(strncmp(json, want, strlen(want)) == 0, "%s", json);
        ck_assert_ptr_nonnull(strstr(json, "\"top\":[{\"function\":\""));
        free(want);
        free(json);

        char *text = render(r, AN_FORMAT_TEXT);
        ck_assert_msg(strncmp(text, "Total: ", 7) == 0, "%s", text);
        ck_assert_ptr_nonnull(strstr(text, "100.0%"));
        free(text);

        char *svg = render(r, AN_FORMAT_SVG);
        ck_assert_ptr_nonnull(strstr(svg, "<svg "));
        ck_assert_ptr_nonnull(strstr(svg, "<title>"));
        ck_assert_ptr_nonnull(strstr(svg, "</svg>\n"));
        free(svg);
        char *dot = render(r, AN_FORMAT_DOT);
        ck_assert_msg(strncmp(dot, "digraph ", 8) == 0, "%s", dot);
        ck_assert_ptr_nonnull(strstr(dot, " -> "));
        free(dot);

        /* collapsed: the positive paths, adding up to at least the growth */
        char *col = render(r, AN_FORMAT_COLLAPSED);
        long long total = 0;
        for (char *l = col; l && *l;) {
                char *nl = strchr(l, '\n'), *sp;
                ck_assert_ptr_nonnull(nl);
                *nl = '\0';
                sp = strrchr(l, ' ');
                ck_assert_ptr_nonnull(sp);
                total += atoll(sp + 1);
                l = nl + 1;
        }
        ck_assert_int_ge(total, an_report_total(r) - 10);
        free(col);
        an_report_free(r);

        /* against an empty heap: the growth is the whole heap */
        ck_assert_int_eq(an_diff_paths(NULL, p1, NULL, &r, &err), 0);
        ck_assert_int_eq(an_report_total(r), llround(b->total_bytes));
        json = render(r, AN_FORMAT_JSON);
        ck_assert_msg(strncmp(json, "{\"base\":null,", 13) == 0, "%s", json);
        free(json);
        an_report_free(r);

        /* reversed: everything shrinks, shown negative */
        ck_assert_int_eq(an_diff_paths(p1, p0, NULL, &r, &err), 0);
        ck_assert_int_eq(an_report_total(r), llround(a->total_bytes - b->total_bytes));
        ck_assert_int_eq(an_report_row(r, an_report_count(r) - 1, &fn, &flat, &cum), 0);
        ck_assert_int_lt(flat, 0);
        an_report_free(r);
        hp_profile_free(a);
        hp_profile_free(b);
        free(p0);
        free(p1);
}
END_TEST

/* ---- trend --------------------------------------------------------------- */

START_TEST(trend_scores)
{
        double leak[10], cache[10], wave[10], flat[10], noisy_leak[10];
        for (int i = 0; i < 10; i++) {
                leak[i] = 1e6 * (i + 1);
                cache[i] = i < 3 ? 10e6 * (i + 1) : 30e6 + ((i * 7919) % 5 - 2) * 1e5;
                wave[i] = 20e6 + (i % 2 ? 5e6 : -5e6);
                flat[i] = 5e6;
                noisy_leak[i] = 1e6 * (i + 1) + ((i * 31) % 3) * 2e5;
        }
        ck_assert(an_trend_score(leak, 10) > 0.99);
        ck_assert(an_trend_score(noisy_leak, 10) > 0.8);
        ck_assert(an_trend_score(cache, 10) < 0.4);
        ck_assert(an_trend_score(wave, 10) < 0.2);
        ck_assert(an_trend_score(flat, 10) == 0.0);
        double down[4] = { 4, 3, 2, 1 };
        ck_assert(an_trend_score(down, 4) == 0.0);
        ck_assert(an_trend_score(leak, 1) == 0.0);
        for (int i = 0; i < 10; i++)
                ck_assert(an_trend_score(cache + i, (size_t)(10 - i)) <= 1.0);
}
END_TEST

START_TEST(trend_real_dumps_in_order)
{
        char *p0 = data_path(DUMP0), *p1 = data_path(DUMP1), *p2 = data_path(DUMP2), *err = NULL;
        /* given out of order: sorted by (pid, seq) from the names */
        const char *paths[3] = { p2, p0, p1 };
        struct an_report *r = NULL;
        ck_assert_msg(an_trend_paths(paths, 3, NULL, &r, &err) == 0, "%s", err ? err : "");
        char *json = render(r, AN_FORMAT_JSON);
        char *want = NULL;
        ck_assert_int_ge(asprintf(&want, "{\"dumps\":[\"%s\",\"%s\",\"%s\"]", p0, p1, p2), 0);
        ck_assert_msg(strncmp(json, want, strlen(want)) == 0, "%s", json);
        ck_assert_ptr_nonnull(strstr(json, "\"suspects\":["));
        free(want);
        free(json);
        /* growth is last minus first */
        struct hp_profile *a, *c;
        ck_assert_int_eq(hp_parse_file(p0, NULL, &a, &err), 0);
        ck_assert_int_eq(hp_parse_file(p2, NULL, &c, &err), 0);
        ck_assert_int_eq(an_report_total(r), llround(c->total_bytes - a->total_bytes));
        const char *fn;
        double score;
        int64_t growth;
        for (size_t i = 0; i < an_report_suspect_count(r); i++) {
                ck_assert_int_eq(an_report_suspect(r, i, &fn, &score, &growth), 0);
                ck_assert(score >= AN_DEFAULT_SUSPECT_SCORE && score <= 1.0);
                ck_assert_int_gt(growth, 0);
        }
        ck_assert_int_eq(an_report_suspect(r, an_report_suspect_count(r), &fn, &score, &growth), -ERANGE);
        char *text = render(r, AN_FORMAT_TEXT);
        ck_assert_msg(strncmp(text, "Trend over 3 dumps", 18) == 0, "%s", text);
        free(text);
        an_report_free(r);
        hp_profile_free(a);
        hp_profile_free(c);

        /* names that do not parse: the given order is kept */
        char dir[] = "/tmp/oomwatch-ut.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char *l1 = NULL, *l2 = NULL;
        ck_assert_int_ge(asprintf(&l1, "%s/zz-first.heap", dir), 0);
        ck_assert_int_ge(asprintf(&l2, "%s/aa-second.heap", dir), 0);
        ck_assert_int_eq(symlink(p1, l1), 0);
        ck_assert_int_eq(symlink(p0, l2), 0);
        const char *unnamed[2] = { l1, l2 };
        ck_assert_int_eq(an_trend_paths(unnamed, 2, NULL, &r, &err), 0);
        json = render(r, AN_FORMAT_JSON);
        ck_assert_int_ge(asprintf(&want, "{\"dumps\":[\"%s\",\"%s\"]", l1, l2), 0);
        ck_assert_msg(strncmp(json, want, strlen(want)) == 0, "%s", json);
        free(want);
        free(json);
        an_report_free(r);
        unlink(l1);
        unlink(l2);
        rmdir(dir);
        free(l1);
        free(l2);

        ck_assert_int_eq(an_trend_paths(paths, 1, NULL, &r, &err), -EINVAL);
        free(err);
        free(p0);
        free(p1);
        free(p2);
}
END_TEST

START_TEST(formats)
{
        enum an_format f;
        ck_assert_int_eq(an_format_from_string("json", &f), 0);
        ck_assert_int_eq(f, AN_FORMAT_JSON);
        ck_assert_int_eq(an_format_from_string("collapsed", &f), 0);
        ck_assert_int_eq(f, AN_FORMAT_COLLAPSED);
        ck_assert_int_eq(an_format_from_string("svg", &f), 0);
        ck_assert_int_eq(an_format_from_string("dot", &f), 0);
        ck_assert_int_eq(an_format_from_string("text", &f), 0);
        ck_assert_int_eq(f, AN_FORMAT_TEXT);
        ck_assert_int_eq(an_format_from_string("html", &f), -EINVAL);
        ck_assert_int_eq(an_format_from_string(NULL, &f), -EINVAL);
        ck_assert_str_eq(an_format_to_string(AN_FORMAT_SVG), "svg");
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("analyzer");
        TCase *tc = tcase_create("parser");
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, scale_factor_by_hand);
        tcase_add_test(tc, parse_real_dump);
        tcase_add_test(tc, parse_mem_matches_file);
        tcase_add_loop_test(tc, malformed_fixture, 0, (int)(sizeof(bad) / sizeof(bad[0])));
        tcase_add_test(tc, missing_file);
        tcase_add_test(tc, dump_names);
        suite_add_tcase(s, tc);
        tc = tcase_create("analysis");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, short_names);
        tcase_add_test(tc, symbolize_self);
        tcase_add_test(tc, session_shares_symbols);
        tcase_add_test(tc, modules_and_unnamed);
        tcase_add_test(tc, sites_self);
        tcase_add_test(tc, sites_unnamed_under_hidden);
        tcase_add_test(tc, name_fit);
        tcase_add_test(tc, estimate_by_hand);
        tcase_add_test(tc, diff_real_dumps);
        tcase_add_test(tc, trend_scores);
        tcase_add_test(tc, trend_real_dumps_in_order);
        tcase_add_test(tc, formats);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
