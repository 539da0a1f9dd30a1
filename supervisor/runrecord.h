/* The run record: the small on-disk record of a run that lets the next start
 * finish a run that died with its supervisor (a group OOM kill, a node's
 * kill, SIGKILL of oomwatch), so that the verdict then rests on facts.
 *
 * Files, in the directory whose fd the caller passes (the dump directory's
 * state directory, <dump dir>/.oomwatch/, which only the supervisor writes):
 *   oomwatch-run.lock   held with flock(LOCK_EX | LOCK_NB) for the life of the
 *                       supervisor: one supervisor per dump directory; a
 *                       record found "running" while we hold it is a dead run's
 *   oomwatch-run.json   the record, rewritten through .oomwatch-run.json.tmp
 *                       and renameat() (readers never see half of it); no
 *                       fsync: it must outlive processes, not the machine
 *
 * The record (one JSON object, common/json), schema 1:
 *   schema        1
 *   state         "running"  a target runs (the last thing written before a
 *                            death nobody saw)
 *                 "between"  the target's end was handled (its bundle, if one
 *                            was wanted, is made or being made; a restart may
 *                            be due)
 *                 "ended"    the supervisor exited normally
 *   updated       RFC 3339 UTC of this write
 *   run_id        32 hex digits, random per supervisor
 *   supervisor    {pid, host, boot_id, started}
 *   target        {pid, argv [...], exe, build_id, started, run (1 = first
 *                 start), verdict (null while it runs), bundle_wanted}
 *   cgroup        {version, mode ("child" | "own"), path (its directory),
 *                 container (as /proc/self/cgroup names it), id (inode of
 *                 the directory), memory_limit, limit_from,
 *                 at_spawn {oom_kill, oom_group_kill, oom}}
 *   last          the newest memory sample: {time, usage, anon, file, peak},
 *                 or null before the first
 *   dumps         [names of this target's dumps in the dump directory]
 *   bundles       [directories of the bundles this supervisor made]
 *   bundle_in_progress  the directory of a bundle being written, or null
 *   keep_dumps    true when a bundle was wanted and could not be made: the
 *                 dumps stay as evidence
 *   samples       the usage series of this target's run, for a plot:
 *                 {start: RFC 3339 UTC of t = 0 (the target's start),
 *                  t_ms: [ms since start, ascending], usage: [bytes]}
 *                 (same length): the points of the supervisor's timeline
 *                 (timeline.h, which keeps the samples) since this target
 *                 started, at most RR_MAX_SAMPLES of them (every k-th when
 *                 there are more, the newest always), so the series covers
 *                 the whole run evenly. Points come from the samples the
 *                 supervisor takes anyway (dumps, thresholds, v2 polling),
 *                 never a timer of its own; the newest is also in `last`.
 *
 * Nothing is written before the first rr_target_started(): a supervisor that
 * fails at set-up leaves an earlier record (and the bundle it is owed) as it
 * was. Writes: rr_flush() writes when something changed; rr_sample() writes at
 * most every RR_WRITE_MIN_MS (a later flush writes what was held back). The
 * "dumps" list is read from the window given to rr_set_window() each time.
 * Errors are counted (rr_write_errors) and the caller reports them once.
 * Functions return >= 0 or -errno; nothing is logged. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "window.h"

#define RR_FILE "oomwatch-run.json"
#define RR_LOCK_FILE "oomwatch-run.lock"
#define RR_MAX_SAMPLES 512
#define RR_WRITE_MIN_MS 100
#define RR_MAX_BYTES (1 << 20)

#define RR_RUNNING "running"
#define RR_BETWEEN "between"
#define RR_ENDED "ended"

struct rr_counters {
        uint64_t oom_kill, oom_group_kill, oom;
};

/* What an earlier supervisor left, as read back. Strings malloc'd (NULL when
 * absent); freed with rr_prev_free. */
struct rr_prev {
        char *state, *run_id, *updated;
        pid_t sup_pid;
        char *host, *boot_id;
        pid_t target_pid;
        char **argv;               /* NULL-terminated, or NULL */
        char *exe, *build_id, *target_started, *verdict;
        unsigned run;
        int cg_version;
        char *cg_mode, *cg_path, *container, *limit_from;
        uint64_t cg_id, memory_limit;
        struct rr_counters at_spawn;
        bool at_spawn_valid;
        bool last_valid;
        char *last_time;
        uint64_t usage, anon, file, peak;
        char **dumps;              /* names, NULL-terminated (never NULL) */
        size_t n_dumps;
        char *bundle_in_progress;
        bool keep_dumps;
        char *samples_start;       /* RFC 3339 UTC of t = 0 */
        uint64_t *sample_t_ms, *sample_usage;
        size_t n_samples;
};

void rr_prev_free(struct rr_prev *p);

/* Parse a record's text (len bytes). Returns 0, -EINVAL with *ret_err
 * (malloc'd) for a text that is not a record of schema 1. */
int rr_parse(const char *text, size_t len, struct rr_prev **ret, char **ret_err);

struct rr;

/* Take the dump directory (dir_fd, borrowed; must stay open): the lock,
 * then the previous record if there is one. -EBUSY when another live
 * supervisor holds the lock (*ret_holder: its pid from its record, or 0).
 * *ret_prev: NULL when there is no record; a record that cannot be used
 * (not a regular file of ours, too big, unparsable) is also NULL, with the
 * reason in *ret_warn (malloc'd). run_id is made here. */
int rr_claim(int dir_fd, struct rr **ret, struct rr_prev **ret_prev, pid_t *ret_holder, char **ret_warn);

/* Write the final state and free (the lock goes with the fd). Safe with NULL. */
void rr_close(struct rr *r, const char *final_state);

/* The supervisor's side (set once). */
void rr_set_supervisor(struct rr *r, const char *host);

/* The cgroup's facts (set at start and whenever they change). */
struct rr_cgroup {
        int version;
        const char *mode, *path, *container, *limit_from;
        uint64_t id, memory_limit;
};
void rr_set_cgroup(struct rr *r, const struct rr_cgroup *c);

/* A target started: the run's target facts, its counters at spawn; the
 * sample series, last sample, dumps and verdict start again. Writes. */
void rr_target_started(struct rr *r, pid_t pid, char *const *argv, unsigned run, const struct rr_counters *at_spawn,
                       uint64_t now_ms);
/* The target's program (it may change by exec). */
void rr_set_exe(struct rr *r, const char *exe, const char *build_id);

/* The newest memory sample (`last`); written at most every RR_WRITE_MIN_MS
 * of real time. Its place in the series is the timeline's (tl_sample()
 * first, then this). */
void rr_sample(struct rr *r, uint64_t usage, uint64_t anon, uint64_t file, uint64_t peak);

/* Something the record shows changed (a dump came): written with the next
 * sample or flush (a dump storm must not mean a write per dump). */
void rr_changed(struct rr *r);

/* The target's end was handled: state "between", its verdict; bundle_wanted
 * tells the next start whether its leftover dumps are evidence. */
void rr_target_ended(struct rr *r, const char *verdict, bool bundle_wanted);
/* A bundle is being written into dir (NULL: none any more); made: its
 * final directory, when it was made. keep_dumps: a wanted bundle failed. */
void rr_bundle(struct rr *r, const char *in_progress, const char *made, bool keep_dumps);

/* Where "dumps" comes from: the dumps in w (borrowed) of the processes
 * keep() accepts (all when keep is NULL). */
typedef bool (*rr_keep_fn)(void *userdata, pid_t pid);
void rr_set_window(struct rr *r, const struct win *w, rr_keep_fn keep, void *userdata);

/* Where "samples" comes from: the points of t (borrowed; NULL: none) since
 * the time rr_target_started() was given. */
struct tl;
void rr_set_timeline(struct rr *r, const struct tl *t);

/* Rewrite the record now if anything changed, or always with force. */
int rr_flush(struct rr *r, bool force);

unsigned rr_write_errors(const struct rr *r);
const char *rr_run_id(const struct rr *r);
const char *rr_boot_id(const struct rr *r);   /* this boot's id, NULL unknown */
