/* Symbol index; see symindex.h. The rules replayed here are those of
 * elfutils' __libdwfl_addrsym (libdwfl/dwfl_module_addrsym.c, 0.188) for
 * dwfl_module_addrinfo; the comments name the part of the scan each step
 * stands for. */
#include "symindex.h"

#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "an_util.h"

struct si_sym {
        uint64_t value, size;
        const char *name;
        uint64_t pos;          /* scan order: 2 x table index + which try */
        uint8_t bind;          /* libdwfl's binding_value: GLOBAL 3, WEAK 2, LOCAL 1, else 0 */
        bool special;          /* section index >= SHN_LORESERVE (absolute, common, not
                                * allocated): "in the same section" only at its own value */
};

/* The symbols of one pass of libdwfl's scan (globals, or locals). */
struct si_range {
        /* every symbol, sorted by value; pmw[i] = max(value + size) over
         * 0..i, computed with wrap-around like libdwfl's min_label */
        uint32_t *all;
        uint64_t *all_val, *pmw;
        size_t nall;
        /* symbols with a size, sorted by value; end = value + size
         * (saturated), pm its prefix maximum, pg[i] the nearest j < i
         * whose end is greater than end[i] (or -1) */
        uint32_t *sz;
        uint64_t *sz_val, *sz_end, *sz_pm;
        int64_t *sz_pg;
        size_t nsz;
        /* symbols without a size, sorted by value */
        uint32_t *zl;
        uint64_t *zl_val;
        size_t nzl;
};

struct si_sec {
        uint64_t start, end;
        size_t ndx;
};

struct si_index {
        struct si_sym *syms;
        size_t nsyms, cap;
        struct si_range r[2];      /* 0: the globals pass, 1: the locals pass */
        bool locals;               /* libdwfl scans locals at all (first_global > 1) */
        struct si_sec *secs;       /* the main file's SHF_ALLOC sections, sorted */
        size_t nsecs;
        bool secs_failed;          /* libdwfl could not read them: no section is known */
};

static uint8_t binding_value(const GElf_Sym *s)
{
        switch (GELF_ST_BIND(s->st_info)) {
        case STB_GLOBAL: return 3;
        case STB_WEAK: return 2;
        case STB_LOCAL: return 1;
        default: return 0;
        }
}

static int add_sym(struct si_index *ix, const struct si_sym *s)
{
        if (ix->nsyms >= UINT32_MAX - 1 || au_grow(&ix->syms, &ix->cap, ix->nsyms + 1, sizeof(*ix->syms)) < 0)
                return -ENOMEM;
        ix->syms[ix->nsyms++] = *s;
        return 0;
}

/* ---- sections: libdwfl's cache_sections and find_section -------------- */

static int cmp_sec(const void *a, const void *b)
{
        const struct si_sec *x = a, *y = b;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end < y->end ? -1 : 1;
        return x->ndx < y->ndx ? -1 : x->ndx > y->ndx;
}

static int load_sections(struct si_index *ix, Elf *elf, GElf_Addr bias)
{
        size_t shstrndx, cap = 0;
        if (elf_getshdrstrndx(elf, &shstrndx) < 0) {
                ix->secs_failed = true;
                return 0;
        }
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
                GElf_Shdr mem, *sh = gelf_getshdr(scn, &mem);
                if (!sh) {
                        ix->secs_failed = true;
                        return 0;
                }
                if (!(sh->sh_flags & SHF_ALLOC))
                        continue;
                if (!elf_strptr(elf, shstrndx, sh->sh_name)) {
                        ix->secs_failed = true;
                        return 0;
                }
                if (au_grow(&ix->secs, &cap, ix->nsecs + 1, sizeof(*ix->secs)) < 0)
                        return -ENOMEM;
                uint64_t start = sh->sh_addr + bias;
                ix->secs[ix->nsecs++] = (struct si_sec){ start, start + sh->sh_size, elf_ndxscn(scn) };
        }
        if (ix->nsecs)
                qsort(ix->secs, ix->nsecs, sizeof(*ix->secs), cmp_sec);
        return 0;
}

/* index of the section holding a, SHN_UNDEF when none (find_section: the
 * end of a section counts as inside it unless the next one starts there) */
static size_t section_of(const struct si_index *ix, uint64_t a)
{
        size_t l = 0, u = ix->secs_failed ? 0 : ix->nsecs;
        while (l < u) {
                size_t idx = (l + u) / 2;
                if (a < ix->secs[idx].start)
                        u = idx;
                else if (a > ix->secs[idx].end)
                        l = idx + 1;
                else {
                        if (a == ix->secs[idx].end && idx + 1 < ix->nsecs && a == ix->secs[idx + 1].start)
                                ++idx;
                        return ix->secs[idx].ndx;
                }
        }
        return SHN_UNDEF;
}

/* ---- building ---------------------------------------------------------- */

/* Sort ids[0..n) by key[0..n) (both permuted): LSD radix sort on the
 * keys' bytes, the eight histograms counted in one pass, skipping the bytes
 * all keys share (most of them, for the addresses of one module). */
static int radix_sort(uint64_t *key, uint32_t *ids, size_t n)
{
        if (n < 2)
                return 0;
        struct kv {
                uint64_t key;
                uint32_t id;
        } *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
        size_t (*count)[256] = calloc(8, sizeof(*count));
        if (!a || !b || !count) {
                free(a);
                free(b);
                free(count);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                uint64_t k = key[i];
                a[i] = (struct kv){ k, ids[i] };
                for (unsigned d = 0; d < 8; d++)
                        count[d][(k >> (8 * d)) & 0xff]++;
        }
        for (unsigned d = 0; d < 8; d++) {
                unsigned shift = 8 * d;
                if (count[d][(a[0].key >> shift) & 0xff] == n)
                        continue;
                size_t sum = 0;
                for (unsigned v = 0; v < 256; v++) {
                        size_t c = count[d][v];
                        count[d][v] = sum;
                        sum += c;
                }
                for (size_t i = 0; i < n; i++)
                        b[count[d][(a[i].key >> shift) & 0xff]++] = a[i];
                struct kv *t = a;
                a = b;
                b = t;
        }
        for (size_t i = 0; i < n; i++) {
                key[i] = a[i].key;
                ids[i] = a[i].id;
        }
        free(a);
        free(b);
        free(count);
        return 0;
}

/* Sort ids by their symbol's value. */
static int sort_by_value(const struct si_index *ix, uint32_t *ids, size_t n)
{
        uint64_t *key = malloc((n ? n : 1) * sizeof(*key));
        if (!key)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                key[i] = ix->syms[ids[i]].value;
        int r = radix_sort(key, ids, n);
        free(key);
        return r;
}

/* Drop the symbols whose name is empty (libdwfl's search skips them). The
 * names are read page by page of the string table: in symbol order they
 * are scattered over megabytes (.dynsym is in hash order), and reading them
 * so costs a cache and TLB miss each, 15 ms for libLLVM. One counting pass
 * by page orders them (a radix sort of the pointers when the names span
 * more than 256 MiB). */
static int drop_unnamed(struct si_index *ix)
{
        size_t n = ix->nsyms;
        if (!n)
                return 0;
        uintptr_t lo = UINTPTR_MAX, hi = 0;
        for (size_t i = 0; i < n; i++) {
                uintptr_t p = (uintptr_t)ix->syms[i].name;
                lo = p < lo ? p : lo;
                hi = p > hi ? p : hi;
        }
        size_t pages = ((hi - lo) >> 12) + 1;
        uint32_t *ids = malloc(n * sizeof(*ids));
        bool *empty = calloc(n, sizeof(*empty));
        int r = ids && empty ? 0 : -ENOMEM;
        if (r == 0 && pages <= 65536) {
                uint32_t *start = calloc(pages + 1, sizeof(*start));
                if (!start)
                        r = -ENOMEM;
                for (size_t i = 0; r == 0 && i < n; i++)
                        start[(((uintptr_t)ix->syms[i].name - lo) >> 12) + 1]++;
                for (size_t p = 0; r == 0 && p < pages; p++)
                        start[p + 1] += start[p];
                for (size_t i = 0; r == 0 && i < n; i++)
                        ids[start[((uintptr_t)ix->syms[i].name - lo) >> 12]++] = (uint32_t)i;
                free(start);
        } else if (r == 0) {
                uint64_t *key = malloc(n * sizeof(*key));
                if (!key)
                        r = -ENOMEM;
                for (size_t i = 0; r == 0 && i < n; i++) {
                        key[i] = (uint64_t)(uintptr_t)ix->syms[i].name;
                        ids[i] = (uint32_t)i;
                }
                if (r == 0)
                        r = radix_sort(key, ids, n);
                free(key);
        }
        for (size_t i = 0; r == 0 && i < n; i++)
                empty[ids[i]] = ix->syms[ids[i]].name[0] == '\0';
        size_t w = 0;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (!empty[i])
                        ix->syms[w++] = ix->syms[i];
        if (r == 0)
                ix->nsyms = w;
        free(ids);
        free(empty);
        return r;
}

static int range_build(struct si_index *ix, struct si_range *r, uint64_t first, uint64_t end)
{
        for (size_t i = 0; i < ix->nsyms; i++) {
                uint64_t t = ix->syms[i].pos / 2;
                if (t < first || t >= end)
                        continue;
                r->nall++;
                if (ix->syms[i].size)
                        r->nsz++;
                else
                        r->nzl++;
        }
        size_t na = r->nall ? r->nall : 1, ns = r->nsz ? r->nsz : 1, nz = r->nzl ? r->nzl : 1;
        r->all = malloc(na * sizeof(*r->all));
        r->all_val = malloc(na * sizeof(*r->all_val));
        r->pmw = malloc(na * sizeof(*r->pmw));
        r->sz = malloc(ns * sizeof(*r->sz));
        r->sz_val = malloc(ns * sizeof(*r->sz_val));
        r->sz_end = malloc(ns * sizeof(*r->sz_end));
        r->sz_pm = malloc(ns * sizeof(*r->sz_pm));
        r->sz_pg = malloc(ns * sizeof(*r->sz_pg));
        r->zl = malloc(nz * sizeof(*r->zl));
        r->zl_val = malloc(nz * sizeof(*r->zl_val));
        int64_t *stack = malloc(ns * sizeof(*stack));
        if (!r->all || !r->all_val || !r->pmw || !r->sz || !r->sz_val || !r->sz_end || !r->sz_pm || !r->sz_pg ||
            !r->zl || !r->zl_val || !stack) {
                free(stack);
                return -ENOMEM;
        }
        size_t a = 0;
        for (size_t i = 0; i < ix->nsyms; i++) {
                uint64_t t = ix->syms[i].pos / 2;
                if (t >= first && t < end)
                        r->all[a++] = (uint32_t)i;
        }
        if (sort_by_value(ix, r->all, r->nall) < 0) {
                free(stack);
                return -ENOMEM;
        }
        /* one sorted pass splits the symbols with and without size */
        uint64_t m = 0, ms = 0;
        size_t s = 0, z = 0, top = 0;   /* stack: candidates for pg, ends decreasing */
        for (size_t i = 0; i < r->nall; i++) {
                const struct si_sym *y = &ix->syms[r->all[i]];
                uint64_t e = y->value + y->size;   /* wraps like libdwfl's sum */
                if (e > m)
                        m = e;
                r->all_val[i] = y->value;
                r->pmw[i] = m;
                if (!y->size) {
                        r->zl[z] = r->all[i];
                        r->zl_val[z++] = y->value;
                        continue;
                }
                uint64_t se = e < y->value ? UINT64_MAX : e;
                r->sz[s] = r->all[i];
                r->sz_val[s] = y->value;
                r->sz_end[s] = se;
                if (se > ms)
                        ms = se;
                r->sz_pm[s] = ms;
                while (top > 0 && r->sz_end[stack[top - 1]] <= se)
                        top--;
                r->sz_pg[s] = top ? stack[top - 1] : -1;
                stack[top++] = (int64_t)s;
                s++;
        }
        free(stack);
        return 0;
}

static void range_free(struct si_range *r)
{
        free(r->all);
        free(r->all_val);
        free(r->pmw);
        free(r->sz);
        free(r->sz_val);
        free(r->sz_end);
        free(r->sz_pm);
        free(r->sz_pg);
        free(r->zl);
        free(r->zl_val);
}

void si_free(struct si_index *ix)
{
        if (!ix)
                return;
        range_free(&ix->r[0]);
        range_free(&ix->r[1]);
        free(ix->syms);
        free(ix->secs);
        free(ix);
}

size_t si_count(const struct si_index *ix)
{
        return ix ? ix->nsyms : 0;
}

int si_build(Dwfl_Module *mod, struct si_index **ret)
{
        GElf_Addr bias = 0;
        Elf *elf = dwfl_module_getelf(mod, &bias);
        GElf_Ehdr eh;
        if (elf && gelf_getehdr(elf, &eh) && eh.e_type == ET_REL) {
                *ret = NULL;
                return 0;
        }
        /* only ppc64's libdwfl backend resolves function descriptors, the
         * case in which libdwfl also tries a symbol's plain st_value */
        bool descriptors = elf && gelf_getehdr(elf, &eh) && eh.e_machine == EM_PPC64;
        struct si_index *ix = calloc(1, sizeof(*ix));
        if (!ix)
                return -ENOMEM;
        int r = 0;
        int syments = dwfl_module_getsymtab(mod);
        int first_global = syments > 0 ? dwfl_module_getsymtab_first_global(mod) : -1;
        if (syments > 0 && first_global >= 0) {
                /* at most one entry per symbol (two with descriptors) */
                if (au_grow(&ix->syms, &ix->cap, (size_t)syments * (descriptors ? 2 : 1), sizeof(*ix->syms)) < 0) {
                        si_free(ix);
                        return -ENOMEM;
                }
                for (int i = 1; i < syments && r >= 0; i++) {
                        GElf_Sym sym;
                        GElf_Addr value = 0;
                        GElf_Word shndx = 0;
                        Elf *symelf = NULL;
                        Dwarf_Addr symbias = 0;
                        const char *name = dwfl_module_getsym_info(mod, i, &sym, &value, &shndx, &symelf, &symbias);
                        int type = GELF_ST_TYPE(sym.st_info);
                        /* search_table's filter; "value <= addr" is the lookup's */
                        /* empty names go later, read in string table order */
                        if (!name || sym.st_name == 0 || sym.st_shndx == SHN_UNDEF || type == STT_SECTION ||
                            type == STT_FILE || type == STT_TLS)
                                continue;
                        struct si_sym s = { .value = value, .size = sym.st_size, .name = name,
                                            .pos = 2 * (uint64_t)i, .bind = binding_value(&sym),
                                            .special = shndx >= SHN_LORESERVE };
                        r = add_sym(ix, &s);
                        if (r < 0 || !descriptors)
                                continue;
                        /* a resolved descriptor: the symbol is also tried at its
                         * adjusted st_value */
                        bool plain = sym.st_shndx == SHN_ABS || sym.st_shndx == SHN_COMMON ||
                                     shndx == (GElf_Word)-1;
                        uint64_t adjusted = sym.st_value + symbias;
                        if (!plain && value != adjusted) {
                                s.value = adjusted;
                                s.pos++;
                                r = add_sym(ix, &s);
                        }
                }
                if (r >= 0)
                        r = drop_unnamed(ix);
                /* first_global == 0: only a .dynsym found through the program
                 * headers, all of it one pass */
                uint64_t g = first_global == 0 ? 1 : (uint64_t)first_global;
                ix->locals = first_global > 1;
                if (r >= 0)
                        r = range_build(ix, &ix->r[0], g, (uint64_t)syments);
                if (r >= 0)
                        r = range_build(ix, &ix->r[1], 1, ix->locals ? (uint64_t)first_global : 1);
        } else {
                r = range_build(ix, &ix->r[0], 1, 1);
                if (r >= 0)
                        r = range_build(ix, &ix->r[1], 1, 1);
        }
        if (r >= 0 && elf)
                r = load_sections(ix, elf, bias);
        if (r < 0) {
                si_free(ix);
                return r;
        }
        *ret = ix;
        return 0;
}

/* ---- lookup ------------------------------------------------------------ */

/* number of elements of v[0..n) that are <= a */
static size_t upper(const uint64_t *v, size_t n, uint64_t a)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (v[mid] <= a)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Among the sized symbols of r that cover addr, the one libdwfl's scan
 * keeps (try_sym_value's two replacement rules, in table order). Returns
 * its id or -1. */
static int64_t covering(const struct si_index *ix, const struct si_range *r, uint64_t addr)
{
        int64_t best = -1;
        size_t k = upper(r->sz_val, r->nsz, addr);
        /* the covering symbols, walked from the highest start down; a
         * symbol that ends before addr lets the walk skip every symbol
         * in between that ends no later (pg) */
        int64_t i = (int64_t)k - 1;
        /* candidates are few; their table order decides, so collect them */
        uint32_t small[64], *c = small;
        size_t n = 0, cap = 64;
        while (i >= 0 && r->sz_pm[i] > addr) {
                if (r->sz_end[i] > addr) {
                        if (n == cap) {
                                uint32_t *bigger = malloc(2 * cap * sizeof(*bigger));
                                if (!bigger) {
                                        if (c != small)
                                                free(c);
                                        return -2;
                                }
                                memcpy(bigger, c, n * sizeof(*c));
                                if (c != small)
                                        free(c);
                                c = bigger;
                                cap *= 2;
                        }
                        c[n++] = r->sz[i];
                        i--;
                } else
                        i = r->sz_pg[i];
        }
        /* table order: insertion sort on pos, n is small */
        for (size_t a = 1; a < n; a++) {
                uint32_t v = c[a];
                size_t b = a;
                while (b > 0 && ix->syms[c[b - 1]].pos > ix->syms[v].pos) {
                        c[b] = c[b - 1];
                        b--;
                }
                c[b] = v;
        }
        for (size_t a = 0; a < n; a++) {
                const struct si_sym *s = &ix->syms[c[a]];
                if (best < 0) {
                        best = c[a];
                        continue;
                }
                const struct si_sym *b = &ix->syms[best];
                if (b->value < s->value || b->bind < s->bind)
                        best = c[a];
                else if (b->value == s->value && ((b->size > s->size && b->bind <= s->bind) ||
                                                  (b->size >= s->size && b->bind < s->bind)))
                        best = c[a];
        }
        if (c != small)
                free(c);
        return best;
}

/* the running maximum of value + size over r's symbols at or below addr
 * (libdwfl's min_label after the pass), 0 when none */
static uint64_t label_floor(const struct si_range *r, uint64_t addr)
{
        size_t k = upper(r->all_val, r->nall, addr);
        return k ? r->pmw[k - 1] : 0;
}

static bool same_section(const struct si_index *ix, const struct si_sym *s, uint64_t addr)
{
        if (s->special)
                return s->value == addr;
        return section_of(ix, addr) == section_of(ix, s->value);
}

/* The sizeless symbol of r the scan would end with when it is usable: at
 * exactly m (the end of everything below addr), in addr's section, the
 * last such in table order. Returns its id or -1. */
static int64_t label_at(const struct si_index *ix, const struct si_range *r, uint64_t m, uint64_t addr)
{
        size_t lo = 0, hi = r->nzl;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (r->zl_val[mid] < m)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        int64_t best = -1;
        for (size_t i = lo; i < r->nzl && r->zl_val[i] == m; i++) {
                const struct si_sym *s = &ix->syms[r->zl[i]];
                if (s->value > addr || !same_section(ix, s, addr))
                        continue;
                if (best < 0 || ix->syms[best].pos < s->pos)
                        best = r->zl[i];
        }
        return best;
}

/* Why label_at is enough: a sizeless symbol is taken during the scan only
 * while no sized one has covered addr, only when no symbol seen before it
 * ends above it, and the last one taken is used only when it also lies at
 * or above the end of every symbol scanned (min_label). Once one at that
 * final maximum m has been taken, a later one can only be taken at m too;
 * so the answer is the last one at m in the same section, or none. */
int si_lookup(const struct si_index *ix, uint64_t addr, const char **ret_name, uint32_t *ret_sym)
{
        if (!ix)
                return 0;
        int64_t id = covering(ix, &ix->r[0], addr);
        if (id == -2)
                return -ENOMEM;
        if (id < 0) {
                uint64_t mg = label_floor(&ix->r[0], addr);
                int64_t zg = label_at(ix, &ix->r[0], mg, addr);
                /* the locals are searched unless a global label sits at addr */
                if (ix->locals && !(zg >= 0 && mg == addr)) {
                        id = covering(ix, &ix->r[1], addr);
                        if (id == -2)
                                return -ENOMEM;
                        if (id < 0) {
                                uint64_t ml = label_floor(&ix->r[1], addr);
                                uint64_t m = ml > mg ? ml : mg;
                                id = label_at(ix, &ix->r[1], m, addr);
                                if (id < 0)
                                        id = label_at(ix, &ix->r[0], m, addr);
                        }
                } else
                        id = zg;
        }
        if (id < 0)
                return 0;
        *ret_name = ix->syms[id].name;
        *ret_sym = (uint32_t)id;
        return 1;
}
