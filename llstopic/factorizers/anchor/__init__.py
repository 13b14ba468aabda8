"""Anchor-word recovery (Arora et al. 2013) and its word spaces."""

from ._estimator import AnchorWords

__all__ = ["AnchorWords"]
