/* Sites of growth: the first frame of each stack outside the runtime and
 * the allocator; see sites.h. */
#include "sites.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"

void site_filter_init(struct site_filter *f, const char *const *patterns)
{
        memset(f, 0, sizeof(*f));
        f->pat = patterns ? patterns : an_default_hide;
}

void site_filter_free(struct site_filter *f)
{
        free(f->name_state);
        free(f->mod_state);
        memset(f, 0, sizeof(*f));
}

/* grow a state array to hold index i, new entries undecided */
static int state_at(uint8_t **a, size_t *cap, size_t i)
{
        if (i < *cap)
                return 0;
        size_t old = *cap;
        if (au_grow(a, cap, i + 1, 1) < 0)
                return -ENOMEM;
        memset(*a + old, 0, *cap - old);
        return 0;
}

static bool matches(const char *const *pat, const char *s, bool module)
{
        for (size_t i = 0; pat[i]; i++)
                if ((strchr(pat[i], '/') != NULL) == module && fnmatch(pat[i], s, 0) == 0)
                        return true;
        return false;
}

int site_hidden(struct site_filter *f, const struct au_strpool *pool, uint32_t name,
                const struct sym_ctx *sym, uint32_t mod)
{
        if (state_at(&f->name_state, &f->cap_names, name) < 0)
                return -ENOMEM;
        if (!f->name_state[name])
                f->name_state[name] = matches(f->pat, au_str(pool, name), false) ? 2 : 1;
        if (f->name_state[name] == 2)
                return 1;
        const char *path = sym_module_path(sym, mod);
        if (!path)
                return 0;
        if (state_at(&f->mod_state, &f->cap_mods, mod) < 0)
                return -ENOMEM;
        if (!f->mod_state[mod])
                f->mod_state[mod] = matches(f->pat, path, true) ? 2 : 1;
        return f->mod_state[mod] == 2;
}

static int cmp_site(const void *a, const void *b, void *arg)
{
        const struct rep_site *x = a, *y = b;
        const struct an_report *r = arg;
        if (x->bytes != y->bytes)
                return x->bytes > y->bytes ? -1 : 1;
        return strcmp(au_str(&r->pool, x->name), au_str(&r->pool, y->name));
}

int site_collect(struct an_report *r, struct sym_ctx *sym, const struct site_ref *refs, bool lines)
{
        size_t nnames = r->pool.n;
        double *sum = calloc(nnames ? nnames : 1, sizeof(*sum));
        int64_t *best = malloc((nnames ? nnames : 1) * sizeof(*best));
        struct rep_site *sites = NULL;
        size_t n = 0, cap = 0;
        int e = -ENOMEM;
        if (!sum || !best)
                goto out;
        for (size_t i = 0; i < nnames; i++)
                best[i] = -1;
        for (size_t i = 0; i < r->npaths; i++) {
                const struct rep_path *p = &r->paths[i];
                if (p->site == UINT32_MAX)
                        continue;
                sum[p->site] += p->v;
                if (best[p->site] < 0 || p->v > r->paths[best[p->site]].v)
                        best[p->site] = (int64_t)i;
        }
        for (size_t id = 0; id < nnames; id++) {
                if (best[id] < 0 || !(sum[id] >= 0.5))
                        continue;
                if (au_grow(&sites, &cap, n + 1, sizeof(*sites)) < 0)
                        goto out;
                sites[n++] = (struct rep_site){ .name = (uint32_t)id, .module = -1, .file = -1,
                                                .bytes = sum[id], .path = (uint32_t)best[id] };
        }
        if (n)
                qsort_r(sites, n, sizeof(*sites), cmp_site, r);
        for (size_t i = 0; i < n && i < r->top; i++) {
                const struct site_ref *ref = &refs[sites[i].path];
                const char *mod = sym_module_path(sym, ref->res.mod);
                if (mod) {
                        int64_t id = au_intern(&r->pool, mod);
                        if (id < 0)
                                goto out;
                        sites[i].module = (int32_t)id;
                }
                int64_t file = -1;
                int line = 0;
                if (lines && sym_frame_source(sym, &ref->res, ref->k, &file, &line) < 0)
                        goto out;
                /* the symbolizer's strings live in its own pool */
                if (file >= 0 && (file = au_intern(&r->pool, sym_str(sym, (uint32_t)file))) < 0)
                        goto out;
                sites[i].file = (int32_t)file;
                sites[i].line = line;
        }
        r->sites = sites;
        r->nsites = n;
        sites = NULL;
        e = 0;
out:
        free(sites);
        free(sum);
        free(best);
        return e;
}

ssize_t site_find(const struct an_report *r, uint32_t fn)
{
        for (size_t i = 0; i < r->nsites; i++)
                if (r->sites[i].name == fn)
                        return (ssize_t)i;
        return -1;
}
