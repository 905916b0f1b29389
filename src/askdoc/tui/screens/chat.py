"""ChatScreen: ask questions, see quoted answers, open their citations; indexes the corpus on start."""

from __future__ import annotations

import logging
import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

import askdoc
from askdoc import Hit, Hits
from askdoc.render import one_line

from ..text import count, literal
from ..widgets.answer import Answer
from ..widgets.corpus_watch import CorpusWatch, pasted_paths
from ..widgets.hit_quote import HitQuote
from ..widgets.index_progress import IndexProgress
from ..widgets.question_input import QuestionInput
from ..widgets.transcript import Transcript

PROGRESS_EVERY = 0.05  # seconds between progress bar updates while indexing
ASK = "Ask a question  (/help for commands)"
NO_INDEX = "No answer: the corpus could not be opened."
SAMPLE_NOTE = (
    "This is the bundled sample, one article: no ./corpus is here and no --corpus or $ASKDOC_CORPUS was "
    "given. To ask your own articles, quit (Ctrl+Q) and run askdoc add PATH, which copies them into a new "
    "./corpus that askdoc then opens here, or askdoc --corpus DIR."
)


class ChatScreen(Screen):
    """The conversation: transcript above, question below; the index loads in a worker meanwhile."""

    AUTO_FOCUS = "#question"
    BINDINGS = [
        Binding("1", "open_citation(1)", "Open", key_display="1-9", id="chat.open_citation"),
        *(Binding(str(n), f"open_citation({n})", show=False) for n in range(2, 10)),
        Binding("ctrl+o", "app.articles", "Articles", id="chat.articles"),
        Binding("ctrl+l", "clear", "Clear", id="chat.clear"),
        Binding("tab", "focus_answer", "Quotes", id="chat.quotes"),
        # the transcript scrolls from the prompt, which keeps the focus (it takes no focus of its own)
        Binding("pageup", "scroll_transcript('page_up')", "Scroll up", show=False, id="chat.page_up"),
        Binding("pagedown", "scroll_transcript('page_down')", "Scroll down", show=False, id="chat.page_down"),
        Binding("ctrl+home", "scroll_transcript('home')", "To the start", show=False, id="chat.scroll_home"),
        Binding("ctrl+end", "scroll_transcript('end')", "To the end", show=False, id="chat.scroll_end"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[str] = []  # the conversation since the last /clear: context for follow-ups
        self.failed: str | None = None  # why the corpus could not be opened, while it cannot
        self.retrying = False
        self.opening = True  # the index is being opened (first, or again after it failed)
        self.waiting: list[tuple[str, Answer]] = []  # asked before the index was ready

    def compose(self) -> ComposeResult:
        yield Header(icon="?")
        yield Transcript(id="transcript")
        yield IndexProgress(self.app.corpus_name, id="progress")
        yield QuestionInput(placeholder=ASK, id="question")
        yield Footer(compact=True)  # every key, Quit too, fits at 80 columns
        yield CorpusWatch(id="corpus-watch")

    def on_mount(self) -> None:
        self.sub_title = f"{self.app.corpus_name} · indexing…"
        self.transcript.add_note(
            Content.assemble(
                "Ask a question about the articles in ",
                literal(self.app.corpus_name, "bold"),
                ". Answers quote them word for word, with citations. Type ",
                ("/help", "bold"),
                " for commands, ",
                ("Ctrl+P", "bold"),
                " for the palette.",
            )
        )
        if self.app.is_sample:
            self.transcript.add_note(SAMPLE_NOTE, classes="notice")
        self.load_index()

    def validate_sub_title(self, sub_title: object) -> str | None:
        """The header's subtitle is inert: it may carry an error naming a file (a refresh that failed)."""
        return None if sub_title is None else one_line(str(sub_title))

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def prompt(self) -> QuestionInput:
        return self.query_one(QuestionInput)

    # -- the index ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="index")
    def load_index(self) -> None:
        """askdoc.open in a thread: the UI stays live and the bar shows real counts."""
        progress_bar = self.query_one(IndexProgress)
        last_update = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_update
            now = time.monotonic()
            if done == total or now - last_update >= PROGRESS_EVERY:
                last_update = now
                self.app.call_from_thread(progress_bar.advance, done, total)

        with _CollectWarnings() as warnings:
            try:
                served = {"cluster": self.app.cluster} if self.app.cluster else {}
                index = askdoc.open(self.app.corpus, engine=self.app.engine, progress=progress, **served)
            except askdoc.CorpusError as err:  # empty or missing: opened again once articles arrive
                self.app.call_from_thread(self.index_failed, str(err), True)
                return
            except (askdoc.AskdocError, OSError) as err:
                self.app.call_from_thread(self.index_failed, str(err), False)
                return
        self.app.call_from_thread(self.index_ready, index, warnings.messages)

    def retry_index(self) -> None:
        """Open the corpus again after it could not be (no articles yet), quietly until it can."""
        if self.failed is not None and self.retrying and not self.opening:
            self.opening = True
            self.load_index()

    def index_ready(self, index: askdoc.Index, warnings: list[str]) -> None:
        if self.failed is not None:
            self.transcript.add_note(literal(f"The corpus has articles now: {count(index.n_articles, 'article')}."))
        self.failed, self.retrying, self.opening = None, False, False
        self.app.index = index
        self.show_summary()
        self.query_one(IndexProgress).display = False
        for message in warnings[:5]:
            self.notify(message, severity="warning", markup=False)
        if len(warnings) > 5:
            self.notify(f"… and {len(warnings) - 5} more warnings", severity="warning", markup=False)
        waiting, self.waiting = self.waiting, []
        for question, answer in waiting:
            self.search(question, answer)

    def show_summary(self) -> None:
        """The header names the corpus and its size; passages are left out when the screen is narrow."""
        index = self.app.index
        if index is not None:
            summary = f"{self.app.corpus_name} · {count(index.n_articles, 'article')}"
            if self.size.width >= 70:
                summary += f" · {count(index.n_passages, 'passage')}"
            self.sub_title = summary

    def on_resize(self) -> None:
        self.show_summary()

    def index_lost(self, message: str) -> None:
        """The corpus folder went away while the chat ran: answer nothing until it is back."""
        self.app.index = None
        self.index_failed(message, True)

    def index_failed(self, message: str, retry: bool) -> None:
        self.sub_title = f"{self.app.corpus_name} · no index"
        self.query_one(IndexProgress).display = False
        if message != self.failed:
            later = " Articles copied or added (/add PATH) to it are read as they arrive." if retry else ""
            self.transcript.add_note(literal(f"Cannot open the corpus: {message}.{later}"), classes="error")
        self.failed, self.retrying, self.opening = message, retry, False
        for _, answer in self.waiting:
            answer.error = NO_INDEX
        self.waiting = []

    # -- asking ------------------------------------------------------------------------------

    @on(Input.Submitted, "#question")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.prompt.value = ""
        if not text:
            return
        self.prompt.remember(text)
        if paths := pasted_paths(text):  # a file or folder dragged or pasted in ("/tmp/a.txt" too): add it
            self.query_one(CorpusWatch).add(paths)
        elif text.startswith("/"):
            from ..commands import run_slash

            run_slash(self.app, text)
        else:
            self.ask(text)

    def ask(self, question: str) -> None:
        if self.app.index is not None:
            self.search(question, self.transcript.add_question(question))
        elif self.query_one(IndexProgress).display:
            self.waiting.append((question, self.transcript.add_question(question, "waiting for the index…")))
        else:
            self.transcript.add_question(question).error = NO_INDEX

    def search(self, question: str, answer: Answer) -> None:
        context = list(self.questions)
        self.questions.append(question)
        self.run_search(question, context, answer)

    @work(thread=True, group="search")
    def run_search(self, question: str, context: list[str], answer: Answer) -> None:
        try:
            hits = self.app.index.search(question, k=self.app.k, context=context)
        except (askdoc.AskdocError, ValueError) as err:
            self.app.call_from_thread(setattr, answer, "error", f"No answer: {err}")
            return
        self.app.call_from_thread(self.answered, answer, hits)

    def answered(self, answer: Answer, hits: Hits) -> None:
        answer.hits = hits
        if answer is self.latest_answer():
            self.show_citation_keys(len(hits))

    def show_citation_keys(self, count: int) -> None:
        """On the quotes, digits open citations; the placeholder says so (the footer cannot, on the prompt)."""
        keys = "1" if count == 1 else f"1-{count}" if count <= 9 else "1-9"
        self.prompt.placeholder = f"Ask a follow-up, or Tab then {keys} to read a source" if count else ASK
        self.refresh_bindings()

    def latest_answer(self) -> Answer | None:
        answers = self.transcript.answers()
        return answers[-1] if answers else None

    def latest_hits(self) -> Hits | None:
        answer = self.latest_answer()
        return answer.hits if answer is not None else None

    def answered_hits(self) -> list[Hits]:
        """Every answer given so far, oldest first (what /export writes)."""
        return [answer.hits for answer in self.transcript.answers() if answer.hits is not None]

    def clear(self) -> None:
        self.transcript.clear()
        self.questions = []
        self.show_citation_keys(0)
        self.transcript.add_note("Cleared. A new conversation: questions no longer follow on from earlier ones.")

    # -- citations ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_citation":
            hits = self.latest_hits()
            return bool(hits) and int(parameters[0]) <= len(hits)
        if action == "focus_answer":
            return bool(self.latest_hits()) or self.focused is not self.prompt  # shown once there are quotes
        return True

    def action_open_citation(self, number: int) -> None:
        hits = self.latest_hits()
        if hits and 1 <= number <= len(hits):
            self.open_hit(hits[number - 1])

    def action_focus_answer(self) -> None:
        """Tab from the prompt goes to the latest answer's first quote, not the oldest one on screen."""
        quotes = self.latest_answer().query(HitQuote) if self.latest_answer() else None
        if self.focused is self.prompt and quotes:
            quotes.first().focus()
        else:
            self.focus_next()

    def action_clear(self) -> None:
        self.clear()

    def action_scroll_transcript(self, where: str) -> None:
        """PageUp, PageDown, Ctrl+Home and Ctrl+End move through the conversation from the prompt."""
        transcript = self.transcript
        transcript.anchor = None  # the reader moved: a late answer no longer pulls the view back
        {
            "page_up": transcript.scroll_page_up,
            "page_down": transcript.scroll_page_down,
            "home": transcript.scroll_home,
            "end": transcript.scroll_end,
        }[where](animate=False)

    @on(HitQuote.Expanded)
    def quote_expanded(self, event: HitQuote.Expanded) -> None:
        """A quote opened into its paragraph (or closed) stays in view, wherever the transcript was."""
        self.transcript.anchor = None
        self.call_after_refresh(event.quote.scroll_visible, animate=False)

    @on(HitQuote.Opened)
    def quote_opened(self, event: HitQuote.Opened) -> None:
        self.open_hit(event.hit)

    def open_hit(self, hit: Hit) -> None:
        from .reader import ReaderScreen

        self.app.push_screen(ReaderScreen(self.app.index, hit.article, hit=hit))


class _CollectWarnings(logging.Handler):
    """Hold askdoc's warnings (skipped files) while indexing, to show them as notifications.

    The app owns the terminal, so the CLI's stderr handlers are set aside meanwhile.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._logger = logging.getLogger("askdoc")
        self._saved: list[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _CollectWarnings:
        self._saved = list(self._logger.handlers)
        for handler in self._saved:
            self._logger.removeHandler(handler)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self)
        for handler in self._saved:
            self._logger.addHandler(handler)
