/* `oomwatch status [DIR|PID]`: what a supervisor is doing, from the status
 * file it keeps in its dump directory (events.h), with the memory use read
 * live from the cgroup when the supervisor still runs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "events.h"
#include "json.h"
#include "statedir.h"
#include "units.h"

#define STATUS_MAX (1 << 20)

static void usage(FILE *out)
{
        fputs("Usage: oomwatch status [--json] [DUMP-DIR | SUPERVISOR-PID | SOCKET]\n"
              "\n"
              "Show what a running (or finished) 'oomwatch run' is doing: the target's pid\n"
              "and state, memory use against the limit, dumps held, thresholds passed, the\n"
              "last event, the processes of its tree and the last incident bundle. A\n"
              "running supervisor is asked\n"
              "through its control socket (named by its pid, its dump directory or the\n"
              "socket itself); for a dump directory whose supervisor has ended, its last\n"
              "status file (" SD_NAME "/" EVT_STATUS_FILE ") is shown. Without an argument,\n"
              "the one supervisor running on this machine is shown.\n"
              "\n"
              "  --json      the status as JSON, with \"live\": true when the supervisor\n"
              "              answered now, false (and a \"note\") for the last status of one\n"
              "              that has ended\n"
              "  -h, --help  this text\n"
              "\n"
              "Exit status: 0; 1 when there is no status to show; 125 for bad usage, or\n"
              "when several supervisors run and none is named.\n",
              out);
}

/* At most max bytes of path into a new NUL-terminated *ret; -EFBIG when
 * it holds more. */
static int read_text(const char *path, size_t max, char **ret)
{
        FILE *f = fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(max + 2);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, max + 1, f);
        fclose(f);
        if (n > max) {
                free(buf);
                return -EFBIG;
        }
        buf[n] = '\0';
        *ret = buf;
        return 0;
}

/* A string of the status file for the terminal: the file lives in a
 * directory the target can write, so control characters become '?'. */
static void put_plain(const char *s, FILE *out)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static const char *str_or(const struct json_value *obj, const char *key, const char *dflt)
{
        const char *v;
        return json_get_string(obj, key, &v) == 0 ? v : dflt;
}

static uint64_t uint_or(const struct json_value *obj, const char *key, uint64_t dflt)
{
        uint64_t v;
        return json_get_uint(obj, key, &v) == 0 ? v : dflt;
}

/* --json: the status, with "live" (true: the supervisor answered now;
 * false: it has ended and this is the last status it wrote, see "note"). */
static int print_json(const struct json_value *st, bool live)
{
        struct json_writer w;

        json_init(&w, stdout, JSON_PRETTY);
        json_begin_object(&w);
        for (size_t i = 0; i < st->n; i++) {
                if (strcmp(st->items[i].key, "live") == 0 || strcmp(st->items[i].key, "note") == 0)
                        continue;
                json_key(&w, st->items[i].key);
                json_write_value(&w, &st->items[i]);
        }
        json_kv_bool(&w, "live", live);
        if (!live)
                json_kv_string(&w, "note", "the supervisor has ended: this is the last status it wrote");
        json_end_object(&w);
        fputc('\n', stdout);
        return json_finish(&w);
}

/* The usage of cgroup path now (v1 or v2 file names); false when unreadable. */
static bool live_usage(const char *cg, uint64_t *ret)
{
        static const char *const names[] = { "memory.usage_in_bytes", "memory.current" };
        bool ok = false;

        for (size_t i = 0; !ok && i < 2; i++) {
                char *p = NULL, *t = NULL;
                if (asprintf(&p, "%s/%s", cg, names[i]) < 0)
                        return false;
                if (read_text(p, 64, &t) == 0) {
                        t[strcspn(t, "\n")] = '\0';
                        ok = unit_parse_uint(t, 0, UINT64_MAX, ret) == 0;
                }
                free(t);
                free(p);
        }
        return ok;
}

/* The processes of the tree (the status file's "processes"). */
static void print_processes(const struct json_value *st)
{
        const struct json_value *procs = json_get(st, "processes");
        uint64_t kills = uint_or(st, "tree_oom_kills", 0);
        char s1[32], s2[32];

        if (!procs || procs->type != JSON_T_ARRAY)
                return;
        printf("processes:   %llu", (unsigned long long)uint_or(st, "processes_total", procs->n));
        if (kills)
                printf(" (%llu OOM-killed in the tree so far)", (unsigned long long)kills);
        printf("\n       PID    PPID        RSS       ANON  DUMPS  AGENT       COMMAND\n");
        for (size_t i = 0; i < procs->n; i++) {
                const struct json_value *p = &procs->items[i];
                char agent[12];
                snprintf(agent, sizeof(agent), "%s", str_or(p, "agent", "?"));
                printf("  %8llu %7llu %10s %10s %6llu  ", (unsigned long long)uint_or(p, "pid", 0),
                       (unsigned long long)uint_or(p, "ppid", 0), unit_format_size(uint_or(p, "rss", 0), s1, sizeof(s1)),
                       unit_format_size(uint_or(p, "anon", 0), s2, sizeof(s2)),
                       (unsigned long long)uint_or(p, "dumps", 0));
                put_plain(agent, stdout);
                printf("%*s", (int)(12 - strlen(agent)), "");
                put_plain(str_or(p, "command", "?"), stdout);
                fputc('\n', stdout);
        }
}

int cmd_status(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        char *text = NULL, *err = NULL, s1[32], s2[32];
        const char *dir;
        struct json_value *st = NULL;
        bool json = false, live = false;
        struct ctl_addr addr;
        int o, r, status = 1;

        optind = 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
                if (o == 'h') {
                        usage(stdout);
                        return 0;
                }
                if (o == 'j') {
                        json = true;
                        continue;
                }
                fprintf(stderr, "oomwatch status: unknown option '%s'. Try 'oomwatch status --help'.\n",
                        argv[optind - 1]);
                return OW_EXIT_USAGE;
        }
        if (argc - optind > 1) {
                fprintf(stderr, "oomwatch status: expected at most one DIR or PID\n");
                return OW_EXIT_USAGE;
        }
        r = ctl_pick_supervisor("status", argc - optind == 1 ? argv[optind] : NULL,
                                "; name its dump directory to see its last status", &addr);
        if (r)
                return r;
        r = ctl_request(&addr, CTL_STATUS, 5000, &text);
        live = r >= 0;
        if (r < 0 && addr.dir && (r == -ECONNREFUSED || r == -ENOENT)) {
                /* nobody runs for that directory: its last status */
                free(text);
                text = NULL;
                r = sd_read(addr.dir, EVT_STATUS_FILE, STATUS_MAX, &text, &err);
        }
        ctl_addr_free(&addr);
        if (r < 0) {
                fprintf(stderr, "oomwatch status: %s\n", err ? err : text ? text : strerror(-r));
                goto out;
        }
        r = json_parse(text, strlen(text), &st, &err);
        if (r < 0 || st->type != JSON_T_OBJECT) {
                fprintf(stderr, "oomwatch status: the status: %s\n", err ? err : "not a status file");
                goto out;
        }
        if (json) {
                status = print_json(st, live) < 0 ? 1 : 0;
                goto out;
        }
        dir = str_or(st, "dump_dir", "?");

        {
                const struct json_value *cgv = json_get(st, "cgroup"), *th, *ev;
                uint64_t limit = uint_or(cgv, "memory_limit", 0), usage = uint_or(cgv, "usage", 0), pid;
                const char *cg = str_or(cgv, "path", NULL);
                bool now = live && cg && live_usage(cg, &usage);

                const char *state = str_or(st, "state", "?");
                printf("supervisor:  pid ");
                if (json_get_uint(st, "supervisor_pid", &pid) == 0)
                        printf("%llu", (unsigned long long)pid);
                else
                        fputs("?", stdout);
                fputs(", ", stdout);
                put_plain(state, stdout);
                if (!live)
                        printf(strcmp(state, "done") == 0 ? " (it has ended; its last status follows)\n"
                                                          : " as last written: it has ended without saying so "
                                                            "(killed?); its last status follows\n");
                else
                        fputc('\n', stdout);
                printf("target:      ");
                if (json_get_uint(st, "target_pid", &pid) == 0)
                        printf("pid %llu%s\n", (unsigned long long)pid, live ? "" : " at the last update");
                else if (!live)
                        printf("none (the supervisor has ended)\n");
                else
                        printf("not running (%s)\n", strcmp(state, "restart-wait") == 0 ? "waiting to restart"
                                                      : strcmp(state, "analyzing") == 0 ? "the bundle is being written"
                                                                                       : "it has ended");
                printf("memory:      %s of %s (%.0f%%)%s\n", unit_format_size(usage, s1, sizeof(s1)),
                       unit_format_size(limit, s2, sizeof(s2)), limit ? 100.0 * (double)usage / (double)limit : 0.0,
                       now ? "" : " at the last update");
                printf("cgroup:      ");
                put_plain(cg ? cg : "?", stdout);
                printf("\ndumps:       %llu held (%s) in ", (unsigned long long)uint_or(st, "dumps_held", 0),
                       unit_format_size(uint_or(st, "dump_bytes", 0), s1, sizeof(s1)));
                put_plain(dir, stdout);
                fputc('\n', stdout);
                th = json_get(st, "thresholds_passed");
                if (th && th->type == JSON_T_ARRAY) {
                        if (!th->n)
                                printf("thresholds:  none passed\n");
                        else {
                                printf("thresholds:  ");
                                for (size_t i = 0; i < th->n; i++)
                                        printf("%s%llu", i ? ", " : "",
                                               (unsigned long long)(th->items[i].is_uint ? th->items[i].u : 0));
                                printf(" (%% of the limit) passed\n");
                        }
                }
                printf("restarts:    %llu\n", (unsigned long long)uint_or(st, "restarts", 0));
                {
                        const struct json_value *pr = json_get(st, "profiling"), *on = json_get(pr, "on");
                        if (on && on->type == JSON_T_BOOL) {
                                const char *rt = str_or(pr, "runtime", NULL);
                                printf("profiling:   %s", on->b ? "on" : "off");
                                if (!on->b && str_or(pr, "why", NULL)) {
                                        fputs(": ", stdout);
                                        put_plain(str_or(pr, "why", ""), stdout);
                                } else if (rt && strcmp(rt, "native") != 0) {
                                        fputs(" (runtime ", stdout);
                                        put_plain(rt, stdout);
                                        fputc(')', stdout);
                                }
                                fputc('\n', stdout);
                        }
                }
                print_processes(st);
                ev = json_get(st, "last_event");
                if (ev && ev->type == JSON_T_OBJECT) {
                        /* one line, as the event log has it */
                        struct json_writer w;
                        char *line = NULL;
                        size_t n = 0;
                        FILE *m = open_memstream(&line, &n);
                        if (m) {
                                json_init(&w, m, 0);
                                json_write_value(&w, ev);
                                fclose(m);
                                printf("last event:  ");
                                put_plain(line ? line : "", stdout);
                                fputc('\n', stdout);
                        }
                        free(line);
                } else {
                        printf("last event:  none\n");
                }
                printf("last bundle: ");
                put_plain(str_or(st, "last_bundle", "none"), stdout);
                printf("\nupdated:     ");
                put_plain(str_or(st, "updated", "?"), stdout);
                fputc('\n', stdout);
        }
        status = 0;
out:
        json_value_free(st);
        free(err);
        free(text);
        return status;
}
