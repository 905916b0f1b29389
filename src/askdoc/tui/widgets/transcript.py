"""Transcript: the scrolling conversation — questions, answers and notes, newest at the bottom."""

from __future__ import annotations

from rich.console import RenderableType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..content import literal
from .answer import Answer

QUESTION_SHOWN = 300  # characters of a question echoed (a pasted page is searched whole, not shown whole)


class Transcript(VerticalScroll, can_focus=False):
    """The conversation so far; each new question scrolls to the top of the view with its answer below."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pinned: Static | None = None  # the latest question or note: kept at the top as content grows

    def show_pinned(self) -> None:
        if self.pinned is not None and self.pinned.parent is self:
            self.scroll_to_widget(self.pinned, animate=False, top=True)

    def watch_virtual_size(self) -> None:
        """Content grew (an answer arrived, however late): bring the latest question back to the top."""
        self.call_after_refresh(self.show_pinned)

    def add_question(self, question: str, status: str = "searching…") -> Answer:
        """Show the question and an answer block that shows ``status`` until it is given hits."""
        shown = question if len(question) <= QUESTION_SHOWN else question[: QUESTION_SHOWN - 1].rstrip() + "…"
        asked = Static(Content.assemble(("› ", "bold $text-primary"), literal(shown, "bold")), classes="question")
        answer = Answer(status)
        self.mount_all([asked, answer])
        self.pinned = asked
        self.call_after_refresh(self.show_pinned)
        return answer

    def add_note(self, content: Content | str | RenderableType, classes: str = "") -> Static:
        """A line from askdoc itself (help, command results, errors), not from the articles."""
        note = Static(Content(content) if isinstance(content, str) else content, classes=f"note {classes}".strip())
        self.mount(note)
        self.pinned = note  # a long /help: its start
        self.call_after_refresh(self.show_pinned)
        return note

    def answers(self) -> list[Answer]:
        return list(self.query(Answer))

    def clear(self) -> None:
        self.pinned = None
        self.remove_children()
