"""Refusing work that cannot fit in memory, with the figure, before allocating anything."""

from __future__ import annotations

import os

__all__ = ["check_memory"]


def check_memory(n_bytes, what):
    """Refuse work that needs more memory than the machine has (ValueError with the figure).

    ``n_bytes`` is an estimate of the largest allocation (or the sum of those
    alive together); ``what`` says what needs it, e.g. ``"p(x|y) of shape (10, 10**12)"``.
    Where the physical memory cannot be read the check is skipped.
    """
    total = _physical_memory()
    if total is not None and n_bytes > total:
        raise ValueError(f"{what} needs about {_format_bytes(n_bytes)} of memory, more than the "
                         f"{_format_bytes(total)} this machine has")


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


def _format_bytes(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover
