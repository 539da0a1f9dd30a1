/* The supervisor's pure decisions: what a death was (the verdict), what
 * `oomwatch run` exits with, whether it gets a bundle, whether and when the
 * target starts again. No state, no I/O: tested alone (tests/unit/test_policy.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define POL_VERDICT_OOM "oom-kill"
#define POL_VERDICT_SIGNAL "signal"
#define POL_VERDICT_EXIT "exit"
#define POL_VERDICT_EXEC_FAILED "exec-failed"
/* the run ended together with its supervisor (a group OOM kill, SIGKILL of
 * oomwatch, a node's kill): found in the run record at the next start */
#define POL_VERDICT_UNOBSERVED "unobserved-kill"

/* What the counters of that run's cgroup say about an unobserved end */
#define POL_CAUSE_GROUP_OOM "oom-group-kill"  /* memory.events oom_group_kill rose */
#define POL_CAUSE_OOM "oom-kill"              /* the oom_kill counter rose */
#define POL_CAUSE_NO_OOM "no-oom-counted"     /* the counters are there and did not rise */
#define POL_CAUSE_UNKNOWN "unknown"           /* the cgroup is gone (or is another one) */

/* The verdict on a death with wait status wstatus. oom_counted: the
 * cgroup's oom-kill counter rose by more than the kills already put down to
 * other processes. An OOM kill is SIGKILL *and* a counted kill. final: no
 * more waiting; without it a SIGKILL whose kill is not counted yet returns
 * NULL (the kernel counts the kill just after sending it: look again
 * shortly). Returns one of the POL_VERDICT_* strings (static), or NULL. */
const char *pol_verdict(bool exec_failed, int wstatus, bool oom_counted, bool final);

/* The cause of an unobserved end: seen, whether the run's cgroup still
 * showed its counters; the rises of oom_kill and oom_group_kill since the
 * target's start. Returns a POL_CAUSE_* string (static). */
const char *pol_unobserved_cause(bool seen, uint64_t oom_kill_rise, uint64_t group_kill_rise);

/* Child mode under an ancestor with a limit of its own: what the target's
 * cgroup gets. Room is kept between the target's limit and the ancestor's
 * for oomwatch, its analysis and the bundle's page cache (POL_HEADROOM, or
 * a quarter of a smaller ancestor's limit), so that the target's own
 * cgroup is the one the kernel OOM-kills in.
 *   POL_LIMIT_FITS    -m leaves that room (or no ancestor has a limit)
 *   POL_LIMIT_TIGHT   -m is below the ancestor's limit but leaves less room
 *   POL_LIMIT_CAPPED  -m is at or above it: the target gets the ancestor's
 *                     limit less the room
 * *ret_limit: the limit for the target's cgroup; *ret_room: the room. */
#define POL_HEADROOM (64ULL << 20)
enum pol_limit { POL_LIMIT_FITS, POL_LIMIT_TIGHT, POL_LIMIT_CAPPED };
enum pol_limit pol_child_limit(uint64_t requested, uint64_t ancestor, uint64_t *ret_limit, uint64_t *ret_room);

/* The exit status for wstatus: the code, or 128 + the signal. */
int pol_exit_status(int wstatus);

/* Does a death with this verdict and exit status get a bundle? */
bool pol_wants_report(enum cfg_report_on on, const char *verdict, int status);

/* Does the target start again? restarts: how many restarts were made. */
bool pol_restart(enum cfg_restart policy, const char *verdict, int status, bool exec_failed, bool stopping,
                 unsigned restarts, unsigned max_restarts);

/* The delay before restart number restarts + 1: base doubled per restart
 * made, at most cap. */
uint64_t pol_restart_delay(uint64_t base_ms, unsigned restarts, uint64_t cap_ms);

/* The status `oomwatch run` exits with when the target ended with status
 * and tree_kills processes of its tree (not the target) were OOM-killed
 * during the run: POL_EXIT_TREE_OOM (137, as for the target's own OOM kill)
 * when the target exited 0 by itself (a wrapper that does not exec, and so
 * would hide the kill behind 0); the target's own status otherwise, also
 * when it ended because oomwatch forwarded a stop signal (stopping: a
 * pre-fork master stopped by SIGTERM exits with its own status; its
 * workers' kills have their bundles and log lines). */
#define POL_EXIT_TREE_OOM 137
int pol_exit_status_tree(int status, unsigned tree_kills, bool stopping);

/* Bundles for OOM kills of processes other than the target: at most limit
 * in any window_ms, and POL_MAX_TREE_BUNDLES per run. The state is the
 * times of the last bundles allowed; zero-initialize it. */
#define POL_RATE_MAX 64
#define POL_MAX_TREE_BUNDLES 100
struct pol_rate {
        uint64_t t[POL_RATE_MAX];  /* ring of the times allowed */
        unsigned n, head;
        unsigned total;
};

/* Is one more bundle allowed now? When it is, it is counted. limit is
 * capped at POL_RATE_MAX; limit 0 allows none. */
bool pol_rate_allow(struct pol_rate *r, unsigned limit, uint64_t window_ms, uint64_t now_ms);
