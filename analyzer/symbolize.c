/* Symbolizer on elfutils libdwfl; see symbolize.h. */
#include "symbolize.h"
#include "symfiles.h"
#include "symindex.h"

#include <ctype.h>
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

#define SYM_MAX_OPEN_MODULES 512

struct load_seg {
        uint64_t offset, filesz, vaddr;
};

struct sym_module {
        char *path;
        const char *base;      /* basename of path */
        bool opened, failed, alloc_lib;
        Dwfl *dwfl;
        Dwfl_Module *mod;
        struct load_seg *segs;
        size_t nsegs;
        /* its separate debug file (libdwfl's userdata: stable address) */
        struct sf_module *sf;
        unsigned long addresses;   /* distinct addresses resolved in it */
        /* the symbol table, indexed on first use (NULL for ET_REL: libdwfl) */
        struct si_index *six;
        bool six_built;
        uint32_t *six_names;   /* per indexed symbol: pool id of its name + 1 */
        /* cache: vaddr -> result index + 1 */
        uint64_t *keys;
        uint32_t *vals;
        size_t nslots, nused;
        /* DWARF: CU DIE offset -> index in cus + 1 */
        uint64_t *cukeys;
        uint32_t *cuvals;
        size_t cunslots, cunused;
        struct cu_index *cus;
        size_t ncus, cap_cus;
        /* DIE offset -> function name id + 1 */
        uint64_t *nkeys;
        uint32_t *nvals;
        size_t nnslots, nnused;
        /* DIE offset -> index in kidsets + 1: the code-holding children of a
         * function or block, sorted by address */
        uint64_t *kkeys;
        uint32_t *kvals;
        size_t knslots, knused;
        struct kidset { size_t first, n; } *kidsets;
        size_t nkidsets, cap_kidsets;
        struct kid { uint64_t lo, hi; Dwarf_Die die; } *kids;
        size_t nkids, cap_kids;
};

/* The concrete functions of one compile unit, sorted by address, and the
 * namespace of every subprogram DIE outside classes (declarations included),
 * built by one walk over the unit the first time one of its addresses is
 * looked up. dwarf_getscopes would walk the unit again for every address,
 * which is what makes large C++ programs slow. */
struct cu_func {
        uint64_t lo, hi;
        Dwarf_Die die;
};

/* a namespace around declarations: its name and the namespace around it */
struct cu_scope {
        const char *name;     /* in libdw's string data */
        int32_t parent;       /* index in cu_index.scopes, -1 at unit level */
};

struct cu_index {
        struct cu_func *f;
        size_t n, cap;
        struct cu_scope *scopes;
        size_t nscopes, cap_scopes;
        /* subprogram DIE offset -> scope index + 1 */
        uint64_t *pkeys;
        uint32_t *pvals;
        size_t pnslots, pnused;
};

struct sym_ctx {
        struct au_strpool *pool;
        struct au_strpool paths;       /* module path -> module index */
        struct sym_module *mods;
        size_t nmods, cap_mods;
        struct sym_result *results;
        size_t nresults, cap_results;
        uint32_t *names;
        size_t nnames, cap_names;
        /* raw addresses outside every mapping: addr -> result index + 1 */
        uint64_t *ukeys;
        uint32_t *uvals;
        size_t unslots, unused;
        void *cxx;                     /* dlopen handle of libstdc++ */
        demangle_fn demangle;
        bool demangle_tried;
        unsigned nopened;
        char *debuginfo_path;
        Dwfl_Callbacks cb;
        struct sf_ctx files;
        unsigned long lookups;
};

struct space_map {
        uint64_t start, end, offset;
        size_t mod;
};

struct sym_space {
        struct sym_ctx *c;
        struct space_map *maps;  /* sorted by start */
        size_t nmaps;
};

static int cache_find(uint64_t **keys, uint32_t **vals, size_t *nslots, size_t *nused,
                      uint64_t key, uint32_t **ret_slot);

/* ---- names ------------------------------------------------------------- */

/* delete s[a..b) in place */
static void cut(char *s, size_t a, size_t b)
{
        memmove(s + a, s + b, strlen(s + b) + 1);
}

/* Remove the argument lists: every '(' outside template arguments with
 * everything up to its matching ')' and a "const" after it, like jeprof's
 * `while (s/\([^()]*\)(\s*const)?//g) {}` (so "(anonymous namespace)" and
 * the "()" of "operator()" go too), but parentheses inside template
 * arguments ("std::function<void (int)>") stay. */
static void strip_arguments(char *s)
{
        unsigned td = 0;
        for (size_t i = 0; s[i];) {
                size_t op = au_operator_len(s, i);
                if (op) {
                        i += op;
                        continue;
                }
                if (s[i] == '<') {
                        td++;
                } else if (s[i] == '>' && td > 0) {
                        td--;
                } else if (s[i] == '(' && td == 0) {
                        unsigned pd = 0;
                        size_t j = i;
                        for (; s[j]; j++)
                                if (s[j] == '(')
                                        pd++;
                                else if (s[j] == ')' && --pd == 0)
                                        break;
                        if (!s[j])
                                return;         /* unbalanced: leave the rest */
                        size_t end = j + 1, k = end;
                        while (isspace((unsigned char)s[k]))
                                k++;
                        if (strncmp(s + k, "const", 5) == 0)
                                end = k + 5;
                        cut(s, i, end);
                        continue;
                }
                i++;
        }
}

/* Drop a leading return type: cut up to the last blank outside template
 * arguments that is followed by "word::" (jeprof's s/^.*\s+(\w+::)/$1/,
 * also when the word has template arguments: "Shard<4>::append"), or by a
 * function template's own name and nothing else ("void grow<Widget>"). */
static void strip_return_type(char *s)
{
        size_t n = strlen(s), cut_at = SIZE_MAX;
        unsigned td = 0;
        for (size_t i = 0; i < n; i++) {
                size_t op = au_operator_len(s, i);
                if (op) {
                        i += op - 1;
                        continue;
                }
                if (s[i] == '<') {
                        td++;
                        continue;
                }
                if (s[i] == '>') {
                        if (td)
                                td--;
                        continue;
                }
                if (td || !isspace((unsigned char)s[i]))
                        continue;
                size_t k = i + 1;
                while (isalnum((unsigned char)s[k]) || s[k] == '_')
                        k++;
                if (k == i + 1)
                        continue;
                size_t p = k;
                /* "bool operator< <int>": an operator template's name */
                size_t op2 = au_operator_len(s, i + 1);
                if (op2) {
                        p = i + 1 + op2;
                        while (s[p] == ' ')
                                p++;
                }
                bool templ = s[p] == '<';
                if (templ && (p = au_close_bracket(s, p)) != SIZE_MAX)
                        p++;
                if (p == SIZE_MAX)
                        continue;
                bool after_operator = i >= 8 && strncmp(s + i - 8, "operator", 8) == 0;
                if ((s[p] == ':' && s[p + 1] == ':') || (templ && !s[p] && !after_operator))
                        cut_at = i + 1;
        }
        if (cut_at != SIZE_MAX)
                cut(s, 0, cut_at);
}

char *sym_short_name(const char *name)
{
        char *s = strdup(name);
        if (!s)
                return NULL;
        strip_arguments(s);
        strip_return_type(s);
        return s;
}

bool sym_is_alloc_name(const char *n)
{
        /* glibc's internal aliases (__GI___libc_malloc) and the
         * sanitizers' interceptors (__interceptor_malloc) */
        if (strncmp(n, "__GI_", 5) == 0)
                n += 5;
        else if (strncmp(n, "__interceptor_", 14) == 0)
                n += 14;
        static const char *const exact[] = {
                "calloc", "cfree", "malloc", "newImpl", "void* newImpl", "free", "memalign",
                "posix_memalign", "aligned_alloc", "pvalloc", "valloc", "realloc", "reallocarray",
                "mallocx", "rallocx", "xallocx", "dallocx", "sdallocx", "sdallocx_noflags",
                "malloc_default", "operator new", "operator new[]",
                /* a statically linked jemalloc's own entry helpers, which its
                 * public functions reach by tail calls */
                "do_rallocx", "a0ialloc", "malloc_init_hard", "imalloc", "ialloc",
                "__libc_malloc", "__libc_calloc", "__libc_realloc", "__libc_memalign",
                "__builtin_new", "__builtin_vec_new", "do_malloc",
                "tc_malloc", "tc_calloc", "tc_realloc", "tc_memalign", "tc_new", "tc_newarray",
        };
        for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
                if (strcmp(n, exact[i]) == 0)
                        return true;
        return strncmp(n, "je_", 3) == 0 || strncmp(n, "_rjem_", 6) == 0 ||
               strncmp(n, "prof_", 5) == 0 || strncmp(n, "imalloc", 7) == 0;
}

static bool is_alloc_lib(const char *base)
{
        return strncmp(base, "libjemalloc", 11) == 0 || strncmp(base, "libtcmalloc", 11) == 0;
}

static void load_demangler(struct sym_ctx *c)
{
        if (c->demangle_tried)
                return;
        c->demangle_tried = true;
        /* already in the process (a C++ host)? */
        c->demangle = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
        if (c->demangle)
                return;
        c->cxx = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        if (c->cxx)
                c->demangle = (demangle_fn)dlsym(c->cxx, "__cxa_demangle");
}

/* demangle (if mangled) and shorten; returns a pool id or -ENOMEM */
static int64_t intern_func(struct sym_ctx *c, const char *raw)
{
        char *dem = NULL;
        if (raw[0] == '_' && raw[1] == 'Z') {
                load_demangler(c);
                if (c->demangle) {
                        int status = 0;
                        dem = c->demangle(raw, NULL, NULL, &status);
                        if (status != 0) {
                                free(dem);
                                dem = NULL;
                        }
                }
        }
        char *shortn = sym_short_name(dem ? dem : raw);
        free(dem);
        if (!shortn)
                return -ENOMEM;
        /* a name made only of removed groups: keep the original */
        int64_t id = au_intern(c->pool, shortn[0] ? shortn : raw);
        free(shortn);
        return id;
}

/* ---- context --------------------------------------------------------------- */

int sym_ctx_new(struct au_strpool *pool, struct sym_ctx **ret)
{
        struct sym_ctx *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->pool = pool;
        au_strpool_init(&c->paths);
        c->cb.find_elf = dwfl_build_id_find_elf;
        c->cb.find_debuginfo = sf_find_debuginfo;
        c->cb.section_address = dwfl_offline_section_address;
        c->cb.debuginfo_path = &c->debuginfo_path;   /* NULL: the default search */
        *ret = c;
        return 0;
}

static void module_close(struct sym_module *m)
{
        if (m->dwfl)
                dwfl_end(m->dwfl);
        if (m->sf) {
                sf_module_free(m->sf);
                free(m->sf);
        }
        free(m->segs);
        si_free(m->six);
        free(m->six_names);
        free(m->keys);
        free(m->vals);
        for (size_t i = 0; i < m->ncus; i++) {
                free(m->cus[i].f);
                free(m->cus[i].scopes);
                free(m->cus[i].pkeys);
                free(m->cus[i].pvals);
        }
        free(m->cus);
        free(m->cukeys);
        free(m->cuvals);
        free(m->nkeys);
        free(m->nvals);
        free(m->kkeys);
        free(m->kvals);
        free(m->kidsets);
        free(m->kids);
        free(m->path);
}

void sym_ctx_free(struct sym_ctx *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->nmods; i++)
                module_close(&c->mods[i]);
        free(c->mods);
        au_strpool_free(&c->paths);
        free(c->results);
        free(c->names);
        free(c->ukeys);
        free(c->uvals);
        if (c->cxx)
                dlclose(c->cxx);
        sf_ctx_free(&c->files);
        free(c);
}

const uint32_t *sym_names(const struct sym_ctx *c)
{
        return c->names;
}

void sym_ctx_set_files(struct sym_ctx *c, const char *cache_dir, uint64_t cache_max, bool debuginfod,
                       unsigned debuginfod_ms, const char *const *debuginfod_only)
{
        c->files.only = debuginfod_only;
        c->files.cache_dir = cache_dir;
        c->files.cache_max = cache_max;
        c->files.debuginfod = debuginfod;
        if (debuginfod && debuginfod_ms) {
                struct timespec t;
                clock_gettime(CLOCK_MONOTONIC, &t);
                c->files.deadline_ms = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + debuginfod_ms;
        }
}

int sym_cache_store(struct sym_ctx *c)
{
        int n = 0;
        for (size_t i = 0; i < c->nmods; i++) {
                struct sym_module *m = &c->mods[i];
                if (m->sf && m->mod && sf_cache_store(m->sf, m->mod) > 0)
                        n++;
        }
        return n;
}

size_t sym_module_count(const struct sym_ctx *c)
{
        return c->nmods;
}

void sym_module_info(const struct sym_ctx *c, uint32_t mod, struct sym_module_info *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (mod >= c->nmods)
                return;
        const struct sym_module *m = &c->mods[mod];
        ret->path = m->path;
        ret->addresses = m->addresses;
        ret->readable = m->opened && !m->failed;
        if (m->sf) {
                ret->debug_file = m->sf->source;
                ret->debuginfod = (int)m->sf->debuginfod;
        }
}

const char *sym_str(const struct sym_ctx *c, uint32_t id)
{
        return au_str(c->pool, id);
}

void sym_stats(const struct sym_ctx *c, unsigned *ret_modules, unsigned long *ret_lookups)
{
        unsigned n = 0;
        for (size_t i = 0; i < c->nmods; i++)
                n += c->mods[i].opened && !c->mods[i].failed;
        if (ret_modules)
                *ret_modules = n;
        if (ret_lookups)
                *ret_lookups = c->lookups;
}

static int64_t module_get(struct sym_ctx *c, const char *path)
{
        int64_t id = au_intern(&c->paths, path);
        if (id < 0)
                return id;
        if ((size_t)id < c->nmods)
                return id;
        if (au_grow(&c->mods, &c->cap_mods, c->nmods + 1, sizeof(*c->mods)) < 0)
                return -ENOMEM;
        struct sym_module *m = &c->mods[c->nmods];
        memset(m, 0, sizeof(*m));
        m->path = strdup(path);
        if (!m->path)
                return -ENOMEM;
        const char *b = strrchr(m->path, '/');
        m->base = b ? b + 1 : m->path;
        m->alloc_lib = is_alloc_lib(m->base);
        return (int64_t)c->nmods++;
}

/* Open the module's ELF in its own libdwfl session, at link-time addresses.
 * Failure is not an error: the module's frames get "module+0xOFF" names. */
static void module_open(struct sym_ctx *c, struct sym_module *m)
{
        m->opened = true;
        m->failed = true;
        /* the path comes from the dump: only a regular file is read, and
         * opening a FIFO or a device must not block */
        int fd = open(m->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return;
        }
        m->dwfl = dwfl_begin(&c->cb);
        if (!m->dwfl) {
                close(fd);
                return;
        }
        dwfl_report_begin(m->dwfl);
        /* base 0 relative to p_vaddr: module addresses are ELF vaddrs.
         * libdwfl owns fd from here on. */
        m->mod = dwfl_report_elf(m->dwfl, m->base, m->path, fd, 0, true);
        dwfl_report_end(m->dwfl, NULL, NULL);
        if (!m->mod)
                return;
        /* the debug-file callback's per-module state */
        void **ud = NULL;
        if (!(m->sf = calloc(1, sizeof(*m->sf))))
                return;
        m->sf->ctx = &c->files;
        dwfl_module_info(m->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
        if (ud)
                *ud = m->sf;
        GElf_Addr bias = 0;
        Elf *elf = dwfl_module_getelf(m->mod, &bias);
        if (!elf)
                return;
        size_t nph;
        if (elf_getphdrnum(elf, &nph) != 0)
                return;
        for (size_t i = 0; i < nph; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
                        continue;
                size_t cap = m->nsegs;
                if (au_grow(&m->segs, &cap, m->nsegs + 1, sizeof(*m->segs)) < 0)
                        return;
                m->segs[m->nsegs++] = (struct load_seg){ ph.p_offset, ph.p_filesz, ph.p_vaddr + bias };
        }
        m->failed = m->nsegs == 0;
}

/* file offset -> module address, or false when no PT_LOAD covers it */
static bool module_vaddr(const struct sym_module *m, uint64_t foff, uint64_t *ret)
{
        for (size_t i = 0; i < m->nsegs; i++) {
                const struct load_seg *s = &m->segs[i];
                if (foff >= s->offset && foff - s->offset < s->filesz) {
                        *ret = s->vaddr + (foff - s->offset);
                        return true;
                }
        }
        return false;
}

/* ---- address cache ------------------------------------------------------- */

static int cache_find(uint64_t **keys, uint32_t **vals, size_t *nslots, size_t *nused,
                      uint64_t key, uint32_t **ret_slot)
{
        if ((*nused + 1) * 2 > *nslots) {
                size_t ns = *nslots ? *nslots * 2 : 1024;
                uint64_t *k = calloc(ns, sizeof(*k));
                uint32_t *v = calloc(ns, sizeof(*v));
                if (!k || !v) {
                        free(k);
                        free(v);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < *nslots; i++) {
                        if (!(*vals)[i])
                                continue;
                        size_t j = au_hash_u64((*keys)[i]) & (ns - 1);
                        while (v[j])
                                j = (j + 1) & (ns - 1);
                        k[j] = (*keys)[i];
                        v[j] = (*vals)[i];
                }
                free(*keys);
                free(*vals);
                *keys = k;
                *vals = v;
                *nslots = ns;
        }
        size_t j = au_hash_u64(key) & (*nslots - 1);
        while ((*vals)[j] && (*keys)[j] != key)
                j = (j + 1) & (*nslots - 1);
        if (!(*vals)[j]) {
                (*keys)[j] = key;
                (*nused)++;
        }
        *ret_slot = &(*vals)[j];
        return 0;
}

static int push_name(struct sym_ctx *c, int64_t id)
{
        if (id < 0)
                return (int)id;
        if (au_grow(&c->names, &c->cap_names, c->nnames + 1, sizeof(*c->names)) < 0)
                return -ENOMEM;
        c->names[c->nnames++] = (uint32_t)id;
        return 0;
}

/* ---- DWARF function index ------------------------------------------------ */

static int prefix_put(struct cu_index *ci, Dwarf_Die *die, int32_t scope)
{
        if (scope < 0)
                return 0;
        uint32_t *slot;
        int r = cache_find(&ci->pkeys, &ci->pvals, &ci->pnslots, &ci->pnused, dwarf_dieoffset(die), &slot);
        if (r < 0)
                return r;
        *slot = (uint32_t)scope + 1;
        return 0;
}

static int cu_walk(struct cu_index *ci, Dwarf_Die *parent, int32_t scope, unsigned depth)
{
        Dwarf_Die child;
        if (depth > 64 || dwarf_child(parent, &child) != 0)
                return 0;
        int r = 0;
        do {
                int tag = dwarf_tag(&child);
                switch (tag) {
                case DW_TAG_class_type:
                case DW_TAG_structure_type:
                case DW_TAG_union_type:
                        /* classes hold declarations, not code, and their
                         * member functions carry linkage names; skipping
                         * them is most of the walk in C++ units */
                        break;
                case DW_TAG_namespace: {
                        const char *n = dwarf_diename(&child);
                        if (ci->nscopes >= INT32_MAX ||
                            au_grow(&ci->scopes, &ci->cap_scopes, ci->nscopes + 1, sizeof(*ci->scopes)) < 0)
                                return -ENOMEM;
                        ci->scopes[ci->nscopes] = (struct cu_scope){ n ? n : "(anonymous namespace)", scope };
                        int32_t inner = (int32_t)ci->nscopes++;
                        r = cu_walk(ci, &child, inner, depth + 1);
                        break;
                }
                case DW_TAG_subprogram: {
                        if ((r = prefix_put(ci, &child, scope)) < 0)
                                return r;
                        Dwarf_Addr base, lo, hi;
                        ptrdiff_t off = 0;
                        while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0) {
                                if (hi <= lo)
                                        continue;
                                if (au_grow(&ci->f, &ci->cap, ci->n + 1, sizeof(*ci->f)) < 0)
                                        return -ENOMEM;
                                ci->f[ci->n++] = (struct cu_func){ lo, hi, child };
                        }
                        /* function bodies are not walked: out-of-line
                         * instances of local classes' methods sit at unit
                         * level, and GNU C nested functions are rare enough
                         * to be named after their container */
                        break;
                }
                default:
                        break;
                }
                if (r < 0)
                        return r;
        } while (dwarf_siblingof(&child, &child) == 0);
        return 0;
}

/* "outer::inner::name" for a name declared in scope */
static char *qualify(const struct cu_index *ci, int32_t scope, const char *name)
{
        size_t len = strlen(name) + 1;
        unsigned depth = 0;
        for (int32_t k = scope; k >= 0 && depth < 64; k = ci->scopes[k].parent, depth++)
                len += strlen(ci->scopes[k].name) + 2;
        char *q = malloc(len);
        if (!q)
                return NULL;
        size_t pos = len - 1;
        q[pos] = '\0';
        size_t nl = strlen(name);
        pos -= nl;
        memcpy(q + pos, name, nl);
        depth = 0;
        for (int32_t k = scope; k >= 0 && depth < 64; k = ci->scopes[k].parent, depth++) {
                size_t sl = strlen(ci->scopes[k].name);
                pos -= 2;
                memcpy(q + pos, "::", 2);
                pos -= sl;
                memcpy(q + pos, ci->scopes[k].name, sl);
        }
        return q;
}

static int cmp_cu_func(const void *a, const void *b)
{
        const struct cu_func *x = a, *y = b;
        if (x->lo != y->lo)
                return x->lo < y->lo ? -1 : 1;
        /* the larger range first: the inner one comes later and wins */
        return x->hi > y->hi ? -1 : x->hi < y->hi;
}

static int cu_index_get(struct sym_module *m, Dwarf_Die *cu, struct cu_index **ret)
{
        uint32_t *slot;
        int r = cache_find(&m->cukeys, &m->cuvals, &m->cunslots, &m->cunused, dwarf_dieoffset(cu), &slot);
        if (r < 0)
                return r;
        if (*slot) {
                *ret = &m->cus[*slot - 1];
                return 0;
        }
        if (au_grow(&m->cus, &m->cap_cus, m->ncus + 1, sizeof(*m->cus)) < 0)
                return -ENOMEM;
        struct cu_index *ci = &m->cus[m->ncus];
        memset(ci, 0, sizeof(*ci));
        r = cu_walk(ci, cu, -1, 0);
        if (r < 0) {
                free(ci->f);
                free(ci->scopes);
                free(ci->pkeys);
                free(ci->pvals);
                return r;
        }
        if (ci->n)
                qsort(ci->f, ci->n, sizeof(*ci->f), cmp_cu_func);
        *slot = (uint32_t)++m->ncus;
        *ret = ci;
        return 0;
}

/* the concrete subprogram holding pc, or NULL */
static Dwarf_Die *cu_func_at(struct cu_index *ci, uint64_t pc)
{
        size_t lo = 0, hi = ci->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (ci->f[mid].lo <= pc)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        /* ranges nest rarely (nested functions); look back a little */
        for (size_t i = lo, k = 0; i-- > 0 && k < 16; k++)
                if (pc < ci->f[i].hi)
                        return &ci->f[i].die;
        return NULL;
}

static int cmp_kid(const void *a, const void *b)
{
        const struct kid *x = a, *y = b;
        return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The child of die (an inlined instance or a block) whose code holds pc:
 * returns 1 and *ret, 0 when none, or -ENOMEM. The children's ranges are
 * indexed once per DIE, so a function with thousands of inlined calls costs
 * a binary search per address instead of a walk. */
static int kid_at(struct sym_module *m, Dwarf_Die *die, uint64_t pc, Dwarf_Die *ret)
{
        uint32_t *slot;
        int r = cache_find(&m->kkeys, &m->kvals, &m->knslots, &m->knused, dwarf_dieoffset(die), &slot);
        if (r < 0)
                return r;
        if (!*slot) {
                size_t first = m->nkids;
                Dwarf_Die child;
                if (dwarf_child(die, &child) == 0) {
                        do {
                                int tag = dwarf_tag(&child);
                                if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block &&
                                    tag != DW_TAG_try_block && tag != DW_TAG_catch_block)
                                        continue;
                                Dwarf_Addr base, lo, hi;
                                ptrdiff_t off = 0;
                                while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0) {
                                        if (hi <= lo)
                                                continue;
                                        if (au_grow(&m->kids, &m->cap_kids, m->nkids + 1, sizeof(*m->kids)) < 0)
                                                return -ENOMEM;
                                        m->kids[m->nkids++] = (struct kid){ lo, hi, child };
                                }
                        } while (dwarf_siblingof(&child, &child) == 0);
                }
                if (au_grow(&m->kidsets, &m->cap_kidsets, m->nkidsets + 1, sizeof(*m->kidsets)) < 0)
                        return -ENOMEM;
                if (m->nkids > first)
                        qsort(m->kids + first, m->nkids - first, sizeof(*m->kids), cmp_kid);
                m->kidsets[m->nkidsets++] = (struct kidset){ first, m->nkids - first };
                /* the table may have grown meanwhile: look the slot up again */
                if ((r = cache_find(&m->kkeys, &m->kvals, &m->knslots, &m->knused, dwarf_dieoffset(die), &slot)) < 0)
                        return r;
                *slot = (uint32_t)m->nkidsets;
        }
        const struct kidset *ks = &m->kidsets[*slot - 1];
        const struct kid *k = m->kids + ks->first;
        size_t lo = 0, hi = ks->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (k[mid].lo <= pc)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo, n = 0; i-- > 0 && n < 8; n++) {
                if (pc < k[i].hi) {
                        *ret = k[i].die;
                        return 1;
                }
        }
        return 0;
}

#define INLINE_CHAIN_MAX 64

/* The inlined instances nested in the concrete function fn down to pc,
 * outermost first, into chain (at most INLINE_CHAIN_MAX), through the
 * indexes of kid_at. Returns their count or -ENOMEM. */
static int inline_chain(struct sym_module *m, Dwarf_Die *fn, uint64_t pc, Dwarf_Die *chain)
{
        Dwarf_Die cur = *fn;
        int n = 0;
        for (unsigned depth = 0; depth < 256; depth++) {
                Dwarf_Die child;
                int found = kid_at(m, &cur, pc, &child);
                if (found < 0)
                        return found;
                if (!found)
                        break;
                if (dwarf_tag(&child) == DW_TAG_inlined_subroutine && n < INLINE_CHAIN_MAX)
                        chain[n++] = child;
                cur = child;
        }
        return n;
}

/* Name of a function DIE as a pool id: its linkage name demangled, else
 * DW_AT_name qualified with the namespaces and classes around its
 * declaration. Cached per DIE. Returns the id, -ENOENT without a name, or
 * -ENOMEM. */
static int64_t die_func_id(struct sym_ctx *c, struct sym_module *m, struct cu_index *ci, Dwarf_Die *die)
{
        uint32_t *slot;
        int r = cache_find(&m->nkeys, &m->nvals, &m->nnslots, &m->nnused, dwarf_dieoffset(die), &slot);
        if (r < 0)
                return r;
        if (*slot)
                return (int64_t)*slot - 1;
        Dwarf_Attribute a;
        const char *s = NULL;
        int64_t id;
        if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
            dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
                s = dwarf_formstring(&a);
        if (s) {
                id = intern_func(c, s);
        } else {
                if (!dwarf_attr_integrate(die, DW_AT_name, &a) || !(s = dwarf_formstring(&a)))
                        return -ENOENT;
                /* the declaration: follow abstract_origin, then specification */
                Dwarf_Die decl = *die, tmp;
                for (int hop = 0; hop < 4; hop++) {
                        if (dwarf_attr(&decl, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, &tmp))
                                decl = tmp;
                        else if (dwarf_attr(&decl, DW_AT_specification, &a) && dwarf_formref_die(&a, &tmp))
                                decl = tmp;
                        else
                                break;
                }
                uint32_t *ps = NULL;
                if (ci->pnslots && (r = cache_find(&ci->pkeys, &ci->pvals, &ci->pnslots, &ci->pnused,
                                                   dwarf_dieoffset(&decl), &ps)) < 0)
                        return r;
                if (ps && *ps) {
                        char *q = qualify(ci, (int32_t)*ps - 1, s);
                        if (!q)
                                return -ENOMEM;
                        id = intern_func(c, q);
                        free(q);
                } else
                        id = intern_func(c, s);
        }
        if (id < 0)
                return id;
        /* cache_find may have rehashed the name table: look the slot up again */
        if ((r = cache_find(&m->nkeys, &m->nvals, &m->nnslots, &m->nnused, dwarf_dieoffset(die), &slot)) < 0)
                return r;
        *slot = (uint32_t)id + 1;
        return id;
}

/* the function name of the symbol table entry naming vaddr, without its
 * @VERSION suffix: *ret_id set to its pool id, or left alone when no
 * symbol names vaddr. Returns 0 or -ENOMEM. */
static int symtab_name(struct sym_ctx *c, struct sym_module *m, uint64_t vaddr, int64_t *ret_id)
{
        if (!m->six_built) {
                m->six_built = true;
                int e = si_build(m->mod, &m->six);
                if (e < 0)
                        return e;
                if (m->six && si_count(m->six) &&
                    !(m->six_names = calloc(si_count(m->six), sizeof(*m->six_names))))
                        return -ENOMEM;
        }
        const char *symname = NULL;
        uint32_t sid = UINT32_MAX;
        if (m->six) {
                int f = si_lookup(m->six, vaddr, &symname, &sid);
                if (f < 0)
                        return f;
                if (f == 0)
                        return 0;
                if (m->six_names[sid]) {
                        *ret_id = (int64_t)m->six_names[sid] - 1;
                        return 0;
                }
        } else {
                GElf_Off off = 0;
                GElf_Sym sym;
                symname = dwfl_module_addrinfo(m->mod, vaddr, &off, &sym, NULL, NULL, NULL);
                if (!symname)
                        return 0;
        }
        int64_t id;
        const char *at = strchr(symname, '@');
        if (at && at != symname) {
                char *copy = strndup(symname, (size_t)(at - symname));
                id = copy ? intern_func(c, copy) : -ENOMEM;
                free(copy);
        } else
                id = intern_func(c, symname);
        if (id < 0)
                return (int)id;
        if (sid != UINT32_MAX)
                m->six_names[sid] = (uint32_t)id + 1;
        *ret_id = id;
        return 0;
}

/* Resolve vaddr in module m into a new result. */
static int resolve(struct sym_ctx *c, struct sym_module *m, uint64_t vaddr, struct sym_result *r)
{
        c->lookups++;
        r->first = (uint32_t)c->nnames;
        r->n = 0;
        r->mod = (uint32_t)(m - c->mods);
        r->vaddr = vaddr;
        r->has_loc = false;
        r->alloc = m->alloc_lib;
        int e;
        int64_t physical_id = -ENOENT;

        Dwarf_Addr cubias = 0;
        Dwarf_Die *cu = dwfl_module_addrdie(m->mod, vaddr, &cubias);
        if (cu) {
                /* like addr2line -i: the concrete function holding the PC,
                 * then the inlined instances nested in it down to the PC;
                 * names innermost first */
                struct cu_index *ci;
                if ((e = cu_index_get(m, cu, &ci)) < 0)
                        return e;
                uint64_t pc = vaddr - cubias;
                Dwarf_Die *fn = cu_func_at(ci, pc);
                if (fn) {
                        Dwarf_Die chain[INLINE_CHAIN_MAX];
                        int nchain = inline_chain(m, fn, pc, chain);
                        if (nchain < 0)
                                return nchain;
                        while (nchain-- > 0) {
                                int64_t id = die_func_id(c, m, ci, &chain[nchain]);
                                if (id == -ENOMEM || (id >= 0 && (e = push_name(c, id)) < 0))
                                        return -ENOMEM;
                        }
                        physical_id = die_func_id(c, m, ci, fn);
                }
                r->has_loc = true;      /* file:line on demand: sym_location */
        }
        /* like addr2line, DWARF names the physical function; the symbol
         * table (without its @VERSION suffix) when there is no DWARF */
        if (physical_id == -ENOMEM)
                return -ENOMEM;
        /* the symbol table only without DWARF */
        if (physical_id < 0 && (e = symtab_name(c, m, vaddr, &physical_id)) < 0)
                return e;
        if (physical_id >= 0) {
                if ((e = push_name(c, physical_id)) < 0)
                        return e;
                if (sym_is_alloc_name(au_str(c->pool, (uint32_t)physical_id)))
                        r->alloc = true;
        } else {
                char buf[64];
                snprintf(buf, sizeof(buf), "+0x%" PRIx64, vaddr);
                char *n = NULL;
                r->unnamed = true;
                if (asprintf(&n, "%s%s", m->base, buf) < 0)
                        return -ENOMEM;
                e = push_name(c, au_intern(c->pool, n));
                free(n);
                if (e < 0)
                        return e;
        }
        r->n = (uint32_t)(c->nnames - r->first);
        return 0;
}

static int add_result(struct sym_ctx *c, const struct sym_result *r, uint32_t *slot)
{
        if (au_grow(&c->results, &c->cap_results, c->nresults + 1, sizeof(*c->results)) < 0)
                return -ENOMEM;
        c->results[c->nresults++] = *r;
        *slot = (uint32_t)c->nresults;
        return 0;
}

/* ---- address spaces ------------------------------------------------------- */

static int cmp_map(const void *a, const void *b)
{
        const struct space_map *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

int sym_space_new(struct sym_ctx *c, const struct hp_profile *p, const char *binary,
                  struct sym_space **ret)
{
        struct sym_space *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->c = c;
        s->maps = calloc(p->nmaps ? p->nmaps : 1, sizeof(*s->maps));
        if (!s->maps) {
                free(s);
                return -ENOMEM;
        }
        const char *exe = p->nmaps ? p->maps[0].path : NULL;
        for (size_t i = 0; i < p->nmaps; i++) {
                const char *path = p->maps[i].path;
                if (binary && exe && strcmp(path, exe) == 0)
                        path = binary;
                int64_t mi = module_get(c, path);
                if (mi < 0) {
                        sym_space_free(s);
                        return (int)mi;
                }
                s->maps[s->nmaps++] = (struct space_map){ p->maps[i].start, p->maps[i].end,
                                                          p->maps[i].offset, (size_t)mi };
        }
        qsort(s->maps, s->nmaps, sizeof(*s->maps), cmp_map);
        *ret = s;
        return 0;
}

void sym_space_free(struct sym_space *s)
{
        if (!s)
                return;
        free(s->maps);
        free(s);
}

int sym_lookup(struct sym_space *s, uint64_t addr, struct sym_result *ret)
{
        struct sym_ctx *c = s->c;
        /* binary search the mapping holding addr */
        size_t lo = 0, hi = s->nmaps;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->maps[mid].start <= addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        const struct space_map *sm = lo > 0 && addr < s->maps[lo - 1].end ? &s->maps[lo - 1] : NULL;
        uint32_t *slot;
        int r;
        if (!sm) {
                r = cache_find(&c->ukeys, &c->uvals, &c->unslots, &c->unused, addr, &slot);
                if (r < 0)
                        return r;
                if (!*slot) {
                        char buf[32];
                        snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
                        struct sym_result res = { .first = (uint32_t)c->nnames, .n = 1, .mod = UINT32_MAX,
                                                  .unnamed = true };
                        if ((r = push_name(c, au_intern(c->pool, buf))) < 0 ||
                            (r = add_result(c, &res, slot)) < 0)
                                return r;
                }
                *ret = c->results[*slot - 1];
                return 0;
        }
        struct sym_module *m = &c->mods[sm->mod];
        if (!m->opened) {
                /* each open module holds a file descriptor and its maps:
                 * a hostile dump naming thousands of files gets names
                 * "module+0xOFF" past the cap instead */
                if (c->nopened < SYM_MAX_OPEN_MODULES) {
                        c->nopened++;
                        module_open(c, m);
                } else {
                        m->opened = true;
                        m->failed = true;
                }
        }
        uint64_t foff = addr - sm->start + sm->offset;
        uint64_t vaddr = foff;
        bool known = !m->failed && module_vaddr(m, foff, &vaddr);
        /* key: module address, or file offset with the top bit set */
        uint64_t key = known ? vaddr : (foff | (1ULL << 63));
        r = cache_find(&m->keys, &m->vals, &m->nslots, &m->nused, key, &slot);
        if (r < 0)
                return r;
        if (!*slot) {
                struct sym_result res = { .first = (uint32_t)c->nnames, .mod = (uint32_t)sm->mod,
                                          .alloc = m->alloc_lib };
                if (known) {
                        r = resolve(c, m, vaddr, &res);
                } else {
                        char *n = NULL;
                        if (asprintf(&n, "%s+0x%" PRIx64, m->base, foff) < 0)
                                return -ENOMEM;
                        r = push_name(c, au_intern(c->pool, n));
                        free(n);
                        res.n = 1;
                        res.unnamed = true;
                }
                if (r < 0)
                        return r;
                m->addresses++;
                if ((r = add_result(c, &res, slot)) < 0)
                        return r;
        }
        *ret = c->results[*slot - 1];
        return 0;
}

int sym_location(struct sym_ctx *c, const struct sym_result *r, int64_t *ret_id)
{
        if (!r->has_loc || r->mod >= c->nmods || !c->mods[r->mod].mod) {
                *ret_id = -1;
                return 0;
        }
        Dwfl_Line *line = dwfl_module_getsrc(c->mods[r->mod].mod, r->vaddr);
        int lineno = 0;
        const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
        if (!file) {
                *ret_id = -1;
                return 0;
        }
        char *fl = NULL;
        if (asprintf(&fl, "%s:%d", file, lineno) < 0)
                return -ENOMEM;
        int64_t id = au_intern(c->pool, fl);
        free(fl);
        if (id < 0)
                return (int)id;
        *ret_id = id;
        return 0;
}

const char *sym_module_path(const struct sym_ctx *c, uint32_t mod)
{
        return mod < c->nmods ? c->mods[mod].path : NULL;
}

int sym_module_build_id(struct sym_ctx *c, uint32_t mod, char *buf, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *bits = NULL;
        GElf_Addr vaddr;
        int n;

        if (len)
                buf[0] = '\0';
        if (mod >= c->nmods)
                return 0;
        if (!c->mods[mod].opened)
                module_open(c, &c->mods[mod]);
        if (!c->mods[mod].mod || (n = dwfl_module_build_id(c->mods[mod].mod, &bits, &vaddr)) <= 0)
                return 0;
        if ((size_t)n * 2 + 1 > len)
                return -ERANGE;
        for (int i = 0; i < n; i++) {
                buf[2 * i] = hex[bits[i] >> 4];
                buf[2 * i + 1] = hex[bits[i] & 15];
        }
        buf[2 * n] = '\0';
        return n;
}

/* file name of entry idx of the CU's file table, or NULL */
static const char *cu_file(Dwarf_Die *cu, Dwarf_Word idx)
{
        Dwarf_Files *files;
        size_t nfiles;
        if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
                return NULL;
        return dwarf_filesrc(files, idx, NULL, NULL);
}

int sym_frame_source(struct sym_ctx *c, const struct sym_result *r, uint32_t k, int64_t *ret_file,
                     int *ret_line)
{
        *ret_file = -1;
        *ret_line = 0;
        if (!r->has_loc || r->mod >= c->nmods || !c->mods[r->mod].mod || k >= r->n)
                return 0;
        Dwfl_Module *mod = c->mods[r->mod].mod;
        const char *file = NULL;
        int line = 0;
        if (k == 0) {
                Dwfl_Line *l = dwfl_module_getsrc(mod, r->vaddr);
                file = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
        } else {
                /* the call site of the inlined instance nested in name k;
                 * names are innermost first and end with the concrete
                 * function, the chain is outermost first without it: the
                 * unit's function index and the inlined children's indexes
                 * that naming the address built already (no walk) */
                struct sym_module *m = &c->mods[r->mod];
                Dwarf_Addr bias = 0;
                Dwarf_Die *cu = dwfl_module_addrdie(mod, r->vaddr, &bias);
                struct cu_index *ci = NULL;
                Dwarf_Die *fn = NULL;
                Dwarf_Die chain[INLINE_CHAIN_MAX];
                int n = 0;
                if (cu) {
                        int e = cu_index_get(m, cu, &ci);
                        if (e < 0)
                                return e;
                        fn = cu_func_at(ci, r->vaddr - bias);
                }
                if (fn && (n = inline_chain(m, fn, r->vaddr - bias, chain)) < 0)
                        return n;
                size_t at = r->n - k - 1;   /* the instance called from name k */
                Dwarf_Attribute a;
                Dwarf_Word fidx = 0, ln = 0;
                if (at < (size_t)n && dwarf_attr(&chain[at], DW_AT_call_file, &a) && dwarf_formudata(&a, &fidx) == 0 &&
                    dwarf_attr(&chain[at], DW_AT_call_line, &a) && dwarf_formudata(&a, &ln) == 0 &&
                    ln <= INT32_MAX) {
                        file = cu_file(cu, fidx);
                        line = (int)ln;
                }
        }
        if (!file)
                return 0;
        int64_t id = au_intern(c->pool, file);
        if (id < 0)
                return (int)id;
        *ret_file = id;
        *ret_line = line;
        return 0;
}
