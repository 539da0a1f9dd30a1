/* OOM kills of one cgroup, from /dev/kmsg. */
#include "kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAX 8192        /* /dev/kmsg returns at most about 1 KiB of text per record */
#define READ_BATCH 256         /* records per kmsg_read(): the loop has other work */

struct slot {
        struct kmsg_kill kill;
        bool used, taken;
        uint64_t order;
};

struct kmsg {
        int fd;
        char *ours;
        bool group_open;       /* the last record opened a group kill of ours */
        uint64_t lost, order;
        struct slot ring[KMSG_QUEUE_MAX];
        char buf[RECORD_MAX + 1];
};

/* ---- parsing ------------------------------------------------------------ */

/* The last occurrence of needle in [s, s+len). */
static const char *rfind(const char *s, size_t len, const char *needle)
{
        size_t n = strlen(needle);

        if (n > len)
                return NULL;
        for (size_t i = len - n + 1; i-- > 0;)
                if (memcmp(s + i, needle, n) == 0)
                        return s + i;
        return NULL;
}

static const char *find(const char *s, size_t len, const char *needle)
{
        size_t n = strlen(needle);

        for (size_t i = 0; n <= len && i <= len - n; i++)
                if (memcmp(s + i, needle, n) == 0)
                        return s + i;
        return NULL;
}

/* Unsigned decimal at p (before end); *ret, *ret_end. */
static int dec(const char *p, const char *end, uint64_t max, uint64_t *ret, const char **ret_end)
{
        uint64_t v = 0;
        const char *q = p;

        if (q >= end || *q < '0' || *q > '9')
                return -EINVAL;
        for (; q < end && *q >= '0' && *q <= '9'; q++) {
                unsigned d = (unsigned)(*q - '0');

                if (v > (max - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        if (ret_end)
                *ret_end = q;
        return 0;
}

static void copy_task(char *dst, const char *src, size_t n)
{
        if (n >= KMSG_TASK_MAX)
                n = KMSG_TASK_MAX - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] == 0x7f)
                        dst[i] = '?';
}

/* "oom-kill:...,task_memcg=PATH,task=NAME,pid=PID,uid=UID" */
static enum kmsg_kind parse_oom_kill(const char *m, size_t len, struct kmsg_record *r)
{
        const char *uid = rfind(m, len, ",uid="), *pid, *task, *memcg;
        uint64_t v;

        if (!uid)
                return KMSG_OTHER;
        pid = rfind(m, (size_t)(uid - m), ",pid=");
        if (!pid || dec(pid + 5, uid, INT32_MAX, &v, NULL) < 0 || v == 0)
                return KMSG_OTHER;
        task = rfind(m, (size_t)(pid - m), ",task=");
        memcg = task ? find(m, (size_t)(task - m), "task_memcg=") : NULL;
        if (!memcg)
                return KMSG_OTHER;
        r->pid = (pid_t)v;
        copy_task(r->task, task + 6, (size_t)(pid - task - 6));
        r->memcg = memcg + 11;
        r->memcg_len = (size_t)(task - r->memcg);
        return r->kind = KMSG_OOM_KILL;
}

/* "...Killed process PID (NAME) total-vm:NkB, anon-rss:NkB, ..." */
static enum kmsg_kind parse_killed(const char *k, const char *end, struct kmsg_record *r)
{
        const char *p = k + strlen("Killed process "), *open, *close, *anon;
        uint64_t pid, kb;

        if (dec(p, end, INT32_MAX, &pid, &p) < 0 || pid == 0 || end - p < 2 || p[0] != ' ' || p[1] != '(')
                return KMSG_OTHER;
        open = p + 2;
        close = rfind(open, (size_t)(end - open), ") total-vm:");
        if (!close)
                return KMSG_OTHER;
        anon = find(close, (size_t)(end - close), "anon-rss:");
        if (!anon || dec(anon + 9, end, UINT64_MAX / 1024, &kb, &p) < 0 || end - p < 2 || memcmp(p, "kB", 2) != 0)
                return KMSG_OTHER;
        r->pid = (pid_t)pid;
        copy_task(r->task, open, (size_t)(close - open));
        r->anon_rss = kb * 1024;
        return r->kind = KMSG_KILLED;
}

enum kmsg_kind kmsg_parse(const char *rec, size_t len, struct kmsg_record *ret)
{
        const char *semi = memchr(rec, ';', len), *m, *end, *k;
        struct kmsg_record r = { .kind = KMSG_OTHER };

        *ret = r;
        if (!semi)
                return KMSG_OTHER;
        m = semi + 1;
        end = memchr(m, '\n', (size_t)(rec + len - m));
        if (!end)
                end = rec + len;
        if ((size_t)(end - m) > 9 && memcmp(m, "oom-kill:", 9) == 0)
                parse_oom_kill(m, (size_t)(end - m), &r);
        else if ((k = find(m, (size_t)(end - m), "Killed process ")))
                parse_killed(k, end, &r);
        else if ((size_t)(end - m) > 9 && memcmp(m, "Tasks in ", 9) == 0) {
                const char *tail = rfind(m, (size_t)(end - m), " are going to be killed due to memory.oom.group set");
                if (tail && tail > m + 9) {
                        r.memcg = m + 9;
                        r.memcg_len = (size_t)(tail - r.memcg);
                        r.kind = KMSG_GROUP;
                }
        }
        *ret = r;
        return r.kind;
}

int kmsg_memcg_match(const char *path, size_t len, const char *ours)
{
        size_t n = strlen(ours);

        if (n == 0 || ours[0] != '/')
                return 0;
        if (n == 1)     /* the root: everything is below it */
                return len >= 1 && path[0] == '/' ? 2 : 0;
        for (size_t i = 0; i + n <= len; i++) {
                if (memcmp(path + i, ours, n) != 0)
                        continue;
                if (i + n < len && path[i + n] != '/')
                        continue;
                return i == 0 ? 2 : 1;
        }
        return 0;
}

/* ---- the reader ------------------------------------------------------- */

int kmsg_open(const char *ours, struct kmsg **ret)
{
        struct kmsg *k = calloc(1, sizeof(*k));

        if (!k)
                return -ENOMEM;
        k->fd = -1;
        k->ours = strdup(ours);
        k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (!k->ours || k->fd < 0) {
                int r = k->ours ? -errno : -ENOMEM;

                kmsg_free(k);
                return r;
        }
        /* only what happens from now on */
        if (lseek(k->fd, 0, SEEK_END) < 0) {
                int r = -errno;

                kmsg_free(k);
                return r;
        }
        *ret = k;
        return 0;
}

int kmsg_fd(const struct kmsg *k)
{
        return k->fd;
}

static struct slot *slot_of(struct kmsg *k, pid_t pid)
{
        struct slot *best = NULL;

        for (unsigned i = 0; i < KMSG_QUEUE_MAX; i++) {
                struct slot *s = &k->ring[i];

                if (s->used && s->kill.pid == pid && (!best || s->order > best->order))
                        best = s;
        }
        return best;
}

/* A free slot, or the oldest taken one, or the oldest. */
static struct slot *new_slot(struct kmsg *k)
{
        struct slot *old = NULL;

        for (unsigned i = 0; i < KMSG_QUEUE_MAX; i++) {
                struct slot *s = &k->ring[i];

                if (!s->used)
                        return s;
                if (!old || (s->taken && !old->taken) || (s->taken == old->taken && s->order < old->order))
                        old = s;
        }
        return old;
}

static int add_kill(struct kmsg *k, const struct kmsg_record *r, enum kmsg_match match, bool group)
{
        struct slot *s = new_slot(k);

        *s = (struct slot){ .used = true, .order = ++k->order };
        s->kill.pid = r->pid;
        memcpy(s->kill.task, r->task, sizeof(s->kill.task));
        s->kill.match = match;
        s->kill.group = group;
        if (r->kind == KMSG_KILLED) {
                s->kill.anon_rss = r->anon_rss;
                s->kill.anon_known = true;
        }
        return 1;
}

static int on_record(struct kmsg *k, const char *rec, size_t len)
{
        struct kmsg_record r;
        enum kmsg_kind kind = kmsg_parse(rec, len, &r);
        int m;

        if (kind != KMSG_KILLED)
                k->group_open = false;
        switch (kind) {
        case KMSG_OOM_KILL:
                m = kmsg_memcg_match(r.memcg, r.memcg_len, k->ours);
                return m ? add_kill(k, &r, m == 2 ? KMSG_BY_CGROUP : KMSG_BY_CGROUP_SUFFIX, false) : 0;
        case KMSG_GROUP:
                k->group_open = kmsg_memcg_match(r.memcg, r.memcg_len, k->ours) != 0;
                return 0;
        case KMSG_KILLED: {
                struct slot *s = slot_of(k, r.pid);
                if (s && !s->kill.anon_known) {
                        s->kill.anon_rss = r.anon_rss;
                        s->kill.anon_known = true;
                        return 1;
                }
                if (!s && k->group_open)
                        return add_kill(k, &r, KMSG_BY_CGROUP, true);
                /* an "oom-kill:" line the kernel's rate limit suppressed? */
                if (!s)
                        return add_kill(k, &r, KMSG_BY_PID, false);
                return 0;
        }
        case KMSG_OTHER:
                break;
        }
        return 0;
}

int kmsg_read(struct kmsg *k)
{
        int n = 0;

        for (unsigned i = 0; i < READ_BATCH; i++) {
                ssize_t len = read(k->fd, k->buf, RECORD_MAX);

                if (len < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EPIPE) {
                                k->lost++;      /* overwritten; the next read goes on */
                                continue;
                        }
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                break;
                        return n ? n : -errno;
                }
                if (len == 0)
                        break;
                k->buf[len] = '\0';
                n += on_record(k, k->buf, (size_t)len);
        }
        return n;
}

int kmsg_next_kill(struct kmsg *k, struct kmsg_kill *ret)
{
        struct slot *best = NULL;

        for (unsigned i = 0; i < KMSG_QUEUE_MAX; i++) {
                struct slot *s = &k->ring[i];

                if (s->used && !s->taken && (!best || s->order < best->order))
                        best = s;
        }
        if (!best)
                return 0;
        best->taken = true;
        *ret = best->kill;
        return 1;
}

int kmsg_anon(const struct kmsg *k, pid_t pid, uint64_t *ret_bytes)
{
        const struct slot *s = slot_of((struct kmsg *)k, pid);

        if (!s || !s->kill.anon_known)
                return 0;
        *ret_bytes = s->kill.anon_rss;
        return 1;
}

uint64_t kmsg_lost(const struct kmsg *k)
{
        return k->lost;
}

void kmsg_free(struct kmsg *k)
{
        if (!k)
                return;
        if (k->fd >= 0)
                close(k->fd);
        free(k->ours);
        free(k);
}
