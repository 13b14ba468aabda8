"""Thread counts: one ``n_jobs`` for numba's parallel kernels and for BLAS.

``n_jobs`` follows the scikit-learn convention: ``None`` all of numba's
threads, ``1`` one thread (the serial kernels), a negative value all but
``-n_jobs - 1``.  :func:`thread_limits` applies it to numba *and* to the BLAS
library numpy calls (via threadpoolctl), so that ``n_jobs=1`` means one core
for every phase of a fit, matrix products included.
"""

from __future__ import annotations

import contextlib

import numba

__all__ = ["resolve_n_jobs", "thread_limits", "numba_threads"]


def resolve_n_jobs(n_jobs):
    """Number of threads ``n_jobs`` stands for (at least 1, at most numba's threads)."""
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return available
    if n_jobs < 0:
        return max(available + 1 + n_jobs, 1)
    return max(min(n_jobs, available), 1)


@contextlib.contextmanager
def thread_limits(n_jobs):
    """Run numba parallel kernels and BLAS on ``resolve_n_jobs(n_jobs)`` threads.

    Yields the thread count; restores numba's count (and BLAS's) on exit.
    """
    from threadpoolctl import threadpool_limits

    n = resolve_n_jobs(n_jobs)
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield n
    finally:
        numba.set_num_threads(old)


#: the polish and the likelihood bound their kernels the same way
numba_threads = thread_limits
