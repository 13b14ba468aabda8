"""Planted latent-label-shift problems: generators and their samplers."""

from ._generators import make_domain_topic, make_topic_word
from ._problem import LLSProblem, assign_domains, make_finite_lls

__all__ = ["make_domain_topic", "make_topic_word", "make_finite_lls", "LLSProblem", "assign_domains"]
