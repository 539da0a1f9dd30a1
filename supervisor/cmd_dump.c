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

