/* `oomwatch run` command line. */
#include "runopts.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "units.h"

enum {
        OPT_RESTART = 256,
        OPT_CGROUP_MODE,
};

static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "memory-limit", required_argument, NULL, 'm' },
        { "dump-dir", required_argument, NULL, 'd' },
        { "report-dir", required_argument, NULL, 'r' },
        { "keep", required_argument, NULL, 'k' },
        { "interval", required_argument, NULL, 'i' },
        { "restart", required_argument, NULL, OPT_RESTART },
        { "cgroup-mode", required_argument, NULL, OPT_CGROUP_MODE },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
};

void run_usage(FILE *out)
{
        fputs("Usage: oomwatch run [OPTIONS] [--] COMMAND [ARG...]\n"
              "\n"
              "Run COMMAND in a memory-limited cgroup with jemalloc heap profiling, keep a\n"
              "window of its recent heap dumps, and when it is OOM-killed write an incident\n"
              "bundle (report.txt, incident.json, growth.collapsed, growth.svg, the dumps)\n"
              "that names the call stacks that grew. Each option is also a configuration\n"
              "key; the command line wins over the file.\n"
              "\n"
              "Options (default in brackets):\n"
              "  -c, --config FILE         read settings from FILE (INI; see oomwatch.conf)\n"
              "  -m, --memory-limit SIZE   cgroup memory limit, e.g. 256M   [cgroup.memory_limit;\n"
              "                            required in child mode, refused in own mode]\n"
              "      --cgroup-mode child|own\n"
              "                            child: a cgroup of its own for COMMAND; own: COMMAND\n"
              "                            stays in oomwatch's cgroup (a container's), whose\n"
              "                            effective limit is the limit   [cgroup.mode = child]\n"
              "  -d, --dump-dir DIR        where the target writes heap dumps [dumps.dir = oomwatch-dumps]\n"
              "  -r, --report-dir DIR      where incident bundles go  [report.dir = oomwatch-reports]\n"
              "  -k, --keep N              newest dumps kept per process, plus the baseline [dumps.keep = 8]\n"
              "  -i, --interval SIZE|auto|off\n"
              "                            gross allocation between interval dumps; auto: none\n"
              "                            while usage steps take the dumps (the agent), else\n"
              "                            about limit/8, a power of two   [profiling.interval = auto]\n"
              "      --restart never|on-failure|on-oom|always\n"
              "                            restart policy, with back-off   [target.restart = never]\n"
              "  -q, --quiet               only errors on stderr\n"
              "  -v, --verbose             also the set-up decisions, threshold and step dumps on stderr;\n"
              "                            -vv adds each dump and rotation\n"
              "  -h, --help                this text\n"
              "\n"
              "SIZE takes K, M, G, T suffixes (powers of 1024); durations take ms, s, m, h.\n"
              "\n"
              "Exit status: the target's exit code; 128+N when it died of signal N (an OOM\n"
              "kill is 137); 125 when oomwatch fails (usage, configuration, cgroup set-up);\n"
              "126 when COMMAND is not executable; 127 when it is not found.\n"
              "Signals TERM, INT, HUP, QUIT and USR2 are forwarded to the target; USR1 asks\n"
              "the target for a heap dump through the agent.\n",
              out);
}

static int err_printf(char **ret_err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int err_printf(char **ret_err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_err, fmt, ap) < 0)
                *ret_err = NULL;
        va_end(ap);
        return -EINVAL;
}

int run_parse_args(int argc, char **argv, struct run_opts *o, char **ret_err)
{
        struct { enum cfg_key key; const char *value; const char *name; } set[32];
        const char *config = NULL;
        unsigned n_set = 0;
        int opt, r;

        memset(o, 0, sizeof(*o));
        cfg_init(&o->cfg);
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+:c:m:d:r:k:i:qvh", longopts, NULL)) != -1) {
                enum cfg_key k;
                const char *name;

                switch (opt) {
                case 'c':
                        config = optarg;
                        continue;
                case 'q':
                        o->verbosity = -1;
                        continue;
                case 'v':
                        if (o->verbosity >= 0)
                                o->verbosity++;
                        continue;
                case 'h':
                        run_usage(stdout);
                        return 1;
                case 'm': k = CK_MEMORY_LIMIT; name = "--memory-limit"; break;
                case 'd': k = CK_DUMP_DIR; name = "--dump-dir"; break;
                case 'r': k = CK_REPORT_DIR; name = "--report-dir"; break;
                case 'k': k = CK_KEEP; name = "--keep"; break;
                case 'i': k = CK_INTERVAL; name = "--interval"; break;
                case OPT_RESTART: k = CK_RESTART; name = "--restart"; break;
                case OPT_CGROUP_MODE: k = CK_CGROUP_MODE; name = "--cgroup-mode"; break;
                case ':':
                        return err_printf(ret_err, "option '%s' needs a value", argv[optind - 1]);
                default:
                        if (optopt && optopt < 256)
                                return err_printf(ret_err, "unknown option '-%c'", optopt);
                        return err_printf(ret_err, "unknown option '%s'", argv[optind - 1]);
                }
                if (n_set == sizeof(set) / sizeof(set[0]))
                        return err_printf(ret_err, "too many options");
                set[n_set].key = k;
                set[n_set].value = optarg;
                set[n_set].name = name;
                n_set++;
        }

        if (config) {
                r = cfg_load_file(&o->cfg, config, ret_err);
                if (r < 0)
                        goto fail;
        }
        for (unsigned i = 0; i < n_set; i++) {
                char origin[48];

                snprintf(origin, sizeof(origin), "option %s", set[i].name);
                r = cfg_set(&o->cfg, set[i].key, set[i].value, origin, ret_err);
                if (r < 0)
                        goto fail;
        }
        if (optind < argc) {
                size_t n = (size_t)(argc - optind);
                char **v = calloc(n + 1, sizeof(char *));

                if (!v)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        v[i] = strdup(argv[optind + (int)i]);
                        if (!v[i]) {
                                cfg_strv_free(v);
                                r = -ENOMEM;
                                goto fail;
                        }
                }
                cfg_strv_free(o->cfg.argv);
                o->cfg.argv = v;
                free(o->cfg.origin[CK_COMMAND]);
                o->cfg.origin[CK_COMMAND] = strdup("command line");
        }
        r = cfg_check(&o->cfg, true, ret_err);
        if (r < 0)
                goto fail;
        return 0;
fail:
        cfg_free(&o->cfg);
        return r;
}

int run_dump_prefix(const struct ow_config *c, char **ret)
{
        const char *dir = c->dump_dir ? c->dump_dir : cfg_keys[CK_DUMP_DIR].default_text;
        char *cwd = NULL;
        int r;

        if (dir[0] == '/') {
                r = asprintf(ret, "%s/%s", dir, RUN_DUMP_BASENAME);
        } else {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                r = asprintf(ret, "%s/%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, dir, RUN_DUMP_BASENAME);
                free(cwd);
        }
        return r < 0 ? -ENOMEM : 0;
}

void run_print_warnings(const struct ow_config *c, const struct mc_result *mc, FILE *out)
{
        if (!mc->prof)
                fprintf(out, "oomwatch: warning: malloc_conf sets prof:false: the target will write no heap "
                             "dumps and no diff is possible\n");
        if (mc->lg_prof_sample < 10)
                fprintf(out, "oomwatch: warning: lg_prof_sample %d samples every %d bytes or so; below 10 this "
                             "slows allocation-heavy programs many times over (19 is the default)\n",
                        mc->lg_prof_sample, 1 << mc->lg_prof_sample);
        if (mc->lg_prof_interval < 0 && c->gdump == CFG_OFF && !c->n_warn_at && c->agent == false)
                fprintf(out, "oomwatch: warning: interval dumps, peak dumps, warn_at and the agent are all off: "
                             "only a final dump at a clean exit will be written, and an OOM kill leaves none\n");
        else if (mc->lg_prof_interval < 0 && c->gdump == CFG_OFF && !c->n_warn_at && !cfg_usage_step(c) &&
                 c->baseline_after_ms < 0)
                fprintf(out, "oomwatch: warning: interval dumps, usage steps, peak dumps and warn_at are all off: "
                             "dumps are written only on demand (oomwatch dump, SIGUSR1) and at a clean exit\n");
        if (c->memory_limit && mc->lg_prof_interval >= 0 && (1ULL << mc->lg_prof_interval) > c->memory_limit)
                fprintf(out, "oomwatch: warning: the dump interval (2^%d bytes) is larger than the memory limit; "
                             "interval dumps may never be written before an OOM kill\n",
                        mc->lg_prof_interval);
}
