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


def infer_proportions(counts, topic_word, max_iter, tol):
    """EM on the mixture weights of each row of a dense count matrix, one row at
    a time, with the same duality-gap stop as ``_kernels.inference``."""
    counts = np.asarray(counts, dtype=np.float64)
    n_topics = topic_word.shape[0]
    out = np.full((counts.shape[0], n_topics), 1.0 / n_topics)
    for d in range(counts.shape[0]):
        n = counts[d]
        if n.sum() == 0:
            continue
        theta = out[d]
        for _ in range(max_iter):
            px = theta @ topic_word
            used = (n > 0) & (px > 0)
            if not used.any():
                theta = np.full(n_topics, 1.0 / n_topics)
                break
            grad = topic_word[:, used] @ (n[used] / px[used]) / n[used].sum()
            theta = theta * grad
            theta = theta / theta.sum()
            if grad.max() - 1.0 <= tol:
                break
        out[d] = theta
    return out


# ---------------------------------------------------------------- anchor words


# ---------------------------------------------------------------- posterior / metrics
