"""Index: search the passages of a corpus and return quoted, cited hits."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from . import scoring
from .analysis import Analyzer
from .errors import ArticleNotFound
from .filters import Filter, split_question
from .model import Article, Hit, Hits, Passage, Quote, page_at
from .quotes import best_quote
from .store import IndexData

ENGINES = ("askdoc", "rank-bm25")
FOLLOW_UP_WORDS = frozenset("he she it they him her his hers its their them this that these those and also".split())


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    return engine


class Index:
    """A searchable set of articles: BM25 over their passages, hits quoted verbatim."""

    def __init__(
        self,
        data: IndexData,
        analyzer: Analyzer | None = None,
        *,
        engine: str = "askdoc",
        corpus: Path | None = None,
        location: Path | None = None,
    ) -> None:
        self.data = data
        self.analyzer = analyzer or Analyzer(data.stems)
        self.engine = check_engine(engine)
        self.corpus = corpus
        self.location = location  # the folder the index is stored in, if any
        self._articles: dict[int, Article] = {}
        self._filter_masks: dict[Filter, np.ndarray] = {}  # passage masks of recent filters
        self._scratch_lock = threading.Lock()  # searches from worker threads share one accumulator
        self.params = scoring.Params(
            data.stats.get("k1", scoring.K1), data.stats.get("b", scoring.B), data.stats.get("epsilon", scoring.EPSILON)
        )

    @classmethod
    def from_articles(cls, articles: Iterable[Article], *, engine: str = "askdoc") -> Index:
        """An in-memory index of the given articles (nothing is written to disk)."""
        from .build import build

        check_engine(engine)
        analyzer = Analyzer()
        data = build(articles, analyzer)
        return cls(data, analyzer, engine=engine)

    # -- what the index holds -------------------------------------------------------------

    @property
    def n_passages(self) -> int:
        return self.data.n_passages

    @property
    def n_articles(self) -> int:
        return len(self.data.articles)

    def __len__(self) -> int:
        return self.n_articles

    def articles(self) -> Iterator[Article]:
        for number in range(self.n_articles):
            yield self._article(number)

    def article(self, article_id: str) -> Article:
        number = self._article_numbers.get(article_id)
        if number is None:
            raise ArticleNotFound(f"no article '{article_id}' in this corpus")
        return self._article(number)

    def passages(self, article_id: str) -> list[Passage]:
        number = self._article_numbers.get(article_id)
        if number is None:
            raise ArticleNotFound(f"no article '{article_id}' in this corpus")
        rows = np.flatnonzero(np.asarray(self.data.arrays["p_article"]) == number)
        return [self._passage(int(row)) for row in rows]

    def catalog(self, where: Filter | None = None) -> list[dict]:
        """One row per article (id, title, date, source, url, author, file, passages), without reading texts."""
        counts = np.bincount(np.asarray(self.data.arrays["p_article"]), minlength=self.n_articles).tolist()
        keys = ("id", "title", "date", "source", "url", "author")
        return [
            {**{key: meta.get(key) for key in keys}, "file": meta.get("rel"), "passages": counts[number]}
            for number, meta in enumerate(self.data.articles)
            if where is None or where.allows(meta)
        ]

    def skipped(self) -> dict[str, str]:
        """Files of the corpus that gave no article, with the reason (a scanned PDF, an empty file, ...)."""
        stamps = self.data.stats.get("skipped", {})
        return {rel: (stamp[2] if len(stamp) > 2 else "unreadable") for rel, stamp in stamps.items()}

    @cached_property
    def _article_numbers(self) -> dict[str, int]:
        return {meta["id"]: number for number, meta in enumerate(self.data.articles)}

    def _article(self, number: int) -> Article:
        article = self._articles.get(number)
        if article is None:
            meta = self.data.articles[number]
            a = self.data.arrays
            raw = self.data.texts[int(a["a_text_start"][number]) : int(a["a_text_end"][number])]
            article = Article(
                id=meta["id"],
                title=meta["title"],
                text=_decoded(bytes(raw)),
                date=meta.get("date"),
                source=meta.get("source"),
                path=Path(meta["path"]) if meta.get("path") else None,
                url=meta.get("url"),
                author=meta.get("author"),
                body_start=meta.get("body_start", 0),
                meta=meta.get("meta") or {},
            )
            self._articles[number] = article
        return article

    def _passage(self, row: int) -> Passage:
        a = self.data.arrays
        article = self._article(int(a["p_article"][row]))
        start, end = int(a["p_start"][row]), int(a["p_end"][row])
        h_start, h_end = int(a["p_heading_start"][row]), int(a["p_heading_end"][row])
        return Passage(
            article_id=article.id,
            paragraph=int(a["p_paragraph"][row]),
            start=start,
            end=end,
            text=article.text[start:end],
            heading=article.text[h_start:h_end] if h_start >= 0 else None,
            page=page_at(article, start),
        )

    # -- keeping up with the corpus folder ---------------------------------------------------

    def changes(self):
        """Files added, changed or removed in the corpus folder since this index was built (cheap: stat only)."""
        from .collection import changes_since

        return changes_since(self)

    def refresh(self, progress=None) -> Index:
        """This index when the corpus is unchanged, else a new one refreshed incrementally."""
        from .collection import refreshed

        return refreshed(self, progress)

    # -- scoring ----------------------------------------------------------------------------

    @cached_property
    def _term_ids(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.data.vocab)}

    @cached_property
    def idf(self) -> np.ndarray:
        return scoring.okapi_idf(self.data.arrays["df"], self.n_passages, self.params.epsilon)

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for a list of query terms (repeats count), by the engine."""
        if self.engine == "rank-bm25":
            return self._okapi.get_scores(terms) if self.n_passages else np.zeros(0)
        counts = Counter(self._term_ids[t] for t in terms if t in self._term_ids)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        a = self.data.arrays
        return scoring.scores(ids, weights, a["t_ptr"], a["post_doc"], a["post_impact"], self.idf, self.n_passages)

    @cached_property
    def _okapi(self):
        from rank_bm25 import BM25Okapi

        return BM25Okapi(self.term_lists(), k1=self.params.k1, b=self.params.b, epsilon=self.params.epsilon)

    def term_lists(self) -> list[list[str]]:
        """Each passage's terms as a list (order lost, repeats kept): what rank-bm25 is given."""
        a = self.data.arrays
        vocab = self.data.vocab
        f_ptr, f_term, f_tf = np.asarray(a["f_ptr"]), np.asarray(a["f_term"]), np.asarray(a["f_tf"])
        return [
            [vocab[t] for t, tf in zip(f_term[lo:hi].tolist(), f_tf[lo:hi].tolist()) for _ in range(tf)]
            for lo, hi in zip(f_ptr[:-1].tolist(), f_ptr[1:].tolist())
        ]

    def term_weights(self, terms) -> dict[str, float]:
        """How much each term tells, always positive (Lucene's idf: ln(1 + (N - df + .5) / (df + .5)))."""
        df = self.data.arrays["df"]
        n = self.n_passages
        return {t: float(np.log1p((n - df[self._term_ids[t]] + 0.5) / (df[self._term_ids[t]] + 0.5))) for t in terms}

    # -- search -------------------------------------------------------------------------------

    def search(
        self,
        question: str,
        k: int = 5,
        max_per_article: int | None = None,
        context: Sequence[str] = (),
        where: Filter | None = None,
    ) -> Hits:
        """The k best passages for a question, each with its quote and citation.

        ``max_per_article`` caps how many hits one article may give. ``context`` holds the
        earlier questions of a conversation, newest last: a follow-up such as "and what did
        he say about it?" borrows their terms. When none of the question's terms occurs in
        the corpus the result is empty and ``missing`` says why. ``where`` (a ``Filter``) and
        filter words in the question (``site:bbc.co.uk after:2024-09-01 in:folder``) limit
        the articles answers may come from.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        asked = question
        question, scope = split_question(question)
        scope = scope & where if where else scope
        terms = self.analyzer.terms(question) + self._context_terms(question, context)
        df = self.data.arrays["df"]
        known = {t for t in terms if t in self._term_ids and df[self._term_ids[t]] > 0}
        matched = tuple(dict.fromkeys(t for t in terms if t in known))
        missing = tuple(
            dict.fromkeys(w for w in self.analyzer.words(question) if not set(self.analyzer.terms(w)) & known)
        )
        described = scope.describe()
        if not matched:
            return Hits([], question=asked, matched=(), missing=missing, scope=described)
        allowed = self._allowed_passages(scope) if scope else None  # the filter applies before top-k
        rows, scores = self._ranked_rows(terms, k, max_per_article, allowed)
        weights = self.term_weights(matched)
        hits = [self._hit(rank, row, score, weights) for rank, (row, score) in enumerate(zip(rows, scores), 1)]
        return Hits(hits, question=asked, matched=matched, missing=missing, scope=described)

    def _allowed_passages(self, scope: Filter) -> np.ndarray:
        """One bool per passage: whether its article passes the filter (kept for the last few filters)."""
        mask = self._filter_masks.get(scope)
        if mask is None:
            if len(self._filter_masks) >= 8:
                self._filter_masks.clear()
            allowed = scope.article_mask(self.data.articles)
            mask = self._filter_masks[scope] = allowed[np.asarray(self.data.arrays["p_article"])]
        return mask

    def best(self, terms: list[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages (rows) holding a query term, and their BM25 scores, best first.

        ``allowed`` (one bool per passage) keeps the others out. The askdoc engine prunes
        (MaxScore, see ``scoring.best``): only passages that can reach the top k are scored,
        with exactly the scores ``scores()`` gives them.
        """
        counts = Counter(self._term_ids[t] for t in terms if t in self._term_ids)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        a = self.data.arrays
        if self.engine == "rank-bm25":
            scores = self.scores(terms)
            candidates = scoring.matching(ids, a["t_ptr"], a["post_doc"], self.n_passages)
            rows = scoring.top_k(scores, k, candidates if allowed is None else candidates & allowed)
            return rows, scores[rows]
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        query = scoring.Query.of(ids, weights, a["t_ptr"], self.idf)
        with self._scratch_lock:
            return scoring.best(query, a["post_doc"], a["post_impact"], a["t_max"], k, self._scratch, allowed)

    @cached_property
    def _scratch(self) -> np.ndarray:
        return np.zeros(self.n_passages, dtype=np.float64)

    def _context_terms(self, question: str, context: Sequence[str]) -> list[str]:
        """Terms a follow-up borrows from the previous question: when it leans on a pronoun or is short."""
        if not context:
            return []
        words = set(question.casefold().replace("?", " ").split())
        own = self.analyzer.terms(question)
        if not (words & FOLLOW_UP_WORDS) and len(own) > 1:
            return []
        return [t for t in self.analyzer.terms(split_question(context[-1])[0]) if t not in own]

    def _ranked_rows(
        self, terms: list[str], k: int, max_per_article: int | None, allowed: np.ndarray | None = None
    ) -> tuple[list[int], list[float]]:
        if max_per_article is None:
            rows, scores = self.best(terms, k, allowed)
            return rows.tolist(), scores.tolist()
        p_article = self.data.arrays["p_article"]
        want = k
        while True:
            ranked, scores = self.best(terms, want, allowed)
            taken: list[int] = []
            taken_scores: list[float] = []
            per_article: Counter[int] = Counter()
            for row, score in zip(ranked.tolist(), scores.tolist()):
                article = int(p_article[row])
                if per_article[article] < max_per_article:
                    per_article[article] += 1
                    taken.append(row)
                    taken_scores.append(score)
                    if len(taken) == k:
                        return taken, taken_scores
            if len(ranked) < want:  # no more passages that match
                return taken, taken_scores
            want *= 4

    def _hit(self, rank: int, row: int, score: float, weights: dict[str, float]) -> Hit:
        passage = self._passage(row)
        article = self._article(int(self.data.arrays["p_article"][row]))
        a = self.data.arrays
        lo, hi = int(a["s_ptr"][row]), int(a["s_ptr"][row + 1])
        sentences = list(zip(a["s_start"][lo:hi].tolist(), a["s_end"][lo:hi].tolist()))
        spans = [span for span in self.analyzer.spans(article.text, passage.start, passage.end) if span[0] in weights]
        quote = best_quote(article.text, sentences or [(passage.start, passage.end)], spans, weights)
        matched = set(t for t, _, _ in spans)
        if passage.heading:
            matched |= set(self.analyzer.terms(passage.heading)) & weights.keys()
        return Hit(
            rank=rank,
            score=score,
            article=article,
            passage=passage,
            quote=quote,
            matched_terms=tuple(t for t in weights if t in matched),
            highlights=tuple((s, e) for _, s, e in spans),
        )


def _decoded(raw: bytes) -> str:
    """The stored UTF-8 text; a damaged texts.bin shows U+FFFD where it is broken, never raises."""
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


__all__ = ["Index", "ENGINES", "Quote"]
