"""Sentence spans with NLTK's Punkt, primed with common abbreviations (no downloaded data)."""

from __future__ import annotations

from functools import cache

# Punkt learns abbreviations from training text; these are the ones news prose uses most,
# so that "Mr. Putin" or "the U.S. army" stay one sentence without any training.
ABBREVIATIONS = [
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "cmdr",
    "adm",
    "gov",
    "sen",
    "rep",
    "pres",
    "rev",
    "hon",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "u.s.a",
    "inc",
    "ltd",
    "co",
    "corp",
    "plc",
    "no",
    "nos",
    "vol",
    "fig",
    "al",
    "etc",
    "e.g",
    "i.e",
    "vs",
    "approx",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
]


@cache
def _tokenizer():
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, as offsets in ``text``, whitespace trimmed."""
    end = len(text) if end is None else end
    piece = text[start:end]
    spans = []
    for s, e in _tokenizer().span_tokenize(piece):
        # Punkt keeps paragraph-internal line breaks inside a sentence; a blank line never is.
        for part_start, part_end in _split_at_blank_lines(piece, s, e):
            spans.append((start + part_start, start + part_end))
    return spans or [(start, end)]


def _split_at_blank_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    parts = []
    cursor = start
    while True:
        gap = text.find("\n\n", cursor, end)
        if gap < 0:
            break
        if text[cursor:gap].strip():
            parts.append(_trim(text, cursor, gap))
        cursor = gap + 2
    if text[cursor:end].strip():
        parts.append(_trim(text, cursor, end))
    return parts


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
