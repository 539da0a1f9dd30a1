/* The systemd journal's native protocol, for report.events = journal: one
 * datagram per entry to /run/systemd/journal/socket, each field KEY=value
 * on its own line, or, for a value that holds a newline, KEY, a newline, its
 * length as 64-bit little-endian and the value
 * (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/). No libsystemd: this is all
 * of the protocol an event needs.
 *
 * The socket is non-blocking: when journald does not keep up, an entry is
 * dropped and counted (jn_dropped), never waited for. Field names are made
 * of A-Z, 0-9 and _ and do not start with _ (jn_field_name makes one from
 * any key). Functions return >= 0 or -errno; nothing here logs. */
#pragma once
#include <stddef.h>

#define JN_SOCKET "/run/systemd/journal/socket"
#define JN_MAX_ENTRY (128 << 10)   /* bytes of one entry; a larger one is refused */

struct jn;

struct jn_field {
        const char *name;    /* a valid field name */
        const char *value;
        size_t len;
};

/* Connect to path (NULL: JN_SOCKET). Returns 0 and *ret, or -errno. */
int jn_open(const char *path, struct jn **ret);
void jn_close(struct jn *j);

/* Send one entry. Returns 0, -EAGAIN (dropped: journald is behind), -EMSGSIZE
 * (over JN_MAX_ENTRY) or -errno. */
int jn_send(struct jn *j, const struct jn_field *f, size_t n);

unsigned long jn_dropped(const struct jn *j);

/* "OOMWATCH_" + key upper-cased, other characters as '_', into buf (cut to
 * len, at most 64 characters as journald allows); returns buf. */
char *jn_field_name(const char *key, char *buf, size_t len);
