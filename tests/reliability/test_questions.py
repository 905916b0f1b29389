"""Bad questions: a clear answer or message, never a traceback, exit status as documented (0/1/2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from reliability_tools import run_askdoc

import askdoc
from askdoc.cli import cli
from conftest import write_corpus

ARTICLE = (
    "Budget day\n\nThe minister presented the budget to parliament.\n\n"
    "Oil prices rose as the minister's (budget) plan leaked: 3.5% growth, $1.2bn.\n"
)

# question -> the exit status the CLI documents: 0 answered, 1 nothing matches, 2 usage error
QUESTIONS = {
    "": 2,
    "   \t ": 2,
    "?!... ,;:": 1,
    "what is the of and to": 1,  # stop words and question words only
    "minister " * 1111 + "b": 0,  # 10,000 characters
    " ".join(f"word{i}" for i in range(1500))[:10_000]: 1,
    "\x1b[31mminister\x1b[0m \x07\x00 budget\x9b": 0,
    "\x1b]52;c;aGVsbG8=\x07 minister": 0,
    "minister 🚀🔥 budget 👍🏽": 0,
    "מה אמר השר על התקציב": 1,  # Hebrew, right to left
    "ما قال الوزير budget": 0,  # Arabic with one English word
    "\u202eminister\u202c budget": 0,
    '"unbalanced minister': 0,
    "minister's (budget": 0,
    ".*+?[](){}|^$\\ minister": 0,
    "(?P<x>a)\\1 [[:alpha:]] %s %d {0} ${HOME}": 1,
    "3.5% $1.2bn": 0,
    "minister\nbudget": 0,
    "\ufeffminister\u200b\u00adbudget": 0,
    "min\udcffister": 1,  # a lone surrogate, as an undecodable argv byte arrives
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("questions") / "corpus", {"budget.txt": ARTICLE})


@pytest.mark.parametrize("question", list(QUESTIONS), ids=range(len(QUESTIONS)))
def test_any_question_gets_hits_or_an_empty_answer_from_the_library(corpus, question):
    index = askdoc.open(corpus)
    hits = index.search(question, k=5)
    assert bool(hits) == (QUESTIONS[question] == 0)
    for hit in hits:
        assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text
        assert hit.article.text[hit.passage.start : hit.passage.end] == hit.passage.text
    for hit in index.search(question, k=5, context=["what about the budget?"]):  # a follow-up quotes verbatim too
        assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text
    json.dumps(hits.to_json())  # always serialisable


@pytest.mark.parametrize("question", list(QUESTIONS), ids=range(len(QUESTIONS)))
def test_any_question_gets_a_documented_exit_status_and_a_message_from_the_cli(corpus, question):
    runner = CliRunner()
    result = runner.invoke(cli, ["query", "--corpus", str(corpus), question])
    assert result.exit_code == QUESTIONS[question], result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        assert "¶" in result.output
    else:
        assert result.output.startswith("askdoc: ") and result.output.count("\n") == 1, result.output
    as_json = runner.invoke(cli, ["query", "--corpus", str(corpus), "--json", question])
    assert as_json.exit_code == QUESTIONS[question]
    if as_json.exit_code != 2:
        assert json.loads(as_json.output)["question"] == question  # exactly the question, safely escaped


def test_the_documented_messages(corpus):
    def message(question):
        return CliRunner().invoke(cli, ["query", "--corpus", str(corpus), question]).output.strip()

    assert message("") == "askdoc: error: the question is empty: ask something, or give - to read questions from stdin"
    assert message("?!") == "askdoc: the question has no words to search for (only stop words or punctuation)"
    assert message("what is the") == "askdoc: the question has no words to search for (only stop words or punctuation)"
    assert message("מה אמר השר") == "askdoc: no passage mentions: מה, אמר, השר"


@pytest.mark.slow
def test_bad_questions_in_real_processes_with_a_strict_locale(corpus, tmp_path):
    strict = {"PYTHONIOENCODING": "utf-8:strict"}
    for question in ["", "minister " * 1111, "\x1b]8;;http://evil\x07minister\x1b]8;;\x07", "min\udcffister"]:
        result = run_askdoc("query", "--corpus", str(corpus), question, cache=tmp_path, env=strict)
        assert result.returncode == QUESTIONS.get(question, 0), result.stderr
        assert "Traceback" not in result.stderr and "\x1b" not in result.stdout + result.stderr
    lines = b"minister\n\n\xff\xfe budget\n?!\n" + "\u202eminister\n".encode() + b"x" * 10_000 + b"\n"
    done = subprocess.run(
        [sys.executable, "-m", "askdoc", "query", "--corpus", str(corpus), "--json", "-"],
        input=lines,
        capture_output=True,
        env={**os.environ, "ASKDOC_CACHE_DIR": str(tmp_path), **strict},
        timeout=60,
    )
    assert done.returncode == 3 and b"Traceback" not in done.stderr, done.stderr  # 3: some lines had no answer
    answers = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [bool(a["hits"]) for a in answers] == [True, True, False, True, False]
    assert answers[1]["question"] == "\ufffd\ufffd budget"  # undecodable bytes became U+FFFD
