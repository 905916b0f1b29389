"""QuestionInput: the prompt at the bottom, with history on Up/Down and 1–9 opening citations."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class QuestionInput(Input):
    """An Input that remembers what was asked; on an empty prompt, digits open the latest answer's citations."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous question", show=False, id="question.history_back"),
        Binding("down", "history(1)", "Next question", show=False, id="question.history_forward"),
    ]

    @dataclass
    class CitationKey(Message):
        """A digit pressed on the empty prompt: open citation ``number`` of the latest answer."""

        number: int

    def _on_paste(self, event: events.Paste) -> None:
        """Several lines pasted are one question, joined by spaces (Input would keep only the first)."""
        event.prevent_default()  # Input's own handler
        event.stop()
        text = " ".join(line.strip() for line in event.text.splitlines() if line.strip())
        if text and self.selection.is_empty:
            self.insert_text_at_cursor(text)
        elif text:
            self.replace(text, *self.selection)

    def __init__(self, **kwargs) -> None:
        # Coming back to the prompt (from a quote, the reader) continues the question, never selects it to be replaced.
        kwargs.setdefault("select_on_focus", False)
        super().__init__(**kwargs)
        self.history: list[str] = []
        self.citations = 0  # how many citations the latest answer has (0: digits are typed as usual)
        self._position = 0  # index into history; len(history) means the draft being typed
        self._draft = ""

    def remember(self, question: str) -> None:
        if question and (not self.history or self.history[-1] != question):
            self.history.append(question)
        self._position = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position == len(self.history):
            self._draft = self.value
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self._draft if self._position == len(self.history) else self.history[self._position]
        self.cursor_position = len(self.value)

    async def _on_key(self, event: events.Key) -> None:
        character = event.character
        if not self.value and character and character in "123456789" and int(character) <= self.citations:
            event.stop()
            event.prevent_default()
            self.post_message(self.CitationKey(int(character)))
            return
        await super()._on_key(event)
