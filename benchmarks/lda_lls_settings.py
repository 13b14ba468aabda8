"""Which GensimLDA settings converge in the latent-label-shift regime (few, very long domains)?

Accuracy study behind the Notes of ``llstopic.factorizers.lda.GensimLDA``: on
planted problems (``make_finite_lls``) it fits LDA with gensim's own defaults,
with intermediate settings, and with llstopic's defaults, plus KL-NMF for
reference, and prints the topic-word error (mean L1 between matched rows of
p(x|y)) as a ratio to the oracle's error (p(x|y) counted with the true labels),
over several model seeds.  Run from the repository root:

    python benchmarks/lda_lls_settings.py            # about 10 minutes on 2 cores
"""

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, ".")

from llstopic import GensimLDA, NMF  # noqa: E402
from llstopic.metrics import topic_word_error  # noqa: E402
from llstopic.synthetic import make_finite_lls  # noqa: E402

PROBLEMS = [  # (n_words, n_topics, n_domains, tokens_per_domain)
    (100, 4, 10, 20_000),
    (200, 6, 10, 20_000),
    (100, 3, 5, 100_000),
    (200, 4, 20, 5_000),
]
DATA_SEEDS = [0, 1]
MODEL_SEEDS = [0, 1, 2, 3]
SETTINGS = {
    "gensim defaults (passes=1, iterations=50, online decay=0.5)":
        dict(passes=1, iterations=50, n_init=1, update_every=1, decay=0.5),
    "passes=100, iterations=50, online decay=0.5":
        dict(passes=100, iterations=50, n_init=1, update_every=1, decay=0.5),
    "passes=100, iterations=50, batch rho=1":
        dict(passes=100, iterations=50, n_init=1),
    "passes=100, iterations=10, batch rho=1 (n_init=1)":
        dict(passes=100, iterations=10, n_init=1),
    "llstopic defaults (as above, n_init=3)": dict(),
}
FAILED = 0.3  # an error above this means topics were merged or split (a bad local optimum)


def main():
    warnings.simplefilter("ignore")
    rows = {name: [] for name in [*SETTINGS, "NMF (KL) default"]}
    for n_words, n_topics, n_domains, length in PROBLEMS:
        for data_seed in DATA_SEEDS:
            problem = make_finite_lls(n_words, n_topics, n_domains, length, alpha=1.0, beta=0.1,
                                      random_state=data_seed)
            oracle = topic_word_error(problem.topic_word, problem.oracle_topic_word())
            for name, params in SETTINGS.items():
                for seed in MODEL_SEEDS:
                    start = time.perf_counter()
                    model = GensimLDA(n_topics, random_state=seed, **params).fit(problem.corpus)
                    elapsed = time.perf_counter() - start
                    err = topic_word_error(problem.topic_word, model.topic_word_)
                    rows[name].append((err, oracle, elapsed))
            for seed in MODEL_SEEDS:
                start = time.perf_counter()
                model = NMF(n_topics, random_state=seed).fit(problem.corpus)
                elapsed = time.perf_counter() - start
                rows["NMF (KL) default"].append((topic_word_error(problem.topic_word, model.topic_word_),
                                                 oracle, elapsed))
            print(f"done: {n_words} words, {n_topics} topics, {n_domains} domains x {length} tokens, "
                  f"data seed {data_seed} (oracle error {oracle:.3f})", flush=True)
    n_fits = len(PROBLEMS) * len(DATA_SEEDS) * len(MODEL_SEEDS)
    per_problem = len(DATA_SEEDS) * len(MODEL_SEEDS)
    print(f"\n{n_fits} fits per setting ({len(PROBLEMS)} problems x {len(DATA_SEEDS)} data seeds x "
          f"{len(MODEL_SEEDS)} model seeds); error / oracle error, failed = error > {FAILED}")
    print(f"{'setting':62s} {'median':>7s} {'q90':>7s} {'failed':>7s} {'s/fit':>6s}")
    for name, values in rows.items():
        values = np.array(values)
        ratio = values[:, 0] / values[:, 1]
        print(f"{name:62s} {np.median(ratio):7.1f} {np.quantile(ratio, 0.9):7.1f} "
              f"{int((values[:, 0] > FAILED).sum()):3d}/{len(values):<3d} {values[:, 2].mean():6.2f}")
    print("\nper problem: median error / oracle error (failed fits)")
    print(f"{'setting':62s} " + " ".join(f"{'x'.join(map(str, p)):>18s}" for p in PROBLEMS))
    for name, values in rows.items():
        values = np.array(values)
        cells = []
        for i in range(len(PROBLEMS)):
            block = values[i * per_problem:(i + 1) * per_problem]
            cells.append(f"{np.median(block[:, 0] / block[:, 1]):10.1f} ({int((block[:, 0] > FAILED).sum())}/"
                         f"{per_problem})")
        print(f"{name:62s} " + " ".join(f"{c:>18s}" for c in cells))

if __name__ == "__main__":
    main()
