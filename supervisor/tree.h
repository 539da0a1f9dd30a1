/* The target's process tree: who exists, who has an agent channel, who
 * holds the memory, who was killed.
 *
 * Fed by the loop: the agents' registrations (tree_attach, from the
 * rendezvous), their channels (tree_on_channel), samples of the cgroup's
 * processes and their memory (tree_sample: cgroup.procs, then
 * /proc/PID/statm and, for the largest, cmdline), and the kernel's word on
 * who was OOM-killed (tree_mark_killed). What it learns goes back through
 * the hooks, synchronously, from inside the call that learned it.
 *
 * Cost: O(live processes). A process that exits (its channel hangs up and
 * /proc says it is gone or a zombie, or a sample no longer lists it) is
 * freed at once, channel closed; only the last TREE_RECENT_MAX exited
 * processes are remembered (those that held the most memory win), for the
 * bundle of a victim and for "the process that grew".
 *
 * Channels: at most max_channels (each an fd of the supervisor); a process
 * registering past that gets none and is reported once. A new registration
 * of a pid that has a channel is a new program image (an exec): the old
 * channel is closed, the hooks' exec() runs, then the new one is used.
 *
 * The gone hook may call tree_mark_killed() for the pid it is told about
 * (the kernel's record read just then); p shows the change. No other tree
 * call may be made from a hook.
 *
 * Nothing here logs. Pointers to struct tree_proc are valid until the next
 * tree call that adds or removes a process (tree_attach, tree_on_channel,
 * tree_sample, tree_mark_killed, tree_expire). Functions return >= 0 or
 * -errno; outputs are left untouched on failure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentctl.h"

#define TREE_CMD_MAX 256        /* bytes of a command line kept */
#define TREE_RECENT_MAX 16      /* exited processes remembered */
#define TREE_SAMPLE_MAX 4096    /* processes read per sample; the rest are counted only */

enum tree_end {
        TREE_ALIVE,
        TREE_EXITED,     /* gone by itself (or a signal other than the OOM killer's) */
        TREE_KILLED,     /* the OOM killer's victim */
};

struct tree_proc {
        pid_t pid;
        pid_t ppid;              /* 0: unknown */
        char cmd[TREE_CMD_MAX];  /* command line (NULs as blanks), or the kernel's task name */
        char *exe;               /* the executable's path, or NULL when unknown */
        bool has_channel;
        enum ac_kind agent;      /* the channel's last hello; AC_NO_HELLO without one */
        uint64_t rss, anon;      /* bytes at the last sample (anon: resident - file - shmem) */
        uint64_t anon_peak;      /* largest anon sampled */
        uint64_t sampled_ms;     /* CLOCK_MONOTONIC ms of the last sample; 0: never */
        uint64_t ended_ms;       /* when it was seen gone; 0 while alive */
        enum tree_end end;
        bool is_target;
        /* capture.c's, per process: when its baseline is due (UINT64_MAX: not) */
        uint64_t baseline_due;
};

struct tree_hooks {
        /* a hello arrived on p's channel (st: its new state) */
        void (*hello)(void *ud, const struct tree_proc *p, const struct ac_state *st);
        /* a request to p completed (answered, failed, timed out) */
        void (*reply)(void *ud, const struct tree_proc *p, const struct ac_reply *r);
        /* p's channel closed while p lives on: it exec'd another program
         * (or closed the fd itself); its dumps were of the old image */
        void (*exec)(void *ud, const struct tree_proc *p);
        /* p is gone (end says how); called before it moves to the recent list */
        void (*gone)(void *ud, const struct tree_proc *p);
        void *ud;
};

/* Is pid in the target's cgroup? (tests replace the /proc check) */
typedef bool (*tree_member_fn)(void *ud, pid_t pid);

struct tree_params {
        int epoll_fd;                /* channels are added here with EPOLLIN ... */
        unsigned epoll_tag;          /* ... and data.u64 = tag | slot << 8 */
        unsigned max_channels;       /* >= 1 */
        const struct cg *cg;         /* the target's cgroup (cgroup.procs); NULL: no sampling */
        tree_member_fn member;       /* NULL: /proc/PID/cgroup names cg's path */
        void *member_ud;
        struct tree_hooks hooks;
};

struct tree;

/* Returns 0 and a new tree in *ret, or -ENOMEM / -EINVAL. p is copied. */
int tree_new(const struct tree_params *p, struct tree **ret);

/* Closes every channel; NULL is fine. */
void tree_free(struct tree *t);

/* A new run of the target: every process and channel of the last one is
 * forgotten (channels closed), and pid is the target. */
void tree_start_run(struct tree *t, pid_t target);

/* A registration from the rendezvous (ac_rv_receive): fd, the channel's
 * end, is taken over (closed on every error). Returns 1 when adopted as
 * pid's channel, 0 when refused (pid not in the cgroup; too many channels:
 * then *ret_full is set), or -errno. */
int tree_attach(struct tree *t, pid_t pid, int fd, bool *ret_full);

/* The channel in slot (from the epoll data) is readable: runs the hooks for
 * what came (hello, replies, and exec or gone on hangup). Stale slots are
 * ignored. */
void tree_on_channel(struct tree *t, unsigned slot, uint64_t now_ms);

/* Send op to pid's channel. Returns 0 with *ret_id; -ESRCH (no such live
 * process), -ENOTCONN (it has no channel), or ac_request()'s errors
 * (-EOPNOTSUPP: its agent cannot serve; ac_state_reason() says why, see
 * tree_reason()). */
int tree_request(struct tree *t, pid_t pid, enum ac_op op, uint64_t now_ms, uint64_t *ret_id);

/* Why pid cannot serve requests, for humans (static or tree-owned text). */
const char *tree_reason(const struct tree *t, pid_t pid);

/* Earliest request deadline of any channel: 1 and *ret_ms, or 0. */
int tree_next_deadline(const struct tree *t, uint64_t *ret_ms);

/* Fail the requests past their deadline (the reply hook runs). */
void tree_expire(struct tree *t, uint64_t now_ms);

/* Read the cgroup's processes and their memory now. Processes that are no
 * longer listed and have no channel are gone (hook). Returns the number of
 * live processes, or -errno (cgroup.procs unreadable: nothing changed). */
int tree_sample(struct tree *t, uint64_t now_ms);

/* Track pid (seen by other means, e.g. a dump it wrote) if it is in the
 * cgroup and not known yet, so that its end is noticed by the next sample.
 * Returns 1 if it is (now) known alive, 0 if not in the cgroup or gone. */
int tree_track(struct tree *t, pid_t pid, uint64_t now_ms);

/* Mark pid OOM-killed (the kernel said so, or the supervisor concluded
 * it). A pid not known is recorded from task (the kernel's name) and
 * anon_rss. The process itself moves to the recent list when it is seen
 * gone. Returns the record (valid as described at the top). */
const struct tree_proc *tree_mark_killed(struct tree *t, pid_t pid, const char *task, uint64_t anon_rss);

/* The process the OOM killer most likely took, when the kernel did not
 * say: a live one that is dying (SIGKILL pending, exiting, zombie), else
 * one gone within the last within_ms and not marked yet; the largest by
 * anon at its last sample. Returns it, or NULL. */
const struct tree_proc *tree_guess_victim(struct tree *t, uint64_t now_ms, uint64_t within_ms);

/* Alive: /proc/PID/stat exists and it is neither a zombie nor exiting. */
bool tree_proc_alive(pid_t pid);

/* A process by pid, alive or among the recent; NULL when unknown. */
const struct tree_proc *tree_find(const struct tree *t, pid_t pid);

/* Live processes, in no particular order: tree_get(i) for i < tree_count(). */
size_t tree_count(const struct tree *t);
const struct tree_proc *tree_get(const struct tree *t, size_t i);

/* The recent exited processes, newest first. */
size_t tree_recent_count(const struct tree *t);
const struct tree_proc *tree_recent(const struct tree *t, size_t i);

/* Set pid's baseline_due (capture.c's field). Returns 0 or -ESRCH. */
int tree_set_baseline_due(struct tree *t, pid_t pid, uint64_t due_ms);

/* Forget a recent process (its bundle was made, or it is of no interest). */
void tree_forget(struct tree *t, pid_t pid);

/* Processes listed by the last sample beyond TREE_SAMPLE_MAX, and
 * registrations refused because every channel was in use. */
unsigned tree_unsampled(const struct tree *t);
uint64_t tree_refused_channels(const struct tree *t);

/* Does pid run on, with no SIGKILL pending and not exiting? (An OOM victim
 * has SIGKILL pending or is exiting by the time the counter rises.) */
bool tree_pid_running(pid_t pid);

/* ---- pure helpers (tested alone) ------------------------------------------------- */

/* /proc/PID/statm text -> resident and anonymous bytes. Returns 0 or -EINVAL. */
int tree_parse_statm(const char *text, uint64_t page_size, uint64_t *ret_rss, uint64_t *ret_anon);

/* /proc/PID/cgroup text: is the process in the memory cgroup rel (or
 * below it)? version 1: the line of the memory controller; 2: the "0::"
 * line. */
bool tree_cgroup_has(const char *proc_cgroup, const char *rel, int version);

/* /proc/PID/stat text -> ppid, state letter, and whether it is exiting
 * (PF_EXITING). Returns 0 or -EINVAL. */
int tree_parse_stat(const char *text, pid_t *ret_ppid, char *ret_state, bool *ret_exiting);

/* /proc/PID/cmdline bytes (n) -> a printable line in buf (NULs as blanks,
 * control bytes as '?', trailing blanks cut). */
void tree_format_cmdline(const char *raw, size_t n, char *buf, size_t len);
