/* Event log and status file. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LAST_EVENT_MAX 1024

struct evt {
        FILE *log;          /* NULL: no event log */
        bool log_is_stderr;
        int dir_fd;
        char last_ts[32];
        char last_event[32];
        char last_fields[LAST_EVENT_MAX];
};

char *evt_utc_now(char *buf, size_t len)
{
        struct timespec ts;
        struct tm tm;
        char base[24];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
        return buf;
}

char *evt_json_str(const char *s, char *buf, size_t len)
{
        size_t j = 0;

        if (len < 3) {
                if (len)
                        buf[0] = '\0';
                return buf;
        }
        buf[j++] = '"';
        for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
                char esc[8];
                size_t n;

                if (*p == '"' || *p == '\\')
                        n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
                else if (*p == '\n')
                        n = (size_t)snprintf(esc, sizeof(esc), "\\n");
                else if (*p < 0x20)
                        n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
                else
                        n = (size_t)snprintf(esc, sizeof(esc), "%c", *p);
                if (j + n + 2 > len)
                        break;
                memcpy(buf + j, esc, n);
                j += n;
        }
        buf[j++] = '"';
        buf[j] = '\0';
        return buf;
}

int evt_open(const char *path, int dir_fd, struct evt **ret)
{
        struct evt *e = calloc(1, sizeof(*e));

        if (!e)
                return -ENOMEM;
        e->dir_fd = dir_fd;
        if (path && strcmp(path, "-") == 0) {
                e->log = stderr;
                e->log_is_stderr = true;
        } else if (path) {
                int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0 || !(e->log = fdopen(fd, "a"))) {
                        int r = -errno;
                        if (fd >= 0)
                                close(fd);
                        free(e);
                        return r;
                }
                setvbuf(e->log, NULL, _IOLBF, 0);
        }
        *ret = e;
        return 0;
}

void evt_close(struct evt *e)
{
        if (!e)
                return;
        if (e->log && !e->log_is_stderr)
                fclose(e->log);
        free(e);
}

void evt_emit(struct evt *e, const char *event, const char *fields_fmt, ...)
{
        va_list ap;

        if (!e)
                return;
        evt_utc_now(e->last_ts, sizeof(e->last_ts));
        snprintf(e->last_event, sizeof(e->last_event), "%s", event);
        va_start(ap, fields_fmt);
        vsnprintf(e->last_fields, sizeof(e->last_fields), fields_fmt, ap);
        va_end(ap);
        if (e->log) {
                fprintf(e->log, "{\"ts\":\"%s\",\"event\":\"%s\"%s}\n", e->last_ts, event, e->last_fields);
                fflush(e->log);
        }
}

int evt_write_status(struct evt *e, const struct evt_status *st)
{
        char tmp[] = ".oomwatch-status.json.tmp", now[32], buf[4096];
        FILE *f;
        int fd, r = 0;

        if (!e || e->dir_fd < 0)
                return 0;
        fd = openat(e->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        fprintf(f, "{\n  \"schema\": 1,\n  \"updated\": \"%s\",\n", evt_utc_now(now, sizeof(now)));
        fprintf(f, "  \"supervisor_pid\": %d,\n  \"target_pid\": ", (int)st->supervisor);
        if (st->target > 0)
                fprintf(f, "%d", (int)st->target);
        else
                fputs("null", f);
        fprintf(f, ",\n  \"state\": \"%s\",\n  \"argv\": [", st->state);
        for (char *const *a = st->argv; a && *a; a++)
                fprintf(f, "%s%s", a == st->argv ? "" : ", ", evt_json_str(*a, buf, sizeof(buf)));
        fprintf(f, "],\n  \"cgroup\": {\"path\": %s, \"version\": %d, \"memory_limit\": %llu, \"usage\": %llu},\n",
                evt_json_str(st->cgroup, buf, sizeof(buf)), st->cgroup_version,
                (unsigned long long)st->memory_limit, (unsigned long long)st->usage);
        fprintf(f, "  \"dump_dir\": %s,\n  \"dumps_held\": %u,\n  \"dump_bytes\": %llu,\n",
                evt_json_str(st->dump_dir, buf, sizeof(buf)), st->dumps, (unsigned long long)st->dump_bytes);
        fputs("  \"thresholds_passed\": [", f);
        for (unsigned i = 0; i < st->n_thresholds_passed; i++)
                fprintf(f, "%s%u", i ? ", " : "", st->thresholds_passed[i]);
        fprintf(f, "],\n  \"restarts\": %u,\n  \"last_bundle\": ", st->restarts);
        if (st->last_bundle)
                fputs(evt_json_str(st->last_bundle, buf, sizeof(buf)), f);
        else
                fputs("null", f);
        fputs(",\n  \"last_event\": ", f);
        if (e->last_event[0])
                fprintf(f, "{\"ts\": \"%s\", \"event\": \"%s\"%s}", e->last_ts, e->last_event, e->last_fields);
        else
                fputs("null", f);
        fputs("\n}\n", f);
        if (fflush(f) != 0 || ferror(f))
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(e->dir_fd, tmp, e->dir_fd, EVT_STATUS_FILE) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(e->dir_fd, tmp, 0);
        return r;
}
