"""Text in: raw strings or token lists to word ids, with a fixed or a new vocabulary.

``Corpus.from_texts`` and ``Corpus.transform_texts`` wrap these; nothing here
is public.  Raw strings are tokenised by an *analyser*: the default one
(scikit-learn's ``CountVectorizer`` tokenisation with an English stop-word
list), a user's callable, or the analyser of a user's ``CountVectorizer``.
Token lists are used as given.  scikit-learn is imported only when a raw
string is seen.
"""

from __future__ import annotations

import collections
import logging
import warnings
from array import array
from typing import TYPE_CHECKING, Any, Collection, Iterable, Sequence

import numpy as np

from . import _build
from ._build import check_names

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["Analyser", "TextMixin", "texts_to_tokens", "warn_unknown"]

logger = logging.getLogger(__name__)

#: scikit-learn's default ``token_pattern``: runs of two or more word characters
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
#: unknown words named in the warning, most frequent first
_N_NAMED = 5


class TextMixin:
    """The text methods of :class:`~llstopic.Corpus` (``from_texts``, ``transform_texts``)."""

    _vocabulary: Any   # set by Corpus (annotations only, for the type checker)
    _analyser: Any
    _unknown: Any

    @classmethod
    def from_texts(cls, texts: Iterable[str | Sequence[str]], *, tokenizer: Any = None,
                   stop_words: str | Collection[str] | None = "english",
                   vocabulary: Sequence[str] | None = None, min_count: int = 1,
                   min_domains: int = 1, max_domain_fraction: float = 1.0,
                   keep_n: int | None = None, domain_names: Sequence[str] | None = None) -> Corpus:
        """Count documents given as raw strings or as token lists.

        Parameters
        ----------
        texts : iterable of str or of lists of str
            One document per domain, read once (a generator is fine).  A
            string is tokenised by ``tokenizer``; a list of tokens (e.g. from
            ``gensim.utils.simple_preprocess``) is used exactly as given.
        tokenizer : None, callable or sklearn CountVectorizer, default=None
            How strings become tokens.  ``None``, the default analyser: lower
            case, then runs of two or more letters or digits (scikit-learn's
            ``CountVectorizer`` tokenisation, ``r"(?u)\\b\\w\\w+\\b"``),
            then ``stop_words`` removed.  A callable ``text -> list of str``:
            its tokens, then ``stop_words`` removed.  A ``CountVectorizer``
            (or ``TfidfVectorizer``): its own analyser, stop words and
            n-grams; when it is fitted, its vocabulary, in its column order.
        stop_words : "english", None or collection of str, default="english"
            Removed from the tokens of strings (never from token lists).
            ``"english"`` is scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words).
        vocabulary : sequence of str or gensim Dictionary, optional
            A fixed vocabulary, e.g. a fitted model's ``vocabulary_``; tokens
            outside it are dropped and a ``UserWarning`` says how many (kept
            in ``n_unknown_tokens``).  Without one, the vocabulary is every
            token seen, sorted.
        min_count, min_domains, max_domain_fraction, keep_n
            Word filters applied after counting, as in :meth:`filter_words`.
        domain_names : sequence of str, optional

        Returns
        -------
        Corpus
            ``kept_words`` is ``None``: the filters are part of the build.
            :meth:`transform_texts` counts new documents the same way.

        Examples
        --------
        >>> from llstopic import Corpus
        >>> c = Corpus.from_texts([["b", "a", "b"], ["c"]])
        >>> c.vocabulary, c.counts.toarray().tolist()
        (['a', 'b', 'c'], [[1, 2, 0], [0, 0, 1]])
        >>> Corpus.from_texts(["The cat sat.", "A dog, a cat!"]).vocabulary
        ['cat', 'dog', 'sat']
        """
        analyser = Analyser(tokenizer, stop_words)
        vocabulary = _build.names_list(vocabulary)
        if analyser.vectorizer_vocabulary is not None:
            if vocabulary is not None:
                raise ValueError("give a vocabulary or a fitted CountVectorizer as tokenizer, "
                                 "not both: the fitted vectorizer has its own vocabulary")
            vocabulary = analyser.vectorizer_vocabulary
        corpus = build(cls, texts, analyser, vocabulary, domain_names, "from_texts")
        if (min_count, min_domains, max_domain_fraction, keep_n) != (1, 1, 1.0, None):
            unknown = corpus._unknown
            corpus = corpus.filter_words(min_count=min_count, min_domains=min_domains,
                                         max_domain_fraction=max_domain_fraction, keep_n=keep_n)
            corpus._kept_words, corpus._unknown, corpus._analyser = None, unknown, analyser
        return corpus

    def transform_texts(self, texts: Iterable[str | Sequence[str]], *,
                        domain_names: Sequence[str] | None = None) -> Corpus:
        """Count new documents with this corpus' vocabulary and tokenisation.

        Strings are tokenised as :meth:`from_texts` tokenised this corpus
        (its ``tokenizer`` and ``stop_words``; the defaults for a corpus made
        otherwise).  Tokens outside the vocabulary are dropped and a
        ``UserWarning`` gives their number, kept in ``n_unknown_tokens``.  No
        word filter runs: the columns are this corpus' columns, so a model
        fitted on it can ``transform`` the result.

        Returns
        -------
        Corpus
        """
        if self._vocabulary is None:
            raise ValueError("this Corpus has no vocabulary, so new texts cannot be mapped to "
                             "its words; build it with from_texts or with vocabulary=...")
        analyser = self._analyser if self._analyser is not None else Analyser()
        return build(type(self), texts, analyser, self._vocabulary, domain_names,
                           "transform_texts")

    @property
    def n_unknown_tokens(self) -> int | None:
        """Tokens dropped as outside a fixed vocabulary when this corpus was counted.

        An int for a corpus made by :meth:`from_texts` with a fixed
        vocabulary or by :meth:`transform_texts`; ``None`` otherwise.
        """
        return self._unknown


def _is_vectorizer(obj):
    """A scikit-learn ``CountVectorizer`` (or subclass, e.g. ``TfidfVectorizer``)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return isinstance(obj, CountVectorizer)


class Analyser:
    """How raw strings become tokens; token lists pass through untouched.

    Parameters
    ----------
    tokenizer : None, callable or sklearn CountVectorizer
        ``None``: lower case, tokens of two or more word characters
        (scikit-learn's ``token_pattern``), then ``stop_words`` removed.  A
        callable: ``tokenizer(text)`` gives the tokens, then ``stop_words``
        are removed.  A ``CountVectorizer``: its own analyser (its
        ``lowercase``, ``token_pattern``, ``stop_words``, ``ngram_range``...);
        when it is fitted its vocabulary is the vocabulary (columns in its
        order).
    stop_words : "english", None or collection of str
        ``"english"`` is scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words).
        Must be left at ``"english"`` with a ``CountVectorizer``.
    """

    def __init__(self, tokenizer=None, stop_words="english"):
        vectorizer = tokenizer is not None and _is_vectorizer(tokenizer)
        if tokenizer is not None and not callable(tokenizer) and not vectorizer:
            raise TypeError("tokenizer must be None, a callable text -> tokens or a scikit-learn "
                            f"CountVectorizer, got {type(tokenizer).__name__}")
        if isinstance(stop_words, str):
            if stop_words != "english":
                raise ValueError(f"stop_words must be 'english', None or a collection of strings, "
                                 f"got {stop_words!r}")
        elif stop_words is not None:
            if not hasattr(stop_words, "__iter__"):
                raise TypeError(f"stop_words must be 'english', None or a collection of strings, "
                                f"got {type(stop_words).__name__}")
            stop_words = frozenset(stop_words)
            bad = next((w for w in stop_words if not isinstance(w, str)), None)
            if bad is not None:
                raise TypeError(f"stop_words must hold strings, got {bad!r}")
        if vectorizer and stop_words != "english":
            raise ValueError("stop_words cannot be combined with a CountVectorizer tokenizer: "
                             "set stop_words on the vectorizer itself")
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self._vectorizer = vectorizer
        self._analyse = None

    @property
    def vectorizer_vocabulary(self):
        """The vocabulary of a fitted ``CountVectorizer`` tokenizer (by column), else ``None``."""
        if self._vectorizer and hasattr(self.tokenizer, "vocabulary_"):
            return [str(w) for w in self.tokenizer.get_feature_names_out()]
        return None

    def _build(self):
        """(tokenize, stop words still to remove) for raw strings."""
        if self._vectorizer:
            return self.tokenizer.build_analyzer(), None
        if self.stop_words == "english":
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

            stop = ENGLISH_STOP_WORDS
        else:
            stop = self.stop_words or frozenset()
        if self.tokenizer is None:
            from sklearn.feature_extraction.text import CountVectorizer

            return CountVectorizer(token_pattern=TOKEN_PATTERN,
                                   stop_words=sorted(stop) or None).build_analyzer(), None
        return self.tokenizer, stop or None

    def __call__(self, text, i):
        """The tokens of document ``i``, the raw string ``text``."""
        if self._analyse is None:
            self._analyse = self._build()
        tokenize, stop = self._analyse
        tokens = tokenize(text)
        if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
            raise TypeError(f"tokenizer(texts[{i}]) returned a {type(tokens).__name__}, "
                            f"not a list of tokens")
        return tokens if stop is None else [t for t in tokens if t not in stop]


def texts_to_tokens(texts, vocabulary=None, analyser=None):
    """Word ids per token, tokens per document, the vocabulary and the unknown tokens.

    With no ``vocabulary`` it is built from the texts and sorted; with one,
    tokens outside it are dropped and counted.

    Returns
    -------
    words : int64 array of shape (n_tokens,)
    lengths : int64 array of shape (n_documents,)
    vocabulary : list of str
    unknown : collections.Counter or None
        Dropped tokens by word (``None`` without a fixed vocabulary).
    """
    if isinstance(texts, (str, bytes)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"texts must be an iterable of strings or of token lists, "
                        f"got {type(texts).__name__}")
    analyser = Analyser() if analyser is None else analyser
    fixed = vocabulary is not None
    index = {w: i for i, w in enumerate(vocabulary)} if fixed else {}
    unknown = collections.Counter() if fixed else None
    word_ids = array("q")
    lengths = array("q")
    for i, doc in enumerate(texts):
        if isinstance(doc, str):
            doc = analyser(doc, i)
        elif isinstance(doc, bytes):
            raise TypeError(f"texts[{i}] is bytes; decode it to a str first")
        elif not hasattr(doc, "__iter__"):
            raise TypeError(f"texts[{i}] is a {type(doc).__name__}, "
                            f"not a string or a list of tokens")
        before = len(word_ids)
        if fixed:
            doc = doc if isinstance(doc, list) else list(doc)
            try:
                ids = [index.get(t, -1) for t in doc]
            except TypeError:  # an unhashable token
                raise TypeError(f"texts[{i}] holds {_bad(doc)!r}; tokens must be strings") from None
            word_ids.extend(ids)
            if -1 in ids:
                unknown.update(t for t, j in zip(doc, ids) if j < 0)
                del word_ids[before:]
                word_ids.extend(j for j in ids if j >= 0)
        else:
            setdefault = index.setdefault
            try:
                word_ids.extend(setdefault(t, len(index)) for t in doc)
            except TypeError:  # an unhashable token
                raise TypeError(f"texts[{i}] holds {_bad(doc)!r}; tokens must be strings") from None
        lengths.append(len(word_ids) - before)
    if len(lengths) == 0:
        raise ValueError("texts holds no documents; a corpus needs at least one token")
    if len(word_ids) == 0:
        where = " in the given vocabulary" if fixed else ""
        raise ValueError(f"texts holds no tokens{where}; a corpus needs at least one")
    words = np.frombuffer(word_ids, dtype=np.int64)
    lengths = np.frombuffer(lengths, dtype=np.int64)
    if fixed:
        bad = next((t for t in unknown if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"texts holds the token {bad!r}; tokens must be strings")
        return words, lengths, list(vocabulary), unknown
    names = list(index)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"texts holds the token {name!r}; tokens must be strings")
    order = sorted(range(len(names)), key=names.__getitem__)
    new_id = np.empty(len(names), dtype=np.int64)
    new_id[order] = np.arange(len(names))
    return new_id[words], lengths, [names[j] for j in order], None


def _bad(doc):
    return next(t for t in doc if not isinstance(t, str))


def warn_unknown(unknown, n_known, where):
    """Warn (``UserWarning``) how many tokens were outside the vocabulary; return that count."""
    n_unknown = sum(unknown.values())
    if n_unknown:
        total = n_unknown + n_known
        named = ", ".join(f"{w!r} x{c}" for w, c in unknown.most_common(_N_NAMED))
        more = f" and {len(unknown) - _N_NAMED} more words" if len(unknown) > _N_NAMED else ""
        message = (f"{where}: {n_unknown:,} of {total:,} tokens ({n_unknown / total:.1%}) are not "
                   f"in the vocabulary and were dropped: {named}{more}")
        logger.info(message)
        warnings.warn(message, UserWarning, stacklevel=4)  # the caller of from_texts
    return n_unknown


def build(cls, texts, analyser, vocabulary, domain_names, where):
    """A ``cls`` Corpus of ``texts``; with a fixed ``vocabulary`` the unknown tokens are counted."""

    if vocabulary is not None:
        vocabulary = check_names(vocabulary, len(vocabulary), "vocabulary", "its length")
    words, lengths, vocabulary, unknown = texts_to_tokens(texts, vocabulary, analyser)
    domains = np.repeat(np.arange(lengths.shape[0], dtype=np.int64), lengths)
    corpus = cls.from_tokens(words, domains, n_words=len(vocabulary), n_domains=lengths.shape[0],
                             vocabulary=vocabulary, domain_names=domain_names)
    if unknown is not None:
        corpus._unknown = warn_unknown(unknown, words.shape[0], where)
    corpus._analyser = analyser
    return corpus
