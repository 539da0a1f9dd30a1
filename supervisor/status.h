/* status: what the status file (events.h: status.json in the state
 * directory, what `oomwatch status` prints) shows, gathered from the run's
 * modules, and how often it is rewritten: at most every
 * STATUS_MIN_INTERVAL_MS in a burst of events (a dump storm), with one
 * write after the burst (status_deadline). Each write also writes what the
 * run record held back and the metrics file (a failure said once).
 *
 * The sources are borrowed; the loop sets each once it exists (NULL: not
 * yet, left out of the file). Nothing blocks. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "say.h"

#define STATUS_MIN_INTERVAL_MS 200
#define STATUS_SAMPLE_MS 10000      /* a sample alone rewrites the file at most this often... */
#define STATUS_SAMPLE_MOVE 64       /* ...unless the usage moved by limit / this since */
#define STATUS_PROCS_MAX 32         /* processes listed, the largest by anonymous memory first */

struct capture;
struct cg;
struct dumpdir;
struct evt;
struct met;
struct rr;
struct te_plan;
struct tree;

struct status {
        const struct ow_config *cfg;
        const struct say *log;
        struct evt *evt;
        struct met *met;
        struct rr *rr;
        struct cg *cg;
        const struct dumpdir *dd;
        struct capture *cap;
        struct tree *tree;
        const struct te_plan *env;
        /* private */
        uint64_t written_ms, deadline, written_usage;
        bool met_failed;
};

/* What changes with the run, for one write. */
struct status_run {
        pid_t target;               /* 0: none running */
        const char *state;          /* "running", "analyzing", "restart-wait", "done" */
        bool list_procs;            /* the target runs: the tree's processes are listed */
        unsigned restarts, tree_kills;
        const char *last_bundle;
};

/* No deadline, nothing written yet. */
void status_init(struct status *st, const struct ow_config *cfg, const struct say *log);
/* Rewrite the file now (force), or when STATUS_MIN_INTERVAL_MS passed since
 * the last write; else set the deadline of the write after the burst.
 * Returns true when that deadline is new (the caller re-arms its timer). */
bool status_write(struct status *st, const struct status_run *run, bool force, uint64_t now_ms);
/* A sample of the usage, and nothing else, changed: rewrite as
 * status_write does when STATUS_SAMPLE_MS passed since the last write or
 * the usage moved by memory_limit / STATUS_SAMPLE_MOVE, else not at all (v2
 * polls ten times a second: the file and the metrics follow the usage, not
 * the polling). Returns what status_write returns. */
bool status_sampled(struct status *st, const struct status_run *run, uint64_t usage, uint64_t now_ms);
/* When the held-back write is due (CLOCK_MONOTONIC ms), or UINT64_MAX. */
uint64_t status_deadline(const struct status *st);
/* The status file as written last: *ret malloc'd, at most max - 8 bytes
 * and NUL-terminated. Returns 0 or -errno. */
int status_read(const struct status *st, size_t max, char **ret);
