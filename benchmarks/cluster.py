"""One index against its shards served on a local Ray cluster, over a synthetic corpus, in one run; prints a table.

    python benchmarks/cluster.py                        # 1M passages, 4 shards, 200 questions
    python benchmarks/cluster.py --size 100k --shards 4 --questions 200

Needs ``pip install -e '.[cluster]'`` and ``../shared/tools/make_scale_corpus.py`` (the corpus is
generated once into ``benchmarks/.data/``, as ``speed.py`` does, and reused). Steps:

1. the single-process build (``ASKDOC_WORKERS=1 askdoc index --rebuild``) and askdoc's ordinary
   build (one worker process per core), each in a child process of its own;
2. the same corpus in N shards built as Ray tasks on a local cluster of 2 CPUs (``ray.init(num_cpus=2)``:
   2 Ray workers), each task one process;
3. ``askdoc serve``'s actors (one per shard) found by name (``askdoc.open(corpus, cluster=...)``), and the one
   index loaded here: each question asked of both, interleaved (10 hits, quotes and citations: ``search``
   as a script calls it), every hit compared (article, paragraph, span, score to 1e-9, quote, answer,
   also_in, weak flags), each timed as the median of 3 passes;
4. each actor's peak resident memory (its shard's arrays are memory-mapped: pages read count).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from speed import SIZES, WORK, corpus_for  # noqa: E402  (one place makes the corpora of every benchmark)

PASSES = 3  # each question is searched this often; its median counts


def timed_build(corpus: Path, cache: Path, workers: int | None) -> float:
    """Wall time of ``askdoc index --rebuild`` in a child process (``workers``: ASKDOC_WORKERS, None: one per core)."""
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(cache)}
    if workers is not None:
        env["ASKDOC_WORKERS"] = str(workers)
    askdoc = shutil.which("askdoc", path=str(Path(sys.executable).parent)) or "askdoc"
    started = time.perf_counter()
    subprocess.run([askdoc, "index", "--corpus", str(corpus), "--rebuild"], check=True, env=env, capture_output=True)
    return time.perf_counter() - started


def seen(hits) -> list[tuple]:
    """What a hit shows, its score to 1e-9."""
    return [
        (h.article.id, h.passage.paragraph, h.passage.start, h.passage.end, round(h.score, 9),
         h.quote.text if h.quote else None, h.answer, h.also_in)
        for h in hits
    ] + [(hits.weak, hits.weak_words, hits.missing, hits.missing_shards)]  # fmt: skip


def timed(search, question: str) -> tuple[float, float, object]:
    """The median of ``PASSES`` searches for the question, the first one's time, and the hits."""
    times, found = [], None
    for _ in range(PASSES):
        started = time.perf_counter()
        found = search(question, k=10)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times[0], found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=sorted(SIZES))
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--skip-single-builds", action="store_true", help="reuse the one index built before")
    parser.add_argument("--reuse-shards", action="store_true", help="reuse the shards built before (no Ray build)")
    args = parser.parse_args()

    import ray

    from askdoc.cluster import building, serving
    from askdoc.opening import open_index

    loads = os.getloadavg()
    corpus, question_file = corpus_for(args.size)
    questions = [q for q in question_file.read_text("utf-8").splitlines() if q.strip()][: args.questions]
    work = WORK / f"cluster-{args.size}"
    one_cache, shard_cache = work / "cache-one", work / "cache-shards"
    rows: list[tuple[str, str]] = []

    if not args.skip_single_builds:
        rows.append(("build, one process (ASKDOC_WORKERS=1)", f"{timed_build(corpus, one_cache, 1):.1f} s"))
        rows.append(
            ("build, askdoc's own (a worker process per core)", f"{timed_build(corpus, one_cache, None):.1f} s")
        )

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    rows.append(("Ray local cluster start (2 CPUs)", f"{time.perf_counter() - started:.1f} s"))
    os.environ["ASKDOC_CACHE_DIR"] = str(shard_cache)
    if not args.reuse_shards:
        shutil.rmtree(shard_cache, ignore_errors=True)
        started = time.perf_counter()
        building.build_on_cluster(corpus, args.shards, report=lambda line: print(line, file=sys.stderr))
        took = time.perf_counter() - started
        rows.append((f"build, {args.shards} shards as Ray tasks (2 Ray workers)", f"{took:.1f} s"))
    started = time.perf_counter()
    infos = serving.serve(corpus, args.shards)
    rows.append((f"serve: {args.shards} actors started, shards loaded", f"{time.perf_counter() - started:.1f} s"))
    served = serving.open_served(corpus)

    os.environ["ASKDOC_CACHE_DIR"] = str(one_cache)
    one = open_index(corpus, refresh=False)
    for question in questions[:5]:  # warm both (first searches read the stem table, page in the arrays)
        one.search(question, k=10), served.search(question, k=10)
    one_times, cluster_times, one_first, cluster_first, differ = [], [], [], [], []
    for question in questions:
        t_one, first_one, a = timed(one.search, question)
        t_cluster, first_cluster, b = timed(served.search, question)
        one_times.append(t_one)
        cluster_times.append(t_cluster)
        one_first.append(first_one)
        cluster_first.append(first_cluster)
        if seen(a) != seen(b):
            differ.append(question)
    after = [served.shards[i].info() for i in range(args.shards)]
    p50 = (statistics.median(one_times), statistics.median(cluster_times))
    p95 = (percentile(one_times, 0.95), percentile(cluster_times, 0.95))
    first50 = (statistics.median(one_first), statistics.median(cluster_first))
    first95 = (percentile(one_first, 0.95), percentile(cluster_first, 0.95))
    rows += [
        (
            "passages / articles",
            f"{one.n_passages:,} / {one.n_articles:,} (one index); {served.n_passages:,} / "
            f"{served.n_articles:,} (shards)",
        ),  # fmt: skip
        (f"identical hits, {len(questions)} questions (k=10)", f"{len(questions) - len(differ)} of {len(questions)}"),
        ("query p50: one index / cluster", f"{p50[0] * 1e3:.2f} / {p50[1] * 1e3:.2f} ms ({p50[1] / p50[0]:.2f}×)"),
        ("query p95: one index / cluster", f"{p95[0] * 1e3:.2f} / {p95[1] * 1e3:.2f} ms ({p95[1] / p95[0]:.2f}×)"),
        (
            "first pass only (a question's first search), p50 / p95",
            f"{first50[0] * 1e3:.2f} / {first50[1] * 1e3:.2f} ms ({first50[1] / first50[0]:.2f}×); "
            f"{first95[0] * 1e3:.2f} / {first95[1] * 1e3:.2f} ms ({first95[1] / first95[0]:.2f}×)",
        ),
        ("peak RSS per actor (max)", f"{max(i['peak_rss'] for i in after) / 2**20:,.0f} MB"),
        ("peak RSS of the actors, in all", f"{sum(i['peak_rss'] for i in after) / 2**20:,.0f} MB"),
        ("peak RSS at start (per actor, max)", f"{max(i['peak_rss'] for i in infos) / 2**20:,.0f} MB"),
    ]
    serving.stop(corpus)
    ray.shutdown()
    print(
        f"\n{args.size} passages, {args.shards} shards, {len(questions)} questions; {time.strftime('%Y-%m-%d %H:%M')}; "
        f"load average {loads[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    for question in differ[:5]:
        print(f"differs: {question}")


if __name__ == "__main__":
    main()
