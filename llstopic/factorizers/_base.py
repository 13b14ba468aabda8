"""The interface every factorizer follows, and everything they share.

A factorizer turns counts of shape (n_domains, n_words) into
``topic_word_`` p(x|y), of shape (n_topics, n_words), and ``domain_topic_``
p_d(y), of shape (n_domains, n_topics).  Subclasses implement ``_fit`` (and
optionally ``_check_params`` and ``_infer``); validation, inference for new
domains, posteriors and likelihoods live here once (persistence in ``_persistence``,
the name table in ``_registry``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .._kernels.recovery import kl_recover, kl_recover_parallel
from .._parallel import thread_limits
from .._validation import check_count_matrix, check_positive_int, check_random_state

__all__ = ["Factorizer"]


def _as_counts(X, name="X"):
    """(csr counts, vocabulary or None) from a Corpus, array or sparse matrix."""
    from ..corpus import Corpus

    if isinstance(X, Corpus):
        if X.n_tokens == 0:
            raise ValueError(f"{name} holds no tokens (every count is zero); at least one token is required")
        return X.counts, X.vocabulary
    return check_count_matrix(X, name), None


class Factorizer(BaseEstimator):
    """Base class of every factorizer (scikit-learn estimator conventions).

    Subclasses define ``__init__(self, n_topics, *, ..., random_state=None)``
    storing their keyword arguments only, and implement:

    ``_fit(self, corpus, rng)``
        Return ``(topic_word, domain_topic)`` for a validated
        :class:`~llstopic.Corpus` and a :class:`numpy.random.Generator`.
    ``_check_params(self, corpus)`` (optional)
        Raise ``ValueError``/``TypeError`` for bad hyper-parameters before any
        work.  ``n_topics`` and the counts are already checked.
    ``_infer(self, counts)`` (optional)
        p_d(y) for new domains; the default is maximum likelihood with the
        topics fixed (:meth:`_infer_domain_topic`).

    ``_saved_attributes`` names the extra fitted attributes that
    :meth:`save` keeps (arrays, numbers, strings, lists of strings).

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y); each row sums to one.
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y) of the training domains; each row sums to one.
    n_topics_, n_words_in_, n_domains_ : int
    vocabulary_ : list of str or None
        The training corpus' vocabulary, when it had one.
    """

    _saved_attributes: tuple = ()
    _registry_name: str | None = None

    #: iterations and duality-gap tolerance (nats per token) of the
    #: maximum-likelihood inference of p_d(y)
    _infer_max_iter = 1000
    _infer_tol = 1e-9

    # ------------------------------------------------------------- fitting
    def fit(self, X, y=None):
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
        counts, vocabulary = _as_counts(X)
        from ..corpus import Corpus

        corpus = X if isinstance(X, Corpus) else Corpus._trusted(counts)
        n_domains, n_words = counts.shape
        n_topics = check_positive_int(self.n_topics, "n_topics")
        if n_topics > n_words:
            raise ValueError(f"n_topics = {n_topics} is larger than the number of words n_words = {n_words}")
        rng = check_random_state(getattr(self, "random_state", None))
        self._check_params(corpus)
        topic_word, domain_topic = self._fit(corpus, rng)
        self.topic_word_ = _normalize_rows(np.asarray(topic_word, dtype=np.float64), "topic_word")
        self.domain_topic_ = _normalize_rows(np.asarray(domain_topic, dtype=np.float64), "domain_topic")
        expect = {"topic_word_": (n_topics, n_words), "domain_topic_": (n_domains, n_topics)}
        for attr, shape in expect.items():
            if getattr(self, attr).shape != shape:
                raise RuntimeError(f"{type(self).__name__}._fit returned {attr[:-1]} of shape "
                                   f"{getattr(self, attr).shape}, expected {shape}")
        self.n_topics_ = n_topics
        self.n_words_in_ = n_words
        self.n_domains_ = n_domains
        self.vocabulary_ = vocabulary
        return self

    def fit_transform(self, X, y=None):
        """Fit, then return ``domain_topic_`` of shape (n_domains, n_topics)."""
        return self.fit(X).domain_topic_

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
        topic_word = self.topic_word_ if topic_word is None else topic_word
        topic_word = np.ascontiguousarray(topic_word, dtype=np.float64)
        n_domains, n_topics = counts.shape[0], topic_word.shape[0]
        domain_topic = np.full((n_domains, n_topics), 1.0 / n_topics)
        # The same simplex solver as the anchor recovery: row d of the counts
        # against the topic rows, minimising KL(p(x|d) || p_d(y) @ topic_word),
        # i.e. maximising the likelihood (a concave problem); words no topic
        # produces are skipped; a domain without usable tokens stays uniform.
        loss, gap = np.empty(n_domains), np.empty(n_domains)
        n_iter = np.zeros(n_domains, dtype=np.int64)
        tol = self._infer_tol if tol is None else float(tol)
        with thread_limits(getattr(self, "n_jobs", None)) as n_threads:
            kernel = kl_recover_parallel if n_threads > 1 else kl_recover
            kernel(counts.indptr.astype(np.int64), counts.indices.astype(np.int64),
                   counts.data.astype(np.float64), topic_word, domain_topic, loss, gap, n_iter,
                   self._infer_max_iter, tol, True, False)
        return domain_topic

    def _infer(self, counts):
        return self._infer_domain_topic(counts)

    def transform(self, X):
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

    def posterior(self, words, domains):
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

    def predict(self, words, domains):
        """Most probable latent label of each observation, int array (n_observations,)."""
        from ..posterior import lls_predict

        self._check_fitted()
        return lls_predict(self.topic_word_, self.domain_topic_, words, domains)

    def log_likelihood(self, X, *, smoothing=1e-10):
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

    def top_words(self, n=10):
        """The ``n`` most probable words of each topic.

        Returns
        -------
        list of n_topics lists
            Word strings when the training corpus had a vocabulary, else word ids.
        """
        self._check_fitted()
        n = min(check_positive_int(n, "n"), self.n_words_in_)
        order = np.argsort(-self.topic_word_, axis=1, kind="stable")[:, :n]
        if self.vocabulary_ is None:
            return [[int(w) for w in row] for row in order]
        return [[self.vocabulary_[w] for w in row] for row in order]

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted factorizer to ``path`` (a ``.npz`` file, no pickle).

        Arrays are stored as arrays; parameters and scalars as JSON inside the
        same file.  :func:`llstopic.load` restores an equal factorizer; loading
        an untrusted file cannot run code.  Back-end objects (``model_``) are
        not saved.
        """
        from ._persistence import save_factorizer

        self._check_fitted()
        save_factorizer(self, path)


def _normalize_rows(matrix, name):
    if matrix.ndim != 2 or not np.all(np.isfinite(matrix)) or (matrix < 0).any():
        raise RuntimeError(f"{name} must be a finite, non-negative 2-D array")
    sums = matrix.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise RuntimeError(f"{name} has a row with zero mass")
    return matrix / sums
