"""llstopic.distributed on the NYTimes-shaped corpus split into 16 files: 1 worker vs 2 (issue 17).

The planted corpus of ``bench_scale.py`` (``benchmarks/_scale_corpus.py``,
generated once into ``--workdir`` and reused) is split into 16 UCI files of
consecutive documents.  Then, for each cluster size of ``--workers``
(default ``1,2``), a ``LocalCluster`` of that many single-threaded worker
processes runs, phase by phase:

1. ``read_uci`` of the 16 files (one partition each);
2. ``filter_words(keep_n=...)``;
3. ``fit_anchor_words`` (``AnchorWords(n_topics, polish=False, tol=1e-12, random_state=seed)``:
   the polish is step 4, timed on its own; tol=1e-12 because the warm-started KL stops near its
   tolerance, so rounding-level differences of the reduced rows move it at the default 1e-6);
4. ``polish`` for ``--polish-iters`` EM passes (SQUAREM, tol 1e-15).

Each phase reports its wall seconds, the workers' compute seconds (from
Dask's task stream) and each worker's peak RSS.  The same phases run
single-process in this process first (``Corpus.read_uci`` of the 16 files
stacked, ``Corpus.filter_words``, ``AnchorWords.fit``, the single-process
polish), and the distributed results are checked against them.

The anchor recovery (one simplex problem per word) and the search run on the
client, as in a single-process fit: they are the serial part below, and at
100 topics they dominate (on 6,000 documents, keep_n 3,000: recovery 60 s of
a 94 s fit, p_d(y) 30 s, Q under 1 s of worker time per partition, measured
under load).

The **per-partition cost** is the workers' compute seconds of a phase per
partition, measured on the 1-worker cluster.  From it a cluster's time is
**projected** (not measured) as ``serial + per_partition * ceil(16 / W)``
with ``serial`` = the phase's wall time on 1 worker minus its compute time on
the worker (client work, scheduling, transfers -- assumed not to grow with
W, which is optimistic for transfers over a real network).

On a 2-core machine 2 workers cannot gain much: the client's own work (the
anchor search and recovery) competes with them for the same cores.

Usage::

    python benchmarks/bench_dask.py                     # 6,000 docs, 20 topics, keep_n 3000
    python benchmarks/bench_dask.py --scale 1 --n-topics 100 --keep-n 15000   # NYTimes size
    python benchmarks/bench_dask.py --quick             # a tiny corpus, a smoke test
"""

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import json
import logging
import math
import os
import sys
import tempfile
import time
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, ".."))
sys.path.insert(0, _HERE)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import llstopic  # noqa: E402
import _scale_corpus as sc  # noqa: E402

N_FILES = 16
QUICK_SPEC = dict(n_docs=3_000, n_words=5_000, n_topics=10, anchor_ranks=(20, 1_000))
QUICK_KEEP_N = 1_000
PHASES = ("read_uci", "filter_words", "fit_anchor_words", "polish")


# ------------------------------------------------------------------ corpus
def split_files(folder, n_files):
    """The corpus of ``folder`` as ``n_files`` UCI files of consecutive documents (cached)."""
    target = os.path.join(folder, f"split{n_files}")
    paths = [os.path.join(target, f"docword.{i:02d}.txt") for i in range(n_files)]
    done = os.path.join(target, "done")
    if os.path.exists(done):
        return paths
    os.makedirs(target, exist_ok=True)
    corpus = llstopic.Corpus.read_uci(os.path.join(folder, "docword.txt.gz"))
    bounds = np.linspace(0, corpus.n_domains, n_files + 1).round().astype(np.int64)
    for path, a, b in zip(paths, bounds[:-1], bounds[1:]):
        llstopic.Corpus(corpus.counts[a:b]).write_uci(path)
    open(done, "w").close()
    return paths


# ------------------------------------------------------------ measurement
def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


class Phase:
    """Wall time, workers' compute time by task name and their peak RSS of a block."""

    def __init__(self, rows, name, client=None):
        self.rows, self.client, self.row = rows, client, {"phase": name}

    def __enter__(self):
        print(f"  {self.row['phase']} ...", end="", flush=True)
        if self.client is not None:
            self.client.run(_reset_peak)
            from distributed import get_task_stream

            self.stream = get_task_stream(self.client)
            self.stream.__enter__()
        self.start = time.perf_counter()
        return self.row

    def __exit__(self, *exc):
        self.row["seconds"] = time.perf_counter() - self.start
        text = f" {self.row['seconds']:.2f} s"
        if self.client is not None:
            self.stream.__exit__(*exc)
            from dask.utils import key_split

            by_name = {}
            for task in self.stream.data:
                name = key_split(task["key"])
                for ss in task["startstops"]:
                    if ss["action"] == "compute":
                        by_name[name] = by_name.get(name, 0.0) + ss["stop"] - ss["start"]
            self.row["compute_by_task"] = by_name
            self.row["compute_seconds"] = sum(by_name.values())
            peaks = self.client.run(_peak_rss)
            self.row["worker_peak_rss"] = sorted(peaks.values())
            text += (f", workers computing {self.row['compute_seconds']:.2f} s, peak RSS per "
                     f"worker {', '.join(f'{p / 2**30:.2f}' for p in self.row['worker_peak_rss'])}"
                     " GiB")
        print(text, flush=True)
        self.rows.append(self.row)
        return False


# -------------------------------------------------------------------- runs
def single_process(paths, vocab, keep_n, n_topics, seed, polish_iters):
    from llstopic.factorizers._polish import polish

    rows, out = [], {}
    with Phase(rows, "read_uci"):
        first = llstopic.Corpus.read_uci(paths[0], vocab)
        blocks = [first.counts] + [llstopic.Corpus.read_uci(p).counts for p in paths[1:]]
        corpus = llstopic.Corpus(sp.vstack(blocks, format="csr"), vocabulary=first.vocabulary)
        del blocks, first
    with Phase(rows, "filter_words"):
        corpus = corpus.filter_words(keep_n=keep_n)
    with Phase(rows, "fit_anchor_words"):
        model = llstopic.AnchorWords(n_topics, polish=False, tol=1e-12, random_state=seed).fit(corpus)
    with Phase(rows, "polish"):
        result = polish(corpus, model.topic_word_, model.domain_topic_, max_iter=polish_iters,
                        tol=1e-15)
    out.update(rows=rows, model=model, polish=result)
    return out


def on_cluster(n_workers, paths, vocab, keep_n, n_topics, seed, polish_iters, warm, start):
    from distributed import Client, LocalCluster

    import llstopic.distributed as lld

    rows = []
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        t0 = time.perf_counter()
        tiny = lld.from_corpus(client, warm, 2)   # imports and numba (cached) on the workers
        topic_word = lld.fit_anchor_words(client, tiny, llstopic.AnchorWords(3, polish=False)).topic_word_
        lld.polish(client, tiny, topic_word, max_iter=2)
        print(f"  warm-up on the workers: {time.perf_counter() - t0:.1f} s", flush=True)
        del tiny
        with Phase(rows, "read_uci", client):
            corpus = lld.read_uci(client, paths, vocab=vocab)
        with Phase(rows, "filter_words", client):
            corpus = lld.filter_words(client, corpus, keep_n=keep_n)
        with Phase(rows, "fit_anchor_words", client):
            model = lld.fit_anchor_words(client, corpus,
                                         llstopic.AnchorWords(n_topics, polish=False, tol=1e-12, random_state=seed))
        with Phase(rows, "polish", client):
            # from the single-process start, so the comparison sees only the reductions
            result = lld.polish(client, corpus, *start, max_iter=polish_iters, tol=1e-15)
    return {"rows": rows, "model": model, "polish": result}


# ------------------------------------------------------------------ report
def agreement(single, dist):
    a, b = single["model"], dist["model"]
    return {"anchors_equal": bool(np.array_equal(a.anchors_, b.anchors_)),
            "topic_word_max_diff": float(np.abs(a.topic_word_ - b.topic_word_).max()),
            "domain_topic_max_diff": float(np.abs(a.domain_topic_ - b.domain_topic_).max()),
            "polish_topic_word_max_diff": float(np.abs(single["polish"].topic_word
                                                       - dist["polish"].topic_word).max()),
            "polish_loglik_diff": float(single["polish"].loglik_after
                                        - dist["polish"].loglik_after)}


def report(single, clusters, n_files):
    sizes = sorted(clusters)
    print("\nwall seconds per phase (measured on this machine, under its current load)")
    head = f"{'phase':<18}{'1 process':>11}" + "".join(f"{f'{n} worker(s)':>14}" for n in sizes)
    if 1 in clusters and 2 in clusters:
        head += f"{'1w / 2w':>9}"
    print(head)
    for i, phase in enumerate(PHASES):
        line = f"{phase:<18}{single['rows'][i]['seconds']:>11.2f}"
        line += "".join(f"{clusters[n]['rows'][i]['seconds']:>14.2f}" for n in sizes)
        if 1 in clusters and 2 in clusters:
            line += f"{clusters[1]['rows'][i]['seconds'] / clusters[2]['rows'][i]['seconds']:>9.2f}"
        print(line)
    base = clusters[min(sizes)]
    w0 = min(sizes)
    print(f"\nper-partition cost (workers' compute seconds / {n_files} partitions, "
          f"{w0} worker(s)) and a PROJECTION for W single-core workers:")
    print("  T(W) = serial + per_partition * ceil(partitions / W), serial = wall - compute / "
          f"{w0}  (projected, not measured)")
    widths = (16, 64)
    print(f"{'phase':<18}{'per partition':>14}{'serial':>9}" + "".join(f"{f'T({w})':>9}"
                                                                       for w in widths))
    for row in base["rows"]:
        per = row["compute_seconds"] / n_files
        serial = max(row["seconds"] - row["compute_seconds"] / w0, 0.0)
        proj = [serial + per * math.ceil(n_files / w) for w in widths]
        print(f"{row['phase']:<18}{per:>14.3f}{serial:>9.2f}" + "".join(f"{p:>9.2f}" for p in proj))
    print("  (with 16 files W > 16 cannot help: split the corpus into more files; transfers "
          "over a real network are not in the model)")
    print("\npeak RSS per worker (GiB) by phase:")
    for n in sizes:
        print(f"  {n} worker(s): " + ", ".join(
            f"{r['phase']} {max(r['worker_peak_rss']) / 2**30:.2f}" for r in clusters[n]["rows"]))
    print("\nagreement with the single-process fit:")
    for n in sizes:
        print(f"  {n} worker(s): {agreement(single, clusters[n])}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.02,
                        help="fraction of the full 300,000 documents (default 0.02)")
    parser.add_argument("--keep-n", type=int, default=None,
                        help="filter_words(keep_n=...) (3000; 15000 is bench_scale's)")
    parser.add_argument("--n-topics", type=int, default=None,
                        help="planted and fitted topics (20; bench_scale's corpus has 100)")
    parser.add_argument("--workers", default="1,2", help="cluster sizes, comma-separated")
    parser.add_argument("--polish-iters", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(),
                                                          "llstopic-bench-scale"))
    parser.add_argument("--json", default=None, help="write the measurements there")
    parser.add_argument("--quick", action="store_true", help="a tiny corpus: a smoke test")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 10:
        parser.error(f"--scale must be in (0, 10], got {args.scale}")
    sizes = sorted({int(w) for w in args.workers.split(",")})
    base = dict(QUICK_SPEC) if args.quick else {}
    n_docs = base.pop("n_docs", sc.CorpusSpec.n_docs)
    base["n_docs"] = max(N_FILES, int(round(n_docs * (1.0 if args.quick else args.scale))))
    n_topics = args.n_topics or (None if args.quick else 20)
    if n_topics is not None:
        base["n_topics"] = n_topics
    spec = sc.CorpusSpec(seed=args.seed, **base)
    keep_n = args.keep_n or (QUICK_KEEP_N if args.quick else 3_000)
    print(f"corpus: {spec.n_docs:,} documents, {spec.n_words:,} words, {spec.n_topics} topics, "
          f"{N_FILES} files, keep_n {keep_n}; load average {os.getloadavg()[0]:.1f}", flush=True)
    folder, info = sc.ensure_corpus(spec, args.workdir)
    paths = split_files(folder, N_FILES)
    vocab = os.path.join(folder, "vocab.txt")
    warm = llstopic.make_finite_lls(60, 3, 40, 30, alpha=1.0, beta=0.5, random_state=0).corpus
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    print("single process:", flush=True)
    single = single_process(paths, vocab, keep_n, spec.n_topics, args.seed, args.polish_iters)
    clusters = {}
    for n in sizes:
        print(f"LocalCluster of {n} worker process(es), 1 thread each:", flush=True)
        start = (single["model"].topic_word_, single["model"].domain_topic_)
        clusters[n] = on_cluster(n, paths, vocab, keep_n, spec.n_topics, args.seed,
                                 args.polish_iters, warm, start)
    report(single, clusters, N_FILES)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        out = {"spec": spec.as_dict(), "keep_n": keep_n, "single": single["rows"],
               "clusters": {n: c["rows"] for n, c in clusters.items()},
               "agreement": {n: agreement(single, c) for n, c in clusters.items()}}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)


if __name__ == "__main__":
    main()
