/* Prometheus textfile; see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"

#define MET_MAX_LABELLED 32          /* distinct commands / verdicts kept; then "other" */
#define MET_INCIDENT_MAX (8 << 20)   /* bytes of incident.json read for the top grower */

struct labelled {
        char *value;
        uint64_t n;
};

struct met {
        char *path, *tmp, *dump_dir;
        struct labelled kills[MET_MAX_LABELLED], bundles[MET_MAX_LABELLED];
        unsigned n_kills, n_bundles;
        uint64_t restarts, written, rotated, usage, limit;
        time_t started, last_bundle;
        bool have_bundle, have_top;
        int64_t growth;
        char *top_function, *top_file, *top_verdict;
};

int met_open(const char *path, const char *dump_dir, uint64_t memory_limit, struct met **ret)
{
        struct met *m;

        *ret = NULL;
        if (!path)
                return 0;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->path = strdup(path);
        m->dump_dir = strdup(dump_dir ? dump_dir : "");
        if (!m->path || !m->dump_dir || asprintf(&m->tmp, "%s.tmp", path) < 0) {
                m->tmp = NULL;
                met_close(m);
                return -ENOMEM;
        }
        m->limit = memory_limit;
        m->started = time(NULL);
        *ret = m;
        return 0;
}

void met_close(struct met *m)
{
        if (!m)
                return;
        for (unsigned i = 0; i < m->n_kills; i++)
                free(m->kills[i].value);
        for (unsigned i = 0; i < m->n_bundles; i++)
                free(m->bundles[i].value);
        free(m->top_function);
        free(m->top_file);
        free(m->top_verdict);
        if (m->tmp)
                (void)unlink(m->tmp);   /* the spare of the rewrites (fsutil.h): not left in the collector's directory */
        free(m->path);
        free(m->tmp);
        free(m->dump_dir);
        free(m);
}

static void count(struct labelled *l, unsigned *n, const char *value)
{
        unsigned i;

        for (i = 0; i < *n; i++)
                if (strcmp(l[i].value, value) == 0)
                        break;
        if (i == *n) {
                /* the last slot collects what does not fit */
                if (*n == MET_MAX_LABELLED)
                        i = *n - 1;
                else if (!(l[i].value = strdup(*n == MET_MAX_LABELLED - 1 ? "other" : value)))
                        return;
                else
                        (*n)++;
        }
        l[i].n++;
}

void met_oom_kill(struct met *m, const char *victim)
{
        if (m)
                count(m->kills, &m->n_kills, victim && *victim ? victim : "unknown");
}

void met_restart(struct met *m)
{
        if (m)
                m->restarts++;
}

void met_dump_written(struct met *m)
{
        if (m)
                m->written++;
}

void met_dump_rotated(struct met *m)
{
        if (m)
                m->rotated++;
}

void met_usage(struct met *m, uint64_t usage)
{
        if (m)
                m->usage = usage;
}

static int read_small(const char *path, size_t max, char **ret, size_t *ret_len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        char *buf;
        size_t got = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
                int r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : -EFBIG;
                close(fd);
                return r;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        buf[got] = '\0';
        *ret = buf;
        *ret_len = got;
        return 0;
}

int met_bundle(struct met *m, const char *dir, const char *verdict, time_t when)
{
        struct json_value *inc = NULL;
        const struct json_value *diff, *row = NULL, *list;
        char *path = NULL, *text = NULL;
        const char *fn = NULL, *file = NULL;
        size_t len = 0;
        int r;

        if (!m)
                return 0;
        count(m->bundles, &m->n_bundles, verdict ? verdict : "unknown");
        m->have_bundle = true;
        m->last_bundle = when;
        if (!dir || asprintf(&path, "%s/incident.json", dir) < 0)
                return -ENOMEM;
        r = read_small(path, MET_INCIDENT_MAX, &text, &len);
        free(path);
        if (r < 0)
                return r;
        r = json_parse(text, len, &inc, NULL);
        free(text);
        if (r < 0)
                return r;
        diff = json_get(inc, "diff");
        /* the first growing site (the user's code) when the diff has them,
         * else the top row */
        list = json_get(diff, "sites");
        if (!list || list->type != JSON_T_ARRAY || !list->n)
                list = json_get(diff, "top");
        if (list && list->type == JSON_T_ARRAY && list->n)
                row = &list->items[0];
        m->have_top = row && json_get_string(row, "function", &fn) == 0;
        if (m->have_top) {
                char *f = strdup(fn), *fl = NULL, *v = strdup(verdict ? verdict : "unknown");
                int64_t line = 0;
                if (json_get_string(row, "file", &file) == 0) {
                        /* a site has file and line apart; a top row "file:line" */
                        if (json_get_int(row, "line", &line) == 0 && line > 0) {
                                if (asprintf(&fl, "%s:%lld", file, (long long)line) < 0)
                                        fl = NULL;
                        } else {
                                fl = strdup(file);
                        }
                }
                free(m->top_function);
                free(m->top_file);
                free(m->top_verdict);
                m->top_function = f;
                m->top_file = fl;
                m->top_verdict = v;
                m->have_top = f && v;
        }
        if (json_get_int(diff, "growth_bytes", &m->growth) < 0)
                m->growth = 0;
        json_value_free(inc);
        return 0;
}

/* a label value: \ " and newline escaped, bytes that are not UTF-8 as U+FFFD */
static void put_label(FILE *f, const char *name, const char *v)
{
        const unsigned char *s = (const unsigned char *)(v ? v : "");

        fprintf(f, "%s=\"", name);
        while (*s) {
                unsigned char c = *s;
                size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
                         : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
                bool ok = n > 0;
                for (size_t k = 1; ok && k < n; k++)
                        ok = (s[k] & 0xc0) == 0x80;
                if (ok && n >= 3) /* overlong, surrogates, above U+10FFFF */
                        ok = !((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
                               (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f));
                if (!ok) {
                        fputs("\xef\xbf\xbd", f);
                        s++;
                } else if (c == '\\' || c == '"') {
                        fprintf(f, "\\%c", c);
                        s++;
                } else if (c == '\n') {
                        fputs("\\n", f);
                        s++;
                } else {
                        fwrite(s, 1, n, f);
                        s += n;
                }
        }
        fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{dump_dir="...",[label="value"]} value */
static void series(const struct met *m, FILE *f, const char *name, const char *label, const char *value,
                   const char *num)
{
        fprintf(f, "%s{", name);
        put_label(f, "dump_dir", m->dump_dir);
        if (label) {
                fputc(',', f);
                put_label(f, label, value);
        }
        fprintf(f, "} %s\n", num);
}

static void series_u(const struct met *m, FILE *f, const char *name, uint64_t v)
{
        char num[32];

        snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
        series(m, f, name, NULL, NULL, num);
}

static void write_all(const struct met *m, FILE *f)
{
        char num[32];

        head(f, "oomwatch_oom_kills_total", "counter", "OOM kills in the target's cgroup, by the victim's command.");
        for (unsigned i = 0; i < m->n_kills; i++) {
                snprintf(num, sizeof(num), "%llu", (unsigned long long)m->kills[i].n);
                series(m, f, "oomwatch_oom_kills_total", "command", m->kills[i].value, num);
        }
        head(f, "oomwatch_restarts_total", "counter", "Restarts of the target by oomwatch.");
        series_u(m, f, "oomwatch_restarts_total", m->restarts);
        head(f, "oomwatch_dumps_written_total", "counter", "Heap dumps the target wrote that oomwatch kept.");
        series_u(m, f, "oomwatch_dumps_written_total", m->written);
        head(f, "oomwatch_dumps_rotated_total", "counter", "Heap dumps oomwatch deleted to keep its window.");
        series_u(m, f, "oomwatch_dumps_rotated_total", m->rotated);
        head(f, "oomwatch_bundles_total", "counter", "Incident bundles written, by verdict.");
        for (unsigned i = 0; i < m->n_bundles; i++) {
                snprintf(num, sizeof(num), "%llu", (unsigned long long)m->bundles[i].n);
                series(m, f, "oomwatch_bundles_total", "verdict", m->bundles[i].value, num);
        }
        head(f, "oomwatch_memory_usage_bytes", "gauge", "Memory use of the target's cgroup at the last sample.");
        series_u(m, f, "oomwatch_memory_usage_bytes", m->usage);
        head(f, "oomwatch_memory_limit_bytes", "gauge", "Memory limit of the target's cgroup.");
        series_u(m, f, "oomwatch_memory_limit_bytes", m->limit);
        head(f, "oomwatch_start_time_seconds", "gauge", "When this oomwatch started, in seconds since the epoch.");
        series_u(m, f, "oomwatch_start_time_seconds", (uint64_t)m->started);
        if (m->have_bundle) {
                head(f, "oomwatch_last_bundle_timestamp_seconds", "gauge",
                     "When the last incident bundle was written, in seconds since the epoch.");
                series_u(m, f, "oomwatch_last_bundle_timestamp_seconds", (uint64_t)m->last_bundle);
                head(f, "oomwatch_last_bundle_growth_bytes", "gauge",
                     "Heap growth between the dumps the last bundle compared.");
                snprintf(num, sizeof(num), "%lld", (long long)m->growth);
                series(m, f, "oomwatch_last_bundle_growth_bytes", NULL, NULL, num);
        }
        if (m->have_top) {
                head(f, "oomwatch_top_grower_info", "gauge", "The function that grew most in the last bundle.");
                fputs("oomwatch_top_grower_info{", f);
                put_label(f, "dump_dir", m->dump_dir);
                fputc(',', f);
                put_label(f, "function", m->top_function);
                fputc(',', f);
                put_label(f, "file", m->top_file ? m->top_file : "");
                fputc(',', f);
                put_label(f, "verdict", m->top_verdict);
                fputs("} 1\n", f);
        }
}

int met_write(struct met *m)
{
        struct fs_rewrite rw;
        FILE *f;
        int r;

        if (!m)
                return 0;
        f = fs_rewrite_begin(&rw, AT_FDCWD, m->path, m->tmp, 0644, &r);
        if (!f)
                return r;
        (void)fchmod(fileno(f), 0644);   /* whatever the umask: the collector must read it */
        write_all(m, f);
        return fs_rewrite_end(&rw, 0);
}
