/* The incident page (an_render_html in analyzer.h): one HTML file with the
 * page's script and styles (analyzer/page/, made into page_assets.h at
 * build time) and its data inline, as JSON in a <script type=
 * "application/json"> element written with JSON_HTML_SAFE, so that no
 * function name or path can end the element. A Content-Security-Policy
 * forbids the page every network access.
 *
 * The data: "names" (function names) and "flame", the growth's call tree
 * in preorder as [depth, name index (-1: the root), bytes] triples (flat,
 * so that a deep stack is no deeply nested JSON); frames under
 * FLAME_MIN_SHARE of the growth are left out, and at most FLAME_MAX_NODES
 * are kept; "run" {usage, heap: [[t_ms, bytes]...], marks: [{t, kind,
 * label}]}; "suspects" [{function, score, suspect, growth_bytes, series}]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "page_assets.h"
#include "report.h"

#define FLAME_MIN_SHARE 0.0005
#define FLAME_MAX_NODES 20000
#define PAGE_SUSPECTS 12

struct flame_ctx {
        const struct an_report *r;
        const struct rep_ftree *t;
        struct json_writer *w;
        int32_t *name_idx;        /* per pool id: index into names, -1 */
        uint32_t *names;          /* pool ids in index order */
        size_t n_names;
        double min_v;
        size_t n_nodes;
};

static void flame_node(struct flame_ctx *c, int32_t i, unsigned depth)
{
        const struct rep_fnode *f = &c->t->n[i];
        int64_t idx = -1;

        if (c->n_nodes >= FLAME_MAX_NODES || f->v < c->min_v)
                return;
        if (f->name != UINT32_MAX) {
                if (c->name_idx[f->name] < 0) {
                        c->name_idx[f->name] = (int32_t)c->n_names;
                        c->names[c->n_names++] = f->name;
                }
                idx = c->name_idx[f->name];
        }
        c->n_nodes++;
        json_begin_array(c->w);
        json_uint(c->w, depth);
        json_int(c->w, idx);
        json_int(c->w, rep_llr(f->v));
        json_end_array(c->w);
        for (int32_t k = f->child; k >= 0; k = c->t->n[k].next)
                flame_node(c, k, depth + 1);
}

static int flame_json(const struct an_report *r, struct json_writer *w)
{
        struct rep_ftree t;
        struct flame_ctx c = { .r = r, .t = &t, .w = w };
        int e = rep_ftree_build(r, &t);

        if (e >= 0) {
                c.name_idx = malloc((r->pool.n ? r->pool.n : 1) * sizeof(*c.name_idx));
                c.names = malloc((r->pool.n ? r->pool.n : 1) * sizeof(*c.names));
                if (!c.name_idx || !c.names)
                        e = -ENOMEM;
        }
        if (e >= 0) {
                for (size_t i = 0; i < r->pool.n; i++)
                        c.name_idx[i] = -1;
                c.min_v = t.n[0].v * FLAME_MIN_SHARE;
                json_key(w, "flame");
                json_begin_array(w);
                if (t.n[0].v >= 1.0)
                        flame_node(&c, 0, 0);
                json_end_array(w);
                json_key(w, "names");
                json_begin_array(w);
                for (size_t i = 0; i < c.n_names; i++)
                        json_string(w, au_str(&r->pool, c.names[i]));
                json_end_array(w);
        }
        free(c.name_idx);
        free(c.names);
        free(t.n);
        return e;
}

static void points_json(struct json_writer *w, const char *key, const struct an_point *p, size_t n)
{
        json_key(w, key);
        json_begin_array(w);
        for (size_t i = 0; i < n; i++) {
                json_begin_array(w);
                json_int(w, p[i].t_ms);
                json_int(w, rep_llr(p[i].bytes));
                json_end_array(w);
        }
        json_end_array(w);
}

static void run_json(struct json_writer *w, const struct an_page *pg)
{
        json_key(w, "run");
        json_begin_object(w);
        points_json(w, "usage", pg->usage, pg->n_usage);
        points_json(w, "heap", pg->heap, pg->n_heap);
        json_key(w, "marks");
        json_begin_array(w);
        for (size_t i = 0; i < pg->n_marks; i++) {
                json_begin_object(w);
                json_kv_int(w, "t", pg->marks[i].t_ms);
                json_kv_string(w, "kind", pg->marks[i].kind);
                json_kv_string(w, "label", pg->marks[i].label);
                json_end_object(w);
        }
        json_end_array(w);
        json_end_object(w);
}

/* the suspects first, then what else grew most, as the trend orders them */
static void suspects_json(struct json_writer *w, const struct an_report *trend)
{
        size_t shown = 0;

        json_key(w, "suspects");
        json_begin_array(w);
        for (size_t i = 0; trend && i < trend->nseries && shown < PAGE_SUSPECTS; i++) {
                const struct rep_series *s = &trend->series[i];
                if (!s->suspect && !(s->growth >= 0.5))
                        continue;
                if (!s->suspect && shown >= 4)
                        break;
                shown++;
                json_begin_object(w);
                json_kv_string(w, "function", au_str(&trend->pool, s->name));
                json_kv_double(w, "score", s->score, 3);
                json_kv_bool(w, "suspect", s->suspect);
                json_kv_int(w, "growth_bytes", rep_llr(s->growth));
                json_key(w, "series");
                json_begin_array(w);
                for (size_t k = 0; k < trend->ndumps; k++)
                        json_int(w, rep_llr(s->flat[k]));
                json_end_array(w);
                json_end_object(w);
        }
        json_end_array(w);
}

static void put_html(const char *s, FILE *out)
{
        for (; s && *s; s++) {
                switch (*s) {
                case '&': fputs("&amp;", out); break;
                case '<': fputs("&lt;", out); break;
                case '>': fputs("&gt;", out); break;
                case '"': fputs("&quot;", out); break;
                case '\'': fputs("&#39;", out); break;
                default: fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
                }
        }
}

int an_render_html(const struct an_report *diff, const struct an_report *trend, const struct an_page *pg,
                   FILE *out)
{
        static const struct an_page empty;
        struct json_writer w;
        int e = 0;

        if (!pg)
                pg = &empty;
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
              "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
              "<meta name=\"viewport\" content=\"width=device-width\">\n<title>oomwatch incident: ", out);
        put_html(pg->title, out);
        fputs("</title>\n<style>\n", out);
        fputs(page_incident_css, out);
        fputs("</style></head>\n<body>\n<header><h1>oomwatch incident</h1>\n<p id=\"title\">", out);
        put_html(pg->title, out);
        fputs("</p>\n<p id=\"subtitle\">", out);
        put_html(pg->subtitle, out);
        fputs("</p></header>\n"
              "<section id=\"flame-section\"><h2>What grew between the dumps (flame graph; click a frame to zoom)</h2>\n"
              "<div class=\"controls\"><input id=\"search\" type=\"search\" placeholder=\"Search functions "
              "(regular expression)\"> <button id=\"reset\" type=\"button\">Reset zoom</button>"
              "<span id=\"matched\"></span></div>\n"
              "<svg id=\"flame\" xmlns=\"http://www.w3.org/2000/svg\" preserveAspectRatio=\"xMinYMin meet\"></svg>\n"
              "<div id=\"details\">Hover a frame for its bytes; click to zoom in.</div></section>\n"
              "<section id=\"run-section\"><h2>Memory over the run</h2>\n"
              "<svg id=\"run\" xmlns=\"http://www.w3.org/2000/svg\" preserveAspectRatio=\"xMinYMin meet\"></svg>\n"
              "<div id=\"legend\"></div></section>\n"
              "<section id=\"trend-section\"><h2>Steady growth across the dumps (trend)</h2>\n"
              "<div id=\"suspects\"></div></section>\n"
              "<pre id=\"state\" hidden></pre>\n"
              "<script type=\"application/json\" id=\"data\">", out);
        json_init(&w, out, JSON_HTML_SAFE);
        json_begin_object(&w);
        json_kv_string(&w, "title", pg->title);
        json_kv_string(&w, "subtitle", pg->subtitle);
        json_kv_uint(&w, "limit", pg->limit);
        if (diff) {
                json_kv_int(&w, "growth_bytes", rep_llr(diff->growth));
                e = flame_json(diff, &w);
        } else {
                json_key(&w, "flame");
                json_begin_array(&w);
                json_end_array(&w);
        }
        run_json(&w, pg);
        suspects_json(&w, trend);
        if (!trend)
                json_kv_string(&w, "trend_note", "No trend: it needs three dumps or more of the process.");
        json_end_object(&w);
        if (e >= 0)
                e = json_finish(&w);
        fputs("</script>\n<script>\n", out);
        fputs(page_incident_js, out);
        fputs("</script>\n</body></html>\n", out);
        if (e >= 0 && (fflush(out) != 0 || ferror(out)))
                e = -EIO;
        return e;
}
