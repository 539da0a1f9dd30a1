/* Configuration: defaults, INI loading through libinih, value checks. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "mallconf.h"
#include "spawn.h"
#include "symbols.h"
#include "units.h"

#define MIN_MEMORY_LIMIT (4ULL << 20)
#define MIN_MAX_BYTES (1ULL << 20)
#define MIN_INTERVAL (4ULL << 10)
#define MIN_USAGE_STEP (64ULL << 10)

const struct cfg_key_info cfg_keys[CK__COUNT] = {
        [CK_COMMAND] = { "target", "command", "(none)", "command line of the target, split like a shell would without expanding anything" },
        [CK_USER] = { "target", "user", "(none)", "run the target as this user (name or uid)" },
        [CK_GROUP] = { "target", "group", "(none)", "run the target with this group (name or gid)" },
        [CK_WORKDIR] = { "target", "workdir", "(none)", "working directory of the target" },
        [CK_RESTART] = { "target", "restart", "never", "never | on-failure | on-oom | always" },
        [CK_RESTART_DELAY] = { "target", "restart_delay", "1s", "delay before the first restart; doubles each time, at most 60s" },
        [CK_MAX_RESTARTS] = { "target", "max_restarts", "3", "restarts allowed before oomwatch gives up" },
        [CK_STOP_TIMEOUT] = { "target", "stop_timeout", "10s", "after a forwarded stop signal, kill the target's cgroup; 0: wait" },
        [CK_CGROUP_MODE] = { "cgroup", "mode", "child", "child: a cgroup of its own for the target | own: the target stays in oomwatch's cgroup" },
        [CK_MEMORY_LIMIT] = { "cgroup", "memory_limit", "(none)", "memory limit of the target's cgroup (required in child mode; refused in own mode)" },
        [CK_SWAP] = { "cgroup", "swap", "0", "swap the target may use on top of the limit" },
        [CK_PARENT] = { "cgroup", "parent", "(own)", "parent memory cgroup; default: oomwatch's own" },
        [CK_WARN_AT] = { "cgroup", "warn_at", "90,95,98", "percentages of the limit at which the agent takes a dump; off for none" },
        [CK_USAGE_STEP] = { "cgroup", "usage_step", "auto", "auto (1/16 of the limit) | off | SIZE | PERCENT%: a dump each time the usage rises this much" },
        [CK_LG_PROF_SAMPLE] = { "profiling", "lg_prof_sample", "19", "log2 of the mean bytes between samples" },
        [CK_INTERVAL] = { "profiling", "interval", "auto", "auto (off while usage_step takes the dumps, else about limit/8) | off | SIZE of gross allocation between dumps" },
        [CK_GDUMP] = { "profiling", "gdump", "fast", "fast (switched on in a burst) | off | on | PERCENT of the limit above which peak dumps are switched on" },
        [CK_FINAL] = { "profiling", "final", "on", "dump at normal exit (prof_final)" },
        [CK_MALLOC_CONF] = { "profiling", "malloc_conf", "(none)", "extra jemalloc options, name:value pairs separated by ','" },
        [CK_PRELOAD_JEMALLOC] = { "profiling", "preload_jemalloc", "auto", "auto | on | off: preload the system libjemalloc" },
        [CK_PYTHON_MALLOC] = { "profiling", "python_malloc", "on", "a CPython target given jemalloc also gets PYTHONMALLOC=malloc (unless it is set)" },
        [CK_AGENT] = { "profiling", "agent", "on", "preload oomwatch's agent so dumps can be asked for from outside" },
        [CK_PROCESSES] = { "profiling", "processes", "all", "all | PATTERN...: the processes of the tree that are profiled (by program name)" },
        [CK_DUMP_DIR] = { "dumps", "dir", "oomwatch-dumps", "directory the target writes its heap dumps to" },
        [CK_KEEP] = { "dumps", "keep", "8", "newest dumps kept per process, besides the baseline" },
        [CK_KEEP_BASELINE] = { "dumps", "keep_baseline", "on", "keep each process's baseline dump" },
        [CK_BASELINE_AFTER] = { "dumps", "baseline_after", "(unset)", "take the baseline this long after start; unset: the first dump" },
        [CK_MAX_BYTES] = { "dumps", "max_bytes", "256M", "cap on the bytes of dumps kept" },
        [CK_REPORT_DIR] = { "report", "dir", "oomwatch-reports", "directory incident bundles are written to" },
        [CK_REPORT_ON] = { "report", "on", "oom", "oom | exit | always: when to write a bundle" },
        [CK_FORMATS] = { "report", "formats", "collapsed,svg,pprof,html", "extra outputs besides report.txt and incident.json: collapsed, svg, dot, pprof, html" },
        [CK_TOP] = { "report", "top", "20", "functions listed in the report" },
        [CK_HIDE] = { "report", "hide", "default", "frames that are runtime, not yours: fnmatch patterns, ',' between; 'default' = the built-in list" },
        [CK_DEBUGINFOD_URLS] = { "report", "debuginfod_urls", "env", "env ($DEBUGINFOD_URLS) | off | URLs: debuginfod servers asked for missing debug files" },
        [CK_DEBUGINFOD_TIMEOUT] = { "report", "debuginfod_timeout", "2s", "the longest a bundle waits for debuginfod servers, in all; 0: no limit of its own" },
        [CK_SYMBOL_CACHE] = { "report", "symbol_cache", "auto", "auto | off | DIR: decompressed copies of compressed debug files, for the next analyses" },
        [CK_ENGINE] = { "report", "engine", "native", "native | jeprof: what writes report.txt" },
        [CK_REPORT_USER] = { "report", "user", "(the target's)", "an unprivileged user (name or uid) the analysis runs as instead of the target's" },
        [CK_BUNDLE_LIMIT] = { "report", "bundle_limit", "5/10m", "N/DURATION: bundles for OOM kills of the target's descendants, at most N per DURATION" },
        [CK_EVENTS] = { "report", "events", "(none)", "event log: a file, or - for stderr; one JSON object per line" },
        [CK_METRICS] = { "report", "metrics", "(none)", "Prometheus textfile (node_exporter's textfile collector)" },
        [CK_TERMINATION_LOG] = { "report", "termination_log", "auto", "auto (/dev/termination-log when it exists) | off | FILE: a short summary of each bundle" },
};

static const char *const sections[] = { "target", "cgroup", "profiling", "dumps", "report" };

static char *xstrdup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

void cfg_strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

static int set_str(char **dst, const char *v)
{
        char *n = strdup(v);

        if (!n)
                return -ENOMEM;
        free(*dst);
        *dst = n;
        return 0;
}

void cfg_init(struct ow_config *c)
{
        memset(c, 0, sizeof(*c));
        c->restart = CFG_RESTART_NEVER;
        c->restart_delay_ms = 1000;
        c->max_restarts = 3;
        c->stop_timeout_ms = 10000;
        c->lg_prof_sample = 19;
        c->interval_auto = true;
        c->gdump = CFG_OFF;
        c->gdump_fast = true;
        c->final = true;
        c->preload_jemalloc = CFG_AUTO;
        c->python_malloc = true;
        c->agent = true;
        c->keep = 8;
        c->warn_at[0] = 90;
        c->warn_at[1] = 95;
        c->warn_at[2] = 98;
        c->n_warn_at = 3;
        c->usage_step = CFG_AUTO;
        c->keep_baseline = true;
        c->baseline_after_ms = -1;
        c->max_bytes = 256ULL << 20;
        c->report_on = CFG_REPORT_ON_OOM;
        c->formats = CFG_FMT_TEXT | CFG_FMT_JSON | CFG_FMT_COLLAPSED | CFG_FMT_SVG | CFG_FMT_PPROF | CFG_FMT_HTML;
        c->top = 20;
        c->debuginfod_timeout_ms = 2000;
        c->bundle_limit = 5;
        c->bundle_window_ms = 10 * 60 * 1000;
        c->engine = CFG_ENGINE_NATIVE;
}

void cfg_free(struct ow_config *c)
{
        cfg_strv_free(c->argv);
        free(c->user);
        free(c->group);
        free(c->workdir);
        free(c->parent);
        free(c->malloc_conf);
        free(c->processes);
        free(c->dump_dir);
        free(c->report_dir);
        free(c->report_user);
        free(c->events);
        free(c->metrics);
        free(c->termination_log);
        free(c->hide_text);
        free(c->symbol_cache);
        free(c->debuginfod_urls);
        cfg_strv_free(c->hide);
        for (unsigned i = 0; i < CK__COUNT; i++) {
                free(c->origin[i]);
                free(c->written[i]);
        }
        memset(c, 0, sizeof(*c));
}

int cfg_key_lookup(const char *section, const char *name)
{
        for (unsigned i = 0; i < CK__COUNT; i++)
                if (strcmp(cfg_keys[i].section, section) == 0 && strcmp(cfg_keys[i].name, name) == 0)
                        return (int)i;
        return -ENOENT;
}

/* profiling.processes: blank-separated fnmatch patterns the agent can carry. */
static int check_patterns(const char *v, const char **ret_reason)
{
        size_t n = 0, w = 0;

        for (const char *p = v; *p; p++) {
                unsigned char ch = (unsigned char)*p;
                if (ch < 0x20 && ch != '\t') {
                        *ret_reason = "a control character";
                        return -EINVAL;
                }
                w = ch == ' ' || ch == '\t' ? 0 : w + 1;
                if (w > 255) {
                        *ret_reason = "a pattern longer than 255 bytes";
                        return -EINVAL;
                }
                n += w == 1;
        }
        if (strlen(v) > 4000) {
                *ret_reason = "longer than 4000 bytes";
                return -EINVAL;
        }
        if (!n) {
                *ret_reason = "no pattern (use all for every process)";
                return -EINVAL;
        }
        return 0;
}

static bool section_known(const char *s)
{
        for (unsigned i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
                if (strcmp(sections[i], s) == 0)
                        return true;
        return false;
}

/* ---- command splitting --------------------------------------------------- */

int cfg_split_command(const char *s, char ***ret_argv, const char **ret_reason)
{
        size_t n = 0, len = strlen(s);
        char **v = calloc(len / 2 + 2, sizeof(char *));
        char *word = malloc(len + 1);
        int r = -EINVAL;

        if (!v || !word) {
                *ret_reason = "out of memory";
                r = -ENOMEM;
                goto fail;
        }
        for (const char *p = s;;) {
                size_t w = 0;
                bool have = false;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                while (*p && *p != ' ' && *p != '\t') {
                        have = true;
                        if (*p == '\'') {
                                const char *q = strchr(p + 1, '\'');
                                if (!q) {
                                        *ret_reason = "unterminated ' quote";
                                        goto fail;
                                }
                                memcpy(word + w, p + 1, (size_t)(q - p - 1));
                                w += (size_t)(q - p - 1);
                                p = q + 1;
                        } else if (*p == '"') {
                                p++;
                                while (*p && *p != '"') {
                                        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                                                p++;
                                        word[w++] = *p++;
                                }
                                if (*p != '"') {
                                        *ret_reason = "unterminated \" quote";
                                        goto fail;
                                }
                                p++;
                        } else if (*p == '\\') {
                                if (!p[1]) {
                                        *ret_reason = "trailing backslash";
                                        goto fail;
                                }
                                word[w++] = p[1];
                                p += 2;
                        } else {
                                word[w++] = *p++;
                        }
                }
                if (have) {
                        v[n] = strndup(word, w);
                        if (!v[n]) {
                                *ret_reason = "out of memory";
                                r = -ENOMEM;
                                goto fail;
                        }
                        n++;
                }
        }
        if (n == 0) {
                *ret_reason = "empty command";
                goto fail;
        }
        free(word);
        *ret_argv = v;
        return 0;
fail:
        free(word);
        cfg_strv_free(v);
        return r;
}

/* ---- values --------------------------------------------------------------- */

static int fail(char **ret_err, int r, const char *origin, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(char **ret_err, int r, const char *origin, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (ret_err) {
                free(*ret_err);
                if (!origin)
                        *ret_err = msg ? strdup(msg) : NULL;
                else if (asprintf(ret_err, "%s: %s", origin, msg ? msg : "out of memory") < 0)
                        *ret_err = NULL;
        }
        free(msg);
        return r;
}

static const char *range_or_syntax(int r)
{
        return r == -ERANGE ? "out of range" : "malformed";
}

static int parse_enum(const char *v, const char *const *names, unsigned n, unsigned *ret)
{
        for (unsigned i = 0; i < n; i++)
                if (strcmp(v, names[i]) == 0) {
                        *ret = i;
                        return 0;
                }
        return -EINVAL;
}

static int parse_warn_at(const char *v, unsigned out[CFG_MAX_WARN_AT], unsigned *ret_n,
                         const char **ret_reason)
{
        unsigned n = 0;
        char *copy = strdup(v), *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                unsigned p;

                while (*tok == ' ')
                        tok++;
                for (char *e = tok + strlen(tok); e > tok && e[-1] == ' ';)
                        *--e = '\0';
                if (unit_parse_percent(tok, 1, 99, &p) < 0) {
                        *ret_reason = "each threshold must be a percentage from 1 to 99";
                        goto bad;
                }
                if (n == CFG_MAX_WARN_AT) {
                        *ret_reason = "at most 8 thresholds";
                        goto bad;
                }
                for (unsigned i = 0; i < n; i++)
                        if (out[i] == p) {
                                *ret_reason = "a threshold is listed twice";
                                goto bad;
                        }
                out[n++] = p;
        }
        free(copy);
        /* insertion sort: at most 8 values */
        for (unsigned i = 1; i < n; i++)
                for (unsigned j = i; j > 0 && out[j - 1] > out[j]; j--) {
                        unsigned t = out[j];
                        out[j] = out[j - 1];
                        out[j - 1] = t;
                }
        *ret_n = n;
        return 0;
bad:
        free(copy);
        return -EINVAL;
}

#define MAX_HIDE 256

/* A list of patterns like "default, app::alloc*": separated by ',', blanks
 * around each trimmed; "default" stands for the built-in list, "none" for
 * no pattern at all. *ret: a new NULL-terminated vector. Returns 0,
 * -EINVAL with a static *ret_reason, or -ENOMEM. */
static int parse_hide(const char *v, char ***ret, const char **ret_reason)
{
        char **out = calloc(MAX_HIDE + 1, sizeof(*out));
        size_t n = 0;
        int r = 0;

        if (!out)
                return -ENOMEM;
        for (const char *p = v; r == 0;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                const char *a = p, *b = p + len;
                while (a < b && isspace((unsigned char)*a))
                        a++;
                while (b > a && isspace((unsigned char)b[-1]))
                        b--;
                char *tok = strndup(a, (size_t)(b - a));
                if (!tok) {
                        r = -ENOMEM;
                        break;
                }
                if (strcmp(tok, "default") == 0) {
                        for (size_t i = 0; an_default_hide[i] && r == 0; i++) {
                                if (n >= MAX_HIDE) {
                                        *ret_reason = "more than 256 patterns";
                                        r = -EINVAL;
                                } else if (!(out[n++] = strdup(an_default_hide[i]))) {
                                        r = -ENOMEM;
                                }
                        }
                        free(tok);
                } else if (strcmp(tok, "none") == 0) {
                        free(tok);
                        if (comma || p != v) {
                                *ret_reason = "'none' stands alone";
                                r = -EINVAL;
                        }
                } else if (an_hide_check(tok, ret_reason) < 0) {
                        free(tok);
                        r = -EINVAL;
                } else if (n >= MAX_HIDE) {
                        free(tok);
                        *ret_reason = "more than 256 patterns";
                        r = -EINVAL;
                } else {
                        out[n++] = tok;
                }
                if (!comma)
                        break;
                p = comma + 1;
        }
        if (r < 0) {
                cfg_strv_free(out);
                return r;
        }
        *ret = out;
        return 0;
}

static int parse_formats(const char *v, unsigned *ret)
{
        static const struct { const char *name; unsigned bit; } fm[] = {
                { "text", CFG_FMT_TEXT }, { "json", CFG_FMT_JSON }, { "collapsed", CFG_FMT_COLLAPSED },
                { "svg", CFG_FMT_SVG }, { "dot", CFG_FMT_DOT }, { "pprof", CFG_FMT_PPROF }, { "html", CFG_FMT_HTML },
                { "none", 0 },
        };
        unsigned bits = CFG_FMT_TEXT | CFG_FMT_JSON;
        char *copy = strdup(v), *save = NULL;

        if (!copy)
                return -ENOMEM;
        /* strtok would pass over empty items: refuse them first */
        {
                size_t n = strlen(v);
                if (n == 0 || v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,")) {
                        free(copy);
                        return -EINVAL;
                }
        }
        for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
                unsigned i;
                for (i = 0; i < sizeof(fm) / sizeof(fm[0]); i++)
                        if (strcmp(tok, fm[i].name) == 0)
                                break;
                if (i == sizeof(fm) / sizeof(fm[0])) {
                        free(copy);
                        return -EINVAL;
                }
                bits |= fm[i].bit;
        }
        free(copy);
        *ret = bits;
        return 0;
}

int cfg_set(struct ow_config *c, enum cfg_key k, const char *v, const char *origin, char **ret_err)
{
        static const char *const restart_names[] = { "never", "on-failure", "on-oom", "always" };
        static const char *const report_on_names[] = { "oom", "exit", "always" };
        static const char *const engine_names[] = { "native", "jeprof" };
        static const char *const tri_names[] = { "auto", "on", "off" };
        static const char *const mode_names[] = { "child", "own" };
        const char *reason = NULL;
        uint64_t u;
        unsigned e;
        bool b;
        int r = 0;

        if ((unsigned)k >= CK__COUNT)
                return fail(ret_err, -EINVAL, origin, "unknown key");

        switch (k) {
        case CK_COMMAND: {
                char **argv;
                r = cfg_split_command(v, &argv, &reason);
                if (r < 0)
                        return fail(ret_err, r, origin, "command: %s", reason);
                cfg_strv_free(c->argv);
                c->argv = argv;
                break;
        }
        case CK_USER:
        case CK_GROUP:
        case CK_WORKDIR:
        case CK_PARENT:
        case CK_DUMP_DIR:
        case CK_EVENTS:
        case CK_METRICS:
        case CK_REPORT_DIR: {
                char **dst = k == CK_USER ? &c->user : k == CK_GROUP ? &c->group :
                             k == CK_WORKDIR ? &c->workdir : k == CK_PARENT ? &c->parent :
                             k == CK_DUMP_DIR ? &c->dump_dir : k == CK_EVENTS ? &c->events :
                             k == CK_METRICS ? &c->metrics : &c->report_dir;
                if (!*v)
                        return fail(ret_err, -EINVAL, origin, "%s: empty value", cfg_keys[k].name);
                if ((k == CK_DUMP_DIR) && strchr(v, ','))
                        return fail(ret_err, -EINVAL, origin,
                                    "dumps.dir '%s' contains ',', which MALLOC_CONF cannot carry", v);
                if (k == CK_PARENT && (strstr(v, "..") || strchr(v, '\n')))
                        return fail(ret_err, -EINVAL, origin, "cgroup.parent '%s': '..' is not allowed", v);
                r = set_str(dst, v);
                break;
        }
        case CK_CGROUP_MODE:
                if (parse_enum(v, mode_names, 2, &e) < 0)
                        return fail(ret_err, -EINVAL, origin, "mode '%s': expected child or own", v);
                c->cgroup_mode = (enum cfg_cgroup_mode)e;
                break;
        case CK_TERMINATION_LOG:
                if (!*v || strchr(v, '\n'))
                        return fail(ret_err, -EINVAL, origin, "termination_log: expected auto, off or a file name");
                free(c->termination_log);
                c->termination_log = NULL;
                c->termination_log_off = strcmp(v, "off") == 0;
                if (strcmp(v, "auto") != 0 && !c->termination_log_off)
                        r = set_str(&c->termination_log, v);
                break;
        case CK_RESTART:
                if (parse_enum(v, restart_names, 4, &e) < 0)
                        return fail(ret_err, -EINVAL, origin,
                                    "restart '%s': expected never, on-failure, on-oom or always", v);
                c->restart = (enum cfg_restart)e;
                break;
        case CK_RESTART_DELAY:
        case CK_STOP_TIMEOUT:
                r = unit_parse_duration(v, &u);
                if (r < 0)
                        return fail(ret_err, r, origin, "%s '%s': %s duration (use ms, s, m or h, e.g. 500ms, 2s)",
                                    cfg_keys[k].name, v, range_or_syntax(r));
                if (k == CK_RESTART_DELAY)
                        c->restart_delay_ms = u;
                else
                        c->stop_timeout_ms = u;
                break;
        case CK_MAX_RESTARTS:
                r = unit_parse_uint(v, 0, 1000000, &u);
                if (r < 0)
                        return fail(ret_err, r, origin,
                                    "max_restarts '%s': expected a whole number from 0 to 1000000", v);
                c->max_restarts = (unsigned)u;
                break;
        case CK_MEMORY_LIMIT:
        case CK_SWAP:
        case CK_MAX_BYTES:
                r = unit_parse_size(v, &u);
                if (r < 0)
                        return fail(ret_err, r, origin, "%s '%s': %s size (use a number with K, M, G or T, e.g. 256M)",
                                    cfg_keys[k].name, v, range_or_syntax(r));
                if (k == CK_MEMORY_LIMIT && u < MIN_MEMORY_LIMIT)
                        return fail(ret_err, -ERANGE, origin,
                                    "memory_limit '%s' is too small: a profiled target needs at least 4M", v);
                if (k == CK_MAX_BYTES && u < MIN_MAX_BYTES)
                        return fail(ret_err, -ERANGE, origin, "max_bytes '%s' is too small: at least 1M", v);
                if (k == CK_MEMORY_LIMIT)
                        c->memory_limit = u;
                else if (k == CK_SWAP)
                        c->swap = u;
                else
                        c->max_bytes = u;
                break;
        case CK_WARN_AT:
                if (strcmp(v, "off") == 0 || strcmp(v, "none") == 0) {
                        c->n_warn_at = 0;
                        break;
                }
                r = parse_warn_at(v, c->warn_at, &c->n_warn_at, &reason);
                if (r < 0)
                        return fail(ret_err, r, origin, "warn_at '%s': %s", v, reason ? reason : "out of memory");
                break;
        case CK_USAGE_STEP:
                c->usage_step_bytes = 0;
                c->usage_step_percent = 0;
                if (strcmp(v, "auto") == 0) {
                        c->usage_step = CFG_AUTO;
                        break;
                }
                if (strcmp(v, "off") == 0 || strcmp(v, "none") == 0) {
                        c->usage_step = CFG_OFF;
                        break;
                }
                c->usage_step = CFG_ON;
                /* a percentage only with its sign: a bare number is a size */
                if (v[0] && v[strlen(v) - 1] == '%')
                        r = unit_parse_percent(v, 1, 50, &e);
                else if ((r = unit_parse_size(v, &u)) >= 0 && u < MIN_USAGE_STEP)
                        r = -ERANGE;
                if (r < 0)
                        return fail(ret_err, r, origin,
                                    "usage_step '%s': expected auto, off, a size of at least 64K, or a percentage "
                                    "of the limit from 1%% to 50%%", v);
                if (v[strlen(v) - 1] == '%')
                        c->usage_step_percent = e;
                else
                        c->usage_step_bytes = u;
                break;
        case CK_LG_PROF_SAMPLE:
                r = unit_parse_uint(v, 0, 40, &u);
                if (r < 0)
                        return fail(ret_err, r, origin, "lg_prof_sample '%s': expected a whole number from 0 to 40", v);
                c->lg_prof_sample = (unsigned)u;
                break;
        case CK_INTERVAL:
                if (strcmp(v, "auto") == 0) {
                        c->interval_auto = true;
                        break;
                }
                if (strcmp(v, "off") == 0) {
                        c->interval_auto = false;
                        c->interval = 0;
                        break;
                }
                r = unit_parse_size(v, &u);
                if (r < 0 || u < MIN_INTERVAL || u > (1ULL << 40))
                        return fail(ret_err, r < 0 ? r : -ERANGE, origin,
                                    "interval '%s': expected auto, off, or a size from 4K to 1T", v);
                c->interval_auto = false;
                c->interval = u;
                break;
        case CK_GDUMP:
                if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0) {
                        c->gdump = CFG_ON;
                } else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "fast") == 0) {
                        c->gdump = CFG_OFF;
                } else {
                        r = unit_parse_percent(v, 1, 99, &e);
                        if (r < 0)
                                return fail(ret_err, r, origin,
                                            "gdump '%s': expected fast, on, off, or a percentage of the limit from 1%% "
                                            "to 99%%", v);
                        c->gdump = CFG_AUTO;
                        c->gdump_percent = e;
                }
                c->gdump_fast = strcmp(v, "fast") == 0;
                break;
        case CK_FINAL:
        case CK_PYTHON_MALLOC:
        case CK_AGENT:
        case CK_KEEP_BASELINE:
                r = unit_parse_bool(v, &b);
                if (r < 0)
                        return fail(ret_err, r, origin, "%s '%s': expected on or off", cfg_keys[k].name, v);
                if (k == CK_FINAL)
                        c->final = b;
                else if (k == CK_PYTHON_MALLOC)
                        c->python_malloc = b;
                else if (k == CK_AGENT)
                        c->agent = b;
                else
                        c->keep_baseline = b;
                break;
        case CK_MALLOC_CONF: {
                char *why = NULL;
                r = mc_validate_pairs(v, &why);
                if (r < 0) {
                        fail(ret_err, r, origin, "malloc_conf: %s", why ? why : "out of memory");
                        free(why);
                        return r;
                }
                r = set_str(&c->malloc_conf, v);
                break;
        }
        case CK_PROCESSES:
                if (strcmp(v, "all") == 0 || strcmp(v, "*") == 0) {
                        free(c->processes);
                        c->processes = NULL;
                        break;
                }
                r = check_patterns(v, &reason);
                if (r < 0)
                        return fail(ret_err, r, origin, "processes '%s': %s", v, reason);
                r = set_str(&c->processes, v);
                break;
        case CK_BUNDLE_LIMIT: {
                const char *slash = strchr(v, '/');
                char num[16];
                uint64_t w;
                if (!slash || (size_t)(slash - v) >= sizeof(num))
                        return fail(ret_err, -EINVAL, origin,
                                    "bundle_limit '%s': expected N/DURATION, e.g. 5/10m (N from 0 to 64)", v);
                memcpy(num, v, (size_t)(slash - v));
                num[slash - v] = '\0';
                if (unit_parse_uint(num, 0, 64, &u) < 0)
                        return fail(ret_err, -EINVAL, origin,
                                    "bundle_limit '%s': the count must be a whole number from 0 to 64", v);
                r = unit_parse_duration(slash + 1, &w);
                if (r < 0 || w == 0)
                        return fail(ret_err, r < 0 ? r : -ERANGE, origin,
                                    "bundle_limit '%s': %s duration after '/' (use ms, s, m or h, e.g. 10m)", v,
                                    r < 0 ? range_or_syntax(r) : "a non-zero");
                c->bundle_limit = (unsigned)u;
                c->bundle_window_ms = w;
                break;
        }
        case CK_PRELOAD_JEMALLOC:
                if (parse_enum(v, tri_names, 3, &e) < 0)
                        return fail(ret_err, -EINVAL, origin, "preload_jemalloc '%s': expected auto, on or off", v);
                c->preload_jemalloc = (enum cfg_tristate)e;
                break;
        case CK_KEEP:
                r = unit_parse_uint(v, 1, 10000, &u);
                if (r < 0)
                        return fail(ret_err, r, origin, "keep '%s': expected a whole number from 1 to 10000", v);
                c->keep = (unsigned)u;
                break;
        case CK_BASELINE_AFTER:
                if (strcmp(v, "off") == 0 || strcmp(v, "unset") == 0) {
                        c->baseline_after_ms = -1;
                        break;
                }
                r = unit_parse_duration(v, &u);
                if (r < 0)
                        return fail(ret_err, r, origin,
                                    "baseline_after '%s': %s duration (use ms, s, m or h, e.g. 30s)", v,
                                    range_or_syntax(r));
                c->baseline_after_ms = (int64_t)u;
                break;
        case CK_REPORT_ON:
                if (parse_enum(v, report_on_names, 3, &e) < 0)
                        return fail(ret_err, -EINVAL, origin, "on '%s': expected oom, exit or always", v);
                c->report_on = (enum cfg_report_on)e;
                break;
        case CK_FORMATS:
                r = parse_formats(v, &e);
                if (r < 0)
                        return fail(ret_err, r, origin,
                                    "formats '%s': expected a list of text, json, collapsed, svg, dot, pprof, html", v);
                c->formats = e;
                break;
        case CK_TOP:
                r = unit_parse_uint(v, 1, 10000, &u);
                if (r < 0)
                        return fail(ret_err, r, origin, "top '%s': expected a whole number from 1 to 10000", v);
                c->top = (unsigned)u;
                break;
        case CK_HIDE: {
                char **pats = NULL;
                r = parse_hide(v, &pats, &reason);
                if (r == -EINVAL)
                        return fail(ret_err, r, origin, "hide '%s': %s", v, reason);
                if (r < 0)
                        break;
                if ((r = set_str(&c->hide_text, v)) < 0) {
                        cfg_strv_free(pats);
                        break;
                }
                cfg_strv_free(c->hide);
                c->hide = pats;
                break;
        }
        case CK_SYMBOL_CACHE:
                if (!v[0] || (strcmp(v, "auto") != 0 && strcmp(v, "off") != 0 && v[0] != '/'))
                        return fail(ret_err, -EINVAL, origin,
                                    "symbol_cache '%s': expected auto, off or an absolute directory", v);
                r = set_str(&c->symbol_cache, v);
                break;
        case CK_DEBUGINFOD_URLS:
                if (syms_check_urls(v, &reason) < 0)
                        return fail(ret_err, -EINVAL, origin, "debuginfod_urls '%s': %s", v, reason);
                r = set_str(&c->debuginfod_urls, v);
                break;
        case CK_DEBUGINFOD_TIMEOUT:
                r = unit_parse_duration(v, &u);
                if (r < 0 || u > 50000)
                        return fail(ret_err, r < 0 ? r : -ERANGE, origin,
                                    "debuginfod_timeout '%s': %s duration of at most 50s (use ms or s, e.g. 2s)", v,
                                    r < 0 ? range_or_syntax(r) : "too long a");
                c->debuginfod_timeout_ms = u;
                break;
        case CK_REPORT_USER: {
                uid_t uid;
                gid_t gid, *groups = NULL;
                size_t n = 0;
                const char *what = NULL;
                if (!*v || strchr(v, '\n'))
                        return fail(ret_err, -EINVAL, origin, "user: expected a user name or uid");
                r = spawn_resolve_ids(v, NULL, &uid, &gid, &groups, &n, &what);
                free(groups);
                if (r < 0)
                        return fail(ret_err, r, origin, "user '%s': %s", v,
                                    r == -ENOENT ? "no such user" : strerror(-r));
                if (uid == 0)
                        return fail(ret_err, -EPERM, origin,
                                    "user '%s': the analysis must run as an unprivileged user, not uid 0", v);
                r = set_str(&c->report_user, v);
                break;
        }
        case CK_ENGINE:
                if (parse_enum(v, engine_names, 2, &e) < 0)
                        return fail(ret_err, -EINVAL, origin, "engine '%s': expected native or jeprof", v);
                c->engine = (enum cfg_engine)e;
                break;
        case CK__COUNT:
                break;
        }
        if (r < 0)
                return fail(ret_err, r, origin, "out of memory");
        free(c->origin[k]);
        c->origin[k] = xstrdup_or_null(origin);
        free(c->written[k]);
        c->written[k] = xstrdup_or_null(v);
        return 0;
}

/* ---- file loading ------------------------------------------------------- */

struct load_ctx {
        struct ow_config *c;
        const char *path;
        const char *pos;          /* remaining input */
        unsigned line;            /* number of the line last handed to inih */
        unsigned seen[CK__COUNT]; /* line each key was set on in this file */
        char *err;
        int r;
};

static void load_error(struct load_ctx *x, int r, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void load_error(struct load_ctx *x, int r, unsigned line, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        if (x->err)
                return;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (asprintf(&x->err, "%s:%u: %s", x->path, line, msg ? msg : "out of memory") < 0)
                x->err = NULL;
        free(msg);
        x->r = r;
}

/* The ini_reader: hands inih one line at a time so that the handler knows
 * the line number, checks section headers, and refuses lines that inih's
 * fixed buffer would split. */
static char *reader(char *buf, int num, void *stream)
{
        struct load_ctx *x = stream;
        const char *nl;
        size_t len;

        if (x->err || !*x->pos)
                return NULL;
        nl = strchr(x->pos, '\n');
        len = nl ? (size_t)(nl - x->pos) + 1 : strlen(x->pos);
        x->line++;
        if (memchr(x->pos, '\0', len) != NULL || len + 1 > (size_t)num) {
                load_error(x, -EINVAL, x->line, "line longer than %d characters", num - 2);
                return NULL;
        }
        memcpy(buf, x->pos, len);
        buf[len] = '\0';
        x->pos += len;

        /* section headers: inih only tells about a section through its keys */
        const char *p = buf;
        while (*p == ' ' || *p == '\t')
                p++;
        if (*p == '[') {
                const char *end = strchr(p, ']');
                if (!end) {
                        load_error(x, -EINVAL, x->line, "section header without ']'");
                        return NULL;
                }
                if (end) {
                        char name[64];
                        size_t n = (size_t)(end - p - 1);
                        if (n >= sizeof(name) || (memcpy(name, p + 1, n), name[n] = '\0', !section_known(name))) {
                                load_error(x, -EINVAL, x->line,
                                           "unknown section [%.*s] (known: target, cgroup, profiling, dumps, report)",
                                           (int)(n > 60 ? 60 : n), p + 1);
                                return NULL;
                        }
                }
        }
        return buf;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
        struct load_ctx *x = user;
        char *err = NULL;
        int k, r;

        if (x->err)
                return 0;
        if (!*section) {
                load_error(x, -EINVAL, x->line, "key '%s' is outside any section", name);
                return 0;
        }
        k = cfg_key_lookup(section, name);
        if (k < 0) {
                const char *hint = "";
                for (unsigned i = 0; i < CK__COUNT; i++)
                        if (strcmp(cfg_keys[i].name, name) == 0) {
                                hint = cfg_keys[i].section;
                                break;
                        }
                if (*hint)
                        load_error(x, -EINVAL, x->line, "unknown key '%s' in [%s] (it belongs in [%s])", name,
                                   section, hint);
                else
                        load_error(x, -EINVAL, x->line, "unknown key '%s' in [%s]", name, section);
                return 0;
        }
        if (x->seen[k]) {
                load_error(x, -EINVAL, x->line, "duplicate key '%s' (first set on line %u)", name, x->seen[k]);
                return 0;
        }
        x->seen[k] = x->line;
        r = cfg_set(x->c, (enum cfg_key)k, value, NULL, &err);
        if (r < 0) {
                load_error(x, r, x->line, "%s", err ? err : "out of memory");
                free(err);
                return 0;
        }
        free(x->c->origin[k]);
        if (asprintf(&x->c->origin[k], "%s:%u", x->path, x->line) < 0)
                x->c->origin[k] = NULL;
        return 1;
}

int cfg_load_string(struct ow_config *c, const char *path, const char *text, char **ret_err)
{
        struct load_ctx x = { .c = c, .path = path, .pos = text };
        int line;

        line = ini_parse_stream(reader, &x, handler, &x);
        if (!x.err && line > 0)
                load_error(&x, -EINVAL, (unsigned)line,
                           "syntax error: expected 'key = value', '[section]' or a comment");
        if (!x.err && line < 0)
                load_error(&x, -ENOMEM, 0, "out of memory");
        if (x.err) {
                *ret_err = x.err;
                return x.r ? x.r : -EINVAL;
        }
        return 0;
}

#define MAX_CONFIG_BYTES (1 << 20)

int cfg_load_file(struct ow_config *c, const char *path, char **ret_err)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n;
        int r;

        if (!f) {
                r = -errno;
                if (asprintf(ret_err, "%s: %s", path, strerror(-r)) < 0)
                        *ret_err = NULL;
                return r;
        }
        buf = malloc(MAX_CONFIG_BYTES + 1);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, MAX_CONFIG_BYTES + 1, f);
        if (ferror(f)) {
                r = -EIO;
                if (asprintf(ret_err, "%s: read error", path) < 0)
                        *ret_err = NULL;
                goto out;
        }
        if (n > MAX_CONFIG_BYTES) {
                r = -EFBIG;
                if (asprintf(ret_err, "%s: larger than 1 MiB; not a configuration file?", path) < 0)
                        *ret_err = NULL;
                goto out;
        }
        buf[n] = '\0';
        if (strlen(buf) != n) {
                r = -EINVAL;
                if (asprintf(ret_err, "%s: contains a NUL byte; not a text file", path) < 0)
                        *ret_err = NULL;
                goto out;
        }
        r = cfg_load_string(c, path, buf, ret_err);
out:
        free(buf);
        fclose(f);
        return r;
}

/* ---- checks and derived values -------------------------------------------- */

static const char *origin_of(const struct ow_config *c, enum cfg_key k)
{
        return c->origin[k] ? c->origin[k] : "default";
}

uint64_t cfg_usage_step(const struct ow_config *c)
{
        if (!c->agent || !c->memory_limit || c->usage_step == CFG_OFF)
                return 0;
        if (c->usage_step == CFG_AUTO)
                return c->memory_limit / CFG_USAGE_STEP_AUTO_DIV;
        if (c->usage_step_percent)
                return c->memory_limit / 100 * c->usage_step_percent;
        return c->usage_step_bytes;
}

int cfg_lg_prof_interval(const struct ow_config *c)
{
        uint64_t want;
        int lg = 0;

        if (!c->interval_auto && c->interval == 0)
                return -1;
        if (c->interval_auto) {
                /* gross allocation measures churn, not growth: where the
                 * agent takes dumps as the usage grows, none */
                if (!c->memory_limit || cfg_usage_step(c))
                        return -1;
                want = c->memory_limit / 8;
        } else {
                want = c->interval;
        }
        /* nearest power of two on a log scale: 2^lg <= want < 2^(lg+1) */
        while (lg < 62 && (1ULL << (lg + 1)) <= want)
                lg++;
        if (lg < 62 && want - (1ULL << lg) > (1ULL << (lg + 1)) - want)
                lg++;
        if (c->interval_auto && lg < 16)
                lg = 16;
        return lg;
}

int cfg_check(const struct ow_config *c, bool need_command, char **ret_err)
{
        if (need_command && !c->argv)
                return fail(ret_err, -EINVAL, "configuration",
                            "no command to run: give one after 'run [--]' or set target.command");
        if (c->cgroup_mode == CFG_CGROUP_OWN) {
                /* the limit is the one of the cgroup oomwatch runs in: nothing to set */
                if (c->memory_limit)
                        return fail(ret_err, -EINVAL, origin_of(c, CK_MEMORY_LIMIT),
                                    "a memory limit cannot be given with cgroup.mode = own: oomwatch then "
                                    "supervises in the cgroup it runs in and takes that cgroup's effective limit "
                                    "(the smallest of its and its ancestors'); drop -m / memory_limit, or use "
                                    "mode = child");
                if (c->parent)
                        return fail(ret_err, -EINVAL, origin_of(c, CK_PARENT),
                                    "cgroup.parent cannot be used with cgroup.mode = own: no cgroup is created");
                if (c->swap)
                        return fail(ret_err, -EINVAL, origin_of(c, CK_SWAP),
                                    "cgroup.swap cannot be used with cgroup.mode = own: oomwatch writes no cgroup "
                                    "file; the swap allowed is the container's");
        } else if (need_command && !c->memory_limit) {
                return fail(ret_err, -EINVAL, "configuration",
                            "no memory limit: give -m SIZE or set cgroup.memory_limit (or run in a limited "
                            "cgroup with --cgroup-mode own)");
        }
        if (c->gdump == CFG_AUTO && !c->agent)
                return fail(ret_err, -EINVAL, origin_of(c, CK_GDUMP),
                            "gdump = %u%% switches peak dumps on through the agent, but profiling.agent is off",
                            c->gdump_percent);
        if (c->n_warn_at && !c->agent && c->origin[CK_WARN_AT])
                return fail(ret_err, -EINVAL, origin_of(c, CK_WARN_AT),
                            "warn_at takes dumps through the agent, but profiling.agent is off");
        if (c->usage_step == CFG_ON && !c->agent)
                return fail(ret_err, -EINVAL, origin_of(c, CK_USAGE_STEP),
                            "usage_step takes dumps through the agent, but profiling.agent is off");
        if (c->baseline_after_ms >= 0 && !c->agent)
                return fail(ret_err, -EINVAL, origin_of(c, CK_BASELINE_AFTER),
                            "baseline_after takes the baseline through the agent, but profiling.agent is off");
        if (c->memory_limit && c->swap > UINT64_MAX / 4 - c->memory_limit)
                return fail(ret_err, -ERANGE, origin_of(c, CK_SWAP), "swap too large");
        return 0;
}

/* a size as a configuration file says it: the largest suffix that is exact */
static void print_size_or(FILE *out, uint64_t v, const char *zero)
{
        static const char suffix[] = "KMGT";
        int i = -1;

        if (!v) {
                fputs(zero, out);
                return;
        }
        while (i < 3 && v % 1024 == 0) {
                v /= 1024;
                i++;
        }
        fprintf(out, "%llu%s", (unsigned long long)v, i >= 0 ? (char[]){ suffix[i], '\0' } : "");
}

/* a duration as a configuration file says it: m, s or ms, whichever is exact */
static void print_duration(FILE *out, uint64_t ms)
{
        if (ms && ms % 60000 == 0)
                fprintf(out, "%llum", (unsigned long long)ms / 60000);
        else if (ms % 1000 == 0)
                fprintf(out, "%llus", (unsigned long long)ms / 1000);
        else
                fprintf(out, "%llums", (unsigned long long)ms);
}

/* "   # where the value comes from[; what it means]" and the newline */
static void print_note(const struct ow_config *c, enum cfg_key k, FILE *out)
{
        int lg;
        char b[32];

        fprintf(out, "   # %s", c->origin[k] ? c->origin[k] : "default");
        switch (k) {
        case CK_INTERVAL:
                lg = cfg_lg_prof_interval(c);
                if (lg >= 0)
                        fprintf(out, "; a dump every %s allocated (lg_prof_interval %d)",
                                unit_format_size(1ULL << lg, b, sizeof(b)), lg);
                else if (c->interval_auto && cfg_usage_step(c))
                        fputs("; no interval dumps: the agent takes dumps as the usage grows (usage_step)", out);
                else if (c->interval_auto)
                        fputs("; no memory limit to follow: no interval dumps", out);
                break;
        case CK_USAGE_STEP:
                if (cfg_usage_step(c))
                        fprintf(out, "; a dump each time the usage rises %s", unit_format_size(cfg_usage_step(c), b, sizeof(b)));
                else if (c->usage_step != CFG_OFF && !c->agent)
                        fputs("; no step dumps: the agent is off", out);
                break;
        case CK_FORMATS:
                fputs("; report.txt and incident.json are always written", out);
                break;
        default:
                break;
        }
        fputc('\n', out);
}

void cfg_print(const struct ow_config *c, FILE *out)
{
        static const char *const restart_names[] = { "never", "on-failure", "on-oom", "always" };
        static const char *const report_on_names[] = { "oom", "exit", "always" };
        static const char *const tri_names[] = { "auto", "on", "off" };
        const char *last_section = "";

        for (unsigned k = 0; k < CK__COUNT; k++) {
                if (strcmp(last_section, cfg_keys[k].section) != 0) {
                        fprintf(out, "%s[%s]\n", k ? "\n" : "", cfg_keys[k].section);
                        last_section = cfg_keys[k].section;
                }
                fprintf(out, "%-16s = ", cfg_keys[k].name);
                if (c->written[k] && k != CK_COMMAND) {
                        /* what the file or the command line said, as it said it
                         * (on one line) */
                        for (const unsigned char *p = (const unsigned char *)c->written[k]; *p; p++)
                                fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
                        print_note(c, (enum cfg_key)k, out);
                        continue;
                }
                switch ((enum cfg_key)k) {
                case CK_COMMAND:
                        if (!c->argv)
                                fputs("(none)", out);
                        for (char **a = c->argv; a && *a; a++)
                                fprintf(out, "%s'%s'", a == c->argv ? "" : " ", *a);
                        break;
                case CK_USER: fputs(c->user ? c->user : "(none)", out); break;
                case CK_GROUP: fputs(c->group ? c->group : "(none)", out); break;
                case CK_WORKDIR: fputs(c->workdir ? c->workdir : "(none)", out); break;
                case CK_RESTART: fputs(restart_names[c->restart], out); break;
                case CK_RESTART_DELAY: print_duration(out, c->restart_delay_ms); break;
                case CK_MAX_RESTARTS: fprintf(out, "%u", c->max_restarts); break;
                case CK_STOP_TIMEOUT: print_duration(out, c->stop_timeout_ms); break;
                case CK_CGROUP_MODE: fputs(c->cgroup_mode == CFG_CGROUP_OWN ? "own" : "child", out); break;
                case CK_MEMORY_LIMIT:
                        print_size_or(out, c->memory_limit,
                                      c->cgroup_mode == CFG_CGROUP_OWN ? "(own cgroup's effective limit)" : "(none)");
                        break;
                case CK_SWAP: print_size_or(out, c->swap, "0"); break;
                case CK_PARENT: fputs(c->parent ? c->parent : "(own)", out); break;
                case CK_WARN_AT:
                        if (!c->n_warn_at)
                                fputs("(none)", out);
                        for (unsigned i = 0; i < c->n_warn_at; i++)
                                fprintf(out, "%s%u", i ? "," : "", c->warn_at[i]);
                        break;
                case CK_USAGE_STEP:
                        if (c->usage_step == CFG_ON && c->usage_step_percent)
                                fprintf(out, "%u%%", c->usage_step_percent);
                        else if (c->usage_step == CFG_ON)
                                print_size_or(out, c->usage_step_bytes, "off");
                        else
                                fputs(c->usage_step == CFG_AUTO ? "auto" : "off", out);
                        break;
                case CK_LG_PROF_SAMPLE: fprintf(out, "%u", c->lg_prof_sample); break;
                case CK_INTERVAL: {
                        int lg = cfg_lg_prof_interval(c);
                        if (c->interval_auto || lg < 0)
                                fputs(c->interval_auto ? "auto" : "off", out);
                        else
                                print_size_or(out, 1ULL << lg, "off");
                        break;
                }
                case CK_GDUMP:
                        if (c->gdump == CFG_AUTO)
                                fprintf(out, "%u%%", c->gdump_percent);
                        else
                                fputs(c->gdump == CFG_ON ? "on" : c->gdump_fast ? "fast" : "off", out);
                        break;
                case CK_FINAL: fputs(c->final ? "on" : "off", out); break;
                case CK_MALLOC_CONF: fputs(c->malloc_conf ? c->malloc_conf : "(none)", out); break;
                case CK_PRELOAD_JEMALLOC: fputs(tri_names[c->preload_jemalloc], out); break;
                case CK_PYTHON_MALLOC: fputs(c->python_malloc ? "on" : "off", out); break;
                case CK_AGENT: fputs(c->agent ? "on" : "off", out); break;
                case CK_PROCESSES: fputs(c->processes ? c->processes : "all", out); break;
                case CK_DUMP_DIR: fputs(c->dump_dir ? c->dump_dir : cfg_keys[k].default_text, out); break;
                case CK_KEEP: fprintf(out, "%u", c->keep); break;
                case CK_KEEP_BASELINE: fputs(c->keep_baseline ? "on" : "off", out); break;
                case CK_BASELINE_AFTER:
                        if (c->baseline_after_ms < 0)
                                fputs("(unset: the first dump is the baseline)", out);
                        else
                                print_duration(out, (uint64_t)c->baseline_after_ms);
                        break;
                case CK_MAX_BYTES: print_size_or(out, c->max_bytes, "0"); break;
                case CK_REPORT_DIR: fputs(c->report_dir ? c->report_dir : cfg_keys[k].default_text, out); break;
                case CK_REPORT_ON: fputs(report_on_names[c->report_on], out); break;
                case CK_FORMATS: {
                        /* report.txt and incident.json are always written: the
                         * list is what the key chooses, as a file would say it */
                        static const char *const names[] = { "text", "json", "collapsed", "svg", "dot", "pprof", "html" };
                        bool first = true;
                        for (unsigned i = 2; i < 7; i++)
                                if (c->formats & (1u << i)) {
                                        fprintf(out, "%s%s", first ? "" : ",", names[i]);
                                        first = false;
                                }
                        if (first)
                                fputs("none", out);
                        break;
                }
                case CK_TOP: fprintf(out, "%u", c->top); break;
                case CK_HIDE: fputs(c->hide_text ? c->hide_text : "default", out); break;
                case CK_SYMBOL_CACHE: fputs(c->symbol_cache ? c->symbol_cache : "auto", out); break;
                case CK_DEBUGINFOD_URLS: fputs(c->debuginfod_urls ? c->debuginfod_urls : "env", out); break;
                case CK_DEBUGINFOD_TIMEOUT: print_duration(out, c->debuginfod_timeout_ms); break;
                case CK_ENGINE: fputs(c->engine == CFG_ENGINE_JEPROF ? "jeprof" : "native", out); break;
                case CK_REPORT_USER: fputs(c->report_user ? c->report_user : cfg_keys[k].default_text, out); break;
                case CK_BUNDLE_LIMIT: {
                        uint64_t w = c->bundle_window_ms;
                        fprintf(out, "%u/", c->bundle_limit);
                        if (w % 60000 == 0)
                                fprintf(out, "%llum", (unsigned long long)w / 60000);
                        else if (w % 1000 == 0)
                                fprintf(out, "%llus", (unsigned long long)w / 1000);
                        else
                                fprintf(out, "%llums", (unsigned long long)w);
                        break;
                }
                case CK_EVENTS: fputs(c->events ? c->events : "(none)", out); break;
                case CK_METRICS: fputs(c->metrics ? c->metrics : "(none)", out); break;
                case CK_TERMINATION_LOG:
                        fputs(c->termination_log_off ? "off" : c->termination_log ? c->termination_log : "auto", out);
                        break;
                case CK__COUNT: break;
                }
                print_note(c, (enum cfg_key)k, out);
        }
}
