/* The supervisor's event loop. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentctl.h"
#include "bundle.h"
#include "cgroup.h"
#include "elfprobe.h"
#include "events.h"
#include "fsutil.h"
#include "commands.h"
#include "control.h"
#include "mallconf.h"
#include "spawn.h"
#include "units.h"
#include "window.h"

extern char **environ;

#define VERDICT_GRACE_MS 200       /* SIGKILL seen, oom_kill not risen yet: wait this long */
#define ANALYSIS_TIME_LIMIT_MS 60000
#define ANALYSIS_MEMORY_LIMIT (4ULL << 30)
#define MAX_RESTART_DELAY_MS 60000
#define NO_DEADLINE UINT64_MAX

enum state { S_RUNNING, S_VERDICT, S_ANALYZING, S_RESTART_WAIT, S_DONE };

/* epoll data: the tag in the low byte, an index above it */
enum ev_tag { EV_SIGNAL = 1, EV_INOTIFY, EV_CGROUP, EV_TIMER, EV_AGENT, EV_CONTROL, EV_CLIENT, EV_WARN, EV_GDUMP };

#define MAX_CLIENTS 8
#define MAX_PENDING AC_PENDING_MAX
#define STAT_SAMPLE_MS 100
#define POLL_THRESHOLDS_MS 100      /* where the kernel has no threshold notification (v2) */
#define POLL_THRESHOLDS_NEAR_MS 10  /* ... once usage is within NEAR_PERCENT of an armed threshold */
#define POLL_NEAR_PERCENT 25
#define STATUS_MIN_INTERVAL_MS 200  /* the status file is rewritten at most this often in a burst */
#define OOM_RECHECK_MS 50           /* v1 signals OOM before the kill is counted: look again */
#define OOM_RECHECKS 10

/* why a dump was asked for, to know what to do with the answer */
enum purpose { P_USR1, P_CLIENT, P_BASELINE, P_WARN, P_GDUMP };

struct pending {
        uint64_t id;
        enum purpose why;
        int client;        /* P_CLIENT: index into clients */
        bool baseline;     /* the dump becomes the process's baseline */
};

struct memsample {
        uint64_t usage, anon, file;
        bool valid;
};

struct sup {
        struct run_opts *o;
        const struct ow_config *cfg;
        int verbosity;

        int ep, sfd, ifd, tfd, dir_fd;
        struct cg *cg;
        struct win *win;
        char *dump_dir;          /* absolute */
        char *prefix;            /* absolute dump prefix */
        char **envp;
        size_t n_env_owned;      /* envp[0..n) are malloc'd; the agent's strings after them are not */

        enum state state;
        pid_t target;            /* 0 when not running */
        int wstatus;
        bool target_dead;
        struct timespec died;
        struct cg_counters base;  /* counters at spawn */
        uint64_t oom_kills_seen;  /* rise seen so far in this run */
        uint64_t oom_kills_other; /* of those, kills of processes other than the target */
        bool stopping;            /* a stop signal was forwarded: no restart */
        unsigned restarts;
        int status;               /* exit status of oomwatch so far */
        bool exec_failed;
        bool has_jemalloc;        /* the target will have jemalloc (its own or preloaded) */
        const char *verdict;

        pid_t *old_pids;          /* processes of earlier runs with dumps still in the window */
        size_t n_old_pids;

        pid_t analyzer;
        struct bundle bundle;
        bool have_bundle;

        uint64_t verdict_deadline, restart_deadline, analysis_deadline, baseline_deadline;

        /* the agent, one channel per run, and what asks it for dumps */
        char *agent_path;          /* NULL: no agent */
        struct ac *ac;
        struct ac_child_env agent_env;
        enum ac_kind agent_kind_said;  /* last state reported, to say each change once */
        struct pending pending[MAX_PENDING];
        unsigned n_pending;
        int ctl_fd;
        int clients[MAX_CLIENTS];  /* -1: free */
        int warn_fd[CFG_MAX_WARN_AT];
        bool warn_fired[CFG_MAX_WARN_AT];
        int gdump_fd;
        bool gdump_fired;
        bool poll_thresholds;      /* v2: memory.current is read every POLL_THRESHOLDS_MS */
        uint64_t poll_deadline;
        struct memsample last_stat;
        uint64_t last_stat_ms;

        struct evt *evt;           /* event log and status file */
        uint64_t status_written_ms, status_deadline;
        uint64_t oom_recheck_deadline;
        uint64_t stop_deadline;    /* a forwarded stop signal not obeyed by then: SIGKILL */
        unsigned oom_rechecks;
        char *last_bundle;
};

static void say(const struct sup *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(const struct sup *s, int level, const char *fmt, ...)
{
        va_list ap;

        if (s->verbosity < level)
                return;
        va_start(ap, fmt);
        fputs("oomwatch: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static uint64_t now_ms(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void arm_timer(struct sup *s)
{
        uint64_t d = s->verdict_deadline, now = now_ms();
        struct itimerspec its = { 0 };

        if (s->restart_deadline < d)
                d = s->restart_deadline;
        if (s->analysis_deadline < d)
                d = s->analysis_deadline;
        if (s->baseline_deadline < d)
                d = s->baseline_deadline;
        if (s->poll_deadline < d)
                d = s->poll_deadline;
        if (s->status_deadline < d)
                d = s->status_deadline;
        if (s->oom_recheck_deadline < d)
                d = s->oom_recheck_deadline;
        if (s->stop_deadline < d)
                d = s->stop_deadline;
        if (s->ac) {
                uint64_t a;
                if (ac_next_deadline(s->ac, &a) == 1 && a < d)
                        d = a;
        }
        if (d != NO_DEADLINE) {
                uint64_t in = d > now ? d - now : 1;
                its.it_value.tv_sec = (time_t)(in / 1000);
                its.it_value.tv_nsec = (long)(in % 1000) * 1000000;
        }
        (void)timerfd_settime(s->tfd, 0, &its, NULL);
}

static int epoll_add_idx(int ep, int fd, enum ev_tag tag, unsigned idx)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)tag | ((uint64_t)idx << 8) };

        return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int epoll_add(int ep, int fd, enum ev_tag tag)
{
        return epoll_add_idx(ep, fd, tag, 0);
}

/* ---- set-up --------------------------------------------------------------- */


static int open_dump_dir(struct sup *s)
{
        struct stat st;
        char *slash;
        bool created;
        int r;

        r = run_dump_prefix(s->cfg, &s->prefix);
        if (r < 0)
                return r;
        s->dump_dir = strdup(s->prefix);
        if (!s->dump_dir)
                return -ENOMEM;
        slash = strrchr(s->dump_dir, '/');
        *slash = '\0';
        created = stat(s->dump_dir, &st) < 0;
        r = fs_mkdir_parents(s->dump_dir, 0700);
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot create the dump directory \"%s\": %s\n", s->dump_dir, strerror(-r));
                return r;
        }
        s->dir_fd = open(s->dump_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (s->dir_fd < 0 || fstat(s->dir_fd, &st) < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: cannot open the dump directory \"%s\": %s\n", s->dump_dir, strerror(-r));
                return r;
        }
        if ((st.st_mode & S_IWOTH) && st.st_uid != geteuid()) {
                fprintf(stderr,
                        "oomwatch: the dump directory \"%s\" is writable by others and not owned by you; "
                        "refusing to use it (others could plant files oomwatch would read or delete)\n",
                        s->dump_dir);
                return -EPERM;
        }
        /* a target that runs as another user writes its dumps into it */
        if (created && (s->cfg->user || s->cfg->group)) {
                uid_t uid;
                gid_t gid, *groups = NULL;
                size_t n;
                const char *what;
                r = spawn_resolve_ids(s->cfg->user, s->cfg->group, &uid, &gid, &groups, &n, &what);
                free(groups);
                if (r < 0 || fchown(s->dir_fd, uid, gid) < 0) {
                        r = r < 0 ? r : -errno;
                        fprintf(stderr, "oomwatch: cannot give the dump directory \"%s\" to the target's %s: %s\n",
                                s->dump_dir, r == -ENOENT ? what : "user", strerror(-r));
                        return r;
                }
        }
        return 0;
}

static const char *const jemalloc_paths[] = {
        "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
        "/usr/lib64/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2",
};

static const char *system_jemalloc(void)
{
        for (size_t i = 0; i < sizeof(jemalloc_paths) / sizeof(jemalloc_paths[0]); i++)
                if (access(jemalloc_paths[i], R_OK) == 0)
                        return jemalloc_paths[i];
        return NULL;
}

/* Decide what the target's environment gets: MALLOC_CONF (and the
 * prefixed variable of a built-in prefixed jemalloc), and LD_PRELOAD of
 * the system libjemalloc for a program without jemalloc. */
static int plan_allocator(struct sup *s, char **ret_preload, char **ret_conf_env)
{
        struct ep_info info;
        char *exe = NULL;
        int r;

        *ret_preload = NULL;
        *ret_conf_env = NULL;
        r = ep_which(s->cfg->argv[0], s->cfg->workdir, &exe);
        if (r >= 0)
                r = ep_probe(exe, &info);
        free(exe);
        if (r >= 0 && info.jemalloc) {
                s->has_jemalloc = true;
                if (strcmp(info.conf_env, "MALLOC_CONF") != 0) {
                        *ret_conf_env = strdup(info.conf_env);
                        say(s, 1, "%s has a built-in jemalloc with the prefix '%s': it reads %s", s->cfg->argv[0],
                            info.prefix, info.conf_env);
                }
                return 0;
        }
        /* no jemalloc of its own (or a script: then only with preload_jemalloc = on) */
        if (s->cfg->preload_jemalloc == CFG_ON || (s->cfg->preload_jemalloc == CFG_AUTO && r >= 0)) {
                const char *lib = system_jemalloc();
                if (!lib) {
                        say(s, 0, "warning: %s does not use jemalloc and no system libjemalloc.so.2 was found "
                                  "(install libjemalloc2): there will be no heap profile",
                            s->cfg->argv[0]);
                        return 0;
                }
                *ret_preload = strdup(lib);
                s->has_jemalloc = true;
                say(s, 1, "%s does not use jemalloc: preloading %s", s->cfg->argv[0], lib);
                return 0;
        }
        if (r == -ENOEXEC)
                say(s, 0, "warning: %s is not an ELF program (a script?); oomwatch cannot tell whether what it "
                          "runs uses jemalloc. Set profiling.preload_jemalloc = on to preload it anyway",
                    s->cfg->argv[0]);
        else if (r >= 0)
                say(s, 0, "warning: %s does not use jemalloc and preload_jemalloc is off: "
                          "there will be no heap profile, only the verdict",
                    s->cfg->argv[0]);
        return 0;
}

static int build_env(struct sup *s, const char *malloc_conf)
{
        char *preload = NULL, *conf_env = NULL;
        const char *old_preload = getenv("LD_PRELOAD");
        size_t n = 0, k = 0, n_owned;
        char **e;

        (void)plan_allocator(s, &preload, &conf_env);
        for (char **p = environ; *p; p++)
                n++;
        e = calloc(n + 9, sizeof(char *));
        if (!e)
                goto nomem;
        for (char **p = environ; *p; p++) {
                if (strncmp(*p, "MALLOC_CONF=", 12) == 0 || strncmp(*p, "LD_PRELOAD=", 11) == 0 ||
                    strncmp(*p, "OOMWATCH_AGENT_", 15) == 0 ||
                    (conf_env && strncmp(*p, conf_env, strlen(conf_env)) == 0 && (*p)[strlen(conf_env)] == '='))
                        continue;
                e[k] = strdup(*p);
                if (!e[k])
                        goto nomem;
                k++;
        }
        if (asprintf(&e[k], "MALLOC_CONF=%s", malloc_conf) < 0)
                goto nomem;
        k++;
        if (conf_env) {
                if (asprintf(&e[k], "%s=%s", conf_env, malloc_conf) < 0)
                        goto nomem;
                k++;
        }
        if (preload || s->agent_path || (old_preload && *old_preload)) {
                if (asprintf(&e[k], "LD_PRELOAD=%s%s%s%s%s", preload ? preload : "",
                             preload && s->agent_path ? ":" : "", s->agent_path ? s->agent_path : "",
                             (preload || s->agent_path) && old_preload && *old_preload ? ":" : "",
                             old_preload ? old_preload : "") < 0)
                        goto nomem;
                k++;
        }
        n_owned = k;
        if (s->agent_path) {
                /* filled in by the child after fork, in its copy of s */
                e[k++] = s->agent_env.fd;
                e[k++] = s->agent_env.pid;
                e[k++] = s->agent_env.ino;
        }
        e[k] = NULL;
        s->envp = e;
        s->n_env_owned = n_owned;
        free(preload);
        free(conf_env);
        return 0;
nomem:
        cfg_strv_free(e);
        free(preload);
        free(conf_env);
        return -ENOMEM;
}

static const char *state_name(enum state st)
{
        switch (st) {
        case S_RUNNING: return "running";
        case S_VERDICT:
        case S_ANALYZING: return "analyzing";
        case S_RESTART_WAIT: return "restart-wait";
        case S_DONE: return "done";
        }
        return "?";
}

/* Rewrite the status file; in a burst of events (a dump storm) at most
 * every STATUS_MIN_INTERVAL_MS, with one write after the burst. */
static void write_status(struct sup *s, bool force)
{
        struct evt_status st = { 0 };
        unsigned passed[CFG_MAX_WARN_AT], n = 0;
        uint64_t now = now_ms();

        if (!s->evt)
                return;
        if (!force && now - s->status_written_ms < STATUS_MIN_INTERVAL_MS) {
                if (s->status_deadline == NO_DEADLINE) {
                        s->status_deadline = s->status_written_ms + STATUS_MIN_INTERVAL_MS;
                        arm_timer(s);
                }
                return;
        }
        s->status_deadline = NO_DEADLINE;
        s->status_written_ms = now;
        for (unsigned i = 0; i < s->cfg->n_warn_at; i++)
                if (s->warn_fired[i])
                        passed[n++] = s->cfg->warn_at[i];
        st.supervisor = getpid();
        st.target = s->target_dead ? 0 : s->target;
        st.state = state_name(s->state);
        st.argv = s->cfg->argv;
        st.cgroup = s->cg ? cg_path(s->cg) : NULL;
        st.cgroup_version = s->cg ? cg_version(s->cg) : 0;
        st.memory_limit = s->cfg->memory_limit;
        if (s->cg && cg_usage(s->cg, &st.usage) < 0)
                st.usage = 0;
        st.dumps = s->win ? (unsigned)win_count(s->win) : 0;
        st.dump_bytes = s->win ? win_bytes(s->win) : 0;
        st.restarts = s->restarts;
        st.thresholds_passed = passed;
        st.n_thresholds_passed = n;
        st.dump_dir = s->dump_dir;
        st.last_bundle = s->last_bundle;
        (void)evt_write_status(s->evt, &st);
}

static void window_note(void *userdata, enum win_note what, const char *name, int err)
{
        struct sup *s = userdata;

        if (what == WIN_ROTATED) {
                char j[512];
                say(s, 2, "rotated out %s", name);
                evt_emit(s->evt, "rotate", ",\"file\":%s", evt_json_str(name, j, sizeof(j)));
        }
        else if (what == WIN_ROTATE_FAILED)
                say(s, 0, "could not delete the old dump \"%s\": %s, ignoring", name, strerror(-err));
        else if (what == WIN_NOT_A_DUMP) {
                char j[512];
                say(s, 0, "ignoring %s: named like a dump but not a heap profile (empty, cut short or corrupt)",
                    name);
                evt_emit(s->evt, "bad_dump", ",\"file\":%s", evt_json_str(name, j, sizeof(j)));
        } else
                say(s, 1, "\"%s\" looks like a dump but is not a plain file of ours (%s); leaving it alone", name,
                    strerror(-err));
}

/* ---- the target ----------------------------------------------------------- */

static bool is_old_pid(const struct sup *s, pid_t pid)
{
        for (size_t i = 0; i < s->n_old_pids; i++)
                if (s->old_pids[i] == pid)
                        return true;
        return false;
}

/* Before a restart: what the previous run left in the window (its bundle,
 * if it had one, took its dumps already) is no incident's evidence, and
 * would pile up run after run. */
static void drop_previous_run(struct sup *s)
{
        size_t n = win_count(s->win), k = 0;
        char **names = calloc(n ? n : 1, sizeof(char *));

        for (size_t i = 0; names && i < n; i++) {
                const struct win_dump *d = win_get(s->win, i);
                if (d && !is_old_pid(s, d->pid) && (names[k] = strdup(d->name)))
                        k++;
        }
        for (size_t i = 0; i < k; i++) {
                (void)win_drop(s->win, names[i]);
                free(names[i]);
        }
        free(names);
        if (k)
                say(s, 2, "dropped %zu dumps of the previous run", k);
}

static int start_target(struct sup *s)
{
        struct spawn_params p = {
                .argv = s->cfg->argv,
                .envp = s->envp,
                .workdir = s->cfg->workdir,
                .cgroup_procs_fd = cg_procs_fd(s->cg),
                .agent_fd = -1,
        };
        struct spawn_result res;
        gid_t *groups = NULL;
        const char *what = NULL;
        int r;

        if (s->cfg->user || s->cfg->group) {
                r = spawn_resolve_ids(s->cfg->user, s->cfg->group, &p.uid, &p.gid, &groups, &p.n_groups, &what);
                if (r < 0) {
                        fprintf(stderr, "oomwatch: unknown %s \"%s\": %s\n", what,
                                what && strcmp(what, "user") == 0 ? s->cfg->user : s->cfg->group,
                                r == -ENOENT ? "no such entry" : strerror(-r));
                        return r;
                }
                p.drop = true;
                p.groups = groups;
        }

        if (s->restarts == 0) {
                /* dumps an earlier oomwatch left in the directory are not this
                 * run's: kept, but never part of its bundle */
                for (size_t i = 0; i < win_count(s->win); i++) {
                        const struct win_dump *d = win_get(s->win, i);
                        pid_t *v;
                        if (s->n_old_pids && s->old_pids[s->n_old_pids - 1] == d->pid)
                                continue;
                        v = realloc(s->old_pids, (s->n_old_pids + 1) * sizeof(*v));
                        if (!v)
                                break;
                        s->old_pids = v;
                        s->old_pids[s->n_old_pids++] = d->pid;
                }
        } else {
                drop_previous_run(s);
        }

        (void)cg_counters(s->cg, &s->base);
        (void)cg_reset_peak(s->cg);
        s->oom_kills_seen = 0;
        s->oom_kills_other = 0;
        s->target_dead = false;
        memset(s->warn_fired, 0, sizeof(s->warn_fired));
        s->gdump_fired = false;
        s->last_stat = (struct memsample){ 0 };

        if (s->agent_path) {
                int child_fd = -1;
                r = ac_prepare(&s->ac, &child_fd);
                if (r < 0) {
                        say(s, 0, "warning: cannot create the agent's channel: %s; running without the agent",
                            strerror(-r));
                        s->ac = NULL;
                } else {
                        p.agent_fd = child_fd;
                        p.agent_env = &s->agent_env;
                }
        }
        if (!s->ac) {
                /* the environment still names the agent's variables: make them empty and inert */
                snprintf(s->agent_env.fd, sizeof(s->agent_env.fd), "%s=", AGENT_ENV_FD);
                snprintf(s->agent_env.pid, sizeof(s->agent_env.pid), "%s=", AGENT_ENV_PID);
                snprintf(s->agent_env.ino, sizeof(s->agent_env.ino), "%s=", AGENT_ENV_INO);
        }

        r = spawn_target(&p, &res);
        free(groups);
        if (s->ac) {
                ac_forked(s->ac);
                if (r < 0 || res.stage != SPAWN_OK || epoll_add(s->ep, ac_fd(s->ac), EV_AGENT) < 0) {
                        ac_free(s->ac);
                        s->ac = NULL;
                }
        }
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot start the target: fork: %s\n", strerror(-r));
                return r;
        }
        s->target = res.pid;
        if (res.stage != SPAWN_OK) {
                s->exec_failed = true;
                if (res.stage == SPAWN_EXEC)
                        fprintf(stderr, "oomwatch: cannot run \"%s\": %s\n", s->cfg->argv[0], strerror(res.err));
                else
                        fprintf(stderr, "oomwatch: cannot start the target: %s: %s\n", spawn_stage_name(res.stage),
                                strerror(res.err));
                s->status = spawn_exit_status(res.stage, res.err);
                {
                        char j[512];
                        evt_emit(s->evt, "exit", ",\"pid\":%d,\"verdict\":\"exec-failed\",\"status\":%d,\"error\":%s",
                                 (int)s->target, s->status, evt_json_str(strerror(res.err), j, sizeof(j)));
                }
        } else {
                char lim[32];
                s->exec_failed = false;
                say(s, 1, "started %s (pid %d) in %s, limit %s", s->cfg->argv[0], (int)s->target, cg_path(s->cg),
                    unit_format_size(s->cfg->memory_limit, lim, sizeof(lim)));
                {
                        char a[2048], c[1024];
                        evt_emit(s->evt, "start", ",\"pid\":%d,\"command\":%s,\"cgroup\":%s,\"memory_limit\":%llu,\"run\":%u",
                                 (int)s->target, evt_json_str(s->cfg->argv[0], a, sizeof(a)),
                                 evt_json_str(cg_path(s->cg), c, sizeof(c)),
                                 (unsigned long long)s->cfg->memory_limit, s->restarts + 1);
                }
                if (s->cfg->baseline_after_ms >= 0 && s->ac)
                        s->baseline_deadline = now_ms() + (uint64_t)s->cfg->baseline_after_ms;
                if (s->poll_thresholds)
                        s->poll_deadline = now_ms() + POLL_THRESHOLDS_MS;
        }
        s->state = S_RUNNING;
        arm_timer(s);
        return 0;
}

/* ---- the agent: dumps on demand -------------------------------------------- */

static void sample_memory(struct sup *s, bool force)
{
        uint64_t now = now_ms(), v;
        struct memsample m = { .valid = true };
        bool v1 = cg_version(s->cg) == 1;

        if (!force && now - s->last_stat_ms < STAT_SAMPLE_MS)
                return;
        s->last_stat_ms = now;
        if (cg_usage(s->cg, &m.usage) < 0)
                return;
        if (cg_stat_field(s->cg, v1 ? "total_rss" : "anon", &v) >= 0)
                m.anon = v;
        if (cg_stat_field(s->cg, v1 ? "total_cache" : "file", &v) >= 0)
                m.file = v;
        s->last_stat = m;
}

static void client_close(struct sup *s, int i)
{
        if (s->clients[i] >= 0) {
                (void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->clients[i], NULL);
                close(s->clients[i]);
        }
        s->clients[i] = -1;
}

/* A dump request could not be made or failed: tell whoever asked. */
static void dump_failed(struct sup *s, enum purpose why, int client, const char *reason)
{
        static const char *const what[] = { "SIGUSR1", "oomwatch dump", "the baseline", "warn_at", "gdump" };

        if (why == P_CLIENT && client >= 0) {
                (void)ctl_reply(s->clients[client], false, reason);
                client_close(s, client);
        }
        if (why == P_GDUMP)
                say(s, 0, "cannot switch peak dumps on: %s", reason);
        else
                say(s, why == P_CLIENT ? 1 : 0, "no dump for %s: %s", what[why], reason);
}

static void request(struct sup *s, enum purpose why, int client, bool baseline)
{
        uint64_t id;
        int r;

        if (!s->target || s->target_dead || s->state != S_RUNNING) {
                dump_failed(s, why, client, "the target is not running");
                return;
        }
        if (!s->ac) {
                dump_failed(s, why, client,
                            s->agent_path ? "the agent's channel is not open"
                                          : "the agent is off (profiling.agent) or was not found");
                return;
        }
        if (s->n_pending == MAX_PENDING) {
                dump_failed(s, why, client, "too many requests in flight");
                return;
        }
        r = ac_request(s->ac, why == P_GDUMP ? AC_OP_GDUMP_ON : AC_OP_DUMP, now_ms(), &id);
        if (r < 0) {
                dump_failed(s, why, client,
                            r == -EOPNOTSUPP ? ac_state_reason(ac_state(s->ac)) : strerror(-r));
                return;
        }
        s->pending[s->n_pending++] = (struct pending){ .id = id, .why = why, .client = client, .baseline = baseline };
        arm_timer(s);
}

static void on_reply(struct sup *s, const struct ac_reply *rep)
{
        struct pending pd;
        unsigned i;

        for (i = 0; i < s->n_pending && s->pending[i].id != rep->id; i++)
                ;
        if (i == s->n_pending)
                return;
        pd = s->pending[i];
        s->pending[i] = s->pending[--s->n_pending];

        if (rep->error) {
                dump_failed(s, pd.why, pd.client, rep->text[0] ? rep->text : strerror(rep->error));
                return;
        }
        if (pd.why == P_GDUMP) {
                say(s, 0, "peak dumps switched on (memory above %u%% of the limit)", s->cfg->gdump_percent);
                return;
        }
        /* a dump: the agent answers once the file is complete. The path comes
         * from inside the target: only a file in the dump directory is used. */
        {
                const char *name = strrchr(rep->text, '/');
                size_t dl = strlen(s->dump_dir);
                if (!name || (size_t)(name - rep->text) != dl || strncmp(rep->text, s->dump_dir, dl) != 0) {
                        dump_failed(s, pd.why, pd.client, "the agent named a file outside the dump directory");
                        return;
                }
                name++;
                if (pd.baseline) {
                        if (win_set_baseline(s->win, name) <= 0)
                                say(s, 0, "the baseline dump %s could not be used", rep->text);
                        else
                                say(s, 1, "baseline: %s", rep->text);
                } else {
                        (void)win_add(s->win, name);
                }
        }
        if (pd.why == P_CLIENT) {
                (void)ctl_reply(s->clients[pd.client], true, rep->text);
                client_close(s, pd.client);
        } else if (pd.why == P_USR1) {
                say(s, 0, "dump on SIGUSR1: %s", rep->text);
        } else if (pd.why == P_WARN) {
                say(s, 1, "threshold dump: %s", rep->text);
        }
}

static void on_agent(struct sup *s)
{
        struct ac_reply *rep;
        int ev;

        if (!s->ac)
                return;
        ev = ac_on_readable(s->ac);
        if (ev < 0)
                return;
        if (ev & AC_EV_HELLO) {
                const struct ac_state *st = ac_state(s->ac);
                if (st->kind == AC_READY)
                        say(s, 1, "agent ready in pid %d (%s, jemalloc %s)", (int)st->pid, st->mallctl,
                            st->version);
                else if (st->kind != s->agent_kind_said)
                        say(s, st->hellos > 1 ? 1 : 0, "agent in pid %d: %s", (int)st->pid, ac_state_reason(st));
                s->agent_kind_said = st->kind;
        }
        rep = malloc(sizeof(*rep));
        while (rep && ac_next_reply(s->ac, rep) == 1)
                on_reply(s, rep);
        free(rep);
        if (ev & AC_EV_HANGUP)
                (void)epoll_ctl(s->ep, EPOLL_CTL_DEL, ac_fd(s->ac), NULL);
        arm_timer(s);
}

/* The target is gone: its channel goes, and whoever waits on it is told. */
static void stop_agent(struct sup *s)
{
        while (s->n_pending) {
                struct pending pd = s->pending[--s->n_pending];
                if (pd.why == P_CLIENT)
                        dump_failed(s, pd.why, pd.client, "the target exited before the dump was written");
        }
        if (s->ac) {
                (void)epoll_ctl(s->ep, EPOLL_CTL_DEL, ac_fd(s->ac), NULL);
                ac_free(s->ac);
                s->ac = NULL;
        }
        s->baseline_deadline = NO_DEADLINE;
}

static void on_control(struct sup *s)
{
        int fd;

        while ((fd = ctl_accept(s->ctl_fd)) != -EAGAIN) {
                int i;
                if (fd < 0) {
                        if (fd == -EPERM)
                                say(s, 0, "refused a dump request from another user");
                        if (fd != -EPERM)
                                break;
                        continue;
                }
                for (i = 0; i < MAX_CLIENTS && s->clients[i] >= 0; i++)
                        ;
                if (i == MAX_CLIENTS || epoll_add_idx(s->ep, fd, EV_CLIENT, (unsigned)i) < 0) {
                        (void)ctl_reply(fd, false, "busy");
                        close(fd);
                        continue;
                }
                s->clients[i] = fd;
        }
}

static void on_client(struct sup *s, int i)
{
        int r;

        if (i < 0 || i >= MAX_CLIENTS || s->clients[i] < 0)
                return;
        r = ctl_read_request(s->clients[i]);
        if (r <= 0 || r == CTL_WHERE) {
                if (r == CTL_WHERE)
                        (void)ctl_reply(s->clients[i], true, s->dump_dir);
                else if (r == 0)
                        (void)ctl_reply(s->clients[i], false, "unknown request");
                client_close(s, i);
                return;
        }
        (void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->clients[i], NULL);
        request(s, P_CLIENT, i, r == CTL_DUMP_BASELINE);
}

static void check_threshold(struct sup *s, enum ev_tag tag, unsigned i);

static void on_threshold(struct sup *s, enum ev_tag tag, unsigned i)
{
        uint64_t n;
        int fd = tag == EV_WARN ? s->warn_fd[i] : s->gdump_fd;

        if (read(fd, &n, sizeof(n)) < 0)
                return;
        if (s->state != S_RUNNING || !s->target || s->target_dead)
                return;
        sample_memory(s, true);
        check_threshold(s, tag, i);
}

/* Without notifications (cgroup v2 has none for usage), read the usage
 * every POLL_THRESHOLDS_MS while a threshold of this run is still armed.
 * memory.events "high" would need memory.high, which throttles the target. */
static void poll_thresholds(struct sup *s)
{
        bool armed = false;
        unsigned lowest = 100; /* the lowest armed threshold, in percent */

        s->poll_deadline = NO_DEADLINE;
        if (!s->poll_thresholds || s->state != S_RUNNING || !s->target || s->target_dead)
                return;
        sample_memory(s, true);
        for (unsigned i = 0; i < s->cfg->n_warn_at; i++) {
                check_threshold(s, EV_WARN, i);
                if (!s->warn_fired[i] && s->cfg->warn_at[i] < lowest)
                        lowest = s->cfg->warn_at[i];
                armed |= !s->warn_fired[i];
        }
        if (s->cfg->gdump == CFG_AUTO) {
                check_threshold(s, EV_GDUMP, 0);
                if (!s->gdump_fired && s->cfg->gdump_percent < lowest)
                        lowest = s->cfg->gdump_percent;
                armed |= !s->gdump_fired;
        }
        /* an instant OOM crosses the last 25% of the limit in milliseconds:
         * close to a threshold, look ten times as often */
        if (armed) {
                bool near = lowest <= POLL_NEAR_PERCENT ||
                            s->last_stat.usage >= s->cfg->memory_limit / 100 * (lowest - POLL_NEAR_PERCENT);
                s->poll_deadline = now_ms() + (near ? POLL_THRESHOLDS_NEAR_MS : POLL_THRESHOLDS_MS);
        }
}

static void check_threshold(struct sup *s, enum ev_tag tag, unsigned i)
{
        /* memory thresholds fire on crossings both ways: act on the way up only */
        if (tag == EV_WARN) {
                if (s->warn_fired[i] || s->last_stat.usage < s->cfg->memory_limit / 100 * s->cfg->warn_at[i])
                        return;
                s->warn_fired[i] = true;
                evt_emit(s->evt, "threshold", ",\"percent\":%u,\"usage\":%llu", s->cfg->warn_at[i],
                         (unsigned long long)s->last_stat.usage);
                write_status(s, true);
                say(s, 1, "memory at %u%% of the limit: taking a dump", s->cfg->warn_at[i]);
                request(s, P_WARN, -1, false);
        } else {
                if (s->gdump_fired || s->last_stat.usage < s->cfg->memory_limit / 100 * s->cfg->gdump_percent)
                        return;
                s->gdump_fired = true;
                say(s, 1, "memory at %u%% of the limit: switching peak dumps on", s->cfg->gdump_percent);
                request(s, P_GDUMP, -1, false);
        }
}

/* Thresholds live as long as the cgroup; their "fired" flags are per run. */
static void setup_thresholds(struct sup *s)
{
        if (!s->agent_path)
                return; /* every threshold acts through the agent */
        if (cg_version(s->cg) != 1) {
                s->poll_thresholds = s->cfg->n_warn_at > 0 || s->cfg->gdump == CFG_AUTO;
                return;
        }
        for (unsigned i = 0; i < s->cfg->n_warn_at; i++) {
                int fd = cg_threshold_fd(s->cg, s->cfg->memory_limit / 100 * s->cfg->warn_at[i]);
                if (fd < 0) {
                        say(s, 0, "warning: cannot watch for %u%% of the limit: %s", s->cfg->warn_at[i],
                            fd == -EOPNOTSUPP ? "not supported on this cgroup version" : strerror(-fd));
                        continue;
                }
                s->warn_fd[i] = fd;
                (void)epoll_add_idx(s->ep, fd, EV_WARN, i);
        }
        if (s->cfg->gdump == CFG_AUTO) {
                int fd = cg_threshold_fd(s->cg, s->cfg->memory_limit / 100 * s->cfg->gdump_percent);
                if (fd < 0) {
                        say(s, 0, "warning: cannot watch for %u%% of the limit (gdump): %s", s->cfg->gdump_percent,
                            strerror(-fd));
                        return;
                }
                s->gdump_fd = fd;
                (void)epoll_add(s->ep, fd, EV_GDUMP);
        }
}

static int self_dir_parent_lib(char **ret)
{
        char *self = realpath("/proc/self/exe", NULL), *slash, *p = NULL;
        int r = -ENOENT;

        if (self && (slash = strrchr(self, '/'))) {
                *slash = '\0';
                if ((slash = strrchr(self, '/'))) {
                        *slash = '\0';
                        if (asprintf(&p, "%s/lib/oomwatch/liboomwatch-agent.so", self) >= 0 && access(p, R_OK) == 0) {
                                *ret = p;
                                p = NULL;
                                r = 0;
                        }
                }
        }
        free(p);
        free(self);
        return r;
}

static char *find_agent(void)
{
        char *self = realpath("/proc/self/exe", NULL), *p = NULL, *slash;

        if (self && (slash = strrchr(self, '/'))) {
                *slash = '\0';
                if (asprintf(&p, "%s/liboomwatch-agent.so", self) < 0)
                        p = NULL;
                if (p && access(p, R_OK) != 0) {
                        free(p);
                        p = NULL;
                }
        }
        /* installed: <prefix>/bin/oomwatch and <prefix>/lib/oomwatch/ */
        if (!p && self_dir_parent_lib(&p) < 0)
                p = NULL;
        free(self);
        if (!p && access(OOMWATCH_LIBDIR "/oomwatch/liboomwatch-agent.so", R_OK) == 0)
                p = strdup(OOMWATCH_LIBDIR "/oomwatch/liboomwatch-agent.so");
        return p;
}

static bool wants_report(const struct sup *s)
{
        switch (s->cfg->report_on) {
        case CFG_REPORT_ON_OOM:
                return strcmp(s->verdict, "oom-kill") == 0;
        case CFG_REPORT_ON_EXIT:
                return strcmp(s->verdict, "oom-kill") == 0 || s->status != 0;
        case CFG_REPORT_ON_ALWAYS:
                return true;
        }
        return false;
}

static void drain_inotify(struct sup *s);


static void start_analysis(struct sup *s)
{
        const struct win_dump *base = NULL, *newest = NULL;
        struct bundle *b = &s->bundle;
        char *err = NULL;
        size_t n = win_count(s->win);
        uint64_t v;
        pid_t pid;
        int r;

        memset(b, 0, sizeof(*b));
        b->cfg = s->cfg;
        b->verdict = s->verdict;
        b->argv = s->cfg->argv;
        {
                char *exe = NULL;
                if (ep_which(s->cfg->argv[0], s->cfg->workdir, &exe) >= 0) {
                        b->exe = realpath(exe, NULL);
                        free(exe);
                }
        }
        b->pid = s->target;
        b->exit_code = WIFEXITED(s->wstatus) ? WEXITSTATUS(s->wstatus) : -1;
        b->signal = WIFSIGNALED(s->wstatus) ? WTERMSIG(s->wstatus) : 0;
        b->cg_version = cg_version(s->cg);
        b->memory_limit = s->cfg->memory_limit;
        if (cg_peak(s->cg, &v) >= 0)
                b->peak = v;
        b->oom_kills = s->oom_kills_seen;
        if (s->last_stat.valid) {
                b->mem_valid = true;
                b->mem_usage = s->last_stat.usage;
                b->mem_anon = s->last_stat.anon;
                b->mem_file = s->last_stat.file;
        }
        if (!s->has_jemalloc) {
                b->no_profile_why_set = true;
                snprintf(b->no_profile_why, sizeof(b->no_profile_why),
                         "no heap profile: the target does not use jemalloc and preload_jemalloc is off");
        } else if (s->agent_kind_said != AC_READY && s->agent_kind_said != AC_NO_HELLO) {
                b->no_profile_why_set = true;
                snprintf(b->no_profile_why, sizeof(b->no_profile_why), "no heap profile: %s",
                         s->agent_kind_said == AC_NO_JEMALLOC ? "the target has no jemalloc the agent could find"
                         : s->agent_kind_said == AC_NO_PROF   ? "the target's jemalloc has profiling off"
                                                              : "the agent failed");
        }
        b->died = s->died;
        b->base_index = b->new_index = -1;

        if (win_pair(s->win, s->target, &base, &newest) < 0)
                (void)win_pair(s->win, 0, &base, &newest);
        if (newest && is_old_pid(s, newest->pid))
                base = newest = NULL;
        b->dumps = calloc(n ? n : 1, sizeof(*b->dumps));
        if (!b->dumps) {
                say(s, 0, "out of memory preparing the incident bundle");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                const struct win_dump *d = win_get(s->win, i);
                struct bundle_dump *bd = &b->dumps[b->n_dumps];
                if (!d || d->bad || is_old_pid(s, d->pid))
                        continue;
                bd->file = strdup(d->name);
                if (!bd->file)
                        continue;
                bd->pid = d->pid;
                bd->seq = d->seq;
                bd->kind = d->kind;
                bd->bytes = d->bytes;
                bd->baseline = d->baseline;
                if (d == base)
                        b->base_index = (int)b->n_dumps;
                if (d == newest)
                        b->new_index = (int)b->n_dumps;
                b->n_dumps++;
        }
        r = bundle_create(b, s->cfg->report_dir ? s->cfg->report_dir : cfg_keys[CK_REPORT_DIR].default_text,
                          s->dir_fd, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch: no incident bundle: %s\n", err ? err : strerror(-r));
                free(err);
                bundle_free(b);
                return;
        }
        s->have_bundle = true;
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                bundle_write_fallback(b, "could not fork the analysis");
                return;
        }
        if (pid == 0) {
                struct rlimit as = { ANALYSIS_MEMORY_LIMIT, ANALYSIS_MEMORY_LIMIT };
                struct rlimit cpu = { ANALYSIS_TIME_LIMIT_MS / 1000, ANALYSIS_TIME_LIMIT_MS / 1000 + 1 };
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer reserves terabytes of address space */
                (void)setrlimit(RLIMIT_AS, &as);
#else
                (void)as;
#endif
                (void)setrlimit(RLIMIT_CPU, &cpu);
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                _exit(bundle_write(b) < 0 ? 1 : 0);
        }
        s->analyzer = pid;
        s->analysis_deadline = now_ms() + ANALYSIS_TIME_LIMIT_MS;
        s->state = S_ANALYZING;
        arm_timer(s);
}

static void after_report(struct sup *s);

static void decide_verdict(struct sup *s, bool final)
{
        struct cg_counters c;
        int st = s->wstatus;

        if (cg_counters(s->cg, &c) == 0 && c.oom_kill > s->base.oom_kill)
                s->oom_kills_seen = c.oom_kill - s->base.oom_kill;

        if (s->exec_failed) {
                s->verdict = "exec-failed";
        } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && s->oom_kills_seen > s->oom_kills_other) {
                s->verdict = "oom-kill";
        } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && !final) {
                /* the kernel counts the kill just after sending it: give it a moment */
                s->state = S_VERDICT;
                s->verdict_deadline = now_ms() + VERDICT_GRACE_MS;
                arm_timer(s);
                return;
        } else if (WIFSIGNALED(st)) {
                s->verdict = "signal";
        } else {
                s->verdict = "exit";
        }
        s->verdict_deadline = NO_DEADLINE;
        if (!s->exec_failed)
                s->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);

        if (strcmp(s->verdict, "oom-kill") == 0)
                say(s, 0, "target (pid %d) was OOM-killed", (int)s->target);
        if (strcmp(s->verdict, "oom-kill") == 0)
                evt_emit(s->evt, "oom", ",\"pid\":%d,\"oom_kills\":%llu", (int)s->target,
                         (unsigned long long)s->oom_kills_seen);
        if (!s->exec_failed)
                evt_emit(s->evt, "exit", ",\"pid\":%d,\"verdict\":\"%s\",\"status\":%d", (int)s->target,
                         s->verdict, s->status);
        else if (strcmp(s->verdict, "signal") == 0)
                say(s, 0, "target (pid %d) died of signal %d (%s)", (int)s->target, WTERMSIG(st),
                    strsignal(WTERMSIG(st)));
        else if (!s->exec_failed)
                say(s, 1, "target (pid %d) exited with status %d", (int)s->target, WEXITSTATUS(st));

        /* what the target left behind in its cgroup goes with it */
        (void)cg_signal_all(s->cg, SIGKILL);

        if (!s->exec_failed && wants_report(s)) {
                drain_inotify(s);
                start_analysis(s);
                if (s->state == S_ANALYZING)
                        return;
        }
        after_report(s);
}

static void after_report(struct sup *s)
{
        bool again;
        uint64_t delay;

        s->target = 0;
        switch (s->cfg->restart) {
        case CFG_RESTART_ALWAYS:
                again = true;
                break;
        case CFG_RESTART_ON_FAILURE:
                again = s->status != 0;
                break;
        case CFG_RESTART_ON_OOM:
                again = s->verdict && strcmp(s->verdict, "oom-kill") == 0;
                break;
        default:
                again = false;
        }
        if (s->exec_failed || s->stopping || s->restarts >= s->cfg->max_restarts)
                again = false;
        if (!again) {
                s->state = S_DONE;
                return;
        }
        delay = s->cfg->restart_delay_ms;
        for (unsigned i = 0; i < s->restarts && delay < MAX_RESTART_DELAY_MS; i++)
                delay *= 2;
        if (delay > MAX_RESTART_DELAY_MS)
                delay = MAX_RESTART_DELAY_MS;
        s->restarts++;
        evt_emit(s->evt, "restart", ",\"attempt\":%u,\"max\":%u,\"delay_ms\":%llu", s->restarts,
                 s->cfg->max_restarts, (unsigned long long)delay);
        say(s, 0, "restarting in %llu ms (restart %u of %u)", (unsigned long long)delay, s->restarts,
            s->cfg->max_restarts);
        s->restart_deadline = now_ms() + delay;
        s->state = S_RESTART_WAIT;
        arm_timer(s);
}

static void analysis_done(struct sup *s, int wstatus)
{
        s->analyzer = 0;
        s->analysis_deadline = NO_DEADLINE;
        if (!(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)) {
                char why[128];
                if (WIFSIGNALED(wstatus))
                        snprintf(why, sizeof(why), "the analysis was killed by signal %d (%s)", WTERMSIG(wstatus),
                                 WTERMSIG(wstatus) == SIGKILL ? "time or memory limit" : strsignal(WTERMSIG(wstatus)));
                else
                        snprintf(why, sizeof(why), "the analysis failed (exit status %d)", WEXITSTATUS(wstatus));
                say(s, 0, "%s; writing a report without it", why);
                bundle_write_fallback(&s->bundle, why);
        }
        if (s->verbosity >= 0)
                bundle_print_head(&s->bundle, stderr, 24);
        {
                char j[4200];
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                evt_emit(s->evt, "report", ",\"dir\":%s,\"verdict\":\"%s\",\"ms\":%ld",
                         evt_json_str(s->bundle.dir, j, sizeof(j)), s->verdict,
                         (long)((now.tv_sec - s->died.tv_sec) * 1000 + (now.tv_nsec - s->died.tv_nsec) / 1000000));
                free(s->last_bundle);
                s->last_bundle = strdup(s->bundle.dir);
        }
        bundle_free(&s->bundle);
        s->have_bundle = false;
        after_report(s);
}

/* ---- events --------------------------------------------------------------- */

static void on_child(struct sup *s)
{
        int st;
        pid_t pid;

        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
                if (pid == s->target && !s->target_dead) {
                        s->wstatus = st;
                        s->target_dead = true;
                        stop_agent(s);
                        clock_gettime(CLOCK_MONOTONIC, &s->died);
                        decide_verdict(s, false);
                } else if (pid == s->analyzer) {
                        analysis_done(s, st);
                }
                /* anything else: an orphan of the target, reaped as subreaper */
        }
}

static void on_signal(struct sup *s)
{
        struct signalfd_siginfo si;

        while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                int sig = (int)si.ssi_signo;

                switch (sig) {
                case SIGCHLD:
                        on_child(s);
                        break;
                case SIGTERM:
                case SIGINT:
                case SIGHUP:
                case SIGQUIT:
                        s->stopping = true;
                        if (s->state == S_RESTART_WAIT) {
                                s->restart_deadline = NO_DEADLINE;
                                s->state = S_DONE;
                        }
                        /* fall through */
                case SIGUSR2:
                        if (s->target > 0 && !s->target_dead) {
                                say(s, 1, "forwarding signal %d to pid %d", sig, (int)s->target);
                                (void)kill(s->target, sig);
                                if (sig != SIGUSR2 && s->cfg->stop_timeout_ms && s->stop_deadline == NO_DEADLINE) {
                                        s->stop_deadline = now_ms() + s->cfg->stop_timeout_ms;
                                        arm_timer(s);
                                }
                        }
                        break;
                case SIGUSR1:
                        request(s, P_USR1, -1, false);
                        break;
                default:
                        break;
                }
        }
}

/* A full dump file system (ENOSPC) cuts the next dumps short: when the
 * space left would not hold two more dumps of the size just written, the
 * oldest dumps go first (never a process's baseline or its newest dump),
 * until it would or only those are left. */
static void make_room(struct sup *s, uint64_t dump_bytes)
{
        struct statvfs v;
        uint64_t need = 2 * dump_bytes;
        unsigned dropped = 0;

        for (int round = 0; round < 64; round++) {
                const struct win_dump *victim = NULL, *base, *newest;
                char *name;

                if (fstatvfs(s->dir_fd, &v) < 0 || (uint64_t)v.f_bavail * v.f_frsize >= need)
                        break;
                for (size_t i = 0; i < win_count(s->win) && !victim; i++) {
                        const struct win_dump *d = win_get(s->win, i);
                        if (!d || d->baseline || d->pinned)
                                continue;
                        if (win_pair(s->win, d->pid, &base, &newest) == 0 && (d == newest || d == base))
                                continue;
                        victim = d;
                }
                if (!victim || !(name = strdup(victim->name)))
                        break;
                if (win_drop(s->win, name) > 0)
                        dropped++;
                free(name);
        }
        if (dropped)
                say(s, 0, "the dump directory is nearly full: removed the %u oldest dumps", dropped);
}

static void drain_inotify(struct sup *s)
{
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        while ((n = read(s->ifd, buf, sizeof(buf))) > 0) {
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *)p;
                        p += sizeof(*ev) + ev->len;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                say(s, 1, "inotify queue overflowed; rescanning the dump directory");
                                (void)win_rescan(s->win);
                                continue;
                        }
                        if (!ev->len)
                                continue;
                        if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                                int r = win_add(s->win, ev->name);
                                if (r > 0) {
                                        char j[512];
                                        say(s, 2, "dump %s", ev->name);
                                        evt_emit(s->evt, "dump", ",\"file\":%s", evt_json_str(ev->name, j, sizeof(j)));
                                        write_status(s, false);
                                        {
                                                struct stat st;
                                                if (fstatat(s->dir_fd, ev->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                                                        make_room(s, (uint64_t)st.st_size);
                                        }
                                        if (s->state == S_RUNNING && !s->target_dead)
                                                sample_memory(s, false);
                                }
                        } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                                (void)win_forget(s->win, ev->name);
                        }
                }
        }
}

/* Is the target still running, and not on its way out? An OOM victim has
 * SIGKILL pending or is already exiting (PF_EXITING) by the time the
 * cgroup's counter rises, but it is not a zombie yet. */
static bool target_alive(const struct sup *s)
{
        char path[64], buf[512], *p;
        unsigned long flags = 0;
        bool alive = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->target);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ') {
                /* ") S ppid pgrp session tty tpgid flags" */
                alive = p[2] != 'Z' && p[2] != 'X';
                if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1 && (flags & 0x4 /* PF_EXITING */))
                        alive = false;
        }
        fclose(f);
        if (!alive)
                return false;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)s->target);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(buf, sizeof(buf), f)) {
                unsigned long long mask;
                if ((sscanf(buf, "ShdPnd: %llx", &mask) == 1 || sscanf(buf, "SigPnd: %llx", &mask) == 1) &&
                    (mask & (1ULL << (SIGKILL - 1))))
                        alive = false;
        }
        fclose(f);
        return alive;
}

static void check_oom_counter(struct sup *s, bool from_event)
{
        struct cg_counters c;

        if (cg_counters(s->cg, &c) < 0)
                return;
        s->oom_recheck_deadline = NO_DEADLINE;
        if (c.oom_kill <= s->base.oom_kill + s->oom_kills_seen) {
                /* the cgroup is in OOM but nobody was killed yet: look again shortly */
                if (from_event)
                        s->oom_rechecks = 0;
                if (s->oom_rechecks++ < OOM_RECHECKS && s->target > 0 && !s->target_dead) {
                        s->oom_recheck_deadline = now_ms() + OOM_RECHECK_MS;
                        arm_timer(s);
                }
        }
        if (c.oom_kill > s->base.oom_kill + s->oom_kills_seen) {
                uint64_t more = c.oom_kill - s->base.oom_kill - s->oom_kills_seen;
                s->oom_kills_seen += more;
                /* the target's own kill is reported with its death; while it
                 * still runs, the victim was another process of its tree */
                if (s->target > 0 && !s->target_dead && target_alive(s)) {
                        s->oom_kills_other += more;
                        evt_emit(s->evt, "oom", ",\"pid\":null,\"scope\":\"cgroup\",\"oom_kills\":%llu",
                                 (unsigned long long)s->oom_kills_seen);
                        say(s, 0, "the kernel OOM-killed a process in the target's cgroup, not the target "
                                  "(%llu so far)",
                            (unsigned long long)s->oom_kills_other);
                }
        }
        if (s->state == S_VERDICT && s->oom_kills_seen > s->oom_kills_other) {
                s->verdict_deadline = NO_DEADLINE;
                decide_verdict(s, true);
        }
}

static void on_cgroup(struct sup *s)
{
        cg_event_drain(s->cg);
        check_oom_counter(s, true);
}

static void on_timer(struct sup *s)
{
        uint64_t ticks, now = now_ms();

        if (read(s->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                say(s, 1, "timerfd: %m");
        if (s->verdict_deadline <= now && s->state == S_VERDICT) {
                s->verdict_deadline = NO_DEADLINE;
                decide_verdict(s, true);
        }
        if (s->analysis_deadline <= now && s->analyzer > 0) {
                say(s, 0, "the analysis takes too long; stopping it");
                (void)kill(s->analyzer, SIGKILL);
                s->analysis_deadline = NO_DEADLINE;
        }
        if (s->poll_deadline <= now)
                poll_thresholds(s);
        if (s->status_deadline <= now)
                write_status(s, true);
        if (s->oom_recheck_deadline <= now)
                check_oom_counter(s, false);
        if (s->stop_deadline <= now) {
                s->stop_deadline = NO_DEADLINE;
                if (s->target > 0 && !s->target_dead) {
                        say(s, 0, "the target did not stop within %llu ms of the signal: killing its cgroup",
                            (unsigned long long)s->cfg->stop_timeout_ms);
                        (void)cg_signal_all(s->cg, SIGKILL);
                }
        }
        if (s->baseline_deadline <= now) {
                s->baseline_deadline = NO_DEADLINE;
                request(s, P_BASELINE, -1, true);
        }
        if (s->ac && ac_expire(s->ac, now) > 0)
                on_agent(s);
        if (s->restart_deadline <= now && s->state == S_RESTART_WAIT) {
                s->restart_deadline = NO_DEADLINE;
                if (start_target(s) < 0) {
                        s->status = OW_EXIT_USAGE;
                        s->state = S_DONE;
                }
        }
        arm_timer(s);
}

/* ---- main ------------------------------------------------------------------- */

int supervise(struct run_opts *o)
{
        struct sup s = {
                .o = o, .cfg = &o->cfg, .verbosity = o->verbosity,
                .ep = -1, .sfd = -1, .ifd = -1, .tfd = -1, .dir_fd = -1,
                .verdict_deadline = NO_DEADLINE, .restart_deadline = NO_DEADLINE,
                .analysis_deadline = NO_DEADLINE, .baseline_deadline = NO_DEADLINE,
                .poll_deadline = NO_DEADLINE, .status_deadline = NO_DEADLINE,
                .oom_recheck_deadline = NO_DEADLINE, .stop_deadline = NO_DEADLINE, .status = OW_EXIT_USAGE,
                .ctl_fd = -1, .gdump_fd = -1, .agent_kind_said = AC_NO_HELLO,
        };
        struct win_params wp = {
                .keep = o->cfg.keep, .keep_baseline = o->cfg.keep_baseline, .max_bytes = o->cfg.max_bytes,
                .note = window_note, .userdata = &s,
        };
        struct mc_result mc = { 0 };
        char *err = NULL;
        sigset_t mask;
        int r;

        sigfillset(&mask);
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        for (unsigned i = 0; i < MAX_CLIENTS; i++)
                s.clients[i] = -1;
        for (unsigned i = 0; i < CFG_MAX_WARN_AT; i++)
                s.warn_fd[i] = -1;
        if (s.cfg->agent) {
                s.agent_path = find_agent();
                if (!s.agent_path)
                        say(&s, 0, "warning: liboomwatch-agent.so was not found next to oomwatch or in %s/oomwatch; "
                                   "running without it (no dumps on demand, warn_at, gdump = N%%, baseline_after)",
                            OOMWATCH_LIBDIR);
        }

        r = open_dump_dir(&s);
        if (r < 0)
                goto out;
        r = evt_open(s.cfg->events, s.dir_fd, &s.evt);
        if (r < 0) {
                fprintf(stderr, "oomwatch: cannot open the event log \"%s\": %s\n", s.cfg->events, strerror(-r));
                goto out;
        }
        r = mc_compose(s.cfg, s.prefix, &mc, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch: %s\n", err ? err : strerror(-r));
                goto out;
        }
        if (s.verbosity >= 0)
                run_print_warnings(s.cfg, &mc, stderr);
        r = build_env(&s, mc.conf);
        if (r < 0)
                goto out;
        say(&s, 1, "MALLOC_CONF=%s", mc.conf);

        r = cg_open(s.cfg->parent, &s.cg, &err);
        if (r >= 0)
                r = cg_create(s.cg, s.cfg->memory_limit, s.cfg->swap, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch: cgroup set-up failed: %s\n", err ? err : strerror(-r));
                goto out;
        }

        s.ep = epoll_create1(EPOLL_CLOEXEC);
        s.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        s.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s.ep < 0 || s.sfd < 0 || s.ifd < 0 || s.tfd < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: event set-up failed: %s\n", strerror(-r));
                goto out;
        }
        if (inotify_add_watch(s.ifd, s.dump_dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
                                                         IN_ONLYDIR) < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: cannot watch \"%s\": %s\n", s.dump_dir, strerror(-r));
                goto out;
        }
        r = win_new(s.dir_fd, RUN_DUMP_BASENAME, &wp, &s.win);
        if (r < 0)
                goto out;
        (void)win_rescan(s.win);

        if ((r = epoll_add(s.ep, s.sfd, EV_SIGNAL)) < 0 || (r = epoll_add(s.ep, s.ifd, EV_INOTIFY)) < 0 ||
            (r = epoll_add(s.ep, s.tfd, EV_TIMER)) < 0 ||
            (cg_event_fd(s.cg) >= 0 && (r = epoll_add(s.ep, cg_event_fd(s.cg), EV_CGROUP)) < 0)) {
                fprintf(stderr, "oomwatch: epoll: %s\n", strerror(-r));
                goto out;
        }

        setup_thresholds(&s);
        s.ctl_fd = ctl_listen(getpid());
        if (s.ctl_fd < 0 || epoll_add(s.ep, s.ctl_fd, EV_CONTROL) < 0)
                say(&s, 0, "warning: no control socket (oomwatch dump will not reach this supervisor): %s",
                    strerror(s.ctl_fd < 0 ? -s.ctl_fd : errno));

        r = start_target(&s);
        if (r < 0)
                goto out;

        write_status(&s, true);
        while (s.state != S_DONE) {
                struct epoll_event evs[8];
                int n = epoll_wait(s.ep, evs, 8, -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "oomwatch: epoll_wait: %m\n");
                        s.status = OW_EXIT_USAGE;
                        break;
                }
                for (int i = 0; i < n && s.state != S_DONE; i++) {
                        unsigned idx = (unsigned)(evs[i].data.u64 >> 8);
                        switch ((enum ev_tag)(evs[i].data.u64 & 0xff)) {
                        case EV_SIGNAL: on_signal(&s); break;
                        case EV_INOTIFY: drain_inotify(&s); break;
                        case EV_CGROUP: on_cgroup(&s); break;
                        case EV_TIMER: on_timer(&s); break;
                        case EV_AGENT: on_agent(&s); break;
                        case EV_CONTROL: on_control(&s); break;
                        case EV_CLIENT: on_client(&s, (int)idx); break;
                        case EV_WARN:
                        case EV_GDUMP: on_threshold(&s, (enum ev_tag)(evs[i].data.u64 & 0xff), idx); break;
                        }
                }
        }
        r = 0;
        write_status(&s, true);
out:
        if (s.analyzer > 0) {
                kill(s.analyzer, SIGKILL);
                waitpid(s.analyzer, NULL, 0);
        }
        if (s.have_bundle)
                bundle_free(&s.bundle);
        stop_agent(&s);
        for (unsigned i = 0; i < MAX_CLIENTS; i++)
                if (s.clients[i] >= 0)
                        close(s.clients[i]);
        for (unsigned i = 0; i < CFG_MAX_WARN_AT; i++)
                if (s.warn_fd[i] >= 0)
                        close(s.warn_fd[i]);
        if (s.gdump_fd >= 0)
                close(s.gdump_fd);
        if (s.ctl_fd >= 0)
                close(s.ctl_fd);
        free(s.agent_path);
        free(s.last_bundle);
        evt_close(s.evt);
        if (s.cg) {
                int d = cg_destroy(s.cg);
                if (d < 0)
                        fprintf(stderr, "oomwatch: could not remove the cgroup: %s\n", strerror(-d));
        }
        win_free(s.win);
        if (s.ep >= 0)
                close(s.ep);
        if (s.sfd >= 0)
                close(s.sfd);
        if (s.ifd >= 0)
                close(s.ifd);
        if (s.tfd >= 0)
                close(s.tfd);
        if (s.dir_fd >= 0)
                close(s.dir_fd);
        for (size_t i = 0; s.envp && i < s.n_env_owned; i++)
                free(s.envp[i]);
        free(s.envp);
        free(s.old_pids);
        free(mc.conf);
        free(err);
        free(s.prefix);
        free(s.dump_dir);
        return r < 0 ? OW_EXIT_USAGE : s.status;
}
