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
#include "units.h"

#define STATUS_MAX 65536

static void usage(FILE *out)
{
        fputs("Usage: oomwatch status [--json] [DIR|SUPERVISOR-PID]\n"
              "\n"
              "Show what a running (or finished) 'oomwatch run' is doing: the target's pid\n"
              "and state, memory use against the limit, dumps held, thresholds passed, the\n"
              "last event and the last incident bundle. DIR is a dump directory (the\n"
              "status file " EVT_STATUS_FILE " lives there); a pid asks that supervisor\n"
              "where its dump directory is. Without either, the one supervisor running on\n"
              "this machine is shown.\n"
              "\n"
              "  --json      print the status file as it is\n"
              "  -h, --help  this text\n"
              "\n"
              "Exit status: 0; 1 when there is no status to show; 125 for bad usage, or\n"
              "when several supervisors run and none is named.\n",
              out);
}

/* The value after "key": in our own status file (a fixed format). */
static const char *field(const char *text, const char *key, char *buf, size_t len)
{
        char pat[64];
        const char *p, *e;

        snprintf(pat, sizeof(pat), "\"%s\": ", key);
        p = strstr(text, pat);
        if (!p)
                return NULL;
        p += strlen(pat);
        if (*p == '"') {
                p++;
                e = strchr(p, '"');
        } else {
                e = p + strcspn(p, ",\n}");
        }
        if (!e)
                return NULL;
        snprintf(buf, len, "%.*s", (int)(e - p), p);
        return buf;
}

static int read_text(const char *path, char **ret)
{
        FILE *f = fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return -errno;
        buf = malloc(STATUS_MAX + 1);
        if (!buf) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(buf, 1, STATUS_MAX, f);
        fclose(f);
        buf[n] = '\0';
        *ret = buf;
        return 0;
}

int cmd_status(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        char dir[CTL_MSG_MAX], *path = NULL, *text = NULL, b1[4096], b2[256], b3[64], s1[32], s2[32];
        bool json = false, live = false;
        struct stat st;
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
        if (argc - optind == 1 && stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode)) {
                snprintf(dir, sizeof(dir), "%s", argv[optind]);
        } else {
                pid_t pid;
                r = ctl_pick_supervisor("status", argc - optind == 1 ? argv[optind] : NULL,
                                        "; name its dump directory to see its last status", &pid);
                if (r)
                        return r;
                r = ctl_request(pid, CTL_WHERE, 5000, dir, sizeof(dir));
                if (r < 0) {
                        fprintf(stderr, "oomwatch status: %s\n", dir);
                        return 1;
                }
                live = true;
        }
        if (asprintf(&path, "%s/%s", dir, EVT_STATUS_FILE) < 0)
                return 1;
        r = read_text(path, &text);
        if (r < 0) {
                fprintf(stderr, "oomwatch status: \"%s\": %s\n", path, strerror(-r));
                goto out;
        }
        if (json) {
                fputs(text, stdout);
                status = 0;
                goto out;
        }

        {
                uint64_t limit = 0, usage = 0;
                const char *v;
                char *cg = NULL;

                v = field(text, "memory_limit", b3, sizeof(b3));
                if (v)
                        (void)unit_parse_uint(v, 0, UINT64_MAX, &limit);
                v = field(text, "usage", b3, sizeof(b3));
                if (v)
                        (void)unit_parse_uint(v, 0, UINT64_MAX, &usage);
                v = field(text, "path", b1, sizeof(b1));
                if (v && live) {
                        /* live from the cgroup (v1 or v2 file names) */
                        char *p = NULL, *t = NULL;
                        cg = strdup(v);
                        if (cg && asprintf(&p, "%s/memory.usage_in_bytes", cg) >= 0 &&
                            (read_text(p, &t) == 0 || (free(p), p = NULL,
                                                       asprintf(&p, "%s/memory.current", cg) >= 0 &&
                                                               read_text(p, &t) == 0))) {
                                t[strcspn(t, "\n")] = '\0';
                                (void)unit_parse_uint(t, 0, UINT64_MAX, &usage);
                        }
                        free(t);
                        free(p);
                }
                printf("supervisor:  pid %s, %s\n", field(text, "supervisor_pid", b2, sizeof(b2)) ?: "?",
                       field(text, "state", b3, sizeof(b3)) ?: "?");
                printf("target:      pid %s\n", field(text, "target_pid", b2, sizeof(b2)) ?: "?");
                printf("memory:      %s of %s (%.0f%%)%s\n", unit_format_size(usage, s1, sizeof(s1)),
                       unit_format_size(limit, s2, sizeof(s2)), limit ? 100.0 * (double)usage / (double)limit : 0.0,
                       live ? "" : " at the last update");
                printf("cgroup:      %s\n", cg ? cg : field(text, "path", b1, sizeof(b1)) ?: "?");
                free(cg);
                {
                        uint64_t bytes = 0;
                        const char *nb = field(text, "dump_bytes", b3, sizeof(b3));
                        if (nb)
                                (void)unit_parse_uint(nb, 0, UINT64_MAX, &bytes);
                        printf("dumps:       %s held (%s) in %s\n", field(text, "dumps_held", b2, sizeof(b2)) ?: "?",
                               unit_format_size(bytes, s1, sizeof(s1)), dir);
                }
                {
                        const char *p = strstr(text, "\"thresholds_passed\": [");
                        if (p) {
                                p += strlen("\"thresholds_passed\": [");
                                if (*p == ']')
                                        printf("thresholds:  none passed\n");
                                else
                                        printf("thresholds:  %.*s (%% of the limit) passed\n", (int)strcspn(p, "]"), p);
                        }
                }
                printf("restarts:    %s\n", field(text, "restarts", b2, sizeof(b2)) ?: "0");
                {
                        const char *p = strstr(text, "\"last_event\": ");
                        if (p) {
                                p += strlen("\"last_event\": ");
                                printf("last event:  %.*s\n", (int)strcspn(p, "\n"), p);
                        }
                }
                v = field(text, "last_bundle", b1, sizeof(b1));
                printf("last bundle: %s\n", v && strcmp(v, "null") != 0 ? v : "none");
                printf("updated:     %s\n", field(text, "updated", b2, sizeof(b2)) ?: "?");
        }
        status = 0;
out:
        free(text);
        free(path);
        return status;
}
