"""Peak memory of a block of code, without slowing it down.

Linux keeps the process' peak resident set size (``VmHWM`` in
``/proc/self/status``) and lets the process reset it to the current size by
writing ``5`` to ``/proc/self/clear_refs``.  Reset, run, read: the growth of the
peak over the resident size before the block is the memory the block needed,
counting every allocation (numpy, numba, C extensions such as gensim's), at no
cost to the block.  ``tracemalloc`` by contrast slows allocation-heavy Python
code several-fold and misses memory that C code takes with plain ``malloc``.

Memory that the C allocator kept from earlier work would be reused without
growing the resident size, so :meth:`PeakMemory.start` first asks glibc to
hand free heap memory back (``malloc_trim(0)``); without it the same NMF fit
measured 0 to 10 MiB depending on what ran before, with it 20 to 32 MiB
(tracemalloc: 15 MiB).  The figure is still *additional* resident memory:
pages swapped out are not resident, allocator overhead is included, and
resetting the counter also resets what ``resource.getrusage(...).ru_maxrss``
reports for this process.
"""

from __future__ import annotations

__all__ = ["PeakMemory"]

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_kib(field):
    with open(_STATUS, encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not found in {_STATUS}")


def _trim_heap():
    """Return free heap memory to the OS (glibc ``malloc_trim``); a no-op elsewhere."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = None


def _reset_peak():
    with open(_CLEAR_REFS, "w", encoding="ascii") as fh:
        fh.write("5")


class PeakMemory:
    """Measure the growth of peak resident memory between ``start()`` and ``stop()``.

    Examples
    --------
    >>> meter = PeakMemory()
    >>> if PeakMemory.available():
    ...     meter.start()
    ...     block = bytearray(50 * 2**20)
    ...     mib = meter.stop()
    """

    _available = None

    @classmethod
    def available(cls):
        """True where the peak can be reset (Linux with a writable clear_refs)."""
        if cls._available is None:
            try:
                _reset_peak()
                _status_kib("VmHWM")
                cls._available = True
            except OSError:
                cls._available = False
        return cls._available

    def start(self):
        """Trim the heap, then reset the peak to the current resident size."""
        _trim_heap()
        _reset_peak()
        self._base_kib = _status_kib("VmRSS")

    def stop(self):
        """Peak growth since :meth:`start`, in MiB (float)."""
        return max(_status_kib("VmHWM") - self._base_kib, 0) / 1024.0
