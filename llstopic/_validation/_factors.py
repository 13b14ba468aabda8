"""Checks of a factorization's arrays and of the scalars around them (likelihoods, the polish)."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ._constraints import Interval, check_param

__all__ = ["check_real", "check_bool", "check_counts", "check_factor", "factor_shapes"]


def check_real(value, name, *, low, low_open=False, high=None):
    """``value`` as a float in [low, high) (or (low, high) with ``low_open``)."""
    closed = "neither" if low_open else "left"
    return float(check_param(value, name, [Interval(Real, low, high, closed=closed)]))


def check_bool(value, name):
    return bool(check_param(value, name, ["boolean"]))


def check_counts(counts, *, require_tokens=True):
    """CSR counts of a Corpus (read in place) or of any count matrix (validated, copied)."""
    from ..corpus import Corpus
    from ._counts import check_count_matrix

    if isinstance(counts, Corpus):
        if require_tokens and counts.n_tokens == 0:
            raise ValueError("counts holds no tokens (every count is zero)")
        return counts.counts
    return check_count_matrix(counts, "counts", require_tokens=require_tokens)


def check_factor(array, name, shape, *, simplex, atol=1e-6, first_row=0):
    """A C-contiguous float64 copy of a factor, non-negative, with rows normalised (if ``simplex``).

    ``first_row`` offsets the row numbers in messages (a block of a larger factor).
    """
    from . import check_finite_array

    arr = check_finite_array(array, name, ndim=2)
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}, expected {shape} "
                         "((n_topics, n_words) for topic_word, (n_domains, n_topics) for domain_topic)")
    if (arr < 0).any():
        i, j = np.argwhere(arr < 0)[0]
        raise ValueError(f"{name} has a negative entry {arr[i, j].item()!r} at position "
                         f"({first_row + i}, {j})")
    if not simplex:
        return np.ascontiguousarray(arr)
    sums = arr.sum(axis=1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} rows must lie on the simplex (sum to one within {atol}); "
                         f"row {first_row + i} sums to {sums[i].item()!r}")
    return np.ascontiguousarray(arr / sums[:, None])


def factor_shapes(counts, topic_word, domain_topic):
    """The shapes topic_word and domain_topic must have for ``counts`` and topic_word's row count."""
    n_domains, n_words = counts.shape
    tw = np.shape(topic_word)
    if len(tw) != 2:
        raise ValueError(f"topic_word must be 2-dimensional (n_topics, n_words), got shape {tw}")
    return (tw[0], n_words), (n_domains, tw[0])
