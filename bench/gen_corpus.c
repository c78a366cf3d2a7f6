/*
 * lps-gen-corpus: a deterministic, seeded corpus of synthetic earnings-call
 * transcripts for benchmarks and scale tests.
 *
 *   lps-gen-corpus --out DIR --sentences N [--seed S] [--calls-per-company M]
 *
 * Output.  About N sentences (exactly N when N >= MIN_CALL_SENTENCES) in one
 * file per call, DIR/NNN/<ticker>-<year>-q<quarter>.txt, at most
 * FILES_PER_DIR files per subdirectory.  Each file is one call in one of the
 * four layouts the transcript reader accepts (docs/TRANSCRIPTS.md), chosen
 * per file, with older calls leaning to the older layouts:
 *
 *   named      "Tim Bixby - CFO" label lines, an optional title, the
 *              translation disclaimer (liveperson-2006-q1, -2007-q2);
 *   bulleted   the same labels behind "  • ", every line followed by a blank
 *              line, a "Company Inc (TICK) 2006 Q3 法說會逐字稿" title
 *              (liveperson-2006-q3);
 *   role       "- CEO", "- CFO", "- Analyst" labels, "(Operator
 *              Instructions)" lines, "Name, Firm." announcements
 *              (liveperson-2014-q1);
 *   numbered   "Speaker N" labels after a "Company - Earnings Call - Q1 2016"
 *              title, a date line and "Transcript" (liveperson-2016-q1).
 *
 * Every call has an operator who welcomes the listeners, introduces the CEO
 * and CFO by name and role and hands over, prepared remarks (safe harbor,
 * business review, financial review) and questions from analysts the
 * operator announces with their firms.  The texts are written so that the
 * reader resolves every anonymous speaker: the introductions name both
 * executives, each executive's first turn follows a hand-off that names
 * exactly one person, and announcements use the forms the resolver reads.
 *
 * Sentences.  Every sentence has 5 to 40 words, starts with a capital
 * letter or a digit, ends with '.', '?' or '!' followed by whitespace, and
 * never ends on an abbreviation the splitter treats specially (docs/
 * SEGMENTATION.md), so the reader finds exactly the sentences written here;
 * the count printed at the end is the count `lpsearch export` reports.
 * Some lines are broken mid-sentence, only before a lowercase word or
 * inside the first word of a sentence ("recently. S" + "o everything"),
 * which are the breaks the reader joins back.
 *
 * Vocabulary.  Words are drawn by rank from per-class lists (nouns, verbs,
 * adjectives, ...) with Zipf weights, exponent ZIPF_EXPONENT.  Nouns have an
 * unbounded tail: ranks past the built-in list are pseudo-words spelled from
 * the rank, whose weights fall off faster (exponent NOUN_TAIL_EXPONENT), as
 * rare words do in real text, so the number of distinct terms keeps growing
 * with the corpus (Heaps' law; about 21,000 terms at 10^5 sentences and
 * 100,000 at 10^6).  Company, product, customer and people names and
 * amounts add more rare terms; a list of recurring phrases ("proactive
 * chat", "adjusted EBITDA", "forward-looking statements", ...) gives phrase
 * queries something to find.
 *
 * Determinism and scale.  Each call's xoshiro256** generator is seeded
 * through splitmix64 from (seed, file number); call sizes come from one more
 * stream, and company, people and revenue facts from a stateless hash of
 * (seed, company).  So the same arguments give byte-identical output, and a
 * file is a function of the seed, its number and its size only.  The
 * program holds one call's plan and one 64 KiB output buffer at a time:
 * memory is constant and time linear in N.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <assert.h>

#define PROGRAM "lps-gen-corpus"

/* Below this a call cannot hold its required parts; the generator then writes more than N. */
#define MIN_CALL_SENTENCES 11
#define FILES_PER_DIR 1000
#define SENTENCE_MIN_WORDS 5
#define SENTENCE_MAX_WORDS 40
#define SENTENCE_BYTES 4096
#define WRITE_BUFFER_BYTES (1u << 16)
#define QUARTERS_AVAILABLE 84 /* 2005 Q1 .. 2025 Q4 */
#define FIRST_YEAR 2005

#define ZIPF_EXPONENT 1.05
#define NOUN_TAIL_EXPONENT 2.0
#define NOUN_MAX_RANK (1u << 28)

/* ---- Failing ------------------------------------------------------------- */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROGRAM ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- Random numbers -------------------------------------------------------
 * xoshiro256** (Blackman and Vigna), seeded with splitmix64.  Only the
 * generator's own arithmetic decides the output: no rand(), no clock. */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A stateless hash of two values: per-company facts that must not depend on call order. */
static uint64_t mix2(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD1B54A32D192ED03ull);
    splitmix64(&x);
    return splitmix64(&x);
}

static void rng_seed(rng *r, uint64_t a, uint64_t b)
{
    uint64_t x = mix2(a, b);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n); the bias of the multiply-shift is below 2^-32 for the n used here. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    assert(n > 0);
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static int rng_range(rng *r, int lo, int hi)
{
    assert(lo <= hi);
    return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

static int rng_chance(rng *r, double p)
{
    return rng_unit(r) < p;
}

#define PICK(r, array) ((array)[rng_below((r), (uint32_t)(sizeof(array) / sizeof((array)[0])))])
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- Word lists --------------------------------------------------------------
 * Each list is roughly in order of frequency: draws are Zipf-weighted by
 * position.  No word is an abbreviation the sentence splitter treats
 * specially (docs/SEGMENTATION.md), so a sentence can end on any of them. */

/* Nouns; a leading '=' marks a mass noun, which is never pluralized. */
static const char *const nouns[] = {
    "customer", "=revenue", "quarter", "=growth", "business", "year", "product", "platform",
    "market", "deal", "client", "=demand", "opportunity", "team", "margin", "segment",
    "=performance", "result", "channel", "solution", "=pipeline", "partner", "=momentum",
    "=guidance", "investment", "service", "=traffic", "contract", "cost", "expense", "=cash",
    "enterprise", "price", "=pricing", "engagement", "=adoption", "rate", "region", "offering",
    "strategy", "=progress", "=visibility", "trend", "initiative", "period", "=execution",
    "=profitability", "account", "interaction", "conversation", "capability", "feature",
    "=headcount", "=retention", "=attrition", "=inventory", "launch", "release", "=volume", "quota",
    "rep", "=software", "=hardware", "application", "=data", "=analytics", "program",
    "relationship", "agreement", "renewal", "=upsell", "environment", "=competition", "competitor",
    "=landscape", "industry", "vertical", "=spending", "budget", "=backlog", "booking", "order",
    "=expansion", "acquisition", "=integration", "=migration", "=usage", "=seasonality", "dollar",
    "consumer", "user", "brand", "retailer", "bank", "carrier", "provider", "agent", "website",
    "device", "smartphone", "=messaging", "=commerce", "=marketing", "=advertising", "campaign",
    "=awareness", "=leverage", "=efficiency", "=productivity", "improvement", "headwind",
    "tailwind", "factor", "driver", "=impact", "benefit", "=upside", "=downside", "risk",
    "=uncertainty", "economy", "=currency", "=inflation", "=supply", "shortage", "=capacity",
    "facility", "plant", "site", "store", "location", "footprint", "=infrastructure", "network",
    "=security", "=compliance", "regulation", "approval", "trial", "study", "=development",
    "=innovation", "roadmap", "version", "upgrade", "module", "=functionality", "=automation",
    "=intelligence", "model", "algorithm", "insight", "metric", "benchmark", "target", "goal",
    "milestone", "=timing", "=cadence", "cycle", "=implementation", "deployment", "rollout",
    "=onboarding", "=training", "=hiring", "employee", "leader", "=leadership", "=talent",
    "=culture", "organization", "division", "unit", "group", "portfolio", "line", "category", "mix",
    "share", "=stock", "dividend", "buyback", "=debt", "=liquidity", "=flexibility", "=discipline",
    "=focus", "priority", "=confidence", "=conviction", "=color", "detail", "=context", "question",
    "comment", "=feedback", "=interest", "=appetite", "discussion", "=dialogue", "event",
    "conference", "season", "holiday", "month", "week", "day", "half", "=outlook", "forecast",
    "estimate", "assumption", "range", "=midpoint", "=consensus", "expectation", "=tax",
    "=depreciation", "=amortization", "=income", "loss", "gain", "charge", "=restructuring",
    "=severance", "=impairment", "reserve", "accrual", "=receivables", "=payables", "=capex",
    "=opex", "=spend", "=payroll", "=overhead", "=rent", "=licensing", "license", "subscription",
    "=maintenance", "=support", "=consulting", "=hosting", "=bandwidth", "=storage", "=compute",
    "workload", "=throughput", "=latency", "=uptime", "=reliability", "=quality", "=satisfaction",
    "=loyalty", "=churn", "conversion", "funnel", "lead", "prospect", "logo", "win", "=pushout",
    "=slippage", "delay", "=recovery", "rebound", "=normalization", "=stabilization", "decline",
    "=softness", "=weakness", "=strength", "=resilience", "=durability", "=scale", "=consolidation",
    "=fragmentation", "disruption", "transformation", "transition", "shift", "evolution", "journey",
    "foundation", "ecosystem", "marketplace", "storefront", "=checkout", "payment", "=fraud",
    "identity", "=privacy", "=consent", "=personalization", "=targeting", "=segmentation",
    "=attribution", "=measurement", "dashboard", "=reporting", "=forecasting", "=planning",
    "=procurement", "=sourcing", "=logistics", "=fulfillment", "=shipping", "warehouse", "=freight",
    "=packaging", "=manufacturing", "=assembly", "component", "semiconductor", "chip", "=yield",
    "=utilization", "=output", "design", "prototype", "patent", "=discounting", "promotion",
    "bundle", "tier", "plan", "=monetization", "wallet", "=penetration", "=saturation",
    "=whitespace", "adjacency", "synergy", "=accretion", "=dilution", "valuation", "multiple",
    "=earnings", "profit", "contribution", "allocation", "return", "spread", "=exposure",
    "=hedging", "=sensitivity", "scenario", "contingency", "=headroom", "=runway", "=burn",
    "=breakeven", "inflection", "trajectory", "=acceleration", "=deceleration", "cohort", "agency",
    "advertiser", "affiliate", "airline", "allowance", "analyst", "annuity", "appliance",
    "architecture", "asset", "audience", "audit", "backbone", "balance", "battery", "bid", "bill",
    "billing", "blueprint", "board", "bond", "bonus", "branch", "breadth", "broker", "browser",
    "building", "buyer", "cable", "calendar", "call", "camera", "candidate", "capital", "card",
    "cart", "catalog", "center", "certification", "chain", "chatbot", "checkpoint", "clinic",
    "coalition", "code", "collection", "commission", "commitment", "community", "concept",
    "connection", "console", "contractor", "controller", "copy", "core", "corridor", "coupon",
    "coverage", "credit", "cross-sell", "curve", "cutover", "database", "dealer",
    "debut", "decision", "default", "demo", "deposit", "desk", "destination", "differentiator",
    "director", "discount", "distribution", "distributor", "document", "domain", "download",
    "draft", "edge", "election", "element", "email", "endpoint", "engine", "entity", "entry",
    "equipment", "equity", "exchange", "exit", "experience", "expert", "family", "fee", "feed",
    "field", "file", "filing", "firm", "fleet", "floor", "formula", "franchise", "frontier", "fund",
    "gateway", "generation", "geography", "gross", "guarantee", "handset", "hospital", "hub",
    "inbox", "incentive", "index", "input", "installation", "instance", "institution", "instrument",
    "insurer", "interface", "invoice", "issuer", "item", "job", "key", "kiosk", "lab", "lane",
    "layer", "lease", "ledger", "lender", "level", "library", "lifecycle", "limit", "list", "loan",
    "lot", "machine", "mailbox", "mandate", "manager", "manufacturer", "map", "medium", "member",
    "memory", "menu", "merchant", "merger", "message", "method", "minute", "mission", "moment",
    "motion", "node", "note", "notice", "obligation", "office", "operator", "option", "outlet",
    "outcome", "owner", "package", "panel", "parcel", "partnership", "patient", "payer", "payout",
    "peer", "pharmacy", "phase", "pilot", "pitch", "player", "playbook", "pod", "policy", "pool",
    "portal", "position", "post", "practice", "premium", "premise", "presence", "pressure",
    "principle", "processor", "producer", "profile", "project", "property", "proposal", "protocol",
    "publisher", "purchase", "queue", "quote", "reader", "receipt", "recipe", "record", "referral",
    "refund", "registry", "reseller", "resource", "response", "reward", "route", "routine", "rule",
    "salary", "sample", "schedule", "score", "screen", "script", "sector", "seller", "sensor",
    "server", "session", "setting", "shelf", "shipment", "signal", "signature", "skill", "slot",
    "sponsor", "stack", "stage", "standard", "statement", "station", "status", "step", "stream",
    "structure", "subscriber", "subsidiary", "suite", "supplier", "surface", "survey", "switch",
    "system", "tablet", "tactic", "template", "tenant", "terminal", "territory", "test", "theme",
    "thesis", "ticket", "timeline", "token", "tool", "topic", "touchpoint", "tracker", "trade",
    "transaction", "transfer", "trigger", "trip", "utility", "vehicle", "vendor", "venue",
    "venture", "vessel", "video", "view", "visit", "visitor", "voice", "voucher", "warranty",
    "window", "workflow", "workforce", "workstation",
};

static const char *const adjectives[] = {
    "strong", "new", "good", "significant", "solid", "large", "overall", "important", "total",
    "additional", "existing", "key", "great", "current", "continued", "recurring", "organic",
    "sequential", "international", "domestic", "global", "core", "digital", "mobile",
    "enterprise", "healthy", "modest", "meaningful", "incremental", "underlying", "early",
    "long-term", "near-term", "annual", "quarterly", "operational", "financial", "strategic",
    "competitive", "robust", "consistent", "favorable", "challenging", "difficult", "broad",
    "specific", "recent", "initial", "higher", "lower", "better", "stronger", "weaker",
    "record", "double-digit", "high-margin", "mid-market", "small", "big", "average", "typical",
    "normal", "seasonal", "macro", "regional", "local", "direct", "indirect", "online",
    "offline", "proactive", "conversational", "automated", "scalable", "flexible", "unique",
    "differentiated", "premium", "low-cost", "attractive", "compelling", "encouraging",
    "positive", "negative", "flat", "stable", "steady", "gradual", "rapid", "faster", "slower",
    "disciplined", "prudent", "conservative", "aggressive", "ambitious", "realistic", "clear",
    "visible", "predictable", "sustainable", "profitable", "efficient", "productive", "active",
    "loyal", "satisfied", "engaged", "multi-year", "one-time", "non-recurring", "adjusted",
    "diluted", "reported", "constant-currency", "year-over-year", "like-for-like", "comparable",
    "weighted", "blended", "gross", "net", "operating", "free", "deferred", "unbilled",
    "contracted", "committed", "qualified", "late-stage", "early-stage", "greenfield",
    "brownfield", "hybrid", "native", "open", "secure", "real-time", "intelligent", "smart",
    "personalized", "omnichannel", "cross-border", "vertical", "horizontal", "upstream",
    "downstream", "outbound", "inbound", "self-service", "full-service", "end-to-end",
};

static const char *const adverbs[] = {
    "also", "really", "very", "still", "already", "now", "clearly", "significantly",
    "continually", "actually", "certainly", "particularly", "especially", "largely", "mostly",
    "primarily", "roughly", "approximately", "slightly", "meaningfully", "materially",
    "substantially", "consistently", "steadily", "gradually", "quickly", "successfully",
    "effectively", "increasingly", "fundamentally", "strategically", "selectively",
    "aggressively", "carefully", "broadly", "further", "generally", "historically",
    "typically", "ultimately", "frankly", "obviously",
};

typedef struct verb {
    const char *base, *third, *past, *participle, *ing;
} verb;

static const verb verbs[] = {
    {"see", "sees", "saw", "seen", "seeing"},
    {"grow", "grows", "grew", "grown", "growing"},
    {"deliver", "delivers", "delivered", "delivered", "delivering"},
    {"expand", "expands", "expanded", "expanded", "expanding"},
    {"drive", "drives", "drove", "driven", "driving"},
    {"increase", "increases", "increased", "increased", "increasing"},
    {"improve", "improves", "improved", "improved", "improving"},
    {"add", "adds", "added", "added", "adding"},
    {"sign", "signs", "signed", "signed", "signing"},
    {"launch", "launches", "launched", "launched", "launching"},
    {"build", "builds", "built", "built", "building"},
    {"generate", "generates", "generated", "generated", "generating"},
    {"invest in", "invests in", "invested in", "invested in", "investing in"},
    {"close", "closes", "closed", "closed", "closing"},
    {"win", "wins", "won", "won", "winning"},
    {"manage", "manages", "managed", "managed", "managing"},
    {"support", "supports", "supported", "supported", "supporting"},
    {"extend", "extends", "extended", "extended", "extending"},
    {"leverage", "leverages", "leveraged", "leveraged", "leveraging"},
    {"integrate", "integrates", "integrated", "integrated", "integrating"},
    {"deploy", "deploys", "deployed", "deployed", "deploying"},
    {"offer", "offers", "offered", "offered", "offering"},
    {"provide", "provides", "provided", "provided", "providing"},
    {"introduce", "introduces", "introduced", "introduced", "introducing"},
    {"complete", "completes", "completed", "completed", "completing"},
    {"accelerate", "accelerates", "accelerated", "accelerated", "accelerating"},
    {"reduce", "reduces", "reduced", "reduced", "reducing"},
    {"maintain", "maintains", "maintained", "maintained", "maintaining"},
    {"achieve", "achieves", "achieved", "achieved", "achieving"},
    {"report", "reports", "reported", "reported", "reporting"},
    {"focus on", "focuses on", "focused on", "focused on", "focusing on"},
    {"benefit from", "benefits from", "benefited from", "benefited from", "benefiting from"},
    {"execute on", "executes on", "executed on", "executed on", "executing on"},
    {"capture", "captures", "captured", "captured", "capturing"},
    {"monetize", "monetizes", "monetized", "monetized", "monetizing"},
    {"migrate", "migrates", "migrated", "migrated", "migrating"},
    {"scale", "scales", "scaled", "scaled", "scaling"},
    {"strengthen", "strengthens", "strengthened", "strengthened", "strengthening"},
    {"streamline", "streamlines", "streamlined", "streamlined", "streamlining"},
    {"prioritize", "prioritizes", "prioritized", "prioritized", "prioritizing"},
    {"optimize", "optimizes", "optimized", "optimized", "optimizing"},
    {"renew", "renews", "renewed", "renewed", "renewing"},
    {"upgrade", "upgrades", "upgraded", "upgraded", "upgrading"},
    {"hire", "hires", "hired", "hired", "hiring"},
    {"address", "addresses", "addressed", "addressed", "addressing"},
    {"target", "targets", "targeted", "targeted", "targeting"},
    {"track", "tracks", "tracked", "tracked", "tracking"},
    {"measure", "measures", "measured", "measured", "measuring"},
    {"reinvest in", "reinvests in", "reinvested in", "reinvested in", "reinvesting in"},
    {"ship", "ships", "shipped", "shipped", "shipping"},
    {"absorb", "absorbs", "absorbed", "absorbed", "absorbing"},
    {"offset", "offsets", "offset", "offset", "offsetting"},
    {"outperform", "outperforms", "outperformed", "outperformed", "outperforming"},
    {"exceed", "exceeds", "exceeded", "exceeded", "exceeding"},
    {"reach", "reaches", "reached", "reached", "reaching"},
    {"enable", "enables", "enabled", "enabled", "enabling"},
    {"unlock", "unlocks", "unlocked", "unlocked", "unlocking"},
    {"transform", "transforms", "transformed", "transformed", "transforming"},
    {"simplify", "simplifies", "simplified", "simplified", "simplifying"},
    {"broaden", "broadens", "broadened", "broadened", "broadening"},
    {"deepen", "deepens", "deepened", "deepened", "deepening"},
    {"consolidate", "consolidates", "consolidated", "consolidated", "consolidating"},
    {"pursue", "pursues", "pursued", "pursued", "pursuing"},
    {"evaluate", "evaluates", "evaluated", "evaluated", "evaluating"},
    {"refine", "refines", "refined", "refined", "refining"},
    {"protect", "protects", "protected", "protected", "protecting"},
};

/* Recurring multi-word terms; a leading '^' marks a term used without a determiner. */
static const char *const phrases[] = {
    "customer renewal rate", "^adjusted EBITDA", "gross margin", "proactive chat",
    "^free cash flow", "operating margin", "deferred revenue", "^sequential growth",
    "enterprise segment", "small business segment", "contact center", "^revenue growth",
    "^non-GAAP operating income", "^earnings per share", "guidance range",
    "^cash and cash equivalents", "share repurchase program", "^stock-based compensation",
    "^sales and marketing", "^research and development", "average revenue per customer",
    "^annual recurring revenue", "^net revenue retention", "mobile messaging",
    "conversational commerce", "cloud platform", "go-to-market strategy", "^new logos",
    "install base", "^operating expenses", "^gross bookings", "^total addressable market",
    "^customer acquisition cost", "^lifetime value", "sales cycle", "^average deal size",
    "^remaining performance obligations", "^dollar-based net retention", "^churn rate",
    "^cost of revenue", "^general and administrative expenses", "^effective tax rate",
    "^diluted share count", "^capital expenditures", "^working capital", "balance sheet",
    "credit facility", "revolving credit facility", "^GAAP net income", "^net loss",
    "^operating leverage", "^unit economics", "^professional services revenue",
    "^subscription revenue", "^hosted services", "^usage-based pricing", "^pay for performance",
    "self-service channel", "^artificial intelligence", "^machine learning", "^conversational AI",
    "^digital transformation", "customer experience", "^customer satisfaction scores",
    "^net promoter score", "^omnichannel engagement", "^supply chain", "^inventory levels",
    "^foreign exchange", "^constant currency", "^channel partners", "^reseller agreements",
    "^strategic partnerships", "^platform migration", "^data centers", "^price increases",
    "^pricing pressure", "^competitive landscape", "^win rates", "^close rates", "^quota capacity",
    "^sales productivity", "^marketing spend", "^brand awareness", "^online sales",
    "^customer service", "^contact center agents", "^chat volume", "^live chat",
    "^messaging volume", "^engagement rate", "^conversion rate", "^order volume",
};

/* Determiners before a singular and before a plural or mass noun. */
static const char *const singular_determiners[] = {
    "the", "our", "a", "this", "their", "its", "that", "each", "every", "another", "any", "one",
};
static const char *const plural_determiners[] = {
    "the", "our", "these", "their", "some", "more", "many", "all", "those", "several", "most",
};

static const char *const prepositions[] = {
    "in", "for", "with", "across", "from", "on", "through", "during", "within", "among",
    "around", "beyond", "ahead of", "compared to", "relative to", "in line with", "as part of",
    "on top of", "alongside", "throughout",
};

/* Adverbials that close a clause; each is at least two words. */
static const char *const endings[] = {
    "this quarter", "in the quarter", "year over year", "over time", "going forward",
    "in the second half", "over the next few quarters", "for the full year", "at this point",
    "quarter over quarter", "in the near term", "over the long term", "on a sequential basis",
    "as we move through the year", "in the coming quarters", "across the board",
    "on a trailing twelve month basis", "from a year ago", "at the high end of our range",
};

static const char *const openers[] = {
    "So,", "And", "Now,", "Overall,", "In addition,", "As a result,", "At the same time,",
    "In the quarter,", "Looking ahead,", "On the enterprise side,", "Again,", "Finally,",
    "Also,", "Importantly,", "More broadly,", "In particular,", "As we discussed,",
    "Year over year,", "Sequentially,", "From a product standpoint,", "On the cost side,",
    "In terms of the pipeline,", "Internationally,", "Beyond that,", "To be clear,",
    "As you know,", "Similarly,", "In short,", "Second,", "Third,", "First of all,",
};

static const char *const question_frames[] = {
    "Can you talk about", "Could you give us some color on", "How should we think about",
    "What are you seeing in terms of", "Can you help us understand", "Any update on",
    "How do you think about", "What is driving", "Where are you in terms of",
    "Can you remind us about", "Is there any change in", "Are you seeing any pressure on",
    "Could you walk us through", "How are you thinking about", "What gives you confidence in",
    "Can you quantify", "Did you see any impact from", "Can you give us a sense of",
    "Could you elaborate on", "How much visibility do you have into", "What are the puts and takes on",
    "Can you size", "Would you expect any change in", "What was the contribution from",
};

static const char *const product_parts[] = {
    "Engage", "Cloud", "Connect", "Insight", "One", "Hub", "Suite", "Studio", "Pay", "Edge",
    "Flow", "Sense", "Vault", "Pulse", "Link", "Works", "Point", "Sphere", "Stream", "Grid",
};

static const char *const camel_first[] = {
    "Live", "Data", "Cloud", "Net", "Blue", "Bright", "Clear", "True", "Smart", "Open", "Sun",
    "North", "Red", "Green", "Silver", "Iron", "Rapid", "Prime", "Vital", "Core", "Swift",
    "Deep", "High", "Star", "Omni", "Pure", "Wave", "Zen", "Echo", "Nova", "Terra", "Aqua",
    "Astro", "Quantum", "Summit", "Peak", "Stone", "River", "Harbor", "Maple",
};

static const char *const camel_second[] = {
    "Person", "Bridge", "Point", "Works", "Logic", "Soft", "Stream", "Path", "Gate", "Field",
    "Wave", "Scale", "Sight", "Mark", "Line", "Ware", "Forge", "Labs", "Vista", "Spring",
    "Base", "Core", "Shift", "Loop", "Craft", "Sense", "Metrics", "Cast", "Wire", "Dock",
    "Tek", "Nest", "Leaf", "Tower", "Ridge", "Brook", "Stack", "Wing", "Flow", "Pulse",
};

/* Company name suffixes; none is a job word, so introductions stay readable to the resolver. */
static const char *const company_suffixes[] = {
    "", "", "", "", " Systems", " Networks", " Software", " Health", " Energy", " Media",
    " Therapeutics", " Holdings", " Group", " Technologies", " Logistics", " Brands",
    " Semiconductor", " Robotics", " Analytics", " Devices", " Foods", " Motors", " Bio",
    " Interactive", " Dynamics", " Solutions", " Industries", " Resources",
};

static const char *const male_first[] = {
    "Adam", "Alan", "Andrew", "Anthony", "Brian", "Bruce", "Carl", "Charles", "Christopher",
    "Craig", "Daniel", "David", "Dennis", "Douglas", "Edward", "Eric", "Frank", "Gary",
    "George", "Glenn", "Gregory", "Henry", "Jack", "James", "Jason", "Jeffrey", "Jeremy",
    "John", "Jonathan", "Joseph", "Keith", "Kenneth", "Kevin", "Kyle", "Larry", "Mark",
    "Martin", "Matthew", "Michael", "Nathan", "Neil", "Patrick", "Paul", "Peter", "Philip",
    "Raymond", "Richard", "Robert", "Roger", "Ryan", "Samuel", "Scott", "Sean", "Stephen",
    "Steven", "Thomas", "Timothy", "Todd", "Victor", "Walter", "Wayne", "Brad", "Derek",
    "Ethan", "Felix", "Hugo", "Ivan", "Jorge", "Koji", "Luis", "Omar", "Rajesh", "Raghavan",
    "Sanjay", "Tobias", "Wilson", "Marco", "Hiroshi", "Dmitri", "Anders",
};

static const char *const female_first[] = {
    "Alice", "Amanda", "Angela", "Anna", "Barbara", "Carol", "Catherine", "Christine", "Claire",
    "Deborah", "Diana", "Elizabeth", "Emily", "Emma", "Hannah", "Helen", "Jane", "Janet",
    "Jean", "Jennifer", "Jessica", "Julia", "Karen", "Kate", "Laura", "Linda", "Lisa", "Maria",
    "Megan", "Melissa", "Michelle", "Monica", "Nancy", "Natalie", "Nicole", "Olivia", "Pamela",
    "Priya", "Rachel", "Rebecca", "Ruth", "Sandra", "Sarah", "Sharon", "Sophia", "Susan",
    "Teresa", "Valerie", "Wendy", "Yuki", "Ingrid", "Lucia", "Mei", "Aisha", "Fatima",
};

static const char *const last_names[] = {
    "Anderson", "Baker", "Baldwin", "Barnes", "Becker", "Bennett", "Bishop", "Brennan",
    "Brooks", "Burke", "Calloway", "Carter", "Castillo", "Chandler", "Chen", "Coleman",
    "Collins", "Cooper", "Crawford", "Cruz", "Davidson", "Delgado", "Dixon", "Donovan", "Doyle",
    "Duncan", "Ellis", "Erikson", "Fischer", "Fitzgerald", "Fleming", "Foster", "Franklin",
    "Garrison", "Gibson", "Goldberg", "Gonzalez", "Graham", "Hansen", "Harper", "Hartley",
    "Hayes", "Hendricks", "Hoffman", "Holland", "Howell", "Hughes", "Ingram", "Jacobs", "Jensen",
    "Kaplan", "Keller", "Kennedy", "Kim", "Klein", "Kowalski", "Lambert", "Larsen", "Lawson",
    "Lee", "Lindqvist", "Lopez", "Lucas", "Lynch", "Mahoney", "Malone", "Marsh", "Mason",
    "McAllister", "McElroy", "Mendez", "Meyer", "Mitchell", "Moreno", "Morgan", "Murphy",
    "Nakamura", "Nelson", "Novak", "Oakley", "Olsen", "Ortiz", "Owens", "Palmer", "Park",
    "Patel", "Pearson", "Perkins", "Peterson", "Porter", "Quinn", "Ramirez", "Reyes", "Richter",
    "Rivera", "Robinson", "Rosen", "Russo", "Sandoval", "Schmidt", "Schneider", "Shapiro",
    "Sharma", "Sullivan", "Takahashi", "Thornton", "Tran", "Underwood", "Vance", "Vasquez",
    "Wagner", "Walsh", "Warren", "Watanabe", "Weber", "Whitaker", "Wright", "Yamamoto", "Young",
    "Zimmerman", "Abernathy", "Bixley", "Castellano", "Demarco", "Eastman", "Fairbanks",
    "Galloway", "Haddad", "Iverson", "Jablonski", "Kessler", "Lombardi", "Montague", "Nguyen",
    "Okafor", "Pellegrino", "Rasmussen", "Silverman", "Tanaka", "Valentine", "Whitfield",
};

static const char *const firm_bases[] = {
    "Ashford", "Bellmont", "Birchwood", "Brightwater", "Calder", "Carrington", "Cedar Point",
    "Clearview", "Crestline", "Dunmore", "Eastbrook", "Fairhaven", "Granite Bay", "Harbor Point",
    "Hawthorne", "Highmark", "Ironwood", "Kingsbridge", "Lakeshore", "Linden", "Maplewood",
    "Meridian", "Northgate", "Oakmont", "Pinehurst", "Redstone", "Ridgeway", "Riverton",
    "Rockport", "Sterling Hill", "Stonebridge", "Summit Ridge", "Thornbury", "Westbrook",
    "Whitcombe", "Willow Creek", "Windham", "Alder", "Blackwell", "Corbin",
};

static const char *const firm_suffixes[] = {
    "Capital", "Securities", "Capital Markets", "Partners", "Equity Partners", "Investments",
    "Advisors", "Group", "Brothers", "Capital Partners",
};

static const char *const operator_names[] = {
    "Liliana", "Brandon", "Christa", "Melanie", "Jessie", "Tamara", "Dorothy", "Sylvia",
    "Marcus", "Heidi", "Cheryl", "Regina", "Tony", "Kimberly",
};

static const char *const ceo_roles[] = {
    "CEO", "Chief Executive Officer", "Chairman, CEO", "Chairman , CEO", "CEO & Chairman",
    "President & CEO", "President and CEO", "Founder & CEO",
};

static const char *const cfo_roles[] = {
    "CFO", "Chief Financial Officer", "President, CFO", "President & CFO", "EVP & CFO",
    "SVP, CFO", "EVP, Chief Financial Officer",
};

static const char *const ordinal_lower[] = {"first", "second", "third", "fourth"};
static const char *const ordinal_title[] = {"First", "Second", "Third", "Fourth"};
static const char *const month_names[] = {"January", "February", "March", "April", "May",
                                          "June", "July", "August", "September", "October",
                                          "November", "December"};

static const char disclaimer[] =
    "使用警語:中文譯文來源為 Google 翻譯,僅供參考,實際內容請以英文原文為主";
static const char full_text_note[] = "完整原文";
static const char transcript_title_tail[] = "法說會逐字稿";

/* ---- Zipf draws -----------------------------------------------------------
 * A cumulative table per list, searched by bisection: exact Zipf weights,
 * O(log n) per draw, built once. */

typedef struct zipf_table {
    double *cdf;
    size_t n;
} zipf_table;

static void zipf_init(zipf_table *z, size_t n, double exponent)
{
    assert(n > 0);
    z->cdf = malloc(n * sizeof *z->cdf);
    if (!z->cdf)
        die("out of memory building word tables");
    z->n = n;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += pow((double)(i + 1), -exponent);
        z->cdf[i] = sum;
    }
    for (size_t i = 0; i < n; i++)
        z->cdf[i] /= sum;
    z->cdf[n - 1] = 1.0; /* rounding must not leave a gap above the last entry */
}

/* An index in [0, n), index i with weight (i + 1)^-exponent. */
static size_t zipf_draw(const zipf_table *z, rng *r)
{
    double u = rng_unit(r);
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    assert(lo < z->n && z->cdf[lo] > u);
    return lo;
}

typedef struct vocabulary {
    zipf_table noun_head, adjectives, adverbs, verbs, phrases, prepositions, endings, openers,
        frames, singular_determiners, plural_determiners;
    double noun_head_share; /* probability mass of ranks 1..NOUN_HEAD_RANKS */
} vocabulary;

static vocabulary vocab;

static void vocabulary_init(void)
{
    zipf_init(&vocab.noun_head, COUNT(nouns), ZIPF_EXPONENT);
    zipf_init(&vocab.adjectives, COUNT(adjectives), ZIPF_EXPONENT);
    zipf_init(&vocab.adverbs, COUNT(adverbs), ZIPF_EXPONENT);
    zipf_init(&vocab.verbs, COUNT(verbs), ZIPF_EXPONENT);
    zipf_init(&vocab.phrases, COUNT(phrases), ZIPF_EXPONENT);
    zipf_init(&vocab.prepositions, COUNT(prepositions), ZIPF_EXPONENT);
    zipf_init(&vocab.endings, COUNT(endings), ZIPF_EXPONENT);
    zipf_init(&vocab.openers, COUNT(openers), ZIPF_EXPONENT);
    zipf_init(&vocab.frames, COUNT(question_frames), ZIPF_EXPONENT);
    zipf_init(&vocab.singular_determiners, COUNT(singular_determiners), ZIPF_EXPONENT);
    zipf_init(&vocab.plural_determiners, COUNT(plural_determiners), ZIPF_EXPONENT);
    /* Weight of the head, sum of r^-s1 for the R0 built-in nouns, against the
     * tail, which continues at the same height at R0 and falls as r^-s2 beyond. */
    const double r0 = (double)COUNT(nouns);
    double head = 0;
    for (size_t r = 1; r <= COUNT(nouns); r++)
        head += pow((double)r, -ZIPF_EXPONENT);
    double a = r0 + 0.5, b = (double)NOUN_MAX_RANK + 0.5;
    double tail = pow(r0, NOUN_TAIL_EXPONENT - ZIPF_EXPONENT) *
                  (pow(a, 1 - NOUN_TAIL_EXPONENT) - pow(b, 1 - NOUN_TAIL_EXPONENT)) /
                  (NOUN_TAIL_EXPONENT - 1);
    vocab.noun_head_share = head / (head + tail);
    assert(vocab.noun_head_share > 0.5 && vocab.noun_head_share < 1.0);
}

static void vocabulary_free(void)
{
    zipf_table *all[] = {&vocab.noun_head, &vocab.adjectives, &vocab.adverbs, &vocab.verbs,
                         &vocab.phrases, &vocab.prepositions, &vocab.endings, &vocab.openers,
                         &vocab.frames, &vocab.singular_determiners, &vocab.plural_determiners};
    for (size_t i = 0; i < COUNT(all); i++)
        free(all[i]->cdf);
}

/* A noun rank from 1: the head table, or the continuous power-law tail rounded to a rank. */
static uint32_t noun_rank_draw(rng *r)
{
    if (rng_unit(r) < vocab.noun_head_share)
        return (uint32_t)zipf_draw(&vocab.noun_head, r) + 1;
    const double e = 1 - NOUN_TAIL_EXPONENT;
    double a = pow((double)COUNT(nouns) + 0.5, e), b = pow((double)NOUN_MAX_RANK + 0.5, e);
    double x = pow(a - rng_unit(r) * (a - b), 1 / e);
    uint64_t rank = (uint64_t)(x + 0.5);
    if (rank <= COUNT(nouns))
        rank = COUNT(nouns) + 1;
    if (rank > NOUN_MAX_RANK)
        rank = NOUN_MAX_RANK;
    return (uint32_t)rank;
}

/* ---- Pseudo-words -----------------------------------------------------------
 * Word number k becomes (onset nucleus)^L coda.  Onsets and codas hold only
 * consonants, nuclei only vowels, so a spelling splits into its
 * parts in exactly one way: distinct k give distinct words, and the number
 * of terms the corpus holds is the number of ranks it drew.  An affine
 * permutation inside each length class keeps neighbouring ranks from
 * looking alike. */

static const char *const pseudo_onsets[] = {"b", "c",  "d",  "f",  "g",  "h",  "k",  "l",
                                            "m", "n",  "p",  "r",  "s",  "t",  "v",  "z",
                                            "br", "cr", "dr", "gr", "pr", "tr", "st", "pl",
                                            "cl", "sl", "fr", "th", "ch", "sc"};
static const char *const pseudo_nuclei[] = {"a", "e", "i", "o", "u"};
static const char *const pseudo_codas[] = {"", "n", "r", "s", "l", "t", "x", "m", "nd", "ck"};

#define PSEUDO_SYLLABLES (COUNT(pseudo_onsets) * COUNT(pseudo_nuclei))
#define PSEUDO_MAX_BYTES 32

/* Writes pseudo-word k (from 0) into out (PSEUDO_MAX_BYTES); returns its length. */
static size_t pseudo_word(uint64_t k, char *out)
{
    uint64_t cls = (uint64_t)PSEUDO_SYLLABLES * PSEUDO_SYLLABLES * COUNT(pseudo_codas);
    int syllables = 2;
    while (k >= cls && syllables < 5) {
        k -= cls;
        cls *= PSEUDO_SYLLABLES;
        syllables++;
    }
    /* 7919 is prime and shares no factor with the class sizes (2, 3, 5 only). */
    uint64_t m = (k % cls * 7919u + 104729u) % cls;
    size_t len = 0;
    const char *coda = pseudo_codas[m % COUNT(pseudo_codas)];
    m /= COUNT(pseudo_codas);
    for (int i = 0; i < syllables; i++) {
        size_t syl = (size_t)(m % PSEUDO_SYLLABLES);
        m /= PSEUDO_SYLLABLES;
        const char *on = pseudo_onsets[syl % COUNT(pseudo_onsets)];
        const char *nu = pseudo_nuclei[syl / COUNT(pseudo_onsets)];
        memcpy(out + len, on, strlen(on));
        len += strlen(on);
        memcpy(out + len, nu, strlen(nu));
        len += strlen(nu);
    }
    memcpy(out + len, coda, strlen(coda));
    len += strlen(coda);
    out[len] = '\0';
    assert(len < PSEUDO_MAX_BYTES);
    return len;
}

/* ---- Sentences ------------------------------------------------------------ */

typedef struct sentence {
    char text[SENTENCE_BYTES];
    size_t len;
    int words;
} sentence;

static void sent_reset(sentence *s)
{
    s->len = 0;
    s->words = 0;
    s->text[0] = '\0';
}

/* Appends one or more space-separated words. */
static void sent_word(sentence *s, const char *w)
{
    size_t wl = strlen(w);
    assert(wl > 0);
    if (s->len + wl + 2 >= SENTENCE_BYTES)
        die("internal error: sentence buffer overflow");
    if (s->len)
        s->text[s->len++] = ' ';
    memcpy(s->text + s->len, w, wl);
    s->len += wl;
    s->text[s->len] = '\0';
    s->words++;
    for (size_t i = 0; i < wl; i++)
        s->words += w[i] == ' ';
}

static void sent_wordf(sentence *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert(n > 0 && (size_t)n < sizeof buf);
    (void)n;
    sent_word(s, buf);
}

/* Glues punctuation to the last word: "strong," */
static void sent_punct(sentence *s, char c)
{
    assert(s->len > 0 && s->len + 2 < SENTENCE_BYTES);
    s->text[s->len++] = c;
    s->text[s->len] = '\0';
}

/* Capitalizes the first letter and adds the terminator. */
static void sent_finish(sentence *s, char terminator)
{
    assert(s->len > 0);
    if (s->text[0] >= 'a' && s->text[0] <= 'z')
        s->text[0] = (char)(s->text[0] - 'a' + 'A');
    sent_punct(s, terminator);
    assert(s->words >= SENTENCE_MIN_WORDS && s->words <= SENTENCE_MAX_WORDS);
}

typedef struct mark {
    size_t len;
    int words;
} mark;

static mark sent_mark(const sentence *s)
{
    mark m = {s->len, s->words};
    return m;
}

static void sent_rollback(sentence *s, mark m)
{
    s->len = m.len;
    s->words = m.words;
    s->text[s->len] = '\0';
}

/* ---- Companies and people -------------------------------------------------- */

typedef struct person {
    const char *first, *last;
    int female;
} person;

typedef struct analyst {
    person who;
    char firm[64];
} analyst;

typedef struct company {
    uint64_t id;
    char name[64];
    char ticker[8];
    char ticker_lower[8];
    int first_quarter; /* 0 = 2005 Q1 */
    uint32_t base_revenue;  /* tenths of $1 million, in the first quarter */
    int growth_per_mille;  /* per quarter */
    char products[3][48];
    const char *ceo_role, *cfo_role;
    int coverage; /* analysts in the coverage pool */
} company;

static uint64_t g_seed;
static unsigned g_calls_per_company;

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A bijection of [0, n): a * x + b mod n with a coprime to n. */
static uint64_t permute(uint64_t x, uint64_t n, uint64_t salt)
{
    assert(x < n && n < (1ull << 32)); /* so that a * x fits in 64 bits */
    uint64_t a = 1 + mix2(salt, n) % (n - 1 ? n - 1 : 1);
    while (gcd(a, n) != 1)
        a++;
    uint64_t b = mix2(salt, 7) % n;
    return (x * a + b) % n;
}

static void capitalize(char *s)
{
    if (s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char)(s[0] - 'a' + 'A');
}

/* Company c's name, unique among companies: c is permuted into a space of
 * CamelCase pairs and pseudo-words, each times the suffixes. */
static void company_name(uint64_t c, char *out, size_t cap)
{
    const uint64_t suffixes = COUNT(company_suffixes);
    const uint64_t camel = COUNT(camel_first) * COUNT(camel_second);
    const uint64_t pseudo = (uint64_t)PSEUDO_SYLLABLES * PSEUDO_SYLLABLES * COUNT(pseudo_codas);
    const uint64_t space = (camel + pseudo) * suffixes;
    uint64_t v = c < space ? permute(c, space, g_seed ^ 0xC0) : c;
    const char *suffix = company_suffixes[v % suffixes];
    uint64_t root = v / suffixes;
    if (root < camel) {
        snprintf(out, cap, "%s%s%s", camel_first[root % COUNT(camel_first)],
                 camel_second[root / COUNT(camel_first)], suffix);
    } else {
        char word[PSEUDO_MAX_BYTES];
        pseudo_word(root - camel, word);
        capitalize(word);
        snprintf(out, cap, "%s%s", word, suffix);
    }
}

/* Four letters for the first 26^4 companies, five after: unique, so file names are too. */
static void company_ticker(uint64_t c, char *out)
{
    uint64_t space = 26u * 26 * 26 * 26;
    int letters = 4;
    if (c >= space) {
        c -= space;
        space *= 26;
        letters = 5;
    }
    uint64_t v = permute(c % space, space, g_seed ^ 0x71C);
    for (int i = letters - 1; i >= 0; i--) {
        out[i] = (char)('A' + v % 26);
        v /= 26;
    }
    out[letters] = '\0';
}

static void company_init(company *co, uint64_t c)
{
    memset(co, 0, sizeof *co);
    co->id = c;
    company_name(c, co->name, sizeof co->name);
    company_ticker(c, co->ticker);
    for (size_t i = 0; co->ticker[i]; i++)
        co->ticker_lower[i] = (char)(co->ticker[i] - 'A' + 'a');
    uint64_t h = mix2(g_seed, c);
    int span = QUARTERS_AVAILABLE - (int)g_calls_per_company + 1;
    co->first_quarter = (int)(h % (uint64_t)span);
    h = mix2(h, 1);
    /* log-uniform between $5 million and $2 billion a quarter */
    co->base_revenue = (uint32_t)(50.0 * pow(400.0, (double)(h % 10000) / 10000.0));
    h = mix2(h, 2);
    co->growth_per_mille = (int)(h % 110) - 20; /* -2% .. +9% a quarter */
    for (int p = 0; p < 3; p++) {
        h = mix2(h, 3 + (uint64_t)p);
        char word[PSEUDO_MAX_BYTES];
        if (h % 3 == 0) {
            snprintf(co->products[p], sizeof co->products[p], "%s%s",
                     camel_first[(h >> 8) % COUNT(camel_first)],
                     product_parts[(h >> 20) % COUNT(product_parts)]);
        } else {
            pseudo_word(100000 + (h >> 8) % 100000, word);
            capitalize(word);
            snprintf(co->products[p], sizeof co->products[p], "%s%s%s", word,
                     h % 3 == 1 ? " " : "", product_parts[(h >> 40) % COUNT(product_parts)]);
        }
    }
    h = mix2(h, 9);
    co->ceo_role = ceo_roles[h % COUNT(ceo_roles)];
    co->cfo_role = cfo_roles[(h >> 16) % COUNT(cfo_roles)];
    co->coverage = 8 + (int)((h >> 32) % 10);
}

static person person_from_hash(uint64_t h)
{
    person p;
    p.female = (int)(h % 3 == 0);
    p.first = p.female ? female_first[(h >> 8) % COUNT(female_first)]
                       : male_first[(h >> 8) % COUNT(male_first)];
    p.last = last_names[(h >> 24) % COUNT(last_names)];
    return p;
}

static int same_prefix3(const char *a, const char *b)
{
    return strncmp(a, b, 3) == 0;
}

/* Executives change every few years; the CEO and CFO never share a first or last name,
 * so a hand-off by either name picks the right person. */
static void company_executives(const company *co, int call_index, person *ceo, person *cfo)
{
    uint64_t ceo_era = (uint64_t)(call_index + (int)(co->id % 7)) / 28;
    uint64_t cfo_era = (uint64_t)(call_index + (int)(co->id % 5)) / 14;
    *ceo = person_from_hash(mix2(mix2(g_seed, co->id), 0xCE0 + ceo_era * 101));
    uint64_t salt = 0;
    do {
        *cfo = person_from_hash(mix2(mix2(g_seed, co->id), 0xCF0 + cfo_era * 101 + salt * 7919));
        salt++;
    } while (strcmp(cfo->last, ceo->last) == 0 || same_prefix3(cfo->first, ceo->first));
}

#define ANALYST_POOL 4000

static void analyst_from_pool(uint64_t index, analyst *a)
{
    uint64_t h = mix2(g_seed ^ 0xA5A5, index);
    a->who = person_from_hash(h);
    uint64_t f = mix2(h, 17);
    snprintf(a->firm, sizeof a->firm, "%s %s", firm_bases[f % COUNT(firm_bases)],
             firm_suffixes[(f >> 16) % COUNT(firm_suffixes)]);
}

static void company_analyst(const company *co, int k, analyst *a)
{
    analyst_from_pool(mix2(co->id ^ 0xA11, (uint64_t)k) % ANALYST_POOL, a);
}

/* ---- Output files ---------------------------------------------------------- */

typedef struct writer {
    int fd;
    char path[PATH_MAX];
    size_t len;
    uint64_t bytes;
    unsigned char buf[WRITE_BUFFER_BYTES];
} writer;

static void writer_flush(writer *w)
{
    size_t done = 0;
    while (done < w->len) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("cannot write %s: %s", w->path, n < 0 ? strerror(errno) : "no progress");
        done += (size_t)n;
    }
    w->bytes += w->len;
    w->len = 0;
}

static void writer_open(writer *w, const char *path)
{
    if (snprintf(w->path, sizeof w->path, "%s", path) >= (int)sizeof w->path)
        die("path too long: %s", path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (w->fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    w->len = 0;
    w->bytes = 0;
}

static void writer_put(writer *w, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0) {
        if (w->len == sizeof w->buf)
            writer_flush(w);
        size_t room = sizeof w->buf - w->len;
        size_t take = n < room ? n : room;
        memcpy(w->buf + w->len, p, take);
        w->len += take;
        p += take;
        n -= take;
    }
}

static void writer_puts(writer *w, const char *s)
{
    writer_put(w, s, strlen(s));
}

/* Closes the file; returns the bytes written. */
static uint64_t writer_close(writer *w)
{
    writer_flush(w);
    if (close(w->fd) != 0)
        die("cannot write %s: %s (on close)", w->path, strerror(errno));
    w->fd = -1;
    return w->bytes;
}

/* mkdir -p: creates path and its missing parents. */
static void make_directories(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        die("invalid output directory '%s'", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST)
                die("cannot create directory %s: %s", buf, strerror(e));
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
                die("cannot create directory %s: a file of that name exists", buf);
        }
        buf[i] = saved;
    }
}

/* ---- One call ----------------------------------------------------------------- */

enum layout { LAYOUT_NAMED, LAYOUT_BULLETED, LAYOUT_ROLE, LAYOUT_NUMBERED };

enum who { WHO_OPERATOR, WHO_CEO, WHO_CFO, WHO_ANALYST };

typedef struct call {
    rng r;
    writer *w;
    const company *co;
    int layout;
    int index; /* the call's number within the company */
    int year, quarter, month, day;
    person ceo, cfo;
    const char *operator_name;
    uint32_t revenue; /* tenths of $1 million */
    int curly;        /* apostrophes written as U+2019 */
    int crlf;
    int hyphenated;   /* "forward-looking" rather than "forward looking" */
    int line_open;    /* inside a remark line */
    int speaker_number[3]; /* numbered layout: operator, CEO, CFO */
    int analyst_number;    /* numbered layout: the current analyst's number */
    int max_number;
    uint64_t sentences;
    sentence s;
} call;

static const char *eol(const call *c)
{
    return c->crlf ? "\r\n" : "\n";
}

static void end_line(call *c)
{
    writer_puts(c->w, eol(c));
    if (c->layout == LAYOUT_BULLETED)
        writer_puts(c->w, eol(c)); /* every line of this layout is followed by a blank one */
    c->line_open = 0;
}

static void start_line(call *c)
{
    if (c->layout == LAYOUT_BULLETED)
        writer_puts(c->w, "  \xE2\x80\xA2 ");
}

/* A line outside the turns' text (heading, note): written as is. */
static void heading_line(call *c, const char *text)
{
    writer_puts(c->w, text);
    writer_puts(c->w, eol(c));
    if (c->layout == LAYOUT_BULLETED)
        writer_puts(c->w, eol(c));
}

static void close_line(call *c)
{
    if (c->line_open)
        end_line(c);
}

/* Writes text with its apostrophes in the call's style. */
static void put_text(call *c, const char *text, size_t len)
{
    if (!c->curly) {
        writer_put(c->w, text, len);
        return;
    }
    size_t from = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\'') {
            writer_put(c->w, text + from, i - from);
            writer_puts(c->w, "\xE2\x80\x99");
            from = i + 1;
        }
    writer_put(c->w, text + from, len - from);
}

static void label_line(call *c, const char *label)
{
    close_line(c);
    start_line(c);
    writer_puts(c->w, label);
    end_line(c);
}

static uint64_t string_hash(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    return h;
}

static void write_label(call *c, int who, const analyst *a)
{
    char label[160];
    switch (c->layout) {
    case LAYOUT_NAMED:
    case LAYOUT_BULLETED:
        if (who == WHO_OPERATOR)
            snprintf(label, sizeof label, "Operator");
        else if (who == WHO_CEO)
            snprintf(label, sizeof label, "%s %s - %s", c->ceo.first, c->ceo.last, c->co->ceo_role);
        else if (who == WHO_CFO)
            snprintf(label, sizeof label, "%s %s - %s", c->cfo.first, c->cfo.last, c->co->cfo_role);
        else if (mix2(string_hash(a->who.last), (uint64_t)c->index) % 4 == 0) /* firm in the label */
            snprintf(label, sizeof label, "%s %s - %s - Analyst", a->who.first, a->who.last, a->firm);
        else
            snprintf(label, sizeof label, "%s %s - Analyst", a->who.first, a->who.last);
        break;
    case LAYOUT_ROLE:
        snprintf(label, sizeof label, "%s",
                 who == WHO_OPERATOR ? "Operator"
                 : who == WHO_CEO    ? "- CEO"
                 : who == WHO_CFO    ? "- CFO"
                                     : "- Analyst");
        break;
    default: {
        int number = who == WHO_ANALYST ? c->analyst_number : c->speaker_number[who];
        snprintf(label, sizeof label, "Speaker %d", number);
        break;
    }
    }
    label_line(c, label);
}

/* Procedural text the reader drops: a line of its own, or a prefix of the next remark. */
static void procedural_line(call *c, const char *text)
{
    close_line(c);
    start_line(c);
    writer_puts(c->w, text);
    end_line(c);
}

static void procedural_prefix(call *c, const char *text)
{
    if (!c->line_open) {
        start_line(c);
        c->line_open = 1;
    } else {
        writer_puts(c->w, " ");
    }
    writer_puts(c->w, text);
}

/*
 * Writes the finished sentence c->s into the current remark line.  Now and
 * then the line is broken inside the sentence, at a place the reader joins
 * back without a sentence break: before a lowercase word, or after the first
 * letter of the sentence's first word when the sentence does not open the
 * line.  Paragraphs end between sentences.
 */
static void emit(call *c, double paragraph_end)
{
    sentence *s = &c->s;
    assert(s->len > 1);
    int opened_here = !c->line_open;
    if (!c->line_open) {
        start_line(c);
        c->line_open = 1;
    } else {
        writer_puts(c->w, " ");
    }
    size_t cut = 0;
    double u = rng_unit(&c->r);
    if (u < 0.004 && !opened_here && s->text[0] >= 'B' && s->text[0] <= 'Z' &&
        s->text[0] != 'I' && s->text[1] >= 'a' && s->text[1] <= 'z') {
        cut = 1; /* "S" + "o everything": a word split in two */
    } else if (u < 0.03) {
        size_t candidates = 0;
        for (size_t i = 12; i < s->len; i++)
            if (s->text[i - 1] == ' ' && s->text[i] >= 'a' && s->text[i] <= 'z')
                candidates++;
        if (candidates) {
            size_t pick = rng_below(&c->r, (uint32_t)candidates);
            for (size_t i = 12; i < s->len; i++)
                if (s->text[i - 1] == ' ' && s->text[i] >= 'a' && s->text[i] <= 'z' && pick-- == 0) {
                    cut = i;
                    break;
                }
        }
    }
    if (cut) {
        size_t head = s->text[cut - 1] == ' ' ? cut - 1 : cut;
        put_text(c, s->text, head);
        end_line(c);
        start_line(c);
        c->line_open = 1;
        put_text(c, s->text + cut, s->len - cut);
    } else {
        put_text(c, s->text, s->len);
    }
    c->sentences++;
    if (rng_chance(&c->r, paragraph_end))
        end_line(c);
}

/* ---- Phrases of a sentence -------------------------------------------------- */

static void money_text(uint32_t tenths, char *out, size_t cap)
{
    if (tenths >= 10000)
        snprintf(out, cap, "$%u.%u billion", tenths / 10000, tenths / 1000 % 10);
    else if (tenths >= 1000)
        snprintf(out, cap, "$%u million", tenths / 10);
    else
        snprintf(out, cap, "$%u.%u million", tenths / 10, tenths % 10);
}

/* A percentage, mostly between lo and hi; a quarter of them with one decimal. */
static void percent_text(rng *r, int lo, int hi, char *out, size_t cap)
{
    if (rng_chance(r, 0.25))
        snprintf(out, cap, "%d.%d%%", rng_range(r, lo, hi - 1), rng_range(r, 0, 9));
    else
        snprintf(out, cap, "%d%%", rng_range(r, lo, hi));
}

static const char *a_or_an(const char *next)
{
    return strchr("aeiou", next[0]) ? "an" : "a";
}

static void plural_of(const char *noun, char *out, size_t cap)
{
    size_t n = strlen(noun);
    char last = noun[n - 1], before = n > 1 ? noun[n - 2] : 0;
    if (last == 'y' && !strchr("aeiou", before))
        snprintf(out, cap, "%.*sies", (int)(n - 1), noun);
    else if (last == 's' || last == 'x' || last == 'z' || (last == 'h' && (before == 'c' || before == 's')))
        snprintf(out, cap, "%ses", noun);
    else
        snprintf(out, cap, "%ss", noun);
}

/* A noun by Zipf rank, singular or plural; *plural tells which. */
static void noun_word(call *c, char *out, size_t cap, int *plural)
{
    uint32_t rank = noun_rank_draw(&c->r);
    const char *w;
    char pseudo[PSEUDO_MAX_BYTES];
    int mass = 0;
    if (rank <= COUNT(nouns)) {
        w = nouns[rank - 1];
        if (w[0] == '=') {
            mass = 1;
            w++;
        }
    } else {
        pseudo_word(rank - COUNT(nouns) - 1, pseudo);
        w = pseudo;
    }
    *plural = !mass && rng_chance(&c->r, 0.3);
    if (*plural)
        plural_of(w, out, cap);
    else
        snprintf(out, cap, "%s", w);
}

static const char *adjective(call *c)
{
    return adjectives[zipf_draw(&vocab.adjectives, &c->r)];
}

/* A noun phrase; *plural is set for agreement when it is a subject. */
static void noun_phrase(call *c, int *plural)
{
    sentence *s = &c->s;
    rng *r = &c->r;
    int dummy;
    if (!plural)
        plural = &dummy;
    *plural = 0;
    double u = rng_unit(r);
    if (u < 0.16) {
        const char *p = phrases[zipf_draw(&vocab.phrases, r)];
        if (p[0] == '^') {
            sent_word(s, p + 1);
            *plural = 1;
        } else {
            static const char *const dets[] = {"the", "our", "the", "this", "their", "the"};
            sent_word(s, PICK(r, dets));
            if (rng_chance(r, 0.15))
                sent_word(s, adjective(c));
            sent_word(s, p);
        }
        return;
    }
    if (u < 0.19) {
        sent_word(s, c->co->products[rng_below(r, 3)]);
        if (rng_chance(r, 0.5))
            sent_word(s, PICK(r, ((const char *const[]){"platform", "offering", "suite", "solution", "product", "deployments"})));
        return;
    }
    if (u < 0.21) {
        company other;
        company_init(&other, mix2(c->co->id, rng_next(r)) % 1000003u);
        sent_word(s, other.name);
        return;
    }
    char noun[80], noun2[80];
    int pl;
    noun_word(c, noun, sizeof noun, &pl);
    if (pl) {
        if (rng_chance(r, 0.75))
            sent_word(s, plural_determiners[zipf_draw(&vocab.plural_determiners, r)]);
    } else {
        const char *det = singular_determiners[zipf_draw(&vocab.singular_determiners, r)];
        const char *adj = rng_chance(r, 0.35) ? adjective(c) : NULL;
        if (strcmp(det, "a") == 0)
            det = a_or_an(adj ? adj : noun);
        sent_word(s, det);
        if (adj)
            sent_word(s, adj);
        adj = NULL;
        if (rng_chance(r, 0.15)) {
            noun_word(c, noun2, sizeof noun2, &pl);
            sent_word(s, noun);
            sent_word(s, noun2);
            *plural = pl;
            return;
        }
        sent_word(s, noun);
        return;
    }
    if (rng_chance(r, 0.3))
        sent_word(s, adjective(c));
    sent_word(s, noun);
    *plural = 1;
}

/* An object: mostly a noun phrase, sometimes an amount. */
static void object_phrase(call *c)
{
    char num[64];
    double u = rng_unit(&c->r);
    if (u < 0.06) {
        money_text(c->revenue * (uint32_t)rng_range(&c->r, 2, 60) / 100 + 1, num, sizeof num);
        sent_word(&c->s, num);
        sent_word(&c->s, "in");
        noun_phrase(c, NULL);
    } else if (u < 0.11) {
        percent_text(&c->r, 1, 80, num, sizeof num);
        sent_word(&c->s, num);
        sent_word(&c->s, "of");
        noun_phrase(c, NULL);
    } else {
        noun_phrase(c, NULL);
    }
}

/* Subject and verb phrase, with agreement. */
static void clause(call *c)
{
    sentence *s = &c->s;
    rng *r = &c->r;
    int third = 0, first_singular = 0;
    double u = rng_unit(r);
    if (u < 0.34)
        sent_word(s, "we");
    else if (u < 0.42) {
        sent_word(s, "I think we");
    } else if (u < 0.47) {
        sent_word(s, "they");
    } else if (u < 0.52) {
        sent_word(s, "it");
        third = 1;
    } else if (u < 0.56) {
        sent_word(s, "I");
        first_singular = 1;
    } else {
        int plural;
        noun_phrase(c, &plural);
        third = !plural;
    }
    const verb *v = &verbs[zipf_draw(&vocab.verbs, r)];
    if (rng_chance(r, 0.12))
        sent_word(s, adverbs[zipf_draw(&vocab.adverbs, r)]);
    double t = rng_unit(r);
    if (t < 0.35) {
        sent_word(s, v->past);
    } else if (t < 0.55) {
        sent_word(s, third ? v->third : v->base);
    } else if (t < 0.7) {
        sent_word(s, third ? "is" : first_singular ? "am" : "are");
        sent_word(s, v->ing);
    } else if (t < 0.85) {
        static const char *const modals[] = {"will", "would", "can", "could", "should", "may", "will"};
        sent_word(s, PICK(r, modals));
        sent_word(s, v->base);
    } else if (t < 0.93) {
        static const char *const lead[] = {"continue to", "expect to", "plan to", "need to"};
        static const char *const lead3[] = {"continues to", "expects to", "plans to", "needs to"};
        size_t k = rng_below(r, 4);
        sent_word(s, third ? lead3[k] : lead[k]);
        sent_word(s, v->base);
    } else {
        sent_word(s, third ? "has" : "have");
        sent_word(s, v->participle);
    }
    object_phrase(c);
}

/* Extends the sentence towards target words with prepositional phrases,
 * adverbials and (unless phrases_only) more clauses, never past
 * SENTENCE_MAX_WORDS. */
static void extend_to(call *c, int target, int phrases_only)
{
    sentence *s = &c->s;
    rng *r = &c->r;
    int guard = 0;
    while (s->words < target && guard++ < 24) {
        mark m = sent_mark(s);
        double u = rng_unit(r);
        if (phrases_only && u >= 0.5 && u < 0.68)
            u = 0.7; /* an adverbial instead of another clause */
        if (u < 0.5) {
            sent_word(s, prepositions[zipf_draw(&vocab.prepositions, r)]);
            noun_phrase(c, NULL);
        } else if (u < 0.68) {
            sent_punct(s, ',');
            sent_word(s, rng_chance(r, 0.7) ? "and" : "but");
            clause(c);
        } else if (u < 0.8) {
            sent_word(s, endings[zipf_draw(&vocab.endings, r)]);
        } else if (u < 0.95) {
            sent_word(s, rng_chance(r, 0.5) ? "as well as" : "and");
            noun_phrase(c, NULL);
        } else {
            sent_punct(s, ',');
            sent_word(s, "which");
            sent_word(s, PICK(r, ((const char *const[]){"is", "was", "has been", "should be", "continues to be"})));
            sent_word(s, adjective(c));
            sent_word(s, PICK(r, ((const char *const[]){"for", "in", "across"})));
            noun_phrase(c, NULL);
        }
        if (s->words > SENTENCE_MAX_WORDS) {
            sent_rollback(s, m);
            break;
        }
    }
    /* Short sentences grow until they have the minimum, one word at a time if need be. */
    while (s->words < SENTENCE_MIN_WORDS)
        sent_word(s, endings[zipf_draw(&vocab.endings, r)]);
}

/* Sentence lengths: a discrete log-normal, median 18.5 words, clipped to 5..40. */
static zipf_table length_table;

static void length_table_init(void)
{
    int n = SENTENCE_MAX_WORDS - SENTENCE_MIN_WORDS + 1;
    length_table.cdf = malloc((size_t)n * sizeof *length_table.cdf);
    if (!length_table.cdf)
        die("out of memory");
    length_table.n = (size_t)n;
    double sum = 0, mu = log(18.5), sigma = 0.45;
    for (int i = 0; i < n; i++) {
        double x = SENTENCE_MIN_WORDS + i, z = (log(x) - mu) / sigma;
        sum += exp(-0.5 * z * z) / x;
        length_table.cdf[i] = sum;
    }
    for (int i = 0; i < n; i++)
        length_table.cdf[i] /= sum;
    length_table.cdf[n - 1] = 1.0;
}

static int sentence_length(call *c)
{
    return SENTENCE_MIN_WORDS + (int)zipf_draw(&length_table, &c->r);
}

/* A statement from an executive (or an analyst's context). */
static void statement(call *c)
{
    sentence *s = &c->s;
    sent_reset(s);
    int target = sentence_length(c);
    if (rng_chance(&c->r, 0.3))
        sent_word(s, openers[zipf_draw(&vocab.openers, &c->r)]);
    clause(c);
    extend_to(c, target, 0);
    sent_finish(s, rng_chance(&c->r, 0.003) ? '!' : '.');
}

static void question(call *c)
{
    sentence *s = &c->s;
    rng *r = &c->r;
    sent_reset(s);
    int target = sentence_length(c);
    if (target > 28)
        target = 28;
    if (rng_chance(r, 0.2)) {
        sent_word(s, "And then, on");
        noun_phrase(c, NULL);
        sent_punct(s, ',');
        sent_word(s, "how");
        sent_word(s, PICK(r, ((const char *const[]){"should we think about", "do you think about", "are you approaching"})));
    } else {
        sent_word(s, question_frames[zipf_draw(&vocab.frames, r)]);
    }
    noun_phrase(c, NULL);
    extend_to(c, target, 1);
    sent_finish(s, '?');
}

static void canned(call *c, const char *fmt, ...)
{
    sentence *s = &c->s;
    sent_reset(s);
    char buf[SENTENCE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert(n > 0 && (size_t)n < sizeof buf);
    (void)n;
    size_t len = strlen(buf);
    char term = buf[len - 1];
    assert(term == '.' || term == '?' || term == '!');
    buf[len - 1] = '\0';
    sent_word(s, buf);
    sent_finish(s, term);
}

/* ---- Financial sentences ---------------------------------------------------- */

static void financial(call *c)
{
    rng *r = &c->r;
    char rev[48], m2[48], p1[16], p2[16];
    money_text(c->revenue, rev, sizeof rev);
    percent_text(r, 1, 40, p1, sizeof p1);
    percent_text(r, 1, 20, p2, sizeof p2);
    int prev_q = c->quarter == 1 ? 4 : c->quarter - 1;
    int prev_y = c->quarter == 1 ? c->year - 1 : c->year;
    switch (rng_below(r, 11)) {
    case 0:
        canned(c, "During the %s quarter of %d, we generated revenue of %s, up %s from a year ago and up %s sequentially.",
               ordinal_lower[c->quarter - 1], c->year, rev, p1, p2);
        break;
    case 1:
        canned(c, "Revenue for the quarter was %s, compared to the %s quarter of %d.", rev,
               ordinal_lower[prev_q - 1], prev_y);
        break;
    case 2:
        canned(c, "Earnings per share were $0.%02d, and adjusted EBITDA per share was $0.%02d.",
               rng_range(r, 1, 60), rng_range(r, 2, 90));
        break;
    case 3:
        percent_text(r, 40, 85, p1, sizeof p1);
        percent_text(r, 40, 85, p2, sizeof p2);
        canned(c, "Gross margin was %s, compared to %s in the same quarter last year.", p1, p2);
        break;
    case 4:
        money_text(c->revenue * (uint32_t)rng_range(r, 5, 30) / 10, m2, sizeof m2);
        canned(c, "We ended the quarter with %s in cash and cash equivalents and no debt.", m2);
        break;
    case 5:
        canned(c, "Our headcount increased slightly in the quarter to approximately %d employees.",
               rng_range(r, 80, 9000));
        break;
    case 6: {
        company a, b;
        company_init(&a, mix2(c->co->id, rng_next(r)) % 1000003u);
        company_init(&b, mix2(c->co->id, rng_next(r)) % 1000003u);
        canned(c, "We signed more than %d deals with new and existing customers, including %s and %s.",
               rng_range(r, 10, 400), a.name, b.name);
        break;
    }
    case 7:
        money_text(c->revenue * (uint32_t)rng_range(r, 101, 112) / 100, m2, sizeof m2);
        canned(c, "For the %s quarter, we expect revenue in the range of %s to %s.",
               ordinal_lower[c->quarter % 4], rev, m2);
        break;
    case 8:
        money_text(c->revenue * (uint32_t)rng_range(r, 10, 40) / 100 + 1, m2, sizeof m2);
        canned(c, "Deferred revenue was %s, up %s year over year.", m2, p1);
        break;
    case 9:
        percent_text(r, 70, 98, p1, sizeof p1);
        canned(c, "The customer renewal rate was %s, and proactive chat now represents %s of new bookings.",
               p1, p2);
        break;
    default:
        money_text(c->revenue * (uint32_t)rng_range(r, 40, 90) / 100 + 1, m2, sizeof m2);
        percent_text(r, 40, 90, p1, sizeof p1);
        canned(c, "Operating expenses were %s, or %s of revenue, as we continued to invest in %s.",
               m2, p1, c->co->products[rng_below(r, 3)]);
        break;
    }
}

/* ---- Turns ------------------------------------------------------------------ */

static const char *possessive(const call *c, char *buf, size_t cap)
{
    size_t n = strlen(c->co->name);
    if (c->co->name[n - 1] == 's')
        snprintf(buf, cap, "%s'", c->co->name);
    else
        snprintf(buf, cap, "%s's", c->co->name);
    return buf;
}

static const char *honorific(const person *p)
{
    return p->female ? "Ms." : "Mr.";
}

static void full_name(const person *p, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s", p->first, p->last);
}

/* Spelled-out years as spoken ("twenty sixteen"); only the numbered layout uses them. */
static void spoken_year(int year, char *buf, size_t cap)
{
    static const char *const small[] = {"", "one", "two", "three", "four", "five", "six", "seven",
                                        "eight", "nine", "ten", "eleven", "twelve", "thirteen",
                                        "fourteen", "fifteen", "sixteen", "seventeen",
                                        "eighteen", "nineteen"};
    int rest = year - 2000;
    assert(rest >= 0 && rest < 30);
    if (rest < 10)
        snprintf(buf, cap, "two thousand %s", small[rest]);
    else if (rest < 20)
        snprintf(buf, cap, "twenty %s", small[rest]);
    else
        snprintf(buf, cap, "twenty twenty%s%s", rest > 20 ? " " : "", small[rest - 20]);
}

static void filler(call *c, int who, int count, double paragraph_end)
{
    for (int i = 0; i < count; i++) {
        if (who != WHO_ANALYST && rng_chance(&c->r, 0.12))
            financial(c);
        else
            statement(c);
        emit(c, paragraph_end);
    }
}

/* The operator's opening: welcome, recording, introductions and a hand-off to
 * the first executive that names nobody else; n >= 3. */
static void operator_intro(call *c, int n, const person *first_exec)
{
    rng *r = &c->r;
    char pos[96], ceo[64], cfo[64], first[64], yr[48];
    possessive(c, pos, sizeof pos);
    full_name(&c->ceo, ceo, sizeof ceo);
    full_name(&c->cfo, cfo, sizeof cfo);
    full_name(first_exec, first, sizeof first);
    int optional = n - 3;
    const char *ord = ordinal_lower[c->quarter - 1];
    int has_s = c->co->name[strlen(c->co->name) - 1] == 's';
    write_label(c, WHO_OPERATOR, NULL);
    switch (c->layout) {
    case LAYOUT_ROLE:
        canned(c, "At this time, I would like to welcome everyone to the %s %s-quarter %d earnings conference call.",
               c->co->name, ord, c->year);
        emit(c, 1);
        procedural_line(c, "(Operator Instructions)");
        if (optional-- > 0) {
            canned(c, "After the speakers' remarks, there will be a question and answer session.");
            emit(c, 1);
            procedural_line(c, "(Operator Instructions)");
        }
        canned(c, "Joining us today for the conference are %s %s, CEO; and %s %s, CFO.",
               honorific(&c->ceo), ceo, honorific(&c->cfo), cfo);
        emit(c, 0);
        break;
    case LAYOUT_NUMBERED:
        if (rng_chance(r, 0.3))
            spoken_year(c->year, yr, sizeof yr);
        else
            snprintf(yr, sizeof yr, "%d", c->year);
        canned(c, "Good afternoon, and welcome to the %s %s Quarter %s Earnings Call.", c->co->name,
               ordinal_title[c->quarter - 1], yr);
        emit(c, 0);
        if (optional-- > 0) {
            canned(c, "My name is %s, and I'll be facilitating the audio portion of today's interactive broadcast.",
                   c->operator_name);
            emit(c, 0);
        }
        if (optional-- > 0) {
            canned(c, "All lines have been placed on mute to prevent any background noise.");
            emit(c, 0);
        }
        canned(c, "Speaking on today's call will be %s, Chief Executive Officer, and %s, Chief Financial Officer.",
               ceo, cfo);
        emit(c, 0);
        break;
    default: /* named, bulleted */
        if (optional-- > 0) {
            canned(c, "Good afternoon, ladies and gentlemen, and thank you for standing by.");
            emit(c, 0);
        }
        /* "Zentova's", but "the Zentova Systems": the reader strips only "'s" */
        const char *the = has_s ? "the " : "", *co = has_s ? c->co->name : pos;
        if (rng_chance(r, 0.25))
            canned(c, "I would now like to welcome everyone to %s%s %s quarter earnings conference call.",
                   the, co, ord);
        else if (rng_chance(r, 0.3))
            canned(c, "Welcome to %s%s %s Quarter %d Earnings Conference Call.", the, co,
                   ordinal_title[c->quarter - 1], c->year);
        else
            canned(c, "Welcome to %s%s %s quarter %d earnings conference call.", the, co, ord, c->year);
        emit(c, 0);
        if (optional-- > 0) {
            canned(c, "At this time, all participants are in a listen-only mode.");
            emit(c, 0);
        }
        if (optional-- > 0) {
            canned(c, "As a reminder, this conference is being recorded today, %s %d, %d.",
                   month_names[c->month - 1], c->day, c->month <= 3 && c->quarter == 4 ? c->year + 1 : c->year);
            emit(c, 0);
        }
        canned(c, "Speaking on today's conference call will be %s, Chief Executive Officer of %s, and %s, Chief Financial Officer.",
               ceo, c->co->name, cfo);
        emit(c, 0);
        break;
    }
    while (optional-- > 0) {
        canned(c, "%s", PICK(r, ((const char *const[]){
                                "Later, we will conduct a question and answer session.",
                                "At that time, the operator will give you instructions for the session.",
                                "Please note that today's call is being webcast on the company's website.",
                                "A replay of this call will be available after the call concludes today.",
                            })));
        emit(c, 0);
    }
    if (c->layout == LAYOUT_ROLE)
        canned(c, "I'll now turn the call over to %s %s, and you may begin.", honorific(first_exec),
               first_exec->last);
    else
        canned(c, "I would now like to turn the call over to %s.", first);
    emit(c, 0);
}

/* Safe harbor, then business or financial remarks, ending with a hand-off to
 * next (NULL: to the operator for questions).  n >= 2. */
static void executive_remarks(call *c, int who, int n, int safe_harbor, const person *next,
                              int greet, int financial_review)
{
    rng *r = &c->r;
    const person *other = who == WHO_CEO ? &c->cfo : &c->ceo;
    const char *fl = c->hyphenated ? "forward-looking" : "forward looking";
    write_label(c, who, NULL);
    int left = n - 1; /* the closing sentence */
    if (greet && left > 1) {
        double u = rng_unit(r);
        if (u < 0.5)
            canned(c, "Thanks, %s, and good afternoon, everyone.", other->first);
        else if (u < 0.75)
            canned(c, "Thank you for joining us today, everyone.");
        else
            canned(c, "Good afternoon, and thank you for joining us.");
        emit(c, 0.2);
        left--;
    }
    if (safe_harbor && left > 0) {
        static const char *const harbor[] = {
            "Comments that we make during this call regarding %s that are not historical facts are %s statements and are subject to risks and uncertainties.",
            "Any such %s statements are made pursuant to the safe harbor provisions of the Private Securities Litigation Reform Act of 1995.",
            "Actual results may differ materially from those contained in the projections or %s statements.",
            "Listeners are referred to the reports and documents filed from time to time by %s with the Securities and Exchange Commission.",
            "We undertake no obligation to update any %s statements made on this call.",
            "Also, please note that on the call today we will discuss some non-GAAP financial measures in talking about our financial performance.",
            "A reconciliation of GAAP to non-GAAP financial measures is included in today's earnings press release, which is available in the Investor Relations section of our website.",
            "Results that we report today should not be considered as an indication of future performance.",
        };
        int take = left < 6 ? left : rng_range(r, 3, 6);
        if (take > left)
            take = left;
        for (int i = 0; i < take; i++) {
            switch (i) {
            case 0: canned(c, harbor[0], c->co->name, fl); break;
            case 1: canned(c, harbor[1], fl); break;
            case 2: canned(c, harbor[2], fl); break;
            case 3: canned(c, harbor[3], c->co->name); break;
            default: canned(c, harbor[4 + rng_below(r, 4)], fl); break;
            }
            emit(c, i == take - 1 ? 1 : 0.1);
        }
        left -= take;
    }
    if (financial_review) {
        for (int i = 0; i < left; i++) {
            if (rng_chance(r, 0.35))
                financial(c);
            else
                statement(c);
            emit(c, 0.25);
        }
    } else {
        filler(c, who, left, 0.22);
    }
    char name[64];
    if (next) {
        full_name(next, name, sizeof name);
        if (next == &c->ceo)
            canned(c, "Now I'd like to turn the call over to our Chief Executive Officer, %s.", name);
        else if (rng_chance(r, 0.5))
            canned(c, "And with that, I would now like to turn the call over to %s, who will give you more detail on our financials.",
                   rng_chance(r, 0.5) ? next->first : name);
        else
            canned(c, "Now I'll turn the call over to %s.", rng_chance(r, 0.5) ? next->first : name);
    } else if (financial_review) {
        canned(c, "That covers the financial review, and we would now be happy to take your questions.");
    } else {
        canned(c, "%s", PICK(r, ((const char *const[]){
                                "With that, we would be happy to take any questions that you may have.",
                                "Operator, we're now ready to open the call for questions.",
                                "So with that, let's open it up for questions.",
                            })));
    }
    emit(c, 1);
}

/* ---- Questions and answers --------------------------------------------------- */

enum { PLAN_MAX = 40 };

typedef struct turn_plan {
    int who; /* enum who */
    int n;
} turn_plan;

static void plan_add(turn_plan *plan, int *count, int *total, int who, int n)
{
    assert(*count < PLAN_MAX && n >= 1);
    plan[*count].who = who;
    plan[*count].n = n;
    *total += n;
    (*count)++;
}

/* Plans one analyst's exchange in at most budget sentences (>= 3):
 * announcement, question, answers, follow-ups, thanks.  What is left of the
 * budget afterwards is 0 or enough for another exchange. */
static int plan_exchange(rng *r, int budget, turn_plan *plan)
{
    int count = 0, total = 0;
#define ADD(w, k) plan_add(plan, &count, &total, (w), (k))
    assert(budget >= 3);
    ADD(WHO_OPERATOR, rng_chance(r, 0.4) ? 2 : 1);
    ADD(WHO_ANALYST, rng_range(r, 1, 4));
    int lead = rng_chance(r, 0.6) ? WHO_CEO : WHO_CFO;
    ADD(lead, rng_range(r, 1, 8));
    if (rng_chance(r, 0.2))
        ADD(lead == WHO_CEO ? WHO_CFO : WHO_CEO, rng_range(r, 1, 4));
    int rounds = rng_range(r, 0, 3);
    for (int i = 0; i < rounds && count + 3 < PLAN_MAX; i++) {
        ADD(WHO_ANALYST, rng_range(r, 1, 3));
        ADD(rng_chance(r, 0.7) ? lead : (lead == WHO_CEO ? WHO_CFO : WHO_CEO), rng_range(r, 1, 6));
    }
    if (rng_chance(r, 0.6))
        ADD(WHO_ANALYST, 1);
#undef ADD
    /* Too long: drop whole turns from the end, never leaving a question unanswered. */
    while (total > budget && count > 3) {
        total -= plan[--count].n;
        if (plan[count - 1].who == WHO_ANALYST && count > 3)
            total -= plan[--count].n;
    }
    for (int i = count - 1; total > budget && i >= 0; i--)
        while (plan[i].n > 1 && total > budget) {
            plan[i].n--;
            total--;
        }
    assert(total <= budget);
    /* Too short to leave room for another exchange: the last answer takes the rest. */
    if (budget - total < 3) {
        int last_answer = count - 1;
        while (plan[last_answer].who == WHO_ANALYST || plan[last_answer].who == WHO_OPERATOR)
            last_answer--;
        plan[last_answer].n += budget - total;
        total = budget;
    }
    assert(total == budget || budget - total >= 3);
    return count;
}

static void announce(call *c, const analyst *a, int first, int n)
{
    rng *r = &c->r;
    const char *which = first ? "first" : "next";
    char name[64];
    full_name(&a->who, name, sizeof name);
    write_label(c, WHO_OPERATOR, NULL);
    int firm_words = 1;
    for (const char *p = a->firm; *p; p++)
        firm_words += *p == ' ';
    switch (c->layout) {
    case LAYOUT_ROLE:
        if (first || rng_chance(r, 0.3))
            procedural_line(c, "(Operator Instructions)");
        if (firm_words >= 3 && rng_chance(r, 0.6))
            canned(c, "%s, %s.", name, a->firm);
        else
            canned(c, "Our %s question comes from %s, %s.", which, name, a->firm);
        break;
    case LAYOUT_NUMBERED:
        canned(c, "%s %s question comes from %s from %s.", rng_chance(r, 0.3) ? "And your" : "Your",
               which, name, a->firm);
        break;
    case LAYOUT_BULLETED:
        if (first || rng_chance(r, 0.2))
            procedural_prefix(c, "[Operator Instructions].");
        canned(c, "Our %s question comes from the site of %s from %s.", which, name, a->firm);
        break;
    default:
        if (first)
            procedural_prefix(c, "[OPERATOR INSTRUCTIONS]");
        switch (rng_below(r, 4)) {
        case 0:
            canned(c, "It looks like our %s question comes from %s.", which, name);
            break;
        case 1:
            canned(c, "Thank you, and our %s question comes from the site of %s.", which, name);
            break;
        case 2:
            if (firm_words >= 3) {
                canned(c, "%s with %s.", name, a->firm);
                break;
            }
            /* fall through */
        default:
            canned(c, "Our %s question is from %s with %s.", which, name, a->firm);
            break;
        }
        break;
    }
    emit(c, 0);
    if (n > 1) {
        canned(c, "%s", PICK(r, ((const char *const[]){"Please go ahead with your question.",
                                                       "Please go ahead, your line is open.",
                                                       "Go ahead, please, your line is live."})));
        emit(c, 0);
    }
    for (int i = 2; i < n; i++) {
        canned(c, "Please go ahead with your question.");
        emit(c, 0);
    }
}

static void analyst_turn(call *c, const analyst *a, int opening, int closing, int n)
{
    rng *r = &c->r;
    int stand_in = opening && (c->layout == LAYOUT_ROLE || c->layout == LAYOUT_NUMBERED) &&
                   rng_chance(r, 0.04);
    write_label(c, WHO_ANALYST, a);
    int i = 0;
    if (stand_in && n > 0) {
        analyst other;
        analyst_from_pool(rng_below(r, ANALYST_POOL), &other);
        /* A colleague asks in the analyst's place; the resolver names the colleague. */
        canned(c, "This is %s %s for %s %s.", other.who.first, other.who.last, a->who.first,
               a->who.last);
        emit(c, 0);
        i++;
    } else if (closing) {
        canned(c, "%s", PICK(r, ((const char *const[]){
                                "Great, thank you very much.", "Okay, that's very helpful, thanks.",
                                "Got it, thanks for the color.", "Thanks, and congrats on the quarter.",
                                "That's helpful, thank you, guys.", "Great, thanks, guys, nice job.",
                                "All right, thanks a lot, guys.",
                            })));
        emit(c, 0);
        i++;
    } else if (opening && rng_chance(r, 0.6)) {
        canned(c, "%s", PICK(r, ((const char *const[]){
                                "Thanks for taking my questions.", "Hi, thanks for taking the question.",
                                "Good afternoon, and congratulations on the quarter.",
                                "Great, thanks for taking my questions.",
                                "Yes, thank you very much for taking my question.",
                                "Hey, good afternoon, guys, thanks.",
                            })));
        emit(c, 0);
        i++;
    }
    for (; i < n; i++) {
        if (i + 1 < n && rng_chance(r, 0.35))
            statement(c);
        else
            question(c);
        emit(c, 0.15);
    }
}

static void answer_turn(call *c, int who, const analyst *a, int n)
{
    rng *r = &c->r;
    write_label(c, who, NULL);
    int i = 0;
    if (n > 1 && rng_chance(r, 0.35)) {
        canned(c, "%s", PICK(r, ((const char *const[]){
                                "That's a great question, thanks.", "Yes, let me take that one.",
                                "Sure, I can take that one.", "We're not breaking that out specifically.",
                                "It's a fair question, and a good one.",
                            })));
        emit(c, 0.1);
        i++;
    } else if (rng_chance(r, 0.3)) {
        sentence *s = &c->s;
        sent_reset(s);
        sent_wordf(s, "Yes, %s,", a->who.first);
        int target = sentence_length(c);
        clause(c);
        extend_to(c, target, 0);
        sent_finish(s, '.');
        emit(c, 0.2);
        i++;
    }
    filler(c, who, n - i, 0.22);
}

/* ---- The call ---------------------------------------------------------------- */

static int choose_layout(rng *r, int year)
{
    /* weights for named, bulleted, role, numbered */
    static const int early[4] = {45, 35, 10, 10}, middle[4] = {25, 15, 40, 20},
                     late[4] = {15, 5, 25, 55};
    const int *w = year < 2010 ? early : year < 2015 ? middle : late;
    int u = rng_range(r, 0, 99);
    for (int i = 0; i < 4; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return LAYOUT_NAMED;
}

static void call_headings(call *c)
{
    char line[512];
    if (rng_chance(&c->r, 0.01))
        writer_puts(c->w, "\xEF\xBB\xBF"); /* a UTF-8 byte-order mark, as some exports have */
    switch (c->layout) {
    case LAYOUT_BULLETED:
        snprintf(line, sizeof line, "%s Inc (%s) %d Q%d %s", c->co->name, c->co->ticker, c->year,
                 c->quarter, transcript_title_tail);
        heading_line(c, line);
        heading_line(c, full_text_note);
        heading_line(c, disclaimer);
        break;
    case LAYOUT_NUMBERED:
        snprintf(line, sizeof line, "%s - Earnings Call - Q%d %d", c->co->name, c->quarter, c->year);
        heading_line(c, line);
        snprintf(line, sizeof line, "%s %d, %d", month_names[c->month - 1], c->day,
                 c->quarter == 4 ? c->year + 1 : c->year);
        heading_line(c, line);
        heading_line(c, "Transcript");
        break;
    case LAYOUT_ROLE:
        if (rng_chance(&c->r, 0.9))
            heading_line(c, disclaimer);
        break;
    default:
        if (rng_chance(&c->r, 0.4)) {
            snprintf(line, sizeof line, "%s (%s) Q%d %d Earnings Call", c->co->name, c->co->ticker,
                     c->quarter, c->year);
            heading_line(c, line);
        }
        if (rng_chance(&c->r, 0.7))
            heading_line(c, disclaimer);
        break;
    }
}

/* Writes one call of exactly max(target, MIN_CALL_SENTENCES) sentences. */
static void write_call(call *c, int target)
{
    rng *r = &c->r;
    if (target < MIN_CALL_SENTENCES)
        target = MIN_CALL_SENTENCES;
    call_headings(c);

    /* The budget: closing, questions and answers, prepared remarks. */
    int closing = target >= 60 ? rng_range(r, 2, 4) : 1;
    int qa = (int)(target * (0.45 + 0.2 * rng_unit(r)));
    if (qa < 3)
        qa = 3;
    int financials = target >= 40 && rng_chance(r, 0.6);
    int min_prepared = 3 + 2 + 2 + (financials ? 2 : 0);
    int prepared = target - closing - qa;
    if (prepared < min_prepared) {
        prepared = min_prepared;
        qa = target - closing - prepared;
        if (qa < 3) { /* only for the smallest calls */
            qa = 3;
            closing = target - qa - prepared > 0 ? target - qa - prepared : 1;
        }
    }
    int intro = 3 + rng_range(r, 0, 4);
    if (intro > prepared - (min_prepared - 3))
        intro = prepared - (min_prepared - 3);
    int rest = prepared - intro;
    int cfo_first = rng_chance(r, 0.8);
    int first_n = 2 + (rest - (min_prepared - 3)) / 5;
    int review_n = financials ? 2 + (rest - (min_prepared - 3)) * 2 / 5 : 0;
    int second_n = rest - first_n - review_n;
    assert(intro >= 3 && first_n >= 2 && second_n >= 2 && (!financials || review_n >= 2));

    const person *first = cfo_first ? &c->cfo : &c->ceo;
    const person *second = cfo_first ? &c->ceo : &c->cfo;
    int first_who = cfo_first ? WHO_CFO : WHO_CEO, second_who = cfo_first ? WHO_CEO : WHO_CFO;
    c->speaker_number[WHO_OPERATOR] = 0;
    c->speaker_number[first_who] = 1;
    c->speaker_number[second_who] = 2;
    operator_intro(c, intro, first);
    executive_remarks(c, first_who, first_n, 1, second, 0, 0);
    executive_remarks(c, second_who, second_n, 0, financials ? first : NULL, 1, 0);
    if (financials)
        executive_remarks(c, first_who, review_n, 0, NULL, 0, 1);

    /* Questions: the company's covering analysts in turn, from a random one on. */
    int left = qa, k = 0;
    int order = rng_range(r, 0, c->co->coverage - 1);
    while (left >= 3) {
        turn_plan plan[PLAN_MAX];
        int count = plan_exchange(r, left, plan);
        analyst a;
        company_analyst(c->co, (order + k) % c->co->coverage, &a);
        /* The resolver gives an executive label the current analyst's firm when their
         * surnames agree; such an analyst is replaced by one from outside the list. */
        for (int extra = 0; strcmp(a.who.last, c->ceo.last) == 0 || strcmp(a.who.last, c->cfo.last) == 0;)
            company_analyst(c->co, c->co->coverage + extra++, &a);
        /* Numbers are given in order of first appearance; now and then one comes back for
         * another person, as speaker diarization does. */
        if (c->max_number > 2 && rng_chance(r, 0.15))
            c->analyst_number = rng_range(r, 3, c->max_number);
        else
            c->analyst_number = ++c->max_number;
        int first_analyst_turn = 1;
        for (int i = 0; i < count; i++) {
            const turn_plan *p = &plan[i];
            if (p->who == WHO_OPERATOR) {
                announce(c, &a, k == 0, p->n);
            } else if (p->who == WHO_ANALYST) {
                analyst_turn(c, &a, first_analyst_turn, i == count - 1 && i > 2, p->n);
                first_analyst_turn = 0;
            } else {
                answer_turn(c, p->who, &a, p->n);
            }
            left -= p->n;
        }
        k++;
    }
    assert(left == 0); /* plan_exchange never leaves less than a whole exchange */

    /* Closing: the operator, maybe the CEO, the operator again. */
    char ceo[64];
    full_name(&c->ceo, ceo, sizeof ceo);
    write_label(c, WHO_OPERATOR, NULL);
    canned(c, "%s", rng_chance(r, 0.5) ? "There are no further questions at this time."
                                       : "It appears that we have no further questions at this time.");
    emit(c, 0);
    closing--;
    if (closing >= 2) {
        canned(c, "I will now turn the call back over to %s for closing remarks.", ceo);
        emit(c, 0);
        closing--;
        write_label(c, WHO_CEO, NULL);
        canned(c, "Thank you for joining us today, and we look forward to speaking with you next quarter.");
        emit(c, 0);
        closing--;
        if (closing > 0)
            write_label(c, WHO_OPERATOR, NULL);
    }
    while (closing > 0) {
        canned(c, "%s", closing == 1 ? "You may all disconnect now, and have a great day."
                                     : c->layout == LAYOUT_NUMBERED
                                           ? "This does conclude today's conference call."
                                           : "Ladies and gentlemen, this concludes today's conference call.");
        emit(c, 0);
        closing--;
    }
    close_line(c);
}

static void call_init(call *c, writer *w, const company *co, int index, uint64_t file_number)
{
    memset(c, 0, sizeof *c);
    rng_seed(&c->r, g_seed, file_number);
    c->w = w;
    c->co = co;
    c->index = index;
    int q = co->first_quarter + index;
    c->year = FIRST_YEAR + q / 4;
    c->quarter = q % 4 + 1;
    /* Calls come four to seven weeks after the quarter ends. */
    c->month = c->quarter == 4 ? rng_range(&c->r, 2, 3) : c->quarter * 3 + rng_range(&c->r, 1, 2);
    c->day = rng_range(&c->r, 1, 28);
    c->layout = choose_layout(&c->r, c->year);
    company_executives(co, index, &c->ceo, &c->cfo);
    c->operator_name = PICK(&c->r, operator_names);
    uint64_t revenue = co->base_revenue;
    for (int i = 0; i < index; i++)
        revenue = revenue * (uint64_t)(1000 + co->growth_per_mille) / 1000;
    c->revenue = revenue > 0 ? (uint32_t)(revenue < 400000 ? revenue : 400000) : 1;
    c->curly = rng_chance(&c->r, 0.3);
    c->crlf = rng_chance(&c->r, 0.02);
    c->hyphenated = rng_chance(&c->r, 0.6);
    c->max_number = 2; /* 0 is the operator, 1 and 2 the executives in order of appearance */
}

/* ---- Command line ------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROGRAM " --out DIR --sentences N [--seed S] [--calls-per-company M]\n"
            "\n"
            "Write a synthetic corpus of earnings-call transcripts for lpsearch: about N\n"
            "sentences (exactly N when N >= %d) in one .txt file per call under DIR,\n"
            "at most %d files per subdirectory. The same arguments always give the same\n"
            "bytes.\n"
            "\n"
            "options:\n"
            "  --out DIR              output directory, created if missing\n"
            "  --sentences N          sentences to write, 1 to 10^10\n"
            "  --seed S               random seed, 0 to 2^64-1 (default 1)\n"
            "  --calls-per-company M  quarterly calls per company, 1 to %d (default 24)\n"
            "  -h, --help             show this help\n"
            "\n"
            "A summary line with the sentences, files and bytes written goes to stderr.\n",
            MIN_CALL_SENTENCES, FILES_PER_DIR, QUARTERS_AVAILABLE);
}

static void bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROGRAM ": ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    usage(stderr);
    exit(2);
}

static uint64_t parse_number(const char *option, const char *text, uint64_t lo, uint64_t hi)
{
    char *end;
    errno = 0;
    if (!text || !*text || *text == '-' || *text == '+' || *text == ' ')
        bad_usage("%s needs a number", option);
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < lo || v > hi)
        bad_usage("%s: '%s' is not a number from %llu to %llu", option, text,
                  (unsigned long long)lo, (unsigned long long)hi);
    return v;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    uint64_t sentences = 0, seed = 1, per_company = 24;
    int have_sentences = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        const char *eq = strchr(a, '=');
        char name[64];
        if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
        if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        int known = strcmp(name, "--out") == 0 || strcmp(name, "--sentences") == 0 ||
                    strcmp(name, "--seed") == 0 || strcmp(name, "--calls-per-company") == 0;
        if (!known)
            bad_usage("unknown argument '%s'", a);
        if (!value) {
            if (i + 1 >= argc)
                bad_usage("%s needs a value", name);
            value = argv[++i];
        }
        if (strcmp(name, "--out") == 0) {
            if (!*value)
                bad_usage("%s needs a directory", name);
            out = value;
        } else if (strcmp(name, "--sentences") == 0) {
            sentences = parse_number(name, value, 1, 10000000000ull);
            have_sentences = 1;
        } else if (strcmp(name, "--seed") == 0) {
            seed = parse_number(name, value, 0, UINT64_MAX);
        } else {
            per_company = parse_number(name, value, 1, QUARTERS_AVAILABLE);
        }
    }
    if (!out)
        bad_usage("%s is required", "--out");
    if (!have_sentences)
        bad_usage("%s is required", "--sentences");

    g_seed = seed;
    g_calls_per_company = (unsigned)per_company;
    vocabulary_init();
    length_table_init();
    make_directories(out);

    writer *w = malloc(sizeof *w);
    if (!w)
        die("out of memory");
    char dir[PATH_MAX], path[PATH_MAX];
    uint64_t written = 0, files = 0, bytes = 0;
    rng sizes;
    rng_seed(&sizes, seed, UINT64_MAX);
    company co;
    uint64_t current_company = UINT64_MAX;
    while (written < sentences) {
        /* 80 to 220 sentences a call; the last call takes what is left rather than
         * leaving a stub below the minimum. */
        uint64_t remaining = sentences - written;
        uint64_t target = (uint64_t)rng_range(&sizes, 80, 220);
        if (remaining < target + 30)
            target = remaining;
        uint64_t c = files / per_company;
        if (c != current_company) {
            company_init(&co, c);
            current_company = c;
        }
        if (files % FILES_PER_DIR == 0) {
            if (snprintf(dir, sizeof dir, "%s/%03llu", out, (unsigned long long)(files / FILES_PER_DIR)) >= (int)sizeof dir)
                die("output path too long: %s", out);
            make_directories(dir);
        }
        call cl;
        call_init(&cl, w, &co, (int)(files % per_company), files);
        if (snprintf(path, sizeof path, "%s/%s-%d-q%d.txt", dir, co.ticker_lower, cl.year, cl.quarter) >= (int)sizeof path)
            die("output path too long: %s", dir);
        writer_open(w, path);
        write_call(&cl, (int)target);
        bytes += writer_close(w);
        written += cl.sentences;
        files++;
    }
    free(w);
    vocabulary_free();
    free(length_table.cdf);
    fprintf(stderr, PROGRAM ": wrote %llu sentences in %llu files (%llu bytes) under %s\n",
            (unsigned long long)written, (unsigned long long)files, (unsigned long long)bytes, out);
    return 0;
}
