"""Numba kernels: the active-set Newton step of the per-word simplex solvers.

Used by ``simplex.kl_simplex`` and ``simplex.l2_simplex`` to accelerate
exponentiated gradient once the support of the solution settles (see the
``simplex`` module docstring).  Plain arrays in, caller-allocated arrays out.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)

#: A Newton step divides the coordinates it drops from the support by this:
#: far enough to leave the face at the next step (its threshold is 1e-9 of the
#: largest coordinate), still positive so that EG can revive them.  With 1e3
#: a dropped coordinate stayed on the face for three more Newton steps, each
#: costing (face size)^2 per entry: 1e9 cut the CPU time of p_d(y) with 100
#: topics 1.7-fold.
_DROP = 1e9
_FAILED, _FEASIBLE, _INFEASIBLE = 0, 1, 2
#: Coordinates above this fraction of the largest form the Newton face (with
#: those whose gradient says they want in).
_FACE = 1e-9
#: The KL solver's face (``newton_support(..., kl=True)``): coordinates above
#: ``_KL_FACE`` of the largest, plus those above ``_FACE`` whose reduced cost
#: ``g_i - min g`` is below ``_KL_REDUCED_COST`` (the KL gradient has
#: ``c . g = -1`` at every point, so this is a scale-free threshold), plus those
#: that want in.  A small coordinate with a large reduced cost is leaving:
#: keeping it on the face only makes the Newton step cost (face size)^2 per
#: entry.  The Newton step multiplies it by ``exp(-_KL_LEAVE_RATE eta (g_i -
#: min g))`` (at least ``1 / _DROP``), as that many exponentiated-gradient steps
#: would: a coordinate far from the face leaves at once, one near it shrinks
#: gently and can still come back.  Dropping them all ``_DROP``-fold was
#: faster but wrong: far from the optimum a coordinate of the solution may still
#: have a large reduced cost, and after a few such drops it could not come back
#: (a word of the Lee corpus, K=50, stopped 1.3e-7 nats above its minimum and
#: spun to max_iter); keeping their value (rate 0) was safe but slow.  p_d(y) of
#: 5,000 documents of the NYTimes-shaped corpus (100 topics, 182 distinct words
#: per document), first Newton try at iteration 12, serial: 1.97 s (rate 0),
#: 1.70 (1), 1.34 (4), 1.21 (16), 1.23 (drop), against 1.95 s with the
#: face ``c_i > 1e-9 max`` and the first try at 24; at tol 1e-12, 1.64 s against
#: 2.31.
_KL_FACE = 1e-3
_KL_REDUCED_COST = 1e-2
_KL_LEAVE_RATE = 16.0


@nb.njit(**_NJIT)
def newton_direction(hess, grad, c, support, n_support, keep, step, work):
    """Newton step on the face of the simplex spanned by ``support``.

    A coordinate ``i`` off the support is multiplied by ``keep[i]`` (1: it
    keeps its value); on the support, ``d`` minimises
    ``grad . d + d^T hess d / 2`` subject to ``sum(d) = 0`` overall, by a
    Cholesky factorisation of the support block of ``hess`` (a tiny ridge
    keeps a semi-definite block usable).  Writes ``step`` (all coordinates)
    and returns ``(status, mu)``: ``_FAILED`` if the factorisation fails,
    ``_FEASIBLE`` if ``c + step`` stays strictly positive on the support,
    else ``_INFEASIBLE``; ``mu`` is the multiplier of the sum constraint
    (``d = -H^-1 (grad - mu)`` on the support).

    hess : IN float64 (n, n), only the support block is read
    keep : IN float64 (n,), the factor of each coordinate off the support
    work : OUT scratch float64 (2, n)
    """
    k = c.shape[0]
    m = n_support
    ridge = 0.0
    for a in range(m):
        ridge = max(ridge, hess[support[a], support[a]])
    ridge *= 1e-13
    # Cholesky factor of the support block (plus ridge), right-looking so that
    # the inner update runs over contiguous memory (vectorises without fastmath)
    L = np.empty((m, m))
    for a in range(m):
        for b in range(a + 1):
            L[a, b] = hess[support[a], support[b]]
        L[a, a] += ridge
    col = np.empty(m)
    for b in range(m):
        d = L[b, b]
        if not d > 0.0:
            return _FAILED, 0.0
        d = np.sqrt(d)
        L[b, b] = d
        for a in range(b + 1, m):
            L[a, b] /= d
            col[a] = L[a, b]
        for a in range(b + 1, m):
            lab = col[a]
            for t in range(b + 1, a + 1):
                L[a, t] -= lab * col[t]
    # u = H^-1 g and w = H^-1 1, by two triangular solves each
    for r in range(2):
        for a in range(m):
            s = grad[support[a]] if r == 0 else 1.0
            for t in range(a):
                s -= L[a, t] * work[r, t]
            work[r, a] = s / L[a, a]
        for a in range(m - 1, -1, -1):
            s = work[r, a]
            for t in range(a + 1, m):
                s -= L[t, a] * work[r, t]
            work[r, a] = s / L[a, a]
    # coordinates off the support shrink by 1/_DROP (never to exactly zero, so
    # that exponentiated gradient can still revive them); the support absorbs
    # their mass
    dropped = 0.0
    for i in range(k):
        step[i] = -c[i] * (1.0 - keep[i])
    for a in range(m):
        step[support[a]] = 0.0
    for i in range(k):
        dropped -= step[i]
    su = 0.0
    sw = 0.0
    for a in range(m):
        su += work[0, a]
        sw += work[1, a]
    if not sw > 0.0:
        return _FAILED, 0.0
    mu = (dropped + su) / sw
    status = _FEASIBLE
    for a in range(m):
        d = -(work[0, a] - mu * work[1, a])
        i = support[a]
        step[i] = d
        if not c[i] + d > 0.0:
            status = _INFEASIBLE
    return status, mu


@nb.njit(**_NJIT)
def active_set_newton(hess, grad, c, support, n_support, keep, step, work):
    """Projected Newton step: which bounds to fix follows Bertsekas' rule.

    If the Newton step on the support would make some coordinates
    non-positive, they leave the support and the system is solved again: those
    whose gradient exceeds the multiplier (``g_i > mu``, the model wants them
    out) shrink ``_DROP``-fold; those that want in (``g_i <= mu``) are frozen at
    their value for this step -- shrinking them would give a non-descent
    direction and starve coordinates the solution needs.  Returns True with
    ``step`` set, or False (factorisation failed, or nothing left).

    keep : IN/OUT float64 (n,), the factor of each coordinate off the support
        (from ``newton_support``); set here for those that leave it
    """
    m = n_support
    while m >= 1:
        status, mu = newton_direction(hess, grad, c, support, m, keep, step, work)
        if status == _FAILED:
            return False
        if status == _FEASIBLE:
            return True
        kept = 0
        for a in range(m):
            i = support[a]
            if c[i] + step[i] > 0.0:
                support[kept] = i
                kept += 1
            else:
                keep[i] = 1.0 if grad[i] <= mu else 1.0 / _DROP
        m = kept
    return False


@nb.njit(**_NJIT)
def newton_support(c, grad, support, kl, keep, eta):
    """The face for a Newton step; returns its size, writes its coordinates
    into ``support`` and the factor of every other coordinate into ``keep``.

    ``kl=False`` (the L2 solver): coordinates above ``_FACE`` of the largest
    one, plus those whose gradient is below every such coordinate's (they want
    in); the others shrink ``_DROP``-fold.  ``kl=True``: coordinates above
    ``_KL_FACE`` of the largest, plus those above ``_FACE`` with reduced cost
    below ``_KL_REDUCED_COST``, plus those that want in; the other coordinates
    above ``_FACE`` are multiplied by ``exp(-_KL_LEAVE_RATE eta (g_i - min
    g))`` (at least ``1 / _DROP``), those below it shrink ``_DROP``-fold (see
    ``_KL_FACE``).

    eta : IN float, the exponentiated-gradient step size of the solver
    keep : OUT float64 (n,), the factor of each coordinate off the face
    """
    k = c.shape[0]
    cmax = 0.0
    gmin = np.inf
    for i in range(k):
        cmax = max(cmax, c[i])
        gmin = min(gmin, grad[i])
    low = _FACE * cmax
    high = _KL_FACE * cmax if kl else low
    reduced = _KL_REDUCED_COST if kl else -np.inf
    gbig = np.inf
    for i in range(k):
        if c[i] > low and grad[i] < gbig:
            gbig = grad[i]
    m = 0
    for i in range(k):
        keep[i] = 1.0 / _DROP
        if c[i] > high or grad[i] < gbig or (c[i] > low and grad[i] - gmin < reduced):
            support[m] = i
            m += 1
        elif c[i] > low:  # only on the KL face: L2 keeps every coordinate above low
            keep[i] = max(np.exp(-_KL_LEAVE_RATE * eta * (grad[i] - gmin)), 1.0 / _DROP)
    return m


@nb.njit(**_NJIT)
def kl_hessian(vals, ca, anchor_sub_t, support, m, hess):
    """hess[a, b] = sum_j vals_j A[a, j] A[b, j] / ca_j^2 for a, b in the support
    (written at the global indices, both triangles).

    Entries are taken four at a time so that every load and store of the
    accumulator feeds four multiply-adds (the inner loop vectorises)."""
    s = vals.shape[0]
    g = np.zeros((4, m))
    local = np.zeros((m, m))
    for j0 in range(0, s, 4):
        n = min(4, s - j0)
        for r in range(4):
            if r < n:
                j = j0 + r
                w = np.sqrt(vals[j]) / ca[j]
                for a in range(m):
                    g[r, a] = w * anchor_sub_t[j, support[a]]
            else:
                for a in range(m):
                    g[r, a] = 0.0
        for a in range(m):
            x0 = g[0, a]
            x1 = g[1, a]
            x2 = g[2, a]
            x3 = g[3, a]
            for b in range(a + 1):
                local[a, b] += x0 * g[0, b] + x1 * g[1, b] + x2 * g[2, b] + x3 * g[3, b]
    for a in range(m):
        for b in range(a + 1):
            hess[support[a], support[b]] = local[a, b]
            hess[support[b], support[a]] = local[a, b]
