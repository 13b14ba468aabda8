"""Test-session set-up.

numba's on-disk cache is keyed per function by its own source file, so a
cached kernel that calls into another kernel module keeps running the old
callee after that module changes.  The tests therefore use a cache directory
named after a hash of all kernel sources (``benchmarks/_numba_cache.py``, which
the benchmarks import first too): any kernel edit starts a fresh cache.
"""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_numba_cache.py"
_spec = importlib.util.spec_from_file_location("_llstopic_numba_cache", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)  # sets NUMBA_CACHE_DIR before any test imports llstopic
