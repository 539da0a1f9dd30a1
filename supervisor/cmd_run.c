/* `oomwatch run`: parse the command line and configuration, then supervise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "runopts.h"

int cmd_run(int argc, char **argv)
{
        struct run_opts o;
        char *err = NULL;
        int r;

        r = run_parse_args(argc, argv, &o, &err);
        if (r == 1)
                return 0;
        if (r < 0) {
                fprintf(stderr, "oomwatch run: %s. Try 'oomwatch run --help'.\n", err ? err : strerror(-r));
                free(err);
                return OW_EXIT_USAGE;
        }
        fputs("oomwatch run: not implemented yet\n", stderr);
        cfg_free(&o.cfg);
        return OW_EXIT_USAGE;
}
