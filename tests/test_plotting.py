"""llstopic.plotting: what each picture draws, checked on the matplotlib objects."""

import sys

import numpy as np
import pytest

import llstopic
from llstopic import Corpus
from llstopic.plotting import domain_order

PNG = b"\x89PNG\r\n\x1a\n"


def test_domain_order_groups_by_dominant_label_strongest_first():
    domain_topic = np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]])
    order, dominant = domain_order(domain_topic)
    assert order.tolist() == [1, 4, 2, 0, 3] and dominant.tolist() == [0, 0, 0, 1, 1]


def test_without_matplotlib_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "llstopic\[plot\]"'):
        llstopic.plot_domain_topic(np.array([[0.5, 0.5]]))


@pytest.fixture(scope="module")
def fitted():
    pytest.importorskip("matplotlib")
    problem = llstopic.make_finite_lls(40, 3, 9, 3_000, alpha=1.0, beta=0.1, random_state=0)
    corpus = Corpus(problem.corpus.counts, vocabulary=[f"w{j}" for j in range(40)])
    return llstopic.AnchorWords(3, random_state=0).fit(corpus)


def test_plot_topics_draws_the_top_words_as_bars(fitted, tmp_path):
    fig = llstopic.plot_topics(fitted, 5, ncols=2)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 3 and len(fig.axes) == 4  # a 2 x 2 grid, the last panel hidden
    for k, ax in enumerate(axes):
        widths = [bar.get_width() for bar in ax.patches]
        names = [t.get_text() for t in ax.get_yticklabels()]
        assert names == fitted.top_words(5)[k] and ax.get_title() == f"topic {k}"
        np.testing.assert_allclose(widths, np.sort(fitted.topic_word_[k])[::-1][:5])
    fig.savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="out of range"):
        llstopic.plot_topics(fitted, topics=[3])


def test_plot_domain_topic_shows_the_rows_in_dominant_label_order(fitted, tmp_path):
    fig = llstopic.plot_domain_topic(fitted, domain_names=[f"d{i}" for i in range(9)])
    ax = fig.axes[0]
    order, dominant = domain_order(fitted.domain_topic_)
    np.testing.assert_array_equal(ax.images[0].get_array(), fitted.domain_topic_[order])
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"d{i}" for i in order]
    assert len(ax.lines) == np.count_nonzero(np.diff(dominant))  # a line between label groups
    fig.savefig(tmp_path / "h.png")
    with pytest.raises(ValueError, match="rows must sum to one"):
        llstopic.plot_domain_topic(np.array([[0.5, 0.6]]))


def test_plot_domain_clusters_places_the_examples_in_pca_of_p_d_given_x(tmp_path):
    pytest.importorskip("matplotlib")
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 900)
    mix = np.array([[0.7, 0.2, 0.1], [0.1, 0.7, 0.2], [0.2, 0.1, 0.7]])
    domains = np.array([rng.choice(3, p=mix[y]) for y in labels])
    X = rng.normal(size=(900, 2)) + 4 * np.eye(3)[labels][:, :2]
    disc = llstopic.DomainDiscretizer(n_words=3, random_state=0).fit(X, domains)
    fig = llstopic.plot_domain_clusters(disc, X, labels=labels, max_points=500)
    left, right = fig.axes
    proba = disc.domain_proba(X)
    expected = PCA(n_components=2, random_state=0).fit(proba).transform(proba)
    drawn = left.collections[0].get_offsets()
    assert drawn.shape == (500, 2) and right.collections[0].get_offsets().shape == (500, 2)
    # every drawn point is one of the examples' projections (a random subset of them)
    gaps = np.abs(drawn[:, None, :] - expected[None, :, :]).max(axis=2).min(axis=1)
    assert gaps.max() < 1e-9
    assert len(left.collections[1].get_offsets()) == 3  # the simplex's corners
    assert len(left.collections[2].get_offsets()) == 3  # the cluster centres
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="labels must have shape"):
        llstopic.plot_domain_clusters(disc, X, labels=labels[:5])
