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

#ifdef __cplusplus
}
#endif

#endif /* LPSEARCH_H */
