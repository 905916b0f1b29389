"""Mark the words inside a quote that answer the question: a name, a figure, a date or a place.

Extractive QA systems find the answer span with a neural reader; askdoc does it with the kind of
answer the question wants (``question.answer_type_of``) and where the question's own words are:
the candidates are the stretches of the quote of that kind which the question does not already
say (a run of capitalised words for "who / which / where", a number with its currency and unit
for "how many / how much", a date for "when", a number of days or years for "how long"), and the
one nearest to the question's words in the quote is the answer. Questions of other kinds ("why",
"what did X say") get none: their answer is the quote itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import Quote

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|thousand|million|billion|dozen|half|a quarter|a third"
)
_UNITS = r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries"
_SCALE = r"(?:\s?(?:(?:bn|m|k|per ?cent|billion|million|trillion|thousand|hundred)\b|%))?"
_AMOUNT = rf"(?:[£$€¥]\s?)?\d[\d,.]*\d?{_SCALE}|\b(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))*\b{_SCALE}"
KINDS = {
    "number": re.compile(_AMOUNT, re.IGNORECASE),
    "duration": re.compile(rf"(?:\d[\d,.]*|\b(?:{_NUMBER_WORDS}))[\s-]+(?:{_UNITS})\b", re.IGNORECASE),
    "date": re.compile(
        rf"\b(?:\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?|(?:{_MONTHS})(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?"
        rf"|(?:{_DAYS})|(?:1\d|20)\d\d)\b|\b(?:[Ll]ast|[Nn]ext|[Tt]his) (?:week|month|year|{_DAYS})\b"
        r"|\b(?:(?:early|mid|late)[ -])?\d{1,2}(?:st|nd|rd|th)(?:[ -]century|\b)|\b\d{3,4}s\b"  # "11th century", "1050s"
    ),
    # a run of capitalised words ("Sir Alex Ferguson", "Royal Bank of Scotland"), possibly an acronym
    "name": re.compile(r"\b[A-Z][\w'’&.-]*(?:\s+(?:(?:of|de|van|von|the|and|for|&)\s+)?[A-Z][\w'’&.-]*)*"),
}
_NAMED = {"person": "name", "place": "name", "name": "name"}
_MONEY = re.compile(r"[£$€¥]")
_REGION = re.compile(r", [A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*")
_LEADING = re.compile(
    r"^(?:The|A|An|But|And|In|On|At|He|She|It|They|This|That|These|Those|Some|Many|Most|All|Both|His|Her|Its|Their"
    r"|Our|Mr|Mrs|Ms|Dr)\s+"
)
_SENTENCE_BREAK = re.compile(r"(?<![A-Z])(?<!\b(?:Mr|Ms|Dr|St))\.\s")  # "Edward. He": not "J. Smith", "Mr. Smith"


def answer_span(
    text: str,
    quote: Quote,
    answer_type: str | None,
    question_words: frozenset[str],
    term_spans: Sequence[tuple[int, int]],
    names: frozenset[str] = frozenset(),
    counting: bool = False,
) -> Quote | None:
    """The stretch of ``quote`` (offsets in ``text``) that answers, or None when the question wants no such
    stretch or the quote holds none the question does not already say.

    ``names`` are the folded words of the names the question asks about: a name holding one is the
    question's subject ("Lucas Ferreira" for "which club did Ferreira come from?"), not its answer.
    ``counting``: "how many" counts things, so a sum of money is not its answer.
    """
    kind = _NAMED.get(answer_type or "", answer_type)
    pattern = KINDS.get(kind or "")
    if pattern is None:
        return None
    candidates = []
    for match in pattern.finditer(text, quote.start, quote.end):
        start, end = match.span()
        if kind == "name":
            start, end = _trimmed(text, start, end, quote.start)  # type: ignore[assignment]  # None: skipped below
            if start is None:
                continue
        if counting and _MONEY.match(text, start, end):
            continue
        if answer_type == "place" and (region := _REGION.match(text, end, quote.end)):
            end = region.end()  # "Antwerp, Belgium", "Park City, Utah"
        words = {w.casefold().strip(".'’") for w in re.findall(r"[\w'’.-]+", text[start:end])}
        if not words or words <= question_words or (kind == "name" and words & names):
            continue  # the question already says it ("Who is Mr Blair's..." does not answer "Blair")
        candidates.append((start, end))
    if not candidates:
        return None
    inside = [(s, e) for s, e in term_spans if quote.start <= s and e <= quote.end]

    def distance(span: tuple[int, int]) -> int:
        if not inside:
            return 0
        return min(abs(span[0] - e) if span[0] >= e else abs(s - span[1]) if s >= span[1] else 0 for s, e in inside)

    start, end = min(candidates, key=lambda span: (distance(span), span[0]))
    return Quote(start, end, text[start:end])


def _trimmed(text: str, start: int, end: int, quote_start: int) -> tuple[int | None, int]:
    """A name run without a sentence's capitalised first word or a leading article ("The", "Mr")."""
    while True:
        leading = _LEADING.match(text, start, end)
        if leading is None or leading.end() >= end:
            break
        start = leading.end()
    before = text[quote_start:start].rstrip()
    single = " " not in text[start:end].strip()
    if single and (not before or before[-1] in '.!?"“') and not text[start:end].isupper():
        return None, end  # one capitalised word opening a sentence is no name
    if single and len(text[start:end].strip(".'’")) < 2:
        return None, end  # "A", "I": a letter is no name
    cut = _SENTENCE_BREAK.search(text, start, end)
    if cut is not None:
        end = cut.start()  # a run does not go on into the next sentence
    while end > start and text[end - 1] in ".,'’":
        end -= 1
    if text[start:end].endswith(("'s", "’s")):
        end -= 2  # "John Myhill's paper": the name is John Myhill
    return (start, end) if end > start else (None, end)
