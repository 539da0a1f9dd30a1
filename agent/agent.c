/* liboomwatch-agent.so: LD_PRELOADed into the supervised target, it lets the
 * supervisor ask the target's jemalloc for a heap dump, switch peak (gdump)
 * dumps and sampling on and off. The protocol is in agent_proto.h.
 *
 * Life in a process, decided once in the constructor:
 * - AGENT_ENV_FD / AGENT_ENV_PID absent or malformed, or the fd is not an
 *   AF_UNIX SOCK_SEQPACKET socket (and, when AGENT_ENV_INO is set, not the
 *   channel's inode): inert, nothing touched.
 * - getpid() != AGENT_ENV_PID (a child of the target that exec'd, another
 *   program the target started): inert; its inherited copy of the channel is
 *   closed when AGENT_ENV_INO proves it is the channel, else left alone.
 * - the target itself: find mallctl (dynamic symbols, then the executable's
 *   .symtab; the executable's wins when only it has profiling on), send one
 *   hello. Without jemalloc with profiling, that is all:
 *   no thread, the fd stays open and inheritable for the program a wrapper
 *   execs next (same pid, whose agent says hello again).
 * - with profiling: install jemalloc's prof_dump hook (to learn the exact
 *   name of our dumps), register a fork child handler, start one thread that
 *   serves requests until EOF. A forked child is inert: the handler, which
 *   neither allocates nor locks, marks it so and closes the child's copy of
 *   the channel if it still is the channel (same inode).
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
 * Nothing here runs in signal context; no signal handler is installed; the
 * thread blocks every signal. Nothing is exported. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
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

typedef int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
typedef void (*prof_dump_hook_fn)(const char *filename);

#define SCAN_MAX 100000         /* directory entries looked at in the fallback */
#define THREAD_STACK (512u << 10)

static const char *const dynamic_names[] = { "mallctl", "je_mallctl", "_rjem_mallctl", "rjem_mallctl" };

static int chan = -1;                   /* the channel, in the target only */
static ino_t chan_ino;
static mallctl_fn mctl;
static pthread_t agent_tid;             /* written by the agent thread itself */
static prof_dump_hook_fn prev_hook;
static atomic_bool capturing;
static char dump_name[PATH_MAX + 1];    /* written by the hook on the agent thread */
static char found_name[64] = "-";       /* the mallctl symbol in use */
static const char *found_where = "-";   /* "dynamic" or "exe" */

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

static void send_hello(const char *status, const char *sym, const char *where)
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
                     AGENT_PROTO_VERSION, (int)getpid(), status, sym, where, active, version,
                     prefix ? prefix : "");
        if (n >= (int)sizeof(buf))      /* a prefix longer than PATH_MAX: say so without it */
                n = snprintf(buf, sizeof(buf), "hello %d pid=%d status=%s mallctl=%s where=%s active=%d "
                             "version=%s prefix=", AGENT_PROTO_VERSION, (int)getpid(), status, sym, where,
                             active, version);
        /* Never block the target's start on a full channel. */
        if (n > 0)
                while (send(chan, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
                        ;
}

/* ---- the thread ------------------------------------------------------------ */

static void *serve(void *arg)
{
        char buf[AGENT_MSG_MAX + 1];

        (void)arg;
        agent_tid = pthread_self();
        prctl(PR_SET_NAME, "oomwatch-agent", 0, 0, 0);
        send_hello("ready", found_name, found_where);
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

static void atfork_child(void)
{
        /* The thread does not exist here; nothing may allocate or lock. */
        if (chan >= 0 && fd_has_ino(chan, chan_ino))
                close(chan);
        chan = -1;
}

static void install_dump_hook(void)
{
        prof_dump_hook_fn hook = on_prof_dump, old = NULL;
        size_t sz = sizeof(old);

        if (mctl("experimental.hooks.prof_dump", &old, &sz, &hook, sizeof(hook)) == 0)
                prev_hook = old != on_prof_dump ? old : NULL;
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

__attribute__((constructor)) static void agent_start(void)
{
        const char *fd_s = getenv(AGENT_ENV_FD), *pid_s = getenv(AGENT_ENV_PID);
        const char *ino_s = getenv(AGENT_ENV_INO);
        uint64_t fd, pid, ino = 0;
        int r;

        if (parse_dec(fd_s, NULL, INT_MAX, &fd) < 0 || fd < AGENT_FD_MIN ||
            parse_dec(pid_s, NULL, INT_MAX, &pid) < 0 || pid == 0 ||
            (ino_s && parse_dec(ino_s, NULL, UINT64_MAX, &ino) < 0))
                return;
        if (!is_channel_socket((int)fd) || (ino_s && !fd_has_ino((int)fd, (ino_t)ino)))
                return;
        if ((pid_t)pid != getpid()) {
                /* Not the target: drop our copy, but only when it provably
                 * is the channel and not a socket of the program's own. */
                if (ino_s)
                        close((int)fd);
                return;
        }
        chan = (int)fd;
        if (!ino_s) {
                struct stat st;

                if (fstat(chan, &st) < 0)
                        return;
                ino = st.st_ino;
        }
        chan_ino = (ino_t)ino;

        r = find_mallctl();
        if (r == -2) {
                send_hello("nojemalloc", "-", "-");
                return;
        }
        if (r != 1) {
                send_hello(r < 0 ? "noprofbuild" : "noprof", found_name, found_where);
                return;
        }
        install_dump_hook();
        if (pthread_atfork(NULL, NULL, atfork_child) != 0 || !start_thread())
                send_hello("failed", found_name, found_where);
}
