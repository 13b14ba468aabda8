"""Progress of gensim's passes, reported through llstopic's logger.

gensim iterates the training corpus once per pass (``LdaModel.update`` and
``LdaMulticore.update`` loop ``for pass_ in range(passes)`` over chunks of it)
and logs its own progress only under ``gensim.*`` loggers, which most users
leave silent.  :class:`PassProgress` is the training stream that
:class:`~llstopic.factorizers.GensimLDA` hands to gensim: the same documents
as :class:`~llstopic.corpus._gensim.GensimBow`, and each time gensim starts
iterating it (a pass), one INFO record with the pass number, the time so far
and an estimate of the time left; within a pass, at most one record every
``every`` seconds with the number of documents read.  Nothing here is public.
"""

from __future__ import annotations

import logging
import time

from ..corpus._gensim import GensimBow

__all__ = ["PassProgress"]

#: Seconds between two records within one pass.
_EVERY = 30.0


class PassProgress(GensimBow):
    """A :class:`GensimBow` that logs each pass gensim makes over it.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix
        The training counts.
    passes : int
        Passes gensim was asked for (the denominator of the records).
    label : str
        Prefix of every record, e.g. ``"GensimLDA: restart 1/3"``.
    logger : logging.Logger
        Where the records go (INFO).
    every : float
        Seconds between two within-pass records.
    clock : callable
        ``time.perf_counter`` unless a test gives another.
    """

    def __init__(self, counts, passes, label, logger, *, every=_EVERY, clock=time.perf_counter):
        super().__init__(counts)
        self._passes = int(passes)
        self._label = label
        self._logger = logger
        self._every = float(every)
        self._clock = clock
        self._start = None
        self.passes_started = 0

    def __iter__(self):
        now = self._clock()
        if self._start is None:
            self._start = now
        self.passes_started += 1
        done = self.passes_started - 1
        elapsed = now - self._start
        if done and self._passes > done:
            left = f", about {elapsed / done * (self._passes - done):.0f} s left"
        else:
            left = ""
        self._logger.info("%s: pass %d/%d (%.1f s so far%s)", self._label, self.passes_started,
                          self._passes, elapsed, left)
        n_docs = len(self)
        last = now
        for i, doc in enumerate(super().__iter__()):
            if i % 1024 == 0 and i:
                t = self._clock()
                if t - last >= self._every and self._logger.isEnabledFor(logging.INFO):
                    last = t
                    self._logger.info("%s: pass %d/%d, %d/%d documents (%.1f s so far)",
                                      self._label, self.passes_started, self._passes, i, n_docs,
                                      t - self._start)
            yield doc
