/* The run's timeline, for the incident page's plot (incident.html): the
 * cgroup usage samples the supervisor takes anyway (at dumps, thresholds,
 * v2 polling) and marks for what happened (starts, dumps, thresholds, OOM
 * kills, exits, restarts), fed from the event log's events. Kept in memory
 * for the supervisor's whole life, so a bundle after a restart shows the
 * runs before it too; the analysis child inherits it with fork(). The one
 * place the usage samples are kept: the run record (runrecord.h) writes
 * the current target's part of them.
 *
 * Bounded: at most TL_MAX_POINTS samples (when full, every other one is
 * dropped and the least spacing doubles, so the series still covers the
 * whole time evenly; the newest is always kept) and TL_MAX_MARKS marks (in
 * a dump storm the dump marks thin out the same way; other marks always
 * stay). Times are CLOCK_MONOTONIC ms; tl_t0 is the first target start.
 * No I/O, no logging. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TL_MAX_POINTS 2048
#define TL_MAX_MARKS 512
#define TL_LABEL_MAX 96

struct tl_point {
        uint64_t t_ms, usage;
};

struct tl_mark {
        uint64_t t_ms;
        char kind[16];      /* start, dump, baseline, threshold, oom, exit, restart */
        char label[TL_LABEL_MAX];
};

struct tl {
        struct tl_point points[TL_MAX_POINTS];
        size_t n_points;
        uint64_t min_gap_ms;   /* points closer than this to the last are dropped */
        struct tl_mark marks[TL_MAX_MARKS];
        size_t n_marks, n_dump_marks;
        unsigned dump_stride, dump_seen;  /* keep every dump_stride-th dump mark */
        uint64_t t0_ms;        /* monotonic ms of the first start; 0 before it */
        struct timespec t0_wall;  /* the same moment, CLOCK_REALTIME */
};

/* Set it up empty (struct tl is large: allocate it, e.g. calloc; the
 * arrays are not written, so their pages stay untouched until used). */
void tl_init(struct tl *t);

/* A usage sample at now_ms. */
void tl_sample(struct tl *t, uint64_t now_ms, uint64_t usage);

/* The points at or after since_ms (ascending): their count, *ret the first
 * of them (inside t; valid until the next tl_sample()). */
size_t tl_points_since(const struct tl *t, uint64_t since_ms, const struct tl_point **ret);

/* An event of the event log (its name and JSON object, as events.h writes
 * them) at now_ms: a mark when it is one of the kinds above (the JSON is
 * read only then). Returns 1 when marked, 0 when not (or thinned out),
 * -EINVAL for text that is not an event. */
int tl_event(struct tl *t, uint64_t now_ms, const char *name, const char *event_json);
