"""Comparison rows summarised over seeds, and the number formats every table uses."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["summarize", "format_params"]

_KEYS = ("problem", "method")
_NUMERIC = ("topic_word_error", "topic_word_error_oracle", "topic_word_error_ratio",
            "domain_topic_error", "domain_topic_error_oracle", "accuracy", "accuracy_bayes",
            "heldout_loglik", "heldout_loglik_truth", "heldout_zero_fraction", "coherence_umass",
            "topic_diversity", "duplicate_topics", "fit_time_s", "factorize_time_s",
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
