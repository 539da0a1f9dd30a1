/* A protocol buffers encoder, just what the pprof export needs: varint
 * (int64, uint64, bool) and length-delimited (string, bytes, embedded
 * message, packed repeated varint) fields, into a growing byte buffer.
 *
 * Why not libprotobuf-c: the export only writes, one fixed message
 * family (profile.proto), so the wire format (varints and length
 * prefixes, https://protobuf.dev/programming-guides/encoding/) is less code
 * than the generated code and its build-time generator would be, and the
 * encoder builds each message straight from the analyzer's tables without
 * a copy of them as generated structs.
 *
 * A nested message is written by encoding it into a buffer of its own and
 * appending that with pb_message(). Errors are sticky: after a failed
 * allocation every call does nothing and pb_buf.err is -ENOMEM. No global
 * state; the caller owns the buffer (pb_free). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb_buf {
        uint8_t *data;
        size_t len, cap;
        int err;
};

void pb_free(struct pb_buf *b);
/* Empty b for reuse, keeping its memory (and clearing no error). */
void pb_reset(struct pb_buf *b);

/* Fields. An int64 is encoded as the varint of its two's complement, as
 * protobuf's int64 is (negative values take ten bytes). proto3 omits
 * zero scalars: pb_int64/pb_uint64/pb_bool write nothing for 0/false. */
void pb_uint64(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_int64(struct pb_buf *b, uint32_t field, int64_t v);
void pb_bool(struct pb_buf *b, uint32_t field, bool v);
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t n);
/* msg as an embedded message (written even when empty: a repeated element) */
void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg);
/* A packed repeated int64 / uint64 field of n values (nothing when n is 0). */
void pb_packed_int64(struct pb_buf *b, uint32_t field, const int64_t *v, size_t n);
void pb_packed_uint64(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);
