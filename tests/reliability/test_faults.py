"""Files changing under the indexer, a full disk, a read-only cache: no crash, old index intact, answers."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import random
import subprocess
import threading
import time

import numpy as np
import pytest
from reliability_tools import assert_same_as_clean_build, generations, leftovers, run_askdoc, write_articles

import askdoc
from askdoc import merging, store


def test_files_deleted_truncated_and_rewritten_while_being_indexed(tmp_path, monkeypatch, caplog):
    root = write_articles(tmp_path / "corpus", 40)
    files = sorted(root.rglob("*.txt"))
    original = merging.read_articles

    def meddling_read(file):
        if file.path == files[0]:  # while the first file is read, others change under the indexer
            files[10].unlink()
            files[11].write_text("")  # truncated to nothing
            with open(files[12], "r+b") as handle:
                handle.truncate(7)  # cut mid-word
            files[13].write_text("Rewritten\n\nThe harbour festival was rewritten entirely.")
            files[14].write_bytes(b"\x00\x01 now binary")
        return original(file)

    monkeypatch.setattr(merging, "read_articles", meddling_read)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert files[10].name in caplog.text and files[11].name in caplog.text and files[14].name in caplog.text
    assert index.search("harbour festival")[0].article.id.endswith(files[13].stem)
    monkeypatch.setattr(merging, "read_articles", original)
    assert_same_as_clean_build(askdoc.open(root), root)  # the next refresh is correct


@pytest.mark.slow
def test_a_real_concurrent_editor_never_crashes_the_indexer(tmp_path):
    """Another thread edits, deletes and recreates files while the index is refreshed again and again."""
    root = write_articles(tmp_path / "corpus", 150)
    stop = threading.Event()

    def editor():
        rng = random.Random(3)
        paths = sorted(root.rglob("*.txt"))
        while not stop.is_set():
            path = rng.choice(paths)
            action = rng.random()
            with contextlib.suppress(OSError):
                if action < 0.4:
                    with open(path, "a") as handle:
                        handle.write("\n\nMore about the harbour and the minister." * rng.randint(1, 3))
                elif action < 0.6:
                    path.unlink()
                elif action < 0.8:
                    with open(path, "r+b") as handle:
                        handle.truncate(rng.randint(0, 50))
                else:
                    path.write_text(f"Back\n\nA story rewritten {rng.random()}.")

    thread = threading.Thread(target=editor, daemon=True)
    thread.start()
    try:
        opened = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with contextlib.suppress(askdoc.CorpusError):  # every file may be empty at that moment
                askdoc.open(root).search("minister harbour")
            opened += 1
    finally:
        stop.set()
        thread.join()
    assert opened >= 2
    time.sleep(0.05)  # past the file system's timestamp tick: the last edits have their own mtime
    assert_same_as_clean_build(askdoc.open(root), root)


# -- a full disk -------------------------------------------------------------------------------


@contextlib.contextmanager
def tiny_filesystem(path, size="1m"):
    """A small tmpfs mounted at ``path`` (needs root); skips the test where mounting is not allowed."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_keeps_the_old_index_and_answers_from_memory(tmp_path, monkeypatch):
    """A real 1 MB file system fills up while the next generation is written."""
    with tiny_filesystem(tmp_path / "cache") as cache:
        monkeypatch.setenv("ASKDOC_CACHE_DIR", str(cache))
        root = write_articles(tmp_path / "corpus", 30)
        first = askdoc.open(root)
        gen = store.current_generation(first.location)
        before = {p.name: p.read_bytes() for p in gen.iterdir()}
        rng = random.Random(5)
        words = "harbour festival minister budget river bridge".split()
        big = " ".join(rng.choice(words) for _ in range(300_000))  # ~2 MB of text: cannot fit
        (root / "big.txt").write_text(f"Big\n\n{big}\n")
        result = run_askdoc("query", "--corpus", str(root), "harbour festival", cache=cache)
        assert result.returncode == 0 and "Big" in result.stdout  # answered from memory
        assert "No space left on device" in result.stderr and "answering from memory" in result.stderr
        assert "Traceback" not in result.stderr
        assert store.current_generation(first.location) == gen  # the old index is intact
        assert {p.name: p.read_bytes() for p in gen.iterdir()} == before
        assert leftovers(first.location) == [] and generations(first.location) == [gen.name]
        (root / "big.txt").unlink()  # space again: the next run is a no-op on the old index
        assert_same_as_clean_build(askdoc.open(root), root)


@pytest.mark.parametrize("failing_call", [1, 5, 19])
def test_disk_full_at_any_write_leaves_no_trace(tmp_path, monkeypatch, caplog, failing_call):
    """The same without root: the n-th array write fails with ENOSPC."""
    root = write_articles(tmp_path / "corpus", 20)
    first = askdoc.open(root)
    gen = store.current_generation(first.location)
    expected = [(h.article.id, h.passage.start) for h in first.search("minister budget", k=10)]
    calls = []
    real_save = np.lib.format.write_array

    def save_until_full(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_save(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", save_until_full)
    (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert "No space left on device" in caplog.text
    assert index.search("harbour festival")[0].article.id == "late"
    assert store.current_generation(first.location) == gen and leftovers(first.location) == []
    monkeypatch.setattr(np, "save", real_save)
    old = askdoc.Index(store.load(first.location))
    assert [(h.article.id, h.passage.start) for h in old.search("minister budget", k=10)] == expected


def test_a_read_only_cache_keeps_its_index_and_answers_changes_from_memory(tmp_path, monkeypatch):
    with tiny_filesystem(tmp_path / "cache", size="16m") as cache:
        monkeypatch.setenv("ASKDOC_CACHE_DIR", str(cache))
        root = write_articles(tmp_path / "corpus", 30)
        folder = askdoc.open(root).location
        gen = store.current_generation(folder)
        subprocess.run(["mount", "-o", "remount,ro", str(cache)], check=True)
        unchanged = run_askdoc("query", "--corpus", str(root), "minister budget", cache=cache)
        assert unchanged.returncode == 0 and unchanged.stderr == ""  # reading needs no writing
        (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
        changed = run_askdoc("query", "--corpus", str(root), "harbour festival", cache=cache)
        assert changed.returncode == 0 and "Late" in changed.stdout
        assert "Read-only file system" in changed.stderr and "answering from memory" in changed.stderr
        assert changed.stderr.count("\n") == 1  # one clear line
        assert store.current_generation(folder) == gen and store.load(folder) is not None
        indexed = run_askdoc("index", "--corpus", str(root), cache=cache)  # its job is saving: it fails
        assert indexed.returncode == 2 and "the index was built but could not be saved" in indexed.stderr
