"""Speed and scale: askdoc beside tantivy, bm25s and rank-bm25 on 100k and 1M passages, in one run.

    python benchmarks/speed.py                       # 100k and 1M, every engine
    python benchmarks/speed.py --sizes 100k --engines askdoc,tantivy

Corpora come from ``../shared/tools/make_scale_corpus.py`` (real BBC word statistics) and are
kept in ``benchmarks/.data/`` (git-ignored) to be reused. Every engine is measured in child
processes of its own, so that peak and resident memory are its alone: one child builds the
index, another loads the built index and times queries (10 hits each). Build peak memory is
that of the building process and its worker processes together (askdoc reads and analyses
files in one worker per core), sampled from /proc. askdoc also gets the
one-shot ``askdoc query`` wall time and the refresh time after one article is edited.
Peers need the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
WORK = Path(os.environ.get("ASKDOC_BENCH_WORK") or DATA)  # index caches and results: apart per person when set
MAKE_CORPUS = HERE.parent.parent / "shared" / "tools" / "make_scale_corpus.py"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "2m": 2_000_000, "4m": 4_000_000}
ENGINES = ("askdoc", "tantivy", "bm25s", "rank-bm25")
WARM_UP = 5
PASSES = 3  # each question is timed this often (rank-bm25 once: it scans everything, seconds at 1M)
_WORD = re.compile(r"\w+")


# -- the parent: corpora, children, table ---------------------------------------------------------


def corpus_for(size: str) -> tuple[Path, Path]:
    """The corpus folder and question file of a size, generated once."""
    folder, questions = DATA / f"corpus-{size}", DATA / f"queries-{size}.txt"
    if not (folder.is_dir() and questions.is_file()):
        DATA.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        args = [str(folder), "--passages", str(SIZES[size]), "--queries", str(questions)]
        subprocess.run([sys.executable, str(MAKE_CORPUS), *args], check=True)
    return folder, questions


def child(args: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run this script in a child process; its last output line is a JSON object of results."""
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def askdoc_env(work: Path) -> dict:
    return {**os.environ, "ASKDOC_CACHE_DIR": str(work / "askdoc-cache")}


def one_shot(corpus: Path | None, question: str, env: dict, runs: int = 7) -> float:
    """Median wall time of a fresh ``askdoc query`` process (index on disk, page cache warm)."""
    askdoc = shutil.which("askdoc", path=str(Path(sys.executable).parent)) or "askdoc"
    command = [askdoc, "query", "-k", "10", question] + (["--corpus", str(corpus)] if corpus else [])
    compile_askdoc()
    subprocess.run(command, capture_output=True, env=env)  # builds the index if need be
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compile_askdoc() -> None:
    """Write askdoc's bytecode, as installing a wheel does: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 (as some sandboxes set it) would compile its ~30 modules from
    source in every process, ~45 ms of each one-shot query that no installed askdoc pays."""
    from importlib.util import find_spec

    spec = find_spec("askdoc")
    if spec is not None and spec.submodule_search_locations:
        folder = list(spec.submodule_search_locations)[0]
        subprocess.run([sys.executable, "-m", "compileall", "-q", folder], capture_output=True)


def refresh_after_edit(corpus: Path, work: Path, timeout: float) -> dict:
    """Edit one article, time the refresh that picks it up, then put the article back."""
    article = sorted(p for p in corpus.rglob("*.txt"))[len(list(corpus.iterdir())) // 2]
    original = article.read_bytes()
    try:
        article.write_bytes(original + b"\n\nAn edited paragraph about the harbour regatta.\n")
        result = child(["--child", "refresh", "--corpus", str(corpus)], timeout, askdoc_env(work))
    finally:
        article.write_bytes(original)
        child(["--child", "refresh", "--corpus", str(corpus)], timeout, askdoc_env(work))
    return result


def measure(size: str, engines: list[str], n_queries: int, timeout: float) -> dict:
    corpus, questions = corpus_for(size)
    work = WORK / f"work-{size}"
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for engine in engines:
        queries = n_queries if engine != "rank-bm25" else max(10, n_queries // 10)
        common = ["--corpus", str(corpus), "--work", str(work), "--engine", engine]
        env = askdoc_env(work)
        print(f"[{size}] {engine}: building", file=sys.stderr, flush=True)
        row = {"build": child(["--child", "build", *common], timeout, env)}
        if "error" not in row["build"]:
            print(f"[{size}] {engine}: querying", file=sys.stderr, flush=True)
            query_args = ["--child", "query", *common, "--questions", str(questions), "-n", str(queries)]
            row["query"] = child(query_args, timeout, env)
        if engine == "askdoc" and "error" not in row["build"]:
            question = questions.read_text("utf-8").splitlines()[0]
            row["one_shot"] = one_shot(corpus, question, env)
            row["refresh"] = refresh_after_edit(corpus, work, timeout)
        results[engine] = row
    return results


def table(all_results: dict) -> str:
    lines = [
        "| passages | engine | build | build peak RSS (all processes) | load | RSS loaded | query p50 | query p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, results in all_results.items():
        for engine in sorted(results, key=lambda e: ENGINES.index(e) if e in ENGINES else len(ENGINES)):
            row = results[engine]
            build, query = row.get("build", {}), row.get("query", {})
            if "error" in build:
                lines.append(f"| {size} | {engine} | {build['error']} | | | | | |")
                continue
            cells = [_s(build.get("seconds")), _gb(build.get("peak_rss"))]
            if "error" in query:
                cells += [query["error"], "", "", ""]
            else:
                load = _s(query.get("load")) if query.get("load") is not None else "n/a (in memory)"
                cells += [load, _gb(query.get("rss")), _ms(query.get("p50")), _ms(query.get("p95"))]
            lines.append(f"| {size} | {engine} | " + " | ".join(cells) + " |")
    notes = []
    for size, results in all_results.items():
        row = results.get("askdoc", {})
        if "one_shot" in row:
            refresh = row["refresh"]
            refreshed = _s(refresh.get("seconds")) if "error" not in refresh else refresh["error"]
            notes.append(f"- {size}: one-shot `askdoc query` {_s(row['one_shot'])} wall; refresh after editing "
                         f"one article {refreshed}")  # fmt: skip
        query = row.get("query", {})
        if "open_checked" in query:
            notes.append(f"- {size}: `askdoc.open()` of the built index with its check of every file for changes "
                         f"{_s(query['open_checked'])} (the load column is the load alone)")  # fmt: skip
        if "p50_search" in query:
            notes.append(f"- {size}: askdoc `Index.search` with quotes and citations: p50 "
                         f"{_ms(query['p50_search'])}, p95 {_ms(query['p95_search'])}")  # fmt: skip
        ratios = _ratios(results)
        if ratios:
            notes.append(f"- {size}: askdoc's query p50/p95 vs " + "; ".join(ratios))
    return "\n".join(lines + [""] + notes)


def _ratios(results: dict) -> list[str]:
    ours = results.get("askdoc", {}).get("query", {})
    if "p50" not in ours:
        return []
    out = []
    for engine, row in results.items():
        theirs = row.get("query", {})
        if engine != "askdoc" and "p50" in theirs:
            out.append(f"{engine} {theirs['p50'] / ours['p50']:.1f}× / {theirs['p95'] / ours['p95']:.1f}× faster")
    return out


def _s(value) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _ms(value) -> str:
    return "–" if value is None else f"{value * 1000:.2f} ms"


def _gb(kilobytes) -> str:
    if kilobytes is None:
        return "–"
    return f"{kilobytes / 1024 / 1024:.2f} GB" if kilobytes >= 1024 * 1024 else f"{kilobytes / 1024:.0f} MB"


def _saved() -> dict:
    """The results of earlier runs, oldest first, so that a later measurement wins."""
    results: dict = {}
    for path in sorted(WORK.glob("speed-results*.json"), key=lambda p: p.stat().st_mtime):
        for size, engines in json.loads(path.read_text("utf-8")).items():
            results.setdefault(size, {}).update(engines)
    return results


# -- the children: one engine, one phase --------------------------------------------------------------


def passages_of(corpus: Path) -> list[str]:
    """Paragraphs of every article, title line dropped: what the peers index."""
    texts = []
    for path in sorted(corpus.rglob("*.txt")):
        blocks = [b.strip() for b in path.read_text("utf-8").split("\n\n")]
        texts.extend(b for b in blocks[1:] if b)
    return texts


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


class TreeMemory:
    """The peak of the resident memory of this process and all its descendants together (kilobytes).

    An engine that builds in worker processes (askdoc) costs the machine its parent's memory
    plus its workers' at the same moment; ``ru_maxrss`` sees one process only. A thread samples
    /proc every ``interval`` seconds; the process's own exact peak is added in at the end, so
    that a short spike between samples is not missed.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, peak_rss())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, sum(self._rss(pid) for pid in self._tree(os.getpid())))

    def _tree(self, pid: int) -> list[int]:
        pids, todo = [], [pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):  # it ended meanwhile
                    todo.extend(int(child) for child in task.read_text().split())
        return pids

    def _rss(self, pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_kb
        except (OSError, IndexError, ValueError):
            return 0  # it ended meanwhile


def current_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run_build(engine: str, corpus: Path, work: Path) -> dict:
    """Build time and peak memory: of the whole process tree (askdoc's workers included), and of this process."""
    texts = passages_of(corpus) if engine != "askdoc" else []
    with TreeMemory() as memory:
        start = time.perf_counter()
        if engine == "askdoc":
            import askdoc

            passages = askdoc.open(corpus, rebuild=True).n_passages
        elif engine == "tantivy":
            _tantivy_build(texts, work / "tantivy")
        elif engine == "bm25s":
            _bm25s_build(texts, work / "bm25s")
        else:
            _RankBM25(texts)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss": memory.peak, "parent_peak_rss": peak_rss(),
            "passages": passages if engine == "askdoc" else len(texts)}  # fmt: skip


def run_query(engine: str, corpus: Path, work: Path, questions: list[str]) -> dict:
    _import(engine)  # the engine's code is not part of its index's memory (numpy alone is ~20 MB)
    rss_before = current_rss()
    start = time.perf_counter()
    search, full = _searcher(engine, corpus, work)
    load = time.perf_counter() - start if engine != "rank-bm25" else None
    result = {"load": load, "rss": current_rss() - rss_before if engine != "rank-bm25" else current_rss()}
    if engine == "askdoc":  # what a library user's askdoc.open() costs: the load and a stat of every file
        import askdoc

        start = time.perf_counter()
        askdoc.open(corpus)
        result["open_checked"] = time.perf_counter() - start
    result.update(_latencies(search, questions, "", PASSES if engine != "rank-bm25" else 1))
    if full is not None:
        result.update(_latencies(full, questions, "_search"))
    return result


def _latencies(search, questions: list[str], suffix: str, passes: int = PASSES) -> dict:
    """p50 and p95 over the questions of each question's median time in ``passes`` passes.

    A shared 2-core machine stalls now and then; the median of three passes keeps one stall
    from passing for a slow question, for every engine alike.
    """
    for question in questions[:WARM_UP]:
        search(question)
    runs = []
    for _ in range(passes):
        run = []
        for question in questions[WARM_UP:]:
            start = time.perf_counter()
            search(question)
            run.append(time.perf_counter() - start)
        runs.append(run)
    times = sorted(statistics.median(each) for each in zip(*runs))
    return {f"p50{suffix}": times[len(times) // 2], f"p95{suffix}": times[int(len(times) * 0.95)]}


def _import(engine: str) -> None:
    modules = {"askdoc": ["askdoc.opening"], "tantivy": ["tantivy"], "bm25s": ["bm25s", "Stemmer"]}
    for module in modules.get(engine, ["rank_bm25", "Stemmer", "numpy"]):
        __import__(module)


def _searcher(engine: str, corpus: Path, work: Path):
    """(retrieval of 10 hits, full search with quotes or None) for a built index."""
    if engine == "askdoc":
        import askdoc

        index = askdoc.open(corpus, refresh=False)  # loading; checking the files is timed apart (run_query)
        return (lambda q: index.retriever.best(index.analyzer.terms(q), 10)), (lambda q: index.search(q, k=10))
    if engine == "tantivy":
        import tantivy

        idx = tantivy.Index.open(str(work / "tantivy"))
        searcher = idx.searcher()

        def search(q):
            words = " ".join(w for w in _WORD.findall(q.lower()) if w not in ("and", "or", "not"))
            hits = searcher.search(idx.parse_query(words, ["body"]), 10).hits
            return [searcher.doc(address)["doc"][0] for _, address in hits]

        return search, None
    if engine == "bm25s":
        import bm25s
        import Stemmer

        retriever = bm25s.BM25.load(str(work / "bm25s"), mmap=True)
        stemmer = Stemmer.Stemmer("english")

        def search(q):
            tokens = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)
            known = [[t for t in tokens[0] if t in retriever.vocab_dict]]
            if known[0]:
                retriever.retrieve(known, k=10, show_progress=False, n_threads=1)

        return search, None
    peer = _RankBM25(passages_of(corpus))
    return peer.search, None


def _tantivy_build(texts: list[str], folder: Path) -> None:
    import tantivy

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    builder.add_integer_field("doc", stored=True, fast=True)
    index = tantivy.Index(builder.build(), path=str(folder))
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    for number, text in enumerate(texts):
        writer.add_document(tantivy.Document(body=text, doc=number))
    writer.commit()
    writer.wait_merging_threads()


def _bm25s_build(texts: list[str], folder: Path) -> None:
    import bm25s
    import Stemmer

    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    shutil.rmtree(folder, ignore_errors=True)
    retriever.save(str(folder))


class _RankBM25:
    """rank-bm25's BM25Okapi over PyStemmer-stemmed words without English stop words."""

    def __init__(self, texts: list[str]) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN
        from rank_bm25 import BM25Okapi

        self.stem = Stemmer.Stemmer("english").stemWords
        self.stop = frozenset(STOPWORDS_EN)
        self.bm25 = BM25Okapi([self.tokens(t) for t in texts])

    def tokens(self, text: str) -> list[str]:
        return self.stem([w for w in _WORD.findall(text.lower()) if w not in self.stop])

    def search(self, question: str):
        import numpy as np

        scores = self.bm25.get_scores(self.tokens(question))
        return np.argpartition(-scores, 10)[:10]


def run_child(args) -> None:
    corpus, work = Path(args.corpus), Path(args.work or ".")
    if args.child == "build":
        result = run_build(args.engine, corpus, work)
    elif args.child == "query":
        questions = Path(args.questions).read_text("utf-8").splitlines()[: args.n + WARM_UP]
        result = run_query(args.engine, corpus, work, questions)
    else:  # refresh: load the index and pick up edited files
        import askdoc

        start = time.perf_counter()
        askdoc.open(corpus)
        result = {"seconds": time.perf_counter() - start}
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m", help="comma-separated: 10k, 100k, 1m")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("-n", type=int, default=200, help="questions timed per engine (rank-bm25: a tenth)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed to each child process")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="add to the results saved by earlier runs (e.g. peers at 1M measured apart)",
    )
    parser.add_argument("--bundled", action="store_true", help="also time a one-shot query on the bundled corpus")
    parser.add_argument("--bbc", type=Path, metavar="FOLDER", help="also time one-shot queries on this BBC folder")
    parser.add_argument("--one-shot", metavar="DIR", help="only time one-shot queries on the corpus DIR (10 runs)")
    parser.add_argument("--child", choices=["build", "query", "refresh"], help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--questions", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    if args.one_shot:
        env = askdoc_env(WORK / "work-one-shot")
        question = "what did the minister say about the budget?"
        median = one_shot(Path(args.one_shot), question, env, runs=10)
        print(f"- {args.one_shot}: one-shot `askdoc query` median of 10: {1000 * median:.0f} ms")
        return
    engines = [e for e in args.engines.split(",") if e]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine {unknown[0]!r}; choose from: {', '.join(ENGINES)}")
    results = _saved() if args.merge else {}
    mine: dict = {}
    saved_as = WORK / f"speed-results-{args.sizes.replace(',', '-')}-{'-'.join(engines)}.json"
    for size in args.sizes.split(","):
        if size:
            mine[size] = measure(size, engines, args.n, args.timeout)
            saved_as.write_text(json.dumps(mine, indent=1))
            results.setdefault(size, {}).update(mine[size])
    print(table({size: results[size] for size in sorted(results, key=lambda s: SIZES[s])}))
    if args.bundled:
        env = askdoc_env(WORK / "work-bundled")
        print(f"- bundled sample corpus: one-shot `askdoc query` {_s(one_shot(None, 'what did Volodin warn?', env))}")
    if args.bbc:
        env = askdoc_env(WORK / "work-bbc")
        for question in BBC_QUESTIONS:
            took = one_shot(args.bbc, question, env)
            print(f"- BBC: one-shot `askdoc query` {_s(took)} for {question!r}; NLTK imported: "
                  f"{'yes' if imports_nltk(args.bbc, question, env) else 'no'}")  # fmt: skip


# questions whose words reach the reranker's title terms (which once imported NLTK), a one-word one, and
# two with words neither the index nor the shipped stem table knows (which imported NLTK to be stemmed)
BBC_QUESTIONS = ("how much did software sales rise", "country", "What did Ebbers say about Scott Sullivan?",
                 "Reboot ordered for EU patent law", "why was Mido dropped", "when did google buy youtube",
                 "what kind of flooring did the experts suggest for the barn office")  # fmt: skip


def imports_nltk(corpus: Path, question: str, env: dict) -> bool:
    """Whether a one-shot query loads NLTK (``-X importtime`` lists every module a process imports)."""
    command = [sys.executable, "-X", "importtime", "-m", "askdoc", "query", "--corpus", str(corpus), question]
    return " nltk" in subprocess.run(command, capture_output=True, text=True, env=env).stderr


if __name__ == "__main__":
    main()
