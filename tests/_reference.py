"""Slow, obviously-correct twins of every numba kernel (stumpy's tests/naive.py).

Each function here is written for clarity, not speed: plain numpy, Python
loops where they make the meaning plain.  Tests compare the kernels in
``llstopic._kernels`` against these on small random inputs.
"""

import numpy as np

# ---------------------------------------------------------------- counts


def dense_counts(words, domains, n_words, n_domains):
    """Token counts by ``np.add.at`` into a dense (n_domains, n_words) array."""
    counts = np.zeros((n_domains, n_words), dtype=np.int64)
    np.add.at(counts, (np.asarray(domains), np.asarray(words)), 1)
    return counts


# ---------------------------------------------------------------- inference


# ---------------------------------------------------------------- anchor words


# ---------------------------------------------------------------- posterior / metrics
