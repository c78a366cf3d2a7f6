/* Speaker label recognition: every label layout, and lines that must not be labels. */
#include "test.h"

#include "speaker_label.h"

static speaker_label parse(const char *line)
{
    speaker_label l;
    speaker_label_parse(line, strlen(line), &l);
    return l;
}

static void test_named_labels(void **state)
{
    (void)state;
    speaker_label l = parse("Tim Bixby - President & CFO");
    assert_int_equal(l.kind, LABEL_NAMED);
    assert_string_equal(l.name, "Tim Bixby");
    assert_string_equal(l.role, "President & CFO");
    assert_string_equal(l.firm, "");

    l = parse("Robert LoCascio - Chairman , CEO");
    assert_int_equal(l.kind, LABEL_NAMED);
    assert_string_equal(l.role, "Chairman, CEO");
    assert_string_equal(l.label, "Robert LoCascio - Chairman , CEO"); /* as written */

    l = parse("Tim Bixby - President, CFO");
    assert_string_equal(l.role, "President, CFO");

    l = parse("Jane van der Berg - Vice President of Investor Relations");
    assert_int_equal(l.kind, LABEL_NAMED);
    assert_string_equal(l.name, "Jane van der Berg");

    l = parse("Kyle Evans - Stephens Inc - Analyst");
    assert_int_equal(l.kind, LABEL_NAMED);
    assert_string_equal(l.name, "Kyle Evans");
    assert_string_equal(l.firm, "Stephens Inc");
    assert_string_equal(l.role, "Analyst");
}

static void test_bulleted_labels(void **state)
{
    (void)state;
    speaker_label l = parse("  \xE2\x80\xA2 Tim Bixby - President, CFO");
    assert_int_equal(l.kind, LABEL_NAMED);
    assert_string_equal(l.name, "Tim Bixby");
    l = parse("  \xE2\x80\xA2 Operator");
    assert_int_equal(l.kind, LABEL_OPERATOR);
    l = parse("* Speaker 2");
    assert_int_equal(l.kind, LABEL_NUMBERED);
    assert_int_equal(l.number, 2);
}

static void test_anonymous_labels(void **state)
{
    (void)state;
    speaker_label l = parse("- CFO");
    assert_int_equal(l.kind, LABEL_ROLE_ONLY);
    assert_string_equal(l.role, "CFO");
    assert_string_equal(l.label, "- CFO");
    l = parse("- Analyst");
    assert_int_equal(l.kind, LABEL_ROLE_ONLY);
    l = parse("Speaker 0");
    assert_int_equal(l.kind, LABEL_NUMBERED);
    assert_int_equal(l.number, 0);
    l = parse("Speaker 12:");
    assert_int_equal(l.kind, LABEL_NUMBERED);
    assert_int_equal(l.number, 12);
    l = parse("Operator");
    assert_int_equal(l.kind, LABEL_OPERATOR);
    assert_string_equal(l.role, "Operator");
    l = parse("Operator:");
    assert_int_equal(l.kind, LABEL_OPERATOR);
}

static void test_sentences_are_not_labels(void **state)
{
    (void)state;
    static const char *const remarks[] = {
        "Thanks.",
        "Yes, sure.",
        "Thank you.",
        "OK.",
        "Operator?",
        "Operator, please open the line.",
        "Speaker 3 said so.",
        "Speaker",
        "- and that is all",
        "- we grew 10%.",
        "I think our - where we think there\xE2\x80\x99s more of a potential strategic impact is us aligning",
        "Revenue - Up 10% from last year",
        "Richard Fetyko, ABR Investments.",
        "Kyle Evans, Stephens.",
        "Now I'd like to turn the call over to Rob - our CEO.",
        "",
        "   ",
    };
    for (size_t i = 0; i < sizeof remarks / sizeof remarks[0]; i++) {
        speaker_label l = parse(remarks[i]);
        if (l.kind != LABEL_NONE)
            fail_msg("taken for a label: \"%s\"", remarks[i]);
    }
}

static void test_long_line_is_not_label(void **state)
{
    (void)state;
    char line[400];
    memset(line, 'A', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    memcpy(line + 10, " - CEO", 6);
    assert_int_equal(parse(line).kind, LABEL_NONE);
}

static void test_bundled_label_counts(void **state)
{
    (void)state;
    /* Counted from the files: speaker label lines per bundled call. */
    static const struct {
        const char *file;
        int labels;
    } expected[] = {{"liveperson-2006-q1.txt", 93}, {"liveperson-2006-q3.txt", 70},
                    {"liveperson-2007-q2.txt", 98}, {"liveperson-2014-q1.txt", 79},
                    {"liveperson-2016-q1.txt", 65}};
    for (size_t i = 0; i < 5; i++) {
        FILE *f = fopen(test_data_path(expected[i].file), "r");
        assert_non_null(f);
        char line[65536];
        int labels = 0;
        while (fgets(line, sizeof line, f)) {
            size_t len = strcspn(line, "\r\n");
            speaker_label l;
            if (speaker_label_parse(line, len, &l) != LABEL_NONE)
                labels++;
        }
        fclose(f);
        if (labels != expected[i].labels)
            fail_msg("%s: %d labels, expected %d", expected[i].file, labels, expected[i].labels);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_labels),
        cmocka_unit_test(test_bulleted_labels),
        cmocka_unit_test(test_anonymous_labels),
        cmocka_unit_test(test_sentences_are_not_labels),
        cmocka_unit_test(test_long_line_is_not_label),
        cmocka_unit_test(test_bundled_label_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
