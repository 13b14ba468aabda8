"""Recovery metrics that are honest about label permutation.

Latent labels are identified only up to a permutation, so every comparison
of an estimate with the truth first matches topics.  The convention used
throughout: :func:`match_topics` returns ``perm`` with

    ``est_topic_word[perm]`` aligned with ``true_topic_word``, i.e. estimated
    topic ``perm[i]`` plays the role of true topic ``i``;

and the same ``perm`` aligns the columns of a domain–topic estimate:
``est_domain_topic[:, perm]``.  Metrics never store a matching; they return it.

All functions are pure and validate their inputs: shapes must agree and
probability arrays must hold finite, non-negative rows summing to one
(within 1e-6).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from numpy.typing import ArrayLike

from .._validation import check_id_array, check_positive_int, check_probability_rows

__all__ = [
    "match_topics",
    "topic_word_error",
    "domain_topic_error",
    "matched_accuracy",
    "match_labels",
    "oracle_topic_word",
]


def _check_pair(true, est, true_name, est_name):
    """Validate two probability-row matrices of the same shape."""
    true = check_probability_rows(true, true_name)
    est = check_probability_rows(est, est_name)
    if true.shape != est.shape:
        raise ValueError(f"{true_name} and {est_name} must have the same shape, "
                         f"got {true.shape} and {est.shape}")
    return true, est


def _check_permutation(permutation, n_topics):
    """Return ``permutation`` as int64 after checking it permutes range(n_topics)."""
    if permutation is None:
        return np.arange(n_topics)
    perm = check_id_array(permutation, "permutation", upper=n_topics, upper_name="n_topics")
    if perm.shape[0] != n_topics:
        raise ValueError(f"permutation must have n_topics = {n_topics} entries, "
                         f"got {perm.shape[0]}")
    seen = np.zeros(n_topics, dtype=bool)
    seen[perm] = True
    if not seen.all():
        missing = int(np.flatnonzero(~seen)[0])
        raise ValueError(f"permutation must be a permutation of 0..{n_topics - 1}: "
                         f"{missing} is missing (some entry is repeated)")
    return perm


def match_topics(true_topic_word: ArrayLike, est_topic_word: ArrayLike) -> np.ndarray:
    """Match estimated topics to true ones (Hungarian algorithm on total L1 distance).

    Parameters
    ----------
    true_topic_word : array-like of shape (n_topics, n_words)
        True p(x|y), rows summing to one.
    est_topic_word : array-like of shape (n_topics, n_words)
        Estimated p(x|y), rows summing to one, in any topic order.

    Returns
    -------
    permutation : ndarray of int64, shape (n_topics,)
        ``est_topic_word[permutation]`` is aligned with ``true_topic_word``:
        estimated topic ``permutation[i]`` is matched to true topic ``i``.
        The matching minimises ``sum_i ||true[i] - est[permutation[i]]||_1``.

    Examples
    --------
    >>> from llstopic import match_topics
    >>> true = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]])
    >>> match_topics(true, true[[1, 0]]).tolist()
    [1, 0]
    """
    true, est = _check_pair(true_topic_word, est_topic_word, "true_topic_word", "est_topic_word")
    cost = cdist(true, est, metric="cityblock")
    rows, cols = linear_sum_assignment(cost)
    permutation = np.empty(true.shape[0], dtype=np.int64)
    permutation[rows] = cols
    return permutation


def topic_word_error(true_topic_word: ArrayLike, est_topic_word: ArrayLike, *,
                     permutation: ArrayLike | None = None) -> float:
    """Mean over topics of the L1 distance between matched rows of p(x|y).

    Parameters
    ----------
    true_topic_word, est_topic_word : array-like of shape (n_topics, n_words)
        True and estimated p(x|y), rows summing to one.
    permutation : array-like of int, shape (n_topics,), optional
        Alignment as returned by :func:`match_topics`; ``None`` (default)
        computes it.

    Returns
    -------
    float
        ``mean_i ||true[i] - est[permutation[i]]||_1``, between 0 and 2.

    Examples
    --------
    >>> from llstopic import topic_word_error
    >>> true = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]])
    >>> topic_word_error(true, true[[1, 0]])
    0.0
    """
    true, est = _check_pair(true_topic_word, est_topic_word, "true_topic_word", "est_topic_word")
    if permutation is None:
        permutation = match_topics(true, est)
    permutation = _check_permutation(permutation, true.shape[0])
    return float(np.abs(true - est[permutation]).sum(axis=1).mean())


def domain_topic_error(true_domain_topic: ArrayLike, est_domain_topic: ArrayLike, *,
                       permutation: ArrayLike, per_domain: bool = False) -> Any:
    """Error of estimated label mixes p_d(y) after aligning topics.

    Parameters
    ----------
    true_domain_topic, est_domain_topic : array-like of shape (n_domains, n_topics)
        True and estimated p_d(y), rows summing to one.
    permutation : array-like of int, shape (n_topics,) or None
        Alignment from :func:`match_topics` on the topic–word matrices (the
        topics are matched there, where they are identified);
        ``est_domain_topic[:, permutation]`` is compared with the truth.
        Required; pass ``None`` explicitly for the identity.
    per_domain : bool, default=False
        If False, return the mean absolute error per entry (the
        latent-label-shift paper's reporting convention).  If True, return
        the L1 distance of each domain's row.

    Returns
    -------
    float or ndarray of shape (n_domains,)
        Mean absolute error over all entries (0 to 2 / n_topics), or the
        per-domain L1 distances (each 0 to 2).

    Examples
    --------
    >>> from llstopic import domain_topic_error
    >>> true = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> est = np.array([[0.4, 0.6], [0.0, 1.0]])
    >>> round(domain_topic_error(true, est, permutation=[0, 1]), 6)
    0.55
    >>> domain_topic_error(true, est, permutation=[0, 1], per_domain=True).round(6).tolist()
    [0.2, 2.0]
    """
    true, est = _check_pair(true_domain_topic, est_domain_topic,
                            "true_domain_topic", "est_domain_topic")
    permutation = _check_permutation(permutation, true.shape[1])
    diff = np.abs(true - est[:, permutation])
    if per_domain:
        return diff.sum(axis=1)
    return float(diff.mean())


def matched_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Accuracy after the best one-to-one matching of predicted to true labels.

    Predicted labels are matched to true labels by the Hungarian algorithm on
    the confusion matrix.  The two label sets may differ in size and values:
    a predicted label left unmatched (for instance one that never co-occurs
    with any true label, or one too many clusters) counts as wrong.

    Parameters
    ----------
    y_true : array-like of int, shape (n_samples,)
        True labels, non-negative integers.
    y_pred : array-like of int, shape (n_samples,)
        Predicted labels, non-negative integers, in any numbering.

    Returns
    -------
    float
        Fraction of samples whose predicted label maps to their true label,
        between 0 and 1.

    Examples
    --------
    >>> from llstopic import matched_accuracy
    >>> matched_accuracy([0, 0, 1, 1, 2], [5, 5, 3, 3, 3])
    0.8
    """
    y_true = check_id_array(y_true, "y_true")
    y_pred = check_id_array(y_pred, "y_pred")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"y_true and y_pred must have the same length, got {y_true.shape[0]} "
                         f"and {y_pred.shape[0]}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty: at least one sample is required")
    true_values, true_codes = np.unique(y_true, return_inverse=True)
    pred_values, pred_codes = np.unique(y_pred, return_inverse=True)
    n_pred = pred_values.shape[0]
    confusion = np.bincount(true_codes * n_pred + pred_codes,
                            minlength=true_values.shape[0] * n_pred).reshape(-1, n_pred)
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    return float(confusion[rows, cols].sum() / y_true.shape[0])


def match_labels(y_true: ArrayLike, y_pred: ArrayLike, n_labels: int) -> np.ndarray:
    """The label permutation that maximises matched accuracy.

    The same convention as :func:`match_topics`: estimated label ``perm[i]``
    plays true label ``i``, so ``est_domain_topic[:, perm]`` lines up with the
    truth.  Use it where there is no p(x|y) to match, e.g. continuous data.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_samples,)
        Labels in ``0 .. n_labels - 1``.
    n_labels : int

    Returns
    -------
    perm : ndarray of int64, shape (n_labels,)

    Examples
    --------
    >>> from llstopic import match_labels
    >>> match_labels([0, 0, 1, 2], [2, 2, 0, 1], 3)
    array([2, 0, 1])
    """
    n_labels = check_positive_int(n_labels, "n_labels")
    y_true = check_id_array(y_true, "y_true", upper=n_labels, upper_name="n_labels")
    y_pred = check_id_array(y_pred, "y_pred", upper=n_labels, upper_name="n_labels")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"y_true and y_pred must have the same length, got {y_true.shape[0]} "
                         f"and {y_pred.shape[0]}")
    confusion = np.bincount(y_true * n_labels + y_pred,
                            minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    perm = np.empty(n_labels, dtype=np.int64)
    perm[rows] = cols
    return perm


def oracle_topic_word(words: ArrayLike, labels: ArrayLike, n_words: int,
                      n_topics: int) -> np.ndarray:
    """p(x|y) counted with the true labels: the best any method can do on a sample.

    Parameters
    ----------
    words : array-like of int, shape (n_tokens,)
        Word (input value) of each token, ``0 <= words[i] < n_words``.
    labels : array-like of int, shape (n_tokens,)
        True latent label of each token, ``0 <= labels[i] < n_topics``.
    n_words : int
        Vocabulary size.
    n_topics : int
        Number of topics.

    Returns
    -------
    topic_word : ndarray of shape (n_topics, n_words)
        Row y is the empirical distribution of the words of label y.  A label
        with no token gets a uniform row (the estimate without information),
        and a ``RuntimeWarning`` names it.

    Examples
    --------
    >>> from llstopic import oracle_topic_word
    >>> oracle_topic_word([0, 1, 1, 2], [0, 0, 1, 1], 3, 2).tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
    """
    n_words = check_positive_int(n_words, "n_words")
    n_topics = check_positive_int(n_topics, "n_topics")
    words = check_id_array(words, "words", upper=n_words, upper_name="n_words")
    labels = check_id_array(labels, "labels", upper=n_topics, upper_name="n_topics")
    if words.shape[0] != labels.shape[0]:
        raise ValueError(f"words and labels must have the same length, got {words.shape[0]} "
                         f"and {labels.shape[0]}")
    if words.shape[0] == 0:
        raise ValueError("words is empty: at least one token is required")
    counts = np.bincount(labels * n_words + words, minlength=n_topics * n_words)
    counts = counts.reshape(n_topics, n_words).astype(np.float64)
    totals = counts.sum(axis=1)
    empty = totals == 0
    if empty.any():
        warnings.warn(f"{int(empty.sum())} of {n_topics} topics have no token "
                      f"(topics {np.flatnonzero(empty)[:10].tolist()}); "
                      "their oracle rows are uniform",
                      RuntimeWarning, stacklevel=2)
        counts[empty] = 1.0
        totals[empty] = n_words
    return counts / totals[:, None]
