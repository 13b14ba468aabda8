"""Peak-memory phases and the printed tables of ``bench_scale.py``."""

import ctypes
import gc
import time

GIB = 2.0**30


# ------------------------------------------------------------------ memory
def _status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return -1


def _reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _trim_heap():
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class Phase:
    """Times a block and records its peak RSS; appends a row to ``rows``."""

    def __init__(self, rows, name, **extra):
        self.rows, self.row = rows, {"phase": name, **extra}

    def __enter__(self):
        gc.collect()
        _trim_heap()
        self.row["peak_is_cumulative"] = not _reset_peak()
        self.row["rss_start"] = _status_bytes("VmRSS")
        print(f"  {self.row['phase']} ...", end="", flush=True)
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        return self.row

    def __exit__(self, *exc):
        self.row["seconds"] = time.perf_counter() - self.start
        self.row["cpu_seconds"] = time.process_time() - self.cpu_start  # all threads
        self.row["peak_rss"] = _status_bytes("VmHWM")
        print(f" {self.row['seconds']:.1f} s (CPU {self.row['cpu_seconds']:.1f} s), "
              f"peak {self.row['peak_rss'] / GIB:.2f} GiB", flush=True)
        self.rows.append(self.row)
        return False


# ----------------------------------------------------------------- report
def _gib(value):
    return f"{value / GIB:.2f}" if value >= 0 else "?"


def print_report(result):
    print(f"\n## bench_scale at scale {result['scale']} ({result['corpus']['spec']['n_docs']:,} "
          f"documents), keep_n = {result['keep_n']}")
    m = result["machine"]
    print(f"machine: {m['usable_cores']}/{m['cores']} cores, {m['cpu']}, "
          f"{m['memory_total_gib']:.1f} GiB; load average at start "
          f"{' '.join(f'{x:.2f}' for x in m['load_average'])}, at end "
          f"{' '.join(f'{x:.2f}' for x in result.get('load_average_end', []))}")
    print(f"python {m['python']}, numpy {m['numpy']}, numba {m['numba']} "
          f"({m['numba_threads']} threads), llstopic {m['llstopic']} at commit {m['commit']}")
    print(f"command: {result['command']}")
    stats = result["corpus"]["stats"]
    print(f"corpus: {stats['n_tokens']:,} tokens, nnz {stats['nnz']:,}, docword.txt.gz "
          f"{stats['docword_bytes'] / 2**20:.1f} MiB, generated in {stats['seconds']['total']:.1f} s "
          f"(CPU {stats['seconds'].get('cpu', float('nan')):.1f} s); "
          f"planted anchors kept by filter_words: {result.get('planted_anchors_kept', '-')}")
    rows = result["rows"]
    if not rows:
        return
    print("\n| phase | wall s | CPU s | peak RSS GiB | RSS at start GiB | topic error | "
          "p_d(y) error | notes |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        notes = []
        if "nnz_after" in row:
            notes.append(f"nnz {row['nnz_after']:,}, tokens {row['tokens_after']:,}")
        if "anchors" in row:
            a = row["anchors"]
            notes.append(f"anchors: {a['planted']}/{a['of']} planted, {a['topics_covered']} topics")
        if row.get("params"):
            notes.append(f"params {row['params']}")
        if "seconds_per_iteration" in row:
            notes.append(f"{row['seconds_per_iteration']:.2f} s/iteration ({row['workers']} workers)")
        if row.get("warnings"):
            notes.append(f"{len(row['warnings'])} warning(s)")
        star = "*" if row["peak_is_cumulative"] else ""
        err = row.get("topic_word_error")
        derr = row.get("domain_topic_error")
        print(f"| {row['phase']} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} | "
              f"{_gib(row['peak_rss'])}{star} | "
              f"{_gib(row['rss_start'])} | {'-' if err is None else f'{err:.4f}'} | "
              f"{'-' if derr is None else f'{derr:.5f}'} | {'; '.join(notes)} |")
    if any(row["peak_is_cumulative"] for row in rows):
        print("* peak since the process started (VmHWM could not be reset)")
    base = sum(r["seconds"] for r in rows[:2])
    for row in rows[2:]:
        if row["phase"].startswith("fit "):
            peak = max(r["peak_rss"] for r in rows[:2] + [row])
            print(f"end to end, read + filter + {row['phase']}: {base + row['seconds']:.1f} s, "
                  f"peak RSS {peak / GIB:.2f} GiB (issue 12 target at full size: 120 s, 6 GiB)")
    for row in rows:
        for attr, timings in row.get("model_timings", {}).items():
            parts = ", ".join(f"{k} {v:.1f} s" if isinstance(v, (int, float)) else f"{k} {v}"
                              for k, v in timings.items())
            print(f"{row['phase']}: {attr} {parts}; {row.get('facts', {})}")
        for text in row.get("warnings", []):
            print(f"{row['phase']}: warning: {text}")


def print_growth(results):
    """Seconds and peak RSS of each phase at every scale, with the ratio to the smallest."""
    scales = [r["scale"] for r in results]
    print("\n## growth with the corpus size\n")
    print("| phase | " + " | ".join(f"scale {s}: s / GiB" for s in scales) + " | time ratio |")
    print("|---|" + "---|" * (len(scales) + 1))
    first = {row["phase"]: row for row in results[0]["rows"]}
    for row in results[0]["rows"]:
        cells, last = [], None
        for r in results:
            match = next((x for x in r["rows"] if x["phase"] == row["phase"]), None)
            cells.append("-" if match is None else
                         f"{match['seconds']:.1f} / {match['peak_rss'] / GIB:.2f}")
            last = match or last
        ratio = "-" if last is None else f"{last['seconds'] / max(first[row['phase']]['seconds'], 1e-9):.1f}x"
        print(f"| {row['phase']} | " + " | ".join(cells) + f" | {ratio} |")
