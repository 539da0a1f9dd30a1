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
        fputs("Usage: oomwatch dump [--baseline] [--pid PID] [SUPERVISOR-PID | DUMP-DIR | SOCKET]\n"
              "\n"
              "Ask a running 'oomwatch run' to have a process of its target's tree write\n"
              "a heap dump now, through the agent, and print the dump's path: the one\n"
              "named by --pid, else the one holding the most anonymous memory (the target,\n"
              "when it is alone). The supervisor is named by\n"
              "its pid, by its dump directory (from a sidecar or a node shell that shares\n"
              "it), or by its control socket; without any, the one supervisor running on\n"
              "this machine is asked. Sending SIGUSR1 to the supervisor does the same\n"
              "without waiting for the answer. Only root and the supervisor's user are\n"
              "answered; a socket held by anyone else is not believed.\n"
              "\n"
              "  --baseline   the dump becomes the base of its process's incident diff\n"
              "               (take it once the service has finished starting up)\n"
              "  --pid PID    dump this process of the target's tree (a worker, a backend)\n"
              "  -h, --help   this text\n"
              "\n"
              "Exit status: 0 with the path on stdout; 1 when no dump could be taken (the\n"
              "reason on stderr: no agent, no jemalloc, target not running, permission\n"
              "denied, ...);\n"
              "125 for bad usage, or when several supervisors run and none is named.\n",
              out);
}

int cmd_dump(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "baseline", no_argument, NULL, 'b' },
                { "pid", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        bool baseline = false;
        struct ctl_addr addr;
        char *answer = NULL;
        pid_t proc = 0;
        int o, r;

        optind = 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+bhp:", longopts, NULL)) != -1) {
                if (o == 'h') {
                        usage(stdout);
                        return 0;
                }
                if (o == 'b') {
                        baseline = true;
                        continue;
                }
                if (o == 'p') {
                        char *end;
                        long v;
                        errno = 0;
                        v = strtol(optarg, &end, 10);
                        if (errno || *end || v <= 0 || v > 0x3fffffff || optarg[0] < '1' || optarg[0] > '9') {
                                fprintf(stderr, "oomwatch dump: --pid '%s' is not a process id\n", optarg);
                                return OW_EXIT_USAGE;
                        }
                        proc = (pid_t)v;
                        continue;
                }
                fprintf(stderr, "oomwatch dump: unknown option '%s'. Try 'oomwatch dump --help'.\n",
                        argv[optind - 1]);
                return OW_EXIT_USAGE;
        }
        if (argc - optind > 1) {
                fprintf(stderr, "oomwatch dump: expected at most one SUPERVISOR-PID, DUMP-DIR or SOCKET. Try 'oomwatch "
                                "dump --help'.\n");
                return OW_EXIT_USAGE;
        }
        r = ctl_pick_supervisor("dump", argc - optind == 1 ? argv[optind] : NULL, NULL, &addr);
        if (r)
                return r;
        addr.proc = proc;
        r = ctl_request(&addr, baseline ? CTL_DUMP_BASELINE : CTL_DUMP, DUMP_TIMEOUT_MS, &answer);
        ctl_addr_free(&addr);
        if (r < 0)
                fprintf(stderr, "oomwatch dump: %s\n", answer ? answer : strerror(-r));
        else
                printf("%s\n", answer);
        free(answer);
        return r < 0 ? 1 : 0;
}
