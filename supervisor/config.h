/* oomwatch configuration: defaults, the INI file (libinih), and the
 * command-line overrides of `oomwatch run`.
 *
 * Every key of configs/oomwatch.conf has a field here. cfg_init() fills in
 * the defaults; cfg_load_file() applies a file on top; cfg_set() applies
 * one key=value from anywhere (the command line uses it with origin
 * "option --name"); cfg_check() validates the combination.
 *
 * Errors are returned as -errno with a message through ret_err (malloc'd,
 * owned by the caller) of the form "FILE:LINE: message", or
 * "option --name: message" for command-line values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_WARN_AT 8

enum cfg_restart { CFG_RESTART_NEVER, CFG_RESTART_ON_FAILURE, CFG_RESTART_ON_OOM, CFG_RESTART_ALWAYS };
enum cfg_report_on { CFG_REPORT_ON_OOM, CFG_REPORT_ON_EXIT, CFG_REPORT_ON_ALWAYS };
enum cfg_engine { CFG_ENGINE_NATIVE, CFG_ENGINE_JEPROF };
enum cfg_tristate { CFG_AUTO, CFG_ON, CFG_OFF };
/* cgroup.mode: child = a cgroup of its own for the target; own = the
 * target stays in oomwatch's own cgroup (a container's), nothing is created */
enum cfg_cgroup_mode { CFG_CGROUP_CHILD, CFG_CGROUP_OWN };

/* report.formats bits */
enum {
        CFG_FMT_TEXT = 1 << 0,
        CFG_FMT_JSON = 1 << 1,
        CFG_FMT_COLLAPSED = 1 << 2,
        CFG_FMT_SVG = 1 << 3,
        CFG_FMT_DOT = 1 << 4,
        CFG_FMT_PPROF = 1 << 5,
        CFG_FMT_HTML = 1 << 6,
};

enum cfg_key {
        CK_COMMAND, CK_USER, CK_GROUP, CK_WORKDIR, CK_RESTART, CK_RESTART_DELAY, CK_MAX_RESTARTS, CK_STOP_TIMEOUT,
        CK_CGROUP_MODE, CK_MEMORY_LIMIT, CK_SWAP, CK_PARENT, CK_WARN_AT, CK_USAGE_STEP,
        CK_LG_PROF_SAMPLE, CK_INTERVAL, CK_GDUMP, CK_FINAL, CK_MALLOC_CONF, CK_PRELOAD_JEMALLOC, CK_PYTHON_MALLOC,
        CK_AGENT, CK_PROCESSES,
        CK_DUMP_DIR, CK_KEEP, CK_KEEP_BASELINE, CK_BASELINE_AFTER, CK_MAX_BYTES,
        CK_REPORT_DIR, CK_REPORT_ON, CK_FORMATS, CK_TOP, CK_HIDE, CK_SYMBOL_CACHE, CK_DEBUGINFOD_URLS,
        CK_DEBUGINFOD_TIMEOUT, CK_ENGINE, CK_REPORT_USER, CK_BUNDLE_LIMIT, CK_EVENTS, CK_METRICS,
        CK_TERMINATION_LOG,
        CK__COUNT
};

struct cfg_key_info {
        const char *section;
        const char *name;
        const char *default_text; /* as documented in configs/oomwatch.conf */
        const char *help;         /* one line */
};

/* The table of keys, indexed by enum cfg_key. */
extern const struct cfg_key_info cfg_keys[CK__COUNT];

struct ow_config {
        /* [target] */
        char **argv;              /* NULL-terminated; NULL when no command is set */
        char *user, *group, *workdir;
        enum cfg_restart restart;
        uint64_t restart_delay_ms;
        unsigned max_restarts;
        uint64_t stop_timeout_ms; /* after a forwarded stop signal, then SIGKILL; 0: wait for ever */

        /* [cgroup] */
        enum cfg_cgroup_mode cgroup_mode;
        uint64_t memory_limit;    /* bytes; 0 = not set. In own mode (and when an ancestor's
                                   * limit is lower) `oomwatch run` replaces it with the
                                   * effective limit it found before anything uses it. */
        uint64_t swap;            /* bytes of swap allowed on top of the limit */
        char *parent;             /* NULL: the supervisor's own memory cgroup */
        unsigned warn_at[CFG_MAX_WARN_AT];
        unsigned n_warn_at;       /* sorted ascending, no duplicates */
        enum cfg_tristate usage_step; /* CFG_AUTO: 1/16 of the limit; CFG_ON: usage_step_bytes or
                                   * usage_step_percent; CFG_OFF: no step dumps */
        uint64_t usage_step_bytes;    /* CFG_ON given as a SIZE; else 0 */
        unsigned usage_step_percent;  /* CFG_ON given as PERCENT%; else 0 */

        /* [profiling] */
        unsigned lg_prof_sample;
        bool interval_auto;       /* auto: off while usage steps take the dumps (cfg_usage_step),
                                   * else about limit/8 */
        uint64_t interval;        /* bytes, when !interval_auto; 0 = interval dumps off */
        enum cfg_tristate gdump;  /* CFG_AUTO means "above gdump_percent" */
        unsigned gdump_percent;
        bool gdump_fast;          /* gdump = fast (with CFG_OFF): switched on through the agent
                                   * when the usage rises in a burst (cap_fast_growth) */
        bool final;
        char *malloc_conf;        /* extra pairs, validated; NULL if none */
        enum cfg_tristate preload_jemalloc;
        bool python_malloc;       /* a CPython target with preloaded jemalloc gets PYTHONMALLOC=malloc */
        bool agent;               /* `oomwatch run` turns it off when the agent library is missing */
        char *processes;          /* profiling.processes: blank-separated patterns; NULL = all */

        /* [dumps] */
        char *dump_dir;
        unsigned keep;
        bool keep_baseline;
        int64_t baseline_after_ms; /* -1: the first dump is the baseline */
        uint64_t max_bytes;

        /* [report] */
        char *report_dir;
        enum cfg_report_on report_on;
        unsigned formats;         /* CFG_FMT_* bits */
        unsigned top;
        char *hide_text;          /* report.hide as given; NULL: default */
        char **hide;              /* its patterns, "default" expanded (NULL-terminated); NULL: the default */
        char *symbol_cache;       /* report.symbol_cache as given: "auto", "off" or a directory; NULL: auto */
        char *debuginfod_urls;    /* report.debuginfod_urls: "env", "off" or URLs; NULL: env */
        uint64_t debuginfod_timeout_ms; /* all debuginfod queries of one analysis; 0: no limit of ours */
        enum cfg_engine engine;
        char *report_user;        /* report.user: who runs the analysis; NULL: the target's user */
        unsigned bundle_limit;    /* bundles of OOM kills in the tree per bundle_window_ms */
        uint64_t bundle_window_ms;
        char *events;             /* event log: a file, "-" for stderr, NULL for none */
        char *metrics;            /* Prometheus textfile, NULL for none */
        char *termination_log;    /* summary after a bundle: a file; NULL: auto
                                   * (/dev/termination-log when it exists) */
        bool termination_log_off;

        /* where each key was last set: "FILE:LINE" / "option --x"; NULL = default */
        char *origin[CK__COUNT];
        char *written[CK__COUNT]; /* each key's value as the file or command line gave it, or NULL */
};

/* Fill *c with the defaults. Cannot fail. */
void cfg_init(struct ow_config *c);

/* Free everything cfg_init/cfg_load_file/cfg_set allocated in *c. */
void cfg_free(struct ow_config *c);

/* Parse path and apply every key. Unknown sections and keys, malformed
 * values, duplicate keys and lines inih cannot parse are errors.
 * Returns 0, or -errno (-EINVAL for content errors, the open error
 * otherwise) with *ret_err set. */
int cfg_load_file(struct ow_config *c, const char *path, char **ret_err);

/* Parse a config from memory (path is used in messages only). */
int cfg_load_string(struct ow_config *c, const char *path, const char *text, char **ret_err);

/* Apply one value. origin names where it came from ("conf:12",
 * "option --keep") and prefixes the error message; with origin NULL the
 * message is the bare reason. */
int cfg_set(struct ow_config *c, enum cfg_key k, const char *value, const char *origin,
            char **ret_err);

/* Look a key up by section and name; returns the key or -ENOENT. */
int cfg_key_lookup(const char *section, const char *name);

/* Cross-key validation for running a target (memory limit set and
 * possible, a command, and so on). Messages name the origin of the
 * offending key. */
int cfg_check(const struct ow_config *c, bool need_command, char **ret_err);

/* Derived profiling numbers. lg_prof_interval: -1 when interval dumps
 * are off (interval = off; interval = auto while usage steps take the
 * dumps, or without a memory limit). */
int cfg_lg_prof_interval(const struct ow_config *c);

/* The rise of the cgroup's usage between two step dumps, in bytes; 0 when
 * there are none (usage_step = off, the agent off, no memory limit). */
uint64_t cfg_usage_step(const struct ow_config *c);

/* usage_step = auto: this fraction of the limit */
#define CFG_USAGE_STEP_AUTO_DIV 16

/* Print the effective settings, one "section.key = value   # origin" line
 * each, in file order. */
void cfg_print(const struct ow_config *c, FILE *out);

/* Split a command string into a NULL-terminated argv: blanks separate
 * words, '...' and "..." quote, backslash escapes one character. No
 * expansion of any kind. Returns -EINVAL with *ret_reason (static string)
 * on an unterminated quote or an empty command. */
int cfg_split_command(const char *s, char ***ret_argv, const char **ret_reason);

/* Free a NULL-terminated string vector. */
void cfg_strv_free(char **v);
