"""Discriminate and Discretize: p(d|x) from a domain classifier, clustered into words.

The first two steps of DDFA (see :mod:`llstopic.continuous._ddfa`): a
domain classifier p(d|x) trained on (x, domain id) pairs, and a clustering of
the held-out p(d|x) whose clusters are the words of a
:class:`~llstopic.Corpus` of shape (n_domains, n_words).
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits

from . import _discriminator as _disc
from ._discriminator import _is_precomputed
from ._default import row_chunks
from .._validation import (Interval, Options, check_finite_array, check_id_array,
                           check_random_state, seed_from, validate_params)
from .._typing import Seed
from ..corpus import Corpus

__all__ = ["DomainDiscretizer", "check_fitted"]

logger = logging.getLogger(__name__)

#: k-means restarts of the default clusterer.
_N_INIT = 10
#: Above this many clustered examples the default clusterer is MiniBatchKMeans.
_MINIBATCH_ABOVE = 20_000
#: MiniBatchKMeans: restarts and batch size.
_MINIBATCH_N_INIT = 3
_MINIBATCH_BATCH = 4096
#: Up to this many entries of p(d|x) k-means runs on one thread: its OpenMP threads
#: slowed it by up to 50x on a shared 2-core machine (0.03 s against 4 s on digits).
_ONE_THREAD = 2**20
#: What ``fit`` receives in place of X with ``discriminator="precomputed"``.
_PRECOMPUTED_NAME = "X (the precomputed p(d|x))"


def check_fitted(estimator: Any, attr: str) -> None:
    if not hasattr(estimator, attr):
        raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. Call "
                             "'fit' with appropriate arguments before using this estimator.")


class DomainDiscretizer(TransformerMixin, BaseEstimator):
    """Turn continuous examples into words: cluster the domain posterior p(d|x).

    ``fit(X, domains)`` trains a domain discriminator p(d|x) on the examples
    and their domain ids (never on labels), then clusters the *held-out*
    p(d|x) of the training examples.  The clusters are the words: under
    latent label shift examples of one label share the point p(d|y) of the
    domain simplex, so clusters of p(d|x) approximate labels, whatever the
    examples look like in feature space.

    **Bring your own p(d|x).**  A discriminator of your own (a neural
    network in PyTorch or JAX, say) plugs in three ways: a scikit-learn-style
    classifier that ``fit`` trains (cross-fitted like the default); a
    classifier already trained on *other* examples, with ``cv="prefit"``
    (or wrapped in scikit-learn's ``FrozenEstimator``); or its probabilities
    themselves, with ``discriminator="precomputed"``: ``fit(domain_proba,
    domains)``, then ``transform``/``domain_proba``/``to_corpus`` take
    probabilities of shape (n_examples, n_domains) too.  **The
    probabilities passed to fit must be held out**: each row predicted by a
    model that did not train on that example (cross-fitted, or from a
    disjoint training set).  In-sample probabilities are over-confident,
    pull the clusters apart from the labels and bias every later step.

    Parameters
    ----------
    n_words : int, optional
        Number of clusters (words).  ``None``: the number of domains (or, with
        a custom ``clusterer``, its own setting); :class:`DDFA` passes its
        own ``n_words``.
    discriminator : None, classifier or "precomputed"
        Any scikit-learn classifier with ``predict_proba`` (cloned unless
        ``cv="prefit"``); ``"precomputed"``: ``X`` holds held-out p(d|x),
        rows on the simplex, column d for domain id d.  ``None``: the
        features standardised (more than 100 features: their 50 leading
        principal components, unwhitened), then, up to 10,000 examples, a
        kernel logistic regression (300 Nystroem RBF features), its penalty
        walked from strong to weak with warm starts, stopped at the first
        rise of the held-out domain log-loss and chosen by the
        one-standard-error rule (calibrated probabilities matter more than
        accuracy here); above 10,000 examples a one-hidden-layer MLP (100
        units, early stopping), whose cost grows linearly.  See
        :mod:`llstopic.continuous._default` for the measurements behind
        these choices.
    clusterer : clusterer, optional
        A scikit-learn clusterer with ``fit`` and ``predict``; it is cloned and
        its ``n_clusters`` (or ``n_components``) set to ``n_words``.
        ``None``: k-means with 10 restarts, or ``MiniBatchKMeans`` (3 restarts,
        batches of 4,096) above 20,000 clustered examples, so memory and time
        stay bounded for hundreds of thousands.
    held_out : float, default=0.2
        Share of the training examples held out of each discriminator fit:
        ``round(1 / held_out)`` folds (5 for 0.2), or the test share of the
        single split.
    cv : {"auto", "folds", "split", "prefit"}, default="auto"
        How the held-out p(d|x) is obtained.  ``"folds"``: stratified
        cross-fitting, each fold's p(d|x) predicted by a discriminator trained
        on the other folds, so *every* example gets a held-out p(d|x); the
        final discriminator (for :meth:`domain_proba` and :meth:`transform`)
        is refitted on all examples.  ``"split"``: one stratified split;
        only the held-out share is clustered and counted and the
        discriminator of the rest is final (the reference code's protocol;
        several times cheaper).  ``"prefit"``: ``discriminator`` is already
        fitted on other data and used as is; every example is clustered.
        ``"auto"``: ``"folds"`` up to 50,000 examples, ``"split"`` above.
    random_state : None, int or numpy.random.Generator
        Seeds the folds, the default discriminator and the clusterer.

    Attributes
    ----------
    discriminator_ : classifier or "precomputed"
        The final discriminator.
    clusterer_ : clusterer
        Fitted on the held-out p(d|x) of the training examples.
    words_ : ndarray of int64, shape (n_examples,)
        The word of each training example, from its held-out p(d|x); -1 for
        the examples the final discriminator trained on under ``cv="split"``
        (not clustered, not counted).  As with scikit-learn's
        ``TargetEncoder``, ``fit_transform`` returns these, which differ
        slightly from ``fit(X).transform(X)`` (in-sample p(d|x)).
    held_out_mask_ : ndarray of bool, shape (n_examples,)
        Which training examples have a held-out p(d|x) (``words_ >= 0``).
    held_out_proba_ : ndarray of shape (n_examples, n_domains)
        The held-out p(d|x) that was clustered (rows outside
        ``held_out_mask_`` are zero).
    cv_ : str
        The ``cv`` mode used (``"auto"`` resolved; ``"precomputed"``).
    n_words_, n_domains_, n_features_in_ : int
    C_ : float or None
        ``C`` chosen for the default kernel logistic regression (None for
        the MLP and for other discriminators).
    held_out_log_loss_ : float
        Held-out log-loss of the discriminator, in nats per example; compare
        with the entropy of the domain sizes, the loss of a discriminator
        that ignores x.
    timings_ : dict
        Seconds spent in ``"discriminate"`` and ``"discretize"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, 400)
    >>> domains = (rng.random(400) < np.where(labels == 0, 0.9, 0.1)).astype(int)
    >>> X = rng.normal(size=(400, 2)) + 3 * labels[:, None]
    >>> disc = DomainDiscretizer(n_words=2, random_state=0).fit(X, domains)
    >>> disc.to_corpus(X, domains).shape
    (2, 2)
    """

    #: checked by ``fit`` before any work; ``discriminator`` and ``clusterer`` are
    #: checked there too, with a hint for the usual mistakes
    _parameter_constraints = {
        "n_words": [None, Interval(Integral, 1, None)],
        "held_out": [Interval(Real, 0, 0.5, closed="right")],
        "cv": [Options(("auto", "folds", "split", "prefit"))],
        "random_state": ["random_state"],
    }

    def __init__(self, n_words: int | None = None, *, discriminator: Any = None,
                 clusterer: Any = None, held_out: float = 0.2, cv: str = "auto",
                 random_state: Seed = None) -> None:
        self.n_words = n_words
        self.discriminator = discriminator
        self.clusterer = clusterer
        self.held_out = held_out
        self.cv = cv
        self.random_state = random_state

    def _make_clusterer(self, n_words, n_domains, n_rows, seed):
        if self.clusterer is None:
            n_clusters = n_words if n_words is not None else n_domains
            if n_rows > _MINIBATCH_ABOVE:
                return MiniBatchKMeans(n_clusters, n_init=_MINIBATCH_N_INIT,
                                       batch_size=_MINIBATCH_BATCH, random_state=seed)
            return KMeans(n_clusters=n_clusters, n_init=_N_INIT, random_state=seed)
        for method in ("fit", "predict"):
            if not callable(getattr(self.clusterer, method, None)):
                raise TypeError(f"clusterer must have a {method} method, got "
                                f"{type(self.clusterer).__name__}")
        clusterer = clone(self.clusterer)
        params = clusterer.get_params()
        key = next((k for k in ("n_clusters", "n_components") if k in params), None)
        if key is None:
            raise TypeError(f"clusterer {type(clusterer).__name__} has neither an n_clusters nor "
                            "an n_components parameter, so its number of words is unknown")
        if n_words is not None:
            clusterer.set_params(**{key: n_words})
        if "random_state" in params and params["random_state"] is None:
            clusterer.set_params(random_state=seed)
        return clusterer

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # the domain ids
        tags.transformer_tags.preserves_dtype = []  # transform gives int64 word ids
        return tags

    def fit(self, X: ArrayLike, y: ArrayLike) -> DomainDiscretizer:
        """Train the discriminator and cluster the held-out p(d|x).

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
            Finite real features; with ``discriminator="precomputed"`` the
            held-out p(d|x), shape (n_examples, n_domains).
        y : array-like of int, shape (n_examples,)
            Domain id of each example (scikit-learn's name for the second
            argument, so that a ``Pipeline`` passes its ``y`` here); every id
            in ``0..n_domains-1`` must occur (at least ``round(1 / held_out)``
            times with ``cv="folds"``).

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is "
                             "None: y holds the domain id of each example")
        domains = y
        validate_params(self.get_params(deep=False), self._parameter_constraints)
        n_words = self.n_words
        name = _PRECOMPUTED_NAME if _is_precomputed(self.discriminator) else "X"
        X, domains, n_domains = _disc.check_training_data(X, domains, name)
        mode = _disc.check_discriminator(self.discriminator, self.cv, X.shape[0])
        _disc.check_sizes(domains, n_domains, mode, self.held_out)
        if n_words is not None and n_words > X.shape[0]:
            raise ValueError(f"n_words = {n_words} is larger than the number of examples "
                             f"{X.shape[0]}")
        rng = check_random_state(self.random_state)
        cluster_seed, split_seed = seed_from(rng), seed_from(rng)
        start = time.perf_counter()
        if mode == "precomputed":
            proba = _disc.check_domain_proba(X, name, n_domains)
            mask, final, C = np.ones(X.shape[0], bool), "precomputed", None
        else:
            discriminator = self.discriminator
            if discriminator is not None and mode != "prefit":
                discriminator = clone(discriminator)
            proba, mask, final, C = _disc.discriminate(X, domains, n_domains, discriminator, mode,
                                                       self.held_out, split_seed)
        held_out = proba[mask]
        loss = _disc.held_out_log_loss(held_out, domains[mask])
        discriminate_s = time.perf_counter() - start
        logger.info("discriminate (%s): %.2f s, held-out log-loss %.4f nats on %d examples",
                    mode, discriminate_s, loss, held_out.shape[0])
        if n_words is not None and n_words > held_out.shape[0]:
            raise ValueError(f"n_words = {n_words} is larger than the number of clustered "
                             f"examples {held_out.shape[0]}")
        self.discriminator_ = final
        self.held_out_mask_ = mask
        self.held_out_proba_ = proba
        self.cv_ = mode
        self.n_domains_ = n_domains
        self.n_features_in_ = X.shape[1]
        self.C_ = C
        self.held_out_log_loss_ = loss
        self.timings_ = {"discriminate": discriminate_s}
        return self._cluster(self._make_clusterer(n_words, n_domains, held_out.shape[0], cluster_seed))

    def _cluster(self, clusterer):
        """Fit ``clusterer`` on the held-out p(d|x); set ``clusterer_``, ``words_``, ``n_words_``."""
        start = time.perf_counter()
        held_out = self.held_out_proba_[self.held_out_mask_]
        # k-means' OpenMP threads contend badly on a busy machine; small problems use one
        with threadpool_limits(1) if held_out.size <= _ONE_THREAD else nullcontext():
            clusterer.fit(held_out)
        params = clusterer.get_params()
        n_words_ = int(params["n_clusters"] if "n_clusters" in params else params["n_components"])
        words = np.full(self.held_out_proba_.shape[0], -1, dtype=np.int64)
        words[self.held_out_mask_] = self._predict_words(clusterer, held_out, n_words_)
        discretize_s = time.perf_counter() - start
        logger.info("discretize (%s, %d words): %.2f s", type(clusterer).__name__, n_words_,
                    discretize_s)
        self.clusterer_ = clusterer
        self.words_ = words
        self.n_words_ = n_words_
        self.timings_ = {**getattr(self, "timings_", {}), "discretize": discretize_s}
        return self

    def _reclustered(self, n_words):
        """A fitted copy with the same discriminator and held-out p(d|x), clustered into
        ``n_words`` words: equal to ``fit`` with that ``n_words`` when ``random_state`` is an int
        (the clusterer's seed is the first draw, as in ``fit``); used by ``DDFA(n_topics="auto")``."""
        check_fitted(self, "held_out_proba_")
        other = clone(self).set_params(n_words=n_words)
        seed = seed_from(check_random_state(self.random_state))
        for attr in ("discriminator_", "held_out_mask_", "held_out_proba_", "cv_", "n_domains_",
                     "n_features_in_", "C_", "held_out_log_loss_"):
            setattr(other, attr, getattr(self, attr))
        other.timings_ = {"discriminate": self.timings_["discriminate"]}
        n_rows = int(np.count_nonzero(self.held_out_mask_))
        return other._cluster(other._make_clusterer(n_words, self.n_domains_, n_rows, seed))

    @staticmethod
    def _predict_words(clusterer, domain_proba, n_words):
        words = np.empty(domain_proba.shape[0], dtype=np.int64)
        for rows in row_chunks(domain_proba.shape[0], domain_proba.shape[1] + n_words):
            words[rows] = check_id_array(clusterer.predict(domain_proba[rows]),
                                         "clusterer.predict(...)", upper=n_words,
                                         upper_name="n_words")
        return words

    def fit_transform(self, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Fit, then return ``words_``: each example's word from its held-out p(d|x).

        ``y`` holds the domain ids, as in :meth:`fit`.
        """
        return self.fit(X, y).words_

    def _check_X(self, X):
        check_fitted(self, "discriminator_")
        if self.cv_ == "precomputed":
            return _disc.check_domain_proba(X, _PRECOMPUTED_NAME, self.n_domains_)
        X = check_finite_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features but the discretizer was fitted with "
                             f"{self.n_features_in_}")
        return X

    def _domain_proba(self, X):
        """p(d|x) of already checked ``X`` (see :meth:`_check_X`), computed in row chunks."""
        if self.cv_ == "precomputed":
            return X
        return _disc.chunked_proba(self.discriminator_, X, self.n_domains_)

    def domain_proba(self, X: ArrayLike) -> np.ndarray:
        """p(d|x) from the fitted discriminator.

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
            With ``discriminator="precomputed"``: p(d|x) itself, shape
            (n_examples, n_domains); it is validated and returned normalised.

        Returns
        -------
        ndarray of shape (n_examples, n_domains)
            Column d is the probability of domain id d; rows sum to one.
        """
        return self._domain_proba(self._check_X(X))

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Word (cluster) id of each example.

        Returns
        -------
        ndarray of int64, shape (n_examples,)
        """
        domain_proba = self.domain_proba(X)
        return self._predict_words(self.clusterer_, domain_proba, self.n_words_)

    def vocabulary(self) -> list[str]:
        """Names of the words: ``["cluster0", "cluster1", ...]``."""
        check_fitted(self, "n_words_")
        return [f"cluster{i}" for i in range(self.n_words_)]

    def to_corpus(self, X: ArrayLike, domains: ArrayLike) -> Corpus:
        """Counts of words per domain, a :class:`~llstopic.Corpus` of shape (n_domains, n_words).

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
        domains : array-like of int, shape (n_examples,)
            Ids of domains seen in ``fit``.
        """
        X = self._check_X(X)
        domains = check_id_array(domains, "domains", upper=self.n_domains_,
                                 upper_name="n_domains seen in fit")
        if domains.shape[0] != X.shape[0]:
            raise ValueError(f"X and domains must have the same length, got {X.shape[0]} rows "
                             f"in X and {domains.shape[0]} domain ids")
        words = self.transform(X)
        return Corpus.from_tokens(words, domains, n_words=self.n_words_, n_domains=self.n_domains_,
                                  vocabulary=self.vocabulary())
