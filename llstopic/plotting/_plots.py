"""Pictures of a fitted model: top words, the label shift across domains, DDFA's clusters.

matplotlib is optional (``pip install "llstopic[plot]"``) and imported inside the
functions.  They draw on :class:`matplotlib.figure.Figure` objects made
without ``pyplot`` (no global state, no display needed) and return the figure;
save it with ``fig.savefig("topics.png")``.  Pass ``ax`` to draw into an
axes of your own instead (``plot_domain_topic`` and ``plot_domain_clusters``).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._typing import Seed
from .._validation import check_finite_array, check_positive_int, check_probability_rows

__all__ = ["plot_topics", "plot_domain_topic", "plot_domain_clusters", "domain_order"]

#: at most this many domain names are written along the heat map's axis
_MAX_TICK_LABELS = 40


def _figure(**kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError('plotting needs matplotlib, which is not installed: '
                          'pip install "llstopic[plot]"') from None
    return Figure(**kwargs)


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_topics(model: Any, n_words: int = 10, *, topics: Sequence[int] | None = None,
                ncols: int | None = None) -> Any:
    """The top words of each topic as horizontal bars of p(x|y).

    Parameters
    ----------
    model : Factorizer
        Fitted; its vocabulary names the bars (word ids without one).
    n_words : int, default=10
        Words per topic.
    topics : sequence of int, optional
        Which topics, in which order; default all.
    ncols : int, optional
        Panels per row; default up to 5.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not hasattr(model, "topic_word_"):
        raise ValueError(f"model must be fitted (no topic_word_ on {type(model).__name__})")
    topic_word = np.asarray(model.topic_word_, dtype=np.float64)
    n_topics, n_total = topic_word.shape
    n_words = min(check_positive_int(n_words, "n_words"), n_total)
    topics = list(range(n_topics)) if topics is None else [int(k) for k in topics]
    for k in topics:
        if not 0 <= k < n_topics:
            raise ValueError(f"topics holds {k}, out of range: the model has {n_topics} topics")
    if not topics:
        raise ValueError("topics is empty: nothing to plot")
    ncols = min(len(topics), 5) if ncols is None else check_positive_int(ncols, "ncols")
    nrows = math.ceil(len(topics) / ncols)
    vocabulary = getattr(model, "vocabulary_", None)
    fig = _figure(figsize=(2.6 * ncols, 0.22 * n_words * nrows + 0.6 * nrows + 0.3),
                  layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    top = max(topic_word[topics].max(), 1e-300)
    for ax, k in zip(axes, topics):
        order = np.argsort(-topic_word[k], kind="stable")[:n_words]
        names = [str(vocabulary[w]) if vocabulary is not None else str(int(w)) for w in order]
        ax.barh(np.arange(n_words), topic_word[k, order], color=f"C{k % 10}")
        ax.set_yticks(np.arange(n_words), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.05 * top)
        ax.set_title(f"topic {k}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(topics):]:
        ax.set_visible(False)
    fig.supxlabel("p(x | y)", fontsize=9)
    return fig


def domain_order(domain_topic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Domains grouped by their dominant label, strongest first within a group.

    Returns
    -------
    order : int64 array of shape (n_domains,)
    dominant : int64 array of shape (n_domains,), the dominant label in that order
    """
    dominant = np.argmax(domain_topic, axis=1)
    strength = domain_topic[np.arange(domain_topic.shape[0]), dominant]
    order = np.lexsort((np.arange(dominant.shape[0]), -strength, dominant))
    return order.astype(np.int64), dominant[order].astype(np.int64)


def plot_domain_topic(model: Any, *, domain_names: Sequence[str] | None = None,
                      ax: Any = None) -> Any:
    """Heat map of p_d(y): one row per domain, ordered by its dominant label.

    Under latent label shift the rows are different mixes of the same labels;
    grouped by dominant label they show which labels drive which domains, and
    how far each domain is from a pure one.

    Parameters
    ----------
    model : Factorizer, DDFA or array-like of shape (n_domains, n_topics)
        A fitted model (its ``domain_topic_``) or the p_d(y) rows themselves.
    domain_names : sequence of str, optional
        Row labels (written when there are at most 40 domains); default the
        ids.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    domain_topic = getattr(model, "domain_topic_", model)
    domain_topic = check_probability_rows(domain_topic, "domain_topic", atol=1e-6)
    n_domains, n_topics = domain_topic.shape
    if domain_names is not None and len(domain_names) != n_domains:
        raise ValueError(f"domain_names has {len(domain_names)} entries but there are "
                         f"{n_domains} domains")
    order, dominant = domain_order(domain_topic)
    fig, ax = _axes(ax, (1.6 + 0.45 * n_topics, min(2.0 + 0.22 * n_domains, 9.0)))
    image = ax.imshow(domain_topic[order], aspect="auto", interpolation="nearest", cmap="viridis",
                      vmin=0.0, vmax=1.0)
    ax.set_xticks(np.arange(n_topics), [str(k) for k in range(n_topics)], fontsize=8)
    ax.set_xlabel("latent label (topic) y")
    if n_domains <= _MAX_TICK_LABELS:
        names = [str(domain_names[d]) if domain_names is not None else str(d) for d in order]
        ax.set_yticks(np.arange(n_domains), names, fontsize=7)
    else:
        ax.set_yticks([])
    ax.set_ylabel(f"{n_domains} domains, by dominant label")
    for boundary in np.flatnonzero(np.diff(dominant)) + 0.5:
        ax.axhline(boundary, color="white", linewidth=1.0)
    ax.set_title("p_d(y) across domains", fontsize=10)
    fig.colorbar(image, ax=ax, label="p_d(y)", shrink=0.8)
    return fig


def plot_domain_clusters(discretizer: Any, X: ArrayLike, *, labels: ArrayLike | None = None,
                         max_points: int = 5000, random_state: Seed = 0, ax: Any = None) -> Any:
    """DDFA's words: examples in p(d|x) space (2-D PCA), coloured by their cluster.

    Each example's domain posterior p(d|x) is a point of the domain simplex;
    under latent label shift the points of one label gather around p(d|y),
    and the clusters of these points are DDFA's words.  The picture is the
    first two principal components of p(d|x), with the cluster centres
    (crosses) and the simplex's corners, the pure domains (labelled squares).

    Parameters
    ----------
    discretizer : DomainDiscretizer or DDFA
        Fitted (a DDFA's ``discretizer_`` is used).
    X : array-like of shape (n_examples, n_features)
        Examples to place.  Pass examples the discriminator was not trained
        on (a test split) for held-out p(d|x); the training examples give
        the in-sample p(d|x), which is more extreme.
    labels : array-like of int, shape (n_examples,), optional
        E.g. the true latent labels: a second panel is coloured by them.
    max_points : int, default=5000
        At most this many examples are drawn (a random subset).
    random_state : int, default=0
        Seeds the subset.
    ax : matplotlib Axes, optional
        Without ``labels`` only.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D
    from sklearn.decomposition import PCA

    discretizer = getattr(discretizer, "discretizer_", discretizer)
    if not hasattr(discretizer, "clusterer_"):
        raise ValueError("discretizer must be a fitted DomainDiscretizer or DDFA")
    proba = discretizer.domain_proba(X)
    words = discretizer.clusterer_.predict(proba)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (proba.shape[0],):
            raise ValueError(f"labels must have shape ({proba.shape[0]},), got {labels.shape}")
        if ax is not None:
            raise ValueError("ax cannot be combined with labels (two panels are drawn)")
    n_domains = proba.shape[1]
    pca = PCA(n_components=min(2, n_domains), random_state=0).fit(proba)
    points = _two_d(pca.transform(proba))
    corners = _two_d(pca.transform(np.eye(n_domains)))
    centres = getattr(discretizer.clusterer_, "cluster_centers_", None)
    centres = None if centres is None else _two_d(pca.transform(centres))
    keep = np.arange(points.shape[0])
    if keep.shape[0] > check_positive_int(max_points, "max_points"):
        keep = np.sort(np.random.default_rng(random_state).choice(keep, max_points, replace=False))
    panels = [(words, "cluster (word)")] + ([(labels, "label")] if labels is not None else [])
    if ax is None:
        fig = _figure(figsize=(5.2 * len(panels), 4.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(panels), sharex=True, sharey=True)).ravel()
    else:
        fig, axes = ax.figure, [ax]
    share = pca.explained_variance_ratio_
    for ax, (colour, what) in zip(axes, panels):
        values, codes = np.unique(colour[keep], return_inverse=True)
        n_colours = 10 if values.shape[0] <= 10 else 20  # one colour of tab10/tab20 per value
        scatter = ax.scatter(points[keep, 0], points[keep, 1], c=codes, cmap=f"tab{n_colours}",
                             s=8, alpha=0.6, vmin=-0.5, vmax=max(values.shape[0], n_colours) - 0.5,
                             linewidths=0)
        ax.scatter(corners[:, 0], corners[:, 1], marker="s", s=30, c="black")
        for d, (cx, cy) in enumerate(corners):
            ax.annotate(f"d{d}", (cx, cy), textcoords="offset points", xytext=(4, 4), fontsize=7)
        if centres is not None and what.startswith("cluster"):
            ax.scatter(centres[:, 0], centres[:, 1], marker="x", s=60, c="black", linewidths=1.5)
        handles = [Line2D([], [], marker="o", linestyle="", markersize=5,
                          color=scatter.cmap(scatter.norm(i))) for i in range(values.shape[0])]
        if values.shape[0] <= 20:
            ax.legend(handles, [str(v) for v in values], title=what, fontsize=7, title_fontsize=8,
                      loc="best", markerscale=1.0)
        ax.set_xlabel(f"PC 1 of p(d|x) ({share[0]:.0%})")
        ax.set_ylabel(f"PC 2 ({share[1]:.0%})" if share.shape[0] > 1 else "")
        ax.set_title(f"p(d|x) coloured by {what}", fontsize=10)
    return fig


def _two_d(points):
    """PCA output with a zero second column when there was only one component."""
    points = check_finite_array(points, "points", ndim=2)
    if points.shape[1] == 1:
        points = np.hstack([points, np.zeros_like(points)])
    return points
