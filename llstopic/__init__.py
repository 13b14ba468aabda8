"""llstopic: unsupervised learning under latent label shift as topic modelling.

Domains are documents, input values are words, latent labels are topics:
p(x|y) is fixed and the label mix p_d(y) shifts from domain to domain.
"""

from ._version import __version__
from .corpus import Corpus

__all__ = ["__version__", "Corpus"]
