/* Where a process is in the memory cgroup hierarchy, and what limit it
 * really has: the pure part of the cgroup module, tested alone
 * (tests/unit/test_cglocate.c). Nothing here writes anything.
 *
 * cgl_locate() reads the texts of /proc/self/mountinfo and
 * /proc/self/cgroup (passed in, so tests feed fixtures) and finds the
 * memory hierarchy's mount and the cgroup's directory under it:
 * - cgroup v1 (a "cgroup" mount whose options name "memory") wins over a
 *   cgroup2 mount, as on hybrid hosts where memory is on v1 and an empty
 *   v2 sits at /sys/fs/cgroup/unified;
 * - a mount's root need not be the hierarchy's root: Docker on a v1 host
 *   bind-mounts the container's own cgroup (root /docker/<id>) at
 *   /sys/fs/cgroup/memory while /proc/self/cgroup shows the host's path;
 *   the directory is then the mount point plus the path below that root;
 * - in a cgroup namespace (Kubernetes and Docker on v2) both show "/".
 *
 * cgl_effective_limit() walks from a cgroup directory up to the mount
 * point and returns the smallest limit on the way (v2 memory.max, v1
 * memory.limit_in_bytes): the limit at which the kernel OOM-kills in that
 * cgroup, whichever ancestor sets it. Ancestors above the mount (outside
 * a container's cgroup namespace) cannot be seen and are not counted.
 *
 * Functions return >= 0 or -errno; returned strings are malloc'd and owned
 * by the caller. Nothing is logged. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* A limit at or above this is "no limit" (v1 shows 2^63 - 4096 for none). */
#define CGL_UNLIMITED (1ULL << 62)

struct cgl_location {
        int version;     /* 1 or 2 */
        char *mount;     /* the hierarchy's mount point, e.g. /sys/fs/cgroup/memory */
        char *rel;       /* the cgroup below the mount, "/" or "/a/b" (no trailing '/') */
        char *path;      /* mount + rel: the cgroup's directory */
        char *hier;      /* the cgroup as /proc/PID/cgroup names it (in a cgroup
                          * namespace: relative to the namespace's root) */
};

/* Find the memory hierarchy and the cgroup of the process whose
 * /proc/PID/mountinfo and /proc/PID/cgroup texts are given. -ENODEV: no
 * memory hierarchy is mounted; -ENOENT: the process's cgroup is not
 * below any mount of it (the mount shows another part of the hierarchy);
 * -EINVAL: a text is malformed. */
int cgl_locate(const char *mountinfo, const char *proc_cgroup, struct cgl_location *ret);

void cgl_location_free(struct cgl_location *l);

/* The smallest memory limit of the cgroup directory dir and its ancestors
 * up to and including mount (dir must be mount or below it). version
 * picks the file names. *ret_bytes: the limit, or 0 when no cgroup on the
 * way has one; *ret_where (may be NULL): the directory that sets it, NULL
 * when none does. A limit file that is missing (the root cgroup has none)
 * is skipped; one that cannot be read or parsed is an error (-errno,
 * -EINVAL). */
int cgl_effective_limit(const char *mount, const char *dir, int version, uint64_t *ret_bytes, char **ret_where);

/* Read a small text file (cap bytes at most) into a malloc'd NUL-terminated
 * string. */
int cgl_read_text(const char *path, size_t cap, char **ret);
