/* sockprobe: what another local user can do to a control socket (tests).
 *
 *   sockprobe squat ADDR [PATH...]  take ADDR first and answer every request
 *                                  with "ok /forged/by/squatter"; also try to
 *                                  bind each PATH and say how that went.
 *                                  Prints "squatting" once ready.
 *   sockprobe flood ADDR N         N connections, one request each; prints
 *                                  "<answers> <permission denied answers>"
 *   sockprobe ask ADDR REQUEST     one request; prints the answer
 *
 * ADDR: "@name" for an abstract socket, else a path. SOCK_SEQPACKET. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t addr_of(const char *s, struct sockaddr_un *a)
{
        size_t n = strlen(s);

        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        if (n >= sizeof(a->sun_path))
                n = sizeof(a->sun_path) - 1;
        memcpy(a->sun_path, s, n);
        if (s[0] == '@') {
                a->sun_path[0] = '\0';
                return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        }
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* One request; the answer in buf. Returns 0, or -errno. */
static int ask(const char *addr, const char *req, char *buf, size_t len)
{
        struct sockaddr_un a;
        socklen_t al = addr_of(addr, &a);
        struct pollfd p;
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), r = 0;
        ssize_t n;

        buf[0] = '\0';
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&a, al) < 0) {
                r = -errno;
                goto out;
        }
        (void)send(fd, req, strlen(req), MSG_NOSIGNAL);
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0) {
                r = -ETIMEDOUT;
                goto out;
        }
        n = recv(fd, buf, len - 1, 0);
        if (n < 0) {
                r = -errno;
                goto out;
        }
        buf[n] = '\0';
out:
        close(fd);
        return r;
}

int main(int argc, char **argv)
{
        char buf[65536];

        if (argc >= 3 && strcmp(argv[1], "squat") == 0) {
                struct sockaddr_un a;
                socklen_t al = addr_of(argv[2], &a);
                int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                if (fd < 0 || bind(fd, (struct sockaddr *)&a, al) < 0 || listen(fd, 64) < 0) {
                        printf("cannot squat %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                for (int i = 3; i < argc; i++) {
                        struct sockaddr_un b;
                        socklen_t bl = addr_of(argv[i], &b);
                        int f = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                        if (bind(f, (struct sockaddr *)&b, bl) == 0 && listen(f, 8) == 0)
                                printf("squatted %s too\n", argv[i]);
                        else
                                printf("cannot squat %s: %s\n", argv[i], strerror(errno));
                }
                printf("squatting\n");
                fflush(stdout);
                for (;;) {
                        int c = accept(fd, NULL, NULL);
                        if (c < 0)
                                continue;
                        (void)recv(c, buf, sizeof(buf), 0);
                        (void)send(c, "ok /forged/by/squatter", 22, MSG_NOSIGNAL);
                        close(c);
                }
        }
        if (argc == 4 && strcmp(argv[1], "flood") == 0) {
                long n = strtol(argv[3], NULL, 10), answers = 0, denied = 0;
                for (long i = 0; i < n; i++) {
                        if (ask(argv[2], "dump", buf, sizeof(buf)) == 0 && buf[0]) {
                                answers++;
                                if (strstr(buf, "permission denied"))
                                        denied++;
                        }
                }
                printf("%ld %ld\n", answers, denied);
                return 0;
        }
        if (argc == 4 && strcmp(argv[1], "ask") == 0) {
                int r = ask(argv[2], argv[3], buf, sizeof(buf));
                if (r < 0) {
                        printf("error: %s\n", strerror(-r));
                        return 1;
                }
                printf("%s\n", buf);
                return 0;
        }
        fprintf(stderr, "usage: sockprobe squat ADDR [PATH...] | flood ADDR N | ask ADDR REQUEST\n");
        return 2;
}
