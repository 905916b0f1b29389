"""askdoc: ask questions of a folder of articles; get back verbatim quotes with citations."""

from .adding import Added, add_to_corpus
from .collection import Changes, default_corpus, sample_corpus
from .collection import open_index as open  # noqa: A001 - askdoc.open is the documented entry point
from .corpus import article_from_text
from .errors import ArticleNotFound, AskdocError, CorpusError, IndexStoreError
from .filters import Filter, FilterError
from .index import ENGINES, Index
from .model import Article, Hit, Hits, Passage, Quote

__version__ = "0.1.0"

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
    "IndexStoreError",
    "Passage",
    "Quote",
    "add_to_corpus",
    "article_from_text",
    "default_corpus",
    "open",
    "sample_corpus",
]
