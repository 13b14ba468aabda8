"""LDA back end: gensim's variational Bayes ``LdaModel`` (``LdaMulticore`` for workers > 1).

gensim is imported inside the methods, so that ``import llstopic`` stays light.
"""

from __future__ import annotations

import logging
import time
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..corpus._gensim import GensimBow
from ..metrics import log_likelihood
from .._typing import Seed
from .._validation import Interval, Options, check_finite_array, check_param, seed_from
from ._backend_params import BackendParamsMixin
from ._base import Factorizer
from ._lda_progress import PassProgress
from ._persistence import Array
from ._regime import DOCUMENTS, DOMAINS, corpus_regime
from ._registry import register_factorizer

__all__ = ["GensimLDA"]

_ALPHA_STRINGS = ("symmetric", "asymmetric", "auto")
_ETA_STRINGS = ("symmetric", "auto")
# gensim arguments that llstopic sets itself, and why
_RESERVED = {
    "corpus": "the corpus is the X given to fit",
    "num_topics": "use n_topics",
    "id2word": "the word ids are the columns of X (the vocabulary of a Corpus is used for names)",
    "dtype": "llstopic always computes in float64",
    "distributed": "distributed (Pyro) LDA is not supported; use workers for multicore",
    "ns_conf": "distributed (Pyro) LDA is not supported",
    "callbacks": "callbacks cannot be saved; inspect model_ after fitting instead",
    "minimum_probability": "llstopic always keeps full p_d(y) rows",
    "per_word_topics": "not used by llstopic",
    "passes": "use the GensimLDA argument passes=",
    "iterations": "use the GensimLDA argument iterations=",
    "alpha": "use the GensimLDA argument alpha=",
    "eta": "use the GensimLDA argument eta=",
    "chunksize": "use the GensimLDA argument chunksize=",
    "workers": "use the GensimLDA argument workers=",
    "random_state": "use the GensimLDA argument random_state=",
}


logger = logging.getLogger(__name__)


@register_factorizer("lda")
class GensimLDA(BackendParamsMixin, Factorizer):
    """Latent Dirichlet allocation by :class:`gensim.models.LdaModel` (variational Bayes).

    Parameters
    ----------
    n_topics : int
        Number of topics (latent labels).
    passes : int or None, default=None
        Passes over the corpus.  ``None`` chooses by the corpus' shape (see
        Notes): 100 batch passes for few long domains, 10 online passes for
        many short documents.
    iterations : int or None, default=None
        Inner (per-domain) variational iterations per pass during training;
        ``None``: 10 for few long domains (kept small on purpose, see Notes),
        gensim's 50 for many short documents.
    alpha : {"auto", "symmetric", "asymmetric"}, float or list of n_topics floats, default="auto"
        Dirichlet prior of p_d(y); ``"auto"`` learns it (plain ``LdaModel``
        only: ``workers > 1`` needs another value).
    eta : {"auto", "symmetric"}, None, float or array-like, default="auto"
        Dirichlet prior of p(x|y); an array-like is a list of n_words floats
        or n_topics lists of n_words floats.
    chunksize : int or None, default=None
        Domains per chunk; ``None`` puts all domains in one chunk (capped at
        2000), split evenly over the workers when ``workers > 1``.
    workers : int, default=1
        ``1`` uses ``LdaModel``; more uses ``LdaMulticore`` with that many
        worker processes (not bit-for-bit reproducible: chunks are merged in
        the order the workers finish).
    n_init : int or None, default=None
        Independent restarts (different seeds drawn from ``random_state``);
        the one whose ``topic_word_`` and ``domain_topic_`` give the training
        counts the highest likelihood is kept.  ``None``: 3 for few long
        domains (see Notes for why not 1), 1 for many short documents.
    random_state : None, int, Generator or RandomState, default=None
        Seeds every restart and the inference.  A fixed seed with
        ``workers=1`` gives a bit-for-bit identical result.
    **gensim_params
        Further keyword arguments of ``LdaModel``/``LdaMulticore``:
        ``update_every`` (default here 0, batch, for few long domains and
        gensim's 1, online, for many short documents), ``decay`` (default
        here 0.0 in batch mode, else gensim's 0.5), ``offset``, ``eval_every``
        (default here None: no perplexity logging), ``gamma_threshold``,
        ``minimum_phi_value``, ``batch`` (``LdaMulticore``; default here
        True).  Arguments llstopic sets itself are rejected with the reason.

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y): gensim's fitted topics (``get_topics()``, the posterior mean).
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y): gensim's own inference on the training domains, full rows
        (normalised variational ``gamma``, no ``minimum_probability`` cut).
        A domain without tokens gets the normalised prior ``alpha_``.
    model_ : gensim.models.LdaModel or LdaMulticore
        The fitted gensim model of the best restart (not kept by :meth:`save`).
    alpha_ : ndarray of shape (n_topics,)
        The (possibly learned) Dirichlet prior of p_d(y).
    exp_elog_topic_word_ : ndarray of shape (n_topics, n_words)
        gensim's ``expElogbeta``, exp(E[log p(x|y)]): with ``alpha_`` all
        that gensim's inference needs, so a loaded model (no ``model_``)
        runs exactly the same inference as the fitted one.
    train_log_likelihood_ : float
        Log-likelihood per token of the training counts under the kept
        restart's ``topic_word_`` and ``domain_topic_`` (the restart criterion).
    inference_seed_ : int
        Seed of gensim's random start of the inference, reset before every
        call so that :meth:`transform` is deterministic.
    regime_ : {"domains", "documents"}
        The corpus' shape: long domains when they average at least n_words
        tokens (the length half of the rule ``AnchorWords`` uses to choose
        its space), else many short documents.
    settings_ : dict
        The settings the fit used (``passes``, ``iterations``, ``n_init``,
        ``chunksize``, ``update_every`` or ``batch``, ``decay``,
        ``inference_iterations``), whether given or chosen by ``regime_``.

    Notes
    -----
    **Many short documents** (``regime_ == "documents"``) get gensim's own
    online settings (10 passes, 50 inner iterations, ``update_every=1``,
    ``decay=0.5``, chunks of 2000 documents, one restart) and 100 inner
    iterations for the inference of ``domain_topic_`` and :meth:`transform`:
    the settings topic-model users run, at the cost they expect
    (``benchmarks/RESULTS.md``, real-text table).

    **Few long domains** (``regime_ == "domains"``, the latent-label-shift
    regime) are far from what gensim's defaults are tuned for: its defaults
    failed 32 of 32 planted fits (``benchmarks/lda_lls_settings.py``; the
    table is in ``benchmarks/RESULTS.md``).  What the settings here do:

    * ``passes=100``: one pass is one EM iteration over all domains.
    * ``update_every=0, decay=0``: with few domains all of them sit in one
      chunk, so online and batch coincide and ``decay`` alone damps the steps;
      ``decay=0`` gives plain batch variational EM (``rho = 1``).
    * ``iterations=10``: fewer inner (per-domain) iterations are *better*
      here.  A partial E-step keeps p_d(y) away from the corners of the
      simplex while the topics are still poor, which lets them separate.
      (Inference for ``domain_topic_`` and :meth:`transform` runs at least
      1000 iterations.)
    * ``n_init=3``: poor local optima have visibly lower likelihood, so the
      best of three restarts removes most failures.
    * ``alpha``/``eta`` hardly matter next to 10^4 tokens per domain.

    The training corpus is streamed to gensim row by row from the CSR counts
    (no dense copy).  ``model_`` is not saved; a loaded model rebuilds the
    gensim inference from ``alpha_`` and ``exp_elog_topic_word_`` and gives
    bit-for-bit the same :meth:`transform` as the fitted one.
    """

    _saved_attributes = ("alpha_", "exp_elog_topic_word_", "train_log_likelihood_", "inference_seed_",
                         "regime_", "settings_")
    _optional_attributes = ("regime_", "settings_")    # files saved before regimes lack them
    _attribute_constraints = {
        "alpha_": Array(np.float64, ("n_topics_",), "positive"),
        "exp_elog_topic_word_": Array(np.float64, ("n_topics_", "n_words_in_"), "nonnegative"),
        "train_log_likelihood_": [Interval(Real, None, 0.0), Options((float("-inf"),))],
        "inference_seed_": [Interval(Integral, 0, 2**32 - 1)],
        "regime_": [None, Options((DOMAINS, DOCUMENTS))],   # None: saved before regimes
        "settings_": [None, dict],
    }

    #: minimum inner iterations of the inference behind domain_topic_ and transform, per regime
    _inference_iterations = {DOMAINS: 1000, DOCUMENTS: 100}
    #: (passes, iterations, n_init) chosen when left to None, per regime
    _regime_defaults = {DOMAINS: (100, 10, 3), DOCUMENTS: (10, 50, 1)}

    def __init__(self, n_topics: int | str, *, passes: int | None = None, iterations: int | None = None,
                 alpha: Any = "auto", eta: Any = "auto", chunksize: int | None = None,
                 workers: int = 1, n_init: int | None = None, random_state: Seed = None,
                 **gensim_params: Any) -> None:
        self.n_topics = n_topics
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.chunksize = chunksize
        self.workers = workers
        self.n_init = n_init
        self.random_state = random_state
        self._backend_params = dict(gensim_params)

    # ------------------------------------------------------------ validation
    _parameter_constraints = {
        **Factorizer._parameter_constraints,
        "passes": [None, Interval(Integral, 1, None)],
        "iterations": [None, Interval(Integral, 1, None)],
        "alpha": [Options(_ALPHA_STRINGS), Interval(Real, 0, None, closed="neither"), "array-like"],
        "eta": [None, Options(_ETA_STRINGS), Interval(Real, 0, None, closed="neither"),
                "array-like"],
        "chunksize": [None, Interval(Integral, 1, None)],
        "workers": [Interval(Integral, 1, None)],
        "n_init": [None, Interval(Integral, 1, None)],
    }
    _backend_name = "gensim's LdaModel/LdaMulticore"
    _backend_constraints = {
        "update_every": [Interval(Integral, 0, None)],
        "batch": ["boolean"],
        "decay": [Interval(Real, 0.0, 1.0)],
        "offset": [Interval(Real, 0, None, closed="neither")],
        "eval_every": [None, Interval(Integral, 0, None)],
        "gamma_threshold": [Interval(Real, 0.0, None)],
        "minimum_phi_value": [Interval(Real, 0.0, None)],
    }
    _backend_reserved = _RESERVED

    def _backend_classes(self):
        from gensim.models import LdaModel, LdaMulticore

        return LdaModel, LdaMulticore

    def _check_combinations(self):
        params = self._backend_params
        _check_prior(self.alpha, "alpha", [(self.n_topics,)])
        if self.workers > 1 and isinstance(self.alpha, str) and self.alpha == "auto":
            raise ValueError("alpha='auto' is not supported by gensim's LdaMulticore (workers > 1); "
                             "use alpha='symmetric', 'asymmetric', a number or a list, or workers=1")
        if self.workers == 1 and "batch" in params:
            raise ValueError("batch applies to gensim's LdaMulticore (workers > 1); with workers=1 use "
                             "update_every (0 = batch)")
        if self.workers > 1 and "update_every" in params:
            raise ValueError("update_every applies to gensim's LdaModel (workers=1); with workers > 1 use "
                             "batch=True or batch=False")

    def _check_params(self, corpus):
        _check_prior(self.eta, "eta", [(corpus.n_words,), (self.n_topics, corpus.n_words)])

    def _settings(self, corpus):
        """The regime and the resolved settings: given values, else the regime's defaults."""
        lengths = np.asarray(corpus.counts.sum(axis=1)).ravel()
        regime = corpus_regime(corpus.n_domains, corpus.n_words, float(lengths.mean()), int(self.n_topics),
                               geometric=False)
        passes, iterations, n_init = self._regime_defaults[regime]
        params = dict(self._backend_params)
        workers = int(self.workers)
        n_domains = corpus.n_domains
        if self.chunksize is not None:
            chunksize = int(self.chunksize)
        elif workers > 1:
            chunksize = max(1, min(2000, -(-n_domains // workers)))
        else:
            chunksize = max(1, min(2000, n_domains))
        settings = {"passes": passes if self.passes is None else int(self.passes),
                    "iterations": iterations if self.iterations is None else int(self.iterations),
                    "n_init": n_init if self.n_init is None else int(self.n_init),
                    "chunksize": chunksize}
        if workers > 1:
            settings["batch"] = bool(params.get("batch", regime == DOMAINS))
            batch = settings["batch"]
        else:
            settings["update_every"] = int(params.get("update_every", 0 if regime == DOMAINS else 1))
            batch = settings["update_every"] == 0
        settings["decay"] = float(params.get("decay", 0.0 if batch else 0.5))
        settings["inference_iterations"] = max(settings["iterations"], self._inference_iterations[regime])
        return regime, settings

    def _gensim_kwargs(self, corpus, settings):
        """Keyword arguments for the gensim constructor, with the resolved settings filled in."""
        params = dict(self._backend_params)
        workers = int(self.workers)
        for key in ("batch", "update_every", "decay"):
            if key in settings:
                params[key] = settings[key]
        params.setdefault("eval_every", None)
        vocabulary = corpus.vocabulary
        id2word = {i: (vocabulary[i] if vocabulary is not None else str(i)) for i in range(corpus.n_words)}
        alpha = list(map(float, self.alpha)) if _is_sequence(self.alpha) else self.alpha
        eta = np.asarray(self.eta, dtype=np.float64) if _is_sequence(self.eta) else self.eta
        kwargs = dict(num_topics=int(self.n_topics), id2word=id2word, chunksize=settings["chunksize"],
                      passes=settings["passes"], iterations=settings["iterations"], alpha=alpha, eta=eta,
                      dtype=np.float64, **params)
        if workers > 1:
            kwargs["workers"] = workers
        return kwargs

    # ---------------------------------------------------------------- fitting
    def _fit(self, corpus, rng):
        from gensim.models import LdaModel, LdaMulticore

        klass = LdaMulticore if int(self.workers) > 1 else LdaModel
        regime, settings = self._settings(corpus)
        self.regime_, self.settings_ = regime, settings
        logger.info("GensimLDA: %s regime (%d domains, %d words); settings %s", regime,
                    corpus.n_domains, corpus.n_words, settings)
        kwargs = self._gensim_kwargs(corpus, settings)
        self.inference_seed_ = seed_from(rng)
        seeds = [seed_from(rng) for _ in range(settings["n_init"])]  # n_init=1 runs the first of these
        n_iter = settings["inference_iterations"]
        best = None
        for restart, seed in enumerate(seeds):
            start = time.perf_counter()
            stream = PassProgress(corpus.counts, settings["passes"],
                                  f"GensimLDA: restart {restart + 1}/{len(seeds)}", logger)
            model = klass(corpus=stream, random_state=seed, **kwargs)
            train_iterations = model.iterations
            model.iterations = n_iter
            gamma = _variational_gamma(model, corpus.counts, self.inference_seed_)
            model.iterations = train_iterations
            topic_word = np.asarray(model.get_topics(), dtype=np.float64)
            domain_topic = gamma / gamma.sum(axis=1, keepdims=True)
            score = log_likelihood(corpus.counts, topic_word, domain_topic, smoothing=0.0)
            logger.info("GensimLDA: restart %d/%d: %.4f nats/token on the training counts (%.1f s)",
                        restart + 1, len(seeds), score, time.perf_counter() - start)
            if best is None or score > best[0]:
                best = (score, model, topic_word, domain_topic)
        score, model, topic_word, domain_topic = best
        self.model_ = model
        self.train_log_likelihood_ = score
        self.alpha_ = np.array(model.alpha, dtype=np.float64)
        self.exp_elog_topic_word_ = np.array(model.expElogbeta, dtype=np.float64)
        return topic_word, domain_topic

    # -------------------------------------------------------------- inference
    def _inference_model(self):
        """A gensim ``LdaModel`` rebuilt from ``alpha_`` and ``exp_elog_topic_word_`` for inference."""
        from gensim.models import LdaModel

        n_topics, n_words = self.exp_elog_topic_word_.shape
        gamma_threshold = self._backend_params.get("gamma_threshold", 0.001)
        model = LdaModel(corpus=None, num_topics=n_topics, id2word={i: str(i) for i in range(n_words)},
                         alpha=np.asarray(self.alpha_, dtype=np.float64), eta=1.0 / n_topics,
                         iterations=self._inference_iterations_used(),
                         gamma_threshold=gamma_threshold, random_state=int(self.inference_seed_),
                         dtype=np.float64)
        model.expElogbeta = np.ascontiguousarray(self.exp_elog_topic_word_, dtype=np.float64)
        return model

    def _inference_iterations_used(self):
        settings = getattr(self, "settings_", None)
        if isinstance(settings, dict) and "inference_iterations" in settings:
            # a loaded file's dict: checked here, where it is used
            return int(check_param(settings["inference_iterations"], "settings_['inference_iterations']",
                                   [Interval(Integral, 1, 10**6)]))
        # a model saved before regimes existed: the few-long-domains inference it was fitted with
        return max(int(self.iterations or 10), self._inference_iterations[DOMAINS])

    def _gensim_inference(self, counts):
        """p_d(y) of every row of ``counts`` by gensim's variational inference (normalised gamma)."""
        gamma = _variational_gamma(self._inference_model(), counts, self.inference_seed_)
        return gamma / gamma.sum(axis=1, keepdims=True)

    def _infer(self, counts):
        return self._gensim_inference(counts)


def _variational_gamma(model, counts, seed, chunksize=2000):
    """gensim's variational ``gamma`` of every row of ``counts``, shape (n_domains, n_topics).

    The random start of gensim's inference is reseeded with ``seed`` first,
    so the same model and counts always give the same gamma.
    """
    model.random_state = np.random.RandomState(int(seed))
    stream = GensimBow(counts)
    out, batch = [], []
    for doc in stream:
        batch.append(doc)
        if len(batch) == chunksize:
            out.append(model.inference(batch)[0])
            batch = []
    if batch:
        out.append(model.inference(batch)[0])
    return np.vstack(out).astype(np.float64, copy=False)


def _is_sequence(value):
    return isinstance(value, (list, tuple, np.ndarray))


def _check_prior(value, name, shapes):
    """A Dirichlet prior given as a list or array: positive finite numbers of one of ``shapes``."""
    if not _is_sequence(value):
        return  # a string or a number: the constraint table has checked it
    arr = check_finite_array(value, name)
    if arr.shape not in shapes:
        expected = " or ".join(str(s) for s in shapes)
        raise ValueError(f"{name} has shape {arr.shape}, expected {expected}")
    if (arr <= 0).any():
        raise ValueError(f"{name} must hold positive numbers, got {arr[arr <= 0][0]!r}")
