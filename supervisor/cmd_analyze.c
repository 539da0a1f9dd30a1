/* `oomwatch diff` and `oomwatch trend`: thin front ends of the analyzer. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "commands.h"
#include "config.h"
#include "json.h"
#include "symbols.h"
#include "units.h"

static void usage_diff(FILE *f)
{
        fputs("Usage: oomwatch diff [OPTIONS] [--base OLD.heap] NEW.heap\n"
              "       oomwatch diff [OPTIONS] BUNDLE-DIR\n"
              "Show which call stacks grew between two jemalloc heap dumps\n"
              "(against an empty heap without --base); given an incident bundle's\n"
              "directory, the bundle's own diff again, named with the symbols (and\n"
              "debuginfod servers) there are now.\n\n"
              "  --base OLD.heap    the earlier dump\n"
              "  --format FORMAT    text (default), collapsed, svg, dot, json or pprof\n"
              "                     (gzipped profile.proto, for go tool pprof)\n"
              "  --top N            rows in text and json output (default 20)\n"
              "  --binary PATH      executable to symbolize with, instead of the path\n"
              "                     recorded in the dump\n"
              "  --hide LIST        frames that are runtime, not yours, for \"sites\" (where\n"
              "                     it grew): fnmatch patterns separated by ','; 'default'\n"
              "                     is the built-in list, 'none' hides nothing (default: default)\n"
              "  --symbol-cache DIR where decompressed copies of compressed debug files are\n"
              "                     kept for the next analyses; 'auto' (default):\n"
              "                     /var/cache/oomwatch for root, else ~/.cache/oomwatch;\n"
              "                     'off': none\n"
              "  --debuginfod-timeout DURATION\n"
              "                     when DEBUGINFOD_URLS names servers, the longest to wait\n"
              "                     for them in all (e.g. 10s; default 0: no limit of its own)\n"
              "  -h, --help         show this help\n\n"
              "Exit status: 0; 125 for bad usage or a dump that cannot be read or parsed\n"
              "(the message names the file and line).\n", f);
}

static void usage_trend(FILE *f)
{
        fputs("Usage: oomwatch trend [OPTIONS] DUMP...\n"
              "       oomwatch trend [OPTIONS] BUNDLE-DIR\n"
              "Rank sites (each stack's first frame outside the runtime, see --hide) by\n"
              "steady growth across dumps of one process, ordered by (pid, seq) from their\n"
              "names; a cache that fills and then stays flat is not a suspect. Needs at\n"
              "least two dumps; three or more tell a trend.\n\n"
              "  --format FORMAT    text (default), collapsed, svg, dot, json or pprof\n"
              "  --top N            rows in text and json output (default 20)\n"
              "  --binary PATH      executable to symbolize with\n"
              "  --hide LIST        frames that are runtime (as for diff)\n"
              "  --symbol-cache DIR decompressed debug files (as for diff)\n"
              "  --debuginfod-timeout DURATION\n"
              "                     the longest to wait for debuginfod servers (as for diff)\n"
              "  -h, --help         show this help\n\n"
              "Exit status: 0; 125 for bad usage or a dump that cannot be read or parsed\n"
              "(the message names the file and line).\n", f);
}

static int parse_top(const char *s, unsigned *ret)
{
        char *end;
        errno = 0;
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v == 0 || v > 1000000)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

/* the symbol settings of a command */
struct cli_syms {
        const char *cache;      /* --symbol-cache; NULL: auto */
        uint64_t timeout_ms;    /* --debuginfod-timeout; 0: none of ours */
};

/* Shared option parsing; *ret_base only for diff. Returns 0, 1 for help
 * printed, or OW_EXIT_USAGE after printing the reason. */
static int parse_opts(const char *cmd, int argc, char **argv, bool is_diff, struct an_options *o,
                      enum an_format *fmt, const char **ret_base, struct ow_config *hide, struct cli_syms *syms)
{
        enum { OPT_BASE = 256, OPT_FORMAT, OPT_TOP, OPT_BINARY, OPT_HIDE, OPT_SYMCACHE, OPT_DITIMEOUT };
        static const struct option diff_opts[] = {
                { "base", required_argument, NULL, OPT_BASE },
                { "format", required_argument, NULL, OPT_FORMAT },
                { "top", required_argument, NULL, OPT_TOP },
                { "binary", required_argument, NULL, OPT_BINARY },
                { "hide", required_argument, NULL, OPT_HIDE },
                { "symbol-cache", required_argument, NULL, OPT_SYMCACHE },
                { "debuginfod-timeout", required_argument, NULL, OPT_DITIMEOUT },
                { "help", no_argument, NULL, 'h' },
                { 0 }
        };
        const struct option *opts = is_diff ? diff_opts : diff_opts + 1;
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_BASE:
                        *ret_base = optarg;
                        break;
                case OPT_FORMAT:
                        if (an_format_from_string(optarg, fmt) < 0) {
                                fprintf(stderr, "oomwatch %s: unknown format '%s' (want text, collapsed, svg, dot, json or pprof)\n",
                                        cmd, optarg);
                                return OW_EXIT_USAGE;
                        }
                        break;
                case OPT_TOP:
                        if (parse_top(optarg, &o->top) < 0) {
                                fprintf(stderr, "oomwatch %s: bad --top '%s' (want 1 to 1000000)\n", cmd, optarg);
                                return OW_EXIT_USAGE;
                        }
                        break;
                case OPT_BINARY:
                        o->binary = optarg;
                        break;
                case OPT_SYMCACHE:
                        if (!optarg[0]) {
                                fprintf(stderr, "oomwatch %s: --symbol-cache needs a directory, 'auto' or 'off'\n", cmd);
                                return OW_EXIT_USAGE;
                        }
                        syms->cache = optarg;
                        break;
                case OPT_DITIMEOUT:
                        if (unit_parse_duration(optarg, &syms->timeout_ms) < 0 || syms->timeout_ms > UINT32_MAX) {
                                fprintf(stderr, "oomwatch %s: bad --debuginfod-timeout '%s' (a duration: 500ms, 10s, 2m)\n",
                                        cmd, optarg);
                                return OW_EXIT_USAGE;
                        }
                        break;
                case OPT_HIDE: {
                        /* the same list and checks as report.hide */
                        char *err = NULL;
                        if (cfg_set(hide, CK_HIDE, optarg, "option --hide", &err) < 0) {
                                fprintf(stderr, "oomwatch %s: %s\n", cmd, err ? err : "out of memory");
                                free(err);
                                return OW_EXIT_USAGE;
                        }
                        o->hide = (const char *const *)hide->hide;
                        break;
                }
                case 'h':
                        (is_diff ? usage_diff : usage_trend)(stdout);
                        return 1;
                case ':':
                        fprintf(stderr, "oomwatch %s: option '%s' needs a value\n", cmd, argv[optind - 1]);
                        return OW_EXIT_USAGE;
                default:
                        fprintf(stderr, "oomwatch %s: unknown option '%s' (see --help)\n", cmd,
                                argv[optind - 1]);
                        return OW_EXIT_USAGE;
                }
        }
        /* only JSON shows files and lines (pprof reads its own) */
        o->no_lines = *fmt != AN_FORMAT_JSON;
        return 0;
}

struct bundle_args;
static void compare_build_ids(const char *cmd, const struct bundle_args *a, const struct an_report *rep);

static int finish(const char *cmd, int r, struct an_report *rep, char *err, enum an_format fmt,
                  struct an_session *s, const struct bundle_args *bundle)
{
        if (r < 0) {
                fprintf(stderr, "oomwatch %s: %s\n", cmd, err ? err : strerror(-r));
                free(err);
                return OW_EXIT_USAGE;
        }
        if (fmt == AN_FORMAT_PPROF && isatty(STDOUT_FILENO)) {
                fprintf(stderr, "oomwatch %s: --format pprof writes gzipped protobuf: redirect it to a file\n", cmd);
                an_report_free(rep);
                return OW_EXIT_USAGE;
        }
        r = an_render(rep, fmt, stdout);
        if (r < 0) {
                an_report_free(rep);
                fprintf(stderr, "oomwatch %s: writing output: %s\n", cmd, strerror(-r));
                return OW_EXIT_USAGE;
        }
        fflush(stdout);
        /* frames without names: why, and what would name them (on stderr:
         * the output keeps its format) */
        (void)syms_write_hints(stderr, rep, NULL);
        if (bundle)
                compare_build_ids(cmd, bundle, rep);
        an_report_free(rep);
        /* the output is out: now what the next analysis can reuse */
        if (s)
                (void)an_session_save(s);
        return 0;
}

/* What one command analyses: a diff (dumps[0] the base, may be NULL, and
 * dumps[1]) or a trend. */
struct job {
        bool trend;
        const char *const *dumps;
        size_t n;
};

static int job_run(const struct job *j, struct an_session *s, struct an_report **ret, char **ret_err)
{
        return j->trend ? an_session_trend(s, j->dumps, j->n, ret, ret_err)
                        : an_session_diff(s, j->dumps[0], j->dumps[1], ret, ret_err);
}

/* Run the job with the symbol cache and, when $DEBUGINFOD_URLS names
 * servers, a second time asking them for the modules whose top frames the
 * first run could not name (as the incident bundle does). *ret_s is the
 * session the report came from (to save), *ret_first the other one. */
static int analyse(const char *cmd, struct an_options *o, const struct cli_syms *syms, const struct job *j,
                   char **ret_cache, struct an_session **ret_s, struct an_session **ret_first,
                   struct an_report **ret, char **ret_err)
{
        if (syms_cache_dir(syms->cache, ret_cache) < 0 ||
            syms_debuginfod_setup(o, "env", (unsigned)syms->timeout_ms, *ret_cache) < 0) {
                fprintf(stderr, "oomwatch %s: out of memory\n", cmd);
                return -ENOMEM;
        }
        o->symbol_cache = *ret_cache;
        bool servers = o->debuginfod;
        o->debuginfod = false;
        int r = an_session_new(o, ret_s);
        if (r < 0)
                return r;
        if ((r = job_run(j, *ret_s, ret, ret_err)) < 0 || !servers)
                return r;
        char **ids = syms_unnamed_build_ids(*ret);
        if (!ids)
                return r;
        struct an_options o2 = *o;
        struct an_session *s2 = NULL;
        struct an_report *rep2 = NULL;
        char *err2 = NULL;
        o2.debuginfod = true;
        o2.debuginfod_build_ids = (const char *const *)ids;
        if (an_session_new(&o2, &s2) == 0 && job_run(j, s2, &rep2, &err2) == 0) {
                an_report_free(*ret);
                *ret = rep2;
                *ret_first = *ret_s;
                *ret_s = s2;
        } else
                an_session_free(s2);
        free(err2);
        syms_free_ids(ids);
        return r;
}

/* ---- an incident bundle as the argument --------------------------------- */

struct bundle_args {
        char *base, *newer;     /* the diff's dumps */
        char **dumps;           /* the trend's */
        size_t ndumps;
        struct json_value *incident;
};

static void bundle_args_free(struct bundle_args *a)
{
        free(a->base);
        free(a->newer);
        for (size_t i = 0; i < a->ndumps; i++)
                free(a->dumps[i]);
        free(a->dumps);
        json_value_free(a->incident);
        memset(a, 0, sizeof(*a));
}

static bool is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/rel for a dump named in incident.json: only "dumps/NAME" */
static int bundle_dump(const char *cmd, const char *dir, const char *rel, char **ret)
{
        if (strncmp(rel, "dumps/", 6) != 0 || !rel[6] || strchr(rel + 6, '/')) {
                fprintf(stderr, "oomwatch %s: %s/incident.json: unexpected dump name '%s'\n", cmd, dir, rel);
                return OW_EXIT_USAGE;
        }
        if (asprintf(ret, "%s/%s", dir, rel) < 0) {
                fprintf(stderr, "oomwatch %s: out of memory\n", cmd);
                return OW_EXIT_USAGE;
        }
        return 0;
}

/* Read dir/incident.json: the dumps of its diff and its trend. */
static int bundle_args_load(const char *cmd, const char *dir, struct bundle_args *a)
{
        char *path = NULL, *text = NULL, *err = NULL;
        size_t len = 0;
        int r = OW_EXIT_USAGE;
        FILE *f = NULL;
        if (asprintf(&path, "%s/incident.json", dir) < 0 || !(f = fopen(path, "re"))) {
                fprintf(stderr, "oomwatch %s: %s: %s (not an incident bundle?)\n", cmd, path ? path : dir,
                        strerror(errno));
                goto out;
        }
        /* ours, but capped like any input */
        text = malloc(64 << 20);
        if (!text || (len = fread(text, 1, 64 << 20, f)) == 64 << 20 || ferror(f)) {
                fprintf(stderr, "oomwatch %s: %s: cannot read it (or larger than 64 MiB)\n", cmd, path);
                goto out;
        }
        if (json_parse(text, len, &a->incident, &err) < 0) {
                fprintf(stderr, "oomwatch %s: %s: %s\n", cmd, path, err ? err : "out of memory");
                goto out;
        }
        const struct json_value *diff = json_get(a->incident, "diff"), *trend = json_get(a->incident, "trend");
        const char *s;
        if (!diff || diff->type != JSON_T_OBJECT || json_get_string(diff, "new", &s) < 0) {
                fprintf(stderr, "oomwatch %s: %s: the bundle has no diff (its analysis failed: see report.txt)\n",
                        cmd, path);
                goto out;
        }
        if ((r = bundle_dump(cmd, dir, s, &a->newer)) != 0)
                goto out;
        if (json_get_string(diff, "base", &s) == 0 && (r = bundle_dump(cmd, dir, s, &a->base)) != 0)
                goto out;
        const struct json_value *dumps = trend ? json_get(trend, "dumps") : NULL;
        if (dumps && dumps->type == JSON_T_ARRAY && dumps->n) {
                if (!(a->dumps = calloc(dumps->n, sizeof(*a->dumps)))) {
                        fprintf(stderr, "oomwatch %s: out of memory\n", cmd);
                        r = OW_EXIT_USAGE;
                        goto out;
                }
                for (size_t i = 0; i < dumps->n; i++) {
                        if (dumps->items[i].type != JSON_T_STRING) {
                                fprintf(stderr, "oomwatch %s: %s: trend.dumps[%zu] is not a string\n", cmd, path, i);
                                r = OW_EXIT_USAGE;
                                goto out;
                        }
                        if ((r = bundle_dump(cmd, dir, dumps->items[i].str, &a->dumps[a->ndumps])) != 0)
                                goto out;
                        a->ndumps++;
                }
        }
        r = 0;
out:
        if (f)
                fclose(f);
        free(text);
        free(err);
        free(path);
        return r;
}

/* A module whose file changed since the incident cannot be trusted to name
 * the incident's addresses: say so. */
static void compare_build_ids(const char *cmd, const struct bundle_args *a, const struct an_report *rep)
{
        const struct json_value *mods = json_get(a->incident, "modules");
        if (!mods || mods->type != JSON_T_ARRAY)
                return;
        for (size_t i = 0; i < mods->n; i++) {
                const char *path, *was;
                if (json_get_string(&mods->items[i], "path", &path) < 0 ||
                    json_get_string(&mods->items[i], "build_id", &was) < 0)
                        continue;
                for (size_t k = 0; k < an_report_module_count(rep); k++) {
                        struct an_module m;
                        if (an_report_module(rep, k, &m) == 0 && strcmp(m.path, path) == 0 && m.build_id &&
                            strcmp(m.build_id, was) != 0)
                                fprintf(stderr,
                                        "oomwatch %s: %s changed since the incident (build-id %s, then %s): "
                                        "its names may be wrong\n",
                                        cmd, path, m.build_id, was);
                }
        }
}

/* On a terminal, a line on stderr that says how far the analysis is:
 * "reading DUMP: 41% of 11400 stacks", rewritten at most every 100 ms and
 * erased at the end. Never when stderr is a file or a pipe. */
struct progress {
        struct timespec last;
        bool shown;
};

static void show_progress(void *userdata, const char *dump, size_t done, size_t total)
{
        struct progress *p = userdata;
        struct timespec now;
        const char *base = strrchr(dump, '/');

        clock_gettime(CLOCK_MONOTONIC, &now);
        if (done != total && p->shown &&
            (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 100)
                return;
        p->last = now;
        p->shown = true;
        fprintf(stderr, "\r\033[Koomwatch: %s: %zu%% of %zu stacks", base ? base + 1 : dump,
                total ? done * 100 / total : 100, total);
}

static void progress_setup(struct an_options *o, struct progress *p)
{
        if (isatty(STDERR_FILENO)) {
                o->progress = show_progress;
                o->progress_data = p;
        }
}

static void progress_done(const struct progress *p)
{
        if (p->shown)
                fputs("\r\033[K", stderr);
}

int cmd_diff(int argc, char **argv)
{
        struct progress pg = { 0 };
        struct an_options o = { 0 };
        enum an_format fmt = AN_FORMAT_TEXT;
        const char *base = NULL;
        struct cli_syms syms = { 0 };
        struct bundle_args bundle = { 0 };
        struct ow_config hide;
        cfg_init(&hide);
        int r = parse_opts("diff", argc, argv, true, &o, &fmt, &base, &hide, &syms);
        if (r) {
                cfg_free(&hide);
                return r == 1 ? 0 : r;
        }
        if (argc - optind != 1) {
                fprintf(stderr, "oomwatch diff: %s (usage: oomwatch diff [--base OLD.heap] NEW.heap)\n",
                        argc - optind < 1 ? "missing NEW.heap" : "too many arguments");
                cfg_free(&hide);
                return OW_EXIT_USAGE;
        }
        const char *newer = argv[optind];
        bool from_bundle = is_dir(newer);
        if (from_bundle) {
                if (base) {
                        fprintf(stderr, "oomwatch diff: --base and a bundle directory: the bundle names its base\n");
                        cfg_free(&hide);
                        return OW_EXIT_USAGE;
                }
                if ((r = bundle_args_load("diff", newer, &bundle)) != 0) {
                        cfg_free(&hide);
                        return r;
                }
                base = bundle.base;
                newer = bundle.newer;
        }
        struct an_report *rep = NULL;
        struct an_session *s = NULL, *first = NULL;
        char *err = NULL, *cache = NULL;
        const char *pair[2] = { base, newer };
        struct job j = { .dumps = pair, .n = 2 };
        progress_setup(&o, &pg);
        r = analyse("diff", &o, &syms, &j, &cache, &s, &first, &rep, &err);
        progress_done(&pg);
        r = finish("diff", r, rep, err, fmt, s, from_bundle ? &bundle : NULL);
        an_session_free(s);
        an_session_free(first);
        free(cache);
        bundle_args_free(&bundle);
        cfg_free(&hide);
        return r;
}

int cmd_trend(int argc, char **argv)
{
        struct progress pg = { 0 };
        struct an_options o = { 0 };
        enum an_format fmt = AN_FORMAT_TEXT;
        struct cli_syms syms = { 0 };
        struct bundle_args bundle = { 0 };
        struct ow_config hide;
        cfg_init(&hide);
        int r = parse_opts("trend", argc, argv, false, &o, &fmt, NULL, &hide, &syms);
        if (r) {
                cfg_free(&hide);
                return r == 1 ? 0 : r;
        }
        const char *const *dumps = (const char *const *)(argv + optind);
        size_t n = (size_t)(argc - optind);
        bool from_bundle = n == 1 && is_dir(argv[optind]);
        if (from_bundle) {
                if ((r = bundle_args_load("trend", argv[optind], &bundle)) != 0) {
                        cfg_free(&hide);
                        return r;
                }
                if (bundle.ndumps < 2) {
                        fprintf(stderr, "oomwatch trend: %s: the bundle has no trend (fewer than three dumps)\n",
                                argv[optind]);
                        bundle_args_free(&bundle);
                        cfg_free(&hide);
                        return OW_EXIT_USAGE;
                }
                dumps = (const char *const *)bundle.dumps;
                n = bundle.ndumps;
        }
        if (n < 2) {
                fprintf(stderr, "oomwatch trend: need at least two dumps (usage: oomwatch trend DUMP...)\n");
                cfg_free(&hide);
                return OW_EXIT_USAGE;
        }
        struct an_report *rep = NULL;
        struct an_session *s = NULL, *first = NULL;
        char *err = NULL, *cache = NULL;
        struct job j = { .trend = true, .dumps = dumps, .n = n };
        progress_setup(&o, &pg);
        r = analyse("trend", &o, &syms, &j, &cache, &s, &first, &rep, &err);
        progress_done(&pg);
        r = finish("trend", r, rep, err, fmt, s, from_bundle ? &bundle : NULL);
        an_session_free(s);
        an_session_free(first);
        free(cache);
        bundle_args_free(&bundle);
        cfg_free(&hide);
        return r;
}
