/*
 * The text analyzer: turns UTF-8 text into the terms that the index stores
 * and that queries look up.  Index time and query time use this one module,
 * so a word is always reduced to the same term on both sides.
 *
 * The rules are those of SQLite FTS5's "unicode61" tokenizer with
 * "remove_diacritics 2", which the tests use as an oracle (see
 * docs/ANALYZER.md for the rules, the known differences and why):
 *   - A token is a maximal run of code points of general category L*, N* or
 *     Co.  Inside a token (never at its start) the combining marks that Latin
 *     letters decompose into (U+0300..U+0331, 25 of them) continue the token
 *     and are dropped.  Everything else separates, including every byte of an
 *     ill-formed UTF-8 subpart: bad input never fails and never crashes.
 *   - Each code point is case folded (simple folding: one code point to one,
 *     so 'ß' stays 'ß' and 'ς' becomes 'σ'), then a Latin letter whose
 *     canonical decomposition is an ASCII letter plus combining marks is
 *     replaced by that letter ('é' -> 'e', 'ǖ' -> 'u', 'Å' -> 'a').
 *   - Optionally (ANALYZER_STEM_ENGLISH) the folded term is stemmed with the
 *     Snowball "english" stemmer.
 * Terms therefore depend on the Unicode version of utf8proc
 * (analyzer_unicode_version); an index should record it.
 */
#ifndef LPS_ANALYZER_H
#define LPS_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

/* Flags for analyzer_create. */
#define ANALYZER_STEM_ENGLISH 0x1u /* stem every term with Snowball "english" */

/*
 * Upper bound on the length in bytes of a term (stemmed or not).  A longer
 * token is kept, but its term is cut after the last whole code point that
 * fits in this many bytes (before stemming, and again after it should the
 * stemmer ever lengthen a word); its byte range [start,end) still covers the
 * whole token.  Two long tokens that share their first 256 folded bytes are
 * therefore the same term.
 */
#define ANALYZER_MAX_TOKEN_BYTES 256

/*
 * Opaque.  It owns a stemmer and scratch memory, so it is NOT thread-safe:
 * create one per thread.  Distinct analyzers share nothing mutable.
 */
typedef struct analyzer analyzer;

typedef struct analyzer_token {
    uint32_t position; /* 0-based ordinal of the token in the text */
    uint32_t start, end; /* byte range [start,end) of the token in the input text (for highlighting) */
    uint32_t term_off; /* offset of the folded (and stemmed) term in analyzer_result.terms */
    uint32_t term_len; /* its length in bytes (1..ANALYZER_MAX_TOKEN_BYTES); the term is also NUL-terminated */
} analyzer_token;

typedef struct analyzer_result {
    const analyzer_token *tokens; /* count tokens in text order; may be NULL when count is 0 */
    size_t count;
    const char *terms; /* arena owned by the analyzer; never NULL */
} analyzer_result;

/*
 * Creates an analyzer.  flags is 0 or ANALYZER_STEM_ENGLISH.  Returns LPS_OK,
 * LPS_ENOMEM (also when the stemmer cannot be created) or LPS_EARG (out is
 * NULL or flags holds an unknown bit).  *out is NULL on failure; free a
 * successful result with analyzer_free.
 */
int analyzer_create(analyzer **out, unsigned flags);

/* Frees the analyzer and every result it handed out.  Accepts NULL. */
void analyzer_free(analyzer *a);

/* The flags the analyzer was created with. */
unsigned analyzer_flags(const analyzer *a);

/*
 * Tokenizes text[0..len).  The result points into the analyzer's scratch
 * memory and stays valid until the next analyzer_tokenize or analyzer_free on
 * the same analyzer (analyzer_fold_term does not disturb it).  Positions are
 * 0..count-1 within this call.  text may be NULL when len is 0.
 *
 * Returns LPS_OK, LPS_ENOMEM, LPS_EARG (a, result NULL or text NULL with
 * len > 0) or LPS_ETOOBIG (len > UINT32_MAX, or, only for texts of more than
 * 3 GiB, terms that would overflow the 32-bit term_off).  The result is
 * zeroed (tokens NULL, count 0, terms "") on entry and stays so on failure.
 */
int analyzer_tokenize(analyzer *a, const char *text, size_t len, analyzer_result *result);

/*
 * Folds one already-isolated term (a query word, or the prefix before '*')
 * exactly as analyzer_tokenize folds a token, into *out: NUL-terminated,
 * owned by the analyzer, valid until the next analyzer_fold_term or
 * analyzer_free (analyzer_tokenize does not disturb it).  The term is
 * stemmed only when stem is nonzero AND the analyzer was created with
 * ANALYZER_STEM_ENGLISH: prefix queries pass stem = 0 because the stem of
 * a prefix is not a prefix of the stem.
 *
 * Separators around the term are ignored; a term with no token character
 * gives "" (length 0).  Returns LPS_OK, LPS_ENOMEM, or LPS_EARG when an
 * argument is NULL or the text holds more than one token (e.g. "e-mail":
 * tokenize it instead).  *out is "" and *out_len 0 on failure.
 */
int analyzer_fold_term(analyzer *a, const char *term, size_t len, int stem, const char **out, size_t *out_len);

/*
 * The Unicode version ("15.0.0") whose categories, case folding and
 * decompositions the analyzer applies.  Terms may change when it changes,
 * so an index records it.  Static string, never NULL.
 */
const char *analyzer_unicode_version(void);

#endif
