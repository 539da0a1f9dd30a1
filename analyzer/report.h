/* Internal layout of struct an_report, shared by analyzer.c (which builds
 * it) and render.c (which prints it). Not part of the public API. */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an_util.h"
#include "analyzer.h"
#include "heap_profile.h"
#include "symbolize.h"

/* One reduced call path (function ids, leaf first) and its growth. */
struct rep_path {
        uint32_t off, n;      /* ids in an_report.ids[off .. off+n) */
        uint32_t site;        /* pool id of its site (sites.h); UINT32_MAX when n is 0 */
        double v;             /* bytes: last dump minus first */
};

/* A site and the bytes that grew under it (sites.h). */
struct rep_site {
        uint32_t name;        /* pool id */
        int32_t module;       /* pool id of the module's path, or -1 */
        int32_t file;         /* pool id of the source file, or -1 */
        int line;             /* 0: unknown */
        uint32_t path;        /* the path that grew most under it */
        double bytes;
};

/* A module of the analysis (one with resolved addresses) and how many of
 * the report's top rows and sites have no name in it (module+0xOFF). */
struct rep_module {
        uint32_t path;        /* pool id */
        int32_t build_id;     /* pool id of the hex build-id, or -1 */
        int32_t debug;        /* pool id of the debug file's path, or -1 */
        int debuginfod;       /* enum sf_debuginfod */
        bool readable;
        unsigned unnamed;
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
        double *flat;         /* bytes under the site per dump: ndumps values, in an_report.svals */
};

struct an_report {
        bool trend;
        unsigned top;
        double suspect_score;
        struct au_strpool pool;
        char **dumps;         /* dump names in analysis order; dumps[0] NULL for a diff against empty */
        size_t ndumps;
        double *totals;       /* heap bytes per dump */
        uint64_t period;      /* sample period of the newest dump, bytes */
        double growth;        /* totals[last] - totals[first] */
        uint32_t *ids;
        size_t nids;
        struct rep_path *paths;
        size_t npaths;
        struct rep_func *funcs;   /* sorted like jeprof --text */
        size_t nfuncs;
        struct rep_site *sites;   /* grown sites, largest first */
        size_t nsites;
        struct rep_module *modules;  /* in the order the dumps name them */
        size_t nmodules;
        struct rep_series *series;  /* trend, one per site: sorted suspects first, by score */
        size_t nseries, nsuspects;
        double *svals;
        /* what the pprof export (pprof.c) reads the first and last dump with:
         * the options, and the symbolizer of the session the report was made
         * in (its cache of resolved addresses reused; its names are in the
         * session's pool: sym_str). The report holds a reference to the
         * session, so both live as long as the report. */
        char *binary;
        struct hp_limits limits;
        struct sym_ctx *sym;
        struct an_session *session;
};

/* bytes as an integer, rounded, saturated at the int64 range */
static inline long long rep_llr(double v)
{
        if (v >= 9.2e18)
                return INT64_MAX;
        if (v <= -9.2e18)
                return INT64_MIN;
        return llround(v);
}

/* The flame graph's tree: the paths that grew (positive values), merged
 * from the root; node 0 is the root (name UINT32_MAX), children are linked
 * by first child and next sibling. */
struct rep_fnode {
        uint32_t name;
        double v;
        int32_t child, next;   /* first child, next sibling; -1 none */
};

struct rep_ftree {
        struct rep_fnode *n;
        size_t len, cap;
        unsigned depth;
};

/* Build t from r. Returns 0 or -ENOMEM; free t->n in both cases. */
int rep_ftree_build(const struct an_report *r, struct rep_ftree *t);

int rep_render_text(const struct an_report *r, FILE *out);
int rep_render_collapsed(const struct an_report *r, FILE *out);
int rep_render_svg(const struct an_report *r, FILE *out);
int rep_render_dot(const struct an_report *r, FILE *out);
int rep_render_json(const struct an_report *r, FILE *out);
int rep_render_pprof(const struct an_report *r, FILE *out);
