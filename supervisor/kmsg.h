/* The kernel's record of OOM kills, from /dev/kmsg.
 *
 * When a memory cgroup's limit makes the kernel kill, it writes (Linux 4.19
 * and later):
 *     oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=PATH,task_memcg=PATH,task=NAME,pid=PID,uid=UID
 *     Memory cgroup out of memory: Killed process PID (NAME) total-vm:NkB, anon-rss:NkB, ...
 * and, with memory.oom.group = 1, "Tasks in PATH are going to be killed due
 * to memory.oom.group set" and one "Killed process" line per member. The
 * first line comes before the cgroup's oom_kill counter rises, the second
 * just after.
 *
 * The reader opens /dev/kmsg at the end of the ring (history is not ours),
 * non-blocking, and keeps the kills of one cgroup: every "oom-kill:" record
 * whose task_memcg is the cgroup or one below it, completed by the
 * "Killed process" record of the same pid (its anon-rss), and the members of
 * a group kill of that cgroup. The kernel prints the "oom-kill:" line only
 * 10 times per 5 s across the system (the "Killed process" line always): a
 * "Killed process" line that no "oom-kill:" line announced is kept too, as
 * KMSG_BY_PID, for the caller to recognise by its pid. Records overwritten
 * before they were read are counted as lost. Nothing here logs; functions
 * return >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KMSG_TASK_MAX 64        /* bytes of a task name kept (the kernel's comm is 15) */
#define KMSG_QUEUE_MAX 64       /* kills waiting to be taken */

enum kmsg_kind {
        KMSG_OTHER,     /* not a record of interest */
        KMSG_OOM_KILL,  /* "oom-kill:...": memcg, task, pid */
        KMSG_KILLED,    /* "...: Killed process PID (NAME) ... anon-rss:NkB": task, pid, anon_rss */
        KMSG_GROUP,     /* "Tasks in PATH are going to be killed due to memory.oom.group set": memcg */
};

/* One parsed record. memcg points into the parsed text (valid as long as
 * it is), memcg_len bytes, not NUL-terminated. */
struct kmsg_record {
        enum kmsg_kind kind;
        pid_t pid;
        char task[KMSG_TASK_MAX];
        uint64_t anon_rss;         /* bytes; KMSG_KILLED only */
        const char *memcg;         /* KMSG_OOM_KILL: task_memcg; KMSG_GROUP: the group's cgroup */
        size_t memcg_len;
};

/* Parse one /dev/kmsg record ("PRIO,SEQ,TIME,FLAGS;MESSAGE\n" and
 * continuation lines), len bytes. Returns the kind (KMSG_OTHER for anything
 * else, also for a malformed record of a known kind) and fills *ret. Pure. */
enum kmsg_kind kmsg_parse(const char *rec, size_t len, struct kmsg_record *ret);

/* Does the kernel's cgroup path (len bytes) name the cgroup ours (relative
 * to its hierarchy, starting with '/') or one below it? Returns 2 for an
 * exact match from the root, 1 when ours appears at a component boundary
 * after a prefix (the kernel shows the path from the host's root, ours is
 * relative to a cgroup namespace), 0 otherwise. Pure. */
int kmsg_memcg_match(const char *path, size_t len, const char *ours);

/* How a kill was tied to the watched cgroup. */
enum kmsg_match {
        KMSG_BY_CGROUP,         /* its "oom-kill:" line names the cgroup from the root */
        KMSG_BY_CGROUP_SUFFIX,  /* ... after a prefix (another cgroup namespace: pids may not be ours) */
        KMSG_BY_PID,            /* only a "Killed process" line: the kernel rate-limits the
                                 * "oom-kill:" summary (10 per 5 s, system-wide); the caller
                                 * must check the pid is one of its processes */
};

/* A kill of the watched cgroup (or, KMSG_BY_PID, maybe). */
struct kmsg_kill {
        pid_t pid;
        char task[KMSG_TASK_MAX];
        uint64_t anon_rss;      /* bytes, when anon_known */
        bool anon_known;        /* the "Killed process" line was read */
        enum kmsg_match match;
        bool group;             /* a member of a memory.oom.group kill, not the chosen victim */
};

struct kmsg;

/* Open /dev/kmsg for the cgroup ours (cg_rel_path()). Returns 0, or -errno
 * (-EACCES, -EPERM: not readable here, e.g. dmesg_restrict without
 * CAP_SYSLOG; -ENOENT: no /dev/kmsg). */
int kmsg_open(const char *ours, struct kmsg **ret);

/* For epoll (EPOLLIN). */
int kmsg_fd(const struct kmsg *k);

/* Read every record available now (non-blocking), at most a bounded batch.
 * Returns the number of kills of the watched cgroup that became ready to be
 * taken or were completed, or -errno of read. */
int kmsg_read(struct kmsg *k);

/* Take the oldest kill not taken yet. Returns 1 and fills *ret, or 0. A
 * kill is taken as soon as its "oom-kill:" line was read; kmsg_anon() tells
 * later whether its "Killed process" line came. */
int kmsg_next_kill(struct kmsg *k, struct kmsg_kill *ret);

/* anon-rss of a kill already taken or still queued, once its "Killed
 * process" line was read. Returns 1 and sets *ret_bytes, or 0. */
int kmsg_anon(const struct kmsg *k, pid_t pid, uint64_t *ret_bytes);

/* Records lost because the ring overwrote them before they were read. */
uint64_t kmsg_lost(const struct kmsg *k);

void kmsg_free(struct kmsg *k);
