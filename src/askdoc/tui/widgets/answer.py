"""Answer: the hits for one question as quotes, or a sentence saying why nothing matched."""

from __future__ import annotations

from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from askdoc import Hits
from askdoc.analysis import common_stem
from askdoc.render import no_match_message, weak_message

from ..text import literal
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
            if self.hits.scope:
                yield Static(literal(f"Filtered: {self.hits.scope}"), classes="scope")
            if self.hits.weak:  # as askdoc query says it: these passages match only the rest of the question
                message = weak_message(self.hits)
                yield Static(literal(message[0].upper() + message[1:] + "."), classes="missing")
            elif telling := [w for w in self.hits.missing if common_stem(w) is None]:  # not "say" or "tell"
                yield Static(literal("Not in any article: " + ", ".join(telling)), classes="missing")
            yield from (HitQuote(hit) for hit in self.hits)
        else:
            yield Static(literal(sentence(self.hits)), classes="no-match")


def sentence(hits: Hits) -> str:
    """The no-match message as a sentence a person reads: capitalised, with a full stop."""
    message = no_match_message(hits)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
