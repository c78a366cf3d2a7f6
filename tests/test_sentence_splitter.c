/*
 * Tests for indexer/sentence_splitter.c: one test per segmentation rule,
 * passages copied verbatim from the bundled transcripts with hand-checked
 * sentences, and robustness on hostile or huge input.
 */
#include "test.h"

#include "alloc.h"
#include "lpsearch.h"
#include "sentence_splitter.h"

/* ---- Helpers ------------------------------------------------------------- */

/* Whitespace as the splitter trims it: ASCII blanks and U+00A0. */
static int is_blank_byte(const char *text, size_t len, size_t b)
{
    unsigned char c = (unsigned char)text[b];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
        return 1;
    return (c == 0xC2 && b + 1 < len && (unsigned char)text[b + 1] == 0xA0) ||
           (c == 0xA0 && b > 0 && (unsigned char)text[b - 1] == 0xC2);
}

/* Every span from index first on lies in the text, is non-empty, trimmed and
 * after the previous one, and every non-blank byte is inside some span. */
static void check_invariants(const char *text, size_t len, const sentence_spans *sp, size_t first)
{
    size_t covered = 0;
    for (size_t k = first; k <= sp->count; k++) {
        size_t gap_end = k < sp->count ? sp->items[k].start : len;
        assert_true(gap_end >= covered);
        for (size_t b = covered; b < gap_end; b++)
            if (!is_blank_byte(text, len, b))
                fail_msg("byte %zu (0x%02x) is outside every sentence", b, (unsigned char)text[b]);
        if (k == sp->count)
            break;
        sentence_span s = sp->items[k];
        assert_true(s.start < s.end);
        assert_true(s.end <= len);
        assert_false(is_blank_byte(text, len, s.start));
        assert_false(is_blank_byte(text, len, s.end - 1));
        covered = s.end;
    }
}

/* Splits text and compares the sentences with expected (NULL-terminated). */
static void expect_sentences_len(const char *text, size_t len, const char *const *expected)
{
    sentence_spans sp = { 0 };
    assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
    check_invariants(text, len, &sp, 0);

    size_t n_expected = 0;
    while (expected[n_expected])
        n_expected++;
    if (sp.count != n_expected) {
        for (size_t k = 0; k < sp.count; k++)
            print_message("  [%zu] \"%.*s\"\n", k, (int)(sp.items[k].end - sp.items[k].start),
                          text + sp.items[k].start);
        sentence_spans_free(&sp);
        fail_msg("expected %zu sentences, got the %zu above", n_expected, sp.count);
    }
    for (size_t k = 0; k < n_expected; k++) {
        char *got = lps_strndup(text + sp.items[k].start, sp.items[k].end - sp.items[k].start);
        assert_non_null(got);
        if (strcmp(got, expected[k]) != 0)
            print_message("sentence %zu differs\n", k);
        assert_string_equal(got, expected[k]);
        lps_free(got);
    }
    sentence_spans_free(&sp);
}

static void expect_sentences(const char *text, const char *const *expected)
{
    expect_sentences_len(text, strlen(text), expected);
}

#define EXPECT(text, ...) expect_sentences((text), (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_NONE(text) expect_sentences((text), (const char *const[]){ NULL })

/* ---- One test per rule ---------------------------------------------------- */

static void test_basic_terminators(void **state)
{
    (void)state;
    EXPECT("Hello there. How are you? Great!", "Hello there.", "How are you?", "Great!");
    EXPECT("Really?! We did it!!! Wow.", "Really?!", "We did it!!!", "Wow.");
    /* '?' and '!' break whatever follows them. */
    EXPECT("Is that right? and then what", "Is that right?", "and then what");
}

static void test_closing_quotes_and_brackets(void **state)
{
    (void)state;
    EXPECT("He said \"it works.\" Then we left.", "He said \"it works.\"", "Then we left.");
    EXPECT("answers in writing.\xE2\x80\x9D We\xE2\x80\x99re starting",
           "answers in writing.\xE2\x80\x9D", "We\xE2\x80\x99re starting");
    EXPECT("(We agree.) Next step? [Yes.] Done.", "(We agree.)", "Next step?", "[Yes.]", "Done.");
    EXPECT("It was 'great.' And so", "It was 'great.'", "And so");
}

static void test_numbers_and_money(void **state)
{
    (void)state;
    EXPECT("Revenue was $6.9 million, up 10.5% with EPS of $0.03. Units hit 1,500,000.0 and the "
           "2.0 version shipped.",
           "Revenue was $6.9 million, up 10.5% with EPS of $0.03.",
           "Units hit 1,500,000.0 and the 2.0 version shipped.");
    /* A number at the end of a sentence still ends it. */
    EXPECT("The quarter ended March 31. For the quarter we grew. 2007 will be better.",
           "The quarter ended March 31.", "For the quarter we grew.", "2007 will be better.");
    EXPECT("Visit Apple.com today. It works.", "Visit Apple.com today.", "It works.");
}

static void test_titles_never_break(void **state)
{
    (void)state;
    EXPECT("We met Mr. Smith and Mrs. Jones. Then Dr. Lee, Ms. Park and Prof. Adams spoke.",
           "We met Mr. Smith and Mrs. Jones.", "Then Dr. Lee, Ms. Park and Prof. Adams spoke.");
    /* Even before a word that usually starts a sentence. */
    EXPECT("Please welcome Dr. The Great.", "Please welcome Dr. The Great.");
    EXPECT("St. Louis is nice. Bob Smith Jr. and John Doe Sr. came.",
           "St. Louis is nice.", "Bob Smith Jr. and John Doe Sr. came.");
}

static void test_company_abbreviations(void **state)
{
    (void)state;
    /* Break before a common sentence starter, not before other capitals. */
    EXPECT("We signed Apple Inc. The deal is large.", "We signed Apple Inc.", "The deal is large.");
    EXPECT("Acme Co. Products sell well.", "Acme Co. Products sell well.");
    EXPECT("Big Corp. We like them. Small Ltd. Partners agree.",
           "Big Corp.", "We like them.", "Small Ltd. Partners agree.");
    EXPECT("Hoovers Inc. and Land Co. signed.", "Hoovers Inc. and Land Co. signed.");
}

static void test_continuation_abbreviations(void **state)
{
    (void)state;
    EXPECT("Revenue vs. The prior quarter rose. Tools, e.g. Chat and Voice, help. Costs, i.e. Servers, "
           "scale.",
           "Revenue vs. The prior quarter rose.", "Tools, e.g. Chat and Voice, help.",
           "Costs, i.e. Servers, scale.");
    EXPECT("It was approx. 5 million. Then it grew.", "It was approx. 5 million.", "Then it grew.");
    EXPECT("Chat vs. Voice is the question.", "Chat vs. Voice is the question.");
}

static void test_etc_rule(void **state)
{
    (void)state;
    /* "etc." is an ordinary word: it ends the sentence before a capital... */
    EXPECT("We sell chat, email, etc. So we grow.", "We sell chat, email, etc.", "So we grow.");
    /* ...and not before a lowercase word or a comma. */
    EXPECT("Chat, email, etc. are growing.", "Chat, email, etc. are growing.");
    EXPECT("Chat, email, etc., are growing.", "Chat, email, etc., are growing.");
}

static void test_number_abbreviation(void **state)
{
    (void)state;
    EXPECT("We are No. 1 in chat. No. We are not. See Vol. 2 now.",
           "We are No. 1 in chat.", "No.", "We are not.", "See Vol. 2 now.");
}

static void test_dotted_abbreviations(void **state)
{
    (void)state;
    EXPECT("We invested in the U.S. three years ago.", "We invested in the U.S. three years ago.");
    EXPECT("We grew in the U.S. We also grew abroad.", "We grew in the U.S.", "We also grew abroad.");
    EXPECT("U.K. Smartphone sales rose. At 5 p.m. Eastern we closed.",
           "U.K. Smartphone sales rose.", "At 5 p.m. Eastern we closed.");
    EXPECT("By IDC, U. S. Smartphone owners spend more.", "By IDC, U. S. Smartphone owners spend more.");
    EXPECT("the U.S., but not the U.K. It is", "the U.S., but not the U.K.", "It is");
}

static void test_initials(void **state)
{
    (void)state;
    EXPECT("J. Smith and John F. Kennedy spoke.", "J. Smith and John F. Kennedy spoke.");
    EXPECT("We chose Plan B. We won.", "We chose Plan B.", "We won.");
    /* The pronoun is not an initial. */
    EXPECT("Nobody but I. Smith agreed.", "Nobody but I.", "Smith agreed.");
}

static void test_months(void **state)
{
    (void)state;
    EXPECT("On Jan. 15 we met. Results came in Sept. The next quarter was good. Dec. Figures rose.",
           "On Jan. 15 we met.", "Results came in Sept.", "The next quarter was good.",
           "Dec. Figures rose.");
    /* Full month names are ordinary words. */
    EXPECT("It launched in May. Sales rose.", "It launched in May.", "Sales rose.");
}

static void test_ellipses(void **state)
{
    (void)state;
    EXPECT("We grew... and then it fell.", "We grew... and then it fell.");
    EXPECT("We grew... Then it fell.", "We grew...", "Then it fell.");
    EXPECT("We grew\xE2\x80\xA6 and then it fell.", "We grew\xE2\x80\xA6 and then it fell.");
    EXPECT("We grew\xE2\x80\xA6 Then it fell.", "We grew\xE2\x80\xA6", "Then it fell.");
    EXPECT("Well . . . and so . . . It ended.", "Well . . . and so . . .", "It ended.");
    /* A digit after an ellipsis is not a capitalized word. */
    EXPECT("It rose... 20% or so.", "It rose... 20% or so.");
}

static void test_dashes(void **state)
{
    (void)state;
    EXPECT("I think our -- where we think there's more", "I think our -- where we think there's more");
    EXPECT("It was -- We think -- good.", "It was -- We think -- good.");
    EXPECT("That's up to low 30s at this point, but --", "That's up to low 30s at this point, but --");
    EXPECT("Done. -- and more.", "Done. -- and more.");
    EXPECT("Done. \xE2\x80\x94 and more.", "Done. \xE2\x80\x94 and more.");
}

static void test_unterminated_tail(void **state)
{
    (void)state;
    EXPECT("First one. And the rest", "First one.", "And the rest");
    EXPECT("no punctuation at all", "no punctuation at all");
    EXPECT("   padded text   ", "padded text");
}

static void test_bracketed_notes(void **state)
{
    (void)state;
    EXPECT("Other [inaudible] marketing campaigns grew. We saw (inaudible) results. [Inaudible] by "
           "setting it.",
           "Other [inaudible] marketing campaigns grew.", "We saw (inaudible) results.",
           "[Inaudible] by setting it.");
    EXPECT("We expect an 80% (inaudible). And then", "We expect an 80% (inaudible).", "And then");
}

static void test_numbered_lists(void **state)
{
    (void)state;
    EXPECT("1. First point. 2. Second point.", "1. First point.", "2. Second point.");
    EXPECT("Two things. 1. Price. 2. Reach.", "Two things.", "1. Price.", "2. Reach.");
    /* A year at the start of a sentence is not a list number. */
    EXPECT("2006. That was the year.", "2006.", "That was the year.");
}

static void test_lowercase_continues(void **state)
{
    (void)state;
    /* A lowercase word after a period does not start a sentence (a known
     * limitation when the transcriber forgot the capital). */
    EXPECT("Costs fell approx. half. We won.", "Costs fell approx. half.", "We won.");
    EXPECT("we add two a quarter. so maybe that's it", "we add two a quarter. so maybe that's it");
    /* Words that are lowercase by brand still start a sentence. */
    EXPECT("We sold more. iPhone sales grew. eBay too.", "We sold more.", "iPhone sales grew.", "eBay too.");
}

static void test_other_sentence_starts(void **state)
{
    (void)state;
    EXPECT("We closed. $5 million came in. \xE2\x80\x9CGreat,\xE2\x80\x9D he said. (Really.)",
           "We closed.", "$5 million came in.", "\xE2\x80\x9CGreat,\xE2\x80\x9D he said.", "(Really.)");
    EXPECT("Fin. \xC3\x89lan vital. \xC3\xA9t\xC3\xA9 continues.",
           "Fin.", "\xC3\x89lan vital. \xC3\xA9t\xC3\xA9 continues.");
}

static void test_newline_is_hard_break(void **state)
{
    (void)state;
    EXPECT("first part\nsecond part. Third", "first part", "second part.", "Third");
    EXPECT("Talk to Mr.\nSmith now", "Talk to Mr.", "Smith now");
    EXPECT("\n\nalone\n\n", "alone");
    EXPECT("ends with dash --\nNext line", "ends with dash --", "Next line");
}

static void test_nbsp_is_whitespace(void **state)
{
    (void)state;
    EXPECT("\xC2\xA0It grew.\xC2\xA0We won.\xC2\xA0", "It grew.", "We won.");
}

/* ---- Passages copied verbatim from the bundled transcripts ---------------- */

static void test_transcript_joes_jeans(void **state)
{
    (void)state;
    EXPECT("One of our small business clients, its name is Joe’s Jeans, has an advertisement running "
           "right now in magazines where we show their website and the LivePerson chat room. The text "
           "of the advertisement reads “Finding the perfect jeans can often seem like a mission "
           "impossible. Luckily Joe’s Jeans has a revamped website with a newly added live chat "
           "feature. So now you can bounce your denim dilemmas off the fit expert and receive a real "
           "time response.” We’re starting to see the potential of LivePerson being viewed in much the "
           "same way as a computer maker will put “Intel Inside” on a box, in ads it’s important "
           "especially for these small retailers, to show how to differentiate themselves from their "
           "competitors and also to show that they are a high quality website, and we’re doing this by "
           "promoting the LivePerson brand.",
           "One of our small business clients, its name is Joe’s Jeans, has an advertisement running "
           "right now in magazines where we show their website and the LivePerson chat room.",
           "The text of the advertisement reads “Finding the perfect jeans can often seem like a "
           "mission impossible.",
           "Luckily Joe’s Jeans has a revamped website with a newly added live chat feature.",
           "So now you can bounce your denim dilemmas off the fit expert and receive a real time "
           "response.”",
           "We’re starting to see the potential of LivePerson being viewed in much the same way as a "
           "computer maker will put “Intel Inside” on a box, in ads it’s important especially for "
           "these small retailers, to show how to differentiate themselves from their competitors and "
           "also to show that they are a high quality website, and we’re doing this by promoting the "
           "LivePerson brand.");
}

static void test_transcript_apple_blog(void **state)
{
    (void)state;
    EXPECT("One of his comments was “I think this was a terrific idea. The Apple rep was courteous and "
           "gave me immediate, helpful replies. I found it more efficient than wading through phone "
           "menus. I also like the idea of having answers in writing. Apple, if you’re listening, "
           "here’s my vote for expanding this service to the entire Apple store, using it to offer tech "
           "support and making it more accessible.”",
           "One of his comments was “I think this was a terrific idea.",
           "The Apple rep was courteous and gave me immediate, helpful replies.",
           "I found it more efficient than wading through phone menus.",
           "I also like the idea of having answers in writing.",
           "Apple, if you’re listening, here’s my vote for expanding this service to the entire Apple "
           "store, using it to offer tech support and making it more accessible.”");
}

static void test_transcript_us_smartphone(void **state)
{
    (void)state;
    EXPECT("The consumer is already there. According to a recent study by IDC, U. S. Smartphone owners "
           "spend 84% of their communication time on digital channels such as text and social apps "
           "versus only 16% of communication through phone calls. Brands are responding to these "
           "industry forces.",
           "The consumer is already there.",
           "According to a recent study by IDC, U. S. Smartphone owners spend 84% of their "
           "communication time on digital channels such as text and social apps versus only 16% of "
           "communication through phone calls.",
           "Brands are responding to these industry forces.");
}

static void test_transcript_dashes_and_percentages(void **state)
{
    (void)state;
    EXPECT("For instance, about 2.3% of our overall chat volume is coming through mobile. About 17.5% of "
           "the traffic that we're monitoring right now -- we monitor hundreds of millions of people a "
           "month -- is coming through mobile. And of our top 25 customers deploy mobile, they see 50% "
           "higher propensity to engage when presented a chat invitation versus on the web.",
           "For instance, about 2.3% of our overall chat volume is coming through mobile.",
           "About 17.5% of the traffic that we're monitoring right now -- we monitor hundreds of "
           "millions of people a month -- is coming through mobile.",
           "And of our top 25 customers deploy mobile, they see 50% higher propensity to engage when "
           "presented a chat invitation versus on the web.");
}

static void test_transcript_money(void **state)
{
    (void)state;
    EXPECT("Thanks Tim. Good afternoon and thank you for joining us. During the first quarter of 2006 we "
           "generated revenue of $6.9 million, up 39% from a year ago, and up 9% sequentially as "
           "compared to the fourth quarter of 2005. The bottom line was in line with guidance and "
           "EBITDA per share of $0.03 and GAAP EPS Of $0.01. EPS figures include stock based "
           "compensation and expenses.",
           "Thanks Tim.", "Good afternoon and thank you for joining us.",
           "During the first quarter of 2006 we generated revenue of $6.9 million, up 39% from a year "
           "ago, and up 9% sequentially as compared to the fourth quarter of 2005.",
           "The bottom line was in line with guidance and EBITDA per share of $0.03 and GAAP EPS Of "
           "$0.01.",
           "EPS figures include stock based compensation and expenses.");
}

static void test_transcript_operator_handoffs(void **state)
{
    (void)state;
    EXPECT("As a reminder, this conference is being recorded today, May 4, 2006. Speaking on today’s "
           "conference call will be Robert LoCascio, Chief Executive Officer of LivePerson, and Tim "
           "Bixby, President and Chief Financial Officer. I would like to now turn the call over to Mr. "
           "Bixby. Please go ahead sir.",
           "As a reminder, this conference is being recorded today, May 4, 2006.",
           "Speaking on today’s conference call will be Robert LoCascio, Chief Executive Officer of "
           "LivePerson, and Tim Bixby, President and Chief Financial Officer.",
           "I would like to now turn the call over to Mr. Bixby.", "Please go ahead sir.");
    EXPECT("Joining us today for the conference are Mr. Robert LoCascio, CEO; and Mr. Dan Murphy, CFO. "
           "I'll now turn the call over to Mr. Murphy. Sir, you may begin.",
           "Joining us today for the conference are Mr. Robert LoCascio, CEO; and Mr. Dan Murphy, CFO.",
           "I'll now turn the call over to Mr. Murphy.", "Sir, you may begin.");
}

static void test_transcript_abbreviations(void **state)
{
    (void)state;
    EXPECT("Deferred revenue, as I mentioned, was up to $1.8 million, vs. the prior quarter, which is 30% "
           "up from a year ago. DSO, day sales outstanding, is very low, as is typical, running at about "
           "25 days.",
           "Deferred revenue, as I mentioned, was up to $1.8 million, vs. the prior quarter, which is "
           "30% up from a year ago.",
           "DSO, day sales outstanding, is very low, as is typical, running at about 25 days.");
    EXPECT("We’ve invested a fair amount both in the people that are there as well as a server "
           "infrastructure, so in the same way that we did a major upgrade in our investment in the U.S. "
           "three years ago when we did a major launch of the Timpani product, we’re doing the same in "
           "the UK now. So there’s a fair amount of investment that’s happening there",
           "We’ve invested a fair amount both in the people that are there as well as a server "
           "infrastructure, so in the same way that we did a major upgrade in our investment in the U.S. "
           "three years ago when we did a major launch of the Timpani product, we’re doing the same in "
           "the UK now.",
           "So there’s a fair amount of investment that’s happening there");
    EXPECT("There is some scaling in those costs, i.e., a single database server can support a fairly "
           "enormous amount of activity, so as you add on revenue there’s some scaling there.",
           "There is some scaling in those costs, i.e., a single database server can support a fairly "
           "enormous amount of activity, so as you add on revenue there’s some scaling there.");
}

static void test_transcript_etc_and_question(void **state)
{
    (void)state;
    EXPECT("Just a question, you said there was some, I think you described it as low-hanging fruit ways "
           "to improve some of Kasamba's visibility in terms of like search engine optimization, etc. So "
           "I'm just wondering if there's still some cross pollination or some efforts to work with them "
           "ahead of the integration, so that by the time you pick it up it may be in even better shape "
           "than it is today? Thanks.",
           "Just a question, you said there was some, I think you described it as low-hanging fruit "
           "ways to improve some of Kasamba's visibility in terms of like search engine optimization, "
           "etc.",
           "So I'm just wondering if there's still some cross pollination or some efforts to work with "
           "them ahead of the integration, so that by the time you pick it up it may be in even better "
           "shape than it is today?",
           "Thanks.");
}

static void test_transcript_acronyms_at_end(void **state)
{
    (void)state;
    EXPECT("The way that breaks down is about $45,000 in cost of goods, $185,000, sales and marketing; "
           "$230,000 in G&A and the balance in R&D. So, the bulk of it in G&A and sales and marketing.",
           "The way that breaks down is about $45,000 in cost of goods, $185,000, sales and marketing; "
           "$230,000 in G&A and the balance in R&D.",
           "So, the bulk of it in G&A and sales and marketing.");
    EXPECT("I guess even when we signed Bank of America, we could’ve said they would’ve been something "
           "like an HP. But it turns out they’re bigger than an HP. So, that’s a different dynamic.",
           "I guess even when we signed Bank of America, we could’ve said they would’ve been something "
           "like an HP.",
           "But it turns out they’re bigger than an HP.", "So, that’s a different dynamic.");
    EXPECT("filed from time to time by LivePerson with the Securities and Exchange Commission including "
           "our upcoming Form 10-Q. Also, please note",
           "filed from time to time by LivePerson with the Securities and Exchange Commission including "
           "our upcoming Form 10-Q.",
           "Also, please note");
}

static void test_transcript_inaudible(void **state)
{
    (void)state;
    EXPECT("No, that's not correct. It's -- Kasamba's gross margin is currently, and we expect it to be, "
           "post-acquisition, higher than our overall mix gross margin today. We expect an 80% "
           "(inaudible). And then we mentioned",
           "No, that's not correct.",
           "It's -- Kasamba's gross margin is currently, and we expect it to be, post-acquisition, "
           "higher than our overall mix gross margin today.",
           "We expect an 80% (inaudible).", "And then we mentioned");
}

static void test_transcript_lowercase_after_period(void **state)
{
    (void)state;
    /* From liveperson-2006-q3.txt: the transcriber's "quarter. so" is kept
     * as one sentence (documented limitation), and the trailing "--" ends
     * the text. */
    EXPECT("Those types of customers, I think it's safe to say, we probably add two, perhaps three, a "
           "quarter. so maybe that's up to low 30s at this point, but --",
           "Those types of customers, I think it's safe to say, we probably add two, perhaps three, a "
           "quarter. so maybe that's up to low 30s at this point, but --");
}

/* Every line of every bundled transcript, split as if it were one turn. */
static void test_bundled_transcripts_invariants(void **state)
{
    (void)state;
    static const char *const files[] = {
        "liveperson-2006-q1.txt", "liveperson-2006-q3.txt", "liveperson-2007-q2.txt",
        "liveperson-2014-q1.txt", "liveperson-2016-q1.txt",
    };
    size_t total = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        FILE *fp = fopen(test_data_path(files[f]), "rb");
        assert_non_null(fp);
        char line[65536];
        while (fgets(line, sizeof line, fp)) {
            size_t len = strlen(line);
            sentence_spans sp = { 0 };
            assert_int_equal(sentence_split(line, len, &sp), LPS_OK);
            check_invariants(line, len, &sp, 0);
            for (size_t k = 0; k < sp.count; k++) {
                /* No sentence may end right after a title. */
                const char *end = line + sp.items[k].end;
                size_t n = sp.items[k].end - sp.items[k].start;
                if (n >= 3 && (memcmp(end - 3, "Mr.", 3) == 0 || memcmp(end - 3, "Ms.", 3) == 0))
                    fail_msg("%s: sentence ends at a title: %.*s", files[f], (int)n,
                             line + sp.items[k].start);
            }
            total += sp.count;
            sentence_spans_free(&sp);
        }
        fclose(fp);
    }
    /* The five calls hold well over a thousand sentences. */
    assert_true(total > 1000);
}

/* ---- Robustness ----------------------------------------------------------- */

static void test_empty_and_whitespace(void **state)
{
    (void)state;
    sentence_spans sp = { 0 };
    assert_int_equal(sentence_split(NULL, 0, &sp), LPS_OK);
    assert_int_equal(sp.count, 0);
    assert_int_equal(sentence_split("", 0, &sp), LPS_OK);
    assert_int_equal(sp.count, 0);
    assert_int_equal(sentence_split(" \t\r\n \n\xC2\xA0  ", 10, &sp), LPS_OK);
    assert_int_equal(sp.count, 0);
    sentence_spans_free(&sp);
    EXPECT_NONE("   ");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sentence_spans sp = { 0 };
    assert_int_equal(sentence_split("x", 1, NULL), LPS_EARG);
    assert_int_equal(sentence_split(NULL, 3, &sp), LPS_EARG);
    assert_int_equal(sp.count, 0);
#if SIZE_MAX > UINT32_MAX
    /* Refused before a byte is read, so the text need not be that long. */
    assert_int_equal(sentence_split("x", SENTENCE_MAX_TEXT_BYTES + 1, &sp), LPS_ETOOBIG);
    assert_int_equal(sp.count, 0);
#endif
    sentence_spans_free(NULL);
}

static void test_huge_text_without_punctuation(void **state)
{
    (void)state;
    size_t len = 1u << 20;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, 'a', len);
    sentence_spans sp = { 0 };
    assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
    assert_int_equal(sp.count, 1);
    assert_int_equal(sp.items[0].start, 0);
    assert_int_equal(sp.items[0].end, len);
    sentence_spans_free(&sp);

    /* A megabyte word ending in a period, and a megabyte of spaces after it. */
    text[len / 2] = '.';
    memset(text + len / 2 + 1, ' ', len / 2 - 2);
    text[len - 1] = 'A';
    assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
    assert_int_equal(sp.count, 2);
    check_invariants(text, len, &sp, 0);
    sentence_spans_free(&sp);
    free(text);
}

static void test_huge_text_of_periods(void **state)
{
    (void)state;
    /* Worst cases for look-behind and look-ahead: "a. a. a. ...", ". . . ...",
     * "a.a.a.a..." and "A. A. A. ..." (initials before non-starters). */
    static const char *const units[] = { "a. ", ". ", "a.", "A. ", "Mr. ", "U.S. ", "\xE2\x80\xA6 ", "?! " };
    size_t len = 1u << 20;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ulen = strlen(units[u]);
        for (size_t k = 0; k < len; k++)
            text[k] = units[u][k % ulen];
        sentence_spans sp = { 0 };
        assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
        check_invariants(text, len, &sp, 0);
        assert_true(sp.count >= 1);
        sentence_spans_free(&sp);
    }
    free(text);
}

static void test_invalid_bytes_and_nul(void **state)
{
    (void)state;
    static const char text[] = "\xFF\xFE bad. \xC3( Next one. A\0B. C\x80. \xE2\x80 end";
    static const struct { const char *bytes; size_t len; } expected[] = {
        { "\xFF\xFE bad.", 7 }, { "\xC3( Next one.", 12 }, { "A\0B.", 4 },
        { "C\x80.", 3 }, { "\xE2\x80 end", 6 },
    };
    size_t len = sizeof text - 1;
    sentence_spans sp = { 0 };
    assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
    check_invariants(text, len, &sp, 0);
    /* Compared as bytes: a NUL inside a sentence is content. */
    assert_int_equal(sp.count, sizeof expected / sizeof expected[0]);
    for (size_t k = 0; k < sp.count; k++) {
        assert_int_equal(sp.items[k].end - sp.items[k].start, expected[k].len);
        assert_memory_equal(text + sp.items[k].start, expected[k].bytes, expected[k].len);
    }
    sentence_spans_free(&sp);

    /* Truncated multi-byte sequences at the very end must not be over-read. */
    static const char *const tails[] = { "End.\xE2", "End. \xE2\x80", "End. \xC2", "x\xE2\x80" };
    for (size_t k = 0; k < sizeof tails / sizeof tails[0]; k++) {
        char *copy = lps_strndup(tails[k], strlen(tails[k]));
        assert_int_equal(sentence_split(copy, strlen(tails[k]), &sp), LPS_OK);
        check_invariants(copy, strlen(tails[k]), &sp, 0);
        sentence_spans_free(&sp);
        lps_free(copy);
    }
}

/* Deterministic pseudo-random text over an alphabet full of the characters
 * the splitter cares about; only the invariants are checked. */
static void test_random_text_invariants(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        ".", "?", "!", "...", "\xE2\x80\xA6", " ", "  ", "\n", "\"", "'", ")", "(", "[", "]",
        "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x99", "\xC2\xA0", "Mr", "U.S", "Inc", "No", "1",
        "2006", "$6.9", "We", "the", "A", "J", "iPhone", "--", "\xFF", "\xC3", "\0", "e.g", "etc",
    };
    uint32_t seed = 12345;
    char text[512];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0;
        for (;;) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t n = p[0] ? strlen(p) : 1;
            if (len + n > sizeof text)
                break;
            memcpy(text + len, p, n);
            len += n;
        }
        sentence_spans sp = { 0 };
        assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
        check_invariants(text, len, &sp, 0);
        sentence_spans_free(&sp);
    }
}

static void test_append_to_non_empty_spans(void **state)
{
    (void)state;
    sentence_spans sp = { 0 };
    const char *a = "One. Two.";
    const char *b = "Three? Four";
    assert_int_equal(sentence_split(a, strlen(a), &sp), LPS_OK);
    assert_int_equal(sp.count, 2);
    assert_int_equal(sentence_split(b, strlen(b), &sp), LPS_OK);
    assert_int_equal(sp.count, 4);
    assert_int_equal(sp.items[0].start, 0);
    assert_int_equal(sp.items[0].end, 4);
    assert_int_equal(sp.items[1].start, 5);
    assert_int_equal(sp.items[1].end, 9);
    /* Offsets of the second call are relative to its own text. */
    assert_int_equal(sp.items[2].start, 0);
    assert_int_equal(sp.items[2].end, 6);
    assert_int_equal(sp.items[3].start, 7);
    assert_int_equal(sp.items[3].end, 11);
    check_invariants(b, strlen(b), &sp, 2);

    /* Free leaves it reusable. */
    sentence_spans_free(&sp);
    assert_null(sp.items);
    assert_int_equal(sp.count, 0);
    assert_int_equal(sp.cap, 0);
    assert_int_equal(sentence_split(a, strlen(a), &sp), LPS_OK);
    assert_int_equal(sp.count, 2);
    sentence_spans_free(&sp);
    sentence_spans_free(&sp);
}

static int fail_every_allocation(size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    return 1;
}

static void test_out_of_memory_keeps_spans(void **state)
{
    (void)state;
    sentence_spans sp = { 0 };
    assert_int_equal(sentence_split("Kept.", 5, &sp), LPS_OK);
    assert_int_equal(sp.count, 1);

    /* Enough sentences to outgrow the current capacity. */
    char text[4096];
    size_t len = 0;
    while (len + 4 <= sizeof text) {
        memcpy(text + len, "Go. ", 4);
        len += 4;
    }
    lps_alloc_set_hook(fail_every_allocation, NULL);
    int rc = sentence_split(text, len, &sp);
    lps_alloc_set_hook(NULL, NULL);
    assert_int_equal(rc, LPS_ENOMEM);
    assert_int_equal(sp.count, 1);
    assert_int_equal(sp.items[0].start, 0);
    assert_int_equal(sp.items[0].end, 5);

    /* And it still works afterwards. */
    assert_int_equal(sentence_split(text, len, &sp), LPS_OK);
    assert_true(sp.count > 1);
    sentence_spans_free(&sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_terminators),
        cmocka_unit_test(test_closing_quotes_and_brackets),
        cmocka_unit_test(test_numbers_and_money),
        cmocka_unit_test(test_titles_never_break),
        cmocka_unit_test(test_company_abbreviations),
        cmocka_unit_test(test_continuation_abbreviations),
        cmocka_unit_test(test_etc_rule),
        cmocka_unit_test(test_number_abbreviation),
        cmocka_unit_test(test_dotted_abbreviations),
        cmocka_unit_test(test_initials),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_ellipses),
        cmocka_unit_test(test_dashes),
        cmocka_unit_test(test_unterminated_tail),
        cmocka_unit_test(test_bracketed_notes),
        cmocka_unit_test(test_numbered_lists),
        cmocka_unit_test(test_lowercase_continues),
        cmocka_unit_test(test_other_sentence_starts),
        cmocka_unit_test(test_newline_is_hard_break),
        cmocka_unit_test(test_nbsp_is_whitespace),
        cmocka_unit_test(test_transcript_joes_jeans),
        cmocka_unit_test(test_transcript_apple_blog),
        cmocka_unit_test(test_transcript_us_smartphone),
        cmocka_unit_test(test_transcript_dashes_and_percentages),
        cmocka_unit_test(test_transcript_money),
        cmocka_unit_test(test_transcript_operator_handoffs),
        cmocka_unit_test(test_transcript_abbreviations),
        cmocka_unit_test(test_transcript_etc_and_question),
        cmocka_unit_test(test_transcript_acronyms_at_end),
        cmocka_unit_test(test_transcript_inaudible),
        cmocka_unit_test(test_transcript_lowercase_after_period),
        cmocka_unit_test(test_bundled_transcripts_invariants),
        cmocka_unit_test(test_empty_and_whitespace),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_huge_text_without_punctuation),
        cmocka_unit_test(test_huge_text_of_periods),
        cmocka_unit_test(test_invalid_bytes_and_nul),
        cmocka_unit_test(test_random_text_invariants),
        cmocka_unit_test(test_append_to_non_empty_spans),
        cmocka_unit_test(test_out_of_memory_keeps_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
