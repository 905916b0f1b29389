"""What an index holds, in memory: its arrays, tables, statistics and the files it was read from."""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..retrieval.table import Stats
from .cache import create
from .checks import IndexDamaged
from .tables import Blob, FileList, StemLookup, StemTable, TermTable, Vocabulary

DAMAGED = "DAMAGED"  # a generation a reader found damaged (an article's text failing its CRC): rebuilt


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file of the corpus that gave no article: its stamp when it was read, and why (stored by name)."""

    size: int
    mtime_ns: int
    reason: str = "unreadable"
    unopened: bool = False  # it could not be opened at all (permissions): tried again once it can be

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "reason": self.reason, "unopened": self.unopened}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SkippedFile:
        """From its stored fields; a field of the wrong type is damage (TypeError, KeyError)."""
        size, mtime, reason, unopened = stored["size"], stored["mtime_ns"], stored["reason"], stored["unopened"]
        if not (isinstance(size, int) and isinstance(mtime, int) and isinstance(reason, str)):
            raise TypeError("a skipped file's stamp is not numbers and a reason")
        return cls(size, mtime, reason, bool(unopened))


@dataclass
class IndexData:
    """Everything an index holds, as arrays and tables: what the store saves and loads.

    A freshly built index holds a ``TermList`` and a ``StemDict``; a loaded one the lazy tables of
    tables.py (Vocabulary, StemTable, ArticleTable), which read the same way (``TermTable``,
    ``StemLookup``).
    """

    arrays: dict[str, np.ndarray]
    texts: Blob
    vocab: TermTable
    stems: StemLookup
    articles: Sequence[dict[str, Any]]  # metadata, plus the source file's rel, size and mtime_ns
    stats: Stats = field(default_factory=Stats)
    files: FileList | None = None  # the corpus files as the last refresh saw them
    article_files: np.ndarray | None = None  # article -> its file in ``files`` (-1: none)
    article_ids: Sequence[str] | None = None  # the articles' ids, when known apart from their metadata
    grown_from: tuple[Vocabulary, StemTable] | None = None  # the stored tables a refresh extends
    text_sums: np.ndarray | None = None  # article -> CRC-32 of its text (a stored index)
    generation: Path | None = None  # the folder it was loaded from
    verified: bool = False  # every file of it checksummed at load
    readers: int | None = None  # the version of the file readers its articles were read with
    skipped: dict[str, SkippedFile] = field(default_factory=dict)  # rel -> why its file gave no article
    records: dict[str, Any] = field(default_factory=dict)  # record files' sums, to read only lines added
    saved: bool = False  # stored as it is (False: built in memory, or its folder could not be written)
    stored_tables: tuple[Vocabulary, StemTable] | None = None  # a loaded index's own tables
    # the average passage length its impacts were computed with, when not its own (a shard refreshed:
    # its impacts are never scored with, see merging.rebuilt); None: its own, as a build computes them
    impact_avgdl: float | None = None
    first_read: int | None = None  # built here: the articles from this number on were read, those before kept

    def article_text(self, number: int) -> bytes:
        """An article's stored text (UTF-8), checked against its CRC-32 when it has one.

        A mismatch (a byte of texts.bin changed: "rose" made "fell") raises IndexDamaged, and the
        generation is marked so that the next run rebuilds it rather than quote a text no file says.
        """
        a = self.arrays
        raw = bytes(self.texts[int(a["a_text_start"][number]) : int(a["a_text_end"][number])])
        if self.text_sums is not None and zlib.crc32(raw) != int(self.text_sums[number]):
            self.damaged(f"the text of article {number} fails its checksum")
        return raw

    def check_meta(self, sums: np.ndarray, number: int, line: bytes, meta: dict) -> None:
        """A stored metadata line is the one written for this article (its CRC-32, its id)."""
        if zlib.crc32(line) != int(sums[number]):
            self.damaged(f"the metadata of article {number} fails its checksum")
        if self.article_ids is not None and meta.get("id") != self.article_ids[number]:
            self.damaged(f"article {number}'s metadata names another article")

    def damaged(self, what: str):
        """Refuse to answer from damage found while answering; mark the generation so that the next run
        rebuilds it rather than read it again."""
        if self.generation is not None:
            with contextlib.suppress(OSError):
                os.close(create(self.generation / DAMAGED))
        raise IndexDamaged(f"the stored index is damaged ({what}); it is rebuilt on the next run")

    def impacts_avgdl(self) -> float:
        """The average passage length its stored impacts were computed with."""
        if self.impact_avgdl is not None:
            return self.impact_avgdl
        n = self.stats.n_passages
        return self.stats.total_len / n if n else 1.0  # as a build computes it

    def ids(self) -> Sequence[str]:
        return self.article_ids if self.article_ids is not None else [meta["id"] for meta in self.articles]

    @property
    def n_passages(self) -> int:
        return len(self.arrays["p_article"])

    def all_stems(self) -> dict[str, str]:
        return self.stems.all()
