/*
 * lpsearch.h — the public C interface of lpsearch, a full-text search engine
 * for earnings-call transcripts.
 *
 * Conventions that hold for every call declared here:
 *   - Functions that can fail return an int status: LPS_OK (0) on success,
 *     one of the LPS_E* codes otherwise.  Codes are stable across releases;
 *     lps_strerror() turns one into a static English string.
 *   - Details of a failure (file, line, byte offset, section, message) go
 *     into an lps_error that the caller passes in; it may be NULL when the
 *     caller only wants the code.  The library never prints, never exits and
 *     never aborts on bad input.
 *   - Out-parameters are zeroed on entry, so they are safe to free even when
 *     the call fails.  Every *_free function accepts NULL.
 *   - Strings are UTF-8 and NUL-terminated unless a length is given.
 */
#ifndef LPSEARCH_H
#define LPSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LPS_VERSION_MAJOR 0
#define LPS_VERSION_MINOR 1
#define LPS_VERSION_PATCH 0
#define LPS_VERSION_STRING "0.1.0"

/* Status codes.  The numbers are part of the ABI: never renumber, only add. */
enum lps_status {
    LPS_OK = 0,
    LPS_ENOMEM = 1,    /* an allocation failed */
    LPS_EIO = 2,       /* a read, write, open, fsync or rename failed */
    LPS_ENOENT = 3,    /* a file, index, call or term does not exist */
    LPS_EINPUT = 4,    /* input text is not a usable transcript (empty, binary) */
    LPS_EENCODING = 5, /* input bytes are not valid UTF-8 (fatal use only) */
    LPS_ECORRUPT = 6,  /* bytes on disk fail a checksum or structural check */
    LPS_EVERSION = 7,  /* a file has an unknown format version */
    LPS_ESYNTAX = 8,   /* a query does not parse */
    LPS_ELIMIT = 9,    /* a documented limit was exceeded */
    LPS_ELOCKED = 10,  /* another writer holds the index lock */
    LPS_EARG = 11,     /* the caller passed an invalid argument */
    LPS_ETOOBIG = 12   /* an input is larger than the library accepts */
};

/* The static English description of a status code; never NULL. */
const char *lps_strerror(int status);

/*
 * Where and why a call failed, or a warning about input that was accepted
 * after repair.  Fields that do not apply are empty strings or -1.  Paths
 * and messages longer than the buffers are truncated, never overflowed.
 */
typedef struct lps_error {
    int code;          /* an lps_status */
    char path[1024];   /* file concerned, "" if none */
    long long line;    /* 1-based line in path, -1 if not applicable */
    long long offset;  /* 0-based byte offset in path, -1 if not applicable */
    char section[32];  /* on-disk section name, "" if not applicable */
    char message[512]; /* what went wrong and why */
} lps_error;

/* Resets err to "no error" (code LPS_OK, empty strings, -1 positions).
 * Accepts NULL. */
void lps_error_clear(lps_error *err);

/*
 * Formats err as one human-readable line, "path: line N: message",
 * "path: byte N: message" or "path: section S: message", into buf (at most
 * bufsize bytes, always NUL-terminated when bufsize > 0).  Returns buf.
 */
const char *lps_error_format(const lps_error *err, char *buf, size_t bufsize);


/* ------------------------------------------------------------------------
 * Searching
 *
 * An lps_index is a read-only snapshot of an index directory: the segments
 * its manifest named when it was opened.  Writers may commit meanwhile; the
 * snapshot does not change (reopen to see their work).  Any number of
 * threads may call lps_search on one lps_index at the same time.
 * ------------------------------------------------------------------------ */

typedef struct lps_index lps_index;

/*
 * Opens the index in dir.  On success *out is an index to close with
 * lps_index_close.  Errors: LPS_ENOENT (no index there), LPS_ECORRUPT and
 * LPS_EVERSION (err names the file and section), LPS_EIO, LPS_ENOMEM.
 * Every section's checksum is verified before the call returns.
 */
int lps_index_open(const char *dir, lps_index **out, lps_error *err);

/* Closes the index.  Results obtained from it must be freed first.
 * Accepts NULL. */
void lps_index_close(lps_index *index);

/* What the snapshot holds. */
typedef struct lps_index_info {
    uint64_t calls;        /* live calls */
    uint64_t sentences;    /* live sentences (N of BM25) */
    uint64_t tokens;       /* tokens of live sentences */
    uint64_t segments;
    int stemmed;           /* 1 when terms are English stems */
} lps_index_info;

void lps_index_get_info(const lps_index *index, lps_index_info *info);

typedef struct lps_search_options {
    size_t limit;     /* hits to return; default 10 */
    size_t offset;    /* hits to skip first (paging); default 0 */
    unsigned context; /* sentences of context before and after each hit, same call */
    int explain;      /* fill lps_hit.explain */
    int count;        /* also count every match (lps_results_total); costs a pass */
    double k1, b;     /* BM25 parameters; defaults 1.2 and 0.75 */
    int ids_only;     /* hits carry rank, score and id only: no text, metadata,
                         highlights, context or explanation (the cheapest top-k) */
} lps_search_options;

/* Sets the defaults above.  Always call it before changing fields, so that
 * fields added in later versions get their defaults. */
void lps_search_options_init(lps_search_options *opts);

/* A byte range [start, end) of a hit's text that the query matched. */
typedef struct lps_span {
    uint32_t start, end;
} lps_span;

/* One BM25 factor row of an explanation: a term (or phrase) and its share. */
typedef struct lps_explain_row {
    const char *unit;   /* the term, or the phrase as written in the query */
    double tf;          /* occurrences in the sentence */
    double df;          /* live sentences that contain it */
    double idf;         /* ln(1 + (N - df + 0.5) / (df + 0.5)) */
    double length;      /* the sentence's length in tokens */
    double tf_part;     /* tf / (tf + k1 * (1 - b + b * length / avg_length)) */
    double score;       /* idf * tf_part */
} lps_explain_row;

typedef struct lps_explain {
    double n;           /* live sentences */
    double avg_length;  /* their average length */
    double k1, b;
    const lps_explain_row *rows;
    size_t row_count;
} lps_explain;

/* A sentence around a hit (lps_search_options.context). */
typedef struct lps_context_sentence {
    uint64_t id;
    int offset;         /* -N..-1 before the hit, 1..N after it */
    const char *text;   /* NUL-terminated */
    size_t text_len;
    const char *speaker_name; /* may be NULL */
} lps_context_sentence;

/*
 * One hit.  Every pointer in it is owned by the results object and valid
 * until lps_results_free.  Strings are NUL-terminated; a metadata string is
 * NULL when the transcript did not say.
 */
typedef struct lps_hit {
    size_t rank;          /* 1-based, counting the skipped offset */
    double score;         /* BM25, higher is better; 0 for queries of filters only */
    uint64_t id;          /* sentence id in this snapshot (as lpsearch export -i prints) */
    const char *text;
    size_t text_len;
    const lps_span *highlights; /* ascending, non-overlapping */
    size_t highlight_count;
    /* The call. */
    const char *call_file, *call_title, *company, *ticker, *date;
    int year, quarter;    /* 0 when unknown */
    /* The speaker. */
    const char *speaker_label, *speaker_name, *speaker_role, *speaker_firm;
    int speaker_resolved; /* the name was inferred from context */
    uint32_t turn;        /* turn ordinal in the call, from 0 */
    uint32_t sentence;    /* sentence ordinal in the turn, from 0 */
    uint32_t line;        /* line of the source file */
    const lps_context_sentence *context; /* before then after, in order */
    size_t context_count;
    const lps_explain *explain; /* NULL unless requested */
} lps_hit;

typedef struct lps_results lps_results;

/*
 * Runs query against index.  On success *out holds the hits, best first
 * (ties in index order).  Errors: LPS_ESYNTAX and LPS_ELIMIT with
 * err->offset the byte of the query at fault and err->message saying why;
 * LPS_ECORRUPT, LPS_ENOMEM.  opts may be NULL for the defaults.
 */
int lps_search(lps_index *index, const char *query, const lps_search_options *opts,
               lps_results **out, lps_error *err);

/*
 * Counts the sentences query matches, without scoring.  Same errors as
 * lps_search.
 */
int lps_count(lps_index *index, const char *query, uint64_t *count, lps_error *err);

size_t lps_results_count(const lps_results *results);
/* The i-th hit (0-based, i < lps_results_count); valid until lps_results_free. */
const lps_hit *lps_results_hit(const lps_results *results, size_t i);
/* Every match of the query when opts.count was set, else UINT64_MAX. */
uint64_t lps_results_total(const lps_results *results);
void lps_results_free(lps_results *results);

/* ------------------------------------------------------------------------
 * Building and updating
 *
 * One writer at a time per index directory (a lock file enforces it, across
 * processes).  Changes become visible to newly opened indexes at
 * lps_writer_commit, all at once; a crash before that loses only the
 * uncommitted changes.
 * ------------------------------------------------------------------------ */

typedef struct lps_writer lps_writer;

typedef struct lps_writer_options {
    int create;        /* create the index if the directory has none */
    int stem;          /* for a new index: 1 stores English stems */
    size_t ram_mb;     /* buffered postings before a segment is written; 0 = default (256) */
    unsigned threads;  /* parsing threads for lps_writer_add_files; 0 = one per CPU */
} lps_writer_options;

void lps_writer_options_init(lps_writer_options *opts);

/* Opens dir for writing.  LPS_ELOCKED when another writer holds it. */
int lps_writer_open(const char *dir, const lps_writer_options *opts, lps_writer **out, lps_error *err);

/*
 * Adds one transcript file.  *added (may be NULL) is 1, or 0 when a call
 * with identical content is already indexed.  Errors about the file
 * (LPS_ENOENT, LPS_EINPUT, ...) leave the writer usable.
 */
int lps_writer_add_file(lps_writer *w, const char *path, int *added, lps_error *err);

/* Adds a transcript held in memory; name stands in for its file name. */
int lps_writer_add_text(lps_writer *w, const char *name, const char *text, size_t len, int *added,
                        lps_error *err);

/* Removes every call whose file name, path or title is name; *removed counts them. */
int lps_writer_remove(lps_writer *w, const char *name, size_t *removed, lps_error *err);

/* Makes the changes durable and visible. */
int lps_writer_commit(lps_writer *w, lps_error *err);

/* Commits, then merges all segments into one, purging removed calls. */
int lps_writer_optimize(lps_writer *w, lps_error *err);

/* Releases the lock; uncommitted changes are discarded.  Accepts NULL. */
void lps_writer_close(lps_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* LPSEARCH_H */
