"""Test-session set-up.

numba's on-disk cache is keyed per function by its own source file, so a
cached kernel that calls into another kernel module keeps running the old
callee after that module changes.  The tests therefore use a cache directory
named after a hash of all kernel sources: any kernel edit starts a fresh cache.
"""

import hashlib
import os
from pathlib import Path

_KERNELS = Path(__file__).resolve().parents[1] / "llstopic" / "_kernels"


def _kernel_hash():
    digest = hashlib.sha256()
    for path in sorted(_KERNELS.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(_KERNELS.parents[1] / ".numba_cache" / _kernel_hash())
    # pytest's filterwarnings setting imports numba before this file runs, and
    # numba reads its environment at import: make it read it again.
    from numba.core import config as _numba_config

    _numba_config.reload_config()
