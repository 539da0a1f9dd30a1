/* kills: the run's OOM kills and the bundles they, and the target's end,
 * give.
 *
 *  - the counter: the cgroup's oom_kill against its value at the target's
 *    start (kl_start_run); a v1 OOM event before the kill is counted is
 *    looked at again every KL_RECHECK_MS, KL_RECHECKS times (kl_check);
 *    each rise goes to victim.c, which names the victims;
 *  - the victims (kl_take): the target's own kill, and a group kill or a
 *    kill while the target dies, go with the target's death (its bundle
 *    names the victim the kernel chose); a kill of another process while
 *    the target runs on is counted, said, written as an "oom" event and
 *    bundled at once from that process's own dumps, within
 *    report.bundle_limit (past it the kill is counted, its dumps deleted);
 *  - the bundles: the facts every bundle of the run shares, the bundle of
 *    the target's end (kl_bundle_end: the OOM victim's dumps, or with
 *    report.on = exit the process that grew), the earlier run's
 *    (kl_bundle_earlier, unobserved.h); the queue (incident.h) runs one
 *    analysis at a time; when one is made it is said, written to the event
 *    log, the run record, the metrics and the termination log; when it
 *    fails, its dumps stay as evidence.
 *
 * The fields above "private" are set by the caller (borrowed, before the
 * first run) or read by it. Nothing blocks. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agentctl.h"
#include "cgroup.h"
#include "config.h"
#include "incident.h"
#include "policy.h"
#include "say.h"
#include "tree.h"
#include "victim.h"

#define KL_RECHECK_MS 50           /* v1 signals OOM before the kill is counted: look again */
#define KL_RECHECKS 10
#define KL_DEATH_KILLS_MAX 8       /* kills seen with the target's death, for its bundle */

struct capture;
struct dumpdir;
struct evt;
struct met;
struct rr;
struct rr_prev;
struct te_plan;
struct tl;

struct kills {
        const struct ow_config *cfg;
        const struct say *log;
        struct cg *cg;
        struct tree *tree;
        struct capture *cap;
        struct vic *vic;
        struct dumpdir *dd;
        struct evt *evt;
        struct met *met;
        struct rr *rr;
        const char *host;                   /* or NULL */
        const char *limit_from;             /* cgsetup.h; or NULL */
        /* the earlier run's bundle was made (or could not be), after it was said */
        void (*earlier_done)(void *ud);
        void *ud;

        pid_t target;                       /* the run's target (the loop sets it at spawn) */
        struct cg_counters base;            /* the counters at its start */
        uint64_t seen;                      /* the counter's rise seen so far */
        unsigned tree_kills;                /* of other processes of the tree, while it ran */
        struct tree_proc last_victim;       /* the last of those (cmd; exe not kept) */
        unsigned unbundled;                 /* kills left without a bundle since the last bundle */
        unsigned unbundled_run;             /* ... in the whole run */
        struct inc_queue q;                 /* the bundles: one analysis at a time */
        bool earlier;                       /* the bundle being made is the earlier run's */
        char *last_bundle;                  /* the newest bundle's directory, or NULL */
        struct tl *earlier_tl;              /* the earlier run's usage series, while its bundle is made */
        /* private */
        struct vic_kill death[KL_DEATH_KILLS_MAX];  /* named as the target died */
        unsigned n_death;
        struct pol_rate rate;
        uint64_t recheck_deadline;
        unsigned rechecks;
};

void kl_init(struct kills *k, const struct ow_config *cfg, const struct say *log);
/* The queue over the window and the analysis's context (both borrowed). */
void kl_init_queue(struct kills *k, struct win *win, const struct inc_ctx *ctx);
void kl_free(struct kills *k);

/* A target is about to start: the counters now are its base; nothing
 * seen yet. */
void kl_start_run(struct kills *k);
/* The counter now. Returns 1 when it rose (victim.c is told), 0 when not
 * (alive: the target runs, so a v1 OOM event may be looked at again
 * shortly; from_event starts the rechecks anew), -errno when it cannot be
 * read. */
int kl_check(struct kills *k, bool from_event, bool alive, uint64_t now_ms);
/* Has the counter risen beyond what was seen (for a cgroup without OOM
 * notifications, read with each sample)? */
bool kl_counter_rose(const struct kills *k);
/* The rise seen, up to now, and told to victim.c (the target died). */
void kl_sync(struct kills *k, uint64_t now_ms);
/* The kills victim.c has named by now (until: as vic_next's now, the time
 * its waits for the kernel's record are measured against; UINT64_MAX:
 * everything at once). target_dead: the target was reaped. Returns how
 * many were of the tree (the status file follows them). */
unsigned kl_take(struct kills *k, bool target_dead, uint64_t until, uint64_t now_ms);
/* The target's death was not an OOM kill (a wrapper that exited after its
 * child was OOM-killed): the kills of other processes that were taken as
 * going with that death are the tree's after all (counted, said, bundled).
 * Returns how many. */
unsigned kl_death_not_oom(struct kills *k, uint64_t now_ms);
/* Was the target's death an OOM kill of the target (more kills than those
 * of the tree)? */
bool kl_target_oom(const struct kills *k);
/* The recheck's deadline, or UINT64_MAX; kl_check(false) when due. */
uint64_t kl_deadline(const struct kills *k);

/* The target's end, for its bundle. */
struct kl_end {
        const char *verdict;
        int wstatus;
        struct timespec died, died_wall;    /* CLOCK_MONOTONIC, CLOCK_REALTIME */
        const struct te_plan *env;
        const char *exe, *build_id;         /* launch.h; NULL / "" unknown */
        enum ac_kind agent_said;            /* the target's agent's last state */
        struct tl *tl;                      /* the run's timeline, or NULL */
};
/* Queue the bundle of the target's end (the caller drained the dump
 * directory). */
void kl_bundle_end(struct kills *k, const struct kl_end *e, uint64_t now_ms);
/* The run record p says the earlier run was still running when its
 * supervisor ended: queue that run's bundle (verdict unobserved-kill,
 * unobserved.h), said first. boot_id: this boot's, or NULL. Returns 0
 * (k->earlier until it is done, then earlier_done is called), or -errno
 * when there is no bundle to wait for. */
int kl_bundle_earlier(struct kills *k, const struct rr_prev *p, const char *boot_id, uint64_t now_ms);
/* The target's death said: its verdict (with the status `oomwatch run`
 * exits with), the oom event and metric, the exit event. stopping: a stop
 * signal was forwarded, so a death by a signal is no news. program: what
 * it ran (for the metric's label). */
void kl_say_death(struct kills *k, const char *verdict, int wstatus, int status, bool stopping, bool exec_failed,
                  const char *program);
/* The run's kills of the tree, said at its end: own is the target's exit
 * status, status oomwatch's. */
void kl_say_run(const struct kills *k, int own, int status, bool exec_failed);
