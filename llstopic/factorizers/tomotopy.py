"""LDA back end on tomotopy: collapsed Gibbs sampling in C++ (optional extra ``tomotopy``).

tomotopy is imported inside the methods: this module imports without it, so a
saved model loads (and ``transform``s) on a machine that does not have it.
"""

from __future__ import annotations

import logging
import numbers
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._typing import Seed
from .._validation import check_positive_int, seed_from
from ..metrics import log_likelihood
from ._base import Factorizer
from ._registry import register_factorizer

__all__ = ["TomotopyLDA"]

_INSTALL = 'pip install "llstopic[tomotopy]"'
#: Seconds between two progress records of one chain.
_PROGRESS_EVERY = 30.0

logger = logging.getLogger(__name__)


def _tomotopy():
    try:
        import tomotopy
    except ImportError:
        raise ImportError(f"TomotopyLDA needs the tomotopy package, which is not installed: "
                          f"{_INSTALL}") from None
    return tomotopy


@register_factorizer("tomotopy")
class TomotopyLDA(Factorizer):
    """Latent Dirichlet allocation by collapsed Gibbs sampling, with :mod:`tomotopy`.

    Parameters
    ----------
    n_topics : int
        Number of topics (latent labels).
    iterations : int, default=300
        Gibbs sweeps over all tokens (tomotopy's ``train`` iterations).
    burn_in : int, default=100
        Sweeps before the estimates start being averaged, and before
        tomotopy starts optimising ``alpha`` (its ``burn_in``).  Must be
        smaller than ``iterations``.
    sample_interval : int, default=10
        After the burn-in, the topic counts of every token are read every
        ``sample_interval`` sweeps; ``topic_word_`` and ``domain_topic_`` are
        posterior means from the average of these samples.
    alpha : float or list of n_topics floats, default=0.1
        Dirichlet prior of p_d(y) (tomotopy's ``alpha``): its starting value
        when ``optim_interval > 0``.
    eta : float, default=0.01
        Symmetric Dirichlet prior of p(x|y).
    optim_interval : int, default=10
        tomotopy re-estimates ``alpha`` every ``optim_interval`` sweeps after
        the burn-in; ``0`` keeps it fixed.
    workers : int, default=1
        Threads of tomotopy's sampler.  With ``workers=1`` and a fixed
        ``random_state`` the result is identical bit for bit; with more
        workers tomotopy's parallel sampler merges in thread order and the
        result may differ from run to run (tomotopy warns).
    n_init : int, default=1
        Independent chains (seeds drawn from ``random_state``); the one whose
        ``topic_word_`` and ``domain_topic_`` give the training counts the
        highest likelihood is kept.
    random_state : None, int, Generator or RandomState, default=None
        Seeds every chain.

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y): the posterior mean ``(n_yx + eta) / (n_y + n_words * eta)``
        of the averaged word-topic counts.  Words without tokens in the
        training counts get the prior's share (tomotopy leaves them out).
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y) from tomotopy's sampling: ``(n_dy + alpha_y) / (n_d +
        sum(alpha))`` of the averaged domain-topic counts (the prior for a
        domain without tokens).
    model_ : tomotopy.LDAModel
        The kept chain (not kept by :meth:`save`).
    alpha_ : ndarray of shape (n_topics,)
        The final (optimised, unless ``optim_interval=0``) ``alpha``.
    n_samples_ : int
        Samples averaged.
    train_log_likelihood_ : float
        Log-likelihood per token of the training counts under the kept
        chain's ``topic_word_`` and ``domain_topic_`` (the criterion of ``n_init``).

    Notes
    -----
    The words reach tomotopy as their column ids (``"0"``, ``"1"``, ...),
    so the result does not depend on the vocabulary, and tomotopy's own word
    filters (``min_cf``, ``min_df``, ``rm_top``) are off: filter the
    :class:`~llstopic.Corpus` instead (:meth:`~llstopic.Corpus.filter_words`).

    :meth:`transform` does not sample.  With the topics fixed at
    ``topic_word_`` it solves the fixed point that collapsed Gibbs
    inference (tomotopy's ``infer``) estimates by sampling:
    ``n_dy = sum_x n_dx p(y|x, d)`` with ``p_d(y) = (n_dy + alpha_y) /
    (n_d + sum(alpha))`` -- the maximum a posteriori p_d(y) under a
    Dirichlet(``alpha_`` + 1) prior, a concave problem with one solution.
    It is deterministic, needs only ``topic_word_`` and ``alpha_``, and so
    gives the same answer after :func:`llstopic.load` (without tomotopy).

    A single Gibbs chain can stop in a poor local optimum (two topics merged,
    one split), most often with few, long domains; ``n_init=3`` keeps the
    best of three chains, at three times the cost.
    """

    _saved_attributes = ("alpha_", "n_samples_", "train_log_likelihood_")

    #: iterations at most, and tolerance (max change of p_d(y)), of the transform fixed point
    _infer_fixed_point_iter = 5000
    _infer_fixed_point_tol = 1e-10

    def __init__(self, n_topics: int | str, *, iterations: int = 300, burn_in: int = 100,
                 sample_interval: int = 10, alpha: Any = 0.1, eta: float = 0.01,
                 optim_interval: int = 10, workers: int = 1, n_init: int = 1,
                 random_state: Seed = None) -> None:
        self.n_topics = n_topics
        self.iterations = iterations
        self.burn_in = burn_in
        self.sample_interval = sample_interval
        self.alpha = alpha
        self.eta = eta
        self.optim_interval = optim_interval
        self.workers = workers
        self.n_init = n_init
        self.random_state = random_state

    # ------------------------------------------------------------ validation
    def _check_params(self, corpus):
        iterations = check_positive_int(self.iterations, "iterations")
        burn_in = check_positive_int(self.burn_in, "burn_in", minimum=0)
        if burn_in >= iterations:
            raise ValueError(f"burn_in = {burn_in} must be smaller than iterations = {iterations}")
        check_positive_int(self.sample_interval, "sample_interval")
        check_positive_int(self.optim_interval, "optim_interval", minimum=0)
        check_positive_int(self.workers, "workers")
        check_positive_int(self.n_init, "n_init")
        _positive(self.eta, "eta")
        if isinstance(self.alpha, (list, tuple, np.ndarray)):
            if len(self.alpha) != self.n_topics:
                raise ValueError(f"alpha has {len(self.alpha)} entries but "
                                 f"n_topics = {self.n_topics}")
            for value in self.alpha:
                _positive(value, "alpha")
        else:
            _positive(self.alpha, "alpha")
        _tomotopy()

    # ---------------------------------------------------------------- fitting
    def _fit(self, corpus, rng):
        counts = corpus.counts
        n_words, n_topics = counts.shape[1], int(self.n_topics)
        lengths = np.diff(counts.indptr)
        rows = np.flatnonzero(lengths > 0)
        alpha = ([float(a) for a in self.alpha] if isinstance(self.alpha, (list, tuple, np.ndarray))
                 else float(self.alpha))
        best = None
        seeds = [seed_from(rng) for _ in range(int(self.n_init))]
        for chain, seed in enumerate(seeds):
            start = time.perf_counter()
            model, word_topic, domain_topic_counts, n_samples = self._chain(
                counts, rows, alpha, seed, f"TomotopyLDA: chain {chain + 1}/{len(seeds)}")
            alpha_ = np.asarray(model.alpha, dtype=np.float64).reshape(-1)
            alpha_ = np.broadcast_to(alpha_, (n_topics,)).copy()
            eta = float(self.eta)
            topic_word = ((word_topic + eta)
                          / (word_topic.sum(axis=1, keepdims=True) + n_words * eta))
            domain_topic = np.tile(alpha_ / alpha_.sum(), (counts.shape[0], 1))
            domain_topic[rows] = ((domain_topic_counts + alpha_)
                                  / (domain_topic_counts.sum(axis=1, keepdims=True) + alpha_.sum()))
            score = log_likelihood(counts, topic_word, domain_topic, smoothing=0.0)
            logger.info("TomotopyLDA: chain %d/%d: %d samples, %.4f nats/token on the training "
                        "counts (%.1f s)", chain + 1, len(seeds), n_samples, score,
                        time.perf_counter() - start)
            if best is None or score > best[0]:
                best = (score, model, topic_word, domain_topic, alpha_, n_samples)
        score, self.model_, topic_word, domain_topic, self.alpha_, self.n_samples_ = best
        self.train_log_likelihood_ = float(score)
        return topic_word, domain_topic

    def _chain(self, counts, rows, alpha, seed, label):
        """One tomotopy chain: the model and the averaged (topic, word), (domain, topic) counts.

        Logs (INFO, prefix ``label``) the end of the burn-in and, at most every
        ``_PROGRESS_EVERY`` seconds, the iterations done and tomotopy's
        log-likelihood per token."""
        tp = _tomotopy()
        n_words, n_topics = counts.shape[1], int(self.n_topics)
        model = tp.LDAModel(k=n_topics, alpha=alpha, eta=float(self.eta), seed=int(seed), min_cf=0,
                            min_df=0, rm_top=0)
        names = np.array([str(j) for j in range(n_words)], dtype=object)
        for d in rows:
            a, b = counts.indptr[d], counts.indptr[d + 1]
            model.add_doc(names[np.repeat(counts.indices[a:b], counts.data[a:b])].tolist())
        model.burn_in = int(self.burn_in)
        model.optim_interval = int(self.optim_interval)
        workers, burn_in, iterations = int(self.workers), int(self.burn_in), int(self.iterations)
        start = time.perf_counter()
        if burn_in:
            model.train(burn_in, workers=workers)
        else:
            model.train(0, workers=workers)  # tomotopy renumbers its vocabulary at the first call
        logger.info("%s: burn-in of %d iterations done (%.1f s)", label, burn_in,
                    time.perf_counter() - start)
        last = time.perf_counter()
        # tomotopy's word ids -> our columns, and the domain of every token (fixed from now on)
        column = np.array([int(w) for w in model.vocabs], dtype=np.int64)
        words = column[np.concatenate([np.asarray(doc.words, dtype=np.int64)
                                       for doc in model.docs])]
        sizes = np.array([len(doc.words) for doc in model.docs], dtype=np.int64)
        token_domain = np.repeat(np.arange(rows.shape[0]), sizes)
        word_topic = np.zeros(n_topics * n_words)
        domain_topic = np.zeros(rows.shape[0] * n_topics)
        n_samples, done = 0, burn_in
        while done < iterations:
            step = min(int(self.sample_interval), iterations - done)
            model.train(step, workers=workers)
            done += step
            now = time.perf_counter()
            if now - last >= _PROGRESS_EVERY or done == iterations:
                last = now
                logger.info("%s: iteration %d/%d, %.4f nats/token (tomotopy's estimate; %.1f s)",
                            label, done, iterations, model.ll_per_word, now - start)
            topics = np.concatenate([np.asarray(doc.topics, dtype=np.int64) for doc in model.docs])
            word_topic += np.bincount(topics * n_words + words, minlength=word_topic.shape[0])
            domain_topic += np.bincount(token_domain * n_topics + topics,
                                        minlength=domain_topic.shape[0])
            n_samples += 1
        return (model, word_topic.reshape(n_topics, n_words) / n_samples,
                domain_topic.reshape(rows.shape[0], n_topics) / n_samples, n_samples)

    # ---------------------------------------------------------------- pickle
    def __getstate__(self):
        # tomotopy models do not pickle; they serialise themselves (model_.saves)
        state = super().__getstate__()
        if "model_" in state:
            state["model_"] = state["model_"].saves(full=True)
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state = dict(state, model_=_tomotopy().LDAModel.loads(state["model_"]))
        super().__setstate__(state)

    # -------------------------------------------------------------- inference
    def _infer(self, counts):
        return fixed_point_domain_topic(counts, self.topic_word_, self.alpha_,
                                        self._infer_fixed_point_iter, self._infer_fixed_point_tol)


def fixed_point_domain_topic(counts, topic_word, alpha, max_iter, tol, block=4096):
    """p_d(y) with p_d(y) = (sum_x n_dx p(y|x,d) + alpha_y) / (n_d + sum(alpha)), topics fixed.

    Iterated (an EM for the MAP under a Dirichlet(alpha + 1) prior: the
    objective rises at every step) until no entry moves by more than ``tol``,
    row block by row block of ``counts`` (CSR of shape (n_domains, n_words)).
    A domain without tokens gets ``alpha / sum(alpha)``.
    """
    n_domains, n_topics = counts.shape[0], topic_word.shape[0]
    alpha = np.asarray(alpha, dtype=np.float64)
    out = np.broadcast_to(alpha / alpha.sum(), (n_domains, n_topics)).copy()
    word_topic = np.ascontiguousarray(topic_word.T)  # (n_words, n_topics)
    for start in range(0, n_domains, block):
        part = counts[start:start + block]
        n_rows = part.shape[0]
        row = np.repeat(np.arange(n_rows), np.diff(part.indptr))
        data = part.data.astype(np.float64)
        phi = word_topic[part.indices]  # (nnz, n_topics)
        theta = out[start:start + n_rows]
        for _ in range(int(max_iter)):
            mix = np.einsum("ij,ij->i", theta[row], phi)
            weight = np.divide(data, mix, out=np.zeros_like(data), where=mix > 0)
            # n_dy = sum_x n_dx p(y|x,d); words that no topic produces do not count
            n_dy = theta * (sp.csr_matrix((weight, part.indices, part.indptr),
                                          shape=part.shape) @ word_topic)
            new = n_dy + alpha
            new /= new.sum(axis=1, keepdims=True)
            change = np.abs(new - theta).max()
            theta = new
            if change <= tol:
                break
        out[start:start + n_rows] = theta
    return out


def _positive(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}: {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
