/* The status file's contents and rate (status.h). */
#include "status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentctl.h"
#include "capture.h"
#include "cgroup.h"
#include "dumpdir.h"
#include "events.h"
#include "fsutil.h"
#include "metrics.h"
#include "runrecord.h"
#include "target_env.h"
#include "tree.h"
#include "window.h"

void status_init(struct status *st, const struct ow_config *cfg, const struct say *log)
{
        *st = (struct status){ .cfg = cfg, .log = log, .deadline = UINT64_MAX };
}

uint64_t status_deadline(const struct status *st)
{
        return st->deadline;
}

static const char *agent_word(const struct tree_proc *p)
{
        return p->has_channel ? ac_kind_name(p->agent) : "none";
}

bool status_write(struct status *s, const struct status_run *run, bool force, uint64_t now)
{
        struct evt_status st = { 0 };
        struct evt_proc procs[STATUS_PROCS_MAX];
        unsigned passed[CFG_MAX_WARN_AT], n = 0;
        int r;

        if (!s->evt)
                return false;
        if (!force && now - s->written_ms < STATUS_MIN_INTERVAL_MS) {
                if (s->deadline != UINT64_MAX)
                        return false;
                s->deadline = s->written_ms + STATUS_MIN_INTERVAL_MS;
                return true;
        }
        s->deadline = UINT64_MAX;
        s->written_ms = now;
        if (s->cap)
                n = cap_thresholds_passed(s->cap, passed);
        st.supervisor = getpid();
        st.target = run->target;
        st.state = run->state;
        st.argv = s->cfg->argv;
        st.cgroup = s->cg ? cg_path(s->cg) : NULL;
        st.cgroup_version = s->cg ? cg_version(s->cg) : 0;
        st.memory_limit = s->cfg->memory_limit;
        if (s->cg && cg_usage(s->cg, &st.usage) < 0)
                st.usage = 0;
        s->written_usage = st.usage;
        st.dumps = s->dd && s->dd->win ? (unsigned)win_count(s->dd->win) : 0;
        st.dump_bytes = s->dd && s->dd->win ? win_bytes(s->dd->win) : 0;
        st.restarts = run->restarts;
        st.thresholds_passed = passed;
        st.n_thresholds_passed = n;
        st.dump_dir = s->dd ? s->dd->path : NULL;
        st.last_bundle = run->last_bundle;
        if (s->env) {
                st.profiling = s->env->has_jemalloc;
                st.runtime = rt_kind_name(s->env->runtime);
                st.profiling_why = s->env->why;
        }
        st.tree_oom_kills = run->tree_kills;
        /* the processes, the largest by anonymous memory first */
        if (s->tree && s->dd && run->list_procs) {
                size_t total = tree_count(s->tree), k = 0;
                for (size_t i = 0; i < total; i++) {
                        const struct tree_proc *p = tree_get(s->tree, i);
                        size_t j = k < STATUS_PROCS_MAX ? k : STATUS_PROCS_MAX;
                        if (j == STATUS_PROCS_MAX && p->anon <= procs[j - 1].anon)
                                continue;
                        while (j > 0 && procs[j - 1].anon < p->anon) {
                                if (j < STATUS_PROCS_MAX)
                                        procs[j] = procs[j - 1];
                                j--;
                        }
                        procs[j] = (struct evt_proc){ .pid = p->pid, .ppid = p->ppid, .command = p->cmd,
                                                      .rss = p->rss, .anon = p->anon, .agent = agent_word(p),
                                                      .target = p->is_target };
                        if (k < STATUS_PROCS_MAX)
                                k++;
                }
                for (size_t i = 0; i < k; i++)
                        for (size_t d = 0; d < win_count(s->dd->win); d++)
                                procs[i].dumps += win_get(s->dd->win, d)->pid == procs[i].pid;
                st.procs = procs;
                st.n_procs = (unsigned)k;
                st.n_procs_total = (unsigned)total + tree_unsampled(s->tree);
        }
        (void)evt_write_status(s->evt, &st);
        (void)rr_flush(s->rr, false);   /* what the record held back, written with the status */
        met_usage(s->met, st.usage);
        r = met_write(s->met);
        if (r < 0 && !s->met_failed)
                say(s->log, 0, "cannot write the metrics file \"%s\": %s, ignoring", s->cfg->metrics, strerror(-r));
        s->met_failed = r < 0;
        return false;
}

bool status_sampled(struct status *s, const struct status_run *run, uint64_t usage, uint64_t now)
{
        uint64_t moved = usage > s->written_usage ? usage - s->written_usage : s->written_usage - usage;

        if (s->written_ms && now - s->written_ms < STATUS_SAMPLE_MS &&
            moved < s->cfg->memory_limit / STATUS_SAMPLE_MOVE)
                return false;
        return status_write(s, run, false, now);
}

int status_read(const struct status *st, size_t max, char **ret)
{
        char *buf = NULL;
        int f, r = -ENOMEM;
        ssize_t n;

        if (!st->dd || max <= 8)
                return -EINVAL;
        f = fs_open_regular(st->dd->state_fd, EVT_STATUS_FILE, geteuid(), NULL);
        if (f < 0)
                return f;
        if ((buf = malloc(max))) {
                n = read(f, buf, max - 8);
                if (n > 0) {
                        buf[n] = '\0';
                        r = 0;
                } else {
                        r = n < 0 ? -errno : -ENODATA;
                }
        }
        close(f);
        if (r < 0)
                free(buf);
        else
                *ret = buf;
        return r;
}
