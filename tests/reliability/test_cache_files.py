"""The index cache as an attacker leaves it: folders another user owns or may write in, symlinks planted
under askdoc's temporary names, FIFOs and devices in place of index files (issue 19, items 4 and 8)."""

from __future__ import annotations

import logging
import os
import resource
import subprocess

import pytest
from reliability_tools import askdoc_command

import askdoc
from askdoc import store
from conftest import write_corpus

NOBODY = 65534


def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", {"a.txt": "Budget\n\nThe minister presented the budget."})


def victim(tmp_path):
    """A file of this user's that the attacker wants overwritten."""
    path = tmp_path / "victim.conf"
    path.write_text("precious\n")
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_cache_folder_owned_by_another_user_is_not_used_and_its_planted_symlinks_not_followed(tmp_path, caplog):
    root, target = corpus(tmp_path), victim(tmp_path)
    folder = store.index_dir_for(root, askdoc.opening.cache_root())
    folder.mkdir(parents=True)
    for path in (folder.parent, folder):
        os.chown(path, NOBODY, NOBODY)
        path.chmod(0o777)
    (folder / f"CURRENT.tmp-{os.getpid()}").symlink_to(target)  # what `nobody` plants, for every pid
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert target.read_text() == "precious\n"
    assert "belongs to another user (uid 65534)" in caplog.text and "answering from memory" in caplog.text
    assert index.search("minister budget")[0].article.id == "a"
    assert sorted(p.name for p in folder.iterdir()) == [f"CURRENT.tmp-{os.getpid()}"]  # nothing written there


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_cache_root_another_user_owns_and_may_rename_in_is_not_used(tmp_path, caplog, monkeypatch):
    root = corpus(tmp_path)
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    os.chown(cache, NOBODY, NOBODY)
    cache.chmod(0o777)  # not sticky: nobody may rename askdoc's folders in it and put its own in their place
    monkeypatch.setenv("ASKDOC_CACHE_DIR", str(cache))
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert "shared-cache belongs to another user (uid 65534)" in caplog.text
    assert index.search("minister budget")[0].article.id == "a" and not any(cache.iterdir())


def test_a_cache_folder_of_this_user_others_may_write_in_is_made_private_and_rebuilt(tmp_path, caplog):
    root = corpus(tmp_path)
    folder = askdoc.open(root).location
    folder.parent.chmod(0o777)
    planted = store.current_generation(folder) / "texts.bin"  # what another user could have rewritten
    planted.write_bytes(planted.read_bytes().replace(b"minister", b"ministry"))
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert "(mode 777) could be written by other users: made private, and its index is rebuilt" in caplog.text
    assert (folder.parent.stat().st_mode & 0o777) == 0o700 and (folder.stat().st_mode & 0o777) == 0o700
    assert index.search("minister budget")[0].quote.text == "The minister presented the budget."
    assert store.load(folder) is not None


def test_symlinks_planted_under_askdocs_own_names_are_never_followed(tmp_path):
    root, target = corpus(tmp_path), victim(tmp_path)
    index = askdoc.open(root)
    folder = index.location
    pid = os.getpid()
    (folder / f"CURRENT.tmp-{pid}").symlink_to(target)
    (folder / f"gen-000002.tmp-{pid}").symlink_to(tmp_path)  # a folder of the user's: never emptied
    (folder.parent / "CACHEDIR.TAG").unlink()
    (folder.parent / "CACHEDIR.TAG").symlink_to(target)
    (root / "b.txt").write_text("Oil\n\nOil prices rose.")
    refreshed = askdoc.open(root)
    assert target.read_text() == "precious\n" and (tmp_path / "victim.conf").exists()
    assert store.current_generation(folder).name == "gen-000002"  # committed all the same
    assert refreshed.search("oil prices")[0].article.id == "b"


def test_a_symlinked_lock_file_is_not_followed(tmp_path, caplog):
    root, target = corpus(tmp_path), victim(tmp_path)
    folder = askdoc.open(root).location
    (folder / "lock").unlink()
    (folder / "lock").symlink_to(tmp_path / "new-file-the-attacker-wants")
    (root / "b.txt").write_text("Oil\n\nOil prices rose.")
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        refreshed = askdoc.open(root)
    assert not (tmp_path / "new-file-the-attacker-wants").exists()
    assert refreshed.search("oil prices")[0].article.id == "b" and "answering from memory" in caplog.text
    assert target.read_text() == "precious\n"


def limited_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # without the fix, /dev/zero fills memory


def special(kind: str):
    def make(path):
        path.unlink(missing_ok=True)
        if kind == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero")

    return make


@pytest.mark.parametrize("name", ["meta.json", "texts.bin", "post_doc.npy", "CURRENT"])
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_fifos_and_devices_in_place_of_index_files_never_hang_or_fill_memory(tmp_path, isolated_cache, name, kind):
    root = corpus(tmp_path)
    folder = askdoc.open(root).location
    where = folder if name == "CURRENT" else store.current_generation(folder)
    special(kind)(where / name)
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    done = subprocess.run(
        askdoc_command("query", "--corpus", str(root), "minister budget"),
        env=env, capture_output=True, text=True, timeout=60, preexec_fn=limited_memory,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "The minister presented the budget." in done.stdout
    if name != "CURRENT":  # (a CURRENT that names nothing is no index yet: built afresh, no warning)
        assert "rebuilding it" in done.stderr
    assert store.load(folder) is not None  # rebuilt and committed
