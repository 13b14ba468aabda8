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
(``-sum r_j log1p(dca_j / ca_j)`` for KL, ``g.d + d^T G d`` for L2), not as a
difference of two losses, so the line search stays exact near the optimum and
the gap can be driven to ~1e-15.  The gap threshold ``tol`` is absolute for KL
(nats) and relative to ``r.r`` for L2.

Entries of ``r`` that no anchor row covers cannot be explained by any ``c``
(their KL term is infinite for every ``c``); they are left out, and the row is
renormalised over the rest.  A row with nothing left is not solved: its
``c`` keeps the caller's starting value and ``n_iter`` is 0.

Every driver has a serial and a parallel (``prange`` over words, GIL released)
version with the same body; callers choose by ``n_jobs``.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)

_ARMIJO = 1e-4
_ETA_MIN = 1e-30


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
    for i in range(k):
        c[i] = 1.0 / k
    _mix(c, anchor_sub, ca)
    it = 0
    eta = -1.0
    gap = np.inf
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
        first_try = True
        accepted = False
        while eta > _ETA_MIN:
            pred = _eg_step(c, grad, gmin, eta, step)
            if pred == pred:  # not nan
                _mix(step, anchor_sub, dca)
                delta = 0.0
                for j in range(s):
                    ratio = dca[j] / ca[j]
                    if ratio <= -1.0:
                        delta = np.inf
                        break
                    delta -= vals[j] * np.log1p(ratio)
                if delta <= _ARMIJO * pred:
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
    for i in range(k):
        c[i] = 1.0 / k
    threshold = tol * sqnorm
    it = 0
    eta = -1.0
    gap = np.inf
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
        first_try = True
        accepted = False
        while eta > _ETA_MIN:
            pred = _eg_step(c, grad, gmin, eta, step)
            if pred == pred:
                _mix(step, gram, gstep)
                quad = 0.0
                for i in range(k):
                    quad += step[i] * gstep[i]
                if pred + quad <= _ARMIJO * pred:
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


# ------------------------------------------------------------------ drivers
@nb.njit(**_NJIT)
def _kl_row(r, indptr, indices, data, anchor_rows, anchor_mass, topic_given_word, loss, gap, n_iter,
            max_iter, tol):
    k = anchor_rows.shape[0]
    start = indptr[r]
    end = indptr[r + 1]
    s = 0
    total = 0.0
    for q in range(start, end):
        if data[q] > 0.0 and anchor_mass[indices[q]] > 0.0:
            s += 1
            total += data[q]
    if s == 0:
        n_iter[r] = 0
        gap[r] = 0.0
        loss[r] = 0.0
        return
    vals = np.empty(s)
    sub = np.empty((k, s))
    j = 0
    for q in range(start, end):
        if data[q] > 0.0 and anchor_mass[indices[q]] > 0.0:
            vals[j] = data[q] / total
            col = indices[q]
            for i in range(k):
                sub[i, j] = anchor_rows[i, col]
            j += 1
    it, g, f = kl_simplex(vals, sub, topic_given_word[r], max_iter, tol)
    n_iter[r] = it
    gap[r] = g
    loss[r] = f


@nb.njit(**_NJIT)
def _column_mass(anchor_rows):
    mass = np.zeros(anchor_rows.shape[1])
    for i in range(anchor_rows.shape[0]):
        for j in range(anchor_rows.shape[1]):
            mass[j] += anchor_rows[i, j]
    return mass


@nb.njit(**_NJIT)
def kl_recover(indptr, indices, data, anchor_rows, topic_given_word, loss, gap, n_iter, max_iter, tol):
    """KL recovery of every row of a CSR matrix of word rows (serial).

    indptr, indices, data : IN int64/int64/float64 CSR arrays (n_rows, n_dims)
        of the word representation rows (non-negative; normalised here)
    anchor_rows : IN float64 (n_anchors, n_dims), rows on the simplex
    topic_given_word : IN/OUT float64 (n_rows, n_anchors): p(y|x) on exit; rows
        that cannot be solved (no entry covered by an anchor) are left as given
    loss, gap : OUT float64 (n_rows,), KL and duality gap at the solution
    n_iter : OUT int64 (n_rows,)
    max_iter : IN int, tol : IN float (absolute duality-gap threshold)
    """
    mass = _column_mass(anchor_rows)
    for r in range(indptr.shape[0] - 1):
        _kl_row(r, indptr, indices, data, anchor_rows, mass, topic_given_word, loss, gap, n_iter,
                max_iter, tol)


@nb.njit(parallel=True, **_NJIT)
def kl_recover_parallel(indptr, indices, data, anchor_rows, topic_given_word, loss, gap, n_iter,
                        max_iter, tol):
    """``kl_recover`` in parallel over rows (``prange``); same arguments."""
    mass = _column_mass(anchor_rows)
    for r in nb.prange(indptr.shape[0] - 1):
        _kl_row(r, indptr, indices, data, anchor_rows, mass, topic_given_word, loss, gap, n_iter,
                max_iter, tol)


@nb.njit(**_NJIT)
def _l2_row(r, gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol):
    if sqnorm[r] <= 0.0:
        n_iter[r] = 0
        gap[r] = 0.0
        loss[r] = 0.0
        return
    it, g, f = l2_simplex(gram, cross[r], sqnorm[r], topic_given_word[r], max_iter, tol)
    n_iter[r] = it
    gap[r] = g
    loss[r] = f


@nb.njit(**_NJIT)
def l2_recover(gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol):
    """Squared-L2 recovery of every word row from the shared Gram matrix (serial).

    gram : IN float64 (n_anchors, n_anchors), anchor rows times their transpose
    cross : IN float64 (n_rows, n_anchors), word rows times the anchor rows^T
    sqnorm : IN float64 (n_rows,), squared norms of the word rows; rows with
        zero norm are not solved
    topic_given_word : IN/OUT float64 (n_rows, n_anchors), p(y|x) on exit
    loss, gap : OUT float64 (n_rows,), squared residual and duality gap
    n_iter : OUT int64 (n_rows,)
    max_iter : IN int, tol : IN float (duality gap relative to ``sqnorm``)
    """
    for r in range(cross.shape[0]):
        _l2_row(r, gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol)


@nb.njit(parallel=True, **_NJIT)
def l2_recover_parallel(gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol):
    """``l2_recover`` in parallel over rows (``prange``); same arguments."""
    for r in nb.prange(cross.shape[0]):
        _l2_row(r, gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol)
