/* The supervisor's resident set after set-up: see footprint.h. */
#include "footprint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct mapping {
        unsigned long start, end;
        bool candidate; /* read-only, private, backed by a file */
        unsigned long rss_kib, anon_kib;
        bool have_anon;
};

/* Anonymous > 0: a private copy of a page exists, the mapping is not the
 * file's bytes alone (MADV_DONTNEED would revert it) */
static bool droppable(const struct mapping *m)
{
        return m->candidate && m->have_anon && m->anon_kib == 0 && m->rss_kib != 0;
}

int fp_drop_setup_pages(struct fp_drop *ret)
{
        /* the list is made first and the pages dropped after, in one go:
         * reading smaps runs code (stdio, scanf) that would fault back in
         * what was dropped before it */
        struct mapping list[64], m = { 0 };
        unsigned n = 0;
        bool have = false;
        char line[512];
        FILE *f = fopen("/proc/self/smaps", "re");

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                unsigned long a, b, off, ino, kib;
                char perms[8], dev[16];
                int path_at = 0;

                if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &a, &b, perms, &off, dev, &ino, &path_at) == 6 &&
                    path_at > 0) {
                        if (have && droppable(&m) && n < sizeof(list) / sizeof(list[0]))
                                list[n++] = m;
                        have = true;
                        memset(&m, 0, sizeof(m));
                        m.start = a;
                        m.end = b;
                        /* a file (inode != 0, a path), "r?-p": never writable, private */
                        m.candidate = ino != 0 && line[path_at] == '/' && perms[0] == 'r' && perms[1] == '-' &&
                                      perms[3] == 'p';
                        continue;
                }
                if (!have)
                        continue;
                if (sscanf(line, "Rss: %lu kB", &kib) == 1)
                        m.rss_kib = kib;
                else if (sscanf(line, "Anonymous: %lu kB", &kib) == 1) {
                        m.anon_kib = kib;
                        m.have_anon = true;
                }
        }
        bool bad = ferror(f);
        fclose(f);
        if (bad)
                return -EIO;
        if (have && droppable(&m) && n < sizeof(list) / sizeof(list[0]))
                list[n++] = m;

        struct fp_drop d = { 0, 0 };
        for (unsigned i = 0; i < n; i++)
                if (madvise((void *)list[i].start, list[i].end - list[i].start, MADV_DONTNEED) == 0) {
                        d.mappings++;
                        d.kib += list[i].rss_kib;
                }
        if (ret)
                *ret = d;
        return 0;
}
