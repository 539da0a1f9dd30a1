/* pngstat: what a browser screenshot shows, for tests/browser/t_flamegraph.sh.
 *
 *   pngstat FILE                          prints "W H COLOURS NONWHITE"
 *   pngstat FILE X0 Y0 X1 Y1 RRGGBB [TOL] also prints "MATCH N OF M": of the M
 *                                         pixels in [X0,X1) x [Y0,Y1), N have
 *                                         colour RRGGBB (each channel within
 *                                         TOL, default 2)
 *
 * COLOURS counts distinct RGB values, NONWHITE the pixels that are not
 * #ffffff. Reads 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)
 * with zlib. Exit status 0, or 1 with the reason on stderr. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_SIDE 16384
#define MAX_FILE (256u << 20)

static int die(const char *msg)
{
        fprintf(stderr, "pngstat: %s\n", msg);
        return 1;
}

static uint32_t be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
        int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static long num(const char *s)
{
        char *end;
        long v = strtol(s, &end, 10);

        return *s && !*end && v >= 0 && v <= MAX_SIDE ? v : -1;
}

int main(int argc, char **argv)
{
        static const unsigned char sig[8] = { 137, 'P', 'N', 'G', '\r', '\n', 26, '\n' };
        unsigned char *file = NULL, *idat = NULL, *raw = NULL, *bits = NULL;
        size_t n = 0, cap = 0, idat_len = 0, pos = 8;
        uint32_t w = 0, h = 0;
        int bpp = 0;
        FILE *f;

        if (argc != 2 && argc != 7 && argc != 8)
                return die("usage: pngstat FILE [X0 Y0 X1 Y1 RRGGBB [TOL]]");
        f = fopen(argv[1], "rb");
        if (!f)
                return die("cannot open the file");
        for (;;) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 1 << 16;
                        if (cap > MAX_FILE || !(file = realloc(file, cap)))
                                return die("file too large");
                }
                size_t got = fread(file + n, 1, cap - n, f);
                if (!got)
                        break;
                n += got;
        }
        fclose(f);
        if (n < 8 || memcmp(file, sig, 8) != 0)
                return die("not a PNG file");

        /* chunks: IHDR, the IDATs concatenated, IEND */
        idat = malloc(n);
        if (!idat)
                return die("out of memory");
        while (pos + 12 <= n) {
                uint32_t len = be32(file + pos);
                const unsigned char *type = file + pos + 4, *data = file + pos + 8;

                if (len > n - pos - 12)
                        return die("truncated chunk");
                if (memcmp(type, "IHDR", 4) == 0) {
                        if (len != 13)
                                return die("bad IHDR");
                        w = be32(data);
                        h = be32(data + 4);
                        if (data[8] != 8 || (data[9] != 2 && data[9] != 6) || data[12] != 0)
                                return die("only 8-bit RGB/RGBA non-interlaced PNG is read");
                        bpp = data[9] == 6 ? 4 : 3;
                } else if (memcmp(type, "IDAT", 4) == 0) {
                        memcpy(idat + idat_len, data, len);
                        idat_len += len;
                } else if (memcmp(type, "IEND", 4) == 0) {
                        break;
                }
                pos += 12 + (size_t)len;
        }
        if (!bpp || !w || !h || w > MAX_SIDE || h > MAX_SIDE)
                return die("no usable IHDR");

        size_t stride = (size_t)w * (size_t)bpp, raw_len = (stride + 1) * h;
        uLongf out_len = (uLongf)raw_len;
        raw = malloc(raw_len);
        if (!raw || uncompress(raw, &out_len, idat, (uLong)idat_len) != Z_OK || out_len != raw_len)
                return die("cannot inflate the image data");

        /* undo the per-row filters in place: row y's bytes at raw + y*(stride+1) + 1 */
        for (uint32_t y = 0; y < h; y++) {
                unsigned char *row = raw + (size_t)y * (stride + 1), *cur = row + 1;
                const unsigned char *up = y ? cur - (stride + 1) : NULL;

                for (size_t i = 0; i < stride; i++) {
                        int a = i >= (size_t)bpp ? cur[i - (size_t)bpp] : 0, b = up ? up[i] : 0;
                        int c = up && i >= (size_t)bpp ? up[i - (size_t)bpp] : 0;
                        switch (row[0]) {
                        case 0: break;
                        case 1: cur[i] = (unsigned char)(cur[i] + a); break;
                        case 2: cur[i] = (unsigned char)(cur[i] + b); break;
                        case 3: cur[i] = (unsigned char)(cur[i] + (a + b) / 2); break;
                        case 4: cur[i] = (unsigned char)(cur[i] + paeth(a, b, c)); break;
                        default: return die("bad row filter");
                        }
                }
        }

        unsigned long colours = 0, nonwhite = 0;
        bits = calloc(1u << 21, 1); /* one bit per 24-bit colour */
        if (!bits)
                return die("out of memory");
        for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++) {
                        const unsigned char *p = raw + (size_t)y * (stride + 1) + 1 + (size_t)x * (size_t)bpp;
                        uint32_t rgb = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
                        if (!(bits[rgb >> 3] & (1u << (rgb & 7)))) {
                                bits[rgb >> 3] |= (unsigned char)(1u << (rgb & 7));
                                colours++;
                        }
                        if (rgb != 0xffffff)
                                nonwhite++;
                }
        printf("%u %u %lu %lu\n", w, h, colours, nonwhite);

        if (argc >= 7) {
                long x0 = num(argv[2]), y0 = num(argv[3]), x1 = num(argv[4]), y1 = num(argv[5]);
                long tol = argc == 8 ? num(argv[7]) : 2;
                unsigned long want, match = 0, total = 0;
                char *end;

                want = strtoul(argv[6], &end, 16);
                if (x0 < 0 || y0 < 0 || x1 < 0 || y1 < 0 || tol < 0 || strlen(argv[6]) != 6 || *end)
                        return die("bad region or colour");
                for (long y = y0; y < y1 && y < (long)h; y++)
                        for (long x = x0; x < x1 && x < (long)w; x++) {
                                const unsigned char *p = raw + (size_t)y * (stride + 1) + 1 + (size_t)x * (size_t)bpp;
                                total++;
                                if (labs((long)p[0] - (long)(want >> 16 & 0xff)) <= tol &&
                                    labs((long)p[1] - (long)(want >> 8 & 0xff)) <= tol &&
                                    labs((long)p[2] - (long)(want & 0xff)) <= tol)
                                        match++;
                        }
                printf("MATCH %lu OF %lu\n", match, total);
        }
        free(bits);
        free(raw);
        free(idat);
        free(file);
        return 0;
}
