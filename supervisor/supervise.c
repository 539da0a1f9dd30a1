/* The supervisor's event loop: an fd is ready, its owner handles it.
 *
 *   signalfd      SIGCHLD: reaping, the target's death; stop signals forwarded
 *   inotify       the dump directory (dumpdir.c): the window, capture's keep/drop
 *   cgroup events the OOM counter (kills.c): victim.c names the victims
 *   /dev/kmsg     victim.c (the kernel's record of each kill)
 *   rendezvous    agents register their channels (launch.c -> tree.c)
 *   channels      tree.c (hello, replies, hangups) -> capture.c
 *   thresholds    capture.c (v1 eventfds; v2 polls on the timer)
 *   control       `oomwatch dump` / `status` clients (control.c) -> capture.c
 *   timerfd       the earliest deadline of every module
 * What the run opens first is runsetup.c's; what an OOM kill gives (a
 * bundle of its own, the target's death bundle) is kills.c's. Here: the
 * state machine of the target's life (verdict, exit status, restart:
 * policy.c decides) and the dispatch. */
#include "supervise.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentctl.h"
#include "capture.h"
#include "cgroup.h"
#include "cgsetup.h"
#include "dumpdir.h"
#include "commands.h"
#include "control.h"
#include "events.h"
#include "footprint.h"
#include "incident.h"
#include "kills.h"
#include "launch.h"
#include "metrics.h"
#include "policy.h"
#include "runrecord.h"
#include "runsetup.h"
#include "say.h"
#include "status.h"
#include "timeline.h"
#include "tree.h"
#include "unobserved.h"
#include "victim.h"

#define VERDICT_GRACE_MS 200       /* SIGKILL seen, oom_kill not risen yet: wait this long */
#define MAX_RESTART_DELAY_MS 60000
#define NO_DEADLINE UINT64_MAX

enum state { S_RUNNING, S_VERDICT, S_ANALYZING, S_RESTART_WAIT, S_DONE };

/* epoll data: the tag in the low byte, an index above it */
enum ev_tag {
        EV_SIGNAL = 1, EV_INOTIFY, EV_CGROUP, EV_TIMER, EV_RENDEZVOUS, EV_CHANNEL, EV_CONTROL, EV_CLIENT,
        EV_THRESHOLD, EV_KMSG
};

struct sup {
        struct run_opts *o;
        const struct ow_config *cfg;
        struct say log;

        int ep, sfd, tfd;
        struct runsetup r;       /* what the run opened before the loop */

        enum state state;
        pid_t target;            /* 0 when not running */
        int wstatus;
        bool target_dead;
        struct timespec died;
        bool stopping;            /* a stop signal was forwarded: no restart */
        unsigned restarts;
        int status;               /* exit status of oomwatch so far */
        bool exec_failed;
        const char *verdict;

        uint64_t verdict_deadline, restart_deadline;

        /* the agents: a rendezvous per run, a channel per process (tree) */
        struct launch launch;      /* the target's start, its rendezvous, its program */
        struct tree *tree;
        struct capture *cap;
        struct vic *vic;

        struct kills k;            /* the run's OOM kills and its bundles */

        struct ctl_server *ctl;

        struct status st;          /* the status file */
        uint64_t stop_deadline;    /* a forwarded stop signal not obeyed by then: SIGKILL */
        struct timespec died_wall; /* CLOCK_REALTIME of the target's death */
};

static void note(void *userdata, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(void *userdata, int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsay(&((struct sup *)userdata)->log, level, fmt, ap);
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
        uint64_t d = s->verdict_deadline, now = now_ms(), t;
        struct itimerspec its = { 0 };

        if (s->restart_deadline < d)
                d = s->restart_deadline;
        if (incq_deadline(&s->k.q, &t) == 1 && t < d)
                d = t;
        if (status_deadline(&s->st) < d)
                d = status_deadline(&s->st);
        if (kl_deadline(&s->k) < d)
                d = kl_deadline(&s->k);
        if (s->stop_deadline < d)
                d = s->stop_deadline;
        if (ctl_refusals_deadline(s->ctl) < d)
                d = ctl_refusals_deadline(s->ctl);
        if (s->cap && cap_next_deadline(s->cap, &t) == 1 && t < d)
                d = t;
        if (s->vic && vic_next_deadline(s->vic, &t) == 1 && t < d)
                d = t;
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

/* Rewrite the status file (status.h: at most every 200 ms in a burst). */
static struct status_run status_run_of(const struct sup *s)
{
        return (struct status_run){
                .target = s->target_dead ? 0 : s->target, .state = state_name(s->state),
                .list_procs = s->state == S_RUNNING, .restarts = s->restarts, .tree_kills = s->k.tree_kills,
                .last_bundle = s->k.last_bundle,
        };
}

static void write_status(struct sup *s, bool force)
{
        struct status_run run = status_run_of(s);

        if (status_write(&s->st, &run, force, now_ms()))
                arm_timer(s);
}

static void on_event_written(void *userdata, const char *name, const char *event_json)
{
        struct sup *s = userdata;

        if (s->r.tl)
                (void)tl_event(s->r.tl, now_ms(), name, event_json);
        write_status(s, false);
}

/* The child exists: this run's tree, victims and kills start now. */
static void target_spawned(void *ud, pid_t pid, bool exec_failed)
{
        struct sup *s = ud;

        s->target = pid;
        s->k.target = pid;
        s->exec_failed = exec_failed;
        tree_start_run(s->tree, s->target);
        vic_start_run(s->vic);
}

static int start_target(struct sup *s)
{
        struct launch_result res;
        int r;

        dd_start_run(&s->r.dd, s->restarts == 0);

        kl_start_run(&s->k);
        (void)cg_reset_peak(s->r.cg);
        s->target_dead = false;

        r = launch_start(&s->launch, s->restarts + 1, &s->k.base, now_ms(), &res);
        if (r < 0)
                return r;
        if (res.exec_failed)
                s->status = res.status;
        else
                cap_start_run(s->cap, s->target, now_ms());
        s->state = S_RUNNING;
        arm_timer(s);
        return 0;
}

/* ---- the agents: registrations, channels, requests -------------------------------- */

static void tree_hello(void *ud, const struct tree_proc *p, const struct ac_state *st)
{
        struct sup *s = ud;

        launch_on_hello(&s->launch, s->target, p, st);
        cap_on_hello(s->cap, p, st, now_ms());
}

static void tree_reply(void *ud, const struct tree_proc *p, const struct ac_reply *r)
{
        struct sup *s = ud;

        cap_on_reply(s->cap, p, r);
}

static void tree_exec(void *ud, const struct tree_proc *p)
{
        struct sup *s = ud;

        cap_on_exec(s->cap, p);
}

static void check_oom_counter(struct sup *s, bool from_event);

static void tree_gone(void *ud, const struct tree_proc *p)
{
        struct sup *s = ud;

        /* an OOM victim's channel may hang up before the kernel's record
         * or the counter is read: read them first, they may mark p */
        if (p->end != TREE_KILLED) {
                vic_on_kmsg(s->vic, now_ms());
                check_oom_counter(s, false);
        }
        say(&s->log, 2, "pid %d (%s) %s", (int)p->pid, p->cmd, p->end == TREE_KILLED ? "was OOM-killed" : "exited");
        cap_process_gone(s->cap, p);
        write_status(s, false);
}

/* capture took a memory sample: the status, the metrics and the run record
 * follow it */
static void on_sampled(void *ud, const struct cap_sample *m, uint64_t now)
{
        struct sup *s = ud;
        uint64_t peak;

        launch_note_exe(&s->launch, s->target_dead ? 0 : s->target);
        met_usage(s->r.met, m->usage);
        if (s->r.tl)
                tl_sample(s->r.tl, now, m->usage);
        /* without OOM notifications (v1 in own mode) the counter is read with
         * each sample, so a kill of another process of the tree is seen too */
        if (cg_event_fd(s->r.cg) < 0 && kl_counter_rose(&s->k))
                check_oom_counter(s, true);
        {
                struct status_run run = status_run_of(s);
                if (status_sampled(&s->st, &run, m->usage, now))
                        arm_timer(s);
        }
        if (cg_peak(s->r.cg, &peak) < 0)
                peak = 0;
        rr_sample(s->r.rr, m->usage, m->anon, m->file, peak);
}

static void on_channel(struct sup *s, unsigned slot)
{
        tree_on_channel(s->tree, slot, now_ms());
        arm_timer(s);
}

static void client_done(void *ud, int client, bool ok, const char *text)
{
        struct sup *s = ud;

        ctl_client_answer(s->ctl, client, ok, text);
}

static void log_refusals(struct sup *s, bool flush)
{
        char line[256];

        if (ctl_refusals(s->ctl, now_ms(), flush, line, sizeof(line)) > 0)
                say(&s->log, 0, "%s", line);
}

static void on_control(struct sup *s, unsigned idx)
{
        ctl_on_listen(s->ctl, idx);
        log_refusals(s, false);
        arm_timer(s);
}

/* The status file as it is now, for a "status" request. */
static void reply_status(struct sup *s, int slot)
{
        char *buf = NULL;
        int r;

        if (s->state == S_RUNNING && !s->target_dead)
                cap_sample(s->cap, true, now_ms());     /* the processes as they are now */
        write_status(s, true);
        r = status_read(&s->st, CTL_MSG_MAX, &buf);
        ctl_client_answer(s->ctl, slot, r == 0, r == 0 ? buf : "the status file cannot be read");
        free(buf);
}

static void on_client(struct sup *s, int slot)
{
        pid_t pid = 0;
        int r = ctl_client_request(s->ctl, slot, &pid);

        if (r == CTL_WHERE)
                ctl_client_answer(s->ctl, slot, true, s->r.dd.path);
        else if (r == CTL_STATUS)
                reply_status(s, slot);
        else if (r <= 0)
                ctl_client_answer(s->ctl, slot, false, r == 0 ? "unknown request" : NULL);
        if (r <= 0 || r == CTL_WHERE || r == CTL_STATUS)
                return;
        ctl_client_wait(s->ctl, slot);
        if (s->state != S_RUNNING || s->target_dead) {
                ctl_client_answer(s->ctl, slot, false, "the target is not running");
                return;
        }
        (void)cap_request(s->cap, CAP_CLIENT, pid, slot, r == CTL_DUMP_BASELINE, now_ms());
        arm_timer(s);
}

/* a dump stays: the memory as it is now, before its events */
static void dump_kept(void *ud)
{
        struct sup *s = ud;

        if (s->state == S_RUNNING && !s->target_dead)
                cap_sample(s->cap, false, now_ms());
}

static void dump_changed(void *ud)
{
        write_status(ud, false);
}

/* ---- an earlier run that ended with its supervisor --------------------------- */

/* The run record says the earlier run was still running when its
 * supervisor ended: that run's bundle (verdict unobserved-kill) is made
 * before the target starts. Returns true when the target's start is taken
 * care of (after the analysis, by previous_reported()); false when there is
 * no bundle to wait for and the caller starts the target. */
static bool report_previous(struct sup *s)
{
        s->state = S_ANALYZING;
        if (kl_bundle_earlier(&s->k, s->r.prev, rr_boot_id(s->r.rr), now_ms()) < 0)
                return false;
        arm_timer(s);
        return true;
}

/* The earlier run's bundle is there (or could not be made, kills.c said
 * which): this run's target starts (unless a stop signal came meanwhile). */
static void previous_reported(void *ud)
{
        struct sup *s = ud;

        /* the moved dumps leave the window before pids are sorted into runs */
        dd_drain(&s->r.dd);
        if (s->stopping) {
                s->state = S_DONE;
                s->status = 128 + SIGTERM;
                return;
        }
        if (start_target(s) < 0) {
                s->status = OW_EXIT_USAGE;
                s->state = S_DONE;
        }
        write_status(s, true);
}

static void after_report(struct sup *s);

/* The kills victim.c named by now (until: see kl_take). */
static void take_kills(struct sup *s, uint64_t until)
{
        if (kl_take(&s->k, s->target_dead, until, now_ms()))
                write_status(s, true);
}

static void decide_verdict(struct sup *s, bool final)
{
        int st = s->wstatus;

        kl_sync(&s->k, now_ms());
        /* every kill named by now goes with the death (or has its bundle) */
        take_kills(s, final ? NO_DEADLINE : now_ms());

        s->verdict = pol_verdict(s->exec_failed, st, kl_target_oom(&s->k), final);
        if (!s->verdict) {
                /* the kernel counts the kill just after sending it: give it a moment */
                s->state = S_VERDICT;
                s->verdict_deadline = now_ms() + VERDICT_GRACE_MS;
                arm_timer(s);
                return;
        }
        s->verdict_deadline = NO_DEADLINE;
        take_kills(s, NO_DEADLINE);
        if (strcmp(s->verdict, POL_VERDICT_OOM) != 0 && kl_death_not_oom(&s->k, now_ms()))
                write_status(s, true);
        if (!s->exec_failed)
                s->status = pol_exit_status(st);

        kl_say_death(&s->k, s->verdict, st, s->status, s->stopping, s->exec_failed,
                     s->launch.exe ? s->launch.exe : s->cfg->argv[0]);

        /* what the target left behind in its cgroup goes with it */
        (void)cg_signal_all(s->r.cg, SIGKILL);

        if (!s->exec_failed && pol_wants_report(s->cfg->report_on, s->verdict, s->status)) {
                rr_target_ended(s->r.rr, s->verdict, true);
                struct kl_end e = {
                        .verdict = s->verdict, .wstatus = s->wstatus, .died = s->died, .died_wall = s->died_wall,
                        .env = &s->r.env, .exe = s->launch.exe, .build_id = s->launch.build_id,
                        .agent_said = s->launch.agent_said, .tl = s->r.tl,
                };
                dd_drain(&s->r.dd);
                kl_bundle_end(&s->k, &e, now_ms());
        } else {
                rr_target_ended(s->r.rr, s->verdict, false);
        }
        (void)rr_flush(s->r.rr, false);
        if (!incq_idle(&s->k.q)) {
                s->state = S_ANALYZING;
                arm_timer(s);
                return;
        }
        after_report(s);
}

static void after_report(struct sup *s)
{
        uint64_t delay;
        int own = s->status;

        cap_keep_everything(s->cap, false);
        if (!s->exec_failed)
                s->status = pol_exit_status_tree(own, s->k.tree_kills, s->stopping);
        kl_say_run(&s->k, own, s->status, s->exec_failed);
        s->target = 0;
        if (!pol_restart(s->cfg->restart, s->verdict, s->status, s->exec_failed, s->stopping, s->restarts,
                         s->cfg->max_restarts)) {
                s->state = S_DONE;
                return;
        }
        delay = pol_restart_delay(s->cfg->restart_delay_ms, s->restarts, MAX_RESTART_DELAY_MS);
        s->restarts++;
        met_restart(s->r.met);
        evt_restart(s->r.evt, s->restarts, s->cfg->max_restarts, delay);
        say(&s->log, 0, "restarting in %llu ms (restart %u of %u)", (unsigned long long)delay, s->restarts,
            s->cfg->max_restarts);
        s->restart_deadline = now_ms() + delay;
        s->state = S_RESTART_WAIT;
        arm_timer(s);
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
                        cap_keep_everything(s->cap, true);
                        cap_end_run(s->cap);
                        clock_gettime(CLOCK_MONOTONIC, &s->died);
                        clock_gettime(CLOCK_REALTIME, &s->died_wall);
                        decide_verdict(s, false);
                } else if (incq_reaped(&s->k.q, pid, st, now_ms())) {
                        if (s->state == S_ANALYZING && incq_idle(&s->k.q))
                                after_report(s);
                        else
                                arm_timer(s);
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
                        if (s->state == S_RUNNING)
                                cap_keep_everything(s->cap, true);
                        /* fall through */
                case SIGUSR2:
                        if (s->target > 0 && !s->target_dead) {
                                say(&s->log, 1, "forwarding signal %d to pid %d", sig, (int)s->target);
                                (void)kill(s->target, sig);
                                if (sig != SIGUSR2 && s->cfg->stop_timeout_ms && s->stop_deadline == NO_DEADLINE) {
                                        s->stop_deadline = now_ms() + s->cfg->stop_timeout_ms;
                                        arm_timer(s);
                                }
                        }
                        break;
                case SIGUSR1:
                        if (s->state == S_RUNNING && !s->target_dead)
                                (void)cap_request(s->cap, CAP_USR1, 0, -1, false, now_ms());
                        else
                                say(&s->log, 0, "no dump for SIGUSR1: the target is not running");
                        arm_timer(s);
                        break;
                default:
                        break;
                }
        }
}

static void check_oom_counter(struct sup *s, bool from_event)
{
        int r = kl_check(&s->k, from_event, s->target > 0 && !s->target_dead, now_ms());

        if (r < 0)
                return;
        /* the usage falls now: thresholds may re-arm */
        if (r > 0 && s->state == S_RUNNING && !s->target_dead)
                cap_sample(s->cap, true, now_ms());
        if (s->state == S_VERDICT && kl_target_oom(&s->k)) {
                s->verdict_deadline = NO_DEADLINE;
                decide_verdict(s, true);
        }
        arm_timer(s);
}

static void on_cgroup(struct sup *s)
{
        cg_event_drain(s->r.cg);
        check_oom_counter(s, true);
        if (s->state == S_RUNNING) {
                take_kills(s, now_ms());
                arm_timer(s);
        }
}

static void on_kmsg(struct sup *s)
{
        vic_on_kmsg(s->vic, now_ms());
        if (s->state == S_RUNNING)
                take_kills(s, now_ms());
        arm_timer(s);
}

static void on_timer(struct sup *s)
{
        uint64_t ticks, now = now_ms();

        if (read(s->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                say(&s->log, 1, "timerfd: %m");
        if (s->verdict_deadline <= now && s->state == S_VERDICT) {
                s->verdict_deadline = NO_DEADLINE;
                decide_verdict(s, true);
        }
        if (incq_expire(&s->k.q, now))
                say(&s->log, 0, "the analysis takes too long; stopping it");
        if (status_deadline(&s->st) <= now)
                write_status(s, true);
        if (kl_deadline(&s->k) <= now)
                check_oom_counter(s, false);
        if (s->stop_deadline <= now) {
                s->stop_deadline = NO_DEADLINE;
                if (s->target > 0 && !s->target_dead) {
                        say(&s->log, 0, "the target did not stop within %llu ms of the signal: killing its cgroup",
                            (unsigned long long)s->cfg->stop_timeout_ms);
                        (void)cg_signal_all(s->r.cg, SIGKILL);
                }
        }
        if (ctl_refusals_deadline(s->ctl) <= now)
                log_refusals(s, false);
        vic_on_timer(s->vic, now);
        if (s->state == S_RUNNING)
                take_kills(s, now);
        /* the status follows what capture did (nothing due: no rewrite, or
         * each forced write would schedule the next one, for ever) */
        if (cap_on_timer(s->cap, now))
                write_status(s, false);
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

/* memory.oom.group exists on v2 only; it is 0 unless someone sets it (a
 * container runtime on the container's cgroup, a test, the administrator) */
static bool oom_group_possible(const struct cg *cg)
{
        return cg_version(cg) != 1;
}

int supervise(struct run_opts *o)
{
        struct sup s = {
                .o = o, .cfg = &o->cfg, .log = { o->verbosity },
                .ep = -1, .sfd = -1, .tfd = -1,
                .verdict_deadline = NO_DEADLINE, .restart_deadline = NO_DEADLINE,
                .stop_deadline = NO_DEADLINE, .status = OW_EXIT_USAGE,
        };
        sigset_t mask;
        int r, kmsg_err = 0;
        unsigned n_left = 0;

        sigfillset(&mask);
        status_init(&s.st, s.cfg, &s.log);
        launch_init(&s.launch, s.cfg, &s.log);
        kl_init(&s.k, s.cfg, &s.log);
        s.k.host = s.r.host;
        s.k.earlier_done = previous_reported;
        s.k.ud = &s;
        s.launch.spawned = target_spawned;
        s.launch.ud = &s;
        s.st.dd = &s.r.dd;
        s.st.env = &s.r.env;
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        r = rs_open(&s.r, o, &s.log, &s.launch.agent_env);
        s.st.evt = s.r.evt;
        s.st.rr = s.r.rr;
        s.st.cg = s.r.cg;
        s.st.met = s.r.met;
        for (char **d = s.r.resumed; d && *d; d++) {
                evt_report(s.r.evt, *d, NULL, 0, -1);
                free(s.k.last_bundle);
                s.k.last_bundle = strdup(*d);
        }
        if (r < 0)
                goto out;
        evt_on_event(s.r.evt, on_event_written, &s);

        s.ep = epoll_create1(EPOLL_CLOEXEC);
        s.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s.ep < 0 || s.sfd < 0 || s.tfd < 0) {
                r = -errno;
                fprintf(stderr, "oomwatch: event set-up failed: %s\n", strerror(-r));
                goto out;
        }
        s.launch.cg = s.r.cg;
        s.launch.evt = s.r.evt;
        s.launch.rr = s.r.rr;
        s.launch.env = &s.r.env;
        s.launch.agent = s.r.agent_path != NULL;
        s.launch.epoll_fd = s.ep;
        s.launch.rv_tag = EV_RENDEZVOUS;
        /* an earlier run that ended with its supervisor: all its dumps
         * are its bundle's (which of them were rungs died with it) */
        bool earlier = s.r.prev && strcmp(s.r.prev->state, RR_RUNNING) == 0;
        r = dd_watch(&s.r.dd, s.cfg, s.r.evt, s.r.met, s.r.rr, earlier);
        if (r < 0)
                goto out;
        rr_set_window(s.r.rr, s.r.dd.win, dd_of_this_run, &s.r.dd);
        rr_set_timeline(s.r.rr, s.r.tl);
        if (s.r.prev)
                n_left = uo_drop_leftovers(s.r.prev, s.r.dd.win);
        if (n_left)
                say(&s.log, 1, "removed %u dumps an earlier run left (its end needed no bundle)", n_left);
        kl_init_queue(&s.k, s.r.dd.win, &s.r.ictx);

        {
                struct tree_params tp = {
                        .epoll_fd = s.ep, .epoll_tag = EV_CHANNEL, .max_channels = launch_channels_max(), .cg = s.r.cg,
                        .hooks = { .hello = tree_hello, .reply = tree_reply, .exec = tree_exec, .gone = tree_gone,
                                   .ud = &s },
                };
                struct cap_params cp = {
                        .cfg = s.cfg, .cg = s.r.cg, .evt = s.r.evt, .dump_dir = s.r.dd.path, .epoll_fd = s.ep,
                        .epoll_tag = EV_THRESHOLD, .agent = s.r.agent_path != NULL,
                        .no_agent_why = !s.r.env.has_jemalloc ? (s.r.env.why ? s.r.env.why : "the target has no profiling jemalloc")
                                                            : "the agent is off (profiling.agent) or was not found",
                        .hooks = { .note = note, .client_done = client_done, .sampled = on_sampled, .ud = &s },
                };
                r = tree_new(&tp, &s.tree);
                if (r >= 0) {
                        cp.tree = s.tree;
                        cp.win = s.r.dd.win;
                        r = cap_new(&cp, &s.cap);
                        s.st.tree = s.tree;
                        s.st.cap = s.cap;
                }
                if (r >= 0) {
                        struct dd_hooks dh = { .kept = dump_kept, .changed = dump_changed, .ud = &s };
                        dd_set_capture(&s.r.dd, s.cap, &dh);
                        r = vic_new(cg_rel_path(s.r.cg), s.tree, oom_group_possible(s.r.cg), &s.vic, &kmsg_err);
                }
                if (r < 0) {
                        fprintf(stderr, "oomwatch: %s\n", strerror(-r));
                        goto out;
                }
                if (kmsg_err)
                        say(&s.log, 1, "cannot read /dev/kmsg (%s): OOM victims in the tree are named from what "
                                   "oomwatch sees", strerror(kmsg_err));
        }
        s.k.cg = s.r.cg;
        s.k.tree = s.tree;
        s.k.cap = s.cap;
        s.k.vic = s.vic;
        s.k.dd = &s.r.dd;
        s.k.evt = s.r.evt;
        s.k.met = s.r.met;
        s.k.rr = s.r.rr;
        s.k.limit_from = s.r.limit_from;

        if ((r = epoll_add(s.ep, s.sfd, EV_SIGNAL)) < 0 || (r = epoll_add(s.ep, s.r.dd.inotify_fd, EV_INOTIFY)) < 0 ||
            (r = epoll_add(s.ep, s.tfd, EV_TIMER)) < 0 ||
            (cg_event_fd(s.r.cg) >= 0 && (r = epoll_add(s.ep, cg_event_fd(s.r.cg), EV_CGROUP)) < 0)) {
                fprintf(stderr, "oomwatch: epoll: %s\n", strerror(-r));
                goto out;
        }
        if (vic_fd(s.vic) >= 0 && (r = epoll_add(s.ep, vic_fd(s.vic), EV_KMSG)) < 0) {
                /* not the kernel's log (a container's stand-in): observation only */
                say(&s.log, 1, "cannot watch /dev/kmsg: %s; OOM victims in the tree are named from what oomwatch sees",
                    strerror(-r));
                vic_no_kmsg(s.vic);
        }

        {
                char *warn = NULL;
                r = ctl_listen(s.r.svid, s.r.dd.state_fd, &s.ctl, &warn);
                if (r < 0)
                        say(&s.log, 0, "warning: no control socket (oomwatch dump and status will not reach this "
                                   "supervisor): %s", warn ? warn : strerror(-r));
                else if (warn)
                        say(&s.log, 0, "warning: control socket: %s", warn);
                free(warn);
                r = ctl_serve(s.ctl, s.ep, EV_CONTROL, EV_CLIENT);
                if (r < 0)
                        say(&s.log, 0, "warning: epoll on the control socket: %s", strerror(-r));
        }

        if (s.r.prev && s.r.prev->bundle_in_progress && access(s.r.prev->bundle_in_progress, F_OK) != 0)
                say(&s.log, 0, "warning: the earlier run's bundle \"%s\" was being written when its supervisor ended",
                    s.r.prev->bundle_in_progress);
        /* the earlier bundle (if queued) pinned its dumps: rotation is free now */
        bool reporting = earlier && report_previous(&s);
        win_hold(s.r.dd.win, false);
        if (!reporting) {
                r = start_target(&s);
                if (r < 0)
                        goto out;
        }
        /* only now: the earlier run's report has read what its cgroup counted */
        cgs_reclaim(s.r.cg, s.cfg, &s.log);
        /* what set-up allocated and freed goes back: the supervisor lives long */
        (void)malloc_trim(0);
        write_status(&s, true);
        {
                struct fp_drop d;

                if (fp_drop_setup_pages(&d) == 0)
                        say(&s.log, 2, "set-up done: %lu KiB of program and library pages unmapped (%u mappings)",
                            d.kib, d.mappings);
        }
        while (s.state != S_DONE) {
                struct epoll_event evs[16];
                int n = epoll_wait(s.ep, evs, 16, -1);

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
                        case EV_INOTIFY: dd_drain(&s.r.dd); break;
                        case EV_CGROUP: on_cgroup(&s); break;
                        case EV_TIMER: on_timer(&s); break;
                        case EV_RENDEZVOUS:
                                launch_on_rendezvous(&s.launch, s.tree);
                                arm_timer(&s);
                                break;
                        case EV_CHANNEL: on_channel(&s, idx); break;
                        case EV_CONTROL: on_control(&s, idx); break;
                        case EV_CLIENT: on_client(&s, (int)idx); break;
                        case EV_THRESHOLD:
                                cap_on_threshold_fd(s.cap, idx, now_ms());
                                write_status(&s, false);   /* after the dump request */
                                arm_timer(&s);
                                break;
                        case EV_KMSG: on_kmsg(&s); break;
                        }
                }
        }
        r = 0;
        write_status(&s, true);
out:
        kl_free(&s.k);
        log_refusals(&s, true);
        ctl_close(s.ctl);
        launch_close(&s.launch);
        cap_free(s.cap);
        tree_free(s.tree);
        vic_free(s.vic);
        rs_close(&s.r);
        if (s.ep >= 0)
                close(s.ep);
        if (s.sfd >= 0)
                close(s.sfd);
        if (s.tfd >= 0)
                close(s.tfd);
        return r < 0 ? OW_EXIT_USAGE : s.status;
}
