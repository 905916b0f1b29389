"""The answer-quality yardstick: askdoc beside its BM25 peers on SQuAD, Cranfield and BBC questions, one run.

    python benchmarks/quality.py [--data ../shared/data] [--only squad,cranfield,bbc] [--questions FILE ...]

Prints one Markdown table per collection (see README, "Answer quality"). How each collection is fed:

- SQuAD: each Wikipedia article is one askdoc article (title + its paragraphs separated by blank
  lines, so askdoc's passages are SQuAD's paragraphs); the peers index the same paragraphs, one
  document each. A hit is right when it is the question's paragraph.
- Cranfield: each abstract is one article (title = ``.T``, text = ``.W``); askdoc searches with
  ``max_per_article=1`` (so it ranks articles, with pseudo-relevance feedback, see ``askdoc.feedback``)
  and the article ranking is judged (gain 5 - code for codes 1..4).
- BBC: ``askdoc.open`` on the folder; the peers index askdoc's passages. A hit is right when it
  comes from the expected article (or an exact duplicate of it: the collection holds 98), its
  passage is the answer passage when it holds the expected phrase, and askdoc's quote is right
  when it holds it too. Every ``questions/*.jsonl`` file is read: one table for all of them,
  then one per file.

A quote counts only as a real excerpt: at most 250 characters or half its passage, whichever is more.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402

import askdoc  # noqa: E402
from askdoc import ranking  # noqa: E402
from askdoc.sentences import sentence_spans  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
QUOTE_CHARS = 250
_WORD = re.compile(r"\w+")
# askdoc as shipped, and with its reranker and feedback off (plain BM25 order; quotes still chosen by askdoc)
_OFF = {"proximity": 0, "title": 0, "article": 0, "answer": 0, "lead": False, "feedback": 0, "learned": False}
VARIANTS = [
    ("askdoc", ranking.Weights()),
    ("askdoc, hand-set rerank", ranking.Weights(learned=False)),
    (
        "askdoc, rerank off",
        ranking.Weights(**{k: v for k, v in _OFF.items() if k in ranking.Weights.__dataclass_fields__}),
    ),
]


@dataclass
class Row:
    system: str
    figures: dict[str, float]
    ms: list[float]


def short_enough(quote: str, passage: str) -> bool:
    return len(quote) <= max(QUOTE_CHARS, len(passage) // 2)


def baseline_quote(passage: str, question: str) -> str:
    """The sentence of a passage holding most of the question's distinct (stemmed) words."""
    stem = peers._stemmer().stemWord
    stop = peers._stop_words()
    wanted = {stem(w) for w in _WORD.findall(question.lower()) if w not in stop}
    sentences = [passage[s:e] for s, e in sentence_spans(passage)]
    return max(sentences, key=lambda s: len(wanted & {stem(w) for w in _WORD.findall(s.lower())}))


def timed(function: Callable, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


# -- SQuAD -------------------------------------------------------------------------------------


def squad(data: Path) -> list[Row]:
    raw = json.loads((data / "squad" / "dev-v2.0-subset.json").read_text("utf-8"))["data"]
    articles, paragraphs, questions = [], [], []
    for entry in raw:
        texts = [p["context"].strip() for p in entry["paragraphs"]]
        articles.append(
            askdoc.Article(id=entry["title"], title=entry["title"].replace("_", " "), text="\n\n".join(texts))
        )
        for number, paragraph in enumerate(entry["paragraphs"], 1):
            gold = len(paragraphs)
            paragraphs.append((entry["title"], number, paragraph["context"].strip()))
            for qa in paragraph["qas"]:
                if not qa["is_impossible"]:
                    questions.append((qa["question"], gold, {a["text"] for a in qa["answers"]}))
    rows = []
    index = askdoc.Index.from_articles(articles)
    for label, weights in VARIANTS:
        rows.append(_squad_askdoc(label, index, paragraphs, questions, weights))
    texts = [p[2] for p in paragraphs]
    for name in peers.PEERS:
        searcher = peers.build(name, texts)
        ranks, baseline, ms = [], [], []
        for question, gold, answers in questions:
            hits, took = timed(searcher.search, question, 10)
            ms.append(took)
            found = [doc for doc, _ in hits]
            ranks.append(found.index(gold) + 1 if gold in found else None)
            top = texts[found[0]] if found else ""
            baseline.append(bool(top) and any(a in baseline_quote(top, question) for a in answers))
        rows.append(Row(name, _ranking_figures(ranks) | {"most-terms sentence": _mean(baseline)}, ms))
    return rows


SPAN_KINDS = ("person", "place", "name", "number", "date", "duration")  # questions hit.answer is marked for


def _squad_normal(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c.isalnum() or c.isspace())
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def span_scores(marked: str | None, golds) -> tuple[float, float]:
    """SQuAD's exact match and F1 of a marked answer against the best of the gold answers (0 when none)."""
    if not marked:
        return 0.0, 0.0
    best_em, best_f1 = 0.0, 0.0
    for gold in golds:
        p, g = _squad_normal(marked), _squad_normal(gold)
        same = sum(min(p.count(w), g.count(w)) for w in set(p))
        f1 = 0.0 if not same else 2 * same / (len(p) + len(g))
        best_em, best_f1 = max(best_em, float(p == g)), max(best_f1, f1)
    return best_em, best_f1


def _squad_askdoc(label: str, index: askdoc.Index, paragraphs, questions, weights: ranking.Weights) -> Row:
    ranks, answered, baseline, ms, spans = [], [], [], [], []
    for question, gold, answers in questions:
        hits, took = timed(index.search, question, k=10, weights=weights)
        ms.append(took)
        if askdoc.question.answer_type_of(question) in SPAN_KINDS:
            spans.append(span_scores(hits[0].answer.text if hits and hits[0].answer else None, answers))
        found = [(h.article.id, h.passage.paragraph) for h in hits]
        want = paragraphs[gold][:2]
        ranks.append(found.index(want) + 1 if want in found else None)
        top = hits[0] if hits else None
        answered.append(bool(top) and short_enough(top.quote.text, top.passage.text)
                        and any(a in top.quote.text for a in answers))  # fmt: skip
        baseline.append(bool(top) and any(a in baseline_quote(top.passage.text, question) for a in answers))
    figures = _ranking_figures(ranks) | {"answer in quote": _mean(answered), "most-terms sentence": _mean(baseline)}
    if label == "askdoc":  # hit.answer, over the questions that ask for a name, figure, date or place
        figures |= {"answer EM": _mean(e for e, _ in spans), "answer F1": _mean(f for _, f in spans)}
    return Row(label, figures, ms)


def _ranking_figures(ranks: Sequence[int | None]) -> dict[str, float]:
    return {
        "P@1": _mean([r == 1 for r in ranks]),
        "R@5": _mean([r is not None and r <= 5 for r in ranks]),
        "MRR@10": _mean([1 / r if r is not None and r <= 10 else 0.0 for r in ranks]),
    }


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


# -- Cranfield ---------------------------------------------------------------------------------


def _fields(path: Path) -> list[dict[str, str]]:
    records, field = [], None
    for line in path.read_text("utf-8", "replace").splitlines():
        if line.startswith(".I "):
            records.append({"I": line[3:].strip()})
            field = None
        elif len(line) == 2 and line[0] == "." and line[1].isalpha():
            field = line[1]
            records[-1][field] = ""
        elif field:
            records[-1][field] += line + "\n"
    return records


def cranfield(data: Path) -> list[Row]:
    folder = data / "cranfield"
    docs = _fields(folder / "cran.all.1400")
    queries = [q["W"].strip() for q in _fields(folder / "cran.qry")]
    gains: dict[int, dict[str, int]] = {}
    for line in (folder / "cranqrel").read_text().split("\n"):
        if line.strip():
            q, d, code = line.split()
            if 1 <= int(code) <= 4:
                gains.setdefault(int(q), {})[d] = 5 - int(code)
    ids = [d["I"] for d in docs]
    articles = [askdoc.Article(id=d["I"], title=" ".join(d.get("T", "").split()) or d["I"], text=d.get("W", "").strip())
                for d in docs]  # fmt: skip
    index = askdoc.Index.from_articles(articles)

    def askdoc_search(query: str, weights: ranking.Weights) -> list[str]:
        return [h.article.id for h in index.search(query, k=100, max_per_article=1, weights=weights)]

    systems: list[tuple[str, Callable[[str], list[str]]]] = [
        (label, lambda q, w=weights: askdoc_search(q, w)) for label, weights in VARIANTS
    ]
    for name in peers.PEERS:
        searcher = peers.build(name, [a.text for a in articles])
        systems.append((name, lambda q, s=searcher: [ids[d] for d, _ in s.search(q, 100)]))
    rows = []
    for name, search in systems:
        ndcg, ap, recall, ms = [], [], [], []
        for number, query in enumerate(queries, 1):
            judged = gains.get(number, {})
            if not judged:
                continue
            ranked, took = timed(search, query)
            ms.append(took)
            ndcg.append(_ndcg(ranked[:10], judged))
            ap.append(_average_precision(ranked[:100], judged))
            recall.append(sum(d in judged for d in ranked[:100]) / len(judged))
        rows.append(Row(name, {"nDCG@10": _mean(ndcg), "MAP@100": _mean(ap), "R@100": _mean(recall)}, ms))
    return rows


def _ndcg(ranked: list[str], gains: dict[str, int]) -> float:
    dcg = sum(gains.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(gains.values(), reverse=True)[: len(ranked) or 10]))
    return dcg / ideal if ideal else 0.0


def _average_precision(ranked: list[str], gains: dict[str, int]) -> float:
    hits, total = 0, 0.0
    for i, d in enumerate(ranked, 1):
        if d in gains:
            hits += 1
            total += hits / i
    return total / len(gains)


# -- BBC ---------------------------------------------------------------------------------------


def bbc(data: Path, question_files: Sequence[Path]) -> tuple[list[Row], dict[str, list[Row]]]:
    """All questions together, and the same figures for each question file apart."""
    sets = {f.name: [json.loads(line) for line in f.read_text("utf-8").splitlines() if line.strip()]
            for f in question_files}  # fmt: skip
    index = askdoc.open(data / "bbc")
    same = _same_text(index)
    passages = [(a.id, p.text) for a in index.articles() for p in index.passages(a.id)]
    systems: list[tuple[str, Callable[[str], tuple[str, str, str | None] | None]]] = []
    for label, weights in VARIANTS:

        def ask(question: str, weights=weights) -> tuple[str, str, str | None] | None:
            hits = index.search(question, k=5, weights=weights)
            return (hits[0].article.id, hits[0].passage.text, hits[0].quote.text) if hits else None

        systems.append((label, ask))
    for name in peers.PEERS:
        searcher = peers.build(name, [text for _, text in passages])

        def ask(question: str, searcher=searcher) -> tuple[str, str, str | None] | None:
            hits = searcher.search(question, 1)
            return (*passages[hits[0][0]], None) if hits else None

        systems.append((name, ask))
    together: list[Row] = []
    apart: dict[str, list[Row]] = {name: [] for name in sets}
    for label, ask in systems:
        marks: dict[str, list[dict[str, bool]]] = {}
        ms: list[float] = []
        for set_name, questions in sets.items():
            for q in questions:
                top, took = timed(ask, q["question"])
                ms.append(took)
                marks.setdefault(set_name, []).append(_bbc_marks(q, top, same))
        together.append(Row(label, _bbc_figures([m for ms_ in marks.values() for m in ms_]), ms))
        for set_name, set_marks in marks.items():
            apart[set_name].append(Row(label, _bbc_figures(set_marks), ms))
    return together, apart


def _same_text(index: askdoc.Index) -> dict[str, str]:
    """Each article id -> the first id of its group of (near-)duplicates: either one is right.

    BBC holds the same story twice under two ids (98 exact copies, and more that differ by a
    word or a line). Two articles are one when their sets of five-word shingles overlap by 90%
    or more (Jaccard); shingles found in at most 8 articles propose the pairs to compare.
    """
    articles = list(index.articles())
    shingles = []
    for article in articles:
        words = _WORD.findall(article.text.casefold())
        shingles.append({hash(tuple(words[i : i + 5])) for i in range(max(1, len(words) - 4))})
    holders: dict[int, list[int]] = {}
    for number, found in enumerate(shingles):
        for shingle in found:
            holders.setdefault(shingle, []).append(number)
    group = list(range(len(articles)))

    def root(n: int) -> int:
        while group[n] != n:
            group[n] = group[group[n]]
            n = group[n]
        return n

    compared: set[tuple[int, int]] = set()
    for numbers in holders.values():
        if 1 < len(numbers) <= 8:
            for i, a in enumerate(numbers):
                for b in numbers[i + 1 :]:
                    if (a, b) not in compared:
                        compared.add((a, b))
                        union = len(shingles[a] | shingles[b])
                        if union and len(shingles[a] & shingles[b]) >= 0.9 * union:
                            group[root(b)] = root(a)
    return {article.id: articles[root(n)].id for n, article in enumerate(articles)}


def _bbc_marks(q: dict, top: tuple[str, str, str | None] | None, same: dict[str, str]) -> dict[str, bool]:
    if top is None:
        return {"P@1": False, "answer passage": False, "quote holds answer": False, "most-terms sentence": False}
    article, passage, quote = top
    right = same.get(article, article) == same.get(q["article"], q["article"])
    marks = {
        "P@1": right,
        "answer passage": right and q["quote"] in passage,
        "most-terms sentence": right and q["quote"] in baseline_quote(passage, q["question"]),
    }
    if quote is not None:
        marks["quote holds answer"] = right and short_enough(quote, passage) and q["quote"] in quote
    return marks


def _bbc_figures(marks: list[dict[str, bool]]) -> dict[str, float]:
    columns = ("P@1", "answer passage", "quote holds answer", "most-terms sentence")
    return {c: _mean(m[c] for m in marks) for c in columns if marks and c in marks[0]}


# -- blind BBC questions -----------------------------------------------------------------------

BLIND_QUOTE_CHARS = 300  # the yardstick's excerpt rule: at most 300 characters or half the passage
BLIND_MEASURES = ("P@1", "answer passage@1", "quote@1", "top-3 quotes", "nothing-answers flagged", "answerable flagged",
                  "answer F1")  # fmt: skip


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def _holds(text: str, answers: Sequence[str]) -> bool:
    return bool(text) and any(_norm(a) in _norm(text) for a in answers)


def blind(data: Path) -> tuple[dict[str, list[Row]], list[str]]:
    """Each blind file (A, B tune; C check) beside the peers, which index title + passage; and a table by kind."""
    files = sorted((data / "questions").glob("bbc_blind_dev_*.jsonl"))
    index = askdoc.open(data / "bbc")
    passages = [(a.id, a.title, p.text) for a in index.articles() for p in index.passages(a.id)]
    systems: list[tuple[str, Callable]] = []
    for label, weights in VARIANTS:

        def ask(question: str, weights=weights):
            hits = index.search(question, k=5, weights=weights)
            found = [(h.article.id, h.passage.text, h.quote.text, h.answer.text if h.answer else None) for h in hits]
            return found, bool(hits.weak) or not hits

        systems.append((label, ask))
    for name in peers.PEERS:
        searcher = peers.build(name, [f"{title}\n{text}" for _, title, text in passages])

        def ask(question: str, searcher=searcher):
            found = [passages[doc] for doc, _ in searcher.search(question, 5)]
            return [(aid, text, baseline_quote(text, question), None) for aid, _, text in found], not found

        systems.append((name, ask))
    out: dict[str, list[Row]] = {}
    kinds: dict[tuple[str, str], list[dict[str, bool]]] = {}
    for path in files:
        questions = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        out[path.name] = []
        for label, ask in systems:
            marks, ms = [], []
            for q in questions:
                (found, flagged), took = timed(ask, q["question"])
                ms.append(took)
                mark = _blind_marks(q, found, flagged)
                marks.append(mark)
                if q["article"]:
                    kinds.setdefault((label, q["kind"]), []).append(mark)
            figures = _blind_figures(marks)
            if label != "askdoc":  # only askdoc as shipped marks an answer inside its quote
                figures.pop("answer F1", None)
            out[path.name].append(Row(label, figures, ms))
    by_kind = ["| kind | questions | " + " | ".join(f"{label} passage@1 / quote@1" for label, _ in systems) + " |",
               "|---" * (len(systems) + 2) + "|"]  # fmt: skip
    for kind in sorted({k for _, k in kinds}):
        cells = [f"{_mean(m['answer passage@1'] for m in kinds[(label, kind)]):.2f} / "
                 f"{_mean(m['quote@1'] for m in kinds[(label, kind)]):.2f}" for label, _ in systems]  # fmt: skip
        by_kind.append(f"| {kind} | {len(kinds[(systems[0][0], kind)])} | " + " | ".join(cells) + " |")
    return out, by_kind


def _blind_marks(q: dict, found: list[tuple[str, str, str, str | None]], flagged: bool) -> dict[str, bool]:
    if not q["article"]:
        return {"nothing-answers flagged": flagged}
    accepted = {q["article"], *q.get("also", [])}
    answers = q["answers"]

    def quoted(hit: tuple[str, str, str, str | None]) -> bool:
        article, passage, quote, _ = hit
        excerpt = len(quote) <= max(BLIND_QUOTE_CHARS, len(passage) // 2)
        return article in accepted and excerpt and _holds(quote, answers)

    top = found[0] if found else None
    return {
        "P@1": bool(top) and top[0] in accepted,
        "answer passage@1": bool(top) and top[0] in accepted and _holds(top[1], answers),
        "quote@1": bool(top) and quoted(top),
        "top-3 quotes": any(quoted(hit) for hit in found[:3]),
        "answerable flagged": flagged,
        **(
            {"answer F1": span_scores(top[3] if top and top[0] in accepted else None, answers)[1]}
            if q["kind"] in ("who", "howmuch", "when", "where", "which")
            else {}
        ),
    }


def _blind_figures(marks: list[dict[str, bool]]) -> dict[str, float]:
    return {m: _mean(x[m] for x in marks if m in x) for m in BLIND_MEASURES if any(m in x for x in marks)}


# -- the table ---------------------------------------------------------------------------------


def table(title: str, rows: list[Row]) -> str:
    columns = list(dict.fromkeys(c for row in rows for c in row.figures))
    lines = [f"**{title}**", "", "| system | " + " | ".join(columns) + " | median ms/query |",
             "|---" * (len(columns) + 2) + "|"]  # fmt: skip
    for row in rows:
        cells = [f"{row.figures[c]:.3f}" if c in row.figures else "–" for c in columns]
        lines.append(f"| {row.system} | " + " | ".join(cells) + f" | {statistics.median(row.ms):.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--only", default="squad,cranfield,bbc,blind", help="collections to run, comma-separated")
    parser.add_argument("--questions", type=Path, nargs="+", default=sorted((HERE / "questions").glob("*.jsonl")),
                        help="BBC question files (JSON lines: question, article, quote)")  # fmt: skip
    args = parser.parse_args(argv)
    os.environ.setdefault("ASKDOC_CACHE_DIR", str(Path(tempfile.gettempdir()) / "askdoc-bench-cache"))
    wanted = args.only.split(",")
    print(f"Answer quality, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()} with {os.cpu_count()} cores, "
          f"Python {platform.python_version()}\n")  # fmt: skip
    if "squad" in wanted:
        print(table("SQuAD 2.0 dev, 5 articles, 705 answerable questions (gold paragraph)", squad(args.data)), "\n")
    if "cranfield" in wanted:
        print(table("Cranfield, 1400 abstracts, 225 queries (graded, one hit per article)", cranfield(args.data)), "\n")
    if "bbc" in wanted:
        together, apart = bbc(args.data, args.questions)
        counts = {f.name: sum(1 for line in f.read_text("utf-8").splitlines() if line.strip()) for f in args.questions}
        print(table(f"BBC news, 2225 articles, {sum(counts.values())} questions (expected article)", together))
        for name, rows in apart.items():
            print("\n" + table(f"BBC news, {name} alone ({counts[name]} questions)", rows))
    if "blind" in wanted:
        splits, by_kind = blind(args.data)
        for name, rows in splits.items():
            role = "check split: never tuned on" if name.endswith("C.jsonl") else "tune split"
            print("\n" + table(f"BBC blind questions, {name} ({role}; peers index title + passage)", rows))
        print("\n**BBC blind questions, answerable ones of A, B and C by kind: answer passage@1 / quote@1**\n")
        print("\n".join(by_kind))


if __name__ == "__main__":
    main()
