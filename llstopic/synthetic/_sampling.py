"""Vectorised sampling machinery behind :mod:`llstopic.synthetic` (private).

Nothing here loops over tokens in Python: label and word counts are drawn as
multinomials or by inverse-CDF search, tokens are materialised with
``np.repeat``, and contiguous segments (domains) are shuffled in place.  The
callers validate every argument first.
"""

from __future__ import annotations

import numpy as np

#: Word counts are drawn per (domain, label) block when there are at most this
#: many (domain, label, word) cells per token; otherwise one search per token.
COUNT_CELLS_PER_TOKEN = 1.0
#: Average domain length above which domains are shuffled one at a time.
MIN_SEGMENT_FOR_LOOP = 256


def shuffled_domain_order(domains, rng):
    """Order that groups ``domains`` ascending, with a uniformly random order within each domain.

    Sorts one integer key per token, ``domain * 2**32 + random 32-bit``, so no
    floating-point rounding can move a token into a neighbouring domain.
    """
    key = domains << np.int64(32)
    key |= rng.integers(0, 2**32, size=domains.shape[0], dtype=np.int64)
    return np.argsort(key)


def sample_tokens(lengths, domain_topic, topic_word, rng):
    """Draw (words, domains, labels) for domains of the given lengths.

    Label counts per (domain, label) block are Multinomial(n_d, p_d); the
    tokens are laid out domain-major, block (d, y) holding the tokens of
    label y in domain d.  Words of a block are i.i.d. from p(x|y): drawn as
    multinomial word counts per block when there are fewer (domain, label,
    word) cells than tokens, else by inverse-CDF search of one uniform per
    token.  Finally each domain's tokens are shuffled, so that within a domain
    the sequence is i.i.d. from sum_y p_d(y) p(x|y).
    """
    n_domains, n_topics = domain_topic.shape
    n_words = topic_word.shape[1]
    n_tokens = int(lengths.sum())
    block_counts = rng.multinomial(lengths, domain_topic)             # (n_domains, n_topics)
    flat_counts = block_counts.ravel()
    domains = np.repeat(np.arange(n_domains, dtype=np.int64), lengths)
    labels = np.repeat(np.tile(np.arange(n_topics, dtype=np.int64), n_domains), flat_counts)
    if n_domains * n_topics * n_words <= COUNT_CELLS_PER_TOKEN * n_tokens:
        word_counts = np.empty((n_domains, n_topics, n_words), dtype=np.int64)
        for y in range(n_topics):
            word_counts[:, y] = rng.multinomial(block_counts[:, y], topic_word[y])
        words = np.repeat(np.tile(np.arange(n_words, dtype=np.int64), n_domains * n_topics),
                          word_counts.ravel())
    else:
        words = np.empty(n_tokens, dtype=np.int64)
        cdf = np.cumsum(topic_word, axis=1)
        cdf /= cdf[:, -1:]                                             # last entry exactly 1
        block_start = (np.cumsum(flat_counts) - flat_counts).reshape(n_domains, n_topics)
        for y in range(n_topics):
            counts = block_counts[:, y]
            n_y = int(counts.sum())
            within = np.arange(n_y) - np.repeat(np.cumsum(counts) - counts, counts)
            positions = np.repeat(block_start[:, y], counts) + within
            # First word whose cdf exceeds u: zero-probability words are never chosen.
            words[positions] = np.searchsorted(cdf[y], rng.random(n_y), side="right")
    order = shuffle_segments(lengths, rng)
    return words[order], domains[order], labels[order]


def shuffle_segments(lengths, rng):
    """Permutation of range(sum(lengths)) shuffling each contiguous segment uniformly.

    Long segments are shuffled one by one (cache-friendly, O(n_tokens));
    many short ones by sorting a (segment, random) integer key.
    """
    n_tokens = int(lengths.sum())
    if lengths.shape[0] * MIN_SEGMENT_FOR_LOOP <= n_tokens:
        order = np.arange(n_tokens, dtype=np.int64)
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        for start, stop in zip(bounds[:-1], bounds[1:]):
            rng.shuffle(order[start:stop])
        return order
    segment_ids = np.repeat(np.arange(lengths.shape[0], dtype=np.int64), lengths)
    return shuffled_domain_order(segment_ids, rng)


def rounded_counts(cum, sizes):
    """Cumulative rounding of ``size * p_d``: shape (len(sizes), n_domains, n_topics).

    ``counts[j, d] = diff(floor(sizes[j] * cum[d] + 1/2))`` with a leading 0,
    so each row sums to ``sizes[j]`` exactly, entries are non-negative, a zero
    weight gives a zero count, and every count is within 1 of ``size * p``.
    """
    rounded = np.floor(sizes[:, None, None] * cum[None] + 0.5).astype(np.int64)
    counts = np.diff(rounded, axis=2, prepend=0)
    return counts


def largest_domain_size(cum, available, n_examples):
    """Largest m such that every label has enough examples for m-sized domains."""
    n_domains = cum.shape[0]
    weight = np.diff(cum, axis=1, prepend=0.0).sum(axis=0)            # sum_d p_d(y)
    used = weight > 0
    # |count - m p| <= 1 per cell, so the answer lies in [lo, hi].
    hi = int(np.min(np.floor((available[used] + n_domains) / weight[used])))
    hi = min(n_examples // n_domains, hi)
    lo = max(0, int(np.min(np.floor((available[used] - n_domains) / weight[used]))))
    lo = min(lo, hi)
    block = max(1, 2**20 // max(1, cum.size))
    m = hi
    while m > lo:
        sizes = np.arange(m, max(lo, m - block), -1)
        need = rounded_counts(cum, sizes).sum(axis=1)                # (len(sizes), n_topics)
        ok = np.flatnonzero((need <= available).all(axis=1))
        if ok.size:
            return int(sizes[ok[0]])
        m = int(sizes[-1]) - 1
    if lo < 1:
        short = int(np.argmin(available - rounded_counts(cum, np.array([1]))[0].sum(axis=0)))
        raise ValueError(
            f"labels has too few examples for {n_domains} domains: even one example per domain "
            f"needs more of label {short} than the {int(available[short])} available"
        )
    return lo
