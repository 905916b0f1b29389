"""A build's texts wait in an unnamed temporary file, not in memory, and come out the same as kept in memory."""

from __future__ import annotations

import numpy as np
import pytest

import askdoc
from askdoc import store
from askdoc.analysis import Analyzer
from askdoc.build import Builder, Terms
from askdoc.store import files
from askdoc.texts import TextBuffer
from conftest import synthetic_articles, write_corpus

TEXTS = [b"first text", "caf\u00e9 \u2013 second".encode(), b"", b"x" * 70_000, b"last"]


def fill(buffer: TextBuffer) -> TextBuffer:
    buffer.add(TEXTS[0])
    buffer.add(memoryview(TEXTS[1]))
    together = b"".join(TEXTS[2:])
    buffer.add_many(together, np.array([len(t) for t in TEXTS[2:]]))
    return buffer


def test_spilled_texts_equal_texts_kept_in_memory_and_leave_no_file(tmp_path):
    kept, spilled = fill(TextBuffer()), fill(TextBuffer(tmp_path))
    assert list(spilled.lengths) == list(kept.lengths) == [len(t) for t in TEXTS]
    in_memory, mapped = kept.finished(), spilled.finished()
    assert isinstance(in_memory, bytearray) and bytes(in_memory) == b"".join(TEXTS)
    assert isinstance(mapped, np.ndarray) and not mapped.flags.writeable and bytes(mapped) == b"".join(TEXTS)
    assert files.mapping(mapped) is not None  # a memory map, not a copy
    assert list(tmp_path.iterdir()) == []  # the file never had a name


def test_a_spill_file_that_fails_carries_on_in_memory_with_everything_written_so_far(tmp_path):
    buffer = TextBuffer(tmp_path)
    buffer.add(TEXTS[0])
    real_write, calls = buffer._file.write, []

    def write_part_then_fail(data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(data[:3])  # a short write, then the disk is full
        raise OSError(28, "No space left on device")

    buffer._file.write = write_part_then_fail
    buffer.add(TEXTS[1])
    buffer.add(TEXTS[3])
    assert bytes(buffer.finished()) == TEXTS[0] + TEXTS[1] + TEXTS[3]


def test_a_build_with_its_texts_spilled_equals_one_in_memory_and_saves_the_same(tmp_path, monkeypatch):
    articles = synthetic_articles(40, seed=3)
    built = []
    for spill_to in (None, tmp_path):
        builder = Builder(Analyzer(), spill_to=spill_to)
        for article in articles:
            builder.add(article)
        built.append(builder.finish())
    in_memory, spilled = built
    assert bytes(spilled.texts) == bytes(in_memory.texts)
    assert all(np.array_equal(spilled.arrays[name], in_memory.arrays[name]) for name in in_memory.arrays)
    monkeypatch.setattr(files, "WRITE_PIECE", 4096)  # the mapped texts written in many pieces
    store.save(tmp_path / "index", spilled)
    assert bytes(store.load(tmp_path / "index").texts) == bytes(in_memory.texts)


def test_a_part_merged_from_another_builder_equals_the_same_articles_added_here():
    articles = synthetic_articles(30, seed=8)
    direct, merged, worker = Builder(Analyzer()), Builder(Analyzer()), Builder(Analyzer())
    for article in articles:
        direct.add(article)
    for article in articles[:10]:
        merged.add(article)
    for article in articles[10:]:
        worker.add(article)
    merged.merge(worker.part())
    a, b = direct.finish(), merged.finish()
    assert bytes(a.texts) == bytes(b.texts) and a.articles == b.articles
    for name in a.arrays:  # term ids differ (each builder numbers its own); the terms they stand for do not
        if name not in ("f_term", "f_tf", "df", "t_max", "t_ptr", "post_doc", "post_tf", "post_impact"):
            assert np.array_equal(a.arrays[name], b.arrays[name]), name
    assert forward_rows(a) == forward_rows(b)


def test_parts_of_one_worker_share_its_terms_and_merge_in_order_to_the_same_index(monkeypatch):
    """A worker keeps one Terms for all its chunks: each distinct token is analysed once, and each part
    brings only the terms new since the part before it."""
    articles = synthetic_articles(30, seed=9)
    analysed: list[str] = []
    analyzer = Analyzer()
    real = analyzer.analyse_token
    monkeypatch.setattr(analyzer, "analyse_token", lambda token: analysed.append(token) or real(token))
    terms = Terms(analyzer)
    parts = []
    for chunk in (articles[:10], articles[10:20], articles[20:]):
        builder = Builder(analyzer, terms=terms)
        for article in chunk:
            builder.add(article)
        parts.append(builder.part())
    assert len(analysed) == len(set(analysed))  # no token analysed again in a later chunk
    assert sum(len(part["vocab"]) for part in parts) == len(terms.vocab)  # no term sent twice
    direct, merged = Builder(Analyzer()), Builder(Analyzer())
    for article in articles:
        direct.add(article)
    for part in parts:
        merged.merge(part)
    a, b = direct.finish(), merged.finish()
    assert a.articles == b.articles and forward_rows(a) == forward_rows(b)
    out_of_order = Builder(Analyzer())
    with pytest.raises(ValueError, match="part starts at term"):
        out_of_order.merge(parts[1])  # its term ids refer to terms numbered in parts[0]


def forward_rows(data) -> set[tuple[int, str, int]]:
    """(passage, term, tf) of every forward-index row."""
    passages = np.repeat(np.arange(data.n_passages), np.diff(data.arrays["f_ptr"]))
    return {
        (int(p), data.vocab[int(t)], int(tf)) for p, t, tf in zip(passages, data.arrays["f_term"], data.arrays["f_tf"])
    }


def test_building_a_corpus_leaves_nothing_but_its_generation_in_the_index_folder(tmp_path):
    files = {f"{a.id}.txt": f"{a.title}\n\n{a.text}" for a in synthetic_articles(12, seed=4)}
    index = askdoc.open(write_corpus(tmp_path / "news", files))
    assert sorted(p.name for p in index.location.iterdir()) == ["CURRENT", "gen-000001", "lock"]
    assert index.search("minister budget")  # answered from the texts mapped from the spill file
