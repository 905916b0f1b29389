"""A question as the engine reads it: its terms (with any borrowed from a conversation), which the corpus
knows, the words it lacks, and the ``ranking.Query`` the reranker weighs passages against."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis import Analyzer, common_stem
from ..filters import split_question, without_filter_words
from ..question import Question, borrowed_text, question_words, read_question
from ..ranking import Query, phrase_keys

if TYPE_CHECKING:
    from .retriever import Retriever

_INNER_CAPITAL = re.compile(r"\b[a-z]+[A-Z][\w'’-]*")  # iPhone, eBay: a name whose first letter is small
OPENING = 40  # characters at the start of a question where "why", "how much", "how many" ask for their kind


@dataclass(frozen=True, slots=True)
class Reading:
    """What a question (without its filter words) asks of the corpus."""

    text: str
    asked: Question
    terms: list[str]  # its own terms, then those borrowed from the conversation, with repeats
    matched: tuple[str, ...]  # the terms some passage holds
    missing: tuple[str, ...]  # its words no passage holds, as asked
    found: tuple[str, ...]  # its words (and the borrowed ones) that some passage holds, as asked
    borrowed: str  # the words borrowed from earlier questions ("" when none)


def read(
    retriever: Retriever, question: str, earlier: Sequence[str] = (), unknown: frozenset[str] = frozenset()
) -> Reading:
    """A question read against the corpus; ``earlier``: the conversation's earlier questions, newest last;
    ``unknown``: terms to read as if no article held them (training's archive without a story)."""
    analyzer = retriever.analyzer
    asked = read_question(question)
    own = analyzer.terms(question)
    borrowed = borrowed_text(asked, [without_filter_words(c) for c in earlier])
    terms = own + [t for t in analyzer.terms(borrowed) if t not in own]
    known = retriever.known(terms) - unknown
    matched = tuple(dict.fromkeys(t for t in terms if t in known))
    missing = tuple(dict.fromkeys(_lacking(analyzer, question, known)))
    found = tuple(  # as missing, the words as asked ("agreed", not the stem "agre")
        dict.fromkeys(w for w in analyzer.words(f"{question} {borrowed}") if set(analyzer.terms(w)) & known)
    )
    return Reading(question, asked, terms, matched, missing, found, borrowed)


def query_of(retriever: Retriever, reading: Reading) -> Query:
    """The question as the reranker weighs passages against it."""
    asked = reading.asked
    lowered = " " + " ".join(asked.text.casefold().split())
    return Query(
        reading.terms,
        retriever.term_weights(reading.matched),
        asked.answer_type,
        [phrase_keys(retriever.analyzer, p) for p in asked.phrases],
        question_words(asked.text),
        names=frozenset(w.casefold().strip(".'’") for name in asked.names for w in name.split()),
        why=" why " in lowered[:OPENING] or lowered.startswith(" why"),
        how_much=" how much " in lowered[:OPENING],
        counting=" how many " in lowered[:OPENING],
    )


def _lacking(analyzer: Analyzer, question: str, known: set[str]) -> list[str]:
    """The question's words, as asked, that no term the corpus knows stands for (repeats kept)."""
    return [w for w in analyzer.words(question) if not set(analyzer.terms(w)) & known]


def missing_names(analyzer: Analyzer, reading: Reading, missing: Sequence[str] | None = None) -> list[str]:
    """The missing words worth a caveat: names (also a brand's inner capital: "the first iPhone") and
    numbers; in a question typed all in lower case, where no name shows, the words outside common
    English ("what did macron say": macron). ``missing``: the words to look at (default: the
    reading's, each once)."""
    names = set(analyzer.words(" ".join([*reading.asked.names, *_INNER_CAPITAL.findall(reading.text)])))
    lower = not any(c.isupper() for c in reading.text)
    words = reading.missing if missing is None else missing
    return [w for w in words if w in names or w[0].isdigit() or (lower and common_stem(w) is None)]


def alone(retriever: Retriever, question: str, unknown: frozenset[str] = frozenset()) -> tuple[Query, float] | None:
    """A question alone (no conversation, no filter) as search reads it: its query and the weight of the
    names and numbers it asks about that no article has; None when no word of it is in the corpus.
    ``unknown``: terms read as if no article held them."""
    reading = read(retriever, split_question(question)[0], unknown=unknown)
    if not reading.matched:
        return None
    known = retriever.known(reading.terms) - unknown
    every = _lacking(retriever.analyzer, reading.text, known)  # a repeated word counts twice
    names = missing_names(retriever.analyzer, reading, every)
    return query_of(retriever, reading), len(names) * retriever.missing_weight
