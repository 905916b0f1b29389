"""The library API: open a corpus, search, quotes and citations that point at the real place."""

from __future__ import annotations

import pytest

import askdoc
from conftest import SEED_ID, write_corpus


def assert_verbatim(hit: askdoc.Hit) -> None:
    text = hit.article.text
    assert text[hit.passage.start : hit.passage.end] == hit.passage.text
    assert text[hit.quote.start : hit.quote.end] == hit.quote.text
    assert hit.passage.start <= hit.quote.start < hit.quote.end <= hit.passage.end
    for s, e in hit.highlights:
        assert hit.passage.start <= s < e <= hit.passage.end


def test_volodin_question_finds_the_volodin_paragraph(seed_corpus):
    index = askdoc.open(seed_corpus)
    hits = index.search("what did Volodin warn?", k=3)
    top = hits[0]
    assert top.article.id == SEED_ID
    assert top.passage.paragraph == 11
    assert "Volodin" in top.quote.text
    assert top.citation.startswith("[1] This week, world leaders")
    assert "(2024-09-24)" in top.citation and top.citation.endswith("¶11")
    assert hits.matched == ("volodin", "warn") and hits.missing == ()
    for hit in hits:
        assert_verbatim(hit)


def test_scores_are_ranked_and_k_is_respected(seed_corpus):
    hits = askdoc.open(seed_corpus).search("Putin nuclear weapons", k=4)
    assert len(hits) == 4
    assert [h.rank for h in hits] == [1, 2, 3, 4]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_unanswerable_question_names_the_missing_terms(seed_corpus):
    hits = askdoc.open(seed_corpus).search("What about Macron and tariffs?")
    assert list(hits) == []
    assert hits.missing == ("macron", "tariffs")


def test_partly_known_question_reports_matched_and_missing(seed_corpus):
    hits = askdoc.open(seed_corpus).search("Volodin and Macron")
    assert hits and hits.matched == ("volodin",) and hits.missing == ("macron",)


def test_max_per_article_limits_hits_from_one_article():
    articles = [
        askdoc.Article(id="one", title="One", text="Oil prices rose.\n\nOil prices fell.\n\nOil again."),
        askdoc.Article(id="two", title="Two", text="Oil is traded.\n\nNothing else."),
    ]
    index = askdoc.Index.from_articles(articles)
    assert len(index.search("oil", k=5)) == 4
    hits = index.search("oil", k=5, max_per_article=1)
    assert sorted(h.article.id for h in hits) == ["one", "two"]


def test_from_articles_builds_an_in_memory_index():
    index = askdoc.Index.from_articles([askdoc.Article(id="a1", title="T", text="The harbour bridge reopened.")])
    (hit,) = index.search("When did the bridge reopen?")
    assert hit.article.id == "a1" and hit.quote.text == "The harbour bridge reopened."
    assert hit.citation == "[1] T, ¶1"


def test_a_script_mistake_in_the_arguments_is_a_clear_error_not_a_wrong_answer():
    article = askdoc.Article(id="a1", title="T", text="The harbour bridge reopened.")
    index = askdoc.Index.from_articles([article])
    for bad in (2.5, "3", True):
        with pytest.raises(TypeError, match="k must be a whole number"):
            index.search("bridge", k=bad)
    with pytest.raises(ValueError, match="at least 1"):
        index.search("bridge", max_per_article=0)
    import numpy as np

    assert len(index.search("bridge", k=np.int64(2))) == 1  # numpy's integers are whole numbers
    with pytest.raises(ValueError, match="two articles have the id 'a1'"):
        askdoc.Index.from_articles([article, askdoc.Article(id="a1", title="U", text="Another text.")])


def test_an_untitled_article_is_cited_by_its_id():
    index = askdoc.Index.from_articles([askdoc.Article(id="notes/a1", title="", text="The harbour bridge reopened.")])
    assert index.search("bridge")[0].citation == "[1] notes/a1, ¶1"


def test_quote_is_the_best_sentence_not_the_whole_passage():
    text = "The weather was mild. Officials said the dam would open in May. Traffic was light."
    (hit,) = askdoc.Index.from_articles([askdoc.Article(id="a", title="T", text=text)]).search("when will the dam open")
    assert hit.quote.text == "Officials said the dam would open in May."
    assert_verbatim(hit)


def test_quote_spans_hold_for_crlf_and_unicode_text(tmp_path):
    text = "Titre café\r\n\r\nLe “ministre” a parlé.\r\nIl a dit: non.\r\n\r\n# Section\r\n\r\nÉnergie nucléaire — débat.\r\n"
    root = write_corpus(tmp_path / "c", {"fr.txt": text})
    index = askdoc.open(root)
    for q in ("ministre", "énergie nucléaire", "section débat"):
        for hit in index.search(q):
            assert_verbatim(hit)
            assert hit.article.text == text.replace("\r\n", "\r\n")


def test_unknown_engine_lists_the_valid_names(seed_corpus):
    with pytest.raises(ValueError, match="askdoc, rank-bm25"):
        askdoc.open(seed_corpus, engine="lucene")


def test_article_and_passages_lookup(seed_corpus):
    index = askdoc.open(seed_corpus)
    article = index.article(SEED_ID)
    assert article.date == "2024-09-24"
    paragraphs = [p.paragraph for p in index.passages(SEED_ID)]
    assert paragraphs == sorted(paragraphs) and paragraphs[0] == 1
    with pytest.raises(askdoc.ArticleNotFound):
        index.article("nope")


def test_missing_or_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(askdoc.CorpusError, match="does not exist"):
        askdoc.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(askdoc.CorpusError, match="no readable articles"):
        askdoc.open(tmp_path / "empty")


def test_follow_up_question_borrows_the_previous_question_terms(seed_corpus):
    index = askdoc.open(seed_corpus)
    alone = index.search("what did he warn?", k=1)
    follow = index.search("what did he warn?", k=1, context=["What about Volodin?"])
    assert "Volodin" not in alone[0].passage.text
    assert "Volodin" in follow[0].passage.text
    unrelated = index.search("Storm Shadow cruise missiles", k=1, context=["What about Volodin?"])
    assert "Storm Shadow" in unrelated[0].passage.text
    slipped = index.search("what did he warn?", k=1, context=["What about Volodin? after:yesterday"])
    assert "Volodin" in slipped[0].passage.text, "an earlier question's bad filter is not this one's error"
    assert index.search("what did he warn?", k=1, context="What about Volodin?")[0] == follow[0], "one question"


def test_an_article_a_script_gets_wrong_is_a_clear_error_and_a_date_object_its_day():
    import datetime as dt

    assert askdoc.Article(id="a", title="T", text="x", date=dt.date(2024, 9, 1)).date == "2024-09-01"
    assert askdoc.Article(id="a", title="T", text="x", date=dt.datetime(2024, 9, 1, 10, 5)).date == "2024-09-01"
    with pytest.raises(ValueError, match="body_start must be an offset into its text"):
        askdoc.Article(id="a", title="T", text="short", body_start=99)
    with pytest.raises(TypeError, match="Article.text must be a string"):
        askdoc.Article(id="a", title="T", text=None)


def test_pieces_of_one_long_paragraph_are_one_hit_and_full_shows_the_whole_paragraph(tmp_path):
    """A paragraph over 1,500 characters is searched in pieces; two of them answering gave two hits with
    one citation, and --full printed one piece of the "whole paragraph"."""
    from click.testing import CliRunner

    from askdoc.cli import cli

    sentences = [f"The harbour ferry sailed on day {n} while the harbour crew waited for the tide." for n in range(40)]
    (tmp_path / "ferry.txt").write_text("Ferry days\n\n" + " ".join(sentences) + "\n\nThe end.\n", "utf-8")
    index = askdoc.open(tmp_path)
    assert len([p for p in index.passages("ferry") if p.paragraph == 1]) > 1  # searched in pieces
    hits = index.search("harbour ferry crew tide", k=5)
    assert [hit.passage.paragraph for hit in hits].count(1) == 1
    whole = index.paragraph("ferry", 1)
    assert whole.text == " ".join(sentences) and index.article("ferry").text[whole.start : whole.end] == whole.text
    printed = CliRunner().invoke(cli, ["query", "--corpus", str(tmp_path), "-k", "1", "--full", "harbour ferry"])
    assert printed.exit_code == 0 and sentences[0] in printed.output and sentences[-1] in printed.output
