"""Turning comparison rows into a table, a verdict, JSON and a plot.

Pure formatting: nothing here fits a model.  The verdict is computed from the
numbers (which method is closest to the oracle, by how much, how much faster
one method is than another), never canned.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["summarize", "format_tables", "verdict", "jsonable", "plot", "format_params"]

_KEYS = ("problem", "method")
_NUMERIC = ("topic_word_error", "topic_word_error_oracle", "topic_word_error_ratio",
            "domain_topic_error", "domain_topic_error_oracle", "accuracy", "accuracy_bayes",
            "heldout_loglik", "heldout_loglik_truth", "coherence_umass", "fit_time_s", "factorize_time_s",
            "warmup_time_s", "peak_memory_mb")


def format_params(params):
    """``{"passes": 10}`` -> ``"passes=10"`` (sorted, for the table)."""
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()))


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(float(value))


def summarize(rows):
    """Mean and standard deviation over seeds of every numeric column, per (problem, method[, size])."""
    groups = {}
    for row in rows:
        key = (row.get("tokens_per_domain"),) + tuple(row[k] for k in _KEYS)
        groups.setdefault(key, []).append(row)
    out = []
    for key, members in groups.items():
        first = members[0]
        summary = {k: first[k] for k in _KEYS}
        if key[0] is not None:
            summary["tokens_per_domain"] = key[0]
        summary["params"] = first.get("params", "")
        summary["n_seeds"] = len(members)
        for col in _NUMERIC:
            values = [float(r[col]) for r in members if _is_number(r.get(col))]
            if values:
                summary[col] = float(np.mean(values))
                summary[col + "_std"] = float(np.std(values)) if len(values) > 1 else 0.0
        if "top_words" in first:
            summary["top_words"] = first["top_words"]
        out.append(summary)
    return out


# ------------------------------------------------------------------ tables
def _fmt(value, digits=3, std=None):
    if value is None or not _is_number(value):
        return "-"
    text = f"{value:.{digits}f}"
    if std:
        text += f"±{std:.{digits}f}"
    return text


def _secs(value):
    if value is None or not _is_number(value):
        return "-"
    if value < 1:
        return f"{value:.2f}"
    if value < 10:
        return f"{value:.1f}"
    return f"{value:.0f}"


def _mib(value):
    if value is None or not _is_number(value):
        return "-"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _grid(header, body):
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in [header] + body]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _describe(info):
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
    header = ["method", "held-out LL", "u_mass", "fit s", "warm-up s", "peak MiB", "params"]
    body = [[s["method"], _fmt(s.get("heldout_loglik"), 3), _fmt(s.get("coherence_umass"), 2),
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


def _wrap(text, width=100):
    import textwrap

    return textwrap.fill(text, width)


# ------------------------------------------------------------------ verdict
def _ratio_phrase(fast, slow):
    """'12x faster' / '3.1x slower' for times fast vs slow."""
    if fast <= 0 or slow <= 0:
        return "about as fast as"
    r = slow / fast
    if r >= 1:
        return f"{r:.0f}x faster than" if r >= 10 else f"{r:.1f}x faster than"
    return f"{1 / r:.1f}x slower than"


def verdict(result):
    """One paragraph computed from the numbers."""
    if getattr(result, "sweep", None):
        return _sweep_verdict(result)
    summary = summarize(result)
    sentences, winners = [], {}
    for info in result.problems:
        rows = [s for s in summary if s["problem"] == info["name"]]
        if not rows:
            continue
        if info["truth"]:
            sentences += _truth_sentences(rows, info, winners)
        else:
            sentences += _corpus_sentences(rows, info)
    if len(winners) > 1:
        names = set(winners.values())
        if len(names) == 1:
            sentences.append(f"{names.pop()} recovers p(x|y) best in every problem.")
        else:
            sentences.append("The best method depends on the regime: " + "; ".join(
                f"{m} in the {p}" for p, m in winners.items()) + ".")
    return " ".join(sentences)


def _speed_sentence(rows):
    key = "factorize_time_s" if any(_is_number(s.get("factorize_time_s")) for s in rows) else "fit_time_s"
    times = {s["method"]: s.get(key) for s in rows if _is_number(s.get(key))}
    what = "the factorization step of " if key == "factorize_time_s" else ""
    if "anchor" in times and "lda" in times:
        lda = next(s for s in rows if s["method"] == "lda")
        passes = f", LDA with {lda['params']}" if lda.get("params") else ""
        return (f"{what}anchor fits {_ratio_phrase(times['anchor'], times['lda'])} LDA "
                f"({_secs(times['anchor'])} s against {_secs(times['lda'])} s{passes}).")
    if len(times) > 1:
        fastest = min(times, key=times.get)
        return f"{what}{fastest} fits fastest ({_secs(times[fastest])} s)."
    return ""


def _continuous_sentences(rows, info, winners):
    ranked = sorted((s for s in rows if _is_number(s.get("domain_topic_error"))),
                    key=lambda s: s["domain_topic_error"])
    out = []
    if ranked:
        best = ranked[0]
        winners[info["name"]] = best["method"]
        others = ", ".join(f"{s['method']} {s['domain_topic_error']:.4f}" for s in ranked[1:])
        out.append(f"On {info['name']} (continuous inputs, {info['n_domains']} domains; each method "
                   f"is DDFA's factorizer), {best['method']} recovers p_d(y) best: mean absolute "
                   f"error {best['domain_topic_error']:.4f} against the oracle's "
                   f"{info['oracle']['domain_topic_error']:.4f}" + (f" ({others})." if others else "."))
    acc = [s for s in rows if _is_number(s.get("accuracy"))]
    if acc:
        top = max(acc, key=lambda s: s["accuracy"])
        out.append(f"{top['method']} labels {top['accuracy']:.1%} of the test examples correctly "
                   f"without seeing a label, against {info['oracle']['accuracy']:.1%} for a "
                   "supervised logistic regression trained on the true labels.")
    speed = _speed_sentence(rows)
    if speed:
        out.append(speed[0].upper() + speed[1:])
    return out


def _truth_sentences(rows, info, winners):
    if info["kind"] == "continuous":
        return _continuous_sentences(rows, info, winners)
    ranked = sorted((s for s in rows if _is_number(s.get("topic_word_error_ratio"))),
                    key=lambda s: s["topic_word_error_ratio"])
    out = []
    if ranked:
        best = ranked[0]
        winners[info["name"]] = best["method"]
        others = ", ".join(f"{s['method']} {s['topic_word_error_ratio']:.1f}x" for s in ranked[1:])
        where = (f"In the {info['name']} ({info['n_domains']:,} domains of "
                 f"{info['tokens_per_domain']:,.0f} tokens), ")
        ratio = (f"topic-word error is {best['topic_word_error_ratio']:.2f}x the oracle's "
                 f"{info['oracle']['topic_word_error']:.3f}")
        if others:
            out.append(f"{where}{best['method']} comes closest to the oracle: its {ratio} ({others}).")
        else:
            out.append(f"{where}{best['method']}'s {ratio}.")
    acc = [s for s in rows if _is_number(s.get("accuracy"))]
    if acc:
        top = max(acc, key=lambda s: s["accuracy"])
        out.append(f"{top['method']} labels {top['accuracy']:.1%} of the observations correctly, "
                   f"against {info['oracle']['accuracy']:.1%} for the Bayes rule with the true "
                   "parameters.")
    speed = _speed_sentence(rows)
    if speed:
        out.append(speed[0].upper() + speed[1:])
    return out


def _corpus_sentences(rows, info):
    out = []
    ll = [s for s in rows if _is_number(s.get("heldout_loglik"))]
    coh = [s for s in rows if _is_number(s.get("coherence_umass"))]
    if ll:
        best = max(ll, key=lambda s: s["heldout_loglik"])
        out.append(f"On the {info['name']}, {best['method']} predicts held-out tokens best "
                   f"({best['heldout_loglik']:.3f} nats per token"
                   + "".join(f", {s['method']} {s['heldout_loglik']:.3f}" for s in ll if s is not best)
                   + ").")
    if coh:
        best = max(coh, key=lambda s: s["coherence_umass"])
        out.append(f"{best['method']} has the most coherent topics (u_mass "
                   f"{best['coherence_umass']:.2f}).")
    speed = _speed_sentence(rows)
    if speed:
        out.append(speed[0].upper() + speed[1:])
    return out


def _slope(sizes, errors):
    sizes, errors = np.asarray(sizes, float), np.asarray(errors, float)
    ok = (errors > 0) & (sizes > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes[ok]), np.log(errors[ok]), 1)[0])


def _sweep_verdict(result):
    summary = summarize(result)
    methods = list(dict.fromkeys(s["method"] for s in summary))
    sizes = sorted(dict.fromkeys(s["tokens_per_domain"] for s in summary))
    by = {(s["tokens_per_domain"], s["method"]): s for s in summary}
    oracle = [by[(n, methods[0])]["topic_word_error_oracle"] for n in sizes]
    out = [f"As tokens per domain grow from {sizes[0]:,} to {sizes[-1]:,}, the oracle's topic-word "
           f"error falls from {oracle[0]:.3f} to {oracle[-1]:.3f} (log-log slope "
           f"{_slope(sizes, oracle):.2f}; -0.5 is the parametric rate)."]
    for m in methods:
        errs = [by[(n, m)]["topic_word_error"] for n in sizes]
        out.append(f"{m}: {errs[0]:.3f} to {errs[-1]:.3f}, slope {_slope(sizes, errs):.2f}, "
                   f"{errs[-1] / oracle[-1]:.1f}x the oracle at the largest size.")
    return _wrap(" ".join(out))


# ------------------------------------------------------------------ JSON and plots
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
