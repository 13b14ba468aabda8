"""Likelihood polish: EM (or MAP-EM) over the CSR non-zeros, from any factorizer's answer.

Anchor words are a method of moments; a few EM steps take their answer to the
nearby optimum of the likelihood

    L = sum_{(d, w) non-zero} count * log((1 - s) * domain_topic[d] @ topic_word[:, w] + s / n_words)

(``s`` = ``smoothing``, a fixed uniform background, 0 by default), or of the
log-posterior ``L + prior * (sum log domain_topic + sum log topic_word)``
under symmetric Dirichlet(1 + prior) priors on every row of both factors
(``prior`` is a pseudo-count added to every expected count; 0 is plain
maximum likelihood).  Each EM step is one pass over the non-zeros
(:func:`llstopic._kernels.em.em_step`, O(nnz * K) time) and never decreases
that objective.  Memory beyond the counts: ``n_threads`` slabs of
(n_words, K) float64 for the topic-word counts (none with fixed topics) and
work copies of the factors, two for plain EM and four for SQUAREM
(4 x 300,000 x 100 x 8 B = 0.96 GB at NYTimes size); never (nnz, K).

SQUAREM (Varadhan & Roland 2008, scheme S3) accelerates it: from x, two EM
steps give F(x) and F(F(x)); the extrapolated point, taken in log
coordinates so it stays positive and on the simplex, is accepted only if its
objective is at least that of F(x), else the cycle falls back to the plain
step F(F(x)).  The objectives of the accepted points therefore never
decrease (``PolishResult.objective_history``), accelerated or not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .._kernels import em as _em
from .._kernels._threads import numba_threads as _numba_threads
from .._validation import check_bool as _check_bool
from .._validation import check_counts as _check_counts
from .._validation import check_factor as _check_factor
from .._validation import check_positive_int
from .._validation import check_real as _check_real
from .._validation import factor_shapes as _check_shapes
from . import _squarem

__all__ = ["PolishResult", "polish"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolishResult:
    """What :func:`polish` did.

    Attributes
    ----------
    topic_word : ndarray of shape (n_topics, n_words)
        The polished p(x|y) (the input, normalised, when ``fixed_topics``).
    domain_topic : ndarray of shape (n_domains, n_topics)
        The polished p_d(y).
    n_iter : int
        EM steps run (passes over the non-zeros that produced a new point,
        including SQUAREM's rejected extrapolations); one more pass computes
        ``loglik_after``.
    loglik_before, loglik_after : float
        Log-likelihood per token of the input and of the returned factors.
    history : ndarray of shape (n_points,)
        Log-likelihood per token of every accepted point, from the input
        (``history[0] == loglik_before``) to the result (``history[-1] ==
        loglik_after``).
    objective_history : ndarray of shape (n_points,)
        The objective per token at the same points: ``history`` plus the
        log-prior per token (equal to ``history`` when ``prior == 0``); never
        decreases.
    converged : bool
        Whether the relative change of the objective per token fell below ``tol``.
    n_rejected : int
        SQUAREM extrapolations rejected in favour of the plain EM step.
    """

    topic_word: np.ndarray
    domain_topic: np.ndarray
    n_iter: int
    loglik_before: float
    loglik_after: float
    history: np.ndarray
    objective_history: np.ndarray
    converged: bool
    n_rejected: int = 0


# ------------------------------------------------------------------ passes
class _Passes:
    """The EM passes over one corpus, with their work buffers allocated once."""

    def __init__(self, counts, data, n_topics, smoothing, prior, fixed_topics, n_chunks, offset=0.0):
        self.indptr, self.indices, self.data = counts.indptr, counts.indices, data
        self.offset = offset  # added to the total log-likelihood in the objective (see em_weights)
        self.smoothing, self.prior, self.fixed = smoothing, prior, fixed_topics
        n_domains, n_words = counts.shape
        # chunks of rows balanced by non-zeros, one per thread
        targets = np.linspace(0, counts.nnz, n_chunks + 1)
        bounds = np.searchsorted(counts.indptr, targets, side="left").astype(np.int64)
        bounds[0], bounds[-1] = 0, n_domains
        self.bounds = np.maximum.accumulate(bounds)
        self.scratch = np.empty((n_chunks, n_topics))
        shape = (1, 1, 1) if fixed_topics else (n_chunks, n_words, n_topics)
        self.word_counts = np.empty(shape)
        self.row_loglik = np.empty(n_domains)
        self.n_tokens = float(data.sum())

    def _objective(self, loglik, domain_topic, word_topic):
        loglik = loglik + self.offset
        if self.prior == 0.0:
            return loglik
        log_prior = self.log_prior_rows(domain_topic).sum()
        if not self.fixed:
            log_prior += self.log_prior_rows(word_topic).sum()
        return loglik + log_prior

    def log_prior_rows(self, values):
        """prior * sum of log of each row of ``values`` (a new array)."""
        out = np.empty(values.shape[0])
        _em.sum_log_rows(values, out)
        return self.prior * out

    def row_objective(self, domain_topic):
        """Each row's objective at the point the last pass evaluated (a new array)."""
        if self.prior == 0.0:
            return self.row_loglik.copy()
        return self.row_loglik + self.log_prior_rows(domain_topic)

    def step(self, domain_topic, word_topic, out_domain_topic, out_word_topic):
        """One EM step into the OUT buffers; (loglik, objective) per token of the INPUT."""
        _em.em_step(self.indptr, self.indices, self.data, domain_topic, word_topic, self.smoothing,
                    self.prior, self.bounds, self.scratch, out_domain_topic, self.word_counts,
                    self.row_loglik, not self.fixed)
        if not self.fixed:
            _em.normalize_word_counts(self.word_counts[0], self.prior, word_topic, out_word_topic)
        loglik = float(self.row_loglik.sum())
        return loglik / self.n_tokens, self._objective(loglik, domain_topic, word_topic) / self.n_tokens

    def evaluate(self, domain_topic, word_topic):
        """(loglik, objective) per token of a point, without a step."""
        _em.loglik_nonzeros(self.indptr, self.indices, self.data, domain_topic, word_topic,
                            self.smoothing, self.row_loglik)
        loglik = float(self.row_loglik.sum())
        return loglik / self.n_tokens, self._objective(loglik, domain_topic, word_topic) / self.n_tokens


def _zero_probability_error(counts, domain_topic, word_topic, row_loglik):
    d = int(np.flatnonzero(~np.isfinite(row_loglik))[0])
    start, end = counts.indptr[d], counts.indptr[d + 1]
    words = counts.indices[start:end]
    prob = word_topic[words] @ domain_topic[d]
    w = int(words[np.flatnonzero(prob <= 0)[0]]) if (prob <= 0).any() else int(words[0])
    return ValueError(
        f"the starting factors give probability 0 to word {w}, counted in domain {d} (log-likelihood "
        "-inf), and EM cannot leave such a point; pass prior > 0 or smoothing > 0, or start from "
        "factors that give every counted word a positive probability")


# ------------------------------------------------------------------ driver
def polish(counts, topic_word, domain_topic, *, max_iter=50, tol=1e-6, prior=0.0, smoothing=0.0,
           fixed_topics=False, accelerate=True, n_threads=None):
    """Polish a factorization by EM (or MAP-EM) on the likelihood of the counts.

    Parameters
    ----------
    counts : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
        Non-negative integer counts.  A Corpus (also ``Corpus._trusted(csr)``
        for counts validated already) is read in place; other input is
        validated and copied.
    topic_word : array-like of shape (n_topics, n_words)
        Starting p(x|y); rows on the simplex (within 1e-6; renormalised).
    domain_topic : array-like of shape (n_domains, n_topics)
        Starting p_d(y); rows on the simplex (within 1e-6; renormalised).
    max_iter : int >= 0, default=50
        EM steps (passes over the non-zeros) at most; 0 only evaluates.
    tol : float > 0, default=1e-6
        Stop when the relative change of the objective per token between
        two accepted points is below ``tol``.
    prior : float >= 0, default=0
        Pseudo-count added to every expected count of both factors (of
        ``domain_topic`` only when ``fixed_topics``): the MAP point under
        symmetric Dirichlet(1 + prior) priors; 0 is maximum likelihood.
    smoothing : float in [0, 1), default=0
        Weight of a fixed uniform background in the model (see the module
        docstring).
    fixed_topics : bool, default=False
        Keep ``topic_word`` fixed and update p_d(y) only: maximum-likelihood
        (or MAP) inference of the proportions.  Then, with ``smoothing == 0``,
        tokens of words that no topic produces are left out (their cost is
        -inf whatever p_d(y) is), as in ``Factorizer._infer_domain_topic``.
    accelerate : bool, default=True
        SQUAREM with a monotonicity safeguard (module docstring); False runs
        plain EM.
    n_threads : int >= 1, optional
        Numba threads for the call (default: all numba has); the previous
        count is restored on return.  Results are reproducible for a given
        ``n_threads`` (the reduction order depends on it).

    Returns
    -------
    PolishResult

    Raises
    ------
    ValueError, TypeError
        For bad arguments, before any pass; ValueError after the first pass
        if ``prior == smoothing == 0`` and the start gives a counted word
        probability 0 (EM cannot leave such a point).

    Notes
    -----
    Measured from ``AnchorWords`` (defaults) on ``llstopic compare``'s two
    problems, data seeds 0 and 1, topic-word error as a multiple of the
    oracle's: in the topic-model regime (3,000 domains of 100 tokens) the
    polish takes 1.70x / 1.66x to 1.24x / 1.29x in 11-14 passes at
    ``tol=1e-5`` (1.235x / 1.287x after 60-80 passes at 1e-6).  In the LLS
    regime (16 domains of 40,000 tokens) it does not help: 1.58x / 1.92x
    become 1.60x / 1.94x, and ML EM started at the *truth* ends at 1.66x /
    2.03x.  With few, long domains the likelihood is nearly flat along
    directions that anchor words' separability pins down, and EM follows the
    sample's noise along them (its likelihood exceeds the truth's).
    SQUAREM cut the passes from 28 to 18 from a perturbed truth, from 84 to
    36 with ``prior=0.01`` and about in half for ``fixed_topics`` at tight
    tolerances, but not from anchor words with ``prior=0`` (optima on the
    boundary of the simplex, where EM is sublinear and most extrapolations
    are rejected).

    Examples
    --------
    >>> from llstopic import make_finite_lls
    >>> problem = make_finite_lls(50, 2, 40, 200, alpha=1.0, beta=0.5, random_state=0)
    >>> result = polish(problem.corpus, problem.topic_word, problem.domain_topic, max_iter=5)
    >>> bool(result.loglik_after >= result.loglik_before), result.n_iter <= 5
    (True, True)
    """
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    tol = _check_real(tol, "tol", low=0.0, low_open=True)
    prior = _check_real(prior, "prior", low=0.0)
    smoothing = _check_real(smoothing, "smoothing", low=0.0, high=1.0)
    fixed_topics = _check_bool(fixed_topics, "fixed_topics")
    accelerate = _check_bool(accelerate, "accelerate")
    n_threads = check_positive_int(n_threads, "n_threads", allow_none=True)
    counts = _check_counts(counts)
    tw_shape, dt_shape = _check_shapes(counts, topic_word, domain_topic)
    topic_word = _check_factor(topic_word, "topic_word", tw_shape, simplex=True)
    domain_topic = _check_factor(domain_topic, "domain_topic", dt_shape, simplex=True)

    word_topic = np.ascontiguousarray(topic_word.T)
    data = counts.data
    if fixed_topics and smoothing == 0.0:
        uncovered = word_topic.sum(axis=1) <= 0.0
        if uncovered[counts.indices].any():
            data = np.where(uncovered[counts.indices], 0, data)
            if not data.any():
                raise ValueError("fixed_topics: no counted word is produced by any topic")
    with _numba_threads(n_threads) as n_chunks:
        passes = _Passes(counts, data, tw_shape[0], smoothing, prior, fixed_topics, n_chunks)
        run = _squarem.squarem if accelerate else _squarem.plain_em
        return run(_LocalOps(passes), _Trace(passes, counts, tol), (domain_topic, word_topic),
                   max_iter)


def em_weights(weights, topic_word, domain_topic, *, max_iter, tol, offset=0.0, n_threads=None):
    """SQUAREM-accelerated maximum-likelihood EM on already-validated, possibly fractional weights.

    The entry point for ``NMF(engine="em")``: :func:`polish` with ``prior = smoothing = 0``,
    free topics and acceleration, minus its validation.  ``weights`` is a canonical float64
    ``csr_matrix`` of finite non-negative entries (for KL-NMF, p(x|d)); ``topic_word`` and
    ``domain_topic`` are float64 with rows on the simplex; nothing is checked.  ``offset`` is
    added to the total log-likelihood in the objective, so that ``tol`` bounds the relative
    change of another quantity (``-sum w log w`` makes the objective minus the KL divergence).
    """
    with _numba_threads(n_threads) as n_chunks:
        passes = _Passes(weights, weights.data, topic_word.shape[0], 0.0, 0.0, False, n_chunks, offset)
        return _squarem.squarem(_LocalOps(passes), _Trace(passes, weights, tol),
                                (domain_topic, np.ascontiguousarray(topic_word.T)), max_iter)


class _Trace:
    """The accepted points' figures, the convergence test and the logging."""

    def __init__(self, passes, counts, tol):
        self.passes, self.counts, self.tol = passes, counts, tol
        self.loglik, self.objective = [], []
        self.n_iter = 0  # EM passes run
        self.n_rejected = 0
        self.converged = False

    def accept(self, figures, domain_topic, word_topic):
        """Record the (loglik, objective) of an accepted point after the pass that evaluated
        it (a pass is counted here or, for a rejected extrapolation, in ``reject``);
        True if converged."""
        self.n_iter += 1
        loglik, objective = figures
        if not self.loglik and not np.isfinite(loglik) and self.passes.prior == 0.0 \
                and self.passes.smoothing == 0.0:
            raise _zero_probability_error(self.counts, domain_topic, word_topic, self.passes.row_loglik)
        self.loglik.append(loglik)
        self.objective.append(objective)
        # every step at DEBUG; every 10th at INFO, so that a long fit shows progress
        logger.log(logging.INFO if self.n_iter % 10 == 0 else logging.DEBUG,
                   "polish: step %d, log-likelihood %.8f, objective %.8f per token", self.n_iter,
                   loglik, objective)
        if len(self.objective) < 2 or not np.isfinite(self.objective[-2]):
            return False
        previous = self.objective[-2]
        change = abs(objective - previous) / max(abs(previous), np.finfo(float).tiny)
        self.converged = change < self.tol
        return self.converged

    def result(self, domain_topic, word_topic):
        converged = self.converged
        figures = self.passes.evaluate(domain_topic, word_topic)
        self.loglik.append(figures[0])
        self.objective.append(figures[1])
        logger.info("polish: %d EM steps (%d extrapolations rejected), log-likelihood per token "
                    "%.6f -> %.6f, %s", self.n_iter, self.n_rejected, self.loglik[0], self.loglik[-1],
                    "converged" if converged else "not converged")
        return PolishResult(topic_word=np.ascontiguousarray(word_topic.T), domain_topic=domain_topic,
                            n_iter=self.n_iter, loglik_before=self.loglik[0], loglik_after=self.loglik[-1],
                            history=np.array(self.loglik), objective_history=np.array(self.objective),
                            converged=converged, n_rejected=self.n_rejected)


class _LocalOps:
    """The drivers' ``ops`` (see ``_squarem``) over :class:`_Passes` in this process, with
    released p_d(y) and topic arrays reused as the outputs of later steps."""

    def __init__(self, passes):
        self.passes, self.fixed = passes, passes.fixed
        self._rows, self._topics = [], []

    def _take(self, pool, like):
        return pool.pop() if pool else np.empty_like(like)

    def step(self, x):
        out = (self._take(self._rows, x[0]),
               x[1] if self.fixed else self._take(self._topics, x[1]))
        return self.passes.step(*x, *out), out

    def row_norms(self, x, fx, ffx):
        return tuple(float(a.sum()) for a in _squarem.row_norms(x, fx, ffx))

    def extrapolate(self, x, fx, ffx, alpha):
        out = self._take(self._rows, x)
        _em.squarem_extrapolate(x, fx, ffx, np.full(x.shape[0], alpha), out)
        return out

    def release(self, point):
        # at most four of each: a SQUAREM cycle takes four p_d(y) arrays and three topic arrays
        # (its extrapolated topics are a new array), so the topics' pool would otherwise grow
        if len(self._rows) < 4:
            self._rows.append(point[0])
        if not self.fixed and len(self._topics) < 4:
            self._topics.append(point[1])

