"""Time per iteration of NMF's two engines on one planted corpus, as a ratio.

Run from the repository root, on one thread for both:

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/bench_nmf_engines.py

On ``make_finite_lls(5000, 20, 4000, 100, alpha=1, beta=0.05, random_state=0)``
(p(x|d) of 4,000 x 5,000 with about 340,000 non-zeros, 20 topics) it times
scikit-learn's KL multiplicative updates (``NMF(engine="sklearn")``'s solver)
and the EM engine's SQUAREM steps for ``--short`` and ``--long`` iterations
each, without a stopping rule, and reports the marginal time per iteration
(the difference divided by the difference of the counts), so that the
start (nndsvda's SVD, the Dirichlet draw) and numba's first call drop out.
Both run in the same process, one after the other.  The figures behind the
``engine="auto"`` threshold of :class:`llstopic.NMF` came from this script.
"""

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF as SkNMF
from sklearn.exceptions import ConvergenceWarning

from llstopic import make_finite_lls
from llstopic.factorizers._nmf_em import fit_em


def _em(x, n_topics, n_steps):
    start = time.perf_counter()
    fit = fit_em(x, n_topics, max_iter=n_steps, tol=1e-300, rng=np.random.default_rng(0))
    return time.perf_counter() - start, fit.n_iter


def _sklearn(x, n_topics, n_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model = SkNMF(n_topics, init="nndsvda", solver="mu", beta_loss="kullback-leibler",
                      max_iter=n_iter, tol=0, random_state=0).fit(x)
        return time.perf_counter() - start, model.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=5)
    parser.add_argument("--long", type=int, default=25)
    args = parser.parse_args()
    n_topics = 20
    problem = make_finite_lls(5000, n_topics, 4000, 100, alpha=1.0, beta=0.05, random_state=0)
    counts = problem.corpus.counts.astype(np.float64)
    x = sp.csr_matrix(sp.diags(1.0 / np.asarray(counts.sum(axis=1)).ravel()) @ counts)
    print(f"p(x|d) {x.shape[0]} x {x.shape[1]}, nnz {x.nnz}, {n_topics} topics, "
          f"nnz * n_topics = {x.nnz * n_topics:.3g}")
    _em(x, n_topics, 2)   # numba's first call (compilation or cache load)
    per = {}
    for name, run in (("em", _em), ("sklearn", _sklearn)):
        (t0, n0), (t1, n1) = run(x, n_topics, args.short), run(x, n_topics, args.long)
        per[name] = (t1 - t0) / (n1 - n0)
        print(f"{name:8s} {n0} and {n1} iterations: {t0:.3f} s, {t1:.3f} s; marginal "
              f"{per[name] * 1e3:.1f} ms per iteration, "
              f"{per[name] / (x.nnz * n_topics) * 1e9:.2f} ns per non-zero and topic")
    print(f"sklearn / em time per iteration: {per['sklearn'] / per['em']:.1f}")


if __name__ == "__main__":
    main()
