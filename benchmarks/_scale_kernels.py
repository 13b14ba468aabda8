"""Numba kernels of the planted-corpus generator of ``bench_scale.py``.

These serve the benchmark only (they are not part of llstopic): alias tables
for sampling words, the per-document token sampler, and the UCI line
formatter.  Same conventions as ``llstopic/_kernels``: module level,
``cache=True``, no ``fastmath``, plain arrays in, caller-allocated arrays out
(marked IN / OUT).  The callers in ``_scale_corpus.py`` validate every array
first (numba does not bounds-check); slow twins are in
``tests/test_bench_scale.py``.

Randomness: each document carries its own 64-bit seed (drawn by the caller
from a numpy Generator) that drives a SplitMix64 stream, so the output does
not depend on how the parallel loop is split between threads.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_SPACE, _LF, _ZERO = 32, 10, 48


@nb.njit(**_NJIT)
def splitmix_next(state):
    """One SplitMix64 step: return ``(new_state, uniform in [0, 1))``."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return state, float(z >> _S11) * _TO_UNIT


@nb.njit(**_NJIT)
def build_alias(weights, prob, alias):
    """Walker/Vose alias tables, one per row of ``weights``.

    weights : IN float64 (n_rows, n), non-negative, every row with a positive sum
    prob : OUT float32 (n_rows, n), acceptance probability of each bucket
    alias : OUT int32 (n_rows, n), the other word of each bucket

    Bucket ``i`` (chosen uniformly) yields ``i`` with probability
    ``prob[r, i]`` and ``alias[r, i]`` otherwise.  A zero-weight entry gets
    ``prob = 0`` and an alias of positive weight, so it is never drawn.
    """
    n_rows, n = weights.shape
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    scaled = np.empty(n, dtype=np.float64)
    for r in range(n_rows):
        total = 0.0
        best = 0
        for i in range(n):
            total += weights[r, i]
            if weights[r, i] > weights[r, best]:
                best = i
        n_small = 0
        n_large = 0
        for i in range(n):
            scaled[i] = weights[r, i] * n / total
            if scaled[i] < 1.0:
                small[n_small] = i
                n_small += 1
            else:
                large[n_large] = i
                n_large += 1
        while n_small > 0 and n_large > 0:
            n_small -= 1
            s = small[n_small]
            g = large[n_large - 1]
            prob[r, s] = scaled[s]
            alias[r, s] = g
            scaled[g] = (scaled[g] + scaled[s]) - 1.0
            if scaled[g] < 1.0:
                n_large -= 1
                small[n_small] = g
                n_small += 1
        while n_large > 0:  # left over by rounding only: they hold ~1
            n_large -= 1
            g = large[n_large]
            prob[r, g] = 1.0
            alias[r, g] = g
        while n_small > 0:
            n_small -= 1
            s = small[n_small]
            if weights[r, s] > 0.0:
                prob[r, s] = 1.0
                alias[r, s] = s
            else:
                prob[r, s] = 0.0
                alias[r, s] = best


@nb.njit(parallel=True, **_NJIT)
def sample_documents(offsets, topic_cdf, prob, alias, seeds, words, counts, nnz):
    """Sample the tokens of a block of documents and count them per word.

    offsets : IN int64 (n_docs + 1,), non-decreasing from 0: document ``d`` has
        ``offsets[d + 1] - offsets[d]`` tokens
    topic_cdf : IN float64 (n_docs, n_topics), cumulative p_d(y) of each
        document, non-decreasing, last column exactly 1
    prob, alias : IN alias tables of p(x|y) from :func:`build_alias`, shape
        (n_topics, n_words); ``alias`` in ``[0, n_words)``
    seeds : IN uint64 (n_docs,), one random stream per document
    words : OUT int32 (offsets[-1],), document ``d``'s distinct words, sorted,
        at ``offsets[d] : offsets[d] + nnz[d]`` (the rest is scratch)
    counts : OUT int32 (offsets[-1],), their counts, same positions
    nnz : OUT int64 (n_docs,), distinct words per document

    Each token draws a topic from p_d(y) by bisection on ``topic_cdf``, then a
    word from that topic's alias table.
    """
    n_docs = seeds.shape[0]
    n_topics = topic_cdf.shape[1]
    n_words = prob.shape[1]
    for d in nb.prange(n_docs):
        start = offsets[d]
        stop = offsets[d + 1]
        state = seeds[d]
        for t in range(start, stop):
            state, u = splitmix_next(state)
            lo = 0
            hi = n_topics - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if topic_cdf[d, mid] > u:
                    hi = mid
                else:
                    lo = mid + 1
            state, u = splitmix_next(state)
            i = int(u * n_words)
            if i >= n_words:
                i = n_words - 1
            state, u = splitmix_next(state)
            if u >= prob[lo, i]:
                i = alias[lo, i]
            words[t] = i
        words[start:stop].sort()
        j = start
        t = start
        while t < stop:
            w = words[t]
            c = 0
            while t < stop and words[t] == w:
                c += 1
                t += 1
            words[j] = w
            counts[j] = c
            j += 1
        nnz[d] = j - start


@nb.njit(**_NJIT)
def _n_digits(value):
    n = 1
    while value >= 10:
        value //= 10
        n += 1
    return n


@nb.njit(**_NJIT)
def _put_int(out, end, value):
    """Write ``value`` (>= 0) so that its last digit is at ``end - 1``."""
    pos = end - 1
    while True:
        out[pos] = _ZERO + value % 10
        value //= 10
        if value == 0:
            break
        pos -= 1


@nb.njit(parallel=True, **_NJIT)
def line_bytes(first_doc, offsets, nnz, words, counts, n_bytes):
    """Bytes of each document's ``"doc word count\\n"`` lines (ids 1-based).

    first_doc : IN int, 0-based id of the block's first document (>= 0)
    offsets, nnz, words, counts : IN, as written by :func:`sample_documents`
        (words >= 0, counts >= 1)
    n_bytes : OUT int64 (n_docs,)
    """
    for d in nb.prange(nnz.shape[0]):
        doc_digits = _n_digits(first_doc + d + 1) + 3
        total = 0
        for j in range(offsets[d], offsets[d] + nnz[d]):
            total += doc_digits + _n_digits(words[j] + 1) + _n_digits(counts[j])
        n_bytes[d] = total


@nb.njit(parallel=True, **_NJIT)
def format_lines(first_doc, offsets, nnz, words, counts, byte_offsets, out):
    """Write the UCI lines of a block of documents.

    first_doc, offsets, nnz, words, counts : IN, as for :func:`line_bytes`
    byte_offsets : IN int64 (n_docs + 1,), cumulative sum of ``line_bytes``
        starting at 0
    out : OUT uint8 (byte_offsets[-1],)
    """
    for d in nb.prange(nnz.shape[0]):
        doc = first_doc + d + 1
        doc_digits = _n_digits(doc)
        pos = byte_offsets[d]
        for j in range(offsets[d], offsets[d] + nnz[d]):
            pos += doc_digits
            _put_int(out, pos, doc)
            out[pos] = _SPACE
            pos += 1 + _n_digits(words[j] + 1)
            _put_int(out, pos, words[j] + 1)
            out[pos] = _SPACE
            pos += 1 + _n_digits(counts[j])
            _put_int(out, pos, counts[j])
            out[pos] = _LF
            pos += 1


@nb.njit(**_NJIT)
def add_word_totals(offsets, nnz, words, counts, totals):
    """Add each word's count over a block to ``totals``.

    offsets, nnz, words, counts : IN, as for :func:`line_bytes`
    totals : IN/OUT int64 (n_words,), words must be in ``[0, n_words)``
    """
    for d in range(nnz.shape[0]):
        for j in range(offsets[d], offsets[d] + nnz[d]):
            totals[words[j]] += counts[j]
