"""askdoc add, askdoc articles and the filter options, as a user runs them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from askdoc.cli import cli
from conftest import write_corpus

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_add_copies_files_and_folders_and_indexes_them(tmp_path):
    outside = write_corpus(
        tmp_path / "downloads",
        {
            "page.html": (FIXTURES / "news.html").read_bytes(),
            "notes/a.md": "# Rivers\n\nThe Thames floods.",
            "notes/x.docx": "?",
        },
    )
    corpus = tmp_path / "corpus"
    result = run("add", "--corpus", str(corpus), str(outside / "page.html"), str(outside / "notes"))
    assert result.exit_code == 0, result.output
    assert (corpus / "page.html").exists() and (corpus / "notes/a.md").exists()
    assert not (corpus / "notes/x.docx").exists()
    assert "added 2 file(s): 2 article(s)" in result.output and "ignored 1" in result.output
    again = run("add", "--corpus", str(corpus), str(outside / "page.html"))
    assert "added 0 file(s)" in again.output and "1 already there (page.html)" in again.output  # named
    (outside / "page.html").write_text("<html><body><p>A different page about rivers and floods.</p></body></html>")
    edited = run("add", "--corpus", str(corpus), str(outside / "page.html"))
    assert "updated 1 (page.html)" in edited.output and not (corpus / "page-2.html").exists()
    assert (corpus / "page.html").read_text() == (outside / "page.html").read_text()
    other = write_corpus(
        tmp_path / "elsewhere", {"page.html": "<html><body><p>Another page on bridges.</p></body></html>"}
    )
    run("add", "--corpus", str(corpus), str(other / "page.html"))
    assert (corpus / "page-2.html").exists(), "a different file of the same name is added beside it"


def test_add_without_a_corpus_creates_one_here(tmp_path, monkeypatch):
    source = write_corpus(tmp_path / "in", {"a.txt": "Title\n\nWords about the harbour."})
    monkeypatch.chdir(tmp_path)
    result = run("add", str(source / "a.txt"))
    assert result.exit_code == 0
    assert (tmp_path / "corpus" / "a.txt").exists() and "created the corpus folder" in result.output
    assert f"{tmp_path / 'corpus'} now has 1 articles" in result.output


def test_add_that_fails_creates_no_corpus_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("add", "nosuchfile.md")
    assert result.exit_code == 2 and "'nosuchfile.md' does not exist" in result.output
    assert "creat" not in result.output and not (tmp_path / "corpus").exists()
    write_corpus(tmp_path / "slides", {"a.pptx": "?"})
    result = run("add", "slides")
    assert result.exit_code == 2 and "nothing to add" in result.output and not (tmp_path / "corpus").exists()


def test_add_of_the_folder_holding_the_corpus_leaves_the_corpus_out(tmp_path, monkeypatch):
    project = write_corpus(
        tmp_path / "p", {"notes.txt": "Notes\n\nThe walrus sleeps.", "corpus/e.txt": "E\n\nA walrus."}
    )
    monkeypatch.chdir(project)
    for _ in range(2):
        assert run("add", "--corpus", "corpus", ".").exit_code == 0
    files = sorted(p.relative_to(project / "corpus").as_posix() for p in (project / "corpus").rglob("*.txt"))
    assert files == ["e.txt", "p/notes.txt"], "never the corpus copied into itself"


def test_add_of_several_paths_with_one_wrong_adds_none_and_says_so(tmp_path):
    source = write_corpus(tmp_path / "in", {"a.txt": "A\n\nThe walrus."})
    result = run("add", "--corpus", str(tmp_path / "c"), str(source / "a.txt"), str(tmp_path / "missing.txt"))
    assert result.exit_code == 2 and "nothing was added" in result.output
    assert not (tmp_path / "c" / "a.txt").exists()


def test_add_refuses_unknown_formats_and_missing_paths_in_one_line(tmp_path):
    write_corpus(tmp_path / "x", {"slides.pptx": "?"})
    for path in (tmp_path / "x" / "slides.pptx", tmp_path / "missing.txt"):
        result = run("add", "--corpus", str(tmp_path / "c"), str(path))
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and "askdoc: error:" in result.output


def test_articles_lists_ids_titles_dates_sources_and_passages(tmp_path):
    corpus = write_corpus(
        tmp_path / "c",
        {
            "world/page.html": (FIXTURES / "news.html").read_bytes(),
            "data.jsonl": json.dumps(
                {"id": "r1", "title": "Rail", "date": "2023-01-05", "text": "Rail strikes.\n\nMore."}
            ),
        },
    )
    result = run("articles", "--corpus", str(corpus), "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["date"], r["source"], r["passages"], r["file"]) for r in rows] == [
        ("data/r1", "2023-01-05", None, 2, "data.jsonl"),
        ("world/page", "2024-09-24", "Example News", 3, "world/page.html"),
    ]
    plain = run("articles", "--corpus", str(corpus), "--since", "2024")
    assert plain.output.splitlines()[0] == "world/page\t2024-09-24\tVolodin warns of tougher response\tExample News\t3"
    assert "1 of 2 articles" in plain.output
    for words in (["in:world"], ["in:./world/", "after:2024"], ["site:example"]):  # as in a question
        listed = run("articles", "--corpus", str(corpus), *words)
        assert listed.exit_code == 0 and listed.output.splitlines()[0].startswith("world/page\t"), words
        assert "1 of 2 articles" in listed.output
    none = run("articles", "--corpus", str(corpus), "in:world", "--until", "2023")
    assert none.exit_code == 1 and none.output == (
        "askdoc: no article of this corpus is within in:world until:2023 (an undated article is never within a date filter)\n"
    )
    wrong = run("articles", "--corpus", str(corpus), "rail")
    assert wrong.exit_code == 0 and wrong.stdout.startswith("data/r1\t"), "a word: titles and ids holding it"


def test_articles_piped_keep_one_line_of_five_fields_per_article(tmp_path):
    """A file name may hold a tab or a line break; a piped listing shows them escaped, one line per article."""
    corpus = write_corpus(tmp_path / "c", {"a\tb.txt": "Tab\n\nRail strikes.", "c\nd.txt": "Break\n\nBus lanes."})
    lines = run("articles", "--corpus", str(corpus)).output.splitlines()
    assert lines[:2] == ["a\\tb\t\tTab\t\t1", "c\\nd\t\tBreak\t\t1"]
    query = run("query", "--corpus", str(corpus), "bus lanes").output.splitlines()
    assert query[0].startswith("[1] Break, ¶1  score ") and query[0].endswith("  · c\\nd:1"), "one line"


def test_every_printed_id_is_one_article_and_show_takes_it(tmp_path):
    """A line break, a literal backslash-n, a tab, a byte that is not UTF-8: each id prints its own way."""
    names = {"new\nline": "Kangaroo one", "new\\nline": "Kangaroo two", "tab\there": "Kangaroo three"}
    corpus = write_corpus(tmp_path / "c", {f"weird/{n}.txt": f"T\n\n{t} hops." for n, t in names.items()})
    (corpus / "weird" / os.fsdecode(b"caf\xe9.txt")).write_text("T\n\nKangaroo four hops.", encoding="utf-8")
    printed = run("query", "--corpus", str(corpus), "-k", "4", "kangaroo hops").output.splitlines()
    places = [line.rsplit("  · ", 1)[1] for line in printed if line.startswith("[")]
    assert len(set(places)) == 4
    listed = [line.split("\t")[0] for line in run("articles", "--corpus", str(corpus)).output.splitlines()[:4]]
    assert sorted(listed) == sorted(p.removesuffix(":1") for p in places)
    for place in places:
        shown = run("show", "--corpus", str(corpus), place)
        assert shown.exit_code == 0, place
        body = shown.output.split("\n\n", 1)[1].strip()
        hit = next(line for line, nxt in zip(printed, printed[1:]) if line.endswith("  · " + place))
        assert body in printed[printed.index(hit) + 1], place  # the paragraph the query printed under that id


def test_in_takes_a_path_of_this_machine_inside_the_corpus(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "c", {"sport/a.txt": "A\n\nCup final.", "news/b.txt": "B\n\nCup vote."})
    monkeypatch.setenv("HOME", str(tmp_path))
    for place in (str(corpus / "sport"), str(corpus / "sport") + "/", "~/c/sport"):
        result = run("query", "--corpus", str(corpus), "--json", "--in", place, "cup")
        assert [h["article"]["id"] for h in json.loads(result.output)["hits"]] == ["sport/a"], place
        assert run("articles", "--corpus", str(corpus), f"in:{place}").output.split("\t")[0] == "sport/a"
    assert "2 of 2 articles" in run("articles", "--corpus", str(corpus), f"in:{corpus}").output  # the corpus itself
    assert run("query", "--corpus", str(corpus), "--in", str(tmp_path / "elsewhere"), "cup").exit_code == 1


def test_articles_take_a_folder_with_a_space_as_one_argument_or_quoted(tmp_path):
    corpus = write_corpus(tmp_path / "c", {"my folder/a.txt": "A\n\nRail.", "sport/b.txt": "B\n\nCup."})
    for words in (["in:my folder"], ["in:'my folder'"], ['in:"my folder"']):
        assert run("articles", "--corpus", str(corpus), *words).output.split("\t")[0] == "my folder/a", words
    assert run("articles", "--corpus", str(corpus), "in:'sport'").output.split("\t")[0] == "sport/b"
    missing = run("articles", "--corpus", str(corpus), "in:no folder")
    assert missing.exit_code == 1 and 'within in:"no folder"' in missing.output
    assert run("query", "--corpus", str(corpus), "rail in:'my folder'").exit_code == 0


def test_query_filter_options_and_question_syntax(tmp_path):
    corpus = write_corpus(
        tmp_path / "c",
        {"uk/a.md": "---\ndate: 2024-09-02\nsource: BBC\n---\n\nThe budget vote.", "us/b.txt": "T\n\nThe budget plan."},
    )
    only_uk = run("query", "--corpus", str(corpus), "--json", "--in", "uk", "budget")
    assert [h["article"]["id"] for h in json.loads(only_uk.output)["hits"]] == ["uk/a"]
    assert run("query", "--corpus", str(corpus), "budget site:BBC before:2024-09-02").exit_code == 1
    bad = run("query", "--corpus", str(corpus), "--until", "soon", "budget")
    assert bad.exit_code == 2 and "a date filter needs a date" in bad.output
