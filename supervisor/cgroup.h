/* The target's memory cgroup: the only user of libcgroup. Hides the
 * differences between cgroup v1 (memory controller on its own hierarchy)
 * and v2 (unified hierarchy) behind one interface.
 *
 * The cgroup is created as "oomwatch.<supervisor pid>" under the parent
 * (default: the supervisor's own memory cgroup) and must be destroyed
 * with cg_destroy() on every exit path.
 *
 * v2: the own cgroup is the "0::" line of /proc/self/cgroup. cg_create
 * makes sure the parent gives its children the memory controller
 * ("+memory" in its cgroup.subtree_control). The kernel allows that only
 * for a cgroup without processes of its own, so when the supervisor is the
 * only process in its own cgroup it first moves itself into the leaf
 * "<parent>/oomwatch.<pid>.sup"; cg_destroy moves it back and removes the
 * leaf (see cgroup.c for when the leaf stays). Another process in the
 * parent, no permission or no memory controller there: -EBUSY, -EACCES,
 * -EOPNOTSUPP with a message, and no cgroup for the target.
 *
 * Functions return >= 0 on success and -errno on failure; libcgroup's
 * ECG* codes are converted here and nowhere else. Nothing is logged;
 * cg_open/cg_create describe failures through *ret_err (malloc'd, owned
 * by the caller). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cg;

struct cg_counters {
        uint64_t oom_kill;   /* processes killed by the OOM killer in this cgroup */
        uint64_t oom;        /* times the limit was hit and reclaim failed */
};

/* Find the memory hierarchy, its version and the parent cgroup.
 * parent: path relative to the memory mount, or NULL for our own. A given
 * parent must exist: -ENOENT (or -ENOTDIR) otherwise, nothing is created. */
int cg_open(const char *parent, struct cg **ret, char **ret_err);

/* Create the cgroup with the given limit and swap allowance (0: none).
 * Also opens the notification fd (cg_event_fd). */
int cg_create(struct cg *c, uint64_t limit, uint64_t swap, char **ret_err);

int cg_version(const struct cg *c);          /* 1 or 2 */
const char *cg_path(const struct cg *c);      /* absolute directory */

/* An O_WRONLY|O_CLOEXEC fd of cgroup.procs: a forked child writes "0"
 * to it to move itself in before execve (on v2 spawn.c forks straight
 * into the cgroup of this file with clone3 where the kernel can). Owned by c. */
int cg_procs_fd(const struct cg *c);

/* fd to poll (EPOLLIN) for memory events: v1 an eventfd registered for
 * memory.oom_control, v2 an inotify fd watching memory.events. Call
 * cg_event_drain() when readable, then cg_counters(). Owned by c. */
int cg_event_fd(const struct cg *c);
void cg_event_drain(struct cg *c);

int cg_counters(const struct cg *c, struct cg_counters *ret);

/* Memory usage now, and the peak since cg_reset_peak() (or creation).
 * -ENODATA where the kernel keeps no peak (v2 before Linux 5.19).
 * v2 resets memory.peak only since Linux 6.12 (cg_reset_peak then
 * returns -EOPNOTSUPP and the peak stays the one since creation). */
int cg_usage(const struct cg *c, uint64_t *ret);
int cg_peak(const struct cg *c, uint64_t *ret);
int cg_reset_peak(struct cg *c);

/* One numeric field of memory.stat ("anon", "file", v1 "rss", "cache"). */
int cg_stat_field(const struct cg *c, const char *name, uint64_t *ret);

/* A usage threshold: an fd that becomes readable once usage crosses
 * bytes. v1: eventfd on memory.usage_in_bytes; -EOPNOTSUPP on v2.
 * The fd is owned by the caller. */
int cg_threshold_fd(struct cg *c, uint64_t bytes);

/* Number of processes in the cgroup (0 = empty), or -errno. */
int cg_count_procs(const struct cg *c);

/* Send sig to every process in the cgroup. Returns how many were signalled. */
int cg_signal_all(const struct cg *c, int sig);

/* Kill everything in the cgroup, wait (bounded, about 2 s) until it is
 * empty, reaping any exited children of the caller meanwhile, remove it,
 * and free c. Safe with c == NULL. Returns 0, or -errno
 * when the directory could not be removed (it is still freed). */
int cg_destroy(struct cg *c);

/* Free c without touching the cgroup (for a forked child). */
void cg_forget(struct cg *c);
