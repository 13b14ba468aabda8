"""Latent-label-shift problems whose truth is known.

Every recovery claim in llstopic is checked on problems generated here:

* :func:`make_domain_topic` draws the label mixes p_d(y), shape (n_domains, n_topics);
* :func:`make_topic_word` draws the class conditionals p(x|y), shape (n_topics, n_words),
  with planted anchor words;
* :func:`make_finite_lls` samples a finite-input LLS data set from both and returns an
  :class:`LLSProblem` holding the data, the hidden labels and the truth;
* :func:`assign_domains` turns any labelled data set into a semi-synthetic LLS problem.

Every generator takes its own ``random_state``, so the seed of the data and the
seed of a model fitted to it are independent.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike

from .._typing import Seed
from ._sampling import largest_domain_size, rounded_counts, sample_tokens, shuffled_domain_order
from .._validation import (
    INT64_MAX,
    Interval,
    check_param,
    check_finite_array,
    check_memory,
    check_total,
    check_id_array,
    check_positive_int,
    check_probability_rows,
    check_random_state,
)
from ..corpus import Corpus
from ._generators import _ANCHOR_MASS, make_domain_topic, make_topic_word

__all__ = [
    "make_domain_topic",
    "make_topic_word",
    "make_finite_lls",
    "LLSProblem",
    "assign_domains",
]

@dataclass(frozen=True, eq=False, repr=False)
class LLSProblem:
    """A finite-input LLS data set with its hidden truth.

    Token ``i`` is word ``words[i]`` observed in domain ``domains[i]``, drawn
    from topic ``labels[i]``.  Tokens are grouped by domain (``domains`` is
    ascending) and in random order within a domain, so token order carries no
    label information.

    Attributes
    ----------
    corpus : Corpus
        The counts of shape (n_domains, n_words).
    words : ndarray of int64, shape (n_tokens,)
    domains : ndarray of int64, shape (n_tokens,)
    labels : ndarray of int64, shape (n_tokens,)
        The hidden latent labels; never shown to a method under test.
    topic_word : ndarray of shape (n_topics, n_words)
        True p(x|y).
    domain_topic : ndarray of shape (n_domains, n_topics)
        True p_d(y).
    anchors : ndarray of int64, shape (n_topics, anchors_per_topic)
        True anchor word ids per topic.
    """

    corpus: Corpus
    words: np.ndarray
    domains: np.ndarray
    labels: np.ndarray
    topic_word: np.ndarray
    domain_topic: np.ndarray
    anchors: np.ndarray

    @property
    def n_topics(self) -> int:
        """Number of latent labels."""
        return self.topic_word.shape[0]

    def expected_counts(self, total: float | ArrayLike | None = None) -> np.ndarray:
        """The population-limit count matrix: expected counts given the domain sizes.

        Row d is ``n_d * domain_topic[d] @ topic_word``, the exact expectation
        of the sampled counts when domain d holds ``n_d`` tokens.  A method that
        is exact in the population limit must recover the truth from this.

        Parameters
        ----------
        total : None, float or array-like of shape (n_domains,)
            The domain sizes ``n_d``.  ``None`` (default): this problem's own
            sizes, so the result is the expectation of ``corpus.counts``.  A
            number: the *overall* number of tokens, split over domains in the
            same proportions as this problem's domain sizes (with equal domains,
            ``total / n_domains`` each).  An array: the size of each domain.

        Returns
        -------
        ndarray of float64, shape (n_domains, n_words)
            Row sums equal the domain sizes.
        """
        lengths = self.corpus.domain_lengths().astype(np.float64)
        if total is None:
            sizes = lengths
        elif np.ndim(total) == 0:
            total = float(check_param(total, "total",
                                      [None, Interval(Real, 0, None), "array-like"]))
            sizes = total * lengths / lengths.sum()
        else:
            sizes = check_finite_array(total, "total", ndim=1)
            if sizes.shape[0] != lengths.shape[0]:
                raise ValueError(f"total has {sizes.shape[0]} domain sizes but "
                                 f"n_domains = {lengths.shape[0]}")
            if (sizes < 0).any():
                i = int(np.flatnonzero(sizes < 0)[0])
                raise ValueError(f"total must be non-negative; total[{i}] = {float(sizes[i])!r}")
        return sizes[:, None] * (self.domain_topic @ self.topic_word)

    def oracle_topic_word(self) -> np.ndarray:
        """p(x|y) counted with the true labels; see :func:`llstopic.oracle_topic_word`."""
        from ..metrics import oracle_topic_word

        return oracle_topic_word(self.words, self.labels, self.topic_word.shape[1], self.n_topics)

    def __repr__(self) -> str:
        return (f"LLSProblem(n_domains={self.corpus.n_domains}, n_words={self.corpus.n_words}, "
                f"n_topics={self.n_topics}, n_tokens={self.words.shape[0]}, "
                f"anchors_per_topic={self.anchors.shape[1]})")


def make_finite_lls(n_words: int, n_topics: int, n_domains: int, tokens_per_domain: ArrayLike, *,
                    alpha: float, beta: float, anchors_per_topic: int = 1,
                    anchor_mass: float = _ANCHOR_MASS, max_condition: float | None = None,
                    random_state: Seed = None) -> LLSProblem:
    """Sample a finite-input latent-label-shift problem with known truth.

    Draws ``domain_topic`` (:func:`make_domain_topic`) and ``topic_word``
    (:func:`make_topic_word`) from ``random_state``, then for each domain d
    draws its label counts from Multinomial(n_d, domain_topic[d]) and each
    token's word from p(x|y) of its label.  Sampling is vectorised (no
    Python loop over tokens): word counts per (domain, label) block are drawn
    as multinomials when that is cheaper than one inverse-CDF search per
    token, and each domain's tokens are then shuffled.  A million tokens take
    about 0.1 s (``benchmarks/bench_synthetic.py``).

    Parameters
    ----------
    n_words, n_topics, n_domains : int
        Vocabulary size, number of latent labels, number of domains.
    tokens_per_domain : int or array-like of int, shape (n_domains,)
        Tokens in each domain: one int for equal domains, or one size per
        domain (zeros allowed, but at least one token overall).
    alpha : float
        Total Dirichlet concentration of the label mixes; see :func:`make_domain_topic`.
    beta : float
        Per-word Dirichlet concentration of the topics; see :func:`make_topic_word`.
    anchors_per_topic : int, default=1
    anchor_mass : float, default=0.1
        See :func:`make_topic_word`.
    max_condition : float, optional
        Bound on the condition number of ``domain_topic``; see :func:`make_domain_topic`.
    random_state : None, int or numpy.random.Generator
        Seed of the data.  Fit models with a separate seed.

    Returns
    -------
    LLSProblem
        Tokens grouped by domain, in random order within each domain.

    Examples
    --------
    >>> from llstopic import make_finite_lls
    >>> problem = make_finite_lls(100, 3, 6, 1000, alpha=1.0, beta=0.5, random_state=0)
    >>> problem.corpus.shape
    (6, 100)
    >>> problem.corpus.n_tokens
    6000
    >>> problem.expected_counts().sum(axis=1)
    array([1000., 1000., 1000., 1000., 1000., 1000.])
    """
    n_words = check_positive_int(n_words, "n_words")
    n_topics = check_positive_int(n_topics, "n_topics")
    n_domains = check_positive_int(n_domains, "n_domains")
    lengths = _check_tokens_per_domain(tokens_per_domain, n_domains, n_words, n_topics)
    rng = check_random_state(random_state)
    domain_topic = make_domain_topic(n_domains, n_topics, alpha=alpha, max_condition=max_condition,
                                     random_state=rng)
    topic_word, anchors = make_topic_word(n_words, n_topics, beta=beta,
                                          anchors_per_topic=anchors_per_topic,
                                          anchor_mass=anchor_mass, random_state=rng)
    words, domains, labels = sample_tokens(lengths, domain_topic, topic_word, rng)
    corpus = Corpus.from_tokens(words, domains, n_words=n_words, n_domains=n_domains)
    return LLSProblem(corpus=corpus, words=words, domains=domains, labels=labels,
                      topic_word=topic_word, domain_topic=domain_topic, anchors=anchors)


#: words, domains and labels (int64), the shuffle's keys and order, the counting
_BYTES_PER_TOKEN = 64


def check_problem_size(n_words: int, n_topics: int, n_domains: int, n_tokens: int) -> None:
    """Refuse a problem that needs more memory than the machine has (ValueError with the figure)."""
    needed = _BYTES_PER_TOKEN * n_tokens + 24 * n_words * n_topics + 24 * n_domains * n_topics
    check_memory(needed, f"a problem with {n_tokens} tokens, n_words = {n_words}, n_topics = "
                         f"{n_topics} and n_domains = {n_domains}")



def _check_tokens_per_domain(tokens_per_domain, n_domains, n_words, n_topics):
    """The domain sizes as int64, after checking that the problem fits in memory."""
    if np.ndim(tokens_per_domain) == 0:
        n = check_positive_int(tokens_per_domain, "tokens_per_domain")
        if n * n_domains > INT64_MAX:
            raise ValueError(f"tokens_per_domain = {n} in each of n_domains = {n_domains} domains "
                             f"makes {n * n_domains} tokens, more than a 64-bit count can hold")
        check_problem_size(n_words, n_topics, n_domains, n * n_domains)
        return np.full(n_domains, n, dtype=np.int64)
    lengths = check_id_array(tokens_per_domain, "tokens_per_domain")
    if lengths.shape[0] != n_domains:
        raise ValueError(f"tokens_per_domain has {lengths.shape[0]} entries but "
                         f"n_domains = {n_domains}")
    n_tokens = check_total(lengths, "tokens_per_domain")
    if n_tokens == 0:
        raise ValueError("tokens_per_domain is zero for every domain: "
                         "at least one token is required")
    check_problem_size(n_words, n_topics, n_domains, n_tokens)
    return lengths


# ----------------------------------------------------------------- semi-synthetic


def assign_domains(labels: ArrayLike, domain_topic: ArrayLike, *,
                   random_state: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Split a labelled data set into LLS domains with prescribed label mixes.

    The latent-label-shift paper's semi-synthetic protocol: ``n_domains``
    equal-sized, disjoint domains; domain d holds ``round(m * domain_topic[d])``
    examples of each label (cumulative rounding, so counts sum to exactly
    ``m`` and a label with zero weight gets no example); examples are drawn
    at random without replacement, each used at most once.  The domain size
    ``m`` is the largest the scarcest label allows.

    Parameters
    ----------
    labels : array-like of int, shape (n_examples,)
        Label of each example, ``0 <= labels[i] < n_topics``.
    domain_topic : array-like of shape (n_domains, n_topics)
        Target label mix of each domain; rows sum to one.
    random_state : None, int or numpy.random.Generator
        Seed of the selection.

    Returns
    -------
    indices : ndarray of int64, shape (n_domains * m,)
        Selected example indices into ``labels``, all distinct.
    domain_ids : ndarray of int64, shape (n_domains * m,)
        The domain of each selected example; ascending, with a random order of
        examples within each domain.

    Raises
    ------
    ValueError
        If not even one example per domain can be placed.

    Examples
    --------
    >>> from llstopic import assign_domains
    >>> labels = np.repeat([0, 1], 50)
    >>> idx, dom = assign_domains(labels, [[0.8, 0.2], [0.2, 0.8]], random_state=0)
    >>> np.bincount(dom).tolist()
    [50, 50]
    >>> np.bincount(dom * 2 + labels[idx]).tolist()
    [40, 10, 10, 40]
    """
    domain_topic = check_probability_rows(domain_topic, "domain_topic")
    n_domains, n_topics = domain_topic.shape
    labels = check_id_array(labels, "labels", upper=n_topics,
                            upper_name="n_topics (columns of domain_topic)")
    if labels.shape[0] == 0:
        raise ValueError("labels is empty: at least one example is required")
    rng = check_random_state(random_state)
    available = np.bincount(labels, minlength=n_topics)
    cum = np.minimum(np.cumsum(domain_topic / domain_topic.sum(axis=1, keepdims=True), axis=1), 1.0)
    cum[:, -1] = 1.0
    m = largest_domain_size(cum, available, labels.shape[0])
    block_counts = rounded_counts(cum, np.array([m]))[0]              # (n_domains, n_topics)
    # Examples in random order within each label, labels in ascending blocks.
    perm = rng.permutation(labels.shape[0])
    by_label = perm[np.argsort(labels[perm], kind="stable")]
    label_start = np.concatenate([[0], np.cumsum(available)[:-1]])
    taken = block_counts.sum(axis=0)                                   # per label
    taken_start = np.concatenate([[0], np.cumsum(taken)[:-1]])
    n_taken = int(taken.sum())
    offsets = np.arange(n_taken) + np.repeat(label_start - taken_start, taken)
    indices = by_label[offsets]
    domain_ids = np.repeat(np.tile(np.arange(n_domains, dtype=np.int64), n_topics),
                           block_counts.T.ravel())
    order = shuffled_domain_order(domain_ids, rng)
    return indices[order].astype(np.int64), domain_ids[order]
