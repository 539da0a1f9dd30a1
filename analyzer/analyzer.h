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
 * Functions are named like jeprof names them (demangled, argument lists and
 * template arguments removed); inlined functions are frames of their own,
 * named plainly (jeprof appends " (inline)"). Frames of the allocator are
 * removed so the first frame of each stack is the allocating caller; see
 * docs/ANALYZER.md. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum an_format { AN_FORMAT_TEXT, AN_FORMAT_COLLAPSED, AN_FORMAT_SVG, AN_FORMAT_DOT, AN_FORMAT_JSON };

struct an_options {
        const char *binary;     /* replaces the executable path of MAPPED_LIBRARIES, or NULL */
        unsigned top;           /* rows in text/json output; 0 = 20 */
        /* input caps; 0 = the defaults of heap_profile.h */
        uint64_t max_bytes;     /* bytes per dump file */
        uint32_t max_frames;    /* frames per stack */
        uint32_t max_stacks;    /* stacks per dump */
        double suspect_score;   /* trend: minimum score of a suspect; 0 = 0.5 */
        /* called now and then while dumps are read and symbolized, for a
         * progress display: dump is the file, done of total its stacks.
         * NULL: none. Must not call back into the analyzer. */
        void (*progress)(void *userdata, const char *dump, size_t done, size_t total);
        void *progress_data;
};

#define AN_DEFAULT_TOP 20
#define AN_DEFAULT_SUSPECT_SCORE 0.5

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
 * if any name does not match, the given order is kept. Each function gets
 * its series of flat bytes across the dumps and a steady-growth score in
 * [0, 1] (see an_report_suspect); the report also holds the diff of the
 * first and the last dump for the graph formats. */
int an_trend_paths(const char *const *paths, size_t n, const struct an_options *o,
                   struct an_report **ret, char **ret_err);

/* Print r to out in format f. For a diff, JSON is the incident bundle's
 * "diff" object {"base","new","growth_bytes","base_bytes","new_bytes","top":[...]};
 * for a trend, the "trend" object {"dumps":[...],"suspects":[...],"series":[...]}.
 * text/json show at most o->top rows. Collapsed and SVG show the stacks that
 * grew (positive values only); for a trend, those of the first-to-last diff.
 * Returns 0, -EINVAL for an unknown format, or -EIO when writing failed. */
int an_render(const struct an_report *r, enum an_format f, FILE *out);

/* "text", "collapsed", "svg", "dot", "json" -> *ret. Returns 0 or -EINVAL. */
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

/* Trend suspects, best first: functions whose score is at least the
 * threshold and whose flat bytes grew. score = (fraction of steps that grew)
 * x (R^2 of the least-squares line through the series), 0 when the line
 * does not rise. Returns the count; 0 for a diff. */
size_t an_report_suspect_count(const struct an_report *r);

/* Suspect i: *ret_function points into r. Returns 0 or -ERANGE. */
int an_report_suspect(const struct an_report *r, size_t i, const char **ret_function,
                      double *ret_score, int64_t *ret_growth);

void an_report_free(struct an_report *r);

/* Sampling-corrected heap size (bytes in use) of one dump, without
 * symbolizing anything: for the supervisor's coverage figures. Returns 0 and
 * sets *ret_bytes, or -errno with *ret_err as for an_diff_paths. */
int an_peek_total(const char *path, int64_t *ret_bytes, char **ret_err);

/* Steady-growth score of a series x[0..n) as used by trend, in [0, 1];
 * exposed for tests. */
double an_trend_score(const double *x, size_t n);
