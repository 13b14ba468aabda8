"""Generators of the truth of planted LLS problems: p_d(y) and p(x|y) with anchor words."""

from __future__ import annotations

from numbers import Real

import numpy as np

from .._typing import Seed

from .._validation import (Interval, Options, check_memory, check_param, check_positive_int,
                           check_random_state)

__all__ = ["make_domain_topic", "make_topic_word"]

#: Entries of a drawn ``domain_topic`` below this are set to zero.
_ZERO_BELOW = 1e-7
#: How many matrices ``make_domain_topic`` draws before giving up on ``max_condition``.
_MAX_DRAWS = 200
#: Default share of a topic's probability held by its anchor words.
_ANCHOR_MASS = 0.1


_POSITIVE = [Interval(Real, 0, None, closed="neither")]
#: ``max_condition``: None or inf (no bound), or a bound >= 1
_CONDITION_BOUND = [None, Interval(Real, 1, None), Options((float("inf"),))]


# ----------------------------------------------------------------- parameters


def make_domain_topic(n_domains: int, n_topics: int, *, alpha: float,
                      max_condition: float | None = None, random_state: Seed = None) -> np.ndarray:
    """Draw label mixes p_d(y): one Dirichlet row per domain.

    Each row is drawn from a symmetric Dirichlet with parameter
    ``alpha / n_topics`` (``alpha`` is the *total* concentration, the
    latent-label-shift paper's protocol), entries below 1e-7 are set to zero
    and the row is renormalised.  With ``max_condition`` the whole matrix is
    redrawn until its 2-norm condition number is at most ``max_condition``.

    Parameters
    ----------
    n_domains : int
        Number of domains (rows).
    n_topics : int
        Number of latent labels (columns).
    alpha : float
        Total Dirichlet concentration, > 0.  Small values give nearly pure
        domains (strong label shift); large values give rows near uniform.
    max_condition : float, optional
        Upper bound on ``numpy.linalg.cond(domain_topic, 2)``; at least 1.
        Requires ``n_domains >= n_topics`` when finite: with fewer domains
        than labels the matrix cannot have full column rank and the labels are
        not identifiable.  ``None`` (default) or ``inf`` imposes no bound.
    random_state : None, int or numpy.random.Generator
        Seed of the draw.

    Returns
    -------
    domain_topic : ndarray of shape (n_domains, n_topics)
        Rows sum to one.

    Raises
    ------
    ValueError
        If no matrix meeting ``max_condition`` is found in 200 draws; the
        message gives the smallest condition number seen and suggests a bound.

    Examples
    --------
    >>> from llstopic import make_domain_topic
    >>> dt = make_domain_topic(5, 3, alpha=1.0, max_condition=20, random_state=0)
    >>> dt.shape
    (5, 3)
    >>> bool(np.linalg.cond(dt) <= 20)
    True
    """
    n_domains = check_positive_int(n_domains, "n_domains")
    n_topics = check_positive_int(n_topics, "n_topics")
    alpha = float(check_param(alpha, "alpha", _POSITIVE))
    bound = check_param(max_condition, "max_condition", _CONDITION_BOUND)
    bound = np.inf if bound is None else float(bound)
    check_memory(3 * 8 * n_domains * n_topics, f"domain_topic of shape ({n_domains}, {n_topics})")
    if np.isfinite(bound) and n_domains < n_topics:
        raise ValueError(
            f"n_domains = {n_domains} < n_topics = {n_topics} with "
            f"max_condition = {max_condition!r}: "
            "a domain_topic matrix with fewer domains than topics cannot have full column rank, "
            "so its condition number is infinite and the labels are not identifiable; "
            "use n_domains >= n_topics or max_condition=None"
        )
    rng = check_random_state(random_state)
    concentration = np.full(n_topics, alpha / n_topics)
    best = np.inf
    for _ in range(_MAX_DRAWS):
        domain_topic = _draw_rows(rng, concentration, n_domains)
        if not np.isfinite(bound):
            return domain_topic
        cond = float(np.linalg.cond(domain_topic, 2))
        if cond <= bound:
            return domain_topic
        best = min(best, cond)
    suggestion = ""
    if np.isfinite(best):
        suggestion = f"; max_condition >= {float(f'{best * 1.01:.2g}'):g} would likely work"
    raise ValueError(
        f"max_condition = {max_condition!r} could not be met: no domain_topic matrix of shape "
        f"({n_domains}, {n_topics}) with alpha = {alpha!r} had a 2-norm condition number <= "
        f"{max_condition!r} in {_MAX_DRAWS} draws (smallest seen: {best:.4g}). Use a larger "
        f"max_condition{suggestion}, a smaller alpha (purer domains), or more domains"
    )


def _draw_rows(rng, concentration, n_rows):
    """Dirichlet rows with entries below ``_ZERO_BELOW`` zeroed, renormalised."""
    rows = rng.dirichlet(concentration, size=n_rows)
    rows[rows < _ZERO_BELOW] = 0.0
    sums = rows.sum(axis=1, keepdims=True)
    # A row always keeps its largest entry (>= 1 / n_topics >> 1e-7).
    rows /= sums
    return rows


def make_topic_word(n_words: int, n_topics: int, *, beta: float, anchors_per_topic: int = 1,
                    anchor_mass: float = _ANCHOR_MASS,
                    random_state: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw class conditionals p(x|y) with planted anchor words.

    Each topic owns ``anchors_per_topic`` anchor words, chosen at random
    positions in the vocabulary, which have zero probability under every
    other topic.  Together they hold ``anchor_mass`` of the topic's
    probability, split equally.  The remaining ``1 - anchor_mass`` is spread
    over the non-anchor words (shared by all topics) by a symmetric Dirichlet
    with parameter ``beta`` per word.

    Parameters
    ----------
    n_words : int
        Vocabulary size; must exceed ``n_topics * anchors_per_topic``.
    n_topics : int
        Number of topics (latent labels).
    beta : float
        Per-word Dirichlet concentration over the non-anchor words, > 0 (the
        topic-model convention, unlike ``alpha`` of :func:`make_domain_topic`,
        which is a total).  Small ``beta`` gives peaked topics.
    anchors_per_topic : int, default=1
        Anchor words per topic.  ``0`` gives a non-separable problem: every
        word is then shared, and ``anchor_mass`` is ignored.
    anchor_mass : float, default=0.1
        Share of each topic's probability on its anchors, in (0, 1).  The
        default makes each anchor far more frequent than a typical word
        (``0.1 / anchors_per_topic`` against about ``0.9 / n_words``), so the
        anchors are easy to find by frequency and their rows are well estimated.
    random_state : None, int or numpy.random.Generator
        Seed of the draw.

    Returns
    -------
    topic_word : ndarray of shape (n_topics, n_words)
        Rows sum to one.
    anchors : ndarray of int64, shape (n_topics, anchors_per_topic)
        ``anchors[y]`` are the anchor word ids of topic ``y``, ascending.

    Examples
    --------
    >>> from llstopic import make_topic_word
    >>> tw, anchors = make_topic_word(50, 3, beta=0.5, random_state=0)
    >>> tw.shape, anchors.shape
    ((3, 50), (3, 1))
    >>> float(tw[0, anchors[0, 0]])
    0.1
    >>> float(tw[1:, anchors[0, 0]].sum())
    0.0
    """
    n_words = check_positive_int(n_words, "n_words")
    n_topics = check_positive_int(n_topics, "n_topics")
    beta = float(check_param(beta, "beta", _POSITIVE))
    anchors_per_topic = check_positive_int(anchors_per_topic, "anchors_per_topic", minimum=0)
    anchor_mass = float(check_param(anchor_mass, "anchor_mass",
                                    [Interval(Real, 0, 1, closed="neither")]))
    check_memory(3 * 8 * n_words * n_topics, f"topic_word of shape ({n_topics}, {n_words})")
    n_anchor_words = n_topics * anchors_per_topic
    if n_words <= n_anchor_words:
        raise ValueError(
            f"n_words = {n_words} is too small for n_topics * anchors_per_topic = {n_topics} * "
            f"{anchors_per_topic} = {n_anchor_words} anchor words plus at least one shared word; "
            f"use n_words > {n_anchor_words}"
        )
    rng = check_random_state(random_state)
    order = rng.permutation(n_words)
    anchors = np.sort(order[:n_anchor_words].reshape(n_topics, anchors_per_topic), axis=1)
    anchors = anchors.astype(np.int64)
    shared = np.sort(order[n_anchor_words:])
    shared_mass = 1.0 - anchor_mass if anchors_per_topic else 1.0
    shared_rows = rng.dirichlet(np.full(shared.shape[0], beta), size=n_topics)
    shared_rows *= shared_mass / shared_rows.sum(axis=1, keepdims=True)
    topic_word = np.zeros((n_topics, n_words))
    topic_word[:, shared] = shared_rows
    if anchors_per_topic:
        topic_word[np.arange(n_topics)[:, None], anchors] = anchor_mass / anchors_per_topic
    return topic_word, anchors


# ----------------------------------------------------------------- problems
