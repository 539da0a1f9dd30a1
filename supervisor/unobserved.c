/* The bundle facts of a run that ended with its supervisor (unobserved.h). */
#include "unobserved.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "incident.h"
#include "policy.h"
#include "timeline.h"

int uo_parse_time(const char *s, struct timespec *ret)
{
        struct tm tm = { 0 };
        unsigned ms = 0;
        int n = 0;
        time_t t;

        if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                         &tm.tm_min, &tm.tm_sec, &n) != 6)
                return -EINVAL;
        s += n;
        if (*s == '.') {
                int k = 0;
                if (sscanf(s, ".%3u%n", &ms, &k) != 1)
                        return -EINVAL;
                s += k;
        }
        if (strcmp(s, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
                return -EINVAL;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        if (t == (time_t)-1)
                return -EINVAL;
        ret->tv_sec = t;
        ret->tv_nsec = (long)ms * 1000000;
        return 0;
}

int uo_fill(const struct rr_prev *p, const char *boot_id, struct bundle *b)
{
        struct cg_counters now;
        bool same_boot = boot_id && p->boot_id && strcmp(boot_id, p->boot_id) == 0;

        b->verdict = POL_VERDICT_UNOBSERVED;
        b->unobserved = true;
        b->supervisor_pid = p->sup_pid;
        b->argv = p->argv;
        if (p->exe) {
                b->exe = strdup(p->exe);
                if (!b->exe)
                        return -ENOMEM;
        }
        snprintf(b->build_id, sizeof(b->build_id), "%s", p->build_id ? p->build_id : "");
        b->pid = p->target_pid;
        b->exit_code = -1;
        b->signal = 0;
        b->cg_version = p->cg_version;
        b->memory_limit = p->memory_limit;
        b->host = p->host;
        b->container = p->container;
        b->cg_mode = p->cg_mode && strcmp(p->cg_mode, "own") == 0 ? "own" : "child";
        b->limit_from = p->limit_from;
        b->cg_id = p->cg_id;
        if (p->last_valid) {
                b->mem_valid = true;
                b->mem_usage = p->usage;
                b->mem_anon = p->anon;
                b->mem_file = p->file;
                b->peak = p->peak;
                (void)uo_parse_time(p->last_time, &b->when);
        }
        /* the counters mean something only for the very same cgroup: a
         * container restarted by kubelet has a new one, another boot too */
        if (same_boot && p->at_spawn_valid && p->cg_path && p->cg_id && p->cg_version &&
            cg_counters_at(p->cg_path, p->cg_version, p->cg_id, &now) == 0) {
                b->counters_seen = true;
                b->oom_kill_rise = now.oom_kill >= p->at_spawn.oom_kill ? now.oom_kill - p->at_spawn.oom_kill : 0;
                b->oom_group_kill_rise = now.oom_group_kill >= p->at_spawn.oom_group_kill
                                                 ? now.oom_group_kill - p->at_spawn.oom_group_kill
                                                 : 0;
                b->oom_kills = b->oom_kill_rise;
        }
        b->unobserved_cause = pol_unobserved_cause(b->counters_seen, b->oom_kill_rise, b->oom_group_kill_rise);
        return 0;
}

int uo_timeline(const struct rr_prev *p, const struct bundle *b, struct tl **ret)
{
        struct timespec t0;
        struct tl *t;
        char ev[160];
        const char *cause = b->unobserved_cause ? b->unobserved_cause : POL_CAUSE_UNKNOWN;
        bool oom = strcmp(cause, POL_CAUSE_GROUP_OOM) == 0 || strcmp(cause, POL_CAUSE_OOM) == 0;
        uint64_t end;

        *ret = NULL;
        if (!p->n_samples)
                return 0;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        tl_init(t);
        /* times are ms since that target's start; 1 stands for the start */
        snprintf(ev, sizeof(ev), "{\"event\":\"start\",\"run\":%u,\"pid\":%d}", p->run ? p->run : 1,
                 (int)p->target_pid);
        (void)tl_event(t, 1, "start", ev);
        if (uo_parse_time(p->samples_start, &t0) == 0)
                t->t0_wall = t0;
        for (size_t i = 0; i < p->n_samples; i++)
                tl_sample(t, 1 + p->sample_t_ms[i], p->sample_usage[i]);
        /* the end came after the last sample, unseen: marked there, as the
         * OOM kill the counters show or as the run's last sign of life */
        end = 1 + p->sample_t_ms[p->n_samples - 1];
        if (oom)
                snprintf(ev, sizeof(ev), "{\"event\":\"oom\",\"pid\":%d}", (int)p->target_pid);
        else
                snprintf(ev, sizeof(ev), "{\"event\":\"exit\",\"verdict\":\"last seen (%s)\"}", cause);
        (void)tl_event(t, end, oom ? "oom" : "exit", ev);
        *ret = t;
        return 0;
}

static bool of_previous_run(void *userdata, pid_t pid)
{
        const struct rr_prev *p = userdata;

        return pid == p->target_pid;
}

int uo_bundle(const struct rr_prev *p, const char *boot_id, const struct win *w, struct bundle *b, struct tl **ret_tl)
{
        if (uo_fill(p, boot_id, b) < 0 || inc_collect(b, w, p->target_pid, of_previous_run, (void *)p) < 0) {
                bundle_free(b);
                return -ENOMEM;
        }
        clock_gettime(CLOCK_MONOTONIC, &b->died);
        if (uo_timeline(p, b, ret_tl) == 0)
                b->timeline = *ret_tl;
        return 0;
}

unsigned uo_drop_leftovers(const struct rr_prev *p, struct win *w)
{
        unsigned n = 0;

        if (p->keep_dumps || p->bundle_in_progress || strcmp(p->state, RR_RUNNING) == 0)
                return 0;
        for (size_t i = 0; i < p->n_dumps; i++)
                if (win_drop(w, p->dumps[i]) > 0)
                        n++;
        return n;
}
