"""Units that had no tests of their own: the quote chooser, the model's values, rendering, the string
tables, merging a refresh into a stored index, and opening a corpus folder."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import askdoc
from askdoc import render
from askdoc.analysis import Analyzer
from askdoc.build import Builder, build
from askdoc.merging import merged, own_id
from askdoc.model import Article, Passage, citation_for, page_at
from askdoc.quotes import QUOTE_CHARS, best_quote
from askdoc.store.tables import FileList, Packed, StemTable, TermList, Vocabulary, pack, pack_stems
from conftest import synthetic_articles, write_corpus

# -- quotes ----------------------------------------------------------------------------------


def _quote(text: str, question: str, answer_type: str | None = None):
    analyzer = Analyzer()
    weights = {t: 1.0 for t in analyzer.terms(question)}
    sentences, start = [], 0
    for piece in text.split(". "):
        end = start + len(piece) + (1 if start + len(piece) < len(text) else 0)
        sentences.append((start, min(end, len(text))))
        start = end + 1
    spans = [span for span in analyzer.spans(text) if span[0] in weights]
    return best_quote(text, sentences, spans, weights, answer_type)


def test_the_quote_is_the_sentence_holding_most_of_the_question_verbatim():
    text = "The weather was mild. The harbour plan was approved by the council. Fish were sold."
    quote = _quote(text, "who approved the harbour plan?")
    assert quote.text == "The harbour plan was approved by the council."
    assert text[quote.start : quote.end] == quote.text


def test_a_quote_never_grows_past_an_excerpt():
    text = ". ".join(f"Harbour plan item {n} was discussed at length by the members" for n in range(30)) + "."
    quote = _quote(text, "harbour plan discussed")
    assert len(quote.text) <= max(QUOTE_CHARS, len(text) // 2)
    assert text[quote.start : quote.end] == quote.text


def test_a_passage_without_sentences_is_a_mistake_not_an_empty_quote():
    with pytest.raises(ValueError):
        best_quote("text", [], [], {"text": 1.0})


# -- model -----------------------------------------------------------------------------------


def test_an_article_takes_a_date_as_its_iso_day_and_refuses_a_missing_text():
    assert Article(id="a", text="x", date=datetime.date(2024, 9, 24)).date == "2024-09-24"
    assert Article(id="a", text="x", date=datetime.datetime(2024, 9, 24, 13, 5)).date == "2024-09-24"
    with pytest.raises(TypeError):
        Article(id="a")  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        Article(id="a", text="short", body_start=10)


def test_an_untitled_article_is_cited_by_its_id_with_its_page_and_url():
    article = Article(id="notes/n1", text="One. Two.", url="https://example.org/n1", meta={"pages": [0, 5]})
    passage = Passage("notes/n1", 3, 5, 9, "Two.", page=page_at(article, 5))
    assert citation_for(2, article, passage) == "[2] notes/n1, ¶3, p. 2 — https://example.org/n1"
    assert article.cited_title == "notes/n1" and Article(id="x", title=" T ", text="t").cited_title == "T"
    assert page_at(article, 0) == 1 and page_at(Article(id="b", text="x"), 0) is None


# -- render ----------------------------------------------------------------------------------


def test_the_piped_catalog_is_one_line_of_five_fields_per_article_with_control_characters_shown():
    rows = [{"id": "a/1", "date": None, "title": "Tabs\there\nand lines", "source": "BBC", "passages": 3}]
    (line,) = render.articles_plain(rows)
    fields = line.split("\t")
    assert len(fields) == 5 and fields[0] == "a/1" and fields[3] == "BBC" and fields[4] == "3"
    assert "\n" not in line and "here" in fields[2]


def test_askdoc_show_renders_a_paragraph_under_its_articles_header():
    article = Article(id="a", title="Harbour", text="Harbour\n\nFirst part.\n\nSecond part.", date="2024-01-02")
    passage = Passage("a", 2, 22, 34, "Second part.")
    header, body = render.article_view(article, [passage], "2")
    assert header.plain.startswith("Harbour\n2024-01-02") and header.plain.endswith("¶2")
    assert body.plain == "Second part."
    _, whole = render.article_view(article)
    assert whole.plain == article.text.strip()


# -- tables ----------------------------------------------------------------------------------


def test_packed_strings_read_back_one_by_one_and_all_together():
    words = ["heron", "", "ünïcode", "marsh"]
    blob, ptr = pack(w.encode() for w in words)
    table = Packed(blob, ptr)
    assert len(table) == 4 and table[2] == "ünïcode" and table[-1] == "marsh" and list(table) == words
    with pytest.raises(IndexError):
        table[4]


def test_a_stored_vocabulary_finds_term_ids_by_binary_search_as_a_built_one_does():
    terms = ["nest", "heron", "marsh", "abbey"]
    blob, ptr = pack(t.encode() for t in terms)
    order = np.array(sorted(range(len(terms)), key=lambda i: terms[i].encode()), dtype=np.int32)
    stored, built = Vocabulary(blob, ptr, order), TermList(terms)
    for term in terms:
        assert stored.ids[term] == built.ids[term] == terms.index(term)
    assert "egret" not in stored.ids and stored.ids.get("egret") is None and built.ids.get("egret") is None


def test_a_stored_stem_table_looks_words_up_and_keeps_what_it_learns():
    table = StemTable(Packed(*pack_stems({"herons": "heron", "nesting": "nest"})))
    assert table.get("herons") == "heron" and "nesting" in table and table.get("swans") is None
    table["swans"] = "swan"
    assert table.all() == {"herons": "heron", "nesting": "nest", "swans": "swan"}
    assert table.working_copy() is table  # an analyzer reads it in place


def test_a_file_list_tells_a_changed_stamp_apart():
    a = FileList.of_columns(["x.txt", "y.txt"], [10, 20], [1, 2], [5, 6], [7, 8])
    assert a.same_as(FileList.of_columns(["x.txt", "y.txt"], [10, 20], [1, 2], [5, 6], [7, 8]))
    assert not a.same_as(FileList.of_columns(["x.txt", "y.txt"], [10, 20], [1, 3], [5, 6], [7, 8]))


# -- merging ---------------------------------------------------------------------------------


def test_merging_kept_articles_with_new_ones_equals_building_them_all():
    articles = synthetic_articles(12, seed=4)
    old = build(articles[:8], Analyzer())
    keep = np.array([0, 2, 3, 5, 7])  # articles 1, 4, 6 were edited away
    new_articles = articles[8:]
    # the new build numbers terms after the old ones, as a refresh's builder does
    builder = Builder(Analyzer(), list(old.vocab))
    for article in new_articles:
        builder.add(article)
    new = builder.finish()
    result = merged(old, keep, new)
    clean = build([articles[i] for i in keep.tolist()] + new_articles, Analyzer())
    vocab_result, vocab_clean = list(result.vocab), list(clean.vocab)
    for name in ("p_start", "p_end", "p_paragraph", "p_len", "p_article"):
        assert np.array_equal(result.arrays[name], clean.arrays[name]), name
    assert result.stats.n_passages == clean.stats.n_passages and result.stats.total_len == clean.stats.total_len
    by_term = {}
    for term_id, term in enumerate(vocab_result):
        lo, hi = result.arrays["t_ptr"][term_id], result.arrays["t_ptr"][term_id + 1]
        by_term[term] = (result.arrays["post_doc"][lo:hi].tolist(), result.arrays["post_impact"][lo:hi].tolist())
    for term_id, term in enumerate(vocab_clean):
        lo, hi = clean.arrays["t_ptr"][term_id], clean.arrays["t_ptr"][term_id + 1]
        want = (clean.arrays["post_doc"][lo:hi].tolist(), clean.arrays["post_impact"][lo:hi].tolist())
        assert by_term[term] == want, term


def test_a_second_article_with_a_taken_id_is_known_by_its_file_name():
    taken: set[str] = set()
    assert own_id("notes", "notes.html", taken) == "notes"
    assert own_id("notes", "notes.pdf", taken) == "notes.pdf"
    assert taken == {"notes", "notes.pdf"}


# -- opening ---------------------------------------------------------------------------------


def test_opening_saves_the_index_and_reopening_reads_it_without_reading_files(tmp_path, monkeypatch):
    from askdoc import merging

    root = write_corpus(
        tmp_path / "c", {"a.txt": "Herons\n\nHerons nest in the marsh.", "b.txt": "Ducks\n\nDucks swim."}
    )
    first = askdoc.open(root)
    assert first.saved and first.location is not None and first.stats.n_passages == first.n_passages
    read = []
    original = merging.read_articles
    monkeypatch.setattr(merging, "read_articles", lambda f: read.append(f.rel) or original(f))
    again = askdoc.open(root)
    assert read == [] and again.saved and again.search("where do herons nest?")[0].article.id == "a"


def test_an_index_that_could_not_be_saved_says_so_and_is_refreshed_from_a_walk(tmp_path, monkeypatch):
    from askdoc import opening, store

    root = write_corpus(tmp_path / "c", {"a.txt": "Herons\n\nHerons nest in the marsh."})

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "save", full)
    monkeypatch.setattr(opening.store, "save", full)
    index = askdoc.open(root)
    assert not index.saved
    (root / "b.txt").write_text("Swans\n\nSwans glide on the lake.")
    fresh = index.refresh()
    assert fresh is not index and not fresh.saved and fresh.search("swans glide")[0].article.id == "b"


def test_opening_a_missing_folder_is_a_one_line_corpus_error(tmp_path):
    with pytest.raises(askdoc.CorpusError, match="does not exist"):
        askdoc.open(tmp_path / "nowhere")


def test_skipped_files_are_stored_by_name_and_a_tampered_entry_gets_the_index_rebuilt(tmp_path, caplog):
    import json
    import logging

    from askdoc import store
    from conftest import reseal

    root = write_corpus(tmp_path / "c", {"a.txt": "Herons\n\nHerons nest in the marsh.", "empty.txt": ""})
    index = askdoc.open(root)
    assert index.skipped() == {"empty.txt": index.data.skipped["empty.txt"].reason}
    gen = store.current_generation(index.location)
    meta = json.loads((gen / "meta.json").read_text())
    assert set(meta["skipped"]["empty.txt"]) == {"size", "mtime_ns", "reason", "unopened"}
    meta["skipped"]["empty.txt"]["size"] = "large"
    (gen / "meta.json").write_text(json.dumps(meta))
    reseal(gen)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        again = askdoc.open(root)
    assert "rebuilding" in caplog.text and again.skipped() == index.skipped()
