"""Numba kernels: likelihood and EM steps over the non-zeros of CSR counts.

The model is the LLS / topic-model mixture with an optional fixed uniform
background: for domain d and word w (of ``n_words``),

    p_d(w) = (1 - s) * sum_k domain_topic[d, k] * topic_word[k, w] + s / n_words

with ``s`` the ``smoothing`` weight (``s = 0`` is the plain mixture).  Every
kernel visits each non-zero (d, w) of the counts once, in O(nnz * K) time,
and never builds an (nnz, K) array.

**Layout.**  The topics are passed as ``word_topic`` of shape
(n_words, n_topics), C-contiguous, i.e. ``topic_word.T`` copied: the inner
loops run over topics for one word, so both ``domain_topic[d]`` and
``word_topic[w]`` are contiguous rows.  The caller makes the copy once
(n_words * n_topics float64).

**Index types.**  ``indptr``/``indices`` may be int32 or int64 and ``data``
any integer or float type (numba compiles one specialisation per type), so a
validated ``scipy.sparse.csr_matrix`` is passed as is, without copies.  The
caller guarantees ``0 <= indices < n_words``, ``indptr`` non-decreasing from
0 to nnz, counts non-negative: numba does not bounds-check.

**EM step** (:func:`em_step`).  For each non-zero with count c and
p = domain_topic[d] . word_topic[w] > 0, the topic responsibilities are
r_k = (1 - s) domain_topic[d, k] word_topic[w, k] / p_d(w) (the background
keeps the rest, and its weight s is fixed, not learned), and c * r_k is added
to the expected counts of (d, k) and of (w, k).  The M-step with a symmetric
pseudo-count ``prior`` (``a``) is

    domain_topic_new[d, k] = (n_dk + a) / (sum_k n_dk + K a)

the MAP point under a Dirichlet(1 + a) prior on each row (``a = 0`` is plain
maximum likelihood); the topics' M-step is :func:`normalize_word_counts`.
Entries with p = 0 get no responsibilities (their log-likelihood term is
-inf when ``s = 0``); a domain whose expected counts are all zero and
``a = 0`` (no tokens, or only words its topics cannot produce) keeps its row;
a topic with no expected tokens and ``a = 0`` keeps its column.

**Reduction.**  Rows are split by the caller into ``n_chunks`` contiguous
chunks (``chunk_bounds``, balanced by non-zeros); ``prange`` runs over chunks,
and each chunk owns one (n_words, n_topics) float64 slab of word-topic
counts, so there is no race; the slabs are then summed in a fixed order
(``prange`` over words).  Memory: ``n_chunks * n_words * n_topics`` float64,
with ``n_chunks`` the number of threads (2 x 15,000 x 100 x 8 B = 24 MB).
Given the same ``chunk_bounds``, results are bit-for-bit reproducible.

Conventions: plain arrays in, caller-allocated arrays out, IN/OUT marked.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)


@nb.njit(inline="always", **_NJIT)
def _dot(a, b):
    """a . b over the first axis, with four independent accumulators.

    Without ``fastmath`` LLVM may not reorder a floating-point sum, so a
    one-accumulator loop runs at one add per add latency; four partial sums
    (summed pairwise at the end) let it issue them in parallel (~1.3x on the
    EM pass when the topics fit in cache).
    """
    n = a.shape[0]
    n4 = n - n % 4
    p0 = 0.0
    p1 = 0.0
    p2 = 0.0
    p3 = 0.0
    for k in range(0, n4, 4):
        p0 += a[k] * b[k]
        p1 += a[k + 1] * b[k + 1]
        p2 += a[k + 2] * b[k + 2]
        p3 += a[k + 3] * b[k + 3]
    p = (p0 + p1) + (p2 + p3)
    for k in range(n4, n):
        p += a[k] * b[k]
    return p


@nb.njit(parallel=True, **_NJIT)
def loglik_nonzeros(indptr, indices, data, domain_topic, word_topic, smoothing, out_row_loglik):
    """Log-likelihood of each domain's counts under the (smoothed) mixture.

    indptr, indices, data : IN CSR arrays of the counts (n_domains, n_words)
    domain_topic : IN float64 (n_domains, n_topics), C-contiguous
    word_topic : IN float64 (n_words, n_topics), C-contiguous (topic_word.T)
    smoothing : IN float in [0, 1), weight of the uniform background
    out_row_loglik : OUT float64 (n_domains,): sum over the row's non-zeros of
        count * log((1 - s) * domain_topic[d] @ word_topic[w] + s / n_words);
        -inf when a counted word has probability 0, 0 for an empty row
    """
    n_words, n_topics = word_topic.shape
    keep = 1.0 - smoothing
    background = smoothing / n_words
    for d in nb.prange(indptr.shape[0] - 1):
        acc = 0.0
        row = domain_topic[d]
        for q in range(indptr[d], indptr[d + 1]):
            count = float(data[q])
            if count == 0.0:
                continue
            acc += count * np.log(keep * _dot(row, word_topic[indices[q]]) + background)
        out_row_loglik[d] = acc


@nb.njit(parallel=True, **_NJIT)
def em_step(indptr, indices, data, domain_topic, word_topic, smoothing, prior, chunk_bounds, scratch,
            out_domain_topic, out_word_counts, out_row_loglik, update_topics):
    """One EM step over the non-zeros; the input's log-likelihood comes free.

    indptr, indices, data : IN CSR arrays of the counts (n_domains, n_words)
    domain_topic : IN float64 (n_domains, n_topics), rows on the simplex
    word_topic : IN float64 (n_words, n_topics), C-contiguous, columns on the simplex
    smoothing : IN float in [0, 1), fixed weight of the uniform background
    prior : IN float >= 0, pseudo-count added to every domain-topic expected count
    chunk_bounds : IN int64 (n_chunks + 1,), row boundaries of the chunks,
        0 = chunk_bounds[0] <= ... <= chunk_bounds[-1] = n_domains
    scratch : OUT float64 (n_chunks, n_topics), work space (no allocation in prange)
    out_domain_topic : OUT float64 (n_domains, n_topics), the M-step's p_d(y)
        (must not alias ``domain_topic``)
    out_word_counts : OUT float64 (n_chunks, n_words, n_topics) when
        ``update_topics``: on exit ``out_word_counts[0]`` holds the expected
        word-topic counts n_wk (the other slabs are work space); not touched
        otherwise (a (1, 1, 1) array will do)
    out_row_loglik : OUT float64 (n_domains,), log-likelihood of each row
        under the INPUT factors, as :func:`loglik_nonzeros`
    update_topics : IN bool, accumulate the word-topic counts (False: the
        topics stay fixed and only p_d(y) is updated)
    """
    n_chunks = chunk_bounds.shape[0] - 1
    n_words, n_topics = word_topic.shape
    keep = 1.0 - smoothing
    background = smoothing / n_words
    for c in nb.prange(n_chunks):
        g = scratch[c]
        slab = out_word_counts[0]
        if update_topics:
            slab = out_word_counts[c]
            for w in range(n_words):
                for k in range(n_topics):
                    slab[w, k] = 0.0
        for d in range(chunk_bounds[c], chunk_bounds[c + 1]):
            for k in range(n_topics):
                g[k] = 0.0
            acc = 0.0
            row = domain_topic[d]
            for q in range(indptr[d], indptr[d + 1]):
                count = float(data[q])
                if count == 0.0:
                    continue
                w = indices[q]
                col = word_topic[w]
                p = _dot(row, col)
                pm = keep * p + background
                acc += count * np.log(pm)
                if p > 0.0:
                    ratio = count * keep / pm
                    for k in range(n_topics):
                        g[k] += ratio * col[k]
                    if update_topics:
                        counts_w = slab[w]
                        for k in range(n_topics):
                            counts_w[k] += ratio * row[k]
            out_row_loglik[d] = acc
            total = 0.0
            for k in range(n_topics):
                g[k] *= domain_topic[d, k]
                total += g[k]
            denom = total + n_topics * prior
            if denom > 0.0:
                for k in range(n_topics):
                    out_domain_topic[d, k] = (g[k] + prior) / denom
            else:
                for k in range(n_topics):
                    out_domain_topic[d, k] = domain_topic[d, k]
    if update_topics:
        for w in nb.prange(n_words):
            for k in range(n_topics):
                s = 0.0
                for c in range(n_chunks):
                    s += out_word_counts[c, w, k]
                out_word_counts[0, w, k] = s * word_topic[w, k]


@nb.njit(**_NJIT)
def normalize_word_counts(word_counts, prior, word_topic, out_word_topic):
    """The topics' M-step: each column of the expected counts plus ``prior``, normalised.

    word_counts : IN float64 (n_words, n_topics), expected counts n_wk
    prior : IN float >= 0, pseudo-count per (word, topic)
    word_topic : IN float64 (n_words, n_topics), the current topics, kept for a
        column whose total is 0 (a topic no token was assigned to, prior 0)
    out_word_topic : OUT float64 (n_words, n_topics), columns on the simplex
        (may alias ``word_topic`` but not ``word_counts``)
    """
    n_words, n_topics = word_counts.shape
    totals = np.zeros(n_topics)
    for w in range(n_words):
        for k in range(n_topics):
            totals[k] += word_counts[w, k]
    for k in range(n_topics):
        totals[k] += n_words * prior
    for w in range(n_words):
        for k in range(n_topics):
            if totals[k] > 0.0:
                out_word_topic[w, k] = (word_counts[w, k] + prior) / totals[k]
            else:
                out_word_topic[w, k] = word_topic[w, k]


@nb.njit(parallel=True, **_NJIT)
def sum_log_rows(values, out):
    """Sum of ``log`` of each row of a 2-D float64 array (-inf if an entry is 0).

    values : IN float64 (n_rows, n_cols), non-negative
    out : OUT float64 (n_rows,); used for the Dirichlet log-prior
    """
    for i in nb.prange(values.shape[0]):
        row = 0.0
        for j in range(values.shape[1]):
            row += np.log(values[i, j])
        out[i] = row


@nb.njit(parallel=True, **_NJIT)
def squarem_norms(x, fx, ffx, out_rr, out_vv):
    """Squared norms, row by row, of SQUAREM's r = log F(x) - log x and
    v = log F(F(x)) - 2 log F(x) + log x.

    x, fx, ffx : IN float64 (n_rows, n_cols), a point, its EM image and the
        image's image; entries where any of the three is 0 are skipped
    out_rr, out_vv : OUT float64 (n_rows,), sum of r^2 and of v^2 over each row
    """
    for i in nb.prange(x.shape[0]):
        row_r = 0.0
        row_v = 0.0
        for j in range(x.shape[1]):
            if x[i, j] > 0.0 and fx[i, j] > 0.0 and ffx[i, j] > 0.0:
                l0 = np.log(x[i, j])
                l1 = np.log(fx[i, j])
                l2 = np.log(ffx[i, j])
                r = l1 - l0
                v = l2 - 2.0 * l1 + l0
                row_r += r * r
                row_v += v * v
        out_rr[i] = row_r
        out_vv[i] = row_v


@nb.njit(parallel=True, **_NJIT)
def squarem_extrapolate(x, fx, ffx, alpha, out):
    """SQUAREM's extrapolated point in log coordinates, each row renormalised.

    log out = (1 + a)^2 log x - 2 a (1 + a) log F(x) + a^2 log F(F(x)) with
    a = ``alpha[i]`` for row i (<= -1; a = -1 gives F(F(x)) exactly), i.e.
    log x - 2 a r + a^2 v, then every row is scaled to sum to one.  The three
    coefficients sum to one, so the result is on the scale of a log
    probability; entries where x or F(x) is 0 take log F(F(x)) instead.
    Positivity is automatic (no clipping to zero, which EM could never
    leave); the row's largest value is subtracted before ``exp``.

    x, fx, ffx : IN float64 (n_rows, n_cols), rows on the simplex
    alpha : IN float64 (n_rows,), step lengths <= -1
    out : OUT float64 (n_rows, n_cols), rows on the simplex (must not alias the inputs)
    """
    for i in nb.prange(x.shape[0]):
        a = alpha[i]
        c0 = (1.0 + a) * (1.0 + a)
        c1 = -2.0 * a * (1.0 + a)
        c2 = a * a
        top = -np.inf
        for j in range(x.shape[1]):
            if ffx[i, j] <= 0.0:
                lv = -np.inf
            elif x[i, j] > 0.0 and fx[i, j] > 0.0:
                lv = c0 * np.log(x[i, j]) + c1 * np.log(fx[i, j]) + c2 * np.log(ffx[i, j])
            else:
                lv = np.log(ffx[i, j])
            out[i, j] = lv
            if lv > top:
                top = lv
        if top == -np.inf:
            for j in range(x.shape[1]):
                out[i, j] = ffx[i, j]
            continue
        total = 0.0
        for j in range(x.shape[1]):
            out[i, j] = np.exp(out[i, j] - top)
            total += out[i, j]
        for j in range(x.shape[1]):
            out[i, j] /= total
