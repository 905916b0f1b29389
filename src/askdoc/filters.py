"""Narrow a search to some articles: by article or folder, by source or site, by date range.

The same filter comes from the API (``Index.search(..., where=Filter(...))``), the CLI
(``--in``, ``--site``, ``--since``, ``--until``) and the question itself::

    what did Volodin warn? site:bbc.co.uk after:2024-09-01 before:2024-10-01 in:world

``in:`` takes an article id or a folder; ``site:`` a source name or a web site (a site
matches its subdomains); dates may be a year, a month or a day. ``after:``/``since:``
and ``until:`` include their date, ``before:`` does not. Undated articles are left out
as soon as a date is asked for. Values of one kind are alternatives; kinds combine.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from .errors import AskdocError

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_STORED_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?(?![\d-])")  # ISO dates compare as text (a time may follow)
_TOKEN = re.compile(r"(?<!\S)(site|in|after|since|before|until):(\"[^\"]*\"|'[^']*'|\S+)", re.IGNORECASE)
_NO_VALUE = re.compile(r"(?<!\S)(site|in|after|since|before|until):(?!\S)", re.IGNORECASE)
_EXAMPLES = {"site": "site:bbc.co.uk", "in": "in:sport", "after": "after:2024-09-01", "since": "since:2024",
             "before": "before:2024-10-01", "until": "until:2024-09"}  # fmt: skip


class FilterError(AskdocError):
    """A filter a user wrote that askdoc cannot apply (a date it cannot read)."""


@dataclass(frozen=True, slots=True)
class Filter:
    """Which articles a search may answer from; an empty Filter allows all."""

    within: tuple[str, ...] = ()  # article ids or folders
    sites: tuple[str, ...] = ()  # source names or web sites
    since: str | None = None  # on or after (YYYY, YYYY-MM or YYYY-MM-DD)
    until: str | None = None  # on or before
    before: str | None = None  # strictly before

    def __post_init__(self) -> None:
        for name in ("within", "sites"):  # Filter(within="world") is one folder, not five letters
            value = getattr(self, name)
            try:
                values = () if value is None else (value,) if isinstance(value, str | os.PathLike) else tuple(value)
            except TypeError:  # Filter(within=123)
                values = (value,)
            values = tuple(os.fspath(v) if isinstance(v, os.PathLike) else v for v in values)  # a Path: its folder
            if not all(isinstance(v, str) for v in values):
                raise TypeError(f"Filter({name}=...) takes a string or a list of strings, not {value!r}")
            object.__setattr__(self, name, values)
        for name in ("since", "until", "before"):
            value = getattr(self, name)
            if isinstance(value, dt.date):  # a date or a datetime: its day
                object.__setattr__(self, name, value := value.isoformat()[:10])
            elif isinstance(value, int) and not isinstance(value, bool):  # 2024: the year
                object.__setattr__(self, name, value := f"{value:04d}")
            if value is not None:
                _check_date(value)

    def __bool__(self) -> bool:
        return bool(self.within or self.sites or self.since or self.until or self.before)

    def __and__(self, other: Filter) -> Filter:
        return Filter(
            self.within + other.within,
            self.sites + other.sites,
            max(filter(None, (self.since, other.since)), default=None),
            min(filter(None, (self.until, other.until)), default=None, key=_last_day),
            min(filter(None, (self.before, other.before)), default=None),
        )

    def describe(self) -> str:
        """The filter in the question syntax, e.g. ``site:bbc.co.uk after:2024-09-01``."""
        parts = [f"in:{w}" for w in self.within] + [f"site:{s}" for s in self.sites]
        parts += [f"{k}:{v}" for k, v in (("after", self.since), ("until", self.until), ("before", self.before)) if v]
        return filter_words(parts)

    def allows(self, meta: dict[str, Any]) -> bool:
        """Whether an article (its stored metadata: id, rel, source, url, date) passes."""
        if self.within and not any(_is_within(meta, place) for place in self.within):
            return False
        if self.sites and not any(_is_from(meta, site) for site in self.sites):
            return False
        if self.since or self.until or self.before:
            date = meta.get("date")
            if not date or not _STORED_DATE.match(date):  # "05/09/2024" from a script: no date it can be compared by
                return False
            if self.since and date < self.since:
                return False
            if self.until and date[: len(self.until)] > self.until:
                return False
            if self.before and date >= self.before:
                return False
        return True

    def article_mask(self, articles: Sequence[dict[str, Any]]) -> np.ndarray:
        """One bool per article: True where the filter allows it."""
        return np.fromiter((self.allows(meta) for meta in articles), dtype=bool, count=len(articles))


def as_filter(where: Filter | str | None) -> Filter | None:
    """``where`` of ``Index.search`` and ``Index.catalog``: a Filter, or filter words as in a question."""
    if where is None or isinstance(where, Filter):
        return where
    if not isinstance(where, str):
        raise TypeError(f"where takes a Filter or filter words such as 'in:world after:2024', not {where!r}")
    rest, scope = split_question(where.strip())
    if rest:
        raise FilterError(f"where takes filter words (in:, site:, after:, until:, before:), not {rest!r}")
    return scope


def without_filter_words(question: str) -> str:
    """The question's words, its filter words left out and never read (an earlier question's bad
    date is no error of the question that follows it)."""
    return " ".join(_NO_VALUE.sub(" ", _TOKEN.sub(" ", question)).split())


def split_question(question: str) -> tuple[str, Filter]:
    """The question without its filter words, and the Filter they make (``site:x after:2024``)."""
    if empty := _NO_VALUE.search(question):  # "site:" alone was searched as the word "site"
        kind = empty.group(1).lower()
        raise FilterError(f"{kind}: needs a value after the colon, as in {_EXAMPLES[kind]}")
    found: dict[str, list[str]] = {}
    for match in _TOKEN.finditer(question):
        found.setdefault(match.group(1).lower(), []).append(_unquoted(match.group(2)))
    if not found:
        return question, Filter()
    rest = " ".join(_TOKEN.sub(" ", question).split())
    for kind in ("after", "since", "until", "before"):  # every value, not only the one that holds
        for value in found.get(kind, ()):
            _check_date(value)
    since = found.get("after", []) + found.get("since", [])
    return rest, Filter(
        within=tuple(found.get("in", ())),
        sites=tuple(found.get("site", ())),
        since=max(since) if since else None,
        until=min(found["until"], key=_last_day) if "until" in found else None,
        before=min(found["before"]) if "before" in found else None,
    )


def _unquoted(value: str) -> str:
    """``"my folder"`` or ``'my folder'`` → ``my folder``: the quotes group words, they are not the value's."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.lstrip("\"'")  # an unbalanced quote (in:"my) is the user's slip, not part of the name


def filter_words(words) -> str:
    """Filter words given one per argument (``askdoc articles "in:my folder"``) as one string that
    ``split_question`` reads back word for word: a value with a space in it is quoted."""
    out = []
    for word in words:
        key, colon, value = word.partition(":")
        if colon and any(c.isspace() for c in value) and _unquoted(value) == value:
            word = f"{key}:'{value}'" if '"' in value else f'{key}:"{value}"'
        out.append(word)
    return " ".join(out)


def _last_day(value: str) -> str:
    """What ``until:`` reaches, comparable as text: 2024 → 2024-99-99, 2024-08 → 2024-08-99. The
    narrower of two until: values ends first (until:2024 and until:2024-08 mean 2024-08)."""
    return value + "-99-99"[len(value) - 4 :]


def _check_date(value: object) -> None:
    if not (isinstance(value, str) and _is_date(value)):
        raise FilterError(f"a date filter needs a date like 2024, 2024-09 or 2024-09-01, not {value!r}")


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat((value + "-01-01")[:10])
    except ValueError:
        return False
    return True


def _is_within(meta: dict[str, Any], place: str) -> bool:
    place = place.strip("/")
    while place.startswith("./"):  # a path as a shell completes it: "./business/"
        place = place[2:].lstrip("/")
    if place in ("", "."):
        return True  # the corpus folder itself
    names = (meta.get("id") or "", meta.get("rel") or "")
    return any(name == place or name.startswith(place + "/") for name in names)


def _is_from(meta: dict[str, Any], site: str) -> bool:
    if "://" in site:  # a web address pasted whole: its site
        site = urlsplit(site).hostname or site
    site = site.casefold().removeprefix("www.")
    host = (urlsplit(meta.get("url") or "").hostname or "").casefold()
    if host == site or host.endswith("." + site):
        return True
    names = (meta.get("source") or "", (meta.get("meta") or {}).get("site") or "")
    return any(site in str(name).casefold() for name in names if name)
