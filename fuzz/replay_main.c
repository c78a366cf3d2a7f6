/*
 * Replays fuzz inputs without libFuzzer, so the seed corpora (and every
 * crash input kept as a regression seed) run as ordinary CTest tests in
 * every build, sanitized or not.  Arguments are files or directories; a
 * directory's regular files run in name order.  The empty input runs first,
 * as under libFuzzer.  A violated invariant aborts, which fails the test.
 */
#include "fuzz_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static size_t replay_file(const char *path)
{
    size_t len;
    unsigned char *bytes = fuzz_read_file(path, &len);
    if (!bytes) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    LLVMFuzzerTestOneInput(bytes, len);
    free(bytes);
    return 1;
}

static size_t replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s\n", dir);
        exit(2);
    }
    size_t count = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        struct stat st;
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            count += replay_file(path);
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    size_t total = 1;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            return 2;
        }
        size_t n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
        printf("replayed %zu inputs from %s\n", n, argv[i]);
        total += n;
    }
    printf("replay: %zu inputs, no invariant violated\n", total);
    return 0;
}
