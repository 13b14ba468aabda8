"""Corpus: integer counts of shape (n_domains, n_words) as CSR, with a vocabulary.

Building (tokens, matrices, gensim corpora, texts), file I/O (UCI, Matrix Market) and
the one CSR -> gensim bag-of-words stream live in this folder.
"""

from ._corpus import Corpus

__all__ = ["Corpus"]
