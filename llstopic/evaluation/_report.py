"""Turning comparison rows into a table, a verdict, JSON and a plot.

Pure formatting: nothing here fits a model.  The verdict is computed from the
numbers (which method is closest to the oracle, by how much, how much faster
one method is than another), never canned.
"""

from __future__ import annotations

import math

import numpy as np

from ._summary import _fmt, _mib, _secs, format_params, summarize
from ._verdict import _wrap, verdict

__all__ = ["summarize", "format_tables", "verdict", "jsonable", "plot", "format_params"]

def _grid(header, body):
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in [header] + body]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _describe(info):
    return _describe_problem(info) + _describe_estimate(info)


def _describe_estimate(info):
    estimate = info.get("n_topics_estimate")
    if estimate is None:
        return ""
    if not info.get("truth"):
        return f"; n_topics auto: estimated {estimate} (spectral)"
    text = f"; n_topics auto: estimated {estimate} (spectral), planted {info['n_topics']}"
    if estimate != info["n_topics"]:
        text += (" -- methods fit the estimate; recovery errors need the planted number and are "
                 "not reported")
    return text


def _describe_problem(info):
    if info["kind"] == "continuous":
        return (f"{info['n_domains']:,} domains x {info['tokens_per_domain']:,.0f} training examples, "
                f"{info['n_topics']} latent classes; accuracy on {info.get('n_test', 0):,} test examples; "
                "topic-word is p(cluster|y) against the one counted with the true labels")
    unit = "documents" if info["kind"] == "corpus" else "domains"
    text = (f"{info['n_domains']:,} {unit} x {info['tokens_per_domain']:,.0f} tokens, "
            f"{info['n_words']:,} words, {info['n_topics']} topics")
    if info.get("heldout"):
        text += (f"; methods fit {info['n_train_tokens']:,} tokens, "
                 f"{info['heldout']:.0%} of the tokens held out")
    return text


def format_tables(result):
    """One block per problem (or one sweep table), then the verdict."""
    if getattr(result, "sweep", None):
        return _sweep_table(result) + "\n\n" + verdict(result)
    summary = summarize(result)
    blocks = []
    for info in result.problems:
        rows = [s for s in summary if s["problem"] == info["name"]]
        title = f"{info['name']}: {_describe(info)}"
        if info["kind"] == "corpus":
            blocks.append(title + "\n" + _corpus_table(rows))
        else:
            blocks.append(title + "\n" + _truth_table(rows, info))
    kinds = {info["kind"] for info in result.problems}
    notes = []
    if "finite" in kinds:
        notes.append("topic-word: mean L1 distance of matched p(x|y) rows; x oracle: that error over "
                     "the oracle's; domain-topic: mean absolute error of p_d(y); accuracy: matched "
                     "accuracy of predict on every observation; held-out LL: log-likelihood per "
                     "held-out token (nats), p_d(y) from the other tokens of the domain.  The oracle "
                     "row counts p(x|y) and p_d(y) with the true labels and gives the accuracy of the "
                     "Bayes rule and the held-out LL of the true parameters.")
    if "continuous" in kinds:
        notes.append("Continuous problems: each method is the factorizer inside DDFA; fit s is the "
                     "whole DDFA fit (mostly its domain discriminator), factorize s the factorizer "
                     "alone; the oracle's accuracy is a supervised logistic regression on the true "
                     "labels shifted to each domain with the true p_d(y).")
    if "corpus" in kinds:
        notes.append("held-out LL: log-likelihood per held-out token (nats), document completion; "
                     "u_mass: gensim topic coherence on the corpus (higher is better).")
    notes.append("fit s excludes the warm-up (numba compilation or cache load, imports); peak MiB "
                 "is the growth of the process' peak resident memory during the fit.")
    notes = " ".join(notes)
    text = "\n\n".join(blocks) + "\n\n" + _wrap(notes)
    caught = _warning_lines(result)
    if caught:
        text += "\n\nwarnings during the fits:\n" + "\n".join(caught)
    return text + "\n\n" + _wrap(verdict(result))


def _warning_lines(rows, limit=200):
    """Each distinct warning once, with the (problem, method) pairs that raised it."""
    seen = {}
    for row in rows:
        for message in row.get("warnings") or ():
            seen.setdefault(message, [])
            where = f"{row['method']} ({row['problem']})"
            if where not in seen[message]:
                seen[message].append(where)
    return [f"  {', '.join(where)}: {message[:limit]}" for message, where in seen.items()]


def _truth_table(rows, info):
    continuous = info["kind"] == "continuous"
    header = ["method", "topic-word", "x oracle", "domain-topic", "accuracy",
              "factorize s" if continuous else "held-out LL", "fit s", "warm-up s", "peak MiB", "params"]
    body = []
    for s in rows:
        fifth = _secs(s.get("factorize_time_s")) if continuous else _fmt(s.get("heldout_loglik"), 3)
        body.append([s["method"], _fmt(s.get("topic_word_error"), 4, s.get("topic_word_error_std")),
                     _fmt(s.get("topic_word_error_ratio"), 2),
                     _fmt(s.get("domain_topic_error"), 4), _fmt(s.get("accuracy"), 3),
                     fifth, _secs(s.get("fit_time_s")),
                     _secs(s.get("warmup_time_s")), _mib(s.get("peak_memory_mb")),
                     s.get("params") or "-"])
    oracle = info["oracle"]
    if info["kind"] == "continuous":
        body.append(["oracle", "0 (ref.)", "-", _fmt(oracle["domain_topic_error"], 4),
                     _fmt(oracle["accuracy"], 3), "-", "-", "-", "-", "true labels"])
        return _grid(header, body)
    body.append(["oracle", _fmt(oracle["topic_word_error"], 4), "1.00",
                 _fmt(oracle["domain_topic_error"], 4), _fmt(oracle["accuracy"], 3),
                 _fmt(oracle["heldout_loglik"], 3), "-", "-", "-", "true labels"])
    return _grid(header, body)


def _corpus_table(rows):
    header = ["method", "held-out LL", "u_mass", "diversity", "dup.", "fit s", "warm-up s", "peak MiB",
              "params"]
    body = [[s["method"], _fmt(s.get("heldout_loglik"), 3), _fmt(s.get("coherence_umass"), 2),
             _fmt(s.get("topic_diversity"), 2), _fmt(s.get("duplicate_topics"), 0),
             _secs(s.get("fit_time_s")), _secs(s.get("warmup_time_s")),
             _mib(s.get("peak_memory_mb")), s.get("params") or "-"] for s in rows]
    text = _grid(header, body)
    for s in rows:
        text += f"\n\ntop words, {s['method']}:"
        for k, words in enumerate(s.get("top_words", [])):
            text += f"\n  {k:>2}: " + " ".join(words)
    return text


def _sweep_table(result):
    summary = summarize(result)
    methods = list(dict.fromkeys(s["method"] for s in summary))
    sizes = list(dict.fromkeys(s["tokens_per_domain"] for s in summary))
    by = {(s["tokens_per_domain"], s["method"]): s for s in summary}
    header = ["tokens/domain", "oracle"] + methods + [f"{m} fit s" for m in methods]
    body = []
    for size in sizes:
        first = by[(size, methods[0])]
        body.append([f"{size:,}", _fmt(first.get("topic_word_error_oracle"), 4)]
                    + [_fmt(by[(size, m)].get("topic_word_error"), 4) for m in methods]
                    + [_secs(by[(size, m)].get("fit_time_s")) for m in methods])
    info = result.problems[0]
    title = (f"topic-word L1 error as tokens per domain grow ({info['n_domains']} domains, "
             f"{info['n_words']:,} words, {info['n_topics']} topics)")
    return title + "\n" + _grid(header, body)


def jsonable(obj):
    """Plain JSON types: numpy scalars to Python, NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(float(obj)) else None
    return obj


def plot(result, path):
    """Save a PNG: the sweep curve, or bars of error-over-oracle and fit time per problem."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib, which is not installed: "
                          "pip install matplotlib (or llstopic[plot])") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarize(result)
    methods = list(dict.fromkeys(s["method"] for s in summary))
    if getattr(result, "sweep", None):
        fig, ax = plt.subplots(figsize=(6, 4.5))
        sizes = sorted(dict.fromkeys(s["tokens_per_domain"] for s in summary))
        by = {(s["tokens_per_domain"], s["method"]): s for s in summary}
        ax.loglog(sizes, [by[(n, methods[0])]["topic_word_error_oracle"] for n in sizes], "k--",
                  marker="o", label="oracle")
        for m in methods:
            ax.loglog(sizes, [by[(n, m)]["topic_word_error"] for n in sizes], marker="o", label=m)
        info = result.problems[0]
        ax.set_title(f"{info['n_domains']} domains, {info['n_words']:,} words, {info['n_topics']} topics",
                     fontsize=10)
        ax.set_xlabel("tokens per domain")
        ax.set_ylabel("topic-word L1 error")
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
    else:
        problems = [p["name"] for p in result.problems]
        truth = all(p["truth"] for p in result.problems)
        col = "topic_word_error_ratio" if truth else "heldout_loglik"
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        width = 0.8 / max(len(methods), 1)
        for j, m in enumerate(methods):
            vals = [next((s.get(col, np.nan) for s in summary
                          if s["problem"] == p and s["method"] == m), np.nan) for p in problems]
            times = [next((s.get("fit_time_s", np.nan) for s in summary
                           if s["problem"] == p and s["method"] == m), np.nan) for p in problems]
            x = np.arange(len(problems)) + j * width
            axes[0].bar(x, vals, width, label=m)
            axes[1].bar(x, times, width, label=m)
        for ax in axes:
            ax.set_xticks(np.arange(len(problems)) + width * (len(methods) - 1) / 2, problems)
        axes[0].set_ylabel("topic-word error / oracle error" if truth else "held-out LL per token")
        if truth:
            axes[0].axhline(1.0, color="k", ls="--", lw=1)
        axes[1].set_ylabel("fit time (s)")
        axes[1].set_yscale("log")
        axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
