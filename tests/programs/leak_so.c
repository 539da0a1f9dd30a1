/* Analyzer test program whose leak goes through a shared library
 * (libowleak.so): dumps after each of three rounds. */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>

void owl_remember(int n);

static void dump(void)
{
        if (mallctl("prof.dump", NULL, NULL, NULL, 0) != 0) {
                fprintf(stderr, "leak_so: prof.dump failed (is MALLOC_CONF=prof:true set?)\n");
                exit(1);
        }
}

__attribute__((noinline)) static void serve(int round)
{
        owl_remember(5000 * round);
}

int main(void)
{
        for (int r = 1; r <= 3; r++) {
                serve(r);
                dump();
        }
        return 0;
}
