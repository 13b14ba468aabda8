"""Continuous inputs: the domain discriminator p(d|x), DomainDiscretizer and DDFA."""

from ._ddfa import DDFA
from ._discretizer import DomainDiscretizer

__all__ = ["DomainDiscretizer", "DDFA"]
