/*
 * The transcript reader on the five bundled calls (turns, speakers,
 * metadata, resolved names, sentence boundaries) and on small synthetic
 * transcripts for each layout rule.
 */
#include "test.h"

#include "transcript.h"

static transcript *read_bundled(const char *file)
{
    transcript *t = NULL;
    lps_error err;
    int rc = transcript_read_file(test_data_path(file), &t, &err);
    if (rc != LPS_OK) {
        char msg[2048];
        fail_msg("%s", lps_error_format(&err, msg, sizeof msg));
    }
    assert_non_null(t);
    assert_int_equal(t->warning_count, 0);
    return t;
}

static transcript *read_text(const char *text)
{
    transcript *t = NULL;
    lps_error err;
    int rc = transcript_read_memory("memory.txt", text, strlen(text), &t, &err);
    if (rc != LPS_OK) {
        char msg[2048];
        fail_msg("%s", lps_error_format(&err, msg, sizeof msg));
    }
    return t;
}

static const char *sentence_text(const transcript *t, size_t i)
{
    assert_true(i < t->sentence_count);
    return t->text + t->sentences[i].text_off;
}

/* Index of the sentence equal to text, failing when there is none. */
static size_t find_sentence(const transcript *t, const char *text)
{
    for (size_t i = 0; i < t->sentence_count; i++)
        if (strcmp(sentence_text(t, i), text) == 0)
            return i;
    fail_msg("no sentence equal to \"%s\"", text);
    return 0;
}

static size_t count_sentences_containing(const transcript *t, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < t->sentence_count; i++)
        if (strstr(sentence_text(t, i), needle))
            n++;
    return n;
}

static int has_speaker(const transcript *t, const char *label, const char *name, const char *role,
                       const char *firm)
{
#define MATCH(field, want) ((want) == NULL ? s->field == NULL : (s->field && strcmp(s->field, want) == 0))
    for (size_t i = 0; i < t->speaker_count; i++) {
        const transcript_speaker *s = &t->speakers[i];
        if (MATCH(label, label) && MATCH(name, name) && MATCH(role, role) && MATCH(firm, firm))
            return 1;
    }
    return 0;
#undef MATCH
}

#define ASSERT_SPEAKER(t, label, name, role, firm)                                              \
    do {                                                                                        \
        if (!has_speaker(t, label, name, role, firm))                                           \
            fail_msg("missing speaker label=%s name=%s role=%s firm=%s", label, name ? name : "-", \
                     role ? role : "-", firm ? firm : "-");                                     \
    } while (0)

/* Structural invariants every parsed transcript satisfies. */
static void check_invariants(const transcript *t)
{
    size_t next = 0;
    for (size_t i = 0; i < t->turn_count; i++) {
        const transcript_turn *turn = &t->turns[i];
        assert_int_equal(turn->first_sentence, next);
        assert_true(turn->speaker < t->speaker_count);
        for (uint32_t k = 0; k < turn->sentence_count; k++) {
            const transcript_sentence *s = &t->sentences[next + k];
            assert_int_equal(s->turn, i);
            assert_int_equal(s->ordinal, k);
            assert_true(s->text_len > 0);
            assert_int_equal(strlen(t->text + s->text_off), s->text_len);
            assert_null(strchr(t->text + s->text_off, '\n'));
        }
        next += turn->sentence_count;
    }
    assert_int_equal(next, t->sentence_count);
}

static void test_turn_counts(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t turns;
        int year, quarter;
        const char *date;
        const char *layout;
    } calls[] = {
        {"liveperson-2006-q1.txt", 93, 2006, 1, "2006-05-04", "named-labels"},
        {"liveperson-2006-q3.txt", 70, 2006, 3, "2006-11-02", "bulleted-labels"},
        {"liveperson-2007-q2.txt", 98, 2007, 2, NULL, "named-labels"},
        {"liveperson-2014-q1.txt", 79, 2014, 1, NULL, "role-labels"},
        {"liveperson-2016-q1.txt", 65, 2016, 1, "2016-05-04", "numbered-speakers"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        transcript *t = read_bundled(calls[i].file);
        check_invariants(t);
        if (t->turn_count != calls[i].turns)
            fail_msg("%s: %zu turns, expected %zu", calls[i].file, t->turn_count, calls[i].turns);
        assert_int_equal(t->year, calls[i].year);
        assert_int_equal(t->quarter, calls[i].quarter);
        if (calls[i].date)
            assert_string_equal(t->date, calls[i].date);
        else
            assert_null(t->date);
        assert_string_equal(t->company, "LivePerson");
        assert_string_equal(t->layout, calls[i].layout);
        assert_string_equal(t->file, calls[i].file);
        assert_true(t->sentence_count > 300);
        transcript_free(t);
    }
}

static void test_headings_become_metadata(void **state)
{
    (void)state;
    transcript *t = read_bundled("liveperson-2006-q3.txt");
    assert_string_equal(t->title, "LivePerson Inc (LPSN) 2006 Q3 \xE6\xB3\x95\xE8\xAA\xAA\xE6\x9C\x83\xE9\x80\x90\xE5\xAD\x97\xE7\xA8\xBF");
    assert_string_equal(t->ticker, "LPSN");
    assert_int_equal(t->note_count, 3); /* title, 完整原文, disclaimer */
    assert_int_equal(count_sentences_containing(t, "\xE5\xAE\x8C\xE6\x95\xB4\xE5\x8E\x9F\xE6\x96\x87"), 0);
    assert_int_equal(count_sentences_containing(t, "Google \xE7\xBF\xBB\xE8\xAD\xAF"), 0);
    assert_int_equal(count_sentences_containing(t, "Operator Instructions"), 0);
    /* "[Operator Instructions]. Our first question..." leaves no stray "." behind. */
    find_sentence(t, "Our first question comes from the site of Nathan Schneiderman from Roth Capital Partners.");
    transcript_free(t);

    t = read_bundled("liveperson-2016-q1.txt");
    assert_string_equal(t->title, "LivePerson - Earnings Call - Q1 2016");
    assert_int_equal(t->note_count, 3); /* title, date, "Transcript" */
    for (size_t i = 0; i < t->sentence_count; i++)
        assert_string_not_equal(sentence_text(t, i), "Transcript");
    transcript_free(t);

    t = read_bundled("liveperson-2014-q1.txt");
    assert_int_equal(count_sentences_containing(t, "Operator Instructions"), 0);
    assert_int_equal(count_sentences_containing(t, "\xE4\xBD\xBF\xE7\x94\xA8"), 0);
    /* No title line: one is composed from the metadata. */
    assert_string_equal(t->title, "LivePerson Q1 2014 earnings call");
    transcript_free(t);
}

static void test_named_speakers(void **state)
{
    (void)state;
    transcript *t = read_bundled("liveperson-2006-q1.txt");
    assert_int_equal(t->speaker_count, 10);
    ASSERT_SPEAKER(t, "Operator", NULL, "Operator", NULL);
    ASSERT_SPEAKER(t, "Tim Bixby - CFO", "Tim Bixby", "CFO", NULL);
    ASSERT_SPEAKER(t, "Robert LoCascio - CEO", "Robert LoCascio", "CEO", NULL);
    static const char *const analysts[] = {"Brad Whitt", "Michael Kern", "Richard Baldry",
                                           "Richard Fetyko", "Karen Haus", "Brad Muck",
                                           "Wilson Kennedy"};
    for (size_t i = 0; i < 7; i++) {
        char label[128];
        snprintf(label, sizeof label, "%s - Analyst", analysts[i]);
        ASSERT_SPEAKER(t, label, analysts[i], "Analyst", NULL);
    }
    transcript_free(t);

    t = read_bundled("liveperson-2006-q3.txt");
    assert_int_equal(t->speaker_count, 8);
    ASSERT_SPEAKER(t, "Robert LoCascio - Chairman , CEO", "Robert LoCascio", "Chairman, CEO", NULL);
    ASSERT_SPEAKER(t, "Tim Bixby - President, CFO", "Tim Bixby", "President, CFO", NULL);
    ASSERT_SPEAKER(t, "Brad Mook - Analyst", "Brad Mook", "Analyst", "Boenning & Scattergood");
    ASSERT_SPEAKER(t, "Richard Baldry - Analyst", "Richard Baldry", "Analyst", "First Albany Capital");
    transcript_free(t);

    /* Firms come from the operator ("Brad Whitt with RBC Capital Markets.") or the
     * analyst's own opening ("Kyle Evans, Stephens."). */
    t = read_bundled("liveperson-2007-q2.txt");
    assert_int_equal(t->speaker_count, 9);
    ASSERT_SPEAKER(t, "Tim Bixby - President & CFO", "Tim Bixby", "President & CFO", NULL);
    ASSERT_SPEAKER(t, "Robert LoCascio - CEO & Chairman", "Robert LoCascio", "CEO & Chairman", NULL);
    ASSERT_SPEAKER(t, "Brad Whitt - Analyst", "Brad Whitt", "Analyst", "RBC Capital Markets");
    ASSERT_SPEAKER(t, "Richard Velory - Analyst", "Richard Velory", "Analyst", "Canaccord Adams");
    ASSERT_SPEAKER(t, "Kyle Evans - Analyst", "Kyle Evans", "Analyst", "Stephens");
    transcript_free(t);
}

static void test_resolved_speakers_q1_2014(void **state)
{
    (void)state;
    transcript *t = read_bundled("liveperson-2014-q1.txt");
    /* The introduction: "Mr. Robert LoCascio, CEO; and Mr. Dan Murphy, CFO". */
    ASSERT_SPEAKER(t, "- CEO", "Robert LoCascio", "CEO", NULL);
    ASSERT_SPEAKER(t, "- CFO", "Dan Murphy", "CFO", NULL);
    /* Each analyst the operator names, with the firm. */
    static const char *const analysts[][2] = {
        {"Richard Fetyko", "ABR Investments"}, {"Koji Ketter", "Oppenheimer"},
        {"Jean Peto", "Wedbush"},               {"Richard Baldry", "Roth Capital Partners"},
        {"Brad Sills", "Maxim Group"},           {"Mike Anderson", "Credit Suisse"},
        {"Mike Latimore", "Heartland Capital Markets"},
        {"Craig Nankervis", "First Analyst"},   {"Jon Hickman", "Ladenburg"},
    };
    for (size_t i = 0; i < sizeof analysts / sizeof analysts[0]; i++)
        ASSERT_SPEAKER(t, "- Analyst", analysts[i][0], "Analyst", analysts[i][1]);
    /* "This is Koji Ketter for Brian Schwartz": the person speaking wins. */
    assert_false(has_speaker(t, "- Analyst", "Brian Schwartz", "Analyst", "Oppenheimer"));
    for (size_t i = 0; i < t->speaker_count; i++)
        if (strcmp(t->speakers[i].label, "Operator") != 0)
            assert_int_equal(t->speakers[i].name_source, SPEAKER_NAME_RESOLVED);

    /* The first analyst question belongs to Richard Fetyko, the answer to the CEO. */
    size_t q = find_sentence(t, "Congrats on the numbers.");
    const transcript_speaker *s = transcript_sentence_speaker(t, q);
    assert_string_equal(s->name, "Richard Fetyko");
    size_t a = find_sentence(t, "So on the small business side, we have the 2.0 version that just came out a couple of weeks ago.");
    assert_string_equal(transcript_sentence_speaker(t, a)->name, "Robert LoCascio");
    transcript_free(t);
}

static void test_resolved_speakers_q1_2016(void **state)
{
    (void)state;
    transcript *t = read_bundled("liveperson-2016-q1.txt");
    ASSERT_SPEAKER(t, "Speaker 0", "Liliana", "Operator", NULL);
    /* Hand-offs: "turn the call over to Robert Lecascio" and "... in more detail. Dan?" */
    ASSERT_SPEAKER(t, "Speaker 1", "Dan Murphy", "CFO", NULL);
    ASSERT_SPEAKER(t, "Speaker 2", "Rob LoCascio", "Founder & CEO", NULL);
    /* Diarization reuses numbers: Speaker 3 is two different analysts. */
    ASSERT_SPEAKER(t, "Speaker 3", "Richard Baldry", "Analyst", "ROTH Capital");
    ASSERT_SPEAKER(t, "Speaker 3", "Koji Keta", "Analyst", "Oppenheimer");
    ASSERT_SPEAKER(t, "Speaker 4", "Jeff Van Rhee", "Analyst", "Craig Hallum");
    ASSERT_SPEAKER(t, "Speaker 6", "Mark Chappell", "Analyst", "Benchmark");
    ASSERT_SPEAKER(t, "Speaker 8", "Craig McElroy", "Analyst", "First Analysis");
    /* "And you have a follow-up from Jeff Vonary from Craig Allen." (as transcribed) */
    ASSERT_SPEAKER(t, "Speaker 4", "Jeff Vonary", "Analyst", "Craig Allen");
    /* Fragments of interrupted sentences stay with the turn they were spoken in. */
    size_t frag = find_sentence(t, "of the");
    assert_string_equal(transcript_sentence_speaker(t, frag)->label, "Speaker 1");
    transcript_free(t);
}

static void test_tricky_sentence_boundaries(void **state)
{
    (void)state;
    transcript *t = read_bundled("liveperson-2006-q1.txt");
    size_t i = find_sentence(t, "Thanks Tim.");
    assert_string_equal(sentence_text(t, i + 1), "Good afternoon and thank you for joining us.");
    assert_string_equal(sentence_text(t, i + 2),
                        "During the first quarter of 2006 we generated revenue of $6.9 million, up 39% "
                        "from a year ago, and up 9% sequentially as compared to the fourth quarter of 2005.");
    assert_string_equal(sentence_text(t, i + 3),
                        "The bottom line was in line with guidance and EBITDA per share of $0.03 and GAAP EPS Of $0.01.");
    find_sentence(t, "I would like to now turn the call over to Mr. Bixby.");
    find_sentence(t, "Please go ahead sir.");
    /* A quotation that closes after the period stays with its sentence. */
    find_sentence(t, "So now you can bounce your denim dilemmas off the fit expert and receive a real time response.\xE2\x80\x9D");
    transcript_free(t);

    t = read_bundled("liveperson-2014-q1.txt");
    /* A word broken across lines: "...recently. S" + "o everything so far is going well." */
    find_sentence(t, "So everything so far is going well.");
    find_sentence(t, "About 17.5% of the traffic that we're monitoring right now -- we monitor hundreds of "
                     "millions of people a month -- is coming through mobile.");
    assert_int_equal(count_sentences_containing(t, "proactive chat"), 1);
    transcript_free(t);

    t = read_bundled("liveperson-2016-q1.txt");
    find_sentence(t, "According to a recent study by IDC, U. S. Smartphone owners spend 84% of their "
                     "communication time on digital channels such as text and social apps versus only "
                     "16% of communication through phone calls.");
    transcript_free(t);

    t = read_bundled("liveperson-2007-q2.txt");
    /* A paragraph that ends without punctuation ends its sentence. */
    find_sentence(t, "In turn, experts can sell, market their knowledge to consumers by a chat");
    transcript_free(t);
}

static void test_lines_of_a_turn_are_joined(void **state)
{
    (void)state;
    transcript *t = read_text("Operator\n"
                              "Welcome to the Acme Corp first quarter 2020 earnings call. Our speaker today is\n"
                              "Jane Doe, our CEO.\n"
                              "Jane Doe - CEO\n"
                              "Thanks.\n"
                              "Revenue grew 10% to $1.2 million\n"
                              "Margins were flat.\n");
    check_invariants(t);
    assert_int_equal(t->turn_count, 2);
    assert_int_equal(t->turns[0].sentence_count, 2);
    assert_string_equal(sentence_text(t, 1), "Our speaker today is Jane Doe, our CEO.");
    assert_int_equal(t->sentences[1].line, 2);
    assert_string_equal(sentence_text(t, 2), "Thanks.");
    assert_string_equal(sentence_text(t, 3), "Revenue grew 10% to $1.2 million");
    assert_string_equal(sentence_text(t, 4), "Margins were flat.");
    assert_int_equal(t->sentences[4].line, 7);
    assert_string_equal(t->company, "Acme Corp");
    assert_int_equal(t->quarter, 1);
    assert_int_equal(t->year, 2020);
    transcript_free(t);
}

static void test_short_sentences_are_not_labels(void **state)
{
    (void)state;
    transcript *t = read_text("Operator\nYour next question comes from Ann Lee with Big Bank.\n"
                              "- Analyst\nThanks.\nYes, sure.\n- CFO\nOK.\n");
    assert_int_equal(t->turn_count, 3);
    assert_int_equal(t->sentence_count, 4);
    ASSERT_SPEAKER(t, "- Analyst", "Ann Lee", "Analyst", "Big Bank");
    ASSERT_SPEAKER(t, "- CFO", NULL, "CFO", NULL);
    transcript_free(t);
}

static void test_empty_turns_are_kept(void **state)
{
    (void)state;
    transcript *t = read_text("Operator\nHello there.\nJohn Smith - CEO\nJohn Smith - CEO\nHi again.\n");
    assert_int_equal(t->turn_count, 3);
    assert_int_equal(t->turns[1].sentence_count, 0);
    assert_int_equal(t->turns[2].sentence_count, 1);
    transcript_free(t);
}

static void test_deterministic(void **state)
{
    (void)state;
    transcript *a = read_bundled("liveperson-2014-q1.txt");
    transcript *b = read_bundled("liveperson-2014-q1.txt");
    assert_int_equal(a->sentence_count, b->sentence_count);
    assert_int_equal(a->text_len, b->text_len);
    assert_memory_equal(a->text, b->text, a->text_len);
    assert_true(a->content_hash == b->content_hash);
    assert_true(a->content_hash != 0);
    transcript_free(a);
    transcript_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turn_counts),
        cmocka_unit_test(test_headings_become_metadata),
        cmocka_unit_test(test_named_speakers),
        cmocka_unit_test(test_resolved_speakers_q1_2014),
        cmocka_unit_test(test_resolved_speakers_q1_2016),
        cmocka_unit_test(test_tricky_sentence_boundaries),
        cmocka_unit_test(test_lines_of_a_turn_are_joined),
        cmocka_unit_test(test_short_sentences_are_not_labels),
        cmocka_unit_test(test_empty_turns_are_kept),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
