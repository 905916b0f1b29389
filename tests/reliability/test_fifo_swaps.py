"""A named pipe swapped in for an article after the walk listed it never hangs the writer (issue 19,
item 7): files are opened without blocking and checked on the open descriptor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import askdoc
from askdoc import store
from conftest import write_corpus

SWAP_AFTER_THE_WALK = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import askdoc
    from askdoc import opening

    root = Path(sys.argv[1])
    settled = opening._settled

    def walk_then_swap(*args):
        walk = settled(*args)
        (root / "b.txt").unlink()
        os.mkfifo(root / "b.txt")  # listed as a regular file, a pipe when it is read
        return walk

    opening._settled = walk_then_swap
    hits = askdoc.open(root).search("harbour pilot")
    print(hits[0].article.id)
""")


def test_a_fifo_swapped_in_for_an_article_mid_build_is_skipped_not_waited_on(tmp_path, isolated_cache):
    root = write_corpus(
        tmp_path / "corpus",
        {"a.txt": "Harbour\n\nThe harbour pilot spoke.", "b.txt": "Airport\n\nThe airport closed."},
    )
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    done = subprocess.run(
        [sys.executable, "-c", SWAP_AFTER_THE_WALK, str(root)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "a"
    assert "b.txt: not a regular file" in done.stderr
    folder = store.index_dir_for(root, isolated_cache)
    with store.write_lock(folder, wait=False):  # the lock is free: the writer finished
        pass


def test_a_fifo_named_cachedir_tag_in_the_corpus_does_not_hang_the_walk(tmp_path, isolated_cache):
    root = write_corpus(tmp_path / "corpus", {"sub/a.txt": "Harbour\n\nThe harbour pilot spoke."})
    os.mkfifo(root / "sub" / "CACHEDIR.TAG")
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    code = "import sys, askdoc; print(askdoc.open(sys.argv[1]).search('harbour pilot')[0].article.id)"
    done = subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "sub/a", done.stderr
    assert askdoc.open(root).n_articles == 1


SYMLINK_AFTER_THE_WALK = SWAP_AFTER_THE_WALK.replace(
    'os.mkfifo(root / "b.txt")  # listed as a regular file, a pipe when it is read',
    'os.symlink(sys.argv[2], root / "b.txt")  # listed as a regular file, a link out when it is read',
)


def test_a_symlink_out_of_the_corpus_swapped_in_after_the_walk_is_not_read(tmp_path, isolated_cache):
    root = write_corpus(
        tmp_path / "corpus",
        {"a.txt": "Harbour\n\nThe harbour pilot spoke.", "b.txt": "Airport\n\nThe airport closed."},
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("Private\n\nThe harbour pilot's password is swordfish.")
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    done = subprocess.run(
        [sys.executable, "-c", SYMLINK_AFTER_THE_WALK, str(root), str(secret)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "b.txt: replaced by another file while it was being indexed" in done.stderr
    index = askdoc.open(root, refresh=False)
    assert not index.search("password swordfish")  # the file out of the corpus was never read
    assert "skipped" in run_walk_warning(root)


def run_walk_warning(root) -> str:
    """What the next run says of the link (the walk skips links out of the corpus, with a warning)."""
    code = "import sys, askdoc; askdoc.open(sys.argv[1])"
    return subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=60).stderr
