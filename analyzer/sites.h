/* "Where it grew": the site of a stack is its first frame, from the leaf,
 * outside the C and C++ runtime and the allocator, as a list of patterns
 * decides (an_options.hide, default an_default_hide). A pattern with a '/'
 * is matched (fnmatch, no flags) against the path of the module a frame's
 * code is in, any other against the function's name. A stack whose frames
 * are all hidden has its first frame as its site.
 *
 * Internal to the analyzer (analyzer.c builds, render.c prints); the
 * public view is an_report_site(). Nothing here has global state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "an_util.h"
#include "report.h"
#include "symbolize.h"

/* The hide patterns with a cache of decisions per function name (pool id)
 * and per module (sym_result.mod). */
struct site_filter {
        const char *const *pat;   /* borrowed, NULL-terminated */
        uint8_t *name_state;      /* per pool id: 0 not decided, 1 shown, 2 hidden */
        size_t cap_names;
        uint8_t *mod_state;       /* per module index, the same */
        size_t cap_mods;
};

/* patterns NULL: an_default_hide. The patterns must outlive the filter. */
void site_filter_init(struct site_filter *f, const char *const *patterns);
void site_filter_free(struct site_filter *f);

/* Is the frame named name (pool id) in module mod runtime?
 * Returns 1 (hidden), 0 (the user's), or -ENOMEM. */
int site_hidden(struct site_filter *f, const struct au_strpool *pool, uint32_t name,
                const struct sym_ctx *sym, uint32_t mod);

/* Where a path's site was found, for its module, file and line. */
struct site_ref {
        uint32_t fn;              /* pool id of the site function; UINT32_MAX: none */
        uint32_t k;               /* its index among the names of res (0: innermost) */
        struct sym_result res;
};

/* Sum r->paths' growth by site (refs[i] for path i), keep the sites that
 * grew, largest first (then by name), and look up the module (and, when
 * lines, file and line) of the first r->top of them. Sets r->sites,
 * r->nsites. Returns 0 or -ENOMEM. */
int site_collect(struct an_report *r, struct sym_ctx *sym, const struct site_ref *refs, bool lines);

/* Index in r->sites of the site named fn, or -1. */
ssize_t site_find(const struct an_report *r, uint32_t fn);
