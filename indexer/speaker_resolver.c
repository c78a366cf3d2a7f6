#include "speaker_resolver.h"

#include "transcript.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- words ---------------------------------------------------------------
 * The resolver reads text as words: maximal runs of non-space bytes, with
 * leading brackets and trailing punctuation split off and remembered.  That
 * is enough for the short formulaic sentences it looks at. */

enum word_kind { WORD_OTHER, WORD_NAME, WORD_ROLE, WORD_HONORIFIC, WORD_JOINER };

typedef struct word {
    const char *s; /* the word without brackets and trailing punctuation */
    size_t len;
    char trail;    /* ',', ';', '.', '?', '!', ':' or 0 */
    int kind;
} word;

#define MAX_WORDS 512

static int word_is(const word *w, const char *lit)
{
    return w->len == strlen(lit) && strncasecmp(w->s, lit, w->len) == 0;
}

/* Capitalized words that begin sentences or name things other than people. */
static int is_common_capitalized(const char *s, size_t len)
{
    static const char *const common[] = {
        "I", "We", "Our", "The", "This", "That", "And", "But", "So", "Now", "Thanks", "Thank",
        "Good", "Yes", "Okay", "OK", "Well", "At", "As", "In", "On", "Your", "Please", "Ladies",
        "Sir", "Hi", "Hello", "It", "Its", "Go", "Ahead", "Great", "Next", "First", "Question",
        "Operator", "Instructions", "Inc", "Inc.", "Corp", "Today", "Everyone", "Q", "Also",
    };
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strlen(common[i]) == len && memcmp(common[i], s, len) == 0)
            return 1;
    return 0;
}

static int classify_word(const char *s, size_t len)
{
    if (len == 0)
        return WORD_OTHER;
    if ((len == 2 || len == 3) && s[len - 1] == '.' &&
        (strncmp(s, "Mr.", len) == 0 || strncmp(s, "Ms.", len) == 0 ||
         strncmp(s, "Dr.", len) == 0))
        return WORD_HONORIFIC;
    if (len == 4 && strncmp(s, "Mrs.", 4) == 0)
        return WORD_HONORIFIC;
    if ((len == 3 && strncasecmp(s, "and", 3) == 0) || (len == 1 && s[0] == '&'))
        return WORD_JOINER;
    if (speaker_label_is_role_word(s, len) || (len == 7 && strncasecmp(s, "founder", 7) == 0))
        return WORD_ROLE;
    unsigned char c = (unsigned char)s[0];
    if (!(isupper(c) || c >= 0x80))
        return WORD_OTHER;
    if (is_common_capitalized(s, len))
        return WORD_OTHER;
    /* Possessives ("LivePerson's") name companies, not the next speaker. */
    if (len > 2 && (s[len - 1] == 's' || s[len - 1] == 'S') &&
        (s[len - 2] == '\'' || (len > 4 && memcmp(s + len - 4, "\xE2\x80\x99", 3) == 0)))
        return WORD_OTHER;
    for (size_t i = 0; i < len; i++)
        if (isdigit((unsigned char)s[i]))
            return WORD_OTHER;
    return WORD_NAME;
}

static size_t split_words(const char *text, size_t len, word *words, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        while (i < len && isspace((unsigned char)text[i]))
            i++;
        size_t start = i;
        while (i < len && !isspace((unsigned char)text[i]))
            i++;
        if (i == start)
            break;
        const char *s = text + start;
        size_t wl = i - start;
        while (wl && (*s == '[' || *s == '(' || *s == '"')) {
            s++;
            wl--;
        }
        char trail = 0;
        while (wl && strchr(",;.?!:])\"", s[wl - 1])) {
            char c = s[wl - 1];
            /* An initial or an honorific keeps its period. */
            if (c == '.' && wl <= 4 && classify_word(s, wl) == WORD_HONORIFIC)
                break;
            if (c == '.' && wl == 2 && isupper((unsigned char)s[0]))
                break;
            if (!trail && c != ']' && c != ')' && c != '"')
                trail = c;
            wl--;
        }
        if (wl == 0)
            continue;
        words[n].s = s;
        words[n].len = wl;
        words[n].trail = trail;
        words[n].kind = classify_word(s, wl);
        n++;
    }
    return n;
}

/* Joins words[from..to) with single spaces into dst, dropping the words that
 * do not fit whole; returns the length written (0: not even the first fit). */
static size_t join_words(const word *words, size_t from, size_t to, char *dst, size_t cap)
{
    size_t n = 0;
    dst[0] = '\0';
    for (size_t i = from; i < to; i++) {
        size_t need = words[i].len + (n ? 1 : 0);
        if (n + need >= cap)
            break;
        if (n)
            dst[n++] = ' ';
        memcpy(dst + n, words[i].s, words[i].len);
        n += words[i].len;
        dst[n] = '\0';
    }
    return n;
}

/*
 * Reads a person's name starting at words[*i] (after optional honorifics):
 * one to four name words with no punctuation between them.  Returns the
 * number of name words and leaves *i after the name.
 */
static size_t read_name(const word *words, size_t n, size_t *i, size_t *name_start)
{
    while (*i < n && words[*i].kind == WORD_HONORIFIC)
        (*i)++;
    *name_start = *i;
    size_t count = 0;
    while (*i < n && words[*i].kind == WORD_NAME && count < 4) {
        (*i)++;
        count++;
        if (words[*i - 1].trail)
            break;
    }
    return count;
}

/* Reads a firm: up to eight words up to the end of the clause. */
static size_t read_firm(const word *words, size_t n, size_t *i)
{
    size_t count = 0;
    while (*i < n && count < 8) {
        const word *w = &words[*i];
        unsigned char c = (unsigned char)w->s[0];
        if (!(isupper(c) || c >= 0x80 || w->kind == WORD_JOINER || isdigit(c)))
            break;
        (*i)++;
        count++;
        if (w->trail)
            break;
    }
    return count;
}

/* ---- the roster: executives named in the introduction ------------------- */

typedef struct roster_entry {
    char name[SPEAKER_FIELD_BYTES];
    char role[SPEAKER_FIELD_BYTES]; /* canonical: "CEO", "President & CFO" */
} roster_entry;

#define MAX_ROSTER 32

typedef struct roster {
    roster_entry items[MAX_ROSTER];
    size_t count;
} roster;

/* Joins a run of role words into a canonical title: "Chief Financial Officer" -> "CFO". */
static void canonical_role(const word *words, size_t from, size_t to, char *dst, size_t cap)
{
    static const struct {
        const char *second;
        const char *abbrev;
    } chiefs[] = {{"executive", "CEO"}, {"financial", "CFO"}, {"operating", "COO"},
                  {"technology", "CTO"}, {"marketing", "CMO"}, {"revenue", "CRO"}};
    size_t n = 0;
    dst[0] = '\0';
    for (size_t i = from; i < to; i++) {
        const char *piece = NULL;
        char tmp[64];
        size_t plen;
        if (word_is(&words[i], "chief") && i + 2 < to + 1 && i + 1 < to) {
            for (size_t k = 0; k < sizeof chiefs / sizeof chiefs[0]; k++)
                if (word_is(&words[i + 1], chiefs[k].second)) {
                    piece = chiefs[k].abbrev;
                    i += (i + 2 < to && word_is(&words[i + 2], "officer")) ? 2 : 1;
                    break;
                }
        }
        if (!piece && words[i].kind == WORD_JOINER)
            piece = "&";
        if (!piece) {
            plen = words[i].len < sizeof tmp - 1 ? words[i].len : sizeof tmp - 1;
            memcpy(tmp, words[i].s, plen);
            tmp[plen] = '\0';
            if (islower((unsigned char)tmp[0]))
                tmp[0] = (char)toupper((unsigned char)tmp[0]);
            piece = tmp;
        }
        plen = strlen(piece);
        if (n + plen + 2 >= cap)
            break;
        if (n)
            dst[n++] = ' ';
        memcpy(dst + n, piece, plen);
        n += plen;
        dst[n] = '\0';
    }
}

static void roster_add(roster *r, const char *name, const char *role)
{
    if (r->count == MAX_ROSTER || !name[0])
        return;
    for (size_t i = 0; i < r->count; i++)
        if (strcasecmp(r->items[i].name, name) == 0)
            return;
    snprintf(r->items[r->count].name, SPEAKER_FIELD_BYTES, "%s", name);
    snprintf(r->items[r->count].role, SPEAKER_FIELD_BYTES, "%s", role);
    r->count++;
}

/* Length of the run of role words (joined by "and"/"&") starting at words[i]. */
static size_t role_run(const word *words, size_t n, size_t i)
{
    size_t j = i;
    while (j < n) {
        if (words[j].kind == WORD_ROLE) {
            j++;
            if (words[j - 1].trail)
                break;
        } else if (words[j].kind == WORD_JOINER && j > i && j + 1 < n &&
                   words[j + 1].kind == WORD_ROLE) {
            j++;
        } else {
            break;
        }
    }
    return j - i;
}

/*
 * Finds "Name, Role" and "Role, Name" pairs in an introduction:
 * "Mr. Robert LoCascio, CEO; and Mr. Dan Murphy, CFO",
 * "Robert LoCascio, Chief Executive Officer of LivePerson, and Tim Bixby, ...",
 * "founder and CEO, Rob LoCascio and CFO, Dan Murphy".
 */
static void roster_scan(roster *r, const char *text, size_t len)
{
    word words[MAX_WORDS];
    size_t n = split_words(text, len, words, MAX_WORDS);
    for (size_t i = 0; i < n;) {
        size_t roles = role_run(words, n, i);
        if (roles > 0 && words[i + roles - 1].trail == ',') {
            size_t j = i + roles, start;
            size_t names = read_name(words, n, &j, &start);
            if (names >= 2) {
                char name[SPEAKER_FIELD_BYTES], role[SPEAKER_FIELD_BYTES];
                join_words(words, start, start + names, name, sizeof name);
                canonical_role(words, i, i + roles, role, sizeof role);
                roster_add(r, name, role);
                i = j;
                continue;
            }
        }
        if (roles > 0) {
            i += roles;
            continue;
        }
        size_t j = i, start;
        size_t names = read_name(words, n, &j, &start);
        if (names >= 2 && words[j - 1].trail == ',') {
            size_t rl = role_run(words, n, j);
            if (rl > 0) {
                char name[SPEAKER_FIELD_BYTES], role[SPEAKER_FIELD_BYTES];
                join_words(words, start, start + names, name, sizeof name);
                canonical_role(words, j, j + rl, role, sizeof role);
                roster_add(r, name, role);
                i = j + rl;
                continue;
            }
        }
        i = j > i ? j : i + 1;
    }
}

/* Nonzero when role (a canonical title) contains the word want ("CEO"). */
static int role_has_word(const char *role, const char *want)
{
    size_t wl = strlen(want);
    for (const char *p = role; *p; p++) {
        if (strncasecmp(p, want, wl) != 0)
            continue;
        int starts = p == role || !isalnum((unsigned char)p[-1]);
        int ends = !isalnum((unsigned char)p[wl]);
        if (starts && ends)
            return 1;
    }
    return 0;
}

static const roster_entry *roster_by_role(const roster *r, const char *label_role)
{
    for (size_t i = 0; i < r->count; i++)
        if (role_has_word(r->items[i].role, label_role))
            return &r->items[i];
    return NULL;
}

/* "Rob" matches "Robert LoCascio"; "Bixby" matches "Tim Bixby"; "Robert Lecascio" matches by first name. */
static const roster_entry *roster_by_name(const roster *r, const char *name)
{
    char first[SPEAKER_FIELD_BYTES];
    const char *last = strrchr(name, ' ');
    last = last ? last + 1 : name;
    size_t fl = strcspn(name, " ");
    snprintf(first, sizeof first, "%.*s", (int)fl, name);
    for (size_t i = 0; i < r->count; i++) {
        const char *rn = r->items[i].name;
        const char *rlast = strrchr(rn, ' ');
        rlast = rlast ? rlast + 1 : rn;
        if (strcasecmp(rlast, last) == 0)
            return &r->items[i];
    }
    for (size_t i = 0; i < r->count; i++) {
        const char *rn = r->items[i].name;
        size_t rfl = strcspn(rn, " ");
        size_t shorter = fl < rfl ? fl : rfl;
        if (shorter >= 3 && strncasecmp(rn, first, shorter) == 0)
            return &r->items[i];
    }
    return NULL;
}

/* ---- announcements and hand-offs --------------------------------------- */

typedef struct announcement {
    char name[SPEAKER_FIELD_BYTES];
    char firm[SPEAKER_FIELD_BYTES];
} announcement;

/*
 * Finds the last questioner the operator announces in text:
 * "... question comes from [the line of] NAME [from|with|of|at FIRM]" or a
 * clause that is only "NAME, FIRM." / "NAME with FIRM." / "NAME from FIRM.".
 */
static int find_announcement(const char *text, size_t len, announcement *out)
{
    word words[MAX_WORDS];
    size_t n = split_words(text, len, words, MAX_WORDS);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        int clause_start = i == 0 || words[i - 1].trail == '.' || words[i - 1].trail == '?' ||
                           words[i - 1].trail == '!';
        size_t j = i;
        if (word_is(&words[i], "from") && i > 0 &&
            (word_is(&words[i - 1], "comes") || word_is(&words[i - 1], "come") ||
             word_is(&words[i - 1], "question") || word_is(&words[i - 1], "is") ||
             word_is(&words[i - 1], "follow-up") || word_is(&words[i - 1], "followup"))) {
            j = i + 1;
            if (j + 2 < n && word_is(&words[j], "the") &&
                (word_is(&words[j + 1], "line") || word_is(&words[j + 1], "site")) &&
                word_is(&words[j + 2], "of"))
                j += 3;
        } else if (!clause_start) {
            continue;
        }
        size_t start;
        size_t names = read_name(words, n, &j, &start);
        if (names < 2 || names > 4)
            continue;
        int via_phrase = j != i + names || !clause_start;
        announcement a;
        if (join_words(words, start, start + names, a.name, sizeof a.name) == 0)
            continue; /* a "name" too long for the field is no name */
        a.firm[0] = '\0';
        char trail = words[j - 1].trail;
        if (trail == ',' ||
            (!trail && j < n &&
             (word_is(&words[j], "with") || word_is(&words[j], "from") ||
              word_is(&words[j], "of") || word_is(&words[j], "at")))) {
            if (!trail)
                j++;
            size_t firm_start = j;
            size_t fw = read_firm(words, n, &j);
            if (fw > 0 && (words[j - 1].trail == '.' || j == n || via_phrase))
                join_words(words, firm_start, j, a.firm, sizeof a.firm);
            else if (!via_phrase)
                continue;
        } else if (!via_phrase && !(trail == '.' && j == n)) {
            continue; /* a bare "Name." clause is only an announcement at the very end */
        }
        *out = a;
        found = 1;
        i = j - 1;
    }
    return found;
}

/* "turn the call over to Robert LoCascio." / "... in more detail. Dan?" */
static int find_handoff(const char *text, size_t len, char *name, size_t cap)
{
    word words[MAX_WORDS];
    size_t n = split_words(text, len, words, MAX_WORDS);
    if (n == 0)
        return 0;
    const word *last = &words[n - 1];
    if (last->trail == '?' && last->kind == WORD_NAME &&
        (n == 1 || words[n - 2].trail == '.' || words[n - 2].trail == '?' ||
         words[n - 2].trail == '!')) {
        join_words(words, n - 1, n, name, cap);
        return 1;
    }
    int found = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (!(word_is(&words[i], "over") && word_is(&words[i + 1], "to")))
            continue;
        /* Collect the names in the clause after "over to"; exactly one is a hand-off. */
        size_t names_seen = 0, j = i + 2, best_start = 0, best_len = 0;
        while (j < n) {
            size_t start;
            size_t before = j;
            size_t count = read_name(words, n, &j, &start);
            if (count > 0) {
                names_seen++;
                best_start = start;
                best_len = count;
            } else {
                j = before + 1;
            }
            char t = words[j - 1].trail;
            if (t == '.' || t == '?' || t == '!')
                break;
            if (t == ',' && j < n && word_is(&words[j], "who"))
                break;
        }
        if (names_seen == 1) {
            join_words(words, best_start, best_start + best_len, name, cap);
            found = 1;
        } else {
            found = 0;
        }
        i = j > i ? j - 1 : i;
    }
    return found;
}

static int mentions_operator_duty(const char *text, size_t len)
{
    /* Phrases only an operator uses; "conference call" alone is not one:
     * executives say "during this conference call" too. */
    static const char *const phrases[] = {"question comes from", "questions come from",
                                          "question is from", "next question comes",
                                          "next question is", "lines have been placed",
                                          "conference is being recorded",
                                          "this concludes", "this does conclude"};
    /* Every turn of every call is scanned: test each position's first
     * letter (all phrases start with a lower-case ASCII letter) before
     * comparing the rest. */
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
        size_t pl = strlen(phrases[i]);
        int first = phrases[i][0];
        for (size_t k = 0; k + pl <= len; k++)
            if ((text[k] | 0x20) == first && strncasecmp(text + k + 1, phrases[i] + 1, pl - 1) == 0)
                return 1;
    }
    return 0;
}

/* "My name is Liliana" in an operator's opening. */
static int find_own_name(const char *text, size_t len, char *name, size_t cap)
{
    word words[MAX_WORDS];
    size_t n = split_words(text, len, words, MAX_WORDS);
    for (size_t i = 0; i + 3 < n; i++) {
        if (word_is(&words[i], "my") && word_is(&words[i + 1], "name") &&
            word_is(&words[i + 2], "is")) {
            size_t j = i + 3, start;
            size_t count = read_name(words, n, &j, &start);
            if (count >= 1 && count <= 3 && join_words(words, start, start + count, name, cap) > 0)
                return 1;
        }
    }
    return 0;
}

/* "This is Koji Ketter for Brian Schwartz." / "Mike Anderson on behalf of Michael." */
static int find_stand_in(const char *text, size_t len, char *name, size_t cap)
{
    word words[64];
    size_t n = split_words(text, len, words, 64);
    for (size_t i = 0; i < n && i < 24; i++) {
        int clause_start = i == 0 || words[i - 1].trail == '.';
        if (!clause_start)
            continue;
        size_t j = i;
        if (j + 1 < n && word_is(&words[j], "this") && word_is(&words[j + 1], "is"))
            j += 2;
        size_t start;
        size_t count = read_name(words, n, &j, &start);
        if (count < 2 || words[j - 1].trail)
            continue;
        if ((j < n && word_is(&words[j], "for") && j > i + count) ||
            (j + 2 < n && word_is(&words[j], "on") && word_is(&words[j + 1], "behalf"))) {
            join_words(words, start, start + count, name, cap);
            return 1;
        }
    }
    return 0;
}

/* ---- putting it together ------------------------------------------------ */

/* Hand-offs and announcements close a turn: look at its last bytes only, cut
 * at a word boundary, so a long turn never overflows the word array. */
#define TAIL_BYTES 1200

static const char *tail_of(const char *text, size_t len, size_t *tail_len)
{
    if (len <= TAIL_BYTES) {
        *tail_len = len;
        return text;
    }
    size_t start = len - TAIL_BYTES;
    while (start < len && text[start] != ' ')
        start++;
    *tail_len = len - start;
    return text + start;
}

static int is_anonymous(const speaker_label *l)
{
    return l->kind == LABEL_ROLE_ONLY || l->kind == LABEL_NUMBERED;
}

static int same_name(const char *a, const char *b)
{
    const char *la = strrchr(a, ' '), *lb = strrchr(b, ' ');
    la = la ? la + 1 : a;
    lb = lb ? lb + 1 : b;
    return strcasecmp(la, lb) == 0;
}

#define MAX_NUMBERED 64

void speaker_resolve(const resolver_turn *turns, size_t n, resolved_speaker *out)
{
    roster r = {.count = 0};
    int operator_number[MAX_NUMBERED] = {0};
    char handoff[MAX_NUMBERED + 1][SPEAKER_FIELD_BYTES];
    memset(handoff, 0, sizeof handoff);

    /* Executives: introduction remarks and named labels. */
    for (size_t t = 0; t < n && t < 4; t++)
        roster_scan(&r, turns[t].text, turns[t].len);
    for (size_t t = 0; t < n; t++)
        if (turns[t].label->kind == LABEL_NAMED &&
            strcasecmp(turns[t].label->role, "Analyst") != 0)
            roster_add(&r, turns[t].label->name, turns[t].label->role);

    /* Which "Speaker N" is the operator. */
    for (size_t t = 0; t < n; t++) {
        const speaker_label *l = turns[t].label;
        if (l->kind == LABEL_NUMBERED && l->number >= 0 && l->number < MAX_NUMBERED &&
            mentions_operator_duty(turns[t].text, turns[t].len))
            operator_number[l->number] = 1;
    }
#define IS_OPERATOR(l)                                                                      \
    ((l)->kind == LABEL_OPERATOR ||                                                         \
     ((l)->kind == LABEL_NUMBERED && (l)->number >= 0 && (l)->number < MAX_NUMBERED &&        \
      operator_number[(l)->number]))

    /* Hand-offs name the next anonymous executive for the whole call. */
    for (size_t t = 0; t + 1 < n; t++) {
        const speaker_label *next = turns[t + 1].label;
        if (next->kind != LABEL_NUMBERED || IS_OPERATOR(next) || next->number < 0 ||
            next->number >= MAX_NUMBERED || handoff[next->number][0])
            continue;
        char name[SPEAKER_FIELD_BYTES];
        size_t tail_len;
        const char *tail = tail_of(turns[t].text, turns[t].len, &tail_len);
        if (find_handoff(tail, tail_len, name, sizeof name) &&
            roster_by_name(&r, name))
            snprintf(handoff[next->number], SPEAKER_FIELD_BYTES, "%s", name);
    }

    /* An operator who gives a name ("My name is Liliana") keeps it for the call. */
    char operator_name[SPEAKER_FIELD_BYTES] = "";
    const char *operator_label = NULL;
    for (size_t t = 0; t < n && !operator_name[0]; t++)
        if (IS_OPERATOR(turns[t].label) &&
            find_own_name(turns[t].text, turns[t].len, operator_name, sizeof operator_name))
            operator_label = turns[t].label->label;

    announcement pending = {{0}, {0}}, current = {{0}, {0}};
    int have_pending = 0, have_current = 0, stand_in_checked = 0;
    const char *segment_label = NULL;
    char stand_in[SPEAKER_FIELD_BYTES] = "";

    for (size_t t = 0; t < n; t++) {
        const speaker_label *l = turns[t].label;
        resolved_speaker *o = &out[t];
        memset(o, 0, sizeof *o);
        o->name_source = SPEAKER_NAME_NONE;

        if (IS_OPERATOR(l)) {
            snprintf(o->role, sizeof o->role, "Operator");
            if (operator_label && strcmp(operator_label, l->label) == 0) {
                snprintf(o->name, sizeof o->name, "%s", operator_name);
                o->name_source = SPEAKER_NAME_RESOLVED;
            }
            announcement a;
            size_t tail_len;
            const char *tail = tail_of(turns[t].text, turns[t].len, &tail_len);
            if (find_announcement(tail, tail_len, &a)) {
                pending = a;
                have_pending = 1;
            }
            have_current = 0;
            segment_label = NULL;
            continue;
        }
        if (l->kind == LABEL_NAMED) {
            snprintf(o->name, sizeof o->name, "%s", l->name);
            snprintf(o->role, sizeof o->role, "%s", l->role);
            snprintf(o->firm, sizeof o->firm, "%s", l->firm);
            o->name_source = SPEAKER_NAME_LABEL;
            announcement own;
            if (have_pending && same_name(pending.name, l->name)) {
                current = pending;
                have_current = 1;
                have_pending = 0;
            } else if (!o->firm[0] && find_announcement(turns[t].text,
                                                        strcspn(turns[t].text, ".") + 1 < turns[t].len
                                                            ? strcspn(turns[t].text, ".") + 1
                                                            : turns[t].len,
                                                        &own) &&
                       same_name(own.name, l->name)) {
                current = own; /* an analyst who opens with "Kyle Evans, Stephens." */
                have_current = 1;
            }
            if (have_current && same_name(current.name, l->name) && !o->firm[0])
                snprintf(o->firm, sizeof o->firm, "%s", current.firm);
            continue;
        }
        if (!is_anonymous(l))
            continue; /* remarks before any label */

        int executive = l->kind == LABEL_NUMBERED && l->number >= 0 &&
                        l->number < MAX_NUMBERED && handoff[l->number][0];
        if (have_pending && !executive) {
            current = pending;
            have_current = 1;
            have_pending = 0;
            segment_label = l->label;
            stand_in_checked = 0;
            stand_in[0] = '\0';
        }
        if (have_current && segment_label && strcmp(segment_label, l->label) == 0) {
            if (!stand_in_checked) {
                find_stand_in(turns[t].text, turns[t].len, stand_in, sizeof stand_in);
                stand_in_checked = 1;
            }
            snprintf(o->name, sizeof o->name, "%s", stand_in[0] ? stand_in : current.name);
            snprintf(o->firm, sizeof o->firm, "%s", current.firm);
            snprintf(o->role, sizeof o->role, "%s",
                     l->kind == LABEL_ROLE_ONLY ? l->role : "Analyst");
            o->name_source = SPEAKER_NAME_RESOLVED;
            continue;
        }
        if (l->kind == LABEL_ROLE_ONLY) {
            snprintf(o->role, sizeof o->role, "%s", l->role);
            const roster_entry *e = roster_by_role(&r, l->role);
            if (e) {
                snprintf(o->name, sizeof o->name, "%s", e->name);
                o->name_source = SPEAKER_NAME_RESOLVED;
            }
        } else if (executive) {
            const roster_entry *e = roster_by_name(&r, handoff[l->number]);
            assert(e); /* hand-offs were only recorded when the roster knew the name */
            snprintf(o->name, sizeof o->name, "%s", e->name);
            snprintf(o->role, sizeof o->role, "%s", e->role);
            o->name_source = SPEAKER_NAME_RESOLVED;
        }
    }
#undef IS_OPERATOR
}
