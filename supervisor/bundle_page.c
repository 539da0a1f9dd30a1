/* The incident page of a bundle (incident.html): the analyzer draws it
 * (an_render_html); here its run data is put together from the bundle and
 * the supervisor's timeline (timeline.h): the usage samples and marks on one
 * time axis, ms since the first start, and the heap total of each of the
 * target's dumps at the time the dump was written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer.h"
#include "bundle.h"
#include "timeline.h"
#include "units.h"

static int64_t since_t0_ms(const struct tl *t, uint64_t mono_ms)
{
        return mono_ms >= t->t0_ms ? (int64_t)(mono_ms - t->t0_ms) : 0;
}

int bundle_page(const struct bundle *b, const struct an_report *diff, const struct an_report *trend, FILE *out)
{
        const struct tl *t = b->timeline;
        struct an_page pg = { .limit = b->memory_limit };
        struct an_point *usage = NULL, *heap = NULL;
        struct an_mark *marks = NULL;
        char *title = NULL, *sub = NULL, lim[32], peak[32], when[40];
        size_t len = 0, n_heap = 0;
        FILE *m;
        int r;

        /* the command line, and one line of facts */
        m = open_memstream(&title, &len);
        if (!m)
                return -ENOMEM;
        for (char *const *a = b->argv; a && *a; a++)
                fprintf(m, "%s%s", a == b->argv ? "" : " ", *a);
        fclose(m);
        if (asprintf(&sub, "%s%s, pid %d, limit %s, peak %s%s%s%s%s", b->verdict,
                     b->signal ? " (SIGKILL)" : "", (int)b->pid, unit_format_size(b->memory_limit, lim, sizeof(lim)),
                     b->peak ? unit_format_size(b->peak, peak, sizeof(peak)) : "unknown",
                     b->when.tv_sec ? ", " : "", b->when.tv_sec ? unit_format_utc(&b->when, when, sizeof(when)) : "",
                     b->host ? ", on " : "", b->host ? b->host : "") < 0)
                sub = NULL;
        pg.title = title;
        pg.subtitle = sub;

        if (t && t->t0_ms) {
                usage = calloc(t->n_points ? t->n_points : 1, sizeof(*usage));
                marks = calloc(t->n_marks ? t->n_marks : 1, sizeof(*marks));
                for (size_t i = 0; usage && i < t->n_points; i++)
                        usage[i] = (struct an_point){ since_t0_ms(t, t->points[i].t_ms), (double)t->points[i].usage };
                for (size_t i = 0; marks && i < t->n_marks; i++)
                        marks[i] = (struct an_mark){ since_t0_ms(t, t->marks[i].t_ms), t->marks[i].kind,
                                                     t->marks[i].label };
                pg.usage = usage;
                pg.n_usage = usage ? t->n_points : 0;
                pg.marks = marks;
                pg.n_marks = marks ? t->n_marks : 0;
        }
        /* the heap of each dump of the target, when it was written (its mtime) */
        heap = calloc(b->n_dumps ? b->n_dumps : 1, sizeof(*heap));
        for (size_t i = 0; heap && t && t->t0_ms && i < b->n_dumps; i++) {
                struct stat st;
                int64_t bytes;
                char *err = NULL;
                if (b->dumps[i].pid != b->pid || stat(b->dumps[i].file, &st) < 0 ||
                    an_peek_total(b->dumps[i].file, &bytes, &err) < 0) {
                        free(err);
                        continue;
                }
                int64_t ms = ((int64_t)st.st_mtim.tv_sec - t->t0_wall.tv_sec) * 1000 +
                             (st.st_mtim.tv_nsec - t->t0_wall.tv_nsec) / 1000000;
                heap[n_heap++] = (struct an_point){ ms > 0 ? ms : 0, (double)bytes };
        }
        pg.heap = heap;
        pg.n_heap = n_heap;
        r = an_render_html(diff, trend, &pg, out);
        free(usage);
        free(marks);
        free(heap);
        free(title);
        free(sub);
        return r;
}
