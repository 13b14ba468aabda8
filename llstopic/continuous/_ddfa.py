"""Continuous inputs: the DDFA recipe (Discriminate, Discretize, Factorize, Adjust).

Roberts, Mani, Garg and Lipton, "Unsupervised Learning under Latent Label
Shift", NeurIPS 2022.  Under latent label shift p(x|y) is shared by all
domains, so the domain posterior is a mixture of the label-wise columns

    p(d|x) = sum_y p(d|y) p(y|x),

and examples of one label share one point p(d|y) of the domain simplex.

* **Discriminate** -- :class:`DomainDiscretizer` trains a domain classifier
  p(d|x) on (x, domain id) pairs, never on labels.
* **Discretize** -- it clusters the held-out p(d|x) of the training examples;
  the clusters are the words of a :class:`~llstopic.Corpus` of shape
  (n_domains, n_words).
* **Factorize** -- :class:`DDFA` fits any llstopic factorizer to that corpus,
  giving p_d(y) (``domain_topic_``) and p(cluster|y) (``topic_word_``).
* **Adjust** -- ``p(y|x) = pinv(P_{D|Y}) p(d|x)``, projected onto the simplex,
  and ``p_d(y|x) ∝ p(y|x) p(d|y)``.
"""

from __future__ import annotations

import logging
import time
import warnings
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone

from . import _discriminator as _disc
from ._discretizer import _PRECOMPUTED_NAME, DomainDiscretizer, check_fitted
from ._discriminator import _is_precomputed
from ._default import row_chunks
from .._validation import (Interval, Options, check_id_array, check_positive_int, check_random_state,
                           seed_from, validate_params)
from .._typing import Seed
from ..corpus import Corpus

__all__ = ["DDFA"]

logger = logging.getLogger(__name__)

#: ``n_words=None`` means this many clusters per latent label.
_WORDS_PER_TOPIC = 2
#: ``DDFA`` warns when the condition number of P_{D|Y} exceeds this.
_CONDITION_WARN = 100.0
#: A p_d(y|x) row whose mass sum_y p(y|x) p(d|y) is at most this is rounding noise.
_NO_MASS = 1e-12


class DDFA(BaseEstimator):
    """Latent labels of continuous data under latent label shift (the DDFA recipe).

    Discriminate and discretize with a :class:`DomainDiscretizer`, factorize
    the cluster counts with any llstopic factorizer, then adjust:

    * P_{D|Y}[d, y] = p(d|y) = p_d(y) p(d) / p(y), with p(d) the training
      domain sizes and p(y) = sum_d p(d) p_d(y);
    * p(y|x) = pinv(P_{D|Y}) p(d|x), then projected onto the simplex;
    * p_d(y|x) = p(y|x) p(d|y) / p(d|x), i.e. p(y|x) p(d|y) renormalised.

    **Difference from the reference code.**  The reference implementation
    uses the raw ``pinv`` output, whose entries can be negative (or exceed
    one) when p(d|x) is noisy or off the span of P_{D|Y}; the product with
    p(d|y) can then have a negative or near-zero sum, and normalising by it
    flips or blows up the row.  llstopic projects p(y|x) onto the probability
    simplex (Euclidean projection, ``max(v - tau, 0)``) first.  What it
    changes: every returned row is a distribution; the projection preserves
    order, so ``predict(X)`` without domains is unchanged; with domains,
    labels whose raw p(y|x) is below the threshold ``tau`` get p_d(y|x) = 0
    and the others are shifted by ``tau`` before the product.  On the digits
    benchmark (``benchmarks/bench_ddfa.py``) 58-100% of the raw test rows
    had a negative entry and up to 1.4% a non-positive normaliser; the
    projection changed 0-2.2% of the predictions and moved the mean
    accuracy by -0.1 to +0.7 points.  If the projected p(y|x) puts (up to
    rounding, 1e-12) all its mass on labels with p(d|y) = 0 for the given
    domain, p_d(y|x) falls back to p_d(y).

    Parameters
    ----------
    n_topics : int
        Number of latent labels.
    n_words : int, optional
        Number of clusters; at least ``n_topics``.  ``None``: ``2 * n_topics``
        (a cluster per label, the paper's setting, plus as many again), chosen
        by ``benchmarks/bench_ddfa_words.py``: n_words from 1 to 4 times
        n_topics with each factorizer on five problems (Gaussian blobs, digit
        pairs, ten digits, MNIST-5k, a planted 200,000 x 50 Gaussian problem;
        3 seeds).  Anchor words at twice n_topics had the best mean matched
        accuracy (0.955; 0.932 at n_topics, 0.951 at three times, 0.946 at
        four times) and was the best or within 0.012 of it on every problem.
        With one cluster per label anchor words must take every cluster as an
        anchor, and one impure cluster costs a label (planted: 0.83 against
        0.92; MNIST-5k: 0.92 against 0.96); more clusters give purer
        vertices, while too many make each cluster's counts noisy.
    factorizer : str or Factorizer, default="anchor"
        A registered name (``"anchor"``, ``"nmf"``, ``"lda"``, ...) or an
        instance, which is cloned; its ``n_topics`` must equal ``n_topics``.
        Anchor words is the default on the same evidence: NMF (mean 0.942 at
        twice n_topics, 0.948 at n_topics) and LDA (0.943, 0.945) reach
        whichever factorization their optimiser finds, which can mix clusters
        across labels (NMF on the blobs: one seed at 0.76-0.86 whatever the
        number of words).
    discriminator : None, classifier or "precomputed"
        Passed to the default :class:`DomainDiscretizer` (see there): a
        classifier to cross-fit, or ``"precomputed"``, when ``fit`` and
        ``predict``/``predict_proba`` take held-out p(d|x) of shape
        (n_examples, n_domains) in place of X (the protocol: each row of the
        training probabilities comes from a model that did not see that
        example).  For a classifier trained elsewhere pass
        ``discretizer=DomainDiscretizer(discriminator=model, cv="prefit")``.
        Give either this or ``discretizer``.
    discretizer : DomainDiscretizer, optional
        Cloned; ``n_words`` is set when it has none.  ``None``: the default
        :class:`DomainDiscretizer` with ``discriminator``.
    random_state : None, int or numpy.random.Generator
        Turned into one Generator, which seeds the discretizer and the
        factorizer (when they have no seed of their own).

    Attributes
    ----------
    discretizer_ : DomainDiscretizer
    factorizer_ : Factorizer
        Fitted on the cluster counts, shape (n_domains, n_words).
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        Estimated p_d(y).
    topic_word_ : ndarray of shape (n_topics, n_words)
        Estimated p(cluster|y).
    domain_prior_ : ndarray of shape (n_domains,)
        p(d), the share of training examples in each domain.
    topic_prior_ : ndarray of shape (n_topics,)
        p(y) = sum_d p(d) p_d(y).
    domain_given_topic_ : ndarray of shape (n_domains, n_topics)
        P_{D|Y}, column y is p(d|y).
    condition_number_ : float
        2-norm condition number of P_{D|Y}.  The adjustment can amplify the
        error of p(d|x) by up to this factor; a warning is issued above 100.
    n_domains_, n_words_, n_features_in_ : int
    timings_ : dict
        Seconds spent in each phase of ``fit``: ``"discriminate"``,
        ``"discretize"``, ``"factorize"`` and ``"adjust"`` (P_{D|Y} and its
        pseudo-inverse).  The phases are also logged (``logging.INFO``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, 600)
    >>> domains = (rng.random(600) < np.where(labels == 0, 0.85, 0.15)).astype(int)
    >>> X = rng.normal(size=(600, 2)) + 4 * labels[:, None]
    >>> model = DDFA(2, factorizer="anchor", random_state=0).fit(X, domains)
    >>> model.predict_proba(X, domains).shape
    (600, 2)
    """

    #: checked by ``fit`` before any work (``factorizer``, ``discriminator`` and
    #: ``discretizer`` there too)
    _parameter_constraints = {
        "n_topics": [Interval(Integral, 1, None), Options(("auto",))],
        "n_words": [None, Interval(Integral, 1, None)],
        "random_state": ["random_state"],
    }

    def __init__(self, n_topics: int | str, *, n_words: int | None = None, factorizer: Any = "anchor",
                 discriminator: Any = None, discretizer: DomainDiscretizer | None = None,
                 random_state: Seed = None) -> None:
        self.n_topics = n_topics
        self.n_words = n_words
        self.factorizer = factorizer
        self.discriminator = discriminator
        self.discretizer = discretizer
        self.random_state = random_state

    def _make_factorizer(self, n_topics, seed):
        from ..factorizers import Factorizer, make_factorizer

        if isinstance(self.factorizer, str):
            return make_factorizer(self.factorizer, n_topics, random_state=seed)
        if not isinstance(self.factorizer, Factorizer):
            raise TypeError(f"factorizer must be a registered name or a Factorizer instance, got "
                            f"{type(self.factorizer).__name__}: {self.factorizer!r}")
        factorizer = clone(self.factorizer)
        if factorizer.n_topics != n_topics:
            raise ValueError(f"factorizer has n_topics = {factorizer.n_topics!r} but DDFA has "
                             f"n_topics = {n_topics}; they must agree")
        if "random_state" in factorizer.get_params() and factorizer.random_state is None:
            factorizer.set_params(random_state=seed)
        return factorizer

    def _make_discretizer(self, n_words, seed):
        if self.discretizer is None:
            return DomainDiscretizer(n_words, discriminator=self.discriminator, random_state=seed)
        if not isinstance(self.discretizer, DomainDiscretizer):
            raise TypeError(f"discretizer must be a DomainDiscretizer, got "
                            f"{type(self.discretizer).__name__}")
        if self.discriminator is not None:
            raise ValueError("give the discriminator either to DDFA (discriminator=...) or to "
                             "its discretizer, not both: DDFA got discriminator = "
                             f"{self.discriminator!r} and discretizer = {self.discretizer!r}")
        discretizer = clone(self.discretizer)
        if discretizer.cv == "prefit":           # clone() would unfit a prefit discriminator
            discretizer.set_params(discriminator=self.discretizer.discriminator)
        if self.n_words is not None or discretizer.n_words is None:
            discretizer.set_params(n_words=n_words)
        if discretizer.random_state is None:
            discretizer.set_params(random_state=seed)
        return discretizer

    def fit(self, X: ArrayLike, domains: ArrayLike) -> DDFA:
        """Discretize, factorize and prepare the adjustment.

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
            Finite real features; with ``discriminator="precomputed"`` the
            held-out p(d|x) of shape (n_examples, n_domains).
        domains : array-like of int, shape (n_examples,)
            Domain id of each example; every id in ``0..n_domains-1`` occurs.

        Returns
        -------
        self
        """
        from ..selection import is_auto
        from ..selection._select import _select

        validate_params(self.get_params(deep=False), self._parameter_constraints)
        rng = check_random_state(self.random_state)
        seeds = seed_from(rng), seed_from(rng)              # discretizer, factorizer
        selection = probe = None
        if is_auto(self.n_topics):
            # the estimate's discretizer trains the discriminator once; the fit re-clusters
            # its held-out p(d|x) instead of training it again
            selection, probe = _select(X, domains=domains, method="spectral",
                                       random_state=seed_from(rng),
                                       discretizer=self._make_discretizer(None, seeds[0]))
            n_topics = selection.n_topics
        else:
            n_topics = check_positive_int(self.n_topics, "n_topics")
        n_words = check_positive_int(self.n_words, "n_words", allow_none=True)
        if n_words is None:
            n_words = _WORDS_PER_TOPIC * n_topics
        if n_words < n_topics:
            raise ValueError(f"n_words = {n_words} must be at least n_topics = {n_topics}: the "
                             "factorizer needs at least one word (cluster) per topic")
        discretizer = self._make_discretizer(n_words, seeds[0])
        factorizer = self._make_factorizer(n_topics, seeds[1])
        precomputed = _is_precomputed(discretizer.discriminator)
        X, domains, n_domains = _disc.check_training_data(
            X, domains, _PRECOMPUTED_NAME if precomputed else "X")
        if n_domains < n_topics:
            warnings.warn(
                f"n_domains = {n_domains} < n_topics = {n_topics}: the latent labels are not "
                "identifiable (p(d|x) lives in a space of dimension n_domains - 1, too small to "
                "separate n_topics labels); P_(D|Y) is rank-deficient and the labels found are "
                "arbitrary mixtures",
                UserWarning, stacklevel=2)
        if probe is None:
            discretizer.fit(X, domains)
        else:
            discretizer = probe._reclustered(discretizer.n_words)
        timings = dict(discretizer.timings_)
        start = time.perf_counter()
        mask = discretizer.held_out_mask_
        corpus = Corpus.from_tokens(discretizer.words_[mask], domains[mask],
                                    n_words=discretizer.n_words_, n_domains=n_domains,
                                    vocabulary=discretizer.vocabulary())
        factorizer.fit(corpus)
        timings["factorize"] = time.perf_counter() - start
        logger.info("factorize (%s, %d tokens): %.2f s", type(factorizer).__name__,
                    corpus.n_tokens, timings["factorize"])
        start = time.perf_counter()
        domain_topic = factorizer.domain_topic_
        domain_prior = np.bincount(domains, minlength=n_domains) / domains.shape[0]
        topic_prior = domain_prior @ domain_topic
        joint = domain_topic * domain_prior[:, None]                        # p(d, y)
        with np.errstate(invalid="ignore", divide="ignore"):
            domain_given_topic = np.where(topic_prior > 0, joint / topic_prior, 0.0)
        condition = float(np.linalg.cond(domain_given_topic))
        if not np.isfinite(condition) or condition > _CONDITION_WARN:
            warnings.warn(
                f"P_(D|Y) has condition number {condition:.3g} (> {_CONDITION_WARN:g}): the "
                "adjustment pinv(P_(D|Y)) p(d|x) amplifies the error of p(d|x) by up to this "
                "factor, so p(y|x) and the predictions are unreliable; more or more distinct "
                "domains help",
                UserWarning, stacklevel=2)
        adjust = np.linalg.pinv(domain_given_topic)                          # (n_topics, n_domains)
        timings["adjust"] = time.perf_counter() - start
        logger.info("adjust: %.3f s, cond(P_D|Y) = %.3g", timings["adjust"], condition)
        self.discretizer_ = discretizer
        self.factorizer_ = factorizer
        self.domain_topic_ = domain_topic
        self.topic_word_ = factorizer.topic_word_
        self.domain_prior_ = domain_prior
        self.topic_prior_ = topic_prior
        self.domain_given_topic_ = domain_given_topic
        self.condition_number_ = condition
        self.n_topics_ = n_topics
        self.n_topics_selection_ = selection
        self._adjust = adjust
        self.n_domains_ = n_domains
        self.n_words_ = discretizer.n_words_
        self.n_features_in_ = X.shape[1]
        self.timings_ = timings
        return self

    def predict_proba(self, X: ArrayLike, domains: ArrayLike | None = None) -> np.ndarray:
        """p_d(y|x), or p(y|x) when ``domains`` is None.

        Computed in row chunks, so memory stays bounded beyond the input and
        the output.

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
            With ``discriminator="precomputed"``: p(d|x), shape
            (n_examples, n_domains).
        domains : array-like of int, shape (n_examples,), optional
            Domain id of each example, among those seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_examples, n_topics)
            Rows are distributions over the latent labels.
        """
        check_fitted(self, "discretizer_")
        X = self.discretizer_._check_X(X)
        if domains is not None:
            domains = check_id_array(domains, "domains", upper=self.n_domains_,
                                     upper_name="n_domains seen in fit")
            if domains.shape[0] != X.shape[0]:
                raise ValueError(f"X and domains must have the same length, got {X.shape[0]} rows "
                                 f"in X and {domains.shape[0]} domain ids")
        out = np.empty((X.shape[0], self._adjust.shape[0]))
        for rows in row_chunks(X.shape[0], max(X.shape[1], self.n_domains_)):
            out[rows] = self._posterior(self.discretizer_._domain_proba(X[rows]),
                                        None if domains is None else domains[rows])
        return out

    def _posterior(self, domain_proba, domains):
        topic_proba = _disc.project_rows_onto_simplex(domain_proba @ self._adjust.T)
        if domains is None:
            return topic_proba
        posterior = topic_proba * self.domain_given_topic_[domains]
        sums = posterior.sum(axis=1)
        empty = sums <= _NO_MASS
        posterior[empty] = self.domain_topic_[domains[empty]]
        sums[empty] = 1.0
        return posterior / sums[:, None]

    def predict(self, X: ArrayLike, domains: ArrayLike | None = None) -> np.ndarray:
        """Most probable latent label: argmax of :meth:`predict_proba`, int64 (n_examples,)."""
        return np.argmax(self.predict_proba(X, domains), axis=1).astype(np.int64)
