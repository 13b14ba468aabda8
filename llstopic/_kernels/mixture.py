"""Numba kernels: the dense loops of the simplex solvers (``simplex``).

Mixtures ``weights @ rows``, the KL gradient and the quadratic form of the L2
objective.  Each loop takes four rows (or entries) at a time, so that every
load and store of its output feeds four multiply-adds: these loops are bound
by memory operations, not arithmetic.  Plain arrays in, caller-allocated
arrays out.
"""

import numba as nb

_NJIT = dict(cache=True, nogil=True)


@nb.njit(**_NJIT)
def _mix(weights, rows, out):
    """out = weights @ rows.

    Rows are taken four at a time, so that each load and store of ``out``
    feeds four multiply-adds (the loop is bound by memory operations, not
    arithmetic); groups of four zero weights are skipped."""
    n = out.shape[0]
    for j in range(n):
        out[j] = 0.0
    k = rows.shape[0]
    i = 0
    while i + 4 <= k:
        w0 = weights[i]
        w1 = weights[i + 1]
        w2 = weights[i + 2]
        w3 = weights[i + 3]
        if w0 != 0.0 or w1 != 0.0 or w2 != 0.0 or w3 != 0.0:
            for j in range(n):
                out[j] += (w0 * rows[i, j] + w1 * rows[i + 1, j]) + \
                    (w2 * rows[i + 2, j] + w3 * rows[i + 3, j])
        i += 4
    while i < k:
        w = weights[i]
        if w != 0.0:
            for j in range(n):
                out[j] += w * rows[i, j]
        i += 1


@nb.njit(**_NJIT)
def _kl_gradient(vals, ca, anchor_sub_t, grad):
    """grad = -anchor_sub @ (vals / ca), four entries at a time (as in ``_mix``)."""
    s, k = anchor_sub_t.shape
    for i in range(k):
        grad[i] = 0.0
    j = 0
    while j + 4 <= s:
        t0 = vals[j] / ca[j]
        t1 = vals[j + 1] / ca[j + 1]
        t2 = vals[j + 2] / ca[j + 2]
        t3 = vals[j + 3] / ca[j + 3]
        for i in range(k):
            grad[i] -= (anchor_sub_t[j, i] * t0 + anchor_sub_t[j + 1, i] * t1) + \
                (anchor_sub_t[j + 2, i] * t2 + anchor_sub_t[j + 3, i] * t3)
        j += 4
    while j < s:
        t = vals[j] / ca[j]
        for i in range(k):
            grad[i] -= anchor_sub_t[j, i] * t
        j += 1


@nb.njit(**_NJIT)
def _quad(gram, step, gstep):
    """step^T gram step."""
    _mix(step, gram, gstep)
    q = 0.0
    for i in range(step.shape[0]):
        q += step[i] * gstep[i]
    return q
