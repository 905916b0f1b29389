"""Choose the quote inside a passage: the sentence (or two) that covers most of the question."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Quote

MAX_QUOTE_CHARS = 400  # a second sentence joins the quote only while it stays this short


def best_quote(
    text: str,
    sentences: Sequence[tuple[int, int]],
    term_spans: Sequence[tuple[str, int, int]],
    weights: dict[str, float],
) -> Quote:
    """The sentence whose question terms weigh most (by idf), extended by a neighbour that adds terms.

    ``text`` is the article text; sentences and term spans are offsets into it.
    """
    if not sentences:
        raise ValueError("a passage has at least one sentence")
    found = [_terms_in(term_spans, s, e) for s, e in sentences]
    gain = [sum(weights.get(t, 0.0) for t in terms) for terms in found]
    best = max(range(len(sentences)), key=lambda i: (gain[i], -i))
    start, end = sentences[best]
    covered = set(found[best])
    for neighbour in (best + 1, best - 1):
        if 0 <= neighbour < len(sentences):
            extra = found[neighbour] - covered
            s, e = sentences[neighbour]
            if extra and sum(weights.get(t, 0.0) for t in extra) > 0 and max(e, end) - min(s, start) <= MAX_QUOTE_CHARS:
                start, end = min(s, start), max(e, end)
                covered |= extra
                break
    return Quote(start, end, text[start:end])


def _terms_in(term_spans: Sequence[tuple[str, int, int]], start: int, end: int) -> set[str]:
    return {term for term, s, e in term_spans if s >= start and e <= end}
