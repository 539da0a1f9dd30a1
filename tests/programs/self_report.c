/* A target that reports the state it was started in, one "key value" line
 * each, to stdout:
 *   cgroup <path>        its memory cgroup, read by a constructor that runs
 *                        before anything else of the program
 *   Uid:/Gid:/Groups:/SigBlk:/SigIgn: ...   the lines of /proc/self/status
 *   fd <n> <target>      each open fd (but the one reading /proc/self/fd)
 *   agent-fd <n>         the agent's channel, when OOMWATCH_AGENT_FD is set
 *   child-cgroup <path>  the memory cgroup of a forked child, read by the child
 * With an argument, it then exits with that status. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char first_cgroup[4096] = "?";

static void memory_cgroup(char *out, size_t len)
{
        char line[4096];
        FILE *f = fopen("/proc/self/cgroup", "re");

        snprintf(out, len, "?");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *c = strstr(line, ":memory:");
                if (c) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(out, len, "%s", c + strlen(":memory:"));
                        break;
                }
        }
        fclose(f);
}

__attribute__((constructor(101))) static void read_cgroup_first(void)
{
        memory_cgroup(first_cgroup, sizeof(first_cgroup));
}

int main(int argc, char **argv)
{
        char line[4096], path[64], target[PATH_MAX];
        FILE *f;
        DIR *d;
        struct dirent *e;
        pid_t pid;

        printf("cgroup %s\n", first_cgroup);

        f = fopen("/proc/self/status", "re");
        if (!f)
                return 3;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Groups:", 7) ||
                    !strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7))
                        fputs(line, stdout);
        fclose(f);

        d = opendir("/proc/self/fd");
        if (!d)
                return 3;
        while ((e = readdir(d))) {
                ssize_t n;
                if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
                n = readlink(path, target, sizeof(target) - 1);
                target[n < 0 ? 0 : n] = '\0';
                printf("fd %s %s\n", e->d_name, target);
        }
        closedir(d);
        if (getenv("OOMWATCH_AGENT_FD"))
                printf("agent-fd %s\n", getenv("OOMWATCH_AGENT_FD"));
        fflush(stdout);

        pid = fork();
        if (pid == 0) {
                char cg[4096];
                memory_cgroup(cg, sizeof(cg));
                printf("child-cgroup %s\n", cg);
                fflush(stdout);
                _exit(0);
        }
        if (pid > 0)
                waitpid(pid, NULL, 0);
        return argc > 1 ? atoi(argv[1]) : 0;
}
