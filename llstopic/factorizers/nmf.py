"""NMF back end: KL-NMF of the per-domain word distributions, by scikit-learn or by our EM."""

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
_ENGINES = ("auto", "sklearn", "em")
#: engine="auto" picks "em" from this much work per iteration, nnz * n_topics, up (see the docstring)
_EM_MIN_WORK = 2e8
# scikit-learn parameters that llstopic sets itself, and what to use instead
_RESERVED = {
    "n_components": "use n_topics",
    "beta_loss": "use loss='kullback-leibler' or loss='frobenius'",
}


logger = logging.getLogger(__name__)


@register_factorizer("nmf")
class NMF(BackendParamsMixin, Factorizer):
    """Non-negative matrix factorization of p(x|d), by scikit-learn or by EM over the non-zeros.

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
        The divergence minimised.  With scikit-learn, Kullback-Leibler uses
        the multiplicative-update solver (``solver="mu"``); Frobenius uses
        coordinate descent (``solver="cd"``) unless ``solver="mu"`` is passed.
    engine : {"auto", "sklearn", "em"}, default="auto"
        Who fits.  ``"sklearn"``: :class:`sklearn.decomposition.NMF`.
        ``"em"`` (Kullback-Leibler only): EM for the mixture p_d(x) = sum_y
        p_d(y) p(x|y) with the weights p(x|d) in place of counts, which is
        KL-NMF of p(x|d) (Gaussier & Goutte 2005; Ding, Li & Peng 2008), one
        numba pass over the non-zeros per step, SQUAREM-accelerated and
        monotone (the likelihood polish of ``AnchorWords``).  It starts from
        rows of both factors drawn from the flat Dirichlet by
        ``random_state``.  ``"auto"`` picks ``"em"`` when ``loss`` is
        Kullback-Leibler, ``init`` and every scikit-learn-only parameter
        (``**sklearn_params``) are left unset, and nnz * n_topics >= 2e8;
        else ``"sklearn"``.  Measured per iteration on one thread
        (``benchmarks/bench_nmf_engines.py``: 4,000 x 5,000, 337,767
        non-zeros, 20 topics; two runs): scikit-learn 112 ms, EM 10-12 ms,
        i.e. about 17 and 1.5-1.7 ns per non-zero and topic.  From
        nnz * n_topics = 2e8 a scikit-learn iteration takes
        seconds and a fit of 100-200 of them ten minutes or more (at
        300,000 x 15,000, 54M non-zeros, 100 topics: about 120 s per
        iteration); below it a fit takes a few minutes at most, and the
        default keeps scikit-learn's answers, those of the latent-label-shift
        reference code.  ``engine_`` records the choice.
    init : {"nndsvda", "nndsvd", "nndsvdar", "random"}, optional
        scikit-learn's initialisation (default ``"nndsvda"``); the
        ``nndsvd*`` methods need ``n_topics <= min(n_domains, n_words)``.
        Passing it asks for scikit-learn: ``engine="auto"`` then picks
        ``"sklearn"``, and ``engine="em"`` (which has its own start) refuses it.
    max_iter : int, default=200
        Cap on the iterations (scikit-learn's) or EM steps.  When it is
        reached before ``tol`` is met, scikit-learn's ``ConvergenceWarning``
        reaches the caller.  The planted problems of ``llstopic compare``
        stop by ``tol`` after 40-120 scikit-learn iterations.
    tol : float, default=1e-4
        The stopping rule.  scikit-learn's: the divergence fell by less than
        ``tol`` times its initial value over the last 10 iterations.  EM's:
        the divergence D (see ``reconstruction_err_``) changed by less than
        ``tol`` times its value between two successive accepted (SQUAREM)
        points.  ``n_iter_`` says how many iterations or steps ran.
    topic_word_prior : float, default=0.01
        Pseudo-count per word added to every topic before ``topic_word_`` is
        normalised: topic y's row is ``(N_y p(x|y) + prior) / (N_y + n_words
        prior)``, with N_y the tokens the fit gives to topic y (the posterior
        mean under a symmetric Dirichlet prior).  NMF leaves many words at
        exactly zero in a topic, which gives held-out words probability zero;
        the prior keeps every held-out likelihood finite.  ``0`` turns it off.
    random_state : None, int, Generator or RandomState, default=None
        Seeds scikit-learn (``init="random"``, the randomized SVD of
        ``nndsvd*`` and the ``cd`` solver's shuffling) or EM's Dirichlet
        start.  A fixed seed gives a bit-for-bit identical result (for EM,
        with the same number of numba threads: the reduction order depends on it).
    **sklearn_params
        Further keyword arguments of :class:`sklearn.decomposition.NMF`
        (``solver``, ``alpha_W``, ``alpha_H``, ``l1_ratio``, ``verbose``,
        ``shuffle``); they ask for scikit-learn, as ``init`` does.
        ``n_components`` and ``beta_loss`` are set from ``n_topics`` and ``loss``.

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y); rows sum to one.
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y) of the training domains; rows sum to one.  A domain without
        tokens gets the uniform row.
    engine_ : {"sklearn", "em"}
        The engine that fitted.  A model loaded from a file saved before
        engines existed (all fitted by scikit-learn) lacks it, and has None
        once saved and loaded again.
    model_ : sklearn.decomposition.NMF or None
        The fitted scikit-learn estimator; None for the EM engine (not kept
        by :meth:`save`).
    reconstruction_err_ : float
        The final divergence on the normalised counts, as scikit-learn
        reports it: for Kullback-Leibler sqrt(2 D), with D the generalized
        KL divergence summed over the entries of p(x|d), which for the EM
        engine's normalised factors is the sum over the non-zeros of
        p(x|d) log(p(x|d) / fitted p_d(x)); for Frobenius the norm.
    n_iter_ : int
        Iterations scikit-learn used, or EM steps (passes over the
        non-zeros, including SQUAREM's rejected extrapolations).

    Notes
    -----
    The input stays sparse: scikit-learn receives a CSR matrix of p(x|d).
    :meth:`transform` is the base class' maximum-likelihood p_d(y) with the
    topics fixed (the convex problem KL-NMF solves row by row), so it does
    not depend on ``model_`` and works after :func:`llstopic.load`.  A topic
    that scikit-learn returns with no mass at all (possible with the
    Frobenius loss) is replaced by the uniform distribution with zero weight
    in every domain, and a ``RuntimeWarning`` says so.

    The two engines minimise the same divergence from different starts and
    stop by different rules, so their answers differ.  Measured with
    ``random_state`` 0-2 on ``make_finite_lls(500, 5, 2000, 100, alpha=1,
    beta=0.1, random_state=3)`` (the topic-model regime): at the default
    ``tol`` EM stops at a D 0.04% above scikit-learn's after 32-37 steps
    (scikit-learn: 40 iterations); at ``tol=1e-6``, 60-73 steps, it is below
    it, and the topics' errors agree within 1%.  With few, long domains
    (the latent-label-shift regime) the divergence is nearly flat along
    directions that the topics' recovery cares about, and the two engines
    can stop far apart there (the same effect as for the polish, see
    :func:`llstopic.factorizers._polish.polish`).

    Examples
    --------
    >>> import numpy as np
    >>> from llstopic import NMF
    >>> counts = np.array([[30, 0, 10], [0, 20, 20], [15, 10, 15]])
    >>> model = NMF(2, random_state=0).fit(counts)
    >>> model.topic_word_.shape, model.domain_topic_.shape
    ((2, 3), (3, 2))
    """

    _saved_attributes = ("reconstruction_err_", "n_iter_", "engine_")
    _optional_attributes = ("engine_",)   # files saved before engines lack it
    _attribute_constraints = {"reconstruction_err_": [Interval(Real, 0.0, None)],
                              "n_iter_": [Interval(Integral, 0, None)],
                              # None: a model loaded from a file saved before engines, saved again
                              "engine_": [None, Options(("sklearn", "em"))]}

    def __init__(self, n_topics: int | str, *, loss: str = "kullback-leibler", engine: str = "auto",
                 init: str | None = None, max_iter: int = 200, tol: float = 1e-4,
                 topic_word_prior: float = 0.01, random_state: Seed = None,
                 **sklearn_params: Any) -> None:
        self.n_topics = n_topics
        self.loss = loss
        self.engine = engine
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
        "engine": [Options(_ENGINES)],
        "init": [None, Options(_INITS)],
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
        if self.engine == "em":
            asked = {**({"loss": self.loss} if self.loss != "kullback-leibler" else {}),
                     **({"init": self.init} if self.init is not None else {}), **self._backend_params}
            if asked:
                shown = ", ".join(f"{k}={v!r}" for k, v in asked.items())
                raise ValueError(f"engine='em' fits loss='kullback-leibler' from its own start and "
                                 f"takes no scikit-learn options, got {shown}; use engine='sklearn'")
        solver = self._backend_params.get("solver", "mu" if self.loss == "kullback-leibler"
                                          else "cd")
        if solver == "cd" and self.loss != "frobenius":
            raise ValueError(f"solver='cd' supports only loss='frobenius', got loss={self.loss!r}; "
                             "use solver='mu'")

    def _check_params(self, corpus):
        init = _sklearn_init(self.init)
        smallest = min(corpus.n_domains, corpus.n_words)
        if (self._engine_for(corpus) == "sklearn" and init.startswith("nndsvd")
                and self.n_topics > smallest):
            raise ValueError(f"init={init!r} needs n_topics <= min(n_domains, n_words) = "
                             f"{smallest}, got n_topics = {self.n_topics}; use init='random'")

    def _make_model(self, seed):
        from sklearn.decomposition import NMF as _SkNMF

        params = dict(self._backend_params)
        params.setdefault("solver", "mu" if self.loss == "kullback-leibler" else "cd")
        return _SkNMF(n_components=self.n_topics, init=_sklearn_init(self.init), beta_loss=self.loss,
                      max_iter=self.max_iter, tol=self.tol, random_state=seed, **params)

    def _engine_for(self, corpus):
        return choose_engine(self.engine, self.loss, self.init, self._backend_params,
                             corpus.counts.nnz, self.n_topics)

    # ---------------------------------------------------------------- fitting
    def _fit(self, corpus, rng):
        counts = corpus.counts
        lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
        has_tokens = lengths > 0
        scale = np.divide(1.0, lengths, out=np.zeros_like(lengths), where=has_tokens)
        word_given_domain = sp.csr_matrix(sp.diags(scale) @ counts.astype(np.float64))  # p(x|d)
        self.engine_ = self._engine_for(corpus)
        if self.engine_ == "em":
            domain_weights, topic_weights = self._fit_em(word_given_domain, rng)
        else:
            model = self._make_model(seed_from(rng))
            domain_weights = model.fit_transform(word_given_domain)
            topic_weights = model.components_
            self.model_ = model
            self.reconstruction_err_ = float(model.reconstruction_err_)
            self.n_iter_ = int(model.n_iter_)
        logger.info("NMF (%s): %d %s (cap %d), divergence %.6g", self.engine_, self.n_iter_,
                    "EM steps" if self.engine_ == "em" else "iterations", int(self.max_iter),
                    self.reconstruction_err_)
        topic_word, domain_topic = _normalise_factors(domain_weights, topic_weights, has_tokens)
        return _smooth(topic_word, domain_topic, lengths, float(self.topic_word_prior)), domain_topic

    def _fit_em(self, word_given_domain, rng):
        from sklearn.exceptions import ConvergenceWarning

        from . import _nmf_em

        fit = _nmf_em.fit_em(word_given_domain, self.n_topics, max_iter=int(self.max_iter),
                             tol=float(self.tol), rng=np.random.default_rng(seed_from(rng)))
        self.model_ = None
        self.reconstruction_err_ = _nmf_em.reconstruction_error(fit.divergence)
        self.n_iter_ = fit.n_iter
        if not fit.converged:
            warnings.warn(f"Maximum number of EM steps {int(self.max_iter)} reached. Increase it to "
                          "improve convergence.", ConvergenceWarning, stacklevel=4)
        return fit.domain_topic, fit.topic_word


def choose_engine(engine, loss, init, sklearn_params, nnz, n_topics):
    """The engine that fits: ``engine`` unless it is "auto", then the rule of the NMF docstring.

    "em" when ``loss`` is Kullback-Leibler, ``init`` is None, no scikit-learn
    parameter is passed and the work per iteration, ``nnz * n_topics``, is at
    least ``_EM_MIN_WORK``; "sklearn" otherwise.
    """
    if engine != "auto":
        return engine
    em_ok = loss == "kullback-leibler" and init is None and not sklearn_params
    return "em" if em_ok and nnz * n_topics >= _EM_MIN_WORK else "sklearn"


def _sklearn_init(init):
    return "nndsvda" if init is None else init


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
