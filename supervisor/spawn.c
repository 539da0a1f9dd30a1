/* Fork and exec the target with the exec-failure pipe. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"

struct child_report {
        int32_t stage;
        int32_t err;
};

const char *spawn_stage_name(enum spawn_stage stage)
{
        static const char *const names[] = {
                [SPAWN_OK] = "ok",           [SPAWN_CGROUP] = "joining the cgroup",
                [SPAWN_GROUPS] = "setgroups", [SPAWN_SETGID] = "setgid",
                [SPAWN_SETUID] = "setuid",    [SPAWN_PDEATHSIG] = "setting the parent-death signal",
                [SPAWN_CHDIR] = "chdir",      [SPAWN_CHANNEL] = "preparing the agent channel",
                [SPAWN_EXEC] = "exec",
        };
        return (unsigned)stage < sizeof(names) / sizeof(names[0]) ? names[stage] : "?";
}

int spawn_exit_status(enum spawn_stage stage, int err)
{
        if (stage != SPAWN_EXEC)
                return OW_EXIT_USAGE;
        return err == ENOENT || err == ENOTDIR ? OW_EXIT_NOTFOUND : OW_EXIT_NOEXEC;
}

static _Noreturn void child_fail(int report_fd, enum spawn_stage stage, int err)
{
        struct child_report rep = { .stage = stage, .err = err };
        ssize_t n;

        do
                n = write(report_fd, &rep, sizeof(rep));
        while (n < 0 && errno == EINTR);
        _exit(spawn_exit_status(stage, err));
}

/* glibc keeps signals 32 and 33 for itself and refuses them in sigaction(),
 * but an ignore inherited from the environment (GNU make's recipes ignore
 * both) survives exec: reset them with the system call. An all-zero kernel
 * sigaction is SIG_DFL with no flags and an empty mask on every layout. */
static void default_signal_raw(int sig)
{
        struct {
                void *handler;
                unsigned long flags;
                void *restorer;
                uint64_t mask;
        } k = { 0 };

        if (sig > 31 && sig < SIGRTMIN)
                (void)syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask));
}

static _Noreturn void child(const struct spawn_params *p, int report_fd, pid_t parent, bool joined)
{
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t none;

        /* clean signal state: default dispositions (SIG_IGN survives exec) and an empty mask */
        for (int s = 1; s < NSIG; s++)
                if (sigaction(s, &dfl, NULL) < 0 && errno == EINVAL)
                        default_signal_raw(s);
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);

        /* own process group: a terminal's ^C reaches oomwatch only, which forwards it once */
        (void)setpgid(0, 0);

        if (p->cgroup_procs_fd >= 0 && !joined) {
                ssize_t n;
                do
                        n = write(p->cgroup_procs_fd, "0", 1);
                while (n < 0 && errno == EINTR);
                if (n != 1)
                        child_fail(report_fd, SPAWN_CGROUP, n < 0 ? errno : EIO);
        }

        if (p->drop) {
                if (setgroups(p->n_groups, p->groups) < 0)
                        child_fail(report_fd, SPAWN_GROUPS, errno);
                if (setgid(p->gid) < 0)
                        child_fail(report_fd, SPAWN_SETGID, errno);
                if (setuid(p->uid) < 0)
                        child_fail(report_fd, SPAWN_SETUID, errno);
                /* a drop that can be undone is no drop */
                if (p->uid != 0 && setuid(0) == 0)
                        child_fail(report_fd, SPAWN_SETUID, EPERM);
        }

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                child_fail(report_fd, SPAWN_PDEATHSIG, errno);
        /* the parent may have died before prctl: then nobody would kill us */
        if (getppid() != parent)
                child_fail(report_fd, SPAWN_PDEATHSIG, ESRCH);

        if (p->workdir && chdir(p->workdir) < 0)
                child_fail(report_fd, SPAWN_CHDIR, errno);

        if (p->agent_fd >= 0 && p->agent_env) {
                int fd = ac_child_inherit(p->agent_fd, AGENT_CHILD_FD);
                if (fd < 0)
                        child_fail(report_fd, SPAWN_CHANNEL, -fd);
                int r = ac_child_env(fd, getpid(), p->agent_env);
                if (r < 0)
                        child_fail(report_fd, SPAWN_CHANNEL, -r);
        }

        execvpe(p->argv[0], p->argv, p->envp);
        child_fail(report_fd, SPAWN_EXEC, errno);
}

/* The cgroup v2 directory whose cgroup.procs procs_fd is, as an O_PATH fd
 * for CLONE_INTO_CGROUP; -errno on v1 or when /proc cannot tell. */
static int cgroup2_dir_of(int procs_fd)
{
        char link[64], path[PATH_MAX];
        struct statfs sfs;
        ssize_t n;
        char *slash;
        int fd;

        if (fstatfs(procs_fd, &sfs) < 0)
                return -errno;
        if (sfs.f_type != CGROUP2_SUPER_MAGIC)
                return -EOPNOTSUPP;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", procs_fd);
        n = readlink(link, path, sizeof(path) - 1);
        if (n < 0)
                return -errno;
        path[n] = '\0';
        slash = strrchr(path, '/');
        if (!slash || strcmp(slash, "/cgroup.procs") != 0)
                return -EINVAL;
        *slash = '\0';
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* fork, straight into the target's cgroup where the kernel can (v2,
 * clone3 with CLONE_INTO_CGROUP, Linux 5.7): the child never runs a
 * moment outside its limit. Anything else (ENOSYS, a seccomp filter's
 * EPERM, v1) falls back to fork(); the child then joins by writing "0"
 * to cgroup.procs. *ret_joined says which happened. */
static pid_t fork_into_cgroup(int procs_fd, bool *ret_joined)
{
        *ret_joined = false;
#if defined(SYS_clone3) && defined(CLONE_INTO_CGROUP)
        if (procs_fd >= 0) {
                int dfd = cgroup2_dir_of(procs_fd);
                if (dfd >= 0) {
                        struct clone_args a = {
                                .flags = CLONE_INTO_CGROUP,
                                .exit_signal = SIGCHLD,
                                .cgroup = (uint64_t)dfd,
                        };
                        long pid = syscall(SYS_clone3, &a, sizeof(a));
                        int e = errno;
                        close(dfd);
                        if (pid >= 0) {
                                *ret_joined = true;
                                return (pid_t)pid;
                        }
                        errno = e;
                }
        }
#else
        (void)procs_fd;
#endif
        return fork();
}

int spawn_target(const struct spawn_params *p, struct spawn_result *ret)
{
        struct child_report rep;
        int fds[2];
        pid_t parent = getpid(), pid;
        bool joined;
        ssize_t n;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork_into_cgroup(p->cgroup_procs_fd, &joined);
        if (pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                close(fds[0]);
                child(p, fds[1], parent, joined);
        }
        close(fds[1]);
        do
                n = read(fds[0], &rep, sizeof(rep));
        while (n < 0 && errno == EINTR);
        close(fds[0]);

        ret->pid = pid;
        if (n == (ssize_t)sizeof(rep)) {
                ret->stage = (enum spawn_stage)rep.stage;
                ret->err = rep.err;
        } else {
                ret->stage = SPAWN_OK; /* EOF: the pipe closed at a successful execve */
                ret->err = 0;
        }
        return 0;
}

static int parse_id(const char *s, unsigned long *ret)
{
        char *end;
        unsigned long v;

        if (!*s || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v >= (unsigned long)UINT32_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

int spawn_resolve_ids(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid, gid_t **ret_groups,
                      size_t *ret_n_groups, const char **ret_what)
{
        struct passwd *pw = NULL;
        uid_t uid = getuid();
        gid_t gid = getgid();
        gid_t *groups = NULL;
        int n = 0;
        unsigned long v;

        if (user) {
                errno = 0;
                pw = parse_id(user, &v) == 0 ? getpwuid((uid_t)v) : getpwnam(user);
                if (!pw && parse_id(user, &v) == 0) {
                        uid = (uid_t)v; /* a bare uid without a passwd entry */
                        gid = (gid_t)v;
                } else if (!pw) {
                        *ret_what = "user";
                        return errno ? -errno : -ENOENT;
                } else {
                        uid = pw->pw_uid;
                        gid = pw->pw_gid;
                }
        }
        if (group) {
                struct group *gr;
                errno = 0;
                gr = parse_id(group, &v) == 0 ? getgrgid((gid_t)v) : getgrnam(group);
                if (gr)
                        gid = gr->gr_gid;
                else if (parse_id(group, &v) == 0)
                        gid = (gid_t)v;
                else {
                        *ret_what = "group";
                        return errno ? -errno : -ENOENT;
                }
        }
        if (pw) {
                /* the user's supplementary groups, as login would set them */
                n = 32;
                for (int tries = 0; tries < 8; tries++) {
                        gid_t *g = realloc(groups, (size_t)n * sizeof(gid_t));
                        int want = n;
                        if (!g) {
                                free(groups);
                                return -ENOMEM;
                        }
                        groups = g;
                        if (getgrouplist(pw->pw_name, gid, groups, &want) >= 0) {
                                n = want;
                                break;
                        }
                        n = want > n ? want : n * 2;
                }
        } else {
                groups = malloc(sizeof(gid_t));
                if (!groups)
                        return -ENOMEM;
                groups[0] = gid;
                n = 1;
        }
        *ret_uid = uid;
        *ret_gid = gid;
        *ret_groups = groups;
        *ret_n_groups = (size_t)n;
        return 0;
}
