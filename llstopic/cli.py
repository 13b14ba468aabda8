"""The ``llstopic`` command line: argument parsing only.

Heavy work (and heavy imports: numba, scikit-learn, gensim) happens inside the
command functions, so ``llstopic --help`` and ``llstopic --version`` stay fast.
Errors a user can cause print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from ._version import __version__


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="llstopic",
        description="Unsupervised learning under latent label shift as topic modelling.",
    )
    parser.add_argument("--version", action="version", version=f"llstopic {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    return parser, sub


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
