"""AnchorWords speed: numba recovery against plain numpy, and the fit's phases.

Run from the repository root:  python benchmarks/bench_anchor.py [--words N]

On a 5,000-word, 50-topic latent-label-shift problem (100 domains of 50,000
tokens, ``make_finite_lls``), in one process:

1. the per-word recovery of p(y|x) (KL loss) by the numba kernels (parallel on
   all cores, and serial) against a plain numpy implementation of the *same*
   per-word solver, one word at a time, vectorised numpy per iteration -- for
   the shipped solver (exponentiated gradient + Armijo backtracking +
   duality-gap stop + damped active-set Newton steps) and for plain EG (the
   Newton steps off).  numpy runs on a random subset of words (all words would
   take minutes); ratios on all words extrapolate numpy's time per word, and
   numpy's results are checked to agree with the kernel's;
2. the end-to-end ``AnchorWords.fit`` time with its phases (representation,
   anchor search, recovery, proportions), for both representations;
3. the default ``AnchorWords.fit`` against scikit-learn's KL-NMF
   (``NMF(beta_loss="kullback-leibler", solver="mu")``, its defaults otherwise)
   and llstopic's ``NMF`` with its defaults, on the same counts (issue 12);
4. numba's compilation of the whole anchor path from a cold cache (a fresh
   process with an empty ``NUMBA_CACHE_DIR``: ``AnchorWords`` fitted in both
   representations, polished, and ``transform``), minus the same process with
   the cache warm.

Every kernel is compiled by a warm-up run first; the best of ``--repeat`` runs
is reported.
"""

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.decomposition import NMF as SkNMF

from llstopic import NMF, AnchorWords, make_finite_lls
from llstopic._kernels import recovery
from llstopic.factorizers.anchor import _spaces as _anchor_spaces
from llstopic.metrics import topic_word_error

ARMIJO, ETA_MIN, NEWTON_START, NEWTON_EVERY, DROP, HALVINGS = 1e-4, 1e-30, 12, 8, 1e9, 8
NEWTON_PROGRESS = 0.5
FACE, KL_FACE, KL_REDUCED_COST, KL_LEAVE_RATE = 1e-9, 1e-3, 1e-2, 16.0


# ------------------------------------------------------------ numpy baseline
def _newton_step(hess, grad, c, support, keep):
    """Projected Newton step on the face ``support`` (the kernel's rule), or None; coordinate i off
    the face is multiplied by ``keep[i]``."""
    support, frozen, keep = list(support), set(), keep.copy()
    while support:
        sub = hess[np.ix_(support, support)]
        ridge = 1e-13 * np.diag(sub).max()
        try:
            factor = scipy.linalg.cho_factor(sub + ridge * np.eye(len(support)), lower=True)
        except np.linalg.LinAlgError:
            return None
        u = scipy.linalg.cho_solve(factor, grad[support])
        w = scipy.linalg.cho_solve(factor, np.ones(len(support)))
        if not w.sum() > 0:
            return None
        step = -c * (1.0 - keep)
        step[list(frozen)] = 0.0
        step[support] = 0.0
        mu = (-step.sum() + u.sum()) / w.sum()
        step[support] = -(u - mu * w)
        blocked = [i for i in support if not c[i] + step[i] > 0]
        if not blocked:
            return step
        frozen.update(i for i in blocked if grad[i] <= mu)    # want in: keep their value
        keep[[i for i in blocked if grad[i] > mu]] = 1.0 / DROP
        support = [i for i in support if i not in blocked]
    return None


def _decrease(vals, ca, dca):
    ratio = dca / ca
    if (ratio <= -1).any():
        return np.inf
    return -vals @ np.log1p(ratio)


def _apply(c, step):
    c = np.maximum(c + step, 0.0)
    return c / c.sum()


def numpy_kl_word(vals, A, max_iter, tol, newton=True):
    """The kernel's per-word KL solver in plain numpy (``newton=False``: plain EG)."""
    k = A.shape[0]
    c = np.full(k, 1.0 / k)
    ca = c @ A
    eta, it, next_newton, newton_gap = -1.0, 0, NEWTON_START, np.inf
    while True:
        grad = -(A @ (vals / ca))
        gmin, gmax = grad.min(), grad.max()
        gap = c @ (grad - gmin)
        if gap <= tol or it >= max_iter:
            break
        if eta < 0:
            eta = 1.0 / max(gmax - gmin, 1e-300)
        it += 1
        if newton and it >= next_newton and gap > NEWTON_PROGRESS * newton_gap:
            next_newton = it + 1          # the last Newton step did not halve the gap: one EG step
        elif newton and it >= next_newton:
            next_newton = it + NEWTON_EVERY
            alive = c > FACE * c.max()
            reduced = grad - gmin
            support = np.flatnonzero((c > KL_FACE * c.max()) | (grad < grad[alive].min())
                                     | (alive & (reduced < KL_REDUCED_COST)))
            keep = np.where(alive, np.maximum(np.exp(-KL_LEAVE_RATE * eta * reduced), 1 / DROP),
                            1 / DROP)
            if support.shape[0] >= 2:
                hess = (A * (vals / ca**2)) @ A.T
                step = _newton_step(hess, grad, c, support, keep)
                if step is not None:
                    pred = (grad - gmin) @ step
                    if pred < 0:
                        dca, t = step @ A, 1.0
                        for _ in range(HALVINGS):
                            if _decrease(vals, ca, t * dca) <= ARMIJO * t * pred:
                                c = _apply(c, t * step)
                                ca = c @ A
                                next_newton = it + 1
                                break
                            t *= 0.5
                        if next_newton == it + 1:
                            newton_gap = gap
                            continue
        newton_gap = np.inf
        first, accepted, pred = True, False, 0.0
        while eta > ETA_MIN:
            e = np.expm1(-eta * (grad - gmin))
            z = c @ (1 + e)
            if z < 0.5:                   # most of the mass moves: log space (the kernel's rule)
                with np.errstate(divide="ignore"):
                    x = np.log(c) - eta * (grad - gmin)
                step = c * np.expm1(-eta * (grad - gmin) - np.logaddexp.reduce(x[c > 0]))
            else:
                step = c * (e - c @ e) / z
            pred = (grad - gmin) @ step
            dca = step @ A
            if _decrease(vals, ca, dca) <= ARMIJO * pred:
                accepted = True
                break
            eta *= 0.5
            first = False
        if not accepted or pred == 0.0:
            break
        c = _apply(c, step)
        ca = c @ A if it % 16 == 0 else ca + dca
        if first:
            eta *= 2.0
    return c, it


def numpy_kl_recover(rows, anchor_rows, words, max_iter, tol, newton):
    mass = anchor_rows.sum(axis=0)
    out = np.empty((len(words), anchor_rows.shape[0]))
    for n, x in enumerate(words):
        lo, hi = rows.indptr[x], rows.indptr[x + 1]
        idx, val = rows.indices[lo:hi], rows.data[lo:hi]
        keep = (val > 0) & (mass[idx] > 0)
        vals = val[keep] / val[keep].sum()
        sub = np.ascontiguousarray(anchor_rows[:, idx[keep]])
        out[n] = numpy_kl_word(vals, sub, max_iter, tol, newton)[0]
    return out


# ------------------------------------------------------------ numba kernels
def numba_kl_recover(rows, anchor_rows, max_iter, tol, parallel, newton):
    n, k = rows.shape[0], anchor_rows.shape[0]
    out = np.full((n, k), 1.0 / k)
    loss, gap, n_iter = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
    kernel = recovery.kl_recover_parallel if parallel else recovery.kl_recover
    kernel(rows.indptr.astype(np.int64), rows.indices.astype(np.int64), rows.data, anchor_rows,
           out, loss, gap, n_iter, max_iter, tol, newton, False)
    return out, n_iter


def compare_recovery(label, rows, anchor_rows, subset, max_iter, tol, newton, repeat, n_words):
    """Time numpy (on ``subset``) and numba (on ``subset`` and on all rows); print a table."""
    sub_rows = sp.csr_matrix(rows[subset])

    def numba_run(which, parallel):
        return numba_kl_recover(which, anchor_rows, max_iter, tol, parallel, newton)

    for parallel in (False, True):                     # load both kernels from the cache
        numba_run(sp.csr_matrix(rows[:2]), parallel)
    t_numpy, c_numpy = best_of(
        1, lambda: numpy_kl_recover(rows, anchor_rows, subset, max_iter, tol, newton))
    t_sub_ser, (c_sub, _) = best_of(repeat, lambda: numba_run(sub_rows, False))
    t_sub_par, _ = best_of(repeat, lambda: numba_run(sub_rows, True))
    t_all_ser, _ = best_of(repeat, lambda: numba_run(rows, False))
    t_all_par, (_, n_iter) = best_of(repeat, lambda: numba_run(rows, True))
    threads = numba.config.NUMBA_NUM_THREADS
    per_word = t_numpy / len(subset)
    print(f"\n{label} (KL, tol={tol:g}, max_iter={max_iter}); iterations per word: median "
          f"{np.median(n_iter):.0f}, mean {n_iter.mean():.1f}, 99th percentile "
          f"{np.percentile(n_iter, 99):.0f}, max {n_iter.max()}; words at max_iter: "
          f"{int((n_iter >= max_iter).sum())}")
    print(f"numpy and numba p(y|x) on the {len(subset)} numpy-timed words differ by at most "
          f"{np.abs(c_numpy - c_sub).max():.1e}")
    print("| solver | words | time | per word | numpy time / this time |")
    print("|---|---|---|---|---|")
    print(f"| plain numpy, one word at a time | {len(subset)} | {t_numpy:.2f} s | "
          f"{1e3 * per_word:.2f} ms | 1 |")
    note = " (numpy per word extrapolated)"
    rows_out = [("numba, serial (`n_jobs=1`)", len(subset), t_sub_ser, ""),
                (f"numba, parallel ({threads} threads)", len(subset), t_sub_par, ""),
                ("numba, serial (`n_jobs=1`)", n_words, t_all_ser, note),
                (f"numba, parallel ({threads} threads)", n_words, t_all_par, note)]
    for name, count, seconds, extra in rows_out:
        print(f"| {name} | {count} | {seconds:.3f} s | {1e3 * seconds / count:.3f} ms | "
              f"{per_word * count / seconds:.0f}x{extra} |")
    return t_all_par


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--tokens-per-domain", type=int, default=50_000)
    parser.add_argument("--numpy-words", type=int, default=300,
                        help="words timed with the numpy baseline")
    parser.add_argument("--eg-numpy-words", type=int, default=60,
                        help="words timed with the numpy baseline of plain EG (slow)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {numba.config.NUMBA_NUM_THREADS} numba threads, processor "
          f"{platform.processor()!r}, {platform.machine()}, numba {numba.__version__}, "
          f"numpy {np.__version__}")

    start = time.perf_counter()
    problem = make_finite_lls(args.words, args.topics, args.domains, args.tokens_per_domain,
                              alpha=1.0, beta=0.5, random_state=0)
    print(f"problem: {args.words} words, {args.topics} topics, {args.domains} domains x "
          f"{args.tokens_per_domain} tokens ({time.perf_counter() - start:.1f} s to sample)")
    warm = make_finite_lls(60, 3, 10, 500, alpha=1.0, beta=0.5, random_state=0).corpus
    for representation in ("domain", "cooccurrence"):              # compile everything
        AnchorWords(3, representation=representation, random_state=0).fit(warm)

    # 1. recovery: numba against numpy, on the anchors the fit finds
    model = AnchorWords(args.topics, random_state=0).fit(problem.corpus)
    space = _anchor_spaces.DomainSpace(problem.corpus.counts)
    rows = space.rows
    anchor_rows = space.anchor_rows(model.anchors_)
    rng = np.random.default_rng(0)
    subset = np.sort(rng.choice(args.words, args.numpy_words, replace=False))
    t_hybrid = compare_recovery("shipped solver: EG + active-set Newton steps", rows,
                                anchor_rows, subset, model.max_iter, model.tol, True,
                                args.repeat, args.words)
    eg_subset = np.sort(rng.choice(args.words, args.eg_numpy_words, replace=False))
    t_eg = compare_recovery("plain exponentiated gradient (the issue's solver, Newton steps off)",
                            rows, anchor_rows, eg_subset, model.max_iter, model.tol, False,
                            args.repeat, args.words)
    print(f"\nnumba parallel, plain EG time / EG + Newton time on all {args.words} words: "
          f"{t_eg / t_hybrid:.1f}x")

    # 2. end-to-end fits and their phases
    oracle = topic_word_error(problem.topic_word, problem.oracle_topic_word())
    print(f"\n| representation | fit (best of {args.repeat}) | representation | search | "
          "recovery | proportions | min_count_ | candidates | error / oracle error |")
    print("|---|---|---|---|---|---|---|---|---|")
    for representation in ("domain", "cooccurrence"):
        fits = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fitted = AnchorWords(args.topics, representation=representation,
                                 random_state=0).fit(problem.corpus)
            fits.append((time.perf_counter() - start, fitted))
        total, fitted = min(fits, key=lambda pair: pair[0])
        phases = fitted.fit_timings_
        ratio = topic_word_error(problem.topic_word, fitted.topic_word_) / oracle
        print(f"| {representation} | {total:.2f} s | {phases['representation']:.2f} s | "
              f"{phases['search']:.2f} s | {phases['recovery']:.2f} s | "
              f"{phases['proportions']:.2f} s | {fitted.min_count_} | {fitted.n_candidates_} | "
              f"{ratio:.2f} |")


    # 3. against scikit-learn's KL-NMF and llstopic's NMF, same counts, same process
    counts = problem.corpus.counts.astype(np.float64)
    runs = {
        "AnchorWords (defaults)": lambda: AnchorWords(args.topics, random_state=0).fit(
            problem.corpus).topic_word_,
        "scikit-learn NMF, KL, solver='mu'": lambda: _normalised(SkNMF(
            args.topics, beta_loss="kullback-leibler", solver="mu", random_state=0).fit(
            counts).components_),
        "llstopic NMF (defaults)": lambda: NMF(args.topics, random_state=0).fit(
            problem.corpus).topic_word_,
    }
    print(f"\n| method | fit (best of {args.repeat}) | time / scikit-learn's | "
          "error / oracle error |")
    print("|---|---|---|---|")
    timed = {name: best_of(args.repeat, run) for name, run in runs.items()}
    baseline = timed["scikit-learn NMF, KL, solver='mu'"][0]
    for name, (seconds, topic_word) in timed.items():
        ratio = topic_word_error(problem.topic_word, topic_word) / oracle
        print(f"| {name} | {seconds:.2f} s | {seconds / baseline:.2f} | {ratio:.2f} |")

    # 4. numba compilation of the anchor path from a cold cache
    cold, warm_cache = compile_seconds()
    print(f"\nnumba compilation of the anchor path, cold cache: {cold - warm_cache:.1f} s "
          f"(first fits {cold:.1f} s with an empty cache, {warm_cache:.1f} s with it filled)")


def _normalised(components):
    return components / components.sum(axis=1, keepdims=True)


_COMPILE_SCRIPT = """
import time
t = time.perf_counter()
import llstopic
p = llstopic.make_finite_lls(60, 3, 10, 500, alpha=1.0, beta=0.5, random_state=0)
for representation in ("domain", "cooccurrence"):
    m = llstopic.AnchorWords(3, representation=representation, polish=True,
                             random_state=0).fit(p.corpus)
    m.transform(p.corpus)
print(time.perf_counter() - t)
"""


def compile_seconds():
    """(seconds with an empty numba cache, seconds with it filled) of the first anchor fits."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = [float(subprocess.run([sys.executable, "-c", _COMPILE_SCRIPT], env=env, check=True,
                                      capture_output=True, text=True).stdout.split()[-1])
                 for _ in range(2)]
    return times[0], times[1]


if __name__ == "__main__":
    main()
