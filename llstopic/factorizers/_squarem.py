"""The EM drivers of the likelihood polish: plain EM and SQUAREM, for every back end.

:func:`llstopic.polish` (and ``NMF(engine="em")``) runs its passes in this
process; :func:`llstopic.distributed.polish` runs them per partition on a Dask
cluster.  Both hand their passes to the drivers here, so the algorithm is
written once.  A point is a pair ``(rows, word_topic)``: p_d(y) in whatever
form the back end keeps it (an array here, blocks on the workers there) and
the (n_words, n_topics) topics as an array.  The back end's ``ops`` give:

* ``ops.fixed``: the topics stay fixed (the drivers then never touch them);
* ``ops.step(x)``: ``((loglik, objective) per token of x, F(x))``;
* ``ops.row_norms(x_rows, fx_rows, ffx_rows)``: SQUAREM's ``|r|^2`` and
  ``|v|^2`` (floats) of the p_d(y) part, in log coordinates;
* ``ops.extrapolate(x_rows, fx_rows, ffx_rows, alpha)``: the p_d(y) part of
  the extrapolated point;
* ``ops.release(point)``: the driver no longer needs ``point`` (a back end
  that recycles buffers may reuse them; the drivers keep at most four points
  alive, so the local polish needs four p_d(y) buffers, as before).

The trace (``_polish._Trace``) records the accepted points, tests
convergence and builds the result.  SQUAREM: Varadhan & Roland (2008),
scheme S3, one step length for the whole point; see ``_polish``.
"""

from __future__ import annotations

import logging

import numpy as np

from .._kernels import em as _em

__all__ = ["plain_em", "squarem", "row_norms", "clamp"]

logger = logging.getLogger(__name__)

#: SQUAREM's step-length bound grows by this factor after an accepted
#: extrapolation that used the whole bound, and shrinks by it after a rejected one.
STEP_FACTOR = 4.0


def row_norms(x, fx, ffx):
    """|r|^2 and |v|^2 of SQUAREM (log coordinates), row by row."""
    rr, vv = np.empty(x.shape[0]), np.empty(x.shape[0])
    _em.squarem_norms(x, fx, ffx, rr, vv)
    return rr, vv


def clamp(rr, vv, step_max):
    """SQUAREM's S3 step lengths -|r|/|v|, clamped to [-step_max, -1], and whether
    each was clamped at -step_max."""
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(vv > 0.0, -np.sqrt(rr / vv), -1.0)
    alpha = np.minimum(np.maximum(raw, -step_max), -1.0)
    return alpha, raw <= -step_max


def plain_em(ops, trace, x, max_iter):
    """EM steps from ``x`` until ``trace`` says converged or ``max_iter`` steps."""
    while trace.n_iter < max_iter:
        figures, fx = ops.step(x)
        converged = trace.accept(figures, *x)
        ops.release(x)
        x = fx
        if converged:
            break
    return trace.result(*x)


def _step_length(ops, x, fx, ffx, step_max):
    """(alpha, clamped) of one SQUAREM cycle; the topics' part when they are free."""
    rr, vv = ops.row_norms(x[0], fx[0], ffx[0])
    rows = None
    if not ops.fixed:
        # the topics' distributions are the columns of word_topic: use rows of the transpose
        rows = [np.ascontiguousarray(point[1].T) for point in (x, fx, ffx)]
        rr, vv = (total + float(a.sum()) for total, a in zip((rr, vv), row_norms(*rows)))
    alpha, clamped = (v.item() for v in clamp(np.array(rr), np.array(vv), step_max))
    return alpha, clamped, rows


def squarem(ops, trace, x, max_iter):
    """SQUAREM cycles: x -> F(x) -> F(F(x)) -> extrapolated x' -> F(x') (if x' is accepted)."""
    step_max = 1.0
    while trace.n_iter < max_iter:
        figures, fx = ops.step(x)
        if trace.accept(figures, *x) or trace.n_iter == max_iter:
            return trace.result(*fx)
        figures_fx, ffx = ops.step(fx)
        if trace.accept(figures_fx, *fx) or trace.n_iter == max_iter:
            return trace.result(*ffx)
        alpha, clamped, rows = _step_length(ops, x, fx, ffx, step_max)
        if alpha == -1.0:  # the extrapolation is F(F(x)) itself: continue from there
            step_max *= STEP_FACTOR if clamped else 1.0
            ops.release(x)
            ops.release(fx)
            x = ffx
            continue
        xp_topics = x[1]
        if rows is not None:
            extrapolated = np.empty_like(rows[0])
            _em.squarem_extrapolate(*rows, np.full(rows[0].shape[0], alpha), extrapolated)
            xp_topics = np.ascontiguousarray(extrapolated.T)
        xp = (ops.extrapolate(x[0], fx[0], ffx[0], alpha), xp_topics)
        ops.release(x)
        figures_xp, fxp = ops.step(xp)
        if figures_xp[1] >= figures_fx[1]:
            if trace.accept(figures_xp, *xp):
                return trace.result(*fxp)
            step_max *= STEP_FACTOR if clamped else 1.0
            ops.release(fx)
            ops.release(ffx)
            ops.release(xp)
            x = fxp
        else:
            trace.n_iter += 1
            trace.n_rejected += 1
            logger.debug("polish: extrapolation with step %.3g rejected (objective %.8f < %.8f "
                         "per token)", alpha, figures_xp[1], figures_fx[1])
            step_max = max(1.0, step_max / STEP_FACTOR)
            ops.release(fx)
            ops.release(xp)
            ops.release(fxp)
            x = ffx
    return trace.result(*x)
