"""Text to terms: one analyzer for passages and questions (normalise, stop words, Snowball stems).

The stems are the Snowball project's English (Porter2) stemmer, from its own package
(snowballstemmer), not NLTK's port of it: NLTK's package costs 0.3-1.7 s to import, which a
one-shot query paid whenever a question held a word the index had not seen ("iphone",
"deporting"); snowballstemmer imports in ~20 ms, and it is the algorithm's current revision,
which no longer conflates "organ" with "organization", "intern" with "international", "ad"
with "added", "even" with "evening" or "emerge" with "emergency" as NLTK's older port does.
A word's stem is still looked up first where it is already known: the index ships the stems
of its own vocabulary and askdoc those of ~19,000 common English words (data/stems.txt),
which also tell a common word from a name (see Index._missing_names).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from ._marks import MARKS

# A number (with its decimal/thousands separators and a unit suffix: "1.13bn", "2,000"), or a
# word that may carry inner hyphens, apostrophes, dots or ampersands ("long-range", "Ukraine's",
# "U.S", "M&S"; _words_of splits them into words). A letter's combining marks are the word's
# (decomposed "Zu\u0308rich", Hindi's vowel signs): `re` counts them as \W.
_LETTERS = rf"[^\W_]+(?:[{MARKS}]+[^\W_]*)*"  # (letter runs, then mark runs: a loop `re` runs fast)
_SUFFIX = rf"[^\W\d_]+(?:[{MARKS}]+[^\W\d_]*)*"
WORD = re.compile(rf"\d+(?:[.,]\d+)*(?:{_SUFFIX})?|{_LETTERS}(?:[-'’.&]{_LETTERS})*")
_APOSTROPHES = "'’"
_CONTRACTION_ENDINGS = {"s", "t", "d", "m", "ll", "re", "ve", "nt"}
# Negations whose stem is another word: "won't", "don't", "shan't" are stop words, "won" and "Don" not.
_NEGATED_STEMS = {"won": "will", "don": "do", "shan": "shall"}
# Irregular verb forms Snowball leaves apart from their verb ("said" / "say", "paid" / "pay", "sold" / "sell"):
# a question asks "what did X say", "how much did Y pay", the article says "said", "paid". Each form is
# stemmed as its verb. Forms that are as often another word ("left", "saw", "lay", "bore") are left out.
_IRREGULAR = dict(
    pair.split(":")
    for pair in (
        "said:say told:tell paid:pay sold:sell bought:buy won:win lost:lose made:make took:take taken:take "
        "gave:give given:give got:get gotten:get came:come seen:see knew:know known:know thought:think "
        "brought:bring began:begin begun:begin became:become built:build caught:catch chose:choose "
        "chosen:choose drew:draw drawn:draw drove:drive driven:drive ate:eat eaten:eat fought:fight flew:fly "
        "flown:fly forgot:forget forgotten:forget grew:grow grown:grow held:hold kept:keep led:lead meant:mean "
        "met:meet ran:run rose:rise risen:rise fell:fall fallen:fall sent:send shot:shoot spoke:speak "
        "spoken:speak spent:spend stood:stand struck:strike swore:swear sworn:swear taught:teach threw:throw "
        "thrown:throw understood:understand wrote:write written:write sought:seek sank:sink sunk:sink "
        "slept:sleep found:find broke:break broken:break chose:choose froze:freeze frozen:freeze hid:hide "
        "hidden:hide sang:sing sung:sing stole:steal stolen:steal swam:swim tore:tear torn:tear woke:wake "
        "wore:wear worn:wear withdrew:withdraw withdrawn:withdraw overtook:overtake overtaken:overtake"
    ).split()
)
DATA = Path(__file__).parent / "data"  # shipped beside the code (askdoc is never run from a zip)
TABLE_AFTER = 64  # words looked up in the text of stems.txt before it is parsed into a dict (~10 ms)


@cache
def snowball():
    """The English stemmer, pure Python whatever else is installed: snowballstemmer.stemmer() hands
    out PyStemmer's C build when present, whose algorithm revision may differ from the package's,
    and an index built in one environment must stem as a question asked in another."""
    from snowballstemmer.english_stemmer import EnglishStemmer

    return EnglishStemmer()


@cache
def stop_words() -> frozenset[str]:
    text = (DATA / "stopwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _stem_text() -> str:
    """data/stems.txt (lines ``word<TAB>stem``, or ``word`` alone when it is its own stem), a newline first."""
    return "\n" + (DATA / "stems.txt").read_text("utf-8")


@cache
def common_stems() -> dict[str, str]:
    """Stems of ~19,000 common English words, shipped so that most questions never import NLTK."""
    table = {}
    for line in _stem_text().splitlines():
        if line and not line.startswith("#"):
            word, _, stem = line.partition("\t")
            table[word] = stem or word
    return table


def common_stem(word: str) -> str | None:
    """One word's stem from the shipped table, or None: a question's few words are found in the table's
    text (a few µs each) rather than paying for the whole dict, which a build's thousands of words use."""
    if common_stems.cache_info().currsize:
        return common_stems().get(word)
    if not word or "\n" in word or "\t" in word or word.startswith("#"):
        return None
    text = _stem_text()
    at = text.find(f"\n{word}\t")
    if at >= 0:
        start = at + len(word) + 2
        end = text.find("\n", start)
        return text[start : end if end >= 0 else len(text)] or word
    at = text.find(f"\n{word}\n")
    return word if at >= 0 or text.endswith(f"\n{word}") else None


def _fold(token: str) -> str:
    """NFKC, lower case, accents removed: "Café" and "cafe" are one word."""
    token = unicodedata.normalize("NFKC", token).casefold()
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words_of(token: str) -> list[str]:
    """The folded words inside one raw token: possessives dropped, hyphenated parts apart, "M&S" whole."""
    folded = _fold(token)
    if folded[0].isdigit():
        return [folded.replace(",", "")]
    words: list[str] = []
    for part in folded.split("-"):
        for mark in _APOSTROPHES:
            if mark in part:
                head, _, tail = part.rpartition(mark)
                if tail == "t" and head in _NEGATED_STEMS:  # "won't" is "will not", not "won"
                    head = _NEGATED_STEMS[head]
                part = head if tail in _CONTRACTION_ENDINGS else head + tail
                part = part.replace(mark, "")
        part = part.replace(".", "")
        if "&" in part:
            pieces = part.split("&")
            if not all(len(p) <= 3 and p.isalpha() for p in pieces):  # "rock&roll": two words
                words.extend(p for p in pieces if p)
                continue
            # short letters joined by "&" are one name: "m&s", "at&t", "r&d" (apart, single letters, dropped)
        if part:
            words.append(part)
    return words


class Analyzer:
    """Turns text into BM25 terms, remembering each raw token's terms (an explicit cache)."""

    def __init__(self, stems: dict[str, str] | None = None) -> None:
        self.stems: dict[str, str] = dict(stems or {})
        self._token_terms: dict[str, tuple[str, ...]] = {}
        self._stopwords = stop_words()
        self._table_words = 0  # words looked up in the shipped stem table (see TABLE_AFTER)

    def stem(self, word: str) -> str:
        stem = self.stems.get(word)
        if stem is None and word in _IRREGULAR:
            stem = self.stems[word] = self.stem(_IRREGULAR[word])
        if stem is None:
            self._table_words += 1
            stem = common_stem(word) if self._table_words <= TABLE_AFTER else common_stems().get(word)
            if stem is not None:
                self.stems[word] = stem
        if stem is None:
            stem = self.stems[word] = word if word[0].isdigit() else snowball().stemWord(word)
        return stem

    def token_terms(self, token: str) -> tuple[str, ...]:
        """The terms of one raw token as the WORD pattern found it (often none: a stop word)."""
        terms = self._token_terms.get(token)
        if terms is None:
            terms = self._token_terms[token] = self.analyse_token(token)
        return terms

    def analyse_token(self, token: str) -> tuple[str, ...]:
        """``token_terms`` without its cache (a build keeps its own, see build.Terms)."""
        stop = self._stopwords
        return tuple(self.stem(w) for w in _words_of(token) if w not in stop)

    def terms(self, text: str) -> list[str]:
        """All terms of a text, in order, with repeats (what BM25 counts)."""
        out: list[str] = []
        token_terms = self.token_terms
        for token in WORD.findall(text):
            out.extend(token_terms(token))
        return out

    def spans(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[str, int, int]]:
        """(term, start, end) for each term of ``text[start:end]``, spans in ``text``."""
        for match in WORD.finditer(text, start, len(text) if end is None else end):
            for term in self.token_terms(match.group()):
                yield term, match.start(), match.end()

    def words(self, text: str) -> list[str]:
        """The folded content words of a text before stemming (for messages to the user)."""
        stop = self._stopwords
        return [w for token in WORD.findall(text) for w in _words_of(token) if w not in stop]
