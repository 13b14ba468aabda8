"""Anchor words vs NMF vs LDA on a latent-label-shift problem with known truth.

The comparison behind ``llstopic compare``, written against the public API:
plant p(x|y) and p_d(y), sample few long domains, fit each method, match its
topics to the truth and score it against the oracle (p(x|y) counted with the
true labels, the best any method can do on this sample).

    python examples/compare_anchor_lda.py
"""

import time

import llstopic


def main(n_words=1000, n_topics=8, n_domains=16, tokens_per_domain=40_000, lda_passes=100, seed=0):
    problem = llstopic.make_finite_lls(n_words, n_topics, n_domains, tokens_per_domain, alpha=1.0,
                                       beta=0.1, max_condition=20, random_state=seed)
    truth = problem.topic_word
    oracle = llstopic.topic_word_error(truth, problem.oracle_topic_word(), permutation=range(n_topics))
    print(f"{problem}\noracle topic-word error {oracle:.4f}")
    methods = {"anchor": {}, "nmf": {}, "lda": {"passes": lda_passes, "n_init": 1}}
    for name, params in methods.items():
        model = llstopic.make_factorizer(name, n_topics, random_state=seed, **params)
        start = time.perf_counter()
        model.fit(problem.corpus)       # the first anchor fit also compiles (cached on disk)
        seconds = time.perf_counter() - start
        error = llstopic.topic_word_error(truth, model.topic_word_)   # matches topics first
        labels = model.predict(problem.words, problem.domains)         # p_d(y|x), arg-max
        accuracy = llstopic.matched_accuracy(problem.labels, labels)
        print(f"{name:>6}: topic-word error {error:.4f} = {error / oracle:.2f} x oracle, "
              f"accuracy {accuracy:.3f}, {seconds:.2f} s")
    # The same in one call, with warm-up, held-out likelihood, memory and a verdict:
    result = llstopic.compare(problem, list(methods), method_params={"lda": methods["lda"]},
                              progress=False)
    print(result.verdict())
    return result


if __name__ == "__main__":
    main()
