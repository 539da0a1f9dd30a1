/* A small jemalloc program for the agent's integration tests.
 *
 *   agent_target [--ms N] [--grow-ms N] [--fork] [--exec-child CMD]
 *
 * Allocates 4 MiB in hold_memory() at start, then runs for --ms (default
 * 3000) milliseconds. --grow-ms N: allocate one more MiB every N ms (new
 * peaks, which is what gdump dumps on). --fork: fork a child that allocates
 * 2 MiB in child_memory(), prints "child <pid>", lives 1.5 s and exits 0
 * (1 if an allocation failed); the parent prints "child-status <n>".
 * --exec-child CMD: the child runs CMD through /bin/sh instead.
 * --spawn CMD: start /bin/sh -c CMD with posix_spawn (no fork handlers run:
 * the exec'd program inherits what the target has), wait for it.
 * --mark PATH: create PATH once the 4 MiB are held (and, with --fork,
 * PATH.child once the child holds its 2 MiB).
 * --until PATH: the run ends as soon as PATH exists (at the latest after
 * --ms), and the forked child lives until then instead of 1.5 s: a test
 * looks at both processes for as long as it needs, however slow the host.
 * --own-hook: install a jemalloc prof_dump hook of its own that does not
 * chain to the one installed before (the agent's). Prints
 * "target <pid>" first and "done" last; exits 0.
 *
 * Built with -DTARGET_RJEM, its own allocations go to _rjem_malloc: a
 * statically linked jemalloc with the prefix Rust's tikv-jemallocator uses,
 * next to glibc's malloc. */
#include <jemalloc/jemalloc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef TARGET_RJEM
void *_rjem_malloc(size_t size);
#define malloc _rjem_malloc
/* Profiling on in the program's own jemalloc only, as a program that
 * configures its allocator in code would have it. */
const char *_rjem_malloc_conf = "prof:true";
#endif

static volatile char *sink[4096];
static volatile unsigned own_hook_calls;

__attribute__((unused)) static void own_hook(const char *filename)
{
        (void)filename;
        own_hook_calls++;
}
static unsigned nsink;

static void nap_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) != 0)
                ;
}

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int released(const char *path)
{
        return access(path, F_OK) == 0;
}

__attribute__((noinline)) static int hold_memory(size_t mib)
{
        for (size_t i = 0; i < mib * 16 && nsink < 4096; i++) {
                char *p = malloc(64 << 10);

                if (!p)
                        return -1;
                memset(p, 1, 64 << 10);
                sink[nsink++] = p;
        }
        return 0;
}

__attribute__((noinline)) static int child_memory(void)
{
        int bad = 0;

        for (int i = 0; i < 32; i++) {
                char *p = malloc(64 << 10);

                if (!p)
                        bad = 1;
                else
                        memset(p, 2, 64 << 10);
        }
        return bad;
}

int main(int argc, char **argv)
{
        long ms = 3000, grow_ms = 0, start, next_grow;
        const char *exec_child = NULL, *spawn_cmd = NULL, *mark = NULL, *until = NULL;
        int do_fork = 0, do_hook = 0;
        pid_t child = -1;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc)
                        ms = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--grow-ms") == 0 && i + 1 < argc)
                        grow_ms = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--fork") == 0)
                        do_fork = 1;
                else if (strcmp(argv[i], "--exec-child") == 0 && i + 1 < argc) {
                        do_fork = 1;
                        exec_child = argv[++i];
                } else if (strcmp(argv[i], "--mark") == 0 && i + 1 < argc) {
                        mark = argv[++i];
                } else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
                        until = argv[++i];
                } else if (strcmp(argv[i], "--own-hook") == 0) {
                        do_hook = 1;
                } else if (strcmp(argv[i], "--spawn") == 0 && i + 1 < argc) {
                        spawn_cmd = argv[++i];
                } else {
                        fprintf(stderr, "usage: agent_target [--ms N] [--grow-ms N] [--fork] [--exec-child CMD] [--spawn CMD]\n"
                                "       [--own-hook] [--mark PATH] [--until PATH]\n");
                        return 2;
                }
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("target %d\n", (int)getpid());
        if (hold_memory(4) < 0)
                return 1;
        if (mark) {
                FILE *f = fopen(mark, "we");

                if (!f || fclose(f) != 0)
                        return 1;
        }
#ifndef TARGET_RJEM
        if (do_hook) {
                void (*hook)(const char *) = own_hook;

                if (mallctl("experimental.hooks.prof_dump", NULL, NULL, &hook, sizeof(hook)) != 0)
                        printf("own-hook failed\n");
        }
#endif
        if (do_fork) {
                child = fork();
                if (child == 0) {
                        if (exec_child) {
                                execl("/bin/sh", "sh", "-c", exec_child, (char *)NULL);
                                _exit(127);
                        }
                        printf("child %d\n", (int)getpid());
                        int bad = child_memory();
                        if (mark) {
                                char path[4096];
                                FILE *f;
                                snprintf(path, sizeof(path), "%s.child", mark);
                                if (!(f = fopen(path, "we")) || fclose(f) != 0)
                                        bad = 1;
                        }

                        if (until) {
                                long t0 = now_ms();

                                while (!released(until) && now_ms() - t0 < ms)
                                        nap_ms(20);
                        } else {
                                nap_ms(1500);
                        }
                        bad |= child_memory();
                        _exit(bad);
                }
                if (child < 0)
                        return 1;
        }
        if (spawn_cmd) {
                extern char **environ;
                char *sargv[] = { "sh", "-c", (char *)spawn_cmd, NULL };
                pid_t sp;
                int st;

                if (posix_spawn(&sp, "/bin/sh", NULL, NULL, sargv, environ) != 0 || waitpid(sp, &st, 0) != sp)
                        return 1;
                printf("spawn-status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        start = now_ms();
        next_grow = start + grow_ms;
        while (now_ms() - start < ms && !(until && released(until))) {
                nap_ms(grow_ms && grow_ms < 50 ? grow_ms : 50);
                if (grow_ms && now_ms() >= next_grow) {
                        if (hold_memory(1) < 0)
                                return 1;
                        next_grow += grow_ms;
                }
        }
        if (child > 0) {
                int st;

                if (waitpid(child, &st, 0) == child)
                        printf("child-status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        if (do_hook)
                printf("own-hook-calls %u\n", own_hook_calls);
        printf("done\n");
        return 0;
}
