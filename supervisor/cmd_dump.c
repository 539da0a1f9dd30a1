/* `oomwatch dump`: ask a running supervisor for a heap dump now. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "control.h"

#define DUMP_TIMEOUT_MS 15000

static void usage(FILE *out)
{
        fputs("Usage: oomwatch dump [--baseline] [SUPERVISOR-PID]\n"
              "\n"
              "Ask a running 'oomwatch run' to have its target write a heap dump now,\n"
              "through the agent, and print the dump's path. Without a pid, the one\n"
              "supervisor running on this machine is asked. Sending SIGUSR1 to the\n"
              "supervisor does the same without waiting for the answer.\n"
              "\n"
              "  --baseline   the dump becomes the base of the incident diff (take it\n"
              "               once the service has finished starting up)\n"
              "  -h, --help   this text\n"
              "\n"
              "Exit status: 0 with the path on stdout; 1 when no dump could be taken (the\n"
              "reason on stderr: no agent, no jemalloc, target not running, ...);\n"
              "125 for bad usage, or when several supervisors run and none is named.\n",
              out);
}

int cmd_dump(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "baseline", no_argument, NULL, 'b' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        bool baseline = false;
        char buf[CTL_MSG_MAX];
        pid_t pid;
        int o, r;

        optind = 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+bh", longopts, NULL)) != -1) {
                if (o == 'h') {
                        usage(stdout);
                        return 0;
                }
                if (o == 'b') {
                        baseline = true;
                        continue;
                }
                fprintf(stderr, "oomwatch dump: unknown option '%s'. Try 'oomwatch dump --help'.\n",
                        argv[optind - 1]);
                return OW_EXIT_USAGE;
        }
        if (argc - optind > 1) {
                fprintf(stderr, "oomwatch dump: expected at most one SUPERVISOR-PID. Try 'oomwatch dump --help'.\n");
                return OW_EXIT_USAGE;
        }
        r = ctl_pick_supervisor("dump", argc - optind == 1 ? argv[optind] : NULL, NULL, &pid);
        if (r)
                return r;
        r = ctl_request(pid, baseline ? CTL_DUMP_BASELINE : CTL_DUMP, DUMP_TIMEOUT_MS, buf, sizeof(buf));
        if (r < 0) {
                fprintf(stderr, "oomwatch dump: %s\n", buf);
                return 1;
        }
        printf("%s\n", buf);
        return 0;
}
