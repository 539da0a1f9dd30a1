/* Internal layout of struct an_report, shared by analyzer.c (which builds
 * it) and render.c (which prints it). Not part of the public API. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an_util.h"
#include "analyzer.h"

/* One reduced call path (function ids, leaf first) and its growth. */
struct rep_path {
        uint32_t off, n;      /* ids in an_report.ids[off .. off+n) */
        double v;             /* bytes: last dump minus first */
};

struct rep_func {
        uint32_t name;        /* pool id */
        int32_t file;         /* pool id of "file:line" where it allocates, or -1 */
        double flat, cum;
};

struct rep_series {
        uint32_t name;
        int32_t file;
        double score, growth;
        bool suspect;
        double *flat;         /* ndumps values, in an_report.svals */
};

struct an_report {
        bool trend;
        unsigned top;
        double suspect_score;
        struct au_strpool pool;
        char **dumps;         /* dump names in analysis order; dumps[0] NULL for a diff against empty */
        size_t ndumps;
        double *totals;       /* heap bytes per dump */
        double growth;        /* totals[last] - totals[first] */
        uint32_t *ids;
        size_t nids;
        struct rep_path *paths;
        size_t npaths;
        struct rep_func *funcs;   /* sorted like jeprof --text */
        size_t nfuncs;
        struct rep_series *series;  /* trend: sorted suspects first, by score */
        size_t nseries, nsuspects;
        double *svals;
};

int rep_render_text(const struct an_report *r, FILE *out);
int rep_render_collapsed(const struct an_report *r, FILE *out);
int rep_render_svg(const struct an_report *r, FILE *out);
int rep_render_dot(const struct an_report *r, FILE *out);
int rep_render_json(const struct an_report *r, FILE *out);
