/* The memory hierarchy's mount, a process's cgroup under it, and the
 * effective limit of a cgroup (cglocate.h). */
#include "cglocate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 64

void cgl_location_free(struct cgl_location *l)
{
        free(l->mount);
        free(l->rel);
        free(l->path);
        free(l->hier);
        memset(l, 0, sizeof(*l));
}

int cgl_read_text(const char *path, size_t cap, char **ret)
{
        char *buf;
        size_t got = 0;
        ssize_t n;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(cap + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (got < cap && (n = read(fd, buf + got, cap - got)) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                got += (size_t)n;
        }
        close(fd);
        if (r < 0) {
                free(buf);
                return r;
        }
        buf[got] = '\0';
        *ret = buf;
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static char *unescape(const char *s, size_t n)
{
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else {
                        *o++ = s[i];
                }
        }
        *o = '\0';
        return out;
}

/* true when the comma-separated list (n bytes) has word */
static bool list_has(const char *list, size_t n, const char *word)
{
        size_t wl = strlen(word);

        for (const char *p = list, *end = list + n; p < end;) {
                const char *c = memchr(p, ',', (size_t)(end - p));
                size_t l = c ? (size_t)(c - p) : (size_t)(end - p);
                if (l == wl && memcmp(p, word, wl) == 0)
                        return true;
                p += l + 1;
        }
        return false;
}

/* Is root a prefix of path on a component boundary? Sets *ret_rest. */
static bool under(const char *root, const char *path, const char **ret_rest)
{
        size_t rl = strlen(root);

        if (strcmp(root, "/") == 0) {
                *ret_rest = path;
                return true;
        }
        while (rl > 1 && root[rl - 1] == '/')
                rl--;
        if (strncmp(path, root, rl) != 0 || (path[rl] != '\0' && path[rl] != '/'))
                return false;
        *ret_rest = path + rl;
        return true;
}

/* The process's path in the hierarchy: the memory line (v1) or "0::" (v2). */
static int own_path(const char *proc_cgroup, int version, char **ret)
{
        for (const char *p = proc_cgroup; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                size_t len = strcspn(p, "\n");
                const char *c1 = memchr(p, ':', len), *c2;
                bool match;

                if (!c1)
                        continue;
                c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p));
                if (!c2)
                        continue;
                if (version == 2)
                        match = c1 - p == 1 && p[0] == '0' && c2 == c1 + 1;
                else
                        match = list_has(c1 + 1, (size_t)(c2 - c1 - 1), "memory");
                if (!match)
                        continue;
                if (c2[1] != '/')
                        return -EINVAL;
                *ret = strndup(c2 + 1, len - (size_t)(c2 + 1 - p));
                if (!*ret)
                        return -ENOMEM;
                /* a removed cgroup is shown with " (deleted)": not ours to use */
                if (strlen(*ret) > 10 && strcmp(*ret + strlen(*ret) - 10, " (deleted)") == 0) {
                        free(*ret);
                        *ret = NULL;
                        return -ENOENT;
                }
                return 0;
        }
        return -ENOENT;
}

struct mnt {
        int version;
        char *root, *point;
};

static int parse_mounts(const char *mountinfo, struct mnt **ret, size_t *ret_n)
{
        struct mnt *v = NULL;
        size_t n = 0;

        for (const char *p = mountinfo; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                size_t len = strcspn(p, "\n");
                const char *f[MAX_FIELDS];
                size_t fl[MAX_FIELDS], nf = 0, dash = 0;
                int version = 0;

                for (const char *q = p, *end = p + len; q < end && nf < MAX_FIELDS;) {
                        while (q < end && *q == ' ')
                                q++;
                        if (q == end)
                                break;
                        f[nf] = q;
                        while (q < end && *q != ' ')
                                q++;
                        fl[nf] = (size_t)(q - f[nf]);
                        if (fl[nf] == 1 && *f[nf] == '-' && !dash && nf >= 6)
                                dash = nf;
                        nf++;
                }
                if (!dash || nf < dash + 4)
                        continue;
                if (fl[dash + 1] == 7 && memcmp(f[dash + 1], "cgroup2", 7) == 0)
                        version = 2;
                else if (fl[dash + 1] == 6 && memcmp(f[dash + 1], "cgroup", 6) == 0 &&
                         list_has(f[dash + 3], fl[dash + 3], "memory"))
                        version = 1;
                if (!version)
                        continue;
                {
                        struct mnt *nv = realloc(v, (n + 1) * sizeof(*v));
                        if (!nv)
                                goto nomem;
                        v = nv;
                        v[n].version = version;
                        v[n].root = unescape(f[3], fl[3]);
                        v[n].point = unescape(f[4], fl[4]);
                        n++;
                        if (!v[n - 1].root || !v[n - 1].point)
                                goto nomem;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
nomem:
        for (size_t i = 0; i < n; i++) {
                free(v[i].root);
                free(v[i].point);
        }
        free(v);
        return -ENOMEM;
}

int cgl_locate(const char *mountinfo, const char *proc_cgroup, struct cgl_location *ret)
{
        struct cgl_location l = { 0 };
        struct mnt *m = NULL;
        size_t n = 0;
        char *path = NULL;
        int r, version = 0, best = -1;

        r = parse_mounts(mountinfo, &m, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (m[i].version == 1)
                        version = 1;
        if (!version)
                version = n ? 2 : 0;
        if (!version) {
                r = -ENODEV;
                goto out;
        }
        r = own_path(proc_cgroup, version, &path);
        if (r < 0)
                goto out;
        /* a mount that shows our cgroup; the usual place first */
        for (size_t i = 0; i < n; i++) {
                const char *rest;
                if (m[i].version != version || !under(m[i].root, path, &rest))
                        continue;
                if (best < 0 || strcmp(m[i].point, version == 1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup") == 0)
                        best = (int)i;
        }
        if (best < 0) {
                r = -ENOENT;
                goto out;
        }
        {
                const char *rest;
                size_t rl;
                (void)under(m[best].root, path, &rest);
                rl = strlen(rest);
                while (rl > 0 && rest[rl - 1] == '/')
                        rl--;
                l.version = version;
                l.mount = strdup(m[best].point);
                l.rel = rl ? strndup(rest, rl) : strdup("/");
                if (!l.mount || !l.rel ||
                    asprintf(&l.path, "%s%s", strcmp(l.mount, "/") == 0 ? "" : l.mount,
                             strcmp(l.rel, "/") == 0 ? "" : l.rel) < 0) {
                        l.path = NULL;
                        cgl_location_free(&l);
                        r = -ENOMEM;
                        goto out;
                }
                if (!*l.path) {
                        free(l.path);
                        l.path = strdup("/");
                }
                l.hier = path;
                path = NULL;
                if (!l.path) {
                        cgl_location_free(&l);
                        r = -ENOMEM;
                        goto out;
                }
        }
        *ret = l;
        r = 0;
out:
        free(path);
        for (size_t i = 0; i < n; i++) {
                free(m[i].root);
                free(m[i].point);
        }
        free(m);
        return r;
}

static int read_limit(const char *dir, const char *name, uint64_t *ret)
{
        char *p = NULL, *text = NULL, *end;
        unsigned long long v;
        int r;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = cgl_read_text(p, 64, &text);
        free(p);
        if (r < 0)
                return r;
        if (strncmp(text, "max", 3) == 0 && (text[3] == '\n' || text[3] == '\0')) {
                *ret = UINT64_MAX;
        } else {
                errno = 0;
                v = strtoull(text, &end, 10);
                if (errno || end == text || (*end != '\n' && *end != '\0'))
                        r = -EINVAL;
                else
                        *ret = v;
        }
        free(text);
        return r;
}

int cgl_effective_limit(const char *mount, const char *dir, int version, uint64_t *ret_bytes, char **ret_where)
{
        const char *name = version == 1 ? "memory.limit_in_bytes" : "memory.max";
        size_t ml = strlen(mount);
        uint64_t best = UINT64_MAX;
        char *cur, *where = NULL;
        int r = 0;

        while (ml > 1 && mount[ml - 1] == '/')
                ml--;
        if (strncmp(dir, mount, ml) != 0 || (dir[ml] != '\0' && dir[ml] != '/'))
                return -EINVAL;
        cur = strdup(dir);
        if (!cur)
                return -ENOMEM;
        for (;;) {
                size_t cl = strlen(cur);
                uint64_t v;

                while (cl > ml && cur[cl - 1] == '/')
                        cur[--cl] = '\0';
                r = read_limit(cur, name, &v);
                if (r == -ENOENT) {
                        r = 0;
                } else if (r < 0) {
                        break;
                } else if (v < CGL_UNLIMITED && v < best) {
                        best = v;
                        free(where);
                        where = strdup(cur);
                        if (!where) {
                                r = -ENOMEM;
                                break;
                        }
                }
                if (cl <= ml)
                        break;
                {
                        char *slash = strrchr(cur, '/');
                        if (!slash || (size_t)(slash - cur) < ml)
                                cur[ml] = '\0';
                        else
                                *slash = '\0';
                }
        }
        free(cur);
        if (r < 0) {
                free(where);
                return r;
        }
        *ret_bytes = best == UINT64_MAX ? 0 : best;
        if (ret_where)
                *ret_where = where;
        else
                free(where);
        return 0;
}
