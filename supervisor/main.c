/* oomwatch: OOM-capture watchdog for jemalloc programs.
 *
 * main() only dispatches to the subcommands (commands.h); each returns
 * the exit status. `run` blocks signals first thing and takes them
 * through a signalfd; the analysis commands keep the default dispositions
 * so that Ctrl-C stops them. */
#include <stdio.h>
#include <string.h>

#include "analysisproc.h"
#include "commands.h"

static const char usage_text[] =
        "Usage: oomwatch COMMAND [OPTIONS] [ARGS]\n"
        "\n"
        "Run a service in a memory-limited cgroup with jemalloc heap profiling, keep\n"
        "its recent heap dumps, and when it is OOM-killed write an incident bundle\n"
        "that names the call stacks that grew.\n"
        "\n"
        "Commands:\n"
        "  run [OPTIONS] [--] COMMAND [ARG...]  supervise COMMAND\n"
        "  diff [OPTIONS] [--base OLD.heap] NEW.heap\n"
        "                                      what grew between two heap dumps\n"
        "  trend [OPTIONS] DUMP...              rank stacks by steady growth across dumps\n"
        "  dump [--baseline] [PID|DIR|SOCKET]   ask a running supervisor for a dump now\n"
        "  config FILE                          validate FILE; print the effective settings\n"
        "                                      and the MALLOC_CONF the target would get\n"
        "  status [DIR|PID|SOCKET]              what a supervisor is doing: target, memory,\n"
        "                                      dumps, thresholds, last event\n"
        "\n"
        "  oomwatch COMMAND --help     options of COMMAND\n"
        "  oomwatch -h, --help         this text\n"
        "  oomwatch -V, --version      version\n"
        "\n"
        "Exit status of 'run': the target's exit code, 128+N when it died of signal N\n"
        "(an OOM kill is 137), 125 when oomwatch itself fails, 126 when the target is\n"
        "not executable, 127 when it is not found.\n";

static const struct {
        const char *name;
        int (*fn)(int, char **);
} commands[] = {
        { "run", cmd_run },       { "diff", ap_exec_command }, { "trend", ap_exec_command },
        { "dump", cmd_dump },     { "config", cmd_config }, { "status", cmd_status },
};

int main(int argc, char **argv)
{
        if (argc < 2) {
                fputs(usage_text, stderr);
                return OW_EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                fputs(usage_text, stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                printf("oomwatch %s\n", OOMWATCH_VERSION);
                return 0;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);

        fprintf(stderr, "oomwatch: unknown command '%s'. Try 'oomwatch --help'.\n", argv[1]);
        return OW_EXIT_USAGE;
}
