/* The supervisor's lines on stderr (say.h). */
#include "say.h"

#include <stdio.h>

void vsay(const struct say *l, int level, const char *fmt, va_list ap)
{
        if (l->verbosity < level)
                return;
        fputs("oomwatch: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
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
