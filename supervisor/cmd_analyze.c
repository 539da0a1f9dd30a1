/* `oomwatch diff` and `oomwatch trend`: thin front ends of the analyzer. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "commands.h"

static void usage_diff(FILE *f)
{
        fputs("Usage: oomwatch diff [OPTIONS] [--base OLD.heap] NEW.heap\n"
              "Show which call stacks grew between two jemalloc heap dumps\n"
              "(against an empty heap without --base).\n\n"
              "  --base OLD.heap    the earlier dump\n"
              "  --format FORMAT    text (default), collapsed, svg, dot or json\n"
              "  --top N            rows in text and json output (default 20)\n"
              "  --binary PATH      executable to symbolize with, instead of the path\n"
              "                     recorded in the dump\n"
              "  -h, --help         show this help\n\n"
              "Exit status: 0; 125 for bad usage or a dump that cannot be read or parsed\n"
              "(the message names the file and line).\n", f);
}

static void usage_trend(FILE *f)
{
        fputs("Usage: oomwatch trend [OPTIONS] DUMP...\n"
              "Rank functions by steady growth across dumps of one process, ordered by\n"
              "(pid, seq) from their names; a cache that fills and then stays flat is\n"
              "not a suspect. Needs at least two dumps; three or more tell a trend.\n\n"
              "  --format FORMAT    text (default), collapsed, svg, dot or json\n"
              "  --top N            rows in text and json output (default 20)\n"
              "  --binary PATH      executable to symbolize with\n"
              "  -h, --help         show this help\n\n"
              "Exit status: 0; 125 for bad usage or a dump that cannot be read or parsed\n"
              "(the message names the file and line).\n", f);
}

static int parse_top(const char *s, unsigned *ret)
{
        char *end;
        errno = 0;
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v == 0 || v > 1000000)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

/* Shared option parsing; *ret_base only for diff. Returns 0, 1 for help
 * printed, or OW_EXIT_USAGE after printing the reason. */
static int parse_opts(const char *cmd, int argc, char **argv, bool is_diff,
                      struct an_options *o, enum an_format *fmt, const char **ret_base)
{
        enum { OPT_BASE = 256, OPT_FORMAT, OPT_TOP, OPT_BINARY };
        static const struct option diff_opts[] = {
                { "base", required_argument, NULL, OPT_BASE },
                { "format", required_argument, NULL, OPT_FORMAT },
                { "top", required_argument, NULL, OPT_TOP },
                { "binary", required_argument, NULL, OPT_BINARY },
                { "help", no_argument, NULL, 'h' },
                { 0 }
        };
        const struct option *opts = is_diff ? diff_opts : diff_opts + 1;
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_BASE:
                        *ret_base = optarg;
                        break;
                case OPT_FORMAT:
                        if (an_format_from_string(optarg, fmt) < 0) {
                                fprintf(stderr, "oomwatch %s: unknown format '%s' (want text, collapsed, svg, dot or json)\n",
                                        cmd, optarg);
                                return OW_EXIT_USAGE;
                        }
                        break;
                case OPT_TOP:
                        if (parse_top(optarg, &o->top) < 0) {
                                fprintf(stderr, "oomwatch %s: bad --top '%s' (want 1 to 1000000)\n", cmd, optarg);
                                return OW_EXIT_USAGE;
                        }
                        break;
                case OPT_BINARY:
                        o->binary = optarg;
                        break;
                case 'h':
                        (is_diff ? usage_diff : usage_trend)(stdout);
                        return 1;
                case ':':
                        fprintf(stderr, "oomwatch %s: option '%s' needs a value\n", cmd, argv[optind - 1]);
                        return OW_EXIT_USAGE;
                default:
                        fprintf(stderr, "oomwatch %s: unknown option '%s' (see --help)\n", cmd,
                                argv[optind - 1]);
                        return OW_EXIT_USAGE;
                }
        }
        return 0;
}

static int finish(const char *cmd, int r, struct an_report *rep, char *err, enum an_format fmt)
{
        if (r < 0) {
                fprintf(stderr, "oomwatch %s: %s\n", cmd, err ? err : strerror(-r));
                free(err);
                return OW_EXIT_USAGE;
        }
        r = an_render(rep, fmt, stdout);
        an_report_free(rep);
        if (r < 0) {
                fprintf(stderr, "oomwatch %s: writing output: %s\n", cmd, strerror(-r));
                return OW_EXIT_USAGE;
        }
        return 0;
}

/* On a terminal, a line on stderr that says how far the analysis is:
 * "reading DUMP: 41% of 11400 stacks", rewritten at most every 100 ms and
 * erased at the end. Never when stderr is a file or a pipe. */
struct progress {
        struct timespec last;
        bool shown;
};

static void show_progress(void *userdata, const char *dump, size_t done, size_t total)
{
        struct progress *p = userdata;
        struct timespec now;
        const char *base = strrchr(dump, '/');

        clock_gettime(CLOCK_MONOTONIC, &now);
        if (done != total && p->shown &&
            (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 100)
                return;
        p->last = now;
        p->shown = true;
        fprintf(stderr, "\r\033[Koomwatch: %s: %zu%% of %zu stacks", base ? base + 1 : dump,
                total ? done * 100 / total : 100, total);
}

static void progress_setup(struct an_options *o, struct progress *p)
{
        if (isatty(STDERR_FILENO)) {
                o->progress = show_progress;
                o->progress_data = p;
        }
}

static void progress_done(const struct progress *p)
{
        if (p->shown)
                fputs("\r\033[K", stderr);
}

int cmd_diff(int argc, char **argv)
{
        struct progress pg = { 0 };
        struct an_options o = { 0 };
        enum an_format fmt = AN_FORMAT_TEXT;
        const char *base = NULL;
        int r = parse_opts("diff", argc, argv, true, &o, &fmt, &base);
        if (r)
                return r == 1 ? 0 : r;
        if (argc - optind != 1) {
                fprintf(stderr, "oomwatch diff: %s (usage: oomwatch diff [--base OLD.heap] NEW.heap)\n",
                        argc - optind < 1 ? "missing NEW.heap" : "too many arguments");
                return OW_EXIT_USAGE;
        }
        struct an_report *rep = NULL;
        char *err = NULL;
        progress_setup(&o, &pg);
        r = an_diff_paths(base, argv[optind], &o, &rep, &err);
        progress_done(&pg);
        return finish("diff", r, rep, err, fmt);
}

int cmd_trend(int argc, char **argv)
{
        struct progress pg = { 0 };
        struct an_options o = { 0 };
        enum an_format fmt = AN_FORMAT_TEXT;
        int r = parse_opts("trend", argc, argv, false, &o, &fmt, NULL);
        if (r)
                return r == 1 ? 0 : r;
        if (argc - optind < 2) {
                fprintf(stderr, "oomwatch trend: need at least two dumps (usage: oomwatch trend DUMP...)\n");
                return OW_EXIT_USAGE;
        }
        struct an_report *rep = NULL;
        char *err = NULL;
        progress_setup(&o, &pg);
        r = an_trend_paths((const char *const *)(argv + optind), (size_t)(argc - optind), &o, &rep, &err);
        progress_done(&pg);
        return finish("trend", r, rep, err, fmt);
}
