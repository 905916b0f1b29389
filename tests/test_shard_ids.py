"""Articles whose files would share an id (notes.md beside notes.txt) have in shards the ids one index gives them,
also when the colliding files sit in different shards, and after refreshes that add, delete or edit one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from askdoc.cli import cli
from askdoc.opening import open_index
from askdoc.shards import open_sharded, shard_of
from shard_corpus import write_corpus

SHARED = "Volodin warned the harbour council about the flood barrier and its cost."
COUNT = 3


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


@pytest.fixture
def news(tmp_path, monkeypatch) -> tuple[Path, Path, Path]:
    """A corpus with colliding names in different shards; the caches of one index and of the shards, apart
    (each keeps its own history of refreshes, which is what decides who keeps a contested id)."""
    root = tmp_path / "news"
    write_corpus(root, n_articles=24, seed=13)
    _write(root, "notes.md", "# Harbour notes\n\nThe harbour master counted seagulls.\n\n" + SHARED + "\n")
    _write(root, "notes.txt", "Plain notes\n\nThe lighthouse keeper counted ferries.\n\n" + SHARED + "\n")
    records = [{"id": "x", "title": "Record x", "text": "A dataset record about the tidal gauge readings."},
               {"id": "y", "title": "Record y", "text": "Another record about the pier lamps."}]  # fmt: skip
    _write(root, "data.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    _write(root, "data/x.txt", "File x\n\nA plain file about the tidal gauge and its keeper.\n")
    _write(root, "b/notes.txt", "Bay notes\n\nThe bay ferry timetable changed in spring.\n")
    assert len({shard_of(rel, COUNT) for rel in ("notes.md", "notes.txt")}) == 2  # the test's point: apart
    assert len({shard_of(rel, COUNT) for rel in ("data.jsonl", "data/x.txt")}) == 2
    assert len({shard_of(rel, COUNT) for rel in ("b/notes.md", "b/notes.txt")}) == 2
    return root, tmp_path / "cache-one", tmp_path / "cache-shards"


def _both(root: Path, caches: tuple[Path, Path], monkeypatch, changed: list[Path] | None = None):
    """One index and the shards, each refreshed (``changed``: the shards told the paths, as file events name them)."""
    one_cache, shards_cache = caches
    monkeypatch.setenv("ASKDOC_CACHE_DIR", str(one_cache))
    one = open_index(root)
    monkeypatch.setenv("ASKDOC_CACHE_DIR", str(shards_cache / "rebuilt"))
    rebuilt = open_index(root, rebuild=True)
    monkeypatch.setenv("ASKDOC_CACHE_DIR", str(shards_cache))
    sharded = open_sharded(root, COUNT, changed=changed)
    _same_ids(one, sharded, rebuilt)
    return one, sharded


QUESTIONS = ["what did Volodin warn about the flood barrier?", "who counted seagulls?", "lighthouse keeper ferries",
             "tidal gauge readings", "bay ferry timetable", "pier lamps", "harbour notes"]  # fmt: skip


def _same_ids(one, sharded, rebuilt) -> None:
    """Every article of the shards has one index's id (``one``, refreshed as the shards were); their hits are a
    rebuilt index's (whose article order, and so whose ties, a refresh does not keep), named by those ids."""
    rows = sorted((row["file"], row["id"], row["title"]) for row in one.catalog())
    assert sorted((row["file"], row["id"], row["title"]) for row in sharded.catalog()) == rows
    ids = [row[1] for row in rows]
    assert len(set(ids)) == len(ids)  # one index's ids are unique: so must the shards' be
    assert sorted(a.id for a in sharded.articles()) == sorted(ids)
    for article_id in ids:
        a, b = one.article(article_id), sharded.article(article_id)
        assert (b.id, b.path, b.text) == (a.id, a.path, a.text), article_id
    named = {(row["file"], row["title"]): row["id"] for row in one.catalog()}
    renamed = {row["id"]: named[row["file"], row["title"]] for row in rebuilt.catalog()}
    for question in QUESTIONS:
        a, b = rebuilt.search(question, k=5), sharded.search(question, k=5)
        expected = [(renamed[h.article.id], h.passage.paragraph, round(h.score, 9), tuple(renamed[i] for i in h.also_in))
                    for h in a]  # fmt: skip
        assert [(h.article.id, h.passage.paragraph, round(h.score, 9), h.also_in) for h in b] == expected, question
        if renamed == {i: i for i in renamed}:
            assert b.to_json() == a.to_json(), question


def _shown(root: Path, article_id: str) -> str:
    result = CliRunner().invoke(cli, ["--corpus", str(root), "show", article_id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_colliding_names_in_different_shards_get_one_index_ids(news, monkeypatch):
    root, *caches = news
    one, sharded = _both(root, caches, monkeypatch)
    ids = {row["file"]: row["id"] for row in one.catalog()}
    assert (ids["notes.md"], ids["notes.txt"]) == ("notes", "notes.txt")  # the first in a walk keeps the short id
    assert (ids["data.jsonl"], ids["data/x.txt"]) != ("data/x", "data/x")
    also = [h.also_in for h in sharded.search(QUESTIONS[0], k=3) if h.article.id == "notes"]
    assert also == [("notes.txt",)]  # the copy in the other shard, named by its own id
    assert "seagulls" in _shown(root, "notes") and "ferries" in _shown(root, "notes.txt")  # askdoc show, on the shards


def test_a_refresh_that_adds_deletes_or_edits_a_colliding_file_keeps_one_index_ids(news, monkeypatch):
    root, *caches = news
    _both(root, caches, monkeypatch)
    # added: b/notes.md comes before b/notes.txt in a walk, but b/notes.txt was there first and keeps "b/notes"
    _write(root, "b/notes.md", "# Bay notes again\n\nThe bay pier lamps were repaired.\n")
    one, sharded = _both(root, caches, monkeypatch)
    assert {row["file"]: row["id"] for row in one.catalog()}["b/notes.md"] == "b/notes.md"
    assert "ferry timetable" in _shown(root, "b/notes") and "repaired" in _shown(root, "b/notes.md")
    # deleted: the holder of "notes"; notes.txt keeps its id, as in one index
    (root / "notes.md").unlink()
    one, sharded = _both(root, caches, monkeypatch)
    # edited: read again, notes.txt takes the short id that is free now
    _write(root, "notes.txt", "Plain notes\n\nThe lighthouse keeper counted ferries twice.\n\n" + SHARED + "\n")
    one, sharded = _both(root, caches, monkeypatch)
    assert {row["file"]: row["id"] for row in one.catalog()}["notes.txt"] == "notes"
    # both added again in one refresh, in different shards: the first in a walk keeps the short id
    _write(root, "c/memo.md", "# Memo\n\nThe quay crane was inspected.\n")
    _write(root, "c/memo.txt", "Memo\n\nThe quay crane failed its inspection.\n")
    assert shard_of("c/memo.md", COUNT) != shard_of("c/memo.txt", COUNT)
    one, sharded = _both(root, caches, monkeypatch, changed=[root / "c"])  # told by file events: the same
    assert {row["file"]: row["id"] for row in one.catalog()}["c/memo.md"] == "c/memo"
