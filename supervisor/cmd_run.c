/* `oomwatch run`: parse the command line and configuration, then supervise. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "runopts.h"
#include "supervise.h"

int cmd_run(int argc, char **argv)
{
        struct run_opts o;
        char *err = NULL;
        sigset_t all;
        int r;

        /* an ignored SIGCHLD, inherited from whoever started us, would make the
         * kernel reap the target behind our back: no SIGCHLD, no status */
        signal(SIGCHLD, SIG_DFL);
        /* first thing: every signal is taken through the supervisor's signalfd */
        sigfillset(&all);
        if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) {
                perror("oomwatch run: sigprocmask");
                return OW_EXIT_USAGE;
        }
        r = run_parse_args(argc, argv, &o, &err);
        if (r == 1)
                return 0;
        if (r < 0) {
                fprintf(stderr, "oomwatch run: %s. Try 'oomwatch run --help'.\n", err ? err : strerror(-r));
                free(err);
                return OW_EXIT_USAGE;
        }
        r = supervise(&o);
        cfg_free(&o.cfg);
        return r;
}
