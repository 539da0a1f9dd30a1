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
#include "symbolize.h"

/* path table under construction: reduced paths x dump columns */
struct builder {
        struct an_report *r;
        struct sym_ctx *sym;
        const struct an_options *o;
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
            au_grow(&b->vals, &b->cap_vals, (b->npaths + 1) * b->ncols, sizeof(*b->vals)) < 0)
                return -ENOMEM;
        if (n)
                memcpy(b->ids + b->nids, ids, n * sizeof(*ids));
        b->paths[b->npaths] = (struct rep_path){ .off = (uint32_t)b->nids, .n = (uint32_t)n };
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

/* "file:line" pool id of function id, or -1 */
static int32_t loc_of(struct builder *b, uint32_t id)
{
        int64_t fl = -1;
        if (id < b->cap_loc && b->has_loc[id] && sym_location(b->sym, &b->loc[id], &fl) < 0)
                return -1;
        return (int32_t)fl;
}

/* Translate one stack to its reduced function path in b->tmp, like jeprof:
 * FixCallerAddresses (addr - 1 but for the leaf), RemoveUninterestingFrames
 * (an allocator frame discards everything seen so far), inlined frames
 * expanded (innermost first), then ReduceProfile (a function seen already
 * in the stack is skipped). */
static int translate(struct builder *b, struct sym_space *sp, const struct hp_profile *p,
                     const struct hp_stack *st)
{
        b->ntmp = 0;
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
                        continue;
                }
                names = sym_names(b->sym);
                if (res.n && res.has_loc && (r = remember_loc(b, names[res.first], &res)) < 0)
                        return r;
                for (uint32_t k = 0; k < res.n; k++)
                        if ((r = tmp_push(b, names[res.first + k])) < 0)
                                return r;
        }
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
        sym_ctx_free(b->sym);
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
        free(r->series);
        free(r->svals);
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

/* Turn the path table into the report: growth per path (last column minus
 * first), functions' flat and cum, and for a trend the flat series. */
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
                        double *s = r->svals + (size_t)fidx[b->ids[p->off]] * b->ncols;
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
                for (size_t f = 0; f < nf && f < r->top + r->nsuspects; f++)
                        r->series[f].file = loc_of(b, r->series[f].name);
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
        /* file:line only for the rows a report shows */
        for (size_t f = 0; f < nf && f < r->top; f++)
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
        if (!r->dumps || !r->totals) {
                an_report_free(r);
                return -ENOMEM;
        }
        *ret = r;
        return 0;
}

/* Analyse paths[0..n) (paths[0] may be NULL: an empty dump). */
static int analyse(const char *const *paths, size_t n, bool trend, const struct an_options *o,
                   struct an_report **ret, char **ret_err)
{
        struct an_report *r;
        int e = report_new(o, n, trend, &r);
        if (e < 0)
                return au_err(ret_err, e, paths[n - 1], 0, "out of memory");
        struct builder b = { .r = r, .o = o, .ncols = n };
        e = sym_ctx_new(&r->pool, &b.sym);
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
        builder_free(&b);
        if (e < 0) {
                an_report_free(r);
                return au_err(ret_err, e, paths[n - 1], 0, "out of memory");
        }
        *ret = r;
        return 0;
}

int an_diff_paths(const char *base, const char *newer, const struct an_options *o,
                  struct an_report **ret, char **ret_err)
{
        if (!newer)
                return au_err(ret_err, -EINVAL, "-", 0, "no dump to analyse");
        const char *paths[2] = { base, newer };
        return analyse(paths, 2, false, o, ret, ret_err);
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

int an_trend_paths(const char *const *paths, size_t n, const struct an_options *o,
                   struct an_report **ret, char **ret_err)
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
        int r = analyse(sorted, n, true, o, ret, ret_err);
        free(ord);
        free(sorted);
        return r;
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

int an_format_from_string(const char *s, enum an_format *ret)
{
        static const char *const names[] = { "text", "collapsed", "svg", "dot", "json" };
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
        default: return -EINVAL;
        }
        if (e < 0)
                return e;
        if (fflush(out) != 0 || ferror(out))
                return -EIO;
        return 0;
}
