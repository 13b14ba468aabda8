"""Progress bars on stderr, through tqdm: drawn only on a terminal, never with ``--quiet``.

``progress_bar`` is the one place llstopic makes a bar, so every long job
(``llstopic compare``, ``llstopic fit``) behaves alike: nothing is written
when the stream is not a terminal (logs, pipes, CI output stay clean) or when
the caller disables it; on a terminal the bar redraws its elapsed time twice a
second even while one long step runs, and erases itself when closed.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

__all__ = ["progress_bar"]


def _is_tty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or file-like without isatty
        return False


@contextmanager
def progress_bar(total, desc="", *, enabled=True, stream=None, tick=True):
    """A tqdm bar of ``total`` steps, active only when ``enabled`` and ``stream`` is a terminal.

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Label shown before the bar.
    enabled : bool, default=True
        ``False`` (``--quiet``) never draws.
    stream : file, default sys.stderr
    tick : bool, default=True
        Refresh the elapsed time every half second from a background thread,
        so that one long step (a single slow fit) still shows signs of life.

    Yields
    ------
    tqdm.tqdm
        ``update(n)`` counts steps; ``set_postfix_str(note)`` shows a note.

    Examples
    --------
    >>> with progress_bar(3, "fitting", enabled=False) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    >>> bar.n
    3
    """
    from tqdm.auto import tqdm

    stream = sys.stderr if stream is None else stream
    active = bool(enabled) and _is_tty(stream)
    bar = tqdm(total=max(int(total), 1), desc=desc, file=stream, disable=not active, leave=False,
               mininterval=0.2, dynamic_ncols=True)
    if not active:
        # a disabled tqdm does not count; keep ``n`` meaningful for callers and tests
        def _count(n=1):
            bar.n += n
        bar.update = _count
    stop = threading.Event()
    ticker = None
    if active and tick:
        def _tick():
            while not stop.wait(0.5):
                bar.refresh()
        ticker = threading.Thread(target=_tick, name="llstopic-progress", daemon=True)
        ticker.start()
    try:
        yield bar
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
        bar.close()
