"""Sentence spans with NLTK's Punkt, primed with common abbreviations (no downloaded data)."""

from __future__ import annotations

import re
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


# A place where Punkt would even consider a break: an end mark followed by punctuation or by
# whitespace and a token (its period-context pattern). Passages without one are one sentence,
# so most one-sentence news paragraphs never reach Punkt.
_BREAK_CANDIDATE = re.compile(r"[.?!](?:[)\";}\]*:@'({\[\u2018\u2019\u201c\u201d\xab\xbb?!]|\s+\S)")


@cache
def _tokenizer():
    from nltk.tokenize.punkt import PunktLanguageVars, PunktParameters, PunktSentenceTokenizer

    class PlainRegexVars(PunktLanguageVars):
        """Punkt's own patterns compiled with the standard ``re`` module.

        NLTK wraps them in ``regex`` with a timeout against ReDoS; these two patterns no longer
        backtrack (NLTK issue #2866 removed the part that did), and the wrapper made sentence
        splitting about half of the build time.
        """

        def period_context_re(self):
            if "_plain_period_context" not in self.__dict__:
                pattern = self._period_context_fmt % {
                    "NonWord": self._re_non_word_chars,
                    "SentEndChars": self._re_sent_end_chars,
                }
                self._plain_period_context = re.compile(pattern, re.UNICODE | re.VERBOSE)
            return self._plain_period_context

        def _word_tokenizer_re(self):
            if "_plain_word_tokenizer" not in self.__dict__:
                pattern = self._word_tokenize_fmt % {
                    "NonWord": self._re_non_word_chars,
                    "MultiChar": self._re_multi_char_punct,
                    "WordStart": self._re_word_start,
                }
                self._plain_word_tokenizer = re.compile(pattern, re.UNICODE | re.VERBOSE)
            return self._plain_word_tokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params, lang_vars=PlainRegexVars())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, as offsets in ``text``, whitespace trimmed."""
    end = len(text) if end is None else end
    piece = text[start:end]
    if _BREAK_CANDIDATE.search(piece) is None:
        pieces = [(0, len(piece))]  # what Punkt returns when it has no candidate break
    else:
        pieces = _tokenizer().span_tokenize(piece)
    spans = []
    for s, e in pieces:
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
