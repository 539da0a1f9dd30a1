/* JSON output of an analyzer report: the incident bundle's "diff" and
 * "trend" objects, through the shared JSON writer (common/json.h). */
#include <errno.h>
#include <stdio.h>

#include "json.h"
#include "report.h"

static const char *name_of(const struct an_report *r, uint32_t id)
{
        return au_str(&r->pool, id);
}

static void file_member(struct json_writer *w, const struct an_report *r, int32_t file)
{
        if (file >= 0)
                json_kv_string(w, "file", name_of(r, (uint32_t)file));
}

/* "sample_period_bytes" and "sites": [{function, module, file, line, bytes}],
 * largest first, at most r->top; unknown module, file or line are null */
static void sites_json(const struct an_report *r, struct json_writer *w)
{
        json_kv_uint(w, "sample_period_bytes", r->period);
        json_key(w, "sites");
        json_begin_array(w);
        for (size_t i = 0; i < r->nsites && i < r->top; i++) {
                const struct rep_site *st = &r->sites[i];
                json_begin_object(w);
                json_kv_string(w, "function", name_of(r, st->name));
                json_kv_string(w, "module", st->module >= 0 ? name_of(r, (uint32_t)st->module) : NULL);
                json_kv_string(w, "file", st->file >= 0 ? name_of(r, (uint32_t)st->file) : NULL);
                if (st->line > 0)
                        json_kv_int(w, "line", st->line);
                else
                        json_kv_null(w, "line");
                json_kv_int(w, "bytes", rep_llr(st->bytes));
                json_end_object(w);
        }
        json_end_array(w);
}

static void trend_json(const struct an_report *r, struct json_writer *w)
{
        unsigned shown = 0;

        json_key(w, "dumps");
        json_begin_array(w);
        for (size_t i = 0; i < r->ndumps; i++)
                json_string(w, r->dumps[i]);
        json_end_array(w);
        json_kv_int(w, "growth_bytes", rep_llr(r->growth));
        json_key(w, "suspects");
        json_begin_array(w);
        for (size_t i = 0; i < r->nsuspects; i++) {
                const struct rep_series *s = &r->series[i];
                json_begin_object(w);
                json_kv_string(w, "function", name_of(r, s->name));
                json_kv_double(w, "score", s->score, 3);
                json_kv_int(w, "growth_bytes", rep_llr(s->growth));
                file_member(w, r, s->file);
                json_end_object(w);
        }
        json_end_array(w);
        json_key(w, "series");
        json_begin_array(w);
        for (size_t i = 0; i < r->nseries && shown < r->top; i++) {
                const struct rep_series *s = &r->series[i];
                if (!s->suspect && !(s->growth >= 0.5))
                        continue;
                shown++;
                json_begin_object(w);
                json_kv_string(w, "function", name_of(r, s->name));
                json_kv_double(w, "score", s->score, 3);
                json_kv_bool(w, "suspect", s->suspect);
                json_key(w, "bytes");
                json_begin_array(w);
                for (size_t k = 0; k < r->ndumps; k++)
                        json_int(w, rep_llr(s->flat[k]));
                json_end_array(w);
                json_end_object(w);
        }
        json_end_array(w);
        sites_json(r, w);
}

static void diff_json(const struct an_report *r, struct json_writer *w)
{
        unsigned shown = 0;

        json_kv_string(w, "base", r->dumps[0]);
        json_kv_string(w, "new", r->dumps[r->ndumps - 1]);
        json_kv_int(w, "growth_bytes", rep_llr(r->growth));
        json_kv_int(w, "base_bytes", rep_llr(r->totals[0]));
        json_kv_int(w, "new_bytes", rep_llr(r->totals[r->ndumps - 1]));
        json_key(w, "top");
        json_begin_array(w);
        for (size_t i = 0; i < r->nfuncs && shown < r->top; i++) {
                const struct rep_func *f = &r->funcs[i];
                shown++;
                json_begin_object(w);
                json_kv_string(w, "function", name_of(r, f->name));
                json_kv_int(w, "flat_bytes", rep_llr(f->flat));
                json_kv_int(w, "cum_bytes", rep_llr(f->cum));
                file_member(w, r, f->file);
                json_end_object(w);
        }
        json_end_array(w);
        sites_json(r, w);
}

int an_render_json(const struct an_report *r, struct json_writer *w)
{
        if (!r || !w)
                return -EINVAL;
        json_begin_object(w);
        if (r->trend)
                trend_json(r, w);
        else
                diff_json(r, w);
        json_end_object(w);
        return w->err;
}

int rep_render_json(const struct an_report *r, FILE *out)
{
        struct json_writer w;
        int e;

        json_init(&w, out, 0);
        (void)an_render_json(r, &w);
        e = json_finish(&w);
        if (e < 0)
                return e;
        return fputc('\n', out) == EOF ? -EIO : 0;
}
