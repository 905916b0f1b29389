"""README's snippets run as written: its Python examples, the output it shows and the commands it suggests."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import askdoc
from askdoc.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"^```python\n(.*?)^```", README, re.MULTILINE | re.DOTALL)


def shown_runs() -> list[tuple[str, str]]:
    """Each ``$ askdoc ...`` of README with the lines shown below it (indented, up to the next ``$`` or text)."""
    runs = []
    lines = README.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("    $ ") and "askdoc " in line:
            output = []
            for following in lines[number + 1 :]:
                if following.startswith("    $ ") or (following and not following.startswith("    ")):
                    break
                output.append(following[4:])
            runs.append((line[6:], "\n".join(output).strip("\n") + "\n"))
    return runs


def example_commands() -> list[str]:
    """The indented ``askdoc query ...`` / ``askdoc articles ...`` examples (not the reference's placeholders)."""
    commands = []
    for line in README.splitlines():
        command = line[4:].split("   #", 1)[0].strip()
        words = command.split()
        if (
            line.startswith("    askdoc ")
            and len(words) > 1
            and words[1] in ("query", "articles", "show")
            and not re.search(r"\[|DIR|PATH|ARTICLE_ID|QUESTION", command)
        ):
            commands.append(command)
    return commands


@pytest.fixture
def sample_only(monkeypatch, tmp_path):
    """Where README's commands run: no ./corpus, so the bundled sample answers."""
    monkeypatch.chdir(tmp_path)


def test_readme_has_snippets_to_run():
    assert len(PYTHON_BLOCKS) >= 2 and len(shown_runs()) >= 2 and len(example_commands()) >= 6


@pytest.mark.parametrize("number", range(len(PYTHON_BLOCKS)))
def test_every_python_snippet_runs(number, tmp_path):
    shutil.copytree(askdoc.sample_corpus(), tmp_path / "corpus")  # the README's "corpus/"
    result = subprocess.run(
        [sys.executable, "-c", PYTHON_BLOCKS[number]], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the snippet prints what README says it does"


@pytest.mark.parametrize(("command", "shown"), shown_runs(), ids=[command for command, _ in shown_runs()])
def test_what_readme_shows_is_what_askdoc_prints(command, shown, sample_only):
    stdin = None
    if command.startswith("printf "):  # printf 'one\ntwo\n' | askdoc query -
        printed, command = command.split(" | ", 1)
        stdin = shlex.split(printed)[1].replace("\\n", "\n")
    result = CliRunner().invoke(cli, shlex.split(command)[1:], input=stdin, catch_exceptions=False)
    assert result.exit_code in (0, 3)  # 3: a line of stdin had no answer
    assert result.stdout.rstrip("\n") + "\n" == shown  # README leaves out the blank line after the last hit


@pytest.mark.parametrize("command", example_commands())
def test_every_example_command_runs(command, sample_only):
    result = CliRunner().invoke(cli, shlex.split(command)[1:], catch_exceptions=False, env={"COLUMNS": "100"})
    assert result.exit_code in (0, 1), result.output  # 1: a corpus of your own is not here
    assert "error" not in result.stderr


def test_the_first_example_command_answers_from_the_bundled_sample(sample_only):
    assert CliRunner().invoke(cli, shlex.split(example_commands()[0])[1:]).exit_code == 0
