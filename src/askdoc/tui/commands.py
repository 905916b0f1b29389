"""The chat's commands, one table for both the slash commands typed in the input and the Ctrl+P palette."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

import askdoc
from askdoc.render import hits_markdown, inert

from .content import count, literal
from .corpus_watch import pasted_paths
from .indexing import IndexingApp, chat_app
from .messages import AddPaths

MAX_K = 20
K_CHOICES = (1, 3, 5, 10)  # passages per answer offered in the palette
DEFAULT_EXPORT = "askdoc-chat.md"


@dataclass(frozen=True)
class Command:
    """``/name ARGUMENT`` in the input; ``palette`` lists (title, argument) entries for Ctrl+P."""

    name: str
    argument: str
    help: str
    run: Callable[[IndexingApp, str], None]
    palette: tuple[tuple[str, str], ...]


def set_k(app: IndexingApp, argument: str) -> None:
    if not argument:
        app.note(f"Answers show up to {count(app.k, 'passage')}; /k N changes it (1 to {MAX_K}).")
        return
    if not argument.isdigit() or not 1 <= int(argument) <= MAX_K:
        app.note(f"/k takes a number of passages from 1 to {MAX_K}, as in /k 5.", "error")
        return
    app.k = int(argument)
    app.note(f"Answers now show up to {count(app.k, 'passage')}.")  # the chat's prompt says so too


def export(app: IndexingApp, argument: str) -> None:
    answers = app.chat.answered_hits()
    if not answers:
        app.note("Nothing to export yet: ask a question first.", "error")
        return
    asked = export_path(argument, app.corpus)
    if isinstance(asked, str):
        app.note(literal(asked), "error")
        return
    try:
        path = _write_new(asked, transcript_markdown(app.corpus_name, answers))
    except OSError as err:
        app.note(literal(f"Could not write {asked}: {err.strerror or err}"), "error")
        return
    kept = f" ({asked.name} exists and was left as it is)" if path != asked else ""
    app.note(literal(f"Exported {count(len(answers), 'answer')} to {path}{kept}"))


def export_path(argument: str, corpus: Path) -> Path | str:
    """Where ``/export ARGUMENT`` writes, or why it cannot: a folder (``.``, ``~``, ``notes/``) gets
    askdoc-chat.md inside it, a name without a suffix gets ``.md``, quotes around a path are the
    shell's and not the name's. Never inside the corpus, where the export would be indexed and cited
    as an article; with no argument there, the home folder instead."""
    try:
        words = shlex.split(argument)
    except ValueError:  # an unbalanced quote: take the argument as one path
        words = [argument]
    raw = words[0] if len(words) == 1 else argument.strip()
    try:
        path = Path(raw or DEFAULT_EXPORT).expanduser()
        if raw.endswith(("/", os.sep)) or path.is_dir():
            path = path / DEFAULT_EXPORT
        elif not path.suffix:  # "notes" and "notes." alike: notes.md
            path = path.with_name((path.name.rstrip(".") or path.name) + ".md")
    except RuntimeError:  # ~nosuchuser
        return f"Could not export to {raw}: there is no such home folder."
    except OSError as err:  # a name too long, a folder it may not look into
        return f"Could not write {raw}: {err.strerror or err}"
    if _inside(path, corpus) and not raw:
        path = Path.home() / DEFAULT_EXPORT  # started inside the corpus: the home folder instead
    if _inside(path, corpus):
        return f"Not exporting to {path}: it is inside the corpus, where it would be read as an article. Give a path outside {corpus}."
    return path


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _write_new(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, or to ``name-2.md``, ``name-3.md``… beside it: an export never overwrites."""
    candidate, number = path, 1
    while True:
        try:
            with candidate.open("x", encoding="utf-8") as file:
                file.write(text)
            return candidate
        except FileExistsError:
            number += 1
            candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")


def transcript_markdown(corpus_name: str, answers: list[askdoc.Hits]) -> str:
    """The conversation as Markdown: every question, then each quote verbatim with its citation."""
    header = f"# askdoc: {corpus_name}, {date.today().isoformat()}\n\n"
    return header + "\n".join(hits_markdown(hits) for hits in answers)


def add(app: IndexingApp, argument: str) -> None:
    try:
        paths = pasted_paths(argument) or shlex.split(argument)
    except ValueError:  # an unbalanced quote: take the argument as one path
        paths = [argument]
    if not paths:
        app.note("/add takes files or folders, as in /add ~/Downloads/page.html", "error")
        return
    app.post_message(AddPaths(paths))


def clear(app: IndexingApp, argument: str) -> None:
    app.chat.clear()


def show_help(app: IndexingApp, argument: str) -> None:
    app.note(help_content(), "help")


def articles(app: IndexingApp, argument: str) -> None:
    app.action_articles()


def theme(app: IndexingApp, argument: str) -> None:
    if not argument:
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
    elif argument in app.available_themes:
        app.theme = argument
    else:
        names = ", ".join(sorted(app.available_themes))
        app.note(literal(f"No theme '{argument}'. Themes: {names}"), "error")
        return
    app.notify(f"Theme: {app.theme}", markup=False)


COMMANDS: tuple[Command, ...] = (
    Command("k", "N", "show N passages per answer", set_k, tuple((f"Passages per answer: {n}", str(n)) for n in K_CHOICES)),
    Command("export", "FILE", "save the transcript as Markdown, every quote with its citation", export,
            ((f"Export the transcript to {DEFAULT_EXPORT}", ""),)),
    Command("add", "PATH...", "copy files or folders into the corpus and index them (or paste a path)", add,
            (("Add files to the corpus: type /add PATH", ""),)),
    Command("clear", "", "clear the transcript and start a new conversation", clear, (("Clear the transcript", ""),)),
    Command("articles", "", "browse every article (Ctrl+O)", articles, (("Browse the articles", ""),)),
    Command("theme", "[NAME]", "switch between light and dark, or to a theme by name", theme,
            (("Switch light / dark theme", ""),)),
    Command("help", "", "list the commands and keys", show_help, (("Help: commands and keys", ""),)),
)  # fmt: skip

FILTERS = (
    ("in:FOLDER", "only articles in that folder of the corpus (or that article: in:world/volodin)"),
    ("site:SITE", "only articles from that web site or source (site:bbc.co.uk)"),
    ("after:DATE until:DATE", "only articles dated from / up to DATE (2024, 2024-09, 2024-09-01)"),
)

KEYS = (
    ("Enter", "ask the question"),
    ("Up / Down", "earlier questions"),
    ("Tab", "move to the quotes: 1-9 or Enter reads the article, e shows the whole paragraph, c copies the quote"),
    ("Escape", "back from the reader or the article list"),
    ("Ctrl+O", "the article list"),
    ("Ctrl+L", "clear the transcript and start a new conversation"),
    ("Ctrl+P", "the command palette"),
    ("Ctrl+Q", "quit"),
)


def help_content() -> Table:
    """Two columns, so that long explanations wrap under themselves on a narrow screen."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row(Text("Commands", style="bold underline"), "")
    for command in COMMANDS:
        table.add_row(Text(f"/{command.name} {command.argument}".rstrip()), Text(command.help))
    table.add_row("", "")
    table.add_row(Text("Keys", style="bold underline"), "")
    for key, meaning in KEYS:
        table.add_row(Text(key), Text(meaning))
    table.add_row("", "")
    table.add_row(Text("Filters", style="bold underline"), "")
    for words, meaning in FILTERS:
        table.add_row(Text(words), Text(meaning))
    return table


def run_slash(app: IndexingApp, text: str) -> None:
    """Run ``/name argument`` typed in the input; an unknown name gets a note pointing at /help."""
    name, _, argument = text.removeprefix("/").partition(" ")
    for command in COMMANDS:
        if command.name == name.casefold():
            command.run(app, argument.strip())
            return
    app.note(literal(f"Unknown command /{inert(name)}. Type /help for the list."), "error")


class AskdocCommands(Provider):
    """The same commands in the Ctrl+P palette."""

    def _entries(self):
        app = chat_app(self)
        for command in COMMANDS:
            for title, argument in command.palette:
                yield (
                    title,
                    f"/{command.name} {argument}".rstrip() + f": {command.help}",
                    partial(command.run, app, argument),
                )

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = max(matcher.match(title), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
