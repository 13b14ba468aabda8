"""Make the small example corpus in this folder (UCI bag-of-words format).

A latent-label-shift problem with planted truth: 3 latent labels (topics),
24 input values (words) ``x00`` ... ``x23`` and 20 domains of 1,000 tokens.
p(x|y) is fixed; each domain draws its own label mix p_d(y) from a
Dirichlet(0.5, 0.5, 0.5).  Words ``x00``, ``x08`` and ``x16`` are anchors:
each has positive probability under one label only.

Run ``python data/make_example.py`` to rewrite the files next to this
script; with the fixed seed the output is identical every time.  Only numpy
is needed.
"""

import os

import numpy as np

SEED = 20240611
N_LABELS, N_WORDS, N_DOMAINS, TOKENS_PER_DOMAIN = 3, 24, 20, 1000


def planted_topic_word():
    """p(x|y) of shape (3, 24): 8 own words per label (the first an anchor) and shared ones."""
    weights = np.zeros((N_LABELS, N_WORDS))
    for y in range(N_LABELS):
        own = np.arange(8 * y, 8 * y + 8)
        weights[y, own] = [6, 10, 8, 6, 4, 3, 2, 1]
        others = np.setdiff1d(np.arange(N_WORDS), own)
        shared = others[(others % 8) != 0]  # never another label's anchor
        weights[y, shared] = 1
    return weights / weights.sum(axis=1, keepdims=True)


def make_example(outdir):
    """Write docword/vocab (UCI) and the planted truth (CSV) into ``outdir``."""
    rng = np.random.default_rng(SEED)
    topic_word = planted_topic_word()
    domain_topic = rng.dirichlet(np.full(N_LABELS, 0.5), size=N_DOMAINS)
    counts = np.stack([rng.multinomial(TOKENS_PER_DOMAIN, p) for p in domain_topic @ topic_word])
    rows, cols = np.nonzero(counts)
    lines = [f"{N_DOMAINS}", f"{N_WORDS}", f"{rows.size}"]
    lines += [f"{r + 1} {c + 1} {counts[r, c]}" for r, c in zip(rows, cols)]
    with open(os.path.join(outdir, "docword.example.txt"), "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, "vocab.example.txt"), "w", newline="\n") as f:
        f.write("".join(f"x{j:02d}\n" for j in range(N_WORDS)))
    np.savetxt(os.path.join(outdir, "topic_word.example.csv"), topic_word, fmt="%.17g",
               delimiter=",", comments="# ",
               header="p(x|y): one row per latent label y, one column per word x00..x23")
    np.savetxt(os.path.join(outdir, "domain_topic.example.csv"), domain_topic, fmt="%.17g",
               delimiter=",", comments="# ",
               header="p_d(y): one row per domain d, one column per latent label y")


if __name__ == "__main__":
    make_example(os.path.dirname(os.path.abspath(__file__)))
