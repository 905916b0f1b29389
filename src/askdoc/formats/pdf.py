"""PDF articles: the text of each page via pypdf, lines joined into paragraphs, page starts kept for citations.

The article text is what pypdf extracted, with each page's lines rejoined into
paragraphs (a line much shorter than the page's longest ends a paragraph) and pages
separated by a blank line. ``meta["pages"]`` holds the offset where each page starts,
so a passage knows its page. A PDF without any text layer (a scan) is reported.
"""

from __future__ import annotations

import logging
import time

from ..model import Article
from . import SourceFile, Unreadable, article_id_for
from .text import article_from_text

log = logging.getLogger("askdoc")

SHORT_LINE = 0.7  # a line shorter than this share of the page's longest line ends its paragraph
# A per-file budget: pypdf's extraction time grows with the content it decodes, and a small file can
# make it decode much (60 pages sharing one 2 MB content stream: 15 KB, 390 s, 656 MB), all while the
# write lock is held. Real documents hold less text than their size; a book gets more time than a memo.
SECONDS = 20.0  # extraction time allowed to any PDF ...
SECONDS_PER_MB = 5.0  # ... and per MB of the file
CHARACTERS = 1_000_000  # extracted characters allowed to any PDF ...
CHARACTERS_PER_BYTE = 100  # ... and per byte of the file


def read(file: SourceFile, data: bytes) -> list[Article]:
    import io

    from pypdf import PdfReader  # loaded only when a corpus has PDFs

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its parser warnings are noise to a reader
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise Unreadable("encrypted PDF (askdoc cannot open it without the password)")
    pages = _page_texts(reader, len(data))
    if not any(pages):
        raise Unreadable(f"PDF has no text layer in its {len(pages)} page(s) (a scan? askdoc does not OCR)")
    if empty := sum(1 for page in pages if not page):
        log.warning("%s: %d of %d pages have no text (scanned pages?)", file.path, empty, len(pages))
    text, starts = "", []
    for page in pages:
        if page and text:
            text += "\n\n"
        starts.append(len(text))
        text += page
    info = _info(reader)
    meta = {"pages": starts, **info}
    article = article_from_text(article_id_for(file.rel), text + "\n", path=file.path, meta=meta)
    return [article]


def _page_texts(reader, size: int) -> list[str]:
    """Each page's text, within the file's budget of time and characters (``Unreadable`` past it)."""
    started, characters, pages = time.monotonic(), 0, []
    seconds, most = SECONDS + SECONDS_PER_MB * size / 2**20, CHARACTERS + CHARACTERS_PER_BYTE * size
    count = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        pages.append(paragraphs(page.extract_text() or ""))
        characters += len(pages[-1])
        if characters > most:
            raise Unreadable(
                f"PDF gives far more text than a file of {size:,} bytes holds ({characters:,} characters from "
                f"{number} of {count} pages: pages sharing one huge content stream?)"
            )
        if time.monotonic() - started > seconds and number < count:
            raise Unreadable(f"PDF text extraction took over {seconds:.0f} s ({number} of {count} pages read)")
    return pages


def paragraphs(page: str) -> str:
    """A page's extracted lines rejoined into paragraphs separated by blank lines."""
    lines = [" ".join(line.split()) for line in page.splitlines()]
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                out.append(current)
                current = ""
            continue
        if not current:
            current = line
        elif current.endswith("-") and current[-2:-1].islower() and line[:1].islower():
            current = current[:-1] + line  # "manip-" + "ulation": a word hyphenated at the line end
        elif current.endswith("-") and current[-2:-1].isalpha():
            current += line  # "long-" + "Range": a hyphen of the word itself
        else:
            current += " " + line
        if len(line) < SHORT_LINE * width:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n\n".join(out)


def _info(reader) -> dict[str, str]:
    """Title and author from the document information, when they look like real ones."""
    try:
        info = reader.metadata or {}
    except Exception:  # a damaged info dictionary: the text is still worth having
        return {}
    meta = {}
    title = str(info.get("/Title") or "").strip()
    if title and not title.lower().startswith(("microsoft word", "untitled")) and "." not in title[-5:]:
        meta["title"] = title
    if author := str(info.get("/Author") or "").strip():
        meta["author"] = author
    return meta
