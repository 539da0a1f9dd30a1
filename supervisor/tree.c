/* The target's process tree. */
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cgroup.h"

#define HASH_BUCKETS 1024u
#define CMD_REFRESH_MS 1000     /* a large process's command line is read again after this */
#define CMD_REFRESH_TOP 4       /* ... for the largest this many */
#define NO_DEADLINE UINT64_MAX

struct node {
        struct tree_proc p;
        struct ac *ac;
        bool used;
        bool seen;              /* listed by the sample in progress */
        int next;               /* hash chain; -1 ends it */
        size_t live_pos;        /* index in t->live */
        uint64_t cmd_ms;        /* when cmd was read */
};

struct tree {
        struct tree_params prm;
        struct node *nodes;
        unsigned cap;
        int heads[HASH_BUCKETS];
        int free_head;          /* free nodes chained through next */
        unsigned *live;         /* slots of the used nodes, dense */
        size_t n_live, live_cap;
        struct tree_proc recent[TREE_RECENT_MAX];
        size_t n_recent;        /* recent[0] is the newest */
        unsigned channels;
        uint64_t refused;
        unsigned unsampled;
        pid_t *pids;
        size_t pids_cap;
        uint64_t page;
        int version;
        char *rel;
        pid_t target;
};

/* ---- pure helpers ------------------------------------------------------------- */

static int parse_u64(const char **pp, uint64_t *ret)
{
        const char *p = *pp;
        uint64_t v = 0;

        while (*p == ' ')
                p++;
        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned)(*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *pp = p;
        *ret = v;
        return 0;
}

int tree_parse_statm(const char *text, uint64_t page_size, uint64_t *ret_rss, uint64_t *ret_anon)
{
        const char *p = text;
        uint64_t size, res, shared;

        if (parse_u64(&p, &size) < 0 || parse_u64(&p, &res) < 0 || parse_u64(&p, &shared) < 0 ||
            res > UINT64_MAX / page_size)
                return -EINVAL;
        *ret_rss = res * page_size;
        *ret_anon = (res > shared ? res - shared : 0) * page_size;
        return 0;
}

bool tree_cgroup_has(const char *text, const char *rel, int version)
{
        size_t rl = strlen(rel);

        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n'), *c1, *c2;
                size_t len = end ? (size_t)(end - line) : strlen(line);
                bool ours = false;

                c1 = memchr(line, ':', len);
                c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
                if (c2) {
                        size_t cl = (size_t)(c2 - c1 - 1);
                        if (version == 2)
                                ours = cl == 0 && c1 - line == 1 && line[0] == '0';
                        else
                                for (const char *w = c1 + 1; w < c2;) {
                                        const char *comma = memchr(w, ',', (size_t)(c2 - w));
                                        size_t wl = comma ? (size_t)(comma - w) : (size_t)(c2 - w);
                                        if (wl == 6 && memcmp(w, "memory", 6) == 0)
                                                ours = true;
                                        w += wl + 1;
                                }
                }
                if (ours) {
                        const char *path = c2 + 1;
                        size_t pl = len - (size_t)(path - line);
                        if (rl == 1 && rel[0] == '/')
                                return true;
                        return pl >= rl && memcmp(path, rel, rl) == 0 && (pl == rl || path[rl] == '/');
                }
                line = end ? end + 1 : NULL;
        }
        return false;
}

int tree_parse_stat(const char *text, pid_t *ret_ppid, char *ret_state, bool *ret_exiting)
{
        const char *p = strrchr(text, ')');
        uint64_t ppid, v;
        char state;

        if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
                return -EINVAL;
        state = p[2];
        p += 3;
        if (parse_u64(&p, &ppid) < 0 || ppid > INT_MAX)
                return -EINVAL;
        /* pgrp session tty_nr tpgid flags */
        for (int i = 0; i < 4; i++) {
                const char *q = p;
                while (*q == ' ')
                        q++;
                if (*q == '-')
                        q++;
                p = q;
                if (parse_u64(&p, &v) < 0)
                        return -EINVAL;
        }
        if (parse_u64(&p, &v) < 0)
                return -EINVAL;
        *ret_ppid = (pid_t)ppid;
        *ret_state = state;
        *ret_exiting = (v & 0x4) != 0;  /* PF_EXITING */
        return 0;
}

void tree_format_cmdline(const char *raw, size_t n, char *buf, size_t len)
{
        size_t k = 0;

        if (!len)
                return;
        for (size_t i = 0; i < n && k + 1 < len; i++) {
                unsigned char c = (unsigned char)raw[i];
                buf[k++] = c == '\0' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        while (k && buf[k - 1] == ' ')
                k--;
        buf[k] = '\0';
}

/* ---- /proc ----------------------------------------------------------------------- */

static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
        char path[64];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, len - 1);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return n;
}

static bool proc_member(struct tree *t, pid_t pid)
{
        char buf[4096];

        if (pid == getpid())
                return false;   /* own-cgroup mode: the supervisor is in the cgroup too */
        if (t->prm.member)
                return t->prm.member(t->prm.member_ud, pid);
        if (read_proc(pid, "cgroup", buf, sizeof(buf)) <= 0)
                return false;
        return t->rel && tree_cgroup_has(buf, t->rel, t->version);
}

bool tree_proc_alive(pid_t pid)
{
        char buf[1024], state;
        pid_t ppid;
        bool exiting;

        if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0 || tree_parse_stat(buf, &ppid, &state, &exiting) < 0)
                return false;
        return state != 'Z' && state != 'X' && !exiting;
}

/* Dying: alive by /proc, but with SIGKILL pending (the OOM killer's). */
static bool proc_dying(pid_t pid)
{
        char buf[4096], *p;

        if (!tree_proc_alive(pid))
                return true;
        if (read_proc(pid, "status", buf, sizeof(buf)) <= 0)
                return true;
        for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                unsigned long long mask;
                if ((sscanf(p, "ShdPnd: %llx", &mask) == 1 || sscanf(p, "SigPnd: %llx", &mask) == 1) &&
                    (mask & (1ULL << 8)))       /* SIGKILL is 9 */
                        return true;
        }
        return false;
}

bool tree_pid_running(pid_t pid)
{
        return !proc_dying(pid);
}

static void read_identity(struct node *nd, uint64_t now_ms)
{
        char buf[TREE_CMD_MAX + 1], state;
        ssize_t n;
        bool exiting;
        pid_t ppid;

        if (read_proc(nd->p.pid, "stat", buf, sizeof(buf)) > 0 && tree_parse_stat(buf, &ppid, &state, &exiting) == 0)
                nd->p.ppid = ppid;
        n = read_proc(nd->p.pid, "cmdline", buf, sizeof(buf));
        if (n > 0) {
                tree_format_cmdline(buf, (size_t)n, nd->p.cmd, sizeof(nd->p.cmd));
                nd->cmd_ms = now_ms;
        }
        if (!nd->p.cmd[0] && read_proc(nd->p.pid, "comm", buf, sizeof(buf)) > 0) {
                buf[strcspn(buf, "\n")] = '\0';
                snprintf(nd->p.cmd, sizeof(nd->p.cmd), "[%.32s]", buf);
        }
        {
                char path[64], exe[PATH_MAX];
                snprintf(path, sizeof(path), "/proc/%d/exe", (int)nd->p.pid);
                n = readlink(path, exe, sizeof(exe) - 1);
                if (n > 0) {
                        exe[n] = '\0';
                        free(nd->p.exe);
                        nd->p.exe = strdup(exe);
                }
        }
}

static void read_memory(struct tree *t, struct node *nd, uint64_t now_ms)
{
        char buf[256];
        uint64_t rss, anon;

        if (read_proc(nd->p.pid, "statm", buf, sizeof(buf)) > 0 && tree_parse_statm(buf, t->page, &rss, &anon) == 0) {
                nd->p.rss = rss;
                nd->p.anon = anon;
                if (anon > nd->p.anon_peak)
                        nd->p.anon_peak = anon;
                nd->p.sampled_ms = now_ms;
        }
}

/* ---- nodes ------------------------------------------------------------------------- */

static unsigned bucket(pid_t pid)
{
        return ((unsigned)pid * 2654435761u) % HASH_BUCKETS;
}

static struct node *lookup(const struct tree *t, pid_t pid)
{
        for (int i = t->heads[bucket(pid)]; i >= 0; i = t->nodes[i].next)
                if (t->nodes[i].p.pid == pid)
                        return &t->nodes[i];
        return NULL;
}

static int grow(struct tree *t)
{
        unsigned ncap = t->cap ? t->cap * 2 : 64;
        struct node *n = realloc(t->nodes, ncap * sizeof(*n));
        unsigned *l;

        if (!n)
                return -ENOMEM;
        t->nodes = n;
        l = realloc(t->live, ncap * sizeof(*l));
        if (!l)
                return -ENOMEM;
        t->live = l;
        for (unsigned i = ncap; i-- > t->cap;) {
                memset(&n[i], 0, sizeof(n[i]));
                n[i].next = t->free_head;
                t->free_head = (int)i;
        }
        t->cap = ncap;
        return 0;
}

static struct node *add_node(struct tree *t, pid_t pid, uint64_t now_ms)
{
        struct node *nd;
        unsigned b = bucket(pid);
        int i;

        if (t->free_head < 0 && grow(t) < 0)
                return NULL;
        i = t->free_head;
        nd = &t->nodes[i];
        t->free_head = nd->next;
        memset(nd, 0, sizeof(*nd));
        nd->used = true;
        nd->p.pid = pid;
        nd->p.agent = AC_NO_HELLO;
        nd->p.baseline_due = NO_DEADLINE;
        nd->p.is_target = pid == t->target;
        nd->next = t->heads[b];
        t->heads[b] = i;
        nd->live_pos = t->n_live;
        t->live[t->n_live++] = (unsigned)i;
        read_identity(nd, now_ms);
        return nd;
}

static unsigned slot_of(const struct tree *t, const struct node *nd)
{
        return (unsigned)(nd - t->nodes);
}

static void close_channel(struct tree *t, struct node *nd)
{
        if (!nd->ac)
                return;
        (void)epoll_ctl(t->prm.epoll_fd, EPOLL_CTL_DEL, ac_fd(nd->ac), NULL);
        ac_free(nd->ac);
        nd->ac = NULL;
        nd->p.has_channel = false;
        nd->p.agent = AC_NO_HELLO;
        t->channels--;
}

/* Keep a copy of p among the recent: the killed before the others, then
 * the larger; the newest first. */
static void remember(struct tree *t, const struct tree_proc *p)
{
        size_t drop = TREE_RECENT_MAX;

        if (t->n_recent == TREE_RECENT_MAX) {
                for (size_t i = 0; i < t->n_recent; i++) {
                        const struct tree_proc *r = &t->recent[i];
                        if (drop == TREE_RECENT_MAX)
                                drop = i;
                        else {
                                const struct tree_proc *d = &t->recent[drop];
                                bool rk = r->end == TREE_KILLED, dk = d->end == TREE_KILLED;
                                if ((dk && !rk) || (dk == rk && r->anon_peak <= d->anon_peak))
                                        drop = i;
                        }
                }
                {
                        const struct tree_proc *d = &t->recent[drop];
                        if ((d->end == TREE_KILLED && p->end != TREE_KILLED) ||
                            (d->end == p->end && d->anon_peak > p->anon_peak)) {
                                free(p->exe);   /* p is the least interesting */
                                return;
                        }
                }
                free(t->recent[drop].exe);
                memmove(&t->recent[drop], &t->recent[drop + 1], (t->n_recent - drop - 1) * sizeof(t->recent[0]));
                t->n_recent--;
        }
        memmove(&t->recent[1], &t->recent[0], t->n_recent * sizeof(t->recent[0]));
        t->recent[0] = *p;
        t->n_recent++;
}

static void free_node(struct tree *t, struct node *nd)
{
        unsigned b = bucket(nd->p.pid), i = slot_of(t, nd);
        int *pp = &t->heads[b];

        close_channel(t, nd);
        free(nd->p.exe);
        nd->p.exe = NULL;
        while (*pp >= 0 && *pp != (int)i)
                pp = &t->nodes[*pp].next;
        if (*pp == (int)i)
                *pp = nd->next;
        t->live[nd->live_pos] = t->live[--t->n_live];
        t->nodes[t->live[nd->live_pos]].live_pos = nd->live_pos;
        nd->used = false;
        nd->next = t->free_head;
        t->free_head = (int)i;
}

/* nd is gone: hook, then to the recent list (the copy owns exe). */
static void gone(struct tree *t, struct node *nd, uint64_t now_ms)
{
        struct tree_proc copy;

        if (nd->p.end == TREE_ALIVE)
                nd->p.end = TREE_EXITED;
        nd->p.ended_ms = now_ms;
        nd->p.has_channel = false;
        if (t->prm.hooks.gone)
                t->prm.hooks.gone(t->prm.hooks.ud, &nd->p);
        copy = nd->p;
        nd->p.exe = NULL;
        free_node(t, nd);
        remember(t, &copy);
}

/* ---- the interface ------------------------------------------------------------------ */

int tree_new(const struct tree_params *p, struct tree **ret)
{
        struct tree *t;
        long page = sysconf(_SC_PAGESIZE);

        if (!p || p->max_channels == 0)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->prm = *p;
        t->free_head = -1;
        t->page = page > 0 ? (uint64_t)page : 4096;
        for (unsigned i = 0; i < HASH_BUCKETS; i++)
                t->heads[i] = -1;
        if (p->cg) {
                t->version = cg_version(p->cg);
                t->rel = strdup(cg_rel_path(p->cg));
                if (!t->rel) {
                        free(t);
                        return -ENOMEM;
                }
        }
        *ret = t;
        return 0;
}

static void clear(struct tree *t)
{
        while (t->n_live)
                free_node(t, &t->nodes[t->live[0]]);
        for (size_t i = 0; i < t->n_recent; i++)
                free(t->recent[i].exe);
        t->n_recent = 0;
}

void tree_free(struct tree *t)
{
        if (!t)
                return;
        clear(t);
        free(t->nodes);
        free(t->live);
        free(t->pids);
        free(t->rel);
        free(t);
}

void tree_start_run(struct tree *t, pid_t target)
{
        clear(t);
        t->unsampled = 0;
        t->target = target;
}

int tree_attach(struct tree *t, pid_t pid, int fd, bool *ret_full)
{
        struct epoll_event ev = { .events = EPOLLIN };
        struct node *nd;
        struct ac *ac;
        uint64_t now = ac_now_ms();
        int r;

        if (!proc_member(t, pid)) {
                close(fd);
                return 0;
        }
        nd = lookup(t, pid);
        if (!(nd && nd->ac) && t->channels >= t->prm.max_channels) {
                close(fd);
                t->refused++;
                if (ret_full)
                        *ret_full = true;
                return 0;
        }
        r = ac_adopt(fd, &ac);
        if (r < 0)
                return r;
        if (!nd) {
                nd = add_node(t, pid, now);
                if (!nd) {
                        ac_free(ac);
                        return -ENOMEM;
                }
        } else if (nd->ac) {
                /* a new image of the same process: the old channel is over */
                close_channel(t, nd);
                read_identity(nd, now);
                if (t->prm.hooks.exec)
                        t->prm.hooks.exec(t->prm.hooks.ud, &nd->p);
        } else {
                read_identity(nd, now);
        }
        ev.data.u64 = (uint64_t)t->prm.epoll_tag | ((uint64_t)slot_of(t, nd) << 8);
        if (epoll_ctl(t->prm.epoll_fd, EPOLL_CTL_ADD, ac_fd(ac), &ev) < 0) {
                r = -errno;
                ac_free(ac);
                return r;
        }
        nd->ac = ac;
        nd->p.has_channel = true;
        nd->p.agent = AC_NO_HELLO;
        t->channels++;
        read_memory(t, nd, now);
        return 1;
}

static void drain(struct tree *t, struct node *nd)
{
        struct ac_reply *rep = malloc(sizeof(*rep));

        while (rep && nd->ac && ac_next_reply(nd->ac, rep) == 1)
                if (t->prm.hooks.reply)
                        t->prm.hooks.reply(t->prm.hooks.ud, &nd->p, rep);
        free(rep);
}

void tree_on_channel(struct tree *t, unsigned slot, uint64_t now_ms)
{
        struct node *nd;
        int ev;

        if (slot >= t->cap || !t->nodes[slot].used || !t->nodes[slot].ac)
                return;
        nd = &t->nodes[slot];
        ev = ac_on_readable(nd->ac);
        if (ev < 0)
                return;
        if (ev & AC_EV_HELLO) {
                const struct ac_state *st = ac_state(nd->ac);
                nd->p.agent = st->kind;
                if (t->prm.hooks.hello)
                        t->prm.hooks.hello(t->prm.hooks.ud, &nd->p, st);
        }
        drain(t, nd);
        if (!(ev & AC_EV_HANGUP))
                return;
        if (nd->p.end == TREE_ALIVE && tree_proc_alive(nd->p.pid)) {
                close_channel(t, nd);
                if (t->prm.hooks.exec)
                        t->prm.hooks.exec(t->prm.hooks.ud, &nd->p);
                return;
        }
        gone(t, nd, now_ms);
}

int tree_request(struct tree *t, pid_t pid, enum ac_op op, uint64_t now_ms, uint64_t *ret_id)
{
        struct node *nd = lookup(t, pid);

        if (!nd || nd->p.end != TREE_ALIVE)
                return -ESRCH;
        if (!nd->ac)
                return -ENOTCONN;
        return ac_request(nd->ac, op, now_ms, ret_id);
}

const char *tree_reason(const struct tree *t, pid_t pid)
{
        const struct node *nd = lookup(t, pid);

        if (!nd || nd->p.end != TREE_ALIVE)
                return "no such process in the target's tree";
        if (!nd->ac)
                return "the process has no agent channel (no jemalloc, the agent not loaded, or the channel closed)";
        return ac_state_reason(ac_state(nd->ac));
}

int tree_next_deadline(const struct tree *t, uint64_t *ret_ms)
{
        uint64_t best = NO_DEADLINE, d;

        for (size_t i = 0; i < t->n_live; i++) {
                const struct node *nd = &t->nodes[t->live[i]];
                if (nd->ac && ac_pending(nd->ac) && ac_next_deadline(nd->ac, &d) == 1 && d < best)
                        best = d;
        }
        if (best == NO_DEADLINE)
                return 0;
        *ret_ms = best;
        return 1;
}

void tree_expire(struct tree *t, uint64_t now_ms)
{
        for (size_t i = 0; i < t->n_live; i++) {
                struct node *nd = &t->nodes[t->live[i]];
                if (nd->ac && ac_pending(nd->ac) && ac_expire(nd->ac, now_ms) > 0)
                        drain(t, nd);
        }
}

/* The largest by anon, for the command line refresh. */
static void refresh_top(struct tree *t, uint64_t now_ms)
{
        struct node *top[CMD_REFRESH_TOP] = { NULL };

        for (size_t i = 0; i < t->n_live; i++) {
                struct node *nd = &t->nodes[t->live[i]];
                for (unsigned k = 0; k < CMD_REFRESH_TOP; k++)
                        if (!top[k] || nd->p.anon > top[k]->p.anon) {
                                memmove(&top[k + 1], &top[k], (CMD_REFRESH_TOP - k - 1) * sizeof(top[0]));
                                top[k] = nd;
                                break;
                        }
        }
        for (unsigned k = 0; k < CMD_REFRESH_TOP && top[k]; k++)
                if (now_ms - top[k]->cmd_ms >= CMD_REFRESH_MS) {
                        char buf[TREE_CMD_MAX + 1];
                        ssize_t n = read_proc(top[k]->p.pid, "cmdline", buf, sizeof(buf));
                        if (n > 0)
                                tree_format_cmdline(buf, (size_t)n, top[k]->p.cmd, sizeof(top[k]->p.cmd));
                        top[k]->cmd_ms = now_ms;
                }
}

int tree_sample(struct tree *t, uint64_t now_ms)
{
        int n;
        size_t k;

        if (!t->prm.cg)
                return -EOPNOTSUPP;
        for (;;) {
                n = cg_list_procs(t->prm.cg, t->pids, t->pids_cap);
                if (n < 0)
                        return n;
                if ((size_t)n <= t->pids_cap || t->pids_cap >= TREE_SAMPLE_MAX)
                        break;
                {
                        size_t want = (size_t)n < TREE_SAMPLE_MAX ? (size_t)n + 64 : TREE_SAMPLE_MAX;
                        pid_t *p = realloc(t->pids, want * sizeof(*p));
                        if (!p)
                                return -ENOMEM;
                        t->pids = p;
                        t->pids_cap = want;
                }
        }
        k = (size_t)n < t->pids_cap ? (size_t)n : t->pids_cap;
        t->unsampled = (unsigned)((size_t)n - k);
        for (size_t i = 0; i < t->n_live; i++)
                t->nodes[t->live[i]].seen = false;
        for (size_t i = 0; i < k; i++) {
                struct node *nd = lookup(t, t->pids[i]);
                if (t->pids[i] == getpid())
                        continue;
                /* a process new to us that is exiting already (an OOM
                 * victim whose channel closed first, and its node with it)
                 * has no identity left to read: it is not added again */
                if (!nd && tree_proc_alive(t->pids[i]))
                        nd = add_node(t, t->pids[i], now_ms);
                if (!nd)
                        continue;
                nd->seen = true;
                read_memory(t, nd, now_ms);
        }
        /* not listed any more and no channel to say so: gone (but only when
         * the listing was complete) */
        for (size_t i = 0; i < t->n_live && !t->unsampled;) {
                struct node *nd = &t->nodes[t->live[i]];
                if (!nd->seen && !nd->ac && !tree_proc_alive(nd->p.pid)) {
                        gone(t, nd, now_ms);
                        continue;       /* the last live one moved to i */
                }
                i++;
        }
        refresh_top(t, now_ms);
        return (int)t->n_live;
}

int tree_track(struct tree *t, pid_t pid, uint64_t now_ms)
{
        struct node *nd = lookup(t, pid);

        if (nd)
                return nd->p.end == TREE_ALIVE;
        if (!tree_proc_alive(pid) || !proc_member(t, pid))
                return 0;
        nd = add_node(t, pid, now_ms);
        if (!nd)
                return -ENOMEM;
        read_memory(t, nd, now_ms);
        return 1;
}

const struct tree_proc *tree_mark_killed(struct tree *t, pid_t pid, const char *task, uint64_t anon_rss)
{
        struct node *nd = lookup(t, pid);

        if (nd) {
                nd->p.end = TREE_KILLED;
                if (anon_rss > nd->p.anon_peak)
                        nd->p.anon_peak = anon_rss;
                if (anon_rss)
                        nd->p.anon = anon_rss;
                return &nd->p;
        }
        for (size_t i = 0; i < t->n_recent; i++)
                if (t->recent[i].pid == pid) {
                        t->recent[i].end = TREE_KILLED;
                        if (anon_rss) {
                                t->recent[i].anon = anon_rss;
                                if (anon_rss > t->recent[i].anon_peak)
                                        t->recent[i].anon_peak = anon_rss;
                        }
                        return &t->recent[i];
                }
        {
                struct tree_proc p = { .pid = pid, .end = TREE_KILLED, .anon = anon_rss, .anon_peak = anon_rss,
                                       .agent = AC_NO_HELLO, .baseline_due = NO_DEADLINE,
                                       .ended_ms = ac_now_ms(), .is_target = pid == t->target };
                snprintf(p.cmd, sizeof(p.cmd), "[%s]", task && *task ? task : "?");
                remember(t, &p);
                for (size_t i = 0; i < t->n_recent; i++)
                        if (t->recent[i].pid == pid)
                                return &t->recent[i];
        }
        return NULL;
}

const struct tree_proc *tree_guess_victim(struct tree *t, uint64_t now_ms, uint64_t within_ms)
{
        const struct tree_proc *best = NULL;

        for (size_t i = 0; i < t->n_live; i++) {
                const struct tree_proc *p = &t->nodes[t->live[i]].p;
                /* TREE_EXITED among the live: the one whose gone hook runs now */
                if ((!best || p->anon > best->anon) &&
                    ((p->end == TREE_ALIVE && proc_dying(p->pid)) || p->end == TREE_EXITED))
                        best = p;
        }
        if (best)
                return best;
        for (size_t i = 0; i < t->n_recent; i++) {
                const struct tree_proc *p = &t->recent[i];
                if (p->end == TREE_EXITED && now_ms - p->ended_ms <= within_ms && (!best || p->anon > best->anon))
                        best = p;
        }
        return best;
}

const struct tree_proc *tree_find(const struct tree *t, pid_t pid)
{
        const struct node *nd = lookup(t, pid);

        if (nd)
                return &nd->p;
        for (size_t i = 0; i < t->n_recent; i++)
                if (t->recent[i].pid == pid)
                        return &t->recent[i];
        return NULL;
}

size_t tree_count(const struct tree *t)
{
        return t->n_live;
}

const struct tree_proc *tree_get(const struct tree *t, size_t i)
{
        return i < t->n_live ? &t->nodes[t->live[i]].p : NULL;
}

size_t tree_recent_count(const struct tree *t)
{
        return t->n_recent;
}

const struct tree_proc *tree_recent(const struct tree *t, size_t i)
{
        return i < t->n_recent ? &t->recent[i] : NULL;
}

int tree_set_baseline_due(struct tree *t, pid_t pid, uint64_t due_ms)
{
        struct node *nd = lookup(t, pid);

        if (!nd)
                return -ESRCH;
        nd->p.baseline_due = due_ms;
        return 0;
}

void tree_forget(struct tree *t, pid_t pid)
{
        for (size_t i = 0; i < t->n_recent; i++)
                if (t->recent[i].pid == pid) {
                        free(t->recent[i].exe);
                        memmove(&t->recent[i], &t->recent[i + 1], (t->n_recent - i - 1) * sizeof(t->recent[0]));
                        t->n_recent--;
                        return;
                }
}

unsigned tree_unsampled(const struct tree *t)
{
        return t->unsampled;
}

uint64_t tree_refused_channels(const struct tree *t)
{
        return t->refused;
}
