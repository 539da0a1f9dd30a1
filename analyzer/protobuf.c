/* Protocol buffers encoder; see protobuf.h. */
#include "protobuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

void pb_free(struct pb_buf *b)
{
        free(b->data);
        memset(b, 0, sizeof(*b));
}

void pb_reset(struct pb_buf *b)
{
        b->len = 0;
}

static bool reserve(struct pb_buf *b, size_t n)
{
        if (b->err)
                return false;
        if (b->len + n <= b->cap)
                return true;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) {
                if (cap > SIZE_MAX / 2) {
                        b->err = -ENOMEM;
                        return false;
                }
                cap *= 2;
        }
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
                b->err = -ENOMEM;
                return false;
        }
        b->data = d;
        b->cap = cap;
        return true;
}

static size_t varint_len(uint64_t v)
{
        size_t n = 1;
        while (v >= 0x80) {
                v >>= 7;
                n++;
        }
        return n;
}

static void put_varint(struct pb_buf *b, uint64_t v)
{
        if (!reserve(b, 10))
                return;
        while (v >= 0x80) {
                b->data[b->len++] = (uint8_t)(v | 0x80);
                v >>= 7;
        }
        b->data[b->len++] = (uint8_t)v;
}

static void put_tag(struct pb_buf *b, uint32_t field, unsigned wire)
{
        put_varint(b, ((uint64_t)field << 3) | wire);
}

void pb_uint64(struct pb_buf *b, uint32_t field, uint64_t v)
{
        if (!v)
                return;
        put_tag(b, field, WIRE_VARINT);
        put_varint(b, v);
}

void pb_int64(struct pb_buf *b, uint32_t field, int64_t v)
{
        pb_uint64(b, field, (uint64_t)v);
}

void pb_bool(struct pb_buf *b, uint32_t field, bool v)
{
        pb_uint64(b, field, v ? 1 : 0);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t n)
{
        put_tag(b, field, WIRE_LEN);
        put_varint(b, n);
        if (n && reserve(b, n)) {
                memcpy(b->data + b->len, data, n);
                b->len += n;
        }
}

void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg)
{
        if (msg->err) {
                if (!b->err)
                        b->err = msg->err;
                return;
        }
        pb_bytes(b, field, msg->data, msg->len);
}

void pb_packed_uint64(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
        size_t len = 0;

        if (!n)
                return;
        for (size_t i = 0; i < n; i++)
                len += varint_len(v[i]);
        put_tag(b, field, WIRE_LEN);
        put_varint(b, len);
        for (size_t i = 0; i < n; i++)
                put_varint(b, v[i]);
}

void pb_packed_int64(struct pb_buf *b, uint32_t field, const int64_t *v, size_t n)
{
        size_t len = 0;

        if (!n)
                return;
        for (size_t i = 0; i < n; i++)
                len += varint_len((uint64_t)v[i]);
        put_tag(b, field, WIRE_LEN);
        put_varint(b, len);
        for (size_t i = 0; i < n; i++)
                put_varint(b, (uint64_t)v[i]);
}
