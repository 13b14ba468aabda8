"""The engine behind ``llstopic compare``: factorizers side by side.

:func:`compare` fits each method on one problem and measures it:

* a finite LLS problem with known truth (:class:`~llstopic.synthetic.LLSProblem`):
  topic-word and domain-topic error after matching topics, beside the
  *oracle* (the same quantities counted with the true labels), matched
  accuracy of ``predict`` beside the Bayes rule with the true parameters,
  and held-out log-likelihood per token beside the true model's;
* a continuous problem (``load_digits_lls``): each method as the factorizer
  inside :class:`~llstopic.continuous.DDFA`;
* a user :class:`~llstopic.Corpus` without truth: held-out log-likelihood,
  u_mass topic coherence (gensim) and the top words of each topic.

Every method is also timed (numba compilation and imports are paid by a
warm-up fit on a small slice of the data, reported separately) and its peak
memory measured.  :func:`sweep_tokens` repeats a finite comparison as the
tokens per domain grow (the error-versus-sample-size curve of the anchor-word
paper).  Results are a :class:`Comparison`: a list of row dicts that prints
as a table, computes its own verdict and converts to pandas or JSON.
"""

from __future__ import annotations

import json
import logging
import time
import tracemalloc
import warnings

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from numbers import Real

import numpy as np

from . import _report
from ._memory import PeakMemory
from ._progress import progress_bar
from .._typing import Path, Seed

if TYPE_CHECKING:
    from ..synthetic import LLSProblem
from .._validation import Interval, Options, check_param, check_positive_int, check_random_state

__all__ = ["compare", "sweep_tokens", "Comparison", "DEFAULT_METHODS", "DEFAULT_PROBLEMS",
           "make_default_problem"]

logger = logging.getLogger(__name__)

DEFAULT_METHODS = ("anchor", "nmf", "lda")

#: The two problems of ``llstopic compare`` without arguments (``make_finite_lls`` keywords).
#: Sizes are chosen so that all three methods fit both in well under a minute on two
#: cores, numba compilation included.
DEFAULT_PROBLEMS: dict[str, dict[str, Any]] = {
    "LLS regime": dict(n_words=1000, n_topics=8, n_domains=16, tokens_per_domain=40_000,
                       alpha=1.0, beta=0.1, anchors_per_topic=1, max_condition=20.0),
    "topic-model regime": dict(n_words=1000, n_topics=8, n_domains=3000, tokens_per_domain=100,
                               alpha=1.0, beta=0.1, anchors_per_topic=1, max_condition=None),
}

#: Tokens per domain of the default ``--sweep tokens`` curve (LLS-regime problem).
DEFAULT_SWEEP = (500, 1000, 3000, 10_000, 30_000, 100_000)


def make_default_problem(regime: str = "LLS regime", *, random_state: Seed = 0,
                         **overrides: Any) -> LLSProblem:
    """One of the built-in comparison problems, with keyword overrides.

    Parameters
    ----------
    regime : {"LLS regime", "topic-model regime"}
        Few long domains, or many short documents; see :data:`DEFAULT_PROBLEMS`.
    random_state : None, int or numpy.random.Generator
        Seed of the data.
    **overrides
        Any keyword of :func:`~llstopic.synthetic.make_finite_lls`.

    Returns
    -------
    LLSProblem
    """
    from ..synthetic import make_finite_lls

    regime = check_param(regime, "regime", [Options(tuple(DEFAULT_PROBLEMS))])
    params = {**DEFAULT_PROBLEMS[regime], **overrides}
    return make_finite_lls(random_state=random_state, **params)


# ------------------------------------------------------------------ results
class Comparison(list):
    """Result of :func:`compare`: one dict per (problem, method, seed).

    A plain ``list`` of row dicts (so ``pandas.DataFrame(result)`` works),
    plus ``problems``: one dict per problem with its description and the
    oracle figures.  ``str(result)`` is the readable table.
    """

    sweep: str   # set on sweep_tokens' result only: the column that varies

    def __init__(self, rows: Iterable[dict] = (), problems: Iterable[dict] = ()) -> None:
        super().__init__(rows)
        self.problems = list(problems)

    @classmethod
    def concat(cls, comparisons: Iterable[Comparison]) -> Comparison:
        """Join several comparisons (e.g. one per regime) into one."""
        out = cls()
        for comp in comparisons:
            out.extend(comp)
            out.problems.extend(getattr(comp, "problems", []))
        return out

    def summary(self) -> list[dict]:
        """Mean (and spread) of every numeric column per (problem, method): a list of dicts."""
        return _report.summarize(self)

    def table(self) -> str:
        """The readable table, one block per problem, as a string."""
        return _report.format_tables(self)

    def verdict(self) -> str:
        """One paragraph stating what the numbers show, computed from them."""
        return _report.verdict(self)

    def to_frame(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (pandas is optional)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_frame() needs pandas, which is not installed; the rows are plain "
                              "dicts (list(result)) and to_json() needs nothing") from None
        return pd.DataFrame(list(self))

    def to_json(self, path: Path | None = None) -> str:
        """The problems, rows and verdict as JSON text; written to ``path`` when given."""
        from .._version import __version__

        doc = {"llstopic_version": __version__, "problems": self.problems, "rows": list(self),
               "verdict": self.verdict()}
        text = json.dumps(_report.jsonable(doc), indent=1)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return text

    def plot(self, path: Path) -> None:
        """Save a PNG of the comparison (or of the sweep curve) to ``path``; needs matplotlib."""
        _report.plot(self, path)

    def __str__(self):
        return self.table()

    def __repr__(self) -> str:
        names = ", ".join(p["name"] for p in self.problems)
        return f"Comparison({len(self)} rows; problems: {names})"


# ------------------------------------------------------------------ engine
def compare(problem: Any, methods: Sequence[str] = DEFAULT_METHODS, *, seeds: Sequence[int] = (0,),
            method_params: Mapping[str, Mapping[str, Any]] | None = None,
            n_topics: int | str | None = None, heldout: float = 0.1, random_state: Seed = 0,
            memory: str | None = "auto", n_top_words: int = 10, name: str | None = None,
            progress: bool = True, warmup: bool = True) -> Comparison:
    """Fit several factorizers on one problem and measure each.

    Parameters
    ----------
    problem : LLSProblem, continuous problem or Corpus
        An ``LLSProblem`` from :func:`~llstopic.make_finite_lls` (finite
        inputs with known truth), a problem from ``load_digits_lls``
        (continuous inputs; each method runs inside ``DDFA``), or a
        :class:`~llstopic.Corpus` without truth.
    methods : sequence of str, default=("anchor", "nmf", "lda")
        Factorizer names (see :func:`llstopic.available`).
    seeds : int or sequence of int, default=(0,)
        ``random_state`` of each method's fits; one row per method and seed.
    method_params : dict of str to dict, optional
        Extra keyword arguments per method, e.g. ``{"lda": {"passes": 10}}``.
    n_topics : int or "auto", optional
        Number of topics; defaults to the problem's (required for a Corpus).
        ``"auto"``: estimated once per problem by :func:`llstopic.select_n_topics`
        (spectral) and reported beside the planted number; methods are fitted
        with the estimate, and recovery errors are reported only when it
        equals the planted number.
    heldout : float, default=0.1
        Share of the tokens held out (document completion): methods fit on
        the rest, their ``domain_topic_`` and ``topic_word_`` score the held-out
        tokens.  ``0`` fits on everything and skips the held-out score.  The
        oracle is counted on the same training tokens the methods see.
        Continuous problems are not split.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the held-out split (fixed, so every method sees the same data).
    memory : {"auto", "rss", "tracemalloc", None}
        Peak memory of each fit.  ``"rss"``: growth of the process' peak
        resident memory during the fit (Linux; the C heap is trimmed first;
        counts every allocation, numba's and gensim's C code's included,
        plus allocator overhead, and costs nothing).
        ``"tracemalloc"``: peak of Python's allocation tracer, measured in a
        *separate* fit because tracing slowed gensim LDA 6x; it sees numpy
        and numba arrays but not memory that C extensions allocate with
        plain malloc.  ``"auto"``: ``"rss"`` where
        available, else none.
    n_top_words : int, default=10
        Top words per topic kept (Corpus) and used for coherence.
    name : str, optional
        Problem name used in the table.
    progress : bool, default=True
        Show a progress bar on stderr (only when stderr is a terminal).
    warmup : bool, default=True
        Before timing, fit each method once on a small slice of the data so
        that numba compilation (or cache loading) and imports are not timed;
        their cost is reported as ``warmup_time_s``.

    Returns
    -------
    Comparison
        One row dict per method and seed; see the module docstring.

    Examples
    --------
    >>> from llstopic import compare, make_finite_lls
    >>> problem = make_finite_lls(200, 3, 6, 5000, alpha=1.0, beta=0.1, random_state=0)
    >>> result = compare(problem, ["anchor", "nmf"], progress=False)   # doctest: +SKIP
    >>> print(result)                                                   # doctest: +SKIP
    """
    spec = _check_common(problem, methods, seeds, method_params, n_topics, heldout, memory,
                         n_top_words)
    rng = check_random_state(random_state)
    task = _make_task(problem, spec, rng, name)
    steps = len(spec["methods"]) * (len(spec["seeds"]) + (1 if warmup else 0))
    with progress_bar(steps, f"compare: {task.name}", enabled=progress) as bar:
        rows = _run(task, spec, bar, warmup)
    return Comparison(rows, [task.info])


def sweep_tokens(tokens_per_domain: Sequence[int] = DEFAULT_SWEEP,
                 methods: Sequence[str] = DEFAULT_METHODS, *,
                 problem_params: Mapping[str, Any] | None = None, seeds: Sequence[int] = (0,),
                 method_params: Mapping[str, Mapping[str, Any]] | None = None,
                 data_seed: int = 0, progress: bool = True) -> Comparison:
    """Recovery error of each method and of the oracle as tokens per domain grow.

    The same truth (``domain_topic``, ``topic_word``) is drawn for every size
    (same ``data_seed``), only the sample grows.

    Parameters
    ----------
    tokens_per_domain : sequence of int
        The sample sizes, ascending.
    methods : sequence of str
    problem_params : dict, optional
        Keywords of :func:`~llstopic.make_finite_lls` other than
        ``tokens_per_domain``; default: the LLS-regime problem.
    seeds, method_params : see :func:`compare`
    data_seed : int, default=0
        Seed of the data.

    Returns
    -------
    Comparison
        Rows as :func:`compare` (without held-out or memory figures) with a
        ``tokens_per_domain`` column.
    """
    from ..synthetic import make_finite_lls
    from ..synthetic._problem import check_problem_size

    values = [check_positive_int(v, "tokens_per_domain") for v in np.atleast_1d(tokens_per_domain).tolist()]
    if not values:
        raise ValueError("tokens_per_domain must hold at least one size")
    params = dict(DEFAULT_PROBLEMS["LLS regime"] if problem_params is None else problem_params)
    params.pop("tokens_per_domain", None)
    spec = _check_common(None, methods, seeds, method_params, params.get("n_topics"), 0.0, None, 10)
    sizes = [check_positive_int(params.get(k), k) for k in ("n_words", "n_topics", "n_domains")]
    check_problem_size(*sizes, max(values) * sizes[2])  # type: ignore[call-arg]  # the largest problem, before the first
    steps = len(values) * len(spec["methods"]) * len(spec["seeds"]) + len(spec["methods"])
    rows, problems = [], []
    with progress_bar(steps, "sweep", enabled=progress) as bar:
        for i, value in enumerate(values):
            problem = make_finite_lls(tokens_per_domain=value, random_state=data_seed, **params)
            task = _make_task(problem, spec, None, f"{value} tokens/domain")
            for row in _run(task, spec, bar, warmup=(i == 0)):
                rows.append({"tokens_per_domain": value, **row})
            problems.append({**task.info, "tokens_per_domain": value})
    result = Comparison(rows, problems)
    result.sweep = "tokens_per_domain"
    return result


def _check_common(problem, methods, seeds, method_params, n_topics, heldout, memory, n_top_words):
    from ..factorizers import available

    if isinstance(methods, str):
        methods = [methods]
    if not hasattr(methods, "__iter__") or isinstance(methods, (bytes, Mapping)):
        raise TypeError(f"methods must be a list of names, got {type(methods).__name__}")
    methods = list(methods)
    if not methods:
        raise ValueError("methods is empty: give at least one factorizer name")
    known = available()
    for i, m in enumerate(methods):
        check_param(m, f"methods[{i}]", [str])
        if m not in known:
            raise ValueError(f"unknown method {m!r} in methods; available: {', '.join(known)}")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods has a repeated name: {methods}")
    seeds = [seeds] if np.ndim(seeds) == 0 else list(seeds)
    seeds = [check_positive_int(s, "seeds", minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    if method_params is not None and not isinstance(method_params, Mapping):
        raise TypeError(f"method_params must be None or a dict of {{method: {{name: value}}}}, "
                        f"got {type(method_params).__name__}")
    method_params = {} if method_params is None else dict(method_params)
    for key, value in method_params.items():
        if key not in methods:
            raise ValueError(f"method_params has an entry for {key!r}, which is not in methods {methods}")
        if not isinstance(value, dict):
            raise TypeError(f"method_params[{key!r}] must be a dict of keyword arguments, "
                            f"got {type(value).__name__}")
        for name in {"n_topics", "random_state"} & set(value):
            raise ValueError(f"method_params[{key!r}] sets {name}, which compare sets itself "
                             f"(use the {'seeds' if name == 'random_state' else name} argument)")
    if n_topics is not None and not (isinstance(n_topics, str) and n_topics == "auto"):
        n_topics = check_positive_int(n_topics, "n_topics")
    heldout = check_param(heldout, "heldout", [Interval(Real, 0, 1, closed="left")])
    memory = check_param(memory, "memory", [None, Options(("auto", "rss", "tracemalloc"))])
    if memory == "rss" and not PeakMemory.available():
        raise ValueError("memory='rss' needs Linux's /proc/self/clear_refs, which is not available here")
    n_top_words = check_positive_int(n_top_words, "n_top_words")
    return {"methods": methods, "seeds": seeds, "method_params": method_params,
            "n_topics": n_topics, "heldout": float(heldout), "memory": memory,
            "n_top_words": n_top_words}


# ------------------------------------------------------------------ tasks
def _make_task(problem, spec, rng, name):
    """Split the data and compute everything that does not depend on a method."""
    from ..corpus import Corpus
    from ..synthetic import LLSProblem

    if isinstance(problem, LLSProblem):
        from ._tasks import finite_task
        return finite_task(problem, spec, rng, name)
    if isinstance(problem, Corpus):
        from ._tasks import corpus_task
        return corpus_task(problem, spec, rng, name)
    if isinstance(problem, dict) and {"X_train", "domains_train", "labels_train"} <= set(problem):
        from ._tasks import continuous_task
        return continuous_task(problem, spec, rng, name)
    raise TypeError("problem must be an LLSProblem (make_finite_lls), a continuous problem "
                    f"(load_digits_lls) or a Corpus, got {type(problem).__name__}")


def _run(task, spec, bar, warmup):
    rows = []
    for method in spec["methods"]:
        params = spec["method_params"].get(method, {})
        warm_s, warm_failure = None, None
        if warmup:
            bar.set_postfix_str(f"{method}: warm-up")
            warm_s, warm_failure = task.warm_up(method, params)
            bar.update()
        for seed in spec["seeds"]:
            bar.set_postfix_str(f"{method}: seed {seed}")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model, fit_s, peak_mb = _timed_fit(task, method, params, seed, spec["memory"])
                row = {"problem": task.name, "method": method, "seed": seed,
                       "params": _report.format_params(params)}
                row.update(task.evaluate(model))
            phases = getattr(model, "fit_timings_", None)   # a method's own breakdown, if it has one
            if isinstance(phases, dict):
                row["fit_phases_s"] = dict(phases)
            row.update({"fit_time_s": fit_s, "warmup_time_s": warm_s, "peak_memory_mb": peak_mb,
                        "warnings": list(dict.fromkeys(
                            ([f"RuntimeWarning: {warm_failure}"] if warm_failure else [])
                            + [f"{w.category.__name__}: {w.message}" for w in caught]))})
            logger.info("compare %s: %s seed %d fitted in %.2f s (warm-up %s s)", task.name, method,
                        seed, fit_s, "-" if warm_s is None else f"{warm_s:.2f}")
            rows.append(row)
            bar.update()
    return rows


def _timed_fit(task, method, params, seed, memory):
    """Fit one model; wall time, and peak memory as requested."""
    model = task.make(method, params, seed)
    use_rss = memory == "rss" or (memory == "auto" and PeakMemory.available())
    meter = PeakMemory() if use_rss else None
    if meter is not None:
        meter.start()
    start = time.perf_counter()
    task.fit(model, task.data)
    fit_s = time.perf_counter() - start
    peak_mb = meter.stop() if meter is not None else None
    if memory == "tracemalloc":
        twin = task.make(method, params, seed)
        was_tracing = tracemalloc.is_tracing()
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        task.fit(twin, task.data)
        peak_mb = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        if not was_tracing:
            tracemalloc.stop()
    return model, fit_s, peak_mb
