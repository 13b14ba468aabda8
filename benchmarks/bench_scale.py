"""Factorizers on a NYTimes-shaped planted corpus, phase by phase (issues 12 and 18).

A planted corpus of 300,000 documents (about 90M tokens, 100,000 Zipf-like
words, 100 topics with anchor words; see ``benchmarks/_scale_corpus.py``) is
generated once into ``--workdir`` as UCI ``docword.txt.gz`` + ``vocab.txt``
and reused while its spec matches.  Then, in one process, each phase is
timed with its peak resident memory (VmHWM, reset before every phase through
``/proc/self/clear_refs``; freed heap is returned first with ``malloc_trim``
so that "RSS at start" is what the phase inherits):

1. ``Corpus.read_uci`` of the gzipped file;
2. ``Corpus.filter_words(keep_n=15000)`` (the unfiltered corpus is freed after);
3. the fit of each ``--methods`` factorizer (``make_factorizer``, defaults
   unless ``--set``), with its topic-word error against the planted topics
   restricted to the kept words and renormalised (``topic_word_error``,
   Hungarian matching), its p_d(y) error, the fit's own phase timings if it
   exposes them, and for anchor words how many anchors are planted ones;
4. optionally (``--baseline tomotopy``) tomotopy Gibbs LDA on the same
   filtered corpus: loading, then seconds per iteration.

A warm-up on a tiny planted corpus runs every method first, so numba
compilation and module imports are not in the timed phases (``--no-warmup``
to time a cold start).  Only llstopic's public API is used.

Targets (issue 12, full size, 2 cores): read + filter + anchor fit within
120 s, peak RSS within 6 GiB.

Usage::

    python benchmarks/bench_scale.py                      # full size, anchor
    python benchmarks/bench_scale.py --scale 0.1,1.0      # both sizes, with growth ratios
    python benchmarks/bench_scale.py --scale 0.1 --methods anchor,nmf --set nmf.max_iter=50
    python benchmarks/bench_scale.py --scale 0.1 --baseline tomotopy --baseline-iters 5
    python benchmarks/bench_scale.py --generate-only      # just (re)build the cached corpus
    python benchmarks/bench_scale.py --methods none       # read_uci and filter_words only
    python benchmarks/bench_scale.py --quick              # tiny corpus, a smoke test in seconds
"""

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, ".."))

import numpy as np  # noqa: E402

import llstopic  # noqa: E402

sys.path.insert(0, _HERE)
import _scale_corpus as sc  # noqa: E402
from _scale_report import GIB, Phase, cpu_text, print_growth, print_report  # noqa: E402

QUICK_BASE = dict(n_docs=3_000, n_words=5_000, n_topics=10, anchor_ranks=(20, 1_000))
QUICK_KEEP_N = 2_000
WARMUP_SPEC = dict(n_docs=600, n_words=3_000, n_topics=6, anchor_ranks=(20, 500), seed=12345)
# few iterations suffice to compile and import; the code paths are the same
WARMUP_PARAMS = {"nmf": {"max_iter": 5}, "lda": {"passes": 1, "n_init": 1}}
TIMING_ATTRIBUTES = ("fit_timings_", "timings_", "phase_timings_")
MODEL_FACTS = ("representation_", "min_count_", "n_candidates_", "projection_dim_", "n_iter_")


# ---------------------------------------------------------------- helpers
def machine_info():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "-C", _HERE, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    import numba
    return {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "cpu": cpu,
            "load_average": list(os.getloadavg()), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__,
            "numba_threads": numba.config.NUMBA_NUM_THREADS, "llstopic": llstopic.__version__,
            "llstopic_file": llstopic.__file__, "commit": commit,
            "memory_total_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB}


def parse_settings(items, methods):
    """``["anchor.tol=1e-5", ...]`` -> ``{"anchor": {"tol": 1e-5}}`` (values as JSON if they parse)."""
    params = {m: {} for m in methods}
    for item in items:
        key, sep, raw = item.partition("=")
        method, dot, name = key.partition(".")
        if not (sep and dot and name) or method not in params:
            raise SystemExit(f"--set {item!r}: expected METHOD.PARAM=VALUE with METHOD one of "
                             f"{', '.join(methods)}")
        try:
            params[method][name] = json.loads(raw)
        except json.JSONDecodeError:
            params[method][name] = raw
    return params


def model_facts(model):
    facts = {name: getattr(model, name) for name in MODEL_FACTS if hasattr(model, name)}
    timings = {}
    for name in TIMING_ATTRIBUTES + tuple(sorted(set(vars(model)) - set(TIMING_ATTRIBUTES))):
        value = getattr(model, name, None)
        if name.endswith("timings_") and isinstance(value, dict) and name not in timings:
            timings[name] = {str(k): v for k, v in value.items()}
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in facts.items()}, timings


def anchor_hits(model, kept_words, planted_anchors):
    """How many of ``model.anchors_`` are planted anchors, and of how many topics."""
    found = getattr(model, "anchors_", None)
    if found is None:
        return None
    topic_of = {int(w): y for y, row in enumerate(planted_anchors) for w in row}
    original = np.asarray(kept_words)[np.asarray(found, dtype=np.int64)]
    topics = [topic_of[int(w)] for w in original if int(w) in topic_of]
    return {"planted": len(topics), "of": int(original.size), "topics_covered": len(set(topics))}


# ----------------------------------------------------------------- phases
def fit_method(rows, name, corpus, n_topics, params, seed, truth, domain_topic_folder,
               planted_anchors):
    """Fit one factorizer as a phase, then score it (outside the phase)."""
    model = llstopic.make_factorizer(name, n_topics, random_state=seed, **params)
    with warnings.catch_warnings(record=True) as caught, \
            Phase(rows, f"fit {name}", method=name, params=params) as row:
        warnings.simplefilter("always")
        model.fit(corpus)
    row["warnings"] = sorted({str(w.message)[:200] for w in caught})
    row["facts"], row["model_timings"] = model_facts(model)
    permutation = llstopic.match_topics(truth, model.topic_word_)
    row["topic_word_error"] = llstopic.topic_word_error(truth, model.topic_word_,
                                                        permutation=permutation)
    if domain_topic_folder is not None:  # mapped here and released, not kept across fits
        row["domain_topic_error"] = llstopic.domain_topic_error(
            sc.load_domain_topic(domain_topic_folder), model.domain_topic_,
            permutation=permutation)
    hits = anchor_hits(model, corpus.kept_words, planted_anchors)
    if hits is not None:
        row["anchors"] = hits
    return model


def tomotopy_baseline(rows, corpus, n_topics, iterations, seed):
    import tomotopy as tp
    workers = len(os.sched_getaffinity(0))
    with Phase(rows, "tomotopy: add documents", method="tomotopy"):
        model = tp.LDAModel(k=n_topics, seed=seed)
        vocab = np.asarray(corpus.vocabulary, dtype=object)
        counts = corpus.counts
        indptr, indices, data = counts.indptr, counts.indices, counts.data
        for d in range(corpus.n_domains):
            lo, hi = indptr[d], indptr[d + 1]
            if hi > lo:
                model.add_doc(vocab[np.repeat(indices[lo:hi], data[lo:hi])].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "may differ even with fixed seed"
        with Phase(rows, "tomotopy: initialise (train(0))", method="tomotopy"):
            model.train(0, workers=workers)
        with Phase(rows, f"tomotopy: {iterations} Gibbs iterations", method="tomotopy",
                   iterations=iterations) as row:
            model.train(iterations, workers=workers)
    row["seconds_per_iteration"] = row["seconds"] / iterations
    row["ll_per_word"] = float(model.ll_per_word)
    row["workers"] = workers


def warm_up(args, methods, params):
    """Compile and import everything on a tiny corpus (not timed as a phase)."""
    start = time.perf_counter()
    spec = sc.CorpusSpec(**WARMUP_SPEC)
    folder, _ = sc.ensure_corpus(spec, args.workdir, log=lambda *a: None)
    corpus = llstopic.Corpus.read_uci(os.path.join(folder, "docword.txt.gz"),
                                      os.path.join(folder, "vocab.txt"))
    corpus = corpus.filter_words(keep_n=1_000)
    seconds = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in methods:
            t0 = time.perf_counter()
            settings = {**params[name], **WARMUP_PARAMS.get(name, {})}
            llstopic.make_factorizer(name, spec.n_topics, random_state=0, **settings).fit(corpus)
            seconds[name] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - start
    return seconds


def corpus_spec(args, scale):
    base = dict(QUICK_BASE) if args.quick else {}
    n_docs = base.pop("n_docs", sc.CorpusSpec.n_docs)
    base["n_docs"] = max(1, int(round(n_docs * scale)))
    if args.n_topics is not None:
        base["n_topics"] = args.n_topics
    return sc.CorpusSpec(seed=args.seed, **base)


def run_one(args, scale):
    """Generate (or reuse), read, filter, fit; returns the result dictionary."""
    methods = args.methods
    params = parse_settings(args.set, methods)
    spec = corpus_spec(args, scale)
    keep_n = args.keep_n if args.keep_n is not None else (QUICK_KEEP_N if args.quick else 15_000)
    result = {"machine": machine_info(), "command": shlex.join([sys.executable] + sys.argv),
              "scale": scale, "keep_n": keep_n, "methods": methods, "params": params, "rows": []}
    rows = result["rows"]
    print(f"corpus: {spec.n_docs:,} documents, {spec.n_words:,} words, {spec.n_topics} topics "
          f"(seed {spec.seed})", flush=True)

    tty = sys.stdout.isatty()

    def progress(done, total):
        if tty:
            print(f"\r  generated {done:,}/{total:,} documents", end="", flush=True)
        elif done == total or done * 10 // total != (done - spec.block_docs) * 10 // total:
            print(f"  generated {done:,}/{total:,} documents", flush=True)
    folder, info = sc.ensure_corpus(spec, args.workdir, regenerate=args.regenerate,
                                    progress=progress)
    if info["generated"] and tty:
        print()
    result["corpus"] = {"folder": folder, **info}
    stats = info["stats"]
    print(f"  {'generated' if info['generated'] else 'reused'}: {stats['n_tokens']:,} tokens, "
          f"nnz {stats['nnz']:,}, docword.txt.gz {stats['docword_bytes'] / 2**20:.0f} MiB, "
          f"generation {stats['seconds']['total']:.1f} s "
          f"(CPU {cpu_text(stats)}) "
          f"(at {'this' if info['generated'] else 'an earlier'} run's load)", flush=True)
    if args.generate_only:
        result["load_average_end"] = list(os.getloadavg())
        return result
    if not args.no_warmup:
        result["warmup_seconds"] = warm_up(args, methods, params)
        print("  warm-up on a tiny corpus (imports, numba compilation): " + ", ".join(
            f"{k} {v:.1f} s" for k, v in result["warmup_seconds"].items()), flush=True)
    docword, vocab = os.path.join(folder, "docword.txt.gz"), os.path.join(folder, "vocab.txt")
    with Phase(rows, "read_uci"):
        corpus = llstopic.Corpus.read_uci(docword, vocab)
    with Phase(rows, f"filter_words(keep_n={keep_n})") as row:
        filtered = corpus.filter_words(keep_n=keep_n)
    row["nnz_after"] = int(filtered.counts.nnz)
    row["tokens_after"] = int(filtered.n_tokens)
    del corpus, row
    topic_word, planted_anchors, _, _ = sc.load_planted(folder)
    kept = np.asarray(filtered.kept_words)
    truth = topic_word[:, kept]
    del topic_word
    truth /= truth.sum(axis=1, keepdims=True)
    result["planted_anchors_kept"] = int(np.isin(planted_anchors, kept).sum())
    for name in methods:
        fit_method(rows, name, filtered, spec.n_topics, params[name], args.seed, truth,
                   None if args.no_domain_error else folder, planted_anchors)
    if args.baseline == "tomotopy":
        tomotopy_baseline(rows, filtered, spec.n_topics, args.baseline_iters, args.seed)
    result["load_average_end"] = list(os.getloadavg())
    return result


# ------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1.0",
                        help="fraction(s) of the full 300,000 documents, comma-separated "
                             "(several: each in a fresh process, then a growth table)")
    parser.add_argument("--methods", default="anchor",
                        help="comma-separated factorizer names; none: only read and filter")
    parser.add_argument("--set", action="append", default=[], metavar="METHOD.PARAM=VALUE",
                        help="a factorizer parameter (JSON value), e.g. nmf.max_iter=50")
    parser.add_argument("--n-topics", type=int, default=None, help="planted and fitted topics (100)")
    parser.add_argument("--keep-n", type=int, default=None, help="filter_words(keep_n=...) (15000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(),
                                                          "llstopic-bench-scale"))
    parser.add_argument("--regenerate", action="store_true", help="ignore a cached corpus")
    parser.add_argument("--generate-only", action="store_true", help="only build the corpus")
    parser.add_argument("--no-warmup", action="store_true", help="time imports and compilation too")
    parser.add_argument("--no-domain-error", action="store_true",
                        help="skip the p_d(y) error (saves loading the planted p_d(y))")
    parser.add_argument("--baseline", choices=["tomotopy"], default=None)
    parser.add_argument("--baseline-iters", type=int, default=5)
    parser.add_argument("--json", default=None, help="write the results there")
    parser.add_argument("--quick", action="store_true", help="a tiny corpus: a smoke test")
    parser.add_argument("-v", "--verbose", action="store_true", help="llstopic logging at INFO")
    args = parser.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip() not in ("", "none")]
    unknown = sorted(set(args.methods) - set(llstopic.available()))
    if unknown:
        parser.error(f"unknown method(s) {unknown}; available: {llstopic.available()}")
    scales = [float(s) for s in args.scale.split(",")]
    if any(not 0 < s <= 10 for s in scales):
        parser.error(f"--scale values must be in (0, 10], got {args.scale}")
    if args.verbose:
        logging.basicConfig(format="%(asctime)s %(name)s: %(message)s")
        logging.getLogger("llstopic").setLevel(logging.INFO)
    if len(scales) == 1:
        result = run_one(args, scales[0])
        print_report(result)
        results = [result]
    else:
        results = []
        rest = _without_option(sys.argv[1:] if argv is None else argv, ("--scale", "--json"))
        for scale in scales:
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
                path = tmp.name
            subprocess.run([sys.executable, os.path.abspath(__file__), "--scale", str(scale),
                            "--json", path, *rest], check=True)
            with open(path) as f:
                results.append(json.load(f))
            os.unlink(path)
        print_growth(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results if len(results) > 1 else results[0], f, indent=1, default=str)


def _without_option(argv, names):
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item in names:
            skip = True
        elif not any(item.startswith(n + "=") for n in names):
            out.append(item)
    return out


if __name__ == "__main__":
    main()
