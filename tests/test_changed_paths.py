"""Refreshing from the paths that changed: what a walk would see, found without the walk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import askdoc
from askdoc.changed_paths import look_at, walk_key
from askdoc.corpus import CACHE_SIGNATURE, scan
from conftest import write_corpus


def stored(root: Path):
    walk = scan(root)
    return walk.rels, walk.sizes, walk.mtimes, walk.column("ino_bytes"), walk.column("ctime_bytes")


def assert_same_as_a_walk(root: Path, looked) -> None:
    assert stored(root) == (  # names, sizes, times, inodes and change times: what a refresh compares
        looked.scan.rels, looked.scan.sizes, looked.scan.mtimes,
        looked.scan.column("ino_bytes"), looked.scan.column("ctime_bytes"),
    )  # fmt: skip


def test_the_walk_order_is_a_folders_files_then_its_subfolders():
    rels = ["b.txt", "z.md", "a/x.txt", "a/b/c.txt", "a/b/d/e.txt", "a/c/a.txt", "b/a.txt"]
    assert sorted(rels, key=walk_key) == rels


def test_looking_at_the_changed_paths_sees_what_a_walk_sees(tmp_path):
    root = write_corpus(
        tmp_path / "news",
        {"top.md": "t", "a/one.txt": "1", "a/two.txt": "2", "a/deep/three.txt": "3", "b/four.txt": "4"},
    )
    before = stored(root)
    outside = write_corpus(tmp_path / "out" / "moved", {"five.txt": "5", "inner/six.md": "6"})
    (root / "a" / "one.txt").write_text("one, longer now")  # edited
    (root / "a" / "two.txt").unlink()  # deleted
    (root / "b" / "four.txt").rename(root / "b" / "renamed.txt")
    shutil.move(root / "a" / "deep", tmp_path / "out" / "deep")  # a folder moved out
    shutil.move(outside, root / "a" / "moved")  # and one moved in
    (root / "new.txt").write_text("new")
    (root / ".draft.txt").write_text("hidden")  # never an article
    (root / "notes.bin").write_text("not an article kind")
    paths = ["a/one.txt", "a/two.txt", "b/four.txt", "b/renamed.txt", "a/deep", "a/moved", "new.txt"]
    paths += [".draft.txt", "notes.bin", "never-there.txt"]
    looked = look_at(root, *before, paths=[str(root / path) for path in paths])
    assert_same_as_a_walk(root, looked)
    assert looked.added == ("new.txt", "a/moved/five.txt", "a/moved/inner/six.md", "b/renamed.txt")  # walk order
    assert looked.changed == ("a/one.txt",)
    assert looked.removed == ("a/deep/three.txt", "a/two.txt", "b/four.txt")


def test_paths_outside_the_corpus_or_in_its_cache_folder_change_nothing(tmp_path):
    root = write_corpus(tmp_path / "news", {"a.txt": "a"})
    before = stored(root)
    cache = write_corpus(root / "index-cache", {"gen-1/articles.txt": "x"})
    (cache / "CACHEDIR.TAG").write_bytes(CACHE_SIGNATURE + b"\n")
    write_corpus(tmp_path / "elsewhere", {"b.txt": "b"})
    looked = look_at(
        root, *before, paths=[str(cache / "gen-1" / "articles.txt"), str(cache), str(tmp_path / "elsewhere")]
    )
    assert_same_as_a_walk(root, looked)
    assert not (looked.added or looked.changed or looked.removed)


def test_a_symlink_is_taken_as_the_walk_takes_it(tmp_path):
    root = write_corpus(tmp_path / "news", {"a.txt": "a", "folder/b.txt": "b"})
    write_corpus(tmp_path / "private", {"secret.txt": "s"})
    before = stored(root)
    os.symlink(root / "a.txt", root / "inside.txt")
    os.symlink(tmp_path / "private" / "secret.txt", root / "outside.txt")
    os.symlink(root / "folder", root / "linked")  # a symlinked folder is not followed
    looked = look_at(root, *before, paths=[str(root / name) for name in ("inside.txt", "outside.txt", "linked")])
    assert_same_as_a_walk(root, looked)
    assert looked.added == ("inside.txt",)


NAMES = st.sampled_from(["a.txt", "b.md", "c.txt", "d", "e.txt"])
FOLDERS = st.sampled_from(["", "x", "x/y", "z"])
OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["write", "delete", "rename", "move-folder", "mkdir"]), FOLDERS, NAMES, FOLDERS),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_any_changes_looked_at_by_the_paths_they_touch_equal_a_walk(tmp_path_factory, operations):
    root = write_corpus(tmp_path_factory.mktemp("corpus") / "c", {"a.txt": "a", "x/b.md": "b", "x/y/c.txt": "c"})
    spare = tmp_path_factory.mktemp("spare")
    before = stored(root)
    touched: list[Path] = []
    for step, (kind, folder, name, other) in enumerate(operations):
        path = root / folder / name
        target = root / other / name
        try:
            if kind == "write":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("x" * step)
            elif kind == "delete":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            elif kind == "rename":
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
            elif kind == "move-folder" and folder:
                shutil.move(root / folder, spare / f"gone{step}")  # out of the corpus
            elif kind == "mkdir":
                write_corpus(spare / f"new{step}", {"n.txt": "n", "m/o.md": "o"})
                shutil.move(spare / f"new{step}", path)  # in
        except OSError:
            continue  # nothing to delete or rename there, or a folder in the way: no change
        touched += [path, target, root / folder]
    looked = look_at(root, *before, paths=[str(path) for path in touched])
    assert_same_as_a_walk(root, looked)


def test_refresh_from_paths_equals_a_refresh_from_a_walk(tmp_path):
    root = write_corpus(
        tmp_path / "news", {f"s{n}.txt": f"Story {n}\n\nThe ferry number {n} sailed.\n" for n in range(4)}
    )
    index = askdoc.open(root)
    (root / "s1.txt").write_text("Story 1\n\nThe lighthouse keeper retired.\n")
    (root / "s2.txt").unlink()
    write_corpus(root / "more", {"t.md": "# Trams\n\nThe tram line opens in May.\n"})
    changes = index.changes(paths=[root / "s1.txt", root / "s2.txt", root / "more"])
    assert changes.summary() == "1 added, 1 changed, 1 removed"
    fresh = index.refresh(paths=[root / "s1.txt", root / "s2.txt", root / "more"])
    assert sorted(fresh.data.ids()) == ["more/t", "s0", "s1", "s3"]
    assert fresh.search("lighthouse")[0].article.id == "s1" and fresh.search("tram")[0].article.id == "more/t"
    assert not fresh.changes()  # a walk now finds nothing more to do
    assert fresh.refresh() is fresh
    assert index.refresh(paths=[root / "s0.txt"]) is index  # a path that did not change: nothing to do


def test_paths_relative_to_the_current_folder_name_the_files_they_name(tmp_path, monkeypatch):
    root = write_corpus(tmp_path / "news", {"s0.txt": "Story\n\nThe ferry sailed.\n"})
    index = askdoc.open(root)
    (root / "s0.txt").write_text("Story\n\nThe lighthouse keeper retired.\n")
    monkeypatch.chdir(tmp_path)
    assert index.changes(paths=["news/s0.txt"]).changed == ("s0.txt",)
    assert index.refresh(paths=[Path("news/s0.txt")]).search("lighthouse")[0].article.id == "s0"
