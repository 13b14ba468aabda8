"""The verdict of a comparison: sentences computed from its numbers, never canned."""

from __future__ import annotations


import numpy as np

from ._summary import _is_number, _secs, summarize

__all__ = ["verdict"]


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
