"""How well does ``select_n_topics`` find the number of latent labels?

Run from the repository root:  python benchmarks/bench_select.py [--quick] [--seeds N]

1. **Planted finite LLS problems** (``make_finite_lls``) in two regimes --
   few long domains (``n_domains = max(10, 2 n_topics)``, 500, 2,000 or
   20,000 tokens each, 1,000 words) and many short documents (2,000
   documents of 20, 50 or 100 tokens, 500 words) -- with n_topics in 3..30, with one anchor word
   per topic and without anchors, and p_d(y) nearly pure (``alpha=1``,
   condition number at most 5) or mixed (``alpha=10``, condition number at
   most 20).
   For each problem: the spectral estimate (default candidates), its time,
   and the time of one ``AnchorWords(n_topics)`` fit of the same corpus.

   **Identifiable** problems: the oracle (p(x|y) counted with the true labels)
   has a topic-word error below half the error of the best model that
   merges two true topics.  The merged model replaces topics i and j by
   their mixture ``(pi_i p(x|i) + pi_j p(x|j)) / (pi_i + pi_j)`` (pi the label
   frequencies) in both slots; its error is the mean over topics of the L1
   distance to the truth, minimised over pairs.  Below that line the sample
   cannot tell the two closest topics apart even with the labels, and no
   estimate of their number is meaningful.  Averaged over all n_topics
   topics, the merge error shrinks like 2 / n_topics while the oracle's does
   not, so for many topics almost no problem passes; the table also gives
   the criterion per merged topic (the merge error over the two merged
   topics only, against the oracle's mean error per topic).  The target: the estimate equals
   the truth on at least 90% of the identifiable problems.

2. **Continuous**: DDFA with ``n_topics="auto"`` on scikit-learn's digits
   (``load_digits_lls``): digit pairs (5 latent classes, 10 domains) and the
   ten digits (10 classes, 20 domains, as in ``bench_ddfa.py``), 3 seeds; the
   target is the true number in at least 2 of 3 seeds.

Timings are wall-clock seconds of one run each, after a warm-up (numba
compilation) -- on a shared machine they are rough.
"""

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llstopic import AnchorWords, DDFA, make_finite_lls, select_n_topics  # noqa: E402
from llstopic.datasets import load_digits_lls  # noqa: E402
from llstopic.metrics import oracle_topic_word, topic_word_error  # noqa: E402

REGIMES = {
    "few long domains": dict(n_words=1000, tokens=(500, 2_000, 20_000)),
    "many short documents": dict(n_words=500, n_domains=2000, tokens=(20, 50, 100)),
}
#: (alpha, max_condition) of p_d(y): nearly pure domains, and mixed ones whose
#: condition number is allowed up to 20
MIXING = ((1.0, 5.0), (10.0, 20.0))
N_TOPICS = (3, 5, 8, 12, 20, 30)


def merge_error(problem):
    """(Smallest topic-word error of a model that merges two true topics, the same per merged
    topic); see the module docstring."""
    true = problem.topic_word
    k = true.shape[0]
    prior = np.bincount(problem.labels, minlength=k).astype(float)
    prior /= prior.sum()
    best = np.inf
    for i in range(k):
        for j in range(i + 1, k):
            merged = (prior[i] * true[i] + prior[j] * true[j]) / max(prior[i] + prior[j], 1e-300)
            best = min(best, np.abs(true[i] - merged).sum() + np.abs(true[j] - merged).sum())
    return best / k, best / 2


def planted(regime, n_topics, tokens, anchors, mixing, seed):
    spec = REGIMES[regime]
    n_domains = spec.get("n_domains", max(10, 2 * n_topics))
    alpha, condition = mixing
    return make_finite_lls(spec["n_words"], n_topics, n_domains, tokens, alpha=alpha, beta=0.1,
                           anchors_per_topic=anchors, max_condition=condition,
                           random_state=1000 * seed + 7 * n_topics + tokens % 97 + anchors)


def run_finite(seeds, quick):
    rows = []
    n_topics_list = (3, 8, 20) if quick else N_TOPICS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = planted("few long domains", 3, 2000, 1, MIXING[0], 99)
        select_n_topics(warm.corpus, random_state=0)
        AnchorWords(3, random_state=0).fit(warm.corpus)
        warm = planted("many short documents", 3, 50, 1, MIXING[0], 99)
        AnchorWords(3, random_state=0).fit(warm.corpus)
        for regime, spec in REGIMES.items():
            for n_topics in n_topics_list:
                for tokens in spec["tokens"]:
                    for anchors in (1, 0):
                        for mixing in MIXING:
                            for seed in range(seeds):
                                try:
                                    problem = planted(regime, n_topics, tokens, anchors, mixing, seed)
                                except ValueError:        # no p_d(y) met the condition bound
                                    print(f"  {regime:21s} K={n_topics:2d} alpha={mixing[0]:g}: no "
                                          f"p_d(y) with condition <= {mixing[1]:g}; skipped")
                                    continue
                                rows.append(measure(problem, regime, tokens, anchors, mixing, seed))
                                r = rows[-1]
                                print(f"  {regime:21s} K={n_topics:2d} tokens={tokens:6d} "
                                      f"anchors={anchors} alpha={mixing[0]:2.0f} cond={r['condition']:5.1f} "
                                      f"seed={seed}: estimate {r['estimate']:3d}  identifiable "
                                      f"{r['identifiable']!s:5s}/{r['identifiable_per_topic']!s:5s} "
                                      f"(oracle {r['oracle']:.3f}, merge {r['merge']:.3f} / "
                                      f"{r['merge_per_topic']:.3f})  "
                                      f"select {r['select_s']:.3f}s  anchor {r['anchor_s']:.3f}s",
                                      flush=True)
    return rows


def measure(problem, regime, tokens, anchors, mixing, seed):
    k = problem.n_topics
    oracle = topic_word_error(problem.topic_word, oracle_topic_word(
        problem.words, problem.labels, problem.corpus.n_words, k), permutation=np.arange(k))
    merge, merge_per_topic = merge_error(problem)
    start = time.perf_counter()
    result = select_n_topics(problem.corpus, random_state=0)
    select_s = time.perf_counter() - start
    start = time.perf_counter()
    AnchorWords(k, random_state=0).fit(problem.corpus)
    anchor_s = time.perf_counter() - start
    return {"regime": regime, "n_topics": k, "tokens": tokens, "anchors": anchors,
            "alpha": mixing[0], "condition": float(np.linalg.cond(problem.domain_topic)),
            "seed": seed, "estimate": result.n_topics, "oracle": oracle, "merge": merge,
            "merge_per_topic": merge_per_topic, "identifiable": bool(oracle < 0.5 * merge),
            "identifiable_per_topic": bool(oracle < 0.5 * merge_per_topic),
            "select_s": select_s, "anchor_s": anchor_s, "space": result.space}


def report_finite(rows):
    print("\nSpectral estimate on planted problems: exact = estimate equals the planted n_topics")
    print("identifiable: oracle error < half the merge error (mean over all topics, the stated "
          "criterion); per merged topic: the same with the merge error per merged topic")
    print(f"{'regime':22s} {'problems':>8s} {'ident.':>6s} {'exact|ident.':>13s} "
          f"{'ident./topic':>12s} {'exact|id/topic':>15s} {'exact (all)':>13s} {'select/anchor time':>28s}")
    for regime in list(REGIMES) + ["all"]:
        sub = [r for r in rows if regime in ("all", r["regime"])]
        ident = [r for r in sub if r["identifiable"]]
        ident_t = [r for r in sub if r["identifiable_per_topic"]]

        def exact(group):
            hits = sum(r["estimate"] == r["n_topics"] for r in group)
            return f"{hits:4d} ({hits / max(len(group), 1):6.1%})"

        ratio = np.array([r["select_s"] / r["anchor_s"] for r in sub])
        print(f"{regime:22s} {len(sub):8d} {len(ident):6d} {exact(ident):>13s} {len(ident_t):12d} "
              f"{exact(ident_t):>15s} {exact(sub):>13s}   median {np.median(ratio):.2f}x, "
              f"max {ratio.max():.2f}x")
    misses = [r for r in rows if r["estimate"] != r["n_topics"]]
    if misses:
        print("problems missed (all):")
        for r in misses:
            print(f"  {r['regime']}, K={r['n_topics']}, tokens={r['tokens']}, anchors={r['anchors']}, "
                  f"alpha={r['alpha']:g}, cond={r['condition']:.1f}, seed {r['seed']}: estimate "
                  f"{r['estimate']}; identifiable {r['identifiable']} / per topic "
                  f"{r['identifiable_per_topic']}")
    slower = [r for r in rows if r["select_s"] >= r["anchor_s"]]
    print(f"problems where the estimate took at least as long as one anchor fit: {len(slower)} "
          f"of {len(rows)}")


def run_heldout(seeds):
    """The held-out method (document completion, anchor fits) on a few planted problems."""
    print("\nHeld-out method (candidates 1..min(2 n_topics, training domains)) beside the "
          "spectral estimate")
    hits = total = 0
    for regime, spec in REGIMES.items():
        tokens = spec["tokens"][1]
        for n_topics in (3, 8, 12):
            for seed in range(seeds):
                problem = planted(regime, n_topics, tokens, 1, MIXING[0], seed)
                n_domains = problem.corpus.n_domains
                n_train = n_domains if n_domains < 20 else n_domains - max(2, round(0.2 * n_domains))
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    held = select_n_topics(problem.corpus, method="heldout",
                                           candidates=range(1, min(2 * n_topics, n_train) + 1),
                                           random_state=0)
                held_s = time.perf_counter() - start
                start = time.perf_counter()
                spectral = select_n_topics(problem.corpus, random_state=0)
                spectral_s = time.perf_counter() - start
                hits += held.n_topics == n_topics
                total += 1
                print(f"  {regime:21s} K={n_topics:2d} tokens={tokens}: held-out {held.n_topics:2d} "
                      f"({held_s:.2f} s, split by {held.details['split']}), spectral "
                      f"{spectral.n_topics:2d} ({spectral_s:.3f} s)")
    print(f"  held-out estimate exact on {hits} of {total}")


def run_continuous(n_seeds):
    settings = [("digit pairs (5 classes, 10 domains)", dict(grouping="pairs"), 5),
                ("ten digits (10 classes, 20 domains)",
                 dict(grouping="digits", n_domains=20, alpha=0.5, max_condition=4), 10)]
    print("\nDDFA(n_topics='auto') on digits")
    for name, kwargs, truth in settings:
        estimates, times = [], []
        for seed in range(n_seeds):
            data = load_digits_lls(random_state=seed, **kwargs)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = DDFA("auto", factorizer="anchor", random_state=seed).fit(
                    data.X_train, data.domains_train)
            times.append(time.perf_counter() - start)
            estimates.append(model.n_topics_)
        hits = sum(e == truth for e in estimates)
        print(f"  {name}: estimates {estimates} (truth {truth}): {hits} of {n_seeds} seeds; "
              f"DDFA fit with the estimate {np.mean(times):.1f} s on average")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="seeds per planted setting (default 1)")
    parser.add_argument("--quick", action="store_true", help="n_topics 3, 8, 20 only")
    parser.add_argument("--skip-continuous", action="store_true")
    parser.add_argument("--skip-finite", action="store_true")
    parser.add_argument("--heldout", action="store_true",
                        help="also run the held-out method on a few problems")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    if not args.skip_finite:
        report_finite(run_finite(args.seeds, args.quick))
    if args.heldout:
        run_heldout(args.seeds)
    if not args.skip_continuous:
        run_continuous(3)


if __name__ == "__main__":
    main()
