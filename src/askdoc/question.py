"""Read a question: what kind of answer it wants, its "quoted phrases", its names, and what a follow-up borrows.

All of it is plain rules over the question's words, so that every choice can be explained:
"who" wants a name, "when" a date, "how many" a number, "where" a place, "how long" a duration.
The same rules tell whether a stretch of text holds such an answer (``holds_answer``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

ANSWER_TYPES = ("person", "date", "number", "place", "duration", "name", "speech")

# "What did X say / warn / tell ...?" wants what was said: a quotation or reported speech.
_SAYING = (
    "say|said|says|warn|warned|tell|told|claim|call|called|argue|predict|admit|insist|suggest|announce|promise"
    "|describe|reply|respond|think|believe|add|urge|threaten|deny|accuse|criticise|criticize|pledge"
)
_REPORTING = (
    "said|says|told|tells|warned|warns|added|adds|claimed|claims|insisted|insists|argued|argues|admitted|"
    "explained|stated|described|urged|predicted|accused|denied|according to"
)

# Checked in order: the first pattern that matches the start of the question decides.
_TYPE_PATTERNS = [
    ("duration", r"how long\b"),
    ("number", r"(how (many|much|far|big|large|old|tall|high|often|fast|deep|wide|heavy))\b"),
    (
        "number",
        r"(what|which) (percentage|proportion|share|number|amount|price|sum|fraction|size|population|odds|score|rate|cost|fee|salary|total|value|margin|age)\b",
    ),
    ("date", r"when\b|(in |by |during |since )?(what|which) (year|date|day|month|century|decade|time|era|period)\b"),
    ("person", r"who(m|se)?\b|(what|which) (person|man|woman|people|king|leader|president|author|player|actor)\b"),
    ("place", r"where\b|(in |from |to )?(what|which) (country|city|town|place|region|state|county|area|nation)\b"),
    ("name", r"which\b"),
    ("speech", rf"what (did|does|do|has|have|had|will|would|was|is)\b[^?]*?\b({_SAYING})\b"),
]
# A question typed as a search, without a question word, ends with what it asks for: "auction price",
# "kick off time", "new year sprint venue" (English noun phrases put their head last).
_HEAD_NOUNS = {
    **dict.fromkeys(
        "price cost fee salary value worth total score rate share percentage number figure".split(), "number"
    ),
    **dict.fromkeys("population attendance age amount size margin odds budget".split(), "number"),
    **dict.fromkeys("date day year month time kickoff deadline".split(), "date"),
    **dict.fromkeys("venue location city country town stadium ground headquarters whereabouts".split(), "place"),
    **dict.fromkeys("length duration".split(), "duration"),
    **dict.fromkeys("owner president chairman boss founder author director manager coach winner".split(), "person"),
}
_AUXILIARIES = frozenset("is are was were did do does has have had can could will would should may might".split())
_TYPE_RES = [(kind, re.compile(r"(?:^|[^\w'])(?:" + pattern + ")")) for kind, pattern in _TYPE_PATTERNS]

_MONTHS = "january february march april may june july august september october november december"
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fifteen twenty thirty forty fifty "
    "sixty seventy eighty ninety hundred thousand million billion trillion dozen half quarter third"
)
_UNITS = "seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century"
_NUMBER = rf"\d|[£$€¥%]|\b(?:{'|'.join(_NUMBER_WORDS.split())})\b|\b\d*(?:bn|m|k)\b"
_ANSWER_RES = {
    "number": re.compile(_NUMBER, re.IGNORECASE),
    "date": re.compile(
        rf"\b(?:1\d{{3}}|20\d{{2}})s?\b|\b(?:{'|'.join(m.capitalize() for m in _MONTHS.split())})\b"
        r"|\b\d+(?:st|nd|rd|th) century\b|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
        rf"|\b(?:next|last|this|coming|within|in)\s+(?:[\w-]+\s+){{0,3}}?(?:{_UNITS})\b"  # "in the next two months"
        r"|\b(?:yesterday|today|tomorrow)\b"
    ),
    "speech": re.compile(rf"[\"“”]|\b(?:{_REPORTING})\b", re.IGNORECASE),
    "duration": re.compile(rf"(?:\d[\d.,]*|\b(?:{'|'.join(_NUMBER_WORDS.split())}))[\s-]+(?:{_UNITS})\b", re.I),
}
# A capitalised word that does not start a sentence: the shape of a name or a place.
_NAME = re.compile(r"(?<=[\w,;:()’'\"] )[A-Z][\w'’.-]*[a-z][\w'’-]*|(?<=[\w,;:] )[A-Z]{2,}\b")
_PHRASE = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
_WORD = re.compile(r"[\w'’.-]+")
_POSSESSIVE = re.compile(r"['’]s?$")
PRONOUNS = frozenset("he she it they him her his hers its their theirs them".split())
_ELLIPSIS = re.compile(r"^\s*(and|what about|how about|and what about|same for|what of)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Question:
    """What askdoc reads from a question before searching."""

    text: str
    answer_type: str | None
    phrases: tuple[str, ...]  # the "quoted phrases", as written
    names: tuple[str, ...]  # capitalised words that are not the question's first word

    @property
    def leans_on_context(self) -> bool:
        """A follow-up: it points back with a pronoun, or it is elliptical ("and Putin?")."""
        words = {w.casefold().strip(".'’") for w in _WORD.findall(self.text)}
        return bool(words & PRONOUNS) or bool(_ELLIPSIS.match(self.text))

    @property
    def elliptical(self) -> bool:
        return bool(_ELLIPSIS.match(self.text))


def read_question(text: str) -> Question:
    return Question(text, answer_type_of(text), phrases_of(text), names_of(text))


def answer_type_of(question: str) -> str | None:
    """The kind of answer a question wants, from its question word; None when it does not say."""
    folded = " " + " ".join(question.casefold().split())[:59]
    # the question word that comes first decides ("who was the leader when ..." wants a person), the
    # order of _TYPE_PATTERNS breaks ties ("how long" before "how")
    found = [
        (m.start(), order, kind) for order, (kind, pattern) in enumerate(_TYPE_RES) if (m := pattern.search(folded))
    ]
    if found:
        return min(found)[2]
    words = _WORD.findall(question.casefold())
    if not words or "?" in question or words[0] in _AUXILIARIES:  # a question asked as a sentence
        return None
    return _HEAD_NOUNS.get(words[-1].strip(".'’"))  # a search typed as words: its last noun says what it asks


def phrases_of(question: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in _PHRASE.findall(question) if len(p.split()) > 1)


def names_of(text: str) -> tuple[str, ...]:
    """Capitalised words after the first word: "What did Volodin warn?" -> ("Volodin",)."""
    return tuple(dict.fromkeys(_NAME.findall(" " + text.strip())))


def holds_answer(answer_type: str | None, text: str, question_words: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` holds something of the wanted kind that the question does not already say."""
    if answer_type is None:
        return False
    if answer_type in ("person", "place", "name"):
        return any(_POSSESSIVE.sub("", name.casefold()) not in question_words for name in _NAME.findall(" " + text))
    if answer_type == "speech":  # a quotation or a reporting verb: what someone said is always new
        return bool(_ANSWER_RES["speech"].search(text))
    return any(m.group().casefold() not in question_words for m in _ANSWER_RES[answer_type].finditer(text))


def question_words(text: str) -> frozenset[str]:
    """The question's folded words, each also without a possessive ("Hamm's" -> "hamm's", "hamm")."""
    words = [w.casefold().strip(".") for w in _WORD.findall(text)]
    return frozenset(words + [_POSSESSIVE.sub("", w) for w in words])


def borrowed_text(question: Question, context: Sequence[str]) -> str:
    """The words a follow-up borrows from the conversation, as text to analyse ("" when none).

    An elliptical question with a name of its own ("and Putin?") borrows the previous
    question's other words: the new name replaces the old one. An elliptical question without
    one ("and the budget?", "and michael howard?" typed in lower case, where no name shows)
    borrows the whole previous question as it was read, so the thread is kept whichever it
    changes, the subject or the topic. A follow-up with a pronoun ("what did he warn?") borrows
    the names of the newest earlier question that has some, or that question's words when none
    has. A question that names its subject and is not elliptical borrows nothing.
    """
    if not context or not question.leans_on_context:
        return ""
    previous = context[-1]
    if question.elliptical and not question.names and not _has_pronoun(question.text):
        return _as_read(previous, context[:-1])
    if question.names:
        if not question.elliptical:
            return ""
        names = set(names_of(previous))
        return " ".join(w for w in _WORD.findall(_as_read(previous, context[:-1])) if w not in names)
    for earlier in reversed(context):
        if earlier_names := names_of(earlier):
            return " ".join(earlier_names)
    return previous


def _as_read(question: str, context: Sequence[str]) -> str:
    """A question with the words it borrowed itself (``"and michael howard?"`` after ``"why did
    Harry apologise?"`` was read as ``"and michael howard? why did Harry apologise?"``)."""
    return f"{question} {borrowed_text(read_question(question), context[-3:])}".strip()


def _has_pronoun(text: str) -> bool:
    return bool({w.casefold().strip(".'’") for w in _WORD.findall(text)} & PRONOUNS)
