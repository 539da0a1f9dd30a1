/* `oomwatch config FILE`: validate a configuration file and print the
 * effective settings and the exact MALLOC_CONF the target would get. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "mallconf.h"
#include "runopts.h"

static void usage(FILE *out)
{
        fputs("Usage: oomwatch config FILE\n"
              "\n"
              "Check FILE the way 'oomwatch run -c FILE' would, then print every setting\n"
              "with where it came from, and the MALLOC_CONF the target would get.\n"
              "\n"
              "  -h, --help   this text\n"
              "\n"
              "Exit status: 0 when FILE is valid; 125 with FILE:LINE: message otherwise.\n",
              out);
}

int cmd_config(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct ow_config c;
        struct mc_result mc = { 0 };
        char *err = NULL, *prefix = NULL;
        int o, r, status = OW_EXIT_USAGE;

        optind = 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                if (o == 'h') {
                        usage(stdout);
                        return 0;
                }
                fprintf(stderr, "oomwatch config: unknown option '%s'. Try 'oomwatch config --help'.\n",
                        argv[optind - 1]);
                return OW_EXIT_USAGE;
        }
        if (argc - optind != 1) {
                fprintf(stderr, "oomwatch config: expected one FILE. Try 'oomwatch config --help'.\n");
                return OW_EXIT_USAGE;
        }

        cfg_init(&c);
        r = cfg_load_file(&c, argv[optind], &err);
        if (r >= 0)
                r = cfg_check(&c, false, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch config: %s\n", err ? err : strerror(-r));
                goto out;
        }
        r = run_dump_prefix(&c, &prefix);
        if (r < 0) {
                fprintf(stderr, "oomwatch config: dump directory: %s\n", strerror(-r));
                goto out;
        }
        r = mc_compose(&c, prefix, &mc, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch config: %s\n", err ? err : strerror(-r));
                goto out;
        }
        cfg_print(&c, stdout);
        printf("\n# the target's environment\nMALLOC_CONF=%s\n", mc.conf);
        run_print_warnings(&c, &mc, stderr);
        status = 0;
out:
        free(mc.conf);
        free(prefix);
        free(err);
        cfg_free(&c);
        return status;
}
