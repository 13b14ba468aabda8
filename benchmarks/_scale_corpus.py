"""A NYTimes-shaped planted corpus for ``bench_scale.py``, streamed to UCI files.

The corpus (defaults = the full size): 300,000 documents with log-normal
lengths (mean 300 tokens, so about 90M tokens), a vocabulary of 100,000 words
whose overall frequencies follow a Zipf-Mandelbrot law, and 100 planted
topics.  Topic ``y`` is the Zipf profile times Gamma(``topic_shape``) noise of
mean one (so the topics overlap the way real ones do, sharing the frequent
words), plus ``n_anchors`` anchor words that only topic ``y`` produces, holding
``anchor_mass`` of its probability (shares n, n-1, ..., 1).  The anchors get
the ranks ``anchor_ranks`` of the Zipf order, and their frequency is set by
``anchor_mass`` (about 3e-4 to 8e-5 of all tokens each at the defaults, Zipf
ranks 300 to 1,200: far inside the top 15,000 words), so the problem stays
anchor-separable after ``filter_words(keep_n=15000)``; ``params.json``
records the lowest rank of an anchor in the sample (``lowest_anchor_rank``).
Documents mix topics by a sparse symmetric Dirichlet(``doc_topic_alpha``).

Written, into one folder:

* ``docword.txt.gz``: UCI bag-of-words (header D, W, NNZ, then ``doc word
  count`` lines, 1-based ids, sorted by document then word), as concatenated
  gzip members (level 1, one per block of documents; every gzip reader reads
  them as one stream).  NNZ is only known at the end, so its header line is
  right-aligned in 12 characters (leading spaces) and rewritten in place;
* ``vocab.txt``: ``w<rank>`` for ordinary words, ``anchor<y>_<j>`` for anchors;
* ``planted.npz``: ``topic_word`` (n_topics, n_words), ``anchors`` (n_topics,
  n_anchors) word ids, ``lengths`` (n_docs,), ``word_counts`` (n_words,);
* ``domain_topic.npy``: the sampled p_d(y), float32 (n_docs, n_topics);
* ``params.json``: the spec and statistics, written last (its presence with
  the same spec means the folder is complete and reusable).

Generation is block-streamed: numba samples a block of documents (word ids,
counts) and formats its lines while worker threads gzip the previous blocks.
Seeds: topics from ``default_rng([seed, 0])``, block ``b`` from
``default_rng([seed, 1, b])``, so a corpus depends only on its spec.
"""

import concurrent.futures
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
import zlib

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_NNZ_WIDTH = 12


def _load_sibling(name):
    """Import ``benchmarks/<name>.py`` by path (benchmarks/ is not a package)."""
    key = f"_llstopic_bench_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, os.path.join(_HERE, name + ".py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


_k = _load_sibling("_scale_kernels")


@dataclasses.dataclass(frozen=True)
class CorpusSpec:
    """Everything that determines a planted corpus (see the module docstring)."""

    n_docs: int = 300_000
    n_words: int = 100_000
    n_topics: int = 100
    mean_length: float = 300.0
    length_sigma: float = 0.6
    min_length: int = 10
    max_length: int = 5_000
    doc_topic_alpha: float = 0.1
    zipf_exponent: float = 1.0
    zipf_offset: float = 2.7
    topic_shape: float = 0.3
    n_anchors: int = 4
    anchor_mass: float = 0.08
    anchor_ranks: tuple = (50, 3_000)
    block_docs: int = 10_000
    seed: int = 0

    def __post_init__(self):
        for name in ("n_docs", "n_words", "n_topics", "min_length", "max_length", "n_anchors",
                     "block_docs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("mean_length", "length_sigma", "doc_topic_alpha", "zipf_exponent",
                     "topic_shape"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not 0.0 < self.anchor_mass < 1.0:
            raise ValueError(f"anchor_mass must be in (0, 1), got {self.anchor_mass!r}")
        if self.min_length > self.max_length:
            raise ValueError(f"min_length = {self.min_length} > max_length = {self.max_length}")
        lo, hi = self.anchor_ranks
        if not 0 <= lo < hi <= self.n_words or hi - lo < self.n_topics * self.n_anchors:
            raise ValueError(f"anchor_ranks = {self.anchor_ranks!r} must be a range inside "
                             f"[0, n_words = {self.n_words}] holding n_topics * n_anchors = "
                             f"{self.n_topics * self.n_anchors} ranks")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")

    def as_dict(self):
        d = dataclasses.asdict(self)
        d["anchor_ranks"] = list(self.anchor_ranks)
        return d

    def key(self):
        """Short hash of the spec, for the cache folder's name."""
        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def planted_topics(spec):
    """The planted p(x|y) and anchors of ``spec``.

    Returns
    -------
    topic_word : ndarray of shape (n_topics, n_words), rows sum to one
    anchors : ndarray of int64, shape (n_topics, n_anchors), word ids
    rank_of : ndarray of int64, shape (n_words,), the Zipf rank behind each word id
    """
    rng = np.random.default_rng([spec.seed, 0])
    n_topics, n_words, n_anchors = spec.n_topics, spec.n_words, spec.n_anchors
    zipf = (np.arange(1, n_words + 1) + spec.zipf_offset) ** -spec.zipf_exponent
    zipf /= zipf.sum()
    by_rank = rng.standard_gamma(spec.topic_shape, size=(n_topics, n_words))
    by_rank *= zipf
    lo, hi = spec.anchor_ranks
    anchor_rank = rng.choice(np.arange(lo, hi), size=(n_topics, n_anchors), replace=False)
    by_rank[:, anchor_rank.ravel()] = 0.0
    by_rank *= (1.0 - spec.anchor_mass) / by_rank.sum(axis=1, keepdims=True)
    shares = np.arange(n_anchors, 0, -1, dtype=np.float64)
    shares *= spec.anchor_mass / shares.sum()
    by_rank[np.arange(n_topics)[:, None], anchor_rank] = shares
    word_of_rank = rng.permutation(n_words)  # ids are not sorted by frequency
    topic_word = np.empty_like(by_rank)
    topic_word[:, word_of_rank] = by_rank
    del by_rank
    topic_word /= topic_word.sum(axis=1, keepdims=True)
    rank_of = np.empty(n_words, dtype=np.int64)
    rank_of[word_of_rank] = np.arange(n_words)
    return topic_word, word_of_rank[anchor_rank].astype(np.int64), rank_of


def vocabulary(spec, anchors, rank_of):
    """Word strings: ``w<rank>``, and ``anchor<topic>_<j>`` for anchors."""
    words = [f"w{r}" for r in rank_of.tolist()]
    for y, row in enumerate(anchors.tolist()):
        for j, w in enumerate(row):
            words[w] = f"anchor{y}_{j}"
    return words


def alias_tables(topic_word):
    """Checked alias tables (prob float32, alias int32) of the rows of ``topic_word``."""
    topic_word = np.ascontiguousarray(topic_word, dtype=np.float64)
    if topic_word.ndim != 2 or not np.all(np.isfinite(topic_word)) or (topic_word < 0).any():
        raise ValueError("topic_word must be a finite non-negative 2-d array")
    if not (topic_word.sum(axis=1) > 0).all():
        raise ValueError("every row of topic_word needs a positive sum")
    if topic_word.shape[1] >= 2**31:
        raise ValueError(f"n_words = {topic_word.shape[1]} does not fit the int32 alias table")
    prob = np.empty(topic_word.shape, dtype=np.float32)
    alias = np.empty(topic_word.shape, dtype=np.int32)
    _k.build_alias(topic_word, prob, alias)
    if not ((alias >= 0) & (alias < topic_word.shape[1])).all():  # the sampler indexes with it
        raise RuntimeError("build_alias wrote an alias outside [0, n_words)")
    return prob, alias


def block_inputs(spec, block):
    """The random draws of block ``block`` made with numpy before the kernel.

    Returns ``(lengths, domain_topic, topic_cdf, seeds)``: int64 document
    lengths, float64 p_d(y) of shape (n, n_topics), its cumulative sums (last
    column exactly 1) and one uint64 seed per document.
    """
    first = block * spec.block_docs
    n = min(spec.block_docs, spec.n_docs - first)
    if block < 0 or n <= 0:
        raise ValueError(f"block = {block} is outside the corpus ({spec.n_docs} documents in "
                         f"blocks of {spec.block_docs})")
    rng = np.random.default_rng([spec.seed, 1, block])
    mu = np.log(spec.mean_length) - 0.5 * spec.length_sigma ** 2
    lengths = np.rint(rng.lognormal(mu, spec.length_sigma, size=n)).astype(np.int64)
    np.clip(lengths, spec.min_length, spec.max_length, out=lengths)
    gammas = rng.standard_gamma(spec.doc_topic_alpha, size=(n, spec.n_topics))
    totals = gammas.sum(axis=1)
    empty = np.flatnonzero(~(totals > 0))  # every gamma underflowed: one topic
    gammas[empty, rng.integers(spec.n_topics, size=empty.size)] = 1.0
    totals[empty] = 1.0
    domain_topic = gammas / totals[:, None]
    topic_cdf = np.cumsum(domain_topic, axis=1)
    topic_cdf[:, -1] = 1.0
    seeds = rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64)
    return lengths, domain_topic, topic_cdf, seeds


def sample_tokens(lengths, topic_cdf, seeds, prob, alias):
    """Checked call of ``_scale_kernels.sample_documents``.

    Returns ``(offsets, words, counts, nnz)``: document ``d``'s distinct words
    (sorted) and counts are ``words[offsets[d]:offsets[d] + nnz[d]]`` and the
    same slice of ``counts``.
    """
    n = lengths.shape[0]
    if prob.ndim != 2 or alias.shape != prob.shape or prob.dtype != np.float32 \
            or alias.dtype != np.int32:
        raise ValueError("prob and alias must be float32 and int32 arrays of one 2-d shape")
    if topic_cdf.shape != (n, prob.shape[0]) or seeds.shape != (n,):
        raise ValueError(f"topic_cdf {topic_cdf.shape} and seeds {seeds.shape} must be "
                         f"({n}, {prob.shape[0]}) and ({n},)")
    if (lengths < 0).any() or not np.all(topic_cdf[:, -1] == 1.0):
        raise ValueError("lengths must be >= 0 and every topic_cdf row must end at exactly 1")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    words = np.empty(offsets[-1], dtype=np.int32)
    counts = np.empty(offsets[-1], dtype=np.int32)
    nnz = np.empty(n, dtype=np.int64)
    _k.sample_documents(offsets, np.ascontiguousarray(topic_cdf, dtype=np.float64), prob, alias,
                        seeds.astype(np.uint64), words, counts, nnz)
    return offsets, words, counts, nnz


def sample_block(spec, block, prob, alias):
    """Sample block ``block``: ``(lengths, domain_topic, offsets, words, counts, nnz)``."""
    if prob.shape != (spec.n_topics, spec.n_words):
        raise ValueError(f"alias tables of shape {prob.shape} do not match the spec "
                         f"({spec.n_topics}, {spec.n_words})")
    lengths, domain_topic, topic_cdf, seeds = block_inputs(spec, block)
    return (lengths, domain_topic) + sample_tokens(lengths, topic_cdf, seeds, prob, alias)


def format_block(first_doc, offsets, nnz, words, counts):
    """The UCI lines of a sampled block, as one bytes-like uint8 array."""
    if first_doc < 0 or offsets.shape[0] != nnz.shape[0] + 1 or offsets[0] != 0:
        raise ValueError("format_block: inconsistent block arrays")
    if (nnz < 0).any() or (nnz > np.diff(offsets)).any():
        raise ValueError("format_block: nnz must lie between 0 and each document's length")
    n_bytes = np.empty(nnz.shape[0], dtype=np.int64)
    _k.line_bytes(first_doc, offsets, nnz, words, counts, n_bytes)
    byte_offsets = np.zeros(nnz.shape[0] + 1, dtype=np.int64)
    np.cumsum(n_bytes, out=byte_offsets[1:])
    out = np.empty(byte_offsets[-1], dtype=np.uint8)
    _k.format_lines(first_doc, offsets, nnz, words, counts, byte_offsets, out)
    return out


def _gzip_member(data, level):
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip container
    return compressor.compress(data) + compressor.flush()


def _header_member(spec, nnz):
    text = f"{spec.n_docs}\n{spec.n_words}\n{nnz:>{_NNZ_WIDTH}d}\n".encode()
    return _gzip_member(text, 0)  # stored: its size depends only on the text's length


def generate(spec, folder, *, compresslevel=1, n_compressors=2, progress=None):
    """Write the corpus of ``spec`` into ``folder`` (created); return its statistics.

    Parameters
    ----------
    spec : CorpusSpec
    folder : str
    compresslevel : int, default=1
        zlib level of the body's gzip members.
    n_compressors : int, default=2
        Threads that gzip blocks while the next block is sampled.
    progress : callable, optional
        Called as ``progress(docs_done, n_docs)`` after each block.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    os.makedirs(folder, exist_ok=True)
    topic_word, anchors, rank_of = planted_topics(spec)
    prob, alias = alias_tables(topic_word)
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocabulary(spec, anchors, rank_of)) + "\n")
    t_topics = time.perf_counter() - start
    lengths = np.empty(spec.n_docs, dtype=np.int32)
    word_counts = np.zeros(spec.n_words, dtype=np.int64)
    domain_topic = np.lib.format.open_memmap(os.path.join(folder, "domain_topic.npy"), mode="w+",
                                             dtype=np.float32, shape=(spec.n_docs, spec.n_topics))
    n_blocks = -(-spec.n_docs // spec.block_docs)
    total_nnz, t_sample, t_format, t_wait = 0, 0.0, 0.0, 0.0
    path = os.path.join(folder, "docword.txt.gz")
    with open(path, "wb") as out, \
            concurrent.futures.ThreadPoolExecutor(max(1, n_compressors)) as pool:
        out.write(_header_member(spec, 0))
        pending = []
        for block in range(n_blocks):
            first = block * spec.block_docs
            t0 = time.perf_counter()
            block_lengths, block_topics, offsets, words, counts, nnz = \
                sample_block(spec, block, prob, alias)
            t1 = time.perf_counter()
            text = format_block(first, offsets, nnz, words, counts)
            _k.add_word_totals(offsets, nnz, words, counts, word_counts)
            t2 = time.perf_counter()
            t_sample += t1 - t0
            t_format += t2 - t1
            stop = first + block_lengths.shape[0]
            lengths[first:stop] = block_lengths
            domain_topic[first:stop] = block_topics
            total_nnz += int(nnz.sum())
            pending.append(pool.submit(_gzip_member, memoryview(text), compresslevel))
            del words, counts, text
            while len(pending) > max(1, n_compressors):
                t3 = time.perf_counter()
                out.write(pending.pop(0).result())
                t_wait += time.perf_counter() - t3
            if progress is not None:
                progress(stop, spec.n_docs)
        t3 = time.perf_counter()
        for future in pending:
            out.write(future.result())
        t_wait += time.perf_counter() - t3
        header = _header_member(spec, total_nnz)
        if len(header) != len(_header_member(spec, 0)):
            raise RuntimeError("the rewritten header changed size")  # cannot happen at level 0
        out.seek(0)
        out.write(header)
    domain_topic.flush()
    del domain_topic
    np.savez(os.path.join(folder, "planted.npz"), topic_word=topic_word, anchors=anchors,
             lengths=lengths, word_counts=word_counts)
    order = np.lexsort((np.arange(spec.n_words), -word_counts))
    rank_in_sample = np.empty(spec.n_words, dtype=np.int64)
    rank_in_sample[order] = np.arange(spec.n_words)
    stats = {
        "n_docs": spec.n_docs, "n_words": spec.n_words, "n_tokens": int(lengths.sum(dtype=np.int64)),
        "nnz": total_nnz, "words_seen": int(np.count_nonzero(word_counts)),
        "lowest_anchor_rank": int(rank_in_sample[anchors].max()) + 1,
        "docword_bytes": os.path.getsize(path),
        "seconds": {"total": time.perf_counter() - start,
                    "cpu": time.process_time() - cpu_start, "topics_and_alias": t_topics,
                    "sample": t_sample, "format": t_format, "waiting_for_gzip": t_wait},
    }
    with open(os.path.join(folder, "params.json.tmp"), "w") as f:
        json.dump({"spec": spec.as_dict(), "stats": stats}, f, indent=1)
    os.replace(os.path.join(folder, "params.json.tmp"), os.path.join(folder, "params.json"))
    return stats


def ensure_corpus(spec, workdir, *, regenerate=False, progress=None, log=print):
    """The folder holding ``spec``'s corpus under ``workdir``, generated if needed.

    Returns ``(folder, info)``; ``info`` is the content of ``params.json`` plus
    ``"generated"`` (True when written by this call).
    """
    folder = os.path.join(workdir, f"planted-{spec.n_docs}x{spec.n_words}-k{spec.n_topics}-"
                                   f"seed{spec.seed}-{spec.key()}")
    params = os.path.join(folder, "params.json")
    if not regenerate and os.path.exists(params):
        with open(params) as f:
            info = json.load(f)
        if info.get("spec") == spec.as_dict():
            info["generated"] = False
            return folder, info
    if os.path.exists(folder):
        shutil.rmtree(folder)
    log(f"generating {spec.n_docs:,} documents x {spec.n_words:,} words into {folder}")
    stats = generate(spec, folder, progress=progress)
    return folder, {"spec": spec.as_dict(), "stats": stats, "generated": True}


def load_planted(folder):
    """``(topic_word, anchors, lengths, word_counts)`` saved by :func:`generate`."""
    with np.load(os.path.join(folder, "planted.npz"), allow_pickle=False) as data:
        return data["topic_word"], data["anchors"], data["lengths"], data["word_counts"]


def load_domain_topic(folder):
    """The sampled p_d(y), float32 (n_docs, n_topics), memory-mapped."""
    return np.load(os.path.join(folder, "domain_topic.npy"), mmap_mode="r")
