"""Transcript: the scrolling conversation — questions, answers and notes, newest at the bottom."""

from __future__ import annotations

from rich.console import RenderableType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..text import literal
from .answer import Answer


class Transcript(VerticalScroll, can_focus=False):
    """The conversation so far; each new question scrolls to the top of the view with its answer below."""

    def add_question(self, question: str, status: str = "searching…") -> Answer:
        """Show the question and an answer block that shows ``status`` until it is given hits."""
        asked = Static(Content.assemble(("› ", "bold $text-primary"), literal(question, "bold")), classes="question")
        answer = Answer(status)
        self.mount_all([asked, answer])
        self.call_after_refresh(self.scroll_to_widget, asked, animate=False, top=True)
        return answer

    def add_note(self, content: Content | str | RenderableType, classes: str = "") -> Static:
        """A line from askdoc itself (help, command results, errors), not from the articles."""
        note = Static(Content(content) if isinstance(content, str) else content, classes=f"note {classes}".strip())
        self.mount(note)
        self.call_after_refresh(self.scroll_to_widget, note, animate=False, top=True)  # a long /help: its start
        return note

    def answers(self) -> list[Answer]:
        return list(self.query(Answer))

    def clear(self) -> None:
        self.remove_children()
