"""Rerank the best BM25 passages with evidence plain BM25 leaves out, the same for every engine.

BM25 scores each passage as a bag of words. The few best (``RERANK_DEPTH``) are read again, in
order, and gain bonuses in BM25's own units (idf-weighted, never negative, so a reranked
passage never falls below one that was not reranked):

- proximity: question terms close together, as BM25TP (Rasolofo and Savoy, "Term proximity
  scoring for keyword-based retrieval systems", ECIR 2003): each pair of distinct terms at
  most 5 words apart adds 1/d², saturated like a term frequency, weighted by the lesser idf;
- context: a question term that the passage lacks but its article title or section heading
  has counts in part, and in a smaller part when elsewhere in its article;
- answer: for "who / when / how many / where" questions, a sentence that holds most of the
  question's weight and something of the wanted kind (a name, a date, a number);
- phrases: a passage holding every "quoted phrase" (its words in a row, stop words included)
  ranks above any passage that does not;
- lead: a later passage that, read with its article's lead paragraph, covers more of the
  question than the lead takes the lead's place (see ``_past_the_lead``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import learned
from .analysis import WORD
from .features import passage_features, weight_of
from .question import holds_answer

if TYPE_CHECKING:
    from .retrieval.retriever import Retriever

RERANK_DEPTH = 50
WEAK_COVERAGE = 0.5  # below this share of the question's weight, the best passage is a weak answer
PROXIMITY_WINDOW = 5
PROMOTED_BY = 0.01  # a passage taking its lead's place scores this much above the lead (it showed a tie)


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each kind of evidence counts, relative to BM25 (0 turns it off)."""

    proximity: float = 1.0
    title: float = 1.0
    article: float = 0.0
    answer: float = 0.5
    feedback: float = 1.0  # one hit per article: RM3's feedback against the question, (1 - lambda) / lambda
    lead: bool = True  # a later passage read with its article's lead may take the lead's place
    learned: bool = True  # order by the learned model (``learned``) instead of BM25 plus the bonuses above


@dataclass
class Query:
    """A question as the reranker needs it: terms with their weights, phrases and answer type."""

    terms: list[str]  # with repeats, as BM25 counts them
    weights: dict[str, float]  # each distinct known term -> its (positive) idf
    answer_type: str | None = None
    phrases: list[tuple[tuple[str, ...], ...]] = field(default_factory=list)  # each phrase's word keys in order
    words: frozenset[str] = frozenset()  # the question's folded words: an answer is something new
    names: frozenset[str] = frozenset()  # the folded words of the names it asks about ("what did Ebbers say")
    why: bool = False  # it asks for a reason
    how_much: bool = False  # it asks "how much" (a sum, often money)
    counting: bool = False  # it asks "how many" (a count, not a sum of money)


@dataclass
class Evidence:
    """One passage read again: its sentences and the question terms in each, for the reranker and the quote."""

    row: int
    sentences: list[tuple[int, int]]
    sentence_terms: list[frozenset[str]]  # the question's terms in each sentence
    positions: list[tuple[int, str]] = field(default_factory=list)  # (word number, term) of the question's terms
    has_phrases: bool = True
    features: np.ndarray | None = None  # what the learned model read of it (``features.NAMES``)
    log_odds: float | None = None  # the learned model's score

    @property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*self.sentence_terms)


def rerank(
    retriever: Retriever, query: Query, rows: np.ndarray, bm25: np.ndarray, weights: Weights = Weights()
) -> tuple[list[int], list[float], dict[int, Evidence]]:
    """The rows best first with their final scores, and what was read of each."""
    table = retriever.table
    params = retriever.params
    avgdl = retriever.stats.avgdl
    in_article = _articles_with(retriever, query.weights) if weights.article else {}
    tokens: dict[str, tuple[str, ...]] = {}
    final, evidence = [], {}
    covered: dict[int, float] = {}  # row -> question weight it holds with its title and heading
    answers: set[int] = set()  # rows with a sentence holding the wanted kind of answer
    answer_weight: dict[int, float] = {}
    pairs: dict[int, float] = {}
    for row, score in zip(rows.tolist(), bm25.tolist()):
        article_number = table.article_of(row)
        text = retriever.text(article_number)
        seen = read_passage(retriever, row, query.weights, tokens)
        found = seen.terms
        norm = params.k1 * (1 - params.b + params.b * table.length(row) / avgdl)
        pairs[row] = proximity(seen.positions, query.weights, params.k1, norm)
        bonus = weights.proximity * pairs[row]
        context = retriever.context_terms(article_number, row)
        covered[row] = weight_of(query.weights, found | context)
        for term, weight in query.weights.items():
            if term in context:
                bonus += weights.title * weight
            elif term not in found and article_number in in_article.get(term, ()):
                bonus += weights.article * weight
        if query.answer_type:
            answer = answer_weight[row] = answer_evidence(text, seen, query)
            bonus += weights.answer * answer
            if answer and weights.answer:
                answers.add(row)
        if query.phrases:
            words = WORD.findall(text, *table.span(row))
            keys = [word_key(retriever.analyzer, w) for w in words]
            seen.has_phrases = all(_has_phrase(keys, phrase) for phrase in query.phrases)
        evidence[row] = seen
        final.append((not seen.has_phrases, -(score + bonus), 0, row))
    if weights.learned and final:
        ordered = rows.tolist()
        handset = {row: -negative for _, negative, _, row in final}
        features = passage_features(retriever, query, ordered, bm25.tolist(), evidence, answer_weight, pairs, handset)
        for row, row_features in zip(ordered, features):
            evidence[row].features = row_features  # (what benchmarks/train_reranker.py fits the model on)
        model = learned.model()
        if model is not None:
            scores = model.scores(features)
            for row, score in zip(ordered, scores.tolist()):
                evidence[row].log_odds = score
            final = sorted((not evidence[row].has_phrases, -float(s), 0, row) for row, s in zip(ordered, scores))
            return [row for *_, row in final], [-key[1] for key in final], evidence
    if weights.lead:
        final = _past_the_lead(retriever, query, final, evidence, covered, answers)
    final.sort()
    return [row for *_, row in final], [-key[1] for key in final], evidence


def _past_the_lead(
    retriever: Retriever,
    query: Query,
    final: list[tuple[bool, float, int, int]],
    evidence: dict[int, Evidence],
    covered: dict[int, float],
    answers: set[int],
) -> list[tuple[bool, float, int, int]]:
    """Let a later passage that, read with its article's lead, answers more of the question take the lead's place.

    A news article's lead restates what the article is about, in one short sentence that packs
    its names: BM25 (short passages score high) and proximity ("Mia Hamm", side by side) put it
    first, while the paragraph after it, which holds the answer, says "Hamm" for "Mia Hamm".
    Read in its article, a later passage carries the lead's terms, fading with its distance from
    the lead (1/d paragraphs: the next one fully, the tenth a tenth). When its own terms and those
    cover more of the question's weight than the lead does with its title and heading (or as much,
    holding the wanted kind of answer the lead lacks), the lead is only its context: the best such
    passage is ranked where the lead was, just above it. Articles keep their order.
    """
    keys = {key[-1]: key for key in final}
    typed = query.answer_type is not None
    best: dict[int, tuple[float, float, int]] = {}  # lead -> (weight, score, row) of the passage taking its place
    for row, (phrases, negative, _, _) in keys.items():
        lead = retriever.lead_row(row)
        if lead == row or lead not in keys or keys[lead][:2] >= (phrases, negative) or phrases > keys[lead][0]:
            continue  # a lead; its lead is not ranked above it; it lacks a quoted phrase the lead holds
        if typed and lead in answers and row not in answers:
            continue
        own = evidence[row].terms | retriever.context_terms(retriever.table.article_of(row), row)
        inherited = evidence[lead].terms - own
        fade = 1.0 / (row - lead)
        weight = weight_of(query.weights, own) + fade * weight_of(query.weights, inherited)
        more = weight > covered[lead] * (1 + 1e-9)
        as_much_with_answer = typed and row in answers and lead not in answers and weight >= covered[lead] * (1 - 1e-9)
        if (more or as_much_with_answer) and (weight, -negative) > best.get(lead, (0.0, 0.0, 0))[:2]:
            best[lead] = (weight, -negative, row)
    for lead, (_, _, row) in best.items():
        # the lead's place, just above it, with a score just above its own: a hit shows the score that ordered it
        keys[row] = (keys[lead][0], keys[lead][1] - PROMOTED_BY, -1, row)
    return list(keys.values())


def read_passage(
    retriever: Retriever, row: int, weights: dict[str, float], tokens: dict[str, tuple[str, ...]] | None = None
) -> Evidence:
    """Where the question's terms are in a passage: by sentence, and by word number for proximity.

    Words are found sentence by sentence with one regex call each; only distinct words go
    through the analyzer (``tokens`` caches them for one question), so reading a passage
    costs no Python work per word beyond a dictionary look-up.
    """
    text = retriever.text(retriever.table.article_of(row))
    tokens = {} if tokens is None else tokens
    sentences = retriever.table.sentences(row)
    positions: list[tuple[int, str]] = []
    sentence_terms = []
    offset = 0
    for start, end in sentences:
        words = WORD.findall(text, start, end)
        for word in set(words).difference(tokens):
            tokens[word] = tuple(t for t in retriever.analyzer.token_terms(word) if t in weights)
        here = [(offset + i, word) for i, word in enumerate(words) if tokens[word]]
        positions.extend((i, term) for i, word in here for term in tokens[word])
        sentence_terms.append(frozenset(term for _, word in here for term in tokens[word]))
        offset += len(words)
    return Evidence(row, sentences, sentence_terms, positions)


def proximity(positions: Sequence[tuple[int, str]], weights: dict[str, float], k1: float, norm: float) -> float:
    """BM25TP's proximity part: pairs of distinct question terms within the window, saturated."""
    accumulated: dict[tuple[str, str], float] = {}
    for n, (i, term) in enumerate(positions):
        for j, other in positions[n + 1 :]:
            distance = max(j - i, 1)  # the parts of one hyphenated word count as neighbours
            if distance > PROXIMITY_WINDOW:
                break
            if other != term:
                pair = (term, other) if term < other else (other, term)
                accumulated[pair] = accumulated.get(pair, 0.0) + 1.0 / (distance * distance)
    return sum(min(weights[t], weights[u]) * (k1 + 1) * acc / (acc + norm) for (t, u), acc in accumulated.items())


def answer_evidence(text: str, seen: Evidence, query: Query) -> float:
    """The question weight of the best sentence that also holds an answer of the wanted kind."""
    best = 0.0
    for (start, end), terms in zip(seen.sentences, seen.sentence_terms):
        weight = weight_of(query.weights, terms)
        if weight > best and holds_answer(query.answer_type, text[start:end], query.words):
            best = weight
    return best


def word_key(analyzer, word: str) -> tuple[str, ...]:
    """What a word is for phrase matching: its terms, or for a stop word the word itself."""
    return analyzer.token_terms(word) or ("=" + word.casefold(),)


def phrase_keys(analyzer, phrase: str) -> tuple[tuple[str, ...], ...]:
    return tuple(word_key(analyzer, w) for w in WORD.findall(phrase))


def _has_phrase(terms: Sequence[tuple[str, ...]], phrase: tuple[tuple[str, ...], ...]) -> bool:
    if not phrase:
        return True
    n = len(phrase)
    return any(tuple(terms[i : i + n]) == phrase for i, t in enumerate(terms) if t == phrase[0])


def _articles_with(retriever: Retriever, weights: dict[str, float]) -> dict[str, set[int]]:
    """For each question term, the articles that hold it anywhere (from its postings, no loop over passages)."""
    table = retriever.table
    out = {}
    for term in weights:
        term_id = retriever.term_ids.get(term)
        if term_id is None:
            continue
        out[term] = set(np.asarray(table.article)[table.postings(term_id)].tolist())
    return out


def coverage(
    held: frozenset[str], context: dict[str, float], weights: dict[str, float], missing_weight: float
) -> float:
    """The share of the question's weight that a passage (with its title and heading) holds.

    Words of the question that the corpus lacks count against it, each as much as a term
    found nowhere would weigh: "who is Macron's finance minister?" over a corpus without
    Macron is mostly unanswered even if "finance minister" is common.
    """
    total = sum(weights.values()) + missing_weight
    return weight_of(weights, held | context.keys()) / total if total else 0.0
