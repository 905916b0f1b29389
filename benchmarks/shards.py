"""An index in shards on one machine beside one index over the same corpus, in one run (a table).

    python benchmarks/shards.py                      # 1M passages, 8 shards
    python benchmarks/shards.py --size 100k --shards 4 -n 100
    python benchmarks/shards.py --size 4m --no-refresh --reuse   # a corpus others read too; the indexes built before

The corpus comes from ``../shared/tools/make_scale_corpus.py`` (see speed.py; kept in
``benchmarks/.data/``). One index and the shards live in two index caches, each built by
``askdoc index`` in a child process. Measured: the build; the refresh after one article is
edited (a child process opens the corpus and picks the edit up: only its shard is rewritten);
a one-shot ``askdoc query`` (fresh processes, page cache warm: 3 questions, 5 runs each, one index
and the shards in turns so that both see the same load; the median); query latency in one process
holding both (median and p95 of ``n`` questions, each asked of one index then of the shards); and
whether every hit of those questions is the same (ids, paragraphs, scores to 1e-9, quotes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import WORK, compile_askdoc, corpus_for  # noqa: E402

SHOTS = 5  # runs of each one-shot question, in turns


def env_for(cache: Path) -> dict:
    return {**os.environ, "ASKDOC_CACHE_DIR": str(cache)}


def run(args: list[str], env: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def edit_and_refresh(corpus: Path, env: dict, shards: int | None, events: bool = False) -> dict:
    """Edit one article, time the refresh that picks it up, then put the article back (refreshed again).

    ``events``: the refresh is told the edited path (as the chat's watch is by file events): no walk."""
    article = sorted(corpus.rglob("*.txt"))[len(list(corpus.iterdir())) // 2]
    original = article.read_bytes()
    options = (["--shards", str(shards)] if shards else []) + (["--path", str(article)] if events else [])
    try:
        article.write_bytes(original + b"\n\nAn edited paragraph about the harbour regatta.\n")
        result = run(["--child", "refresh", "--corpus", str(corpus), *options], env)
    finally:
        article.write_bytes(original)
        run(["--child", "refresh", "--corpus", str(corpus), *options], env)
    return result


def child(args) -> dict:
    import askdoc

    corpus = Path(args.corpus)
    options = {"shards": args.shards} if args.shards else {}
    if args.child == "build":
        start = time.perf_counter()
        askdoc.open(corpus, rebuild=True, **options)
        return {"seconds": time.perf_counter() - start}
    if args.child == "refresh":
        if args.path:
            options["changed"] = [args.path]
        start = time.perf_counter()
        askdoc.open(corpus, **options)
        return {"seconds": time.perf_counter() - start}
    # query: one index and the shards opened side by side (each from its cache), each question asked of one
    # then of the other, so that both see the same load: latencies and every hit, for comparison
    indexes = []
    for cache, shards in ((args.one_cache, None), (args.shards_cache, args.shards)):
        os.environ["ASKDOC_CACHE_DIR"] = cache
        indexes.append(askdoc.open(corpus, refresh=False, **({"shards": shards} if shards else {})))
    questions = Path(args.questions).read_text("utf-8").splitlines()[: args.n]
    for question in questions[:5]:
        for index in indexes:
            index.search(question, k=10)
    times: list[list[float]] = [[], []]
    seen: list[list] = [[], []]
    for question in questions:
        for number, index in enumerate(indexes):
            start = time.perf_counter()
            hits = index.search(question, k=10)
            times[number].append(time.perf_counter() - start)
            seen[number].append(
                [[h.article.id, h.passage.paragraph, h.score, h.quote.text if h.quote else None] for h in hits]
            )
    return {
        name: {"p50": statistics.median(took), "p95": sorted(took)[int(0.95 * (len(took) - 1))], "hits": hits}
        for name, took, hits in zip(("one", "shards"), times, seen)
    }


def one_shots(corpus: Path, asked: list[str], envs: dict[str, dict]) -> dict[str, float]:
    """The median wall time of a fresh ``askdoc query -k 10`` process, for each index cache, run in turns."""
    askdoc = shutil.which("askdoc", path=str(Path(sys.executable).parent)) or "askdoc"
    times: dict[str, list[float]] = {name: [] for name in envs}
    for question in asked:
        command = [askdoc, "query", "-k", "10", "--corpus", str(corpus), question]
        for env in envs.values():
            subprocess.run(command, capture_output=True, env=env, check=False)  # (page cache warm)
        for _ in range(SHOTS):
            for name, env in envs.items():
                started = time.perf_counter()
                subprocess.run(command, capture_output=True, env=env, check=False)
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(found) for name, found in times.items()}


def same(a: list, b: list) -> int:
    """How many questions got the same hits (scores to 1e-9)."""
    return sum(
        len(x) == len(y) and all(p[:2] == q[:2] and abs(p[2] - q[2]) < 1e-9 and p[3] == q[3] for p, q in zip(x, y))
        for x, y in zip(a, b)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", help="10k, 100k, 1m or 4m passages")
    parser.add_argument("--shards", type=int, default=None, help="how many shards (default 8)")
    parser.add_argument("-n", type=int, default=200, help="questions timed and compared")
    parser.add_argument("--child", choices=("build", "refresh", "query"))
    parser.add_argument("--corpus")
    parser.add_argument("--questions")
    parser.add_argument("--path", help="(a refresh child) the edited file, as file events name it")
    parser.add_argument("--one-cache", help="(a query child) the index cache of one index")
    parser.add_argument("--shards-cache", help="(a query child) the index cache of the shards")
    parser.add_argument("--events-only", action="store_true", help="only the refresh told the edited path (built)")
    parser.add_argument("--no-refresh", action="store_true", help="edit no article (a corpus others read: read-only)")
    parser.add_argument("--reuse", action="store_true", help="the indexes an earlier run built, as they are (no build)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    loads = os.getloadavg()
    corpus, questions = corpus_for(args.size)
    args.shards = args.shards or 8  # (a child is given --shards only for the shards: one index's children none)
    compile_askdoc()
    rows = {}
    for name, shards in (("one index", None), (f"{args.shards} shards", args.shards)):
        env = env_for(WORK / f"shards-bench-{args.size}-{shards or 1}")
        options = ["--shards", str(shards)] if shards else []
        if args.events_only:
            times = [edit_and_refresh(corpus, env, shards, events=True).get("seconds", 0.0) for _ in range(3)]
            print(f"| {name} | refresh told the edited path: {statistics.median(times):.2f} s (median of 3) |")
            continue
        built = {} if args.reuse else run(["--child", "build", "--corpus", str(corpus), *options], env)
        refresh = {} if args.no_refresh else edit_and_refresh(corpus, env, shards)
        rows[name] = {"build": built, "refresh": refresh, "env": env}
        print(name, built, refresh, flush=True)
    if args.events_only:
        return
    caches = [row["env"]["ASKDOC_CACHE_DIR"] for row in rows.values()]
    queried = run(["--child", "query", "--corpus", str(corpus), "--questions", str(questions), "-n", str(args.n),
                   "--shards", str(args.shards), "--one-cache", caches[0], "--shards-cache", caches[1]],
                  dict(os.environ))  # fmt: skip
    for row, key in zip(rows.values(), ("one", "shards")):
        row["query"] = queried.get(key, queried)
    asked = [q for q in Path(questions).read_text("utf-8").splitlines() if q.strip()][:3]
    for name, took in one_shots(corpus, asked, {name: row["env"] for name, row in rows.items()}).items():
        rows[name]["one_shot"] = took
    one, sharded = rows.values()
    agree = same(one["query"].get("hits", []), sharded["query"].get("hits", []))
    print(f"\n{args.size} passages, {args.shards} local shards, {args.n} questions (k=10); identical hits: "
          f"{agree}/{len(one['query'].get('hits', []))}; {time.strftime('%Y-%m-%d %H:%M')}; load average "
          f"{loads[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end\n")  # fmt: skip
    print("| | build (s) | refresh after one edit (s) | one-shot query (s) | query p50 (ms) | query p95 (ms) |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        q = row["query"]
        build, refresh = row["build"].get("seconds"), row["refresh"].get("seconds")
        print(f"| {name} | {'-' if build is None else f'{build:.1f}'} | {'-' if refresh is None else f'{refresh:.2f}'} | "
              f"{row['one_shot']:.2f} | {q.get('p50', 0) * 1000:.1f} | {q.get('p95', 0) * 1000:.1f} |")  # fmt: skip
    ratios = {m: sharded["query"].get(m, 0) / max(one["query"].get(m, 0), 1e-9) for m in ("p50", "p95")}
    print(f"\none-shot: shards / one index = {sharded['one_shot'] / one['one_shot']:.2f}x; query p50 "
          f"{ratios['p50']:.2f}x, p95 {ratios['p95']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
