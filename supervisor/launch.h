/* launch: a start of the target, and what the supervisor knows of the
 * program it runs.
 *
 *   launch_start()   resolve target.user / target.group, make the agent's
 *                    rendezvous for this run (agentctl.h; without one the
 *                    agent's variables are made inert), spawn the target
 *                    into its cgroup (spawn.h), register the rendezvous in
 *                    the loop's epoll; then say it, write the start event
 *                    and the run record's start, or, when exec failed, say
 *                    why and write the exit event (exec-failed).
 *   launch_on_rendezvous()  agents register their channels: each one goes
 *                    to the tree (tree_attach), at most 256 a call; the
 *                    rendezvous closes when nobody holds the tree's end.
 *   launch_on_hello() what the target's agent says of itself (ready, no
 *                    jemalloc, profiling off, ...), said once for each change.
 *   launch_note_exe() the program the target runs now (a wrapper may have
 *                    exec'd another; /proc/PID/exe) and its build-id, read
 *                    again only when the path changes; the run record
 *                    follows.
 *
 * The fields above "private" are set by the caller before the first
 * start (borrowed) or read by it. Functions return >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentctl.h"
#include "config.h"
#include "say.h"

struct cg;
struct cg_counters;
struct evt;
struct rr;
struct te_plan;
struct tree;
struct tree_proc;

#define LAUNCH_CHANNELS_MAX 4096   /* agent channels at the most (one fd each) */

struct launch {
        const struct ow_config *cfg;
        const struct say *log;
        struct cg *cg;
        struct evt *evt;
        struct rr *rr;
        const struct te_plan *env;
        struct ac_child_env agent_env;  /* filled by te_plan */
        bool agent;                     /* the agent is preloaded: a rendezvous per run */
        int epoll_fd;
        unsigned rv_tag;                /* the rendezvous's epoll data */
        /* the child exists (exec_failed: its exec failed), before the start
         * is said and its events written: the loop's run starts there */
        void (*spawned)(void *ud, pid_t pid, bool exec_failed);
        void *ud;
        /* the program the target runs now, NULL / "" unknown (launch_note_exe) */
        char *exe;
        char build_id[84];
        enum ac_kind agent_said;        /* the target's agent's last state said (AC_NO_HELLO: none yet) */
        /* private */
        int rv_fd;
        bool channels_full_said;
};

struct launch_result {
        pid_t pid;
        bool exec_failed;        /* then status is `oomwatch run`'s exit status (126, 127, ...) */
        int status;
};

/* Nothing open yet. */
void launch_init(struct launch *l, const struct ow_config *cfg, const struct say *log);
/* Start run number run (1: the first); at_spawn: the cgroup's counters
 * now, for the run record. Returns 0 with *ret (the child exists, also
 * when its exec failed); -errno when there is no child (an unknown user,
 * fork failed), with the reason printed. */
int launch_start(struct launch *l, unsigned run, const struct cg_counters *at_spawn, uint64_t now_ms,
                 struct launch_result *ret);
void launch_on_rendezvous(struct launch *l, struct tree *tree);
/* pid: the target, 0 when it is not running (nothing is read). */
void launch_note_exe(struct launch *l, pid_t pid);
/* An agent said hello (tree.h): the target's state is said once for each
 * change (agent_said), another process's only with -vv. */
void launch_on_hello(struct launch *l, pid_t target, const struct tree_proc *p, const struct ac_state *st);
/* How many agent channels the tree may hold: half the fd limit, at most
 * LAUNCH_CHANNELS_MAX (every channel is an fd: room for the rest). */
unsigned launch_channels_max(void);
void launch_close(struct launch *l);
