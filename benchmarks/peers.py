"""askdoc's BM25 peers behind one small API: ``build(name, texts).search(query, k) -> [(doc index, score)]``.

Each peer is used as its documentation suggests for English text:

- ``rank-bm25``: ``BM25Okapi`` over lower-cased word tokens, English stop words removed,
  Snowball-stemmed with PyStemmer (rank-bm25 has no tokenizer of its own).
- ``bm25s``: ``bm25s.tokenize(stopwords="en", stemmer=Stemmer("english"))`` and ``BM25()``
  (its defaults: Lucene's variant, k1=1.5, b=0.75).
- ``tantivy``: a RAM index, one text field with the ``en_stem`` tokenizer, the question parsed
  as a disjunction of its words (query syntax characters removed).

The peers need the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

_WORD = re.compile(r"\w+")


class Searcher(Protocol):
    def search(self, query: str, k: int) -> list[tuple[int, float]]: ...


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


class RankBM25:
    """rank-bm25's BM25Okapi with a stemmed, stop-worded tokenizer."""

    def __init__(self, texts: Sequence[str]) -> None:
        from rank_bm25 import BM25Okapi

        self._stem = _stemmer().stemWords
        self._stop = _stop_words()
        self._bm25 = BM25Okapi([self.tokens(t) for t in texts])

    def tokens(self, text: str) -> list[str]:
        return self._stem([w for w in _WORD.findall(text.lower()) if w not in self._stop])

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        terms = self.tokens(query)
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] != 0.0]


class BM25S:
    """bm25s with PyStemmer and its English stop words."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self._bm25s = bm25s
        self._stemmer = _stemmer()
        self._n = len(texts)
        tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._vocab = tokens.vocab
        self._retriever = bm25s.BM25()
        self._retriever.index(tokens, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        tokens = self._bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False,
                                      return_ids=False)  # fmt: skip
        known = [[t for t in tokens[0] if t in self._vocab]]
        if not known[0]:
            return []
        docs, scores = self._retriever.retrieve(known, k=min(k, self._n), show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


class Tantivy:
    """tantivy (Lucene's design in Rust) with its English stemming tokenizer."""

    def __init__(self, texts: Sequence[str]) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
        builder.add_integer_field("doc", stored=True, fast=True)
        self._schema = builder.build()
        self._index = tantivy.Index(self._schema)
        writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        for number, text in enumerate(texts):
            writer.add_document(tantivy.Document(body=text, doc=number))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        words = [w for w in _WORD.findall(query.lower()) if w not in ("and", "or", "not")]
        if not words:
            return []
        parsed = self._index.parse_query(" ".join(words), ["body"])
        result = self._searcher.search(parsed, k)
        return [(int(self._searcher.doc(address)["doc"][0]), float(score)) for score, address in result.hits]


PEERS: dict[str, Callable[[Sequence[str]], Searcher]] = {"rank-bm25": RankBM25, "bm25s": BM25S, "tantivy": Tantivy}


def build(name: str, texts: Sequence[str]) -> Searcher:
    """A peer's index of ``texts``; its hits are (index into texts, score), best first."""
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; choose one of: {', '.join(PEERS)}")
    return PEERS[name](texts)
