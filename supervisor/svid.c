/* Names of a supervisor unique across PID namespaces. */
#include "svid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int format(long pid, unsigned long long ino, bool have_ino, char *buf, size_t len)
{
        int n;

        if (!have_ino || ino == SVID_INIT_PIDNS_INO)
                n = snprintf(buf, len, "%ld", pid);
        else
                n = snprintf(buf, len, "%ld.%llu", pid, ino);
        return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int svid_self(char *buf, size_t len)
{
        struct stat st;
        bool have = stat("/proc/self/ns/pid", &st) == 0;

        return format((long)getpid(), have ? (unsigned long long)st.st_ino : 0, have, buf, len);
}

/* The last number of the "NSpid:" line of /proc/<pid>/status: the pid in
 * the process's own (innermost) namespace. */
static int innermost_pid(pid_t pid, long *ret)
{
        char path[64], text[4096], *p;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, text, sizeof(text) - 1);
        close(fd);
        if (n < 0)
                return -errno;
        text[n] = '\0';
        p = strstr(text, "\nNSpid:");
        if (!p) {
                *ret = (long)pid; /* kernels before 4.1: no nested namespaces shown */
                return 0;
        }
        p += strlen("\nNSpid:");
        for (;;) {
                char *end;
                long v;
                p += strspn(p, " \t");
                if (*p < '0' || *p > '9')
                        break;
                errno = 0;
                v = strtol(p, &end, 10);
                if (errno || v <= 0)
                        return -EINVAL;
                *ret = v;
                p = end;
        }
        return 0;
}

int svid_of_pid(pid_t pid, char *buf, size_t len)
{
        char path[64];
        struct stat st;
        long inner = 0;
        int r;

        r = innermost_pid(pid, &inner);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
        if (stat(path, &st) < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        return format(inner, (unsigned long long)st.st_ino, true, buf, len);
}

bool svid_valid(const char *s, size_t len)
{
        size_t i = 0, digits = 0;
        bool dot = false;

        if (len == 0 || len >= SVID_MAX)
                return false;
        for (; i < len; i++) {
                if (s[i] >= '0' && s[i] <= '9') {
                        digits++;
                } else if (s[i] == '.' && !dot && digits) {
                        dot = true;
                        digits = 0;
                } else {
                        return false;
                }
        }
        return digits > 0;
}
