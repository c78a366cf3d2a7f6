/*
 * The text analyzer.  See analyzer.h for the contract and docs/ANALYZER.md
 * for the rules and how they were checked against SQLite FTS5.
 *
 * Shape of the work: a scan skips separators to the next token start, then
 * consumes the token while folding it straight into the term arena (no
 * intermediate copy).  ASCII bytes go through one 128-entry table; other
 * code points go through utf8proc, behind a small per-analyzer cache so that
 * a text in one script costs one utf8proc lookup per distinct code point.
 */
#include "analyzer.h"

#include "alloc.h"
#include "buffer.h"
#include "lpsearch.h"
#include "utf8.h"

#include <assert.h>
#include <libstemmer.h>
#include <string.h>
#include <utf8proc.h>

/* What a code point does to tokenization. */
enum cp_kind {
    KIND_SEPARATOR = 0, /* ends a token, or is skipped between tokens */
    KIND_TOKEN = 1,     /* starts or continues a token */
    KIND_DIACRITIC = 2  /* continues a token (never starts one); dropped */
};

/*
 * For ASCII, the folded byte of a token character and 0 for a separator:
 * [0-9A-Za-z] are the only ASCII code points of category L*, N* or Co.
 */
static const unsigned char ascii_fold[128] = {
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0,   0,   0,   0,   0,   0,
    0,   'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0,   0,   0,   0,   0,
    0,   'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0,   0,   0,   0,   0,
};

/*
 * The combining marks that continue a token: exactly those that occur in the
 * canonical decomposition of a precomposed Latin letter with an ASCII base
 * (U+00C0..U+024F, U+1E00..U+1EFF).  FTS5 lets these, and no other mark,
 * extend a token, so "e\u0301" is one token "e" while "e\u0305" is "e"
 * followed by a separator.  Bit i stands for U+0300 + i.  test_analyzer
 * recomputes the set from utf8proc's decompositions.
 */
#define DIACRITIC_FIRST 0x300
#define DIACRITIC_LAST 0x331
static const uint64_t diacritic_mask = UINT64_C(0x361f808029fdf);

/* One remembered classification of a non-ASCII code point. */
typedef struct fold_entry {
    int32_t cp;     /* the key; -1 marks an empty slot */
    int32_t folded; /* meaningful for KIND_TOKEN only */
    int kind;       /* enum cp_kind */
} fold_entry;

#define FOLD_CACHE_SIZE 512 /* direct-mapped on the low bits: a power of two */

#define INITIAL_TOKEN_CAPACITY 64

struct analyzer {
    unsigned flags;
    struct sb_stemmer *stemmer; /* NULL unless ANALYZER_STEM_ENGLISH */
    analyzer_token *tokens;     /* analyzer_tokenize results */
    size_t tokens_cap;
    buffer terms;  /* analyzer_tokenize term arena */
    buffer folded; /* analyzer_fold_term result */
    fold_entry cache[FOLD_CACHE_SIZE];
};

/*
 * Simple (one-to-one) case folding, as FTS5 does it.  utf8proc offers only
 * full folding, which agrees with simple folding whenever it yields one code
 * point; where it would expand ('ß' -> "ss", 'ẞ' -> "ss", 'ᾈ' -> "ἀι"), the
 * simple folding is the lowercase mapping ('ß', 'ß', 'ᾀ').
 */
static int32_t simple_case_fold(int32_t cp)
{
    utf8proc_int32_t seq[4];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, seq, 4, UTF8PROC_CASEFOLD, &boundclass);
    if (n == 1)
        return seq[0];
    return utf8proc_tolower(cp);
}

/*
 * Reduces a Latin letter with diacritics to its ASCII base letter, the way
 * FTS5's "remove_diacritics 2" does: only when the canonical decomposition
 * is an ASCII letter followed by nonspacing marks.  Other scripts keep their
 * marks ('ά', 'й' stay), as do letters whose stroke or hook is not a
 * separate mark ('ø', 'ł', 'đ').
 */
static int32_t remove_latin_diacritics(int32_t cp)
{
    /* FTS5 leaves U+01E1 'ǡ' (a + dot above + macron) alone; we agree with
     * it so that the two analyzers produce the same terms. */
    if (cp == 0x01E1)
        return cp;
    utf8proc_int32_t seq[8];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, seq, 8, UTF8PROC_DECOMPOSE, &boundclass);
    if (n < 2 || n > 8 || seq[0] >= 0x80 || ascii_fold[seq[0]] < 'a')
        return cp;
    for (utf8proc_ssize_t i = 1; i < n; i++)
        if (utf8proc_category(seq[i]) != UTF8PROC_CATEGORY_MN)
            return cp;
    return ascii_fold[seq[0]];
}

static int is_token_diacritic(int32_t cp)
{
    return cp >= DIACRITIC_FIRST && cp <= DIACRITIC_LAST &&
           ((diacritic_mask >> (cp - DIACRITIC_FIRST)) & 1);
}

static void classify(int32_t cp, fold_entry *e)
{
    e->cp = cp;
    e->folded = cp;
    e->kind = KIND_SEPARATOR;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_CO:
        e->kind = KIND_TOKEN;
        /* Fold first: 'ẛ' folds to 'ṡ', which then loses its dot. */
        e->folded = remove_latin_diacritics(simple_case_fold(cp));
        break;
    case UTF8PROC_CATEGORY_MN:
        if (is_token_diacritic(cp))
            e->kind = KIND_DIACRITIC;
        break;
    default:
        break;
    }
    assert(e->folded >= 0 && e->folded <= 0x10FFFF);
}

static const fold_entry *lookup(analyzer *a, int32_t cp)
{
    assert(cp >= 0x80 && cp <= 0x10FFFF);
    fold_entry *e = &a->cache[(uint32_t)cp & (FOLD_CACHE_SIZE - 1)];
    if (e->cp != cp)
        classify(cp, e);
    return e;
}

/* Returns the offset of the first token character at or after i, or len. */
static size_t skip_separators(analyzer *a, const unsigned char *s, size_t len, size_t i)
{
    while (i < len) {
        if (s[i] < 0x80) {
            if (ascii_fold[s[i]])
                return i;
            i++;
            continue;
        }
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp >= 0 && lookup(a, cp)->kind == KIND_TOKEN)
            return i;
        i += n; /* an ill-formed subpart separates like any other */
    }
    return len;
}

/*
 * Consumes the token that starts at s[start] (a token character) and writes
 * its folded term to term[0..*term_len), which has room for
 * ANALYZER_MAX_TOKEN_BYTES.  Once a code point does not fit, nothing more is
 * written, so the cut falls on a code-point boundary and never skips one.
 * Returns the offset just past the token.
 */
static size_t scan_token(analyzer *a, const unsigned char *s, size_t len, size_t start,
                         unsigned char *term, size_t *term_len)
{
    size_t i = start, n_out = 0, room = ANALYZER_MAX_TOKEN_BYTES;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            unsigned char f = ascii_fold[c];
            if (!f)
                break;
            if (n_out < room)
                term[n_out++] = f;
            else
                room = n_out;
            i++;
            continue;
        }
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp < 0)
            break;
        const fold_entry *e = lookup(a, cp);
        if (e->kind == KIND_SEPARATOR)
            break;
        if (e->kind == KIND_TOKEN) {
            unsigned char bytes[4];
            size_t k = utf8_encode(e->folded, bytes);
            if (n_out + k <= room) {
                memcpy(term + n_out, bytes, k);
                n_out += k;
            } else {
                room = n_out;
            }
        }
        i += n;
    }
    /* The first character is a token character, whose fold is one code
     * point, so a term is never empty. */
    assert(i > start && n_out >= 1 && n_out <= ANALYZER_MAX_TOKEN_BYTES);
    *term_len = n_out;
    return i;
}

/* Length of the longest prefix of s[0..len) that is at most max bytes and
 * does not split a UTF-8 sequence. */
static size_t cut_at_code_point(const unsigned char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && (s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

/* Replaces term[0..*term_len) with its stem. */
static int stem_in_place(analyzer *a, unsigned char *term, size_t *term_len)
{
    assert(a->stemmer && *term_len <= ANALYZER_MAX_TOKEN_BYTES);
    const sb_symbol *stem = sb_stemmer_stem(a->stemmer, term, (int)*term_len);
    if (!stem)
        return LPS_ENOMEM;
    int stem_len = sb_stemmer_length(a->stemmer);
    /* Snowball english only removes or rewrites suffixes, so its stem is
     * never longer and never empty; keep the promised bounds even if it
     * were. */
    if (stem_len <= 0)
        return LPS_OK;
    size_t n = cut_at_code_point(stem, (size_t)stem_len, ANALYZER_MAX_TOKEN_BYTES);
    if (n == 0)
        return LPS_OK;
    memcpy(term, stem, n);
    *term_len = n;
    return LPS_OK;
}

/*
 * Appends the NUL-terminated term of the token at s[start] to out.  Sets
 * *end past the token and *term_len to the term's length.
 */
static int append_term(analyzer *a, buffer *out, const unsigned char *s, size_t len, size_t start,
                       int stem, size_t *end, size_t *term_len)
{
    if (buffer_reserve(out, ANALYZER_MAX_TOKEN_BYTES + 1) != 0)
        return LPS_ENOMEM;
    unsigned char *term = out->data + out->len;
    size_t n;
    *end = scan_token(a, s, len, start, term, &n);
    if (stem) {
        int rc = stem_in_place(a, term, &n);
        if (rc != LPS_OK)
            return rc;
    }
    term[n] = '\0';
    out->len += n + 1;
    *term_len = n;
    return LPS_OK;
}

static int grow_tokens(analyzer *a)
{
    size_t cap = a->tokens_cap ? a->tokens_cap * 2 : INITIAL_TOKEN_CAPACITY;
    if (cap < a->tokens_cap || cap > SIZE_MAX / sizeof(analyzer_token))
        return LPS_ENOMEM;
    analyzer_token *grown = lps_realloc(a->tokens, cap * sizeof(analyzer_token));
    if (!grown)
        return LPS_ENOMEM;
    a->tokens = grown;
    a->tokens_cap = cap;
    return LPS_OK;
}

int analyzer_create(analyzer **out, unsigned flags)
{
    if (out)
        *out = NULL;
    if (!out || (flags & ~ANALYZER_STEM_ENGLISH))
        return LPS_EARG;
    analyzer *a = lps_calloc(1, sizeof *a);
    if (!a)
        return LPS_ENOMEM;
    a->flags = flags;
    for (size_t i = 0; i < FOLD_CACHE_SIZE; i++)
        a->cache[i].cp = -1;
    if (flags & ANALYZER_STEM_ENGLISH) {
        /* NULL encoding means UTF-8.  libstemmer allocates with malloc,
         * outside lps_malloc; "english" is always compiled in, so NULL can
         * only mean that malloc failed. */
        a->stemmer = sb_stemmer_new("english", NULL);
        if (!a->stemmer) {
            lps_free(a);
            return LPS_ENOMEM;
        }
    }
    *out = a;
    return LPS_OK;
}

void analyzer_free(analyzer *a)
{
    if (!a)
        return;
    if (a->stemmer)
        sb_stemmer_delete(a->stemmer);
    lps_free(a->tokens);
    buffer_free(&a->terms);
    buffer_free(&a->folded);
    lps_free(a);
}

unsigned analyzer_flags(const analyzer *a)
{
    assert(a);
    return a->flags;
}

int analyzer_tokenize(analyzer *a, const char *text, size_t len, analyzer_result *result)
{
    if (result) {
        result->tokens = NULL;
        result->count = 0;
        result->terms = "";
    }
    if (!a || !result || (!text && len))
        return LPS_EARG;
    if (len > UINT32_MAX)
        return LPS_ETOOBIG;
    const unsigned char *s = (const unsigned char *)text;
    buffer_reset(&a->terms);
    size_t count = 0;
    size_t i = skip_separators(a, s, len, 0);
    while (i < len) {
        /* Terms take at most 4/3 of the text (a 2-byte letter that folds to
         * 3 bytes, plus a NUL where a 1-byte separator was), so term_off
         * only overflows for texts close to the 4 GiB offset limit. */
        if (a->terms.len > UINT32_MAX - (ANALYZER_MAX_TOKEN_BYTES + 1))
            return LPS_ETOOBIG;
        if (count == a->tokens_cap && grow_tokens(a) != LPS_OK)
            return LPS_ENOMEM;
        size_t term_off = a->terms.len, term_len, end;
        int rc = append_term(a, &a->terms, s, len, i, a->stemmer != NULL, &end, &term_len);
        if (rc != LPS_OK)
            return rc;
        assert(count < UINT32_MAX && end <= len && end > i);
        a->tokens[count] = (analyzer_token){
            .position = (uint32_t)count,
            .start = (uint32_t)i,
            .end = (uint32_t)end,
            .term_off = (uint32_t)term_off,
            .term_len = (uint32_t)term_len,
        };
        count++;
        i = skip_separators(a, s, len, end);
    }
    /* Tokens are at least one byte and separated by at least one byte. */
    assert(count <= (len + 1) / 2);
    result->tokens = a->tokens;
    result->count = count;
    result->terms = a->terms.len ? (const char *)a->terms.data : "";
    return LPS_OK;
}

int analyzer_fold_term(analyzer *a, const char *term, size_t len, int stem, const char **out, size_t *out_len)
{
    if (out)
        *out = "";
    if (out_len)
        *out_len = 0;
    if (!a || !out || !out_len || (!term && len))
        return LPS_EARG;
    const unsigned char *s = (const unsigned char *)term;
    buffer_reset(&a->folded);
    size_t start = skip_separators(a, s, len, 0);
    if (start == len)
        return LPS_OK;
    size_t end, term_len;
    int rc = append_term(a, &a->folded, s, len, start, stem && a->stemmer, &end, &term_len);
    if (rc != LPS_OK)
        return rc;
    if (skip_separators(a, s, len, end) != len)
        return LPS_EARG;
    *out = (const char *)a->folded.data;
    *out_len = term_len;
    assert(strlen(*out) == term_len);
    return LPS_OK;
}

const char *analyzer_unicode_version(void)
{
    return utf8proc_unicode_version();
}
