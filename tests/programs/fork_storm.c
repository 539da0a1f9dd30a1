/* A target that forks many short-lived children, for the process-tree
 * cost tests.
 *
 *   fork_storm --children N [--parallel P] [--kib K] [--mark-at M --mark FILE --go FILE]
 *              [--exec PROGRAM] [--hold-ms MS]
 *
 * Forks N children, at most P (default 10) alive at a time. Each child
 * touches K KiB (default 256) from child_work() and returns from main's
 * code path with exit(0), so atexit handlers (jemalloc's final dump) run;
 * with --exec it execs PROGRAM instead (a shell's fork + exec). After M
 * children it creates FILE (the mark) and waits for FILE --go to appear.
 * It prints "forked N" after every 100 children. When all are done it
 * prints "storm done", creates FILE.done (with --mark) and stays up
 * --hold-ms (default 0) or until SIGTERM, then exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

__attribute__((noinline)) static int child_work(size_t kib)
{
        char *p = malloc(kib << 10);

        if (!p)
                return 1;
        memset(p, 9, kib << 10);
        free(p);
        return 0;
}

static void touch(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        if (fd >= 0)
                close(fd);
}

int main(int argc, char **argv)
{
        long children = 0, parallel = 10, kib = 256, mark_at = -1, hold_ms = 0, alive = 0, failed = 0;
        const char *mark = NULL, *go = NULL, *prog = NULL;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--children") == 0 && i + 1 < argc)
                        children = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--parallel") == 0 && i + 1 < argc)
                        parallel = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--kib") == 0 && i + 1 < argc)
                        kib = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--mark-at") == 0 && i + 1 < argc)
                        mark_at = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--mark") == 0 && i + 1 < argc)
                        mark = argv[++i];
                else if (strcmp(argv[i], "--go") == 0 && i + 1 < argc)
                        go = argv[++i];
                else if (strcmp(argv[i], "--exec") == 0 && i + 1 < argc)
                        prog = argv[++i];
                else if (strcmp(argv[i], "--hold-ms") == 0 && i + 1 < argc)
                        hold_ms = strtol(argv[++i], NULL, 10);
                else {
                        fprintf(stderr, "usage: fork_storm --children N [--parallel P] [--kib K] "
                                        "[--mark-at M --mark FILE --go FILE] [--exec PROGRAM] [--hold-ms MS]\n");
                        return 2;
                }
        }
        if (parallel < 1)
                parallel = 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (long n = 0; n < children || alive > 0;) {
                int st;

                if (n < children && alive < parallel) {
                        pid_t pid = fork();
                        if (pid == 0) {
                                if (prog) {
                                        execl(prog, prog, (char *)NULL);
                                        _exit(127);
                                }
                                exit(child_work((size_t)kib));
                        }
                        if (pid < 0) {
                                nap_ms(5);
                                continue;
                        }
                        alive++;
                        n++;
                        if (n % 100 == 0)
                                printf("forked %ld\n", n);
                        if (n == mark_at && mark) {
                                while (alive > 0 && wait(&st) > 0) {
                                        alive--;
                                        failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
                                }
                                touch(mark);
                                while (go && access(go, F_OK) != 0)
                                        nap_ms(20);
                        }
                        continue;
                }
                if (wait(&st) > 0) {
                        alive--;
                        failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
                }
        }
        printf("storm done: %ld children, %ld failed\n", children, failed);
        if (mark) {
                char done[4096];
                snprintf(done, sizeof(done), "%s.done", mark);
                touch(done);
        }
        if (hold_ms)
                nap_ms(hold_ms);
        return failed ? 1 : 0;
}
