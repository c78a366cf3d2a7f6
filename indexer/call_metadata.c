#include "call_metadata.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const month_names[] = {"January", "February", "March", "April",
                                          "May", "June", "July", "August",
                                          "September", "October", "November", "December"};

size_t call_metadata_parse_date(const char *text, size_t len, char out[11])
{
    /* Tried at every word of the opening lines: reject non-months at once. */
    if (len < 5 || !isalpha((unsigned char)text[0]))
        return 0;
    int first = toupper((unsigned char)text[0]);
    for (int m = 0; m < 12; m++) {
        if (month_names[m][0] != first)
            continue;
        size_t ml = strlen(month_names[m]);
        size_t i = 0;
        if (len > ml && strncasecmp(text, month_names[m], ml) == 0)
            i = ml;
        else if (len > 4 && strncasecmp(text, month_names[m], 3) == 0 && text[3] == '.')
            i = 4; /* "Nov. 2, 2006" */
        else
            continue;
        if (i >= len || text[i] != ' ')
            continue;
        i++;
        int day = 0, digits = 0;
        while (i < len && isdigit((unsigned char)text[i]) && digits < 2) {
            day = day * 10 + (text[i++] - '0');
            digits++;
        }
        if (digits == 0 || day < 1 || day > 31)
            continue;
        if (i < len && text[i] == ',')
            i++;
        if (i >= len || text[i] != ' ')
            continue;
        i++;
        int year = 0;
        digits = 0;
        while (i < len && isdigit((unsigned char)text[i]) && digits < 4) {
            year = year * 10 + (text[i++] - '0');
            digits++;
        }
        if (digits != 4 || (i < len && isdigit((unsigned char)text[i])) || year < 1900)
            continue;
        const int fields[3][2] = {{year, 4}, {m + 1, 2}, {day, 2}};
        size_t o = 0;
        for (int f = 0; f < 3; f++) { /* "YYYY-MM-DD", written by hand: the sizes are exact */
            int v = fields[f][0];
            for (int d = fields[f][1] - 1; d >= 0; d--, v /= 10)
                out[o + (size_t)d] = (char)('0' + v % 10);
            o += (size_t)fields[f][1];
            if (f < 2)
                out[o++] = '-';
        }
        out[o] = '\0';
        return i;
    }
    return 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/*
 * "使用警語" (usage warning) and "Google 翻譯" (translation) mark the
 * translation notice.  Every line of every file passes through here, so the
 * search runs on the caseless CJK bytes and checks the ASCII
 * part only around a hit.
 */
static const char *find_bytes(const char *s, size_t len, const char *needle, size_t nl)
{
    const char *end = s + len;
    while ((size_t)(end - s) >= nl && (s = memchr(s, needle[0], (size_t)(end - s) - nl + 1)) != NULL) {
        if (memcmp(s, needle, nl) == 0)
            return s;
        s++;
    }
    return NULL;
}

static int is_disclaimer(const char *s, size_t len)
{
    static const char warning[] = "\xE4\xBD\xBF\xE7\x94\xA8\xE8\xAD\xA6\xE8\xAA\x9E";
    static const char translation[] = "\xE7\xBF\xBB\xE8\xAD\xAF";
    if (find_bytes(s, len, warning, sizeof warning - 1))
        return 1;
    const char *end = s + len;
    for (const char *p = s; (p = find_bytes(p, (size_t)(end - p), translation, sizeof translation - 1)) != NULL; p++)
        if (p - s >= 7 && strncasecmp(p - 7, "Google ", 7) == 0)
            return 1;
    return 0;
}

int call_metadata_is_note_line(const char *line, size_t len)
{
    trim(&line, &len);
    if (len == 0)
        return 0;
    if (is_disclaimer(line, len))
        return 1;
    if (len == 12 && memcmp(line, "\xE5\xAE\x8C\xE6\x95\xB4\xE5\x8E\x9F\xE6\x96\x87", 12) == 0)
        return 1; /* 完整原文, "full original text" */
    if ((len == 10 && strncasecmp(line, "Transcript", 10) == 0) ||
        (len == 11 && strncasecmp(line, "Transcript:", 11) == 0))
        return 1;
    char date[11];
    size_t used = call_metadata_parse_date(line, len, date);
    return used > 0 && used == len;
}

static const char *const ordinals[] = {"first", "second", "third", "fourth"};

/* Reads a four-digit year at s[i..len) that is a whole word; returns it or 0. */
static int year_at(const char *s, size_t len, size_t i)
{
    if (i + 4 > len || (i > 0 && isalnum((unsigned char)s[i - 1])))
        return 0;
    int y = 0;
    for (size_t k = 0; k < 4; k++) {
        if (!isdigit((unsigned char)s[i + k]))
            return 0;
        y = y * 10 + (s[i + k] - '0');
    }
    if (i + 4 < len && isalnum((unsigned char)s[i + 4]))
        return 0;
    return (y >= 1950 && y <= 2100) ? y : 0;
}

/*
 * Finds a fiscal period in s: "Q3 2006", "2006 Q3", "first quarter 2006",
 * "first-quarter 2014", "second quarter of 2007", "Third Quarter 2006".
 * Sets *quarter (and *year when stated).  When want_quarter is nonzero only
 * a mention of that quarter counts.  Returns the offset just past the
 * match, or 0 when there is none.
 */
static size_t find_period(const char *s, size_t len, int want_quarter, int *quarter, int *year)
{
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && isalnum((unsigned char)s[i - 1]))
            continue;
        int q = 0;
        size_t after = i;
        if ((s[i] == 'Q' || s[i] == 'q') && i + 1 < len && s[i + 1] >= '1' && s[i + 1] <= '4' &&
            (i + 2 == len || !isalnum((unsigned char)s[i + 2]))) {
            q = s[i + 1] - '0';
            after = i + 2;
            int y = 0;
            if (after + 1 < len && s[after] == ' ')
                y = year_at(s, len, after + 1);
            if (!y && i >= 5 && s[i - 1] == ' ')
                y = year_at(s, len, i - 5);
            if (want_quarter && q != want_quarter)
                continue;
            *quarter = q;
            *year = y;
            return after;
        }
        for (int k = 0; k < 4 && !q; k++) {
            size_t ol = strlen(ordinals[k]);
            if (i + ol + 8 <= len && strncasecmp(s + i, ordinals[k], ol) == 0 &&
                (s[i + ol] == ' ' || s[i + ol] == '-') &&
                strncasecmp(s + i + ol + 1, "quarter", 7) == 0) {
                q = k + 1;
                after = i + ol + 8;
            }
        }
        if (!q || (want_quarter && q != want_quarter))
            continue;
        size_t j = after;
        if (j + 1 < len && s[j] == ' ')
            j++;
        if (j + 3 <= len && strncasecmp(s + j, "of ", 3) == 0)
            j += 3;
        if (j + 7 <= len && strncasecmp(s + j, "fiscal ", 7) == 0)
            j += 7;
        *quarter = q;
        *year = year_at(s, len, j);
        return *year ? j + 4 : after;
    }
    return 0;
}

/* Company from a title: the text before " - ", " Inc", " (" or the first period mention. */
static void company_from_title(const char *t, char *company, size_t cap, char *ticker, size_t tcap)
{
    size_t len = strlen(t);
    const char *open = strchr(t, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (open && close && close - open - 1 >= 1 && close - open - 1 <= 6) {
        int upper = 1;
        for (const char *p = open + 1; p < close; p++)
            if (!isupper((unsigned char)*p) && *p != '.')
                upper = 0;
        if (upper)
            snprintf(ticker, tcap, "%.*s", (int)(close - open - 1), open + 1);
    }
    size_t end = len;
    const char *stops[] = {" - ", " Inc", " (", ",", " Q1", " Q2", " Q3", " Q4", " Earnings"};
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
        const char *p = strstr(t, stops[k]);
        if (p && (size_t)(p - t) < end)
            end = (size_t)(p - t);
    }
    for (size_t i = 0; i + 4 <= end; i++)
        if (year_at(t, len, i)) {
            end = i;
            break;
        }
    while (end && t[end - 1] == ' ')
        end--;
    if (end > 0 && end < cap)
        snprintf(company, cap, "%.*s", (int)end, t);
}

/* Company from a welcome: "Welcome to LivePerson's first quarter", "to the LivePerson first-quarter". */
static void company_from_welcome(const char *s, size_t len, char *company, size_t cap)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (strncasecmp(s + i, "to ", 3) != 0 || (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        size_t j = i + 3;
        if (j + 4 <= len && strncasecmp(s + j, "the ", 4) == 0)
            j += 4;
        size_t start = j;
        if (start >= len || !(isupper((unsigned char)s[start]) || (unsigned char)s[start] >= 0x80))
            continue;
        /* The company is at most five words, then an ordinal quarter. */
        for (int words = 0; words < 5 && j < len; words++) {
            size_t w = j;
            while (j < len && s[j] != ' ')
                j++;
            size_t end = j;
            if (end - w >= 2 && s[end - 1] == 's' && s[end - 2] == '\'')
                end -= 2;
            else if (end - w >= 4 && s[end - 1] == 's' && memcmp(s + end - 4, "\xE2\x80\x99", 3) == 0)
                end -= 4;
            if (j + 1 >= len)
                break;
            int q, y;
            const char *after = s + j + 1;
            size_t rest = len - j - 1;
            for (int k = 0; k < 4; k++) {
                size_t ol = strlen(ordinals[k]);
                if (rest > ol && strncasecmp(after, ordinals[k], ol) == 0 &&
                    find_period(after, rest < 40 ? rest : 40, 0, &q, &y) && end > start &&
                    end - start < cap) {
                    snprintf(company, cap, "%.*s", (int)(end - start), s + start);
                    return;
                }
            }
            j++;
        }
    }
}

/* "liveperson-2007-q2.txt", "LPSN_2007_Q2.txt": a year and a quarter in the file name. */
static void period_from_file_name(const char *name, int *quarter, int *year)
{
    size_t len = strlen(name);
    for (size_t i = 0; i + 4 <= len; i++) {
        int y = year_at(name, len, i);
        if (!y)
            continue;
        for (size_t k = 0; k + 1 < len; k++)
            if ((name[k] == 'q' || name[k] == 'Q') && name[k + 1] >= '1' && name[k + 1] <= '4' &&
                (k == 0 || !isalpha((unsigned char)name[k - 1])) &&
                (k + 2 == len || !isdigit((unsigned char)name[k + 2]))) {
                *year = y;
                *quarter = name[k + 1] - '0';
                return;
            }
    }
}

void call_metadata_detect(const char *const *notes, size_t note_count,
                          const char *const *texts, const size_t *text_lens,
                          size_t text_count, const char *file_name, call_metadata *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < note_count; i++) {
        const char *s = notes[i];
        size_t len = strlen(s);
        trim(&s, &len);
        char date[11];
        size_t used = call_metadata_parse_date(s, len, date);
        if (used == len && used > 0) {
            if (!out->date[0])
                memcpy(out->date, date, sizeof date);
            continue;
        }
        if (call_metadata_is_note_line(s, len))
            continue;
        if (!out->title[0] && len < sizeof out->title) {
            snprintf(out->title, sizeof out->title, "%.*s", (int)len, s);
            int q = 0, y = 0;
            if (find_period(s, len, 0, &q, &y)) {
                out->quarter = q;
                out->year = y;
            }
            company_from_title(out->title, out->company, sizeof out->company, out->ticker,
                               sizeof out->ticker);
        }
    }
    /* The welcome and opening remarks: the first few turns only, since later
     * remarks discuss other periods and dates. */
    size_t opening = text_count < 3 ? text_count : 3;
    for (size_t t = 0; t < opening; t++) {
        const char *s = texts[t];
        size_t len = text_lens[t];
        if (!out->company[0])
            company_from_welcome(s, len, out->company, sizeof out->company);
        if (!out->date[0]) {
            for (size_t i = 0; i < len; i++)
                if ((i == 0 || s[i - 1] == ' ') &&
                    call_metadata_parse_date(s + i, len - i, out->date))
                    break;
        }
        if (!out->quarter || !out->year) {
            int q = 0, y = 0;
            if (find_period(s, len, out->quarter, &q, &y)) {
                out->quarter = q;
                if (!out->year)
                    out->year = y;
            }
        }
    }
    /* A year-less welcome ("second quarter earnings call"): the remarks
     * usually say "during the second quarter of 2007" soon after. */
    for (size_t t = 0; t < text_count && t < 8 && out->quarter && !out->year; t++) {
        size_t off = 0, used;
        int q, y;
        while (off < text_lens[t] &&
               (used = find_period(texts[t] + off, text_lens[t] - off, out->quarter, &q, &y)) > 0) {
            if (y) {
                out->year = y;
                break;
            }
            off += used;
        }
    }
    if (!out->quarter || !out->year) {
        int q = 0, y = 0;
        period_from_file_name(file_name, &q, &y);
        if (!out->quarter && q)
            out->quarter = q;
        if (!out->year && y && (!out->quarter || out->quarter == q))
            out->year = y;
    }
}
