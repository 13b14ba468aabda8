"""Write the format-version-1 save files in this folder (run once, from the repository root).

The files were written by llstopic at commit 99165d2 (before the hardened ``load``); the test
``test_hostile_persistence.test_version_1_files_still_load`` checks that they still load and
give the same ``transform``.  Do not regenerate them with newer code: they stand for the files
users already have.
"""

import os
import sys

import numpy as np

import llstopic
from llstopic import make_finite_lls

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    problem = make_finite_lls(12, 2, 4, 400, alpha=1.0, beta=0.5, random_state=0)
    vocabulary = [f"w{j}" for j in range(12)]
    corpus = llstopic.Corpus.from_matrix(problem.corpus.counts, vocabulary=vocabulary)
    params = {"anchor": {}, "nmf": {"init": "random"}, "lda": {"passes": 5, "n_init": 1}}
    for name, extra in params.items():
        model = llstopic.make_factorizer(name, 2, random_state=0, **extra).fit(corpus)
        model.save(os.path.join(HERE, f"saved_v1_{name}.npz"))
        np.save(os.path.join(HERE, f"saved_v1_{name}_transform.npy"), model.transform(corpus))
    np.save(os.path.join(HERE, "saved_v1_counts.npy"), corpus.toarray())


if __name__ == "__main__":
    sys.exit(main())
