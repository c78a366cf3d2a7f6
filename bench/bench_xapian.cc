/*
 * lps-bench-xapian: the Xapian side of the query-latency comparison, the
 * second peer after SQLite FTS5 (bench/bench_fts5.c).
 *
 *   lps-bench-xapian --index DIR --db DIR [--build] [--tokens xapian|lpsearch]
 *                    [--passes N] [--threads LIST] [-k N] [--json] [--counts]
 *                    [QUERYFILE]
 *
 * --build loads every live sentence of the lpsearch index DIR (the same
 * text, docid = lpsearch's sentence id + 1) into a Xapian (glass) database
 * with positional information: the sentence's words as unprefixed terms,
 * the speaker (name and label), role, firm and company (name and ticker) as
 * prefixed terms with positions but wdf 0 (so they do not count in the
 * document length BM25 normalises by), year and quarter as boolean terms,
 * and the text as document data (lpsearch and FTS5 store it too).  Words
 * come from Xapian's TermGenerator without stemming (lpsearch's default
 * index is unstemmed), or with --tokens lpsearch from lpsearch's own
 * analyzer, so both engines hold exactly the same terms.  The database is
 * then compacted (Xapian's equivalent of FTS5's 'optimize') into DIR; the
 * build time and size are printed.
 *
 * Queries are the second column of QUERYFILE (the lpsearch query; see
 * lps-gen-queries).  Each is parsed by lpsearch's own parser (query_parse)
 * and the tree translated into a Xapian::Query, so both engines read the
 * same syntax with the same precedence; the translation is part of every
 * timed run, as parsing and planning are for lpsearch and FTS5:
 *
 *   word           a term (several tokens: OP_PHRASE, as lpsearch does)
 *   a b, AND       OP_AND;  OR: OP_OR;  a NOT b, -b: OP_AND_NOT
 *   "a b c"        OP_PHRASE, window 3
 *   NEAR(a b, N)   OP_NEAR, window N + 2 (at most N tokens between the
 *                  two outermost words); "a b"~N likewise
 *   chat*          OP_WILDCARD, at most 4096 terms (an error beyond, as
 *                  lpsearch), combined with OP_OR: each expansion scores
 *                  as a word, as in lpsearch; inside a phrase or NEAR
 *                  (which take only terms or an OP_OR of terms in Xapian
 *                  1.4) the OP_OR of the expansions, listed from the terms
 *   NEAR(a "b c")  refused: OP_NEAR cannot hold a phrase
 *   role:cfo ...   the prefixed term (several words: their OP_PHRASE), year
 *                  ranges an OP_OR of boolean terms; filters never score:
 *                  OP_FILTER beside scored parts, OP_SCALE_WEIGHT 0 alone
 *
 * Runs use the protocol of `lpsearch bench`: one warm-up pass, timed
 * passes, each query timed alone, every thread with its own Database and
 * Enquire.  Top-k is Enquire::get_mset(0, k) under BM25Weight(k1 1.2, b
 * 0.75, no minimum normalised length), reading every docid and weight;
 * count-only is an exact count, get_mset(0, 0, doccount) under BoolWeight
 * (check_at_least = doccount makes the matcher visit every match, so
 * lower bound = upper bound), the equivalent of lps_count and FTS5's
 * count(*).  --counts prints each query's count instead of timing (to
 * check the translation against `lpsearch --count`).  Output has the shape
 * of `lpsearch bench` so bench/run_benchmarks.sh can put them side by side.
 */
extern "C" {
#include "analyzer.h"
#include "index_snapshot.h"
#include "latency_stats.h"
#include "query_parser.h"
}

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

const char *const PFX_SPEAKER = "XS";
const char *const PFX_ROLE = "XR";
const char *const PFX_FIRM = "XF";
const char *const PFX_COMPANY = "XC";
const char *const PFX_YEAR = "XY";
const char *const PFX_QUARTER = "XQ";
const char *const META_TOKENS = "lps-tokens"; /* "xapian" or "lpsearch" */

const Xapian::termcount MAX_EXPANSION = 4096; /* lpsearch's QUERY_MAX_EXPANSION */
const size_t MAX_PHRASE_WORDS = 64;           /* lpsearch's phrase limit */
const Xapian::termpos FIELD_GAP = 100;        /* between a field's two values */

const char *const USAGE =
    "usage: lps-bench-xapian --index DIR --db DIR [--build] [--tokens xapian|lpsearch] [--passes N] "
    "[--threads LIST] [-k N] [--json] [--counts] [QUERYFILE]";

int die(const std::string &what, const std::string &detail = std::string())
{
    std::fprintf(stderr, "lps-bench-xapian: %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
    return 2;
}

enum class Tokens { xapian, lpsearch };

/* ---- Tokenization --------------------------------------------------------- */

/*
 * The terms of a piece of text, in order, the way the database was built:
 * Xapian's TermGenerator (unstemmed) or lpsearch's analyzer (unstemmed).
 * One per thread: neither a TermGenerator nor an analyzer is thread-safe.
 */
class Tokenizer {
public:
    explicit Tokenizer(Tokens mode) : mode_(mode)
    {
        tg_.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
        if (mode_ == Tokens::lpsearch && analyzer_create(&a_, 0) != LPS_OK)
            throw std::runtime_error("cannot create lpsearch's analyzer");
    }
    ~Tokenizer() { analyzer_free(a_); }
    Tokenizer(const Tokenizer &) = delete;
    Tokenizer &operator=(const Tokenizer &) = delete;

    Tokens mode() const { return mode_; }

    std::vector<std::string> terms(const char *text, size_t len)
    {
        std::vector<std::string> out;
        if (mode_ == Tokens::lpsearch) {
            analyzer_result r;
            if (analyzer_tokenize(a_, text, len, &r) != LPS_OK)
                throw std::runtime_error("lpsearch's analyzer failed");
            for (size_t i = 0; i < r.count; i++)
                out.emplace_back(r.terms + r.tokens[i].term_off, r.tokens[i].term_len);
            return out;
        }
        /* Plain ASCII letters and digits: TermGenerator gives the word in
         * lower case (when it is not longer than its 64-byte limit). */
        bool plain = len > 0 && len <= 64;
        for (size_t i = 0; plain && i < len; i++) {
            unsigned char c = (unsigned char)text[i];
            plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }
        if (plain) {
            std::string w(text, len);
            for (char &c : w)
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
            out.push_back(std::move(w));
            return out;
        }
        Xapian::Document d;
        tg_.set_document(d);
        tg_.set_termpos(0);
        tg_.index_text(std::string(text, len));
        std::vector<std::pair<Xapian::termpos, std::string>> at;
        for (Xapian::TermIterator t = d.termlist_begin(); t != d.termlist_end(); ++t)
            for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
                at.emplace_back(*p, *t);
        std::sort(at.begin(), at.end());
        for (auto &e : at)
            out.push_back(std::move(e.second));
        return out;
    }

    /* Indexes text into doc: with wdf 1 a token (the sentence) or wdf 0
     * (fields), from position *pos on. */
    void index(Xapian::Document &doc, const char *text, const std::string &prefix, Xapian::termcount wdf,
               Xapian::termpos *pos)
    {
        if (!text || !*text)
            return;
        if (mode_ == Tokens::xapian) {
            tg_.set_document(doc);
            tg_.set_termpos(*pos);
            tg_.index_text(text, wdf, prefix);
            *pos = tg_.get_termpos();
            return;
        }
        analyzer_result r;
        if (analyzer_tokenize(a_, text, std::strlen(text), &r) != LPS_OK)
            throw std::runtime_error("lpsearch's analyzer failed");
        for (size_t i = 0; i < r.count; i++)
            doc.add_posting(prefix + std::string(r.terms + r.tokens[i].term_off, r.tokens[i].term_len), ++*pos,
                            wdf);
    }

private:
    Tokens mode_;
    analyzer *a_ = nullptr;
    Xapian::TermGenerator tg_;
};

/* ---- Build ---------------------------------------------------------------- */

unsigned long long dir_bytes(const std::filesystem::path &dir)
{
    unsigned long long total = 0;
    for (const auto &e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            total += e.file_size();
    return total;
}

/* Removes path if it is absent or a Xapian database; refuses anything else. */
int clear_db_dir(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return 0;
    if (!std::filesystem::exists(path / "iamglass", ec) && !std::filesystem::exists(path / "iamchert", ec))
        return die("refusing to overwrite what is not a Xapian database", path.string());
    std::filesystem::remove_all(path, ec);
    return ec ? die("cannot remove the old database", ec.message()) : 0;
}

int build(const char *dir, const char *db_path, Tokens mode)
{
    index_snapshot *snap;
    lps_error err;
    if (index_snapshot_open(dir, &snap, &err) != LPS_OK) {
        char msg[2048];
        return die(lps_error_format(&err, msg, sizeof msg));
    }
    if (snap->flags & SEGMENT_FLAG_STEM_ENGLISH)
        std::fprintf(stderr, "lps-bench-xapian: warning: %s is a stemmed index; the Xapian database is not "
                             "stemmed, so counts will differ\n", dir);
    std::filesystem::path out(db_path), tmp(std::string(db_path) + ".unbuilt");
    if (clear_db_dir(out) != 0 || clear_db_dir(tmp) != 0)
        return 2;
    double t0 = latency_now();
    uint64_t rows = 0;
    try {
        Tokenizer tok(mode);
        Xapian::WritableDatabase wdb(tmp.string(), Xapian::DB_CREATE | Xapian::DB_BACKEND_GLASS);
        wdb.set_metadata(META_TOKENS, mode == Tokens::lpsearch ? "lpsearch" : "xapian");
        for (size_t s = 0; s < snap->segment_count; s++) {
            const snapshot_segment *ss = &snap->segments[s];
            text_reader tr;
            text_reader_init(&tr, ss->seg);
            for (uint32_t c = 0; c < ss->seg->call_count; c++) {
                call_record cr;
                if (segment_call(ss->seg, c, &cr) != LPS_OK)
                    return die("a call record does not decode");
                if (snapshot_is_deleted(ss, cr.first_doc))
                    continue;
                for (uint32_t t = cr.first_turn; t < cr.first_turn + cr.turn_count; t++) {
                    turn_record turn;
                    speaker_record sp;
                    if (segment_turn(ss->seg, t, &turn) != LPS_OK ||
                        segment_speaker(ss->seg, turn.speaker, &sp) != LPS_OK)
                        return die("a turn does not decode");
                    for (uint32_t d = turn.first_doc; d < turn.first_doc + turn.doc_count; d++) {
                        const char *text;
                        size_t len;
                        uint32_t line;
                        if (text_reader_get(&tr, d, &text, &len, &line) != LPS_OK)
                            return die("stored text does not decode");
                        std::string sentence(text, len);
                        Xapian::Document doc;
                        Xapian::termpos pos = 0;
                        tok.index(doc, sentence.c_str(), std::string(), 1, &pos);
                        /* Fields: positions (for multi-word values) but
                         * wdf 0, away from the text and from each other. */
                        const char *const field_text[][2] = {
                            {PFX_SPEAKER, sp.name},   {PFX_SPEAKER, sp.label}, {PFX_ROLE, sp.role},
                            {PFX_FIRM, sp.firm},      {PFX_COMPANY, cr.company}, {PFX_COMPANY, cr.ticker},
                        };
                        for (const auto &f : field_text) {
                            pos += FIELD_GAP;
                            tok.index(doc, f[1], f[0], 0, &pos);
                        }
                        if (cr.year > 0)
                            doc.add_boolean_term(PFX_YEAR + std::to_string(cr.year));
                        if (cr.quarter > 0)
                            doc.add_boolean_term(PFX_QUARTER + std::to_string(cr.quarter));
                        doc.set_data(sentence);
                        wdb.replace_document((Xapian::docid)(ss->base + d + 1), doc);
                        rows++;
                    }
                }
            }
            text_reader_free(&tr);
        }
        wdb.commit();
        wdb.close();
        double loaded = latency_now() - t0;
        Xapian::Database(tmp.string()).compact(out.string(), Xapian::DBCOMPACT_NO_RENUMBER);
        std::filesystem::remove_all(tmp);
        double secs = latency_now() - t0;
        std::printf("xapian build: %llu sentences in %.2f s (load %.2f s, compact %.2f s); database %llu bytes "
                    "(%s tokens)\n",
                    (unsigned long long)rows, secs, loaded, secs - loaded, dir_bytes(out),
                    mode == Tokens::lpsearch ? "lpsearch" : "xapian");
    } catch (const Xapian::Error &e) {
        index_snapshot_close(snap);
        return die("xapian", e.get_description());
    } catch (const std::exception &e) {
        index_snapshot_close(snap);
        return die(e.what());
    }
    index_snapshot_close(snap);
    return 0;
}

/* ---- Query translation ------------------------------------------------------ */

/* A translated subtree: empty when it analyzed to nothing (it drops out, as
 * in lpsearch); filter when it never scores (field filters). */
struct Part {
    Xapian::Query q;
    bool filter = false;
    bool empty = true;
};

Part scored(Xapian::Query q)
{
    Part p;
    p.q = std::move(q);
    p.empty = false;
    return p;
}

Xapian::Query weightless(const Part &p)
{
    return p.filter ? Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, p.q, 0.0) : p.q;
}

class Translator {
public:
    Translator(const Xapian::Database &db, Tokens mode) : db_(db), tok_(mode) {}

    Xapian::Query translate(const char *text)
    {
        query_node *ast;
        lps_error err;
        if (query_parse(text, std::strlen(text), &ast, &err) != LPS_OK) {
            char msg[2048];
            throw std::runtime_error(lps_error_format(&err, msg, sizeof msg));
        }
        std::unique_ptr<query_node, void (*)(query_node *)> hold(ast, query_node_free);
        Part p = node(ast);
        if (p.empty)
            throw std::runtime_error("the query has no words to search for");
        return weightless(p);
    }

private:
    /* A bare word or the words of a phrase: a term, a wildcard, or the
     * OP_PHRASE of several (the last one a prefix when prefix is set). */
    Part words(const char *text, size_t len, bool prefix)
    {
        std::vector<std::string> terms = tok_.terms(text, len);
        std::vector<Xapian::Query> slots = word_slots(terms, prefix, terms.size() > 1);
        if (slots.empty())
            return Part();
        if (slots.size() == 1)
            return scored(slots[0]);
        return scored(Xapian::Query(Xapian::Query::OP_PHRASE, slots.begin(), slots.end(),
                                    (Xapian::termcount)slots.size()));
    }

    /* One query per term; the last is a prefix when prefix is set: an
     * OP_WILDCARD, or, inside OP_PHRASE or OP_NEAR (positional, which in
     * Xapian 1.4 take terms or an OP_OR of terms only), the OP_OR of the
     * prefix's expansions, listed here from the term list. */
    std::vector<Xapian::Query> word_slots(const std::vector<std::string> &terms, bool prefix, bool positional)
    {
        if (terms.size() > MAX_PHRASE_WORDS)
            throw std::runtime_error("a phrase may hold at most 64 words");
        std::vector<Xapian::Query> slots;
        for (size_t i = 0; i < terms.size(); i++) {
            if (!(prefix && i + 1 == terms.size()))
                slots.emplace_back(terms[i]);
            else if (!positional)
                slots.emplace_back(Xapian::Query::OP_WILDCARD, terms[i], MAX_EXPANSION,
                                   Xapian::Query::WILDCARD_LIMIT_ERROR, Xapian::Query::OP_OR);
            else
                slots.push_back(expansions(terms[i]));
        }
        return slots;
    }

    Xapian::Query expansions(const std::string &prefix)
    {
        std::vector<Xapian::Query> terms;
        for (Xapian::TermIterator t = db_.allterms_begin(prefix); t != db_.allterms_end(prefix); ++t) {
            if (terms.size() == MAX_EXPANSION)
                throw std::runtime_error("prefix '" + prefix + "*' matches more than 4096 terms; make it longer");
            terms.emplace_back(*t);
        }
        return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
    }

    /* NEAR of single words: at most N tokens between the outermost two,
     * i.e. all within a window of N + 2 positions.  A phrase member has no
     * exact OP_NEAR equivalent (Xapian 1.4 takes terms only). */
    Part near(const std::vector<std::pair<std::string, bool>> &members, int distance)
    {
        std::vector<Xapian::Query> subs;
        for (const auto &m : members) {
            std::vector<std::string> terms = tok_.terms(m.first.data(), m.first.size());
            std::vector<Xapian::Query> slots = word_slots(terms, m.second, true);
            if (slots.empty())
                continue;
            if (slots.size() > 1)
                throw std::runtime_error("a phrase inside NEAR(...) has no Xapian equivalent (OP_NEAR takes "
                                         "terms only)");
            subs.push_back(slots[0]);
        }
        if (subs.empty())
            return Part();
        if (subs.size() == 1)
            return scored(subs[0]);
        return scored(Xapian::Query(Xapian::Query::OP_NEAR, subs.begin(), subs.end(),
                                    (Xapian::termcount)distance + 2));
    }

    Part field(const query_node *q)
    {
        Part p;
        p.filter = true;
        p.empty = false;
        const char *v = q->text;
        if (q->field == QUERY_FIELD_YEAR) {
            int lo = 0, hi = 0;
            if (std::sscanf(v, "%d..%d", &lo, &hi) != 2)
                lo = hi = std::atoi(v);
            std::vector<Xapian::Query> years;
            for (int y = lo; y <= hi; y++)
                years.emplace_back(PFX_YEAR + std::to_string(y));
            p.q = Xapian::Query(Xapian::Query::OP_OR, years.begin(), years.end());
            return p;
        }
        if (q->field == QUERY_FIELD_QUARTER) {
            int quarter = (v[0] == 'q' || v[0] == 'Q') ? std::atoi(v + 1) : std::atoi(v);
            p.q = Xapian::Query(PFX_QUARTER + std::to_string(quarter));
            return p;
        }
        const char *prefix = q->field == QUERY_FIELD_SPEAKER ? PFX_SPEAKER
                             : q->field == QUERY_FIELD_ROLE  ? PFX_ROLE
                             : q->field == QUERY_FIELD_FIRM  ? PFX_FIRM
                                                             : PFX_COMPANY;
        std::vector<std::string> terms = tok_.terms(v, q->text_len);
        if (terms.empty())
            throw std::runtime_error("the field value has no words to match");
        std::vector<Xapian::Query> subs;
        for (const auto &t : terms)
            subs.emplace_back(prefix + t);
        p.q = subs.size() == 1 ? subs[0]
                               : Xapian::Query(Xapian::Query::OP_PHRASE, subs.begin(), subs.end(),
                                               (Xapian::termcount)subs.size());
        return p;
    }

    Part node(const query_node *q)
    {
        switch (q->kind) {
        case QUERY_WORD:
            return words(q->text, q->text_len, q->prefix);
        case QUERY_PHRASE: {
            if (q->slop < 0)
                return words(q->text, q->text_len, q->prefix);
            /* "a b c"~N: each token a word of NEAR(a b c, N). */
            std::vector<std::string> terms = tok_.terms(q->text, q->text_len);
            std::vector<std::pair<std::string, bool>> members;
            for (size_t i = 0; i < terms.size(); i++)
                members.emplace_back(terms[i], q->prefix && i + 1 == terms.size());
            return near(members, q->slop);
        }
        case QUERY_NEAR: {
            std::vector<std::pair<std::string, bool>> members;
            for (size_t i = 0; i < q->child_count; i++)
                members.emplace_back(std::string(q->children[i]->text, q->children[i]->text_len),
                                     q->children[i]->prefix != 0);
            return near(members, q->distance);
        }
        case QUERY_AND: {
            std::vector<Xapian::Query> pos, filters;
            for (size_t i = 0; i < q->child_count; i++) {
                Part c = node(q->children[i]);
                if (!c.empty)
                    (c.filter ? filters : pos).push_back(c.q);
            }
            if (pos.empty() && filters.empty())
                return Part();
            Part p;
            p.empty = false;
            Xapian::Query f = filters.size() == 1 ? filters[0]
                                                  : Xapian::Query(Xapian::Query::OP_AND, filters.begin(), filters.end());
            if (pos.empty()) {
                p.filter = true;
                p.q = f;
                return p;
            }
            p.q = pos.size() == 1 ? pos[0] : Xapian::Query(Xapian::Query::OP_AND, pos.begin(), pos.end());
            if (!filters.empty())
                p.q = Xapian::Query(Xapian::Query::OP_FILTER, p.q, f);
            return p;
        }
        case QUERY_OR: {
            std::vector<Part> parts;
            for (size_t i = 0; i < q->child_count; i++) {
                Part c = node(q->children[i]);
                if (!c.empty)
                    parts.push_back(std::move(c));
            }
            if (parts.empty())
                return Part();
            if (parts.size() == 1)
                return parts[0];
            bool all_filters = true;
            for (const Part &c : parts)
                all_filters = all_filters && c.filter;
            std::vector<Xapian::Query> subs;
            for (const Part &c : parts)
                subs.push_back(all_filters ? c.q : weightless(c));
            Part p;
            p.empty = false;
            p.filter = all_filters;
            p.q = Xapian::Query(Xapian::Query::OP_OR, subs.begin(), subs.end());
            return p;
        }
        case QUERY_NOT: {
            Part left = node(q->children[0]);
            Part right = node(q->children[1]);
            if (right.empty || left.empty)
                return left;
            left.q = Xapian::Query(Xapian::Query::OP_AND_NOT, left.q, right.q);
            return left;
        }
        case QUERY_FIELD:
            return field(q);
        default:
            throw std::runtime_error("unknown query node");
        }
    }

    const Xapian::Database &db_;
    Tokenizer tok_;
};

Tokens db_tokens(const Xapian::Database &db)
{
    return db.get_metadata(META_TOKENS) == "lpsearch" ? Tokens::lpsearch : Tokens::xapian;
}

/* ---- Runs --------------------------------------------------------------------- */

struct BenchQuery {
    std::string text;
    size_t kind;
    unsigned line;
};

struct Run {
    std::string db_path;
    const std::vector<BenchQuery> *queries;
    size_t k; /* 0: count only */
    unsigned passes;
    std::atomic<size_t> next{0};
    double *latency;
    std::atomic<int> failed{0};
};

void run_worker(Run *r)
{
    try {
        Xapian::Database db(r->db_path);
        Translator tr(db, db_tokens(db));
        Xapian::Enquire enquire(db);
        if (r->k)
            enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.75, 0));
        else
            enquire.set_weighting_scheme(Xapian::BoolWeight());
        Xapian::doccount all = db.get_doccount();
        size_t nq = r->queries->size(), total = nq * r->passes;
        volatile double sink = 0;
        for (;;) {
            size_t i = r->next.fetch_add(1);
            if (i >= total)
                break;
            const BenchQuery &q = (*r->queries)[i % nq];
            double t0 = latency_now();
            enquire.set_query(tr.translate(q.text.c_str()));
            if (r->k) {
                Xapian::MSet m = enquire.get_mset(0, (Xapian::doccount)r->k);
                double s = 0;
                for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
                    s += *it + it.get_weight();
                sink = sink + s;
            } else {
                Xapian::MSet m = enquire.get_mset(0, 0, all);
                if (m.get_matches_lower_bound() != m.get_matches_upper_bound()) {
                    std::fprintf(stderr, "lps-bench-xapian: line %u: the count is not exact\n", q.line);
                    r->failed = 1;
                }
                sink = sink + m.get_matches_estimated();
            }
            r->latency[i] = latency_now() - t0;
        }
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "lps-bench-xapian: %s\n", e.get_description().c_str());
        r->failed = 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "lps-bench-xapian: %s\n", e.what());
        r->failed = 1;
    }
}

int load_queries(const char *path, std::vector<BenchQuery> &out)
{
    FILE *f = std::fopen(path, "r");
    if (!f)
        return die(std::string("cannot open the query file ") + path, std::strerror(errno));
    char *line = nullptr;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        /* kind<TAB>lpsearch query[<TAB>FTS5 query], or a bare query */
        const char *kind = "other", *query = line;
        char *tab = std::strchr(line, '\t');
        if (tab) {
            *tab = '\0';
            kind = line;
            query = tab + 1;
            char *second = std::strchr(tab + 1, '\t');
            if (second)
                *second = '\0';
        }
        out.push_back({query, latency_kind_index(kind), lineno});
    }
    std::free(line);
    std::fclose(f);
    if (out.empty())
        return die("the query file holds no queries", path);
    return 0;
}

/* Every query must translate before anything is timed.  With print (for
 * --counts), each query's exact count is printed as kind, count, query and
 * the Xapian query, or "error" and the message, and the rest still run. */
int check_queries(const char *db_path, const char *file, const std::vector<BenchQuery> &queries, bool print)
{
    int status = 0;
    try {
        Xapian::Database db(db_path);
        Translator tr(db, db_tokens(db));
        Xapian::Enquire enquire(db);
        enquire.set_weighting_scheme(Xapian::BoolWeight());
        for (const BenchQuery &q : queries) {
            std::string problem;
            try {
                Xapian::Query xq = tr.translate(q.text.c_str());
                if (!print)
                    continue;
                enquire.set_query(xq);
                Xapian::MSet m = enquire.get_mset(0, 0, db.get_doccount());
                std::printf("%s\t%llu\t%s\t%s\n", latency_kinds[q.kind],
                            (unsigned long long)m.get_matches_estimated(), q.text.c_str(),
                            xq.get_description().c_str());
            } catch (const Xapian::Error &e) {
                problem = e.get_description();
            } catch (const std::exception &e) {
                problem = e.what();
            }
            if (problem.empty())
                continue;
            status = 2;
            if (!print)
                return die(std::string(file) + ": line " + std::to_string(q.line), problem);
            std::printf("%s\terror\t%s\t%s\n", latency_kinds[q.kind], q.text.c_str(), problem.c_str());
        }
    } catch (const Xapian::Error &e) {
        return die(std::string("cannot open ") + db_path, e.get_description());
    }
    return status;
}

bool parse_threads(const char *s, std::vector<unsigned> &threads)
{
    threads.clear();
    while (*s && threads.size() < 8) {
        char *end;
        long v = std::strtol(s, &end, 10);
        if (end == s || v < 1 || v > 64 || (*end && *end != ','))
            return false;
        threads.push_back((unsigned)v);
        s = *end == ',' ? end + 1 : end;
    }
    return !threads.empty();
}

} // namespace

int main(int argc, char **argv)
{
    const char *dir = nullptr, *db_path = nullptr, *file = nullptr;
    bool do_build = false, json = false, counts = false;
    Tokens mode = Tokens::xapian;
    long passes = 5, k_only = 0;
    std::vector<unsigned> threads{1, 2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (std::strcmp(a, "--index") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (std::strcmp(a, "--db") == 0 && i + 1 < argc)
            db_path = argv[++i];
        else if (std::strcmp(a, "--build") == 0)
            do_build = true;
        else if (std::strcmp(a, "--json") == 0)
            json = true;
        else if (std::strcmp(a, "--counts") == 0)
            counts = true;
        else if (std::strcmp(a, "--tokens") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (std::strcmp(v, "xapian") == 0)
                mode = Tokens::xapian;
            else if (std::strcmp(v, "lpsearch") == 0)
                mode = Tokens::lpsearch;
            else
                return die("--tokens takes xapian or lpsearch");
        } else if (std::strcmp(a, "--passes") == 0 && i + 1 < argc)
            passes = std::strtol(argv[++i], nullptr, 10);
        else if (std::strcmp(a, "-k") == 0 && i + 1 < argc)
            k_only = std::strtol(argv[++i], nullptr, 10);
        else if (std::strcmp(a, "--threads") == 0 && i + 1 < argc) {
            if (!parse_threads(argv[++i], threads))
                return die("--threads takes counts from 1 to 64 separated by commas");
        } else if (a[0] != '-' && !file)
            file = a;
        else
            return die(USAGE);
    }
    if (!db_path || (do_build && !dir) || passes < 1 || k_only < 0)
        return die(USAGE);
    if (do_build && build(dir, db_path, mode) != 0)
        return 2;
    if (!file)
        return 0;

    std::vector<BenchQuery> queries;
    if (load_queries(file, queries) != 0)
        return 2;
    int checked = check_queries(db_path, file, queries, counts);
    if (counts)
        return std::fflush(stdout) == 0 ? checked : 1;
    if (checked != 0)
        return 2;

    size_t nq = queries.size();
    std::vector<size_t> modes{10, 100, 0};
    if (k_only > 0)
        modes = {(size_t)k_only, 0};
    std::vector<double> latency(nq * (size_t)passes), sorted(nq * (size_t)passes);
    std::vector<size_t> kinds(nq);
    for (size_t i = 0; i < nq; i++)
        kinds[i] = queries[i].kind;
    int status = 0;
    for (size_t m = 0; m < modes.size() && !status; m++) {
        for (size_t t = 0; t < threads.size() && !status; t++) {
            Run run;
            run.db_path = db_path;
            run.queries = &queries;
            run.k = modes[m];
            run.passes = 1;
            run.latency = latency.data();
            run_worker(&run); /* warm-up, one thread */
            run.passes = (unsigned)passes;
            run.next = 0;
            std::vector<std::thread> workers;
            double wall0 = latency_now();
            for (unsigned w = 1; w < threads[t]; w++)
                workers.emplace_back(run_worker, &run);
            run_worker(&run);
            for (auto &w : workers)
                w.join();
            double wall = latency_now() - wall0;
            if (run.failed) {
                status = die("a query failed");
                break;
            }
            char mode_name[32];
            if (modes[m])
                std::snprintf(mode_name, sizeof mode_name, "top%zu", modes[m]);
            else
                std::snprintf(mode_name, sizeof mode_name, "count");
            latency_report("xapian", mode_name, (unsigned)workers.size() + 1, wall, latency.data(), kinds.data(),
                           nq, (size_t)passes, sorted.data(), json);
        }
    }
    if (std::fflush(stdout) != 0)
        status = 1;
    return status;
}
