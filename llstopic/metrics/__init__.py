"""Metrics, each implemented once: matching and recovery errors against planted truth,
likelihoods, held-out document completion, coherence and diversity.

Latent labels are identified only up to a permutation, so every comparison with
the truth first matches topics (:func:`match_topics`, Hungarian algorithm).  On
real text the judge is held-out *documents*: :func:`document_completion` infers
each unseen document's topic mix on one part of its tokens with the topics fixed
and scores the other part.
"""

from ._coherence import Coherence, coherence, duplicate_topics, topic_diversity
from ._heldout import CompletionScore, document_completion, perplexity, score_completion, split_documents
from ._likelihood import log_likelihood
from ._recovery import (domain_topic_error, match_labels, match_topics, matched_accuracy, oracle_topic_word,
                        topic_word_error)

__all__ = ["match_topics", "topic_word_error", "domain_topic_error", "matched_accuracy", "match_labels",
           "oracle_topic_word", "log_likelihood", "split_documents", "score_completion", "CompletionScore",
           "document_completion", "perplexity", "coherence", "Coherence", "topic_diversity",
           "duplicate_topics"]
