/* A run that ended with its supervisor (verdict unobserved-kill): the facts
 * of its bundle, from the run record it left (runrecord.h) and, where that
 * run's cgroup still exists and is the same cgroup on the same boot, its
 * OOM counters now against those at the target's start.
 *
 * uo_fill() fills the facts of b (the caller zeroed it and set b->cfg);
 * strings in b point into p, which must outlive b, except b->exe (malloc'd,
 * freed by bundle_free). boot_id: this boot's (/proc/sys/kernel/random/
 * boot_id), NULL when unknown. Returns 0 or -ENOMEM. Nothing is logged. */
#pragma once

#include "bundle.h"
#include "runrecord.h"

struct tl;

int uo_fill(const struct rr_prev *p, const char *boot_id, struct bundle *b);

/* The earlier run's whole bundle, for the queue (incident.h): the facts
 * (uo_fill), the dumps of its target in w (inc_collect), its timeline
 * (*ret_tl, malloc'd or NULL; the caller frees it once the bundle is made).
 * Returns 0, or -ENOMEM with b freed. */
struct win;
int uo_bundle(const struct rr_prev *p, const char *boot_id, const struct win *w, struct bundle *b,
              struct tl **ret_tl);

/* An earlier run whose end was handled (state "between" or "ended") and
 * whose dumps are no bundle's evidence: they are dropped from w before this
 * run's target starts, whose dumps may get the same names (a PID namespace
 * gives it the same pid). Dumps a failed bundle left (keep_dumps) and those
 * of a bundle in the making stay. Returns how many went. */
unsigned uo_drop_leftovers(const struct rr_prev *p, struct win *w);

/* The earlier run's usage series from its record, as a timeline for the
 * bundle's incident page (timeline.h): its start, the samples it kept and,
 * at the last of them, its end as b (filled by uo_fill) tells it: an OOM
 * kill mark when the counters rose, else an exit mark "last seen (CAUSE)".
 * *ret is malloc'd (free() it); NULL when the record kept no samples.
 * Returns 0 or -ENOMEM. */
int uo_timeline(const struct rr_prev *p, const struct bundle *b, struct tl **ret);

/* RFC 3339 UTC ("YYYY-mm-ddTHH:MM:SS[.mmm]Z") to a CLOCK_REALTIME time.
 * Returns 0 or -EINVAL. */
int uo_parse_time(const char *s, struct timespec *ret);
