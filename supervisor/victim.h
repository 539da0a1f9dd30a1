/* Which process each OOM kill in the target's cgroup took.
 *
 * Two sources, the first that knows wins:
 *   kmsg      the kernel's own record (kmsg.h): pid, task name, anon-rss;
 *             the kill is ready once its "Killed process" line was read, or
 *             VIC_ANON_WAIT_MS after its "oom-kill:" line;
 *   observed  when /dev/kmsg cannot be read (no CAP_SYSLOG, a container) or
 *             did not name the kill within VIC_KMSG_GRACE_MS of the cgroup's
 *             counter rising: the process of the tree that was dying (SIGKILL
 *             pending, exiting) or vanished then, the largest by its last
 *             sampled anonymous memory (tree_guess_victim), or none.
 * The cgroup's oom_kill counter says how many kills there were; every one
 * of them yields exactly one vic_kill (pid 0 when nobody could be named).
 * With memory.oom.group = 1 the kernel kills the whole cgroup: the members
 * come as kills with group set, after the chosen victim.
 *
 * The tree is told (tree_mark_killed) as soon as a victim is known, so
 * that its dumps stay for its bundle. Nothing here logs. Functions return
 * >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kmsg.h"
#include "tree.h"

#define VIC_ANON_WAIT_MS 100
#define VIC_KMSG_GRACE_MS 100
#define VIC_GROUP_WAIT_MS 30      /* a kill waits this long when a group kill is possible */
#define VIC_OBSERVED_WITHIN_MS 2000

struct vic_kill {
        pid_t pid;                   /* 0: nobody could be named */
        char task[KMSG_TASK_MAX];    /* the kernel's task name, or "" */
        uint64_t anon_rss;           /* bytes; 0: unknown */
        const char *source;          /* "kmsg" or "observed" (static) */
        bool group;                  /* a member of a group kill, not its chosen victim */
        uint64_t when_ms;            /* CLOCK_MONOTONIC ms it became known */
};

struct vic;

/* ours: the cgroup's path (cg_rel_path). group_possible: memory.oom.group
 * may be 1 (cgroup v2). Opens /dev/kmsg when it can; *ret_kmsg_err gets
 * the reason it could not (0 when it could). Returns 0 or -ENOMEM. */
int vic_new(const char *ours, struct tree *tree, bool group_possible, struct vic **ret, int *ret_kmsg_err);
void vic_free(struct vic *v);

/* /dev/kmsg's fd for epoll, or -1 without it. */
int vic_fd(const struct vic *v);

/* Do without /dev/kmsg (it could not be watched): observation only. */
void vic_no_kmsg(struct vic *v);

/* A new run: kills before it are not ours. */
void vic_start_run(struct vic *v);

/* /dev/kmsg is readable (or just look now). */
void vic_on_kmsg(struct vic *v, uint64_t now_ms);

/* The cgroup's oom_kill counter has risen to kills since the run began. */
void vic_on_counter(struct vic *v, uint64_t kills, uint64_t now_ms);

/* The earliest deadline: 1 and *ret_ms, or 0; vic_on_timer acts on it. */
int vic_next_deadline(const struct vic *v, uint64_t *ret_ms);
void vic_on_timer(struct vic *v, uint64_t now_ms);

/* Take the next kill whose facts are complete. Returns 1 and fills *ret, or 0. */
int vic_next(struct vic *v, struct vic_kill *ret, uint64_t now_ms);

/* Kills named so far in this run (by either source). */
uint64_t vic_named(const struct vic *v);

/* Records /dev/kmsg lost (overwritten before they were read). */
uint64_t vic_kmsg_lost(const struct vic *v);
