/* The analysis process: found, spawned unprivileged, waited for. */
#include "analysisproc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "target_env.h"

int ap_open_program(char **ret_path)
{
        char *p = te_find_companion(AP_PROGRAM, X_OK);
        int fd;

        *ret_path = p;
        if (!p)
                return -ENOENT;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static _Noreturn void child_fail(const char *what)
{
        fprintf(stderr, "oomwatch: the analysis: %s: %s\n", what, strerror(errno));
        _exit(127);
}

static void limit(int res, uint64_t v)
{
        struct rlimit l = { v, v };

        if (v)
                (void)setrlimit(res, &l);
}

/* No capability can come back: the bounding and ambient sets are emptied
 * while we may (before the uid changes). */
static void drop_bounding_set(void)
{
        for (int c = 0; c <= 63; c++)
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno == EINVAL)
                        break;
        (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* None left (also for uid 0), none to gain by exec (no_new_privs). */
static int drop_capabilities(void)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = { { 0 } };

        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

#define HIGH_FD 200

static _Noreturn void child(const struct ap_spawn *p, pid_t parent)
{
        /* the analysis gets PATH and DEBUGINFOD_URLS of oomwatch's own
         * environment, and in a sanitizer build the sanitizers' options
         * (a developer's ASAN_OPTIONS must reach every oomwatch process) */
        static const char *const pass[] = { "PATH", "DEBUGINFOD_URLS",
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
                                            "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS",
#endif
        };
        char *envp[sizeof(pass) / sizeof(pass[0]) + 1] = { NULL };
        size_t ne = 0;
        int tmp[64], prog, cwd, devnull;
        sigset_t none;

        if (p->n_fds > sizeof(tmp) / sizeof(tmp[0])) {
                errno = E2BIG;
                child_fail("fds");
        }
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void)signal(s, SIG_DFL);

        /* the fds it is given become 3, 4, ...: first out of the way */
        prog = fcntl(p->program_fd, F_DUPFD_CLOEXEC, HIGH_FD);
        cwd = fcntl(p->cwd_fd, F_DUPFD_CLOEXEC, HIGH_FD);
        if (prog < 0 || cwd < 0)
                child_fail("fds");
        for (size_t i = 0; i < p->n_fds; i++)
                if ((tmp[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC, HIGH_FD)) < 0)
                        child_fail("fds");
        for (size_t i = 0; i < p->n_fds; i++)
                if (dup2(tmp[i], 3 + (int)i) < 0)
                        child_fail("fds");
        if (fchdir(cwd) < 0)
                child_fail("its working directory");
        /* nothing else of the supervisor's goes with it (prog closes at exec) */
        for (int fd = 3 + (int)p->n_fds; fd < prog; fd++)
                (void)close(fd);
        if (syscall(SYS_close_range, (unsigned)prog + 1, ~0U, 0) < 0)
                for (int fd = prog + 1; fd < 4096; fd++)
                        (void)close(fd);
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0) {
                (void)dup2(devnull, 0);
                close(devnull);
        }
        limit(RLIMIT_CPU, p->cpu_seconds);
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer reserves terabytes of address space */
        limit(RLIMIT_AS, p->address_space);
#endif
        limit(RLIMIT_FSIZE, p->file_size);
        limit(RLIMIT_CORE, 0);
        /* where it shares a limit with the supervisor (own-cgroup mode, a
         * pod), a second OOM kill takes the analysis, never the supervisor
         * that outlives it (raising one's own score needs no privilege) */
        {
                int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        (void)!write(fd, "1000", 4);
                        close(fd);
                }
        }
        drop_bounding_set();
        if (p->user && geteuid() == 0) {
                if (setgroups(p->user->n_groups, p->user->groups) < 0)
                        child_fail("setgroups");
                if (setgid(p->user->gid) < 0)
                        child_fail("setgid");
                if (setuid(p->user->uid) < 0)
                        child_fail("setuid");
                if (p->user->uid != 0 && setuid(0) == 0) {
                        errno = EPERM;
                        child_fail("setuid");
                }
        }
        if (drop_capabilities() < 0)
                child_fail("dropping capabilities");
        /* after the credentials changed, which clears it */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                child_fail("the parent-death signal");
        if (getppid() != parent) {
                errno = ESRCH;
                child_fail("the parent-death signal");
        }
        for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
                const char *v = getenv(pass[i]);

                if (v && asprintf(&envp[ne], "%s=%s", pass[i], v) >= 0)
                        ne++;
        }
        envp[ne] = NULL;
        syscall(SYS_execveat, prog, "", p->argv, envp, AT_EMPTY_PATH);
        child_fail("exec");
}

int ap_spawn(const struct ap_spawn *p, pid_t *ret_pid)
{
        pid_t parent = getpid(), pid;

        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child(p, parent);
        *ret_pid = pid;
        return 0;
}

int ap_wait(pid_t pid, unsigned timeout_ms, int *ret_status)
{
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        pid_t w;

        if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                int r;
                while ((r = poll(&p, 1, (int)timeout_ms)) < 0 && errno == EINTR)
                        ;
                if (r == 0)
                        (void)kill(pid, SIGKILL);
                close(pfd);
        }
        /* without pidfds (Linux < 5.3) the child's own CPU limit bounds this */
        while ((w = waitpid(pid, ret_status, 0)) < 0 && errno == EINTR)
                ;
        return w < 0 ? -errno : 0;
}

int ap_exec_command(int argc, char **argv)
{
        char *path = te_find_companion(AP_PROGRAM, X_OK);
        char **v;

        (void)argc;
        if (!path) {
                fprintf(stderr, "oomwatch %s: the analysis program %s was not found next to oomwatch or in %s/oomwatch\n",
                        argv[0], AP_PROGRAM, OOMWATCH_LIBDIR);
                return 125;
        }
        /* argv[0] is the subcommand: the program gets it as its first argument */
        v = calloc((size_t)argc + 2, sizeof(*v));
        if (!v) {
                free(path);
                return 125;
        }
        v[0] = (char *)AP_PROGRAM;
        for (int i = 0; i < argc; i++)
                v[i + 1] = argv[i];
        execv(path, v);
        fprintf(stderr, "oomwatch %s: cannot run \"%s\": %m\n", argv[0], path);
        free(v);
        free(path);
        return 125;
}

int ap_resolve_user(const char *name, const char *target_user, const char *target_group, struct ap_user *ret,
                    gid_t **ret_groups, const char **ret_what)
{
        uid_t uid = geteuid();
        gid_t gid = getegid(), *groups = NULL;
        size_t n = 0;
        int r;

        *ret_groups = NULL;
        if (name || target_user || target_group) {
                r = spawn_resolve_ids(name ? name : target_user, name ? NULL : target_group, &uid, &gid, &groups, &n,
                                      ret_what);
                if (r < 0)
                        return r;
        } else {
                /* our own: no supplementary groups beyond the primary one */
                groups = malloc(sizeof(gid_t));
                if (!groups)
                        return -ENOMEM;
                groups[0] = gid;
                n = 1;
        }
        ret->uid = uid;
        ret->gid = gid;
        ret->groups = groups;
        ret->n_groups = n;
        *ret_groups = groups;
        return 0;
}
