/*
 * Sentence segmentation for transcript turns.
 *
 * One pass from left to right.  Most bytes only extend the current sentence;
 * the interesting ones are '\n' (a hard boundary) and a terminator run: a
 * maximal run of '.', '?', '!' and '…', followed by closing quotes and
 * brackets.  A run that is not followed by whitespace never ends a sentence,
 * which is what keeps "$6.9", "10.5%", "2.0", "Apple.com", "e.g.," and
 * "U.S.," intact without any special case.  For a run that is followed by
 * whitespace, the decision looks at two things only:
 *
 *   - the token before a lone '.', at most TOKEN_MAX_BYTES back to the
 *     previous whitespace, to recognize abbreviations, initials, dotted
 *     abbreviations and list numbers;
 *   - the first word after the whitespace and any opening quotes, to see
 *     whether it can start a sentence (capital letter, digit, currency...) or
 *     continues one (lowercase letter, comma, dash...).
 *
 * Both looks are bounded or cover bytes that no other look covers (the
 * whitespace after one run precedes the next run), so the whole split is
 * linear in the text length.  Nothing here allocates except the growth of
 * the caller's span array.
 */
#include "sentence_splitter.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

/* Abbreviations are short; a longer token is an ordinary word, and the bound
 * keeps a megabyte-long "word" from being scanned once per period. */
#define TOKEN_MAX_BYTES 16
/* Enough to read a sentence-starter word or to spot "iPhone"-style words. */
#define WORD_MAX_BYTES 24
/* Up to three digits is a list number ("1."); "2006." ends a sentence. */
#define LIST_NUMBER_MAX_DIGITS 3

#define NO_CONTENT SIZE_MAX

/* ---- Character classes at a byte offset ------------------------------ */

static bool is_ascii_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool is_ascii_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static bool is_ascii_letter(unsigned char c) { return is_ascii_upper(c) || is_ascii_lower(c); }
static bool is_ascii_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static bool has3(const unsigned char *s, size_t len, size_t i,
                 unsigned char a, unsigned char b, unsigned char c)
{
    return len - i >= 3 && s[i] == a && s[i + 1] == b && s[i + 2] == c;
}

/* Byte length of the whitespace character at s[i], 0 if none.  U+00A0 counts
 * because transcripts pasted from web pages are full of it. */
static size_t space_length(const unsigned char *s, size_t len, size_t i)
{
    assert(i < len);
    switch (s[i]) {
    case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
        return 1;
    case 0xC2:
        return len - i >= 2 && s[i + 1] == 0xA0 ? 2 : 0;
    default:
        return 0;
    }
}

/* Byte length of the whitespace character that ends just before s[i], 0 if
 * none; never looks before lo.  0xC2 is a lead byte, so "C2 A0" read
 * backwards cannot be the tail of some other character. */
static size_t space_length_before(const unsigned char *s, size_t lo, size_t i)
{
    assert(lo <= i);
    if (i == lo)
        return 0;
    switch (s[i - 1]) {
    case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
        return 1;
    case 0xA0:
        return i - lo >= 2 && s[i - 2] == 0xC2 ? 2 : 0;
    default:
        return 0;
    }
}

/* '.', '?', '!' or '…' (U+2026). */
static size_t terminator_length(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] == '.' || s[i] == '?' || s[i] == '!')
        return 1;
    return has3(s, len, i, 0xE2, 0x80, 0xA6) ? 3 : 0;
}

/* Closing quotes and brackets that stay with the sentence they follow:
 * " ' ) ] } ” ’ ». */
static size_t closer_length(const unsigned char *s, size_t len, size_t i)
{
    switch (s[i]) {
    case '"': case '\'': case ')': case ']': case '}':
        return 1;
    case 0xC2:
        return len - i >= 2 && s[i + 1] == 0xBB ? 2 : 0;
    case 0xE2:
        return has3(s, len, i, 0xE2, 0x80, 0x9D) || has3(s, len, i, 0xE2, 0x80, 0x99) ? 3 : 0;
    default:
        return 0;
    }
}

/* Opening quotes and brackets that may precede a word: " ' ( [ { “ ‘ «. */
static size_t opener_length(const unsigned char *s, size_t len, size_t i)
{
    switch (s[i]) {
    case '"': case '\'': case '(': case '[': case '{':
        return 1;
    case 0xC2:
        return len - i >= 2 && s[i + 1] == 0xAB ? 2 : 0;
    case 0xE2:
        return has3(s, len, i, 0xE2, 0x80, 0x9C) || has3(s, len, i, 0xE2, 0x80, 0x98) ? 3 : 0;
    default:
        return 0;
    }
}

/* ---- The word after a break candidate -------------------------------- */

enum next_kind {
    NEXT_END,       /* only whitespace and openers remain */
    NEXT_UPPER,     /* a capital letter, or a word like "iPhone" */
    NEXT_DIGIT,
    NEXT_OTHER,     /* could start a sentence: "$", "#", symbols, CJK, bad bytes */
    NEXT_LOWER,     /* continues the sentence: "vs. the prior quarter" */
    NEXT_CONTINUE   /* punctuation that cannot open a sentence: , ; : . - – — */
};

typedef struct next_word {
    int kind;         /* enum next_kind */
    size_t word;      /* offset of the leading ASCII letters, for starter lookup */
    size_t word_len;  /* 0 unless kind is NEXT_UPPER and the word is plain ASCII */
} next_word;

static int classify_code_point(int32_t cp)
{
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9) ||
        (cp >= 0x400 && cp <= 0x42F))
        return NEXT_UPPER;
    if ((cp >= 0xDF && cp <= 0xFF && cp != 0xF7) || (cp >= 0x3AC && cp <= 0x3CE) ||
        (cp >= 0x430 && cp <= 0x45F))
        return NEXT_LOWER;
    /* Latin Extended-A pairs capital and small letters as even/odd here. */
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp % 2 == 0 ? NEXT_UPPER : NEXT_LOWER;
    if (cp == 0x2013 || cp == 0x2014)
        return NEXT_CONTINUE;
    return NEXT_OTHER;
}

static next_word look_ahead(const unsigned char *s, size_t len, size_t i)
{
    next_word nx = { NEXT_END, 0, 0 };
    size_t n;
    while (i < len && (n = space_length(s, len, i)) != 0)
        i += n;
    while (i < len && (n = opener_length(s, len, i)) != 0)
        i += n;
    if (i == len)
        return nx;

    unsigned char c = s[i];
    if (is_ascii_letter(c)) {
        size_t j = i;
        bool inner_capital = false;
        while (j < len && j - i < WORD_MAX_BYTES && is_ascii_letter(s[j])) {
            inner_capital |= j > i && is_ascii_upper(s[j]);
            j++;
        }
        if (is_ascii_upper(c)) {
            nx.kind = NEXT_UPPER;
            nx.word = i;
            nx.word_len = j - i;
        } else {
            /* "iPhone", "eBay", "iOS" are capitalized in their own way. */
            nx.kind = inner_capital ? NEXT_UPPER : NEXT_LOWER;
        }
    } else if (is_ascii_digit(c)) {
        nx.kind = NEXT_DIGIT;
    } else if (c < 0x80) {
        static const char continuation[] = ",;:.?!-)]}%/&*";
        nx.kind = memchr(continuation, c, sizeof continuation - 1) ? NEXT_CONTINUE : NEXT_OTHER;
    } else {
        int32_t cp;
        utf8_decode(s + i, len - i, &cp);
        nx.kind = cp < 0 ? NEXT_OTHER : classify_code_point(cp);
    }
    return nx;
}

/*
 * Capitalized words that almost always open a sentence in spoken English.
 * They decide the ambiguous abbreviations: "Apple Inc. The company" breaks,
 * "Acme Corp. Products" and "U. S. Smartphone owners" do not.  "A" is left
 * out because it is also an initial ("J. A. Smith").
 */
#define STARTER(w) { w, sizeof w - 1 }
static const struct starter_word {
    const char *word;
    size_t len;
} starter_words[] = {
    STARTER("Again"), STARTER("Also"), STARTER("And"), STARTER("As"), STARTER("At"),
    STARTER("But"), STARTER("During"), STARTER("Finally"), STARTER("For"), STARTER("He"),
    STARTER("How"), STARTER("However"), STARTER("I"), STARTER("If"), STARTER("In"),
    STARTER("It"), STARTER("Its"), STARTER("Let"), STARTER("Next"), STARTER("No"),
    STARTER("Now"), STARTER("OK"), STARTER("Okay"), STARTER("On"), STARTER("Our"),
    STARTER("Overall"), STARTER("She"), STARTER("So"), STARTER("Thank"), STARTER("Thanks"),
    STARTER("That"), STARTER("The"), STARTER("Their"), STARTER("Then"), STARTER("There"),
    STARTER("These"), STARTER("They"), STARTER("This"), STARTER("Those"), STARTER("Turning"),
    STARTER("We"), STARTER("Well"), STARTER("What"), STARTER("When"), STARTER("Where"),
    STARTER("Why"), STARTER("With"), STARTER("Yes"), STARTER("You"),
};
#undef STARTER

static bool is_starter_word(const unsigned char *s, const next_word *nx)
{
    if (nx->kind != NEXT_UPPER || nx->word_len == 0)
        return false;
    for (size_t k = 0; k < sizeof starter_words / sizeof starter_words[0]; k++) {
        const struct starter_word *w = &starter_words[k];
        if (w->len == nx->word_len && memcmp(w->word, s + nx->word, w->len) == 0)
            return true;
    }
    return false;
}

/* ---- The token before a lone period ---------------------------------- */

enum abbreviation_kind {
    ABBR_NONE,          /* an ordinary word: the period ends the sentence */
    ABBR_NEVER,         /* titles and "vs.", "e.g.": a sentence never ends here */
    ABBR_BEFORE_NUMBER, /* "No. 1": not before a digit, else as a word */
    ABBR_AMBIGUOUS      /* "Inc.", "U.S.", "J.": only before a starter word */
};

#define ABBR(w, kind) { w, sizeof w - 1, kind }
static const struct abbreviation {
    const char *word; /* without the final period */
    size_t len;
    int kind;
} abbreviations[] = {
    ABBR("Mr", ABBR_NEVER),      ABBR("Mrs", ABBR_NEVER),     ABBR("Ms", ABBR_NEVER),
    ABBR("Dr", ABBR_NEVER),      ABBR("Prof", ABBR_NEVER),    ABBR("Messrs", ABBR_NEVER),
    ABBR("Rev", ABBR_NEVER),     ABBR("Hon", ABBR_NEVER),
    ABBR("vs", ABBR_NEVER),      ABBR("e.g", ABBR_NEVER),     ABBR("i.e", ABBR_NEVER),
    ABBR("approx", ABBR_NEVER),  ABBR("cf", ABBR_NEVER),      ABBR("viz", ABBR_NEVER),
    ABBR("incl", ABBR_NEVER),    ABBR("esp", ABBR_NEVER),
    ABBR("No", ABBR_BEFORE_NUMBER),  ABBR("Nos", ABBR_BEFORE_NUMBER),
    ABBR("Vol", ABBR_BEFORE_NUMBER), ABBR("Fig", ABBR_BEFORE_NUMBER),
    ABBR("Inc", ABBR_AMBIGUOUS),  ABBR("Co", ABBR_AMBIGUOUS),   ABBR("Corp", ABBR_AMBIGUOUS),
    ABBR("Ltd", ABBR_AMBIGUOUS),  ABBR("Bros", ABBR_AMBIGUOUS), ABBR("Intl", ABBR_AMBIGUOUS),
    ABBR("Dept", ABBR_AMBIGUOUS), ABBR("Jr", ABBR_AMBIGUOUS),   ABBR("Sr", ABBR_AMBIGUOUS),
    ABBR("St", ABBR_AMBIGUOUS),   ABBR("Ave", ABBR_AMBIGUOUS),  ABBR("Blvd", ABBR_AMBIGUOUS),
    ABBR("al", ABBR_AMBIGUOUS),
    ABBR("Jan", ABBR_AMBIGUOUS),  ABBR("Feb", ABBR_AMBIGUOUS),  ABBR("Mar", ABBR_AMBIGUOUS),
    ABBR("Apr", ABBR_AMBIGUOUS),  ABBR("Jun", ABBR_AMBIGUOUS),  ABBR("Jul", ABBR_AMBIGUOUS),
    ABBR("Aug", ABBR_AMBIGUOUS),  ABBR("Sep", ABBR_AMBIGUOUS),  ABBR("Sept", ABBR_AMBIGUOUS),
    ABBR("Oct", ABBR_AMBIGUOUS),  ABBR("Nov", ABBR_AMBIGUOUS),  ABBR("Dec", ABBR_AMBIGUOUS),
};
#undef ABBR

/*
 * Entries match exactly; a lowercase entry also matches with its first
 * letter capitalized ("Vs.", "E.g." at the start of a sentence).  The
 * reverse is not allowed, so "sales rep." or "the co." stay ordinary words.
 */
static bool abbreviation_matches(const struct abbreviation *entry, const unsigned char *t, size_t n)
{
    if (entry->len != n || n == 0)
        return false;
    unsigned char first = (unsigned char)entry->word[0];
    bool first_ok = t[0] == first || (is_ascii_lower(first) && t[0] == first - 'a' + 'A');
    return first_ok && memcmp(entry->word + 1, t + 1, n - 1) == 0;
}

/* "U.S", "U.K", "a.m", "Ph.D": two or more groups of one or two letters
 * joined by single periods. */
static bool is_dotted_abbreviation(const unsigned char *t, size_t n)
{
    size_t groups = 0, run = 0;
    for (size_t k = 0; k < n; k++) {
        if (is_ascii_letter(t[k])) {
            if (++run > 2)
                return false;
        } else if (t[k] == '.' && run > 0) {
            groups++;
            run = 0;
        } else {
            return false;
        }
    }
    return run > 0 && groups >= 1;
}

static int abbreviation_kind(const unsigned char *t, size_t n)
{
    for (size_t k = 0; k < sizeof abbreviations / sizeof abbreviations[0]; k++)
        if (abbreviation_matches(&abbreviations[k], t, n))
            return abbreviations[k].kind;
    if (is_dotted_abbreviation(t, n))
        return ABBR_AMBIGUOUS;
    /* An initial, as in "J. Smith" or "U. S. Smartphone".  "I" is the
     * pronoun far more often than an initial. */
    if (n == 1 && is_ascii_upper(t[0]) && t[0] != 'I')
        return ABBR_AMBIGUOUS;
    return ABBR_NONE;
}

static bool is_list_number(const unsigned char *t, size_t n)
{
    if (n == 0 || n > LIST_NUMBER_MAX_DIGITS)
        return false;
    for (size_t k = 0; k < n; k++)
        if (!is_ascii_digit(t[k]))
            return false;
    return true;
}

/*
 * Whether the lone '.' at s[dot], followed by whitespace, ends the sentence
 * whose bytes begin at start and whose first non-space byte is at content.
 */
static bool period_ends_sentence(const unsigned char *s, size_t len, size_t start,
                                 size_t content, size_t dot, const next_word *nx)
{
    assert(start <= content && content <= dot && dot < len);
    if (nx->kind == NEXT_END)
        return true;
    if (nx->kind == NEXT_LOWER || nx->kind == NEXT_CONTINUE)
        return false;

    size_t begin = dot;
    while (begin > start && dot - begin <= TOKEN_MAX_BYTES && space_length_before(s, start, begin) == 0)
        begin--;
    if (dot - begin > TOKEN_MAX_BYTES)
        return true;
    bool first_in_sentence = begin == content;
    size_t n;
    while (begin < dot && (n = opener_length(s, len, begin)) != 0)
        begin += n;
    const unsigned char *token = s + begin;
    size_t token_len = dot - begin;

    if (first_in_sentence && is_list_number(token, token_len))
        return false;
    switch (abbreviation_kind(token, token_len)) {
    case ABBR_NEVER:
        return false;
    case ABBR_BEFORE_NUMBER:
        return nx->kind != NEXT_DIGIT;
    case ABBR_AMBIGUOUS:
        return is_starter_word(s, nx);
    default:
        return true;
    }
}

/* ---- Output ------------------------------------------------------------ */

typedef struct splitter {
    const unsigned char *s;
    size_t len;
    sentence_spans *out;
    size_t first; /* out->count on entry: spans before it belong to the caller */
} splitter;

/* Appends s[a..b) trimmed, unless nothing but whitespace is left. */
static int emit(splitter *sp, size_t a, size_t b)
{
    assert(a <= b && b <= sp->len);
    size_t n;
    while (a < b && (n = space_length(sp->s, sp->len, a)) != 0)
        a += n;
    while (b > a && (n = space_length_before(sp->s, a, b)) != 0)
        b -= n;
    if (a == b)
        return LPS_OK;

    sentence_spans *out = sp->out;
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        if (cap < out->cap || cap > SIZE_MAX / sizeof *out->items)
            return LPS_ENOMEM;
        sentence_span *items = lps_realloc(out->items, cap * sizeof *items);
        if (!items)
            return LPS_ENOMEM;
        out->items = items;
        out->cap = cap;
    }
    assert(out->count == sp->first || out->items[out->count - 1].end <= a);
    out->items[out->count].start = (uint32_t)a;
    out->items[out->count].end = (uint32_t)b;
    out->count++;
    return LPS_OK;
}

int sentence_split(const char *text, size_t len, sentence_spans *out)
{
    if (!out || (!text && len))
        return LPS_EARG;
    if (len > SENTENCE_MAX_TEXT_BYTES)
        return LPS_ETOOBIG;
    assert(out->count <= out->cap && (out->cap == 0 || out->items));

    splitter sp = { (const unsigned char *)text, len, out, out->count };
    const unsigned char *s = sp.s;
    size_t start = 0, content = NO_CONTENT, i = 0;
    int rc = LPS_OK;

    while (i < len && rc == LPS_OK) {
        size_t n = terminator_length(s, len, i);
        if (n == 0) {
            if (s[i] == '\n') {
                rc = emit(&sp, start, i);
                start = ++i;
                content = NO_CONTENT;
            } else if ((n = space_length(s, len, i)) != 0) {
                i += n;
            } else {
                if (content == NO_CONTENT)
                    content = i;
                i++;
            }
            continue;
        }

        if (content == NO_CONTENT)
            content = i;
        size_t run = i, dots = 0;
        bool strong = false, ellipsis = false;
        while (i < len && (n = terminator_length(s, len, i)) != 0) {
            dots += s[i] == '.';
            strong |= s[i] == '?' || s[i] == '!';
            ellipsis |= n == 3;
            i += n;
        }
        while (i < len && (n = closer_length(s, len, i)) != 0)
            i += n;
        if (i < len && space_length(s, len, i) == 0)
            continue;

        bool ends;
        if (i == len || strong) {
            ends = true;
        } else {
            next_word nx = look_ahead(s, len, i);
            if (ellipsis || dots > 1)
                ends = nx.kind == NEXT_UPPER;
            else
                ends = period_ends_sentence(s, len, start, content, run, &nx);
        }
        if (ends) {
            rc = emit(&sp, start, i);
            start = i;
            content = NO_CONTENT;
        }
    }
    if (rc == LPS_OK)
        rc = emit(&sp, start, len);

    if (rc != LPS_OK) {
        out->count = sp.first;
        return rc;
    }
    assert(out->count >= sp.first && out->count <= out->cap);
    return LPS_OK;
}

void sentence_spans_free(sentence_spans *spans)
{
    if (!spans)
        return;
    lps_free(spans->items);
    spans->items = NULL;
    spans->count = 0;
    spans->cap = 0;
}
