"""Type aliases shared by the public signatures (annotations only: nothing here runs)."""

from __future__ import annotations

from os import PathLike
from typing import IO, Union

import numpy as np

#: what ``random_state`` accepts (see ``_validation.check_random_state``)
Seed = Union[None, int, np.integer, np.random.Generator, np.random.RandomState]
#: a file path
Path = Union[str, "PathLike[str]"]
#: a path or an open binary file
PathOrFile = Union[str, "PathLike[str]", IO[bytes]]
