/* libFuzzer entry point for the heap-profile parser: any input must give a
 * profile or an error message, never a crash, a leak or unbounded memory
 * (the caps are lowered so that a mutated input cannot ask for much).
 * With the default caps, the full parse and hp_peek_total (the totals-only
 * pass over a file) must agree on the verdict and the total. The first
 * line, as a file name, also goes through the dump-name parser.
 *
 * fuzz-sources: analyzer/heap_profile.c analyzer/an_util.c
 */
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_profile(const struct hp_profile *p, const struct hp_limits *lim)
{
        double total = 0;

        if (p->nstacks > lim->max_stacks || p->nframes > (size_t)lim->max_frames * p->nstacks ||
            p->nmaps > lim->max_maps || p->period == 0)
                abort();        /* a cap was not applied */
        for (size_t i = 0; i < p->nstacks; i++) {
                const struct hp_stack *s = &p->stacks[i];
                if (s->nframes == 0 || s->nframes > lim->max_frames ||
                    (size_t)s->first + s->nframes > p->nframes || !(s->bytes >= 0) || !(s->objs >= 0) ||
                    (s->raw_bytes && !(s->bytes >= (double)s->raw_bytes)))
                        abort();        /* a stack outside its frames, or a count corrected downwards */
                total += s->bytes;
        }
        if (!(p->total_bytes >= 0) || !(p->total_objs >= 0) || total != p->total_bytes)
                abort();
        for (size_t i = 0; i < p->nmaps; i++)
                if (!p->maps[i].path || p->maps[i].path[0] != '/' || p->maps[i].end < p->maps[i].start)
                        abort();
}

/* The input as a file for hp_peek_total: one memfd, rewritten each time. */
static const char *as_file(const uint8_t *data, size_t size)
{
        static char path[64];
        static int fd = -1;

        if (fd < 0) {
                fd = memfd_create("fuzz-heap", MFD_CLOEXEC);
                if (fd < 0)
                        abort();
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                abort();
        return path;
}

static void check_peek_agrees(const uint8_t *data, size_t size)
{
        struct hp_profile *p = NULL;
        char *err = NULL, *perr = NULL;
        int64_t peek = -1;
        int r = hp_parse_mem((const char *)data, size, "fuzz", NULL, &p, &err);
        int pr = hp_peek_total(as_file(data, size), &peek, &perr);

        if ((r == 0) != (pr == 0) || (pr < 0 && !perr))
                abort();        /* one pass accepts what the other refuses */
        if (r == 0) {
                double t = p->total_bytes;
                if (peek != (t >= 9.2e18 ? INT64_MAX : (int64_t)llround(t)))
                        abort();
                hp_profile_free(p);
        }
        free(err);
        free(perr);
}

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
                if (err)
                        abort();
                check_profile(p, &lim);
                hp_profile_free(p);
        } else if (!err || r >= 0) {
                abort();  /* every failure explains itself */
        }
        free(err);
        check_peek_agrees(data, size);

        const uint8_t *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t)(nl - data) : size;
        if (len <= 4096) {
                char *name = strndup((const char *)data, len);
                struct hp_dump_name dn = { .pid = -1 };
                if (name && hp_dump_name_parse(name, &dn) == 0 &&
                    (dn.pid <= 0 || !strchr("imuf", dn.kind) || !dn.kind || (dn.kind == 'f' && dn.kseq)))
                        abort();
                free(name);
        }
        return 0;
}
