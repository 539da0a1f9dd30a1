/* Parser for jemalloc heap profiles in the heap_v2 format.
 *
 *   heap_v2/<sample period>
 *     t*: <objs>: <bytes> [<cumobjs>: <cumbytes>]     totals (ignored)
 *     t<N>: ...                                         per thread (ignored)
 *   @ 0x<addr> 0x<addr> ...                             one stack, leaf first
 *     t*: <objs>: <bytes> [<cumobjs>: <cumbytes>]       its counts
 *     t<N>: ...
 *   ...
 *   MAPPED_LIBRARIES:
 *   <the lines of /proc/<pid>/maps>
 *
 * Counts are samples. Each stack's t* objs and bytes are corrected with
 * jeprof's AdjustSamples (v2): scale = 1 / (1 - exp(-(bytes/objs)/period)),
 * applied to that stack alone and before any subtraction.
 *
 * Every external input is capped (struct hp_limits). Errors come back as a
 * negative errno and a malloc'd "FILE:LINE: reason" in *ret_err. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_DEFAULT_MAX_BYTES  (512ULL << 20)  /* per dump file */
#define HP_DEFAULT_MAX_FRAMES 256             /* jemalloc records at most 128 */
#define HP_DEFAULT_MAX_STACKS 2000000
#define HP_DEFAULT_MAX_LINE   16384
#define HP_DEFAULT_MAX_MAPS   200000

/* Caps on the input; a 0 field means its default above. */
struct hp_limits {
        uint64_t max_bytes;
        uint32_t max_frames;
        uint32_t max_stacks;
        uint32_t max_line;
        uint32_t max_maps;
};

struct hp_stack {
        uint32_t first;     /* index of the leaf frame in hp_profile.frames */
        uint32_t nframes;
        uint64_t raw_objs, raw_bytes;  /* as written in the t* line */
        double objs, bytes;            /* sampling-corrected */
};

struct hp_map {
        uint64_t start, end, offset;
        bool exec;
        char *path;          /* NULL for anonymous mappings */
};

struct hp_profile {
        char *name;          /* the file name given to the parser */
        uint64_t period;     /* sample period in bytes */
        struct hp_stack *stacks;
        size_t nstacks, cap_stacks;
        uint64_t *frames;    /* all stacks' addresses */
        size_t nframes, cap_frames;
        struct hp_map *maps; /* in file order */
        size_t nmaps, cap_maps;
        double total_bytes, total_objs;  /* sum of the corrected stacks */
        double total_var;    /* sampling variance of total_bytes (bytes^2), see hp_peek */
};

/* Scale factor jeprof's AdjustSamples applies to a v2 stack with the given
 * raw object count and byte count: 1/(1-exp(-(bytes/objs)/period)), or 1
 * when objs or period is 0. */
double hp_scale_factor(uint64_t objs, uint64_t bytes, uint64_t period);

/* Parse the dump at path. On success *ret is a new profile owned by the
 * caller (free with hp_profile_free) and 0 is returned. On failure returns
 * -errno (-EINVAL/-EBADMSG for bad content, -EFBIG over the byte cap, or
 * the open/read error) and, if ret_err is not NULL, sets *ret_err to a
 * malloc'd "FILE:LINE: reason" owned by the caller. lim may be NULL. */
int hp_parse_file(const char *path, const struct hp_limits *lim,
                  struct hp_profile **ret, char **ret_err);

/* Same for a dump already in memory; name is used in messages. The data
 * need not be NUL-terminated. */
int hp_parse_mem(const char *data, size_t size, const char *name,
                 const struct hp_limits *lim, struct hp_profile **ret,
                 char **ret_err);

void hp_profile_free(struct hp_profile *p);

/* Sampling-corrected heap total (bytes in use) of the dump at path, without
 * keeping its stacks or symbolizing anything. Same return contract as
 * hp_parse_file; *ret_bytes is set only on success. */
int hp_peek_total(const char *path, int64_t *ret_bytes, char **ret_err);

/* The heap total of a dump as the estimate it is. Each stack's corrected
 * bytes B come from n sampled objects, each sampled with probability
 * p = 1/scale; the variance of B is about B^2 (1 - p) / n, and stacks are
 * sampled independently, so the variances add up. */
struct hp_estimate {
        int64_t bytes;        /* sampling-corrected total */
        double stderr_bytes;  /* one standard error of it */
        uint64_t period;      /* mean bytes between samples (2^lg_prof_sample) */
};

/* Same contract as hp_peek_total. */
int hp_peek(const char *path, struct hp_estimate *ret, char **ret_err);

/* Parts of a dump file name "<prefix>.<pid>.<seq>.<kind><kseq>.heap"
 * (kind i, m, u; "f" has no kseq). */
struct hp_dump_name {
        long pid;
        unsigned long long seq;
        char kind;             /* 'i', 'm', 'u' or 'f' */
        unsigned long long kseq; /* 0 for 'f' */
};

/* Parse the base name of path. Returns 0 and fills *ret when it matches,
 * -EINVAL otherwise (*ret untouched). */
int hp_dump_name_parse(const char *path, struct hp_dump_name *ret);
