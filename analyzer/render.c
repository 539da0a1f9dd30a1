/* Output formats of an analyzer report: text (jeprof --text columns),
 * collapsed stacks, SVG flame graph and Graphviz dot (JSON: render_json.c).
 *
 * Units are IEC (KiB, MiB: powers of 1024) everywhere; byte counts come
 * from jemalloc's sampling and are marked as estimates ("≈") wherever a
 * person reads them. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define MIB 1048576.0
#define APPROX "\u2248"    /* ≈ */

/* bytes as "12.3 MiB", "512 KiB" (whole numbers without decimals) or "17 B" */
static const char *iec(double v, char *buf, size_t len)
{
        static const char *const unit[] = { "KiB", "MiB", "GiB" };
        double a = fabs(v), u = 1024;
        int i = 0;

        if (a < 1024) {
                snprintf(buf, len, "%.0f B", v);
                return buf;
        }
        while (i < 2 && a >= u * 1024) {
                u *= 1024;
                i++;
        }
        double x = v / u;
        if (x == floor(x))
                snprintf(buf, len, "%.0f %s", x, unit[i]);
        else
                snprintf(buf, len, "%.1f %s", x, unit[i]);
        return buf;
}

static const char *name_of(const struct an_report *r, uint32_t id)
{
        return au_str(&r->pool, id);
}

static void percent(char *buf, size_t len, double num, double tot)
{
        if (tot != 0)
                snprintf(buf, len, "%.1f%%", num * 100.0 / tot);
        else
                snprintf(buf, len, "%s", num == 0 ? "nan" : num > 0 ? "+inf" : "-inf");
}

/* ---- text ------------------------------------------------------------------ */

static void text_rows(const struct an_report *r, FILE *out)
{
        double total = 0;
        for (size_t i = 0; i < r->nfuncs; i++)
                total += r->funcs[i].flat;
        fprintf(out, "Total: " APPROX "%.1f MiB\n", total / MIB);
        double running = 0;
        unsigned lines = 0;
        for (size_t i = 0; i < r->nfuncs && lines < r->top; i++) {
                const struct rep_func *f = &r->funcs[i];
                running += f->flat;
                lines++;
                if (fabs(f->flat) < 0.5 && fabs(f->cum) < 0.5)
                        continue;
                char p1[32], p2[32], p3[32];
                percent(p1, sizeof(p1), f->flat, total);
                percent(p2, sizeof(p2), running, total);
                percent(p3, sizeof(p3), f->cum, total);
                char fl[32], cu[32];
                snprintf(fl, sizeof(fl), "%.1f", f->flat / MIB);
                snprintf(cu, sizeof(cu), "%.1f", f->cum / MIB);
                fprintf(out, "%8s %6s %6s %8s %6s %s\n", fl, p1, p2, cu, p3, name_of(r, f->name));
        }
}

static void trend_row(const struct an_report *r, const struct rep_series *s, FILE *out)
{
        char nm[96];
        fprintf(out, "%6.2f %+10.1f  %-40s", s->score, s->growth / MIB, an_name_fit(name_of(r, s->name), 60, nm, sizeof(nm)));
        for (size_t k = 0; k < r->ndumps; k++)
                fprintf(out, " %.1f", s->flat[k] / MIB);
        fputc('\n', out);
}

int rep_render_text(const struct an_report *r, FILE *out)
{
        if (!r->trend) {
                text_rows(r, out);
                return 0;
        }
        fprintf(out, "Trend over %zu dumps: heap " APPROX "%.1f MiB -> " APPROX "%.1f MiB (%+.1f MiB)\n",
                r->ndumps, r->totals[0] / MIB, r->totals[r->ndumps - 1] / MIB, r->growth / MIB);
        fprintf(out, "Suspects (steady growth under a site, score >= %.2f):\n", r->suspect_score);
        fprintf(out, "%6s %10s  %-40s %s\n", "score", "growth MiB", "site", "MiB per dump");
        if (!r->nsuspects)
                fprintf(out, "  (none)\n");
        unsigned shown = 0;
        for (size_t i = 0; i < r->nsuspects && shown < r->top; i++, shown++)
                trend_row(r, &r->series[i], out);
        fprintf(out, "Other growth (not steady):\n");
        for (size_t i = r->nsuspects; i < r->nseries && shown < r->top; i++) {
                if (!(r->series[i].growth >= 0.5))
                        break;
                trend_row(r, &r->series[i], out);
                shown++;
        }
        return 0;
}

/* ---- collapsed ---------------------------------------------------------- */

/* frame names in folded stacks: ';' separates frames, newlines end lines */
static void put_folded_name(const char *s, FILE *out)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                fputc(c == ';' ? ':' : c < 0x20 ? '?' : c, out);
        }
}

int rep_render_collapsed(const struct an_report *r, FILE *out)
{
        for (size_t i = 0; i < r->npaths; i++) {
                const struct rep_path *p = &r->paths[i];
                long long v = rep_llr(p->v);
                if (p->n == 0 || v <= 0)
                        continue;
                for (uint32_t k = p->n; k-- > 0;) {
                        put_folded_name(name_of(r, r->ids[p->off + k]), out);
                        if (k)
                                fputc(';', out);
                }
                fprintf(out, " %lld\n", v);
        }
        return 0;
}

/* ---- escaping --------------------------------------------------------------- */

static void put_xml(const char *s, size_t max, FILE *out)
{
        for (size_t i = 0; s[i] && i < max; i++) {
                unsigned char c = (unsigned char)s[i];
                switch (c) {
                case '<': fputs("&lt;", out); break;
                case '>': fputs("&gt;", out); break;
                case '&': fputs("&amp;", out); break;
                case '"': fputs("&quot;", out); break;
                case '\'': fputs("&apos;", out); break;
                default: fputc(c < 0x20 || c >= 0x7f ? '?' : c, out);
                }
        }
}

static void put_dot_str(const char *s, FILE *out)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        fputc('\\', out);
                fputc(c < 0x20 || c >= 0x7f ? '?' : c, out);
        }
}

/* ---- flame graph ---------------------------------------------------------- */

struct svgctx {
        const struct an_report *r;
        const struct rep_ftree *t;
        FILE *out;
        double scale, total;
        unsigned height;
};

#define SVG_W 1200
#define SVG_PAD 10
#define SVG_ROW 16
#define SVG_TOP 34

static void svg_frames(struct svgctx *s, int32_t node, double x, unsigned depth)
{
        /* depth-first, explicit sibling walk; recursion depth = stack depth,
         * bounded by the frames cap */
        for (int32_t c = node; c >= 0; c = s->t->n[c].next) {
                const struct rep_fnode *f = &s->t->n[c];
                double w = f->v * s->scale;
                if (w >= 0.1) {
                        double y = s->height - SVG_PAD - (depth + 1) * SVG_ROW;
                        const char *nm = name_of(s->r, f->name);
                        uint64_t h = au_hash(nm, strlen(nm), 0);
                        unsigned red = 205 + (unsigned)(h % 50), green = (unsigned)((h >> 8) % 180),
                                 blue = (unsigned)((h >> 16) % 55);
                        char sz[32];
                        fputs("<g><title>", s->out);
                        put_xml(nm, 4096, s->out);
                        fprintf(s->out, " (&#8776;%s, %lld bytes, %.2f%%)</title>", iec(f->v, sz, sizeof(sz)),
                                rep_llr(f->v), s->total > 0 ? f->v * 100.0 / s->total : 0.0);
                        fprintf(s->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
                                "fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\"/>", x, y, w, SVG_ROW - 1, red, green, blue);
                        size_t fit = (size_t)(w / 7.0);
                        if (fit >= 3) {
                                fprintf(s->out, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + SVG_ROW - 4.5);
                                size_t len = strlen(nm);
                                if (len <= fit)
                                        put_xml(nm, len, s->out);
                                else {
                                        put_xml(nm, fit - 2, s->out);
                                        fputs("..", s->out);
                                }
                                fputs("</text>", s->out);
                        }
                        fputs("</g>\n", s->out);
                        if (f->child >= 0)
                                svg_frames(s, f->child, x, depth + 1);
                }
                x += w;
        }
}

int rep_render_svg(const struct an_report *r, FILE *out)
{
        struct rep_ftree t;
        if (rep_ftree_build(r, &t) < 0) {
                free(t.n);
                return -ENOMEM;
        }
        struct svgctx s = { .r = r, .t = &t, .out = out, .total = t.n[0].v };
        s.height = SVG_TOP + (t.depth + 1) * SVG_ROW + 2 * SVG_PAD;
        s.scale = s.total > 0 ? (SVG_W - 2.0 * SVG_PAD) / s.total : 0;
        fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                "<svg version=\"1.1\" width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" "
                "xmlns=\"http://www.w3.org/2000/svg\">\n"
                "<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
                "rect:hover{stroke:#000;stroke-width:0.5}</style>\n"
                "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f0\"/>\n",
                SVG_W, s.height, SVG_W, s.height);
        char sz[32], per[32];
        fprintf(out, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" style=\"font-size:16px\">"
                "Heap growth: &#8776;%s (%lld bytes, estimated from samples, one per %s allocated)</text>\n",
                SVG_W / 2, iec(s.total, sz, sizeof(sz)), rep_llr(s.total), iec((double)r->period, per, sizeof(per)));
        if (s.total > 0) {
                /* the root frame, then its children above it */
                double y = s.height - SVG_PAD - SVG_ROW;
                fprintf(out, "<g><title>all (&#8776;%s, %lld bytes, 100%%)</title><rect x=\"%d\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%d\" fill=\"rgb(220,160,60)\" rx=\"2\" ry=\"2\"/>"
                        "<text x=\"%d\" y=\"%.1f\">all</text></g>\n", sz, rep_llr(s.total), SVG_PAD, y,
                        SVG_W - 2.0 * SVG_PAD, SVG_ROW - 1, SVG_PAD + 3, y + SVG_ROW - 4.5);
                if (t.n[0].child >= 0)
                        svg_frames(&s, t.n[0].child, SVG_PAD, 1);
        }
        fputs("</svg>\n", out);
        free(t.n);
        return 0;
}

/* ---- dot ---------------------------------------------------------------- */

struct edge {
        uint32_t from, to;   /* caller, callee: function indexes */
        double v;
};

static int cmp_edge(const void *a, const void *b)
{
        const struct edge *x = a, *y = b;
        if (x->from != y->from)
                return x->from < y->from ? -1 : 1;
        return x->to < y->to ? -1 : x->to > y->to;
}

int rep_render_dot(const struct an_report *r, FILE *out)
{
        double total = 0, maxflat = 0;
        for (size_t i = 0; i < r->nfuncs; i++) {
                total += r->funcs[i].flat;
                if (fabs(r->funcs[i].flat) > maxflat)
                        maxflat = fabs(r->funcs[i].flat);
        }
        /* keep nodes like jeprof: |cum| > 0.5% of the total, at most 80 */
        int32_t *keep = malloc((r->pool.n ? r->pool.n : 1) * sizeof(*keep));
        if (!keep)
                return -ENOMEM;
        for (size_t i = 0; i < r->pool.n; i++)
                keep[i] = -1;
        size_t nkeep = 0;
        double nodelimit = fabs(total) * 0.005;
        fprintf(out, "digraph \"heap growth\" {\nnode [width=0.375,height=0.25];\n");
        char per[32];
        fprintf(out, "Legend [shape=box,fontsize=24,shape=plaintext,label=\"Total: " APPROX "%.1f MiB\\l"
                "values in MiB, estimated from samples (one per %s allocated)\\l\"];\n",
                total / MIB, iec((double)r->period, per, sizeof(per)));
        for (size_t i = 0; i < r->nfuncs && nkeep < 80; i++) {
                const struct rep_func *f = &r->funcs[i];
                if (!(fabs(f->cum) > nodelimit))
                        continue;
                keep[f->name] = (int32_t)nkeep++;
                double fs = 8 + (maxflat > 0 ? 42 * sqrt(fabs(f->flat) / maxflat) : 0);
                fprintf(out, "N%d [label=\"", keep[f->name]);
                put_dot_str(name_of(r, f->name), out);
                char p1[32], p2[32];
                percent(p1, sizeof(p1), f->flat, total);
                percent(p2, sizeof(p2), f->cum, total);
                fprintf(out, "\\n%.1f (%s)\\r", f->flat / MIB, p1);
                if (f->cum != f->flat)
                        fprintf(out, "of %.1f (%s)\\r", f->cum / MIB, p2);
                fprintf(out, "\",shape=box,fontsize=%.1f];\n", fs);
        }
        struct edge *e = NULL;
        size_t ne = 0, cape = 0;
        for (size_t i = 0; i < r->npaths; i++) {
                const struct rep_path *p = &r->paths[i];
                /* collapse the path onto kept nodes, then add caller->callee */
                int32_t prev = -1;
                for (uint32_t k = p->n; k-- > 0;) {
                        int32_t cur = keep[r->ids[p->off + k]];
                        if (cur < 0)
                                continue;
                        if (prev >= 0 && prev != cur) {
                                if (au_grow(&e, &cape, ne + 1, sizeof(*e)) < 0) {
                                        free(e);
                                        free(keep);
                                        return -ENOMEM;
                                }
                                e[ne++] = (struct edge){ (uint32_t)prev, (uint32_t)cur, p->v };
                        }
                        prev = cur;
                }
        }
        if (ne)
                qsort(e, ne, sizeof(*e), cmp_edge);
        double edgelimit = fabs(total) * 0.001;
        for (size_t i = 0; i < ne;) {
                size_t j = i;
                double v = 0;
                while (j < ne && e[j].from == e[i].from && e[j].to == e[i].to)
                        v += e[j++].v;
                if (fabs(v) > edgelimit) {
                        double w = total != 0 ? 1 + 5 * fabs(v / total) : 1;
                        fprintf(out, "N%u -> N%u [label=\"%.1f\",weight=%d,penwidth=%.1f];\n",
                                e[i].from, e[i].to, v / MIB, (int)(1 + 100 * (total != 0 ? fabs(v / total) : 0)), w);
                }
                i = j;
        }
        fputs("}\n", out);
        free(e);
        free(keep);
        return 0;
}
