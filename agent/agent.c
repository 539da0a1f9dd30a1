/* liboomwatch-agent.so: LD_PRELOADed into the supervised target and, through
 * the environment, into every process of its tree, it lets the supervisor
 * ask each process's jemalloc for a heap dump and switch peak (gdump) dumps
 * and sampling on and off. The protocol is in agent_proto.h.
 *
 * Life in a process image, decided once in the constructor:
 * - AGENT_ENV_FD / AGENT_ENV_INO absent or malformed, or the fd is not an
 *   AF_UNIX SOCK_SEQPACKET socket of that inode (the rendezvous): inert,
 *   nothing touched.
 * - find mallctl (dynamic symbols, then the executable's .symtab; the
 *   executable's wins when only it has profiling on). None: inert, unless
 *   this process is the target (AGENT_ENV_PID), which registers to say so.
 * - AGENT_ENV_SCOPE set: prof.active on when the image is in scope, off
 *   (status "inactive") when not.
 * - register: make a socketpair, send one end over the rendezvous with
 *   SCM_RIGHTS (the kernel adds our pid), keep the other end (close-on-exec,
 *   moved to fd AGENT_CHAN_FD_MIN or above) as this process's channel.
 * - jemalloc with profiling, in scope: install jemalloc's prof_dump hook (to
 *   learn the exact name of our dumps), start one thread that sends the
 *   hello and serves requests until EOF. Otherwise: send the hello from the
 *   constructor, no thread.
 *
 * After fork(): the agent interposes fork() (its one exported symbol). A
 * fork child handler (pthread_atfork), which neither allocates nor locks,
 * closes the child's copy of the parent's channel; then, back in fork() in
 * the child, in a normal context, the child registers a channel of its own
 * and starts its own thread, as the parent had. A fork that does not go
 * through fork() (daemon(3), a raw clone) leaves the child without a
 * channel; vfork and posix_spawn children exec, and the new image registers
 * itself.
 *
 * Dump file name: jemalloc calls the prof_dump hook ("experimental.hooks.
 * prof_dump", jemalloc >= 5.3) with the file name after writing and closing
 * the file, on the dumping thread, with its dump lock held. The hook copies
 * the name only when that thread is the agent's and a request is in
 * progress, and chains to any hook that was installed before. If the hook is
 * missing (older jemalloc, or the program replaced it without chaining), the
 * agent takes the newest "<prefix>.<pid>.<seq>.m<n>.heap" by seq in the
 * prefix's directory: right unless the program dumps by itself at the same
 * moment.
 *
 * With profiling.processes the agent also interposes execve, execv, execvp
 * and execvpe: the program an exec starts gets the preloaded jemalloc and
 * the profiling MALLOC_CONF only when it is in scope (agent_scope.c).
 *
 * The request thread works in a file descriptor table of its own
 * (own_fd_table), so that the files a dump opens never take a number in the
 * program's table.
 *
 * Nothing here runs in signal context; no signal handler is installed; the
 * thread blocks every signal. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_elf.h"
#include "agent_proto.h"
#include "agent_scope.h"

typedef int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
typedef void (*prof_dump_hook_fn)(const char *filename);
typedef pid_t (*fork_fn)(void);
typedef int (*execve_fn)(const char *path, char *const argv[], char *const envp[]);

#define SCAN_MAX 100000         /* directory entries looked at in the fallback */
#define THREAD_STACK (512u << 10)
#define EXEC_ENV_MAX 2048       /* environment entries an exec wrapper rewrites */
#define EXEC_ENV_BUF 8192       /* bytes of the LD_PRELOAD and MALLOC_CONF it writes */

static const char *const dynamic_names[] = { "mallctl", "je_mallctl", "_rjem_mallctl", "rjem_mallctl" };

static int rv = -1;                     /* the rendezvous, inherited by the whole tree */
static ino_t rv_ino;
static int chan = -1;                   /* this process's channel */
static ino_t chan_ino;
static const char *status_word;         /* what this image registered as; NULL: not registered */
static bool serving;                    /* this image runs the request thread */
static mallctl_fn mctl;
static pthread_t agent_tid;             /* written by the agent thread itself */
static prof_dump_hook_fn prev_hook;
static atomic_bool capturing;
static char dump_name[PATH_MAX + 1];    /* written by the hook on the agent thread */
static char found_name[64] = "-";       /* the mallctl symbol in use */
static const char *found_where = "-";   /* "dynamic" or "exe" */
static fork_fn real_fork;
static execve_fn real_execve, real_execvpe;

extern char **environ;

/* ---- small helpers -------------------------------------------------------- */

/* A decimal without sign, at most max. Returns 0 or -EINVAL. */
static int parse_dec(const char *s, const char **ret_end, uint64_t max, uint64_t *ret)
{
        uint64_t v = 0;
        const char *p = s;

        if (!s || *p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned)(*p - '0');

                if (d > max || v > (max - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        if (ret_end)
                *ret_end = p;
        else if (*p)
                return -EINVAL;
        *ret = v;
        return 0;
}

static bool is_channel_socket(int fd)
{
        int type = 0, domain = 0;
        socklen_t l1 = sizeof(type), l2 = sizeof(domain);

        return fcntl(fd, F_GETFD) >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) == 0 &&
               type == SOCK_SEQPACKET && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l2) == 0 &&
               domain == AF_UNIX;
}

static bool fd_has_ino(int fd, ino_t ino)
{
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == ino;
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void send_msg(const char *buf, int n)
{
        if (n <= 0)
                return;
        if (n > AGENT_MSG_MAX)
                n = AGENT_MSG_MAX;      /* only a reason text can be that long */
        while (send(chan, buf, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

__attribute__((format(printf, 3, 4))) static void reply_err(uint64_t id, int err, const char *fmt, ...)
{
        char buf[AGENT_MSG_MAX + 1];
        int n = snprintf(buf, sizeof(buf), "err %llu %d ", (unsigned long long)id, err);
        va_list ap;

        if (n > 0 && (size_t)n < sizeof(buf)) {
                int m;

                va_start(ap, fmt);
                m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
                va_end(ap);
                if (m > 0)
                        n += m;
        }
        send_msg(buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1);
}

static void reply_ok(uint64_t id, const char *detail)
{
        char buf[AGENT_MSG_MAX + 1];
        int n = snprintf(buf, sizeof(buf), "ok %llu %s", (unsigned long long)id, detail);

        if (n >= (int)sizeof(buf))
                reply_err(id, ENAMETOOLONG, "answer too long for the channel");
        else
                send_msg(buf, n);
}

/* ---- the dump's file name --------------------------------------------------- */

/* Runs inside jemalloc with its dump lock held: no allocation, no locks. */
static void on_prof_dump(const char *filename)
{
        if (prev_hook)
                prev_hook(filename);
        if (atomic_load(&capturing) && pthread_equal(pthread_self(), agent_tid)) {
                size_t n = strnlen(filename, PATH_MAX);

                memcpy(dump_name, filename, n);
                dump_name[n] = '\0';
        }
}

/* "<base>.<pid>.<seq>.m<n>.heap" -> seq, or -1. */
static long long manual_seq(const char *name, const char *base, size_t blen, const char *pid)
{
        size_t plen = strlen(pid);
        const char *p;
        uint64_t seq, k;

        if (strncmp(name, base, blen) != 0 || name[blen] != '.' || strncmp(name + blen + 1, pid, plen) != 0 ||
            name[blen + 1 + plen] != '.')
                return -1;
        p = name + blen + 1 + plen + 1;
        if (parse_dec(p, &p, INT64_MAX, &seq) < 0 || p[0] != '.' || p[1] != 'm' ||
            parse_dec(p + 2, &p, UINT64_MAX, &k) < 0 || strcmp(p, ".heap") != 0)
                return -1;
        return (long long)seq;
}

/* Fallback: the newest manual dump of this process under opt.prof_prefix. */
static int newest_manual_dump(char *out, size_t len)
{
        const char *prefix = NULL, *base, *slash;
        size_t sz = sizeof(prefix), dlen;
        char dir[PATH_MAX + 1], pid[24];
        long long best = -1;
        unsigned n = 0;
        struct dirent *de;
        DIR *d;

        if (mctl("opt.prof_prefix", &prefix, &sz, NULL, 0) != 0 || !prefix || !*prefix)
                return -ENOENT;
        slash = strrchr(prefix, '/');
        dlen = !slash ? 1 : slash == prefix ? 1 : (size_t)(slash - prefix);
        if (dlen > PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(dir, slash ? prefix : ".", dlen);
        dir[dlen] = '\0';
        base = slash ? slash + 1 : prefix;
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d)) && n++ < SCAN_MAX) {
                long long seq = manual_seq(de->d_name, base, strlen(base), pid);

                if (seq > best) {
                        int w = snprintf(out, len, "%s/%s", dir, de->d_name);

                        if (w > 0 && (size_t)w < len)
                                best = seq;
                }
        }
        closedir(d);
        return best < 0 ? -ENOENT : 0;
}

static void do_dump(uint64_t id)
{
        char path[PATH_MAX + 1], abs[2 * PATH_MAX + 2], cwd[PATH_MAX + 1];
        const char *name = path;
        int r;

        dump_name[0] = '\0';
        atomic_store(&capturing, true);
        r = mctl("prof.dump", NULL, NULL, NULL, 0);
        atomic_store(&capturing, false);
        if (r != 0) {
                reply_err(id, r, "prof.dump failed: %s (is prof_prefix empty, or its directory missing "
                          "or not writable?)", strerror(r));
                return;
        }
        if (dump_name[0])
                memcpy(path, dump_name, sizeof(path));
        else if ((r = newest_manual_dump(path, sizeof(path))) < 0) {
                reply_err(id, -r, "dump written but its file was not found: %s", strerror(-r));
                return;
        }
        if (path[0] != '/') {
                if (!getcwd(cwd, sizeof(cwd))) {
                        reply_err(id, errno, "dump written, but its directory is unknown: %s", strerror(errno));
                        return;
                }
                snprintf(abs, sizeof(abs), "%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path);
                name = abs;
        }
        reply_ok(id, name);
}

static void do_switch(uint64_t id, const char *ctl, bool on)
{
        bool now = !on;
        size_t sz = sizeof(now);
        int r = mctl(ctl, NULL, NULL, &on, sizeof(on));

        if (r != 0) {
                reply_err(id, r, "setting %s failed", ctl);
                return;
        }
        if (mctl(ctl, &now, &sz, NULL, 0) != 0)
                now = on;
        reply_ok(id, now ? "on" : "off");
}

/* "req <id> <deadline> <op>" */
static void handle(char *msg)
{
        const char *p = msg;
        uint64_t id = 0, deadline = 0;

        if (strncmp(p, "req ", 4) != 0 || parse_dec(p + 4, &p, UINT64_MAX, &id) < 0 || id == 0 || *p != ' ' ||
            parse_dec(p + 1, &p, UINT64_MAX, &deadline) < 0 || *p != ' ') {
                reply_err(0, EINVAL, "malformed request");
                return;
        }
        p++;
        if (deadline && now_ms() > deadline) {
                reply_err(id, ETIMEDOUT, "request expired before the agent read it");
                return;
        }
        if (strcmp(p, "ping") == 0)
                reply_ok(id, "pong");
        else if (strcmp(p, "dump") == 0)
                do_dump(id);
        else if (strcmp(p, "gdump on") == 0 || strcmp(p, "gdump off") == 0)
                do_switch(id, "prof.gdump", p[7] == 'n');
        else if (strcmp(p, "active on") == 0 || strcmp(p, "active off") == 0)
                do_switch(id, "prof.active", p[8] == 'n');
        else
                reply_err(id, EINVAL, "unknown request '%.64s'", p);
}

/* ---- hello ---------------------------------------------------------------- */

static void clean_token(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
                        *s = '_';
}

static void send_hello(void)
{
        char buf[AGENT_MSG_MAX + 1], version[64] = "-";
        const char *ver = NULL, *prefix = NULL;
        bool active = false;
        size_t sz;
        int n;

        if (mctl) {
                sz = sizeof(ver);
                if (mctl("version", &ver, &sz, NULL, 0) == 0 && ver && *ver)
                        snprintf(version, sizeof(version), "%s", ver);
                sz = sizeof(prefix);
                if (mctl("opt.prof_prefix", &prefix, &sz, NULL, 0) != 0)
                        prefix = NULL;
                sz = sizeof(active);
                if (mctl("prof.active", &active, &sz, NULL, 0) != 0)
                        active = false;
        }
        clean_token(version);
        n = snprintf(buf, sizeof(buf), "hello %d pid=%d status=%s mallctl=%s where=%s active=%d version=%s prefix=%s",
                     AGENT_PROTO_VERSION, (int)getpid(), status_word, found_name, found_where, active, version,
                     prefix ? prefix : "");
        if (n >= (int)sizeof(buf))      /* a prefix longer than PATH_MAX: say so without it */
                n = snprintf(buf, sizeof(buf), "hello %d pid=%d status=%s mallctl=%s where=%s active=%d "
                             "version=%s prefix=", AGENT_PROTO_VERSION, (int)getpid(), status_word, found_name,
                             found_where, active, version);
        /* Never block the program on a full channel. */
        if (n > 0)
                while (send(chan, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
                        ;
}

/* ---- the thread ------------------------------------------------------------ */

/* Closes fds lo..hi (hi < 0: to the end) of the calling thread's table. */
static void close_fds(unsigned lo, long hi)
{
        long max = sysconf(_SC_OPEN_MAX);

        if (close_range(lo, hi < 0 ? ~0U : (unsigned)hi, 0) == 0)
                return;
        /* a kernel before 5.9 */
        if (hi < 0)
                hi = (max > 0 && max < (1L << 20) ? max : 1L << 20) - 1;
        for (long fd = lo; fd <= hi; fd++)
                close((int)fd);
}

/* Give the agent thread a file descriptor table of its own, holding only
 * the channel. The files jemalloc opens for a dump on this thread (the dump,
 * /proc/self/maps) then never take a number in the program's table: a
 * program that closes fd 1 and dup2()s onto it must not get EBUSY, nor one
 * that close()s and open()s expecting the lowest number. The copy's other
 * fds are closed at once, so that no file the program closes stays open
 * through us; 0, 1 and 2 become the read end of an empty pipe, so that a
 * message jemalloc writes to stderr fails instead of landing in a dump.
 * unshare is refused by some seccomp profiles: then the table stays the
 * program's and nothing is closed. */
static void own_fd_table(void)
{
        int p[2];

        if (unshare(CLONE_FILES) < 0)
                return;
        /* private from here on: nothing below touches the program's fds */
        close_fds((unsigned)chan + 1, -1);
        if (chan > 0)
                close_fds(0, chan - 1);
        if (pipe2(p, O_CLOEXEC) == 0) {
                close(p[1]);
                for (int fd = 0; fd <= 2; fd++)
                        if (fd != p[0])
                                (void)dup3(p[0], fd, O_CLOEXEC);
                if (p[0] > 2)
                        close(p[0]);
        }
}

static void *serve(void *arg)
{
        char buf[AGENT_MSG_MAX + 1];

        (void)arg;
        agent_tid = pthread_self();
        prctl(PR_SET_NAME, "oomwatch-agent", 0, 0, 0);
        own_fd_table();
        send_hello();
        for (;;) {
                struct pollfd pfd = { .fd = chan, .events = POLLIN };
                ssize_t n;

                if (poll(&pfd, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                /* The program may have closed our fd and reused its number:
                 * never read someone else's data. */
                if (!fd_has_ino(chan, chan_ino))
                        break;
                n = recv(chan, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        break;
                }
                if (n == 0) {
                        /* EOF, or an empty datagram: only POLLHUP tells. */
                        pfd.revents = 0;
                        if (poll(&pfd, 1, 0) < 0 || (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
                                break;
                        continue;
                }
                if ((size_t)n > AGENT_MSG_MAX) {
                        reply_err(0, EMSGSIZE, "request longer than %d bytes", AGENT_MSG_MAX);
                        continue;
                }
                if (memchr(buf, '\0', (size_t)n)) {
                        reply_err(0, EINVAL, "malformed request");
                        continue;
                }
                buf[n] = '\0';
                handle(buf);
        }
        return NULL;
}

static bool start_thread(void)
{
        pthread_attr_t attr;
        sigset_t all, old;
        pthread_t tid;
        bool ok;

        if (pthread_attr_init(&attr) != 0)
                return false;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, THREAD_STACK);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        ok = pthread_create(&tid, &attr, serve, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        return ok;
}

/* ---- registration -------------------------------------------------------- */

/* Make this process's channel and hand its other end to the supervisor.
 * Returns 0, or -errno (the rendezvous is gone or full: not served). */
static int register_channel(void)
{
        char cbuf[CMSG_SPACE(sizeof(int))] __attribute__((aligned(__alignof__(struct cmsghdr))));
        struct iovec iov = { .iov_base = (void *)AGENT_REGISTER, .iov_len = sizeof(AGENT_REGISTER) - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *cm;
        struct stat st;
        int sv[2], mine, r = 0;

        if (!fd_has_ino(rv, rv_ino))
                return -EBADF;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        memset(cbuf, 0, sizeof(cbuf));
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
        /* never block the program: a full rendezvous means no channel */
        while (sendmsg(rv, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                if (errno == EINTR)
                        continue;
                r = -errno;
                break;
        }
        close(sv[1]);
        if (r < 0 || fstat(sv[0], &st) < 0) {
                r = r < 0 ? r : -errno;
                close(sv[0]);
                return r;
        }
        mine = fcntl(sv[0], F_DUPFD_CLOEXEC, AGENT_CHAN_FD_MIN);
        if (mine >= 0) {
                close(sv[0]);
                sv[0] = mine;
        }
        chan = sv[0];
        chan_ino = st.st_ino;
        return 0;
}

/* Start serving in this process: the thread when profiling is on here,
 * else just the hello. */
static void go(void)
{
        if (register_channel() < 0)
                return;         /* not served; a child may try again */
        if (serving && !start_thread()) {
                serving = false;
                status_word = "failed";
        }
        if (!serving)
                send_hello();
}

static void atfork_child(void)
{
        /* The thread does not exist here; nothing may allocate or lock. */
        if (chan >= 0 && fd_has_ino(chan, chan_ino))
                close(chan);
        chan = -1;
        atomic_store(&capturing, false);
}

/* Exported, as are the exec wrappers below. The child registers after fork
 * returned in it, in the program's normal context. */
__attribute__((visibility("default"))) pid_t fork(void)
{
        pid_t pid;
        int e;

        if (!real_fork)
                real_fork = (fork_fn)dlsym(RTLD_NEXT, "fork");
        if (!real_fork) {
                errno = ENOSYS;
                return -1;
        }
        pid = real_fork();
        if (pid == 0 && status_word && strcmp(status_word, "nojemalloc") == 0)
                status_word = NULL;     /* only the target itself says that */
        if (pid == 0 && status_word) {
                e = errno;
                go();
                errno = e;
        }
        return pid;
}

static void install_dump_hook(void)
{
        prof_dump_hook_fn hook = on_prof_dump, old = NULL;
        size_t sz = sizeof(old);

        if (mctl("experimental.hooks.prof_dump", &old, &sz, &hook, sizeof(hook)) == 0)
                prev_hook = old != on_prof_dump ? old : NULL;
}

/* ---- start ---------------------------------------------------------------- */

/* opt.prof of one jemalloc: 1 on, 0 off, -1 built without profiling. */
static int prof_of(mallctl_fn f)
{
        bool prof = false;
        size_t sz = sizeof(prof);

        if (f("opt.prof", &prof, &sz, NULL, 0) != 0)
                return -1;
        return prof;
}

/* Choose the jemalloc to serve: the first dynamic mallctl; the executable's
 * own (static, maybe prefixed) one when there is none, or when only the
 * executable's has profiling on (a Rust program with its own jemalloc, run
 * with the system one preloaded as well). Returns the chosen one's opt.prof
 * (see prof_of), or -2 when there is none. */
static int find_mallctl(void)
{
        char name[sizeof(found_name)];
        mallctl_fn exe;
        int st = -2, exe_st;

        for (size_t i = 0; i < sizeof(dynamic_names) / sizeof(dynamic_names[0]); i++) {
                void *f = dlsym(RTLD_DEFAULT, dynamic_names[i]);

                if (f) {
                        mctl = (mallctl_fn)f;
                        snprintf(found_name, sizeof(found_name), "%s", dynamic_names[i]);
                        found_where = "dynamic";
                        st = prof_of(mctl);
                        break;
                }
        }
        if (st == 1)
                return st;
        exe = (mallctl_fn)agent_elf_find_mallctl(name, sizeof(name));
        if (!exe || exe == mctl)
                return st;
        exe_st = prof_of(exe);
        if (mctl && exe_st != 1)
                return st;
        mctl = exe;
        memcpy(found_name, name, sizeof(found_name));
        found_where = "exe";
        return exe_st;
}

/* Is this image in scope of the blank-separated patterns? */
static bool in_scope(const char *scope, int argc, char **argv)
{
        char exe[PATH_MAX + 1];
        const char *names[3] = { NULL, NULL, NULL };
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n > 0) {
                exe[n] = '\0';
                names[0] = agent_base_name(exe);
        }
        if (argv && argc > 0)
                names[1] = agent_base_name(argv[0]);
        if (argv && argc > 1)
                names[2] = agent_base_name(argv[1]);
        return agent_scope_match(scope, names, 3);
}

/* ---- exec: the environment of the next image ------------------------------------ */

static void resolve_exec(void)
{
        if (!real_execve)
                real_execve = (execve_fn)dlsym(RTLD_NEXT, "execve");
        if (!real_execvpe)
                real_execvpe = (execve_fn)dlsym(RTLD_NEXT, "execvpe");
}

/* Also in a vfork child: only the stack, no allocation, no lock (the real
 * functions were found in the constructor). */
__attribute__((visibility("default"))) int execve(const char *path, char *const argv[], char *const envp[])
{
        char *env[EXEC_ENV_MAX], buf[EXEC_ENV_BUF];

        if (!real_execve) {
                errno = ENOSYS;
                return -1;
        }
        if (agent_exec_env(envp, path, argv, env, EXEC_ENV_MAX, buf, sizeof(buf)))
                return real_execve(path, argv, env);
        return real_execve(path, argv, envp);
}

__attribute__((visibility("default"))) int execv(const char *path, char *const argv[])
{
        return execve(path, argv, environ);
}

__attribute__((visibility("default"))) int execvpe(const char *file, char *const argv[], char *const envp[])
{
        char *env[EXEC_ENV_MAX], buf[EXEC_ENV_BUF];

        if (!real_execvpe) {
                errno = ENOSYS;
                return -1;
        }
        if (agent_exec_env(envp, file, argv, env, EXEC_ENV_MAX, buf, sizeof(buf)))
                return real_execvpe(file, argv, env);
        return real_execvpe(file, argv, envp);
}

__attribute__((visibility("default"))) int execvp(const char *file, char *const argv[])
{
        return execvpe(file, argv, environ);
}

static void set_bool(const char *ctl, bool v)
{
        (void)mctl(ctl, NULL, NULL, &v, sizeof(v));
}

/* glibc passes argc, argv and envp to the constructors of shared objects. */
__attribute__((constructor)) static void agent_start(int argc, char **argv, char **envp)
{
        const char *fd_s = getenv(AGENT_ENV_FD), *ino_s = getenv(AGENT_ENV_INO);
        const char *pid_s = getenv(AGENT_ENV_PID), *scope = getenv(AGENT_ENV_SCOPE);
        uint64_t fd, ino, target = 0;
        int r;

        (void)envp;
        resolve_exec();         /* the exec wrappers work in every image */
        if (parse_dec(fd_s, NULL, INT_MAX, &fd) < 0 || fd < AGENT_FD_MIN ||
            parse_dec(ino_s, NULL, UINT64_MAX, &ino) < 0 ||
            (pid_s && *pid_s && parse_dec(pid_s, NULL, INT_MAX, &target) < 0))
                return;
        if (!is_channel_socket((int)fd) || !fd_has_ino((int)fd, (ino_t)ino))
                return;
        rv = (int)fd;
        rv_ino = (ino_t)ino;
        real_fork = (fork_fn)dlsym(RTLD_NEXT, "fork");

        r = find_mallctl();
        if (r == -2) {
                if ((pid_t)target != getpid())
                        return;         /* nothing to serve, nothing to say */
                status_word = "nojemalloc";
        } else if (r != 1) {
                status_word = r < 0 ? "noprofbuild" : "noprof";
        } else if (scope && !in_scope(scope, argc, argv)) {
                set_bool("prof.active", false);
                set_bool("prof.gdump", false);
                status_word = "inactive";
        } else {
                if (scope)
                        set_bool("prof.active", true);
                install_dump_hook();
                status_word = "ready";
                serving = true;
        }
        if (pthread_atfork(NULL, NULL, atfork_child) != 0) {
                status_word = serving ? "failed" : status_word;
                serving = false;
        }
        go();
}
