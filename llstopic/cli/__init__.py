"""The command line: ``llstopic compare`` and ``llstopic fit``."""

from ._main import main

__all__ = ["main"]
