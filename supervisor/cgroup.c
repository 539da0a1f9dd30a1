/* Memory cgroup of the target, v1 and v2, on libcgroup. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <dlfcn.h>
#include <libcgroup.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cglocate.h"

#define PROC_TEXT_MAX (1 << 20)
#include "errmsg.h"
#include "svid.h"

struct cg {
        int version;
        char *mount;      /* memory hierarchy mount point */
        char *parent;     /* parent, relative to mount, starting with '/' */
        char *rel;        /* our cgroup relative to mount */
        char *path;       /* absolute directory */
        int dir_fd;
        int procs_fd;
        int event_fd;     /* v1 eventfd / v2 inotify */
        int oom_ctl_fd;   /* v1: memory.oom_control kept open for the registration */
        int usage_fd;     /* v1: memory.usage_in_bytes for thresholds */
        int peak_fd;      /* v2: memory.peak; a reset applies to reads through this fd */
        /* the usage and the OOM counters, read at every sample through fds
         * kept open: a cgroup file's read buffer is the kernel's allocation,
         * charged to the reader's cgroup, made at an fd's first read and kept
         * until its close. Where the supervisor shares the target's cgroup
         * (own mode), a read through a new fd right after the target's OOM
         * kill (the kill itself wakes the supervisor), while the target's
         * pages are still being freed, set off a second OOM kill that took
         * the supervisor. */
        int usage_rd_fd;
        int events_rd_fd;
        int stat_rd_fd;   /* memory.stat, read at each sample too */
        int procs_rd_fd;  /* v2: cgroup.procs, read at each sample of the tree */
        bool created;
        bool own;         /* own-cgroup mode: the supervisor's own cgroup, never written to */
        bool own_parent;  /* parent is the supervisor's own cgroup (not configured) */
        char *hier;       /* own mode: the cgroup as /proc/self/cgroup names it */
        /* v2, no-internal-processes rule: the supervisor moved itself into
         * the leaf <parent>/oomwatch.<pid>.sup to enable +memory in parent */
        char *leaf;       /* absolute directory of that leaf, or NULL */
        bool enabled_memory; /* we wrote +memory to parent's cgroup.subtree_control */
        char svid[SVID_MAX]; /* our name: the cgroup is "oomwatch.<svid>" (svid.h) */
};

/* libcgroup, loaded by the child that calls it (see lcg_child): the
 * supervisor never maps it. */
#ifndef OW_LIBCGROUP_SONAME
#define OW_LIBCGROUP_SONAME "libcgroup.so.2"
#endif
static struct {
        __typeof__(cgroup_init) *init;
        __typeof__(cgroup_get_last_errno) *get_last_errno;
        __typeof__(cgroup_get_subsys_mount_point) *get_subsys_mount_point;
        __typeof__(cgroup_get_current_controller_path) *get_current_controller_path;
        __typeof__(cgroup_new_cgroup) *new_cgroup;
        __typeof__(cgroup_add_controller) *add_controller;
        __typeof__(cgroup_add_value_uint64) *add_value_uint64;
        __typeof__(cgroup_create_cgroup) *create_cgroup;
} lcg;

/* Returns 0, -ELIBACC when the library cannot be loaded, -ELIBBAD when a
 * function is missing from it. */
static int lcg_load(void)
{
        void *h = dlopen(OW_LIBCGROUP_SONAME, RTLD_NOW | RTLD_LOCAL);
        void **slot = (void **)&lcg;
        static const char *const names[] = {
                "cgroup_init", "cgroup_get_last_errno", "cgroup_get_subsys_mount_point",
                "cgroup_get_current_controller_path", "cgroup_new_cgroup", "cgroup_add_controller",
                "cgroup_add_value_uint64", "cgroup_create_cgroup",
        };

        _Static_assert(sizeof(lcg) == sizeof(names) / sizeof(names[0]) * sizeof(void *), "one name per function");
        if (!h)
                return -ELIBACC;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                slot[i] = dlsym(h, names[i]);
                if (!slot[i])
                        return -ELIBBAD;
        }
        return 0;
}

static int ecg_to_errno(int ecg)
{
        switch (ecg) {
        case 0:
                return 0;
        case ECGOTHER: {
                int e = lcg.get_last_errno();
                return e > 0 ? -e : -EIO;
        }
        case ECGROUPNOTEXIST:
                return -ENOENT;
        case ECGROUPNOTALLOWED:
        case ECGROUPNOTOWNER:
                return -EACCES;
        case ECGINVAL:
        case ECGCANTSETVALUE:
                return -EINVAL;
        case ECGNONEMPTY:
                return -EBUSY;
        case ECGROUPNOTMOUNTED:
        case ECGROUPSUBSYSNOTMOUNTED:
                return -ENODEV;
        case ECGROUPNOTINITIALIZED:
                return -ENXIO;
        default:
                return -EIO;
        }
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* Read a small cgroup file into buf (NUL-terminated). */
static int read_file(int dir_fd, const char *name, char *buf, size_t len)
{
        int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        int r;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, len - 1);
        r = n < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return r;
        buf[n] = '\0';
        return (int)n;
}

static const char *usage_file(int version)
{
        return version == 1 ? "memory.usage_in_bytes" : "memory.current";
}

static const char *events_file(int version)
{
        return version == 1 ? "memory.oom_control" : "memory.events";
}

/* Read a small cgroup file from offset 0 through fd, kept open, or where
 * there is none (-1) through a new fd on name in dir_fd. */
static int read_kept(int fd, int dir_fd, const char *name, char *buf, size_t len)
{
        ssize_t n;

        if (fd < 0)
                return read_file(dir_fd, name, buf, len);
        do
                n = pread(fd, buf, len - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return (int)n;
}

/* The fds the samples read through (see struct cg). */
static void open_readers(struct cg *c)
{
        c->usage_rd_fd = openat(c->dir_fd, usage_file(c->version), O_RDONLY | O_CLOEXEC);
        c->events_rd_fd = openat(c->dir_fd, events_file(c->version), O_RDONLY | O_CLOEXEC);
        c->stat_rd_fd = openat(c->dir_fd, "memory.stat", O_RDONLY | O_CLOEXEC);
        /* (v1 keeps the pid list an fd read first, until it is idle for a
         * second: read again through the same fd it would never change) */
        if (c->version == 2)
                c->procs_rd_fd = openat(c->dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
}

static int write_file(int dir_fd, const char *name, const char *value)
{
        int fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
        ssize_t n;
        int r = 0;

        if (fd < 0)
                return -errno;
        n = write(fd, value, strlen(value));
        if (n < 0)
                r = -errno;
        close(fd);
        return r;
}

static int parse_u64(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (strncmp(s, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "key value\n" lines: find key's value. */
static int keyed_field(const char *text, const char *key, uint64_t *ret)
{
        size_t kl = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
                        return parse_u64(p + kl + 1, ret);
        return -ENOENT;
}

/* v2: our cgroup is the "0::" line of /proc/self/cgroup (libcgroup 2.0
 * looks for a controller name there, which the unified line has not). */
static int v2_own_cgroup(char **ret)
{
        char *buf = malloc(8192), *p;
        int fd, r = 0;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        n = read(fd, buf, 8191);
        if (n < 0)
                r = -errno;
        close(fd);
        if (r < 0)
                goto out;
        buf[n] = '\0';
        for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, "0::/", 4) == 0) {
                        size_t len = strcspn(p + 3, "\n");
                        *ret = strndup(p + 3, len);
                        r = *ret ? 0 : -ENOMEM;
                        goto out;
                }
        }
        r = -ENOENT;
out:
        free(buf);
        return r;
}

/* ---- libcgroup, in a child ------------------------------------------------ *
 * cgroup_init() fills about 2.4 MiB of libcgroup's static tables; done in
 * the supervisor they would stay resident for its whole life. Every
 * libcgroup call therefore runs in a short-lived child that loads the
 * library (dlopen: the supervisor never maps it, about 100 KiB of its RSS
 * with libpthread) and sends its answer back through a pipe; the
 * supervisor waits for it (only at set-up, before its event loop starts). */

enum lcg_op { LCG_DISCOVER, LCG_CREATE };

struct lcg_answer {
        int r;                 /* 0 or -errno */
        int stage;             /* what failed: 0 init, 1 mount point, 2 current path, 3 create */
        char mount[PATH_MAX];
        char current[PATH_MAX];
};

static void lcg_child(enum lcg_op op, pid_t self, const char *rel, int version, uint64_t limit,
                      struct lcg_answer *a)
{
        char *mnt = NULL, *cur = NULL;
        struct cgroup *g;
        struct cgroup_controller *ctl;

        a->r = lcg_load();
        if (a->r == 0)
                a->r = ecg_to_errno(lcg.init());
        if (a->r < 0)
                return;
        if (op == LCG_DISCOVER) {
                a->stage = 1;
                a->r = ecg_to_errno(lcg.get_subsys_mount_point("memory", &mnt));
                if (a->r < 0)
                        return;
                snprintf(a->mount, sizeof(a->mount), "%s", mnt);
                if (version != 1)
                        return; /* v2: /proc/self/cgroup is read directly */
                a->stage = 2;
                a->r = ecg_to_errno(lcg.get_current_controller_path(self, "memory", &cur));
                if (a->r >= 0)
                        snprintf(a->current, sizeof(a->current), "%s", cur);
                return;
        }
        a->stage = 3;
        g = lcg.new_cgroup(rel);
        ctl = g ? lcg.add_controller(g, "memory") : NULL;
        if (!ctl) {
                a->r = -ENOMEM;
                return;
        }
        if (version == 1) {
                /* memsw must not be below the limit: it is set after this */
                a->r = ecg_to_errno(lcg.add_value_uint64(ctl, "memory.limit_in_bytes", limit));
        } else {
                /* memory.oom.group stays 0: an OOM kill takes one process of
                 * the tree (a worker), not all of them */
                a->r = ecg_to_errno(lcg.add_value_uint64(ctl, "memory.max", limit));
        }
        if (a->r >= 0)
                a->r = ecg_to_errno(lcg.create_cgroup(g, 0));
}

static int lcg_call(enum lcg_op op, const char *rel, int version, uint64_t limit, struct lcg_answer *ret)
{
        pid_t self = getpid(), pid;
        int fds[2], st;
        size_t got = 0;
        ssize_t n;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                static struct lcg_answer a;
                close(fds[0]);
                lcg_child(op, self, rel, version, limit, &a);
                for (size_t off = 0; off < sizeof(a);) {
                        n = write(fds[1], (char *)&a + off, sizeof(a) - off);
                        if (n <= 0)
                                _exit(1);
                        off += (size_t)n;
                }
                _exit(0);
        }
        close(fds[1]);
        while (got < sizeof(*ret) && (n = read(fds[0], (char *)ret + got, sizeof(*ret) - got)) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                got += (size_t)n;
        }
        close(fds[0]);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (got != sizeof(*ret))
                return -EIO;
        ret->mount[sizeof(ret->mount) - 1] = ret->current[sizeof(ret->current) - 1] = '\0';
        return 0;
}

int cg_open(const char *parent, struct cg **ret, char **ret_err)
{
        struct lcg_answer *a = NULL;
        struct cg *c;
        struct statfs sfs;
        char *cur = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->dir_fd = c->procs_fd = c->event_fd = c->oom_ctl_fd = c->usage_fd = c->peak_fd = -1;
        c->usage_rd_fd = c->events_rd_fd = c->stat_rd_fd = c->procs_rd_fd = -1;

        a = malloc(sizeof(*a));
        if (!a) {
                r = -ENOMEM;
                goto fail;
        }
        r = lcg_call(LCG_DISCOVER, NULL, 1, 0, a);
        if (r >= 0)
                r = a->r;
        if (r < 0 && (a->stage == 0 || a->r == 0)) {
                err_set(ret_err, r, "cannot initialise libcgroup: %s (are cgroups mounted?)", strerror(-r));
                goto fail;
        }
        if (r < 0 && a->stage == 1) {
                err_set(ret_err, r, "no memory cgroup controller is mounted: %s", strerror(-r));
                goto fail;
        }
        c->mount = strdup(a->mount);
        if (!c->mount) {
                r = -ENOMEM;
                goto fail;
        }
        if (statfs(c->mount, &sfs) < 0) {
                r = -errno;
                err_set(ret_err, r, "\"%s\": %s", c->mount, strerror(-r));
                goto fail;
        }
        c->version = sfs.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;

        if (parent) {
                c->parent = strdup(parent[0] == '/' ? parent : "/");
                if (c->parent && parent[0] != '/') {
                        free(c->parent);
                        if (asprintf(&c->parent, "/%s", parent) < 0)
                                c->parent = NULL;
                }
        } else {
                c->own_parent = true;
                if (c->version == 2) {
                        r = v2_own_cgroup(&cur);
                } else if (a->r < 0) {
                        r = a->r;
                } else {
                        cur = strdup(a->current);
                        r = cur ? 0 : -ENOMEM;
                }
                if (r < 0) {
                        err_set(ret_err, r, "cannot find oomwatch's own memory cgroup: %s", strerror(-r));
                        goto fail;
                }
                c->parent = cur;
                cur = NULL;
        }
        if (!c->parent) {
                r = -ENOMEM;
                goto fail;
        }
        /* strip a trailing '/' except for the root */
        for (size_t n = strlen(c->parent); n > 1 && c->parent[n - 1] == '/'; n--)
                c->parent[n - 1] = '\0';
        /* a configured parent must exist: libcgroup would create it and its
         * missing ancestors, anywhere in the hierarchy, and nobody would
         * remove them */
        if (!c->own_parent) {
                struct stat st;
                char *p = NULL;
                if (asprintf(&p, "%s%s", c->mount, c->parent) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = stat(p, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
                if (r < 0)
                        err_set(ret_err, r, "the parent cgroup \"%s\" (cgroup.parent): %s", p, strerror(-r));
                free(p);
                if (r < 0)
                        goto fail;
        }
        free(a);
        *ret = c;
        return 0;
fail:
        free(a);
        free(cur);
        cg_forget(c);
        return r;
}

static int read_u64_file(const struct cg *c, int fd, const char *name, uint64_t *ret);

/* ---- own-cgroup mode --------------------------------------------------------
 * The target stays in the cgroup the supervisor is in (a container's).
 * Everything is read, nothing is written: no cgroup is created, no limit,
 * no eventfd registration (v1's cgroup.event_control is a write), no peak
 * reset. Events: v2 memory.events through inotify, which needs only read
 * access; v1 none (the caller polls the usage for its thresholds and reads
 * the OOM counter when the target dies). */

int cg_open_own(struct cg **ret, char **ret_err)
{
        struct cgl_location l = { 0 };
        char *mi = NULL, *pc = NULL;
        struct cg *c;
        uint64_t v;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->dir_fd = c->procs_fd = c->event_fd = c->oom_ctl_fd = c->usage_fd = c->peak_fd = -1;
        c->usage_rd_fd = c->events_rd_fd = c->stat_rd_fd = c->procs_rd_fd = -1;
        c->own = true;
        r = cgl_read_text("/proc/self/mountinfo", PROC_TEXT_MAX, &mi);
        if (r >= 0)
                r = cgl_read_text("/proc/self/cgroup", PROC_TEXT_MAX, &pc);
        if (r < 0) {
                err_set(ret_err, r, "cannot read /proc/self/mountinfo and /proc/self/cgroup: %s", strerror(-r));
                goto fail;
        }
        r = cgl_locate(mi, pc, &l);
        if (r == -ENODEV) {
                err_set(ret_err, r, "no memory cgroup hierarchy is mounted (cgroup v1 \"memory\" or cgroup2)");
                goto fail;
        }
        if (r < 0) {
                err_set(ret_err, r,
                        "cannot find oomwatch's own memory cgroup under a cgroup mount: %s (is the cgroup file "
                        "system mounted where this process can see its own cgroup?)",
                        r == -ENOENT ? "no mount shows it" : strerror(-r));
                goto fail;
        }
        c->version = l.version;
        c->mount = l.mount;
        c->rel = l.rel;
        c->path = l.path;
        c->hier = l.hier;
        l = (struct cgl_location){ 0 };
        c->parent = strdup("/");
        if (!c->parent) {
                r = -ENOMEM;
                goto fail;
        }
        c->dir_fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->dir_fd < 0) {
                r = -errno;
                err_set(ret_err, r, "oomwatch's own cgroup \"%s\": %s", c->path, strerror(-r));
                goto fail;
        }
        open_readers(c);
        /* what own mode lives on must be readable */
        r = read_u64_file(c, c->usage_rd_fd, usage_file(c->version), &v);
        if (r < 0) {
                err_set(ret_err, r, "cannot read \"%s/%s\": %s (own-cgroup mode reads the usage of oomwatch's "
                        "own cgroup)", c->path, c->version == 1 ? "memory.usage_in_bytes" : "memory.current",
                        strerror(-r));
                goto fail;
        }
        {
                struct cg_counters cnt;
                r = cg_counters(c, &cnt);
                if (r < 0) {
                        err_set(ret_err, r, "cannot read \"%s/%s\": %s (own-cgroup mode needs its OOM counter)",
                                c->path, c->version == 1 ? "memory.oom_control" : "memory.events", strerror(-r));
                        goto fail;
                }
        }
        if (c->version == 2) {
                c->peak_fd = openat(c->dir_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
                c->event_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
                if (c->event_fd >= 0) {
                        char *p = NULL;
                        if (asprintf(&p, "%s/memory.events", c->path) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        if (inotify_add_watch(c->event_fd, p, IN_MODIFY) < 0)
                                close_fd(&c->event_fd);
                        free(p);
                } else {
                        close_fd(&c->event_fd);
                }
        }
        free(mi);
        free(pc);
        *ret = c;
        return 0;
fail:
        cgl_location_free(&l);
        free(mi);
        free(pc);
        cg_forget(c);
        return r;
}

bool cg_is_own(const struct cg *c)
{
        return c->own;
}

bool cg_usage_notify(const struct cg *c)
{
        return c->version == 1 && !c->own;
}

const char *cg_hierarchy_path(const struct cg *c)
{
        return c->own ? c->hier : c->rel;
}

int cg_ancestor_limit(const struct cg *c, uint64_t *ret_bytes, char **ret_where)
{
        char *dir = NULL;
        int r;

        if (c->own)
                return cgl_effective_limit(c->mount, c->path, c->version, ret_bytes, ret_where);
        if (asprintf(&dir, "%s%s", c->mount, strcmp(c->parent, "/") == 0 ? "" : c->parent) < 0)
                return -ENOMEM;
        r = cgl_effective_limit(c->mount, dir, c->version, ret_bytes, ret_where);
        free(dir);
        return r;
}

uint64_t cg_id(const struct cg *c)
{
        struct stat st;

        return c->dir_fd >= 0 && fstat(c->dir_fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int cg_version(const struct cg *c)
{
        return c->version;
}

const char *cg_path(const struct cg *c)
{
        return c->path;
}

int cg_procs_fd(const struct cg *c)
{
        return c->procs_fd;
}

int cg_event_fd(const struct cg *c)
{
        return c->event_fd;
}

static int v1_register(struct cg *c, int efd, int target_fd, const char *extra)
{
        char buf[64];

        snprintf(buf, sizeof(buf), "%d %d%s%s", efd, target_fd, extra ? " " : "", extra ? extra : "");
        return write_file(c->dir_fd, "cgroup.event_control", buf);
}

static int setup_events(struct cg *c)
{
        int r;

        if (c->version == 1) {
                c->oom_ctl_fd = openat(c->dir_fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
                if (c->oom_ctl_fd < 0)
                        return -errno;
                c->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (c->event_fd < 0)
                        return -errno;
                r = v1_register(c, c->event_fd, c->oom_ctl_fd, NULL);
                if (r < 0)
                        return r;
                c->usage_fd = openat(c->dir_fd, "memory.usage_in_bytes", O_RDONLY | O_CLOEXEC);
                if (c->usage_fd < 0)
                        return -errno;
                return 0;
        }
        c->event_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (c->event_fd < 0)
                return -errno;
        {
                char *p = NULL;
                if (asprintf(&p, "%s/memory.events", c->path) < 0)
                        return -ENOMEM;
                r = inotify_add_watch(c->event_fd, p, IN_MODIFY);
                free(p);
                if (r < 0)
                        return -errno;
        }
        return 0;
}

/* ---- v2 delegation: the no-internal-processes rule ------------------------
 *
 * On v2 a cgroup other than the root gives its children a controller only
 * through its cgroup.subtree_control, and the kernel refuses "+memory" there
 * (EBUSY) while the cgroup has processes of its own. oomwatch started by a
 * service manager with Delegate=yes, or as a container's PID 1, is such a
 * process in its own cgroup P. When it is the only one, it moves itself into
 * the leaf P/oomwatch.<pid>.sup, enables +memory in P and creates the
 * target's cgroup P/oomwatch.<pid> next to the leaf. When P has other
 * processes, moving them is not ours to do: that is a delegation error.
 *
 * At exit (cg_destroy), once the target's cgroup is gone, the supervisor
 * restores P: it takes +memory back out of P's cgroup.subtree_control (a
 * cgroup with a controller in subtree_control cannot take processes, so
 * this must come first), moves itself back into P and removes the leaf.
 * P has no other processes then: the kernel let none join while +memory
 * was enabled. When P has other children by then (created by others while
 * we ran, which may rely on the memory controller), or a step fails,
 * the supervisor stays in the leaf and leaves it in place; it is empty
 * once the supervisor has exited, and whoever removes P removes it too.
 *
 * Where +memory could be enabled without a move (P has no processes: a
 * configured cgroup.parent; or P is the root, which the rule exempts), it
 * stays enabled at exit: nothing of ours is in the way, and cgroups others
 * made under P meanwhile may rely on it. */

static char *parent_dir(const struct cg *c)
{
        char *p = NULL;

        if (asprintf(&p, "%s%s", c->mount, strcmp(c->parent, "/") == 0 ? "" : c->parent) < 0)
                return NULL;
        return p;
}

static int write_at(const char *dir, const char *name, const char *value)
{
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        if (dfd < 0)
                return -errno;
        r = write_file(dfd, name, value);
        close(dfd);
        return r;
}

/* 1 when the space-separated list in dir/name holds word, 0 when not. */
static int list_has(const char *dir, const char *name, const char *word)
{
        char buf[1024];
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
        size_t wl = strlen(word);

        if (dfd < 0)
                return -errno;
        r = read_file(dfd, name, buf, sizeof(buf));
        close(dfd);
        if (r < 0)
                return r;
        for (char *p = buf; *p; p += strcspn(p, " \n"), p += strspn(p, " \n"))
                if (strncmp(p, word, wl) == 0 && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
                        return 1;
        return 0;
}

/* Processes in dir: the count, and whether we are the only one. */
static int procs_in(const char *dir, bool *ret_only_self)
{
        char *p = NULL;
        FILE *f;
        long pid;
        int n = 0, fd;
        bool others = false;

        if (asprintf(&p, "%s/cgroup.procs", dir) < 0)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        free(p);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        while (n < 1000000 && fscanf(f, "%ld", &pid) == 1) {
                n++;
                if (pid != (long)getpid())
                        others = true;
        }
        fclose(f);
        *ret_only_self = n > 0 && !others;
        return n;
}

static int move_self(const char *dir)
{
        char v[24];

        snprintf(v, sizeof(v), "%d", (int)getpid());
        return write_at(dir, "cgroup.procs", v);
}

static int v2_delegation_error(char **ret_err, int r, const char *pdir)
{
        if (r == -EACCES || r == -EPERM)
                return err_set(ret_err, r,
                               "cannot enable the memory controller in \"%s/cgroup.subtree_control\": %s "
                               "(is this cgroup delegated to oomwatch's user?)",
                               pdir, strerror(-r));
        if (r == -ENOENT)
                return err_set(ret_err, r, "the parent cgroup \"%s\" does not exist", pdir);
        return err_set(ret_err, r, "cannot enable the memory controller in \"%s/cgroup.subtree_control\": %s",
                       pdir, strerror(-r));
}

/* Make sure the memory controller reaches the parent's children. */
static int v2_delegate(struct cg *c, char **ret_err)
{
        char *pdir = parent_dir(c), *leaf = NULL;
        bool only_self = false;
        int r, n;

        if (!pdir)
                return -ENOMEM;
        r = list_has(pdir, "cgroup.controllers", "memory");
        if (r < 0) {
                v2_delegation_error(ret_err, r, pdir);
                goto out;
        }
        if (r == 0) {
                r = err_set(ret_err, -EOPNOTSUPP,
                            "the memory controller is not available in \"%s\": its parent does not enable it in "
                            "cgroup.subtree_control (the cgroup tree must delegate memory to oomwatch, e.g. "
                            "systemd's Delegate=yes)",
                            pdir);
                goto out;
        }
        r = list_has(pdir, "cgroup.subtree_control", "memory");
        if (r != 0) {
                if (r < 0)
                        v2_delegation_error(ret_err, r, pdir);
                goto out;
        }
        r = write_at(pdir, "cgroup.subtree_control", "+memory");
        if (r == 0) {
                c->enabled_memory = true;
                goto out;
        }
        if (r != -EBUSY) {
                v2_delegation_error(ret_err, r, pdir);
                goto out;
        }
        /* EBUSY: the parent has processes of its own */
        n = procs_in(pdir, &only_self);
        if (n < 0 || !only_self || !c->own_parent) {
                r = err_set(ret_err, -EBUSY,
                            "the cgroup \"%s\" has processes %s, and cgroup v2 gives the memory controller to "
                            "the children of a cgroup only when it has none: start oomwatch in a cgroup of its "
                            "own (e.g. systemd-run --scope -p Delegate=yes), or set cgroup.parent to a cgroup "
                            "without processes",
                            pdir, c->own_parent ? "other than oomwatch" : "of its own");
                goto out;
        }
        if (asprintf(&leaf, "%s/oomwatch.%s.sup", pdir, c->svid) < 0) {
                r = -ENOMEM;
                goto out;
        }
        if (mkdir(leaf, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                err_set(ret_err, r, "cannot create the supervisor's leaf cgroup \"%s\": %s", leaf, strerror(-r));
                goto out;
        }
        r = move_self(leaf);
        if (r < 0) {
                err_set(ret_err, r, "cannot move oomwatch into its leaf cgroup \"%s\": %s", leaf, strerror(-r));
                (void)rmdir(leaf);
                goto out;
        }
        r = write_at(pdir, "cgroup.subtree_control", "+memory");
        if (r < 0) {
                /* back where we were: nothing was enabled, so the parent takes us */
                (void)move_self(pdir);
                (void)rmdir(leaf);
                if (r == -EBUSY)
                        err_set(ret_err, r,
                                "cannot enable the memory controller in \"%s\": another process joined it", pdir);
                else
                        v2_delegation_error(ret_err, r, pdir);
                goto out;
        }
        c->enabled_memory = true;
        c->leaf = leaf;
        leaf = NULL;
out:
        free(leaf);
        free(pdir);
        return r < 0 ? r : 0;
}

/* true when dir has a child directory other than skip (a basename) */
static bool has_other_children(const char *dir, const char *skip)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        bool found = false;

        if (!d)
                return true;
        while (!found && (e = readdir(d))) {
                if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
                    strcmp(e->d_name, skip) != 0)
                        found = true;
        }
        closedir(d);
        return found;
}

/* Undo v2_delegate's move (see above); best effort. */
static void v2_leave_leaf(struct cg *c)
{
        char *pdir = parent_dir(c);
        const char *base = strrchr(c->leaf, '/') + 1;

        if (pdir && c->enabled_memory && !has_other_children(pdir, base) &&
            write_at(pdir, "cgroup.subtree_control", "-memory") == 0) {
                c->enabled_memory = false;
                if (move_self(pdir) == 0)
                        (void)rmdir(c->leaf);
        }
        free(pdir);
}

/* ---- names, liveness and reclaim --------------------------------------------
 *
 * A live supervisor holds an flock on its cgroup's directory from creation
 * to removal (flock works on cgroupfs directories and across PID
 * namespaces); a cgroup "oomwatch.<svid>" whose lock anyone can take is one
 * whose supervisor is gone (SIGKILL, a crash, a group kill). Creating a
 * cgroup and reclaiming stale ones both happen under an flock of the parent
 * directory, so that a reclaim never sees a cgroup in the instant between
 * its mkdir and its lock. Any local user can open a cgroup directory and
 * hold its lock: that stops a reclaim (the safe direction), never causes
 * one; the parent's lock is waited for at most PARENT_LOCK_MS. */

#define PARENT_LOCK_MS 2000

/* "oomwatch.<svid>" or, with *ret_leaf, "oomwatch.<svid>.sup". */
static bool our_name(const char *name, bool *ret_leaf)
{
        size_t n = strlen(name);

        if (strncmp(name, "oomwatch.", 9) != 0)
                return false;
        name += 9;
        n -= 9;
        *ret_leaf = n > 4 && strcmp(name + n - 4, ".sup") == 0;
        if (*ret_leaf)
                n -= 4;
        return svid_valid(name, n);
}

/* An flock on dir_fd's directory, waited for at most ms. 0 or -errno. */
static int lock_bounded(int fd, int ms)
{
        for (int waited = 0;; waited += 10) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (waited >= ms)
                        return -EBUSY;
                poll(NULL, 0, 10);
        }
}

static int lock_parent(const struct cg *c)
{
        char *pdir = parent_dir(c);
        int fd;

        if (!pdir)
                return -ENOMEM;
        fd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        free(pdir);
        if (fd < 0)
                return -errno;
        if (lock_bounded(fd, PARENT_LOCK_MS) < 0) {
                close(fd);
                return -EBUSY;
        }
        return fd;
}

/* 1 when someone holds the lock of dir_fd/name, 0 when not (or it is gone). */
static int lock_held(int dir_fd, const char *name)
{
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r;

        if (fd < 0)
                return 0;
        r = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
        close(fd);
        return r;
}

static int count_procs_at(int fd)
{
        char buf[64];
        int pfd = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC), n = 0;
        ssize_t k;

        if (pfd < 0)
                return -errno;
        while ((k = read(pfd, buf, sizeof(buf))) > 0)
                for (ssize_t i = 0; i < k; i++)
                        n += buf[i] == '\n';
        close(pfd);
        return k < 0 ? -errno : n;
}

static void report_add(char **report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report_add(char **report, const char *fmt, ...)
{
        char *line = NULL, *all = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        va_end(ap);
        if (!line)
                return;
        if (asprintf(&all, "%s%s%s", *report ? *report : "", *report ? "; " : "", line) >= 0) {
                free(*report);
                *report = all;
        }
        free(line);
}

int cg_reclaim(struct cg *c, char **ret_report)
{
        char *pdir = parent_dir(c);
        DIR *d = NULL;
        struct dirent *e;
        int pfd, dfd, removed = 0;

        *ret_report = NULL;
        if (!pdir)
                return -ENOMEM;
        if (!c->svid[0] && svid_self(c->svid, sizeof(c->svid)) < 0) {
                free(pdir);
                return -EINVAL;
        }
        pfd = lock_parent(c);
        if (pfd < 0) {
                if (pfd == -EBUSY)
                        report_add(ret_report, "not looking for stale cgroups: another process holds the lock of "
                                               "\"%s\"", pdir);
                free(pdir);
                return pfd == -EBUSY ? 0 : pfd;
        }
        dfd = dup(pfd);
        d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                close(pfd);
                free(pdir);
                return -errno;
        }
        while ((e = readdir(d))) {
                bool leaf;
                int fd, n;
                if ((e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) || !our_name(e->d_name, &leaf))
                        continue;
                if (strncmp(e->d_name + 9, c->svid, strlen(c->svid)) == 0 &&
                    (e->d_name[9 + strlen(c->svid)] == '\0' || strcmp(e->d_name + 9 + strlen(c->svid), ".sup") == 0))
                        continue; /* ours */
                if (leaf) {
                        /* a leaf of a live supervisor holds it; its target cgroup is locked */
                        char target[256];
                        snprintf(target, sizeof(target), "%.*s", (int)(strlen(e->d_name) - 4), e->d_name);
                        if (lock_held(pfd, target))
                                continue;
                }
                fd = openat(pfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (!leaf && flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        close(fd);
                        continue; /* its supervisor lives */
                }
                n = count_procs_at(fd);
                close(fd);
                if (n != 0) {
                        if (n > 0 && !leaf)
                                report_add(ret_report, "left the stale cgroup \"%s/%s\" of a supervisor that is gone: "
                                                       "%d process%s still in it",
                                           pdir, e->d_name, n, n == 1 ? " is" : "es are");
                        continue;
                }
                if (unlinkat(pfd, e->d_name, AT_REMOVEDIR) == 0)
                        removed++;
                else if (errno != ENOENT && errno != EBUSY)
                        report_add(ret_report, "cannot remove the stale cgroup \"%s/%s\": %s", pdir, e->d_name,
                                   strerror(errno));
        }
        closedir(d);
        close(pfd);
        free(pdir);
        return removed;
}

int cg_create(struct cg *c, uint64_t limit, uint64_t swap, char **ret_err)
{
        struct lcg_answer *a = NULL;
        int r, pfd;

        if (!c->svid[0] && svid_self(c->svid, sizeof(c->svid)) < 0)
                return -EINVAL;
        if (asprintf(&c->rel, "%s/oomwatch.%s", strcmp(c->parent, "/") == 0 ? "" : c->parent, c->svid) < 0 ||
            asprintf(&c->path, "%s%s", c->mount, c->rel) < 0)
                return -ENOMEM;

        /* no reclaim between our mkdir and our lock (see above); without the
         * parent's lock (held by someone else too long) there is no reclaim
         * to race with that waited for it */
        pfd = lock_parent(c);

        if (c->version == 2) {
                r = v2_delegate(c, ret_err);
                if (r < 0)
                        goto out;
        }

        a = malloc(sizeof(*a));
        if (!a) {
                r = -ENOMEM;
                goto out;
        }
        r = lcg_call(LCG_CREATE, c->rel, c->version, limit, a);
        if (r >= 0)
                r = a->r;
        if (r < 0) {
                if (r == -ENOENT || r == -EINVAL || r == -ENODEV)
                        err_set(ret_err, r,
                                "cannot create the cgroup \"%s\": %s (is the memory controller enabled for the "
                                "parent's children? on cgroup v2 it must be in cgroup.subtree_control)",
                                c->path, strerror(-r));
                else
                        err_set(ret_err, r, "cannot create the cgroup \"%s\": %s", c->path, strerror(-r));
                goto out;
        }
        c->created = true;
        c->dir_fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->dir_fd < 0) {
                r = -errno;
                err_set(ret_err, r, "\"%s\": %s", c->path, strerror(-r));
                goto out;
        }
        /* the lock says "alive" to a later reclaim, in any PID namespace */
        if (flock(c->dir_fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                err_set(ret_err, r, "cannot lock the cgroup \"%s\": %s (another process holds it)", c->path,
                        strerror(-r));
                goto out;
        }
        if (pfd >= 0) {
                close(pfd);
                pfd = -1;
        }

        /* verify: a limit that silently did not apply would run the target unlimited */
        {
                char buf[64];
                uint64_t got = 0;
                r = read_file(c->dir_fd, c->version == 1 ? "memory.limit_in_bytes" : "memory.max", buf, sizeof(buf));
                if (r >= 0)
                        r = parse_u64(buf, &got);
                if (r < 0 || got > limit || got < limit - (limit >> 4)) {
                        r = r < 0 ? r : -EINVAL;
                        err_set(ret_err, r, "the memory limit did not apply in \"%s\" (wanted %llu)", c->path,
                                (unsigned long long)limit);
                        goto out;
                }
        }

        if (c->version == 1) {
                char v[32];
                snprintf(v, sizeof(v), "%llu", (unsigned long long)(limit + swap));
                /* absent without swap accounting: then there is no swap to forbid */
                r = write_file(c->dir_fd, "memory.memsw.limit_in_bytes", v);
                if (r < 0 && r != -ENOENT) {
                        err_set(ret_err, r, "\"%s/memory.memsw.limit_in_bytes\": %s", c->path, strerror(-r));
                        goto out;
                }
                if (swap == 0)
                        (void)write_file(c->dir_fd, "memory.swappiness", "0");
        } else {
                char v[32];
                snprintf(v, sizeof(v), "%llu", (unsigned long long)swap);
                r = write_file(c->dir_fd, "memory.swap.max", v);
                if (r < 0 && r != -ENOENT) {
                        err_set(ret_err, r, "\"%s/memory.swap.max\": %s", c->path, strerror(-r));
                        goto out;
                }
        }

        if (c->version == 2) {
                /* absent before Linux 5.19; writable (per-fd reset) since 6.12 */
                c->peak_fd = openat(c->dir_fd, "memory.peak", O_RDWR | O_CLOEXEC);
                if (c->peak_fd < 0)
                        c->peak_fd = openat(c->dir_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
        }

        open_readers(c);
        c->procs_fd = openat(c->dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (c->procs_fd < 0) {
                r = -errno;
                err_set(ret_err, r, "\"%s/cgroup.procs\": %s", c->path, strerror(-r));
                goto out;
        }
        r = setup_events(c);
        if (r < 0) {
                err_set(ret_err, r, "cannot watch memory events of \"%s\": %s", c->path, strerror(-r));
                goto out;
        }
        r = 0;
out:
        if (pfd >= 0)
                close(pfd);
        free(a);
        return r;
}

void cg_event_drain(struct cg *c)
{
        char buf[4096];

        while (c->event_fd >= 0 && read(c->event_fd, buf, sizeof(buf)) > 0)
                ;
}

static int counters_parse(const char *buf, int version, struct cg_counters *ret)
{
        struct cg_counters v = { 0 };
        int r;

        r = keyed_field(buf, "oom_kill", &v.oom_kill);
        if (r < 0)
                return r;
        if (version == 1) {
                (void)keyed_field(buf, "under_oom", &v.oom);
        } else {
                (void)keyed_field(buf, "oom", &v.oom);
                /* a group kill counts once per event but kills many */
                if (keyed_field(buf, "oom_group_kill", &v.oom_group_kill) == 0 && v.oom_group_kill > v.oom_kill)
                        v.oom_kill = v.oom_group_kill;
        }
        *ret = v;
        return 0;
}

static int counters_in(int fd, int dir_fd, int version, struct cg_counters *ret)
{
        char buf[1024];
        int r = read_kept(fd, dir_fd, events_file(version), buf, sizeof(buf));

        return r < 0 ? r : counters_parse(buf, version, ret);
}

int cg_counters(const struct cg *c, struct cg_counters *ret)
{
        return counters_in(c->events_rd_fd, c->dir_fd, c->version, ret);
}

int cg_counters_at(const char *dir, int version, uint64_t id, struct cg_counters *ret)
{
        struct stat st;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || (id && (uint64_t)st.st_ino != id)) {
                close(fd);
                return -ESTALE;
        }
        r = counters_in(-1, fd, version, ret);
        close(fd);
        return r;
}

/* fd: kept open for name (struct cg), or -1 */
static int read_u64_file(const struct cg *c, int fd, const char *name, uint64_t *ret)
{
        char buf[64];
        int r = read_kept(fd, c->dir_fd, name, buf, sizeof(buf));

        if (r < 0)
                return r;
        return parse_u64(buf, ret);
}

int cg_usage(const struct cg *c, uint64_t *ret)
{
        return read_u64_file(c, c->usage_rd_fd, usage_file(c->version), ret);
}

int cg_peak(const struct cg *c, uint64_t *ret)
{
        char buf[64];
        ssize_t n;
        int r;

        if (c->version == 1) {
                r = read_u64_file(c, -1, "memory.max_usage_in_bytes", ret);
                return r == -ENOENT ? -ENODATA : r;
        }
        if (c->peak_fd < 0)
                return -ENODATA;
        n = pread(c->peak_fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return parse_u64(buf, ret);
}

int cg_reset_peak(struct cg *c)
{
        int r;

        if (c->own)
                return -EOPNOTSUPP; /* not ours to reset: the container's peak */

        if (c->version == 1) {
                r = write_file(c->dir_fd, "memory.max_usage_in_bytes", "0");
                return r == -ENOENT ? 0 : r;
        }
        if (c->peak_fd < 0)
                return 0;
        /* the reset applies to reads through this fd; kernels before 6.12 refuse it */
        if (pwrite(c->peak_fd, "reset", 5, 0) < 0)
                return errno == EINVAL || errno == EBADF || errno == EACCES || errno == EPERM ? -EOPNOTSUPP : -errno;
        return 0;
}

int cg_stat_field(const struct cg *c, const char *name, uint64_t *ret)
{
        char *buf = malloc(16384);
        int r;

        if (!buf)
                return -ENOMEM;
        r = read_kept(c->stat_rd_fd, c->dir_fd, "memory.stat", buf, 16384);
        if (r >= 0)
                r = keyed_field(buf, name, ret);
        free(buf);
        return r;
}

int cg_threshold_fd(struct cg *c, uint64_t bytes)
{
        char v[32];
        int efd, r;

        if (!cg_usage_notify(c))
                return -EOPNOTSUPP;
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return -errno;
        snprintf(v, sizeof(v), "%llu", (unsigned long long)bytes);
        r = v1_register(c, efd, c->usage_fd, v);
        if (r < 0) {
                close(efd);
                return r;
        }
        return efd;
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int cg_threshold_helper_done(int pidfd)
{
        siginfo_t si = { 0 };

        if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0)
                return errno == ECHILD ? 0 : -errno;   /* ECHILD: the loop reaped it */
        if (si.si_pid == 0)
                return -EAGAIN;
        return si.si_code == CLD_EXITED && si.si_status == 0 ? 0 : -EIO;
}

void cg_threshold_helper_end(int pidfd)
{
        siginfo_t si;

        if (pidfd < 0)
                return;
        (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
        close(pidfd);
}

/* Close every fd from 3 up but those in keep (n of them). */
static void close_all_but(int *keep, size_t n)
{
        unsigned lo = 3;

        for (size_t i = 1; i < n; i++)  /* sort: n is small */
                for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                        int t = keep[j];
                        keep[j] = keep[j - 1];
                        keep[j - 1] = t;
                }
        for (size_t i = 0; i <= n; i++) {
                unsigned hi = i < n ? (unsigned)keep[i] : ~0U;
                if (i < n && keep[i] < (int)lo)
                        continue;
                /* before Linux 5.9 (no close_range), one by one up to the limit */
                if (hi > lo && close_range(lo, hi - 1, 0) < 0) {
                        long max = sysconf(_SC_OPEN_MAX);
                        for (unsigned fd = lo; fd < hi && fd < (max > 0 ? (unsigned)max : 1024U); fd++)
                                (void)close((int)fd);
                }
                lo = hi + 1;
        }
}

int cg_threshold_fds_async(struct cg *c, const uint64_t *bytes, size_t n, int *ret_fds, int *ret_pidfd)
{
        int fds[8], first = -1, r = 0, pidfd = -1;
        pid_t pid;

        if (!cg_usage_notify(c))
                return -EOPNOTSUPP;
        if (n > sizeof(fds) / sizeof(fds[0]))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                fds[i] = -1;
                if (bytes[i] && r == 0 && (fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
                        r = -errno;
                if (fds[i] >= 0 && first < 0)
                        first = fds[i];
        }
        if (r == 0 && first >= 0) {
                pid = fork();
                if (pid < 0)
                        r = -errno;
                if (pid == 0) {
                        int status = 0;
                        char t[32];
                        int keep[8 + 2];
                        size_t k = 0;
                        /* nothing else of the supervisor's (its locks, the
                         * agents' channels) outlives it in this child */
                        for (size_t i = 0; i < n; i++)
                                if (fds[i] >= 0)
                                        keep[k++] = fds[i];
                        keep[k++] = c->usage_fd;
                        keep[k++] = c->dir_fd;
                        close_all_but(keep, k);
                        for (size_t i = 0; i < n; i++) {
                                if (fds[i] < 0)
                                        continue;
                                snprintf(t, sizeof(t), "%llu", (unsigned long long)bytes[i]);
                                if (v1_register(c, fds[i], c->usage_fd, t) < 0)
                                        status = 1;
                        }
                        _exit(status);
                }
                if (pid > 0 && (pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
                        r = -errno;     /* the child still registers: its fds are closed below */
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        if (fds[i] >= 0)
                                close(fds[i]);
                return r;
        }
        memcpy(ret_fds, fds, n * sizeof(int));
        *ret_pidfd = pidfd;
        return 0;
}

/* Read cgroup.procs; calls fn for each pid. Returns the count. Through a
 * duplicate of the kept fd where there is one: the same open file, so the
 * kernel's read buffer stays allocated (struct cg). */
static int for_each_proc(const struct cg *c, int (*fn)(pid_t, void *), void *userdata)
{
        FILE *f;
        int fd, n = 0;
        long pid;

        if (c->dir_fd < 0)
                return 0;
        if (c->procs_rd_fd >= 0) {
                if (lseek(c->procs_rd_fd, 0, SEEK_SET) < 0)
                        return -errno;
                fd = fcntl(c->procs_rd_fd, F_DUPFD_CLOEXEC, 0);
        } else {
                fd = openat(c->dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        }
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        while (fscanf(f, "%ld", &pid) == 1) {
                n++;
                if (fn)
                        fn((pid_t)pid, userdata);
        }
        fclose(f);
        return n;
}

int cg_count_procs(const struct cg *c)
{
        return for_each_proc(c, NULL, NULL);
}

struct pid_list {
        pid_t *pids;
        size_t max, n;
};

static int add_pid(pid_t pid, void *userdata)
{
        struct pid_list *l = userdata;

        if (l->n < l->max)
                l->pids[l->n++] = pid;
        return 0;
}

int cg_list_procs(const struct cg *c, pid_t *pids, size_t max)
{
        struct pid_list l = { pids, max, 0 };

        return for_each_proc(c, add_pid, &l);
}

const char *cg_rel_path(const struct cg *c)
{
        return c->rel;
}

/* The parent of pid from /proc/PID/stat; 0 when its parent is outside our
 * PID namespace; -errno when pid is gone. */
static pid_t parent_of(pid_t pid)
{
        char path[64], buf[512], *p;
        int fd;
        ssize_t n;
        long pp;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %ld", &pp) != 1)
                return -EIO;
        return (pid_t)pp;
}

/* Is pid a descendant of the caller (its child, or an orphan reparented
 * to it as subreaper or PID 1)? A process that entered the cgroup from
 * outside (docker exec, kubectl exec) is not. */
static bool is_descendant(pid_t pid)
{
        pid_t self = getpid(), p = pid;

        if (pid == self)
                return false;
        for (int depth = 0; depth < 256; depth++) {
                pid_t pp = parent_of(p);
                if (pp <= 0)
                        return false;
                if (pp == self)
                        return true;
                p = pp;
        }
        return false;
}

struct sig_args {
        int sig;
        bool own;
        int sent;
};

static int send_sig(pid_t pid, void *userdata)
{
        struct sig_args *a = userdata;

        /* own mode: the cgroup is shared with the supervisor and whatever
         * else the container runs; only the target's tree is signalled */
        if (a->own && !is_descendant(pid))
                return 0;
        if (kill(pid, a->sig) == 0)
                a->sent++;
        return 0;
}

int cg_signal_all(const struct cg *c, int sig)
{
        struct sig_args a = { .sig = sig, .own = c->own };
        int n = for_each_proc(c, send_sig, &a);

        return n < 0 ? n : c->own ? a.sent : n;
}

void cg_forget(struct cg *c)
{
        if (!c)
                return;
        close_fd(&c->dir_fd);
        close_fd(&c->procs_fd);
        close_fd(&c->event_fd);
        close_fd(&c->oom_ctl_fd);
        close_fd(&c->usage_fd);
        close_fd(&c->peak_fd);
        close_fd(&c->usage_rd_fd);
        close_fd(&c->events_rd_fd);
        close_fd(&c->stat_rd_fd);
        close_fd(&c->procs_rd_fd);
        free(c->leaf);
        free(c->hier);
        free(c->mount);
        free(c->parent);
        free(c->rel);
        free(c->path);
        free(c);
}

int cg_destroy(struct cg *c)
{
        int r = 0;

        if (!c)
                return 0;
        if (c->own) {
                /* the target's tree only; the cgroup stays as it was */
                for (int i = 0; i < 200 && cg_signal_all(c, SIGKILL) > 0; i++) {
                        while (waitpid(-1, NULL, WNOHANG) > 0)
                                ;
                        poll(NULL, 0, 10);
                }
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
        if (c->created) {
                /* v2 kills the whole tree at once where the kernel has cgroup.kill */
                if (c->version == 2)
                        (void)write_file(c->dir_fd, "cgroup.kill", "1");
                /* bounded: about 2 s of 10 ms rounds; a process that forks keeps
                 * being caught because every round re-reads cgroup.procs */
                for (int i = 0; i < 200; i++) {
                        int n = cg_signal_all(c, SIGKILL);
                        if (n <= 0) {
                                if (rmdir(c->path) == 0 || errno == ENOENT) {
                                        r = 0;
                                        break;
                                }
                                r = -errno;
                        } else {
                                r = -EBUSY;
                        }
                        /* killed children of ours stay zombies until reaped */
                        while (waitpid(-1, NULL, WNOHANG) > 0)
                                ;
                        poll(NULL, 0, 10);
                }
        }
        if (c->leaf)
                v2_leave_leaf(c);
        cg_forget(c);
        return r;
}
