"""A minimal progress bar on stderr (tqdm is not a dependency).

The bar draws only when it is enabled *and* the stream is a terminal, so that
logs, pipes and CI output stay clean; it redraws at most a few times a second
and erases itself when closed.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time

__all__ = ["Progress"]


def _is_tty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or file-like without isatty
        return False


class Progress:
    """Count steps of known total and show them as ``desc [####    ] 3/8 12s``.

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Label shown before the bar.
    enabled : bool
        ``False`` (``--quiet``) never draws.  ``True`` draws only when
        ``stream`` is a terminal.
    stream : file, default sys.stderr
    min_interval : float
        Seconds between redraws.
    tick : bool, default=True
        Redraw the elapsed time every half second from a background thread,
        so that one long step (a single slow fit) still shows signs of life.

    Examples
    --------
    >>> with Progress(3, "fitting", enabled=False) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    >>> bar.n
    3
    """

    width = 24

    def __init__(self, total, desc="", *, enabled=True, stream=None, min_interval=0.2, tick=True):
        self.total = max(int(total), 1)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.active = bool(enabled) and _is_tty(self.stream)
        self.min_interval = min_interval
        self.n = 0
        self.note = ""
        self._columns = max(20, min(120, shutil.get_terminal_size((80, 24)).columns) - 1)
        self._start = time.perf_counter()
        self._last_draw = -1.0
        self._drawn = False
        self._closed = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None
        if self.active and tick:
            self._ticker = threading.Thread(target=self._tick, name="llstopic-progress", daemon=True)

    def _tick(self):
        while not self._stop.wait(0.5):
            self._draw(force=True)

    def set_note(self, note):
        """Show ``note`` (e.g. the step now running) after the bar."""
        self.note = str(note)
        self._draw(force=True)

    def update(self, steps=1):
        """Advance by ``steps`` and redraw if enough time has passed."""
        self.n = min(self.n + steps, self.total)
        self._draw(force=self.n >= self.total)

    def _draw(self, force=False):
        if not self.active:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        filled = int(self.width * self.n / self.total)
        bar = "#" * filled + " " * (self.width - filled)
        line = f"{self.desc} [{bar}] {self.n}/{self.total} {now - self._start:5.1f}s {self.note}"
        with self._lock:
            if self._closed:
                return
            self.stream.write("\r" + line[:self._columns].ljust(self._columns))
            self.stream.flush()
            self._drawn = True

    def close(self):
        """Stop the ticker and erase the bar."""
        self._stop.set()
        if self._ticker is not None and self._ticker.is_alive():
            self._ticker.join()
        with self._lock:
            if self.active and self._drawn:
                self.stream.write("\r" + " " * self._columns + "\r")
                self.stream.flush()
            self._drawn = False
            self._closed = True

    def __enter__(self):
        self._draw(force=True)
        if self._ticker is not None:
            self._ticker.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False
