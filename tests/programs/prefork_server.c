/* A pre-fork server for the process-tree tests, shaped like gunicorn's sync
 * workers or nginx: a master that forks N workers and forks a new one for
 * every worker that dies, and never serves a request itself.
 *
 *   prefork_server --port P [--workers N] [--master-mb M] [--exit-status S]
 *
 * Worker i listens on port P + i (the master opens every socket before it
 * forks, so a replacement worker serves the same port): a test talks to
 * one worker. Requests (HTTP/1.0-ish, one per connection):
 *   GET /         "ok <pid>"
 *   GET /leak?mb=N   worker_leak(): N MiB more that are never freed
 *   GET /pid      the worker's pid
 * The master holds M MiB (default 4) from master_init(), prints
 * "worker <i> pid <pid>" on stdout for every worker it forks and
 * "master <pid>" first, reaps its workers, and on SIGTERM or SIGINT stops
 * them (SIGTERM), waits for them and exits with S (default 0). It counts
 * the workers killed by a signal and prints "worker <i> pid <pid> died of
 * signal <n>" for each. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 16

static volatile sig_atomic_t stop;
static volatile char *held[1 << 16];
static unsigned nheld;

static void on_stop(int sig)
{
        (void)sig;
        stop = 1;
}

__attribute__((noinline)) static void master_init(size_t mb)
{
        for (size_t i = 0; i < mb * 16 && nheld < sizeof(held) / sizeof(held[0]); i++) {
                char *p = malloc(64 << 10);
                if (!p)
                        return;
                memset(p, 3, 64 << 10);
                held[nheld++] = p;
        }
}

__attribute__((noinline)) static int worker_leak(size_t mb)
{
        for (size_t i = 0; i < mb; i++) {
                char *p = malloc(1 << 20);
                if (!p)
                        return -1;
                memset(p, 7, 1 << 20);
                if (nheld < sizeof(held) / sizeof(held[0]))
                        held[nheld++] = p;
        }
        return 0;
}

static void reply(int fd, const char *body)
{
        char buf[256];
        int n = snprintf(buf, sizeof(buf), "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         strlen(body), body);

        if (n > 0)
                (void)!write(fd, buf, (size_t)n);
}

static void serve(int lfd)
{
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        for (;;) {
                char req[1024], body[64];
                ssize_t n;
                int fd = accept(lfd, NULL, NULL);

                if (fd < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(1);
                }
                n = read(fd, req, sizeof(req) - 1);
                if (n > 0) {
                        req[n] = '\0';
                        if (strncmp(req, "GET /leak", 9) == 0) {
                                const char *q = strstr(req, "mb=");
                                long mb = q ? strtol(q + 3, NULL, 10) : 1;
                                snprintf(body, sizeof(body), "%s", worker_leak(mb > 0 && mb < 4096 ? (size_t)mb : 1) < 0
                                                                         ? "failed" : "leaked");
                        } else if (strncmp(req, "GET /pid", 8) == 0) {
                                snprintf(body, sizeof(body), "%d", (int)getpid());
                        } else {
                                snprintf(body, sizeof(body), "ok %d", (int)getpid());
                        }
                        reply(fd, body);
                }
                close(fd);
        }
}

static int listen_on(int port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
                fprintf(stderr, "prefork_server: cannot listen on port %d: %s\n", port, strerror(errno));
                return -1;
        }
        return fd;
}

static pid_t spawn_worker(int i, int lfd)
{
        pid_t pid = fork();

        if (pid == 0)
                serve(lfd);
        if (pid > 0)
                printf("worker %d pid %d\n", i, (int)pid);
        return pid;
}

int main(int argc, char **argv)
{
        int port = 0, workers = 2, status = 0, lfd[MAX_WORKERS];
        size_t master_mb = 4;
        pid_t pids[MAX_WORKERS];
        struct sigaction sa = { .sa_handler = on_stop };

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
                        port = atoi(argv[++i]);
                else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
                        workers = atoi(argv[++i]);
                else if (strcmp(argv[i], "--master-mb") == 0 && i + 1 < argc)
                        master_mb = (size_t)atoi(argv[++i]);
                else if (strcmp(argv[i], "--exit-status") == 0 && i + 1 < argc)
                        status = atoi(argv[++i]);
                else {
                        fprintf(stderr, "usage: prefork_server --port P [--workers N] [--master-mb M] [--exit-status S]\n");
                        return 2;
                }
        }
        if (port <= 0 || workers < 1 || workers > MAX_WORKERS) {
                fprintf(stderr, "prefork_server: need --port and 1..%d workers\n", MAX_WORKERS);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        master_init(master_mb);
        printf("master %d\n", (int)getpid());
        for (int i = 0; i < workers; i++) {
                lfd[i] = listen_on(port + i);
                if (lfd[i] < 0)
                        return 1;
        }
        for (int i = 0; i < workers; i++)
                pids[i] = spawn_worker(i, lfd[i]);
        printf("listening on %d\n", port);
        while (!stop) {
                int st;
                pid_t pid = wait(&st);

                if (pid < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int i = 0; i < workers; i++)
                        if (pids[i] == pid) {
                                if (WIFSIGNALED(st))
                                        printf("worker %d pid %d died of signal %d\n", i, (int)pid, WTERMSIG(st));
                                if (!stop)
                                        pids[i] = spawn_worker(i, lfd[i]);
                        }
        }
        for (int i = 0; i < workers; i++)
                if (pids[i] > 0)
                        kill(pids[i], SIGTERM);
        while (wait(NULL) > 0 || errno == EINTR)
                ;
        printf("master exits %d\n", status);
        return status;
}
