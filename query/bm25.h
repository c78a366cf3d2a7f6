/*
 * BM25 in the Lucene form (see ../shared/DESIGN.md):
 *
 *   idf(df)         = ln(1 + (N - df + 0.5) / (df + 0.5))
 *   tf part(tf, dl) = tf / (tf + k1 * (1 - b + b * dl / avgdl))
 *   score           = idf * tf part
 *
 * N and avgdl are over the live sentences of the whole index; df counts live
 * sentences.  Without Lucene's (k1 + 1) factor in the numerator a term's
 * score stays below its idf, which --explain prints as is.
 *
 * The tf part rises with tf and falls with dl, so (largest tf, smallest dl)
 * over a set of documents bounds every one of them: the pruning bounds.
 */
#ifndef LPS_BM25_H
#define LPS_BM25_H

#include <math.h>
#include <stdint.h>

typedef struct bm25_params {
    double k1, b;
    double doc_count;   /* N: live documents */
    double avg_length;  /* avgdl over live documents */
} bm25_params;

static inline double bm25_idf(const bm25_params *p, double df)
{
    return log(1.0 + (p->doc_count - df + 0.5) / (df + 0.5));
}

/* The length normalisation K = k1 * (1 - b + b * dl / avgdl). */
static inline double bm25_norm(const bm25_params *p, double length)
{
    double avg = p->avg_length > 0 ? p->avg_length : 1.0;
    return p->k1 * (1.0 - p->b + p->b * length / avg);
}

static inline double bm25_tf_part(const bm25_params *p, double tf, double length)
{
    return tf / (tf + bm25_norm(p, length));
}

#endif
