"""Every format end to end: metadata extracted, the right passage quoted verbatim, the citation right."""

from __future__ import annotations

import codecs
import json
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import askdoc
from askdoc.formats.markdown import plain_text
from askdoc.formats.pdf import paragraphs
from askdoc.passages import passages_for
from conftest import write_corpus

FIXTURES = Path(__file__).parent / "fixtures"


def assert_verbatim(hits):
    assert hits
    for hit in hits:
        text = hit.article.text
        assert text[hit.passage.start : hit.passage.end] == hit.passage.text
        assert text[hit.quote.start : hit.quote.end] == hit.quote.text


def write_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for page in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, page)
    pdf.output(str(path))
    return path


# -- HTML ---------------------------------------------------------------------------------------


def test_news_page_gives_article_body_and_metadata_without_boilerplate(tmp_path):
    root = write_corpus(tmp_path / "c", {"world/volodin.html": (FIXTURES / "news.html").read_bytes()})
    index = askdoc.open(root)
    article = index.article("world/volodin")
    assert article.title == "Volodin warns of tougher response"
    assert (article.date, article.author, article.source) == ("2024-09-24", "Jane Reporter", "Example News")
    assert article.url == "https://www.example-news.co.uk/world/volodin-warns"
    for boilerplate in ("Advertisement", "Cookie policy", "Great article", "cheap pills", "Most read", "var ads"):
        assert boilerplate not in article.text
    hits = index.search("what did Volodin warn?", k=1)
    assert_verbatim(hits)
    assert "more powerful weapons" in hits[0].quote.text
    assert hits[0].citation == (
        "[1] Volodin warns of tougher response (2024-09-24), Example News, ¶1"
        " — https://www.example-news.co.uk/world/volodin-warns"
    )


def test_html_section_heading_gives_the_passage_its_context(tmp_path):
    root = write_corpus(tmp_path / "c", {"p.html": (FIXTURES / "news.html").read_bytes()})
    hit = askdoc.open(root).search("European officials intimidate", k=1)[0]
    assert hit.passage.heading == "Reaction in Europe"
    assert "<a" not in hit.passage.text and "statement was an attempt" in hit.passage.text


def test_html_without_a_stated_date_stays_undated(tmp_path):
    page = "<html><head><title>Quiet page</title></head><body><article><p>" + "A calm paragraph about rivers. " * 8
    root = write_corpus(tmp_path / "c", {"q.htm": page + "</p></article></body></html>"})
    article = askdoc.open(root).article("q")
    assert article.date is None and "calm paragraph about rivers" in article.text


# -- Markdown -----------------------------------------------------------------------------------

NOTE = """---
title: Storm Shadow approved
date: 2024-09-20
url: https://example.org/storm
author: A. Writer
tags: [ukraine, missiles]
---

# Storm Shadow approved

## Background

The **Storm Shadow** missile has a range of [more than 250 km](https://example.org/range) and is
launched from aircraft.

## Highlights

> Officials said the *decision* was a calibrated response.

- First highlight about the **cruise** missiles
"""


def test_markdown_front_matter_and_clean_quotes(tmp_path):
    root = write_corpus(tmp_path / "c", {"notes/storm.md": NOTE})
    index = askdoc.open(root)
    article = index.article("notes/storm")
    assert (article.title, article.date, article.url, article.author) == (
        "Storm Shadow approved",
        "2024-09-20",
        "https://example.org/storm",
        "A. Writer",
    )
    assert article.path == (root / "notes/storm.md").absolute()
    hits = index.search("missile range launched aircraft", k=1)
    assert_verbatim(hits)
    hit = hits[0]
    assert hit.passage.heading == "Background"
    assert hit.passage.text == (
        "The Storm Shadow missile has a range of more than 250 km and is launched from aircraft."
    )
    assert hit.citation == "[1] Storm Shadow approved (2024-09-20), ¶1 — https://example.org/storm"
    quote = index.search("calibrated response", k=1)[0]
    assert quote.quote.text == "Officials said the decision was a calibrated response."
    assert quote.passage.heading == "Highlights"


def test_markdown_plain_text_drops_markup_but_keeps_words():
    text = plain_text(
        "Some **bold**, `code`, ![a chart](c.png) and <b>tags</b>.\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert text == "Some bold, code, a chart and tags.\n\n1. one\n\n2. two\n\na | b\n1 | 2\n"


# -- PDF ----------------------------------------------------------------------------------------


def test_pdf_text_per_page_and_citation_with_page(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    write_pdf(
        root / "report.pdf",
        [
            "The United Kingdom supplied Storm Shadow cruise missiles to Ukraine in May 2023.",
            "Volodin warned that strikes deep inside Russia would bring a response with more powerful weapons.",
        ],
        title="Storm Shadow report",
    )
    index = askdoc.open(root)
    article = index.article("report")
    assert article.title == "Storm Shadow report" and article.date is None
    hits = index.search("what did Volodin warn?", k=1)
    assert_verbatim(hits)
    assert hits[0].passage.page == 2
    assert hits[0].citation == "[1] Storm Shadow report, ¶2, p. 2"
    assert index.search("United Kingdom supplied", k=1)[0].passage.page == 1


def test_scanned_pdf_without_text_is_reported_not_silently_empty(tmp_path, caplog):
    from fpdf import FPDF

    root = write_corpus(tmp_path / "c", {"a.txt": "Title\n\nSome words about rivers."})
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 100, 100, style="F")  # an image-only page, as a scanner makes
    pdf.output(str(root / "scan.pdf"))
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert "scan.pdf" in caplog.text and "no text layer" in caplog.text
    assert [a.id for a in index.articles()] == ["a"]
    assert "scan.pdf" in index.skipped()


def test_damaged_pdf_is_skipped_with_a_reason(tmp_path, caplog):
    root = write_corpus(tmp_path / "c", {"a.txt": "Title\n\nWords.", "bad.pdf": b"%PDF-1.4\n garbage"})
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        askdoc.open(root)
    assert "bad.pdf" in caplog.text


def test_pdf_words_hyphenated_at_line_ends_are_joined_again():
    page = "The library can manip-\nulate all the long-\nRange data and the well\nknown encoder."
    assert paragraphs(page) == "The library can manipulate all the long-Range data and the well known encoder."


def test_pdf_lines_are_rejoined_into_paragraphs():
    page = "A long line of text that fills the whole width of the\npage and goes on to a short end.\nTitle\nNext"
    assert paragraphs(page) == (
        "A long line of text that fills the whole width of the page and goes on to a short end.\n\nTitle\n\nNext"
    )


# -- JSON Lines and CSV -------------------------------------------------------------------------

RECORDS = [
    {"id": "a1", "title": "Budget cuts", "date": "2024-03-01T09:00:00Z", "url": "https://news.example/a1",
     "source": "Example Times", "text": "The minister announced budget cuts to rail services."},
    {"id": "a2", "headline": "Match report", "published": "2024-04-02", "body": "The league match ended in a draw."},
    {"id": "a3", "title": "No text here"},
]  # fmt: skip


def test_jsonl_file_holds_many_articles(tmp_path):
    lines = [json.dumps(r) for r in RECORDS] + ["not json"]
    root = write_corpus(tmp_path / "c", {"data/news.jsonl": "\n".join(lines) + "\n"})
    index = askdoc.open(root)
    assert sorted(a.id for a in index.articles()) == ["data/news/a1", "data/news/a2"]
    a2 = index.article("data/news/a2")
    assert (a2.title, a2.date) == ("Match report", "2024-04-02")
    hits = index.search("budget cuts rail", k=1)
    assert_verbatim(hits)
    assert hits[0].citation == "[1] Budget cuts (2024-03-01), Example Times, ¶1 — https://news.example/a1"


def test_csv_rows_are_articles_even_with_long_quoted_text(tmp_path):
    long_text = 'The court ruled on the appeal, saying "no". ' * 4000  # longer than csv's default field limit
    csv_text = (
        'id;title;date;text\n7;Court ruling;2023-12-05;"'
        + long_text.replace('"', '""')
        + '"\n8;Film;2023-01-01;A film review.\n'
    )
    root = write_corpus(tmp_path / "c", {"rulings.csv": csv_text})
    index = askdoc.open(root)
    assert sorted(a.id for a in index.articles()) == ["rulings/7", "rulings/8"]
    hits = index.search("court appeal", k=1)
    assert_verbatim(hits)
    assert hits[0].article.title == "Court ruling" and hits[0].article.date == "2023-12-05"


def test_csv_without_text_column_is_skipped_with_a_reason(tmp_path, caplog):
    root = write_corpus(tmp_path / "c", {"a.txt": "T\n\nWords here.", "prices.csv": "item,price\napple,3\n"})
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        askdoc.open(root)
    assert "prices.csv" in caplog.text and "no text field" in caplog.text


def test_refresh_rereads_a_changed_dataset_and_drops_a_removed_one(tmp_path):
    root = write_corpus(
        tmp_path / "c", {"news.jsonl": "\n".join(json.dumps(r) for r in RECORDS[:2]), "x.txt": "X\n\nA note."}
    )
    index = askdoc.open(root)
    assert index.n_articles == 3 and not index.changes()
    (root / "news.jsonl").write_text(json.dumps({"id": "b9", "title": "New", "text": "A lighthouse keeper spoke."}))
    changes = index.changes()
    assert changes.changed == ("news.jsonl",) and changes.summary() == "1 changed"
    fresh = index.refresh()
    assert sorted(a.id for a in fresh.articles()) == ["news/b9", "x"]
    assert fresh.search("lighthouse", k=1)[0].article.id == "news/b9"
    (root / "news.jsonl").unlink()
    assert fresh.changes().removed == ("news.jsonl",)
    assert [a.id for a in fresh.refresh().articles()] == ["x"]


def test_same_name_in_two_formats_gives_two_articles(tmp_path):
    root = write_corpus(tmp_path / "c", {"notes.md": "# Notes\n\nAbout rivers.", "notes.txt": "Notes\n\nAbout lakes."})
    ids = sorted(a.id for a in askdoc.open(root).articles())
    assert len(ids) == 2 and "notes" in ids


@pytest.mark.parametrize("name", ["x.html", "x.md", "x.jsonl", "x.csv", "x.pdf"])
def test_empty_files_of_any_format_are_skipped_not_fatal(tmp_path, name, caplog):
    root = write_corpus(tmp_path / "c", {"a.txt": "T\n\nWords here.", name: b""})
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert askdoc.open(root).n_articles == 1
    assert name in caplog.text


def test_html_headline_under_a_site_suffixed_title_element_is_the_title(tmp_path):
    page = (
        "<html><head><title>Chapter One: Rivers - My Book</title></head><body><nav>Home | Next</nav>"
        "<main><h2>Chapter One: Rivers</h2><p>"
        + "The river floods every spring in the valley. " * 6
        + "</p></main></body></html>"
    )
    root = write_corpus(tmp_path / "c", {"one.html": page})
    article = askdoc.open(root).article("one")
    assert article.title == "Chapter One: Rivers"
    assert not article.text.startswith("#")


def test_index_read_by_older_readers_is_read_again(tmp_path, monkeypatch):
    import askdoc.formats as formats
    import askdoc.merging as merging

    root = write_corpus(tmp_path / "c", {"a.txt": "A\n\nRivers.", "b.md": "# B\n\nLakes."})
    askdoc.open(root)
    read = []
    original = merging.read_articles
    monkeypatch.setattr(merging, "read_articles", lambda f: read.append(f.rel) or original(f))
    askdoc.open(root)
    assert read == []
    monkeypatch.setattr(formats, "VERSION", formats.VERSION + 1)
    askdoc.open(root)
    assert sorted(read) == ["a.txt", "b.md"]


MARKDOWN_PIECES = [
    "# ",
    "## ",
    "**",
    "_",
    "`",
    "[",
    "](",
    ")",
    "![",
    "> ",
    "- ",
    "1. ",
    "\n",
    "\n\n",
    "<b>",
    "|",
    "---",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=12)), max_size=40))
def test_any_markdown_reads_without_crashing_and_passages_stay_verbatim(pieces):
    text = plain_text("".join(pieces))
    assert "\x00" not in text or "\x00" in "".join(pieces)
    article = askdoc.article_from_text("a", text, meta={})
    for passage in passages_for(article):
        assert article.text[passage.start : passage.end] == passage.text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("ab -.\n"), max_size=30), max_size=20))
def test_pdf_paragraphs_keep_every_word(lines):
    page = "\n".join(lines)
    joined = paragraphs(page)
    assert "".join(joined.split()).replace("-", "") == "".join(page.split()).replace("-", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024-09-24T10:00:00Z", "2024-09-24"), ("2024/09/24", "2024-09-24"), ("Tue, 24 Sep 2024 10:00:00 GMT", "2024-09-24"),
     ("24 Sep 2024", "2024-09-24"), ("next Tuesday", None), ("31 Foo 2024", None), ("1727172000", None),
     ("2024-02-30", None), ("2024-13-45", None)],
)  # fmt: skip
def test_dataset_dates_in_common_shapes_are_read_and_others_stay_unknown(value, expected):
    from askdoc.formats.text import as_date

    assert as_date(value) == expected


def test_jsonl_keeps_every_good_record_and_names_each_bad_line(tmp_path, caplog):
    """The review's attacks: a line nested 100,000 deep and a 5,000-digit integer made the whole file
    (1,000 good records) be skipped; raw U+2028, U+2029 and U+0085 inside strings cut records in two."""
    good = [
        {"id": f"r{i}", "title": f"Record {i}", "text": f"The harbour pilot {i} reported calm water."}
        for i in range(1000)
    ]
    lines = [json.dumps(record) for record in good]
    lines.insert(10, "[" * 100_000 + "]" * 100_000)  # line 11
    lines.insert(500, '{"id": "big", "text": "Number", "n": ' + "9" * 5000 + "}")  # line 501
    lines.insert(700, "not json at all")  # line 701
    separators = [
        {"id": f"sep{i}", "text": f"Before{char}after, the lighthouse {i} shone."}
        for i, char in enumerate(["\u2028", "\u2029", "\x85", "\u2028\u2029", "\x0b\x0c"])
    ]
    lines += [json.dumps(record, ensure_ascii=False) for record in separators]
    root = write_corpus(tmp_path / "c", {"news.jsonl": "\n".join(lines) + "\n"})
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    assert index.n_articles == 1000 + len(separators)
    assert index.article("news/sep0").text.startswith("Before\u2028after")
    assert index.article("news/sep2").text.startswith("Before\x85after")
    assert "skipped lines 11, 501, 701: not a JSON object" in caplog.text
    assert index.search("lighthouse 3 shone")[0].article.id == "news/sep3"


def shared_stream_pdf(pages: int, stream_bytes: int) -> bytes:
    """The review's attack: every page's /Contents is one content stream (compressed, the file is tiny)."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    line = b"BT /F1 12 Tf 72 720 Td (the harbour pilot reported calm water) Tj ET\n"
    stream = DecodedStreamObject()
    stream.set_data(line * (stream_bytes // len(line)))
    contents = writer._add_object(stream.flate_encode())
    font = DictionaryObject(
        {NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
         NameObject("/BaseFont"): NameObject("/Helvetica")}
    )  # fmt: skip
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Contents")] = contents
        page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.slow
def test_a_pdf_of_pages_sharing_one_huge_content_stream_is_skipped_within_its_budget(tmp_path, caplog):
    data = shared_stream_pdf(60, 200_000)
    assert len(data) < 20_000
    root = write_corpus(tmp_path / "c", {"bomb.pdf": data, "a.txt": "Harbour\n\nThe harbour pilot spoke."})
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    # stopped by the character budget, a quarter of the way in: all 60 pages would take ~20 s here
    # (390 s for the review's); a count, not a wall time, which a loaded machine stretches
    assert "bomb.pdf: PDF gives far more text than a file of" in caplog.text
    read = re.search(r"characters from (\d+) of 60 pages", caplog.text)
    assert read is not None and int(read.group(1)) <= 20
    assert [a.id for a in index.articles()] == ["a"]
    assert "bomb.pdf" in index.skipped()


def test_a_pdf_over_its_time_budget_is_skipped_saying_how_far_it_got(tmp_path, caplog, monkeypatch):
    from askdoc.formats import pdf

    monkeypatch.setattr(pdf, "SECONDS", 0.5)
    monkeypatch.setattr(pdf, "CHARACTERS", 10**12)
    root = write_corpus(tmp_path / "c", {"slow.pdf": shared_stream_pdf(20, 200_000), "a.txt": "A\n\nThe pilot."})
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        index = askdoc.open(root)
    # all 20 pages take ~7 s here: it stops on the way (a page count, not a wall time a loaded machine stretches)
    read = re.search(r"slow.pdf: PDF text extraction took over 1 s \((\d+) of 20 pages read\)", caplog.text)
    assert read is not None and int(read.group(1)) < 20
    assert [a.id for a in index.articles()] == ["a"]


def test_records_appended_to_a_jsonl_file_are_read_alone_and_the_index_equals_a_clean_build(tmp_path, monkeypatch):
    """Issue 19, item 10: one record appended to a large dataset made the next query re-read them all."""
    from askdoc.formats import records

    lines = [json.dumps({"id": f"r{i}", "text": f"The harbour pilot {i} reported calm water."}) for i in range(300)]
    lines.insert(5, "not json")
    root = write_corpus(tmp_path / "c", {"news.jsonl": "\n".join(lines) + "\n", "a.txt": "A\n\nThe pilot."})
    askdoc.open(root)
    read = []
    real = records.article_from_text
    monkeypatch.setattr(records, "article_from_text", lambda id, *a, **k: read.append(id) or real(id, *a, **k))
    with open(root / "news.jsonl", "a") as handle:
        handle.write(json.dumps({"id": "r5", "text": "A lighthouse keeper spoke of fog."}) + "\n")  # an id taken
        handle.write(json.dumps({"text": "Fog closed the lighthouse road."}) + "\n")  # numbered by its line
    index = askdoc.open(root)
    assert read == ["news/r5-302", "news/303"]  # only the new lines, with the ids a whole read gives them
    clean = askdoc.Index.from_articles(a for f in askdoc.corpus.find_files(root) for a in askdoc.corpus.read_file(f))
    read.clear()
    assert sorted(index.data.ids()) == sorted(clean.data.ids())
    ask = "lighthouse fog keeper"
    assert [(h.article.id, h.quote.text) for h in index.search(ask)] == [
        (h.article.id, h.quote.text) for h in clean.search(ask)
    ]
    assert askdoc.open(root).n_articles == 303 and read == []  # nothing changed since: nothing read
    # a change inside the known records (same inode, larger): the file is read whole
    text = (root / "news.jsonl").read_text().replace("pilot 7 ", "pilot 7 and the coxswain ")
    with open(root / "news.jsonl", "r+") as handle:
        handle.write(text)
    assert askdoc.open(root).search("coxswain")[0].article.id == "news/r7"
    assert len(read) == 302


def test_a_utf16_jsonl_file_that_grew_is_read_whole(tmp_path):
    """Its appended bytes alone carry no byte order mark: read on their own they would not decode."""
    lines = [json.dumps({"id": f"r{i}", "text": f"The harbour pilot {i} reported calm water."}) for i in range(3)]
    big_endian = codecs.BOM_UTF16_BE + ("\n".join(lines) + "\n").encode("utf-16-be")  # ends "\x00\n"
    root = write_corpus(tmp_path / "c", {"news.jsonl": big_endian})
    askdoc.open(root)
    with open(root / "news.jsonl", "ab") as handle:
        handle.write((json.dumps({"id": "fog", "text": "Fog closed the lighthouse road."}) + "\n").encode("utf-16-be"))
    index = askdoc.open(root)
    assert index.n_articles == 4 and index.search("lighthouse fog")[0].article.id == "news/fog"
    assert index.skipped() == {}
