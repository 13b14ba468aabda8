"""The shape of a corpus, which decides a back end's defaults.

Latent-label-shift data are few, very long domains; topic-model data are many
short documents.  Back ends that tune themselves to the shape (``AnchorWords``
picks its word space, ``GensimLDA`` its optimiser settings) use this one rule.
"""

from __future__ import annotations

__all__ = ["corpus_regime", "DOMAINS", "DOCUMENTS"]

DOMAINS = "domains"        # few long domains: n_topics <= n_domains <= n_words, long rows
DOCUMENTS = "documents"    # many short documents


def corpus_regime(n_domains, n_words, mean_length, n_topics, *, geometric=True):
    """``"domains"`` for few long domains, else ``"documents"``.

    Domains are long when they average at least n_words tokens.  With
    ``geometric=True`` (the anchor rule: the domain space p(d|x) has room for
    n_topics vertices only when n_topics <= n_domains <= n_words) the count of
    domains must fit too; optimisers that care only about row length (LDA's
    batch updates) pass ``geometric=False``.
    """
    long_rows = mean_length >= n_words
    if geometric:
        return DOMAINS if long_rows and n_topics <= n_domains <= n_words else DOCUMENTS
    return DOMAINS if long_rows else DOCUMENTS
