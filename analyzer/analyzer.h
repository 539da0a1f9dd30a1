/* oomwatch analyzer: what grew between jemalloc heap dumps.
 *
 *   parse (heap_profile.h) -> correct sampling -> symbolize (symbolize.h)
 *   -> drop allocator frames -> diff or trend -> render
 *
 * A library: no global state, no exit, no output except into the FILE* a
 * caller passes, no logging. All functions return >= 0 on success and a
 * negative errno on failure; messages for failures that concern an input
 * file come back in *ret_err as a malloc'd "FILE:LINE: reason" (or
 * "FILE: reason") that the caller frees. Outputs are left untouched on
 * failure.
 *
 * Functions are named like jeprof names them (demangled, argument lists
 * removed) but keep their template arguments ("Shard<4>::append"); inlined functions are frames of their own,
 * named plainly (jeprof appends " (inline)"). Frames of the allocator are
 * removed so the first frame of each stack is the allocating caller; see
 * docs/ANALYZER.md. Each stack also has a site: its first frame outside the
 * C/C++ runtime and the allocator (an_options.hide), where "it grew" in the
 * user's code.
 *
 * Byte counts are estimates from jemalloc's sampling (one sample per
 * an_report_period() bytes allocated, on average). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum an_format { AN_FORMAT_TEXT, AN_FORMAT_COLLAPSED, AN_FORMAT_SVG, AN_FORMAT_DOT, AN_FORMAT_JSON,
                 AN_FORMAT_PPROF };

struct an_options {
        const char *binary;     /* replaces the executable path of MAPPED_LIBRARIES, or NULL */
        unsigned top;           /* rows in text/json output; 0 = 20 */
        /* input caps; 0 = the defaults of heap_profile.h */
        uint64_t max_bytes;     /* bytes per dump file */
        uint32_t max_frames;    /* frames per stack */
        uint32_t max_stacks;    /* stacks per dump */
        double suspect_score;   /* trend: minimum score of a suspect; 0 = 0.5 */
        /* which frames are runtime, not the user's (NULL-terminated fnmatch
         * patterns; one with a '/' matches the module's path, any other the
         * function name); NULL: an_default_hide. Borrowed for the call. */
        const char *const *hide;
        /* true: the file and line of rows and sites are not looked up (left
         * unknown), for outputs that do not show them (text, collapsed,
         * svg, dot): line tables are the largest part of a program's DWARF,
         * and reading them for the shown rows' compile units was most of
         * the time on large C++ programs. */
        bool no_lines;
        /* a directory for decompressed copies of compressed separate debug
         * files (libc6-dbg's), so that only the first analysis inflates
         * them: "<dir>/debug/<build-id>.debug", see an_session_save. NULL:
         * none. symbol_cache_max caps its size (0: 512 MiB). */
        const char *symbol_cache;
        uint64_t symbol_cache_max;
        /* modules without a local debug file are looked up by build-id on
         * the debuginfod servers of $DEBUGINFOD_URLS (libdebuginfod reads
         * the environment; the caller sets it), at most debuginfod_ms for
         * all of them (0: no limit of our own), downloads kept in
         * libdebuginfod's cache ($DEBUGINFOD_CACHE_PATH). false: never
         * asked, libdebuginfod is not even loaded. */
        bool debuginfod;
        unsigned debuginfod_ms;
        /* only these modules (lowercase hex build-ids, NULL-terminated) are
         * looked up there; NULL: every module without a debug file. A second
         * analysis asks only for the modules whose frames the first one
         * could not name (an_module.unnamed). */
        const char *const *debuginfod_build_ids;
        /* called now and then while dumps are read and symbolized, for a
         * progress display: dump is the file, done of total its stacks.
         * NULL: none. Must not call back into the analyzer. */
        void (*progress)(void *userdata, const char *dump, size_t done, size_t total);
        void *progress_data;
};

#define AN_DEFAULT_TOP 20
#define AN_DEFAULT_SUSPECT_SCORE 0.5
#define AN_HIDE_MAX_LEN 256

/* The default hide patterns: libc, ld.so, libstdc++, libgcc_s and the
 * allocators by module; std::, __gnu_cxx::, operator new/delete, the malloc
 * family and CPython's PyMem_/PyObject_Malloc family by name. */
extern const char *const an_default_hide[];

/* Is pattern usable in an_options.hide? Returns 0, or -EINVAL with a static
 * *ret_reason. */
int an_hide_check(const char *pattern, const char **ret_reason);

/* Result of a diff or a trend. Opaque; free with an_report_free. */
struct an_report;

/* Diff two dumps: growth of newer over base (base NULL: over an empty heap).
 * Each stack's counts are sampling-corrected before subtraction; stacks that
 * shrank are kept with negative values. o may be NULL. On success *ret is a
 * new report owned by the caller. */
int an_diff_paths(const char *base, const char *newer, const struct an_options *o,
                  struct an_report **ret, char **ret_err);

/* Trend over n >= 2 dumps of one process. The dumps are ordered by
 * (pid, seq) from their file names "<prefix>.<pid>.<seq>.<kind><kseq>.heap";
 * if any name does not match, the given order is kept. Each site (the
 * first frame of a stack outside the runtime, an_options.hide) gets its
 * series of the bytes under it across the dumps and a steady-growth score in
 * [0, 1] (see an_report_suspect); the report also holds the diff of the
 * first and the last dump for the graph formats. */
int an_trend_paths(const char *const *paths, size_t n, const struct an_options *o,
                   struct an_report **ret, char **ret_err);

/* A session: analyses that share one symbolizer, so that a bundle's diff
 * and trend open each module once and resolve each distinct address once
 * between them. o (may be NULL) is copied; the strings and patterns it
 * points to must outlive the session. Reports made through a session own
 * their names and may outlive it: a report keeps a reference to the
 * session's symbolizer (the pprof export reads its dumps again) until
 * an_report_free. Returns 0 and *ret (free with an_session_free, which
 * drops the caller's reference), or -ENOMEM. */
struct an_session;
int an_session_new(const struct an_options *o, struct an_session **ret);
void an_session_free(struct an_session *s);

/* Modules opened and distinct addresses resolved so far by the session
 * (for tests and benchmarks). */
void an_session_stats(const struct an_session *s, unsigned *ret_modules, unsigned long *ret_addresses);

/* After the analyses: keep what the session learnt for the next ones.
 * With an_options.symbol_cache, every compressed separate debug file whose
 * DWARF the session read is written there decompressed (from the copy in
 * memory; nothing is read again). Call it after the reports are out: it
 * costs a few milliseconds per file. Returns the number of files written. */
int an_session_save(struct an_session *s);

/* an_diff_paths and an_trend_paths within session s, with its options. */
int an_session_diff(struct an_session *s, const char *base, const char *newer, struct an_report **ret,
                    char **ret_err);
int an_session_trend(struct an_session *s, const char *const *paths, size_t n, struct an_report **ret,
                     char **ret_err);

/* Print r to out in format f. For a diff, JSON is the incident bundle's
 * "diff" object {"base","new","growth_bytes","base_bytes","new_bytes","top":[...],
 * "sample_period_bytes","sites":[...]}; for a trend, the "trend" object
 * {"dumps":[...],"suspects":[...],"series":[...],"sample_period_bytes","sites":[...]}
 * (docs/ANALYZER.md has every member).
 * text/json show at most o->top rows. Collapsed and SVG show the stacks that
 * grew (positive values only); for a trend, those of the first-to-last diff.
 * pprof is a gzipped profile.proto (pprof.c) of the newest dump's stacks
 * with sample types inuse_objects, inuse_space and, against the first
 * dump, growth_objects and growth_space (the default): it reads the first
 * and the last dump again and symbolizes them with file:line and inline
 * frames. Returns 0, -EINVAL for an unknown format, -EIO when writing
 * failed, or for pprof the errors of an_diff_paths (without a message). */
int an_render(const struct an_report *r, enum an_format f, FILE *out);

/* The JSON object of an_render(AN_FORMAT_JSON) as one value written into w
 * (common/json.h), to embed it in a larger document such as incident.json.
 * Returns 0, or the writer's error (-EIO, -EINVAL). */
struct json_writer;
int an_render_json(const struct an_report *r, struct json_writer *w);

/* The incident page: one self-contained HTML file (no network: scripts,
 * styles and data inline) with (a) a flame graph of diff's growth with
 * click-to-zoom, search and a details line, (b) a plot of the run (usage
 * and heap total over time against the limit, with marks), (c) the
 * trend's suspects with their series as small plots. The run's data comes
 * from the caller; times are ms since the run's start. Strings are
 * borrowed for the call. */
struct an_point {
        int64_t t_ms;
        double bytes;
};

struct an_mark {
        int64_t t_ms;
        const char *kind;       /* start, dump, baseline, threshold, oom, exit, restart */
        const char *label;
};

struct an_page {
        const char *title;      /* the command */
        const char *subtitle;   /* verdict, pid, limit, time, host: one line */
        uint64_t limit;         /* bytes; 0 unknown */
        const struct an_point *usage;   /* the cgroup's usage samples */
        size_t n_usage;
        const struct an_point *heap;    /* the heap total of each dump */
        size_t n_heap;
        const struct an_mark *marks;
        size_t n_marks;
};

/* diff (or NULL: no flame graph), trend (or NULL) and page to out.
 * Returns 0, -ENOMEM, or -EIO when writing failed. */
int an_render_html(const struct an_report *diff, const struct an_report *trend, const struct an_page *page,
                   FILE *out);

/* "text", "collapsed", "svg", "dot", "json", "pprof" -> *ret. Returns 0 or -EINVAL. */
int an_format_from_string(const char *s, enum an_format *ret);
const char *an_format_to_string(enum an_format f);

/* Rows of a diff (for a trend: of its first-to-last diff), in the order of
 * jeprof --text: flat bytes descending, then name. Each row is a function
 * with flat (in the function itself) and cum (in it and its callees) bytes
 * of growth; negative when it shrank. Functions whose flat and cum are both
 * zero (unchanged) are not rows. */
size_t an_report_count(const struct an_report *r);

/* Row i: *ret_function points into r (valid until an_report_free).
 * Returns 0, or -ERANGE when i >= an_report_count(r). */
int an_report_row(const struct an_report *r, size_t i, const char **ret_function,
                  int64_t *ret_flat, int64_t *ret_cum);

/* Growth in bytes of the whole heap (new total minus base total); for a
 * trend, last minus first. */
int64_t an_report_total(const struct an_report *r);

/* Trend suspects, best first: sites whose score is at least the
 * threshold and whose bytes grew. score = (fraction of steps that grew)
 * x (R^2 of the least-squares line through the series), 0 when the line
 * does not rise. Returns the count; 0 for a diff. */
size_t an_report_suspect_count(const struct an_report *r);

/* Suspect i: *ret_function points into r. Returns 0 or -ERANGE. */
int an_report_suspect(const struct an_report *r, size_t i, const char **ret_function,
                      double *ret_score, int64_t *ret_growth);

/* Sites: each stack's first frame outside the runtime (an_options.hide),
 * with the bytes that grew under it, largest first; only sites that grew.
 * For a trend, those of its first-to-last diff. */
size_t an_report_site_count(const struct an_report *r);

struct an_site {
        const char *function;   /* point into the report */
        const char *module;     /* path of the module, or NULL */
        const char *file;       /* source file of the growing call in function, or NULL */
        int line;               /* 0: unknown */
        int64_t bytes;
};

/* Site i. module, file and line are known for the first o->top sites only.
 * Returns 0 or -ERANGE. */
int an_report_site(const struct an_report *r, size_t i, struct an_site *ret);

/* name shortened for a display of width columns: template argument lists
 * become "<...>", the innermost first, until it fits; if it still does not,
 * the middle is cut ("head...tail"). Writes into buf (len bytes) and
 * returns it. JSON and the collapsed stacks keep names whole. */
const char *an_name_fit(const char *name, size_t width, char *buf, size_t len);

/* The modules the analysis found code of (executable and libraries), in
 * the order the dumps name them: what a later analysis needs to name their
 * frames (the build-id finds the debug file, locally or from debuginfod),
 * and how many of the report's top rows and sites have no name in each
 * (they read "module+0xOFF": the module has no symbol there, e.g. a
 * stripped binary without its debug file). */
struct an_module {
        const char *path;        /* as the dumps name it; points into the report */
        const char *build_id;    /* lowercase hex, or NULL when unknown */
        const char *debug_file;  /* the separate debug file used, or NULL */
        const char *debuginfod;  /* NULL: not asked; "found", "not found", "timed out", "failed" */
        unsigned unnamed;        /* functions without a name among the top rows and sites */
        bool readable;           /* false: the file could not be read (gone, not ELF, ...) */
};
size_t an_report_module_count(const struct an_report *r);

/* Module i; returns 0 or -ERANGE. */
int an_report_module(const struct an_report *r, size_t i, struct an_module *ret);

/* Mean bytes between samples (2^lg_prof_sample) of the newest dump. */
uint64_t an_report_period(const struct an_report *r);

void an_report_free(struct an_report *r);

/* Sampling-corrected heap size (bytes in use) of one dump, without
 * symbolizing anything: for the supervisor's coverage figures. Returns 0 and
 * sets *ret_bytes, or -errno with *ret_err as for an_diff_paths. */
int an_peek_total(const char *path, int64_t *ret_bytes, char **ret_err);

/* The same total as the estimate it is: with one standard error (from the
 * number of samples behind each stack) and the sample period. Same return
 * contract as an_peek_total. */
struct an_estimate {
        int64_t bytes;
        double stderr_bytes;
        uint64_t period;
};
int an_peek_estimate(const char *path, struct an_estimate *ret, char **ret_err);

/* Steady-growth score of a series x[0..n) as used by trend, in [0, 1];
 * exposed for tests. */
double an_trend_score(const double *x, size_t n);
