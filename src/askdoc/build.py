"""Turn articles into index arrays: passages, sentences and a forward index, inverted into BM25 postings."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from . import scoring, timing
from .analysis import WORD, Analyzer
from .model import Article
from .passages import pieces_for
from .retrieval.table import PASSAGE_ARRAYS, Stats, pointers, term_max
from .sentences import sentence_spans
from .store import IndexData
from .store.tables import StemDict, TermList, byte_view
from .texts import TextBuffer

Progress = Callable[[int], None]  # called with the number of articles just done
DEFAULT_PARAMS = scoring.Params()
POSTINGS_BLOCK = 1 << 20  # forward rows inverted at a time: its temporaries are ~100 bytes a row
FLUSH_TOKENS = 4_000_000  # pending token ids turned into forward-index rows at this size (memory stays bounded)


TYPECODES = {"int32": "i", "int64": "q", "uint16": "H"}  # numpy dtype -> the array module's typecode
GROWN = ("p_article", "p_start", "p_end", "p_paragraph", "p_heading_start", "p_heading_end", "p_len",
         "s_start", "s_end", "f_term", "f_tf")  # fmt: skip
# every column a build grows, typed as the index stores it (table.PASSAGE_ARRAYS), and the counts that become
# pointers (s_ptr, f_ptr): passages, their sentences, the forward index
COLUMNS = {name: TYPECODES[PASSAGE_ARRAYS[name]] for name in GROWN} | {"s_count": "q", "f_count": "q"}


class Builder:
    """Accumulates analysed articles.

    Every column is one growing array (appends reallocate in place), never a list of parts
    joined at the end: at 1M passages the columns are ~350 MB, and parts would exist twice
    while joined and leave the C heap full of holes after.
    """

    def __init__(self, analyzer: Analyzer, vocab: list[str] | None = None, spill_to: Path | None = None,
                 terms: Terms | None = None) -> None:  # fmt: skip
        self.analyzer = analyzer
        self.terms = terms if terms is not None else Terms(analyzer, vocab)
        self.vocab = self.terms.vocab  # this builder's term ids index it
        self._vocab_start = len(self.vocab)  # terms before it were numbered by an earlier builder (see part)
        self.cols: dict[str, array] = {name: array(code) for name, code in COLUMNS.items()}
        self.tokens = array("i")  # keys of the text pieces not yet counted into forward rows
        self.p_tokens = array("i")  # how many of them each passage has
        self.articles: list[dict[str, Any]] = []
        self.texts = TextBuffer(spill_to)  # in a temporary file in ``spill_to`` if given: not in memory
        self._keys = self.terms.keys
        self._merged_ids: dict[str, array] = {}  # a merged vocabulary's term ids here (see merge)

    def add(self, article: Article, source: dict[str, Any] | None = None) -> None:
        """Analyse one article: its passages, their sentences and terms.

        The text is cut at whitespace (``str.split``, in C), and each piece ("said," or
        "(long-range") becomes a key through a dict in C (``map`` over its ``__getitem__``): only a
        piece not met before is searched with the WORD pattern (no match spans whitespace, so the
        terms are those of ``Analyzer.terms``). Keys become term ids and (term, tf) rows in numpy
        at flush time, so there is no Python work per token or per posting.
        """
        number = len(self.articles)
        text = article.text
        cols = self.cols
        tokens = self.tokens
        key_of = self._keys.__getitem__
        introduced: set[int] = set()
        title = title_outside_body(article)
        for piece in pieces_for(article):
            before = len(tokens)
            if title:  # the title is indexed with the first passage, as a heading is (see title_outside_body)
                tokens.extend(map(key_of, title.split()))
                title = ""
            if piece.heading_start >= 0 and piece.heading_start not in introduced:
                introduced.add(piece.heading_start)  # a heading is indexed with its first passage
                tokens.extend(map(key_of, text[piece.heading_start : piece.heading_end].split()))
            tokens.extend(map(key_of, text[piece.start : piece.end].split()))
            sentences = sentence_spans(text, piece.start, piece.end)
            cols["p_article"].append(number)
            cols["p_start"].append(piece.start)
            cols["p_end"].append(piece.end)
            cols["p_paragraph"].append(piece.paragraph)
            cols["p_heading_start"].append(piece.heading_start)
            cols["p_heading_end"].append(piece.heading_end)
            self.p_tokens.append(len(tokens) - before)
            cols["s_count"].append(len(sentences))
            if len(sentences) == 1:
                cols["s_start"].append(sentences[0][0])
                cols["s_end"].append(sentences[0][1])
            else:
                cols["s_start"].extend([s for s, _ in sentences])
                cols["s_end"].extend([e for _, e in sentences])
        self.articles.append({**article.to_json(), "body_start": article.body_start,
                              "meta": article.meta, **(source or {})})  # fmt: skip
        self.texts.add(text.encode("utf-8", "surrogatepass"))
        if len(tokens) >= FLUSH_TOKENS:
            self._flush_tokens()

    def term_id(self, term: str) -> int:
        return self.terms.id(term)

    def _flush_tokens(self) -> None:
        """Count the pending tokens into forward-index rows (term, tf) of their passages."""
        if not len(self.p_tokens):
            return
        terms, p_len = self._keys.terms(_numpy(self.tokens), _numpy(self.p_tokens))
        rows = forward_rows(terms, p_len, len(self.vocab))
        for name, values in (("p_len", p_len), ("f_term", rows["f_term"]), ("f_tf", rows["f_tf"]),
                             ("f_count", rows["f_count"])):  # fmt: skip
            _append(self.cols[name], values)
        del self.tokens[:]
        del self.p_tokens[:]

    def part(self) -> dict[str, Any]:
        """What was added, as a part another builder can ``merge``: its term ids are those of this
        builder's ``terms``, and the part carries the terms numbered since the previous part of them."""
        self._flush_tokens()
        texts, lengths = self.texts.joined()
        return {"vocab": self.vocab[self._vocab_start :], "vocab_start": self._vocab_start,
                "vocab_of": self.terms.name, "columns": self.cols, "articles": self.articles, "texts": texts,
                "text_lengths": lengths}  # fmt: skip

    def merge(self, part: dict[str, Any]) -> None:
        """Append a part made by another builder (in a worker process), renumbering its terms and articles.

        Parts made with one ``Terms`` (a worker's chunks) must come in the order they were made:
        each brings only the terms that are new since the one before.
        """
        self._flush_tokens()
        here = self._merged_ids.setdefault(part["vocab_of"], array("i"))
        if part["vocab_start"] != len(here):
            raise ValueError(f"part starts at term {part['vocab_start']}, but {len(here)} terms of it were merged")
        here.extend(map(self.term_id, part["vocab"]))
        new_ids = _numpy(here)
        first_article = len(self.articles)
        for name, column in part["columns"].items():
            values = _numpy(column)
            if name == "f_term" and len(new_ids):
                values = new_ids[values]
            elif name == "p_article":
                values = values + first_article
            _append(self.cols[name], values)
        self.articles.extend(part["articles"])
        self.texts.add_many(part["texts"], part["text_lengths"])

    def finish(self, params: scoring.Params = DEFAULT_PARAMS) -> IndexData:
        """The index arrays: the columns as they are (no copy), the postings inverted from them."""
        self._flush_tokens()
        cols, self.cols = self.cols, {name: array(code) for name, code in COLUMNS.items()}
        arrays = {name: _numpy(cols.pop(name)) for name in GROWN}
        arrays["s_ptr"] = pointers(_numpy(cols.pop("s_count")))
        arrays["f_ptr"] = pointers(_numpy(cols.pop("f_count")))
        n = len(arrays["p_article"])
        total_len = int(arrays["p_len"].sum())
        avgdl = total_len / n if n else 1.0
        with timing.stage("build: postings"):
            arrays.update(postings(arrays["f_ptr"], arrays["f_term"], arrays["f_tf"], arrays["p_len"],
                                   len(self.vocab), avgdl, params))  # fmt: skip
        offsets = pointers(_numpy(self.texts.lengths))
        arrays["a_text_start"] = offsets[:-1]
        arrays["a_text_end"] = offsets[1:]
        texts, self.texts = self.texts.finished(), TextBuffer()
        stats = Stats(n, total_len, params.k1, params.b, params.epsilon)
        return IndexData(arrays, texts, TermList(self.vocab, self.terms.ids), StemDict(), self.articles, stats)


def _numpy(column: array) -> np.ndarray:
    """A growing column as a numpy array, without a copy."""
    return np.frombuffer(column, dtype=column.typecode)


def _append(column: array, values: np.ndarray) -> None:
    column.frombytes(byte_view(np.ascontiguousarray(values, dtype=column.typecode)).cast("B"))


def postings(f_ptr, f_term, f_tf, p_len, n_terms: int, avgdl: float, params: scoring.Params) -> dict[str, np.ndarray]:
    """Invert the forward index: for each term its passages (ascending) and BM25 impacts.

    A counting sort done by blocks of passages: each block's rows are sorted by term (stably,
    so passages stay ascending) and put in place behind the earlier blocks' postings of each
    term, so that only the two output arrays are as large as the postings.
    """
    f_ptr, f_term, f_tf, p_len = np.asarray(f_ptr), np.asarray(f_term), np.asarray(f_tf), np.asarray(p_len)
    blocks = _blocks(f_ptr)
    df = np.zeros(n_terms, dtype=np.int64)
    for first, last in blocks:
        df += np.bincount(f_term[f_ptr[first] : f_ptr[last]], minlength=n_terms)
    t_ptr = pointers(df)
    post_doc = np.empty(int(t_ptr[-1]), dtype=np.int32)
    post_tf = np.empty(int(t_ptr[-1]), dtype=np.uint16)  # kept, so that a refresh recomputes impacts without a sort
    impact = np.empty(int(t_ptr[-1]), dtype=np.float32)
    cursor = t_ptr[:-1].copy()  # where each term's next postings go
    for first, last in blocks:
        lo, hi = int(f_ptr[first]), int(f_ptr[last])
        terms = f_term[lo:hi]
        order = np.argsort(terms, kind="stable")
        sorted_terms = terms[order]
        counts = np.bincount(terms, minlength=n_terms)
        rank = np.arange(hi - lo, dtype=np.int64) - pointers(counts)[:-1][sorted_terms]  # rank within its term
        where = cursor[sorted_terms] + rank
        docs = np.repeat(np.arange(first, last, dtype=np.int32), np.diff(f_ptr[first : last + 1]))[order]
        tf = f_tf[lo:hi][order]
        post_doc[where] = docs
        post_tf[where] = tf
        impact[where] = scoring.impacts(tf, p_len[docs], avgdl, params)
        cursor += counts
    return {"df": df.astype(np.int32), "t_ptr": t_ptr, "post_doc": post_doc, "post_tf": post_tf,
            "post_impact": impact, "t_max": term_max(impact, t_ptr, df)}  # fmt: skip


def _blocks(f_ptr: np.ndarray) -> list[tuple[int, int]]:
    """Passage ranges [first, last) of about POSTINGS_BLOCK forward rows each."""
    n = len(f_ptr) - 1
    if n <= 0:
        return []
    cuts = np.searchsorted(f_ptr, np.arange(POSTINGS_BLOCK, int(f_ptr[-1]), POSTINGS_BLOCK), side="right") - 1
    bounds = [0, *sorted(set(cuts.tolist()) - {0, n}), n]
    return list(zip(bounds[:-1], bounds[1:]))


class Terms:
    """A vocabulary (term <-> id) and the pieces of text met so far with their term ids (see TokenKeys).

    A worker process keeps one for all its chunks of files, so that each distinct token is
    analysed, and each term numbered, once per process rather than once per chunk.
    """

    def __init__(self, analyzer: Analyzer, vocab: list[str] | None = None) -> None:
        self.analyzer = analyzer
        self.vocab: list[str] = list(vocab or [])
        self.ids: dict[str, int] = {t: i for i, t in enumerate(self.vocab)}
        self.keys = TokenKeys(self._ids_of)
        self._token_ids: dict[str, tuple[int, ...]] = {}  # a WORD token's term ids ("said" in "said," "said.")
        self.name = os.urandom(8).hex()  # names the parts made with it (see Builder.merge)

    def id(self, term: str) -> int:
        term_id = self.ids.get(term)
        if term_id is None:
            term_id = self.ids[term] = len(self.vocab)
            self.vocab.append(term)
        return term_id

    def _ids_of(self, piece: str) -> tuple[int, ...]:
        """The term ids of a piece of text between whitespace: of each WORD token in it, in order."""
        tokens = WORD.findall(piece)
        if len(tokens) == 1:
            return self._ids_of_token(tokens[0])
        return tuple(term_id for token in tokens for term_id in self._ids_of_token(token))

    def _ids_of_token(self, token: str) -> tuple[int, ...]:
        ids = self._token_ids.get(token)
        if ids is None:
            ids = self._token_ids[token] = tuple(map(self.id, self.analyzer.analyse_token(token)))
        return ids


class TokenKeys(dict):
    """A piece of text between whitespace -> key (0, 1, ...); each key's term ids (none for a stop
    word, two for "long-range") are kept flat, so that numpy turns a run of keys into term ids at once."""

    def __init__(self, ids_of: Callable[[str], tuple[int, ...]]) -> None:
        super().__init__()
        self._ids_of = ids_of
        self._count = array("i")  # per key: how many term ids
        self._ids = array("i")  # the term ids of every key, in key order

    def __missing__(self, token: str) -> int:
        key = self[token] = len(self._count)
        ids = self._ids_of(token)
        self._count.append(len(ids))
        self._ids.extend(ids)
        return key

    def terms(self, keys: np.ndarray, p_tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The term ids of a run of keys, in order, and how many fall in each passage (of p_tokens keys)."""
        count = np.frombuffer(self._count, dtype=np.int32)
        flat = np.frombuffer(self._ids, dtype=np.int32)
        n = count[keys]
        ends = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(n, out=ends[1:])
        key_ends = np.zeros(len(count) + 1, dtype=np.int64)
        np.cumsum(count, out=key_ends[1:])
        terms = flat[np.repeat(key_ends[keys] - ends[:-1], n) + np.arange(ends[-1])]  # each key's run of ids
        token_ends = np.zeros(len(p_tokens) + 1, dtype=np.int64)
        np.cumsum(p_tokens, out=token_ends[1:])
        p_len = np.diff(ends[token_ends]).astype(np.int32)
        return terms.astype(np.int32, copy=False), p_len


def forward_rows(tokens: np.ndarray, p_len: np.ndarray, n_terms: int) -> dict[str, np.ndarray]:
    """Count each passage's term ids: rows (term, tf) sorted by term within each passage."""
    passage = np.repeat(np.arange(len(p_len), dtype=np.int64), p_len)
    keys, tf = np.unique(passage * max(n_terms, 1) + tokens, return_counts=True)
    f_passage = keys // max(n_terms, 1)
    return {
        "f_term": (keys - f_passage * max(n_terms, 1)).astype(np.int32),
        "f_tf": np.minimum(tf, 65535).astype(np.uint16),
        "f_count": np.bincount(f_passage, minlength=len(p_len)).astype(np.int64),
    }


def build(articles: Iterable[Article], analyzer: Analyzer, progress: Progress | None = None) -> IndexData:
    builder = Builder(analyzer)
    for article in articles:
        builder.add(article)
        if progress:
            progress(1)
    return builder.finish()


def title_outside_body(article: Article) -> str:
    """An article's title when it is not part of its passages' text: words only in a title must be found.

    Indexed with the article's first passage, a title counts as a field of its lead (the peers prepend
    it to every passage, which floods common title words); a title that is the start of the first
    sentence (an untitled article) or that the lead repeats word for word is not counted twice.
    """
    title = article.title or ""
    if not title or not article.text:
        return ""
    body = article.text[article.body_start : article.body_start + 4 * len(title) + 200]
    return "" if " ".join(title.split()) in " ".join(body.split()) else title
