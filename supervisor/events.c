/* Event log and status file. */
#include "events.h"

#include "fsutil.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* an event's members past this size are dropped from the status file */
#define LAST_EVENT_MAX 65536

struct evt {
        FILE *log;          /* NULL: no event log (or the journal) */
        bool log_is_stderr;
        bool level_prefix;  /* stderr is journald's stream: "<N>" before each line */
        struct jn *journal; /* report.events = journal */
        int dir_fd;
        char event[32];     /* the event being written, */
        int prio;           /* and its syslog priority */
        /* the event being written */
        FILE *mem;
        char *mem_text;
        size_t mem_len;
        struct json_writer w;
        char *last;         /* the last event, one JSON object, or NULL */
        evt_listener_fn listener;
        void *listener_data;
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

/* Is fd the stream journald handed us? JOURNAL_STREAM is "device:inode" of
 * it; a child of a service inherits the variable with another stderr. */
static bool is_journal_stream(int fd)
{
        const char *v = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char tail;

        if (!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &tail) != 2 || fstat(fd, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int evt_open(const char *path, int dir_fd, struct evt **ret)
{
        struct evt *e = calloc(1, sizeof(*e));
        int r;

        if (!e)
                return -ENOMEM;
        e->dir_fd = dir_fd;
        if (path && strcmp(path, EVT_JOURNAL) == 0) {
                r = jn_open(NULL, &e->journal);
                if (r < 0) {
                        free(e);
                        return r;
                }
        } else if (path && strcmp(path, "-") == 0) {
                e->log = stderr;
                e->log_is_stderr = true;
                e->level_prefix = is_journal_stream(STDERR_FILENO);
        } else if (path) {
                /* O_NONBLOCK: a FIFO without a reader must not stall the
                 * supervisor; a regular file is written blocking */
                int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
                struct stat st;
                if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                        (void)fcntl(fd, F_SETFL, O_APPEND);
                if (fd < 0 || !(e->log = fdopen(fd, "a"))) {
                        r = -errno;
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
        if (e->mem) {
                fclose(e->mem);
                free(e->mem_text);
        }
        if (e->log && !e->log_is_stderr)
                fclose(e->log);
        jn_close(e->journal);
        free(e->last);
        free(e);
}

struct json_writer *evt_begin(struct evt *e, const char *event)
{
        char ts[32];

        if (!e)
                return NULL;
        if (e->mem) {           /* an event left open: dropped */
                fclose(e->mem);
                free(e->mem_text);
        }
        e->mem_text = NULL;
        e->mem_len = 0;
        e->mem = open_memstream(&e->mem_text, &e->mem_len);
        json_init(&e->w, e->mem, 0);
        if (!e->mem) {
                /* no memory: the writer fails and evt_end writes nothing */
                e->w.err = -ENOMEM;
                return &e->w;
        }
        json_begin_object(&e->w);
        json_kv_string(&e->w, "ts", evt_utc_now(ts, sizeof(ts)));
        json_kv_string(&e->w, "event", event);
        snprintf(e->event, sizeof(e->event), "%s", event);
        e->prio = strcmp(event, "oom") == 0 || strcmp(event, "bad_dump") == 0 ? LOG_WARNING
                  : strcmp(event, "report") == 0 || strcmp(event, "restart") == 0 ? LOG_NOTICE
                                                                                  : LOG_INFO;
        return &e->w;
}

void evt_priority(struct evt *e, int prio)
{
        if (e && prio >= LOG_EMERG && prio <= LOG_DEBUG)
                e->prio = prio;
}

/* The event as a journal entry: MESSAGE is the JSON line; every member
 * is a field of its own too (OOMWATCH_PATH=..., numbers as text). */
static void to_journal(struct evt *e, const char *text)
{
        struct jn_field f[40];
        char prio[4], names[36][72], *vals[36] = { 0 };
        struct json_value *v = NULL;
        size_t n = 0, nv = 0;

        snprintf(prio, sizeof(prio), "%d", e->prio);
        f[n++] = (struct jn_field){ "MESSAGE", text, strlen(text) };
        f[n++] = (struct jn_field){ "PRIORITY", prio, strlen(prio) };
        f[n++] = (struct jn_field){ "SYSLOG_IDENTIFIER", "oomwatch", 8 };
        f[n++] = (struct jn_field){ "OOMWATCH_EVENT", e->event, strlen(e->event) };
        if (json_parse(text, strlen(text), &v, NULL) == 0) {
                for (size_t i = 0; i < v->n && nv < 36 && n < 40; i++) {
                        const struct json_value *m = &v->items[i];
                        char num[64];
                        const char *val = NULL;
                        size_t len = 0;
                        if (strcmp(m->key, "event") == 0 || strcmp(m->key, "ts") == 0)
                                continue;
                        if (m->type == JSON_T_STRING) {
                                val = m->str;
                                len = m->len;
                        } else if (m->type == JSON_T_NUMBER) {
                                if (m->is_int)
                                        snprintf(num, sizeof(num), "%lld", (long long)m->i);
                                else if (m->is_uint)
                                        snprintf(num, sizeof(num), "%llu", (unsigned long long)m->u);
                                else
                                        snprintf(num, sizeof(num), "%.17g", m->num);
                                val = vals[nv] = strdup(num);
                                len = strlen(num);
                        } else if (m->type == JSON_T_BOOL) {
                                val = m->b ? "true" : "false";
                                len = strlen(val);
                        }
                        if (!val)
                                continue;
                        jn_field_name(m->key, names[nv], sizeof(names[nv]));
                        f[n++] = (struct jn_field){ names[nv], val, len };
                        nv++;
                }
        }
        (void)jn_send(e->journal, f, n);
        for (size_t i = 0; i < nv; i++)
                free(vals[i]);
        json_value_free(v);
}

void evt_end(struct evt *e)
{
        int r;

        if (!e)
                return;
        json_end_object(&e->w);
        r = json_finish(&e->w);
        if (!e->mem)
                return;
        if (fclose(e->mem) != 0 && r == 0)
                r = -ENOMEM;
        e->mem = NULL;
        if (r < 0 || !e->mem_text) {
                free(e->mem_text);
                e->mem_text = NULL;
                return;
        }
        if (e->log) {
                if (e->level_prefix)
                        fprintf(e->log, "<%d>", e->prio);
                fprintf(e->log, "%s\n", e->mem_text);
                fflush(e->log);
        }
        if (e->journal)
                to_journal(e, e->mem_text);
        free(e->last);
        e->last = e->mem_text;
        e->mem_text = NULL;
        if (e->listener)
                e->listener(e->listener_data, e->event, e->last);
}

void evt_on_event(struct evt *e, evt_listener_fn fn, void *userdata)
{
        if (!e)
                return;
        e->listener = fn;
        e->listener_data = userdata;
}

int evt_write_status(struct evt *e, const struct evt_status *st)
{
        char now[32];
        struct json_value *last = NULL;
        struct json_writer w;
        struct fs_rewrite rw;
        FILE *f;
        int r;

        if (!e || e->dir_fd < 0)
                return 0;
        f = fs_rewrite_begin(&rw, e->dir_fd, EVT_STATUS_FILE, EVT_STATUS_FILE ".tmp", 0644, &r);
        if (!f)
                return r;
        json_init(&w, f, JSON_PRETTY);
        json_begin_object(&w);
        json_kv_int(&w, "schema", 1);
        json_kv_string(&w, "updated", evt_utc_now(now, sizeof(now)));
        json_kv_int(&w, "supervisor_pid", st->supervisor);
        json_key(&w, "target_pid");
        if (st->target > 0)
                json_int(&w, st->target);
        else
                json_null(&w);
        json_kv_string(&w, "state", st->state);
        json_key(&w, "argv");
        json_begin_array(&w);
        for (char *const *a = st->argv; a && *a; a++)
                json_string(&w, *a);
        json_end_array(&w);
        json_key(&w, "cgroup");
        json_begin_object(&w);
        json_kv_string(&w, "path", st->cgroup);
        json_kv_int(&w, "version", st->cgroup_version);
        json_kv_uint(&w, "memory_limit", st->memory_limit);
        json_kv_uint(&w, "usage", st->usage);
        json_end_object(&w);
        json_kv_string(&w, "dump_dir", st->dump_dir);
        json_kv_uint(&w, "dumps_held", st->dumps);
        json_kv_uint(&w, "dump_bytes", st->dump_bytes);
        json_key(&w, "thresholds_passed");
        json_begin_array(&w);
        for (unsigned i = 0; i < st->n_thresholds_passed; i++)
                json_uint(&w, st->thresholds_passed[i]);
        json_end_array(&w);
        json_kv_uint(&w, "restarts", st->restarts);
        json_key(&w, "profiling");
        json_begin_object(&w);
        json_kv_bool(&w, "on", st->profiling);
        json_kv_string(&w, "runtime", st->runtime);
        json_kv_string(&w, "why", st->profiling ? NULL : st->profiling_why);
        json_end_object(&w);
        json_kv_uint(&w, "tree_oom_kills", st->tree_oom_kills);
        json_kv_uint(&w, "processes_total", st->n_procs_total);
        json_key(&w, "processes");
        json_begin_array(&w);
        for (unsigned i = 0; i < st->n_procs; i++) {
                const struct evt_proc *p = &st->procs[i];
                json_begin_object(&w);
                json_kv_int(&w, "pid", p->pid);
                json_kv_int(&w, "ppid", p->ppid);
                json_kv_string(&w, "command", p->command);
                json_kv_uint(&w, "rss", p->rss);
                json_kv_uint(&w, "anon", p->anon);
                json_kv_uint(&w, "dumps", p->dumps);
                json_kv_string(&w, "agent", p->agent);
                json_kv_bool(&w, "target", p->target);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_kv_string(&w, "last_bundle", st->last_bundle);
        json_key(&w, "last_event");
        if (e->last && strlen(e->last) <= LAST_EVENT_MAX && json_parse(e->last, strlen(e->last), &last, NULL) == 0)
                json_write_value(&w, last);
        else
                json_null(&w);
        json_value_free(last);
        json_end_object(&w);
        r = json_finish(&w);
        if (fputc('\n', f) == EOF)
                r = r ? r : -EIO;
        return fs_rewrite_end(&rw, r);
}

void evt_start(struct evt *e, const struct evt_start *st)
{
        struct json_writer *w = evt_begin(e, "start");

        json_kv_int(w, "pid", st->pid);
        json_kv_string(w, "command", st->command);
        json_kv_string(w, "cgroup", st->cgroup);
        json_kv_uint(w, "memory_limit", st->memory_limit);
        json_kv_uint(w, "run", st->run);
        json_kv_string(w, "runtime", st->runtime);
        json_kv_bool(w, "profiling", st->profiling);
        if (!st->profiling)
                json_kv_string(w, "why", st->why ? st->why : "no jemalloc");
        evt_end(e);
}

void evt_dump(struct evt *e, const char *path, pid_t pid, uint64_t seq, char kind, uint64_t bytes)
{
        struct json_writer *w = evt_begin(e, "dump");
        char k[2] = { kind ? kind : '?', '\0' };

        json_kv_string(w, "path", path);
        json_kv_int(w, "pid", pid);
        json_kv_uint(w, "seq", seq);
        json_kv_string(w, "kind", k);
        json_kv_uint(w, "bytes", bytes);
        evt_end(e);
}

void evt_baseline(struct evt *e, const char *path, pid_t pid)
{
        struct json_writer *w = evt_begin(e, "baseline");

        json_kv_string(w, "path", path);
        json_kv_int(w, "pid", pid);
        evt_end(e);
}

static void path_event(struct evt *e, const char *name, const char *path)
{
        json_kv_string(evt_begin(e, name), "path", path);
        evt_end(e);
}

void evt_rotate(struct evt *e, const char *path)
{
        path_event(e, "rotate", path);
}

void evt_bad_dump(struct evt *e, const char *path)
{
        path_event(e, "bad_dump", path);
}

void evt_threshold(struct evt *e, unsigned percent, uint64_t usage)
{
        struct json_writer *w = evt_begin(e, "threshold");

        json_kv_uint(w, "percent", percent);
        json_kv_uint(w, "usage", usage);
        evt_end(e);
}

void evt_step(struct evt *e, uint64_t level, uint64_t usage)
{
        struct json_writer *w = evt_begin(e, "step");

        json_kv_uint(w, "level", level);
        json_kv_uint(w, "usage", usage);
        evt_end(e);
}

void evt_oom(struct evt *e, pid_t pid, uint64_t oom_kills)
{
        struct json_writer *w = evt_begin(e, "oom");

        if (pid > 0) {
                json_kv_int(w, "pid", pid);
        } else {
                json_kv_null(w, "pid");
                json_kv_string(w, "scope", "cgroup");
        }
        json_kv_uint(w, "oom_kills", oom_kills);
        evt_end(e);
}

void evt_exit(struct evt *e, pid_t pid, const char *verdict, int status, const char *error)
{
        struct json_writer *w = evt_begin(e, "exit");

        json_kv_int(w, "pid", pid);
        json_kv_string(w, "verdict", verdict);
        json_kv_int(w, "status", status);
        if (error)
                json_kv_string(w, "error", error);
        evt_priority(e, error ? LOG_ERR : status ? LOG_WARNING : LOG_INFO);
        evt_end(e);
}

void evt_restart(struct evt *e, unsigned attempt, unsigned max, uint64_t delay_ms)
{
        struct json_writer *w = evt_begin(e, "restart");

        json_kv_uint(w, "attempt", attempt);
        json_kv_uint(w, "max", max);
        json_kv_uint(w, "delay_ms", delay_ms);
        evt_end(e);
}

void evt_report(struct evt *e, const char *dir, const char *verdict, pid_t pid, long ms)
{
        struct json_writer *w = evt_begin(e, "report");

        json_kv_string(w, "dir", dir);
        json_kv_string(w, "verdict", verdict);
        json_kv_int(w, "pid", pid);
        if (ms >= 0)
                json_kv_int(w, "ms", ms);
        evt_end(e);
}
