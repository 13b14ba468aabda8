"""Speed of the LLS generator and memory of the chunked posterior, as ratios.

Run from the repository root:  python benchmarks/bench_synthetic.py

1. ``make_finite_lls`` (vectorised: multinomial label counts, multinomial word
   counts per (domain, label) block, one shuffle per domain) against two
   baselines run in the same process on the same problem:
   a per-token Python loop (timed on a slice, reported per token) and the
   obvious block sampler (``rng.choice`` per (domain, label) block, then a
   per-domain shuffle).
2. ``lls_posterior`` / ``lls_predict`` (chunked) against the one-shot numpy
   expression, timing and peak extra memory (tracemalloc sees numpy buffers).
"""

from __future__ import annotations

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from llstopic import Corpus, lls_posterior, lls_predict, make_finite_lls  # noqa: E402

N_WORDS, N_TOPICS, N_DOMAINS, PER_DOMAIN = 2000, 10, 20, 50_000      # 1,000,000 tokens
REPEATS = 5


def best_time(fn, repeats=REPEATS):
    fn()                                                     # warm up (numba cache, allocator)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def per_token_loop(domain_topic, topic_word, n_tokens_per_domain, rng):
    words, domains, labels = [], [], []
    k, v = topic_word.shape
    for d in range(domain_topic.shape[0]):
        for _ in range(n_tokens_per_domain):
            y = rng.choice(k, p=domain_topic[d])
            words.append(rng.choice(v, p=topic_word[y]))
            domains.append(d)
            labels.append(y)
    return np.array(words), np.array(domains), np.array(labels)


def block_sampler(domain_topic, topic_word, n_tokens_per_domain, rng):
    k, v = topic_word.shape
    words, domains, labels = [], [], []
    for d in range(domain_topic.shape[0]):
        counts = rng.multinomial(n_tokens_per_domain, domain_topic[d])
        w = np.concatenate([rng.choice(v, size=c, p=topic_word[y]) for y, c in enumerate(counts)])
        lab = np.repeat(np.arange(k), counts)
        order = rng.permutation(w.shape[0])
        words.append(w[order])
        labels.append(lab[order])
        domains.append(np.full(w.shape[0], d))
    words, domains, labels = map(np.concatenate, (words, domains, labels))
    Corpus.from_tokens(words, domains, n_words=v, n_domains=domain_topic.shape[0])
    return words, domains, labels


def peak_memory(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def main():
    n_tokens = N_DOMAINS * PER_DOMAIN
    kwargs = dict(alpha=1.0, beta=0.1, random_state=0)
    problem = make_finite_lls(N_WORDS, N_TOPICS, N_DOMAINS, PER_DOMAIN, **kwargs)
    t_fast = best_time(lambda: make_finite_lls(N_WORDS, N_TOPICS, N_DOMAINS, PER_DOMAIN, **kwargs))
    rng = np.random.default_rng(1)
    t_block = best_time(lambda: block_sampler(problem.domain_topic, problem.topic_word,
                                              PER_DOMAIN, rng))
    loop_per_domain = 1000
    t_loop = best_time(lambda: per_token_loop(problem.domain_topic, problem.topic_word,
                                              loop_per_domain, rng), repeats=1)
    t_loop_per_token = t_loop / (N_DOMAINS * loop_per_domain)
    print(f"make_finite_lls, {n_tokens:,} tokens ({N_DOMAINS} domains, {N_TOPICS} topics, "
          f"{N_WORDS} words), best of {REPEATS}:")
    print(f"  vectorised               {t_fast:8.3f} s")
    print(f"  block rng.choice         {t_block:8.3f} s   ratio {t_block / t_fast:6.1f}x")
    print(f"  per-token loop (extrap.) {t_loop_per_token * n_tokens:8.1f} s   "
          f"ratio {t_loop_per_token * n_tokens / t_fast:6.0f}x  "
          f"(timed on {N_DOMAINS * loop_per_domain:,} tokens)")

    tw, dt = problem.topic_word, problem.domain_topic
    words, domains = problem.words, problem.domains

    def one_shot_posterior():
        joint = dt[domains] * tw.T[words]
        return joint / joint.sum(axis=1, keepdims=True)

    def one_shot_predict():
        return (dt[domains] * tw.T[words]).argmax(axis=1)

    np.testing.assert_allclose(lls_posterior(tw, dt, words, domains), one_shot_posterior(),
                               rtol=1e-12)
    np.testing.assert_array_equal(lls_predict(tw, dt, words, domains), one_shot_predict())
    rows = [
        ("lls_posterior", lambda: lls_posterior(tw, dt, words, domains), one_shot_posterior),
        ("lls_predict", lambda: lls_predict(tw, dt, words, domains), one_shot_predict),
    ]
    result_mib = {"lls_posterior": n_tokens * N_TOPICS * 8 / 2**20,
                  "lls_predict": n_tokens * 8 / 2**20}
    print(f"\nposterior over {n_tokens:,} observations, {N_TOPICS} topics, best of {REPEATS}:")
    for name, chunked, one_shot in rows:
        t_c, t_o = best_time(chunked), best_time(one_shot)
        m_c, m_o = peak_memory(chunked) / 2**20, peak_memory(one_shot) / 2**20
        print(f"  {name:14s} chunked {t_c:6.3f} s, one-shot {t_o:6.3f} s "
              "(time ratio one-shot/chunked "
              f"{t_o / t_c:4.2f}); peak memory chunked {m_c:6.1f} MiB, one-shot {m_o:6.1f} MiB "
              f"(result itself {result_mib[name]:.1f} MiB)")


if __name__ == "__main__":
    main()
