/* The run's OOM kills and its bundles (kills.h). */
#include "kills.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bundle.h"
#include "capture.h"
#include "dumpdir.h"
#include "elfprobe.h"
#include "events.h"
#include "metrics.h"
#include "runrecord.h"
#include "runtime.h"
#include "target_env.h"
#include "termlog.h"
#include "unobserved.h"

static void bundle_started(void *ud, struct incident *inc);
static void bundle_done(void *ud, struct incident *inc, const char *why);

void kl_init(struct kills *k, const struct ow_config *cfg, const struct say *log)
{
        *k = (struct kills){ .cfg = cfg, .log = log, .recheck_deadline = UINT64_MAX };
}

void kl_init_queue(struct kills *k, struct win *win, const struct inc_ctx *ctx)
{
        incq_init(&k->q, win, ctx, bundle_started, bundle_done, k);
}

void kl_free(struct kills *k)
{
        incq_free(&k->q);
        free(k->last_bundle);
        k->last_bundle = NULL;
        free(k->earlier_tl);
        k->earlier_tl = NULL;
}

void kl_start_run(struct kills *k)
{
        (void)cg_counters(k->cg, &k->base);
        k->seen = 0;
        k->tree_kills = 0;
        k->n_death = 0;
        k->unbundled = k->unbundled_run = 0;
}

static struct timespec ms_to_timespec(uint64_t ms)
{
        return (struct timespec){ .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
}

/* ---- the counter ------------------------------------------------------------------ */

static void update_seen(struct kills *k)
{
        struct cg_counters c;

        if (cg_counters(k->cg, &c) == 0 && c.oom_kill > k->base.oom_kill + k->seen)
                k->seen = c.oom_kill - k->base.oom_kill;
}

bool kl_counter_rose(const struct kills *k)
{
        struct cg_counters c;

        return cg_counters(k->cg, &c) == 0 && c.oom_kill > k->base.oom_kill + k->seen;
}

int kl_check(struct kills *k, bool from_event, bool alive, uint64_t now)
{
        struct cg_counters c;
        int r;

        r = cg_counters(k->cg, &c);
        if (r < 0)
                return r;
        k->recheck_deadline = UINT64_MAX;
        if (c.oom_kill <= k->base.oom_kill + k->seen) {
                /* the cgroup is in OOM but nobody was killed yet: look again shortly */
                if (from_event)
                        k->rechecks = 0;
                if (k->rechecks++ < KL_RECHECKS && alive)
                        k->recheck_deadline = now + KL_RECHECK_MS;
                return 0;
        }
        k->seen = c.oom_kill - k->base.oom_kill;
        vic_on_counter(k->vic, k->seen, now);
        return 1;
}

void kl_sync(struct kills *k, uint64_t now)
{
        update_seen(k);
        vic_on_counter(k->vic, k->seen, now);
}

bool kl_target_oom(const struct kills *k)
{
        return k->seen > k->tree_kills;
}

uint64_t kl_deadline(const struct kills *k)
{
        return k->recheck_deadline;
}

/* ---- the bundles' facts ------------------------------------------------------------ */

/* The facts every bundle of this run shares. */
static void fill_facts(struct kills *k, struct bundle *b, const char *verdict)
{
        const struct cap_sample *m = cap_last_sample(k->cap);
        uint64_t v;

        update_seen(k);
        b->cfg = k->cfg;
        b->verdict = verdict;
        b->argv = k->cfg->argv;
        b->pid = k->target;
        b->exit_code = -1;
        b->cg_version = cg_version(k->cg);
        b->memory_limit = k->cfg->memory_limit;
        if (cg_peak(k->cg, &v) >= 0)
                b->peak = v;
        b->oom_kills = k->seen;
        b->host = k->host && k->host[0] ? k->host : NULL;
        b->container = cg_hierarchy_path(k->cg);
        b->cg_mode = cg_is_own(k->cg) ? "own" : "child";
        b->limit_from = k->limit_from;
        b->cg_id = cg_id(k->cg);
        if (m->valid) {
                b->mem_valid = true;
                b->mem_usage = m->usage;
                b->mem_anon = m->anon;
                b->mem_file = m->file;
        }
        b->unbundled_kills = k->unbundled;
}

/* The victim's part of a bundle, from the kill and the tree's record. */
static void set_victim(struct kills *k, struct bundle *b, const struct vic_kill *v)
{
        const struct tree_proc *p = v->pid ? tree_find(k->tree, v->pid) : NULL;

        b->has_victim = true;
        b->victim_pid = v->pid;
        b->victim_source = v->source;
        b->victim_anon = v->anon_rss ? v->anon_rss : p ? p->anon : 0;
        if (p && p->cmd[0])
                b->victim_command = strdup(p->cmd);
        else if (v->task[0])
                b->victim_command = strdup(v->task);
        if (p && p->exe)
                b->victim_exe = strdup(p->exe);
        b->victim_relation = v->pid == k->target        ? BUNDLE_TARGET
                             : p && p->ppid == k->target ? BUNDLE_CHILD
                                                         : BUNDLE_DESCENDANT;
}

static bool keep_pid(void *userdata, pid_t pid)
{
        return pid == *(pid_t *)userdata;
}

static void queue_bundle(struct kills *k, struct bundle *b, uint64_t now)
{
        if (incq_push(&k->q, b, now) < 0)
                say(k->log, 0, "no incident bundle: %u bundles are waiting for the analysis already", INC_QUEUE_MAX);
        k->unbundled = 0;
}

/* ---- the kills ------------------------------------------------------------------ */

/* A process of the tree other than the target was OOM-killed while the
 * target runs on: its own bundle, from its own dumps. */
static void tree_kill_bundle(struct kills *k, const struct vic_kill *v, uint64_t now)
{
        const struct tree_proc *p = tree_find(k->tree, v->pid);
        struct bundle b = { 0 };
        pid_t pid = v->pid;

        if (!pol_rate_allow(&k->rate, k->cfg->bundle_limit, k->cfg->bundle_window_ms, now)) {
                if (k->unbundled_run++ == 0 || k->unbundled == 0)
                        say(k->log, 0, "no bundle for the OOM kill of pid %d: report.bundle_limit (%u per %llu s) "
                                  "reached; further kills are counted",
                            (int)pid, k->cfg->bundle_limit, (unsigned long long)k->cfg->bundle_window_ms / 1000);
                k->unbundled++;
                {
                        struct json_writer *w = evt_begin(k->evt, "oom_unbundled");
                        json_kv_int(w, "pid", pid);
                        json_kv_uint(w, "unbundled", k->unbundled_run);
                        evt_end(k->evt);
                }
                /* its dumps are of no use now */
                tree_forget(k->tree, pid);
                cap_discard(k->cap, pid);
                return;
        }
        dd_drain(k->dd);
        fill_facts(k, &b, POL_VERDICT_OOM);
        set_victim(k, &b, v);
        b.proc_mem = b.victim_anon;
        if (p && p->exe)
                b.exe = strdup(p->exe);
        b.died = ms_to_timespec(v->when_ms);
        clock_gettime(CLOCK_REALTIME, &b.when);
        if (inc_collect(&b, k->dd->win, pid, keep_pid, &pid) < 0) {
                say(k->log, 0, "out of memory preparing the incident bundle");
                bundle_free(&b);
                return;
        }
        b.profiling = b.n_dumps > 0;
        if (b.n_dumps == 0 && asprintf(&b.no_profile_why, "no heap profile: pid %d left no dump%s", (int)pid,
                                       p && p->agent == AC_INACTIVE ? " (it is outside profiling.processes)" : "") < 0)
                b.no_profile_why = NULL;
        tree_forget(k->tree, pid);
        queue_bundle(k, &b, now);
        /* its bundle has its dumps: any that still come (cut short by the
         * kill) are no one's evidence */
        cap_discard(k->cap, pid);
}

/* A kill of the tree that is not the target's own: counted, said, bundled. */
static void tree_kill(struct kills *k, const struct vic_kill *v, uint64_t now)
{
        const struct tree_proc *p = v->pid ? tree_find(k->tree, v->pid) : NULL;

        k->tree_kills++;
        met_oom_kill(k->met, v->task[0] ? v->task : NULL);
        if (p)
                k->last_victim = *p;
        else
                snprintf(k->last_victim.cmd, sizeof(k->last_victim.cmd), "%s", v->task);
        k->last_victim.exe = NULL;
        k->last_victim.pid = v->pid;
        if (v->pid)
                say(k->log, 0, "OOM-killed: pid %d (%s), %s (%s); the target (pid %d) runs on", (int)v->pid,
                    p && p->cmd[0] ? p->cmd : v->task, p && p->ppid == k->target ? "a child of the target" : "in the target's tree",
                    strcmp(v->source, "kmsg") == 0 ? "the kernel's record" : "seen by oomwatch", (int)k->target);
        else
                say(k->log, 0, "the kernel OOM-killed a process in the target's cgroup, not the target; which one is "
                          "unknown (%u so far)", k->tree_kills);
        {
                struct json_writer *w = evt_begin(k->evt, "oom");
                if (v->pid)
                        json_kv_int(w, "pid", v->pid);
                else
                        json_kv_null(w, "pid");
                json_kv_string(w, "scope", "tree");
                json_kv_string(w, "source", v->source);
                json_kv_string(w, "command", p ? p->cmd : v->task);
                json_kv_uint(w, "oom_kills", k->seen);
                evt_end(k->evt);
        }
        if (v->pid)
                tree_kill_bundle(k, v, now);
}

/* Returns true for a kill of the tree (counted, said, maybe bundled). */
static bool handle_kill(struct kills *k, const struct vic_kill *v, bool target_dead, uint64_t now)
{
        if ((v->pid && v->pid == k->target) || v->group || target_dead || !tree_pid_running(k->target)) {
                /* the target's own, or the target goes with it (a group
                 * kill, or its own kill comes next): its bundle tells, or
                 * kl_death_not_oom when the target's death was no OOM kill */
                if (k->n_death < KL_DEATH_KILLS_MAX)
                        k->death[k->n_death++] = *v;
                return false;
        }
        tree_kill(k, v, now);
        return true;
}

unsigned kl_death_not_oom(struct kills *k, uint64_t now)
{
        unsigned n = 0, kept = 0;

        for (unsigned i = 0; i < k->n_death; i++) {
                const struct vic_kill v = k->death[i];

                if (v.pid != k->target && !v.group) {
                        tree_kill(k, &v, now);
                        n++;
                } else {
                        k->death[kept++] = v;
                }
        }
        k->n_death = kept;
        return n;
}

unsigned kl_take(struct kills *k, bool target_dead, uint64_t until, uint64_t now)
{
        struct vic_kill v;
        unsigned n = 0;

        while (vic_next(k->vic, &v, until) == 1)
                n += handle_kill(k, &v, target_dead, now);
        return n;
}

void kl_say_run(const struct kills *k, int own, int status, bool exec_failed)
{
        if (k->unbundled_run)
                say(k->log, 0, "%u OOM kills in the target's tree had no bundle (report.bundle_limit %u per %llu s)",
                    k->unbundled_run, k->cfg->bundle_limit, (unsigned long long)k->cfg->bundle_window_ms / 1000);
        if (k->tree_kills && !exec_failed)
                say(k->log, 0, "%u process%s of the target's tree %s OOM-killed during the run (the last: pid %d (%s)); "
                          "the target exited with status %d%s",
                    k->tree_kills, k->tree_kills == 1 ? "" : "es", k->tree_kills == 1 ? "was" : "were",
                    (int)k->last_victim.pid, k->last_victim.cmd, own,
                    status != own ? "; exiting with 137 (an OOM kill happened in the tree)" : "");
}

/* ---- the target's end ------------------------------------------------------------ */

/* The process whose growth a bundle of the target's end is about: the
 * OOM victim when there is one, else the process of this run that held the
 * most memory (0: let the window decide). */
static pid_t grown_pid(const struct kills *k)
{
        const struct tree_proc *best = NULL;

        for (size_t i = 0; i < tree_count(k->tree); i++) {
                const struct tree_proc *p = tree_get(k->tree, i);
                if (!best || p->anon_peak > best->anon_peak)
                        best = p;
        }
        for (size_t i = 0; i < tree_recent_count(k->tree); i++) {
                const struct tree_proc *p = tree_recent(k->tree, i);
                if (!best || p->anon_peak > best->anon_peak)
                        best = p;
        }
        return best ? best->pid : 0;
}

/* The facts of the target's death and the dumps of this run go into the
 * bundle; the analysis runs in a child. */
void kl_bundle_end(struct kills *k, const struct kl_end *e, uint64_t now)
{
        const struct te_plan *env = e->env;
        struct bundle b = { 0 };
        const struct vic_kill *victim = NULL;
        pid_t pid = k->target;
        bool oom = strcmp(e->verdict, POL_VERDICT_OOM) == 0;

        fill_facts(k, &b, e->verdict);
        if (e->exe) {
                b.exe = strdup(e->exe);
                snprintf(b.build_id, sizeof(b.build_id), "%s", e->build_id);
        } else {
                char *exe = NULL;
                if (ep_which(k->cfg->argv[0], k->cfg->workdir, &exe) >= 0) {
                        b.exe = realpath(exe, NULL);
                        free(exe);
                }
        }
        b.when = e->died_wall;
        b.runtime = rt_kind_name(env->runtime);
        b.runtime_title = rt_kind_title(env->runtime);
        b.program = env->program;
        b.via = env->via;
        b.runtime_note = env->note;
        b.profiling = env->has_jemalloc;
        b.exit_code = WIFEXITED(e->wstatus) ? WEXITSTATUS(e->wstatus) : -1;
        b.signal = WIFSIGNALED(e->wstatus) ? WTERMSIG(e->wstatus) : 0;
        if (oom) {
                /* a group kill's chosen victim, else the target itself */
                for (unsigned i = 0; i < k->n_death && !victim; i++)
                        if (!k->death[i].group && k->death[i].pid && k->death[i].pid != k->target)
                                victim = &k->death[i];
                for (unsigned i = 0; i < k->n_death && !victim; i++)
                        if (k->death[i].pid == k->target)
                                victim = &k->death[i];
                if (victim) {
                        set_victim(k, &b, victim);
                        pid = victim->pid;
                } else {
                        struct vic_kill self = { .pid = k->target, .source = "observed" };
                        set_victim(k, &b, &self);
                }
                if (b.victim_pid != k->target) {
                        const struct tree_proc *p = tree_find(k->tree, b.victim_pid);
                        b.proc_mem = b.victim_anon;
                        if (p && p->exe) {
                                free(b.exe);
                                b.exe = strdup(p->exe);
                                b.build_id[0] = '\0';
                        }
                }
        } else if (tree_count(k->tree) + tree_recent_count(k->tree) > 1) {
                /* report.on = exit | always: the process that grew */
                pid_t g = grown_pid(k);
                const struct tree_proc *p = g ? tree_find(k->tree, g) : NULL;
                if (p) {
                        pid = g;
                        if (g != k->target)
                                b.proc_mem = p->anon_peak;
                }
        }
        if (!env->has_jemalloc) {
                if (asprintf(&b.no_profile_why, "no heap profile: %s",
                             env->why ? env->why : "the target has no jemalloc") < 0)
                        b.no_profile_why = NULL;
        } else if (e->agent_said != AC_READY && e->agent_said != AC_NO_HELLO && pid == k->target) {
                if (asprintf(&b.no_profile_why, "no heap profile: %s",
                             e->agent_said == AC_NO_JEMALLOC ? "the target has no jemalloc the agent could find"
                             : e->agent_said == AC_NO_PROF   ? "the target's jemalloc has profiling off"
                             : e->agent_said == AC_INACTIVE  ? "the target is outside profiling.processes"
                                                             : "the agent failed") < 0)
                        b.no_profile_why = NULL;
        }
        b.died = e->died;
        b.timeline = e->tl;
        if (inc_collect(&b, k->dd->win, pid, dd_of_this_run, k->dd) < 0) {
                say(k->log, 0, "out of memory preparing the incident bundle");
                bundle_free(&b);
                return;
        }
        queue_bundle(k, &b, now);
}

int kl_bundle_earlier(struct kills *k, const struct rr_prev *p, const char *boot_id, uint64_t now)
{
        struct bundle b = { .cfg = k->cfg };
        int r;

        if (uo_bundle(p, boot_id, k->dd->win, &b, &k->earlier_tl) < 0) {
                say(k->log, 0, "out of memory preparing the earlier run's bundle");
                return -ENOMEM;
        }
        say(k->log, 0, "the earlier run (supervisor pid %d, target pid %d) ended together with its supervisor (%s); "
                       "writing its bundle first",
            (int)p->sup_pid, (int)p->target_pid, b.unobserved_cause);
        k->earlier = true;
        r = incq_push(&k->q, &b, now);
        if (r < 0)
                k->earlier = false;
        return r;
}

void kl_say_death(struct kills *k, const char *verdict, int st, int status, bool stopping, bool exec_failed,
                  const char *program)
{
        if (strcmp(verdict, POL_VERDICT_OOM) == 0) {
                const char *slash = strrchr(program, '/');
                say(k->log, 0, "target (pid %d) was OOM-killed", (int)k->target);
                met_oom_kill(k->met, slash ? slash + 1 : program);
                evt_oom(k->evt, k->target, k->seen);
        } else if (strcmp(verdict, POL_VERDICT_SIGNAL) == 0) {
                /* a death by the stop signal we forwarded is what was asked for */
                say(k->log, stopping ? 1 : 0, "target (pid %d) died of signal %d (%s)", (int)k->target,
                    WTERMSIG(st), strsignal(WTERMSIG(st)));
        } else if (strcmp(verdict, POL_VERDICT_EXIT) == 0) {
                say(k->log, stopping || WEXITSTATUS(st) == 0 ? 1 : 0, "target (pid %d) exited with status %d",
                    (int)k->target, WEXITSTATUS(st));
        }
        if (!exec_failed)
                evt_exit(k->evt, k->target, verdict, status, NULL);
}

/* ---- a bundle made ---------------------------------------------------------------- */

/* Kubernetes shows the file in kubectl describe pod once the container ended */
static void termination_log(struct kills *k, const char *bundle_dir)
{
        const char *path = tlog_path(k->cfg);
        int r;

        if (!path || !bundle_dir)
                return;
        r = tlog_write(path, bundle_dir);
        if (r < 0)
                say(k->log, 0, "cannot write the termination log \"%s\": %s, ignoring", path, strerror(-r));
        else
                say(k->log, 1, "summary written to %s", path);
}

/* A wanted bundle could not be made: the dumps of pid stay in the dump
 * directory as the evidence they are (no restart drops them, no later
 * bundle takes them), and the run record says so. */
static void keep_as_evidence(struct kills *k, pid_t pid)
{
        rr_bundle(k->rr, NULL, NULL, true);
        (void)rr_flush(k->rr, false);
        dd_keep(k->dd, pid);
}

/* A bundle's directory exists and its analysis runs. */
static void bundle_started(void *ud, struct incident *inc)
{
        struct kills *k = ud;

        rr_bundle(k->rr, inc->b.dir, NULL, false);
        (void)rr_flush(k->rr, false);
}

static void set_last_bundle(struct kills *k, const char *dir)
{
        free(k->last_bundle);
        k->last_bundle = dir ? strdup(dir) : NULL;
}

/* The earlier run's bundle is there (inc NULL: it could not be made): say
 * so; the loop starts this run's target then. */
static void earlier_reported(struct kills *k, struct incident *inc)
{
        k->earlier = false;
        if (inc) {
                if (k->log->verbosity >= 0)
                        inc_print_head(inc, stderr, 24);
                termination_log(k, inc->b.dir);
                evt_report(k->evt, inc->b.dir, POL_VERDICT_UNOBSERVED, inc->b.pid, -1);
                set_last_bundle(k, inc->b.dir);
                rr_bundle(k->rr, NULL, inc->b.dir, false);
        }
        free(k->earlier_tl);
        k->earlier_tl = NULL;
        if (k->earlier_done)
                k->earlier_done(k->ud);
}

/* A bundle is complete (or failed): say so. inc is NULL when there is none. */
static void bundle_done(void *ud, struct incident *inc, const char *why)
{
        struct kills *k = ud;
        struct timespec now;

        if (!inc) {
                fprintf(stderr, "oomwatch: %s\n", why);
                keep_as_evidence(k, k->q.failed_pid);
                if (k->earlier)
                        earlier_reported(k, NULL);
                return;
        }
        if (why)
                say(k->log, 0, "%s; the bundle has the report without it", why);
        if (k->earlier && inc->b.unobserved) {
                earlier_reported(k, inc);
                return;
        }
        rr_bundle(k->rr, NULL, inc->b.dir, false);
        (void)rr_flush(k->rr, false);
        if (k->log->verbosity >= 0)
                inc_print_head(inc, stderr, 24);
        termination_log(k, inc->b.dir);
        clock_gettime(CLOCK_MONOTONIC, &now);
        {
                struct json_writer *w = evt_begin(k->evt, "report");
                json_kv_string(w, "dir", inc->b.dir);
                json_kv_string(w, "verdict", inc->b.verdict);
                json_kv_int(w, "pid", inc->b.pid);
                if (inc->b.has_victim)
                        json_kv_int(w, "victim", inc->b.victim_pid);
                json_kv_int(w, "ms", (now.tv_sec - inc->b.died.tv_sec) * 1000 + (now.tv_nsec - inc->b.died.tv_nsec) / 1000000);
                evt_end(k->evt);
        }
        set_last_bundle(k, inc->b.dir);
        (void)met_bundle(k->met, inc->b.dir, inc->b.verdict, time(NULL));
}
