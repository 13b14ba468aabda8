"""How many latent labels?  Estimate n_topics from the data (:func:`select_n_topics`)."""

from ._result import SelectionResult
from ._select import is_auto, select_n_topics

__all__ = ["select_n_topics", "SelectionResult", "is_auto"]
