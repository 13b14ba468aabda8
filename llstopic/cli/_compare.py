"""Glue between the command line's options and :mod:`llstopic.compare`.

``cli.py`` parses; this module turns parsed options into problems and calls
the engine.  It is imported only when a command runs.
"""

from __future__ import annotations

from ..evaluation._engine import DEFAULT_PROBLEMS, DEFAULT_SWEEP, Comparison, compare, sweep_tokens

__all__ = ["check_methods", "run", "fit", "CLI_METHOD_PARAMS"]

#: Method parameters of the command line's defaults per regime, chosen for its time
#: budget (the whole default run in under a minute on two cores).  ``--param`` overrides.
#: LDA: one restart instead of three, and passes where its topic-word error has levelled
#: off on the default problems (LLS regime: ratio to the oracle 1.87 / 1.54 / 1.52 at
#: 30 / 100 / 300 passes; topic-model regime: 1.37 / 1.23 / 1.22 at 10 / 20 / 40).
CLI_METHOD_PARAMS = {
    "LLS regime": {"lda": {"passes": 100, "n_init": 1}},
    "topic-model regime": {"lda": {"passes": 20, "n_init": 1}},
}

_SHARED = ("n_words", "n_topics", "alpha", "beta", "anchors_per_topic", "max_condition")


def check_methods(methods):
    """Raise ValueError naming an unknown method and the available ones."""
    from ..factorizers import available
    from ..factorizers._registry import missing_package

    known = available()
    for m in methods:
        missing = missing_package(m)
        if missing is not None:
            raise ValueError(f"--methods: method {m!r} needs the {missing[0]} package, which is "
                             f"not installed: {missing[1]}")
        if m not in known:
            raise ValueError(f"--methods: unknown method {m!r}; available: {', '.join(known)}")


def _overrides(args):
    return {k: getattr(args, k) for k in _SHARED
            if getattr(args, k, None) is not None and getattr(args, k) != "auto"}


def _auto(args):
    """``"auto"`` when --n-topics auto asks for the estimate, else None (the planted number)."""
    return "auto" if getattr(args, "n_topics", None) == "auto" else None


def _problem_params(regime, args):
    params = {**DEFAULT_PROBLEMS[regime], **_overrides(args)}
    if args.n_domains is not None:
        params["n_domains"] = args.n_domains
    if args.tokens_per_domain is not None:
        params["tokens_per_domain"] = args.tokens_per_domain
    if params.get("max_condition") is not None and params["n_domains"] < params["n_topics"]:
        params["max_condition"] = None  # fewer domains than topics: no bound can hold
    return params


def _synthetic_problems(args):
    """(name, base regime, problem): both built-in regimes, or one custom problem."""
    from ..synthetic import make_finite_lls

    if args.n_domains is None and args.tokens_per_domain is None:
        named = [(r, r, _problem_params(r, args)) for r in DEFAULT_PROBLEMS]
    else:
        few_long = ((args.n_domains is None or args.n_domains <= 100)
                    and (args.tokens_per_domain is None or args.tokens_per_domain >= 1000))
        regime = "LLS regime" if few_long else "topic-model regime"
        named = [("custom problem", regime, _problem_params(regime, args))]
    return [(name, regime, make_finite_lls(random_state=args.data_seed, **params))
            for name, regime, params in named]


def _with_defaults(methods, params, regime):
    """The regime's default method parameters, overridden by the user's ``--param``."""
    defaults = CLI_METHOD_PARAMS[regime]
    merged = {m: dict(defaults[m]) for m in methods if m in defaults}
    for m, p in params.items():
        merged.setdefault(m, {}).update(p)
    return merged


def _lda_note(used):
    """'LDA: passes=100, n_init=1 (LLS regime); ...' for the parameters actually used."""
    parts = [f"{', '.join(f'{k}={v}' for k, v in p['lda'].items())}" + (f" ({name})" if name else "")
             for name, p in used if p.get("lda")]
    return f" LDA: {'; '.join(parts)}." if parts else ""


def run(args, methods, params, corpus=None, announce=print):
    """Run what the options ask for; ``announce`` the plan first; return the Comparison."""
    seeds = list(range(args.seeds))
    common = dict(seeds=seeds, progress=not args.quiet)
    budget = (" Default sizes and LDA passes are chosen so that the run takes under a minute on two "
              "cores, with LDA's error levelled off;")
    if args.sweep:
        values = args.sweep_values or list(DEFAULT_SWEEP)
        problem_params = _problem_params("LLS regime", args)
        problem_params.pop("tokens_per_domain")
        used = _with_defaults(methods, params, "LLS regime")
        announce(f"llstopic compare --sweep tokens: {', '.join(methods)}; tokens per domain "
                 f"{', '.join(f'{v:,}' for v in values)}.{_lda_note([(None, used)])}")
        result = sweep_tokens(values, methods, problem_params=problem_params, method_params=used,
                              data_seed=args.data_seed, **common)
        return result
    if corpus is not None or args.data == "lee":
        if corpus is None:
            from ..datasets import load_lee

            corpus, name = load_lee(), "Lee corpus"
        else:
            name = f"corpus {args.corpus}"
        n_topics = args.n_topics or 10
        used = {m: dict(p) for m, p in params.items()}      # a real corpus: the library's defaults
        announce(f"llstopic compare: {', '.join(methods)} with {n_topics} topics on {name} "
                 f"(no truth).{_lda_note([(None, used)])}")
        return compare(corpus, methods, n_topics=n_topics, heldout=args.heldout, name=name,
                       n_top_words=args.top_words, method_params=used, **common)
    if args.data == "digits":
        from ..datasets import load_digits_lls

        problem = load_digits_lls(random_state=args.data_seed)
        used = _with_defaults(methods, params, "LLS regime")
        announce(f"llstopic compare: {', '.join(methods)} as DDFA's factorizer on scikit-learn's "
                 f"digits (each DDFA fit trains a domain discriminator)."
                 f"{_lda_note([(None, used)])}")
        return compare(problem, methods, name="digits", method_params=used, n_topics=_auto(args),
                       **common)
    problems = _synthetic_problems(args)
    used_all = [(name, _with_defaults(methods, params, regime)) for name, regime, _ in problems]
    header = (f"llstopic compare: {', '.join(methods)} on {len(problems)} synthetic finite LLS "
              f"problem{'s' if len(problems) > 1 else ''} (data seed {args.data_seed}).")
    if len(problems) > 1:
        header += budget
    announce(header + _lda_note(used_all))
    return Comparison.concat(
        compare(problem, methods, heldout=args.heldout, name=name, method_params=used,
                n_topics=_auto(args), **common)
        for (name, _, problem), (_, used) in zip(problems, used_all))


def fit(corpus, method, n_topics, params, seed, progress=True):
    """Fit one factorizer on ``corpus`` with a progress bar; return it."""
    from ..evaluation._progress import progress_bar
    from ..factorizers import make_factorizer

    model = make_factorizer(method, n_topics, random_state=seed, **params)
    with progress_bar(1, f"fitting {method}", enabled=progress) as bar:
        model.fit(corpus)
        bar.update()
    return model
