"""Writing files without losing the old ones: a temporary file in the same folder, then
``os.replace``.

Used by :meth:`Corpus.write_uci`/:meth:`~Corpus.write_mm` and
:meth:`Factorizer.save`.  The callers validate everything first; this module
makes sure that a failure while writing (disk full, an interrupted process)
leaves the destination as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat

__all__ = ["replacing"]


def _is_regular_or_missing(path):
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True


def _temporary(path):
    """An open binary file next to ``path`` (created with the default permissions)."""
    folder, base = os.path.split(path)
    while True:
        tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        return tmp, os.fdopen(fd, "wb")


def _name_the_destination(exc, path):
    """The OSError of a temporary file, re-raised with the destination's name."""
    return type(exc)(exc.errno, exc.strerror or str(exc), path)


@contextlib.contextmanager
def replacing(*paths):
    """Write new contents for ``paths`` and put them in place together at the end.

    Yields one open binary file per path (a temporary file in the same
    folder).  When the block ends normally every file is flushed, synced and
    closed, then each temporary file replaces its path with ``os.replace``
    (atomic on POSIX and Windows).  When the block raises, or a replacement
    fails, the temporary files are removed and the destinations are left as
    they were (best effort for several paths: a destination already replaced
    is restored from a hard link to its old version when the file system
    allows one).  A path that exists but is not a regular file (``/dev/null``,
    a FIFO) is written in place.
    """
    targets = [os.path.realpath(os.fspath(p)) for p in paths]
    names = [os.fspath(p) for p in paths]
    files, temps = [], []
    try:
        for target, name in zip(targets, names):
            if _is_regular_or_missing(target):
                try:
                    tmp, fh = _temporary(target)
                except OSError as exc:
                    raise _name_the_destination(exc, name) from None
                temps.append(tmp)
            else:
                fh = open(target, "wb")
                temps.append(None)
            files.append(fh)
        yield files
        for fh, tmp in zip(files, temps):
            fh.flush()
            if tmp is not None:
                os.fsync(fh.fileno())
            fh.close()
        _replace_all(targets, names, temps)
    finally:
        for fh in files:
            fh.close()
        for tmp in temps:
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(tmp)


def _replace_all(targets, names, temps):
    backups, done, i = {}, [], 0
    try:
        for i, (target, tmp) in enumerate(zip(targets, temps)):
            if tmp is None:
                continue
            existed = os.path.exists(target)
            if len(targets) > 1 and existed:
                try:
                    os.link(target, f"{tmp}.old")
                    backups[target] = f"{tmp}.old"
                except OSError:  # no hard links here: best effort
                    pass
            os.replace(tmp, target)
            done.append((target, existed))
    except OSError as exc:
        for target, existed in done:  # undo the replacements already made
            with contextlib.suppress(OSError):
                if target in backups:
                    os.replace(backups.pop(target), target)
                elif not existed:
                    os.remove(target)
        raise _name_the_destination(exc, names[i]) from None
    finally:
        for backup in backups.values():
            with contextlib.suppress(OSError):
                os.remove(backup)
