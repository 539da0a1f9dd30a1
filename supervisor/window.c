/* The dump window: tracking, ordering and rotation of heap dumps.
 *
 * Layout: one struct proc per pid, kept in an array sorted by pid (binary
 * search) and in a list ordered by age (the process whose newest dump
 * arrived last is at the newest end). Each proc holds its entries in a
 * pointer deque sorted by (seq, kind, kseq): a new dump is appended, and
 * removing the oldest non-baseline dump shifts only the baseline pointer
 * in front of it, so the usual event costs O(1) apart from the binary
 * searches. */
#include "window.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEAP_MAGIC "heap_v2/"
#define HEAP_MAGIC_LEN (sizeof(HEAP_MAGIC) - 1)
#define RESCAN_BATCH 4096

struct proc;

struct entry {
        struct win_dump d; /* handed out as &e->d */
        struct proc *proc;
        dev_t dev;
        ino_t ino;
        unsigned pins;
        unsigned own_links; /* extra hard links the caller made (win_linked) */
        bool seen;          /* win_rescan: found in this pass */
};

struct proc {
        pid_t pid;
        struct entry **v;  /* v[off .. off+len), ordered by key */
        size_t off, len, cap;
        struct entry *base;
        bool base_explicit;
        size_t nbad;
        struct proc *older, *newer;
        struct timespec mtime; /* win_rescan: newest mtime among new entries */
        bool touched;          /* win_rescan: got new entries */
};

struct win {
        int dir_fd;
        char *prefix;
        size_t prefix_len;
        struct win_params p;
        struct proc **procs; /* sorted by pid */
        size_t nprocs, cap_procs;
        struct proc *oldest, *newest;
        size_t count;
        uint64_t bytes;
        bool hold;           /* win_hold: no rotation by `keep` */
        struct {
                char *name;
                pid_t pid;
        } cut[WIN_MAX_CUT];  /* named like dumps, no heap profiles (inspect) */
        size_t ncut;
};

struct key {
        pid_t pid;
        uint64_t seq;
        char kind;
        uint64_t kseq;
};

/* ---- names ----------------------------------------------------------------- */

/* A plain decimal number (no sign, no leading zero) at s, at most max.
 * Returns the end, or NULL. */
static const char *parse_num(const char *s, uint64_t max, uint64_t *ret)
{
        unsigned long long v;
        char *end;

        if (s[0] < '0' || s[0] > '9')
                return NULL;
        if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
                return NULL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE || v > max)
                return NULL;
        *ret = v;
        return end;
}

static bool parse_name(const struct win *w, const char *name, struct key *ret)
{
        uint64_t pid, seq, kseq = 0;
        const char *s;
        char kind;

        if (strnlen(name, NAME_MAX + 1) > NAME_MAX)
                return false;
        if (strncmp(name, w->prefix, w->prefix_len) != 0 || name[w->prefix_len] != '.')
                return false;
        s = parse_num(name + w->prefix_len + 1, INT_MAX, &pid);
        if (!s || pid == 0 || *s != '.')
                return false;
        s = parse_num(s + 1, UINT64_MAX, &seq);
        if (!s || *s != '.')
                return false;
        kind = s[1];
        if (kind == 'f')
                s += 2;
        else if (kind == 'i' || kind == 'm' || kind == 'u')
                s = parse_num(s + 2, UINT64_MAX, &kseq);
        else
                return false;
        if (!s || strcmp(s, ".heap") != 0)
                return false;
        *ret = (struct key){ .pid = (pid_t)pid, .seq = seq, .kind = kind, .kseq = kseq };
        return true;
}

static struct key key_of(const struct entry *e)
{
        return (struct key){ .pid = e->d.pid, .seq = e->d.seq, .kind = e->d.kind, .kseq = e->d.kseq };
}

/* Order inside one process: seq, then kind and kseq (only planted names
 * share a seq). */
static int key_cmp(const struct key *a, const struct key *b)
{
        if (a->seq != b->seq)
                return a->seq < b->seq ? -1 : 1;
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        if (a->kseq != b->kseq)
                return a->kseq < b->kseq ? -1 : 1;
        return 0;
}

/* ---- lookup ---------------------------------------------------------------- */

static struct entry **pv(const struct proc *p)
{
        return p->v + p->off;
}

/* First index in w->procs whose pid is >= pid. */
static size_t proc_lower(const struct win *w, pid_t pid)
{
        size_t lo = 0, hi = w->nprocs;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (w->procs[mid]->pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static struct proc *proc_find(const struct win *w, pid_t pid)
{
        size_t i = proc_lower(w, pid);

        return i < w->nprocs && w->procs[i]->pid == pid ? w->procs[i] : NULL;
}

/* First index in p whose key is >= k. */
static size_t ent_lower(const struct proc *p, const struct key *k)
{
        size_t lo = 0, hi = p->len;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                struct key m = key_of(pv(p)[mid]);
                if (key_cmp(&m, k) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static struct entry *ent_find(const struct win *w, const struct key *k)
{
        const struct proc *p = proc_find(w, k->pid);
        struct key m;
        size_t i;

        if (!p)
                return NULL;
        i = ent_lower(p, k);
        if (i == p->len)
                return NULL;
        m = key_of(pv(p)[i]);
        return key_cmp(&m, k) == 0 ? pv(p)[i] : NULL;
}

static struct entry *find_name(const struct win *w, const char *name)
{
        struct key k;

        return parse_name(w, name, &k) ? ent_find(w, &k) : NULL;
}

static struct entry *oldest_good(const struct proc *p)
{
        for (size_t i = 0; i < p->len; i++)
                if (!pv(p)[i]->d.bad)
                        return pv(p)[i];
        return NULL;
}

static struct entry *newest_good(const struct proc *p)
{
        for (size_t i = p->len; i > 0; i--)
                if (!pv(p)[i - 1]->d.bad)
                        return pv(p)[i - 1];
        return NULL;
}

/* The base of p's diff pair (may equal its newest). */
static struct entry *pair_base(const struct proc *p)
{
        return p->base ? p->base : oldest_good(p);
}

/* The process whose newest good dump arrived last. */
static struct proc *pair_proc(const struct win *w)
{
        for (struct proc *p = w->newest; p; p = p->older)
                if (p->len > p->nbad)
                        return p;
        return NULL;
}

/* ---- containers ------------------------------------------------------------- */

static void age_unlink(struct win *w, struct proc *p)
{
        if (p->older)
                p->older->newer = p->newer;
        else
                w->oldest = p->newer;
        if (p->newer)
                p->newer->older = p->older;
        else
                w->newest = p->older;
        p->older = p->newer = NULL;
}

static void age_push_newest(struct win *w, struct proc *p)
{
        p->older = w->newest;
        p->newer = NULL;
        if (w->newest)
                w->newest->newer = p;
        else
                w->oldest = p;
        w->newest = p;
}

static void age_make_newest(struct win *w, struct proc *p)
{
        if (w->newest == p)
                return;
        age_unlink(w, p);
        age_push_newest(w, p);
}

static int deque_insert(struct proc *p, size_t i, struct entry *e)
{
        if (p->off + p->len == p->cap) {
                if (p->off > 0 && p->off >= p->len) {
                        memmove(p->v, pv(p), p->len * sizeof(*p->v));
                        p->off = 0;
                } else {
                        size_t ncap = p->cap ? p->cap * 2 : 8;
                        struct entry **nv = reallocarray(p->v, ncap, sizeof(*nv));
                        if (!nv)
                                return -ENOMEM;
                        p->v = nv;
                        p->cap = ncap;
                }
        }
        if (i < p->len)
                memmove(pv(p) + i + 1, pv(p) + i, (p->len - i) * sizeof(*p->v));
        pv(p)[i] = e;
        p->len++;
        return 0;
}

/* Removes v[i], moving whichever side of it is shorter. */
static void deque_remove(struct proc *p, size_t i)
{
        if (i < p->len / 2) {
                memmove(pv(p) + 1, pv(p), i * sizeof(*p->v));
                p->off++;
        } else {
                memmove(pv(p) + i, pv(p) + i + 1, (p->len - i - 1) * sizeof(*p->v));
        }
        p->len--;
        if (p->len == 0)
                p->off = 0;
}

static void proc_drop(struct win *w, struct proc *p)
{
        size_t i = proc_lower(w, p->pid);

        memmove(w->procs + i, w->procs + i + 1, (w->nprocs - i - 1) * sizeof(*w->procs));
        w->nprocs--;
        age_unlink(w, p);
        free(p->v);
        free(p);
}

static void set_base(struct proc *p, struct entry *e, bool explicit_base)
{
        if (p->base)
                p->base->d.baseline = false;
        p->base = e;
        p->base_explicit = e && explicit_base;
        if (e)
                e->d.baseline = true;
}

/* With keep_baseline, a process without a baseline takes its oldest good
 * dump. */
static void proc_fix_base(const struct win *w, struct proc *p)
{
        if (!p->base && w->p.keep_baseline)
                set_base(p, oldest_good(p), false);
}

static struct entry *entry_new(const char *name, const struct key *k, const struct stat *st)
{
        size_t n = strlen(name);
        struct entry *e = calloc(1, sizeof(*e) + n + 1);

        if (!e)
                return NULL;
        e->d.name = memcpy((char *)(e + 1), name, n + 1);
        e->d.pid = k->pid;
        e->d.seq = k->seq;
        e->d.kind = k->kind;
        e->d.kseq = k->kseq;
        e->d.bytes = (uint64_t)st->st_size;
        e->dev = st->st_dev;
        e->ino = st->st_ino;
        e->seen = true;
        return e;
}

/* Adds e (not tracked yet) to its process, creating the process. With
 * make_newest, a dump that is its process's newest makes the process the
 * newest one. */
static int insert(struct win *w, struct entry *e, bool make_newest)
{
        size_t pi = proc_lower(w, e->d.pid), i;
        struct key k = key_of(e);
        struct proc *p;
        bool created = false;
        int r;

        if (pi < w->nprocs && w->procs[pi]->pid == e->d.pid) {
                p = w->procs[pi];
        } else {
                if (w->nprocs == w->cap_procs) {
                        size_t ncap = w->cap_procs ? w->cap_procs * 2 : 8;
                        struct proc **np = reallocarray(w->procs, ncap, sizeof(*np));
                        if (!np)
                                return -ENOMEM;
                        w->procs = np;
                        w->cap_procs = ncap;
                }
                p = calloc(1, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                p->pid = e->d.pid;
                memmove(w->procs + pi + 1, w->procs + pi, (w->nprocs - pi) * sizeof(*w->procs));
                w->procs[pi] = p;
                w->nprocs++;
                age_push_newest(w, p);
                created = true;
        }
        i = ent_lower(p, &k);
        r = deque_insert(p, i, e);
        if (r < 0) {
                if (created)
                        proc_drop(w, p);
                return r;
        }
        e->proc = p;
        w->count++;
        w->bytes += e->d.bytes;
        if (e->d.bad)
                p->nbad++;
        if (make_newest && !created && i == p->len - 1)
                age_make_newest(w, p);
        if (w->p.keep_baseline && !e->d.bad && p->base && !p->base_explicit) {
                struct key b = key_of(p->base);
                if (key_cmp(&k, &b) < 0) /* a late first dump */
                        set_base(p, e, false);
        }
        return 0;
}

/* Stops tracking e and frees it. Returns its process, or NULL if that went
 * away with its last entry. */
static struct proc *untrack(struct win *w, struct entry *e)
{
        struct proc *p = e->proc;
        struct key k = key_of(e);

        deque_remove(p, ent_lower(p, &k));
        w->count--;
        w->bytes -= e->d.bytes;
        if (e->d.bad)
                p->nbad--;
        if (p->base == e)
                set_base(p, NULL, false);
        free(e);
        if (p->len == 0) {
                proc_drop(w, p);
                return NULL;
        }
        return p;
}

/* untrack(), and a process that lost its baseline gets a new one. */
static void forget_entry(struct win *w, struct entry *e)
{
        struct proc *p = untrack(w, e);

        if (p)
                proc_fix_base(w, p);
}

/* name was seen again with stat st: a new file under a tracked name is a
 * new dump (its bad mark goes); the same file may have grown. */
static void refresh(struct win *w, struct entry *e, const struct stat *st)
{
        if (e->dev != st->st_dev || e->ino != st->st_ino) {
                e->dev = st->st_dev;
                e->ino = st->st_ino;
                if (e->d.bad) {
                        e->d.bad = false;
                        e->proc->nbad--;
                }
                e->d.rung = false;
                e->d.level = 0;
        }
        w->bytes = w->bytes - e->d.bytes + (uint64_t)st->st_size;
        e->d.bytes = (uint64_t)st->st_size;
        e->seen = true;
}

/* ---- the file system -------------------------------------------------------- */

static void note(const struct win *w, enum win_note what, const char *name, int err)
{
        if (w->p.note)
                w->p.note(w->p.userdata, what, name, err);
}

/* 0 if st is a regular file with one link, else why not (see enum win_note). */
static int plain_file(const struct stat *st)
{
        if (S_ISLNK(st->st_mode))
                return -ELOOP;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        if (st->st_nlink > 1)
                return -EMLINK;
        return 0;
}

/* Reads the head of the plain file name. Returns 1 and stores its stat
 * when it starts like a heap dump, 0 when it is a plain file that does not
 * (stat stored too), -ENOENT when it vanished or was replaced meanwhile, a
 * plain_file() error when it is not a plain file, or -errno. The open cannot
 * block or follow a link. */
static int head_of(const struct win *w, const char *name, struct stat *ret_st)
{
        char buf[HEAP_MAGIC_LEN];
        struct stat st, fst;
        ssize_t n;
        int fd, r;

        if (fstatat(w->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        r = plain_file(&st);
        if (r < 0)
                return r;
        fd = openat(w->dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT || errno == ELOOP || errno == ENXIO || errno == ENODEV)
                        return -ENOENT; /* replaced since the fstatat */
                return -errno;
        }
        if (fstat(fd, &fst) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino || plain_file(&fst) < 0) {
                close(fd);
                return -ENOENT;
        }
        do
                n = pread(fd, buf, sizeof(buf), 0);
        while (n < 0 && errno == EINTR);
        r = n < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return r;
        *ret_st = fst;
        return (size_t)n == HEAP_MAGIC_LEN && memcmp(buf, HEAP_MAGIC, HEAP_MAGIC_LEN) == 0;
}

/* Remembers a file named like a dump of pid that is no heap profile, for
 * win_sweep_cut_short; the oldest is forgotten when the list is full. */
static void remember_cut(struct win *w, const char *name, pid_t pid)
{
        char *copy;

        for (size_t i = 0; i < w->ncut; i++)
                if (strcmp(w->cut[i].name, name) == 0)
                        return;
        copy = strdup(name);
        if (!copy)
                return;
        if (w->ncut == WIN_MAX_CUT) {
                free(w->cut[0].name);
                memmove(w->cut, w->cut + 1, (w->ncut - 1) * sizeof(w->cut[0]));
                w->ncut--;
        }
        w->cut[w->ncut].name = copy;
        w->cut[w->ncut].pid = pid;
        w->ncut++;
}

/* Is name (matched as a dump of pid) a plain heap dump? known: the entry
 * tracked under that name, if any; when the inode is unchanged it is
 * trusted without reading (it may have gained links since). Returns 1 and
 * stores the file's stat, 0 if not (vanished, not plain, not a heap dump),
 * or -errno. Types are checked before any open. */
static int inspect(struct win *w, const char *name, pid_t pid, const struct entry *known, struct stat *ret_st)
{
        struct stat st;
        int r;

        if (known && fstatat(w->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_dev == known->dev && st.st_ino == known->ino) {
                *ret_st = st;
                return 1;
        }
        r = head_of(w, name, &st);
        if (r == -ENOENT)
                return 0;
        if (r == -ELOOP || r == -EISDIR || r == -EINVAL || r == -EMLINK) {
                note(w, WIN_LEFT_ALONE, name, r);
                return 0;
        }
        if (r < 0)
                return r;
        if (r == 0) {
                note(w, WIN_NOT_A_DUMP, name, -EBADMSG);
                remember_cut(w, name, pid);
                return 0;
        }
        *ret_st = st;
        return 1;
}

size_t win_sweep_cut_short(struct win *w, win_gone_fn gone, void *userdata)
{
        size_t deleted = 0, k = 0;

        for (size_t i = 0; i < w->ncut; i++) {
                struct stat st;
                int r;

                if (!gone(userdata, w->cut[i].pid)) {
                        w->cut[k++] = w->cut[i];
                        continue;
                }
                /* still the plain file that is no heap profile: its writer
                 * has ended, nothing will finish it */
                r = head_of(w, w->cut[i].name, &st);
                if (r == 0 && unlinkat(w->dir_fd, w->cut[i].name, 0) == 0) {
                        note(w, WIN_CUT_SHORT_DELETED, w->cut[i].name, 0);
                        deleted++;
                }
                free(w->cut[i].name);
        }
        w->ncut = k;
        return deleted;
}

/* Deletes e's file if it is still the plain file that was tracked (one
 * link, or only the extra links the caller declared with win_linked), and
 * forgets e in any case. Returns e's process, or NULL if it went away. */
static struct proc *rotate_out(struct win *w, struct entry *e)
{
        struct stat st;
        int err;

        if (fstatat(w->dir_fd, e->d.name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                err = -errno;
                if (err != -ENOENT)
                        note(w, WIN_ROTATE_FAILED, e->d.name, err);
                return untrack(w, e);
        }
        err = plain_file(&st);
        if (err == -EMLINK && st.st_nlink - 1 <= e->own_links)
                err = 0;
        if (err == 0 && (st.st_dev != e->dev || st.st_ino != e->ino))
                err = -ESTALE;
        if (err < 0) {
                note(w, WIN_LEFT_ALONE, e->d.name, err);
        } else if (unlinkat(w->dir_fd, e->d.name, 0) < 0) {
                err = -errno;
                if (err != -ENOENT)
                        note(w, WIN_ROTATE_FAILED, e->d.name, err);
        } else {
                note(w, WIN_ROTATED, e->d.name, 0);
        }
        return untrack(w, e);
}

/* ---- rotation --------------------------------------------------------------- */

/* The rung to thin out of p's ladder: the one whose neighbours on the
 * ladder (in seq order) are closest in level, so that the rungs left stay
 * spread evenly; the lowest rung's lower neighbour is level 0, the top
 * rung is measured from the one below it alone; a level below that of
 * the rung before counts as that rung's. The oldest on a tie. Never p's
 * newest good dump, its explicit baseline or, with keep_pair, its pair's
 * base; never a pinned or bad dump; with spare_top never the top rung
 * (the newest: the usage's highest point captured on purpose, which must
 * outlive a dump cut short by the kill). NULL when there is none. */
static struct entry *thin_victim(const struct proc *p, bool keep_pair, bool spare_top)
{
        const struct entry *nb = newest_good(p), *pb = keep_pair ? pair_base(p) : p->base;
        struct entry *best = NULL, *cur = NULL;
        uint64_t best_span = 0, below = 0, lcur = 0; /* levels made monotonic */

        /* the rungs in seq order, one behind: cur is judged once the rung
         * above it (or the end of the ladder) is known */
        for (size_t i = 0; i <= p->len; i++) {
                struct entry *e = i < p->len ? pv(p)[i] : NULL;
                uint64_t span;

                if (e && (!e->d.rung || e->d.bad))
                        continue;
                if (cur) {
                        uint64_t above = e ? (e->d.level > lcur ? e->d.level : lcur) : lcur;
                        span = above - below;
                        if (cur != nb && cur != pb && !cur->pins && !(spare_top && !e) &&
                            (!best || span < best_span)) {
                                best = cur;
                                best_span = span;
                        }
                        below = lcur;
                }
                if (!e)
                        break;
                cur = e;
                lcur = e->d.level > below ? e->d.level : below;
        }
        return best;
}

/* Baseline plus `keep` good dumps of p: the newest, the rungs, the newest
 * others. Unpinned dumps past that go: the oldest that are neither rungs
 * nor the newest, then rungs as thin_victim picks them. Returns p, or
 * NULL if it went away. */
static struct proc *rotate_proc(struct win *w, struct proc *p)
{
        struct entry *nb, *e;
        size_t excess, i = 0;

        proc_fix_base(w, p);
        if (w->hold)
                return p;
        excess = p->len - p->nbad - (p->base ? 1 : 0);
        excess = excess > w->p.keep ? excess - w->p.keep : 0;
        nb = newest_good(p);
        while (excess > 0 && i < p->len) {
                e = pv(p)[i];
                if (e == p->base || e->d.bad || e->d.rung || e == nb) {
                        i++;
                        continue;
                }
                excess--;
                if (e->pins) {
                        i++;
                        continue;
                }
                p = rotate_out(w, e);
                if (!p)
                        return NULL;
        }
        for (; excess > 0 && ((e = thin_victim(p, false, true)) || (e = thin_victim(p, false, false))); excess--) {
                p = rotate_out(w, e);
                if (!p)
                        return NULL;
        }
        return p;
}

static bool over_cap(const struct win *w, size_t max_count)
{
        return w->count > max_count || (w->p.max_bytes && w->bytes > w->p.max_bytes);
}

/* The next dump to delete for the caps: first a dump outside every
 * process's pair and ladder, oldest process first; then a rung outside
 * the pairs (thin_victim), oldest process first; then the pairs of
 * processes other than the newest one. Never a pinned dump. Cost: a few
 * steps per process still in the window (old processes hold only their
 * pair), and the rungs of each, which is small next to the system calls
 * of the deletion itself. */
static struct entry *cap_victim(const struct win *w)
{
        const struct proc *keep = pair_proc(w);
        struct entry *e;

        for (const struct proc *p = w->oldest; p; p = p->newer) {
                const struct entry *nb = newest_good(p), *pb = pair_base(p);
                for (size_t i = 0; i < p->len; i++) {
                        e = pv(p)[i];
                        if (e != nb && e != pb && !e->pins && !(e->d.rung && !e->d.bad))
                                return e;
                }
        }
        for (const struct proc *p = w->oldest; p; p = p->newer)
                if ((e = thin_victim(p, true, true)))
                        return e;
        for (const struct proc *p = w->oldest; p; p = p->newer)
                if ((e = thin_victim(p, true, false)))
                        return e;
        for (const struct proc *p = w->oldest; p; p = p->newer) {
                if (p == keep)
                        continue;
                for (size_t i = 0; i < p->len; i++)
                        if (!pv(p)[i]->pins)
                                return pv(p)[i];
        }
        return NULL;
}

static size_t max_files(const struct win *w)
{
        return w->p.max_files;
}

static void rotate_caps(struct win *w, size_t max_count)
{
        struct entry *e;

        while (over_cap(w, max_count) && (e = cap_victim(w)))
                rotate_out(w, e);
}

static void rotate_all(struct win *w)
{
        for (size_t i = 0; i < w->nprocs;)
                if (rotate_proc(w, w->procs[i]))
                        i++;
        rotate_caps(w, max_files(w));
}

/* ---- public ------------------------------------------------------------------ */

char win_name_kind(const struct win *w, const char *name)
{
        struct key k;

        return parse_name(w, name, &k) ? k.kind : 0;
}

void win_hold(struct win *w, bool hold)
{
        w->hold = hold;
        if (!hold)
                rotate_all(w);
}

int win_new(int dir_fd, const char *prefix, const struct win_params *p, struct win **ret)
{
        struct win *w;
        size_t n;

        if (dir_fd < 0 || !prefix || !p || !ret || p->keep == 0)
                return -EINVAL;
        n = strlen(prefix);
        if (n == 0 || n > NAME_MAX / 2 || strchr(prefix, '/'))
                return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->prefix = strdup(prefix);
        if (!w->prefix) {
                free(w);
                return -ENOMEM;
        }
        w->prefix_len = n;
        w->dir_fd = dir_fd;
        w->p = *p;
        if (w->p.max_files == 0 || w->p.max_files > WIN_MAX_FILES)
                w->p.max_files = WIN_MAX_FILES;
        *ret = w;
        return 0;
}

void win_free(struct win *w)
{
        if (!w)
                return;
        for (size_t i = 0; i < w->nprocs; i++) {
                struct proc *p = w->procs[i];
                for (size_t j = 0; j < p->len; j++)
                        free(pv(p)[j]);
                free(p->v);
                free(p);
        }
        free(w->procs);
        for (size_t i = 0; i < w->ncut; i++)
                free(w->cut[i].name);
        free(w->prefix);
        free(w);
}

/* Checks name and adds or refreshes it, without rotating. Returns 1 and
 * the entry, 0 if ignored (a tracked entry under name is forgotten), or
 * -errno. */
static int track(struct win *w, const char *name, struct entry **ret_e)
{
        struct entry *old, *e;
        struct stat st;
        struct key k;
        int r;

        if (!parse_name(w, name, &k))
                return 0;
        old = ent_find(w, &k);
        r = inspect(w, name, k.pid, old, &st);
        if (r < 0)
                return r;
        if (r == 0) {
                if (old)
                        forget_entry(w, old);
                return 0;
        }
        if (old) {
                refresh(w, old, &st);
                *ret_e = old;
                return 1;
        }
        e = entry_new(name, &k, &st);
        if (!e)
                return -ENOMEM;
        r = insert(w, e, true);
        if (r < 0) {
                free(e);
                return r;
        }
        *ret_e = e;
        return 1;
}

/* Rotates after e was added to p; if the file cap still cannot be met
 * (everything left is pinned or the newest pair), e is forgotten again,
 * its file left on disk. Returns 0 or -ENOBUFS. */
static int settle(struct win *w, struct proc *p, const struct key *k)
{
        struct entry *e;

        rotate_proc(w, p);
        rotate_caps(w, max_files(w));
        if (w->count <= max_files(w))
                return 0;
        e = ent_find(w, k);
        if (e)
                forget_entry(w, e);
        return -ENOBUFS;
}

enum mark { MARK_NONE, MARK_BASELINE, MARK_RUNG };

/* win_add, win_set_baseline and win_set_rung. */
static int add_dump(struct win *w, const char *name, enum mark mark, uint64_t level)
{
        struct entry *e = NULL;
        struct key k;
        int r;

        r = track(w, name, &e);
        if (r <= 0)
                return r;
        if (mark != MARK_NONE && e->d.bad) {
                rotate_all(w);
                return -EINVAL;
        }
        if (mark == MARK_BASELINE) {
                set_base(e->proc, e, true);
        } else if (mark == MARK_RUNG) {
                e->d.rung = true;
                e->d.level = level;
        }
        k = key_of(e);
        r = settle(w, e->proc, &k);
        return r < 0 ? r : 1;
}

int win_add(struct win *w, const char *name)
{
        return add_dump(w, name, MARK_NONE, 0);
}

int win_forget(struct win *w, const char *name)
{
        struct entry *e = find_name(w, name);

        if (!e)
                return 0;
        forget_entry(w, e);
        return 1;
}

int win_set_baseline(struct win *w, const char *name)
{
        return add_dump(w, name, MARK_BASELINE, 0);
}

int win_set_rung(struct win *w, const char *name, uint64_t level)
{
        return add_dump(w, name, MARK_RUNG, level);
}

int win_pair(const struct win *w, pid_t pid, const struct win_dump **ret_base,
             const struct win_dump **ret_newest)
{
        const struct proc *p = pid > 0 ? proc_find(w, pid) : pid == 0 ? pair_proc(w) : NULL;
        const struct entry *nb, *pb;

        if (!p || !(nb = newest_good(p)))
                return -ENOENT;
        pb = pair_base(p);
        if (ret_base)
                *ret_base = pb && pb != nb ? &pb->d : NULL;
        if (ret_newest)
                *ret_newest = &nb->d;
        return 0;
}

int win_pin(struct win *w, const char *name)
{
        struct entry *e = find_name(w, name);

        if (!e)
                return 0;
        e->pins++;
        e->d.pinned = true;
        return 1;
}

int win_unpin(struct win *w, const char *name)
{
        struct entry *e = find_name(w, name);
        struct proc *p;

        if (!e || e->pins == 0)
                return 0;
        if (--e->pins > 0)
                return 1;
        e->d.pinned = false;
        p = e->proc;
        if (e->d.bad) {
                p = rotate_out(w, e);
                if (p)
                        proc_fix_base(w, p);
        } else {
                rotate_proc(w, p);
        }
        rotate_caps(w, max_files(w));
        return 1;
}

int win_linked(struct win *w, const char *name)
{
        struct entry *e = find_name(w, name);

        if (!e)
                return 0;
        e->own_links++;
        return 1;
}

int win_mark_bad(struct win *w, const char *name)
{
        struct entry *e = find_name(w, name);
        struct proc *p;

        if (!e)
                return 0;
        p = e->proc;
        if (!e->d.bad) {
                e->d.bad = true;
                p->nbad++;
                if (p->base == e)
                        set_base(p, NULL, false);
        }
        if (!e->pins)
                p = rotate_out(w, e);
        if (p)
                proc_fix_base(w, p);
        return 1;
}

int win_drop(struct win *w, const char *name)
{
        struct entry *e = find_name(w, name);
        struct proc *p;

        if (!e || e->pins)
                return 0;
        p = rotate_out(w, e);
        if (p)
                proc_fix_base(w, p);
        return 1;
}

size_t win_count(const struct win *w)
{
        return w->count;
}

const struct win_dump *win_get(const struct win *w, size_t i)
{
        for (size_t j = 0; j < w->nprocs; j++) {
                const struct proc *p = w->procs[j];
                if (i < p->len)
                        return &pv(p)[i]->d;
                i -= p->len;
        }
        return NULL;
}

uint64_t win_bytes(const struct win *w)
{
        return w->bytes;
}

/* ---- rescan ----------------------------------------------------------------- */

struct pending {
        struct entry *e;
        struct timespec mtime;
};

static int pending_cmp(const void *a, const void *b)
{
        const struct entry *x = ((const struct pending *)a)->e, *y = ((const struct pending *)b)->e;
        struct key kx = key_of(x), ky = key_of(y);

        if (kx.pid != ky.pid)
                return kx.pid < ky.pid ? -1 : 1;
        return key_cmp(&kx, &ky);
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
        if (a->tv_sec != b->tv_sec)
                return a->tv_sec < b->tv_sec ? -1 : 1;
        if (a->tv_nsec != b->tv_nsec)
                return a->tv_nsec < b->tv_nsec ? -1 : 1;
        return 0;
}

static int proc_mtime_cmp(const void *a, const void *b)
{
        const struct proc *x = *(const struct proc *const *)a, *y = *(const struct proc *const *)b;
        int c = ts_cmp(&x->mtime, &y->mtime);

        if (c)
                return c;
        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Inserts the new entries found so far in (pid, seq) order, so each is
 * an append and rotation works as for win_add; then makes the processes
 * that got some the newest ones, in the order of their newest file's
 * mtime, and rotates. Consumes pend[0..n). */
static int flush_pending(struct win *w, struct pending *pend, size_t n)
{
        struct proc **touched = NULL;
        size_t nt = 0;
        int ret = 0;

        if (n > 0)
                qsort(pend, n, sizeof(*pend), pending_cmp);
        for (size_t i = 0; i < n; i++) {
                struct entry *e = pend[i].e;
                struct key k = key_of(e);
                int r;

                struct proc *p;

                if (ret < 0 || ent_find(w, &k)) {
                        free(e);
                        continue;
                }
                r = insert(w, e, false);
                if (r < 0) {
                        free(e);
                        ret = r;
                        continue;
                }
                p = e->proc;
                if (!p->touched || ts_cmp(&pend[i].mtime, &p->mtime) > 0)
                        p->mtime = pend[i].mtime;
                p->touched = true;
                ret = settle(w, p, &k); /* may free e and p */
        }
        for (size_t i = 0; i < w->nprocs; i++)
                nt += w->procs[i]->touched;
        if (nt > 0)
                touched = calloc(nt, sizeof(*touched));
        nt = 0;
        for (size_t i = 0; i < w->nprocs; i++) {
                if (!w->procs[i]->touched)
                        continue;
                w->procs[i]->touched = false;
                if (touched)
                        touched[nt++] = w->procs[i];
        }
        if (touched) {
                qsort(touched, nt, sizeof(*touched), proc_mtime_cmp);
                for (size_t i = 0; i < nt; i++)
                        age_make_newest(w, touched[i]);
                free(touched);
        }
        rotate_all(w);
        return ret;
}

int win_rescan(struct win *w)
{
        struct pending *pend = NULL;
        size_t npend = 0, cap = 0;
        struct dirent *de;
        int fd, r = 0;
        DIR *d;

        fd = openat(w->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        for (size_t i = 0; i < w->nprocs; i++)
                for (size_t j = 0; j < w->procs[i]->len; j++)
                        pv(w->procs[i])[j]->seen = false;

        while (r == 0) {
                struct entry *old, *e;
                struct stat st;
                struct key k;
                int q;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno)
                                r = -errno;
                        break;
                }
                if (!parse_name(w, de->d_name, &k))
                        continue;
                old = ent_find(w, &k);
                q = inspect(w, de->d_name, k.pid, old, &st);
                if (q <= 0)
                        continue; /* gone, not ours, or unreadable: left untracked */
                if (old) {
                        refresh(w, old, &st);
                        continue;
                }
                if (npend == cap) {
                        size_t ncap = cap ? cap * 2 : 64;
                        struct pending *np = reallocarray(pend, ncap, sizeof(*np));
                        if (!np) {
                                r = -ENOMEM;
                                break;
                        }
                        pend = np;
                        cap = ncap;
                }
                e = entry_new(de->d_name, &k, &st);
                if (!e) {
                        r = -ENOMEM;
                        break;
                }
                pend[npend++] = (struct pending){ .e = e, .mtime = st.st_mtim };
                if (npend == RESCAN_BATCH) {
                        /* bounded memory however large the directory */
                        r = flush_pending(w, pend, npend);
                        npend = 0;
                }
        }
        closedir(d);

        /* forget what is gone (only after a complete read); walking
         * backwards keeps the indices valid */
        for (size_t i = r == 0 ? w->nprocs : 0; i > 0; i--) {
                struct proc *p = w->procs[i - 1];
                for (size_t j = p->len; j > 0; j--) {
                        struct entry *e = pv(p)[j - 1];
                        if (e->seen)
                                continue;
                        p = untrack(w, e);
                        if (!p)
                                break;
                }
        }
        if (r < 0) {
                for (size_t i = 0; i < npend; i++)
                        free(pend[i].e);
                npend = 0;
        }
        {
                int q = flush_pending(w, pend, npend);
                if (r == 0)
                        r = q;
        }
        free(pend);
        return r < 0 ? r : (int)w->count;
}
