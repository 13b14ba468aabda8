"""The engine behind ``llstopic compare``: tasks, report, memory and progress."""

from ._engine import (DEFAULT_METHODS, DEFAULT_PROBLEMS, DEFAULT_SWEEP, Comparison, compare,
                      make_default_problem, sweep_tokens)

__all__ = ["compare", "sweep_tokens", "Comparison", "make_default_problem", "DEFAULT_METHODS",
           "DEFAULT_PROBLEMS", "DEFAULT_SWEEP"]
