"""Turn articles into index arrays, and refresh them: unchanged articles keep their analysed rows."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import scoring
from .analysis import Analyzer
from .model import Article
from .passages import pieces_for
from .sentences import sentence_spans
from .store import IndexData

Progress = Callable[[int], None]  # called with the number of articles just done
DEFAULT_PARAMS = scoring.Params()


class Builder:
    """Accumulates analysed articles (possibly on top of kept rows of an older index)."""

    def __init__(self, analyzer: Analyzer, vocab: list[str] | None = None) -> None:
        self.analyzer = analyzer
        self.vocab: list[str] = list(vocab or [])
        self.term_ids: dict[str, int] = {t: i for i, t in enumerate(self.vocab)}
        self.cols: dict[str, array] = {
            name: array(code)
            for name, code in [
                ("p_article", "i"), ("p_start", "q"), ("p_end", "q"), ("p_paragraph", "i"),
                ("p_heading_start", "q"), ("p_heading_end", "q"), ("p_len", "i"),
                ("s_count", "q"), ("s_start", "q"), ("s_end", "q"),
                ("f_count", "q"), ("f_term", "i"), ("f_tf", "H"),
            ]
        }  # fmt: skip
        self.kept: list[dict[str, np.ndarray]] = []
        self.articles: list[dict[str, Any]] = []
        self.texts: list[bytes] = []

    def keep(self, old: IndexData, article_numbers: np.ndarray) -> None:
        """Carry over the given articles of ``old`` with their analysed passages, unchanged."""
        if not len(article_numbers):
            return
        a = old.arrays
        passage_mask = np.isin(a["p_article"], article_numbers)
        rows = np.flatnonzero(passage_mask)
        renumber = np.full(len(old.articles), -1, dtype=np.int64)
        renumber[article_numbers] = np.arange(len(article_numbers)) + len(self.articles)
        part = {name: np.asarray(a[name])[rows] for name in
                ("p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len")}  # fmt: skip
        part["p_article"] = renumber[np.asarray(a["p_article"])[rows]]
        part.update(_ragged(a["s_ptr"], rows, {"s_start": a["s_start"], "s_end": a["s_end"]}, "s_count"))
        part.update(_ragged(a["f_ptr"], rows, {"f_term": a["f_term"], "f_tf": a["f_tf"]}, "f_count"))
        self._flush_columns()
        self.kept.append(part)
        for number in article_numbers.tolist():
            self.articles.append(old.articles[number])
            start, end = int(a["a_text_start"][number]), int(a["a_text_end"][number])
            self.texts.append(bytes(old.texts[start:end]))

    def add(self, article: Article, source: dict[str, Any] | None = None) -> None:
        """Analyse one article: its passages, their sentences and terms."""
        number = len(self.articles)
        text = article.text
        cols = self.cols
        introduced: set[int] = set()
        for piece in pieces_for(article):
            heading_terms: list[str] = []
            if piece.heading_start >= 0 and piece.heading_start not in introduced:
                introduced.add(piece.heading_start)  # a heading is indexed with its first passage
                heading_terms = self.analyzer.terms(text[piece.heading_start : piece.heading_end])
            terms = heading_terms + self.analyzer.terms(text[piece.start : piece.end])
            counts = Counter(self.term_id(t) for t in terms)
            sentences = sentence_spans(text, piece.start, piece.end)
            cols["p_article"].append(number)
            cols["p_start"].append(piece.start)
            cols["p_end"].append(piece.end)
            cols["p_paragraph"].append(piece.paragraph)
            cols["p_heading_start"].append(piece.heading_start)
            cols["p_heading_end"].append(piece.heading_end)
            cols["p_len"].append(len(terms))
            cols["s_count"].append(len(sentences))
            for s, e in sentences:
                cols["s_start"].append(s)
                cols["s_end"].append(e)
            cols["f_count"].append(len(counts))
            for term_id in sorted(counts):
                cols["f_term"].append(term_id)
                cols["f_tf"].append(min(counts[term_id], 65535))
        self.articles.append({**article.to_json(), "body_start": article.body_start,
                              "meta": article.meta, **(source or {})})  # fmt: skip
        self.texts.append(text.encode("utf-8", "surrogatepass"))

    def term_id(self, term: str) -> int:
        term_id = self.term_ids.get(term)
        if term_id is None:
            term_id = self.term_ids[term] = len(self.vocab)
            self.vocab.append(term)
        return term_id

    def _flush_columns(self) -> None:
        """Move rows added so far into a numpy part, so that parts stay in article order."""
        if not len(self.cols["p_article"]):
            return
        part = {name: np.frombuffer(col, dtype=col.typecode).copy() for name, col in self.cols.items()}
        self.kept.append(part)
        for col in self.cols.values():
            del col[:]

    def finish(self, params: scoring.Params = DEFAULT_PARAMS) -> IndexData:
        self._flush_columns()
        parts = self.kept or [{name: np.frombuffer(col, dtype=col.typecode) for name, col in self.cols.items()}]
        cat = {name: np.concatenate([np.asarray(p[name]) for p in parts]) for name in parts[0]}
        arrays = {name: cat[name] for name in
                  ("p_article", "p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len",
                   "s_start", "s_end", "f_term", "f_tf")}  # fmt: skip
        arrays["s_ptr"] = _pointers(cat["s_count"])
        arrays["f_ptr"] = _pointers(cat["f_count"])
        n = len(arrays["p_article"])
        total_len = int(arrays["p_len"].sum())
        avgdl = total_len / n if n else 1.0
        arrays.update(postings(arrays["f_ptr"], arrays["f_term"], arrays["f_tf"], arrays["p_len"],
                               len(self.vocab), avgdl, params))  # fmt: skip
        offsets = _pointers(np.array([len(t) for t in self.texts], dtype=np.int64))
        arrays["a_text_start"] = offsets[:-1]
        arrays["a_text_end"] = offsets[1:]
        stats = {"n_passages": n, "total_len": total_len, "k1": params.k1, "b": params.b,
                 "epsilon": params.epsilon}  # fmt: skip
        return IndexData(arrays, b"".join(self.texts), self.vocab, {}, self.articles, stats)


def postings(f_ptr, f_term, f_tf, p_len, n_terms: int, avgdl: float, params: scoring.Params) -> dict[str, np.ndarray]:
    """Invert the forward index: for each term its passages (ascending) and BM25 impacts."""
    f_doc = np.repeat(np.arange(len(p_len), dtype=np.int32), np.diff(f_ptr))
    order = np.argsort(f_term, kind="stable")  # stable: passages stay ascending within a term
    post_doc = f_doc[order]
    df = np.bincount(f_term, minlength=n_terms).astype(np.int32)
    impact = scoring.impacts(np.asarray(f_tf)[order], np.asarray(p_len)[post_doc], avgdl, params)
    return {"df": df, "t_ptr": _pointers(df), "post_doc": post_doc, "post_impact": impact.astype(np.float32)}


def build(articles: Iterable[Article], analyzer: Analyzer, progress: Progress | None = None) -> IndexData:
    builder = Builder(analyzer)
    for article in articles:
        builder.add(article)
        if progress:
            progress(1)
    return builder.finish()


def _pointers(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _ragged(ptr, rows: np.ndarray, columns: dict, count_name: str) -> dict[str, np.ndarray]:
    """Select the rows of ragged columns (CSR-style) for the given passages."""
    ptr = np.asarray(ptr)
    starts, ends = ptr[rows], ptr[rows + 1]
    counts = ends - starts
    index = np.repeat(starts - _pointers(counts)[:-1], counts) + np.arange(counts.sum())
    out = {name: np.asarray(col)[index] for name, col in columns.items()}
    out[count_name] = counts
    return out
