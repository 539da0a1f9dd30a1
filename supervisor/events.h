/* What the supervisor tells the world while it runs:
 *
 * - the event log (report.events = FILE, or "-" for stderr): one JSON object
 *   per line, {"ts":"<UTC>","event":"<name>",...}, for start, dump, rotate,
 *   threshold, oom, exit, restart and report; ready for journald, Loki or
 *   any log shipper.
 * - the status file, <dump dir>/oomwatch-status.json, rewritten through a
 *   temporary file and rename() so readers never see half of it; what
 *   `oomwatch status` prints.
 *
 * Nothing here blocks for long or logs; write errors are counted and the
 * caller may report them once. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define EVT_STATUS_FILE "oomwatch-status.json"

struct evt;

/* path: NULL (no event log), "-" (stderr) or a file, opened for append.
 * dir_fd: the dump directory, where the status file goes (borrowed).
 * Returns 0 or -errno (the log could not be opened). */
int evt_open(const char *path, int dir_fd, struct evt **ret);
void evt_close(struct evt *e);

/* Append one event. fields: a printf format producing the members after
 * "event" — already JSON, starting with ',' or empty; use evt_json_str()
 * for strings. The event also becomes the status's last_event. */
void evt_emit(struct evt *e, const char *event, const char *fields_fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write s as a JSON string literal into buf; returns buf. Truncates
 * (keeping the quotes) when len is too small. */
char *evt_json_str(const char *s, char *buf, size_t len);

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
};

/* Rewrite the status file now. Returns 0 or -errno. */
int evt_write_status(struct evt *e, const struct evt_status *st);

/* UTC "YYYY-mm-ddTHH:MM:SS.mmmZ" of now into buf (at least 32 bytes). */
char *evt_utc_now(char *buf, size_t len);
