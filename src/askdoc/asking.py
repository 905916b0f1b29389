"""What a search is asked, read the same by every face (``Index`` and ``ShardedIndex``): its counts
checked, ``in:`` paths of this machine made folders of the corpus, a paragraph joined from its pieces."""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import ArticleNotFound
from .filters import Filter
from .model import Passage


def whole(value: Any, name: str) -> int:
    """A count a caller gave (numpy's integers too), or a TypeError: 2.5 hits is a mistake, not 2."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, not {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be a whole number, not {value!r}") from None


def counts(k: Any, max_per_article: Any) -> tuple[int, int | None]:
    """``k`` and ``max_per_article`` as whole numbers of at least 1 (``max_per_article`` may be None)."""
    k = whole(k, "k")
    max_per_article = None if max_per_article is None else whole(max_per_article, "max_per_article")
    if k < 1 or (max_per_article is not None and max_per_article < 1):
        raise ValueError("k and max_per_article must be at least 1")
    return k, max_per_article


def inside_corpus(scope: Filter, corpus: Path | None) -> Filter:
    """``in:`` given as a path of this machine (``--in ~/news/sport``, as a shell completes it) made
    a folder of the corpus; a path outside it stays as given and matches nothing."""
    if not scope.within or corpus is None:
        return scope
    within = []
    for place in scope.within:
        if place.startswith(("/", "~")) or os.path.isabs(place):
            with contextlib.suppress(ValueError, RuntimeError, OSError):  # outside the corpus: as given
                place = Path(place).expanduser().resolve().relative_to(corpus).as_posix()
        within.append(place)
    return dataclasses.replace(scope, within=tuple(within))


def paragraph(passages: Sequence[Passage], article_id: str, number: int, text: Callable[[], str]) -> Passage:
    """The whole of paragraph ``number`` among an article's passages: a long one is cut into several, joined here
    (``text``: the article's text, read only then)."""
    pieces = [p for p in passages if p.paragraph == number]
    if not pieces:
        raise ArticleNotFound(f"no paragraph {number} in article '{article_id}'")
    if len(pieces) == 1:
        return pieces[0]
    start, end = pieces[0].start, pieces[-1].end
    return dataclasses.replace(pieces[0], start=start, end=end, text=text()[start:end])
