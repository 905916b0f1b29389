"""Reading articles: metadata from what files carry, decoding fallbacks, files skipped loudly."""

from __future__ import annotations

import logging

import pytest

import askdoc
from askdoc.corpus import article_from_text, find_files, read_article
from conftest import SEED_ID, write_corpus


def read_all(root):
    return {a.id: a for a in (read_article(f) for f in find_files(root)) if a is not None}


def test_seed_date_header_gives_the_date_and_a_readable_title(seed_corpus):
    article = read_all(seed_corpus)[SEED_ID]
    assert article.date == "2024-09-24"
    assert article.title.startswith("This week, world leaders will gather")
    assert article.text[article.body_start :].startswith("This week,")


def test_bbc_style_first_line_is_the_title():
    article = article_from_text(
        "business/001", "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant.\n"
    )
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.date is None
    assert article.text[article.body_start :].strip() == "Quarterly profits at US media giant."


def test_front_matter_gives_title_date_url_and_author():
    text = "---\ntitle: Storm Shadow approved\ndate: 2024-09-20\nurl: https://example.org/a\nauthor: A. Writer\n---\n\nBody text here.\n"
    article = article_from_text("notes/a", text)
    assert (article.title, article.date, article.url, article.author) == (
        "Storm Shadow approved",
        "2024-09-20",
        "https://example.org/a",
        "A. Writer",
    )
    assert article.text[article.body_start :].strip() == "Body text here."


def test_an_impossible_date_is_no_date_and_the_article_is_read_all_the_same():
    front = article_from_text("a", "---\ntitle: Walrus\ndate: 2024-09-31\nauthor: A. Writer\n---\n\nThe walrus.\n")
    assert (front.title, front.date, front.author) == ("Walrus", None, "A. Writer")
    header = article_from_text("b", "date 2024-02-30\nWalrus two\n\nThe walrus again.\n")
    assert (header.title, header.date) == ("Walrus two", None)


def test_front_matter_yaml_cannot_read_is_no_front_matter():
    article = article_from_text("a", "---\n\x1b\n---\n")
    assert article.text == "---\n\x1b\n---\n" and article.date is None


def test_missing_title_falls_back_to_something_readable_and_date_stays_unknown():
    article = article_from_text("x", "the first sentence is rather long and goes on. Another one.")
    assert article.title == "the first sentence is rather long and goes on"
    assert article.date is None


def test_cp1252_file_is_decoded_and_indexed(tmp_path):
    root = write_corpus(
        tmp_path / "c", {"sport/199.txt": "Caf\xe9 owner\u2019s \u201cwin\u201d\n\nHe said it.".encode("cp1252")}
    )
    article = read_all(root)["sport/199"]
    assert article.title == "Café owner’s “win”"


def test_a_stray_byte_costs_one_character_not_the_files_accents_and_quotes(tmp_path):
    utf8 = "Caf\xe9 owner\u2019s \u201cwin\u201d\n\nHe said it.".encode() + b" Price: \xa35."  # one cp1252 pound
    cp1252 = "Caf\xe9 owner\u2019s \u201cwin\u201d\n\nHe said it.".encode("cp1252") + b" \x81"  # undefined there
    root = write_corpus(tmp_path / "c", {"utf8.txt": utf8, "cp1252.txt": cp1252})
    articles = read_all(root)
    assert articles["utf8"].title == articles["cp1252"].title == "Caf\xe9 owner\u2019s \u201cwin\u201d"
    assert articles["utf8"].text.endswith("He said it. Price: \xa35.")


def test_a_utf8_file_with_more_stray_bytes_than_accents_keeps_its_accents(tmp_path):
    """A pasted pair of Windows quotes (two strays) beside one "é": the "é" is UTF-8's, never "Ã©"."""
    data = b"Stray two\n\nThe okapi visited the caf\xc3\xa9. The okapi said \x93hello\x94 loudly."
    root = write_corpus(tmp_path / "c", {"okapi.txt": data})
    assert read_all(root)["okapi"].text.endswith(
        "The okapi visited the caf\xe9. The okapi said \u201chello\u201d loudly."
    )


def test_a_windows_1252_file_is_read_whole_even_where_its_bytes_happen_to_be_utf8(tmp_path):
    """ "ß" (DF) before "“" (93) is a valid UTF-8 sequence; read byte by byte the two would merge into one wrong character."""
    text = "Brief\n\nEr schrieb: \u201eMit freundlichem Gru\xdf\u201c und den Hamsterbrief, \u201eMa\xdf\u2013Krug\u201c.\n"
    root = write_corpus(tmp_path / "c", {"brief.txt": text.encode("cp1252")})
    assert read_all(root)["brief"].text == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-16-le"])
def test_wide_text_with_a_byte_order_mark_is_decoded_and_quoted_verbatim(tmp_path, encoding):
    text = "Caf\xe9 d\xe9cision\n\nThe minister said the \u20ac2bn plan was \u201cdone\u201d.\n"
    data = ("\ufeff" + text).encode(encoding) if encoding.endswith(("-be", "-le")) else text.encode(encoding)
    root = write_corpus(tmp_path / "c", {"wide.txt": data})
    article = read_all(root)["wide"]
    assert article.title == "Caf\xe9 d\xe9cision"
    assert "\u20ac2bn plan" in article.text
    hits = askdoc.open(root).search("what did the minister say about the plan?")
    assert hits and hits[0].article.id == "wide"
    assert hits[0].article.text[hits[0].quote.start : hits[0].quote.end] == hits[0].quote.text
    assert "\u20ac2bn" in hits[0].quote.text


def test_bytes_behind_a_utf16_mark_that_decode_to_control_characters_stay_binary(tmp_path, caplog):
    root = write_corpus(
        tmp_path / "c", {"good.txt": "Title\n\nSome words.", "fake.txt": b"\xff\xfe" + bytes(range(256)) * 32}
    )
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert set(read_all(root)) == {"good"}
    assert "fake.txt" in " ".join(r.getMessage() for r in caplog.records)


def test_empty_binary_and_unreadable_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog):
    root = write_corpus(
        tmp_path / "c",
        {
            "good.txt": "Title\n\nSome words.",
            "empty.txt": "  \n",
            "blob.txt": b"\x00\x01\x02binary",
            "ignored.pdfx": "x",
        },
    )
    locked = root / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        articles = read_all(root)
    assert set(articles) == {"good"} or set(articles) == {"good", "locked"}  # root can read anything
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "empty.txt" in messages and "blob.txt" in messages


def test_files_are_found_recursively_and_hidden_ones_left_out(tmp_path):
    root = write_corpus(tmp_path / "c", {"a/b/deep.md": "# T\n\ntext", ".hidden/x.txt": "x", "top.txt": "y"})
    assert [f.rel for f in find_files(root)] == ["top.txt", "a/b/deep.md"] or sorted(
        f.rel for f in find_files(root)
    ) == ["a/b/deep.md", "top.txt"]
    assert all(not f.rel.startswith(".") for f in find_files(root))


def test_symlink_out_of_the_corpus_is_skipped_with_a_warning(tmp_path, caplog):
    outside = tmp_path / "outside.txt"
    outside.write_text("private\n\nnotes")
    root = write_corpus(tmp_path / "c", {"in.txt": "Inside\n\ntext"})
    (root / "link.txt").symlink_to(outside)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        rels = [f.rel for f in find_files(root)]
    assert rels == ["in.txt"]
    assert "link.txt" in caplog.text


def test_a_walk_in_a_child_process_sees_what_a_walk_here_sees(tmp_path):
    from askdoc.corpus import PendingScan, scan

    root = tmp_path / "c"
    for rel in ["b.txt", "a.md", "sub/x.txt", "sub/deeper/y.html", "z/\udcff.txt", "notes.bin", ".hidden.txt"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"Title\n\nText.")
    walked, here = PendingScan(root).result(), scan(root)
    assert walked is not None
    assert (walked.root, walked.rels, walked.sizes, walked.mtimes) == (here.root, here.rels, here.sizes, here.mtimes)
    assert "z/\udcff.txt" in walked.rels and "notes.bin" not in walked.rels


def test_walkers_are_forked_only_where_they_pay(tmp_path, monkeypatch):
    from askdoc import corpus

    monkeypatch.delenv("ASKDOC_NO_FORK", raising=False)
    monkeypatch.setattr(corpus, "FORK_FROM", 4)
    flat = write_corpus(tmp_path / "flat", {f"{n}.txt": "T\n\nText." for n in range(3)})
    assert corpus.scan_in_background(flat) is None  # a few files: walked in the calling process
    (flat / "3.txt").write_text("T\n\nText.")
    one = corpus.scan_in_background(flat)
    assert one is not None and len(one.children) == 1  # a flat folder cannot be split
    nested = write_corpus(tmp_path / "nested", {"a/1.txt": "T\n\nText.", "b/2.txt": "T\n\nText.", "0.txt": "T"})
    two = corpus.scan_in_background(nested)
    assert two is not None and len(two.children) == 2
    for pending, root in [(one, flat), (two, nested)]:
        walked, here = pending.result(), corpus.scan(root)
        assert walked is not None and (walked.rels, walked.sizes, walked.mtimes) == (here.rels, here.sizes, here.mtimes)


def test_a_child_walk_that_meets_an_odd_file_leaves_the_warning_to_the_caller(tmp_path):
    from askdoc.corpus import PendingScan

    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text("A\n\nText.")
    (root / "out.txt").symlink_to(tmp_path / "elsewhere.txt")
    (tmp_path / "elsewhere.txt").write_text("outside")
    assert PendingScan(root).result() is None


def test_an_index_cache_set_inside_the_corpus_is_not_indexed(tmp_path, monkeypatch, caplog):
    from askdoc import store

    root = write_corpus(tmp_path / "c", {"h.txt": "Herons\n\nHerons nest by the river."})
    monkeypatch.setenv("ASKDOC_CACHE_DIR", str(root / "cache"))
    first = askdoc.open(root)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        again = askdoc.open(root)
    assert [a.id for a in again.articles()] == ["h"]
    assert store.current_generation(again.location) == store.current_generation(first.location)  # nothing new
    assert not caplog.records
    assert (root / "cache" / "indexes" / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d172")
