"""NMF back end: scikit-learn's ``NMF`` on the per-domain word distributions."""

from __future__ import annotations

import logging
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import Seed
from .._validation import Interval, Options, seed_from
from ._backend_params import BackendParamsMixin
from ._base import Factorizer
from ._registry import register_factorizer

__all__ = ["NMF"]

_LOSSES = ("kullback-leibler", "frobenius")
_INITS = ("nndsvda", "nndsvd", "nndsvdar", "random")
# scikit-learn parameters that llstopic sets itself, and what to use instead
_RESERVED = {
    "n_components": "use n_topics",
    "beta_loss": "use loss='kullback-leibler' or loss='frobenius'",
}


logger = logging.getLogger(__name__)


@register_factorizer("nmf")
class NMF(BackendParamsMixin, Factorizer):
    """Non-negative matrix factorization of p(x|d), via :class:`sklearn.decomposition.NMF`.

    The rows of the count matrix are normalised into the per-domain word
    distributions p(x|d), of shape (n_domains, n_words), and factorized as
    ``p(x|d) ~ domain_weights @ topic_weights``.  As in the latent-label-shift
    reference code, the row sums of ``topic_weights`` are moved into
    ``domain_weights``: ``topic_word_`` is ``topic_weights`` with rows
    normalised, p(x|y), and ``domain_topic_`` is ``domain_weights *
    row_sums`` with rows normalised, p_d(y).  With the Kullback-Leibler loss
    (the default) this is maximum likelihood for the mixture p_d(x) =
    sum_y p_d(y) p(x|y) with every domain weighted equally.

    Parameters
    ----------
    n_topics : int
        Number of topics (latent labels).
    loss : {"kullback-leibler", "frobenius"}, default="kullback-leibler"
        The divergence minimised.  Kullback-Leibler uses scikit-learn's
        multiplicative-update solver (``solver="mu"``); Frobenius uses
        coordinate descent (``solver="cd"``) unless ``solver="mu"`` is passed.
    init : {"nndsvda", "nndsvd", "nndsvdar", "random"}, default="nndsvda"
        Initialisation, as in scikit-learn.  The ``nndsvd*`` methods need
        ``n_topics <= min(n_domains, n_words)``.
    max_iter : int, default=200
        Cap on the iterations of the scikit-learn solver.  When it is reached,
        scikit-learn's ``ConvergenceWarning`` reaches the caller.  The planted
        problems of ``llstopic compare`` stop by ``tol`` after 40-120.
    tol : float, default=1e-4
        The stopping rule (scikit-learn's): the fit stops when the divergence
        fell by less than ``tol`` times its initial value over the last 10
        iterations.  ``n_iter_`` says how many ran.
    topic_word_prior : float, default=0.01
        Pseudo-count per word added to every topic before ``topic_word_`` is
        normalised: topic y's row is ``(N_y p(x|y) + prior) / (N_y + n_words
        prior)``, with N_y the tokens the fit gives to topic y (the posterior
        mean under a symmetric Dirichlet prior).  NMF leaves many words at
        exactly zero in a topic, which gives held-out words probability zero;
        the prior keeps every held-out likelihood finite.  ``0`` turns it off.
    random_state : None, int, Generator or RandomState, default=None
        Seeds scikit-learn (``init="random"``, the randomized SVD of
        ``nndsvd*`` and the ``cd`` solver's shuffling).  A fixed seed gives a
        bit-for-bit identical result.
    **sklearn_params
        Further keyword arguments of :class:`sklearn.decomposition.NMF`
        (``solver``, ``alpha_W``, ``alpha_H``, ``l1_ratio``, ``verbose``,
        ``shuffle``).  ``n_components`` and ``beta_loss`` are set from
        ``n_topics`` and ``loss``.

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y); rows sum to one.
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y) of the training domains; rows sum to one.  A domain without
        tokens gets the uniform row.
    model_ : sklearn.decomposition.NMF
        The fitted scikit-learn estimator (not kept by :meth:`save`).
    reconstruction_err_ : float
        scikit-learn's final divergence on the normalised counts.
    n_iter_ : int
        Iterations scikit-learn used.

    Notes
    -----
    The input stays sparse: scikit-learn receives a CSR matrix of p(x|d).
    :meth:`transform` is the base class' maximum-likelihood p_d(y) with the
    topics fixed (the convex problem KL-NMF solves row by row), so it does
    not depend on ``model_`` and works after :func:`llstopic.load`.  A topic
    that scikit-learn returns with no mass at all (possible with the
    Frobenius loss) is replaced by the uniform distribution with zero weight
    in every domain, and a ``RuntimeWarning`` says so.

    Examples
    --------
    >>> import numpy as np
    >>> from llstopic import NMF
    >>> counts = np.array([[30, 0, 10], [0, 20, 20], [15, 10, 15]])
    >>> model = NMF(2, random_state=0).fit(counts)
    >>> model.topic_word_.shape, model.domain_topic_.shape
    ((2, 3), (3, 2))
    """

    _saved_attributes = ("reconstruction_err_", "n_iter_")
    _attribute_constraints = {"reconstruction_err_": [Interval(Real, 0.0, None)],
                              "n_iter_": [Interval(Integral, 0, None)]}

    def __init__(self, n_topics: int | str, *, loss: str = "kullback-leibler", init: str = "nndsvda",
                 max_iter: int = 200, tol: float = 1e-4, topic_word_prior: float = 0.01,
                 random_state: Seed = None, **sklearn_params: Any) -> None:
        self.n_topics = n_topics
        self.loss = loss
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.topic_word_prior = topic_word_prior
        self.random_state = random_state
        self._backend_params = dict(sklearn_params)

    # ------------------------------------------------------------ validation
    _parameter_constraints = {
        **Factorizer._parameter_constraints,
        "loss": [Options(_LOSSES)],
        "init": [Options(_INITS)],
        "max_iter": [Interval(Integral, 1, None)],
        "tol": [Interval(Real, 0.0, None)],
        "topic_word_prior": [Interval(Real, 0.0, None)],
    }
    _backend_name = "sklearn.decomposition.NMF"
    _backend_constraints = {
        "solver": [Options(("mu", "cd"))],
        "alpha_W": [Interval(Real, 0.0, None)],
        "alpha_H": [Interval(Real, 0.0, None), Options(("same",))],
        "l1_ratio": [Interval(Real, 0.0, 1.0)],
        "verbose": [Interval(Integral, 0, None), "boolean"],
        "shuffle": ["boolean"],
    }
    _backend_reserved = {**_RESERVED, **{k: f"use the NMF argument {k}=" for k in
                                         ("init", "max_iter", "tol", "random_state")}}

    def _backend_classes(self):
        from sklearn.decomposition import NMF as _SkNMF

        return (_SkNMF,)

    def _check_combinations(self):
        solver = self._backend_params.get("solver", "mu" if self.loss == "kullback-leibler"
                                          else "cd")
        if solver == "cd" and self.loss != "frobenius":
            raise ValueError(f"solver='cd' supports only loss='frobenius', got loss={self.loss!r}; "
                             "use solver='mu'")

    def _check_params(self, corpus):
        if self.init.startswith("nndsvd") and self.n_topics > min(corpus.n_domains, corpus.n_words):
            raise ValueError(f"init={self.init!r} needs n_topics <= min(n_domains, n_words) = "
                             f"{min(corpus.n_domains, corpus.n_words)}, got n_topics = {self.n_topics}; "
                             "use init='random'")

    def _make_model(self, seed):
        from sklearn.decomposition import NMF as _SkNMF

        params = dict(self._backend_params)
        params.setdefault("solver", "mu" if self.loss == "kullback-leibler" else "cd")
        return _SkNMF(n_components=self.n_topics, init=self.init, beta_loss=self.loss,
                      max_iter=self.max_iter, tol=self.tol, random_state=seed, **params)

    # ---------------------------------------------------------------- fitting
    def _fit(self, corpus, rng):
        counts = corpus.counts
        lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
        has_tokens = lengths > 0
        scale = np.divide(1.0, lengths, out=np.zeros_like(lengths), where=has_tokens)
        word_given_domain = sp.diags(scale) @ counts.astype(np.float64)  # p(x|d), CSR
        model = self._make_model(seed_from(rng))
        domain_weights = model.fit_transform(sp.csr_matrix(word_given_domain))
        topic_weights = model.components_
        self.model_ = model
        self.reconstruction_err_ = float(model.reconstruction_err_)
        self.n_iter_ = int(model.n_iter_)
        logger.info("NMF: %d iterations (cap %d), divergence %.6g", self.n_iter_, int(self.max_iter),
                    self.reconstruction_err_)
        topic_word, domain_topic = _normalise_factors(domain_weights, topic_weights, has_tokens)
        return _smooth(topic_word, domain_topic, lengths, float(self.topic_word_prior)), domain_topic


def _smooth(topic_word, domain_topic, lengths, prior):
    """Add ``prior`` pseudo-counts per word to each topic's N_y expected tokens, renormalise."""
    if prior == 0.0:
        return topic_word
    tokens = lengths @ (domain_topic / domain_topic.sum(axis=1, keepdims=True))   # N_y, shape (n_topics,)
    n_words = topic_word.shape[1]
    return (tokens[:, None] * topic_word + prior) / (tokens + n_words * prior)[:, None]


def _normalise_factors(domain_weights, topic_weights, has_tokens):
    """(topic_word, domain_topic) from NMF factors, moving the topic masses into the domains."""
    domain_weights = np.asarray(domain_weights, dtype=np.float64)
    topic_weights = np.asarray(topic_weights, dtype=np.float64)
    n_topics, n_words = topic_weights.shape
    mass = topic_weights.sum(axis=1)
    dead = mass <= 0
    if dead.any():
        warnings.warn(f"NMF returned {int(dead.sum())} topic(s) with no mass "
                      f"(topics {np.flatnonzero(dead).tolist()}); they are set to the uniform "
                      "distribution with zero weight in every domain",
                      RuntimeWarning, stacklevel=4)
    topic_word = np.where(dead[:, None], 1.0 / n_words, topic_weights / np.where(dead, 1.0, mass)[:, None])
    domain_topic = domain_weights * np.where(dead, 0.0, mass)[None, :]
    empty = (domain_topic.sum(axis=1) <= 0) | ~has_tokens
    domain_topic[empty] = 1.0 / n_topics
    return topic_word, domain_topic
