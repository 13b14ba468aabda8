"""Numba kernels: per-word simplex-constrained recovery of p(y|x).

For each word x, with ``r`` its representation row and ``A`` the anchor rows
(k rows), find ``c`` on the probability simplex minimising

* ``"kl"``: ``KL(r || c @ A) = sum_j r_j log(r_j / (c @ A)_j)``
  (rows of ``r`` and ``A`` are distributions, so the generalised KL reduces to
  this sum over the support of ``r``);
* ``"l2"``: ``||r - c @ A||^2 = c^T G c - 2 b^T c + r.r`` with the shared
  k x k Gram matrix ``G = A A^T`` and ``b = A r``.

The solver is exponentiated gradient (mirror descent with the entropy),
``c <- c * exp(-eta (g - min g)) / Z``, with a backtracking (Armijo) line
search on ``eta`` (halve on failure, double after a first-try success) and the
Frank-Wolfe duality gap ``g.c - min_k g_k >= f(c) - f*`` as the stopping
rule.  The decrease ``f(c_new) - f(c)`` is computed from the step itself
(``-sum r_j log1p(dca_j / ca_j)`` for KL, ``g.d + d^T G d`` for L2; the step
from ``expm1``), not as a difference of two losses, so the line search stays
exact near the optimum and the gap can be driven to ~1e-15.  The gap threshold
``tol`` is absolute for KL (nats) and relative to ``r.r`` for L2.

Plain EG is slow on ill-conditioned words: its metric ``diag(1/c)`` shrinks
the steps of small coordinates, and nearly parallel anchor rows give flat
directions (thousands of iterations for a 1e-7 gap at k = 50).  So from
iteration 8 on, each iteration first tries an active-set Newton step on the
face of the coordinates that matter (those above 1e-9 of the largest, plus
any whose gradient says they want in): the equality-constrained Newton system
is solved by Cholesky; coordinates the step would make non-positive are
dropped and the system solved again; dropped coordinates shrink 1000-fold
(never to exactly zero, so that EG can revive them).  The Newton step is
taken only if it passes the same exact Armijo test; otherwise the iteration
is an EG step and Newton is tried again 8 iterations later.  Near the optimum
this converges quadratically (typically 10-40 iterations per word).

Entries of ``r`` that no anchor row covers cannot be explained by any ``c``
(their KL term is infinite for every ``c``); they are left out, and the row is
renormalised over the rest.  A row with nothing left is not solved: its
``c`` keeps the caller's starting value and ``n_iter`` is 0.

The drivers that run these solvers over all words are in ``recovery.py``.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)

_ARMIJO = 1e-4
_ETA_MIN = 1e-30
#: First iteration at which a Newton step on the support is tried, and the
#: number of EG iterations between tries after a rejected one.
_NEWTON_START = 8
_NEWTON_EVERY = 8
#: A Newton step divides the coordinates it drops from the support by this.
_DROP = 1e3


@nb.njit(**_NJIT)
def _eg_step(c, grad, gmin, eta, step):
    """One exponentiated-gradient step from ``c`` with step size ``eta``.

    Writes the change ``step = c_new - c`` computed with ``expm1`` (exact to
    rounding relative to the step itself, however small) and returns the
    predicted decrease ``(grad - gmin) . step`` (<= 0), or ``nan`` when the
    normaliser underflows.
    """
    k = c.shape[0]
    z = 0.0
    s = 0.0
    for i in range(k):
        e = np.expm1(-eta * (grad[i] - gmin))
        step[i] = e
        z += c[i] * (1.0 + e)
        s += c[i] * e
    if not z > 0.0:
        return np.nan
    pred = 0.0
    for i in range(k):
        step[i] = c[i] * (step[i] - s) / z
        pred += (grad[i] - gmin) * step[i]
    return pred


@nb.njit(**_NJIT)
def _apply_step(c, step):
    """c += step, then renormalise (guards the sum against rounding drift)."""
    total = 0.0
    for i in range(c.shape[0]):
        c[i] = max(c[i] + step[i], 0.0)
        total += c[i]
    for i in range(c.shape[0]):
        c[i] /= total


@nb.njit(**_NJIT)
def _gap(c, grad):
    """(duality gap ``sum_k c_k (g_k - min g)``, min gradient, max gradient)."""
    gmin = grad[0]
    gmax = grad[0]
    for i in range(c.shape[0]):
        if grad[i] < gmin:
            gmin = grad[i]
        if grad[i] > gmax:
            gmax = grad[i]
    gap = 0.0
    for i in range(c.shape[0]):
        gap += c[i] * (grad[i] - gmin)
    return gap, gmin, gmax


@nb.njit(**_NJIT)
def _newton_direction(hess, grad, c, support, n_support, step, work):
    """Newton step on the face of the simplex spanned by ``support``.

    Coordinates off the support shrink 1000-fold; on the
    support, ``d`` minimises ``grad . d + d^T hess d / 2`` subject to
    ``sum(d) = 0`` overall, by a Cholesky factorisation of the support block
    of ``hess`` (a tiny ridge keeps a semi-definite block usable).  Writes
    ``step`` (all coordinates) and returns True when the factorisation
    succeeds and ``c + step`` stays strictly positive on the support.

    hess : IN float64 (n, n), only the support block is read
    work : OUT scratch float64 (2, n)
    """
    k = c.shape[0]
    m = n_support
    ridge = 0.0
    for a in range(m):
        ridge = max(ridge, hess[support[a], support[a]])
    ridge *= 1e-13
    # Cholesky factor of the support block (plus ridge)
    L = np.empty((m, m))
    for a in range(m):
        for b in range(a + 1):
            s = hess[support[a], support[b]]
            if a == b:
                s += ridge
            for t in range(b):
                s -= L[a, t] * L[b, t]
            if a == b:
                if s <= 0.0:
                    return False
                L[a, a] = np.sqrt(s)
            else:
                L[a, b] = s / L[b, b]
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
        step[i] = -c[i] * (1.0 - 1.0 / _DROP)
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
        return False
    mu = (dropped + su) / sw
    feasible = True
    for a in range(m):
        d = -(work[0, a] - mu * work[1, a])
        i = support[a]
        step[i] = d
        if not c[i] + d > 0.0:
            feasible = False
    return feasible


@nb.njit(**_NJIT)
def _active_set_newton(hess, grad, c, support, n_support, step, work):
    """``_newton_direction``, dropping from the support the coordinates the
    step would make non-positive and solving again (at most ``n_support``
    times).  Returns True with ``step`` set, or False."""
    m = n_support
    while m >= 1:
        if _newton_direction(hess, grad, c, support, m, step, work):
            return True
        # find the coordinates driven out of the simplex by the last solve
        kept = 0
        for a in range(m):
            i = support[a]
            if c[i] + step[i] > 0.0:
                support[kept] = i
                kept += 1
        if kept == m or kept == 0:
            return False
        m = kept
    return False


@nb.njit(**_NJIT)
def _support(c, grad, support):
    """The face for a Newton step: coordinates above 1e-9 of the largest one,
    plus those whose gradient is below every such coordinate's (they want in).
    Returns their number."""
    cmax = 0.0
    for i in range(c.shape[0]):
        cmax = max(cmax, c[i])
    gbig = np.inf
    for i in range(c.shape[0]):
        if c[i] > 1e-9 * cmax and grad[i] < gbig:
            gbig = grad[i]
    m = 0
    for i in range(c.shape[0]):
        if c[i] > 1e-9 * cmax or grad[i] < gbig:
            support[m] = i
            m += 1
    return m


@nb.njit(**_NJIT)
def _kl_decrease(vals, ca, dca):
    """f(c + step) - f(c) for the KL objective, from ``dca = step @ A``."""
    delta = 0.0
    for j in range(vals.shape[0]):
        ratio = dca[j] / ca[j]
        if ratio <= -1.0:
            return np.inf
        delta -= vals[j] * np.log1p(ratio)
    return delta


@nb.njit(**_NJIT)
def _predicted(grad, gmin, step):
    pred = 0.0
    for i in range(grad.shape[0]):
        pred += (grad[i] - gmin) * step[i]
    return pred


@nb.njit(**_NJIT)
def kl_simplex(vals, anchor_sub, c, max_iter, tol):
    """Minimise ``sum_j vals_j log(vals_j / (c @ anchor_sub)_j)`` over the simplex.

    vals : IN float64 (n_entries,), positive, summing to one
    anchor_sub : IN float64 (n_anchors, n_entries), the anchor rows restricted
        to the entries of ``vals``; every column has a positive entry
    c : OUT float64 (n_anchors,): the minimiser (the start is uniform)
    max_iter : IN int, tol : IN float (absolute duality-gap threshold)
    Returns (iterations, duality gap, KL at ``c``).
    """
    k, s = anchor_sub.shape
    grad = np.empty(k)
    step = np.empty(k)
    ca = np.empty(s)
    dca = np.empty(s)
    hess = np.empty((k, k))
    work = np.empty((2, k))
    support = np.empty(k, dtype=np.int64)
    for i in range(k):
        c[i] = 1.0 / k
    _mix(c, anchor_sub, ca)
    it = 0
    eta = -1.0
    gap = np.inf
    next_newton = _NEWTON_START
    while True:
        for i in range(k):
            g = 0.0
            for j in range(s):
                g -= vals[j] * anchor_sub[i, j] / ca[j]
            grad[i] = g
        gap, gmin, gmax = _gap(c, grad)
        if gap <= tol or it >= max_iter:
            break
        if eta < 0.0:
            eta = 1.0 / max(gmax - gmin, 1e-300)
        it += 1
        if it >= next_newton:
            next_newton = it + _NEWTON_EVERY
            m = _support(c, grad, support)
            if m >= 2:
                for a in range(m):
                    ia = support[a]
                    for b in range(a + 1):
                        ib = support[b]
                        h = 0.0
                        for j in range(s):
                            h += vals[j] * anchor_sub[ia, j] * anchor_sub[ib, j] / (ca[j] * ca[j])
                        hess[ia, ib] = h
                        hess[ib, ia] = h
                if _active_set_newton(hess, grad, c, support, m, step, work):
                    pred = _predicted(grad, gmin, step)
                    if pred < 0.0:
                        _mix(step, anchor_sub, dca)
                        if _kl_decrease(vals, ca, dca) <= _ARMIJO * pred:
                            _apply_step(c, step)
                            _mix(c, anchor_sub, ca)
                            next_newton = it + 1
                            continue
        first_try = True
        accepted = False
        pred = 0.0
        while eta > _ETA_MIN:
            pred = _eg_step(c, grad, gmin, eta, step)
            if pred == pred:  # not nan
                _mix(step, anchor_sub, dca)
                if _kl_decrease(vals, ca, dca) <= _ARMIJO * pred:
                    accepted = True
                    break
            eta *= 0.5
            first_try = False
        if not accepted or pred == 0.0:
            break  # no representable descent left
        _apply_step(c, step)
        if it % 16 == 0:
            _mix(c, anchor_sub, ca)
        else:
            for j in range(s):
                ca[j] += dca[j]
        if first_try:
            eta *= 2.0
    _mix(c, anchor_sub, ca)
    loss = 0.0
    for j in range(s):
        loss += vals[j] * np.log(vals[j] / ca[j])
    return it, gap, max(loss, 0.0)


@nb.njit(**_NJIT)
def _mix(weights, rows, out):
    """out = weights @ rows (skipping zero weights)."""
    for j in range(out.shape[0]):
        out[j] = 0.0
    for i in range(rows.shape[0]):
        w = weights[i]
        if w != 0.0:
            for j in range(out.shape[0]):
                out[j] += w * rows[i, j]


@nb.njit(**_NJIT)
def l2_simplex(gram, cross, sqnorm, c, max_iter, tol):
    """Minimise ``c^T gram c - 2 cross . c + sqnorm`` over the simplex.

    gram : IN float64 (n_anchors, n_anchors), ``A A^T``
    cross : IN float64 (n_anchors,), ``A r``
    sqnorm : IN float, ``r . r`` (> 0); the gap threshold is ``tol * sqnorm``
    c : OUT float64 (n_anchors,): the minimiser (the start is uniform)
    Returns (iterations, duality gap, squared residual at ``c``).
    """
    k = gram.shape[0]
    grad = np.empty(k)
    step = np.empty(k)
    gstep = np.empty(k)
    hess = np.empty((k, k))
    work = np.empty((2, k))
    support = np.empty(k, dtype=np.int64)
    for i in range(k):
        c[i] = 1.0 / k
    threshold = tol * sqnorm
    it = 0
    eta = -1.0
    gap = np.inf
    next_newton = _NEWTON_START
    while True:
        for i in range(k):
            s = 0.0
            for j in range(k):
                s += gram[i, j] * c[j]
            grad[i] = 2.0 * (s - cross[i])
        gap, gmin, gmax = _gap(c, grad)
        if gap <= threshold or it >= max_iter:
            break
        if eta < 0.0:
            eta = 1.0 / max(gmax - gmin, 1e-300)
        it += 1
        if it >= next_newton:
            next_newton = it + _NEWTON_EVERY
            m = _support(c, grad, support)
            if m >= 2:
                for a in range(m):
                    for b in range(m):
                        hess[support[a], support[b]] = 2.0 * gram[support[a], support[b]]
                if _active_set_newton(hess, grad, c, support, m, step, work):
                    pred = _predicted(grad, gmin, step)
                    if pred < 0.0 and pred + _quad(gram, step, gstep) <= _ARMIJO * pred:
                        _apply_step(c, step)
                        next_newton = it + 1
                        continue
        first_try = True
        accepted = False
        pred = 0.0
        while eta > _ETA_MIN:
            pred = _eg_step(c, grad, gmin, eta, step)
            if pred == pred and pred + _quad(gram, step, gstep) <= _ARMIJO * pred:
                accepted = True
                break
            eta *= 0.5
            first_try = False
        if not accepted or pred == 0.0:
            break
        _apply_step(c, step)
        if first_try:
            eta *= 2.0
    loss = sqnorm
    for i in range(k):
        s = 0.0
        for j in range(k):
            s += gram[i, j] * c[j]
        loss += c[i] * s - 2.0 * cross[i] * c[i]
    return it, gap, max(loss, 0.0)


@nb.njit(**_NJIT)
def _quad(gram, step, gstep):
    """step^T gram step."""
    _mix(step, gram, gstep)
    q = 0.0
    for i in range(step.shape[0]):
        q += step[i] * gstep[i]
    return q
