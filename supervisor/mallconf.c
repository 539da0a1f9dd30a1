/* MALLOC_CONF validation and composition. */
#include "mallconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_BOOL, K_INT, K_STR };

struct option {
        const char *name;
        enum kind kind;
};

/* jemalloc 5.3's malloc_conf option names (src/jemalloc.c, conf parsing). */
static const struct option options[] = {
        { "abort", K_BOOL }, { "abort_conf", K_BOOL }, { "cache_oblivious", K_BOOL },
        { "trust_madvise", K_BOOL }, { "confirm_conf", K_BOOL }, { "retain", K_BOOL },
        { "dss", K_STR }, { "narenas", K_INT }, { "percpu_arena", K_STR },
        { "oversize_threshold", K_INT }, { "background_thread", K_BOOL },
        { "max_background_threads", K_INT }, { "dirty_decay_ms", K_INT }, { "muzzy_decay_ms", K_INT },
        { "lg_extent_max_active_fit", K_INT }, { "junk", K_STR }, { "zero", K_BOOL },
        { "utrace", K_BOOL }, { "xmalloc", K_BOOL }, { "experimental_infallible_new", K_BOOL },
        { "tcache", K_BOOL }, { "tcache_max", K_INT }, { "lg_tcache_max", K_INT },
        { "tcache_nslots_small_min", K_INT }, { "tcache_nslots_small_max", K_INT },
        { "tcache_nslots_large", K_INT }, { "lg_tcache_nslots_mul", K_INT },
        { "tcache_gc_incr_bytes", K_INT }, { "tcache_gc_delay_bytes", K_INT },
        { "lg_tcache_flush_small_div", K_INT }, { "lg_tcache_flush_large_div", K_INT },
        { "thp", K_STR }, { "metadata_thp", K_STR }, { "bin_shards", K_STR }, { "slab_sizes", K_STR },
        { "hpa", K_BOOL }, { "hpa_slab_max_alloc", K_INT }, { "hpa_hugification_threshold", K_INT },
        { "hpa_hugification_threshold_ratio", K_STR }, { "hpa_hugify_delay_ms", K_INT },
        { "hpa_min_purge_interval_ms", K_INT }, { "hpa_dirty_mult", K_STR }, { "hpa_sec_nshards", K_INT },
        { "hpa_sec_max_alloc", K_INT }, { "hpa_sec_max_bytes", K_INT },
        { "hpa_sec_bytes_after_flush", K_INT }, { "hpa_sec_batch_fill_extra", K_INT },
        { "mutex_max_spin", K_INT }, { "debug_double_free_max_scan", K_INT },
        { "san_guard_small", K_INT }, { "san_guard_large", K_INT }, { "lg_san_uaf_align", K_INT },
        { "stats_print", K_BOOL }, { "stats_print_opts", K_STR }, { "stats_interval", K_INT },
        { "stats_interval_opts", K_STR }, { "zero_realloc", K_STR },
        { "prof", K_BOOL }, { "prof_prefix", K_STR }, { "prof_active", K_BOOL },
        { "prof_thread_active_init", K_BOOL }, { "lg_prof_sample", K_INT }, { "prof_accum", K_BOOL },
        { "lg_prof_interval", K_INT }, { "prof_gdump", K_BOOL }, { "prof_final", K_BOOL },
        { "prof_leak", K_BOOL }, { "prof_leak_error", K_BOOL }, { "prof_log", K_BOOL },
        { "prof_recent_alloc_max", K_INT }, { "prof_stats", K_BOOL }, { "prof_sys_thread_name", K_BOOL },
        { "prof_time_resolution", K_STR },
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const struct option *find_option(const char *name, size_t len)
{
        for (size_t i = 0; i < N_OPTIONS; i++)
                if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
                        return &options[i];
        return NULL;
}

bool mc_option_known(const char *name)
{
        return find_option(name, strlen(name)) != NULL;
}

/* Levenshtein distance, for "did you mean"; names are short. */
static unsigned distance(const char *a, size_t la, const char *b)
{
        size_t lb = strlen(b);
        unsigned row[64];

        if (la >= 63 || lb >= 63)
                return 99;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned)j;
        for (size_t i = 1; i <= la; i++) {
                unsigned prev = row[0], cur;
                row[0] = (unsigned)i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned del = row[j] + 1, ins = row[j - 1] + 1;
                        unsigned sub = prev + (a[i - 1] != b[j - 1]);
                        cur = del < ins ? del : ins;
                        cur = cur < sub ? cur : sub;
                        prev = row[j];
                        row[j] = cur;
                }
        }
        return row[lb];
}

static const char *closest(const char *name, size_t len)
{
        const char *best = NULL;
        unsigned bd = 4;

        for (size_t i = 0; i < N_OPTIONS; i++) {
                unsigned d = distance(name, len, options[i].name);
                if (d < bd) {
                        bd = d;
                        best = options[i].name;
                }
        }
        return best;
}

static int why(char **ret_why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int why(char **ret_why, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_why, fmt, ap) < 0)
                *ret_why = NULL;
        va_end(ap);
        return *ret_why ? -EINVAL : -ENOMEM;
}

/* The options whose effective value mc_compose reports, with the range
 * jemalloc 5.3 gives them: it clamps lg_prof_sample above 63 and ignores
 * an lg_prof_interval outside [-1, 63] with a warning. Callers shift by
 * these values, so anything outside is refused here. */
static const struct {
        const char *name;
        long long lo, hi;
} int_ranges[] = {
        { "lg_prof_sample", 0, 63 },
        { "lg_prof_interval", -1, 63 },
};

/* An optionally negative decimal of len bytes that jemalloc can read
 * (its magnitude fits in 64 bits); value_ok has checked the characters.
 * Returns false on overflow; *ret_neg and *ret_mag describe the number. */
static bool int_value(const char *v, size_t len, bool *ret_neg, uint64_t *ret_mag)
{
        size_t i = v[0] == '-';
        uint64_t mag = 0;

        *ret_neg = i == 1;
        for (; i < len; i++) {
                unsigned d = (unsigned)(v[i] - '0');
                if (mag > (UINT64_MAX - d) / 10)
                        return false;
                mag = mag * 10 + d;
        }
        *ret_mag = mag;
        return true;
}

static bool value_ok(enum kind k, const char *v, size_t len)
{
        size_t i = 0;

        if (len == 0)
                return false;
        switch (k) {
        case K_BOOL:
                return (len == 4 && memcmp(v, "true", 4) == 0) || (len == 5 && memcmp(v, "false", 5) == 0);
        case K_INT:
                if (v[0] == '-')
                        i = 1;
                if (i == len)
                        return false;
                for (; i < len; i++)
                        if (!isdigit((unsigned char)v[i]))
                                return false;
                return true;
        case K_STR:
                return true;
        }
        return false;
}

int mc_validate_pairs(const char *pairs, char **ret_why)
{
        const char *p = pairs;
        size_t n_names = 0;
        const char *seen[N_OPTIONS];

        if (!*pairs)
                return why(ret_why, "empty; write name:value pairs such as prof_accum:true");
        if (strchr(pairs, ';'))
                return why(ret_why,
                           "'%s' uses ';', but jemalloc separates options with ',' (write '%s')", pairs,
                           "name:value,name:value");
        for (const char *q = pairs; *q; q++)
                if (isspace((unsigned char)*q))
                        return why(ret_why, "'%s' contains white space, which jemalloc does not accept", pairs);

        while (*p) {
                const char *end = strchr(p, ','), *colon;
                size_t len = end ? (size_t)(end - p) : strlen(p);
                const struct option *o;

                if (len == 0)
                        return why(ret_why, "empty pair in '%s' (stray ',')", pairs);
                colon = memchr(p, ':', len);
                if (!colon)
                        return why(ret_why, "pair '%.*s' has no ':' (expected name:value, e.g. prof_accum:true)",
                                   (int)len, p);
                if (colon == p)
                        return why(ret_why, "pair '%.*s' has no option name", (int)len, p);
                for (const char *c = p; c < colon; c++)
                        if (!isalnum((unsigned char)*c) && *c != '_')
                                return why(ret_why, "pair '%.*s': '%.*s' is not an option name", (int)len, p,
                                           (int)(colon - p), p);
                o = find_option(p, (size_t)(colon - p));
                if (!o) {
                        const char *hint = closest(p, (size_t)(colon - p));
                        if (hint)
                                return why(ret_why, "unknown jemalloc option '%.*s' (did you mean '%s'?)",
                                           (int)(colon - p), p, hint);
                        return why(ret_why, "unknown jemalloc option '%.*s'", (int)(colon - p), p);
                }
                if (strcmp(o->name, "prof_prefix") == 0)
                        return why(ret_why, "prof_prefix is set by oomwatch from dumps.dir; set dumps.dir instead");
                for (size_t i = 0; i < n_names; i++)
                        if (seen[i] == o->name)
                                return why(ret_why, "option '%s' is given twice", o->name);
                seen[n_names++] = o->name;
                if (!value_ok(o->kind, colon + 1, len - (size_t)(colon + 1 - p)))
                        return why(ret_why, "pair '%.*s': %s", (int)len, p,
                                   o->kind == K_BOOL ? "the value must be true or false" :
                                   o->kind == K_INT  ? "the value must be a whole number" :
                                                       "the value is empty");
                if (o->kind == K_INT) {
                        const char *v = colon + 1;
                        size_t vlen = len - (size_t)(colon + 1 - p);
                        uint64_t mag;
                        bool neg;

                        if (!int_value(v, vlen, &neg, &mag))
                                return why(ret_why, "pair '%.*s': the value is too large", (int)len, p);
                        for (size_t i = 0; i < sizeof(int_ranges) / sizeof(int_ranges[0]); i++)
                                if (strcmp(o->name, int_ranges[i].name) == 0 &&
                                    (neg ? mag > (uint64_t)-int_ranges[i].lo : mag > (uint64_t)int_ranges[i].hi))
                                        return why(ret_why, "pair '%.*s': the value must be from %lld to %lld",
                                                   (int)len, p, int_ranges[i].lo, int_ranges[i].hi);
                }
                p += len;
                if (*p == ',') {
                        p++;
                        if (!*p)
                                return why(ret_why, "'%s' ends with ','", pairs);
                }
        }
        return 0;
}

/* ---- composition ---------------------------------------------------------- */

struct pair {
        char name[48];
        char *value;
};

static int pair_set(struct pair *v, size_t *n, size_t cap, const char *name, size_t nlen, const char *value,
                    size_t vlen)
{
        size_t i;
        char *nv;

        if (nlen >= sizeof(v[0].name))
                return -EINVAL;
        for (i = 0; i < *n; i++)
                if (strlen(v[i].name) == nlen && memcmp(v[i].name, name, nlen) == 0)
                        break;
        if (i == *n) {
                if (*n == cap)
                        return -E2BIG;
                memcpy(v[i].name, name, nlen);
                v[i].name[nlen] = '\0';
                v[i].value = NULL;
                (*n)++;
        }
        nv = strndup(value, vlen);
        if (!nv)
                return -ENOMEM;
        free(v[i].value);
        v[i].value = nv;
        return 0;
}

static int pair_setf(struct pair *v, size_t *n, size_t cap, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int pair_setf(struct pair *v, size_t *n, size_t cap, const char *name, const char *fmt, ...)
{
        char buf[64];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return pair_set(v, n, cap, name, strlen(name), buf, strlen(buf));
}

static const char *pair_get(const struct pair *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].name, name) == 0)
                        return v[i].value;
        return NULL;
}

int mc_compose(const struct ow_config *c, const char *prefix, struct mc_result *ret, char **ret_why)
{
        struct pair v[N_OPTIONS + 8];
        size_t n = 0, cap = sizeof(v) / sizeof(v[0]), total = 1;
        char *out = NULL, *w;
        const char *s;
        int r;

        if (strchr(prefix, ','))
                return why(ret_why, "dump prefix '%s' contains ',', which MALLOC_CONF cannot carry", prefix);
        if (c->malloc_conf) {
                r = mc_validate_pairs(c->malloc_conf, ret_why);
                if (r < 0)
                        return r;
        }

        r = pair_setf(v, &n, cap, "prof", "true");
        /* with profiling.processes the agent turns sampling on in the
         * processes in scope only: none samples before it decided */
        if (r >= 0)
                r = pair_setf(v, &n, cap, "prof_active", "%s", c->processes && c->agent ? "false" : "true");
        if (r >= 0)
                r = pair_setf(v, &n, cap, "lg_prof_sample", "%u", c->lg_prof_sample);
        if (r >= 0)
                r = pair_setf(v, &n, cap, "lg_prof_interval", "%d", cfg_lg_prof_interval(c));
        if (r >= 0)
                r = pair_setf(v, &n, cap, "prof_gdump", "%s", c->gdump == CFG_ON ? "true" : "false");
        if (r >= 0)
                r = pair_setf(v, &n, cap, "prof_final", "%s", c->final ? "true" : "false");
        if (r >= 0)
                r = pair_set(v, &n, cap, "prof_prefix", 11, prefix, strlen(prefix));

        for (const char *p = c->malloc_conf; r >= 0 && p && *p;) {
                const char *end = strchr(p, ','), *colon;
                size_t len = end ? (size_t)(end - p) : strlen(p);

                colon = memchr(p, ':', len); /* validated above */
                r = pair_set(v, &n, cap, p, (size_t)(colon - p), colon + 1, len - (size_t)(colon + 1 - p));
                p += len + (end ? 1 : 0);
        }
        if (r < 0)
                goto out;

        for (size_t i = 0; i < n; i++)
                total += strlen(v[i].name) + 1 + strlen(v[i].value) + 1;
        out = malloc(total);
        if (!out) {
                r = -ENOMEM;
                goto out;
        }
        w = out;
        for (size_t i = 0; i < n; i++)
                w += sprintf(w, "%s%s:%s", i ? "," : "", v[i].name, v[i].value);

        ret->conf = out;
        s = pair_get(v, n, "lg_prof_sample");
        ret->lg_prof_sample = (int)strtol(s, NULL, 10);
        s = pair_get(v, n, "lg_prof_interval");
        ret->lg_prof_interval = (int)strtol(s, NULL, 10);
        ret->prof = strcmp(pair_get(v, n, "prof"), "true") == 0;
        r = 0;
out:
        for (size_t i = 0; i < n; i++)
                free(v[i].value);
        return r;
}
