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


BATCH = (
    "where was the heron colony moved?\nquokka zebra\n\nafter:garbage heron\nwhat did Smithers say about the bridge?\n"
)


def test_each_batch_answer_is_headed_by_its_line_number_and_question_and_an_empty_one_says_so(bridge):
    result = run("query", "-k", "1", "-", input=BATCH)
    lines = result.stdout.splitlines()
    headings = [line for line in lines if line.startswith("line ")]
    assert headings == [
        "line 1: where was the heron colony moved?",
        "line 2: quokka zebra",
        "line 4: after:garbage heron",
        "line 5: what did Smithers say about the bridge?",
    ]
    assert lines[lines.index("line 2: quokka zebra") + 1] == "    (no answer: no passage mentions: quokka, zebra)"
    assert lines[lines.index("line 4: after:garbage heron") + 1].startswith("    (no answer: a date filter needs")
    assert lines[lines.index("line 5: what did Smithers say about the bridge?") + 1].startswith("[1] Bridge opens")
    assert "askdoc: error: line 4: a date filter needs a date" in result.stderr
    assert "askdoc: line 5: no passage mentions smithers" in result.stderr, "notices carry their line number"


def test_batch_json_objects_carry_their_line_and_a_bad_line_keeps_its_place(bridge):
    result = run("query", "--json", "-k", "1", "-", input=BATCH)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["line"], a["question"]) for a in answers] == [
        (1, "where was the heron colony moved?"),
        (2, "quokka zebra"),
        (4, "after:garbage heron"),
        (5, "what did Smithers say about the bridge?"),
    ]
    assert answers[1]["hits"] == [] and answers[2]["hits"] == [] and "date filter" in answers[2]["error"]


@pytest.mark.parametrize(
    ("questions", "status"),
    [
        ("heron colony\nmayor bridge\n", 0),
        ("quokka\nzebra\n", 1),
        ("heron colony\nquokka\n", 3),
        ("heron\nafter:x y\n", 2),
    ],
)
def test_batch_exit_status_tells_whether_every_line_some_or_none_were_answered(bridge, questions, status):
    assert run("query", "-", input=questions).exit_code == status


def test_answering_from_the_bundled_sample_says_so_and_how_to_point_at_a_corpus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./corpus here, and the fixtures leave no $ASKDOC_CORPUS
    result = run("query", "what did Volodin warn?")
    assert result.exit_code == 0 and "Volodin" in result.stdout
    assert "answering from the bundled sample" in result.stderr and "--corpus DIR" in result.stderr
    assert "bundled sample" not in result.stdout
    own = write_corpus(tmp_path / "corpus", {"a.txt": "A\n\nThe heron nests."})
    assert "bundled sample" not in run("query", "heron").stderr, "./corpus is here now"
    assert "bundled sample" not in run("query", "--corpus", str(own), "heron").stderr


def test_articles_words_match_titles_and_ids(tmp_path, monkeypatch):
    root = write_corpus(
        tmp_path / "c",
        {
            "sport/189.txt": "Rovers reject third Ferguson bid\n\nBlackburn said no.",
            "sport/200.txt": "Henry punished\n\nFerguson urged a ban.",
            "music/ferguson-tour.txt": "Singer on tour\n\nDates announced.",
        },
    )
    monkeypatch.setenv("ASKDOC_CORPUS", str(root))
    ids = [line.split("\t")[0] for line in run("articles", "Ferguson").stdout.splitlines()]
    assert ids == ["music/ferguson-tour", "sport/189"], "by title or id, not by text"
    assert [line.split("\t")[0] for line in run("articles", "ferguson", "in:sport").stdout.splitlines()] == [
        "sport/189"
    ]
    assert [line.split("\t")[0] for line in run("articles", "rovers bid").stdout.splitlines()] == ["sport/189"]
    none = run("articles", "Mourinho")
    assert none.exit_code == 1 and "no article's title or id holds: mourinho" in none.stderr


def test_show_of_a_file_name_offers_the_article_id(bridge):
    result = run("show", "bridge.txt")
    assert result.exit_code == 2 and "did you mean bridge?" in result.stderr
    assert "did you mean bridge?" in run("show", str(bridge / "bridge.txt")).stderr
    assert "did you mean bridge" in run("show", "bridgee").stderr
    assert "did you mean" not in run("show", "zebra").stderr


def test_an_in_filter_that_fits_no_folder_names_the_folders(tmp_path, monkeypatch):
    root = write_corpus(tmp_path / "c", {"sport/a.txt": "A\n\nGoals galore.", "tech/b.txt": "B\n\nPhones."})
    monkeypatch.setenv("ASKDOC_CORPUS", str(root))
    for args in (["query", "goals in:sprt"], ["articles", "in:sprt"]):
        result = run(*args)
        assert result.exit_code == 1 and "within in:sprt; its folders are sport, tech" in result.stderr, args
    assert "folders" not in run("query", "goals after:2030").stderr


def test_a_filter_word_without_a_value_is_an_error_not_a_search_for_the_word(bridge):
    result = run("query", "heron site:")
    assert result.exit_code == 2 and "site: needs a value after the colon, as in site:bbc.co.uk" in result.stderr
    assert run("query", "--json", "heron in:").exit_code == 2


def test_an_unknown_option_is_named_as_typed(bridge):
    import subprocess
    import sys

    for args, said in ((["query", "-foo", "x"], "No such option '-foo'"), (["articles", "-zed"], "'-zed'")):
        done = subprocess.run([sys.executable, "-m", "askdoc", *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and said in done.stderr, done.stderr


def test_json_matched_lists_the_questions_words_not_their_stems(bridge):
    terms = json.loads(run("query", "--json", "was the colony agreed moved, quokka?").output)["terms"]
    assert terms == {"matched": ["colony", "agreed", "moved"], "missing": ["quokka"]}, "not coloni, agre, move"
