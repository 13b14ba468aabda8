"""Loaders for data that ships with llstopic's dependencies or its ``bench`` extra: nothing is
downloaded.

Each file is found inside its installed package (``importlib.util.find_spec``
locates a package without importing it) and read directly.  Heavy packages
(gensim, scikit-learn, numba through :class:`~llstopic.Corpus`) are imported
inside the loaders, so importing this module costs only numpy and scipy.
"""

from ._digits import load_digits_lls
from ._mnist import load_mnist_sample
from ._text import load_lee, load_lee_texts, load_news_articles, load_reuters

__all__ = ["load_lee", "load_lee_texts", "load_digits_lls", "load_reuters", "load_news_articles",
           "load_mnist_sample"]
