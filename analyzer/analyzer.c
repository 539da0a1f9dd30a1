/* Analyzer front API: load dumps, reduce their stacks to function paths,
 * diff and trend; see analyzer.h. Rendering lives in render.c. */
#include "analyzer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_util.h"
#include "heap_profile.h"
#include "report.h"
#include "sites.h"
#include "symbolize.h"
#include "symfiles.h"

/* The symbols shared by the analyses of a session: one symbolizer and the
 * pool its names live in. Reports have pools of their own (they outlive
 * the session), filled from this one as their paths are built. */
struct an_session {
        unsigned refs;          /* the caller's handle and every report's */
        struct an_options o;
        struct au_strpool pool;
        struct sym_ctx *sym;
};

static void session_unref(struct an_session *s);

/* path table under construction: reduced paths x dump columns */
struct builder {
        struct an_report *r;
        struct sym_ctx *sym;
        const struct an_options *o;
        /* session pool id -> report pool id + 1 */
        uint32_t *map;
        size_t cap_map;
        /* report pool id -> module + 1 of a frame named module+0xOFF */
        uint32_t *unnamed;
        size_t cap_unnamed;
        size_t ncols;
        uint32_t *ids;          /* path ids, as in the report */
        size_t nids, cap_ids;
        struct rep_path *paths;
        size_t npaths, cap_paths;
        double *vals;           /* npaths x ncols */
        size_t cap_vals;
        uint32_t *slots;        /* path index + 1 */
        size_t nslots;
        /* scratch */
        uint32_t *tmp;
        size_t ntmp, cap_tmp;
        uint32_t *seen;         /* per pool id: generation */
        size_t cap_seen;
        uint32_t gen;
        /* per pool id: where the function was first seen as an innermost
         * frame, for its file:line in reports */
        struct sym_result *loc;
        bool *has_loc;
        size_t cap_loc;
        /* sites (sites.h): the filter, the site of the stack being
         * translated, and per path the site of the first stack that made it */
        struct site_filter filter;
        struct site_ref cur;
        struct site_ref *refs;
        size_t cap_refs;
};

static uint64_t path_hash(const uint32_t *ids, size_t n)
{
        return au_hash(ids, n * sizeof(*ids), n);
}

static int table_rehash(struct builder *b, size_t ns)
{
        uint32_t *s = calloc(ns, sizeof(*s));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < b->npaths; i++) {
                size_t j = path_hash(b->ids + b->paths[i].off, b->paths[i].n) & (ns - 1);
                while (s[j])
                        j = (j + 1) & (ns - 1);
                s[j] = (uint32_t)i + 1;
        }
        free(b->slots);
        b->slots = s;
        b->nslots = ns;
        return 0;
}

/* Find or add the path ids[0..n); returns its index or -ENOMEM. */
static int64_t path_get(struct builder *b, const uint32_t *ids, size_t n)
{
        if ((b->npaths + 1) * 2 > b->nslots) {
                if (b->npaths >= UINT32_MAX / 4)
                        return -ENOMEM;
                int r = table_rehash(b, b->nslots ? b->nslots * 2 : 1024);
                if (r < 0)
                        return r;
        }
        size_t j = path_hash(ids, n) & (b->nslots - 1);
        while (b->slots[j]) {
                const struct rep_path *p = &b->paths[b->slots[j] - 1];
                if (p->n == n && memcmp(b->ids + p->off, ids, n * sizeof(*ids)) == 0)
                        return b->slots[j] - 1;
                j = (j + 1) & (b->nslots - 1);
        }
        if (b->nids + n > UINT32_MAX ||
            au_grow(&b->ids, &b->cap_ids, b->nids + n, sizeof(*b->ids)) < 0 ||
            au_grow(&b->paths, &b->cap_paths, b->npaths + 1, sizeof(*b->paths)) < 0 ||
            au_grow(&b->vals, &b->cap_vals, (b->npaths + 1) * b->ncols, sizeof(*b->vals)) < 0 ||
            au_grow(&b->refs, &b->cap_refs, b->npaths + 1, sizeof(*b->refs)) < 0)
                return -ENOMEM;
        if (n)
                memcpy(b->ids + b->nids, ids, n * sizeof(*ids));
        b->paths[b->npaths] = (struct rep_path){ .off = (uint32_t)b->nids, .n = (uint32_t)n,
                                                 .site = n ? b->cur.fn : UINT32_MAX };
        b->refs[b->npaths] = b->cur;
        memset(b->vals + b->npaths * b->ncols, 0, b->ncols * sizeof(*b->vals));
        b->nids += n;
        b->slots[j] = (uint32_t)b->npaths + 1;
        return (int64_t)b->npaths++;
}

static int tmp_push(struct builder *b, uint32_t id)
{
        if (au_grow(&b->tmp, &b->cap_tmp, b->ntmp + 1, sizeof(*b->tmp)) < 0)
                return -ENOMEM;
        b->tmp[b->ntmp++] = id;
        return 0;
}

static int remember_loc(struct builder *b, uint32_t id, const struct sym_result *res)
{
        if (id >= b->cap_loc) {
                size_t cap = b->cap_loc, ncap = b->cap_loc;
                if (au_grow(&b->loc, &ncap, (size_t)id + 1, sizeof(*b->loc)) < 0 ||
                    au_grow(&b->has_loc, &cap, (size_t)id + 1, sizeof(*b->has_loc)) < 0)
                        return -ENOMEM;
                /* both arrays grow alike from the same capacity */
                memset(b->has_loc + b->cap_loc, 0, (cap - b->cap_loc) * sizeof(*b->has_loc));
                b->cap_loc = cap < ncap ? cap : ncap;
        }
        if (!b->has_loc[id]) {
                b->has_loc[id] = true;
                b->loc[id] = *res;
        }
        return 0;
}

/* the report's pool id of the symbolizer's string id, or -ENOMEM */
static int64_t map_id(struct builder *b, uint32_t sid)
{
        if (sid >= b->cap_map) {
                size_t cap = b->cap_map;
                if (au_grow(&b->map, &cap, (size_t)sid + 1, sizeof(*b->map)) < 0)
                        return -ENOMEM;
                memset(b->map + b->cap_map, 0, (cap - b->cap_map) * sizeof(*b->map));
                b->cap_map = cap;
        }
        if (!b->map[sid]) {
                int64_t id = au_intern(&b->r->pool, sym_str(b->sym, sid));
                if (id < 0)
                        return id;
                b->map[sid] = (uint32_t)id + 1;
        }
        return (int64_t)b->map[sid] - 1;
}

/* remember that name id is a frame without a name in module mod */
static int mark_unnamed(struct builder *b, uint32_t id, uint32_t mod)
{
        if (id >= b->cap_unnamed) {
                size_t cap = b->cap_unnamed;
                if (au_grow(&b->unnamed, &cap, (size_t)id + 1, sizeof(*b->unnamed)) < 0)
                        return -ENOMEM;
                memset(b->unnamed + b->cap_unnamed, 0, (cap - b->cap_unnamed) * sizeof(*b->unnamed));
                b->cap_unnamed = cap;
        }
        b->unnamed[id] = mod + 1;
        return 0;
}

/* "file:line" pool id of function id, or -1 */
static int32_t loc_of(struct builder *b, uint32_t id)
{
        int64_t fl = -1;
        if (id < b->cap_loc && b->has_loc[id] && sym_location(b->sym, &b->loc[id], &fl) < 0)
                return -1;
        return fl < 0 ? -1 : (int32_t)map_id(b, (uint32_t)fl);
}

/* Translate one stack to its reduced function path in b->tmp, like jeprof:
 * FixCallerAddresses (addr - 1 but for the leaf), RemoveUninterestingFrames
 * (an allocator frame discards everything seen so far), inlined frames
 * expanded (innermost first), then ReduceProfile (a function seen already
 * in the stack is skipped). The stack's site (sites.h) goes to b->cur. */
static int translate(struct builder *b, struct sym_space *sp, const struct hp_profile *p,
                     const struct hp_stack *st)
{
        b->ntmp = 0;
        b->cur.fn = UINT32_MAX;
        struct site_ref first = { .fn = UINT32_MAX };
        /* the site and every frame since are unnamed and in one module: when
         * a hidden frame of that module comes next, they were its (an
         * allocator's static functions, such as PostgreSQL's
         * AllocSetRealloc under repalloc), not the user's */
        bool cur_unnamed = false;
        const uint32_t *names;
        for (uint32_t i = 0; i < st->nframes; i++) {
                uint64_t a = p->frames[st->first + i];
                if (i > 0)
                        a -= 1;
                struct sym_result res;
                int r = sym_lookup(sp, a, &res);
                if (r < 0)
                        return r;
                if (res.alloc) {
                        b->ntmp = 0;
                        b->cur.fn = first.fn = UINT32_MAX;
                        cur_unnamed = false;
                        continue;
                }
                names = sym_names(b->sym);
                for (uint32_t k = 0; k < res.n; k++) {
                        int64_t mid = map_id(b, names[res.first + k]);
                        if (mid < 0)
                                return (int)mid;
                        uint32_t id = (uint32_t)mid;
                        if (k == 0 && res.has_loc && (r = remember_loc(b, id, &res)) < 0)
                                return r;
                        if (res.unnamed && res.mod != UINT32_MAX && (r = mark_unnamed(b, id, res.mod)) < 0)
                                return r;
                        if (first.fn == UINT32_MAX)
                                first = (struct site_ref){ .fn = id, .k = k, .res = res };
                        if (b->cur.fn == UINT32_MAX || cur_unnamed) {
                                r = site_hidden(&b->filter, &b->r->pool, id, b->sym, res.mod);
                                if (r < 0)
                                        return r;
                                if (r && cur_unnamed && res.mod == b->cur.res.mod) {
                                        b->cur.fn = UINT32_MAX;
                                        cur_unnamed = false;
                                } else if (!r && b->cur.fn == UINT32_MAX) {
                                        b->cur = (struct site_ref){ .fn = id, .k = k, .res = res };
                                        cur_unnamed = res.unnamed && res.mod != UINT32_MAX;
                                } else if (!res.unnamed || res.mod != b->cur.res.mod) {
                                        cur_unnamed = false;
                                }
                        }
                        if ((r = tmp_push(b, id)) < 0)
                                return r;
                }
        }
        if (b->cur.fn == UINT32_MAX)
                b->cur = first;
        size_t np = b->r->pool.n;
        if (np > b->cap_seen) {
                size_t cap = b->cap_seen;
                if (au_grow(&b->seen, &cap, np, sizeof(*b->seen)) < 0)
                        return -ENOMEM;
                memset(b->seen + b->cap_seen, 0, (cap - b->cap_seen) * sizeof(*b->seen));
                b->cap_seen = cap;
        }
        if (++b->gen == 0) {
                memset(b->seen, 0, b->cap_seen * sizeof(*b->seen));
                b->gen = 1;
        }
        size_t w = 0;
        for (size_t i = 0; i < b->ntmp; i++) {
                uint32_t id = b->tmp[i];
                if (b->seen[id] == b->gen)
                        continue;
                b->seen[id] = b->gen;
                b->tmp[w++] = id;
        }
        b->ntmp = w;
        return 0;
}

static int load_column(struct builder *b, const char *path, size_t col, char **ret_err)
{
        struct hp_limits lim = { .max_bytes = b->o ? b->o->max_bytes : 0,
                                 .max_frames = b->o ? b->o->max_frames : 0,
                                 .max_stacks = b->o ? b->o->max_stacks : 0 };
        struct hp_profile *p;
        int r = hp_parse_file(path, &lim, &p, ret_err);
        if (r < 0)
                return r;
        struct sym_space *sp;
        r = sym_space_new(b->sym, p, b->o ? b->o->binary : NULL, &sp);
        if (r < 0) {
                hp_profile_free(p);
                return au_err(ret_err, r, path, 0, "out of memory");
        }
        for (size_t i = 0; i < p->nstacks && r >= 0; i++) {
                if (b->o && b->o->progress && (i & 1023) == 0)
                        b->o->progress(b->o->progress_data, path, i, p->nstacks);
                r = translate(b, sp, p, &p->stacks[i]);
                if (r < 0)
                        break;
                int64_t pi = path_get(b, b->tmp, b->ntmp);
                if (pi < 0) {
                        r = (int)pi;
                        break;
                }
                b->vals[(size_t)pi * b->ncols + col] += p->stacks[i].bytes;
        }
        b->r->totals[col] = p->total_bytes;
        if (col == b->ncols - 1)
                b->r->period = p->period;
        if (b->o && b->o->progress && r >= 0)
                b->o->progress(b->o->progress_data, path, p->nstacks, p->nstacks);
        sym_space_free(sp);
        hp_profile_free(p);
        if (r < 0)
                return au_err(ret_err, r, path, 0, "out of memory");
        return 0;
}

static void builder_free(struct builder *b)
{
        free(b->ids);
        free(b->paths);
        free(b->vals);
        free(b->slots);
        free(b->tmp);
        free(b->seen);
        free(b->loc);
        free(b->has_loc);
        free(b->refs);
        free(b->map);
        free(b->unnamed);
        site_filter_free(&b->filter);
}

void an_report_free(struct an_report *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->ndumps; i++)
                free(r->dumps[i]);
        free(r->dumps);
        free(r->totals);
        free(r->ids);
        free(r->paths);
        free(r->funcs);
        free(r->sites);
        free(r->modules);
        free(r->series);
        free(r->svals);
        free(r->binary);
        session_unref(r->session);
        au_strpool_free(&r->pool);
        free(r);
}


static int cmp_func(const void *a, const void *b, void *arg)
{
        const struct rep_func *x = a, *y = b;
        const struct an_report *r = arg;
        if (x->flat != y->flat)
                return x->flat > y->flat ? -1 : 1;
        return strcmp(au_str(&r->pool, x->name), au_str(&r->pool, y->name));
}

static int cmp_series(const void *a, const void *b, void *arg)
{
        const struct rep_series *x = a, *y = b;
        const struct an_report *r = arg;
        if (x->suspect != y->suspect)
                return x->suspect ? -1 : 1;
        if (x->suspect && x->score != y->score)
                return x->score > y->score ? -1 : 1;
        if (x->growth != y->growth)
                return x->growth > y->growth ? -1 : 1;
        return strcmp(au_str(&r->pool, x->name), au_str(&r->pool, y->name));
}

double an_trend_score(const double *x, size_t n)
{
        if (n < 2)
                return 0.0;
        size_t up = 0;
        for (size_t i = 1; i < n; i++)
                up += x[i] > x[i - 1];
        double mt = (double)(n - 1) / 2.0, mx = 0.0;
        for (size_t i = 0; i < n; i++)
                mx += x[i];
        mx /= (double)n;
        double stt = 0.0, sxx = 0.0, stx = 0.0;
        for (size_t i = 0; i < n; i++) {
                double dt = (double)i - mt, dx = x[i] - mx;
                stt += dt * dt;
                sxx += dx * dx;
                stx += dt * dx;
        }
        if (!(stx > 0.0) || !(sxx > 0.0))
                return 0.0;
        double r2 = (stx * stx) / (stt * sxx);
        if (r2 > 1.0)
                r2 = 1.0;
        return (double)up / (double)(n - 1) * r2;
}

static int32_t intern_or_none(struct an_report *r, const char *s)
{
        if (!s || !*s)
                return -1;
        int64_t id = au_intern(&r->pool, s);
        return id < 0 ? -2 : (int32_t)id;
}

/* The modules the analysis resolved addresses in, with their build-ids,
 * and the unnamed frames among the rows and sites a report shows. */
static int collect_modules(struct builder *b)
{
        struct an_report *r = b->r;
        size_t n = sym_module_count(b->sym);
        uint32_t *slot = calloc(n ? n : 1, sizeof(*slot));   /* module -> index in r->modules + 1 */
        if (!slot)
                return -ENOMEM;
        int e = 0;
        for (size_t i = 0; i < n && e >= 0; i++) {
                struct sym_module_info mi;
                sym_module_info(b->sym, (uint32_t)i, &mi);
                if (!mi.addresses)
                        continue;
                char bid[2 * 64 + 1];
                if (sym_module_build_id(b->sym, (uint32_t)i, bid, sizeof(bid)) < 0)
                        bid[0] = '\0';
                size_t cap = r->nmodules;
                if (au_grow(&r->modules, &cap, r->nmodules + 1, sizeof(*r->modules)) < 0) {
                        e = -ENOMEM;
                        break;
                }
                int32_t path = intern_or_none(r, mi.path), id = intern_or_none(r, bid),
                        dbg = intern_or_none(r, mi.debug_file);
                if (path < 0 || id == -2 || dbg == -2) {
                        e = -ENOMEM;
                        break;
                }
                r->modules[r->nmodules] = (struct rep_module){ .path = (uint32_t)path, .build_id = id, .debug = dbg,
                                                               .debuginfod = mi.debuginfod, .readable = mi.readable };
                slot[i] = (uint32_t)++r->nmodules;
        }
        /* each unnamed function once, among the top rows and the top sites */
        uint32_t *seen = e >= 0 ? calloc(r->pool.n ? r->pool.n : 1, sizeof(*seen)) : NULL;
        if (e >= 0 && !seen)
                e = -ENOMEM;
        for (size_t k = 0; e >= 0 && k < 2; k++) {
                size_t cnt = k == 0 ? r->nfuncs : r->nsites;
                for (size_t i = 0; i < cnt && i < r->top; i++) {
                        uint32_t id = k == 0 ? r->funcs[i].name : r->sites[i].name;
                        if (id >= b->cap_unnamed || !b->unnamed[id] || seen[id])
                                continue;
                        seen[id] = 1;
                        uint32_t m = b->unnamed[id] - 1;
                        if (m < n && slot[m])
                                r->modules[slot[m] - 1].unnamed++;
                }
        }
        free(seen);
        free(slot);
        return e;
}

/* Turn the path table into the report: growth per path (last column minus
 * first), functions' flat and cum, the sites, and for a trend the series of
 * bytes under each site. */
static int finish(struct builder *b)
{
        struct an_report *r = b->r;
        size_t last = b->ncols - 1;
        size_t nnames = r->pool.n;
        int32_t *fidx = malloc((nnames ? nnames : 1) * sizeof(*fidx));
        if (!fidx)
                return -ENOMEM;
        for (size_t i = 0; i < nnames; i++)
                fidx[i] = -1;
        size_t nf = 0, capf = 0;
        struct rep_func *funcs = NULL;
        /* count functions appearing in any path */
        for (size_t i = 0; i < b->npaths; i++) {
                const struct rep_path *p = &b->paths[i];
                for (uint32_t k = 0; k < p->n; k++) {
                        uint32_t id = b->ids[p->off + k];
                        if (fidx[id] >= 0)
                                continue;
                        if (au_grow(&funcs, &capf, nf + 1, sizeof(*funcs)) < 0) {
                                free(fidx);
                                free(funcs);
                                return -ENOMEM;
                        }
                        funcs[nf] = (struct rep_func){ .name = id, .file = -1 };
                        fidx[id] = (int32_t)nf++;
                }
        }
        for (size_t i = 0; i < b->npaths; i++) {
                struct rep_path *p = &b->paths[i];
                p->v = b->vals[i * b->ncols + last] - b->vals[i * b->ncols];
                if (p->n == 0)
                        continue;
                funcs[fidx[b->ids[p->off]]].flat += p->v;
                for (uint32_t k = 0; k < p->n; k++)
                        funcs[fidx[b->ids[p->off + k]]].cum += p->v;
        }
        if (r->trend && nf) {
                r->series = calloc(nf, sizeof(*r->series));
                r->svals = calloc(nf * b->ncols, sizeof(*r->svals));
                if (!r->series || !r->svals) {
                        free(fidx);
                        free(funcs);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < b->npaths; i++) {
                        const struct rep_path *p = &b->paths[i];
                        if (p->n == 0)
                                continue;
                        double *s = r->svals + (size_t)fidx[p->site] * b->ncols;
                        for (size_t c = 0; c < b->ncols; c++)
                                s[c] += b->vals[i * b->ncols + c];
                }
                double maxg = 0.0;
                for (size_t f = 0; f < nf; f++) {
                        struct rep_series *s = &r->series[f];
                        s->name = funcs[f].name;
                        s->file = -1;
                        s->flat = r->svals + f * b->ncols;
                        s->growth = s->flat[last] - s->flat[0];
                        s->score = an_trend_score(s->flat, b->ncols);
                        if (s->growth > maxg)
                                maxg = s->growth;
                }
                /* a suspect grows steadily and not negligibly: at least 1% of
                 * the largest function's growth and one sample period's worth */
                for (size_t f = 0; f < nf; f++) {
                        struct rep_series *s = &r->series[f];
                        s->suspect = s->score >= r->suspect_score && s->growth > 0 &&
                                     s->growth >= 0.01 * maxg;
                        r->nsuspects += s->suspect;
                }
                r->nseries = nf;
                /* flat pointers stay valid: sorting moves the records only */
                qsort_r(r->series, nf, sizeof(*r->series), cmp_series, r);
        }
        free(fidx);
        /* functions whose stacks cancel out (as much in both dumps) are not
         * rows; jeprof does not print them either */
        size_t keep = 0;
        for (size_t f = 0; f < nf; f++)
                if (fabs(funcs[f].flat) >= 0.5 || fabs(funcs[f].cum) >= 0.5)
                        funcs[keep++] = funcs[f];
        nf = keep;
        if (nf)
                qsort_r(funcs, nf, sizeof(*funcs), cmp_func, r);
        /* file:line only for the rows a report shows, if it shows them */
        bool lines = !(b->o && b->o->no_lines);
        for (size_t f = 0; lines && f < nf && f < r->top; f++)
                funcs[f].file = loc_of(b, funcs[f].name);
        r->funcs = funcs;
        r->nfuncs = nf;
        r->growth = r->totals[last] - r->totals[0];
        /* hand the path table over */
        r->ids = b->ids;
        r->nids = b->nids;
        r->paths = b->paths;
        r->npaths = b->npaths;
        b->ids = NULL;
        b->paths = NULL;
        int e = site_collect(r, b->sym, b->refs, lines);
        if (e < 0 || (e = collect_modules(b)) < 0)
                return e;
        /* a suspect's file:line is where its site calls what grew */
        for (size_t f = 0; f < r->nseries && f < r->top + r->nsuspects; f++) {
                ssize_t si = site_find(r, r->series[f].name);
                r->series[f].file = -1;
                if (si < 0 || r->sites[si].file < 0)
                        continue;
                char *fl = NULL;
                if (asprintf(&fl, "%s:%d", au_str(&r->pool, (uint32_t)r->sites[si].file), r->sites[si].line) < 0)
                        return -ENOMEM;
                int64_t id = au_intern(&r->pool, fl);
                free(fl);
                if (id < 0)
                        return (int)id;
                r->series[f].file = (int32_t)id;
        }
        return 0;
}

static int report_new(const struct an_options *o, size_t ndumps, bool trend, struct an_report **ret)
{
        struct an_report *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        au_strpool_init(&r->pool);
        r->trend = trend;
        r->top = o && o->top ? o->top : AN_DEFAULT_TOP;
        r->suspect_score = o && o->suspect_score > 0 ? o->suspect_score : AN_DEFAULT_SUSPECT_SCORE;
        r->dumps = calloc(ndumps, sizeof(*r->dumps));
        r->totals = calloc(ndumps, sizeof(*r->totals));
        r->ndumps = ndumps;
        if (o)
                r->limits = (struct hp_limits){ .max_bytes = o->max_bytes, .max_frames = o->max_frames,
                                                .max_stacks = o->max_stacks };
        if (o && o->binary && !(r->binary = strdup(o->binary))) {
                an_report_free(r);
                return -ENOMEM;
        }
        if (!r->dumps || !r->totals) {
                an_report_free(r);
                return -ENOMEM;
        }
        *ret = r;
        return 0;
}

int an_session_new(const struct an_options *o, struct an_session **ret)
{
        struct an_session *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->refs = 1;
        if (o)
                s->o = *o;
        au_strpool_init(&s->pool);
        int e = sym_ctx_new(&s->pool, &s->sym);
        if (e < 0) {
                au_strpool_free(&s->pool);
                free(s);
                return e;
        }
        sym_ctx_set_files(s->sym, s->o.symbol_cache, s->o.symbol_cache_max, s->o.debuginfod, s->o.debuginfod_ms,
                          s->o.debuginfod_build_ids);
        *ret = s;
        return 0;
}

static void session_unref(struct an_session *s)
{
        if (!s || --s->refs > 0)
                return;
        sym_ctx_free(s->sym);   /* before the pool its names are in */
        au_strpool_free(&s->pool);
        free(s);
}

void an_session_free(struct an_session *s)
{
        session_unref(s);
}

int an_session_save(struct an_session *s)
{
        return sym_cache_store(s->sym);
}

void an_session_stats(const struct an_session *s, unsigned *ret_modules, unsigned long *ret_addresses)
{
        sym_stats(s->sym, ret_modules, ret_addresses);
}

/* Analyse paths[0..n) (paths[0] may be NULL: an empty dump). */
static int analyse(struct an_session *s, const char *const *paths, size_t n, bool trend,
                   struct an_report **ret, char **ret_err)
{
        const struct an_options *o = &s->o;
        struct an_report *r;
        int e = report_new(o, n, trend, &r);
        if (e < 0)
                return au_err(ret_err, e, paths[n - 1], 0, "out of memory");
        struct builder b = { .r = r, .o = o, .ncols = n, .sym = s->sym };
        site_filter_init(&b.filter, o->hide);
        for (size_t i = 0; i < n && e >= 0; i++) {
                if (!paths[i])
                        continue;
                if (!(r->dumps[i] = strdup(paths[i]))) {
                        e = -ENOMEM;
                        break;
                }
                e = load_column(&b, paths[i], i, ret_err);
                if (e < 0) {
                        /* load_column set the message */
                        builder_free(&b);
                        an_report_free(r);
                        return e;
                }
        }
        if (e >= 0)
                e = finish(&b);
        /* the report keeps the session's symbolizer for the pprof export */
        r->sym = s->sym;
        r->session = s;
        s->refs++;
        builder_free(&b);
        if (e < 0) {
                an_report_free(r);
                return au_err(ret_err, e, paths[n - 1], 0, "out of memory");
        }
        *ret = r;
        return 0;
}

int an_session_diff(struct an_session *s, const char *base, const char *newer, struct an_report **ret,
                    char **ret_err)
{
        if (!newer)
                return au_err(ret_err, -EINVAL, "-", 0, "no dump to analyse");
        const char *paths[2] = { base, newer };
        return analyse(s, paths, 2, false, ret, ret_err);
}

int an_diff_paths(const char *base, const char *newer, const struct an_options *o,
                  struct an_report **ret, char **ret_err)
{
        struct an_session *s;
        int e = an_session_new(o, &s);
        if (e < 0)
                return au_err(ret_err, e, newer ? newer : "-", 0, "out of memory");
        e = an_session_diff(s, base, newer, ret, ret_err);
        an_session_free(s);
        return e;
}

struct ordered {
        const char *path;
        struct hp_dump_name name;
        size_t arg;
};

static int cmp_ordered(const void *a, const void *b)
{
        const struct ordered *x = a, *y = b;
        if (x->name.pid != y->name.pid)
                return x->name.pid < y->name.pid ? -1 : 1;
        if (x->name.seq != y->name.seq)
                return x->name.seq < y->name.seq ? -1 : 1;
        return x->arg < y->arg ? -1 : x->arg > y->arg;
}

int an_session_trend(struct an_session *s, const char *const *paths, size_t n, struct an_report **ret,
                     char **ret_err)
{
        if (n < 2)
                return au_err(ret_err, -EINVAL, n ? paths[0] : "-", 0, "trend needs at least two dumps");
        struct ordered *ord = calloc(n, sizeof(*ord));
        const char **sorted = calloc(n, sizeof(*sorted));
        if (!ord || !sorted) {
                free(ord);
                free(sorted);
                return au_err(ret_err, -ENOMEM, paths[0], 0, "out of memory");
        }
        bool named = true;
        for (size_t i = 0; i < n; i++) {
                ord[i].path = paths[i];
                ord[i].arg = i;
                if (hp_dump_name_parse(paths[i], &ord[i].name) < 0)
                        named = false;
        }
        if (named)
                qsort(ord, n, sizeof(*ord), cmp_ordered);
        for (size_t i = 0; i < n; i++)
                sorted[i] = ord[i].path;
        int r = analyse(s, sorted, n, true, ret, ret_err);
        free(ord);
        free(sorted);
        return r;
}

int an_trend_paths(const char *const *paths, size_t n, const struct an_options *o,
                   struct an_report **ret, char **ret_err)
{
        struct an_session *s;
        int e = an_session_new(o, &s);
        if (e < 0)
                return au_err(ret_err, e, n ? paths[0] : "-", 0, "out of memory");
        e = an_session_trend(s, paths, n, ret, ret_err);
        an_session_free(s);
        return e;
}

size_t an_report_count(const struct an_report *r)
{
        return r ? r->nfuncs : 0;
}

static int64_t to_i64(double v)
{
        if (v >= 9.2e18)
                return INT64_MAX;
        if (v <= -9.2e18)
                return INT64_MIN;
        return (int64_t)llround(v);
}

int an_report_row(const struct an_report *r, size_t i, const char **ret_function,
                  int64_t *ret_flat, int64_t *ret_cum)
{
        if (!r || i >= r->nfuncs)
                return -ERANGE;
        if (ret_function)
                *ret_function = au_str(&r->pool, r->funcs[i].name);
        if (ret_flat)
                *ret_flat = to_i64(r->funcs[i].flat);
        if (ret_cum)
                *ret_cum = to_i64(r->funcs[i].cum);
        return 0;
}

int64_t an_report_total(const struct an_report *r)
{
        return r ? to_i64(r->growth) : 0;
}

size_t an_report_suspect_count(const struct an_report *r)
{
        return r ? r->nsuspects : 0;
}

int an_report_suspect(const struct an_report *r, size_t i, const char **ret_function,
                      double *ret_score, int64_t *ret_growth)
{
        if (!r || i >= r->nsuspects)
                return -ERANGE;
        const struct rep_series *s = &r->series[i];
        if (ret_function)
                *ret_function = au_str(&r->pool, s->name);
        if (ret_score)
                *ret_score = s->score;
        if (ret_growth)
                *ret_growth = to_i64(s->growth);
        return 0;
}

int an_peek_total(const char *path, int64_t *ret_bytes, char **ret_err)
{
        return hp_peek_total(path, ret_bytes, ret_err);
}

int an_peek_estimate(const char *path, struct an_estimate *ret, char **ret_err)
{
        struct hp_estimate est;
        int r = hp_peek(path, &est, ret_err);
        if (r < 0)
                return r;
        *ret = (struct an_estimate){ .bytes = est.bytes, .stderr_bytes = est.stderr_bytes, .period = est.period };
        return 0;
}

size_t an_report_site_count(const struct an_report *r)
{
        return r ? r->nsites : 0;
}

int an_report_site(const struct an_report *r, size_t i, struct an_site *ret)
{
        if (!r || i >= r->nsites)
                return -ERANGE;
        const struct rep_site *s = &r->sites[i];
        *ret = (struct an_site){
                .function = au_str(&r->pool, s->name),
                .module = s->module >= 0 ? au_str(&r->pool, (uint32_t)s->module) : NULL,
                .file = s->file >= 0 ? au_str(&r->pool, (uint32_t)s->file) : NULL,
                .line = s->line,
                .bytes = to_i64(s->bytes),
        };
        return 0;
}

uint64_t an_report_period(const struct an_report *r)
{
        return r ? r->period : 0;
}

size_t an_report_module_count(const struct an_report *r)
{
        return r ? r->nmodules : 0;
}

int an_report_module(const struct an_report *r, size_t i, struct an_module *ret)
{
        static const char *const di[] = { NULL, "found", "not found", "timed out", "failed" };
        if (!r || i >= r->nmodules)
                return -ERANGE;
        const struct rep_module *m = &r->modules[i];
        *ret = (struct an_module){
                .path = au_str(&r->pool, m->path),
                .build_id = m->build_id >= 0 ? au_str(&r->pool, (uint32_t)m->build_id) : NULL,
                .debug_file = m->debug >= 0 ? au_str(&r->pool, (uint32_t)m->debug) : NULL,
                .debuginfod = m->debuginfod > 0 && m->debuginfod < 5 ? di[m->debuginfod] : NULL,
                .unnamed = m->unnamed,
                .readable = m->readable,
        };
        return 0;
}

int an_format_from_string(const char *s, enum an_format *ret)
{
        static const char *const names[] = { "text", "collapsed", "svg", "dot", "json", "pprof" };
        for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
                if (strcmp(s, names[i]) == 0) {
                        *ret = (enum an_format)i;
                        return 0;
                }
        }
        return -EINVAL;
}

const char *an_format_to_string(enum an_format f)
{
        switch (f) {
        case AN_FORMAT_TEXT: return "text";
        case AN_FORMAT_COLLAPSED: return "collapsed";
        case AN_FORMAT_SVG: return "svg";
        case AN_FORMAT_DOT: return "dot";
        case AN_FORMAT_JSON: return "json";
        case AN_FORMAT_PPROF: return "pprof";
        }
        return NULL;
}

int an_render(const struct an_report *r, enum an_format f, FILE *out)
{
        int e;
        if (!r || !out)
                return -EINVAL;
        switch (f) {
        case AN_FORMAT_TEXT: e = rep_render_text(r, out); break;
        case AN_FORMAT_COLLAPSED: e = rep_render_collapsed(r, out); break;
        case AN_FORMAT_SVG: e = rep_render_svg(r, out); break;
        case AN_FORMAT_DOT: e = rep_render_dot(r, out); break;
        case AN_FORMAT_JSON: e = rep_render_json(r, out); break;
        case AN_FORMAT_PPROF: e = rep_render_pprof(r, out); break;
        default: return -EINVAL;
        }
        if (e < 0)
                return e;
        if (fflush(out) != 0 || ferror(out))
                return -EIO;
        return 0;
}
