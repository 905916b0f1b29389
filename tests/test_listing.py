"""The walk lists only the folders that changed (listing.py) and still sees every change a user makes."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import askdoc
from askdoc import corpus, listing
from askdoc.store.cache import make_private


def _tree(root: Path) -> Path:
    for folder in ("sport", "tech", "tech/deep", "business"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for n in range(3):
            (root / folder / f"a{n}.txt").write_text(f"{folder} article {n} about the budget.\n", "utf-8")
    (root / "top.md").write_text("# Top\n\nThe council met.\n", "utf-8")
    (root / "sport" / "notes.csv.bak").write_text("not an article", "utf-8")
    make_private(listing.index_dir_for(root, listing.cache_root()))
    time.sleep(0.05)  # past the timestamp tick: the folders' stamps are settled, and kept
    return root


def _same_walk(a: corpus.Scan, b: corpus.Scan) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in ("blob", "size_bytes", "mtime_bytes", "ino_bytes",
                                                                  "ctime_bytes"))  # fmt: skip


def _listings(monkeypatch) -> list[str]:
    """Count the folders os.scandir lists."""
    listed: list[str] = []
    real = os.scandir

    def counting(path=".", *args):
        listed.append(path)
        return real(path, *args)

    monkeypatch.setattr(corpus.os, "scandir", counting)
    return listed


def test_a_second_walk_lists_no_unchanged_folder_and_sees_the_same(tmp_path, monkeypatch):
    root = _tree(tmp_path / "news")
    first = corpus.rescan(root)
    assert listing.load(listing.location(root)).keys() == {"", "business", "sport", "tech", "tech/deep"}
    listed = _listings(monkeypatch)
    again = corpus.rescan(root)
    assert listed == []  # every folder was stamped as when it was listed: its names came from the listing
    assert _same_walk(again, first) and _same_walk(again, corpus.scan(root))


def _edit_in_place(root: Path) -> None:  # same size, same folder: only the file's own stamp moves
    path = root / "tech" / "a1.txt"
    path.write_text(path.read_text("utf-8").replace("budget", "ferry!"), "utf-8")


def _edit_with_time_put_back(root: Path) -> None:
    path = root / "sport" / "a0.txt"
    before = path.stat()
    path.write_text(path.read_text("utf-8").replace("budget", "harbor"), "utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _add(root: Path) -> None:
    (root / "tech" / "deep" / "new.txt").write_text("A new article.\n", "utf-8")


def _delete(root: Path) -> None:
    (root / "business" / "a2.txt").unlink()


def _rename(root: Path) -> None:
    os.rename(root / "sport" / "a1.txt", root / "sport" / "z1.txt")


def _swap_two_files(root: Path) -> None:  # as tar leaves them: same sizes and times, swapped by mv
    os.rename(root / "sport" / "a0.txt", root / "sport" / "tmp")
    os.rename(root / "sport" / "a2.txt", root / "sport" / "a0.txt")
    os.rename(root / "sport" / "tmp", root / "sport" / "a2.txt")


def _replace_folder(root: Path) -> None:  # another folder of the same name and file names, moved in
    shutil.copytree(root / "tech", root / ".staging")
    (root / ".staging" / "a0.txt").write_text("tech article 0 about the ferry.\n", "utf-8")
    shutil.rmtree(root / "tech")
    os.rename(root / ".staging", root / "tech")


def _new_folder(root: Path) -> None:
    (root / "world").mkdir()
    (root / "world" / "w.txt").write_text("World news.\n", "utf-8")


def _remove_folder(root: Path) -> None:
    shutil.rmtree(root / "tech" / "deep")


def _folder_time_put_back(root: Path) -> None:  # an entry added, the folder's time set back: its change time moved
    folder = root / "business"
    before = folder.stat()
    (folder / "late.txt").write_text("Late news.\n", "utf-8")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))


def _symlink_in(root: Path) -> None:
    os.symlink(root / "sport" / "a0.txt", root / "tech" / "link.txt")


def _made_a_cache(root: Path) -> None:  # a tag file edited in place into a real CACHEDIR.TAG
    tag = root / "sport" / "CACHEDIR.TAG"
    tag.write_text("not yet\n", "utf-8")
    corpus.rescan(root)
    time.sleep(0.05)
    corpus.rescan(root)
    tag.write_bytes(corpus.CACHE_SIGNATURE + b"\n")


CHANGES = [_edit_in_place, _edit_with_time_put_back, _add, _delete, _rename, _swap_two_files, _replace_folder,
           _new_folder, _remove_folder, _folder_time_put_back, _symlink_in, _made_a_cache]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_a_walk_with_the_listing_sees_every_change_a_walk_of_every_folder_sees(tmp_path, change):
    root = _tree(tmp_path / "news")
    before = corpus.rescan(root)
    corpus.rescan(root)  # the listing as it is kept
    change(root)
    seen, truth = corpus.rescan(root), corpus.scan(root)
    assert _same_walk(seen, truth)
    assert not _same_walk(seen, before)
    time.sleep(0.05)
    assert _same_walk(corpus.rescan(root), truth)  # and the listing kept after the change is right too


def test_askdoc_answers_from_a_file_changed_where_only_its_stamp_tells(tmp_path):
    root = _tree(tmp_path / "news")
    askdoc.open(root)
    askdoc.open(root)  # the listing kept
    _edit_in_place(root)
    hits = askdoc.open(root).search("ferry", k=3)
    assert [h.article.id for h in hits] == ["tech/a1"]


def test_a_folder_changed_within_a_tick_of_its_listing_is_listed_again(tmp_path, monkeypatch):
    root = _tree(tmp_path / "news")
    (root / "sport" / "fresh.txt").write_text("Just written.\n", "utf-8")
    soon = time.time_ns() + 1_000_000_000  # the folder's time a second ahead: however slow the walk, it is
    os.utime(root / "sport", ns=(soon, soon))  # within a tick of it (as a change just before it would be)
    corpus.rescan(root)
    assert "sport" not in listing.load(listing.location(root))  # racy: not kept
    assert "tech" in listing.load(listing.location(root))


@pytest.mark.parametrize("spoil", ["damaged", "foreign", "turned off"])
def test_a_listing_that_cannot_be_trusted_is_not_used(tmp_path, monkeypatch, spoil):
    root = _tree(tmp_path / "news")
    corpus.rescan(root)
    where = listing.location(root)
    assert where is not None and listing.load(where)
    if spoil == "damaged":
        raw = bytearray(where.read_bytes())
        raw[-2] ^= 1
        where.write_bytes(bytes(raw))
    elif spoil == "foreign":
        os.chmod(where.parent, 0o777)
    else:
        monkeypatch.setenv("ASKDOC_LIST_EVERY_FOLDER", "1")
    assert listing.load(listing.location(root)) == {}
    listed = _listings(monkeypatch)
    assert _same_walk(corpus.rescan(root), corpus.scan(root))
    assert len(listed) >= 2 * 5  # every folder listed, by both walks


def test_the_forked_walkers_use_and_keep_the_listing(tmp_path, monkeypatch):
    root = _tree(tmp_path / "news")
    pending = corpus.PendingScan(root, 2)
    first = pending.result()
    assert first is not None and first.listing.keys() == {"", "business", "sport", "tech", "tech/deep"}
    assert listing.load(listing.location(root)) == first.listing
    _add(root)
    again = corpus.PendingScan(root, 2).result()
    assert again is not None and _same_walk(again, corpus.scan(root))
