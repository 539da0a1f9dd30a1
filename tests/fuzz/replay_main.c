/* Replays a libFuzzer corpus without libFuzzer: calls LLVMFuzzerTestOneInput
 * once for every regular file in the directories and files given as
 * arguments, so that `make fuzz-replay` (and `make test`) run the corpora
 * with any compiler, under the sanitizers when built with SANITIZE=1.
 *
 *   replay_fuzz_NAME PATH...   prints "fuzz replay NAME: N inputs, ok"
 *
 * Exit status: 0 when every input was replayed, 1 when an input could not
 * be read or none was found (a crash ends the process on its own). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLAY_MAX_INPUT (16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path, unsigned long *count)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > REPLAY_MAX_INPUT) {
                fprintf(stderr, "replay: %s: not a regular file of at most %d bytes\n", path, REPLAY_MAX_INPUT);
                close(fd);
                return -1;
        }
        size_t len = (size_t)st.st_size, got = 0;
        /* exactly len bytes in a buffer of its own, so overreads are caught */
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) {
                close(fd);
                return -1;
        }
        while (got < len) {
                ssize_t n = read(fd, buf + got, len - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        if (got != len) {
                fprintf(stderr, "replay: %s: short read\n", path);
                free(buf);
                return -1;
        }
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        (*count)++;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, unsigned long *count)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return replay_file(path, count);
        DIR *d = opendir(path);
        if (!d) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        int rc = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        char **nn = realloc(names, cap * sizeof(*names));
                        if (!nn) {
                                rc = -1;
                                break;
                        }
                        names = nn;
                }
                if (asprintf(&names[n], "%s/%s", path, e->d_name) < 0) {
                        rc = -1;
                        break;
                }
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                struct stat s2;
                if (rc == 0 && lstat(names[i], &s2) == 0 && S_ISREG(s2.st_mode) &&
                    replay_file(names[i], count) < 0)
                        rc = -1;
                free(names[i]);
        }
        free(names);
        return rc;
}

int main(int argc, char **argv)
{
        const char *name = strrchr(argv[0], '/');
        name = name ? name + 1 : argv[0];
        if (strncmp(name, "replay_fuzz_", 12) == 0)
                name += 12;
        if (argc < 2) {
                fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
                return 1;
        }
        if (LLVMFuzzerInitialize)
                LLVMFuzzerInitialize(&argc, &argv);
        unsigned long count = 0;
        int rc = 0;
        for (int i = 1; i < argc; i++)
                if (replay_path(argv[i], &count) < 0)
                        rc = 1;
        if (count == 0) {
                fprintf(stderr, "fuzz replay %s: no inputs found\n", name);
                return 1;
        }
        printf("fuzz replay %s: %lu inputs, %s\n", name, count, rc ? "FAILED" : "ok");
        return rc;
}
