/* capture: when to ask which process of the tree for a heap dump.
 *
 *  - on demand: SIGUSR1 and `oomwatch dump [--baseline] [--pid N]`;
 *  - baseline_after: each process's baseline, that long after its agent
 *    said it is ready (the target and every worker forked later);
 *  - usage steps (cgroup.usage_step, by default 1/16 of the limit): a dump
 *    each time the cgroup's usage rises a step above the level of the last
 *    step dump (levels are multiples of the step, so a burst that passes
 *    several at once takes one dump), in the same processes as warn_at; the
 *    first is the baseline of a process without one. The level falls back
 *    with the usage (cap_usage_step's hysteresis), so the growth of a
 *    replaced worker is followed again;
 *  - warn_at: at each threshold of the cgroup's usage, a dump of the
 *    processes that hold the memory (cap_pick: the largest by anonymous
 *    memory with an agent that can dump, and every such process holding at
 *    least CAP_SHARE_PERCENT of the tree's anonymous memory, at most
 *    CAP_PICK_MAX);
 *  - gdump = N%: peak dumps switched on in the same processes;
 *  - gdump = fast (the default): the same when two consecutive step dumps
 *    show a burst (cap_fast_growth): there the agent's dumps, a request and
 *    a scheduling delay behind the growth, come too late (or are cut short
 *    by the kill), while jemalloc writes peak dumps in the allocating thread
 *    itself, up to the last new peak before the kill;
 *  - hysteresis: a threshold that fired re-arms when the usage falls below
 *    it by CAP_REARM_POINTS points of the limit (half the threshold for
 *    thresholds up to that), so that the usage climbing again (a worker was
 *    killed and replaced) fires it again for the new growth.
 * Step and warn_at dumps are the rungs of their process's ladder in the
 * window (win_set_rung): they outlive other dumps, and the trend reads
 * them. One sample that passes a step and thresholds takes one dump per
 * process; a process whose growth dump is still being written when the
 * next is due gets that one as soon as it is done (a fast burst: dumps back
 * to back, never a queue of them).
 * It also decides which dumps stay in the window (cap_dump_arrived,
 * cap_process_gone): those of processes that run, of the OOM killer's
 * victims (their bundle takes them), of the one exited process that held
 * the most memory, and, once the target is dying or being stopped, of
 * every process until the bundle is made; the rest are deleted, so the
 * window costs O(live processes).
 *
 * Memory samples (cap_sample): the cgroup's usage, anon and file, and the
 * tree's per-process memory (tree_sample, at most every
 * CAP_TREE_SAMPLE_MS unless forced). Thresholds are checked on every
 * sample. Where the kernel gives no usage notification (cgroup v2) the
 * usage is read every CAP_POLL_MS while a threshold or a step is armed
 * (every CAP_POLL_NEAR_MS when close to a threshold, or in the last
 * CAP_POLL_NEAR_POINTS of the limit), and every CAP_REARM_POLL_MS while
 * all have fired, to see them re-arm. On v1 the next step and its re-arm
 * level are usage thresholds of their own, moved as the level moves.
 *
 * Nothing here blocks; it logs through the note hook. Functions return
 * >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentctl.h"
#include "config.h"
#include "tree.h"

struct cg;
struct win;
struct evt;

#define CAP_SHARE_PERCENT 20
#define CAP_PICK_MAX 4
#define CAP_REARM_POINTS 10
#define CAP_PENDING_MAX 64
#define CAP_TREE_SAMPLE_MS 200
#define CAP_STAT_SAMPLE_MS 100
#define CAP_POLL_MS 100
#define CAP_POLL_NEAR_MS 10
#define CAP_POLL_NEAR_POINTS 25
#define CAP_REARM_POLL_MS 500
#define CAP_FAST_FILL_MS 2000
/* gdump = fast: peak dumps a process may write between two usage steps;
 * past that they are switched off until the next step (jemalloc writes
 * one at each new high of its mapped memory, which for small objects is
 * every few KiB: thousands in a climb) */
#define CAP_PEAK_PER_STEP 16

/* why a dump was asked for */
enum cap_purpose { CAP_USR1, CAP_CLIENT, CAP_BASELINE, CAP_WARN, CAP_GDUMP, CAP_STEP, CAP_PEAK_OFF };

struct cap_sample {
        uint64_t usage, anon, file;   /* the cgroup's */
        bool valid;
};

struct cap_hooks {
        void (*note)(void *ud, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
        /* a client's request ended: answer it (ok: text is the dump's path) and close it */
        void (*client_done)(void *ud, int client, bool ok, const char *text);
        /* a memory sample of the cgroup was taken (may be NULL) */
        void (*sampled)(void *ud, const struct cap_sample *m, uint64_t now_ms);
        void *ud;
};

struct cap_params {
        const struct ow_config *cfg;
        struct cg *cg;
        struct tree *tree;
        struct win *win;
        struct evt *evt;             /* may be NULL */
        const char *dump_dir;        /* absolute */
        int epoll_fd;                /* v1 threshold eventfds are added here, data.u64 = tag | index << 8 */
        unsigned epoll_tag;
        bool agent;                  /* false: no agent, nothing is ever asked */
        const char *no_agent_why;    /* !agent: why, for whoever asks (borrowed) */
        struct cap_hooks hooks;
};


struct capture;

int cap_new(const struct cap_params *p, struct capture **ret);
void cap_free(struct capture *c);

/* A run of the target starts (thresholds armed again) / ends (requests
 * waiting on clients are answered "the target exited"). */
void cap_start_run(struct capture *c, pid_t target, uint64_t now_ms);
void cap_end_run(struct capture *c);

/* The target is dying or being stopped: from now on every dump stays. */
void cap_keep_everything(struct capture *c, bool on);

/* Ask for a dump. pid 0: the process of the tree that holds the most
 * anonymous memory and can dump (the target when it is alone). client:
 * for CAP_CLIENT, handed back to client_done. baseline: the dump becomes
 * its process's baseline. Failures are reported (note, client_done);
 * returns 0 when the request is in flight, else -errno. */
int cap_request(struct capture *c, enum cap_purpose why, pid_t pid, int client, bool baseline, uint64_t now_ms);

/* The tree's hooks, forwarded by the loop. */
void cap_on_hello(struct capture *c, const struct tree_proc *p, const struct ac_state *st, uint64_t now_ms);
void cap_on_reply(struct capture *c, const struct tree_proc *p, const struct ac_reply *r);
void cap_on_exec(struct capture *c, const struct tree_proc *p);
void cap_process_gone(struct capture *c, const struct tree_proc *p);

/* pid was OOM-killed and gets no bundle: its dumps go, now and when more
 * come (the last 16 such pids are remembered). */
void cap_discard(struct capture *c, pid_t pid);

/* A dump of the window's (win_add returned 1): may delete it at once
 * (a process out of profiling.processes, or gone). Returns 1 kept, 0 dropped. */
int cap_dump_arrived(struct capture *c, const char *name, pid_t pid);

/* Sample the memory (see the top); force: also when sampled just now. */
void cap_sample(struct capture *c, bool force, uint64_t now_ms);
const struct cap_sample *cap_last_sample(const struct capture *c);

/* A v1 threshold eventfd (index from the epoll data) is readable. */
void cap_on_threshold_fd(struct capture *c, unsigned index, uint64_t now_ms);

/* The earliest deadline of capture (polling, baselines, requests): 1 and
 * *ret_ms, or 0. cap_on_timer() acts on what is due; it returns true when
 * something the status shows was (a sample of the tree, a baseline asked
 * for, a request expired), false otherwise (a v2 poll's sample goes to the
 * sampled hook, which decides about the status itself). */
int cap_next_deadline(const struct capture *c, uint64_t *ret_ms);
bool cap_on_timer(struct capture *c, uint64_t now_ms);

/* The warn_at thresholds that have fired and not re-armed, ascending;
 * returns how many (at most CFG_MAX_WARN_AT). */
unsigned cap_thresholds_passed(const struct capture *c, unsigned *out);

/* ---- pure decisions (tested alone) ------------------------------------------------ */

struct cap_cand {
        pid_t pid;
        uint64_t anon;
        bool can_dump;     /* a ready agent channel */
};

/* Which candidates get a threshold dump: the largest by anon among those
 * that can dump, then every other that can dump holding at least
 * share_percent of the total anon of all candidates (those that cannot
 * dump count in the total), largest first, at most max. Writes their
 * indexes into out; returns how many. */
size_t cap_pick(const struct cap_cand *cands, size_t n, unsigned share_percent, size_t max, size_t *out);

enum cap_step { CAP_STEP_NONE, CAP_STEP_FIRE, CAP_STEP_REARM };

/* A threshold at percent of limit, fired or not, seeing usage: fire on the
 * way up, re-arm below the re-arm level (cap_rearm_bytes). */
enum cap_step cap_threshold_step(bool fired, uint64_t usage, uint64_t limit, unsigned percent);

/* The usage steps at level (the last step dump's; 0 before the first),
 * seeing usage, step bytes apart under limit: FIRE when the usage reached
 * a step above the level (*ret_level: the highest multiple of step at or
 * below usage), REARM when it fell below cap_step_rearm_bytes(limit, level)
 * (*ret_level: the highest multiple of step at or below usage, so that the
 * next step fires a step above that), else NONE (*ret_level untouched).
 * step 0: NONE. */
enum cap_step cap_usage_step(uint64_t level, uint64_t usage, uint64_t step, uint64_t limit, uint64_t *ret_level);

/* Growth from usage0 at t0_ms to usage1 at t1_ms is a burst: at a rate
 * that fills limit in CAP_FAST_FILL_MS or less. */
bool cap_fast_growth(uint64_t usage0, uint64_t t0_ms, uint64_t usage1, uint64_t t1_ms, uint64_t limit);

/* The usage below which the steps at level re-arm: CAP_REARM_POINTS
 * points of the limit below it, as for thresholds (half of it for levels
 * up to that). */
uint64_t cap_step_rearm_bytes(uint64_t limit, uint64_t level);

/* The percentage below which a threshold at percent re-arms. */
unsigned cap_rearm_percent(unsigned percent);

/* The usage below which a threshold at percent of limit re-arms. */
uint64_t cap_rearm_bytes(uint64_t limit, unsigned percent);

/* Does a dump of a process stay in the window? alive: the process runs;
 * in_scope: its agent did not say it is outside profiling.processes;
 * killed: the OOM killer's victim; evidence: the exited process kept for
 * "the process that grew"; keep_all: the target is dying or being stopped. */
bool cap_dump_stays(bool alive, bool in_scope, bool killed, bool evidence, bool keep_all);
