"""How askdoc query prints the answer to each question: plain, Rich or JSON, numbered when read from stdin."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

import askdoc

from . import render, timing

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class Answer:
    """How ``askdoc query`` prints each answer: how many hits, under what filter, in which form."""

    k: int
    max_per_article: int | None
    where: askdoc.Filter | None
    json_: bool
    full: bool
    console: Console | None  # a Rich console on a terminal, else None


def answer(index: askdoc.Index, text: str, line: int | None, how: Answer) -> bool | None:
    """Search and print one question: True answered, False no answer, None a bad filter on its line.

    A question read from stdin (``line`` is its number) is headed by its number and its words, its
    notices are numbered and an empty answer is said on stdout too, so that the blocks line up
    with the questions; in JSON each object carries ``line``.
    """
    where = f"line {line}: " if line is not None else ""
    if line is not None and not how.json_:
        heading = f"line {line}: {render.one_line(text)}"
        if how.console is not None:
            from rich.text import Text

            how.console.print(Text(heading, style="bold"))
        else:
            click.echo(heading)
    try:
        with timing.stage("search"):
            hits = index.search(text, k=how.k, max_per_article=how.max_per_article, where=how.where)
    except askdoc.FilterError as err:
        if line is None:
            raise
        click.echo(f"askdoc: error: {where}{render.inert(str(err))}", err=True)  # the other lines still get answers
        say_unanswered(how, {"line": line, "question": text, "error": str(err), "hits": []}, str(err))
        return None
    if hits.weak and not how.json_:
        click.echo(f"askdoc: {where}{render.weak_message(hits)}", err=True)
    with timing.stage("render"):
        if how.json_:
            click.echo(render.json_line({"line": line, **hits.to_json()} if line is not None else hits.to_json()))
        elif hits and how.console is not None:
            how.console.print(render.hits_renderable(shown(index, hits, how.full), how.full))
        elif hits:
            click.echo(render.hits_plain(shown(index, hits, how.full), how.full))
        elif line is not None:  # said in its block, under its question
            say_unanswered(how, None, render.no_match_message(hits, folders(index, hits.scope_empty)))
        else:
            click.echo(f"askdoc: {render.no_match_message(hits, folders(index, hits.scope_empty))}", err=True)
    return bool(hits)


def shown(index: askdoc.Index, hits: list, full: bool) -> list:
    """The hits as printed: with ``--full`` each one's whole paragraph, though a long one was searched in pieces."""
    if not full:
        return hits
    return [dataclasses.replace(hit, passage=index.paragraph(hit.article.id, hit.passage.paragraph)) for hit in hits]


def say_unanswered(how: Answer, as_json: dict | None, why: str) -> None:
    """A line of stdin without an answer still gets its block (or JSON object), saying so."""
    if how.json_:
        if as_json is not None:
            click.echo(render.json_line(as_json))
    else:
        click.echo(f"    (no answer: {render.inert(why)})\n")


def folders(index: askdoc.Index, wanted: bool = True) -> list[str]:
    """The corpus's top folders (``business``, ``sport``), to name when an ``in:`` filter fits none."""
    if not wanted:
        return []
    return render.top_folders(index.catalog())
