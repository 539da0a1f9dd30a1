/* What the supervisor tells the world while it runs:
 *
 * - the event log (report.events): one JSON object per line,
 *   {"ts":"<UTC>","event":"<name>",...}, for start, dump, baseline, rotate,
 *   bad_dump, threshold, step, oom, exit, restart and report (the evt_* functions
 *   below say their members), ready for Loki or any log shipper. To a FILE
 *   (appended), to stderr ("-"; with a "<N>" syslog priority before each
 *   line when stderr is journald's stream, JOURNAL_STREAM), or to the
 *   journal itself ("journal", journal.h): MESSAGE is the JSON line, PRIORITY
 *   the event's, OOMWATCH_EVENT its name and OOMWATCH_<MEMBER> each member.
 *   Priorities: warning for oom, bad_dump and an exit that is a failure,
 *   err for exec-failed, notice for report and restart, info otherwise.
 * - the status file, status.json in the supervisor's own directory inside
 *   the dump directory (statedir.h), rewritten through a temporary file
 *   created anew (fs_create_file) and rename() so readers never see half of
 *   it; what `oomwatch status` prints.
 *
 * Nothing here blocks for long or logs; write errors are counted and the
 * caller may report them once. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "json.h"

#define EVT_STATUS_FILE "status.json"
#define EVT_JOURNAL "journal"      /* report.events value: the systemd journal */

struct evt;

/* path: NULL (no event log), "-" (stderr), "journal" or a file, opened for
 * append; for the journal, -errno of the connection to its socket.
 * dir_fd: the supervisor's state directory, where the status file goes
 * (borrowed).
 * Returns 0 or -errno (the log could not be opened). */
int evt_open(const char *path, int dir_fd, struct evt **ret);
void evt_close(struct evt *e);

/* Begin one event: returns the writer of the event's object, positioned
 * after "ts" and "event", for the caller's members (json_kv_*() from
 * json.h); evt_end() writes the line. NULL (which json_* accept) when e is
 * NULL. One event at a time. The event also becomes the status's
 * last_event. */
struct json_writer *evt_begin(struct evt *e, const char *event);
void evt_end(struct evt *e);
/* The syslog priority (LOG_ERR ... LOG_DEBUG) of the event being written,
 * when it is not the default of its name. */
void evt_priority(struct evt *e, int prio);

/* The events, each a call (strings borrowed; NULL strings are null):
 *   start      pid, command, cgroup, memory_limit, run, runtime, profiling[, why]
 *   dump       path (absolute), pid, seq, kind (i, m, u, f), bytes
 *   baseline   path, pid: the dump that is the process's baseline from now on
 *   rotate     path: a dump the window deleted
 *   bad_dump   path: named like a dump, not a heap profile
 *   threshold  percent, usage
 *   step       level, usage: the usage rose a step (cgroup.usage_step) to
 *              level (a multiple of the step); a dump follows
 *   oom        pid (0: null, with scope "cgroup": another process of the tree), oom_kills
 *   exit       pid, verdict, status[, error]
 *   restart    attempt, max, delay_ms
 *   report     dir, verdict, pid[, ms] */
struct evt_start {
        pid_t pid;
        const char *command, *cgroup, *runtime, *why;
        uint64_t memory_limit;
        unsigned run;
        bool profiling;
};
void evt_start(struct evt *e, const struct evt_start *st);
void evt_dump(struct evt *e, const char *path, pid_t pid, uint64_t seq, char kind, uint64_t bytes);
void evt_baseline(struct evt *e, const char *path, pid_t pid);
void evt_rotate(struct evt *e, const char *path);
void evt_bad_dump(struct evt *e, const char *path);
void evt_threshold(struct evt *e, unsigned percent, uint64_t usage);
void evt_step(struct evt *e, uint64_t level, uint64_t usage);
void evt_oom(struct evt *e, pid_t pid, uint64_t oom_kills);
void evt_exit(struct evt *e, pid_t pid, const char *verdict, int status, const char *error);
void evt_restart(struct evt *e, unsigned attempt, unsigned max, uint64_t delay_ms);
/* ms < 0: not given */
void evt_report(struct evt *e, const char *dir, const char *verdict, pid_t pid, long ms);

/* Call fn(userdata, name, event) after each event is written, with the
 * event's name and JSON object (valid for the call): the supervisor
 * refreshes its status file and metrics there, and keeps its timeline. One
 * listener; NULL removes it. */
typedef void (*evt_listener_fn)(void *userdata, const char *name, const char *event_json);
void evt_on_event(struct evt *e, evt_listener_fn fn, void *userdata);

/* One process of the target's tree in the status file. */
struct evt_proc {
        pid_t pid, ppid;
        const char *command;
        uint64_t rss, anon;         /* bytes at the last sample */
        unsigned dumps;             /* in the window */
        const char *agent;          /* "ready", "inactive", "nojemalloc", ..., "none" (no channel) */
        bool target;
};

/* The state the status file shows. Strings are borrowed for the call. */
struct evt_status {
        pid_t supervisor, target;
        const char *state;          /* "running", "analyzing", "restart-wait", "done" */
        char *const *argv;
        const char *cgroup;
        int cgroup_version;
        uint64_t memory_limit, usage;
        unsigned dumps, restarts;
        uint64_t dump_bytes;
        const unsigned *thresholds_passed;
        unsigned n_thresholds_passed;
        const char *dump_dir, *last_bundle;
        /* whether the target has a heap profile, and why not */
        bool profiling;
        const char *runtime;        /* runtime.h's rt_kind_name(), or NULL */
        const char *profiling_why;  /* !profiling: why, or NULL */
        const struct evt_proc *procs;   /* the largest first */
        unsigned n_procs, n_procs_total;
        unsigned tree_oom_kills;        /* processes of the tree other than the target OOM-killed */
};

/* Rewrite the status file now. Returns 0 or -errno. */
int evt_write_status(struct evt *e, const struct evt_status *st);

/* UTC "YYYY-mm-ddTHH:MM:SS.mmmZ" of now into buf (at least 32 bytes). */
char *evt_utc_now(char *buf, size_t len);
