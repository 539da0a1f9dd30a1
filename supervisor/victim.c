/* Who each OOM kill took: the kernel's record, or what the tree saw. */
#include "victim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX 32
#define GUESSES_PER_CALL 8
#define NO_DEADLINE UINT64_MAX

struct pend {
        bool used;
        bool anon_known;
        struct vic_kill k;
        uint64_t ready_at;
        uint64_t order;
};

struct vic {
        struct kmsg *km;
        struct tree *tree;
        bool group_possible;
        uint64_t counted;          /* the counter's kills in this run */
        uint64_t named;            /* kills named in this run */
        uint64_t gap_deadline;     /* counted > named since: name the rest by observation then */
        uint64_t order;
        struct pend pend[PENDING_MAX];
};

int vic_new(const char *ours, struct tree *tree, bool group_possible, struct vic **ret, int *ret_kmsg_err)
{
        struct vic *v = calloc(1, sizeof(*v));
        int r;

        if (!v)
                return -ENOMEM;
        v->tree = tree;
        v->group_possible = group_possible;
        v->gap_deadline = NO_DEADLINE;
        r = kmsg_open(ours, &v->km);
        if (r < 0)
                v->km = NULL;
        if (ret_kmsg_err)
                *ret_kmsg_err = r < 0 ? -r : 0;
        *ret = v;
        return 0;
}

void vic_free(struct vic *v)
{
        if (!v)
                return;
        kmsg_free(v->km);
        free(v);
}

int vic_fd(const struct vic *v)
{
        return v->km ? kmsg_fd(v->km) : -1;
}

void vic_no_kmsg(struct vic *v)
{
        kmsg_free(v->km);
        v->km = NULL;
}

static struct pend *new_pend(struct vic *v)
{
        struct pend *old = NULL;

        for (unsigned i = 0; i < PENDING_MAX; i++) {
                if (!v->pend[i].used)
                        return &v->pend[i];
                if (!old || v->pend[i].order < old->order)
                        old = &v->pend[i];
        }
        return old;     /* full: the oldest is dropped (never taken: bounded) */
}

static void add(struct vic *v, const struct vic_kill *k, bool anon_known, uint64_t ready_at)
{
        struct pend *p = new_pend(v);

        *p = (struct pend){ .used = true, .anon_known = anon_known, .k = *k, .ready_at = ready_at,
                            .order = ++v->order };
        v->named++;
}

void vic_start_run(struct vic *v)
{
        struct kmsg_kill kk;

        if (v->km) {
                (void)kmsg_read(v->km);
                while (kmsg_next_kill(v->km, &kk) == 1)
                        ;
        }
        memset(v->pend, 0, sizeof(v->pend));
        v->counted = v->named = 0;
        v->gap_deadline = NO_DEADLINE;
}

static uint64_t group_wait(const struct vic *v, uint64_t now_ms)
{
        return v->group_possible ? now_ms + VIC_GROUP_WAIT_MS : now_ms;
}

void vic_on_kmsg(struct vic *v, uint64_t now_ms)
{
        struct kmsg_kill kk;

        if (!v->km)
                return;
        (void)kmsg_read(v->km);
        while (kmsg_next_kill(v->km, &kk) == 1) {
                struct vic_kill k = { .pid = kk.pid, .source = "kmsg", .group = kk.group, .when_ms = now_ms };
                /* a path matched only after a prefix (another cgroup
                 * namespace), or a kill known by its pid only: ours when the
                 * tree knows the pid (and has not counted it already) */
                if (kk.match != KMSG_BY_CGROUP) {
                        const struct tree_proc *p = tree_find(v->tree, kk.pid);
                        if (!p || p->end == TREE_KILLED)
                                continue;
                }
                memcpy(k.task, kk.task, sizeof(k.task));
                k.anon_rss = kk.anon_known ? kk.anon_rss : 0;
                (void)tree_mark_killed(v->tree, kk.pid, kk.task, k.anon_rss);
                add(v, &k, kk.anon_known, kk.anon_known ? group_wait(v, now_ms) : now_ms + VIC_ANON_WAIT_MS);
        }
        /* the anon-rss of kills named before their "Killed process" line */
        for (unsigned i = 0; i < PENDING_MAX; i++) {
                struct pend *p = &v->pend[i];
                uint64_t anon;
                if (p->used && !p->anon_known && strcmp(p->k.source, "kmsg") == 0 &&
                    kmsg_anon(v->km, p->k.pid, &anon) == 1) {
                        p->anon_known = true;
                        p->k.anon_rss = anon;
                        (void)tree_mark_killed(v->tree, p->k.pid, p->k.task, anon);
                        p->ready_at = group_wait(v, now_ms);
                }
        }
        if (v->named >= v->counted)
                v->gap_deadline = NO_DEADLINE;
}

/* Name the kills the kernel's record did not, by what the tree saw. */
static void observe(struct vic *v, uint64_t now_ms)
{
        for (unsigned n = 0; v->named < v->counted && n < GUESSES_PER_CALL; n++) {
                const struct tree_proc *p = tree_guess_victim(v->tree, now_ms, VIC_OBSERVED_WITHIN_MS);
                struct vic_kill k = { .source = "observed", .when_ms = now_ms };

                if (p) {
                        k.pid = p->pid;
                        k.anon_rss = p->anon;
                        snprintf(k.task, sizeof(k.task), "%.*s", (int)sizeof(k.task) - 1, p->cmd);
                        (void)tree_mark_killed(v->tree, p->pid, NULL, 0);
                }
                add(v, &k, true, now_ms);
        }
        /* a counter far ahead (kills of a past we missed): count them named */
        if (v->named < v->counted)
                v->named = v->counted;
        v->gap_deadline = NO_DEADLINE;
}

void vic_on_counter(struct vic *v, uint64_t kills, uint64_t now_ms)
{
        if (kills <= v->counted)
                return;
        v->counted = kills;
        vic_on_kmsg(v, now_ms);
        if (v->named >= v->counted)
                return;
        if (!v->km)
                observe(v, now_ms);
        else if (v->gap_deadline == NO_DEADLINE)
                v->gap_deadline = now_ms + VIC_KMSG_GRACE_MS;
}

int vic_next_deadline(const struct vic *v, uint64_t *ret_ms)
{
        uint64_t d = v->gap_deadline;

        for (unsigned i = 0; i < PENDING_MAX; i++)
                if (v->pend[i].used && v->pend[i].ready_at < d)
                        d = v->pend[i].ready_at;
        if (d == NO_DEADLINE)
                return 0;
        *ret_ms = d;
        return 1;
}

void vic_on_timer(struct vic *v, uint64_t now_ms)
{
        if (v->gap_deadline <= now_ms) {
                vic_on_kmsg(v, now_ms);
                if (v->named < v->counted)
                        observe(v, now_ms);
        }
}

int vic_next(struct vic *v, struct vic_kill *ret, uint64_t now_ms)
{
        struct pend *best = NULL;

        for (unsigned i = 0; i < PENDING_MAX; i++) {
                struct pend *p = &v->pend[i];
                if (p->used && p->ready_at <= now_ms && (!best || p->order < best->order))
                        best = p;
        }
        if (!best)
                return 0;
        *ret = best->k;
        best->used = false;
        return 1;
}

uint64_t vic_named(const struct vic *v)
{
        return v->named;
}

uint64_t vic_kmsg_lost(const struct vic *v)
{
        return v->km ? kmsg_lost(v->km) : 0;
}
