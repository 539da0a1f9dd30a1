/* Control socket of a running supervisor. */
#include "control.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "statedir.h"
#include "svid.h"

#define MAX_LISTEN 2

struct ctl_server {
        int fds[MAX_LISTEN];
        int n;
        int epoll_fd;           /* ctl_serve's; -1 before */
        unsigned client_tag;
        int clients[CTL_CLIENTS_MAX];  /* -1: a free slot */
        char *run_name;         /* our file in CTL_RUN_DIR, to remove at close */
        int run_dir_fd;
        int sd_fd;              /* state directory holding CTL_SOCK_NAME, or -1 */
        /* refused clients: a line at the first, then at most one per window */
        uint64_t refused;       /* since the last line */
        uint64_t window_end;    /* the window's end (ms) */
        bool window_open;       /* a line was logged less than a window ago */
        uid_t last_uid;
        pid_t last_pid;
};

static socklen_t abstract_addr(const char *svid, struct sockaddr_un *a)
{
        int n;

        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        /* abstract: sun_path[0] = '\0' */
        n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "oomwatch/%s", svid);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static int path_addr(const char *path, struct sockaddr_un *a, socklen_t *ret_len)
{
        size_t n = strlen(path);

        if (n >= sizeof(a->sun_path))
                return -ENAMETOOLONG;
        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        memcpy(a->sun_path, path, n);
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        return 0;
}

/* dir_fd/name as a short path through /proc (sun_path holds 108 bytes; the
 * directory's own path may be longer, and may have been renamed). */
static int fd_addr(int dir_fd, const char *name, struct sockaddr_un *a, socklen_t *ret_len)
{
        char p[sizeof(a->sun_path)];

        if ((size_t)snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dir_fd, name) >= sizeof(p))
                return -ENAMETOOLONG;
        return path_addr(p, a, ret_len);
}

static int bind_listen(const struct sockaddr_un *a, socklen_t len)
{
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        mode_t old;
        int r = 0;

        if (fd < 0)
                return -errno;
        /* the socket file is created 0600: connect() needs write permission */
        old = umask(0177);
        if (bind(fd, (const struct sockaddr *)a, len) < 0 || listen(fd, 16) < 0)
                r = -errno;
        umask(old);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* CTL_RUN_DIR, created when missing; only a directory of root's that
 * nobody else may write is used. */
static int open_run_dir(char **warn)
{
        struct stat st;
        int fd;

        (void)mkdir("/run", 0755);
        if (mkdir(CTL_RUN_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(CTL_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                if (asprintf(warn, "\"%s\" is not root's alone (owner uid %u, mode %04o)", CTL_RUN_DIR,
                             (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777)) < 0)
                        *warn = NULL;
                close(fd);
                return -EPERM;
        }
        return fd;
}

static void add_warning(char **warn, const char *what, int r, const char *detail)
{
        char *old = *warn, *n = NULL;

        if (asprintf(&n, "%s%s%s: %s", old ? old : "", old ? "; " : "", what, detail ? detail : strerror(-r)) < 0)
                return;
        free(old);
        *warn = n;
}

int ctl_listen(const char *svid, int sd_fd, struct ctl_server **ret, char **ret_warn)
{
        struct ctl_server *s = calloc(1, sizeof(*s));
        struct sockaddr_un a;
        socklen_t len;
        bool have_run = false;
        int fd, r;

        *ret_warn = NULL;
        if (!s)
                return -ENOMEM;
        s->run_dir_fd = s->sd_fd = s->epoll_fd = -1;
        for (int i = 0; i < CTL_CLIENTS_MAX; i++)
                s->clients[i] = -1;

        if (geteuid() == 0) {
                char *why = NULL;
                int dfd = open_run_dir(&why);
                if (dfd >= 0 && asprintf(&s->run_name, "%s.sock", svid) >= 0) {
                        (void)unlinkat(dfd, s->run_name, 0); /* of a dead supervisor with our svid */
                        r = fd_addr(dfd, s->run_name, &a, &len);
                        fd = r < 0 ? r : bind_listen(&a, len);
                        if (fd >= 0) {
                                s->fds[s->n++] = fd;
                                s->run_dir_fd = dfd;
                                have_run = true;
                        } else {
                                add_warning(ret_warn, "cannot listen in " CTL_RUN_DIR, fd, NULL);
                        }
                } else {
                        add_warning(ret_warn, "cannot use " CTL_RUN_DIR, dfd, why);
                }
                free(why);
                if (!have_run) {
                        if (dfd >= 0)
                                close(dfd);
                        free(s->run_name);
                        s->run_name = NULL;
                }
        }
        if (!have_run) {
                len = abstract_addr(svid, &a);
                fd = bind_listen(&a, len);
                if (fd >= 0)
                        s->fds[s->n++] = fd;
                else
                        add_warning(ret_warn, "cannot listen on the abstract socket \"oomwatch/<svid>\"", fd,
                                    fd == -EADDRINUSE ? "another process took the name first" : NULL);
        }
        if (sd_fd >= 0) {
                (void)unlinkat(sd_fd, CTL_SOCK_NAME, 0); /* the state directory is ours and locked */
                r = fd_addr(sd_fd, CTL_SOCK_NAME, &a, &len);
                fd = r < 0 ? r : bind_listen(&a, len);
                if (fd >= 0) {
                        s->fds[s->n++] = fd;
                        s->sd_fd = sd_fd;
                } else {
                        add_warning(ret_warn, "cannot listen in the dump directory", fd, NULL);
                }
        }
        if (s->n == 0) {
                ctl_close(s);
                return -EADDRNOTAVAIL;
        }
        *ret = s;
        return 0;
}

int ctl_listen_fds(const struct ctl_server *s, int *fds, int max)
{
        int n = 0;

        for (int i = 0; s && i < s->n && n < max; i++)
                fds[n++] = s->fds[i];
        return n;
}

void ctl_close(struct ctl_server *s)
{
        if (!s)
                return;
        for (int i = 0; i < CTL_CLIENTS_MAX; i++)
                if (s->clients[i] >= 0)
                        close(s->clients[i]);
        for (int i = 0; i < s->n; i++)
                close(s->fds[i]);
        if (s->run_dir_fd >= 0) {
                (void)unlinkat(s->run_dir_fd, s->run_name, 0);
                close(s->run_dir_fd);
        }
        if (s->sd_fd >= 0)
                (void)unlinkat(s->sd_fd, CTL_SOCK_NAME, 0);
        free(s->run_name);
        free(s);
}

int ctl_accept(struct ctl_server *s, int listen_fd)
{
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            (cred.uid != 0 && cred.uid != geteuid())) {
                /* the client reads this even after its own send failed */
                (void)ctl_reply(fd, false, "permission denied: not the supervisor's user");
                ctl_hangup(fd);
                s->refused++;
                s->last_uid = cred.uid;
                s->last_pid = cred.pid;
                return -EPERM;
        }
        return fd;
}

int ctl_refusals(struct ctl_server *s, uint64_t now_ms, bool flush, char *buf, size_t len)
{
        if (!s)
                return 0;
        if (s->window_open && now_ms >= s->window_end) {
                /* a window ends: its count is due, and a quiet one closes */
                if (s->refused == 0) {
                        s->window_open = false;
                        return 0;
                }
        } else if (s->refused == 0 || (s->window_open && !flush)) {
                return 0;
        }
        if (!s->window_open && s->refused == 1)
                snprintf(buf, len, "refused a control request from uid %u (pid %d): not the supervisor's user",
                         (unsigned)s->last_uid, (int)s->last_pid);
        else
                snprintf(buf, len,
                         "refused %llu %scontrol requests from other users%s (the last from uid %u, pid %d)",
                         (unsigned long long)s->refused, s->window_open ? "more " : "",
                         !s->window_open ? "" : now_ms >= s->window_end ? " in the last 10 s" : " since that one",
                         (unsigned)s->last_uid, (int)s->last_pid);
        s->refused = 0;
        s->window_open = true;
        s->window_end = now_ms + CTL_REFUSAL_WINDOW_MS;
        return 1;
}

uint64_t ctl_refusals_deadline(const struct ctl_server *s)
{
        if (!s || !s->window_open)
                return UINT64_MAX;
        return s->window_end;
}

void ctl_hangup(int client_fd)
{
        char buf[64];

        /* a socket closed with unread data resets the connection, and the
         * client would see ECONNRESET instead of the answer queued for it:
         * no more data can come after the shutdown, then the rest is read */
        (void)shutdown(client_fd, SHUT_RDWR);
        while (recv(client_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
        close(client_fd);
}

static int epoll_add(int ep, int fd, unsigned tag, unsigned idx)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)tag | ((uint64_t)idx << 8) };

        return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ctl_serve(struct ctl_server *s, int epoll_fd, unsigned listen_tag, unsigned client_tag)
{
        int r = 0;

        if (!s)
                return 0;
        s->epoll_fd = epoll_fd;
        s->client_tag = client_tag;
        for (int i = 0; i < s->n; i++) {
                int e = epoll_add(epoll_fd, s->fds[i], listen_tag, (unsigned)i);
                if (e < 0 && r == 0)
                        r = e;
        }
        return r;
}

void ctl_on_listen(struct ctl_server *s, unsigned idx)
{
        int fd;

        if (!s || idx >= (unsigned)s->n)
                return;
        while ((fd = ctl_accept(s, s->fds[idx])) != -EAGAIN) {
                int i;
                if (fd < 0) {
                        if (fd != -EPERM)
                                break;
                        continue;
                }
                for (i = 0; i < CTL_CLIENTS_MAX && s->clients[i] >= 0; i++)
                        ;
                if (i == CTL_CLIENTS_MAX || epoll_add(s->epoll_fd, fd, s->client_tag, (unsigned)i) < 0) {
                        (void)ctl_reply(fd, false, "busy");
                        ctl_hangup(fd);
                        continue;
                }
                s->clients[i] = fd;
        }
}

static int client_fd(const struct ctl_server *s, int slot)
{
        return s && slot >= 0 && slot < CTL_CLIENTS_MAX ? s->clients[slot] : -1;
}

int ctl_client_request(struct ctl_server *s, int slot, pid_t *ret_proc)
{
        int fd = client_fd(s, slot);

        return fd < 0 ? -EBADF : ctl_read_request(fd, ret_proc);
}

void ctl_client_wait(struct ctl_server *s, int slot)
{
        int fd = client_fd(s, slot);

        if (fd >= 0)
                (void)epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

void ctl_client_answer(struct ctl_server *s, int slot, bool ok, const char *text)
{
        int fd = client_fd(s, slot);

        if (fd < 0)
                return;
        if (text)
                (void)ctl_reply(fd, ok, text);
        (void)epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        ctl_hangup(fd);
        s->clients[slot] = -1;
}

static const char *const request_text[] = {
        [CTL_DUMP] = "dump", [CTL_DUMP_BASELINE] = "dump baseline", [CTL_WHERE] = "where", [CTL_STATUS] = "status",
};

int ctl_read_request(int client_fd, pid_t *ret_proc)
{
        char buf[64], *p;
        ssize_t n = recv(client_fd, buf, sizeof(buf) - 1, 0);
        pid_t proc = 0;

        if (n < 0)
                return errno == EWOULDBLOCK ? 0 : -errno;
        buf[n] = '\0';
        p = strstr(buf, " pid=");
        if (p && strncmp(buf, "dump", 4) == 0) {
                char *end;
                long v;
                if (p[5] < '1' || p[5] > '9')
                        return 0;
                errno = 0;
                v = strtol(p + 5, &end, 10);
                if (errno || *end || v <= 0 || v > 0x3fffffff)
                        return 0;
                proc = (pid_t)v;
                *p = '\0';
        }
        for (int i = CTL_DUMP; i <= CTL_STATUS; i++)
                if (strcmp(buf, request_text[i]) == 0) {
                        if (proc && i != CTL_DUMP && i != CTL_DUMP_BASELINE)
                                return 0;
                        if (ret_proc)
                                *ret_proc = proc;
                        return i;
                }
        return 0;
}

int ctl_reply(int client_fd, bool ok, const char *text)
{
        size_t n = strlen(text);
        char *buf;
        int r = 0;

        if (n > CTL_MSG_MAX - 5)
                n = CTL_MSG_MAX - 5;
        buf = malloc(n + 5);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, ok ? "ok " : "err ", ok ? 3 : 4);
        memcpy(buf + (ok ? 3 : 4), text, n);
        if (send(client_fd, buf, n + (ok ? 3 : 4), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                r = -errno;
        free(buf);
        return r;
}

/* ---- client ------------------------------------------------------------------ */

void ctl_addr_free(struct ctl_addr *a)
{
        free(a->dir);
        free(a->socket);
        memset(a, 0, sizeof(*a));
}

static int say(char **ret, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(char **ret, int r, const char *fmt, ...)
{
        va_list ap;

        free(*ret);
        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return r;
}

/* Connect to a; on success the server's credentials are in *cred. */
static int connect_to(const struct sockaddr_un *a, socklen_t len, struct ucred *cred)
{
        socklen_t cl = sizeof(*cred);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), r;

        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *)a, len) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &cl) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static bool trusted_uid(uid_t uid)
{
        return uid == 0 || uid == geteuid();
}

/* The supervisor with pid a->pid: its socket in CTL_RUN_DIR (in its own
 * mount namespace, through /proc/<pid>/root), else its abstract name; the
 * server must be that very process. */
static int connect_pid(pid_t pid, char **ret)
{
        char svid[SVID_MAX], path[108];
        struct sockaddr_un a;
        struct ucred cred;
        socklen_t len;
        int fd = -ENOENT, r;

        r = svid_of_pid(pid, svid, sizeof(svid));
        if (r == -ESRCH)
                return say(ret, -ECONNREFUSED, "no oomwatch supervisor with pid %d (no such process)", (int)pid);
        if (r == -EACCES || r == -EPERM)
                return say(ret, -EACCES, "permission denied: only root and the supervisor's user may ask it");
        if (r < 0)
                return say(ret, r, "cannot read /proc/%d: %s", (int)pid, strerror(-r));
        snprintf(path, sizeof(path), "/proc/%d/root" CTL_RUN_DIR "/%s.sock", (int)pid, svid);
        if (path_addr(path, &a, &len) == 0)
                fd = connect_to(&a, len, &cred);
        if (fd == -EACCES || fd == -EPERM)
                return say(ret, -EACCES, "permission denied: only root and the supervisor's user may ask it");
        if (fd < 0) {
                len = abstract_addr(svid, &a);
                fd = connect_to(&a, len, &cred);
        }
        if (fd < 0)
                return say(ret, fd, "no oomwatch supervisor with pid %d is listening (%s)", (int)pid,
                           strerror(-fd));
        if (cred.pid != pid || !trusted_uid(cred.uid)) {
                close(fd);
                return say(ret, -EPERM,
                           "the socket of oomwatch %d is held by pid %d (uid %u), not by that supervisor: refusing "
                           "to trust it",
                           (int)pid, (int)cred.pid, (unsigned)cred.uid);
        }
        return fd;
}

static int connect_dir(const char *dir, char **ret)
{
        struct sockaddr_un a;
        struct ucred cred;
        socklen_t len;
        uid_t owner;
        char *err = NULL;
        int sd, fd, r;

        sd = sd_open_reader(dir, &owner, &err);
        if (sd < 0) {
                if (sd == -ENOENT)
                        return say(ret, -ENOENT, "\"%s\" is not the dump directory of an oomwatch run", dir);
                r = err ? say(ret, sd, "%s", err) : say(ret, sd, "\"%s\": %s", dir, strerror(-sd));
                free(err);
                return r;
        }
        r = fd_addr(sd, CTL_SOCK_NAME, &a, &len);
        fd = r < 0 ? r : connect_to(&a, len, &cred);
        close(sd);
        if (fd == -EACCES)
                return say(ret, -EACCES, "permission denied: only root and the supervisor's user may ask it");
        if (fd < 0)
                return say(ret, fd, "no oomwatch supervisor is running for \"%s\" (%s)", dir, strerror(-fd));
        if (cred.uid != owner || !trusted_uid(cred.uid)) {
                close(fd);
                return say(ret, -EPERM, "the socket in \"%s\" is held by uid %u, not by the supervisor: refusing to trust it",
                           dir, (unsigned)cred.uid);
        }
        return fd;
}

static int connect_socket(const char *path, char **ret)
{
        struct sockaddr_un a;
        struct ucred cred;
        socklen_t len;
        int fd, r;

        r = path_addr(path, &a, &len);
        if (r < 0)
                return say(ret, r, "\"%s\": the path is too long for a socket", path);
        fd = connect_to(&a, len, &cred);
        if (fd == -EACCES)
                return say(ret, -EACCES, "permission denied: only root and the supervisor's user may ask it");
        if (fd < 0)
                return say(ret, fd, "no oomwatch supervisor listens on \"%s\" (%s)", path, strerror(-fd));
        if (!trusted_uid(cred.uid)) {
                close(fd);
                return say(ret, -EPERM, "\"%s\" is served by uid %u (pid %d), neither root nor you: refusing to trust it",
                           path, (unsigned)cred.uid, (int)cred.pid);
        }
        return fd;
}

int ctl_request(const struct ctl_addr *a, enum ctl_request request, unsigned timeout_ms, char **ret)
{
        char req[64];
        struct pollfd p;
        char *msg = NULL;
        ssize_t n;
        int fd, r;

        *ret = NULL;
        if (a->proc > 0 && (request == CTL_DUMP || request == CTL_DUMP_BASELINE))
                snprintf(req, sizeof(req), "%s pid=%d", request_text[request], (int)a->proc);
        else
                snprintf(req, sizeof(req), "%s", request_text[request]);
        fd = a->pid > 0 ? connect_pid(a->pid, ret) : a->dir ? connect_dir(a->dir, ret) : connect_socket(a->socket, ret);
        if (fd < 0)
                return fd;
        msg = malloc(CTL_MSG_MAX + 1);
        if (!msg) {
                close(fd);
                return say(ret, -ENOMEM, "out of memory");
        }
        /* a refused client finds the server's answer waiting even when its
         * send fails because the server already closed the connection */
        r = send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ? -errno : 0;
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        if (poll(&p, 1, r < 0 ? 0 : (int)timeout_ms) <= 0) {
                if (r < 0)
                        say(ret, r, "cannot send the request: %s", strerror(-r));
                else
                        say(ret, -ETIMEDOUT, "no answer from the supervisor within %u s", timeout_ms / 1000);
                r = r < 0 ? r : -ETIMEDOUT;
                goto out;
        }
        n = recv(fd, msg, CTL_MSG_MAX, MSG_DONTWAIT);
        if (n <= 0) {
                r = n < 0 ? -errno : -ECONNRESET;
                say(ret, r, "the supervisor closed the connection");
                goto out;
        }
        msg[n] = '\0';
        if (strncmp(msg, "ok ", 3) == 0) {
                *ret = strdup(msg + 3);
                r = *ret ? 0 : -ENOMEM;
        } else {
                const char *why = strncmp(msg, "err ", 4) == 0 ? msg + 4 : msg;
                r = say(ret, strncmp(why, "permission denied", 17) == 0 ? -EACCES : -EIO, "%s", why);
        }
out:
        free(msg);
        close(fd);
        return r;
}

int ctl_pick_supervisor(const char *cmd, const char *arg, const char *what_else, struct ctl_addr *ret)
{
        pid_t pids[8];
        int n;

        memset(ret, 0, sizeof(*ret));
        if (arg) {
                struct stat st;
                char *end;
                long v;
                if (arg[0] >= '0' && arg[0] <= '9' && !strchr(arg, '/')) {
                        errno = 0;
                        v = strtol(arg, &end, 10);
                        if (errno || *end || v <= 0 || v > 0x3fffffff) {
                                fprintf(stderr, "oomwatch %s: '%s' is not a process id\n", cmd, arg);
                                return 125;
                        }
                        ret->pid = (pid_t)v;
                        return 0;
                }
                if (stat(arg, &st) < 0) {
                        fprintf(stderr, "oomwatch %s: \"%s\": %m (expected a supervisor's pid, its dump directory "
                                        "or its socket)\n", cmd, arg);
                        return 125;
                }
                if (S_ISDIR(st.st_mode))
                        ret->dir = strdup(arg);
                else if (S_ISSOCK(st.st_mode))
                        ret->socket = strdup(arg);
                else {
                        fprintf(stderr, "oomwatch %s: \"%s\" is neither a dump directory nor a socket\n", cmd, arg);
                        return 125;
                }
                if (!ret->dir && !ret->socket) {
                        fprintf(stderr, "oomwatch %s: out of memory\n", cmd);
                        return 125;
                }
                return 0;
        }
        n = ctl_find_supervisors(pids, 8);
        if (n <= 0) {
                fprintf(stderr, "oomwatch %s: no running 'oomwatch run' found%s\n", cmd, what_else ? what_else : "");
                return 1;
        }
        if (n > 1) {
                fprintf(stderr, "oomwatch %s: %d supervisors are running; name one:", cmd, n);
                for (int i = 0; i < n && i < 8; i++)
                        fprintf(stderr, " %d", (int)pids[i]);
                fputc('\n', stderr);
                return 125;
        }
        ret->pid = pids[0];
        return 0;
}

int ctl_find_supervisors(pid_t *pids, int max)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)) != NULL) {
                char path[64], cmd[256];
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                ssize_t len;
                int fd;

                if (*end || pid <= 0 || pid == getpid())
                        continue;
                snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                len = read(fd, cmd, sizeof(cmd) - 1);
                close(fd);
                if (len <= 0)
                        continue;
                cmd[len] = '\0';
                /* argv[0] ends in "oomwatch" and argv[1] is "run" */
                {
                        const char *a0 = cmd, *base = strrchr(a0, '/');
                        size_t l0 = strlen(a0);
                        base = base ? base + 1 : a0;
                        if (strcmp(base, "oomwatch") != 0 || l0 + 1 >= (size_t)len || strcmp(cmd + l0 + 1, "run") != 0)
                                continue;
                }
                if (n < max)
                        pids[n] = (pid_t)pid;
                n++;
        }
        closedir(d);
        return n;
}
