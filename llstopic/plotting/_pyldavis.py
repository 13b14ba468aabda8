"""Hand a fitted factorizer to pyLDAvis: the keyword arguments of ``pyLDAvis.prepare``.

Nothing here imports pyLDAvis: the arguments are plain numpy arrays and a list,
so they can be built (and tested) without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_pyldavis"]


def to_pyldavis(model: Any, corpus: Any, *, new_domains: bool = False) -> dict[str, Any]:
    """The keyword arguments of :func:`pyLDAvis.prepare` for a fitted factorizer.

    Parameters
    ----------
    model : Factorizer
        Fitted; anything with ``topic_word_``, ``domain_topic_`` and
        ``transform``.
    corpus : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
        The counts to show: the training corpus (``new_domains=False``), or
        new domains with the model's words.
    new_domains : bool, default=False
        ``False``: ``corpus`` is the training corpus and p_d(y) is the
        model's ``domain_topic_``.  ``True``: p_d(y) is
        ``model.transform(corpus)``.

    Returns
    -------
    dict
        ``topic_term_dists`` (n_topics, n_kept) p(x|y),
        ``doc_topic_dists`` (n_domains, n_topics) p_d(y),
        ``doc_lengths`` (n_domains,) tokens per domain,
        ``vocab`` (n_kept words: the corpus' vocabulary, else the model's,
        else the word ids as strings) and ``term_frequency`` (n_kept,) tokens
        per word.  Words without a token in ``corpus`` are left out (pyLDAvis
        divides by a word's frequency) and the rows of ``topic_term_dists``
        renormalised over the words kept.  Call
        ``pyLDAvis.prepare(**to_pyldavis(model, corpus))``.

    Examples
    --------
    >>> import llstopic
    >>> problem = llstopic.make_finite_lls(30, 3, 6, 500, alpha=1.0, beta=0.1, random_state=0)
    >>> model = llstopic.NMF(3, random_state=0).fit(problem.corpus)
    >>> data = llstopic.to_pyldavis(model, problem.corpus)
    >>> sorted(data), data["topic_term_dists"].shape[0]
    (['doc_lengths', 'doc_topic_dists', 'term_frequency', 'topic_term_dists', 'vocab'], 3)
    """
    from ..factorizers._base import _as_counts

    if not hasattr(model, "topic_word_"):
        raise ValueError(f"model must be a fitted factorizer (no topic_word_ on "
                         f"{type(model).__name__}); call fit first")
    counts, vocabulary = _as_counts(corpus, "corpus")
    topic_word = np.asarray(model.topic_word_, dtype=np.float64)
    n_topics, n_words = topic_word.shape
    if counts.shape[1] != n_words:
        raise ValueError(f"corpus has {counts.shape[1]} words (columns) but the model was fitted "
                         f"with n_words = {n_words}")
    model_vocabulary = getattr(model, "vocabulary_", None)
    if vocabulary is not None and model_vocabulary is not None and vocabulary != model_vocabulary:
        raise ValueError("corpus and model have different vocabularies; count the corpus with the "
                         "model's (Corpus.from_texts(..., vocabulary=model.vocabulary_))")
    vocabulary = vocabulary or model_vocabulary or [str(j) for j in range(n_words)]
    if new_domains:
        domain_topic = model.transform(counts)
    else:
        domain_topic = np.asarray(model.domain_topic_, dtype=np.float64)
        if domain_topic.shape[0] != counts.shape[0]:
            raise ValueError(f"corpus has {counts.shape[0]} domains but the model was fitted on "
                             f"{domain_topic.shape[0]}: pass the training corpus, or "
                             f"new_domains=True to show new domains")
    frequency = np.bincount(counts.indices, weights=counts.data, minlength=n_words).astype(np.int64)
    kept = np.flatnonzero(frequency > 0)
    topic_term = topic_word[:, kept]
    if kept.size < n_words:
        mass = topic_term.sum(axis=1, keepdims=True)
        if (mass <= 0).any():
            k = int(np.flatnonzero(mass.ravel() <= 0)[0])
            raise ValueError(f"topic {k} puts no mass on any word of corpus; pyLDAvis cannot "
                             f"show it")
        topic_term /= mass
    return {
        "topic_term_dists": topic_term,
        "doc_topic_dists": np.array(domain_topic, dtype=np.float64),
        "doc_lengths": np.asarray(counts.sum(axis=1), dtype=np.int64).ravel(),
        "vocab": [vocabulary[j] for j in kept],
        "term_frequency": frequency[kept],
    }
