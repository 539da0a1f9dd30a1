/* say: the supervisor's lines on stderr, "oomwatch: <text>", by
 * verbosity (runopts.h: -1 with -q, 0 normal, 1 with -v, 2 with -vv). A
 * line of level L is shown when the verbosity is at least L: 0 is what
 * every run shows (warnings, kills, bundles), 1 and 2 what -v and -vv add.
 * Errors that decide the exit status are printed with fprintf by their
 * caller, also under -q. */
#pragma once
#include <stdarg.h>

struct say {
        int verbosity;
};

void say(const struct say *l, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vsay(const struct say *l, int level, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* say() for hooks that take (userdata, level, fmt, ...): userdata is a
 * const struct say *. */
void say_note(void *userdata, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
