/* The supervisor's lines on stderr (say.h). */
#include "say.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

/* One line, one write: the target shares oomwatch's stderr (a shell in the
 * tree prints "Killed" when its child is OOM-killed), and a line written in
 * pieces (prefix, text, newline) let such words land inside it. */
void vsay(const struct say *l, int level, const char *fmt, va_list ap)
{
        static const char prefix[] = "oomwatch: ";
        char buf[4096], *text = buf, *big = NULL;
        va_list again;
        int n;

        if (l->verbosity < level)
                return;
        va_copy(again, ap);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        if (n >= (int)sizeof(buf) && vasprintf(&big, fmt, again) >= 0)
                text = big;
        va_end(again);
        if (n < 0)
                return;
        fflush(stderr);
        struct iovec iov[3] = { { (void *)prefix, sizeof(prefix) - 1 }, { text, strlen(text) }, { "\n", 1 } };
        while (writev(STDERR_FILENO, iov, 3) < 0 && errno == EINTR)
                ;
        free(big);
}

void say(const struct say *l, int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsay(l, level, fmt, ap);
        va_end(ap);
}

void say_note(void *userdata, int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsay(userdata, level, fmt, ap);
        va_end(ap);
}
