#include "corpus.h"

#include "alloc.h"
#include "error_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct walk {
    corpus_files *out;
    corpus_error_fn on_error;
    void *ctx;
    size_t *problems;
    int rc;
    struct {
        dev_t dev;
        ino_t ino;
    } stack[CORPUS_MAX_DEPTH + 1]; /* directories being walked, to detect loops */
    size_t depth;
} walk;

static void report(walk *w, int code, const char *path, const char *fmt, const char *detail)
{
    lps_error err;
    lps_error_set(&err, code, path, -1, -1, fmt, detail);
    (*w->problems)++;
    if (w->on_error)
        w->on_error(&err, w->ctx);
}

static void add_file(walk *w, const char *path)
{
    corpus_files *f = w->out;
    if (w->rc)
        return;
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        char **grown = lps_realloc(f->paths, cap * sizeof *grown);
        if (!grown) {
            w->rc = LPS_ENOMEM;
            return;
        }
        f->paths = grown;
        f->cap = cap;
    }
    char *copy = lps_strdup(path);
    if (!copy) {
        w->rc = LPS_ENOMEM;
        return;
    }
    f->paths[f->count++] = copy;
}

static int has_txt_suffix(const char *name)
{
    size_t len = strlen(name);
    return len > 4 && strcasecmp(name + len - 4, ".txt") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_path(walk *w, const char *path, int named_by_user);

static void walk_directory(walk *w, const char *path, const struct stat *st)
{
    for (size_t i = 0; i < w->depth; i++)
        if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino) {
            report(w, LPS_EINPUT, path, "%s", "symbolic link loop: this directory is already being read");
            return;
        }
    if (w->depth >= CORPUS_MAX_DEPTH) {
        report(w, LPS_ELIMIT, path, "directories nested deeper than %s levels are not read", "64");
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        report(w, errno == ENOENT ? LPS_ENOENT : LPS_EIO, path, "cannot open directory: %s",
               strerror(errno));
        return;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *entry;
    while (!w->rc && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        if (count == cap) {
            size_t next = cap ? cap * 2 : 64;
            char **grown = lps_realloc(names, next * sizeof *grown);
            if (!grown) {
                w->rc = LPS_ENOMEM;
                break;
            }
            names = grown;
            cap = next;
        }
        names[count] = lps_strdup(entry->d_name);
        if (!names[count]) {
            w->rc = LPS_ENOMEM;
            break;
        }
        count++;
    }
    closedir(dir);
    if (count > 1)
        qsort(names, count, sizeof *names, compare_names);
    w->stack[w->depth].dev = st->st_dev;
    w->stack[w->depth].ino = st->st_ino;
    w->depth++;
    size_t plen = strlen(path);
    for (size_t i = 0; i < count && !w->rc; i++) {
        size_t need = plen + strlen(names[i]) + 2;
        char *child = lps_malloc(need);
        if (!child) {
            w->rc = LPS_ENOMEM;
            break;
        }
        snprintf(child, need, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names[i]);
        walk_path(w, child, 0);
        lps_free(child);
    }
    w->depth--;
    for (size_t i = 0; i < count; i++)
        lps_free(names[i]);
    lps_free(names);
}

static void walk_path(walk *w, const char *path, int named_by_user)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        struct stat lst;
        if (e == ELOOP || (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)))
            report(w, LPS_ENOENT, path, "%s",
                   e == ELOOP ? "symbolic link loop" : "dangling symbolic link");
        else
            report(w, e == ENOENT || e == ENOTDIR ? LPS_ENOENT : LPS_EIO, path,
                   "cannot read: %s", strerror(e));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        walk_directory(w, path, &st);
        return;
    }
    if (!named_by_user && (!S_ISREG(st.st_mode) || !has_txt_suffix(path)))
        return; /* inside a directory only *.txt files are transcripts */
    add_file(w, path); /* the reader reports what is wrong with the file itself */
}

int corpus_collect(const char *const *paths, size_t n, corpus_files *out,
                   corpus_error_fn on_error, void *ctx, size_t *problems)
{
    size_t ignored = 0;
    walk w;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.on_error = on_error;
    w.ctx = ctx;
    w.problems = problems ? problems : &ignored;
    for (size_t i = 0; i < n && !w.rc; i++)
        walk_path(&w, paths[i], 1);
    return w.rc;
}

void corpus_files_free(corpus_files *files)
{
    if (!files)
        return;
    for (size_t i = 0; i < files->count; i++)
        lps_free(files->paths[i]);
    lps_free(files->paths);
    files->paths = NULL;
    files->count = files->cap = 0;
}
