/* When to ask which process for a heap dump. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cgroup.h"
#include "events.h"
#include "units.h"
#include "window.h"

#define NO_DEADLINE UINT64_MAX

/* epoll indexes of the v1 eventfds */
#define IX_WARN 0
#define IX_WARN_REARM CFG_MAX_WARN_AT
#define IX_GDUMP (2 * CFG_MAX_WARN_AT)
#define IX_GDUMP_REARM (2 * CFG_MAX_WARN_AT + 1)
#define IX_STEP (2 * CFG_MAX_WARN_AT + 2)
#define IX_STEP_REARM (2 * CFG_MAX_WARN_AT + 3)
#define IX_HELPER (2 * CFG_MAX_WARN_AT + 4)     /* pidfds of the step thresholds' helpers */
#define N_HELPERS 4
#define N_IX (IX_HELPER + N_HELPERS)

struct pending {
        bool used;
        pid_t pid;
        uint64_t id;
        enum cap_purpose why;
        int client;
        bool baseline;
        uint64_t level;                /* CAP_WARN, CAP_STEP: the rung's level */
        bool again;                    /* CAP_WARN, CAP_STEP: another is due when this one is done */
        enum cap_purpose again_why;
};

struct capture {
        struct cap_params p;
        int fds[N_IX];                 /* v1 eventfds; -1 */
        bool poll;                     /* v2: no notification, usage is read */
        uint64_t poll_deadline;
        bool warn_fired[CFG_MAX_WARN_AT];
        bool gdump_fired;
        uint64_t step;                 /* bytes; 0: no usage steps */
        uint64_t step_level;           /* the last step dump's level; 0 before the first */
        uint64_t step_usage, step_ms;  /* the usage at the last step dump, and when; 0: none yet */
        bool fast_fired;               /* gdump = fast: peak dumps switched on in this climb */
        struct {                       /* ... in these processes, counted since the last step */
                pid_t pid;
                unsigned n;
                bool off;              /* CAP_PEAK_PER_STEP reached: switched off */
        } peak[CAP_PICK_MAX];
        bool running, keep_all;
        pid_t target;
        struct cap_sample last;
        uint64_t last_stat_ms, last_tree_ms;
        uint64_t resample_deadline;    /* a process without a channel left a dump: see whether it ended */
        pid_t evidence;                /* the exited process whose dumps stay */
        pid_t discarded[16];           /* victims without a bundle: their dumps go (a ring) */
        unsigned n_discarded;
        uint64_t evidence_peak;
        struct pending pending[CAP_PENDING_MAX];
};

static const char *const purpose_name[] = { "SIGUSR1", "oomwatch dump", "the baseline", "warn_at", "gdump",
                                             "a usage step", "peak dumps off" };

#define NOTE(c, level, ...)                                                        \
        do {                                                                       \
                if ((c)->p.hooks.note)                                             \
                        (c)->p.hooks.note((c)->p.hooks.ud, (level), __VA_ARGS__);  \
        } while (0)

/* ---- pure decisions -------------------------------------------------------------- */

size_t cap_pick(const struct cap_cand *cands, size_t n, unsigned share_percent, size_t max, size_t *out)
{
        uint64_t total = 0;
        size_t k = 0;

        if (!max)
                return 0;
        for (size_t i = 0; i < n; i++)
                total += cands[i].anon;
        /* selection by repeated maximum: n is the tree's size, max is small */
        while (k < max) {
                size_t best = n;
                for (size_t i = 0; i < n; i++) {
                        bool taken = false;
                        if (!cands[i].can_dump)
                                continue;
                        for (size_t j = 0; j < k; j++)
                                taken |= out[j] == i;
                        if (!taken && (best == n || cands[i].anon > cands[best].anon))
                                best = i;
                }
                if (best == n)
                        break;
                /* the first is the largest whatever its share; the others by share */
                if (k > 0 && (total == 0 || cands[best].anon * 100 < total * share_percent))
                        break;
                out[k++] = best;
        }
        return k;
}

unsigned cap_rearm_percent(unsigned percent)
{
        return percent > CAP_REARM_POINTS ? percent - CAP_REARM_POINTS : percent / 2;
}

uint64_t cap_rearm_bytes(uint64_t limit, unsigned percent)
{
        return limit / 100 * cap_rearm_percent(percent);
}

enum cap_step cap_threshold_step(bool fired, uint64_t usage, uint64_t limit, unsigned percent)
{
        if (!fired)
                return usage >= limit / 100 * percent ? CAP_STEP_FIRE : CAP_STEP_NONE;
        return usage < cap_rearm_bytes(limit, percent) ? CAP_STEP_REARM : CAP_STEP_NONE;
}

uint64_t cap_step_rearm_bytes(uint64_t limit, uint64_t level)
{
        uint64_t r = limit / 100 * CAP_REARM_POINTS;

        return level > r ? level - r : level / 2;
}

bool cap_fast_growth(uint64_t usage0, uint64_t t0_ms, uint64_t usage1, uint64_t t1_ms, uint64_t limit)
{
        uint64_t dt = t1_ms > t0_ms ? t1_ms - t0_ms : 0;

        if (usage1 <= usage0 || !limit)
                return false;
        return (unsigned __int128)(usage1 - usage0) * CAP_FAST_FILL_MS >= (unsigned __int128)limit * dt;
}

enum cap_step cap_usage_step(uint64_t level, uint64_t usage, uint64_t step, uint64_t limit, uint64_t *ret_level)
{
        if (!step)
                return CAP_STEP_NONE;
        if (usage >= level && usage - level >= step) {
                *ret_level = usage - usage % step;
                return CAP_STEP_FIRE;
        }
        if (level && usage < cap_step_rearm_bytes(limit, level)) {
                *ret_level = usage - usage % step;
                return CAP_STEP_REARM;
        }
        return CAP_STEP_NONE;
}

bool cap_dump_stays(bool alive, bool in_scope, bool killed, bool evidence, bool keep_all)
{
        if (!in_scope)
                return false;
        return keep_all || alive || killed || evidence;
}

/* ---- set-up -------------------------------------------------------------------------- */

static void add_fd(struct capture *c, unsigned ix, uint64_t bytes, const char *what, unsigned pct)
{
        int fd = cg_threshold_fd(c->p.cg, bytes);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)c->p.epoll_tag | ((uint64_t)ix << 8) };

        if (fd < 0) {
                NOTE(c, 0, "warning: cannot watch for %u%% of the limit (%s): %s", pct, what,
                     fd == -EOPNOTSUPP ? "not supported on this cgroup version" : strerror(-fd));
                return;
        }
        if (epoll_ctl(c->p.epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                close(fd);
                return;
        }
        c->fds[ix] = fd;
}

int cap_new(const struct cap_params *p, struct capture **ret)
{
        const struct ow_config *cfg = p->cfg;
        struct capture *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->p = *p;
        c->poll_deadline = NO_DEADLINE;
        c->resample_deadline = NO_DEADLINE;
        for (unsigned i = 0; i < N_IX; i++)
                c->fds[i] = -1;
        if (p->agent) {         /* every threshold acts through the agent */
                c->step = cfg_usage_step(cfg);
                if (!cg_usage_notify(p->cg)) {
                        c->poll = cfg->n_warn_at > 0 || cfg->gdump == CFG_AUTO || c->step;
                } else {
                        for (unsigned i = 0; i < cfg->n_warn_at; i++) {
                                add_fd(c, IX_WARN + i, cfg->memory_limit / 100 * cfg->warn_at[i], "warn_at",
                                       cfg->warn_at[i]);
                                add_fd(c, IX_WARN_REARM + i, cap_rearm_bytes(cfg->memory_limit, cfg->warn_at[i]),
                                       "warn_at re-arm", cfg->warn_at[i]);
                        }
                        if (cfg->gdump == CFG_AUTO) {
                                add_fd(c, IX_GDUMP, cfg->memory_limit / 100 * cfg->gdump_percent, "gdump",
                                       cfg->gdump_percent);
                                add_fd(c, IX_GDUMP_REARM, cap_rearm_bytes(cfg->memory_limit, cfg->gdump_percent),
                                       "gdump re-arm", cfg->gdump_percent);
                        }
                }
        }
        *ret = c;
        return 0;
}

void cap_free(struct capture *c)
{
        if (!c)
                return;
        for (unsigned i = 0; i < N_IX; i++)
                if (i >= IX_HELPER)
                        cg_threshold_helper_end(c->fds[i]);     /* it holds none of ours once it has run */
                else if (c->fds[i] >= 0)
                        close(c->fds[i]);
        free(c);
}

/* ---- requests ------------------------------------------------------------------------- */

static void failed(struct capture *c, enum cap_purpose why, int client, pid_t pid, const char *reason)
{
        if (why == CAP_CLIENT && client >= 0 && c->p.hooks.client_done)
                c->p.hooks.client_done(c->p.hooks.ud, client, false, reason);
        if (why == CAP_GDUMP)
                NOTE(c, 0, "cannot switch peak dumps on in pid %d: %s", (int)pid, reason);
        else if (why == CAP_PEAK_OFF)
                NOTE(c, 1, "cannot switch peak dumps off in pid %d: %s", (int)pid, reason);
        else if (pid > 0)
                NOTE(c, why == CAP_CLIENT ? 1 : 0, "no dump of pid %d for %s: %s", (int)pid, purpose_name[why],
                     reason);
        else
                NOTE(c, why == CAP_CLIENT ? 1 : 0, "no dump for %s: %s", purpose_name[why], reason);
}

/* The live processes as candidates: fills *ret (malloc'd). */
static size_t candidates(struct capture *c, struct cap_cand **ret)
{
        size_t n = tree_count(c->p.tree);
        struct cap_cand *v = calloc(n ? n : 1, sizeof(*v));

        *ret = v;
        if (!v)
                return 0;
        for (size_t i = 0; i < n; i++) {
                const struct tree_proc *pr = tree_get(c->p.tree, i);
                v[i] = (struct cap_cand){ .pid = pr->pid, .anon = pr->anon,
                                          .can_dump = pr->has_channel && pr->agent == AC_READY };
        }
        return n;
}

/* The processes a threshold or an automatic request goes to. */
static size_t pick(struct capture *c, pid_t *out, size_t max, bool all_above_share)
{
        struct cap_cand *v;
        size_t n = candidates(c, &v), idx[CAP_PICK_MAX], k;

        if (max > CAP_PICK_MAX)
                max = CAP_PICK_MAX;
        k = cap_pick(v, n, CAP_SHARE_PERCENT, all_above_share ? max : 1, idx);
        for (size_t i = 0; i < k; i++)
                out[i] = v[idx[i]].pid;
        free(v);
        return k;
}

static int request_one(struct capture *c, enum cap_purpose why, pid_t pid, int client, bool baseline, uint64_t level,
                       uint64_t now)
{
        struct pending *slot = NULL;
        uint64_t id;
        int r;

        for (unsigned i = 0; i < CAP_PENDING_MAX && !slot; i++)
                if (!c->pending[i].used)
                        slot = &c->pending[i];
        if (!slot) {
                failed(c, why, client, pid, "too many requests in flight");
                return -EBUSY;
        }
        r = tree_request(c->p.tree, pid,
                         why == CAP_GDUMP ? AC_OP_GDUMP_ON : why == CAP_PEAK_OFF ? AC_OP_GDUMP_OFF : AC_OP_DUMP, now, &id);
        if (r < 0) {
                failed(c, why, client, pid,
                       r == -EOPNOTSUPP || r == -ENOTCONN || r == -ESRCH ? tree_reason(c->p.tree, pid) : strerror(-r));
                return r;
        }
        *slot = (struct pending){ .used = true, .pid = pid, .id = id, .why = why, .client = client,
                                  .baseline = baseline, .level = level };
        return 0;
}

int cap_request(struct capture *c, enum cap_purpose why, pid_t pid, int client, bool baseline, uint64_t now_ms)
{
        if (!c->running) {
                failed(c, why, client, pid, "the target is not running");
                return -ESRCH;
        }
        if (!c->p.agent) {
                failed(c, why, client, pid,
                       c->p.no_agent_why ? c->p.no_agent_why : "the agent is off (profiling.agent) or was not found");
                return -EOPNOTSUPP;
        }
        if (pid == 0) {
                cap_sample(c, true, now_ms);
                if (pick(c, &pid, 1, false) == 0) {
                        pid_t t = c->target;
                        failed(c, why, client, 0,
                               tree_find(c->p.tree, t) ? tree_reason(c->p.tree, t)
                                                       : "no process of the target's tree has an agent that can dump");
                        return -ENOENT;
                }
        }
        return request_one(c, why, pid, client, baseline, 0, now_ms);
}

void cap_on_reply(struct capture *c, const struct tree_proc *pr, const struct ac_reply *rep)
{
        struct pending pd = { 0 };
        const char *name;
        size_t dl = strlen(c->p.dump_dir);

        for (unsigned i = 0; i < CAP_PENDING_MAX; i++)
                if (c->pending[i].used && c->pending[i].pid == pr->pid && c->pending[i].id == rep->id) {
                        pd = c->pending[i];
                        c->pending[i].used = false;
                        break;
                }
        if (!pd.used)
                return;
        if (pd.again && c->running) {
                /* growth went on while this one was written: the next now */
                uint64_t level = c->last.usage > pd.level ? c->last.usage : pd.level;
                (void)request_one(c, pd.again_why, pd.pid, -1, false, level, ac_now_ms());
        }
        if (rep->error) {
                failed(c, pd.why, pd.client, pd.pid, rep->text[0] ? rep->text : strerror(rep->error));
                return;
        }
        if (pd.why == CAP_PEAK_OFF)
                return;
        if (pd.why == CAP_GDUMP) {
                if (pd.level)
                        NOTE(c, 0, "peak dumps switched on in pid %d (memory above %u%% of the limit)", (int)pd.pid,
                             (unsigned)pd.level);
                else
                        NOTE(c, 1, "peak dumps switched on in pid %d (memory rising fast)", (int)pd.pid);
                return;
        }
        /* the path comes from inside the target: only a file in the dump directory is used */
        name = strrchr(rep->text, '/');
        if (!name || (size_t)(name - rep->text) != dl || strncmp(rep->text, c->p.dump_dir, dl) != 0) {
                failed(c, pd.why, pd.client, pd.pid, "the agent named a file outside the dump directory");
                return;
        }
        name++;
        if (pd.baseline) {
                if (win_set_baseline(c->p.win, name) <= 0)
                        NOTE(c, 0, "the baseline dump %s could not be used", rep->text);
                else {
                        NOTE(c, 1, "baseline: %s", rep->text);
                        evt_baseline(c->p.evt, rep->text, pd.pid);
                }
        } else if (pd.why == CAP_WARN || pd.why == CAP_STEP) {
                if (win_set_rung(c->p.win, name, pd.level) <= 0)
                        NOTE(c, 1, "the %s dump %s could not be kept as a rung", pd.why == CAP_WARN ? "threshold" : "step",
                             rep->text);
        } else {
                (void)win_add(c->p.win, name);
        }
        if (pd.why == CAP_CLIENT && c->p.hooks.client_done)
                c->p.hooks.client_done(c->p.hooks.ud, pd.client, true, rep->text);
        else if (pd.why == CAP_USR1)
                NOTE(c, 0, "dump on SIGUSR1: %s", rep->text);
        else if (pd.why == CAP_WARN)
                NOTE(c, 1, "threshold dump: %s", rep->text);
        else if (pd.why == CAP_STEP)
                NOTE(c, 1, "step dump: %s", rep->text);
}

void cap_on_hello(struct capture *c, const struct tree_proc *pr, const struct ac_state *st, uint64_t now_ms)
{
        if (st->kind == AC_READY && c->running && c->p.cfg->baseline_after_ms >= 0)
                (void)tree_set_baseline_due(c->p.tree, pr->pid, now_ms + (uint64_t)c->p.cfg->baseline_after_ms);
}

/* Delete every dump of pid from the window. */
static void drop_dumps_of(struct capture *c, pid_t pid)
{
        size_t n = win_count(c->p.win), k = 0;
        char **names = calloc(n ? n : 1, sizeof(char *));

        for (size_t i = 0; names && i < n; i++) {
                const struct win_dump *d = win_get(c->p.win, i);
                if (d && d->pid == pid && (names[k] = strdup(d->name)))
                        k++;
        }
        for (size_t i = 0; i < k; i++) {
                (void)win_drop(c->p.win, names[i]);
                free(names[i]);
        }
        free(names);
}

static bool is_discarded(const struct capture *c, pid_t pid)
{
        for (unsigned i = 0; i < sizeof(c->discarded) / sizeof(c->discarded[0]); i++)
                if (c->discarded[i] == pid)
                        return true;
        return false;
}

void cap_discard(struct capture *c, pid_t pid)
{
        c->discarded[c->n_discarded++ % (sizeof(c->discarded) / sizeof(c->discarded[0]))] = pid;
        drop_dumps_of(c, pid);
}

void cap_on_exec(struct capture *c, const struct tree_proc *pr)
{
        /* the old image's dumps describe another program (and its
         * sequence numbers start again in the new one) */
        if (!c->keep_all && !pr->is_target)
                drop_dumps_of(c, pr->pid);
}

void cap_process_gone(struct capture *c, const struct tree_proc *pr)
{
        if (is_discarded(c, pr->pid)) {
                drop_dumps_of(c, pr->pid);
                return;
        }
        if (c->keep_all || pr->is_target || pr->pid == c->target || pr->end == TREE_KILLED)
                return;
        if (pr->agent == AC_INACTIVE) {
                drop_dumps_of(c, pr->pid);
                return;
        }
        if (!c->evidence || pr->anon_peak > c->evidence_peak) {
                if (c->evidence)
                        drop_dumps_of(c, c->evidence);
                c->evidence = pr->pid;
                c->evidence_peak = pr->anon_peak;
                return;
        }
        drop_dumps_of(c, pr->pid);
}

/* gdump = fast: a peak dump of a process it was switched on in; past
 * CAP_PEAK_PER_STEP since the last step, off until the next step. */
static void peak_dump_arrived(struct capture *c, const char *name, pid_t pid)
{
        if (!c->running || win_name_kind(c->p.win, name) != 'u')
                return;
        for (unsigned i = 0; i < CAP_PICK_MAX; i++) {
                if (c->peak[i].pid != pid || c->peak[i].off)
                        continue;
                if (++c->peak[i].n < CAP_PEAK_PER_STEP)
                        return;
                c->peak[i].off = true;
                c->fast_fired = false;  /* the next step in a fast climb switches them on again */
                NOTE(c, 1, "peak dumps of pid %d: %u since the last usage step; switched off until the next",
                     (int)pid, CAP_PEAK_PER_STEP);
                (void)request_one(c, CAP_PEAK_OFF, pid, -1, false, 0, ac_now_ms());
                return;
        }
}

int cap_dump_arrived(struct capture *c, const char *name, pid_t pid)
{
        const struct tree_proc *pr = tree_find(c->p.tree, pid);
        bool alive, in_scope = true, killed = false;

        peak_dump_arrived(c, name, pid);
        if (pid == c->target || c->keep_all)
                return 1;
        if (is_discarded(c, pid)) {
                (void)win_drop(c->p.win, name);
                return 0;
        }
        if (pr) {
                alive = pr->end == TREE_ALIVE;
                in_scope = pr->agent != AC_INACTIVE;
                killed = pr->end == TREE_KILLED;
        } else {
                /* not seen yet (no channel, not sampled): tracked from now on, so
                 * that its dumps go when it does */
                alive = tree_track(c->p.tree, pid, ac_now_ms()) == 1;
        }
        /* only a sample sees a process without a channel end (a final dump
         * comes as it exits): look again shortly */
        if (alive && !(pr && pr->has_channel))
                c->resample_deadline = ac_now_ms() + CAP_TREE_SAMPLE_MS;
        if (cap_dump_stays(alive, in_scope, killed, pid == c->evidence, c->keep_all))
                return 1;
        (void)win_drop(c->p.win, name);
        return 0;
}

/* ---- runs ------------------------------------------------------------------------------ */

static void step_watch(struct capture *c, uint64_t now);
static void step_poll_instead(struct capture *c, const char *why, uint64_t now);

void cap_start_run(struct capture *c, pid_t target, uint64_t now_ms)
{
        memset(c->warn_fired, 0, sizeof(c->warn_fired));
        c->gdump_fired = false;
        c->step_level = 0;
        c->step_usage = c->step_ms = 0;
        c->fast_fired = false;
        memset(c->peak, 0, sizeof(c->peak));
        step_watch(c, now_ms);
        c->last = (struct cap_sample){ 0 };
        c->running = true;
        c->keep_all = false;
        c->evidence = 0;
        c->evidence_peak = 0;
        memset(c->discarded, 0, sizeof(c->discarded));
        c->target = target;
        c->poll_deadline = c->poll ? now_ms + CAP_POLL_MS : NO_DEADLINE;
}

void cap_end_run(struct capture *c)
{
        c->running = false;
        c->poll_deadline = NO_DEADLINE;
        for (unsigned i = 0; i < CAP_PENDING_MAX; i++) {
                struct pending *pd = &c->pending[i];
                if (!pd->used)
                        continue;
                pd->used = false;
                if (pd->why == CAP_CLIENT)
                        failed(c, pd->why, pd->client, pd->pid, "the target exited before the dump was written");
        }
}

void cap_keep_everything(struct capture *c, bool on)
{
        c->keep_all = on;
}

/* ---- thresholds ------------------------------------------------------------------------- */

/* Who holds the memory, now: an instant OOM leaves milliseconds between a
 * threshold and the kill, so a process alone is not read again. */
static void fresh_tree(struct capture *c, uint64_t now)
{
        if (tree_count(c->p.tree) > 1 && now - c->last_tree_ms >= CAP_POLL_NEAR_MS) {
                (void)tree_sample(c->p.tree, now);
                c->last_tree_ms = now;
        }
}

/* The pending growth dump (warn_at, step) of pid, or NULL. */
static struct pending *growth_pending(struct capture *c, pid_t pid)
{
        for (unsigned i = 0; i < CAP_PENDING_MAX; i++) {
                struct pending *pd = &c->pending[i];
                if (pd->used && pd->pid == pid && (pd->why == CAP_WARN || pd->why == CAP_STEP))
                        return pd;
        }
        return NULL;
}

/* The usage passed a threshold or a step (why CAP_WARN, CAP_STEP: a dump,
 * a rung at level) or the gdump threshold (peak dumps switched on; percent
 * 0: gdump = fast, a burst), in the processes that hold the memory. */
static void fire(struct capture *c, enum cap_purpose why, unsigned percent, uint64_t level, uint64_t now)
{
        pid_t pids[CAP_PICK_MAX];
        char b[32], b2[32];
        size_t k;

        fresh_tree(c, now);
        k = pick(c, pids, CAP_PICK_MAX, true);
        if (!k) {
                failed(c, why, -1, 0, "no process of the target's tree has an agent that can dump");
                return;
        }
        for (size_t j = 0; j < k; j++) {
                struct pending *pd = why == CAP_GDUMP ? NULL : growth_pending(c, pids[j]);
                if (why == CAP_STEP)
                        NOTE(c, 1, "memory up a step (%s, %s steps): taking a dump of pid %d",
                             unit_format_size(level, b, sizeof(b)), unit_format_size(c->step, b2, sizeof(b2)),
                             (int)pids[j]);
                else if (why == CAP_GDUMP && !percent)
                        NOTE(c, 1, "memory rising fast (%s): switching peak dumps on in pid %d",
                             unit_format_size(c->last.usage, b, sizeof(b)), (int)pids[j]);
                else
                        NOTE(c, 1, "memory at %u%% of the limit: %s pid %d", percent,
                             why == CAP_WARN ? "taking a dump of" : "switching peak dumps on in", (int)pids[j]);
                if (why == CAP_GDUMP && !percent) {     /* j < k <= CAP_PICK_MAX */
                        if (j == 0)
                                memset(c->peak, 0, sizeof(c->peak));
                        c->peak[j].pid = pids[j];
                }
                if (pd) {
                        /* one at a time per process: the next as soon as this one is written */
                        if (!pd->again || why == CAP_WARN)
                                pd->again_why = why;
                        pd->again = true;
                        continue;
                }
                (void)request_one(c, why, pids[j], -1, false, why == CAP_GDUMP ? percent : level, now);
        }
}

static void step_fds_close(struct capture *c)
{
        for (unsigned ix = IX_STEP; ix <= IX_STEP_REARM; ix++) {
                if (c->fds[ix] >= 0)
                        close(c->fds[ix]);      /* which also takes it out of the epoll set */
                c->fds[ix] = -1;
        }
}

/* v1: usage thresholds at the next step and at the level below which the
 * steps re-arm (at level 0: the step after the next), in place of the
 * previous ones. They are
 * registered without waiting (cg_threshold_fds_async: a registration waits
 * for the kernel, which the loop must not); the helper's end (its pidfd,
 * watched like the thresholds) makes the loop read the usage once more.
 * Where they cannot be registered, the usage is polled instead. */
static void step_watch(struct capture *c, uint64_t now)
{
        uint64_t limit = c->p.cfg->memory_limit, next = c->step_level + c->step;
        /* at level 0 nothing re-arms: the second watches the step after the
         * next (and the loop holds as many fds before the first step as after) */
        uint64_t at[2] = { next < limit ? next : 0,
                           c->step_level ? cap_step_rearm_bytes(limit, c->step_level)
                                         : next + c->step < limit ? next + c->step : 0 };
        int fds[2], pidfd = -1, r;
        unsigned h = IX_HELPER;

        step_fds_close(c);
        if (!c->step || c->poll)
                return;
        r = cg_threshold_fds_async(c->p.cg, at, 2, fds, &pidfd);
        if (r >= 0 && pidfd >= 0) {
                struct epoll_event ev = { .events = EPOLLIN };
                while (h < IX_HELPER + N_HELPERS - 1 && c->fds[h] >= 0)
                        h++;
                if (c->fds[h] >= 0)     /* all busy: the last one is only forgotten */
                        close(c->fds[h]);
                c->fds[h] = pidfd;
                ev.data.u64 = (uint64_t)c->p.epoll_tag | ((uint64_t)h << 8);
                if (epoll_ctl(c->p.epoll_fd, EPOLL_CTL_ADD, pidfd, &ev) < 0)
                        r = -errno;
        }
        for (unsigned i = 0; r >= 0 && i < 2; i++) {
                struct epoll_event ev = { .events = EPOLLIN,
                                          .data.u64 = (uint64_t)c->p.epoll_tag | ((uint64_t)(IX_STEP + i) << 8) };
                c->fds[IX_STEP + i] = fds[i];
                if (fds[i] >= 0 && epoll_ctl(c->p.epoll_fd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
                        r = -errno;
        }
        if (r < 0)
                step_poll_instead(c, strerror(-r), now);
}

/* The step thresholds cannot be had: poll the usage, as on v2. */
static void step_poll_instead(struct capture *c, const char *why, uint64_t now)
{
        NOTE(c, 0, "warning: cannot watch the cgroup's usage for the next step (%s): reading it every %d ms instead",
             why, CAP_POLL_MS);
        step_fds_close(c);
        c->poll = true;
        c->poll_deadline = now + CAP_POLL_MS;
}

static void check_thresholds(struct capture *c, uint64_t now)
{
        const struct ow_config *cfg = c->p.cfg;
        uint64_t u = c->last.usage, level;
        unsigned percent = 0;
        bool step_fired = false, fast = false;

        if (!c->running || !c->p.agent || !c->last.valid)
                return;
        for (unsigned i = 0; i < cfg->n_warn_at; i++)
                switch (cap_threshold_step(c->warn_fired[i], u, cfg->memory_limit, cfg->warn_at[i])) {
                case CAP_STEP_FIRE:
                        c->warn_fired[i] = true;
                        percent = cfg->warn_at[i];
                        evt_threshold(c->p.evt, percent, u);
                        break;
                case CAP_STEP_REARM:
                        c->warn_fired[i] = false;
                        NOTE(c, 1, "memory below %u%% of the limit again: the %u%% threshold is armed",
                             cap_rearm_percent(cfg->warn_at[i]), cfg->warn_at[i]);
                        break;
                case CAP_STEP_NONE:
                        break;
                }
        switch (cap_usage_step(c->step_level, u, c->step, cfg->memory_limit, &level)) {
        case CAP_STEP_FIRE:
                c->step_level = level;
                step_fired = true;
                for (unsigned i = 0; i < CAP_PICK_MAX; i++)
                        c->peak[i].n = 0;
                evt_step(c->p.evt, level, u);
                step_watch(c, now);
                fast = c->step_ms && cap_fast_growth(c->step_usage, c->step_ms, u, now, cfg->memory_limit);
                c->step_usage = u;
                c->step_ms = now;
                break;
        case CAP_STEP_REARM: {
                char b1[32], b2[32];
                c->step_level = level;
                c->step_usage = c->step_ms = 0;
                c->fast_fired = false;
                NOTE(c, 1, "memory down to %s: the next step dump at %s", unit_format_size(u, b1, sizeof(b1)),
                     unit_format_size(level + c->step, b2, sizeof(b2)));
                step_watch(c, now);
                break;
        }
        case CAP_STEP_NONE:
                break;
        }
        /* peak dumps first: the agent answers one request at a time, and
         * the switch is quick where a dump is not */
        if (cfg->gdump == CFG_AUTO)
                switch (cap_threshold_step(c->gdump_fired, u, cfg->memory_limit, cfg->gdump_percent)) {
                case CAP_STEP_FIRE:
                        c->gdump_fired = true;
                        fire(c, CAP_GDUMP, cfg->gdump_percent, 0, now);
                        break;
                case CAP_STEP_REARM:
                        c->gdump_fired = false;
                        break;
                case CAP_STEP_NONE:
                        break;
                }
        if (fast && cfg->gdump_fast && cfg->gdump == CFG_OFF && !c->fast_fired) {
                c->fast_fired = true;
                fire(c, CAP_GDUMP, 0, 0, now);
        }
        /* thresholds and a step passed in one sample: one dump each process */
        if (percent || step_fired)
                fire(c, percent ? CAP_WARN : CAP_STEP, percent, u, now);
}

void cap_sample(struct capture *c, bool force, uint64_t now_ms)
{
        struct cap_sample m = { .valid = true };
        bool v1 = cg_version(c->p.cg) == 1;
        uint64_t v;

        if (!force && now_ms - c->last_stat_ms < CAP_STAT_SAMPLE_MS)
                return;
        c->last_stat_ms = now_ms;
        if (cg_usage(c->p.cg, &m.usage) < 0)
                return;
        if (cg_stat_field(c->p.cg, v1 ? "total_rss" : "anon", &v) >= 0)
                m.anon = v;
        if (cg_stat_field(c->p.cg, v1 ? "total_cache" : "file", &v) >= 0)
                m.file = v;
        c->last = m;
        if (c->p.hooks.sampled)
                c->p.hooks.sampled(c->p.hooks.ud, &c->last, now_ms);
        if (force || now_ms - c->last_tree_ms >= CAP_TREE_SAMPLE_MS) {
                (void)tree_sample(c->p.tree, now_ms);
                c->last_tree_ms = now_ms;
        }
        check_thresholds(c, now_ms);
}

const struct cap_sample *cap_last_sample(const struct capture *c)
{
        return &c->last;
}

void cap_on_threshold_fd(struct capture *c, unsigned index, uint64_t now_ms)
{
        uint64_t n;

        if (index >= N_IX || c->fds[index] < 0)
                return;
        if (index >= IX_HELPER) {
                /* a helper is done registering the step thresholds */
                int r = cg_threshold_helper_done(c->fds[index]);
                if (r == -EAGAIN)
                        return;
                close(c->fds[index]);
                c->fds[index] = -1;
                if (r < 0) {
                        step_poll_instead(c, "the kernel refused the threshold", now_ms);
                        return;
                }
        } else if (read(c->fds[index], &n, sizeof(n)) < 0) {
                return;
        }
        if (c->running)
                cap_sample(c, true, now_ms);
}

/* v2: read the usage while a threshold can fire or re-arm. */
static void poll_usage(struct capture *c, uint64_t now)
{
        const struct ow_config *cfg = c->p.cfg;
        uint64_t limit = cfg->memory_limit, u;
        unsigned lowest = 101;
        bool near = false, step_armed;

        c->poll_deadline = NO_DEADLINE;
        if (!c->poll || !c->running)
                return;
        cap_sample(c, true, now);
        u = c->last.usage;
        for (unsigned i = 0; i < cfg->n_warn_at; i++)
                if (!c->warn_fired[i] && cfg->warn_at[i] < lowest)
                        lowest = cfg->warn_at[i];
        if (cfg->gdump == CFG_AUTO && !c->gdump_fired && cfg->gdump_percent < lowest)
                lowest = cfg->gdump_percent;
        step_armed = c->step && c->step_level + c->step < limit;
        if (lowest == 101 && !step_armed) {
                c->poll_deadline = now + CAP_REARM_POLL_MS;
                return;
        }
        /* an instant OOM crosses the last 25% of the limit in milliseconds:
         * close to a threshold, or in that last part with steps armed, look
         * ten times as often */
        if (lowest < 101)
                near = lowest <= CAP_POLL_NEAR_POINTS || u >= limit / 100 * (lowest - CAP_POLL_NEAR_POINTS);
        if (step_armed)
                near = near || u >= limit / 100 * (100 - CAP_POLL_NEAR_POINTS);
        c->poll_deadline = now + (near ? CAP_POLL_NEAR_MS : CAP_POLL_MS);
}

int cap_next_deadline(const struct capture *c, uint64_t *ret_ms)
{
        uint64_t d = c->poll_deadline < c->resample_deadline ? c->poll_deadline : c->resample_deadline, t;

        if (c->running)
                for (size_t i = 0; i < tree_count(c->p.tree); i++)
                        if (tree_get(c->p.tree, i)->baseline_due < d)
                                d = tree_get(c->p.tree, i)->baseline_due;
        if (tree_next_deadline(c->p.tree, &t) == 1 && t < d)
                d = t;
        if (d == NO_DEADLINE)
                return 0;
        *ret_ms = d;
        return 1;
}

bool cap_on_timer(struct capture *c, uint64_t now_ms)
{
        uint64_t expiry = NO_DEADLINE;
        bool acted = false;

        /* a poll's sample tells the status itself (the sampled hook) */
        if (c->poll_deadline <= now_ms)
                poll_usage(c, now_ms);
        if (c->resample_deadline <= now_ms) {
                c->resample_deadline = NO_DEADLINE;
                (void)tree_sample(c->p.tree, now_ms);
                c->last_tree_ms = now_ms;
                acted = true;
        }
        if (c->running) {
                pid_t due[64];
                size_t n = 0;
                for (size_t i = 0; i < tree_count(c->p.tree) && n < 64; i++) {
                        const struct tree_proc *pr = tree_get(c->p.tree, i);
                        if (pr->baseline_due <= now_ms)
                                due[n++] = pr->pid;
                }
                for (size_t i = 0; i < n; i++) {
                        (void)tree_set_baseline_due(c->p.tree, due[i], NO_DEADLINE);
                        (void)request_one(c, CAP_BASELINE, due[i], -1, true, 0, now_ms);
                }
                acted = acted || n > 0;
        }
        if (tree_next_deadline(c->p.tree, &expiry) == 1 && expiry <= now_ms) {
                tree_expire(c->p.tree, now_ms);
                acted = true;
        }
        return acted;
}

unsigned cap_thresholds_passed(const struct capture *c, unsigned *out)
{
        unsigned n = 0;

        for (unsigned i = 0; i < c->p.cfg->n_warn_at; i++)
                if (c->warn_fired[i])
                        out[n++] = c->p.cfg->warn_at[i];
        return n;
}
