"""numba's on-disk cache keyed by the kernels' sources, for the benchmarks and the tests.

numba keys each cached function by its own source file only, so a cached kernel
that calls into another kernel module keeps running the old callee after that
module changes (a benchmark run after editing ``_kernels/simplex.py`` timed the
previous solver, because ``_kernels/recovery.py`` had not changed).  Importing
this module first points ``NUMBA_CACHE_DIR`` (unless it is set) at
``.numba_cache/<hash of every kernel source>`` in the repository, so that any
kernel edit starts a fresh cache.  It must run before llstopic is imported: a
``cache=True`` dispatcher takes its cache directory when it is defined.
"""

import hashlib
import os
import sys
from pathlib import Path

KERNELS = Path(__file__).resolve().parents[1] / "llstopic" / "_kernels"


def kernel_hash():
    """First 16 hex digits of a SHA-256 over the names and bytes of the kernel sources."""
    digest = hashlib.sha256()
    for path in sorted(KERNELS.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def use_kernel_keyed_cache():
    """Set ``NUMBA_CACHE_DIR`` (if unset) and make an already imported numba read it again."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return os.environ["NUMBA_CACHE_DIR"]
    if "llstopic" in sys.modules:
        raise RuntimeError("import _numba_cache before llstopic: its kernels already chose "
                           "their cache directory")
    os.environ["NUMBA_CACHE_DIR"] = str(KERNELS.parents[1] / ".numba_cache" / kernel_hash())
    if "numba.core.config" in sys.modules:
        from numba.core import config

        config.reload_config()
    return os.environ["NUMBA_CACHE_DIR"]


use_kernel_keyed_cache()
