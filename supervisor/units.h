/* Parsing of the value types used on the command line and in the config
 * file: sizes, durations, percentages, booleans, counts.
 *
 * All functions return 0 on success and store the value through ret_,
 * which is left untouched on failure. On failure they return -EINVAL
 * (malformed) or -ERANGE (out of range, overflow). unit_strerror() gives
 * the one-line reason for those codes in the context of one value kind. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* "4096", "512K", "256M", "1G", "2T" (powers of 1024; an optional trailing
 * "B" or "iB" is accepted: "256MiB"). Rejects negatives, fractions, empty
 * strings, trailing junk, and values above UINT64_MAX / 2. */
int unit_parse_size(const char *s, uint64_t *ret_bytes);

/* "250ms", "30s", "5m", "1h"; "0" alone is accepted. Result in
 * milliseconds, at most about 24.8 days (fits a timerfd and an int). */
int unit_parse_duration(const char *s, uint64_t *ret_ms);

/* "80%" or "80"; an integer in [lo, hi]. */
int unit_parse_percent(const char *s, unsigned lo, unsigned hi, unsigned *ret);

/* "on", "off", "true", "false", "yes", "no", "1", "0" (case-insensitive). */
int unit_parse_bool(const char *s, bool *ret);

/* A decimal integer in [lo, hi], no sign, no suffix. */
int unit_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret);

/* Format a byte count for humans into buf ("256 MiB", "1.5 GiB", "812 B").
 * Returns buf. */
char *unit_format_size(uint64_t bytes, char *buf, unsigned len);

/* A CLOCK_REALTIME time as RFC 3339 UTC with milliseconds,
 * "YYYY-mm-ddTHH:MM:SS.mmmZ", into buf (at least 25 bytes); NULL t: now.
 * Returns buf. */
struct timespec;
char *unit_format_utc(const struct timespec *t, char *buf, unsigned len);
