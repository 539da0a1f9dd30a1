/* Unit tests of the symbol index (analyzer/symindex.c): the name of every
 * address in purpose-built modules (tests/data/sym/symbols.s, built by
 * tests/data/sym/build.sh as a shared object, a PIE, a non-PIE executable,
 * stripped to .dynsym, with MiniDebugInfo, without symbols), checked
 * against the expected names and, at every byte, against libdwfl's
 * dwfl_module_addrinfo, which the index replaces; then the same agreement
 * at thousands of addresses of the system's libc (its .symtab from
 * libc6-dbg when installed) and libstdc++ (.dynsym). */
#include <check.h>
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symindex.h"

static char *outdir;

/* the modules, built once by main before the tests fork */
static const char *modules_dir(void)
{
        ck_assert_msg(outdir != NULL, "the test modules were not built");
        return outdir;
}

static int build_modules(void)
{
        const char *src = getenv("OOMWATCH_SRC");
        if (!src) {
                fprintf(stderr, "test_symindex: OOMWATCH_SRC must name the source tree\n");
                return -1;
        }
        char tmpl[] = "/tmp/oomwatch-symindex.XXXXXX";
        if (!mkdtemp(tmpl) || !(outdir = strdup(tmpl)))
                return -1;
        char *cmd = NULL;
        if (asprintf(&cmd, "'%s/tests/data/sym/build.sh' '%s/tests/data/sym' '%s' 2>&1", src, src, outdir) < 0)
                return -1;
        int r = system(cmd);
        if (r != 0)
                fprintf(stderr, "test_symindex: building the test modules failed: %s\n", cmd);
        free(cmd);
        return r == 0 ? 0 : -1;
}

static void cleanup(void)
{
        if (!outdir)
                return;
        char *cmd = NULL;
        if (asprintf(&cmd, "rm -rf '%s'", outdir) >= 0 && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", outdir);
        free(cmd);
}

struct mod {
        Dwfl *dwfl;
        Dwfl_Module *m;
        struct si_index *ix;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
        .find_elf = dwfl_build_id_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = dwfl_offline_section_address,
        .debuginfo_path = &debuginfo_path,
};

/* open path like the symbolizer does: one Dwfl, at link-time addresses */
static void mod_open(struct mod *md, const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        md->dwfl = dwfl_begin(&callbacks);
        ck_assert(md->dwfl != NULL);
        dwfl_report_begin(md->dwfl);
        md->m = dwfl_report_elf(md->dwfl, "m", path, fd, 0, true);
        dwfl_report_end(md->dwfl, NULL, NULL);
        ck_assert_msg(md->m != NULL, "%s: %s", path, dwfl_errmsg(-1));
        ck_assert_int_eq(si_build(md->m, &md->ix), 0);
        ck_assert(md->ix != NULL);
}

static void mod_close(struct mod *md)
{
        si_free(md->ix);
        dwfl_end(md->dwfl);
}

static char *path_of(const char *name)
{
        char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/%s", modules_dir(), name), 0);
        return p;
}

/* the index's name for addr, or NULL */
static const char *ix_name(const struct mod *md, uint64_t addr)
{
        const char *n = NULL;
        uint32_t id;
        int r = si_lookup(md->ix, addr, &n, &id);
        ck_assert_int_ge(r, 0);
        if (r == 0)
                return NULL;
        ck_assert_uint_lt(id, si_count(md->ix));
        return n;
}

static const char *dwfl_name(const struct mod *md, uint64_t addr)
{
        GElf_Off off;
        GElf_Sym sym;
        return dwfl_module_addrinfo(md->m, addr, &off, &sym, NULL, NULL, NULL);
}

/* compare with libdwfl at addr; returns 1 when they differ */
static int differs(const struct mod *md, uint64_t addr, const char *what)
{
        const char *a = ix_name(md, addr), *b = dwfl_name(md, addr);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0)) {
                fprintf(stderr, "%s: at 0x%llx the index says %s, libdwfl %s\n", what, (unsigned long long)addr,
                        a ? a : "(none)", b ? b : "(none)");
                return 1;
        }
        return 0;
}

/* the table index of a symbol, by name, and its address */
static int sym_find(const struct mod *md, const char *name, uint64_t *ret_value)
{
        int n = dwfl_module_getsymtab(md->m);
        for (int i = 1; i < n; i++) {
                GElf_Sym s;
                GElf_Addr v;
                const char *nm = dwfl_module_getsym_info(md->m, i, &s, &v, NULL, NULL, NULL);
                if (nm && strcmp(nm, name) == 0) {
                        if (ret_value)
                                *ret_value = v;
                        return i;
                }
        }
        ck_abort_msg("no symbol %s", name);
        return -1;
}

static uint64_t sym_value(const struct mod *md, const char *name)
{
        uint64_t v = 0;
        sym_find(md, name, &v);
        return v;
}

static int sym_pos(const struct mod *md, const char *name)
{
        return sym_find(md, name, NULL);
}

/* every byte from 0x100 before the section start to 0x100 past its end */
static void agree_everywhere(const struct mod *md, uint64_t base, const char *what)
{
        int bad = 0;
        for (uint64_t a = base - 0x100; a < base + 0x500 && bad < 5; a++)
                bad += differs(md, a, what);
        /* the absolute symbol, data and TLS */
        bad += differs(md, 0x1234, what);
        bad += differs(md, 0x1233, what);
        bad += differs(md, sym_value(md, "some_object"), what);
        bad += differs(md, sym_value(md, "some_object") + 4, what);
        ck_assert_msg(bad == 0, "%s: the index and libdwfl disagree", what);
}

/* the twin labels: the later in the table; the far/near pairs: the weak
 * nested one when it comes later, else the global by its binding. Both
 * orders must occur, or the fixture no longer tests the binding rule. */
static void check_order_cases(const struct mod *md, uint64_t base, const char *what)
{
        const char *twin = sym_pos(md, "twin_a") > sym_pos(md, "twin_b") ? "twin_a" : "twin_b";
        ck_assert_str_eq(ix_name(md, base + 0x275), twin);
        unsigned near_first = 0, far_first = 0;
        for (int k = 0; k < 4; k++) {
                char far[32], near[32];
                snprintf(far, sizeof(far), "far_global_%d", k);
                snprintf(near, sizeof(near), "near_weak_%d", k);
                bool nf = sym_pos(md, near) < sym_pos(md, far);
                near_first += nf;
                far_first += !nf;
                const char *want = nf ? far : near;
                const char *got = ix_name(md, base + 0x2a0 + 0x40 * (unsigned)k + 0x18);
                ck_assert_msg(got && strcmp(got, want) == 0, "%s: pair %d: expected %s, got %s", what, k, want,
                              got ? got : "(none)");
                ck_assert_str_eq(ix_name(md, base + 0x2a0 + 0x40 * (unsigned)k + 0x28), far);
        }
        ck_assert_msg(near_first && far_first, "%s: the pairs' table order is all one way (%u/%u)", what, near_first,
                      far_first);
}

struct expect {
        unsigned off;
        const char *name;   /* NULL: no symbol names it */
};

/* with .symtab: the names the comments in symbols.s promise */
static const struct expect full[] = {
        { 0x000, "symidx_base" },  { 0x03f, "symidx_base" },
        { 0x040, "alias_global" }, { 0x048, "alias_global" }, { 0x07f, "alias_global" },
        { 0x080, "same_start_small" }, { 0x08f, "same_start_small" },
        { 0x090, "same_start_big" }, { 0x0bf, "same_start_big" },
        { 0x0c0, "outer_global" }, { 0x0ff, "outer_global" },
        { 0x100, "inner_global" }, { 0x11f, "inner_global" },
        { 0x120, "outer_global" }, { 0x145, "outer_global" }, { 0x1bf, "outer_global" },
        { 0x1c0, "with_label" }, { 0x1d5, "with_label" }, { 0x1df, "with_label" },
        { 0x1e0, "label_after" }, { 0x1ff, "label_after" },
        { 0x200, "only_local" }, { 0x20f, "only_local" },
        { 0x210, NULL }, { 0x23f, NULL },
        { 0x240, "bare_global" }, { 0x24f, "bare_global" },
        { 0x250, "after_bare" }, { 0x25f, "after_bare" },
        { 0x260, "before_twins" }, { 0x26f, "before_twins" },
        { 0x280, "covers_label" }, { 0x28f, "covers_label" }, { 0x290, "label_mid" },
        { 0x291, "covers_label" }, { 0x29f, "covers_label" },
        { 0x2a0, "far_global_0" }, { 0x2df, "far_global_0" },
        { 0x3a0, "last_function" }, { 0x3bf, "last_function" },
        { 0x3c0, NULL }, { 0x3ff, NULL },
};

/* stripped to .dynsym: the locals are gone and libdwfl's scan has only
 * one pass, so the global label before a local function names it */
static const struct expect dynsym[] = {
        { 0x040, "alias_global" }, { 0x08f, "same_start_small" }, { 0x145, "outer_global" },
        { 0x1e0, "label_after" }, { 0x205, "label_after" }, { 0x215, "label_after" },
        { 0x255, "bare_global" }, { 0x290, "label_mid" }, { 0x295, "label_mid" },
        { 0x3a0, "last_function" }, { 0x3c0, NULL }, { 0x3ff, NULL },
};

static void check_expect(const struct mod *md, uint64_t base, const struct expect *e, size_t n, const char *what)
{
        for (size_t i = 0; i < n; i++) {
                const char *got = ix_name(md, base + e[i].off);
                if (!e[i].name)
                        ck_assert_msg(got == NULL, "%s +0x%x: expected no name, got %s", what, e[i].off, got);
                else
                        ck_assert_msg(got && strcmp(got, e[i].name) == 0, "%s +0x%x: expected %s, got %s", what,
                                      e[i].off, e[i].name, got ? got : "(none)");
        }
}

/* the expected names, the table-order cases and agreement at every byte */
static void check_module(const char *file, const struct expect *e, size_t n, size_t min_symbols)
{
        char *p = path_of(file);
        struct mod md;
        mod_open(&md, p);
        uint64_t base = sym_value(&md, "symidx_base");
        check_expect(&md, base, e, n, file);
        check_order_cases(&md, base, file);
        agree_everywhere(&md, base, file);
        ck_assert_uint_ge(si_count(md.ix), min_symbols);
        mod_close(&md);
        free(p);
}

static const char *const full_modules[] = { "libsym.so", "sym_pie", "sym_exe" };

START_TEST(full_symtab)
{
        check_module(full_modules[_i], full, sizeof(full) / sizeof(full[0]), 30);
}
END_TEST

START_TEST(only_dynsym)
{
        check_module("libsym_dynsym.so", dynsym, sizeof(dynsym) / sizeof(dynsym[0]), 20);
}
END_TEST

/* .dynsym plus the locals from .gnu_debugdata: the names of the full table */
START_TEST(minidebuginfo)
{
        char *p = path_of("libsym_mini.so");
        struct mod md;
        mod_open(&md, p);
        uint64_t base = sym_value(&md, "symidx_base");
        ck_assert_str_eq(ix_name(&md, base + 0x205), "only_local");
        ck_assert_str_eq(ix_name(&md, base + 0x255), "after_bare");
        ck_assert_ptr_null(ix_name(&md, base + 0x215));
        agree_everywhere(&md, base, "minidebuginfo");
        mod_close(&md);
        free(p);
}
END_TEST

START_TEST(no_symbols)
{
        char *p = path_of("sym_nosyms");
        struct mod md;
        mod_open(&md, p);
        for (uint64_t a = 0; a < 0x3000; a += 7) {
                ck_assert_ptr_null(ix_name(&md, a));
                ck_assert_ptr_null(dwfl_name(&md, a));
        }
        mod_close(&md);
        free(p);
}
END_TEST

/* a real library: symbol edges and pseudo-random addresses over its text */
static void agree_library(const char *path, unsigned want_named)
{
        struct mod md;
        mod_open(&md, path);
        int n = dwfl_module_getsymtab(md.m);
        ck_assert_int_gt(n, 100);
        uint64_t lo = UINT64_MAX, hi = 0;
        int bad = 0;
        unsigned named = 0, tried = 0;
        for (int i = 1; i < n; i++) {
                GElf_Sym s;
                GElf_Addr v;
                const char *nm = dwfl_module_getsym_info(md.m, i, &s, &v, NULL, NULL, NULL);
                if (!nm || GELF_ST_TYPE(s.st_info) != STT_FUNC || !v)
                        continue;
                if (v < lo)
                        lo = v;
                if (v + s.st_size > hi)
                        hi = v + s.st_size;
                /* the edges of about 400 functions */
                if (i % (n / 400 + 1))
                        continue;
                uint64_t at[] = { v - 1, v, v + s.st_size / 2, v + s.st_size - 1, v + s.st_size };
                for (size_t k = 0; k < sizeof(at) / sizeof(at[0]) && bad < 5; k++, tried++) {
                        bad += differs(&md, at[k], path);
                        named += ix_name(&md, at[k]) != NULL;
                }
        }
        ck_assert(lo < hi);
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (int k = 0; k < 1500 && bad < 5; k++, tried++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                uint64_t a = lo + x % (hi - lo);
                bad += differs(&md, a, path);
                named += ix_name(&md, a) != NULL;
        }
        ck_assert_msg(bad == 0, "%s: the index and libdwfl disagree", path);
        ck_assert_msg(named >= want_named, "%s: only %u of %u addresses named", path, named, tried);
        mod_close(&md);
}

static const char *library_of(const char *lib, const char *sym)
{
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        ck_assert_msg(h != NULL, "%s: %s", lib, dlerror());
        void *f = dlsym(h, sym);
        Dl_info info;
        ck_assert(f && dladdr(f, &info) && info.dli_fname);
        return info.dli_fname;
}

START_TEST(real_libc)
{
        agree_library(library_of("libc.so.6", "printf"), 1500);
}
END_TEST

START_TEST(real_libstdcxx)
{
        agree_library(library_of("libstdc++.so.6", "__cxa_demangle"), 1000);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("symindex");
        TCase *tc = tcase_create("built");
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, full_symtab, 0, (int)(sizeof(full_modules) / sizeof(full_modules[0])));
        tcase_add_test(tc, only_dynsym);
        tcase_add_test(tc, minidebuginfo);
        tcase_add_test(tc, no_symbols);
        suite_add_tcase(s, tc);
        tc = tcase_create("system");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, real_libc);
        tcase_add_test(tc, real_libstdcxx);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (build_modules() < 0) {
                cleanup();
                return EXIT_FAILURE;
        }
        SRunner *sr = srunner_create(suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        cleanup();
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
