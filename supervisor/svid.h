/* The supervisor's name on the machine: what its cgroup ("oomwatch.<svid>")
 * and its control socket are called.
 *
 * A pid alone is unique only inside its PID namespace: two supervisors that
 * are PID 1 of two containers (a pod's containers share a network namespace,
 * and may share a cgroup parent) would take the same names. The svid is
 *     "<pid>"                    in the initial PID namespace (as before)
 *     "<pid>.<pidns inode>"      in any other,
 * with pid as that namespace sees it. Nothing here logs; functions return
 * >= 0 or -errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SVID_MAX 40                     /* "4194304.18446744073709551615" and NUL fit */
#define SVID_INIT_PIDNS_INO 0xEFFFFFFCU /* the kernel's PROC_PID_INIT_INO */

/* Our own svid into buf (at least SVID_MAX bytes). */
int svid_self(char *buf, size_t len);

/* The svid of process pid (as this process sees it), from /proc/<pid>:
 * the innermost pid of its NSpid line and the inode of its ns/pid.
 * -ESRCH when there is no such process, -EACCES when its namespace
 * cannot be read (another user's process). */
int svid_of_pid(pid_t pid, char *buf, size_t len);

/* Is s a well-formed svid ("<digits>" or "<digits>.<digits>")? */
bool svid_valid(const char *s, size_t len);
