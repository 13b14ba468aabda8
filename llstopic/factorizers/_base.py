"""The interface every factorizer follows, and everything they share.

A factorizer turns counts of shape (n_domains, n_words) into
``topic_word_`` p(x|y), of shape (n_topics, n_words), and ``domain_topic_``
p_d(y), of shape (n_domains, n_topics).  Subclasses implement ``_fit`` (and
optionally ``_check_params`` and ``_infer``); validation, inference for new
domains, posteriors and likelihoods live here once (persistence in ``_persistence``,
the name table in ``_registry``).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

from .._typing import Path
from .._validation import (Interval, Options, check_count_matrix, check_positive_int, check_random_state,
                           validate_params)

__all__ = ["Factorizer"]

_F = TypeVar("_F", bound="Factorizer")


def _as_counts(X, name="X"):
    """(csr counts, vocabulary or None) from a Corpus, array or sparse matrix."""
    from ..corpus import Corpus

    if isinstance(X, Corpus):
        if X.n_tokens == 0:
            raise ValueError(f"{name} holds no tokens (every count is zero); at least one token is required")
        return X.counts, X.vocabulary
    return check_count_matrix(X, name), None


class Factorizer(TransformerMixin, BaseEstimator):
    """Base class of every factorizer (scikit-learn estimator conventions).

    Subclasses define ``__init__(self, n_topics, *, ..., random_state=None)``
    storing their keyword arguments only, and implement:

    ``_fit(self, corpus, rng)``
        Return ``(topic_word, domain_topic)`` for a validated
        :class:`~llstopic.Corpus` and a :class:`numpy.random.Generator`.
    ``_parameter_constraints`` (optional, a class attribute)
        Parameter name -> list of accepted kinds of value (see
        ``llstopic._validation``), e.g. ``{**Factorizer._parameter_constraints,
        "loss": [Options(("kl", "l2"))], "tol": [Interval(Real, 0.0, None)]}``.
        :meth:`fit` checks every listed parameter before any work, and
        :func:`llstopic.load` checks a saved file's parameters the same way.
    ``_check_combinations(self)`` (optional)
        Raise ``ValueError`` for parameters that are valid one by one but not
        together (no data needed).
    ``_check_params(self, corpus)`` (optional)
        Raise ``ValueError``/``TypeError`` for parameters that do not suit the
        data (e.g. more topics than domains), before any work.
    ``_infer(self, counts)`` (optional)
        p_d(y) for new domains; the default is maximum likelihood with the
        topics fixed (:meth:`_infer_domain_topic`).

    ``_saved_attributes`` names the extra fitted attributes that
    :meth:`save` keeps (arrays, numbers, strings, lists of strings);
    ``_attribute_constraints`` may describe them (kinds, dtypes and shapes,
    see ``_persistence``) so that :func:`llstopic.load` can check them.

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y); each row sums to one.
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y) of the training domains; each row sums to one.
    n_topics_, n_words_in_, n_domains_ : int
    n_topics_selection_ : SelectionResult or None
        With ``n_topics="auto"``: the spectral estimate that chose
        ``n_topics_`` (:func:`llstopic.select_n_topics`); else None.
    vocabulary_ : list of str or None
        The training corpus' vocabulary, when it had one.
    """

    _saved_attributes: tuple = ()
    _registry_name: str | None = None
    n_topics: Any   # int, or "auto" until fit resolves it (set by each subclass' __init__)
    _parameter_constraints: dict = {"n_topics": [Interval(Integral, 1, None), Options(("auto",))],
                                    "random_state": ["random_state"]}

    #: iterations and duality-gap tolerance (nats per token) of the
    #: maximum-likelihood inference of p_d(y)
    _infer_max_iter = 1000
    _infer_tol = 1e-9

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = []  # p_d(y) is float64 whatever the counts
        return tags

    # ------------------------------------------------------------- fitting
    def fit(self: _F, X: Any, y: Any = None) -> _F:
        """Fit the factorizer.

        Parameters
        ----------
        X : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
            Non-negative integer counts.
        y : ignored
            Present for scikit-learn API consistency; labels are latent.

        Returns
        -------
        self
        """
        self._validate_parameters()
        counts, vocabulary = _as_counts(X)
        from ..corpus import Corpus

        corpus = X if isinstance(X, Corpus) else Corpus._trusted(counts)
        n_domains, n_words = counts.shape
        selection = _select_if_auto(self.n_topics, corpus)
        n_topics = check_positive_int(self.n_topics if selection is None else selection.n_topics,
                                      "n_topics")
        if n_topics > n_words:
            raise ValueError(f"n_topics = {n_topics} is larger than the number of words n_words = {n_words}")
        rng = check_random_state(getattr(self, "random_state", None))
        requested, self.n_topics = self.n_topics, n_topics   # subclasses read self.n_topics
        try:
            self._check_params(corpus)
            topic_word, domain_topic = self._fit(corpus, rng)
        finally:
            self.n_topics = requested
        self.topic_word_ = _normalize_rows(np.asarray(topic_word, dtype=np.float64), "topic_word")
        self.domain_topic_ = _normalize_rows(np.asarray(domain_topic, dtype=np.float64), "domain_topic")
        expect = {"topic_word_": (n_topics, n_words), "domain_topic_": (n_domains, n_topics)}
        for attr, shape in expect.items():
            if getattr(self, attr).shape != shape:
                raise RuntimeError(f"{type(self).__name__}._fit returned {attr[:-1]} of shape "
                                   f"{getattr(self, attr).shape}, expected {shape}")
        self.n_topics_ = n_topics
        self.n_topics_selection_ = selection
        self.n_words_in_ = n_words
        self.n_domains_ = n_domains
        self.vocabulary_ = vocabulary
        return self

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then return ``domain_topic_`` of shape (n_domains, n_topics).

        This is the back end's own p_d(y) of the training domains, which may
        differ slightly from ``transform(X)`` (maximum likelihood, or the back
        end's inference, with the topics fixed).
        """
        return self.fit(X).domain_topic_

    @property
    def n_features_in_(self) -> int:
        """``n_words_in_``, under scikit-learn's name (a pipeline step reads it)."""
        self._check_fitted()
        return self.n_words_in_

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the columns of :meth:`transform`: ``topic0``, ``topic1``, ...

        Parameters
        ----------
        input_features : array-like of str, optional
            Only checked: it must name the ``n_words`` input columns.

        Returns
        -------
        ndarray of str objects, shape (n_topics,)
        """
        self._check_fitted()
        if input_features is not None and len(input_features) != self.n_words_in_:
            raise ValueError(f"input_features should have length equal to number of features "
                             f"({self.n_words_in_}), got {len(input_features)}")
        return np.array([f"topic{k}" for k in range(self.n_topics_)], dtype=object)
    def _validate_parameters(self):
        """The checks that need no data: the constraint table, then the combinations."""
        validate_params(self.get_params(deep=False), self._parameter_constraints)
        self._check_combinations()

    def _check_combinations(self):
        """Hook: reject parameters that are valid one by one but not together."""

    def _check_params(self, corpus):
        """Hook: validate hyper-parameters against the corpus before any work."""

    def _fit(self, corpus, rng):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _fit(corpus, rng)")

    # ------------------------------------------------------------ inference
    def _check_fitted(self):
        if not hasattr(self, "topic_word_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )

    def _check_new_counts(self, X, name="X"):
        counts, _ = _as_counts(X, name)
        if counts.shape[1] != self.n_words_in_:
            raise ValueError(f"{name} has {counts.shape[1]} words (columns) but the factorizer was fitted "
                             f"with n_words = {self.n_words_in_}")
        return counts

    def _infer_domain_topic(self, counts, topic_word=None, *, tol=None):
        """Maximum-likelihood p_d(y) of every row of ``counts`` with the topics fixed.

        Domains without tokens get the uniform distribution.  ``tol`` is the
        duality-gap threshold in nats per token (default ``_infer_tol``).  Runs
        on the threads of the factorizer's ``n_jobs`` if it has one (all of
        numba's otherwise); ``n_jobs=1`` runs the serial kernel.
        """
        from ._inference import ml_domain_topic

        topic_word = self.topic_word_ if topic_word is None else topic_word
        return ml_domain_topic(counts, topic_word, max_iter=self._infer_max_iter,
                               tol=self._infer_tol if tol is None else float(tol),
                               n_jobs=getattr(self, "n_jobs", None))

    def _infer(self, counts):
        return self._infer_domain_topic(counts)

    def transform(self, X: Any) -> np.ndarray:
        """p_d(y) of new domains, with the fitted topics fixed.

        Parameters
        ----------
        X : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)

        Returns
        -------
        domain_topic : ndarray of shape (n_domains, n_topics)
            Rows sum to one; a domain without tokens gets the uniform row.
        """
        self._check_fitted()
        counts = self._check_new_counts(X)
        return _normalize_rows(np.asarray(self._infer(counts), dtype=np.float64), "domain_topic")

    def posterior(self, words: ArrayLike, domains: ArrayLike) -> np.ndarray:
        """p_d(y|x) of observations from the fitted domains.

        Parameters
        ----------
        words, domains : array-like of int, shape (n_observations,)
            Word ids (< n_words) and ids of training domains (< n_domains).

        Returns
        -------
        ndarray of shape (n_observations, n_topics)
        """
        from ..posterior import lls_posterior

        self._check_fitted()
        return lls_posterior(self.topic_word_, self.domain_topic_, words, domains)

    def predict(self, words: ArrayLike, domains: ArrayLike) -> np.ndarray:
        """Most probable latent label of each observation, int array (n_observations,)."""
        from ..posterior import lls_predict

        self._check_fitted()
        return lls_predict(self.topic_word_, self.domain_topic_, words, domains)

    def log_likelihood(self, X: Any, *, smoothing: float = 1e-10) -> float:
        """Log-likelihood per token of ``X`` under the fitted topics.

        p_d(y) of each row of ``X`` is first inferred by :meth:`transform`
        (so the figure is optimistic for the proportions, as in standard
        held-out evaluation without document completion).  Word probabilities
        are mixed with the uniform distribution at weight ``smoothing`` so a
        word that no topic produces costs ``log(smoothing / n_words)`` rather
        than ``-inf``.

        Returns
        -------
        float
        """
        self._check_fitted()
        from ..metrics import log_likelihood

        counts = self._check_new_counts(X)
        return log_likelihood(counts, self.topic_word_, self.transform(counts), smoothing=smoothing)

    def top_words(self, n: int = 10, *, as_frame: bool = False) -> Any:
        """The ``n`` most probable words of each topic.

        Parameters
        ----------
        n : int, default=10
        as_frame : bool, default=False
            Return a ``pandas.DataFrame`` (pandas is optional: ``pip install
            "llstopic[pandas]"``) with one row per (topic, rank) and the
            columns ``topic``, ``rank`` (0 = most probable), ``word`` and
            ``probability`` p(x|y); ``frame.pivot(index="rank", columns="topic",
            values="word")`` gives the words of each topic side by side.

        Returns
        -------
        list of n_topics lists, or pandas.DataFrame
            Word strings when the training corpus had a vocabulary, else word ids.
        """
        self._check_fitted()
        n = min(check_positive_int(n, "n"), self.n_words_in_)
        order = np.argsort(-self.topic_word_, axis=1, kind="stable")[:, :n]
        if self.vocabulary_ is None:
            words = [[int(w) for w in row] for row in order]
        else:
            words = [[self.vocabulary_[w] for w in row] for row in order]
        if not as_frame:
            return words
        try:
            import pandas as pd
        except ImportError:
            raise ImportError('top_words(as_frame=True) needs pandas, which is not installed: '
                              'pip install "llstopic[pandas]"') from None
        n_topics = order.shape[0]
        return pd.DataFrame({
            "topic": np.repeat(np.arange(n_topics), n), "rank": np.tile(np.arange(n), n_topics),
            "word": [w for row in words for w in row],
            "probability": np.take_along_axis(self.topic_word_, order, axis=1).ravel()})

    # ---------------------------------------------------------- persistence
    def save(self, path: Path) -> None:
        """Save the fitted factorizer to ``path`` (a ``.npz`` file, no pickle).

        Arrays are stored as arrays; parameters and scalars as JSON inside the
        same file.  :func:`llstopic.load` restores an equal factorizer; loading
        an untrusted file cannot run code.  Back-end objects (``model_``) are
        not saved.
        """
        from ._persistence import save_factorizer

        self._check_fitted()
        save_factorizer(self, path)


def _select_if_auto(n_topics, corpus):
    """The spectral :func:`~llstopic.select_n_topics` result when ``n_topics == "auto"``, else None.

    Its eigensolver is seeded with 0, not from the factorizer's generator, so a
    fit with ``"auto"`` equals a fit with the estimated number at the same seed.
    """
    if not isinstance(n_topics, str):
        return None
    if n_topics != "auto":
        raise TypeError(f"n_topics must be an integer or 'auto', got str: {n_topics!r}")
    from ..selection import select_n_topics

    return select_n_topics(corpus, method="spectral", random_state=0)


def _normalize_rows(matrix, name):
    if matrix.ndim != 2 or not np.all(np.isfinite(matrix)) or (matrix < 0).any():
        raise RuntimeError(f"{name} must be a finite, non-negative 2-D array")
    sums = matrix.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise RuntimeError(f"{name} has a row with zero mass")
    return matrix / sums
