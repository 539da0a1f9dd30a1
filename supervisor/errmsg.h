/* errmsg: the message of a function that returns -errno and says why
 * through a char **ret_err (cgroup.h, incident.h, reportdir.h).
 *
 * err_set() replaces *ret_err (freed) with the formatted message
 * (malloc'd, owned by the caller; NULL when out of memory), does nothing
 * when ret_err is NULL, and returns r, so that a failure is one line:
 *     return err_set(ret_err, -ENOENT, "\"%s\": no such cgroup", path); */
#pragma once

int err_set(char **ret_err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
