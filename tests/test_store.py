"""Persistence: saved without pickle, reused, refreshed incrementally, recovered when damaged."""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest

import askdoc
from askdoc import store
from askdoc.store import checks
from conftest import reseal, write_corpus


def answers(index, question="minister budget"):
    return [(h.article.id, h.passage.start, round(h.score, 6)) for h in index.search(question, k=10)]


def make_corpus(tmp_path):
    return write_corpus(
        tmp_path / "news",
        {
            "a.txt": "Budget day\n\nThe minister presented the budget.\n\nTaxes rise.",
            "b.txt": "Match report\n\nThe coach praised the team.",
            "sub/c.md": "---\ntitle: Notes\ndate: 2024-01-02\n---\n\nThe minister resigned over the budget.",
        },
    )


def test_index_is_saved_without_pickle_and_reused(tmp_path, isolated_cache):
    root = make_corpus(tmp_path)
    first = askdoc.open(root)
    gen = store.current_generation(first.location)
    assert gen is not None and (gen / "post_doc.npy").exists()
    for npy in gen.glob("*.npy"):
        np.load(npy, allow_pickle=False)  # raises if anything were pickled
    second = askdoc.open(root)
    assert store.current_generation(second.location) == gen  # nothing changed: nothing rewritten
    assert answers(first) == answers(second)


def test_refresh_after_edit_addition_and_deletion_equals_a_clean_build(tmp_path, isolated_cache):
    root = make_corpus(tmp_path)
    askdoc.open(root)
    (root / "a.txt").write_text("Budget day\n\nThe minister withdrew the budget entirely.")
    (root / "b.txt").unlink()
    (root / "d.txt").write_text("Late news\n\nA new minister and a new budget.")
    refreshed = askdoc.open(root)
    assert sorted(a.id for a in refreshed.articles()) == ["a", "d", "sub/c"]
    assert "withdrew" in refreshed.search("withdrew")[0].quote.text
    assert refreshed.search("coach") == []
    clean = askdoc.open(root, rebuild=True)
    assert sorted(answers(refreshed)) == sorted(answers(clean))
    for hit in refreshed.search("minister budget", k=10):
        assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text


def test_a_corpus_folder_deleted_under_an_open_index_is_its_files_removed_and_a_refresh_says_so(tmp_path):
    import shutil

    root = write_corpus(tmp_path / "c", {"a.txt": "A\n\nThe walrus sleeps.", "b/c.txt": "C\n\nThe seal swims."})
    index = askdoc.open(root)
    shutil.rmtree(root)
    assert index.changes().removed == ("a.txt", "b/c.txt")
    with pytest.raises(askdoc.CorpusError, match="does not exist"):
        index.refresh()


def test_a_file_that_could_not_be_opened_is_read_once_it_can_be_though_chmod_changes_no_stamp(tmp_path, monkeypatch):
    from askdoc import changes

    root = write_corpus(tmp_path / "c", {"a.txt": "A\n\nThe walrus sleeps.", "locked.txt": "L\n\nThe secret quokka."})
    real_open = os.open

    def locked_open(path, *args, **kwargs):
        if str(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", locked_open)  # where formats opens article files (root reads anything)
    index = askdoc.open(root)
    assert index.skipped() == {"locked.txt": "Permission denied"}
    monkeypatch.setattr(os, "open", real_open)  # chmod 644: the same size and time
    monkeypatch.setattr(changes.os, "access", lambda path, mode: False)
    assert not index.changes() and askdoc.open(root).skipped()  # still not openable: nothing to do
    monkeypatch.undo()
    assert index.changes().changed == ("locked.txt",)
    fresh = askdoc.open(root)
    assert fresh.skipped() == {} and fresh.search("secret quokka")[0].article.id == "locked"


def test_refresh_keeps_unchanged_articles_without_reading_them(tmp_path, monkeypatch):
    root = make_corpus(tmp_path)
    askdoc.open(root)
    (root / "e.txt").write_text("Extra\n\nAn extra article.")
    read = []
    import askdoc.merging as merging

    original = merging.read_articles
    monkeypatch.setattr(merging, "read_articles", lambda f: read.append(f.rel) or original(f))
    askdoc.open(root)
    assert read == ["e.txt"]


def test_corrupted_index_file_is_detected_and_rebuilt(tmp_path, caplog):
    root = make_corpus(tmp_path)
    index = askdoc.open(root)
    expected = answers(index)
    gen = store.current_generation(index.location)
    with open(gen / "post_doc.npy", "r+b") as handle:
        handle.truncate(100)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        again = askdoc.open(root)
    assert "rebuilding" in caplog.text
    assert answers(again) == expected


def test_garbage_in_tables_or_older_format_is_rebuilt(tmp_path, caplog):
    root = make_corpus(tmp_path)
    index = askdoc.open(root)
    expected = answers(index)
    gen = store.current_generation(index.location)
    meta = json.loads((gen / "meta.json").read_text())
    meta["format"] = 0
    (gen / "meta.json").write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert answers(askdoc.open(root)) == expected
    assert "format" in caplog.text
    gen = store.current_generation(index.location)
    size = (gen / "articles.jsonl").stat().st_size
    (gen / "articles.jsonl").write_bytes(b"{not json" + b" " * (size - 9))  # same size: only reading tells
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert answers(askdoc.open(root)) == expected
    assert "articles.jsonl fails its checksum" in caplog.text
    gen = store.current_generation(index.location)
    (gen / "articles.jsonl").write_bytes(b"{not json" + b" " * (size - 9))
    reseal(gen)  # the checksums say nothing: the sampled lines must
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert answers(askdoc.open(root)) == expected
    assert "metadata is damaged" in caplog.text


def test_an_index_of_an_older_askdoc_is_rebuilt_as_such_and_a_newer_or_strange_format_as_unusable(tmp_path, caplog):
    root = make_corpus(tmp_path)
    index = askdoc.open(root)
    expected = answers(index)
    for found, said in ((store.FORMAT_VERSION - 1, "was made by an older askdoc"), (store.FORMAT_VERSION + 1, "is unusable"),
                        ("8", "is unusable"), (True, "is unusable")):  # fmt: skip
        gen = store.current_generation(index.location)
        meta = json.loads((gen / "meta.json").read_text())
        meta["format"] = found
        (gen / "meta.json").write_text(json.dumps(meta))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="askdoc"):
            assert answers(askdoc.open(root)) == expected
        assert said in caplog.text and f"index format {found!r}"[:14] in caplog.text, (found, caplog.text)


def test_out_of_range_postings_are_not_trusted(tmp_path, caplog):
    root = make_corpus(tmp_path)
    index = askdoc.open(root)
    gen = store.current_generation(index.location)
    post_doc = np.load(gen / "post_doc.npy")
    post_doc[0] = 10**6
    np.save(gen / "post_doc.npy", post_doc, allow_pickle=False)
    reseal(gen)  # the range check, not the checksum, must catch it
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert answers(askdoc.open(root)) == answers(index)
    assert "rebuilding" in caplog.text


def test_no_temporary_files_are_left_behind(tmp_path):
    root = make_corpus(tmp_path)
    index = askdoc.open(root)
    (root / "a.txt").write_text("Changed\n\nText.")
    askdoc.open(root)
    names = sorted(p.name for p in index.location.iterdir())
    assert len([n for n in names if n.startswith("gen-")]) == 1
    assert not [n for n in names if "tmp" in n]


def test_read_only_cache_still_answers_from_memory(tmp_path, monkeypatch, caplog):
    if os.geteuid() == 0:
        # root ignores permissions: make the cache path unusable another way
        blocker = tmp_path / "blocker"
        blocker.write_text("a file where the cache folder should be")
        monkeypatch.setenv("ASKDOC_CACHE_DIR", str(blocker / "cache"))
    else:
        cache = tmp_path / "ro"
        cache.mkdir()
        cache.chmod(0o500)
        monkeypatch.setenv("ASKDOC_CACHE_DIR", str(cache))
    root = make_corpus(tmp_path)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert index.search("minister")
    assert "answering from memory" in caplog.text


def test_read_only_corpus_works_and_is_never_written(tmp_path):
    root = make_corpus(tmp_path)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for path in root.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    root.chmod(0o555)
    try:
        assert askdoc.open(root).search("minister")
        assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_refreshes_keep_each_article_tied_to_its_file_and_id(tmp_path):
    root = make_corpus(tmp_path)
    askdoc.open(root)
    (root / "a.txt").write_text("Budget day\n\nThe minister cut the budget again.", encoding="utf-8")
    (root / "b.txt").unlink()
    (root / "sub" / "e.txt").write_text("Extra\n\nAn extra article about the budget.", encoding="utf-8")
    index = askdoc.open(root)
    (root / "sub" / "c.md").write_text("# Notes\n\nThe minister stayed.", encoding="utf-8")
    index = askdoc.open(root)
    data = store.load(index.location)
    rels = data.files.rels()
    assert rels == ["a.txt", "sub/c.md", "sub/e.txt"]
    for number, meta in enumerate(data.articles):
        assert rels[data.article_files[number]] == meta["rel"]
        assert data.article_ids[number] == meta["id"]
    assert sorted(data.article_ids) == ["a", "sub/c", "sub/e"]
    assert answers(index) == answers(askdoc.open(root, rebuild=True))


def test_a_refresh_splices_new_terms_and_stems_into_the_stored_tables(tmp_path):
    root = make_corpus(tmp_path)
    askdoc.open(root)
    (root / "z.txt").write_text("Zebras\n\nAardvarks and zebras outran the quokkas; mangoes ripened.", encoding="utf-8")
    refreshed = askdoc.open(root)
    data = store.load(refreshed.location)
    vocab = list(data.vocab)
    assert {"zebra", "aardvark", "quokka"} <= set(vocab)
    assert [data.vocab.find(term) for term in vocab] == list(range(len(vocab)))
    assert data.vocab.find("no-such-term") is None
    words = list(data.stems.pairs)[0::2]
    assert words == sorted(words, key=lambda w: w.encode("utf-8", "surrogatepass"))
    assert data.stems.all() == askdoc.open(root, rebuild=True).data.stems
    assert data.stems.get("aardvarks") == "aardvark" and data.stems.get("ripened") == "ripen"
    assert answers(refreshed, "zebras quokkas") == answers(askdoc.open(root, rebuild=True), "zebras quokkas")


def test_pointers_that_run_backwards_are_caught_across_the_chunks_they_are_checked_in(monkeypatch):
    for rows in (1, 2, 3, 1 << 15):
        monkeypatch.setattr(checks, "CHECK_ROWS", rows)
        growing = np.arange(0, 20, 2, dtype=np.int64)
        assert checks._grows(growing) and checks._grows(growing, 2) and not checks._grows(growing, 3)
        for place in range(1, len(growing)):
            bad = growing.copy()
            bad[place] = bad[place - 1] - 1  # steps back right at, before or after a chunk boundary
            assert not checks._grows(bad), (rows, place)
        assert checks._any(10, lambda r: np.arange(10)[r] == 9)  # the last row is asked too
        assert not checks._any(10, lambda r: np.arange(10)[r] > 9)
