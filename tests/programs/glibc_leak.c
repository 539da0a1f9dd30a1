/* A plain C program (glibc malloc, no jemalloc) that leaks 1 MiB at a time,
 * touched, in leak_chunk(), until it is killed; between two chunks it
 * sleeps argv[1] microseconds (default 2000). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) void *leak_chunk(size_t n);

__attribute__((noinline)) void *leak_chunk(size_t n)
{
        char *p = malloc(n);
        if (p)
                memset(p, 0x5a, n);
        __asm__ volatile("" : : "r"(p) : "memory");
        return p;
}

int main(int argc, char **argv)
{
        static void *keep[1 << 16];
        useconds_t pause = argc > 1 ? (useconds_t)strtoul(argv[1], NULL, 10) : 2000;

        for (unsigned i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
                keep[i] = leak_chunk(1 << 20);
                usleep(pause);
        }
        return 0;
}
