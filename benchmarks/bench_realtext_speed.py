"""Fit time of AnchorWords against gensim ``LdaModel(passes=10, alpha="auto")`` on real text.

The same corpora, split and fitting code as ``bench_realtext.py`` (its ``load``,
``prepare``, ``fit_llstopic`` and ``fit_gensim``), timed several times in one
process: medians of ``--repeat`` anchor fits (after one untimed warm-up fit) and
of ``--gensim-repeat`` gensim fits, and their ratio.  A single timed fit, as in
``bench_realtext.py``, moves by up to 2 s on NewsArticles (the co-occurrence
matrix of its 14,814 words is allocated anew by every fit).

Usage::

    python benchmarks/bench_realtext_speed.py                          # news, K = 20 50
    python benchmarks/bench_realtext_speed.py --corpora lee reuters --k 50 --repeat 5
    python benchmarks/bench_realtext_speed.py --corpora lee --k 50 --anchor replace_duplicates=0
"""

from __future__ import annotations

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import json
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import bench_realtext as realtext  # noqa: E402
import llstopic  # noqa: E402


def _param(text):
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (a JSON value), got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def _times(fit, repeat):
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fit()
        out.append(time.perf_counter() - start)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", nargs="+", default=["news"], choices=realtext.CORPORA)
    parser.add_argument("--k", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--repeat", type=int, default=3, help="timed anchor fits (3)")
    parser.add_argument("--gensim-repeat", type=int, default=2, help="timed gensim fits (2)")
    parser.add_argument("--anchor", type=_param, nargs="*", default=[], metavar="NAME=VALUE",
                        help="AnchorWords parameters, e.g. replace_duplicates=0")
    args = parser.parse_args(argv)
    if min(args.repeat, args.gensim_repeat) < 1 or min(args.k) < 1:
        parser.error("--repeat, --gensim-repeat and --k must be at least 1")
    params = dict(args.anchor)
    warnings.simplefilter("ignore")
    print(f"## bench_realtext_speed: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"command: python benchmarks/bench_realtext_speed.py {' '.join(sys.argv[1:])}")
    print("\n| corpus, K | anchor fits s | gensim fits s | median ratio | anchor duplicates_ |")
    print("|---|---|---|---|---|")
    for name in args.corpora:
        counts, vocabulary, texts = realtext.load(name, False)
        data = realtext.prepare(counts, vocabulary, texts, 0)
        train, vocab = data["train"], data["vocab"]
        for k in args.k:
            def anchor():
                return llstopic.AnchorWords(k, random_state=0, **params).fit(train)

            model = anchor()                                    # warm-up: numba loading
            ours = _times(anchor, args.repeat)
            theirs = _times(lambda: realtext.fit_gensim(train, k, 0, False, vocab),
                            args.gensim_repeat)
            rounds = (None if model.duplicates_ is None
                      else f"{model.duplicates_['rounds']} rounds, "
                           f"{len(model.duplicates_['pairs'])} pairs left")
            print(f"| {name} {k} | {', '.join(f'{t:.2f}' for t in ours)} | "
                  f"{', '.join(f'{t:.2f}' for t in theirs)} | "
                  f"{np.median(ours) / np.median(theirs):.3f} | {rounds} |", flush=True)


if __name__ == "__main__":
    main()
