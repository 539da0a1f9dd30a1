/* The target's memory cgroup: the only user of libcgroup. Hides the
 * differences between cgroup v1 (memory controller on its own hierarchy)
 * and v2 (unified hierarchy) behind one interface.
 *
 * The cgroup is created as "oomwatch.<svid>" under the parent (default:
 * the supervisor's own memory cgroup; svid.h: the supervisor's pid, with
 * its PID namespace outside the initial one) and must be destroyed with
 * cg_destroy() on every exit path. The supervisor holds an flock on it
 * while it lives; cg_reclaim() removes the ones of supervisors that are
 * gone.
 *
 * v2: the own cgroup is the "0::" line of /proc/self/cgroup. cg_create
 * makes sure the parent gives its children the memory controller
 * ("+memory" in its cgroup.subtree_control). The kernel allows that only
 * for a cgroup without processes of its own, so when the supervisor is the
 * only process in its own cgroup it first moves itself into the leaf
 * "<parent>/oomwatch.<svid>.sup"; cg_destroy moves it back and removes the
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
        uint64_t oom_group_kill; /* v2: group OOM kills (memory.oom.group = 1); 0 on v1 */
};

/* Find the memory hierarchy, its version and the parent cgroup.
 * parent: path relative to the memory mount, or NULL for our own. A given
 * parent must exist: -ENOENT (or -ENOTDIR) otherwise, nothing is created. */
int cg_open(const char *parent, struct cg **ret, char **ret_err);

/* Own-cgroup mode: the cgroup the supervisor itself is in (found from
 * /proc/self/mountinfo and /proc/self/cgroup, also inside a container's
 * cgroup namespace or below a v1 bind mount). Nothing is created or
 * written, ever: not the limit, not an eventfd registration, not a peak
 * reset. cg_procs_fd() is -1 (the target stays where it is forked);
 * cg_event_fd() is the v2 memory.events inotify fd, or -1 (v1, or when it
 * cannot be watched); cg_threshold_fd() and cg_reset_peak() give
 * -EOPNOTSUPP; cg_signal_all() and cg_destroy() reach only the caller's
 * descendants (the target's tree: children and orphans reparented to the
 * caller), never the caller or processes that entered the cgroup from
 * outside. Fails, with *ret_err, when the usage or the OOM counter of the
 * cgroup cannot be read. */
int cg_open_own(struct cg **ret, char **ret_err);
bool cg_is_own(const struct cg *c);

/* The smallest memory limit of the cgroup the target runs under and its
 * ancestors (as far up as the mount shows): in own mode of the cgroup and
 * its ancestors, in child mode of the parent and its ancestors (the limit
 * the target's own cgroup gets comes on top). *ret_bytes = 0 when none has
 * a limit; *ret_where (malloc'd, or NULL) the directory that sets it. */
int cg_ancestor_limit(const struct cg *c, uint64_t *ret_bytes, char **ret_where);

/* The target's cgroup as the hierarchy names it ("/kubepods/.../<id>", or
 * "/" inside a cgroup namespace): the "container" of incident.json. */
const char *cg_hierarchy_path(const struct cg *c);

/* The cgroup's id: the inode number of its directory (on v2 the kernel's
 * cgroup id, the same inside and outside a cgroup namespace); 0 unknown. */
uint64_t cg_id(const struct cg *c);

/* Does the kernel tell about usage thresholds (cg_threshold_fd works)?
 * v1 in child mode only; otherwise the caller reads cg_usage() itself. */
bool cg_usage_notify(const struct cg *c);
/* Remove the stale cgroups under the parent: "oomwatch.<svid>" (and v2
 * leaves "oomwatch.<svid>.sup") of supervisors that are gone (nobody holds
 * the lock a live one holds) when no process is in them. Stale ones that
 * still hold processes are left, and named in *ret_report (malloc'd, or
 * NULL when there is nothing to say). Returns how many were removed. */
int cg_reclaim(struct cg *c, char **ret_report);

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

/* The counters of the cgroup directory dir (a cgroup of an earlier run),
 * when it still exists and, with id != 0, is the same cgroup (the inode of
 * its directory): -ESTALE when it is another one, -ENOENT when gone. */
int cg_counters_at(const char *dir, int version, uint64_t id, struct cg_counters *ret);

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

/* Usage thresholds whose registration does not wait: each registration
 * waits in the kernel for an RCU grace period (tens of ms on a busy host,
 * hundreds under load), which an event loop must not. ret_fds[i] becomes
 * an eventfd for bytes[i] (-1 where bytes[i] is 0); a short-lived child
 * process, which first closes every other fd it inherited, registers them
 * and exits. *ret_pidfd (-1 when no child was needed) becomes readable when
 * it is done: then the caller reads the usage once more (a threshold the
 * usage passed before its registration stays silent) and calls
 * cg_threshold_helper_done(); at exit, cg_threshold_helper_end() for one
 * still running. The fds are the caller's. Returns 0, -EOPNOTSUPP (as
 * cg_threshold_fd), or -errno (no fd is left open then). */
int cg_threshold_fds_async(struct cg *c, const uint64_t *bytes, size_t n, int *ret_fds, int *ret_pidfd);

/* The helper is done (its pidfd was readable): 0 when every registration
 * worked (or the caller's SIGCHLD handling reaped it first), -EIO when one
 * failed, -EAGAIN not yet. The pidfd stays the caller's to close. */
int cg_threshold_helper_done(int pidfd);

/* Kill a helper still running, wait for it to end, close its pidfd. */
void cg_threshold_helper_end(int pidfd);

/* Number of processes in the cgroup (0 = empty), or -errno. */
int cg_count_procs(const struct cg *c);

/* The pids in the cgroup's cgroup.procs: up to max into pids. Returns how
 * many there are (may be more than max), or -errno. */
int cg_list_procs(const struct cg *c, pid_t *pids, size_t max);

/* The cgroup's path relative to its hierarchy's mount, starting with '/'
 * (what /proc/PID/cgroup and the kernel's OOM messages show outside a
 * cgroup namespace). */
const char *cg_rel_path(const struct cg *c);

/* Send sig to every process in the cgroup. Returns how many were signalled. */
int cg_signal_all(const struct cg *c, int sig);

/* Kill everything in the cgroup, wait (bounded, about 2 s) until it is
 * empty, reaping any exited children of the caller meanwhile, remove it,
 * and free c. Safe with c == NULL. Returns 0, or -errno
 * when the directory could not be removed (it is still freed). */
int cg_destroy(struct cg *c);

/* Free c without touching the cgroup (for a forked child). */
void cg_forget(struct cg *c);
