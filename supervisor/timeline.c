/* The run's timeline; see timeline.h. */
#include "timeline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void tl_init(struct tl *t)
{
        /* the arrays are read only below their counts: left as they are, a
         * calloc'd timeline's pages stay untouched until they are used */
        t->n_points = t->n_marks = t->n_dump_marks = 0;
        t->min_gap_ms = 0;
        t->dump_seen = 0;
        t->dump_stride = 1;
        t->t0_ms = 0;
        t->t0_wall = (struct timespec){ 0 };
}

void tl_sample(struct tl *t, uint64_t now_ms, uint64_t usage)
{
        struct tl_point *last = t->n_points ? &t->points[t->n_points - 1] : NULL;

        if (last && now_ms < last->t_ms)
                return;
        /* closer than the spacing to the last point: it takes the newer value */
        if (last && t->n_points > 1 && now_ms - t->points[t->n_points - 2].t_ms < t->min_gap_ms) {
                *last = (struct tl_point){ now_ms, usage };
                return;
        }
        if (t->n_points == TL_MAX_POINTS) {
                /* keep the first and every other one after it */
                size_t k = 1;
                for (size_t i = 2; i < t->n_points; i += 2)
                        t->points[k++] = t->points[i];
                t->n_points = k;
                t->min_gap_ms = t->min_gap_ms ? t->min_gap_ms * 2 : (now_ms - t->points[0].t_ms) / (TL_MAX_POINTS / 2) + 1;
        }
        t->points[t->n_points++] = (struct tl_point){ now_ms, usage };
}

size_t tl_points_since(const struct tl *t, uint64_t since_ms, const struct tl_point **ret)
{
        size_t i = t->n_points;

        while (i > 0 && t->points[i - 1].t_ms >= since_ms)
                i--;
        *ret = t->points + i;
        return t->n_points - i;
}

static void add_mark(struct tl *t, uint64_t now_ms, const char *kind, const char *label)
{
        bool dump = strcmp(kind, "dump") == 0;

        if (dump) {
                if (t->dump_seen++ % t->dump_stride)
                        return;
        }
        if (t->n_marks == TL_MAX_MARKS) {
                /* thin the dump marks out: every other one goes */
                size_t k = 0, seen = 0;
                for (size_t i = 0; i < t->n_marks; i++) {
                        if (strcmp(t->marks[i].kind, "dump") == 0 && seen++ % 2)
                                continue;
                        t->marks[k++] = t->marks[i];
                }
                if (k < t->n_marks && t->dump_stride < (1u << 20))
                        t->dump_stride *= 2;
                if (k == t->n_marks) {
                        /* no dumps to thin (a restart loop): the older half goes,
                         * what led to this incident stays */
                        k = TL_MAX_MARKS / 2;
                        memmove(t->marks, t->marks + (t->n_marks - k), k * sizeof(t->marks[0]));
                }
                t->n_marks = k;
                if (dump && t->dump_stride > 1)
                        return;
        }
        struct tl_mark *m = &t->marks[t->n_marks++];
        m->t_ms = now_ms;
        snprintf(m->kind, sizeof(m->kind), "%s", kind);
        snprintf(m->label, sizeof(m->label), "%s", label);
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

int tl_event(struct tl *t, uint64_t now_ms, const char *name, const char *event_json)
{
        static const char *const kinds[] = { "start", "dump", "baseline", "threshold", "oom", "exit", "restart" };
        struct json_value *v = NULL;
        const char *ev, *s;
        char label[TL_LABEL_MAX];
        int64_t a = 0, b = 0;
        int r = 0;
        size_t k;

        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(name, kinds[k]) != 0; k++)
                ;
        if (k == sizeof(kinds) / sizeof(kinds[0]))
                return 0;
        /* in a dump storm most dump marks are thinned out: not worth reading */
        if (strcmp(name, "dump") == 0 && t->dump_seen % t->dump_stride) {
                t->dump_seen++;
                return 0;
        }
        if (json_parse(event_json, strlen(event_json), &v, NULL) < 0 || json_get_string(v, "event", &ev) < 0) {
                json_value_free(v);
                return -EINVAL;
        }
        label[0] = '\0';
        if (strcmp(ev, "start") == 0) {
                if (!t->t0_ms) {
                        t->t0_ms = now_ms;
                        clock_gettime(CLOCK_REALTIME, &t->t0_wall);
                }
                (void)json_get_int(v, "run", &a);
                (void)json_get_int(v, "pid", &b);
                snprintf(label, sizeof(label), "start %lld (pid %lld)", (long long)a, (long long)b);
                add_mark(t, now_ms, "start", label);
                r = 1;
        } else if (strcmp(ev, "dump") == 0 || strcmp(ev, "baseline") == 0) {
                const char *kind = NULL;
                if (json_get_string(v, "path", &s) < 0 && json_get_string(v, "file", &s) < 0)
                        s = "";
                (void)json_get_string(v, "kind", &kind);
                snprintf(label, sizeof(label), "%s%s%s%s", base_name(s), kind ? " (" : "", kind ? kind : "",
                         kind ? ")" : "");
                add_mark(t, now_ms, ev[0] == 'b' ? "baseline" : "dump", label);
                r = 1;
        } else if (strcmp(ev, "threshold") == 0) {
                (void)json_get_int(v, "percent", &a);
                snprintf(label, sizeof(label), "%lld%% of the limit", (long long)a);
                add_mark(t, now_ms, "threshold", label);
                r = 1;
        } else if (strcmp(ev, "oom") == 0) {
                if (json_get_int(v, "pid", &a) == 0)
                        snprintf(label, sizeof(label), "OOM kill (pid %lld)", (long long)a);
                else
                        snprintf(label, sizeof(label), "OOM kill in the cgroup");
                add_mark(t, now_ms, "oom", label);
                r = 1;
        } else if (strcmp(ev, "exit") == 0) {
                if (json_get_string(v, "verdict", &s) < 0)
                        s = "exit";
                if (json_get_int(v, "status", &a) == 0)
                        snprintf(label, sizeof(label), "%s (status %lld)", s, (long long)a);
                else
                        snprintf(label, sizeof(label), "%s", s);
                add_mark(t, now_ms, "exit", label);
                r = 1;
        } else if (strcmp(ev, "restart") == 0) {
                (void)json_get_int(v, "attempt", &a);
                snprintf(label, sizeof(label), "restart %lld", (long long)a);
                add_mark(t, now_ms, "restart", label);
                r = 1;
        }
        json_value_free(v);
        return r;
}
