/* oomwatch-analysis: the analysis as a program of its own.
 *
 *   oomwatch-analysis diff|trend ARGS...    what `oomwatch diff|trend` runs
 *   oomwatch-analysis bundle [--fallback WHY]
 *                                           one incident bundle, for the
 *                                           supervisor (analysisproc.h)
 *   oomwatch-analysis probe PATH            what the program at PATH is
 *                                           (elfprobe.h), for the supervisor
 *
 * For a bundle the supervisor starts it as the analysis's user, without
 * capabilities, in the bundle's temporary directory, with the incident's
 * facts on fd 3 (bundlefacts.h) and the files to write on fds 4, 5, ... in
 * the order the facts' "outputs" names them. It opens nothing for writing
 * itself; what it reads (the dumps, the target's program and libraries,
 * their debug files) it reads as that user. With --fallback it writes only
 * the minimal report that says why there is no analysis.
 *
 * Exit status: 0 when every file was written; 1 when one could not be (it
 * is named on stderr); 125 for bad usage or facts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bundle.h"
#include "bundlefacts.h"
#include "commands.h"
#include "elfread.h"

#define FACTS_FD 3
#define FIRST_OUT_FD 4

static int run_bundle(int argc, char **argv)
{
        struct bundle b;
        struct bf_read_result facts;
        const char *fallback = NULL;
        char *text = NULL, *err = NULL;
        int fds[BF_MAX_OUTPUTS];
        size_t len = 0, n = 0;
        int r;

#ifndef __SANITIZE_ADDRESS__ /* LeakSanitizer must be able to trace us */
        /* the target runs as the same user: it shall not read or change us */
        (void)prctl(PR_SET_DUMPABLE, 0);
#endif
        if (argc == 3 && strcmp(argv[1], "--fallback") == 0)
                fallback = argv[2];
        else if (argc != 1) {
                fputs("Usage: oomwatch-analysis bundle [--fallback WHY] (started by oomwatch run)\n", stderr);
                return OW_EXIT_USAGE;
        }
        r = bf_read_fd(FACTS_FD, &text, &len);
        if (r < 0) {
                fprintf(stderr, "oomwatch: the analysis: cannot read the incident's facts: %s\n", strerror(-r));
                return OW_EXIT_USAGE;
        }
        r = bf_read(text, len, &b, &facts, &err);
        if (r < 0) {
                fprintf(stderr, "oomwatch: the analysis: %s\n", err ? err : strerror(-r));
                free(err);
                free(text);
                bundle_free(&b);
                bf_read_free(&facts);
                return OW_EXIT_USAGE;
        }
        for (const char *const *o = facts.x.outputs; *o && n < BF_MAX_OUTPUTS; o++, n++)
                fds[n] = FIRST_OUT_FD + (int)n;
        b.out_names = facts.x.outputs;
        b.out_fds = fds;
        b.n_outs = n;
        r = fallback ? bundle_write_fallback(&b, fallback) : bundle_write(&b);
        bundle_free(&b);
        bf_read_free(&facts);
        free(text);
        return r < 0 ? 1 : 0;
}

/* probe PATH: what the program at PATH is (elfprobe.h), as JSON on fd 3 */
static int run_probe(int argc, char **argv)
{
        struct ep_info info = { 0 };
        FILE *out;
        int r;

        if (argc != 2)
                return OW_EXIT_USAGE;
        out = fdopen(3, "w");
        if (!out)
                return OW_EXIT_USAGE;
        r = ep_read_info(argv[1], &info);
        r = ep_probe_print(&info, r, out);
        fclose(out);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "diff") == 0)
                return cmd_diff(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "trend") == 0)
                return cmd_trend(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "bundle") == 0)
                return run_bundle(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "probe") == 0)
                return run_probe(argc - 1, argv + 1);
        fputs("Usage: oomwatch-analysis diff|trend ARGS... (see oomwatch diff --help)\n"
              "       oomwatch-analysis bundle [--fallback WHY] (started by oomwatch run)\n",
              stderr);
        return OW_EXIT_USAGE;
}
