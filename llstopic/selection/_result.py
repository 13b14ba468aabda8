"""The result of :func:`llstopic.select_n_topics`: the choice, every candidate's score, notes."""

from __future__ import annotations

import numbers
from typing import Any, Iterable

import numpy as np

__all__ = ["SelectionResult"]

_METHODS = ("spectral", "heldout")
_FIELDS = ("n_topics", "method", "space", "candidates", "scores", "score_name", "notes", "details")


class SelectionResult:
    """How many latent labels the data support, and why.

    Attributes
    ----------
    n_topics : int
        The chosen number of topics (one of ``candidates``).
    method : {"spectral", "heldout"}
    space : str
        Where the estimate was made: ``"domain"`` (few long domains: the
        domain space p(d|x)), ``"cooccurrence"`` (many short documents: the
        co-occurrence space), or ``"continuous"`` (DDFA's held-out p(d|x),
        clustered into words).
    candidates : ndarray of int64, shape (n_candidates,)
        Ascending.
    scores : ndarray of float64, shape (n_candidates,)
        ``"spectral"``: the K-th singular value of the biwhitened counts over
        the noise threshold (above 1: the K-th direction is signal; 0 when the
        counts have fewer than K dimensions).  ``"heldout"``: document-completion
        log-likelihood per held-out token, nats.
    score_name : str
        What ``scores`` measure, for labels.
    notes : list of str
        Caveats, e.g. that n_topics > n_domains is unidentifiable in the
        domain space.
    details : dict
        Method-specific figures: for ``"spectral"`` the singular values, the
        threshold and its Marchenko-Pastur edge, the estimated rank, the
        scaled matrix' shape; for ``"heldout"`` the split, the per-group
        scores' standard errors and the chosen rule.
    """

    def __init__(self, n_topics: int | numbers.Integral, method: str, space: str, candidates: Any,
                 scores: Any, score_name: str, notes: Iterable[str] = (),
                 details: dict | None = None) -> None:
        self.n_topics = int(n_topics)
        self.method = str(method)
        self.space = str(space)
        self.candidates = np.asarray(candidates, dtype=np.int64)
        self.scores = np.asarray(scores, dtype=np.float64)
        self.score_name = str(score_name)
        self.notes = [str(n) for n in notes]
        self.details = {} if details is None else dict(details)

    # ------------------------------------------------------------ views
    def score_of(self, n_topics: int) -> float:
        """The score of one candidate."""
        hits = np.flatnonzero(self.candidates == n_topics)
        if hits.size == 0:
            raise ValueError(f"n_topics = {n_topics!r} is not among the candidates "
                             f"{self.candidates.tolist()}")
        return float(self.scores[hits[0]])

    def __repr__(self) -> str:
        span = (f"{self.candidates[0]}..{self.candidates[-1]}" if self.candidates.size > 1
                else str(self.candidates[0]))
        note = f", {len(self.notes)} note(s)" if self.notes else ""
        return (f"SelectionResult(n_topics={self.n_topics}, method={self.method!r}, "
                f"space={self.space!r}, candidates {span}{note})")

    def summary(self) -> str:
        """A few lines of text: the choice, the scores near it, the notes."""
        lines = [f"n_topics = {self.n_topics} ({self.method}, {self.space} space)"]
        order = np.argsort(np.abs(self.candidates - self.n_topics), kind="stable")[:7]
        for i in np.sort(order):
            mark = " <" if self.candidates[i] == self.n_topics else ""
            lines.append(f"  K = {self.candidates[i]:>3}: {self.score_name} "
                         f"{self.scores[i]:.4g}{mark}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    # ------------------------------------------------------------ plot
    def plot(self, path_or_ax: Any = None) -> Any:
        """Plot the score of every candidate; needs matplotlib (imported here).

        Parameters
        ----------
        path_or_ax : str, path, matplotlib Axes or None
            A file name (the figure is saved there and closed), an Axes to
            draw on, or None (a new figure).

        Returns
        -------
        matplotlib.axes.Axes
        """
        try:
            import matplotlib
        except ImportError:
            raise ImportError("SelectionResult.plot needs matplotlib, which is not installed: "
                              "pip install matplotlib") from None
        import os

        to_file = isinstance(path_or_ax, (str, os.PathLike))
        if to_file:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        if path_or_ax is None or to_file:
            fig, ax = plt.subplots(figsize=(6, 3.5))
        elif hasattr(path_or_ax, "plot") and hasattr(path_or_ax, "figure"):
            ax, fig = path_or_ax, path_or_ax.figure
        else:
            raise TypeError(f"path_or_ax must be a file path, a matplotlib Axes or None, got "
                            f"{type(path_or_ax).__name__}")
        ax.plot(self.candidates, self.scores, "o-", ms=3)
        if self.method == "spectral":
            ax.axhline(1.0, color="grey", ls="--", lw=1, label="noise threshold")
            ax.set_yscale("log" if np.all(self.scores > 0) else "linear")
        ax.axvline(self.n_topics, color="C3", lw=1, label=f"chosen: {self.n_topics}")
        ax.set_xlabel("n_topics (candidate)")
        ax.set_ylabel(self.score_name)
        ax.set_title(f"select_n_topics: {self.method}, {self.space} space")
        ax.legend(loc="best", fontsize="small")
        if to_file:
            fig.tight_layout()
            fig.savefig(os.fspath(path_or_ax), dpi=110)
            plt.close(fig)
        return ax

    # ------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; :meth:`from_dict` restores an equal result."""
        return {"n_topics": self.n_topics, "method": self.method, "space": self.space,
                "candidates": self.candidates.tolist(), "scores": [float(s) for s in self.scores],
                "score_name": self.score_name, "notes": list(self.notes),
                "details": _jsonable(self.details)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SelectionResult:
        """Rebuild a result from :meth:`to_dict`'s output, checking every field."""
        if not isinstance(data, dict) or set(data) != set(_FIELDS):
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"a saved selection result must have exactly the fields {_FIELDS}, "
                             f"got {keys}")
        candidates = np.asarray(data["candidates"])
        scores = np.asarray(data["scores"], dtype=np.float64)
        if candidates.ndim != 1 or candidates.size == 0 \
                or not np.issubdtype(candidates.dtype, np.integer):
            raise ValueError("a saved selection result needs a non-empty list of integer "
                             "candidates")
        if scores.shape != candidates.shape:
            raise ValueError(f"a saved selection result has {scores.size} scores for "
                             f"{candidates.size} candidates")
        n_topics = data["n_topics"]
        if isinstance(n_topics, bool) or not isinstance(n_topics, numbers.Integral) \
                or n_topics not in candidates:
            raise ValueError(f"a saved selection result's n_topics {n_topics!r} is not among its "
                             "candidates")
        if data["method"] not in _METHODS:
            raise ValueError(f"a saved selection result's method {data['method']!r} is not one of "
                             f"{_METHODS}")
        for key in ("space", "score_name"):
            if not isinstance(data[key], str):
                raise ValueError(f"a saved selection result's {key} must be a string")
        notes = data["notes"]
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise ValueError("a saved selection result's notes must be a list of strings")
        if not isinstance(data["details"], dict):
            raise ValueError("a saved selection result's details must be a dict")
        return cls(n_topics, data["method"], data["space"], candidates, scores, data["score_name"],
                   data["notes"], data["details"])

    def __eq__(self, other):
        if not isinstance(other, SelectionResult):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value
