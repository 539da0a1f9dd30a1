/* A target that acknowledges every forwardable signal it receives.
 *
 *   sig_echo FILE N
 *
 * Blocks TERM, INT, HUP, QUIT and USR2, takes them through a signalfd and
 * writes one line per signal (its name) to FILE (opened for writing, e.g.
 * a FIFO the test reads): "ready" first, then one line per signal, in the
 * order they were received. After N signals it exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const char *name(int sig)
{
        switch (sig) {
        case SIGTERM: return "TERM";
        case SIGINT: return "INT";
        case SIGHUP: return "HUP";
        case SIGQUIT: return "QUIT";
        case SIGUSR2: return "USR2";
        }
        return "OTHER";
}

int main(int argc, char **argv)
{
        struct signalfd_siginfo si;
        sigset_t set;
        FILE *out;
        long n;
        int sfd;

        if (argc != 3)
                return 2;
        n = strtol(argv[2], NULL, 10);
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGQUIT);
        sigaddset(&set, SIGUSR2);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return 3;
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        out = fopen(argv[1], "w");
        if (sfd < 0 || !out)
                return 3;
        setvbuf(out, NULL, _IOLBF, 0);
        fprintf(out, "ready\n");
        for (long i = 0; i < n; i++) {
                if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                        return 4;
                fprintf(out, "%s\n", name((int)si.ssi_signo));
        }
        return 0;
}
