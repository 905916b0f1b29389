"""QuestionInput: the prompt at the bottom, with history on Up/Down and pastes of several lines."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input


class QuestionInput(Input):
    """An Input that remembers what was asked. Digits are always typed ("2004 election turnout"):
    citations open from the quotes (Tab, then 1-9 or Enter)."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous question", show=False, id="question.history_back"),
        Binding("down", "history(1)", "Next question", show=False, id="question.history_forward"),
    ]

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
