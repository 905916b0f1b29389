"""A refresh keeps texts.bin (a hard link to the last generation's) and writes only the texts read since,
while texts.bin is still mostly alive; every quote stays verbatim and every checksum is kept."""

from __future__ import annotations

import logging
import os

import pytest

import askdoc
from askdoc import store
from askdoc.store import generations
from conftest import write_corpus

TAIL = "texts-tail.bin"


def _articles(n: int = 40) -> dict[str, str]:
    return {
        f"news/{i:03d}.txt": f"Report {i}\n\nThe council of town {i} met on budget day {i}.\n\n"
        f"Residents of town {i} asked about the ferry timetable and the harbour wall.\n"
        for i in range(n)
    }


def _texts_of(index) -> dict[str, str]:
    return {row["id"]: index.article(row["id"]).text for row in index.catalog()}


def _files(root) -> dict[str, str]:
    return {p.relative_to(root).with_suffix("").as_posix(): p.read_text("utf-8") for p in root.rglob("*.txt")}


def test_an_edit_keeps_texts_bin_linked_writes_a_tail_and_every_text_is_the_files(tmp_path):
    root = write_corpus(tmp_path / "corpus", _articles())
    index = askdoc.open(root)
    first = store.current_generation(index.location)
    inode = (first / "texts.bin").stat().st_ino
    (root / "news" / "007.txt").write_text("Report 7\n\nThe regatta was called off for the gale.\n", "utf-8")
    (root / "news" / "new.txt").write_text("Late news\n\nThe ferry will run on Sunday.\n", "utf-8")
    refreshed = askdoc.open(root)
    gen = store.current_generation(refreshed.location)
    assert gen != first and not first.exists()
    assert (gen / "texts.bin").stat().st_ino == inode  # the same file: not written again
    assert (gen / TAIL).stat().st_size > 0
    assert _texts_of(refreshed) == _files(root)
    assert [h.article.id for h in refreshed.search("regatta gale", k=1)] == ["news/007"]
    reloaded = askdoc.open(root)
    assert _texts_of(reloaded) == _files(root)
    store.verify(reloaded.data)  # every file, the linked one too, has the checksum meta.json gives
    (root / "news" / "new.txt").write_text("Late news\n\nThe ferry will not run on Sunday.\n", "utf-8")
    again = askdoc.open(root)  # an article of the tail edited: the tail is written anew
    assert (store.current_generation(again.location) / "texts.bin").stat().st_ino == inode
    assert _texts_of(again) == _files(root)


def test_when_most_of_texts_bin_is_gone_a_refresh_writes_it_whole_again(tmp_path):
    root = write_corpus(tmp_path / "corpus", _articles())
    index = askdoc.open(root)
    inode = (store.current_generation(index.location) / "texts.bin").stat().st_ino
    for i in range(0, 40, 3):  # a third of the articles rewritten: over a quarter of texts.bin is garbage
        (root / "news" / f"{i:03d}.txt").write_text(f"Report {i}\n\nA new text of article {i}.\n", "utf-8")
    refreshed = askdoc.open(root)
    gen = store.current_generation(refreshed.location)
    assert (gen / "texts.bin").stat().st_ino != inode and not (gen / TAIL).exists()
    assert _texts_of(refreshed) == _files(root) == _texts_of(askdoc.open(root, rebuild=True))


def test_a_word_changed_in_a_linked_texts_bin_is_caught_and_never_carried_forward(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(generations, "VERIFY_WHOLE_UP_TO", 0)  # a large index: texts.bin not summed at load
    monkeypatch.setattr(generations, "VERIFY_FILE_UP_TO", 0)
    root = write_corpus(tmp_path / "corpus", _articles())
    askdoc.open(root)
    (root / "news" / "new.txt").write_text("Late news\n\nThe ferry will run on Sunday.\n", "utf-8")
    gen = store.current_generation(askdoc.open(root).location)
    texts = (gen / "texts.bin").read_bytes()
    (gen / "texts.bin").write_bytes(texts.replace(b"town 12 met", b"town 12 met"[::-1]))  # same length
    (root / "news" / "other.txt").write_text("Other\n\nThe wall was mended.\n", "utf-8")
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        refreshed = askdoc.open(root)  # the refresh checks what it would link: damaged, so it rebuilds
    assert "texts.bin fails its checksum" in caplog.text
    assert _texts_of(refreshed) == _files(root)
    assert _texts_of(askdoc.open(root)) == _files(root)


@pytest.mark.skipif(not hasattr(os, "link"), reason="no hard links here")
def test_where_texts_bin_cannot_be_linked_it_is_written(tmp_path, monkeypatch):
    root = write_corpus(tmp_path / "corpus", _articles())
    index = askdoc.open(root)
    inode = (store.current_generation(index.location) / "texts.bin").stat().st_ino

    def no_links(*args, **kwargs):
        raise OSError(1, "Operation not permitted")  # as on a file system without hard links

    monkeypatch.setattr(generations.os, "link", no_links)
    (root / "news" / "new.txt").write_text("Late news\n\nThe ferry will run on Sunday.\n", "utf-8")
    refreshed = askdoc.open(root)
    gen = store.current_generation(refreshed.location)
    assert (gen / "texts.bin").stat().st_ino != inode
    assert _texts_of(refreshed) == _files(root) == _texts_of(askdoc.open(root))
