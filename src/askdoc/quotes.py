"""Choose the quote inside a passage: the sentence (or two) that covers most of the question.

Each sentence weighs the idf of the distinct question terms it holds; when the question
wants a kind of answer ("who" a name, "when" a date, "how many" a number), a sentence that
holds one gains a share of the question's weight. A neighbour joins the best sentence when it
adds question terms, or brings the wanted answer the best sentence lacks (for "why", a causal
word: "It blamed a weaker dollar" beside the sentence that restates the question; for "what did X say",
the quotation that follows "X said that ..."), as long as the quote
stays an excerpt: at most ``QUOTE_CHARS`` characters or half the passage, whichever is more.
A quote that would begin with a pronoun ("He said...") starts a sentence earlier, with the
sentence that says who is meant, and one that would begin inside a quotation starts where the
quotation does. A single sentence longer than that is cut to its run of clauses that holds most of the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .features import CAUSAL, weight_of
from .model import Quote
from .question import holds_answer

QUOTE_CHARS = 250
_PRONOUN_START = re.compile(r"(?:He|She|It|They|His|Her|Its|Their|This|These|Those)\b")
_CLAUSE_END = re.compile(r"[,;:](?=\s)|\s[–—-](?=\s)")  # an overlong sentence is cut after these
_BEFORE_OPENING = "([{\u2013\u2014-/"  # a quotation mark after one of these (or a space) opens a quotation
_MARKS = ('"', "\u201c", "\u201d")
ANSWER_SHARE = 0.25  # what holding the wanted kind of answer adds, as a share of the question's weight


def best_quote(
    text: str,
    sentences: Sequence[tuple[int, int]],
    term_spans: Sequence[tuple[str, int, int]],
    weights: dict[str, float],
    answer_type: str | None = None,
    question_words: frozenset[str] = frozenset(),
    context: dict[str, float] | None = None,
    why: bool = False,
) -> Quote:
    """The best sentence, extended by a neighbour that adds to it; ``text`` is the article text.

    Sentences and term spans are offsets into ``text``. ``context`` holds the question terms the
    passage's article gives every sentence (title, heading, lead), each with its share: a
    sentence lacking one counts that share of its weight, so that the sentence saying "the band
    came second" is not outweighed by one that repeats the article's name for the band.
    """
    if not sentences:
        raise ValueError("a passage has at least one sentence")
    context = context or {}
    found = [_terms_in(term_spans, s, e) for s, e in sentences]
    answers = [holds_answer(answer_type, text[s:e], question_words) for s, e in sentences]
    bonus = ANSWER_SHARE * sum(weights.values())
    gain = [
        weight_of(weights, terms)
        + (sum(share * weights.get(t, 0.0) for t, share in context.items() if t not in terms) if terms else 0.0)
        + (bonus if answer else 0.0)
        for terms, answer in zip(found, answers)
    ]
    best = max(range(len(sentences)), key=lambda i: (gain[i], -i))
    start, end = sentences[best]
    limit = max(QUOTE_CHARS, (sentences[-1][1] - sentences[0][0]) // 2)
    for neighbour in (best + 1, best - 1):
        if not 0 <= neighbour < len(sentences):
            continue
        s, e = sentences[neighbour]
        adds_terms = weight_of(weights, found[neighbour] - found[best]) > 0
        adds_answer = answer_type is not None and answers[neighbour] and not answers[best]
        if answer_type == "speech" and neighbour > best and not adds_answer:  # the quotation after "X said that"
            adds_answer = any(m in text[s:e] for m in _MARKS) and not any(m in text[start:end] for m in _MARKS)
        if why and not adds_answer:  # "why": the sentence beside the one that restates it often gives the reason
            adds_answer = bool(CAUSAL.search(text, s, e)) and not CAUSAL.search(text, start, end)
        if (adds_terms or adds_answer) and max(e, end) - min(s, start) <= limit:
            start, end = min(s, start), max(e, end)
            break
    if start == sentences[best][0] and best > 0 and _PRONOUN_START.match(text, start):
        s = sentences[best - 1][0]  # "He lifted the prize..." needs the sentence that says who he is
        if end - s <= limit:
            start = s
    opened = _open_quotation(text, sentences[0][0], start, end)
    if opened is not None:  # '... which is unacceptable," he said.' starts where the quotation does
        s = next(s for s, e in reversed(sentences) if s <= opened)
        if end - s <= limit:
            start = s
    if end - start > limit:
        start, end = _best_clauses(text, start, end, limit, term_spans, weights, answer_type, question_words)
    return Quote(start, end, text[start:end])


def _best_clauses(
    text: str,
    start: int,
    end: int,
    limit: int,
    term_spans: Sequence[tuple[str, int, int]],
    weights: dict[str, float],
    answer_type: str | None,
    question_words: frozenset[str],
) -> tuple[int, int]:
    """The run of clauses of an overlong sentence, within ``limit``, that holds most of the question."""
    cuts = [start] + [m.end() for m in _CLAUSE_END.finditer(text, start, end)] + [end]
    clauses = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    bonus = ANSWER_SHARE * sum(weights.values())
    best, best_gain = None, -1.0
    for i, (s, _) in enumerate(clauses):
        e = clauses[i][1]
        for _, b in clauses[i + 1 :]:
            if b - s > limit:
                break
            e = b
        gain = weight_of(weights, _terms_in(term_spans, s, e))
        if holds_answer(answer_type, text[s:e], question_words):
            gain += bonus
        if gain > best_gain:
            best, best_gain = (s, e), gain
    s, e = best if best and best[1] - best[0] <= limit else (start, end)
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _open_quotation(text: str, first: int, start: int, end: int) -> int | None:
    """Where the quotation that ``text[start:end]`` begins inside of and closes in began (reading
    from ``first``), or None.

    A mark opens when it follows a space, a bracket or a dash (or begins the text) and a letter
    follows it, and closes otherwise: counting marks in pairs goes wrong in news copy, where a
    quotation that runs over several paragraphs reopens each one without closing the last
    (``"A. "B. C."``, also with curly marks). The latest opening counts, so a quote goes back to
    the paragraph of the quotation it is in; one that itself begins with a mark stays. Unless the
    quote's first mark closes that quotation or reopens it after a full stop, the quote stays too:
    news copy leaves some quotations unclosed, and the sentences after one are the reporter's.
    """
    if text[start : start + 1] in ('"', "\u201c"):
        return None
    opened = None
    for at in range(first, start):
        if text[at] in _MARKS:
            opened = at if _opens(text, at) else None
    if opened is None:
        return None
    mark = next((at for at in range(start, end) if text[at] in _MARKS), None)
    if mark is None:
        return None
    before = mark - 1
    while before >= 0 and text[before].isspace():
        before -= 1
    reopens = before >= 0 and text[before] in ".?!"  # 'final. "The only thing...': the next paragraph of it
    return opened if not _opens(text, mark) or reopens else None


def _opens(text: str, at: int) -> bool:
    """Whether the quotation mark at ``at`` opens a quotation (``said: "We``) or closes one (``it,"``)."""
    if text[at] == "\u201d":
        return False
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    return (before.isspace() or before in _BEFORE_OPENING) and not after.isspace()


def _terms_in(term_spans: Sequence[tuple[str, int, int]], start: int, end: int) -> set[str]:
    return {term for term, s, e in term_spans if s >= start and e <= end}
