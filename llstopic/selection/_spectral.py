"""The spectral estimate of n_topics: rank of the counts above their sampling noise.

Under latent label shift the expected counts ``E[C] = diag(n_d) P_{D,Y} P_{Y,X}``
of shape (n_domains, n_words) have rank n_topics.  So do the two word spaces
of :class:`~llstopic.AnchorWords`, which are diagonal rescalings and Grams of
the same matrix: the domain space p(d|x) is ``C^T`` with its rows normalised,
and the co-occurrence matrix Q is ``C^T diag(w) C`` less its diagonal noise
bias.  The sampled counts add noise of full rank; the question is how large
its singular values can be.

**Noise model.**  Domain d holds n_d tokens drawn from its multinomial, so
``Var C_dx = n_d p (1 - p)``, estimated without bias by
``V_dx = C_dx (n_d - C_dx) / (n_d - 1)`` (the Poisson limit is ``C_dx``).
This is the same per-token variance that sets ``AnchorWords``' default
``min_count``.

**Biwhitening** (Landa, Zhang & Kluger, SIAM J. Math. Data Sci. 2022).  Row
and column scalings ``u`` (n_domains) and ``v`` (n_words) are found by
Sinkhorn iterations so that ``diag(u) V diag(v)`` has every row sum equal to
the number of words m and every column sum equal to the number of domains n.
The scaled noise ``diag(sqrt u) (C - E C) diag(sqrt v)`` then has a doubly
regular variance profile of mean one, whose spectrum follows the
Marchenko-Pastur law: its largest singular value is ``sqrt(n) + sqrt(m)``
in the limit, with Tracy-Widom fluctuations of known scale (Johnstone 2001).
The scalings are diagonal, so they do not change the rank of the signal,
and the result does not depend on whether one starts from p(d|x), from the
counts or from the rows of Q.

**Threshold.**  ``tau = sqrt(mu + q sigma)`` with Johnstone's centring and
scale for a min(n, m) x max(n, m) matrix,
``mu = (sqrt(a - 1) + sqrt(b))^2``,
``sigma = (sqrt(a - 1) + sqrt(b)) (1 / sqrt(a - 1) + 1 / sqrt(b))^(1/3)``,
and q the Tracy-Widom(1) quantile at ``1 - level`` (2.02 for the default
level 0.01).  The estimate is the number of singular values of the scaled
counts above ``tau``.  Nothing is tuned on a data set: the threshold follows
from the counts' variances and the matrix shape.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg
from threadpoolctl import ThreadpoolController

logger = logging.getLogger(__name__)

__all__ = ["spectral_statistics", "noise_threshold", "TW1_QUANTILES"]

#: Upper quantiles of the Tracy-Widom (beta = 1) law: level -> quantile
#: (Bejan 2005, Table 2).
TW1_QUANTILES = {0.1: 0.4501, 0.05: 0.9793, 0.01: 2.0234, 0.005: 2.4224, 0.001: 3.2724}
#: Sinkhorn stops when every scaled row and column sum is within this relative
#: tolerance of its target, or after ``SINKHORN_MAX_ITER`` sweeps.
SINKHORN_TOL = 1e-6
SINKHORN_MAX_ITER = 2000
#: Weight of the one-topic variance floor in the biwhitened profile (see :func:`biwhiten`).
PRIOR_WEIGHT = 0.01
#: Below this smaller dimension the Gram matrix is diagonalised in full.
DENSE_EIG_BELOW = 400
#: Lanczos above it: eigenvalues found first, and ARPACK's relative tolerance.
LANCZOS_START = 16
LANCZOS_TOL = 1e-8


_CONTROLLER: list = []


def _blas_controller():
    """One ThreadpoolController per process: building one scans the loaded libraries."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def multinomial_variance(counts):
    """Unbiased estimate of Var C_dx, ``C (n_d - C) / (n_d - 1)``, as CSR (0 where n_d = 1)."""
    counts = sp.csr_matrix(counts, dtype=np.float64)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    n = lengths[rows]
    variance = counts.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        variance.data = np.where(n > 1, counts.data * (n - counts.data) / (n - 1.0), 0.0)
    variance.eliminate_zeros()
    return variance


def _prune(counts, variance):
    """Drop rows and columns whose estimated variance is zero, until none is left.

    A domain with fewer than two tokens, or whose tokens are all one word, and
    a word that never occurs carry no estimate of the noise; dropping them
    does not raise the rank of the expected counts.
    """
    rows = np.arange(counts.shape[0])
    cols = np.arange(counts.shape[1])
    while True:
        keep_r = np.asarray(variance.sum(axis=1)).ravel() > 0
        keep_c = np.asarray(variance.sum(axis=0)).ravel() > 0
        if keep_r.all() and keep_c.all():
            return counts, variance, rows, cols
        counts, variance = counts[keep_r][:, keep_c], variance[keep_r][:, keep_c]
        rows, cols = rows[keep_r], cols[keep_c]
        if counts.shape[0] == 0 or counts.shape[1] == 0:
            return counts, variance, rows, cols


def biwhiten(variance, counts):
    """Sinkhorn scalings ``(u, v, n_sweeps, converged)`` of the variance profile.

    The profile is ``(1 - PRIOR_WEIGHT) V + PRIOR_WEIGHT E0`` with ``E0 = n_d c_x / N``
    the expected counts of a one-topic model (a rank-one, everywhere positive
    matrix, applied implicitly): a word's variance in a domain where it was not
    seen is small but not zero, and without this floor a sparse ``V`` may lack
    the total support that Sinkhorn scaling needs (the scalings then diverge).
    Row and column sums, which are all the Marchenko-Pastur edge depends on,
    barely change.
    """
    n, m = variance.shape
    variance_t = sp.csr_matrix(variance.T)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    word_counts = np.asarray(counts.sum(axis=0)).ravel()
    a = PRIOR_WEIGHT * lengths / lengths.sum()
    b = word_counts.copy()
    keep = 1.0 - PRIOR_WEIGHT
    u = m / (keep * np.asarray(variance.sum(axis=1)).ravel() + a * b.sum())
    v = np.ones(m)
    converged = False
    sweep = 0
    for sweep in range(1, SINKHORN_MAX_ITER + 1):
        v = n / (keep * (variance_t @ u) + b * (a @ u))
        row = u * (keep * (variance @ v) + a * (b @ v))
        u = u * (m / row)
        if np.max(np.abs(row / m - 1.0)) < SINKHORN_TOL:
            converged = True
            break
    return u, v, sweep, converged


def noise_threshold(n_rows, n_cols, level=0.01):
    """Largest noise singular value of an n_rows x n_cols matrix of unit-variance noise.

    Johnstone's Tracy-Widom approximation at quantile ``1 - level``; see the
    module docstring.  Returns ``(tau, edge)`` with ``edge = sqrt(n) + sqrt(m)``,
    the Marchenko-Pastur limit.
    """
    a, b = sorted((float(n_rows), float(n_cols)))
    edge = np.sqrt(a) + np.sqrt(b)
    if a < 2:
        return float(edge), float(edge)
    centre = np.sqrt(a - 1.0) + np.sqrt(b)
    mu = centre**2
    sigma = centre * (1.0 / np.sqrt(a - 1.0) + 1.0 / np.sqrt(b)) ** (1.0 / 3.0)
    return float(np.sqrt(mu + TW1_QUANTILES[level] * sigma)), float(edge)


def top_singular_values(matrix, k, rng, threshold=None):
    """The largest singular values of a sparse matrix, descending, and how many are exact.

    Works on the Gram matrix of the smaller side (formed from the sparse
    matrix, like Q).  Below ``DENSE_EIG_BELOW`` it is diagonalised in full.
    Above, Lanczos (ARPACK ``eigsh``, start vector drawn from ``rng``) finds
    ``k_try`` eigenvalues, ``k_try`` starting at ``min(k, LANCZOS_START)`` and
    doubling while the last one found is still above ``threshold``, so the
    computed values always reach past the estimated rank.

    Returns
    -------
    values : ndarray, descending, length min(k, smaller dimension)
    n_exact : int
        ``values[:n_exact]`` are computed; the rest (only when Lanczos stopped
        early because the computed ones had fallen below ``threshold``) repeat
        ``values[n_exact - 1]``, an upper bound.
    """
    n, m = matrix.shape
    small = min(n, m)
    k = min(k, small)
    gram = (matrix @ matrix.T) if n <= m else (matrix.T @ matrix)
    gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
    if small <= DENSE_EIG_BELOW or k >= small // 3:
        values = scipy.linalg.eigh(gram, eigvals_only=True, subset_by_index=[small - k, small - 1])
        return np.sqrt(np.sort(np.clip(values, 0.0, None))[::-1]), k
    k_try = min(k, LANCZOS_START)
    v0 = rng.standard_normal(small)
    while True:
        found = scipy.sparse.linalg.eigsh(gram, k=k_try, which="LA", v0=v0, tol=LANCZOS_TOL,
                                          return_eigenvectors=False)
        found = np.sqrt(np.sort(np.clip(found, 0.0, None))[::-1])
        if k_try >= k or threshold is None or found[-1] <= threshold:
            break
        k_try = min(2 * k_try, k)
    values = np.empty(k)
    values[:k_try] = found
    values[k_try:] = found[-1]
    return values, k_try


def spectral_statistics(counts, max_rank, rng, level=0.01):
    """Singular values of the biwhitened counts and the noise threshold.

    Parameters
    ----------
    counts : scipy.sparse matrix of shape (n_domains, n_words)
        Validated counts.
    max_rank : int
        Singular values wanted (the largest candidate plus one).
    rng : numpy.random.Generator
    level : float
        Tracy-Widom tail probability of the threshold; a key of ``TW1_QUANTILES``.

    Returns
    -------
    dict
        ``singular_values`` (descending, length up to ``max_rank``),
        ``n_exact`` (values past it are an upper bound), ``threshold``,
        ``edge``, ``rank`` (values above the threshold),
        ``n_rows``, ``n_cols`` (kept after pruning), ``sinkhorn_sweeps``,
        ``sinkhorn_converged``.
    """
    counts = sp.csr_matrix(counts, dtype=np.float64)
    variance = multinomial_variance(counts)
    counts, variance, rows, cols = _prune(counts, variance)
    n, m = counts.shape
    if n < 2 or m < 2:
        raise ValueError(f"the counts leave {n} domain(s) and {m} word(s) with a variance estimate "
                         "(domains need at least two tokens of at least two words); the spectral "
                         "estimate needs at least 2 of each")
    u, v, sweeps, converged = biwhiten(variance, counts)
    if not converged:
        logger.info("biwhitening stopped after %d sweeps before reaching tolerance %g", sweeps,
                    SINKHORN_TOL)
    scaled = counts.copy()
    scaled.data *= np.repeat(np.sqrt(u), np.diff(scaled.indptr)) * np.sqrt(v)[scaled.indices]
    tau, edge = noise_threshold(n, m, level)
    # one BLAS thread: the Lanczos matrix-vector products are small and memory-bound,
    # and extra BLAS threads only contend (33 ms against about 1 ms per product for
    # n_words = 1000 on a loaded 2-core machine)
    with _blas_controller().limit(limits=1, user_api="blas"):
        values, n_exact = top_singular_values(scaled, max_rank, rng, threshold=tau)
    rank = int(np.count_nonzero(values > tau))
    logger.info("spectral: %d x %d scaled counts, threshold %.4g (edge %.4g), %d values above",
                n, m, tau, edge, rank)
    return {"singular_values": values, "threshold": tau, "edge": edge, "rank": rank,
            "n_exact": n_exact, "n_rows": n, "n_cols": m, "sinkhorn_sweeps": sweeps,
            "sinkhorn_converged": converged}
