"""HitQuote: one cited passage of an answer; click or Enter opens it, c copies the quote."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from askdoc import Hit

from ..text import citation_content, passage_content, quote_with_citation


class HitQuote(Widget, can_focus=True):
    """A citation line and the passage under it, the quote in bold and the question's words marked."""

    BINDINGS = [
        Binding("enter", "open", "Read article", id="quote.open"),
        Binding("c", "copy", "Copy quote", id="quote.copy"),
        Binding("up", "app.focus_previous", "Previous", show=False),
        Binding("down", "app.focus_next", "Next", show=False),
        Binding("escape", "to_prompt", "Ask", show=False),
    ]

    @dataclass
    class Opened(Message):
        """The person asked to read the article at this hit."""

        hit: Hit

    def __init__(self, hit: Hit) -> None:
        super().__init__(classes="hit")
        self.hit = hit
        self.tooltip = "Click or press Enter to read the article; c copies the quote"

    def render(self) -> Content:
        return Content("\n").join([citation_content(self.hit), passage_content(self.hit)])

    def on_click(self) -> None:
        self.post_message(self.Opened(self.hit))

    def action_open(self) -> None:
        self.post_message(self.Opened(self.hit))

    def action_to_prompt(self) -> None:
        self.screen.query_one("#question").focus()

    def on_key(self, event: events.Key) -> None:
        """Typing goes to the question: a letter pressed on a quote starts the next question."""
        if event.is_printable and event.character and event.character != "c" and not event.character.isdigit():
            event.stop()
            prompt = self.screen.query_one("#question")
            prompt.focus()
            prompt.insert_text_at_cursor(event.character)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(quote_with_citation(self.hit))
        self.notify(f"Copied quote [{self.hit.rank}] with its citation", markup=False)
