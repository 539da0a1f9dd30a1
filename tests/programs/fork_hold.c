/* Children that stay, for the cost of profiling every process of a tree.
 *
 *   fork_hold N KIB [PROGRAM ARG...]
 *
 * Forks N children. Each touches KIB KiB it allocated in child_work(),
 * then waits for SIGTERM (pause); with PROGRAM it execs PROGRAM ARG...
 * instead (a shell's fork + exec). Once all are forked, and after 300 ms,
 * prints "up N". On SIGTERM it stops them and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static char *volatile held;

static void on_term(int sig)
{
        (void)sig;
        stop = 1;
}

__attribute__((noinline)) static void child_work(size_t kib)
{
        char *p = malloc(kib << 10);

        if (p)
                memset(p, 5, kib << 10);
        held = p;       /* kept: the compiler may not drop the memory */
}

int main(int argc, char **argv)
{
        long n = argc > 2 ? strtol(argv[1], NULL, 10) : -1, kib = argc > 2 ? strtol(argv[2], NULL, 10) : -1;
        struct sigaction sa = { .sa_handler = on_term };
        struct timespec settle = { 0, 300 * 1000000L };
        pid_t *kids;

        if (n < 0 || n > 100000 || kib < 0) {
                fprintf(stderr, "usage: fork_hold N KIB [PROGRAM ARG...]\n");
                return 2;
        }
        kids = calloc((size_t)n + 1, sizeof(*kids));
        if (!kids)
                return 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        sigaction(SIGTERM, &sa, NULL);
        for (long i = 0; i < n; i++) {
                kids[i] = fork();
                if (kids[i] == 0) {
                        if (argc > 3) {
                                execv(argv[3], argv + 3);
                                _exit(127);
                        }
                        signal(SIGTERM, SIG_DFL);
                        child_work((size_t)kib);
                        for (;;)
                                pause();
                }
        }
        nanosleep(&settle, NULL);
        printf("up %ld\n", n);
        while (!stop)
                pause();
        for (long i = 0; i < n; i++)
                if (kids[i] > 0)
                        kill(kids[i], SIGTERM);
        while (wait(NULL) > 0)
                ;
        return 0;
}
