"""Content checksums: a stored index whose bytes were changed (same sizes, same structure) is caught,
never quoted, and rebuilt; its parameters are range-checked (issue 19, item 1)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from reliability_tools import run_askdoc

import askdoc
from askdoc import store
from askdoc.store import checks, generations
from conftest import reseal, write_corpus

ARTICLES = {
    "sales.txt": "Sales report\n\nThe company said sales rose 2% in the spring.\n\nThe chief executive was pleased.",
    "coach.txt": "Match report\n\nThe coach praised the team after the final.",
}


def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", ARTICLES)


def fell_for_rose(gen) -> None:
    """The attack of the review: one word of texts.bin changed, same length, nothing else touched."""
    data = (gen / "texts.bin").read_bytes()
    assert data.count(b"rose") == 1
    (gen / "texts.bin").write_bytes(data.replace(b"rose", b"fell"))


def quotes(index, question="did sales rise or fall"):
    return [hit.quote.text for hit in index.search(question, k=3)]


def test_a_word_changed_inside_texts_bin_is_caught_at_load_and_rebuilt(tmp_path, caplog):
    root = corpus(tmp_path)
    index = askdoc.open(root)
    fell_for_rose(store.current_generation(index.location))
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        again = askdoc.open(root)
    assert "texts.bin fails its checksum" in caplog.text
    assert any("rose" in quote for quote in quotes(again)) and not any("fell" in q for q in quotes(again))


@pytest.fixture
def large(monkeypatch):
    """Loads as of a generation too large to checksum whole at each load (only small files are)."""
    monkeypatch.setattr(generations, "VERIFY_WHOLE_UP_TO", 0)
    monkeypatch.setattr(generations, "VERIFY_FILE_UP_TO", 0)


def test_in_a_large_index_a_changed_text_is_refused_before_it_is_quoted_and_the_next_run_rebuilds(tmp_path, large):
    root = corpus(tmp_path)
    index = askdoc.open(root)
    fell_for_rose(store.current_generation(index.location))
    loaded = askdoc.open(root)  # the load does not read texts.bin whole ...
    with pytest.raises(store.IndexDamaged, match="fails its checksum"):
        quotes(loaded)  # ... but the article's own checksum is read before it is quoted
    again = askdoc.open(root)  # marked damaged: rebuilt
    assert any("rose" in quote for quote in quotes(again))


def test_askdoc_index_checks_every_byte_even_of_a_large_index(tmp_path, large, caplog):
    root = corpus(tmp_path)
    fell_for_rose(store.current_generation(askdoc.open(root).location))
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        checked = askdoc.open(root, wait=True, verify=True)  # what `askdoc index` asks for
    assert "texts.bin fails its checksum" in caplog.text
    assert any("rose" in quote for quote in quotes(checked))


def test_a_damaged_text_is_one_line_from_the_command_line_and_is_rebuilt_after(tmp_path, large, monkeypatch):
    root = corpus(tmp_path)
    cache = tmp_path / "cache"
    assert run_askdoc("index", "--corpus", str(root), cache=cache).returncode == 0
    gen = store.current_generation(store.index_dir_for(root, cache))
    fell_for_rose(gen)
    reseal(gen)  # whole-file sums rewritten to match: only the article's own checksum is left to tell
    shown = run_askdoc("query", "--corpus", str(root), "did sales rise or fall", cache=cache)
    assert shown.returncode == 2 and "fell" not in shown.stdout
    assert shown.stderr.strip().startswith("askdoc: error: the stored index is damaged")
    assert "Traceback" not in shown.stderr and len(shown.stderr.strip().splitlines()) == 1
    again = run_askdoc("query", "--corpus", str(root), "did sales rise or fall", cache=cache)
    assert again.returncode == 0 and "rose" in again.stdout and "unusable" in again.stderr


def point_a_posting_elsewhere(gen) -> None:
    post_doc = np.load(gen / "post_doc.npy")
    post_doc[0] = (post_doc[0] + 1) % (post_doc.max() + 1)  # another passage, still in range
    np.save(gen / "post_doc.npy", post_doc, allow_pickle=False)


def huge_impact(gen) -> None:
    impact = np.load(gen / "post_impact.npy")
    impact[0] = 1e30
    np.save(gen / "post_impact.npy", impact, allow_pickle=False)


def stats(**change):
    def damage(gen):
        meta = json.loads((gen / "meta.json").read_text())
        meta["stats"].update(change)
        (gen / "meta.json").write_text(json.dumps(meta))

    return damage


@pytest.mark.parametrize(
    "damage, sealed, says",
    [
        (point_a_posting_elsewhere, False, "post_doc.npy fails its checksum"),
        (huge_impact, False, "post_impact.npy fails its checksum"),
        (huge_impact, True, "an impact is out of range"),
        (stats(k1=-50), False, "meta.json fails its checksum"),
        (stats(k1=-50), True, "k1 = -50 is out of range"),
        (stats(b=float("nan")), True, "b = nan is out of range"),
        (stats(k1=1e300), True, "out of range"),
        (stats(impact_avgdl=-3.0), True, "impact_avgdl = -3.0 is not a length"),
        (stats(impact_avgdl=float("nan")), True, "impact_avgdl = nan is not a length"),
    ],
    ids=[
        "posting-elsewhere",
        "impact-1e30",
        "impact-1e30-resealed",
        "k1",
        "k1-resealed",
        "b-nan",
        "k1-huge",
        "impact-avgdl-negative",
        "impact-avgdl-nan",
    ],  # fmt: skip
)
def test_changed_postings_impacts_and_parameters_are_caught(tmp_path, caplog, damage, sealed, says):
    root = corpus(tmp_path)
    index = askdoc.open(root)
    expected = [(h.article.id, h.quote.text, round(h.score, 6)) for h in index.search("sales coach team", k=5)]
    gen = store.current_generation(index.location)
    damage(gen)
    if sealed:
        reseal(gen)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        again = askdoc.open(root)
    assert says in caplog.text and "rebuilding" in caplog.text
    assert [(h.article.id, h.quote.text, round(h.score, 6)) for h in again.search("sales coach team", k=5)] == expected


def test_a_refresh_never_carries_a_damaged_text_forward(tmp_path, large, caplog):
    root = corpus(tmp_path)
    fell_for_rose(store.current_generation(askdoc.open(root).location))
    (root / "new.txt").write_text("Weather\n\nRain fell all week.")  # a refresh copies the unchanged texts
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        refreshed = askdoc.open(root)
    assert "fails its checksum" in caplog.text
    assert any("rose" in quote for quote in quotes(refreshed))
    assert any("rose" in quote for quote in quotes(askdoc.open(root)))


def swap_in(gen, name: str, a: bytes, b: bytes) -> None:
    data = (gen / name).read_bytes()
    assert a in data and b in data and len(a) == len(b)
    (gen / name).write_bytes(data.replace(a, b"\0TMP\0").replace(b, a).replace(b"\0TMP\0", b))


def test_in_a_large_index_a_citation_changed_in_the_metadata_is_refused(tmp_path, large):
    root = corpus(tmp_path)
    swap_in(store.current_generation(askdoc.open(root).location), "articles.jsonl", b"sales.txt", b"coach.txt")
    with pytest.raises(store.IndexDamaged, match="metadata of article . fails its checksum"):
        askdoc.open(root).search("did sales rise or fall")
    assert askdoc.open(root).search("did sales rise or fall")[0].article.path == root / "sales.txt"  # rebuilt


def test_in_a_large_index_swapped_article_ids_never_show_one_article_for_another(tmp_path, large, monkeypatch):
    monkeypatch.setattr(checks, "SAMPLED_ARTICLES", 1)  # the load samples the first and last article's ids
    root = corpus(tmp_path)
    write_corpus(root, {"a.txt": "First\n\nA first story.", "zz.txt": "Last\n\nA last story."})
    swap_in(store.current_generation(askdoc.open(root).location), "ids.bin", b"sales", b"coach")
    with pytest.raises(store.IndexDamaged, match="metadata names another article"):
        askdoc.open(root).article("sales")  # what `askdoc show sales` asks
    assert "sales rose" in askdoc.open(root).article("sales").text
