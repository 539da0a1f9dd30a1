/* One incident bundle in the making, from the supervisor's side: which
 * dumps of the window go into it, its directory (bundledir.h, built aside
 * and renamed into place when complete), and the analysis process that
 * writes its files (analysisproc.h: the program oomwatch-analysis, as the
 * analysis's user, given the facts and the output files as fds).
 *
 *   inc_collect()  fill b->dumps from the window: every good dump of the
 *                  processes keep() accepts, and the pair to diff
 *   inc_start()    make the temporary directory, write the facts, take the
 *                  dumps in, create the outputs, start the analysis
 *   inc_finish()   the analysis ended: complete the bundle, or start the
 *                  writer of the minimal report that says why it failed, or
 *                  (that failing too) put the dumps back and say why there
 *                  is no bundle
 *   inc_resume()   at start: finish the bundles supervisors that died left
 *                  half made (their temporary directories)
 *   inc_free()
 *
 * The caller fills the facts of struct bundle (verdict, target, cgroup)
 * before inc_start, reaps the child (inc->analyzer) from its own SIGCHLD
 * handling and kills it at inc->deadline_ms. Nothing here logs except
 * inc_resume (it runs before the event loop and says what it finished).
 * Functions return >= 0 or -errno.
 *
 * A process tree can lose several processes in a short time: the queue
 * (incq_*) takes bundles whose dumps are collected, keeps those dumps
 * pinned in the window while they wait, and runs one analysis at a time,
 * the oldest first. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "analysisproc.h"
#include "bundle.h"
#include "bundledir.h"
#include "window.h"

#define INC_TIME_LIMIT_MS 60000
#define INC_FALLBACK_TIME_LIMIT_MS 10000
#define INC_MEMORY_LIMIT (4ULL << 30)
#define INC_FILE_SIZE_LIMIT (2ULL << 30)

/* What every incident of a supervisor shares; set up once at start
 * (inc_ctx_open), before the target first starts. */
struct inc_ctx {
        int report_fd;              /* reportdir.h: checked, held for the run */
        const char *report_path;
        int dump_dir_fd;
        const char *dump_dir;
        int program_fd;             /* oomwatch-analysis; -1: not found */
        struct ap_user user;        /* who runs the analysis */
        bool switch_user;           /* we may (root) and must become user */
        uid_t dump_owner;           /* the target's user: its dumps are its files */
        const char *symbol_cache;   /* for the analysis's user, or NULL */
        /* owned, for inc_ctx_close */
        char *report_path_, *program_path_, *symbol_cache_;
        gid_t *groups_;
};

/* Check and open the report directory (reportdir.h: -EPERM, and the
 * caller exits 125), open the analysis program, resolve who runs the
 * analysis (report.user, else the target's user) and its symbol cache.
 * *ret_err (malloc'd) says why it failed; *ret_warn (malloc'd or NULL)
 * what works less than it should (no analysis program, no cache). */
int inc_ctx_open(struct inc_ctx *ctx, const struct ow_config *cfg, int dump_dir_fd, const char *dump_dir,
                 char **ret_err, char **ret_warn);
void inc_ctx_close(struct inc_ctx *ctx);

struct incident {
        struct bundle b;
        struct bdir dir;
        int facts_fd;          /* the facts, read by the analysis; -1 */
        pid_t analyzer;        /* the analysis process; 0: none running */
        uint64_t deadline_ms;  /* CLOCK_MONOTONIC ms after which to kill it */
        bool fallback;         /* the running process writes the minimal report */
        char why[200];         /* why the analysis failed (for the minimal report) */
};

typedef bool (*inc_keep_fn)(void *userdata, pid_t pid);

/* Copy the window's good dumps of the processes keep() accepts (all when
 * keep is NULL) into b->dumps, in (pid, seq) order, and point
 * b->base_index / b->new_index at the pair win_pair() gives for pid (or,
 * when pid has no dump, for the process whose dump came last), unless
 * keep() refuses that process. Returns 0 or -ENOMEM. */
int inc_collect(struct bundle *b, const struct win *w, pid_t pid, inc_keep_fn keep, void *userdata);

/* Start the bundle for inc->b (b->dumps: bare names in the dump
 * directory). Returns 0 with the analysis running (inc->analyzer,
 * inc->deadline_ms set; b->dir the path the bundle will get); -errno with
 * *ret_err when there is no bundle: the dumps are where they were, inc->b
 * is freed. */
int inc_start(struct incident *inc, const struct inc_ctx *ctx, uint64_t now_ms, char **ret_err);

/* The analysis process ended with wstatus. Returns
 *   0  the bundle is complete, at b->dir;
 *   1  the analysis failed (why says why, len bytes): the minimal report's
 *      writer runs now (inc->analyzer, inc->deadline_ms), call again when
 *      it ends;
 *   <0 no bundle: why says what could not be written; the dumps are back
 *      in the dump directory (-EIO), or, where even that failed, named. */
int inc_finish(struct incident *inc, const struct inc_ctx *ctx, int wstatus, uint64_t now_ms, char *why,
               size_t len);

/* Print the head of the bundle's report.txt and its path to out. */
void inc_print_head(const struct incident *inc, FILE *out, unsigned lines);

/* Finish the bundles in the report directory whose supervisor died while
 * it wrote them: run their analysis again (waiting for it, within the time
 * limit), or write their minimal report; one that cannot be finished is
 * renamed "<name>.incomplete", visibly not a bundle. Says what it did on
 * err (one line each, "oomwatch: ..."). paths, when not NULL, gets the
 * finished bundles' paths (malloc'd, NULL-terminated). Returns how many
 * were finished. */
int inc_resume(const struct inc_ctx *ctx, FILE *err, char ***paths);

void inc_free(struct incident *inc);

/* ---- the queue ------------------------------------------------------------------- */

#define INC_QUEUE_MAX 8

/* A bundle ended. inc NULL: there is none, why says why (the dumps are
 * where they were). Else it is complete at inc->b.dir; why, when not NULL,
 * says why it has only the minimal report. inc->b is freed after the call. */
typedef void (*inc_done_fn)(void *userdata, struct incident *inc, const char *why);
/* A bundle's directory was made and its analysis started. */
typedef void (*inc_started_fn)(void *userdata, struct incident *inc);

struct inc_queue {
        struct win *win;                 /* borrowed: where the waiting dumps are pinned */
        const struct inc_ctx *ctx;       /* borrowed */
        inc_started_fn started;
        inc_done_fn done;
        void *userdata;
        struct incident run;             /* the one whose analysis runs (run.analyzer > 0) */
        pid_t failed_pid;                /* the target of the last bundle that could not be made */
        bool running;
        struct bundle waiting[INC_QUEUE_MAX];
        size_t n_waiting;
};

/* Set up q (no allocation). */
void incq_init(struct inc_queue *q, struct win *win, const struct inc_ctx *ctx, inc_started_fn started,
               inc_done_fn done, void *userdata);

/* Queue *b (collected with inc_collect, facts filled): its contents move
 * into the queue (*b is zeroed) and its dumps are pinned. Then starts it
 * if nothing runs. Returns 0, or -ENOSPC when INC_QUEUE_MAX wait already
 * (*b is freed then). */
int incq_push(struct inc_queue *q, struct bundle *b, uint64_t now_ms);

/* Nothing runs and nothing waits. */
bool incq_idle(const struct inc_queue *q);

/* pid was reaped with wstatus: if it is the running analysis, finish it
 * (or start the minimal report's writer, when the analysis failed) and
 * start the next. Returns 1 if it was ours, else 0. */
int incq_reaped(struct inc_queue *q, pid_t pid, int wstatus, uint64_t now_ms);

/* The running analysis's deadline: 1 and *ret_ms, or 0. */
int incq_deadline(const struct inc_queue *q, uint64_t *ret_ms);

/* Kill the running analysis if its deadline passed (it is reaped as
 * usual). Returns 1 if it was killed. */
int incq_expire(struct inc_queue *q, uint64_t now_ms);

/* Kill and reap the running analysis, free everything. */
void incq_free(struct inc_queue *q);
