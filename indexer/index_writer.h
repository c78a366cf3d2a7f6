/*
 * Changing an index: adding transcripts, removing calls, merging segments.
 * One writer at a time holds the index's lock file; readers never wait.
 *
 * Changes are buffered in memory and become visible, all at once, when
 * index_writer_commit replaces the manifest.  The buffer is also flushed
 * and committed on its own whenever it passes the RAM budget, so a long
 * build keeps its progress if it is interrupted: rerunning it skips the
 * files already committed (they are recognised by their content hash).
 */
#ifndef LPS_INDEX_WRITER_H
#define LPS_INDEX_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "index_snapshot.h"
#include "lpsearch.h"
#include "transcript.h"

#define INDEX_DEFAULT_RAM_MB 256
#define INDEX_DEFAULT_MERGE_FACTOR 8

typedef struct index_writer index_writer;

typedef struct index_writer_options {
    int stem;              /* for a new index: 1 = English stemming; -1 = keep / default off */
    size_t ram_budget;     /* bytes of buffered postings before a flush; 0 = default */
    unsigned threads;      /* parsing threads; 0 = one per CPU */
    unsigned merge_factor; /* segments per tier before a merge; 0 = default, 1 = never merge */
    int create;            /* create the index if there is none */
    /* Messages worth telling a user (a stale lock recovered), or NULL. */
    void (*notice)(void *ctx, const char *message);
    void *notice_ctx;
} index_writer_options;

/* What happened to one input file. */
enum index_file_outcome {
    INDEX_FILE_ADDED = 0,
    INDEX_FILE_DUPLICATE = 1, /* same content as a call already in the index */
    INDEX_FILE_FAILED = 2     /* unreadable or not a transcript; err says why */
};

typedef struct index_file_report {
    const char *path;
    int outcome;             /* enum index_file_outcome */
    const lps_error *error;  /* for INDEX_FILE_FAILED */
    uint64_t bytes;          /* raw size of the file */
    uint32_t sentences;      /* sentences added */
    size_t done, total;      /* files processed so far, files in all */
} index_file_report;

typedef void (*index_file_fn)(const index_file_report *report, void *ctx);

/* Opens (or creates) the index in dir and takes its lock.  LPS_ELOCKED when
 * another process writes it; LPS_ENOENT when there is none and !create. */
int index_writer_open(const char *dir, const index_writer_options *opts, index_writer **out,
                      lps_error *err);

/*
 * Adds the transcripts in files[0..n) (paths of files, not directories) in
 * that order, on opts->threads threads, reporting each through on_file.  A
 * file that fails is reported and skipped; only failures of the index
 * itself (writing, memory) stop the run and are returned.
 */
int index_writer_add_files(index_writer *w, const char *const *files, size_t n,
                           index_file_fn on_file, void *ctx, lps_error *err);

/* Adds one parsed transcript (ownership passes to the writer, also on failure).
 * *added is 0 when it duplicates a call already indexed. */
int index_writer_add_transcript(index_writer *w, transcript *t, int *added, lps_error *err);

/*
 * Marks for deletion every live call whose file name, path or title equals
 * name.  *removed counts them (0 is not an error).  Committed with the rest.
 */
int index_writer_remove_call(index_writer *w, const char *name, size_t *removed, lps_error *err);

/* Makes everything buffered durable and visible. */
int index_writer_commit(index_writer *w, lps_error *err);
/* Commits, then merges every segment into one, purging deleted documents. */
int index_writer_optimize(index_writer *w, lps_error *err);

/* The committed state the writer works on (valid until the next call). */
const index_snapshot *index_writer_snapshot(const index_writer *w);
/* Flags (SEGMENT_FLAG_*) of the index. */
uint32_t index_writer_flags(const index_writer *w);

/* Releases the lock.  Uncommitted changes are discarded.  Accepts NULL. */
void index_writer_close(index_writer *w);

#endif
