"""The ``llstopic`` command line: argument parsing only.

Heavy work (and heavy imports: numba, scikit-learn, gensim) happens inside the
command functions, so ``llstopic --help`` and ``llstopic --version`` stay fast.
Errors a user can cause print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from .._version import __version__

_DEBUG_ENV = "LLSTOPIC_DEBUG"  # set to 1 to get tracebacks instead of one-line errors


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``llstopic compare: error: ... (see --help)``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ------------------------------------------------------------------ option types
def _number(convert, accept, expected):
    """An argparse type: ``convert`` the text, then require ``accept(value)``."""

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")


def _n_topics(text):
    """A positive integer, or ``auto`` (estimated by llstopic.select_n_topics)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {text!r}") from None
_nonnegative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a finite positive number")
_fraction = _number(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)")


def _name_list(text):
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of names, got {text!r}")
    return names


def _int_list(text):
    try:
        return [_positive_int(t) for t in text.split(",") if t.strip()]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}") from None


def _param(text):
    """``METHOD.NAME=VALUE`` (compare) or ``NAME=VALUE`` (fit); VALUE as JSON when it parses."""
    import json

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


# ------------------------------------------------------------------ parser
def build_parser():
    parser = _Parser(
        prog="llstopic",
        description="Unsupervised learning under latent label shift as topic modelling.",
        epilog="Start with 'llstopic compare'.  Errors print one line and exit with status 2; "
               f"set {_DEBUG_ENV}=1 to see the traceback instead.",
    )
    parser.add_argument("--version", action="version", version=f"llstopic {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_compare(sub)
    _add_fit(sub)
    return parser, sub


def _add_compare(sub):
    p = sub.add_parser(
        "compare", help="anchor words vs NMF vs LDA on problems with known truth",
        description="Fit factorizers side by side and report how well each recovers p(x|y) and "
                    "p_d(y) against the oracle, how fast, and with how much memory.  Without "
                    "arguments: two built-in finite LLS problems (few long domains; many short "
                    "documents), sized to run in under a minute on two cores.")
    p.add_argument("--methods", type=_name_list, default=None, metavar="LIST",
                   help="comma-separated factorizers (default: anchor,nmf,lda; also tomotopy, "
                        'with pip install "llstopic[tomotopy]")')
    data = p.add_argument_group("data")
    data.add_argument("--data", choices=("synthetic", "digits", "lee"), default="synthetic",
                      help="built-in data: synthetic finite LLS problems (default), sklearn's "
                           "digits as a continuous LLS problem, or gensim's Lee corpus (no truth)")
    data.add_argument("--corpus", metavar="DOCWORD", help="your own corpus, a UCI bag-of-words "
                      "docword file (no truth: held-out likelihood and coherence are reported)")
    data.add_argument("--vocab", metavar="VOCAB", help="UCI vocabulary file for --corpus")
    synth = p.add_argument_group("synthetic problem (defaults: the built-in problems)")
    synth.add_argument("--n-words", type=_positive_int, metavar="N")
    synth.add_argument("--n-topics", type=_n_topics, metavar="N",
                       help="topics of the problem (synthetic) or of the fits (corpora); 'auto': "
                            "estimate them (llstopic.select_n_topics) and report the estimate "
                            "against the planted number")
    synth.add_argument("--n-domains", type=_positive_int, metavar="N",
                       help="with --tokens-per-domain: compare on this one problem")
    synth.add_argument("--tokens-per-domain", type=_positive_int, metavar="N")
    synth.add_argument("--alpha", type=_positive_float, metavar="X", help="total Dirichlet concentration of p_d(y)")
    synth.add_argument("--beta", type=_positive_float, metavar="X", help="per-word Dirichlet concentration of p(x|y)")
    synth.add_argument("--anchors-per-topic", type=_nonnegative_int, metavar="N")
    synth.add_argument("--max-condition", type=_positive_float, metavar="X",
                       help="bound on the condition number of p_d(y) (default 20 in the LLS regime)")
    synth.add_argument("--data-seed", type=_nonnegative_int, metavar="N", default=0, help="seed of the data")
    run = p.add_argument_group("run")
    run.add_argument("--seeds", type=_positive_int, default=1, metavar="N",
                     help="fit each method with seeds 0..N-1 (default 1)")
    run.add_argument("--param", type=_param, action="append", default=[], metavar="METHOD.NAME=VALUE",
                     help="a factorizer parameter, e.g. --param lda.passes=20 (repeatable)")
    run.add_argument("--heldout", type=_fraction, metavar="F", default=0.1,
                     help="share of tokens held out for the log-likelihood (default 0.1)")
    run.add_argument("--sweep", choices=("tokens",),
                     help="error versus tokens per domain, for each method and the oracle")
    run.add_argument("--sweep-values", type=_int_list, metavar="LIST",
                     help="tokens per domain of the sweep (default 500,1000,3000,10000,30000,100000)")
    run.add_argument("--top-words", type=_positive_int, default=10, metavar="N", help="top words per topic (corpora)")
    out = p.add_argument_group("output")
    out.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    out.add_argument("--plot", metavar="PATH", help="also save a PNG plot (needs matplotlib)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_compare)


def _add_fit(sub):
    p = sub.add_parser("fit", help="fit a factorizer on your corpus and save it",
                       description="Fit a factorizer on a UCI bag-of-words corpus, print the top "
                                   "words of each topic and save the model (load it with "
                                   "llstopic.load).")
    p.add_argument("--method", default="anchor", help="factorizer name (default anchor)")
    p.add_argument("--n-topics", type=_n_topics, required=True, metavar="K",
                   help="number of topics, or 'auto' to estimate it (llstopic.select_n_topics)")
    p.add_argument("--corpus", required=True, metavar="DOCWORD", help="UCI docword file")
    p.add_argument("--vocab", metavar="VOCAB", help="UCI vocabulary file")
    p.add_argument("--out", required=True, metavar="MODEL", help="where to save the model (.npz)")
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="random_state (default 0)")
    p.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                   help="a factorizer parameter (repeatable)")
    p.add_argument("--top-words", type=_positive_int, default=10)
    p.add_argument("--plot", metavar="PREFIX", help="also save PREFIX_topics.png (top words per "
                   "topic) and PREFIX_domain_topic.png (p_d(y) per domain); needs matplotlib")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_fit)


# ------------------------------------------------------------------ commands
def _check_file(path, option):
    if not os.path.exists(path):
        raise UsageError(f"{option} {path}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a folder, not a file")


def _read_corpus(docword, vocab):
    from ..corpus import Corpus

    _check_file(docword, "--corpus")
    if vocab is not None:
        _check_file(vocab, "--vocab")
    try:
        corpus = Corpus.read_uci(docword, vocab)
    except OSError as exc:  # the readers' own errors name the file and the line
        raise UsageError(f"cannot read {exc.filename or docword}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    if corpus.n_tokens == 0:
        raise UsageError(f"--corpus {docword} holds no tokens; a fit needs at least one")
    return corpus


def _method_params(pairs, methods):
    params = {}
    for key, value in pairs:
        method, dot, name = key.partition(".")
        if not dot or not name:
            raise UsageError(f"--param {key}={value}: expected METHOD.NAME=VALUE, e.g. lda.passes=20")
        if method not in methods:
            raise UsageError(f"--param {key}: method {method!r} is not among --methods {','.join(methods)}")
        _not_reserved(key, name, {"n_topics": "--n-topics", "random_state": "--seeds"})
        params.setdefault(method, {})[name] = value
    return params


def _not_reserved(key, name, reserved):
    if name in reserved:
        raise UsageError(f"--param {key}: {name} is set by {reserved[name]}; use that option")


def _cmd_compare(args):
    from . import _compare as _cli_compare

    if args.corpus is None and args.vocab is not None:
        raise UsageError("--vocab needs --corpus")
    if args.corpus is not None and args.data != "synthetic":
        raise UsageError(f"--corpus and --data {args.data} are exclusive: give one data source")
    if args.sweep and (args.corpus is not None or args.data != "synthetic"):
        raise UsageError("--sweep runs on synthetic data only")
    if args.sweep and args.n_topics == "auto":
        raise UsageError("--n-topics auto is not supported with --sweep (the sweep keeps the truth fixed)")
    if args.sweep_values and not args.sweep:
        raise UsageError("--sweep-values needs --sweep tokens")
    _check_matplotlib(args.plot)
    methods = args.methods or ["anchor", "nmf", "lda"]
    corpus = _read_corpus(args.corpus, args.vocab) if args.corpus else None
    with _user_errors():
        _cli_compare.check_methods(methods)
        params = _method_params(args.param, methods)
        result = _cli_compare.run(args, methods, params, corpus,
                                  announce=lambda text: print(_wrap(text) + "\n", flush=True))
    print(result.table())
    if args.json:
        _write(lambda: result.to_json(args.json), args.json)
        print(f"\nresults written to {args.json}")
    if args.plot:
        _write(lambda: result.plot(args.plot), args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _check_matplotlib(plot):
    import importlib.util

    if plot and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib, which is not installed: pip install matplotlib "
                         '(or "llstopic[plot]")')


def _cmd_fit(args):
    from . import _compare as _cli_compare

    _check_matplotlib(args.plot)
    corpus = _read_corpus(args.corpus, args.vocab)
    with _user_errors():
        _cli_compare.check_methods([args.method])
        if args.n_topics != "auto" and args.n_topics > corpus.n_words:
            raise UsageError(f"--n-topics {args.n_topics} is larger than the vocabulary of "
                             f"{args.corpus} ({corpus.n_words} words)")
        for key, _ in args.param:
            _not_reserved(key, key, {"n_topics": "--n-topics", "random_state": "--seed"})
        model = _cli_compare.fit(corpus, args.method, args.n_topics, dict(args.param), args.seed,
                                 progress=not args.quiet)
    print(f"{args.method} with {model.n_topics_} topics on {corpus.n_domains:,} documents, "
          f"{corpus.n_words:,} words, {corpus.n_tokens:,} tokens")
    if model.n_topics_selection_ is not None:
        print("n_topics auto: " + model.n_topics_selection_.summary().replace("\n", "\n  "))
    for k, words in enumerate(model.top_words(args.top_words)):
        print(f"  topic {k:>2}: " + " ".join(str(w) for w in words))
    _write(lambda: model.save(args.out), args.out)
    print(f"model saved to {args.out} (load it with llstopic.load)")
    if args.plot:
        from .. import plotting

        pictures = {f"{args.plot}_topics.png": lambda: plotting.plot_topics(model, args.top_words),
                    f"{args.plot}_domain_topic.png": lambda: plotting.plot_domain_topic(
                        model, domain_names=corpus.domain_names)}
        for path, draw in pictures.items():
            _write(lambda: draw().savefig(path, dpi=100), path)
            print(f"plot written to {path}")
    return 0


def _wrap(text):
    import textwrap

    return textwrap.fill(text, 100)


def _write(action, path):
    try:
        action()
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot write {path}: {exc}") from None


class _user_errors:
    """Turn ValueError/TypeError from validating the user's values into UsageError.

    Every public function validates its arguments before any work and names
    the argument in the message, so these are the user's errors.  Set
    LLSTOPIC_DEBUG=1 to see the traceback instead.
    """

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None and issubclass(kind, (ValueError, TypeError)) and not os.environ.get(_DEBUG_ENV):
            raise UsageError(str(exc)) from None
        return False


def main(argv=None):
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except UsageError as exc:
        print(f"llstopic: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("llstopic: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        if os.environ.get(_DEBUG_ENV):
            raise
        print("llstopic: error: out of memory; use smaller sizes (every size option accepts "
              "smaller values)", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, with the way to see the traceback
        if os.environ.get(_DEBUG_ENV):
            raise
        text = " ".join(str(exc).split())[:200]
        print(f"llstopic: error: unexpected {type(exc).__name__}: {text} (this is a bug; set "
              f"{_DEBUG_ENV}=1 to see the traceback)", file=sys.stderr)
        return 2
