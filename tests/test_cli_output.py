"""What askdoc query prints: the quote as the answer, batches matched to their lines, which corpus answered."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from askdoc.cli import cli
from conftest import write_corpus

PARAGRAPH = (
    "The mayor opened the new bridge on Monday. "
    "Engineers said the heron colony under the bridge had been moved to the marsh. "
    "Traffic will start flowing on Friday. "
    "The council meets in June to agree the budget for road repairs across the county."
)
QUOTE = "Engineers said the heron colony under the bridge had been moved to the marsh."


def run(*args, input=None, env=None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def bridge(tmp_path, monkeypatch):
    root = write_corpus(
        tmp_path / "c",
        {
            "bridge.txt": f"Bridge opens\n\n{PARAGRAPH}\n\nThe mayor thanked the builders.",
            "marsh.txt": "Marsh news\n\nA marsh warden counted egrets this spring.",
        },
    )
    monkeypatch.setenv("ASKDOC_CORPUS", str(root))
    return root


def test_piped_hit_is_its_citation_line_and_its_quote_with_ellipses_where_the_paragraph_goes_on(bridge):
    result = run("query", "-k", "1", "where was the heron colony moved?")
    assert result.exit_code == 0
    citation, quote, blank = result.output.splitlines()
    assert citation.startswith("[1] Bridge opens, ¶1  score ") and citation.endswith("  · bridge:1")
    answer = json.loads(run("query", "--json", "-k", "1", "where was the heron colony moved?").output)
    assert answer["hits"][0]["quote"]["text"].startswith(QUOTE)
    assert quote == f"    … {answer['hits'][0]['quote']['text']} …" and blank == ""
    assert "June" not in result.output


def test_full_prints_the_whole_paragraph(bridge):
    result = run("query", "-k", "1", "--full", "where was the heron colony moved?")
    assert result.exit_code == 0 and f"    {PARAGRAPH}" in result.output.splitlines()


def test_on_a_terminal_the_quote_is_shown_and_the_rest_of_the_paragraph_is_not(bridge):
    result = run("query", "-k", "1", "where was the heron colony moved?", env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert "heron" in result.output and "\x1b[" in result.output  # a terminal's styles: the words marked
    assert "Monday" not in result.output and "June" not in result.output and "…" in result.output
    full = run("query", "-k", "1", "--full", "where heron colony", env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert "Monday" in full.output and "June" in full.output


def test_json_keeps_both_the_paragraph_and_the_quote(bridge):
    hit = json.loads(run("query", "--json", "-k", "1", "where was the heron colony moved?").output)["hits"][0]
    assert hit["passage"]["text"] == PARAGRAPH
    assert hit["quote"]["text"].startswith(QUOTE) and hit["quote"]["text"] in PARAGRAPH
