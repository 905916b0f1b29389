"""askdoc: ask questions of a folder of articles; get back verbatim quotes with citations."""

from .collection import default_corpus, sample_corpus
from .collection import open_index as open  # noqa: A001 - askdoc.open is the documented entry point
from .corpus import article_from_text
from .errors import ArticleNotFound, AskdocError, CorpusError, IndexStoreError
from .index import ENGINES, Index
from .model import Article, Hit, Hits, Passage, Quote

__version__ = "0.1.0"

__all__ = [
    "ENGINES",
    "Article",
    "ArticleNotFound",
    "AskdocError",
    "CorpusError",
    "Hit",
    "Hits",
    "Index",
    "IndexStoreError",
    "Passage",
    "Quote",
    "article_from_text",
    "default_corpus",
    "open",
    "sample_corpus",
]
