/* Subcommands whose implementation has not landed yet say so plainly. */
#include <stdio.h>

#include "commands.h"

int cmd_dump(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fputs("oomwatch dump: not implemented yet\n", stderr);
        return OW_EXIT_USAGE;
}

/* Replaced by the analyzer's front ends (cmd_analyze.c) when they are linked in. */
__attribute__((weak)) int cmd_diff(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fputs("oomwatch diff: not implemented yet\n", stderr);
        return OW_EXIT_USAGE;
}

__attribute__((weak)) int cmd_trend(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fputs("oomwatch trend: not implemented yet\n", stderr);
        return OW_EXIT_USAGE;
}
