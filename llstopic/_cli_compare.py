"""Glue between the command line's options and :mod:`llstopic.compare`.

``cli.py`` parses; this module turns parsed options into problems and calls
the engine.  It is imported only when a command runs.
"""

from __future__ import annotations

from .compare import DEFAULT_PROBLEMS, DEFAULT_SWEEP, Comparison, compare, sweep_tokens

__all__ = ["check_methods", "run", "fit", "CLI_METHOD_PARAMS"]

#: Method parameters of the command line's defaults, chosen for its time budget
#: (the whole default run in under a minute on two cores).  ``--param`` overrides.
CLI_METHOD_PARAMS = {"lda": {"passes": 10}}

_SHARED = ("n_words", "n_topics", "alpha", "beta", "anchors_per_topic", "max_condition")


def check_methods(methods):
    """Raise ValueError naming an unknown method and the available ones."""
    from .factorizers import available

    known = available()
    for m in methods:
        if m not in known:
            raise ValueError(f"--methods: unknown method {m!r}; available: {', '.join(known)}")


def _overrides(args):
    return {k: getattr(args, k) for k in _SHARED if getattr(args, k, None) is not None}


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
    """(name, problem) pairs: both built-in regimes, or one custom problem."""
    from .synthetic import make_finite_lls

    if args.n_domains is None and args.tokens_per_domain is None:
        regimes = list(DEFAULT_PROBLEMS)
        named = [(r, _problem_params(r, args)) for r in regimes]
    else:
        few_long = ((args.n_domains is None or args.n_domains <= 100)
                    and (args.tokens_per_domain is None or args.tokens_per_domain >= 1000))
        regime = "LLS regime" if few_long else "topic-model regime"
        named = [("custom problem", _problem_params(regime, args))]
    return [(name, make_finite_lls(random_state=args.data_seed, **params)) for name, params in named]


def _with_defaults(methods, params):
    merged = {m: dict(CLI_METHOD_PARAMS.get(m, {})) for m in methods if m in CLI_METHOD_PARAMS}
    for m, p in params.items():
        merged.setdefault(m, {}).update(p)
    return merged


def run(args, methods, params, corpus=None):
    """Run what the options ask for; return ``(Comparison, header line)``."""
    params = _with_defaults(methods, params)
    seeds = list(range(args.seeds))
    progress = not args.quiet
    common = dict(seeds=seeds, method_params=params, progress=progress)
    if args.sweep:
        values = args.sweep_values or list(DEFAULT_SWEEP)
        problem_params = _problem_params("LLS regime", args)
        problem_params.pop("tokens_per_domain")
        result = sweep_tokens(values, methods, problem_params=problem_params,
                              data_seed=args.data_seed, **common)
        header = (f"llstopic compare --sweep tokens: {', '.join(methods)}; tokens per domain "
                  f"{', '.join(f'{v:,}' for v in values)}")
    elif corpus is not None or args.data == "lee":
        if corpus is None:
            from .datasets import load_lee

            corpus, name = load_lee(), "Lee corpus"
        else:
            name = f"corpus {args.corpus}"
        n_topics = args.n_topics or 10
        result = compare(corpus, methods, n_topics=n_topics, heldout=args.heldout, name=name,
                         n_top_words=args.top_words, **common)
        header = f"llstopic compare: {', '.join(methods)} with {n_topics} topics on {name} (no truth)"
    elif args.data == "digits":
        from .datasets import load_digits_lls

        problem = load_digits_lls(random_state=args.data_seed)
        result = compare(problem, methods, name="digits", **common)
        header = f"llstopic compare: {', '.join(methods)} as DDFA's factorizer on sklearn's digits"
    else:
        problems = _synthetic_problems(args)
        result = Comparison.concat(
            compare(problem, methods, heldout=args.heldout, name=name, **common)
            for name, problem in problems)
        header = (f"llstopic compare: {', '.join(methods)} on {len(problems)} synthetic finite LLS "
                  f"problem{'s' if len(problems) > 1 else ''} (data seed {args.data_seed})")
    lda = params.get("lda")
    budget = " Default sizes are chosen so that the run takes under a minute on two cores"
    budget += f" (LDA: {', '.join(f'{k}={v}' for k, v in lda.items())})." if lda else "."
    return result, header + "." + (budget if not args.sweep else "")


def fit(corpus, method, n_topics, params, seed, progress=True):
    """Fit one factorizer on ``corpus`` with a progress bar; return it."""
    from ._progress import Progress
    from .factorizers import make_factorizer

    model = make_factorizer(method, n_topics, random_state=seed, **params)
    with Progress(1, f"fitting {method}", enabled=progress) as bar:
        model.fit(corpus)
        bar.update()
    return model
