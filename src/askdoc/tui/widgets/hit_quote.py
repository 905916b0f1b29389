"""HitQuote: one quote of an answer; e shows its whole paragraph, click or Enter opens it, c copies it."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from askdoc import Hit

from ..content import citation_content, passage_content, quote_content, quote_with_citation


class HitQuote(Widget, can_focus=True):
    """A citation line and the quote under it, the question's words marked; ``expanded``: the whole
    paragraph, the quote in bold."""

    BINDINGS = [
        Binding("enter", "open", "Read", id="quote.open"),
        Binding("e", "expand", "Whole ¶", id="quote.expand"),
        Binding("c", "copy", "Copy", id="quote.copy"),
        Binding("up", "app.focus_previous", "Previous", show=False),
        Binding("down", "app.focus_next", "Next", show=False),
        Binding("tab", "app.focus_next", "Next", show=False),  # the footer's room goes to Quit at 80 columns
        Binding("escape", "to_prompt", "Ask", show=False),
    ]

    @dataclass
    class Opened(Message):
        """The person asked to read the article at this hit."""

        hit: Hit

    @dataclass
    class Expanded(Message):
        """The quote now shows its whole paragraph, or the quote alone again (``quote.expanded``)."""

        quote: HitQuote

    @dataclass
    class Typed(Message):
        """Keys pressed on the quote belong to the question: the prompt takes the focus and ``text``."""

        text: str = ""

    expanded: reactive[bool] = reactive(False, layout=True)

    def __init__(self, hit: Hit) -> None:
        super().__init__(classes="hit")
        self.hit = hit
        self.typing = False  # a key typed here went to the prompt: the keys after it go there too
        self.tooltip = "Click or press Enter to read the article; e shows the whole paragraph; c copies the quote"

    def render(self) -> Content:
        body = passage_content(self.hit) if self.expanded else quote_content(self.hit)
        return Content("\n").join([citation_content(self.hit), body])

    def action_expand(self) -> None:
        """The whole paragraph around the quote, or back to the quote alone."""
        self.expanded = not self.expanded
        self.post_message(self.Expanded(self))

    def on_click(self) -> None:
        self.post_message(self.Opened(self.hit))

    def action_open(self) -> None:
        self.post_message(self.Opened(self.hit))

    def action_to_prompt(self) -> None:
        self.typing = True  # keys already on their way belong to the prompt (Escape, then /help typed fast)
        self.post_message(self.Typed())

    def on_focus(self) -> None:
        self.typing = False

    def on_key(self, event: events.Key) -> None:
        """Typing goes to the question: a letter pressed on a quote starts the next question, and every
        key after it until the prompt has the focus (a fast typist's "where", a pasted line) goes there
        too, the quote keys e, c and 1-9 included."""
        if not (event.is_printable and event.character):
            return
        if self.typing or (event.character not in "ce" and not event.character.isdigit()):
            event.stop()
            event.prevent_default()
            self.typing = True
            self.post_message(self.Typed(event.character))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(quote_with_citation(self.hit))
        self.notify(f"Copied quote [{self.hit.rank}] with its citation", markup=False)
