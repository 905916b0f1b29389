"""Answer: the hits for one question as quotes, or a sentence saying why nothing matched."""

from __future__ import annotations

from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from askdoc import Hits
from askdoc.render import answer_notes, no_match_message, top_folders

from ..content import literal
from ..indexing import chat_app
from .hit_quote import HitQuote


class Answer(Vertical):
    """Shows ``status`` ("searching…") until ``hits`` is set, then the quotes; ``error`` when none can come."""

    hits: reactive[Hits | None] = reactive(None, recompose=True, always_update=True)
    status: reactive[str] = reactive("searching…", recompose=True)
    error: reactive[str] = reactive("", recompose=True)

    def __init__(self, status: str = "searching…") -> None:
        super().__init__(classes="answer")
        self.set_reactive(Answer.status, status)

    def compose(self):
        if self.error:
            yield Static(literal(self.error), classes="no-match error")
        elif self.hits is None:
            yield Static(literal(self.status), classes="searching")
        elif self.hits:
            for kind, note in answer_notes(self.hits):  # as the export writes them
                yield Static(literal(note), classes=kind)
            yield from (HitQuote(hit) for hit in self.hits)
        else:
            yield Static(literal(sentence(self.hits, self._folders())), classes="no-match")

    def _folders(self) -> list[str]:
        """The corpus's top folders, named when an ``in:`` filter fits none of them."""
        index = chat_app(self).index
        if index is None or self.hits is None or not self.hits.scope_empty:
            return []
        return top_folders(index.catalog())


def sentence(hits: Hits, folders: list[str] | tuple[str, ...] = ()) -> str:
    """The no-match message as a sentence a person reads: capitalised, with a full stop."""
    message = no_match_message(hits, folders)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
