/* libFuzzer entry point for the heap-profile parser: any input must give a
 * profile or an error message, never a crash, a leak or unbounded memory
 * (the caps are lowered so that a mutated input cannot ask for much). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "heap_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct hp_limits lim = {
                .max_bytes = 1 << 20, .max_frames = 128, .max_stacks = 10000,
                .max_line = 4096, .max_maps = 1000,
        };
        struct hp_profile *p = NULL;
        char *err = NULL;
        int r = hp_parse_mem((const char *)data, size, "fuzz", &lim, &p, &err);
        if (r == 0) {
                /* a parsed profile is consistent */
                for (size_t i = 0; i < p->nstacks; i++)
                        if (p->stacks[i].first + p->stacks[i].nframes > p->nframes ||
                            !(p->stacks[i].bytes >= 0))
                                abort();
                hp_profile_free(p);
        } else if (!err) {
                abort();  /* every failure explains itself */
        }
        free(err);
        return 0;
}
