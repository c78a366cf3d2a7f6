#include "speaker_label.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Words that make the part after " - " a job title.  Compared case-insensitively. */
static const char *const role_words[] = {
    "analyst", "ceo", "cfo", "coo", "cto", "cmo", "cio", "cro", "cso", "evp", "svp", "vp",
    "president", "chairman", "chairwoman", "chair", "chief", "officer", "director",
    "founder", "co-founder", "treasurer", "controller", "secretary", "counsel", "head",
    "manager", "partner", "executive", "investor", "relations", "ir", "operator",
    "moderator", "host", "participant", "principal", "associate", "strategist",
    "economist", "vice", "general", "senior", "finance", "financial", "accounting",
    "operations", "marketing", "sales", "technology", "product", "research", "md",
    "shareholder", "representative", "spokesperson", "attendee", "corporate",
    "communications", "development", "strategy", "legal", "board", "member",
};

/*
 * The resolver asks about every word of every turn it scans, so the role
 * words sit in a small hash table built once (pthread_once: indexing
 * threads call this concurrently).  Keys are folded to lower case.
 */
#define ROLE_SLOTS 256
static const char *role_slot[ROLE_SLOTS];
static pthread_once_t role_once = PTHREAD_ONCE_INIT;

static unsigned role_hash(const char *lower, size_t len)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)lower[i]) * 16777619u;
    return h & (ROLE_SLOTS - 1);
}

static void build_role_slots(void)
{
    for (size_t i = 0; i < sizeof role_words / sizeof role_words[0]; i++) {
        unsigned h = role_hash(role_words[i], strlen(role_words[i]));
        while (role_slot[h])
            h = (h + 1) & (ROLE_SLOTS - 1);
        role_slot[h] = role_words[i];
    }
}

int speaker_label_is_role_word(const char *word, size_t len)
{
    char lower[16];
    if (len == 0 || len >= sizeof lower)
        return 0;
    for (size_t i = 0; i < len; i++)
        lower[i] = (char)tolower((unsigned char)word[i]);
    pthread_once(&role_once, build_role_slots);
    for (unsigned h = role_hash(lower, len); role_slot[h]; h = (h + 1) & (ROLE_SLOTS - 1))
        if (strlen(role_slot[h]) == len && memcmp(role_slot[h], lower, len) == 0)
            return 1;
    return 0;
}

size_t speaker_label_bullet_length(const char *line, size_t len)
{
    static const char *const bullets[] = {"\xE2\x80\xA2", "\xE2\x97\x8F", "\xE2\x96\xAA",
                                          "\xE2\x97\xA6", "\xE2\x80\xA3", "\xC2\xB7", "*"};
    for (size_t i = 0; i < sizeof bullets / sizeof bullets[0]; i++) {
        size_t n = strlen(bullets[i]);
        if (len > n && memcmp(line, bullets[i], n) == 0 && (line[n] == ' ' || line[n] == '\t'))
            return n + 1;
    }
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

/* Copies s[0..len) into dst (SPEAKER_LABEL_MAX_BYTES + 1), collapsing runs of
 * spaces and removing the space some sources put before commas. */
static void copy_normalized(char *dst, const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < SPEAKER_LABEL_MAX_BYTES; i++) {
        char c = s[i] == '\t' ? ' ' : s[i];
        if (c == ' ' && (n == 0 || dst[n - 1] == ' '))
            continue;
        if (c == ',' && n > 0 && dst[n - 1] == ' ')
            n--;
        dst[n++] = c;
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

/* The role part: a few words, at least one of them a job word, no sentence punctuation. */
static int looks_like_role(const char *s, size_t len)
{
    if (len == 0 || len > 80)
        return 0;
    int job_words = 0, words = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (is_space(s[i]) || s[i] == ',' || s[i] == '&' || s[i] == '/'))
            i++;
        size_t start = i;
        while (i < len && !is_space(s[i]) && s[i] != ',' && s[i] != '&' && s[i] != '/')
            i++;
        if (i == start)
            break;
        const char *w = s + start;
        size_t wl = i - start;
        if (memchr(w, '.', wl) || memchr(w, '?', wl) || memchr(w, '!', wl) ||
            memchr(w, ';', wl) || memchr(w, ':', wl) || memchr(w, '"', wl))
            return 0;
        words++;
        if (speaker_label_is_role_word(w, wl))
            job_words++;
        else if (!(isupper((unsigned char)w[0]) || (wl <= 3 && islower((unsigned char)w[0]))))
            return 0; /* "of", "and", "for" may join title words; other lowercase words may not */
    }
    return job_words > 0 && words <= 8;
}

/* Particles that may be lowercase inside a person's name. */
static int is_name_particle(const char *w, size_t len)
{
    static const char *const particles[] = {"van", "von", "de", "da", "del", "der", "di",
                                            "la", "le", "du", "dos", "bin", "al", "ten"};
    for (size_t i = 0; i < sizeof particles / sizeof particles[0]; i++)
        if (strlen(particles[i]) == len && memcmp(particles[i], w, len) == 0)
            return 1;
    return 0;
}

/*
 * A person's name or a firm: one to six words, each starting with an
 * uppercase letter (or a non-ASCII letter, which we accept rather than
 * classify), apart from name particles; no digits-only words, no sentence
 * punctuation other than initials' periods.
 */
static int looks_like_name(const char *s, size_t len)
{
    if (len == 0 || len > 80)
        return 0;
    int words = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        size_t start = i;
        while (i < len && !is_space(s[i]))
            i++;
        if (i == start)
            break;
        const char *w = s + start;
        size_t wl = i - start;
        unsigned char first = (unsigned char)w[0];
        words++;
        if (memchr(w, '?', wl) || memchr(w, '!', wl) || memchr(w, ';', wl) ||
            memchr(w, ':', wl) || memchr(w, '"', wl))
            return 0;
        if (w[wl - 1] == '.' && wl > 3 && !(wl == 3 && isupper(first)))
            return 0; /* "J." and "Jr." are initials or suffixes; "said." ends a sentence */
        if (isupper(first) || first >= 0x80)
            continue;
        if (is_name_particle(w, wl))
            continue;
        return 0;
    }
    return words >= 1 && words <= 6;
}

/* Finds the next " - " (or " – ", an en dash) separator at or after from. */
static const char *find_separator(const char *s, size_t len, size_t from, size_t *sep_len)
{
    for (size_t i = from; i + 2 < len + 1 && i < len; i++) {
        if (s[i] == '-' && i + 1 < len && is_space(s[i + 1]) && i > 0 && is_space(s[i - 1])) {
            *sep_len = 1;
            return s + i;
        }
        if (i + 2 < len && memcmp(s + i, "\xE2\x80\x93", 3) == 0 && i > 0 && is_space(s[i - 1])) {
            *sep_len = 3;
            return s + i;
        }
    }
    return NULL;
}

static int parse_numbered(const char *s, size_t len, speaker_label *out)
{
    static const char prefix[] = "Speaker ";
    size_t plen = sizeof prefix - 1;
    if (len <= plen || strncasecmp(s, prefix, plen) != 0)
        return 0;
    size_t i = plen;
    int number = 0;
    size_t digits = 0;
    while (i < len && isdigit((unsigned char)s[i]) && digits < 6) {
        number = number * 10 + (s[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0)
        return 0;
    if (i < len && s[i] == ':')
        i++;
    if (i != len)
        return 0;
    out->kind = LABEL_NUMBERED;
    out->number = number;
    return 1;
}

int speaker_label_parse(const char *line, size_t len, speaker_label *out)
{
    memset(out, 0, sizeof *out);
    out->kind = LABEL_NONE;
    out->number = -1;
    trim(&line, &len);
    size_t bullet = speaker_label_bullet_length(line, len);
    line += bullet;
    len -= bullet;
    trim(&line, &len);
    if (len == 0 || len > SPEAKER_LABEL_MAX_BYTES)
        return LABEL_NONE;
    /* A trailing colon is a common label style ("Operator:"); it never ends a label's meaning. */
    size_t body = len;
    if (line[body - 1] == ':')
        body--;

    if ((body == 8 && strncasecmp(line, "Operator", 8) == 0)) {
        out->kind = LABEL_OPERATOR;
        copy_normalized(out->role, "Operator", 8);
    } else if (parse_numbered(line, body, out)) {
        /* kind and number set */
    } else if (body >= 3 && line[0] == '-' && is_space(line[1])) {
        const char *role = line + 2;
        size_t rlen = body - 2;
        trim(&role, &rlen);
        if (!looks_like_role(role, rlen))
            return LABEL_NONE;
        out->kind = LABEL_ROLE_ONLY;
        copy_normalized(out->role, role, rlen);
    } else {
        size_t sep_len;
        const char *sep = find_separator(line, body, 1, &sep_len);
        if (!sep)
            return LABEL_NONE;
        const char *name = line;
        size_t nlen = (size_t)(sep - line);
        const char *rest = sep + sep_len;
        size_t rlen = body - (size_t)(rest - line);
        trim(&name, &nlen);
        trim(&rest, &rlen);
        const char *firm = NULL;
        size_t flen = 0;
        size_t sep2_len;
        const char *sep2 = find_separator(rest, rlen, 1, &sep2_len);
        if (sep2) { /* "Name - Firm - Role" */
            firm = rest;
            flen = (size_t)(sep2 - rest);
            trim(&firm, &flen);
            const char *role = sep2 + sep2_len;
            rlen = rlen - (size_t)(role - rest);
            rest = role;
            trim(&rest, &rlen);
            if (!looks_like_name(firm, flen))
                return LABEL_NONE;
        }
        if (!looks_like_name(name, nlen) || !looks_like_role(rest, rlen))
            return LABEL_NONE;
        out->kind = LABEL_NAMED;
        copy_normalized(out->name, name, nlen);
        copy_normalized(out->role, rest, rlen);
        if (firm)
            copy_normalized(out->firm, firm, flen);
    }
    memcpy(out->label, line, body); /* kept as written: users search and display the original */
    out->label[body] = '\0';
    assert(out->kind != LABEL_NONE);
    return out->kind;
}
