/* The termination log: a short summary of the last bundle where a container
 * runtime shows it. Kubernetes reads the file named by the container's
 * terminationMessagePath (default /dev/termination-log, at most 4096 bytes)
 * when the container ends and shows it in `kubectl describe pod`.
 *
 * The summary comes from the head of the bundle's report.txt (verdict,
 * target, limit, peak, the top growing functions) and ends with the
 * bundle's directory; it replaces the file's content. Nothing is logged. */
#pragma once

#include "config.h"

#define TLOG_DEFAULT_PATH "/dev/termination-log"
#define TLOG_MAX_BYTES 4096

/* Where the summary goes for this configuration: report.termination_log,
 * or with auto TLOG_DEFAULT_PATH when it exists; NULL for none. Static or
 * owned by cfg. */
const char *tlog_path(const struct ow_config *cfg);

/* Write the summary of the bundle in bundle_dir to path. Returns the bytes
 * written, or -errno (the bundle's report.txt cannot be read, the file
 * cannot be written). */
int tlog_write(const char *path, const char *bundle_dir);

/* The summary itself into buf (len bytes, NUL-terminated, at most
 * TLOG_MAX_BYTES used), from report.txt's text. Returns its length. */
size_t tlog_compose(const char *report_txt, const char *bundle_dir, char *buf, size_t len);
