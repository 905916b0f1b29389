"""IndexProgress: the bar and counts shown while the corpus is read and indexed."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, ProgressBar


class IndexProgress(Horizontal):
    """``indexing bbc  ━━━━━━━━━━  40%  890 / 2,225 articles`` — real counts from askdoc.open's progress."""

    def __init__(self, corpus_name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.corpus_name = corpus_name

    def compose(self):
        yield Label(f"opening {self.corpus_name}…", id="progress-label", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="progress-bar")
        yield Label("", id="progress-counts")

    def advance(self, done: int, total: int) -> None:
        self.query_one("#progress-label", Label).update(Content(f"indexing {self.corpus_name}"))
        self.query_one("#progress-bar", ProgressBar).update(total=total, progress=done)
        self.query_one("#progress-counts", Label).update(f"{done:,} / {total:,} articles")
