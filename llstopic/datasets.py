"""Loaders for data that ships with llstopic's dependencies: nothing is downloaded.

Heavy packages (gensim) are imported inside the loaders, so importing this
module stays cheap.
"""

from __future__ import annotations

from ._digits import load_digits_lls
from .corpus import Corpus

__all__ = ["load_lee", "load_digits_lls"]


def load_lee(*, min_domains=3, max_domain_fraction=0.5):
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

    Returns
    -------
    Corpus
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
    from gensim.parsing.preprocessing import STOPWORDS
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess

    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        texts = [[t for t in simple_preprocess(line) if t not in STOPWORDS] for line in f]
    names = [f"lee{i:03d}" for i in range(len(texts))]
    return Corpus.from_texts(texts, min_domains=min_domains,
                             max_domain_fraction=max_domain_fraction, domain_names=names)
