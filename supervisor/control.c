/* Control socket of a running supervisor. */
#include "control.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t make_addr(pid_t pid, struct sockaddr_un *a)
{
        int n;

        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        /* abstract: sun_path[0] = '\0' */
        n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "oomwatch/%d", (int)pid);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int ctl_listen(pid_t pid)
{
        struct sockaddr_un a;
        socklen_t len = make_addr(pid, &a);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 8) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int ctl_accept(int listen_fd)
{
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            (cred.uid != 0 && cred.uid != geteuid())) {
                (void)ctl_reply(fd, false, "permission denied: not the supervisor's user");
                close(fd);
                return -EPERM;
        }
        return fd;
}

static const char *const request_text[] = {
        [CTL_DUMP] = "dump", [CTL_DUMP_BASELINE] = "dump baseline", [CTL_WHERE] = "where",
};

int ctl_read_request(int client_fd)
{
        char buf[64];
        ssize_t n = recv(client_fd, buf, sizeof(buf) - 1, 0);

        if (n < 0)
                return errno == EWOULDBLOCK ? 0 : -errno;
        buf[n] = '\0';
        for (int i = CTL_DUMP; i <= CTL_WHERE; i++)
                if (strcmp(buf, request_text[i]) == 0)
                        return i;
        return 0;
}

int ctl_reply(int client_fd, bool ok, const char *text)
{
        char buf[CTL_MSG_MAX];
        int n = snprintf(buf, sizeof(buf), "%s %s", ok ? "ok" : "err", text);

        if (n >= (int)sizeof(buf))
                n = (int)sizeof(buf) - 1;
        return send(client_fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int ctl_request(pid_t pid, enum ctl_request request, unsigned timeout_ms, char *buf, size_t len)
{
        struct sockaddr_un a;
        socklen_t alen = make_addr(pid, &a);
        const char *req = request_text[request];
        struct pollfd p;
        char msg[CTL_MSG_MAX + 1];
        ssize_t n;
        int fd, r;

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&a, alen) < 0) {
                r = -errno;
                snprintf(buf, len, "no oomwatch supervisor with pid %d is listening (%s)", (int)pid, strerror(-r));
                goto out;
        }
        if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
                r = -errno;
                snprintf(buf, len, "cannot send the request: %s", strerror(-r));
                goto out;
        }
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        r = poll(&p, 1, (int)timeout_ms);
        if (r <= 0) {
                r = r == 0 ? -ETIMEDOUT : -errno;
                snprintf(buf, len, "no answer from the supervisor: %s", strerror(-r));
                goto out;
        }
        n = recv(fd, msg, sizeof(msg) - 1, 0);
        if (n <= 0) {
                r = n < 0 ? -errno : -ECONNRESET;
                snprintf(buf, len, "the supervisor closed the connection");
                goto out;
        }
        msg[n] = '\0';
        if (strncmp(msg, "ok ", 3) == 0) {
                snprintf(buf, len, "%s", msg + 3);
                r = 0;
        } else {
                snprintf(buf, len, "%s", strncmp(msg, "err ", 4) == 0 ? msg + 4 : msg);
                r = -EIO;
        }
out:
        close(fd);
        return r;
}

int ctl_pick_supervisor(const char *cmd, const char *arg, const char *what_else, pid_t *ret)
{
        pid_t pids[8];
        int n;

        if (arg) {
                char *end;
                long v;
                errno = 0;
                v = strtol(arg, &end, 10);
                if (errno || *end || v <= 0 || v > 0x3fffffff) {
                        fprintf(stderr, "oomwatch %s: '%s' is not a process id\n", cmd, arg);
                        return 125;
                }
                *ret = (pid_t)v;
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
        *ret = pids[0];
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
