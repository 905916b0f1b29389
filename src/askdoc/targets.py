"""What askdoc show is given, read back to an article: ids as askdoc printed them, and near misses."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import askdoc

from . import render


def target_of(index: askdoc.Index, target: str) -> tuple[str, str]:
    """ARTICLE_ID[:PARAGRAPH] as askdoc printed it, as (article id, paragraph or ""). "a:7" is
    article "a:7" when there is one (a file a:7.txt). An id printed with escapes (``new\\nline`` for
    a line break, ``back\\\\slash`` for a backslash) is read back to the article it names."""
    printed: dict[str, str] | None = None

    def article(name: str) -> str | None:
        nonlocal printed
        if "\\" in name or "<U+" in name:  # printed with escapes: which article printed so?
            if printed is None:
                printed = {render.printed_id(row["id"]): row["id"] for row in index.catalog()}
            if name in printed:
                return printed[name]
        return name if is_article(index, name) else None

    if (whole := article(target)) is not None:
        return whole, ""
    article_id, _, paragraph = target.rpartition(":")
    if article_id and paragraph.isdigit():
        return article(article_id) or article_id, paragraph
    return target, ""


def did_you_mean(index: askdoc.Index, name: str) -> str:
    """``; did you mean business/300?``: the id without a file suffix or a path, or the nearest ids."""
    import difflib

    ids = [row["id"] for row in index.catalog()]
    known = set(ids)
    stem = name.removeprefix("./")
    if "." in stem.rsplit("/", 1)[-1]:
        stem = stem.rsplit(".", 1)[0]  # business/300.txt: ids have no suffix
    if index.corpus is not None and os.path.isabs(stem):
        with contextlib.suppress(ValueError):
            stem = Path(stem).resolve().relative_to(index.corpus.resolve()).as_posix()
    close = [stem] if stem in known and stem != name else difflib.get_close_matches(stem, ids, n=3, cutoff=0.8)
    if not close:
        return ""
    return f"; did you mean {' or '.join(render.printed_id(c) for c in close)}? (askdoc articles lists them)"


def is_article(index: askdoc.Index, article_id: str) -> bool:
    try:
        index.article(article_id)
    except askdoc.ArticleNotFound:
        return False
    return True
