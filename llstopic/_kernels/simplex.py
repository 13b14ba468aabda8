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
iteration 12 on (``_NEWTON_START``), each iteration first tries an active-set Newton step on the
face of the coordinates that matter (for L2, those above 1e-9 of the largest;
for KL, those above 1e-3 of the largest and the smaller ones whose reduced
cost is small, see ``newton.newton_support``; in both, any whose gradient says
they want in): the equality-constrained Newton system
is solved by Cholesky; coordinates the step would make non-positive leave the
face and the system is solved again -- those whose gradient says they want
out shrink 1e9-fold (never to exactly zero, so that EG can revive them),
those that want in keep their value for this step (shrinking them would give
a non-descent direction; see ``newton.active_set_newton``).  The Newton direction is damped
(step 1, 1/2, ..., 1/128) until the same exact Armijo test passes; otherwise
the iteration is an EG step and Newton is tried again 8 iterations later.  An
accepted Newton step that did not halve the duality gap is followed by one EG
step (``_NEWTON_PROGRESS``).
Near the optimum this converges quadratically (typically 10-40 iterations
per word).

Both solvers start from the uniform point, or (``warm=True``) from the
caller's ``c``: every coordinate is first raised to at least ``_WARM_FLOOR``
(far below the Newton face threshold, so exponentiated gradient can still
revive it) and ``c`` renormalised, and Newton steps are tried from the first
iteration on.  The KL recovery no longer solves from a warm start (the L2
solution was one until the cheaper KL face of ``newton.newton_support`` made
the uniform start faster, see ``llstopic.factorizers.anchor._recovery``); the
re-choice of duplicated anchors (``anchor._choice``) passes its last answer
with ``max_iter=0``, only to read each start's gap, and restarts L2 from it.

Entries of ``r`` that no anchor row covers cannot be explained by any ``c``
(their KL term is infinite for every ``c``); they are left out, and the row is
renormalised over the rest.  A row with nothing left is not solved: its
``c`` keeps the caller's starting value and ``n_iter`` is 0.

The drivers that run these solvers over all words are in ``recovery.py``; the
dense loops they share (mixtures, the KL gradient) in ``mixture.py``.
"""

import numba as nb
import numpy as np

from .mixture import _kl_gradient, _mix, _quad
from .newton import active_set_newton as _active_set_newton
from .newton import kl_hessian as _kl_hessian
from .newton import newton_support as _support

_NJIT = dict(cache=True, nogil=True)

_ARMIJO = 1e-4
_ETA_MIN = 1e-30
#: First iteration at which a Newton step on the support is tried, and the
#: number of EG iterations between tries after a rejected one.  Far from the
#: optimum the face is large (all n_anchors coordinates at first) and a Newton
#: step costs n_anchors^2 entries; EG iterations (n_anchors per entry) shrink it
#: first.  On p_d(y) of 300-token documents with 100 topics, starting at
#: iteration 24 instead of 8 cut the solver's CPU time 1.4-fold (measured with
#: the 1e9-fold drop of ``newton`` and the face ``c_i > 1e-9 max``).  With the
#: KL face of ``newton.newton_support`` (small coordinates with a large reduced
#: cost left out), the first Newton steps are cheaper, and 12 was best on the
#: same documents: 1.18 s against 1.38 (16), 1.21 (10), 1.38 (8) and
#: 1.81 (32) for 5,000 documents at tol 1e-6 (measured with the left-out
#: coordinates dropped 1e9-fold; the shipped rule times the same, 1.21 against
#: 1.23 s at 12).
_NEWTON_START = 12
#: The L2 solver keeps its first Newton try at iteration 8: its iterations
#: cost n_anchors^2 whatever the row length, and starting at 8 or 24 cost the
#: same on 15,000 words x 100 topics (14.8 against 27.9 iterations per word).
_L2_NEWTON_START = 8
_NEWTON_EVERY = 8
#: An accepted Newton step must leave a duality gap below this fraction of the
#: gap before it, else the next iteration is an EG step.  Near a face where
#: the gap is carried by a coordinate that the Newton step keeps fixed, the
#: steps pass the Armijo test by rounding alone without moving anything (a
#: word of a 5-topic problem spun to max_iter at gap 6e-7 that way).
_NEWTON_PROGRESS = 0.5
#: Step lengths 1, 1/2, ... tried along a Newton direction before falling back to EG.
_NEWTON_HALVINGS = 8
#: Smallest coordinate of a warm start, relative to 1 / n_anchors.
_WARM_FLOOR = 1e-12


@nb.njit(**_NJIT)
def _start(c, warm, newton_start):
    """Uniform start, or the caller's ``c`` floored and renormalised (``warm``).
    Returns the first iteration at which a Newton step is tried:
    ``newton_start`` from the uniform point, 1 from a warm start."""
    k = c.shape[0]
    if not warm:
        for i in range(k):
            c[i] = 1.0 / k
        return newton_start
    floor = _WARM_FLOOR / k
    total = 0.0
    for i in range(k):
        v = c[i]
        if not v >= floor:  # also catches nan
            v = floor
        c[i] = v
        total += v
    for i in range(k):
        c[i] /= total
    return 1


@nb.njit(**_NJIT)
def _eg_step(c, grad, gmin, eta, step):
    """One exponentiated-gradient step from ``c`` with step size ``eta``.

    Writes the change ``step = c_new - c`` and returns the predicted decrease
    ``(grad - gmin) . step`` (<= 0), or ``nan`` when the normaliser underflows.
    With ``e_i = expm1(-eta (g_i - gmin))``, ``s = c . e`` and ``z = 1 + s``,
    the change is ``c_i (e_i - s) / z``: exact to rounding relative to the step
    itself, however small.  When the step moves most of the mass (``z <
    1/2``), the error of ``e_i - s`` is amplified by ``1 / z`` (both near -1:
    a coordinate with the smallest gradient but only 1e-150 of the mass gave
    ``step = 0`` everywhere else, and the solver stopped with a duality gap of
    1e13); the change is then ``c_i expm1(x_i - log z)`` with
    ``x_i = -eta (g_i - gmin)`` and ``log z`` by log-sum-exp, exact for every
    coordinate.
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
    if z < 0.5:
        top = -np.inf
        for i in range(k):
            if c[i] > 0.0:
                top = max(top, np.log(c[i]) - eta * (grad[i] - gmin))
        total = 0.0
        for i in range(k):
            if c[i] > 0.0:
                total += np.exp(np.log(c[i]) - eta * (grad[i] - gmin) - top)
        log_z = top + np.log(total)
        for i in range(k):
            ratio = -eta * (grad[i] - gmin) - log_z  # log(c_new_i / c_i)
            if not c[i] > 0.0:
                step[i] = 0.0
            elif ratio > 1.0:  # grows more than e-fold: no cancellation, and no overflow
                step[i] = np.exp(np.log(c[i]) + ratio) - c[i]
            else:
                step[i] = c[i] * np.expm1(ratio)
            pred += (grad[i] - gmin) * step[i]
        return pred
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
def _kl_decrease_scaled(vals, ca, dca, t):
    """f(c + t step) - f(c) for the KL objective, from ``dca = step @ A``."""
    delta = 0.0
    for j in range(vals.shape[0]):
        ratio = t * dca[j] / ca[j]
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
def kl_simplex(vals, anchor_sub, anchor_sub_t, c, max_iter, tol, newton, warm):
    """Minimise ``sum_j vals_j log(vals_j / (c @ anchor_sub)_j)`` over the simplex.

    vals : IN float64 (n_entries,), positive, summing to one
    anchor_sub : IN float64 (n_anchors, n_entries), the anchor rows restricted
        to the entries of ``vals``; every column has a positive entry
    anchor_sub_t : IN float64 (n_entries, n_anchors), its transpose (C order):
        the gradient and Hessian loops then run over contiguous memory
    c : IN/OUT float64 (n_anchors,): the start if ``warm`` (non-negative,
        any scale), the minimiser on exit
    max_iter : IN int, tol : IN float (absolute duality-gap threshold)
    newton : IN bool, try active-set Newton steps (False: plain EG)
    warm : IN bool, start from ``c`` (False: from the uniform point)
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
    keep = np.empty(k)
    next_newton = _start(c, warm, _NEWTON_START)
    _mix(c, anchor_sub, ca)
    it = 0
    eta = -1.0
    gap = np.inf
    newton_gap = np.inf
    while True:
        _kl_gradient(vals, ca, anchor_sub_t, grad)
        gap, gmin, gmax = _gap(c, grad)
        if gap <= tol or it >= max_iter:
            break
        if eta < 0.0:
            eta = 1.0 / max(gmax - gmin, 1e-300)
        it += 1
        if newton and it >= next_newton and gap > _NEWTON_PROGRESS * newton_gap:
            next_newton = it + 1    # the last Newton step did not shrink the gap: one EG step
        elif newton and it >= next_newton:
            next_newton = it + _NEWTON_EVERY
            m = _support(c, grad, support, True, keep, eta)
            if m >= 2:
                _kl_hessian(vals, ca, anchor_sub_t, support, m, hess)
                if _active_set_newton(hess, grad, c, support, m, keep, step, work):
                    pred = _predicted(grad, gmin, step)
                    if pred < 0.0:
                        _mix(step, anchor_sub, dca)
                        t = 1.0
                        for _ in range(_NEWTON_HALVINGS):
                            if _kl_decrease_scaled(vals, ca, dca, t) <= _ARMIJO * t * pred:
                                for i in range(k):
                                    step[i] *= t
                                _apply_step(c, step)
                                _mix(c, anchor_sub, ca)
                                next_newton = it + 1
                                break
                            t *= 0.5
                        if next_newton == it + 1:
                            newton_gap = gap
                            continue
        newton_gap = np.inf
        first_try = True
        accepted = False
        pred = 0.0
        while eta > _ETA_MIN:
            pred = _eg_step(c, grad, gmin, eta, step)
            if pred == pred:  # not nan
                _mix(step, anchor_sub, dca)
                if _kl_decrease_scaled(vals, ca, dca, 1.0) <= _ARMIJO * pred:
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
def l2_simplex(gram, cross, sqnorm, c, max_iter, tol, newton, warm):
    """Minimise ``c^T gram c - 2 cross . c + sqnorm`` over the simplex.

    gram : IN float64 (n_anchors, n_anchors), ``A A^T`` (symmetric)
    cross : IN float64 (n_anchors,), ``A r``
    sqnorm : IN float, ``r . r`` (> 0); the gap threshold is ``tol * sqnorm``
    c : IN/OUT float64 (n_anchors,): the start if ``warm``, the minimiser on exit
    newton : IN bool, try active-set Newton steps (False: plain EG)
    warm : IN bool, start from ``c`` (False: from the uniform point)
    Returns (iterations, duality gap, squared residual at ``c``).
    """
    k = gram.shape[0]
    grad = np.empty(k)
    gc = np.empty(k)
    step = np.empty(k)
    gstep = np.empty(k)
    hess = np.empty((k, k))
    work = np.empty((2, k))
    support = np.empty(k, dtype=np.int64)
    keep = np.empty(k)
    next_newton = _start(c, warm, _L2_NEWTON_START)
    threshold = tol * sqnorm
    it = 0
    eta = -1.0
    gap = np.inf
    newton_gap = np.inf
    while True:
        # gram c as a sum of gram's rows (gram is symmetric): the loop vectorises
        _mix(c, gram, gc)
        for i in range(k):
            grad[i] = 2.0 * (gc[i] - cross[i])
        gap, gmin, gmax = _gap(c, grad)
        if gap <= threshold or it >= max_iter:
            break
        if eta < 0.0:
            eta = 1.0 / max(gmax - gmin, 1e-300)
        it += 1
        if newton and it >= next_newton and gap > _NEWTON_PROGRESS * newton_gap:
            next_newton = it + 1    # the last Newton step did not shrink the gap: one EG step
        elif newton and it >= next_newton:
            next_newton = it + _NEWTON_EVERY
            m = _support(c, grad, support, False, keep, eta)
            if m >= 2:
                for a in range(m):
                    for b in range(m):
                        hess[support[a], support[b]] = 2.0 * gram[support[a], support[b]]
                if _active_set_newton(hess, grad, c, support, m, keep, step, work):
                    pred = _predicted(grad, gmin, step)
                    if pred < 0.0:
                        quad = _quad(gram, step, gstep)
                        t = 1.0
                        for _ in range(_NEWTON_HALVINGS):
                            if t * pred + t * t * quad <= _ARMIJO * t * pred:
                                for i in range(k):
                                    step[i] *= t
                                _apply_step(c, step)
                                next_newton = it + 1
                                break
                            t *= 0.5
                        if next_newton == it + 1:
                            newton_gap = gap
                            continue
        newton_gap = np.inf
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
    _mix(c, gram, gc)
    for i in range(k):
        loss += c[i] * gc[i] - 2.0 * cross[i] * c[i]
    return it, gap, max(loss, 0.0)
