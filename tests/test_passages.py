"""Passages: paragraphs with numbers and verbatim spans; headings attached; long ones cut."""

from __future__ import annotations

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import askdoc
from askdoc.corpus import article_from_text, find_files, read_article
from askdoc.filters import FilterError, split_question
from askdoc.passages import MAX_PASSAGE_CHARS, passages_for
from conftest import SEED_ID


def seed_article(seed_corpus):
    return next(read_article(f) for f in find_files(seed_corpus) if f.rel.startswith(SEED_ID))


def test_seed_volodin_paragraph_is_eleven_under_its_heading(seed_corpus):
    passages = passages_for(seed_article(seed_corpus))
    volodin = next(p for p in passages if "Volodin" in p.text)
    assert volodin.paragraph == 11
    assert volodin.heading == "Risk of direct confrontation"
    assert volodin.text.startswith('"If something like this happens')


def test_heading_is_not_a_passage_but_a_trailing_heading_is_kept(seed_corpus):
    passages = passages_for(seed_article(seed_corpus))
    assert not any(p.text == "Risk of direct confrontation" for p in passages)
    assert passages[-1].text == "Narrowing window for peace talks"


def test_every_passage_span_is_verbatim(seed_corpus):
    article = seed_article(seed_corpus)
    for p in passages_for(article):
        assert article.text[p.start : p.end] == p.text


def test_long_paragraph_is_cut_at_sentences_and_keeps_its_number():
    sentence = "The committee met again to discuss the budget in detail. "
    article = article_from_text("x", "Title\n\nShort one.\n\n" + sentence * 60)
    passages = passages_for(article)
    long_parts = [p for p in passages if p.paragraph == 2]
    assert len(long_parts) > 1
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in long_parts)
    assert all(p.text.endswith(".") for p in long_parts)


def test_a_single_huge_line_is_cut_into_quotable_pieces():
    article = article_from_text("x", "word " * 5000)
    passages = passages_for(article)
    assert len(passages) > 5
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)


def test_a_text_written_one_paragraph_a_line_is_cited_by_the_line():
    text = (
        "Brown ally rejects spree\nChancellor Brown's ally denied it.\nMr Balls said no spree.\nHe spoke on Monday.\n"
    )
    for breaks in ("\n", "\r\n", "\r"):
        article = article_from_text("x", text.replace("\n", breaks))
        assert article.title == "Brown ally rejects spree"
        assert [(p.paragraph, p.text) for p in passages_for(article)] == [
            (1, "Chancellor Brown's ally denied it."),
            (2, "Mr Balls said no spree."),
            (3, "He spoke on Monday."),
        ]


def test_a_hard_wrapped_paragraphs_first_line_stays_in_it_and_is_no_title():
    text = "The committee met on Monday to discuss\nthe budget and agreed to a plan after\nlong talks with the unions.\n\nA second paragraph follows here.\n"
    article = article_from_text("x", text)
    assert article.title != "The committee met on Monday to discuss"
    assert passages_for(article)[0].text.startswith("The committee met on Monday")
    index = askdoc.Index.from_articles([article])
    assert index.search("when did the committee meet")[0].passage.paragraph == 1


def test_paragraphs_a_line_each_below_a_date_header_or_a_byline_block_are_cited_by_the_line():
    dated = article_from_text(
        "x", "date 2024-03-01\n\nFerry sinks\nA ferry sank.\nAll were rescued.\nThe captain spoke.\n\n\n"
    )
    assert (dated.title, dated.date) == ("Ferry sinks", "2024-03-01")
    assert [p.text for p in passages_for(dated)] == ["A ferry sank.", "All were rescued.", "The captain spoke."]
    bylined = article_from_text(
        "y", "Ferry sinks\n\nBy A. Writer\n\nA ferry sank.\nAll were rescued.\nThe captain spoke.\n"
    )
    assert [(p.paragraph, p.text) for p in passages_for(bylined)] == [
        (1, "A ferry sank."),
        (2, "All were rescued."),
        (3, "The captain spoke."),
    ]  # the byline is a heading over them


def test_hard_wrapped_lines_stay_one_paragraph():
    body = "A paragraph wrapped at\nsixty columns, as mail is, which ends\na sentence at a line end only here.\nThen it goes\non\n"
    article = article_from_text("x", "Title\n\n" + body)
    assert [p.paragraph for p in passages_for(article)] == [1]


odd_text = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
        st.sampled_from(
            [
                "\n\n",
                "\r\n\r\n",
                "\n",
                "\r",
                "A sentence on its own line.\n",
                "\n \t\n",
                "# Heading\n\n",
                "“quoted” ",
                "Short Heading\n\n",
                "  ",
                "\u00a0",
                "é",
                "日本語。",
                "Mr. X. ",
            ]
        ),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(odd_text)
@example("SINCE:0")
@example("SINCE:")
def test_passage_and_quote_spans_are_verbatim_for_any_text(text):
    if not text.strip():
        return
    article = article_from_text("gen", text)
    for p in passages_for(article):
        assert article.text[p.start : p.end] == p.text
        assert p.text.strip() == p.text and p.text
    index = askdoc.Index.from_articles([article])
    question = text[:200] or "x"
    try:
        split_question(question)
    except FilterError:  # "SINCE:0" asks for a filter that cannot be: a user's error, told in one line
        assume(False)
    for hit in index.search(question, k=5):
        assert article.text[hit.passage.start : hit.passage.end] == hit.passage.text
        assert article.text[hit.quote.start : hit.quote.end] == hit.quote.text
        assert hit.passage.start <= hit.quote.start <= hit.quote.end <= hit.passage.end


def test_a_heading_right_above_another_heading_stays_findable():
    article = article_from_text("x", "Title\n\nPart One\n\nChapter Seven\n\nThe river flooded the town.")
    passages = passages_for(article)
    assert [p.text for p in passages] == ["Part One", "The river flooded the town."]
    assert passages[1].heading == "Chapter Seven"
