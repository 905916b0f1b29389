"""The askdoc command: output, JSON, stdin, exit codes and messages, as a user runs it."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from askdoc.cli import cli
from conftest import SEED_ID, write_corpus


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def corpus(seed_corpus, monkeypatch):
    monkeypatch.setenv("ASKDOC_CORPUS", str(seed_corpus))
    return seed_corpus


def test_query_prints_the_volodin_quote_with_its_citation(corpus):
    result = run("query", "what did Volodin warn?", "-k", "2")
    assert result.exit_code == 0
    assert "Vyacheslav Volodin" in result.output
    assert "(2024-09-24), ¶11" in result.output
    assert result.output.count("¶") == 2


def test_query_json_follows_the_documented_shape(corpus):
    result = run("query", "--json", "what did Volodin warn?", "-k", "3")
    data = json.loads(result.output)
    assert data["question"] == "what did Volodin warn?"
    assert data["terms"] == {"matched": ["volodin", "warn"], "missing": []}
    top = data["hits"][0]
    assert top["rank"] == 1 and top["article"]["id"] == SEED_ID and top["article"]["date"] == "2024-09-24"
    assert top["passage"]["paragraph"] == 11
    text = Path(top["article"]["path"]).read_text(encoding="utf-8")
    assert text[top["passage"]["start"] : top["passage"]["end"]] == top["passage"]["text"]
    assert text[top["quote"]["start"] : top["quote"]["end"]] == top["quote"]["text"]
    assert top["citation"].endswith("¶11")
    assert len(data["hits"]) == 3


def test_no_match_exits_1_with_a_plain_message(corpus):
    result = run("query", "macron tariffs")
    assert result.exit_code == 1
    assert "no passage mentions: macron, tariffs" in result.output
    result = run("query", "--json", "macron tariffs")
    assert result.exit_code == 1
    assert json.loads(result.output)["terms"]["missing"] == ["macron", "tariffs"]


def test_stdin_questions_give_json_lines(corpus):
    result = run("query", "--json", "-", input="what did Volodin warn?\n\nmacron\nStorm Shadow\n")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["question"] for line in lines] == ["what did Volodin warn?", "macron", "Storm Shadow"]
    assert lines[1]["hits"] == [] and lines[2]["hits"]
    assert result.exit_code == 3, "some lines were answered, one was not"


def test_show_prints_an_article_or_a_cited_paragraph(corpus):
    result = run("show", f"{SEED_ID}:11")
    assert result.exit_code == 0
    assert "Vyacheslav Volodin" in result.output and "Storm Shadow" not in result.output
    whole = run("show", SEED_ID)
    assert "Storm Shadow" in whole.output and "Vyacheslav Volodin" in whole.output


def test_each_printed_hit_names_what_show_takes_and_show_prints_that_paragraph(corpus):
    result = run("query", "what did Volodin warn?", "-k", "1")
    citation = result.output.splitlines()[0]
    assert citation.endswith(f"  · {SEED_ID}:11")
    shown = run("show", citation.rsplit("· ", 1)[1])
    assert shown.exit_code == 0 and "Vyacheslav Volodin" in shown.output


def test_corpus_given_before_the_command_is_every_commands_and_the_chats(tmp_path, seed_corpus, monkeypatch):
    import askdoc.tui.app

    other = write_corpus(tmp_path / "other", {"a.txt": "Okapi\n\nThe okapi lives in the forest."})
    monkeypatch.setenv("ASKDOC_CORPUS", str(seed_corpus))  # restored after the test, whatever the command sets
    opened = []
    monkeypatch.setattr(askdoc.tui.app, "run", lambda corpus, engine: opened.append(corpus))
    assert run("--corpus", str(other)).exit_code == 0 and opened == [other]
    assert "The okapi lives" in run("-c", str(other), "query", "okapi").output
    assert run("-c", str(other), "query", "Volodin").exit_code == 1


def test_windows_and_old_mac_line_breaks_are_shown_as_line_breaks_not_escapes(tmp_path):
    text = "Ferry\r\n\r\nA ferry sank near\rDover on Monday.\r\n\r\nAll were rescued.\r\n"
    root = write_corpus(tmp_path / "c", {"f.txt": text.encode()})
    shown = run("show", "--corpus", str(root), "f").output
    assert (
        "\\r" not in shown and "\r" not in shown and "A ferry sank near\nDover on Monday.\n\nAll were rescued." in shown
    )
    answered = run("query", "--corpus", str(root), "ferry Dover").output
    assert "\\r" not in answered and "near\n    Dover" in answered


def test_show_piped_prints_the_text_as_it_is_not_wrapped(corpus):
    import askdoc

    article = askdoc.open(corpus).article(SEED_ID)
    shown = run("show", SEED_ID).output
    assert article.text[article.body_start :].strip() in shown, "every paragraph whole, on its own line"
    assert shown.startswith(article.title + "\n")


def test_a_bad_filter_on_one_stdin_line_is_reported_and_the_other_lines_answered(corpus):
    result = run("query", "--json", "-", input="Storm Shadow\nafter:garbage Putin\nwhat did Volodin warn?\n")
    answered = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answered if "error" not in a] == ["Storm Shadow", "what did Volodin warn?"]
    assert "line 2: a date filter needs a date" in result.stderr
    assert result.exit_code == 2
    assert run("query", "after:garbage Putin").exit_code == 2  # one question: the error alone


def test_an_article_id_ending_in_colon_digits_is_shown_whole(tmp_path, monkeypatch):
    root = write_corpus(tmp_path / "c", {"a:7.txt": "Seven\n\nThe colon article.", "a.txt": "A\n\nPlain a."})
    monkeypatch.setenv("ASKDOC_CORPUS", str(root))
    assert "The colon article." in run("show", "a:7").output
    assert "Plain a." in run("show", "a:1").output and "Plain a." not in run("show", "a:7").output


def test_articles_json_escapes_undecodable_names_and_bidi_controls(tmp_path, monkeypatch):
    root = tmp_path / "c"
    root.mkdir()
    (root / os.fsdecode(b"bad\xffname.txt")).write_text("Bad\n\nHerons nest.", encoding="utf-8")
    (root / "bidi\u202eevil.txt").write_text("Bidi\n\nHerons fly.", encoding="utf-8")
    monkeypatch.setenv("ASKDOC_CORPUS", str(root))
    result = subprocess.run([sys.executable, "-m", "askdoc", "articles", "--json"], capture_output=True)
    assert result.returncode == 0
    assert b"\xff" not in result.stdout and "\u202e".encode() not in result.stdout  # escaped: \\udcff, \\u202e
    rows = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert {row["id"] for row in rows} == {"bad\udcffname", "bidi\u202eevil"}


def test_show_unknown_article_or_paragraph_is_an_error(corpus):
    assert run("show", "nope").exit_code == 2
    result = run("show", f"{SEED_ID}:99")
    assert result.exit_code == 2 and "no paragraph 99" in result.output


def test_index_reports_what_it_built(corpus):
    result = run("index")
    assert result.exit_code == 0 and "1 articles" in result.output
    assert run("index", "--rebuild").exit_code == 0


def test_engine_rank_bm25_gives_the_same_answer(corpus):
    ours = json.loads(run("query", "--json", "Putin nuclear weapons").output)
    ref = json.loads(run("query", "--json", "--engine", "rank-bm25", "Putin nuclear weapons").output)
    assert [h["passage"]["start"] for h in ours["hits"]] == [h["passage"]["start"] for h in ref["hits"]]


def test_markup_and_escape_sequences_in_articles_are_printed_inert(tmp_path):
    root = write_corpus(
        tmp_path / "c", {"evil.txt": "Evil\n\nThe [bold red]minister[/] said \x1b]52;c;aGk=\x07 \x1b[31mno\u202e."}
    )
    result = run("query", "--corpus", str(root), "minister")
    assert result.exit_code == 0
    assert "[bold red]minister[/]" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


def subprocess_askdoc(*args, input=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "askdoc", *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_end_to_end_volodin_in_a_real_process(seed_corpus):
    result = subprocess_askdoc("query", "--corpus", str(seed_corpus), "what did Volodin warn?")
    assert result.returncode == 0, result.stderr
    assert "warned Vyacheslav Volodin" in " ".join(result.stdout.split())
    assert "¶11" in result.stdout


@pytest.mark.slow
def test_exit_codes_and_one_line_errors_in_a_real_process(tmp_path, seed_corpus):
    no_match = subprocess_askdoc("query", "--corpus", str(seed_corpus), "macron")
    assert no_match.returncode == 1 and no_match.stdout == ""
    missing = subprocess_askdoc("query", "--corpus", str(tmp_path / "nowhere"), "x")
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "Traceback" not in missing.stderr
    for args, said in (
        (["query"], "askdoc: error: Missing argument 'QUESTION' (see askdoc query --help)"),
        (["query", "-k", "abc", "x"], "askdoc: error: Invalid value for '-k'"),
        (["frobnicate"], "askdoc: error: No such command 'frobnicate' (see askdoc --help)"),
        (["query", "what", "is", "-5", "degrees"], "askdoc: error: No such option '-5'; a question word starting"),
        (["query", "-", "extra"], "askdoc: error: '-' reads the questions from stdin, one a line: give it alone"),
    ):
        usage = subprocess_askdoc(*args)
        assert usage.returncode == 2 and usage.stderr.count("\n") == 1 and usage.stderr.startswith(said), args
    words = subprocess_askdoc("query", "--corpus", str(seed_corpus), "what", "did", "Volodin", "warn")
    assert words.returncode == 0 and "Vyacheslav Volodin" in words.stdout  # the words of an unquoted question
    empty = tmp_path / "empty"
    empty.mkdir()
    unusable = subprocess_askdoc("query", "--corpus", str(empty), "x")
    assert unusable.returncode == 2 and "no readable articles" in unusable.stderr


def test_stdin_in_a_real_process(seed_corpus):
    result = subprocess_askdoc("query", "--corpus", str(seed_corpus), "--json", "-", input="Volodin\nPutin\n")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 2


def test_default_corpus_is_the_bundled_sample_outside_a_project(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "askdoc", "query", "Volodin"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ}, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and "Volodin" in result.stdout


@pytest.mark.parametrize(("given", "kept"), [(None, "1"), ("4", "4")])
def test_the_command_keeps_blas_to_one_thread_and_skips_the_last_collection(monkeypatch, given, kept):
    """OpenBLAS would start a spinning thread per core when numpy loads; askdoc does no linear algebra."""
    from askdoc import cli as cli_module

    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        environ["OPENBLAS_NUM_THREADS"] = given
    monkeypatch.setattr(os, "environ", environ)
    monkeypatch.setattr(cli_module.cli, "main", lambda **kwargs: None)
    try:
        with pytest.raises(SystemExit) as exited:
            cli_module.main()
        assert exited.value.code == 0
        assert gc.get_freeze_count() > 0  # the last collection at exit skips what the command made
    finally:
        gc.unfreeze()
    assert environ["OPENBLAS_NUM_THREADS"] == kept
