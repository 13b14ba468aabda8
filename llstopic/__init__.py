"""llstopic: unsupervised learning under latent label shift as topic modelling.

Domains are documents, input values are words, latent labels are topics:
p(x|y) is fixed and the label mix p_d(y) shifts from domain to domain.

Public names are loaded on first access (PEP 562), so that ``import llstopic``
and ``llstopic --help`` do not pay for numba, scikit-learn or gensim.
"""

import importlib

from ._version import __version__

# public name -> module that defines it (relative to this package).
# To export a new public name, add it HERE; do not import modules at the top of
# this file (that would make `import llstopic` pay for numba/scikit-learn/gensim).
_EXPORTS = {
    "Corpus": ".corpus",
    "Factorizer": ".factorizers",
    "available": ".factorizers",
    "load": ".factorizers",
    "make_factorizer": ".factorizers",
    "register_factorizer": ".factorizers",
    "AnchorWords": ".factorizers.anchor",
    "NMF": ".factorizers.nmf",
    "GensimLDA": ".factorizers.lda",
    "TomotopyLDA": ".factorizers.tomotopy",
    "make_domain_topic": ".synthetic",
    "make_topic_word": ".synthetic",
    "make_finite_lls": ".synthetic",
    "LLSProblem": ".synthetic",
    "assign_domains": ".synthetic",
    "match_topics": ".metrics",
    "topic_word_error": ".metrics",
    "domain_topic_error": ".metrics",
    "matched_accuracy": ".metrics",
    "match_labels": ".metrics",
    "oracle_topic_word": ".metrics",
    "log_likelihood": ".metrics",
    "polish": ".factorizers._polish",
    "PolishResult": ".factorizers._polish",
    "split_documents": ".metrics",
    "document_completion": ".metrics",
    "perplexity": ".metrics",
    "coherence": ".metrics",
    "topic_diversity": ".metrics",
    "duplicate_topics": ".metrics",
    "lls_posterior": ".posterior",
    "lls_predict": ".posterior",
    "compare": ".evaluation",
    "Comparison": ".evaluation",
    "sweep_tokens": ".evaluation",
    "DomainDiscretizer": ".continuous",
    "DDFA": ".continuous",
    "to_pyldavis": ".plotting",
    "plot_topics": ".plotting",
    "plot_domain_topic": ".plotting",
    "plot_domain_clusters": ".plotting",
    "select_n_topics": ".selection",
    "SelectionResult": ".selection",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llstopic' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
