/* Unit tests: the protobuf encoder of the pprof export (analyzer/protobuf.c),
 * against encodings worked out from the wire format's definition. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protobuf.h"

static void assert_bytes(const struct pb_buf *b, const unsigned char *want, size_t n)
{
        ck_assert_int_eq(b->err, 0);
        ck_assert_uint_eq(b->len, n);
        ck_assert_int_eq(memcmp(b->data, want, n), 0);
}

START_TEST(varints)
{
        struct pb_buf b = { 0 };
        /* field 1 = 150: the protobuf documentation's own example */
        pb_uint64(&b, 1, 150);
        assert_bytes(&b, (const unsigned char[]){ 0x08, 0x96, 0x01 }, 3);
        pb_reset(&b);
        /* int64 -1: ten bytes of two's complement */
        pb_int64(&b, 2, -1);
        assert_bytes(&b, (const unsigned char[]){ 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 11);
        pb_reset(&b);
        /* zero and false are omitted (proto3 defaults); a large field number */
        pb_uint64(&b, 3, 0);
        pb_bool(&b, 4, false);
        pb_bool(&b, 16, true);
        assert_bytes(&b, (const unsigned char[]){ 0x80, 0x01, 0x01 }, 3);
        pb_reset(&b);
        pb_uint64(&b, 1, UINT64_MAX);
        ck_assert_uint_eq(b.len, 11);
        pb_free(&b);
}
END_TEST

START_TEST(length_delimited)
{
        struct pb_buf b = { 0 }, m = { 0 };
        pb_bytes(&b, 6, "", 0);
        pb_bytes(&b, 6, "ab", 2);
        assert_bytes(&b, (const unsigned char[]){ 0x32, 0x00, 0x32, 0x02, 'a', 'b' }, 6);
        pb_reset(&b);
        pb_uint64(&m, 1, 3);
        pb_message(&b, 4, &m);
        assert_bytes(&b, (const unsigned char[]){ 0x22, 0x02, 0x08, 0x03 }, 4);
        pb_reset(&b);
        uint64_t ids[] = { 1, 300 };
        int64_t vals[] = { 5, -2 };
        pb_packed_uint64(&b, 1, ids, 2);
        pb_packed_int64(&b, 2, vals, 2);
        pb_packed_int64(&b, 3, vals, 0);
        assert_bytes(&b, (const unsigned char[]){ 0x0a, 0x03, 0x01, 0xac, 0x02,
                                                  0x12, 0x0b, 0x05, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                  0xff, 0x01 }, 18);
        /* a long string gets a two-byte length */
        char big[200];
        memset(big, 'x', sizeof(big));
        pb_reset(&b);
        pb_bytes(&b, 1, big, sizeof(big));
        ck_assert_uint_eq(b.len, 3 + sizeof(big));
        ck_assert_uint_eq(b.data[1], 0xc8);
        ck_assert_uint_eq(b.data[2], 0x01);
        /* an error in a nested message reaches the outer one */
        m.err = -ENOMEM;
        pb_message(&b, 2, &m);
        ck_assert_int_eq(b.err, -ENOMEM);
        pb_free(&b);
        pb_free(&m);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("protobuf");
        TCase *t = tcase_create("encode");
        SRunner *sr;
        int failed;

        tcase_add_test(t, varints);
        tcase_add_test(t, length_delimited);
        suite_add_tcase(s, t);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
