"""Rerun every ``$ askdoc ...`` example of README.md and write what askdoc prints now below it.

    python benchmarks/readme_outputs.py

The examples run where tests/test_readme.py runs them (a folder without ./corpus, so the bundled
sample answers); a retrained reranker changes their scores, and this keeps README true.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from click.testing import CliRunner

from askdoc.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def printed(command: str) -> list[str]:
    stdin = None
    if command.startswith("printf "):  # printf 'one\ntwo\n' | askdoc query -
        shown, command = command.split(" | ", 1)
        stdin = shlex.split(shown)[1].replace("\\n", "\n")
    result = CliRunner().invoke(cli, shlex.split(command)[1:], input=stdin, catch_exceptions=False)
    return result.stdout.rstrip("\n").split("\n")


def main() -> None:
    text = README.read_text("utf-8")
    lines = text.splitlines()
    out: list[str] = []
    os.chdir(tempfile.mkdtemp())
    number = 0
    while number < len(lines):
        line = lines[number]
        out.append(line)
        number += 1
        if line.startswith("    $ ") and "askdoc " in line:
            end = number
            while end < len(lines) and not (
                lines[end].startswith("    $ ") or (lines[end] and not lines[end].startswith("    "))
            ):
                end += 1
            trailing = len(lines[number:end]) - len("\n".join(lines[number:end]).rstrip("\n").split("\n"))
            out.extend(("    " + shown) if shown else "" for shown in printed(line[6:]))
            out.extend([""] * max(trailing, 0))
            number = end
    README.write_text("\n".join(out) + ("\n" if text.endswith("\n") else ""), "utf-8")


if __name__ == "__main__":
    main()
