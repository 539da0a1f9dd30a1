/* A start of the target (launch.h). */
#include "launch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cgroup.h"
#include "elfprobe.h"
#include "events.h"
#include "runrecord.h"
#include "runtime.h"
#include "spawn.h"
#include "target_env.h"
#include "tree.h"
#include "units.h"

void launch_init(struct launch *l, const struct ow_config *cfg, const struct say *log)
{
        *l = (struct launch){ .cfg = cfg, .log = log, .epoll_fd = -1, .rv_fd = -1, .agent_said = AC_NO_HELLO };
}

void launch_note_exe(struct launch *l, pid_t pid)
{
        char path[64], *exe;
        ssize_t n;

        if (pid <= 0)
                return;
        exe = malloc(PATH_MAX + 1);
        if (!exe)
                return;
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
        n = readlink(path, exe, PATH_MAX);
        if (n <= 0) {
                free(exe);
                return;
        }
        exe[n] = '\0';
        if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
                exe[n - 10] = '\0';
        if (l->exe && strcmp(l->exe, exe) == 0) {
                free(exe);
                return;
        }
        free(l->exe);
        l->exe = exe;
        if (ep_build_id(exe, l->build_id, sizeof(l->build_id)) < 0)
                l->build_id[0] = '\0';
        rr_set_exe(l->rr, l->exe, l->build_id);
}

static void close_rendezvous(struct launch *l)
{
        if (l->rv_fd < 0)
                return;
        (void)epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, l->rv_fd, NULL);
        close(l->rv_fd);
        l->rv_fd = -1;
}

int launch_start(struct launch *l, unsigned run, const struct cg_counters *base, uint64_t now_ms,
                 struct launch_result *ret)
{
        const struct ow_config *cfg = l->cfg;
        struct spawn_params p = {
                .argv = cfg->argv,
                .envp = l->env->envp,
                .workdir = cfg->workdir,
                .cgroup_procs_fd = cg_procs_fd(l->cg),
                .agent_fd = -1,
        };
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = l->rv_tag };
        struct spawn_result res;
        gid_t *groups = NULL;
        const char *what = NULL;
        int child_fd = -1, r;

        if (cfg->user || cfg->group) {
                r = spawn_resolve_ids(cfg->user, cfg->group, &p.uid, &p.gid, &groups, &p.n_groups, &what);
                if (r < 0) {
                        fprintf(stderr, "oomwatch: unknown %s \"%s\": %s\n", what,
                                what && strcmp(what, "user") == 0 ? cfg->user : cfg->group,
                                r == -ENOENT ? "no such entry" : strerror(-r));
                        return r;
                }
                p.drop = true;
                p.groups = groups;
        }

        l->agent_said = AC_NO_HELLO;
        close_rendezvous(l);
        if (l->agent) {
                r = ac_rv_prepare(&l->rv_fd, &child_fd);
                if (r < 0) {
                        say(l->log, 0, "warning: cannot create the agent's rendezvous: %s; running without the agent",
                            strerror(-r));
                        l->rv_fd = -1;
                } else {
                        p.agent_fd = child_fd;
                        p.agent_env = &l->agent_env;
                }
        }
        if (l->rv_fd < 0) {
                /* the environment still names the agent's variables: make them empty and inert */
                te_agent_env_inert(&l->agent_env);
        }

        r = spawn_target(&p, &res);
        free(groups);
        if (child_fd >= 0)
                close(child_fd);
        if (l->rv_fd >= 0 &&
            (r < 0 || res.stage != SPAWN_OK || epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->rv_fd, &ev) < 0)) {
                close(l->rv_fd);
                l->rv_fd = -1;
        }
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot start the target: fork: %s\n", strerror(-r));
                return r;
        }
        *ret = (struct launch_result){ .pid = res.pid };
        if (l->spawned)
                l->spawned(l->ud, res.pid, res.stage != SPAWN_OK);
        if (res.stage != SPAWN_OK) {
                ret->exec_failed = true;
                if (res.stage == SPAWN_EXEC)
                        fprintf(stderr, "oomwatch: cannot run \"%s\": %s\n", cfg->argv[0], strerror(res.err));
                else
                        fprintf(stderr, "oomwatch: cannot start the target: %s: %s\n", spawn_stage_name(res.stage),
                                strerror(res.err));
                ret->status = spawn_exit_status(res.stage, res.err);
                evt_exit(l->evt, res.pid, "exec-failed", ret->status, strerror(res.err));
        } else {
                char lim[32];
                struct rr_counters at = { base->oom_kill, base->oom_group_kill, base->oom };
                struct evt_start es = {
                        .pid = res.pid, .command = cfg->argv[0], .cgroup = cg_path(l->cg),
                        .memory_limit = cfg->memory_limit, .run = run, .runtime = rt_kind_name(l->env->runtime),
                        .profiling = l->env->has_jemalloc, .why = l->env->why,
                };
                free(l->exe);
                l->exe = NULL;
                l->build_id[0] = '\0';
                rr_target_started(l->rr, res.pid, cfg->argv, run, &at, now_ms);
                launch_note_exe(l, res.pid);
                say(l->log, 1, "started %s (pid %d) in %s, limit %s", cfg->argv[0], (int)res.pid, cg_path(l->cg),
                    unit_format_size(cfg->memory_limit, lim, sizeof(lim)));
                evt_start(l->evt, &es);
        }
        return 0;
}

void launch_on_rendezvous(struct launch *l, struct tree *tree)
{
        pid_t pid;
        int fd, r;

        for (unsigned i = 0; i < 256 && l->rv_fd >= 0; i++) {
                bool full = false;

                r = ac_rv_receive(l->rv_fd, &fd, &pid);
                if (r == 0)
                        break;
                if (r == -EBADMSG) {
                        say(l->log, 1, "dropped a malformed registration on the agent's rendezvous");
                        continue;
                }
                if (r < 0) {
                        /* -EPIPE: no process holds the tree's end any more */
                        close_rendezvous(l);
                        break;
                }
                r = tree_attach(tree, pid, fd, &full);
                if (r == 0 && full && !l->channels_full_said) {
                        say(l->log, 0, "warning: %u agent channels are open; pid %d and later processes are not served",
                            LAUNCH_CHANNELS_MAX, (int)pid);
                        l->channels_full_said = true;
                } else if (r < 0) {
                        say(l->log, 1, "cannot take the channel of pid %d: %s", (int)pid, strerror(-r));
                }
        }
}

void launch_on_hello(struct launch *l, pid_t target, const struct tree_proc *p, const struct ac_state *st)
{
        if (p->pid == target) {
                if (st->kind == AC_READY)
                        say(l->log, 1, "agent ready in pid %d (%s, jemalloc %s)", (int)p->pid, st->mallctl, st->version);
                else if (st->kind != l->agent_said)
                        say(l->log, st->hellos > 1 || l->agent_said != AC_NO_HELLO ? 1 : 0, "agent in pid %d: %s",
                            (int)p->pid, ac_state_reason(st));
                l->agent_said = st->kind;
        } else {
                say(l->log, 2, "agent in pid %d (%s): %s", (int)p->pid, p->cmd,
                    st->kind == AC_READY ? "ready" : ac_state_reason(st));
        }
}

unsigned launch_channels_max(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256)
                return 64;
        return rl.rlim_cur / 2 > LAUNCH_CHANNELS_MAX ? LAUNCH_CHANNELS_MAX : (unsigned)(rl.rlim_cur / 2);
}

void launch_close(struct launch *l)
{
        close_rendezvous(l);
        free(l->exe);
        l->exe = NULL;
}
