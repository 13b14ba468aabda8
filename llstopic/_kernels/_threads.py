"""How many threads numba's parallel kernels use, for one block of code."""

from __future__ import annotations

import contextlib

import numba

__all__ = ["numba_threads"]


@contextlib.contextmanager
def numba_threads(n_jobs):
    """Run numba parallel kernels on ``n_jobs`` threads, restoring the old count.

    ``None`` uses every thread numba has; a negative value all but ``-n_jobs - 1``
    of them (scikit-learn's convention: -1 is all); a positive value at most the
    threads numba has.  Yields the count used.
    """
    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        n = available
    elif n_jobs < 0:
        n = max(available + 1 + n_jobs, 1)
    else:
        n = min(n_jobs, available)
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)
