"""askdoc: ask questions of a folder of articles; get back verbatim quotes with citations.

The public names load on first use (PEP 562), so that ``import askdoc`` is cheap: the
``askdoc`` command can start walking the corpus before numpy and the index code load.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"
ENGINES = ("askdoc", "rank-bm25")  # scoring engines: askdoc's posting lists, or rank-bm25's BM25Okapi

_WHERE = {
    "Added": "adding",
    "add_to_corpus": "adding",
    "Changes": "changes",
    "open": "entry",
    "default_corpus": "corpus",
    "sample_corpus": "corpus",
    "article_from_text": "corpus",
    "ArticleNotFound": "errors",
    "AskdocError": "errors",
    "CorpusError": "errors",
    "Filter": "filters",
    "FilterError": "filters",
    "Index": "index",
    "Article": "model",
    "Hit": "model",
    "Hits": "model",
    "Passage": "model",
    "Quote": "model",
}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        try:  # a submodule, e.g. askdoc.opening
            return import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'askdoc' has no attribute {name!r}") from None
    value = getattr(import_module(f"{__name__}.{module}"), "open_corpus" if name == "open" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


if TYPE_CHECKING:
    from .adding import Added, add_to_corpus
    from .changes import Changes
    from .corpus import article_from_text, default_corpus, sample_corpus
    from .entry import open_corpus as open  # noqa: A001 - askdoc.open is the documented entry point
    from .errors import ArticleNotFound, AskdocError, CorpusError
    from .filters import Filter, FilterError
    from .index import Index
    from .model import Article, Hit, Hits, Passage, Quote

__all__ = [
    "Added",
    "Changes",
    "ENGINES",
    "Article",
    "ArticleNotFound",
    "AskdocError",
    "CorpusError",
    "Filter",
    "FilterError",
    "Hit",
    "Hits",
    "Index",
    "Passage",
    "Quote",
    "add_to_corpus",
    "article_from_text",
    "default_corpus",
    "open",
    "sample_corpus",
]
