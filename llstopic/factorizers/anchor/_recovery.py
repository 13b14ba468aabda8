"""The recovery phase of :class:`~llstopic.factorizers.anchor.AnchorWords`: p(y|x) of every word.

Row x of a word space is, in the population, the mixture ``c_x @ A`` of the
anchor rows ``A`` with weights ``c_x = p(y|x)``; each word's ``c_x`` is the
minimiser over the simplex of KL(row || c A) or ||row - c A||^2.

**L2** needs only the shared Gram matrix ``A A^T`` and the products
``rows @ A^T`` (BLAS), then O(k^2) per solver iteration per word.

**KL** is solved on *coarse-grained* rows when the rows are long (more than
``n_column_groups`` columns): the columns are partitioned into groups and
each row (and each anchor row) is summed within the groups.  Summing columns
keeps every exact mixture exact (``rows S = c (A S)`` for the 0/1 group matrix
``S``), so the population limit is still recovered exactly.  Columns whose
anchor-column profiles ``A[:, j] / sum_k A[k, j]`` are proportional carry the
same information about ``c`` and merging them loses none of it, so the
groups are clusters of those profiles: weighted k-means with the KL
divergence (Dhillon, Mallela & Kumar, JMLR 2003), weights the columns' mass.
Measured on planted co-occurrence problems (topic error / oracle error):
3,000 words, 50 topics: 2.068 with all columns, 2.089 with 500 groups, 2.078
with 1,000; 2,000 words, 20 topics: 3.98 with all columns, 3.81-3.84 with
40-400 groups (the groups also average out noise).  The per-word cost falls
from O(n_words k) to O(n_groups k) per iteration.

The KL solver starts from the uniform point.  Until round 4 it was warm-started
by (at most 50 iterations of) the L2 solver on the same rows; with the KL
solver's cheaper Newton face (``llstopic._kernels.newton.newton_support``) the
cold start is faster on every problem measured but one, where it ties, and the
warm start had a failure mode of its own: starts with coordinates near zero
made the exponentiated-gradient step of ``simplex._eg_step`` cancel, and 21 of
Reuters' 4,258 words (K=50) stopped up to 1 nat above their minimum.  Recovery
phase, old kernels warm against new kernels cold (``benchmarks/RESULTS.md``,
round 4): planted 5,000 words x 50 topics 0.71 -> 0.39 s; Reuters K=20/50
1.22 -> 0.67 s, 2.86 -> 1.09 s; Lee K=20/50 0.40 -> 0.20 s, 0.80 -> 0.31 s;
NewsArticles K=20/50 2.66 -> 2.69 s, 4.84 -> 4.25 s; the NYTimes-shaped
planted corpus at 1/10 size 20.8 -> 14.8 s.

Every function takes plain arrays or a space (see ``_spaces``); the numba
kernels are in ``llstopic._kernels.recovery``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ..._kernels import recovery as _kernels

__all__ = ["n_column_groups", "column_groups", "recover"]

_LOG = logging.getLogger(__name__)

#: KL recovery on coarse-grained rows: ``max(MIN_GROUPS, GROUPS_PER_TOPIC *
#: n_topics)`` column groups, used when the rows have more columns than that.
#: MIN_GROUPS was 1,000 until round 5; 250 (``benchmarks/RESULTS.md``, round 5)
#: left held-out completion on Reuters, Lee and NewsArticles at K=10/20/50
#: within -0.004..+0.005 nats/token and the planted topic-model problem of
#: ``llstopic compare`` at 1.30x / 1.34x the oracle's error (unchanged) while
#: the recovery took 1/2 to 1/3 of the time (NewsArticles K=20: 2.61 -> 0.87 s).
#: Fewer groups per topic (5) cost more accuracy at K=100 on the planted
#: NYTimes-shaped corpus (topic error 0.5573 -> 0.5631 at 1/10 size).
GROUPS_PER_TOPIC = 10
MIN_GROUPS = 250
#: Lloyd iterations of the column clustering at most.
KMEANS_ITER = 10


def n_column_groups(n_dims, n_topics):
    """Number of column groups of the KL recovery, or None to use every column."""
    groups = max(MIN_GROUPS, GROUPS_PER_TOPIC * n_topics)
    return groups if n_dims > groups else None


def column_groups(anchor_rows, column_weight, n_groups):
    """Partition the columns by their anchor profiles (weighted KL k-means).

    Parameters
    ----------
    anchor_rows : ndarray of shape (n_anchors, n_dims)
    column_weight : ndarray of shape (n_dims,)
        Non-negative mass of each column (the mean row).
    n_groups : int
        Number of groups, at least 2.

    Returns
    -------
    labels : ndarray of int64, shape (n_dims,)
        Group of each column, in ``[0, n_groups)``.  Columns no anchor row
        covers form a group of their own (the last), which the KL recovery
        ignores.  Deterministic: the centres start farthest-first from the
        heaviest column; then at most ``KMEANS_ITER`` Lloyd iterations.
    """
    mass = anchor_rows.sum(axis=0)
    live = np.flatnonzero(mass > 0)
    labels = np.full(anchor_rows.shape[1], n_groups - 1, dtype=np.int64)
    n_live_groups = n_groups - 1 if live.shape[0] < anchor_rows.shape[1] else n_groups
    if live.shape[0] <= n_live_groups:
        labels[live] = np.arange(live.shape[0])
        return labels
    profiles = np.ascontiguousarray((anchor_rows[:, live] / mass[live]).T)   # (n_live, k)
    weight = np.asarray(column_weight, dtype=np.float64)[live]
    centres = _farthest_first(profiles, weight, n_live_groups)
    assign = np.full(live.shape[0], -1, dtype=np.int64)
    for it in range(KMEANS_ITER):
        new = _nearest(profiles, _log(centres))
        changed = int(np.count_nonzero(new != assign))
        assign = new
        if changed == 0:
            break
        members = sp.csr_matrix((weight + 1e-300, (assign, np.arange(assign.shape[0]))),
                                shape=(centres.shape[0], assign.shape[0]))
        total = np.asarray(members.sum(axis=1)).ravel()
        filled = total > 0          # an empty group keeps its centre
        centres[filled] = (members @ profiles)[filled] / total[filled, None]
    _LOG.debug("column groups: %d of %d columns in %d groups after %d k-means iterations",
               live.shape[0], anchor_rows.shape[1], centres.shape[0], it + 1)
    labels[live] = assign
    return labels


def _log(centres):
    # KL(p || mu) = sum p log p - p . log mu; centres floored so that the divergence stays finite
    k = centres.shape[1]
    return np.log((centres + 1e-12 / k) / (1.0 + 1e-12))


def _farthest_first(profiles, weight, n_groups):
    """Initial centres: the heaviest column, then repeatedly the column of largest
    weight x KL divergence to its nearest centre (deterministic); fewer than
    ``n_groups`` if fewer distinct profiles exist."""
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = np.where(profiles > 0, profiles * np.log(profiles), 0.0).sum(axis=1)
    chosen = [int(np.argmax(weight))]
    divergence = entropy - profiles @ _log(profiles[chosen[0]][None, :])[0]
    for _ in range(1, n_groups):
        score = weight * divergence
        best = int(np.argmax(score))
        if not score[best] > 1e-12 * max(float(weight[chosen[0]]), 1e-300):
            break
        chosen.append(best)
        np.minimum(divergence, entropy - profiles @ _log(profiles[best][None, :])[0],
                   out=divergence)
    return profiles[chosen].copy()


def _nearest(profiles, log_centres, block=4096):
    """Index of the nearest centre (in KL divergence) of every profile."""
    n = profiles.shape[0]
    labels = np.empty(n, dtype=np.int64)
    for first in range(0, n, block):
        cross_entropy = -(profiles[first:first + block] @ log_centres.T)
        labels[first:first + block] = cross_entropy.argmin(axis=1)
    return labels


def _grouped(rows, labels, n_groups):
    """Rows (dense or CSR) summed within column groups, as a dense C-ordered array."""
    if sp.issparse(rows):
        groups = sp.csr_matrix((np.ones(labels.shape[0]), (np.arange(labels.shape[0]), labels)),
                               shape=(labels.shape[0], n_groups))
        return np.ascontiguousarray((sp.csr_matrix(rows) @ groups).toarray())
    out = np.zeros((rows.shape[0], n_groups))
    _kernels.group_columns(np.ascontiguousarray(rows, dtype=np.float64), labels, out)
    return out


def _sqnorm(rows):
    if sp.issparse(rows):
        return np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", rows, rows)


def _l2(rows, anchor_rows, gram, out, max_iter, tol, parallel, warm):
    """Solve L2 on ``rows`` into ``out`` = (c, loss, gap, n_iter); returns the squared norms."""
    cross = np.ascontiguousarray(rows @ anchor_rows.T)
    sqnorm = _sqnorm(rows)
    kernel = _kernels.l2_recover_parallel if parallel else _kernels.l2_recover
    kernel(gram, cross, sqnorm, *out, max_iter, tol, True, warm)
    return sqnorm


def recover(space, anchors, *, loss, max_iter, tol, n_threads, budget, start=None, labels=None):
    """p(y|x) of every word of ``space`` from the rows of ``anchors``.

    ``start`` (for the re-choice of ``_choice``): p(y|x) of shape (n_words,
    n_anchors), e.g. the previous answer, a replacement anchor taking the
    replaced one's column.  For KL, words whose start is already within
    ``tol`` of their minimum (its duality gap: one gradient evaluation) keep
    it, and the others are solved from the uniform point (measured on Reuters
    and Lee at K=50: resuming the others from their start costs as much or
    more, 0.46 against 0.34 s for 2,507 words, as it tries Newton steps from
    the first iteration on a wide support).  For L2 every word's solver
    starts at ``start``.  ``labels``: the column groups to use (those of an
    earlier call, so that the kept starts solve the same coarse-grained
    rows); default: computed from the anchor rows.

    Returns
    -------
    topic_given_word : ndarray of shape (n_words, n_anchors)
    residual : ndarray of shape (n_words,)
        KL (of the coarse-grained rows, if grouped) or squared L2 residual.
    gap : ndarray of shape (n_words,)
        Final duality gap in the units of ``tol``: nats for KL, relative to
        the row's squared norm for L2.
    n_iter : ndarray of int64, shape (n_words,)
    n_groups : int or None
        Column groups of the KL recovery (None: every column).
    labels : ndarray of int64 or None
        The group of each column (None: every column).
    """
    n_topics = anchors.shape[0]
    n_words = space.word_weight.shape[0]
    anchor_rows = space.anchor_rows(anchors)
    warm = start is not None
    topic_given_word = (np.array(start, dtype=np.float64, order="C") if warm
                        else np.full((n_words, n_topics), 1.0 / n_topics))
    residual = np.zeros(n_words)
    gap = np.zeros(n_words)
    n_iter = np.zeros(n_words, dtype=np.int64)
    parallel = n_threads > 1
    n_groups = None
    if loss == "kl":
        n_groups = n_column_groups(space.n_dims, n_topics)
        if n_groups is not None:
            if labels is None:
                labels = column_groups(anchor_rows, space.column_weight, n_groups)
            anchor_rows = _grouped(anchor_rows, labels, n_groups)
    if n_groups is None:
        labels = None
    gram = anchor_rows @ anchor_rows.T if loss == "l2" else None
    for first, block in space.row_blocks(budget):
        part = slice(first, first + block.shape[0])
        out = (topic_given_word[part], residual[part], gap[part], n_iter[part])
        if loss == "l2":
            sqnorm = _l2(block, anchor_rows, gram, out, max_iter, tol, parallel, warm)
            with np.errstate(divide="ignore", invalid="ignore"):
                gap[part] = np.where(sqnorm > 0, gap[part] / sqnorm, 0.0)
            continue
        if labels is not None:
            block = _grouped(block, labels, n_groups)
        _kl(block, anchor_rows, out, max_iter, tol, parallel, warm)
    return topic_given_word, residual, gap, n_iter, n_groups, labels


def _kl(rows, anchor_rows, out, max_iter, tol, parallel, warm):
    """Solve KL on ``rows`` into ``out`` = (c, loss, gap, n_iter) from the uniform point;
    with ``warm``, only the rows whose start in ``out[0]`` has a duality gap above ``tol``."""
    kernel = _kernels.kl_recover_parallel if parallel else _kernels.kl_recover
    if not warm:
        kernel(*_as_int64_csr(rows), anchor_rows, *out, max_iter, tol, True, False)
        return
    kernel(*_as_int64_csr(rows), anchor_rows, *out, 0, tol, True, True)     # the starts' gaps
    redo = np.flatnonzero(out[2] > tol)
    _LOG.debug("recovery: %d of %d rows keep their start", rows.shape[0] - redo.shape[0],
               rows.shape[0])
    if redo.shape[0] == 0:
        return
    part = (np.empty((redo.shape[0], anchor_rows.shape[0])), np.empty(redo.shape[0]),
            np.empty(redo.shape[0]), np.empty(redo.shape[0], dtype=np.int64))
    kernel(*_as_int64_csr(rows[redo]), anchor_rows, *part, max_iter, tol, True, False)
    for whole, solved in zip(out, part):
        whole[redo] = solved


def _as_int64_csr(matrix):
    """(indptr, indices, data) of ``matrix`` (CSR or dense) as int64/int64/float64 arrays."""
    if not sp.issparse(matrix):     # the coarse-grained rows: 2x faster than scipy's conversion
        matrix = np.asarray(matrix, dtype=np.float64)
        mask = matrix != 0
        indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.count_nonzero(mask, axis=1), out=indptr[1:])
        columns = np.broadcast_to(np.arange(matrix.shape[1], dtype=np.int64), matrix.shape)
        return indptr, columns[mask], matrix[mask]
    matrix = sp.csr_matrix(matrix)
    return (matrix.indptr.astype(np.int64, copy=False), matrix.indices.astype(np.int64, copy=False),
            matrix.data.astype(np.float64, copy=False))


#: Weight of the uniform background in the polish's likelihood: words that no topic
#: produces (seen only in one-token documents) keep a finite likelihood.
_POLISH_SMOOTHING = 1e-10


#: ``polish="auto"`` polishes only while the corpus holds fewer tokens than this many
#: per topic-word parameter (n_topics x n_words); see :func:`polishes`.
POLISH_MAX_TOKENS_PER_PARAMETER = 40.0


def polishes(model, representation, n_tokens, n_words):
    """Whether ``model``'s fit polishes.

    ``polish=True``/``False`` decide; ``"auto"`` polishes in the co-occurrence
    space while the corpus has fewer than ``POLISH_MAX_TOKENS_PER_PARAMETER``
    tokens per topic-word parameter.  Why a bound: the polish is the joint
    MAP of p(x|y) and of every p_d(y), and with documents of fixed length the
    per-document parameters keep it biased however many documents there are
    (the incidental-parameter problem of Neyman & Scott), while the method of
    moments is consistent: its error falls with the corpus.  Measured (topic
    error against the planted topics): on the NYTimes-shaped planted corpus
    of ``benchmarks/bench_scale.py`` (15,000 words, K=100) the polish took
    0.657 to 0.557 at 1/10 size (4.9 tokens per parameter) but 0.263 to 0.70
    at full size (49 per parameter; 0.44 with ``polish_prior=0.01``), where it
    also took 2-3 times the rest of the fit; on ``llstopic compare``'s
    topic-model problem (37.5 per parameter) it took 1.70x to 1.30x the
    oracle's error.  Real text is far below the bound (0.2-5.6 per parameter
    on Reuters, Lee and NewsArticles at K=10-50), where the polish gains
    0.2-0.9 nats per held-out token.
    """
    if model.polish == "auto":
        per_parameter = n_tokens / max(float(model.n_topics) * n_words, 1.0)
        return representation == "cooccurrence" and per_parameter < POLISH_MAX_TOKENS_PER_PARAMETER
    return bool(model.polish)


def polish_fit(model, corpus, topic_word, domain_topic):
    """AnchorWords' polish: EM over the non-zeros from the method-of-moments answer
    (``factorizers._polish``); sets ``model.polish_``, returns (topic_word, domain_topic)."""
    from .._polish import polish

    result = polish(corpus, topic_word, domain_topic / domain_topic.sum(axis=1, keepdims=True),
                    max_iter=int(model.polish_max_iter), tol=float(model.polish_tol),
                    prior=float(model.polish_prior), smoothing=_POLISH_SMOOTHING,
                    n_threads=model.n_jobs)
    # domain_topic_ is what transform gives the training domains: maximum likelihood with the
    # polished topics (the polish's own rows are MAP rows, with the prior)
    domain_topic = model._infer_domain_topic(corpus.counts, result.topic_word, tol=float(model.tol))
    model.polish_ = polish_summary(result)
    _LOG.info("AnchorWords: polish %d EM steps, %.5f -> %.5f nats/token%s", result.n_iter,
              result.loglik_before, result.loglik_after,
              "" if result.converged else " (polish_max_iter reached)")
    return result.topic_word, domain_topic


def polish_summary(result):
    """``AnchorWords.polish_`` from a PolishResult (local or distributed)."""
    return {"n_iter": int(result.n_iter), "converged": bool(result.converged),
            "loglik_before": float(result.loglik_before), "loglik_after": float(result.loglik_after)}


#: A word whose solver stopped before max_iter is reported when its duality
#: gap exceeds both tol and this (gaps of ~1e-13 are rounding, not failure).
_ROUNDING_GAP = 1e-10


def warn_unconverged(model, gap, n_iter, stacklevel=6):
    """ConvergenceWarning naming what is compared when words did not reach ``tol``:
    those that reached ``max_iter``, and those whose solver stopped before it
    with a duality gap above ``tol`` (no representable descent left).
    ``stacklevel``: that of ``warnings.warn``, so that it names the caller's line."""
    what = ("duality gap (nats)" if model.loss == "kl" else
            "duality gap relative to the row's squared norm")
    stuck = n_iter >= model.max_iter
    if stuck.any():
        warnings.warn(f"the per-word solver reached max_iter = {model.max_iter} for "
                      f"{int(stuck.sum())} words (largest {what} {float(gap[stuck].max()):.3g} "
                      f"> tol = {model.tol}); increase max_iter or tol", ConvergenceWarning,
                      stacklevel=stacklevel)
    stopped = ~stuck & (gap > max(float(model.tol), _ROUNDING_GAP))
    if stopped.any():
        warnings.warn(f"the per-word solver stopped before tol = {model.tol} for "
                      f"{int(stopped.sum())} words without reaching max_iter (largest {what} "
                      f"{float(gap[stopped].max()):.3g}): no step it could represent in float64 "
                      f"decreased their loss further; their p(y|x) may be far from optimal",
                      ConvergenceWarning, stacklevel=stacklevel)
