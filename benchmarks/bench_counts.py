"""Throughput and peak memory of ``Corpus.from_tokens`` against scipy, as ratios.

Run from the repository root:  python benchmarks/bench_counts.py

For each regime, on the same token arrays in one process, it times

* one streaming pass over the input, ``words.sum() + domains.sum()``: the
  memory-bandwidth floor for anything that reads every token;
* ``Corpus.from_tokens`` (validation included), sequential and ``parallel=True``;
* the scipy path ``coo_matrix((ones, (domains, words))).tocsr()`` followed by
  ``sum_duplicates()`` (so that both results are canonical CSR and are
  checked equal);

and reports the best of ``--repeats`` runs (interleaved, so a burst of load
from other jobs hits every method alike) and two peaks of memory beyond the
inputs: what each call allocates (tracemalloc sees numpy buffers; numba's own
scratch here is a 256-entry histogram) and how much the resident set grows
(Linux ``VmHWM``; ``from_tokens`` reserves its output at an upper bound and
touches only what it fills, so this is the figure that counts for it).
Each regime runs in a fresh Python process.

Regimes (50 million tokens each by default; one at a time, memory freed
between them):

* ``lls``: 100 domains, 20,000 words, tokens in random order;
* ``topics``: 200,000 documents of Poisson(250) tokens, 50,000 words,
  tokens grouped by document (as documents arrive);
* ``topics-shuffled``: the same tokens in random order (worst case: the
  builder must scatter them by document first).

Words follow a Zipf(1) law over a randomly permuted vocabulary.
"""

from __future__ import annotations

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import gc
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from llstopic import Corpus  # noqa: E402

REGIMES = ("lls", "topics", "topics-shuffled")


def zipf_words(rng, n_tokens, n_words):
    cdf = np.cumsum(1.0 / np.arange(1, n_words + 1))
    cdf /= cdf[-1]
    ranks = np.searchsorted(cdf, rng.random(n_tokens))
    np.minimum(ranks, n_words - 1, out=ranks)
    return rng.permutation(n_words)[ranks]


def make_tokens(regime, n_tokens, seed=0):
    rng = np.random.default_rng(seed)
    if regime == "lls":
        n_domains, n_words = 100, 20_000
        domains = rng.integers(0, n_domains, n_tokens)
    else:
        n_words = 50_000
        n_domains = max(1, round(n_tokens / 250))
        lengths = rng.poisson(250, n_domains)
        domains = np.repeat(np.arange(n_domains), lengths)
        n_tokens = domains.size
        if regime == "topics-shuffled":
            rng.shuffle(domains)
    words = zipf_words(rng, n_tokens, n_words)
    return words, domains, n_words, n_domains


def scipy_counts(words, domains, n_words, n_domains):
    ones = np.ones(words.shape[0], dtype=np.int64)
    mat = sp.coo_matrix((ones, (domains, words)), shape=(n_domains, n_words)).tocsr()
    mat.sum_duplicates()
    return mat


def _proc_status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(field)


def peak_rss_bytes(fn):
    """Growth of the peak resident set during ``fn()`` (Linux; None elsewhere).

    Unlike tracemalloc, this counts only pages actually touched.
    """
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        base = _proc_status_kib("VmRSS")
    except OSError:
        return None
    result = fn()
    peak = _proc_status_kib("VmHWM") - base
    del result
    gc.collect()
    return peak * 1024


def peak_extra_bytes(fn):
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del result
    gc.collect()
    return peak


def run(regime, n_tokens, repeats):
    words, domains, n_words, n_domains = make_tokens(regime, n_tokens)
    n_tokens = words.shape[0]
    # compile / load the cached kernels outside the timings
    Corpus.from_tokens(words[:200_000], domains[:200_000], n_words=n_words, n_domains=n_domains)
    Corpus.from_tokens(words[:200_000], domains[:200_000], n_words=n_words, n_domains=n_domains,
                       parallel=True)

    methods = {
        "stream": lambda: int(words.sum()) + int(domains.sum()),
        "from_tokens": lambda: Corpus.from_tokens(words, domains, n_words=n_words,
                                                  n_domains=n_domains),
        "from_tokens(parallel=True)": lambda: Corpus.from_tokens(words, domains, n_words=n_words,
                                                                 n_domains=n_domains,
                                                                 parallel=True),
        "scipy coo->csr": lambda: scipy_counts(words, domains, n_words, n_domains),
    }
    best = {name: np.inf for name in methods}
    results = {}
    for _ in range(repeats):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            out = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
            if name != "stream":
                results[name] = out.counts if isinstance(out, Corpus) else out
            del out
            gc.collect()
    ours = results["from_tokens"]
    for name, mat in results.items():
        assert mat.shape == ours.shape and (mat != ours).nnz == 0, name
    nnz = ours.nnz
    del results, ours
    gc.collect()
    peaks = {name: peak_extra_bytes(fn) for name, fn in methods.items() if name != "stream"}
    rss = {name: peak_rss_bytes(fn) for name, fn in methods.items() if name != "stream"}
    del words, domains
    gc.collect()
    return dict(regime=regime, n_tokens=n_tokens, n_words=n_words, n_domains=n_domains, nnz=nnz,
                best=best, peaks=peaks, rss=rss)


def report(r):
    best, peaks, rss = r["best"], r["peaks"], r["rss"]
    scipy_time, stream_time = best["scipy coo->csr"], best["stream"]
    lines = [f"### {r['regime']}: {r['n_tokens']:,} tokens, {r['n_domains']:,} domains, "
             f"{r['n_words']:,} words, {r['nnz']:,} non-zeros",
             "",
             "| method | time | Mtokens/s | speed-up over scipy | time / streaming pass "
             "| peak allocated (tracemalloc) | peak RSS growth |",
             "|---|---|---|---|---|---|---|"]

    def mib(table, name):
        value = table.get(name)
        if name == "stream":
            return "0"
        return "n/a" if value is None else f"{value / 2**20:,.0f} MiB"

    for name, t in best.items():
        speedup = "-" if name == "stream" else f"{scipy_time / t:.1f}x"
        lines.append(f"| {name} | {t:.3f} s | {r['n_tokens'] / t / 1e6:,.0f} | {speedup} | "
                     f"{t / stream_time:.1f} | {mib(peaks, name)} | {mib(rss, name)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regime", choices=REGIMES + ("all",), default="all")
    parser.add_argument("--tokens", type=int, default=50_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-header", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import numba
    import scipy

    if not args.no_header:
        print(f"numba threads: {numba.get_num_threads()}, numpy {np.__version__}, "
              f"scipy {scipy.__version__}, numba {numba.__version__}, best of {args.repeats}\n",
              flush=True)
    if args.regime == "all":  # one fresh process per regime: no heap left over from the last
        for regime in REGIMES:
            subprocess.run([sys.executable, __file__, "--regime", regime,
                            "--tokens", str(args.tokens), "--repeats", str(args.repeats),
                            "--no-header"], check=True)
        return
    print(report(run(args.regime, args.tokens, args.repeats)), "\n", flush=True)


if __name__ == "__main__":
    main()
