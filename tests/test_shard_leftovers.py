"""The index askdoc no longer uses is removed once the other is committed: one index after the shards were
built, the shards after going back to one index; never under a writer at work, never from under a reader."""

from __future__ import annotations

from pathlib import Path

import askdoc
from askdoc import store
from askdoc.opening import cache_root, open_index
from askdoc.shards import open_sharded, shard_folder
from shard_corpus import write_corpus


def _generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("gen-")) if folder.is_dir() else []


def _corpus(tmp_path: Path) -> tuple[Path, list[str], Path]:
    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=30, seed=17)
    return root, questions, store.index_dir_for(root.resolve(), cache_root())


def test_building_shards_removes_the_one_index_unless_a_writer_is_at_work(tmp_path):
    root, questions, one_folder = _corpus(tmp_path)
    one = open_index(root)
    expected = [
        (h.article.id, h.passage.paragraph, h.quote.text if h.quote else None) for h in one.search(questions[0])
    ]
    assert _generations(one_folder)

    with store.write_lock(one_folder):  # another askdoc writing the one index: it is left alone
        open_sharded(root, 3)
    assert store.current_generation(one_folder) is not None and _generations(one_folder)

    open_sharded(root, 3)  # the next opening of the shards removes it
    assert store.current_generation(one_folder) is None and not _generations(one_folder)
    assert all(_generations(shard_folder(root, n)) for n in range(3))
    # a process that had loaded it answers on, quotes and all, from what it mapped
    assert [
        (h.article.id, h.passage.paragraph, h.quote.text if h.quote else None) for h in one.search(questions[0])
    ] == expected
    assert one.article(expected[0][0]).text


def test_going_back_to_one_index_removes_the_shards_once_it_is_committed(tmp_path):
    root, questions, one_folder = _corpus(tmp_path)
    sharded = open_sharded(root, 3)
    expected = [(h.article.id, h.passage.paragraph) for h in sharded.search(questions[0])]
    assert all(_generations(shard_folder(root, n)) for n in range(3))
    with store.write_lock(shard_folder(root, 1)):  # another askdoc writing shard 1: it stays, the others go
        again = askdoc.open(root, shards=1)  # one index again: committed, then the shards go
    assert again.saved and store.current_generation(one_folder) is not None
    assert [bool(_generations(shard_folder(root, n))) for n in range(3)] == [False, True, False]
    askdoc.open(root)  # the next opening of the one index removes what was left
    assert not any(_generations(shard_folder(root, n)) for n in range(3))
    assert all(store.current_generation(shard_folder(root, n)) is None for n in range(3))
    assert [(h.article.id, h.passage.paragraph) for h in sharded.search(questions[0])] == expected  # answers on
    assert askdoc.open(root).search(questions[0])[0].article.id == expected[0][0]  # opened as one index now
    assert not hasattr(askdoc.open(root), "shards")
