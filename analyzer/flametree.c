/* The call tree of a report's growth, for the flame graphs (render.c's
 * SVG, render_html.c's page); see report.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "report.h"

static int64_t node_add(struct rep_ftree *t, uint32_t name)
{
        if (au_grow(&t->n, &t->cap, t->len + 1, sizeof(*t->n)) < 0 || t->len >= INT32_MAX)
                return -ENOMEM;
        t->n[t->len] = (struct rep_fnode){ .name = name, .child = -1, .next = -1 };
        return (int64_t)t->len++;
}

int rep_ftree_build(const struct an_report *r, struct rep_ftree *t)
{
        memset(t, 0, sizeof(*t));
        if (node_add(t, UINT32_MAX) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < r->npaths; i++) {
                const struct rep_path *p = &r->paths[i];
                if (p->n == 0 || !(p->v >= 1.0))
                        continue;
                int64_t cur = 0;
                t->n[0].v += p->v;
                if (p->n > t->depth)
                        t->depth = p->n;
                for (uint32_t k = p->n; k-- > 0;) {
                        uint32_t id = r->ids[p->off + k];
                        int64_t c = t->n[cur].child, prev = -1;
                        while (c >= 0 && t->n[c].name != id) {
                                prev = c;
                                c = t->n[c].next;
                        }
                        if (c < 0) {
                                c = node_add(t, id);
                                if (c < 0)
                                        return -ENOMEM;
                                if (prev >= 0)
                                        t->n[prev].next = (int32_t)c;
                                else
                                        t->n[cur].child = (int32_t)c;
                        }
                        t->n[c].v += p->v;
                        cur = c;
                }
        }
        return 0;
}

