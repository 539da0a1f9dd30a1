/* Prometheus metrics: report.metrics = FILE, a node_exporter textfile
 * (text exposition format 0.0.4) that the supervisor rewrites from what it
 * already knows, never on a timer of its own:
 *
 *   oomwatch_oom_kills_total{command}       counter, by the victim's command
 *   oomwatch_restarts_total                 counter
 *   oomwatch_dumps_written_total            counter
 *   oomwatch_dumps_rotated_total            counter
 *   oomwatch_bundles_total{verdict}         counter
 *   oomwatch_memory_usage_bytes             gauge, the last usage sample
 *   oomwatch_memory_limit_bytes             gauge
 *   oomwatch_start_time_seconds             gauge, when this supervisor started
 *   oomwatch_last_bundle_timestamp_seconds  gauge (absent before the first)
 *   oomwatch_last_bundle_growth_bytes       gauge, heap growth in the last bundle's diff
 *   oomwatch_top_grower_info{function,file,verdict}  1: the last bundle's top grower
 *
 * Every series carries dump_dir="<the dump directory>", which tells one
 * supervisor's file from another's on the same host. Label values are
 * escaped as the format wants (\\ \" \n) and bytes that are not UTF-8
 * become U+FFFD. The file is written to FILE.tmp and renamed over FILE, so
 * the collector never reads half of it; mode 0644 (node_exporter runs as
 * another user).
 *
 * The met_* updates only change counters and gauges in memory; met_write
 * writes the file (the supervisor calls it where it rewrites its status
 * file). A NULL struct met (no report.metrics) makes every call a no-op.
 * Functions return 0 or -errno; nothing here logs. */
#pragma once
#include <stdint.h>
#include <time.h>

struct met;

/* path: the textfile, or NULL for none (*ret = NULL). dump_dir: the value
 * of the dump_dir label (copied). Nothing is written yet. */
int met_open(const char *path, const char *dump_dir, uint64_t memory_limit, struct met **ret);
void met_close(struct met *m);

/* victim: the killed process's command (NULL: "unknown") */
void met_oom_kill(struct met *m, const char *victim);
void met_restart(struct met *m);
void met_dump_written(struct met *m);
void met_dump_rotated(struct met *m);
void met_usage(struct met *m, uint64_t usage);

/* A bundle was written at `when` with verdict; its incident.json (in dir)
 * gives the top grower and the growth. An unreadable incident.json leaves
 * the top grower as it was and returns its error. */
int met_bundle(struct met *m, const char *dir, const char *verdict, time_t when);

/* Rewrite the file from the current values. */
int met_write(struct met *m);
