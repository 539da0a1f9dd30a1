/* Value parsers for sizes, durations, percentages and booleans. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#define MAX_DURATION_MS ((uint64_t)INT32_MAX)

/* Leading decimal digits of s as an unsigned value; rejects signs and
 * leading blanks that strtoull would accept. */
static int parse_digits(const char *s, uint64_t *ret, const char **ret_end)
{
        char *end;
        unsigned long long v;

        if (!s || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        *ret_end = end;
        return 0;
}

int unit_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int r;

        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end)
                return -EINVAL;
        if (v < lo || v > hi)
                return -ERANGE;
        *ret = v;
        return 0;
}

int unit_parse_size(const char *s, uint64_t *ret_bytes)
{
        const char *end;
        uint64_t v, mult = 1;
        int r;

        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        switch (toupper((unsigned char)*end)) {
        case '\0':
                break;
        case 'K':
                mult = 1ULL << 10;
                end++;
                break;
        case 'M':
                mult = 1ULL << 20;
                end++;
                break;
        case 'G':
                mult = 1ULL << 30;
                end++;
                break;
        case 'T':
                mult = 1ULL << 40;
                end++;
                break;
        case 'B':
                break;
        default:
                return -EINVAL;
        }
        if (mult > 1 && (*end == 'i' || *end == 'I'))
                end++;
        if (*end == 'B' || *end == 'b')
                end++;
        if (*end)
                return -EINVAL;
        if (v > (UINT64_MAX / 2) / mult)
                return -ERANGE;
        *ret_bytes = v * mult;
        return 0;
}

int unit_parse_duration(const char *s, uint64_t *ret_ms)
{
        const char *end;
        uint64_t v, mult;
        int r;

        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (strcmp(end, "ms") == 0)
                mult = 1;
        else if (strcmp(end, "s") == 0)
                mult = 1000;
        else if (strcmp(end, "m") == 0)
                mult = 60 * 1000;
        else if (strcmp(end, "h") == 0)
                mult = 3600 * 1000;
        else if (*end == '\0' && v == 0)
                mult = 1;
        else
                return -EINVAL;
        if (v > MAX_DURATION_MS / mult)
                return -ERANGE;
        *ret_ms = v * mult;
        return 0;
}

int unit_parse_percent(const char *s, unsigned lo, unsigned hi, unsigned *ret)
{
        const char *end;
        uint64_t v;
        int r;

        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end == '%')
                end++;
        if (*end)
                return -EINVAL;
        if (v < lo || v > hi)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int unit_parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "on", "true", "yes", "1" };
        static const char *const no[] = { "off", "false", "no", "0" };

        if (!s)
                return -EINVAL;
        for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

char *unit_format_size(uint64_t bytes, char *buf, unsigned len)
{
        static const char *const sfx[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        unsigned i = 0;
        double v = (double)bytes;

        while (v >= 1024 && i < 4) {
                v /= 1024;
                i++;
        }
        if (i == 0)
                snprintf(buf, len, "%llu B", (unsigned long long)bytes);
        else if (v == (double)(uint64_t)v)
                snprintf(buf, len, "%llu %s", (unsigned long long)v, sfx[i]);
        else
                snprintf(buf, len, "%.1f %s", v, sfx[i]);
        return buf;
}

char *unit_format_utc(const struct timespec *t, char *buf, unsigned len)
{
        struct timespec now;
        struct tm tm;

        if (!t) {
                clock_gettime(CLOCK_REALTIME, &now);
                t = &now;
        }
        gmtime_r(&t->tv_sec, &tm);
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
                 (int)(t->tv_nsec / 1000000) % 1000);
        return buf;
}
