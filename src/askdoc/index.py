"""Index: search the passages of a corpus and return quoted, cited hits."""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import ENGINES, feedback, learned, ranking, scoring, timing
from .analysis import Analyzer, common_stem
from .answers import answer_span
from .errors import ArticleNotFound
from .filters import Filter, as_filter, split_question, without_filter_words
from .model import Article, Hit, Hits, Passage, Quote, page_at
from .question import borrowed_text, question_words, read_question
from .quotes import best_quote
from .store import IndexData, check_forward
from .tables import StemTable, Vocabulary


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
        self.analyzer = analyzer or _analyzer_for(data)
        self.engine = check_engine(engine)
        self.corpus = corpus
        self.location = location  # the folder the index is stored in, if any
        self._articles: dict[int, Article] = {}
        self._filter_masks: dict[Filter, np.ndarray] = {}  # passage masks of recent filters
        self._scratch_lock = threading.Lock()  # searches from worker threads share one accumulator
        self.ranking_weights = ranking.Weights()  # the reranker's settings (benchmarks turn levers off)
        self.params = scoring.Params(
            data.stats.get("k1", scoring.K1), data.stats.get("b", scoring.B), data.stats.get("epsilon", scoring.EPSILON)
        )

    @classmethod
    def from_articles(cls, articles: Iterable[Article], *, engine: str = "askdoc") -> Index:
        """An in-memory index of the given articles (nothing is written to disk)."""
        from .build import build

        check_engine(engine)
        analyzer = Analyzer()
        data = build(_unique_ids(articles), analyzer)
        return cls(data, analyzer, engine=engine)

    # -- what the index holds -------------------------------------------------------------

    @property
    def n_passages(self) -> int:
        """How many passages the index holds (a long paragraph may give several)."""
        return self.data.n_passages

    @property
    def n_articles(self) -> int:
        """How many articles the index holds."""
        return len(self.data.articles)

    def __len__(self) -> int:
        return self.n_articles

    def articles(self) -> Iterator[Article]:
        """Every article of the index, in the order it was built (each read when reached)."""
        for number in range(self.n_articles):
            yield self._article(number)

    def article(self, article_id: str) -> Article:
        """The article with this id (``"business/114"``); ``ArticleNotFound`` when there is none."""
        number = self._article_numbers.get(article_id)
        if number is None:
            raise ArticleNotFound(f"no article '{article_id}' in this corpus")
        return self._article(number)

    def paragraph(self, article_id: str, number: int) -> Passage:
        """The whole of a paragraph of an article: a long one is cut into several passages, joined here."""
        pieces = [p for p in self.passages(article_id) if p.paragraph == number]
        if not pieces:
            raise ArticleNotFound(f"no paragraph {number} in article '{article_id}'")
        if len(pieces) == 1:
            return pieces[0]
        text = self.article(article_id).text
        start, end = pieces[0].start, pieces[-1].end
        return dataclasses.replace(pieces[0], start=start, end=end, text=text[start:end])

    def passages(self, article_id: str) -> list[Passage]:
        """The article's passages in order, each with its paragraph number and span in its text."""
        number = self._article_numbers.get(article_id)
        if number is None:
            raise ArticleNotFound(f"no article '{article_id}' in this corpus")
        rows = np.flatnonzero(np.asarray(self.data.arrays["p_article"]) == number)
        return [self._passage(int(row)) for row in rows]

    def catalog(self, where: Filter | str | None = None) -> list[dict]:
        """One row per article (id, title, date, source, url, author, file, passages), without reading texts."""
        where = as_filter(where)
        where = self._inside_corpus(where) if where else None
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
        return {article_id: number for number, article_id in enumerate(self.data.ids())}

    def _article(self, number: int) -> Article:
        article = self._articles.get(number)
        if article is None:
            meta = self.data.articles[number]
            article = Article(
                id=meta["id"],
                title=meta["title"],
                text=_decoded(self.data.article_text(number)),  # checked against its CRC-32 (store.py)
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

    def changes(self, paths: Iterable[str | os.PathLike] | None = None):
        """Files added, changed or removed in the corpus folder since this index was built (cheap: stat only).

        ``paths``: only these files or folders can have changed (file events): each is looked at, not the
        folder (absolute, or relative to the current folder as any path).
        """
        from .collection import changes_since

        return changes_since(self, None if paths is None else [os.path.abspath(path) for path in paths])

    def refresh(self, progress=None, paths: Iterable[str | os.PathLike] | None = None) -> Index:
        """This index when the corpus is unchanged, else a new one refreshed incrementally (``paths``: see changes)."""
        from .collection import refreshed

        return refreshed(self, progress, None if paths is None else [os.path.abspath(path) for path in paths])

    def watch(self, **options) -> Iterator[Index]:
        """The index refreshed each time its corpus folder changes, as the OS tells (see askdoc.watch)."""
        from .watch import watch

        return watch(self, **options)

    # -- scoring ----------------------------------------------------------------------------

    @cached_property
    def _term_ids(self) -> Mapping[str, int]:
        """term -> id: a stored vocabulary is searched term by term; a fresh one's list becomes a dict."""
        vocab = self.data.vocab
        return vocab.ids if isinstance(vocab, Vocabulary) else {term: i for i, term in enumerate(vocab)}

    @cached_property
    def idf(self) -> np.ndarray:
        """BM25Okapi's idf of every term, by term id (rank-bm25's, with its epsilon floor)."""
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
        check_forward(self.data)
        vocab = list(self.data.vocab)
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
        where: Filter | str | None = None,
    ) -> Hits:
        """The k best passages for a question, each with its quote and citation.

        ``max_per_article`` caps how many hits one article may give; a passage that repeats an
        earlier hit's text word for word (an article saved twice) is left out. ``context`` holds the
        earlier questions of a conversation, newest last: a follow-up such as "what did he
        warn?" or "and Putin?" borrows their names or words (see ``question.borrowed_text``).
        When none of the question's terms occurs in the corpus the result is empty and
        ``missing`` says why; when names or numbers it asks about are missing and the best
        passage holds less than half of the question's weight (the missing ones weighing as
        the rarest terms), the hits are kept but ``weak`` is set: they match only its common
        part (see ``ranking.coverage``), and ``weak_words`` are the missing words worth naming
        (names, numbers, and words outside the ~19,000 common English words askdoc knows). With ``max_per_article=1``
        the search ranks articles and widens the question by pseudo-relevance feedback
        (see ``feedback``); the quotes still answer the question's own words. ``where`` (a ``Filter``, or filter words as a string) and filter words in the
        question (``site:bbc.co.uk after:2024-09-01 in:folder``) limit the articles answers
        may come from.
        """
        k = _whole(k, "k")
        max_per_article = None if max_per_article is None else _whole(max_per_article, "max_per_article")
        if k < 1 or (max_per_article is not None and max_per_article < 1):
            raise ValueError("k and max_per_article must be at least 1")
        asked_text = question
        question, scope = split_question(question)
        where = as_filter(where)
        scope = self._inside_corpus(scope & where if where else scope)
        asked = read_question(question)
        own = self.analyzer.terms(question)
        if isinstance(context, str):  # one earlier question, not its letters
            context = [context]
        earlier = [without_filter_words(c) for c in context]
        borrowed = borrowed_text(asked, earlier)
        terms = own + [t for t in self.analyzer.terms(borrowed) if t not in own]
        known = self._known(terms)
        matched = tuple(dict.fromkeys(t for t in terms if t in known))
        missing = tuple(
            dict.fromkeys(w for w in self.analyzer.words(question) if not set(self.analyzer.terms(w)) & known)
        )
        found = tuple(  # as missing, the words as asked ("agreed", not the stem "agre")
            dict.fromkeys(
                w for w in self.analyzer.words(f"{question} {borrowed}") if set(self.analyzer.terms(w)) & known
            )
        )
        described = scope.describe()
        allowed = self._allowed_passages(scope) if scope else None  # the filter applies before top-k
        if allowed is not None and not allowed.any():
            return Hits([], question=asked_text, matched=matched, missing=missing, scope=described, scope_empty=True,
                        borrowed=borrowed, matched_words=found)  # fmt: skip
        if not matched:
            return Hits([], question=asked_text, matched=(), missing=missing, scope=described, borrowed=borrowed)
        query = self._query(asked, terms, matched)
        with timing.stage("retrieve and rerank"):
            ranked, evidence, copies = self._ranked(query, k, max_per_article, allowed)
        with timing.stage("quotes and hits"):
            hits = [
                self._hit(rank, row, score, query, evidence.get(row), copies.get(row, ()))
                for rank, (row, score) in enumerate(ranked, 1)
            ]
        missing_names = self._missing_names(question, asked, missing)
        weak = bool(hits and missing_names) and ranking.coverage(
            evidence[ranked[0][0]].terms, self._context_weights(ranked[0][0], query.weights), query.weights,
            len(missing_names) * self._missing_weight,
        ) < ranking.WEAK_COVERAGE  # fmt: skip
        if hits and not weak:
            weak = self._unanswered(query, ranked[0][0], evidence, len(missing_names) * self._missing_weight)
        telling = tuple(w for w in missing if w in missing_names or common_stem(w) is None) if weak else ()
        return Hits(hits, question=asked_text, matched=matched, missing=missing, scope=described, weak=weak,
                    weak_words=telling, borrowed=borrowed, matched_words=found)  # fmt: skip

    def _unanswered(
        self, query: ranking.Query, top: int, evidence: dict[int, ranking.Evidence], missing_weight: float
    ) -> bool:
        """Whether the learned check (``learned.answered``) doubts that the best hit answers the question."""
        from .features import answered_features

        checker = learned.answered()
        found = answered_features(self, query, top, evidence, missing_weight)
        return checker is not None and found is not None and checker.doubts(found)

    def answered_features(self, question: str, exclude: Sequence[str] = ()) -> np.ndarray | None:
        """What the answered check reads for a question, with some articles left out (for training)."""
        from .features import answered_features

        read = self._read(question)
        if read is None:
            return None
        query, missing_weight = read
        allowed = None
        if exclude:
            numbers = [self._article_numbers[i] for i in exclude if i in self._article_numbers]
            allowed = ~np.isin(np.asarray(self.data.arrays["p_article"]), numbers)
        ranked, evidence, _ = self._ranked(query, 1, None, allowed)
        return answered_features(self, query, ranked[0][0], evidence, missing_weight) if ranked else None

    def _query(self, asked, terms: list[str], matched: Sequence[str]) -> ranking.Query:
        folded = question_words(asked.text)
        lowered = " " + " ".join(asked.text.casefold().split())
        return ranking.Query(
            terms,
            self.term_weights(matched),
            asked.answer_type,
            [ranking.phrase_keys(self.analyzer, p) for p in asked.phrases],
            folded,
            names=frozenset(w.casefold().strip(".'’") for name in asked.names for w in name.split()),
            why=" why " in lowered[:40] or lowered.startswith(" why"),
            how_much=" how much " in lowered[:40],
            counting=" how many " in lowered[:40],
        )

    def candidates(self, question: str, depth: int = ranking.RERANK_DEPTH):
        """What the reranker reads for a question: its query, BM25's best rows and their features (for training)."""
        read = self._read(question)
        if read is None:
            return None
        query, _ = read
        top, scores = self.best(query.terms, depth)
        _, _, evidence = ranking.rerank(
            self, query, top, scores, dataclasses.replace(self.ranking_weights, learned=True)
        )
        rows = top.tolist()
        return query, rows, scores.tolist(), np.vstack([evidence[row].features for row in rows])

    def _read(self, question: str) -> tuple[ranking.Query, float] | None:
        """A question alone (no conversation, no filter) as search reads it: its query and the weight of the
        names and numbers it asks about that no article has; None when no word of it is in the corpus."""
        question, _ = split_question(question)
        asked = read_question(question)
        terms = self.analyzer.terms(question)
        known = self._known(terms)
        matched = tuple(dict.fromkeys(t for t in terms if t in known))
        if not matched:
            return None
        missing = [w for w in self.analyzer.words(question) if not set(self.analyzer.terms(w)) & known]
        return self._query(asked, terms, matched), len(
            self._missing_names(question, asked, missing)
        ) * self._missing_weight

    def _known(self, terms: Sequence[str]) -> set[str]:
        df = self.data.arrays["df"]
        return {t for t in terms if t in self._term_ids and df[self._term_ids[t]] > 0}

    def _missing_names(self, question: str, asked, missing: Sequence[str]) -> list[str]:
        """The missing words worth a caveat: names and numbers; in a question typed all in lower case,
        where no name shows, the words outside common English ("what did macron say": macron)."""
        names = set(self.analyzer.words(" ".join(asked.names)))
        lower = not any(c.isupper() for c in question)
        return [w for w in missing if w in names or w[0].isdigit() or (lower and common_stem(w) is None)]

    @cached_property
    def _article_lengths(self) -> np.ndarray:
        a = self.data.arrays
        return np.bincount(np.asarray(a["p_article"]), weights=np.asarray(a["p_len"]), minlength=self.n_articles)

    def article_scores(self, terms: Sequence[str], articles: Sequence[int]) -> dict[int, float]:
        """BM25 of whole articles (all their passages as one text) for the query terms, for the given articles."""
        a = self.data.arrays
        wanted = np.asarray(articles, dtype=np.int64)
        if not len(wanted):
            return {}
        lengths = self._article_lengths
        n = self.n_articles
        avg = max(float(lengths.mean()), 1.0)
        k1, b = self.params.k1, self.params.b
        norm = k1 * (1 - b + b * lengths[wanted] / avg)
        p_article = np.asarray(a["p_article"])
        total = np.zeros(len(wanted))
        for term, count in Counter(t for t in terms if t in self._term_ids).items():
            term_id = self._term_ids[term]
            lo, hi = int(a["t_ptr"][term_id]), int(a["t_ptr"][term_id + 1])
            docs = np.asarray(a["post_doc"][lo:hi])
            tf = np.bincount(p_article[docs], weights=np.asarray(a["post_tf"][lo:hi]), minlength=n)
            df = int(np.count_nonzero(tf))
            idf = float(np.log1p((n - df + 0.5) / (df + 0.5)))
            here = tf[wanted]
            total += count * idf * here * (k1 + 1) / (here + norm)
        return dict(zip(wanted.tolist(), total.tolist()))

    def passage_terms(self, row: int, weights: Mapping[str, float]) -> frozenset[str]:
        """The given terms a passage holds, from its forward index (no text read)."""
        a = self.data.arrays
        ids = {self._term_ids[t]: t for t in weights if t in self._term_ids}
        held = np.asarray(a["f_term"][int(a["f_ptr"][row]) : int(a["f_ptr"][row + 1])]).tolist()
        return frozenset(ids[t] for t in held if t in ids)

    def _inside_corpus(self, scope: Filter) -> Filter:
        """``in:`` given as a path of this machine (``--in ~/news/sport``, as a shell completes it) made
        a folder of the corpus; a path outside it stays as given and matches nothing."""
        if not scope.within or self.corpus is None:
            return scope
        within = []
        for place in scope.within:
            if place.startswith(("/", "~")) or os.path.isabs(place):
                with contextlib.suppress(ValueError, RuntimeError, OSError):  # outside the corpus: as given
                    place = Path(place).expanduser().resolve().relative_to(self.corpus).as_posix()
            within.append(place)
        return dataclasses.replace(scope, within=tuple(within))

    def _allowed_passages(self, scope: Filter) -> np.ndarray:
        """One bool per passage: whether its article passes the filter (kept for the last few filters)."""
        mask = self._filter_masks.get(scope)
        if mask is None:
            if len(self._filter_masks) >= 8:
                self._filter_masks.clear()
            allowed = scope.article_mask(self.data.articles)
            mask = self._filter_masks[scope] = allowed[np.asarray(self.data.arrays["p_article"])]
        return mask

    def best(
        self, terms: list[str], k: int, allowed: np.ndarray | None = None, extra: dict[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages (rows) holding a query term, and their BM25 scores, best first.

        ``allowed`` (one bool per passage) keeps the others out. The askdoc engine prunes
        (MaxScore, see ``scoring.best``): only passages that can reach the top k are scored,
        with exactly the scores ``scores()`` gives them. ``extra`` adds weight to terms, as if
        they were repeated that often in the query (pseudo-relevance feedback, see ``feedback``).
        """
        counts: Counter[int] = Counter(self._term_ids[t] for t in terms if t in self._term_ids)
        for term, weight in (extra or {}).items():
            if term in self._term_ids:
                counts[self._term_ids[term]] += weight  # type: ignore[assignment]
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        a = self.data.arrays
        if self.engine == "rank-bm25":
            scores = self.scores(terms)
            for term, weight in (extra or {}).items():
                scores = scores + weight * self.scores([term])
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

    @cached_property
    def _missing_weight(self) -> float:
        """What a word the corpus lacks would weigh (the idf of df = 0)."""
        return float(np.log1p((self.n_passages + 0.5) / 0.5))

    def context_terms(self, article_number: int, row: int) -> frozenset[str]:
        """The terms of a passage's article title and section heading: the context it is read in."""
        terms = self._title_terms.get(article_number)
        if terms is None:
            terms = self._title_terms[article_number] = frozenset(
                self.analyzer.terms(self.data.articles[article_number].get("title") or "")
            )
        h_start, h_end = int(self.data.arrays["p_heading_start"][row]), int(self.data.arrays["p_heading_end"][row])
        if h_start >= 0:
            terms = terms | frozenset(self.analyzer.terms(self._article(article_number).text[h_start:h_end]))
        return terms

    def lead_row(self, row: int) -> int:
        """The first passage of a passage's article (an article's passages are consecutive rows)."""
        p_article = self.data.arrays["p_article"]
        article = p_article[row]
        while row > 0 and p_article[row - 1] == article:
            row -= 1
        return row

    def read_in_article(self, row: int, weights: Mapping[str, float]) -> dict[str, float]:
        """The question terms a passage's article gives it as context, each with its share.

        Its title and section heading count fully; its article's lead (first passage), for a later
        passage, fades with the distance: 1/d for the passage d rows after it.
        """
        context = dict.fromkeys(self._context_weights(row, dict(weights)), 1.0)
        lead = self.lead_row(row)
        if lead != row:
            a = self.data.arrays
            ids = {self._term_ids[t]: t for t in weights if t in self._term_ids}
            held = np.asarray(a["f_term"][int(a["f_ptr"][lead]) : int(a["f_ptr"][lead + 1])]).tolist()
            for term_id in held:
                if term_id in ids:
                    context.setdefault(ids[term_id], 1.0 / (row - lead))
        return context

    @cached_property
    def _title_terms(self) -> dict[int, frozenset[str]]:
        return {}

    def _context_weights(self, row: int, weights: dict[str, float]) -> dict[str, float]:
        context = self.context_terms(int(self.data.arrays["p_article"][row]), row)
        return {t: w for t, w in weights.items() if t in context}

    def _ranked(
        self, query: ranking.Query, k: int, max_per_article: int | None, allowed: np.ndarray | None
    ) -> tuple[list[tuple[int, float]], dict[int, ranking.Evidence], dict[int, tuple[str, ...]]]:
        """(row, score) best first: BM25's best passages reranked, then, if more are needed, BM25's order.

        A passage whose text (spacing and case aside) is that of a passage already taken is left
        out: a news archive holds the same story under two names, and a second copy of a quote
        answers nothing new. The third result names, for a row taken, the other articles whose
        copies of it were left out.
        """
        depth = max(ranking.RERANK_DEPTH, k)
        top, scores = self.best(query.terms, depth, allowed)
        extra = None
        if max_per_article == 1 and self.ranking_weights.feedback:  # ranking articles: widen the question
            extra = self._feedback(query, top, scores)
            top, scores = self.best(query.terms, depth, allowed, extra)
        if query.phrases:  # passages holding every phrase term are reranked even when BM25 puts them lower
            pool = self._holding_all({t for phrase in query.phrases for key in phrase for t in key if t[0] != "="})
            pool = pool if allowed is None else pool & allowed
            more, more_scores = self.best(query.terms, depth, pool)
            keep = dict.fromkeys(zip(more.tolist() + top.tolist(), more_scores.tolist() + scores.tolist()))
            pairs = list(keep)[:depth]
            top = np.array([row for row, _ in pairs], dtype=np.int64)
            scores = np.array([score for _, score in pairs], dtype=np.float64)
        # ranking articles by a question widened with feedback is topical search, not what the learned
        # model was fitted for (a passage that holds the answer): BM25 with feedback and the bonuses order it
        weights = self.ranking_weights if extra is None else dataclasses.replace(self.ranking_weights, learned=False)
        rows, final, evidence = ranking.rerank(self, query, top, scores, weights)
        ranked = list(zip(rows, final))
        p_article = self.data.arrays["p_article"]
        taken: list[tuple[int, float]] = []
        per_article: Counter[int] = Counter()
        said: dict[str, int] = {}  # the text of each passage taken -> its row
        paragraphs: set[tuple[int, int]] = set()  # (article, paragraph) of each passage taken
        p_paragraph = self.data.arrays["p_paragraph"]
        copies: dict[int, tuple[str, ...]] = {}
        seen = set(rows)
        want = depth
        while True:
            for row, score in ranked:
                text = " ".join(self.passage_text(row).split()).casefold()
                article = int(p_article[row])
                if text in said:
                    first = said[text]
                    name = self.data.articles[article]["id"]
                    if article != int(p_article[first]) and name not in copies.get(first, ()):
                        copies[first] = (*copies.get(first, ()), name)
                    continue
                if max_per_article is not None and per_article[article] >= max_per_article:
                    continue
                paragraph = (article, int(p_paragraph[row]))
                if paragraph in paragraphs:
                    continue  # another piece of a long paragraph already answers: one citation, one hit
                paragraphs.add(paragraph)
                said[text] = row
                per_article[article] += 1
                taken.append((row, score))
                if len(taken) == k:
                    return taken, evidence, copies
            if len(top) < want:  # no more passages that match
                return taken, evidence, copies
            want *= 4
            top, scores = self.best(query.terms, want, allowed, extra)
            ranked = [(row, score) for row, score in zip(top.tolist(), scores.tolist()) if row not in seen]
            if weights.learned and learned.model() is not None and ranked and taken:
                # BM25's order below the reranked ones, shown below the last of them (the model's scale is not BM25's)
                first, last = max(ranked[0][1], 1e-9), taken[-1][1]
                ranked = [(row, last - 1 - (first - score) / first) for row, score in ranked]
            seen.update(row for row, _ in ranked)

    def article_text(self, number: int) -> str:
        """The whole text of an article, by its number."""
        return self._article(number).text

    def passage_text(self, row: int, whole: bool = False) -> str:
        """A passage's text (``whole``: its article's whole text, which evidence offsets point into)."""
        a = self.data.arrays
        text = self._article(int(a["p_article"][row])).text
        return text if whole else text[int(a["p_start"][row]) : int(a["p_end"][row])]

    def _feedback(self, query: ranking.Query, top: np.ndarray, scores: np.ndarray) -> dict[str, float]:
        """The terms pseudo-relevance feedback adds, from the best passage of each of the best articles."""
        rows, final, _ = ranking.rerank(
            self, query, top, scores, dataclasses.replace(self.ranking_weights, learned=False)
        )
        p_article = self.data.arrays["p_article"]
        chosen: dict[int, tuple[int, float]] = {}
        for row, score in zip(rows, final):
            chosen.setdefault(int(p_article[row]), (row, score))
            if len(chosen) == feedback.FEEDBACK_DOCS:
                break
        picked = list(chosen.values())
        return feedback.expansion(
            self, [row for row, _ in picked], [score for _, score in picked], query.terms, self.ranking_weights.feedback
        )

    def _holding_all(self, terms: set[str]) -> np.ndarray:
        """One bool per passage: whether it holds every one of the terms."""
        a = self.data.arrays
        out = np.ones(self.n_passages, dtype=bool)
        for term in terms:
            ids = np.array([self._term_ids.get(term, -1)], dtype=np.int64)
            out &= scoring.matching(ids, a["t_ptr"], a["post_doc"], self.n_passages) if ids[0] >= 0 else False
        return out

    def _hit(
        self,
        rank: int,
        row: int,
        score: float,
        query: ranking.Query,
        seen: ranking.Evidence | None,
        also_in: tuple[str, ...] = (),
    ) -> Hit:
        passage = self._passage(row)
        article = self._article(int(self.data.arrays["p_article"][row]))
        weights = query.weights
        spans = [span for span in self.analyzer.spans(article.text, passage.start, passage.end) if span[0] in weights]
        sentences = seen.sentences if seen is not None else ranking.read_passage(self, row, weights).sentences
        quote = best_quote(article.text, sentences, spans, weights, query.answer_type, query.words,
                           self.read_in_article(row, weights) if self.ranking_weights.lead else {})  # fmt: skip
        matched = {t for t, _, _ in spans} | set(self._context_weights(row, weights))
        return Hit(
            rank=rank,
            score=score,
            article=article,
            passage=passage,
            quote=quote,
            matched_terms=tuple(t for t in weights if t in matched),
            highlights=tuple((s, e) for _, s, e in spans),
            also_in=also_in,
            answer=answer_span(
                article.text,
                quote,
                query.answer_type,
                query.words,
                [(s, e) for _, s, e in spans],
                query.names,
                counting=query.counting,
            ),  # fmt: skip
        )


def _analyzer_for(data: IndexData) -> Analyzer:
    """An analyzer that knows the index's stems: a stored table is looked up word by word, not copied."""
    if isinstance(data.stems, StemTable):
        analyzer = Analyzer()
        analyzer.stems = data.stems
        return analyzer
    return Analyzer(data.stems)


def _decoded(raw: bytes) -> str:
    """The stored UTF-8 text; a damaged texts.bin shows U+FFFD where it is broken, never raises."""
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _whole(value: Any, name: str) -> int:
    """A count a caller gave (numpy's integers too), or a TypeError: 2.5 hits is a mistake, not 2."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, not {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be a whole number, not {value!r}") from None


def _unique_ids(articles: Iterable[Article]) -> Iterator[Article]:
    """The articles, or a ValueError at the second of two with one id (a citation must name one article)."""
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            raise ValueError(f"two articles have the id {article.id!r}: each needs its own")
        seen.add(article.id)
        yield article


__all__ = ["Index", "ENGINES", "Quote"]
