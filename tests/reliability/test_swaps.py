"""Files swapped or rewritten without a change of size or time are noticed (issue 19, item 2): the
change check compares inodes and change times as git does, and waits out "racily clean" files."""

from __future__ import annotations

import os
import time

import pytest

import askdoc
from askdoc import corpus, merging, opening, scanning
from askdoc.corpus import Scan
from conftest import write_corpus

SAME_SIZE = {
    "d1.txt": "First\n\nThe harbour reopened on Monday.\n",
    "d2.txt": "Other\n\nThe airport closed on Fridays.\n!",
}


def whole_second(path, seconds=1_700_000_000) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))  # as tar and unzip leave them


def test_two_same_size_files_with_the_same_whole_second_time_swapped_by_rename_are_noticed(tmp_path):
    root = write_corpus(tmp_path / "corpus", SAME_SIZE)
    assert (root / "d1.txt").stat().st_size == (root / "d2.txt").stat().st_size
    for name in SAME_SIZE:
        whole_second(root / name)
    askdoc.open(root)
    os.rename(root / "d1.txt", root / "swap")
    os.rename(root / "d2.txt", root / "d1.txt")
    os.rename(root / "swap", root / "d2.txt")
    index = askdoc.open(root)
    assert index.changes().summary() == "no changes"
    assert index.article("d1").text == (root / "d1.txt").read_text()  # what `askdoc show d1` prints
    hit = index.search("airport closed")[0]
    assert hit.article.id == "d1" and hit.quote.text in (root / "d1.txt").read_text()


def test_a_same_size_rewrite_with_its_time_put_back_is_noticed(tmp_path):
    root = write_corpus(tmp_path / "corpus", {"a.txt": "Sales\n\nThe company said sales rose 2%.\n"})
    index = askdoc.open(root)
    before = (root / "a.txt").stat()
    time.sleep(0.05)
    (root / "a.txt").write_text("Sales\n\nThe company said sales fell 2%.\n")
    os.utime(root / "a.txt", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert index.changes().changed == ("a.txt",)
    assert "fell" in askdoc.open(root).search("sales")[0].quote.text


def coarse(scan):
    """A walk as a file system with whole-second times (FAT, SMB, some network disks) reports it."""

    def walk(root, part=(0, 1), known=None):
        found = scan(root, part)  # (every folder listed: whole-second folder times are not trusted either)
        columns = [found.column(name) for name in ("size_bytes", "mtime_bytes", "ino_bytes", "ctime_bytes")]
        columns[1] = [t // 10**9 * 10**9 for t in columns[1]]
        columns[3] = [t // 10**9 * 10**9 for t in columns[3]]
        return Scan.of_columns(found.root, found.rels, *columns, walked_ns=found.walked_ns)

    return walk


@pytest.mark.slow
def test_a_racily_clean_file_rewritten_while_it_is_read_is_noticed_on_a_whole_second_file_system(tmp_path, monkeypatch):
    monkeypatch.setattr(opening, "scan", coarse(corpus.scan))
    monkeypatch.setattr(scanning, "scan", coarse(corpus.scan))  # what corpus.rescan walks with
    monkeypatch.setenv("ASKDOC_NO_FORK", "1")  # walked here, coarsely, not by forked walkers
    root = tmp_path / "corpus"
    root.mkdir()
    while time.time() % 1 > 0.2:  # early in a second: the rewrite below falls in the same one
        time.sleep(0.01)
    (root / "a.txt").write_text("Sales\n\nThe company said sales rose 2%.\n")
    real_read = merging.read_articles

    def read_then_rewrite(file):
        articles = real_read(file)
        (root / "a.txt").write_text("Sales\n\nThe company said sales fell 2%.\n")  # same size, same second?
        return articles

    monkeypatch.setattr(merging, "read_articles", read_then_rewrite)
    askdoc.open(root)
    monkeypatch.setattr(merging, "read_articles", real_read)
    assert "fell" in askdoc.open(root).search("sales")[0].quote.text
