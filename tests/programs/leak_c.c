/* Analyzer test program (C, PIE): grows the heap through a few call paths
 * and takes a jemalloc dump (prof.dump) after each phase.
 * Run with MALLOC_CONF=prof:true,lg_prof_sample:14,prof_prefix:DIR/leak_c */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *keep[1 << 16];
static size_t nkeep;

static void dump(void)
{
        if (mallctl("prof.dump", NULL, NULL, NULL, 0) != 0) {
                fprintf(stderr, "leak_c: prof.dump failed (is MALLOC_CONF=prof:true set?)\n");
                exit(1);
        }
}

static void hold(void *p)
{
        if (!p || nkeep == sizeof(keep) / sizeof(keep[0]))
                abort();
        memset(p, 1, 16);
        keep[nkeep++] = p;
}

__attribute__((noinline)) static void small_records(int n)
{
        for (int i = 0; i < n; i++)
                hold(malloc(48));
}

__attribute__((noinline)) static void big_buffers(int n)
{
        for (int i = 0; i < n; i++)
                hold(calloc(1, 256 << 10));
}

__attribute__((noinline)) static void grow_table(int n)
{
        for (int i = 0; i < n; i++) {
                void *p = malloc(1000);
                hold(realloc(p, 5000));
        }
}

__attribute__((noinline)) void parse_request(int n)
{
        small_records(n);
        grow_table(n / 10);
}

__attribute__((noinline)) void handle_batch(int round)
{
        parse_request(2000 * round);
        big_buffers(8 * round);
}

__attribute__((noinline)) static void release_half(void)
{
        for (size_t i = 0; i < nkeep; i += 2) {
                free(keep[i]);
                keep[i] = NULL;
        }
}

int main(void)
{
        handle_batch(1);
        dump();
        handle_batch(2);
        dump();
        release_half();
        handle_batch(3);
        dump();
        return 0;
}
