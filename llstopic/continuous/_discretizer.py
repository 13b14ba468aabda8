"""Discriminate and Discretize: p(d|x) from a domain classifier, clustered into words.

The first two steps of DDFA (see :mod:`llstopic.continuous._ddfa`): a
domain classifier p(d|x) trained on (x, domain id) pairs, and a clustering of
the held-out p(d|x) whose clusters are the words of a
:class:`~llstopic.Corpus` of shape (n_domains, n_words).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError

from . import _discriminator as _disc
from .._validation import (Interval, check_finite_array, check_id_array, check_random_state,
                          seed_from, validate_params)
from ..corpus import Corpus

__all__ = ["DomainDiscretizer", "check_fitted"]

#: k-means restarts of the default clusterer.
_N_INIT = 10


def check_fitted(estimator, attr):
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

    Parameters
    ----------
    n_words : int, optional
        Number of clusters (words).  ``None``: the number of domains (or, with
        a custom ``clusterer``, its own setting); :class:`DDFA` passes its
        number of topics, the paper's best setting.
    discriminator : classifier, optional
        Any scikit-learn classifier with ``predict_proba``; it is cloned.
        ``None``: standardisation + multinomial logistic regression, with the
        inverse regularisation ``C`` chosen by held-out domain log-loss
        (calibrated probabilities matter more than accuracy here) on the grid
        1e-3, 3e-3, ..., 10, walked from strong to weak regularisation with
        warm starts and stopped two steps after the best loss.
    clusterer : clusterer, optional
        A scikit-learn clusterer with ``fit`` and ``predict``; it is cloned and
        its ``n_clusters`` (or ``n_components``) set to ``n_words``.
        ``None``: k-means with 10 restarts.
    held_out : float, default=0.2
        Share of the training examples held out from each discriminator fit.
        The examples are split into ``round(1 / held_out)`` stratified folds
        (5 for 0.2) and each fold's p(d|x) is predicted by a discriminator
        trained on the other folds (cross-fitting), so *every* example gets a
        held-out p(d|x) for the clustering and the counts.  The paper's
        reference code holds out a single validation split and clusters only
        that.  The same held-out predictions choose ``C``.  The final
        discriminator, used by :meth:`domain_proba` and :meth:`transform`, is
        refitted on all examples.
    random_state : None, int or numpy.random.Generator
        Seeds the folds and the clusterer.

    Attributes
    ----------
    discriminator_ : classifier
        Fitted on all training examples.
    clusterer_ : clusterer
        Fitted on the held-out p(d|x) of the training examples.
    held_out_proba_ : ndarray of shape (n_examples, n_domains)
        The held-out (cross-fitted) p(d|x) of every training example.
    words_ : ndarray of int64, shape (n_examples,)
        The word of each training example, from its held-out p(d|x).  As
        with scikit-learn's ``TargetEncoder``, ``fit_transform`` returns these,
        which differ slightly from ``fit(X).transform(X)`` (in-sample p(d|x)).
    n_words_, n_domains_, n_features_in_ : int
    C_ : float or None
        ``C`` chosen for the default discriminator (None for a custom one).
    held_out_log_loss_ : float
        Held-out log-loss of the discriminator, in nats per example; compare
        with the entropy of the domain sizes, the loss of a discriminator
        that ignores x.

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
        "random_state": ["random_state"],
    }

    def __init__(self, n_words=None, *, discriminator=None, clusterer=None, held_out=0.2,
                 random_state=None):
        self.n_words = n_words
        self.discriminator = discriminator
        self.clusterer = clusterer
        self.held_out = held_out
        self.random_state = random_state

    def _make_clusterer(self, n_words, n_domains, seed):
        if self.clusterer is None:
            return KMeans(n_clusters=n_words if n_words is not None else n_domains, n_init=_N_INIT,
                          random_state=seed)
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

    def fit(self, X, y):
        """Train the discriminator and cluster the held-out p(d|x).

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
            Finite features.
        y : array-like of int, shape (n_examples,)
            Domain id of each example (scikit-learn's name for the second
            argument, so that a ``Pipeline`` passes its ``y`` here); every id
            in ``0..n_domains-1`` must occur, at least ``round(1 / held_out)``
            times.

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is "
                             "None: y holds the domain id of each example")
        domains = y
        validate_params(self.get_params(deep=False), self._parameter_constraints)
        n_folds = _disc.n_folds_from_held_out(self.held_out)
        n_words = self.n_words
        if self.discriminator is not None:
            for method in ("fit", "predict_proba"):
                if not callable(getattr(self.discriminator, method, None)):
                    raise TypeError(
                        f"discriminator must be a probabilistic classifier with a {method} method; "
                        f"{type(self.discriminator).__name__} has none"
                        + (" (for SVC pass probability=True)" if method == "predict_proba" else ""))
        X, domains, n_domains = _disc.check_training_data(X, domains)
        sizes = np.bincount(domains, minlength=n_domains)
        if sizes.min() < n_folds:
            d = int(np.argmin(sizes))
            raise ValueError(f"domain {d} has only {int(sizes[d])} example(s); held_out = "
                             f"{self.held_out!r} cross-fits over {n_folds} folds and needs at "
                             f"least {n_folds} examples of every domain")
        if n_words is not None and n_words > X.shape[0]:
            raise ValueError(f"n_words = {n_words} is larger than the number of examples "
                             f"{X.shape[0]}")
        rng = check_random_state(self.random_state)
        clusterer = self._make_clusterer(n_words, n_domains, seed_from(rng))
        held_out, final, C, loss = _disc.cross_fit(X, domains, n_domains, self.discriminator,
                                                   n_folds, seed_from(rng))
        self.discriminator_ = final
        self.held_out_proba_ = held_out
        self.n_domains_ = n_domains
        self.n_features_in_ = X.shape[1]
        self.C_ = C
        self.held_out_log_loss_ = loss
        return self._cluster(clusterer)

    def _cluster(self, clusterer):
        """Fit ``clusterer`` on ``held_out_proba_``; set ``clusterer_``, ``words_``, ``n_words_``."""
        clusterer.fit(self.held_out_proba_)
        params = clusterer.get_params()
        n_words_ = int(params["n_clusters"] if "n_clusters" in params else params["n_components"])
        self.words_ = check_id_array(clusterer.predict(self.held_out_proba_),
                                     "clusterer.predict(...)", upper=n_words_, upper_name="n_words")
        self.clusterer_ = clusterer
        self.n_words_ = n_words_
        return self

    def _reclustered(self, n_words):
        """A fitted copy with the same discriminator and held-out p(d|x), clustered into
        ``n_words`` words: equal to ``fit`` with that ``n_words`` when ``random_state`` is an int
        (the clusterer's seed is the first draw, as in ``fit``); used by ``DDFA(n_topics="auto")``."""
        check_fitted(self, "held_out_proba_")
        other = clone(self).set_params(n_words=n_words)
        seed = seed_from(check_random_state(self.random_state))
        for attr in ("discriminator_", "held_out_proba_", "n_domains_", "n_features_in_", "C_",
                     "held_out_log_loss_"):
            setattr(other, attr, getattr(self, attr))
        return other._cluster(other._make_clusterer(n_words, self.n_domains_, seed))

    def fit_transform(self, X, y):
        """Fit, then return ``words_``: each example's word from its held-out p(d|x).

        ``y`` holds the domain ids, as in :meth:`fit`.
        """
        return self.fit(X, y).words_

    def _check_X(self, X):
        check_fitted(self, "discriminator_")
        X = check_finite_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features but the discretizer was fitted with "
                             f"{self.n_features_in_}")
        return X

    def domain_proba(self, X):
        """p(d|x) from the fitted discriminator.

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)

        Returns
        -------
        ndarray of shape (n_examples, n_domains)
            Column d is the probability of domain id d; rows sum to one.
        """
        X = self._check_X(X)
        return _disc.aligned_proba(self.discriminator_, X, self.n_domains_)

    def transform(self, X):
        """Word (cluster) id of each example.

        Returns
        -------
        ndarray of int64, shape (n_examples,)
        """
        domain_proba = self.domain_proba(X)
        words = self.clusterer_.predict(domain_proba)
        return check_id_array(words, "clusterer.predict(...)", upper=self.n_words_,
                              upper_name="n_words")

    def vocabulary(self):
        """Names of the words: ``["cluster0", "cluster1", ...]``."""
        check_fitted(self, "n_words_")
        return [f"cluster{i}" for i in range(self.n_words_)]

    def to_corpus(self, X, domains):
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
