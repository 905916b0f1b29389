"""ChatScreen: ask questions, see quoted answers, open their citations; hears of the app's index through messages."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

import askdoc
from askdoc import Hit, Hits
from askdoc.render import one_line

from ..commands import run_slash
from ..content import count, literal
from ..corpus_watch import pasted_paths
from ..indexing import chat_app
from ..messages import AddPaths, IndexFailed, Indexing, IndexReady, IndexRefreshed, Note, Status
from ..widgets.answer import Answer
from ..widgets.hit_quote import HitQuote
from ..widgets.index_progress import IndexProgress
from ..widgets.question_input import QuestionInput
from ..widgets.transcript import Transcript
from .reader import ReaderScreen

ASK = "Ask a question  (/help for commands)"
NO_INDEX = "No answer: the corpus could not be opened."
SAMPLE_NOTE = (
    "This is the bundled sample, one article: no ./corpus is here and no --corpus or $ASKDOC_CORPUS was "
    "given. To ask your own articles, quit (Ctrl+Q) and run askdoc add PATH, which copies them into a new "
    "./corpus that askdoc then opens here, or askdoc --corpus DIR."
)
WIDE = 70  # columns from which the header also counts the passages
WARNINGS_SHOWN = 5  # warnings (skipped files) shown as toasts; the rest are counted
CITATION_KEYS = 9  # digits 1-9 open the latest answer's citations


class ChatScreen(Screen):
    """The conversation: transcript above, question below; told of the app's index through messages."""

    AUTO_FOCUS = "#question"
    BINDINGS = [
        Binding("1", "open_citation(1)", "Open", key_display=f"1-{CITATION_KEYS}", id="chat.open_citation"),
        *(Binding(str(n), f"open_citation({n})", show=False) for n in range(2, CITATION_KEYS + 1)),
        Binding("ctrl+o", "app.articles", "Articles", id="chat.articles"),
        Binding("ctrl+l", "clear", "Clear", id="chat.clear"),
        Binding("tab", "focus_answer", "Quotes", id="chat.quotes"),
        # the transcript scrolls from the prompt, which keeps the focus (it takes no focus of its own)
        Binding("pageup", "scroll_transcript('page_up')", "Scroll up", show=False, id="chat.page_up"),
        Binding("pagedown", "scroll_transcript('page_down')", "Scroll down", show=False, id="chat.page_down"),
        Binding("ctrl+home", "scroll_transcript('home')", "To the start", show=False, id="chat.scroll_home"),
        Binding("ctrl+end", "scroll_transcript('end')", "To the end", show=False, id="chat.scroll_end"),
    ]

    def __init__(self, corpus_name: str, is_sample: bool = False) -> None:
        super().__init__()
        self.corpus_name = corpus_name
        self.is_sample = is_sample
        self.questions: list[str] = []  # the conversation since the last /clear: context for follow-ups
        self.waiting: list[tuple[str, Answer]] = []  # asked before the index was ready

    def compose(self) -> ComposeResult:
        yield Header(icon="?")
        yield Transcript(id="transcript")
        yield IndexProgress(self.corpus_name, id="progress")
        yield QuestionInput(placeholder=ASK, id="question")
        yield Footer(compact=True)  # every key, Quit too, fits at 80 columns

    def on_mount(self) -> None:
        self.sub_title = f"{self.corpus_name} · indexing…"
        self.transcript.add_note(
            Content.assemble(
                "Ask a question about the articles in ",
                literal(self.corpus_name, "bold"),
                ". Answers quote them word for word, with citations. Type ",
                ("/help", "bold"),
                " for commands, ",
                ("Ctrl+P", "bold"),
                " for the palette.",
            )
        )
        if self.is_sample:
            self.transcript.add_note(SAMPLE_NOTE, classes="notice")
        self.watch(self.app, "k", self.k_changed, init=False)
        chat_app(self).open_index()  # now that the progress has somewhere to show

    def validate_sub_title(self, sub_title: object) -> str | None:
        """The header's subtitle is inert: it may carry an error naming a file (a refresh that failed)."""
        return None if sub_title is None else one_line(str(sub_title))

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def prompt(self) -> QuestionInput:
        return self.query_one(QuestionInput)

    # -- the app's index -----------------------------------------------------------------------

    @on(Indexing)
    def indexing(self, event: Indexing) -> None:
        self.query_one(IndexProgress).advance(event.done, event.total)

    @on(IndexReady)
    def index_ready(self, event: IndexReady) -> None:
        if event.recovered:
            self.transcript.add_note(
                literal(f"The corpus has articles now: {count(event.index.n_articles, 'article')}.")
            )
        self.show_summary()
        self.query_one(IndexProgress).display = False
        self.show_warnings(event.warnings)
        waiting, self.waiting = self.waiting, []
        for question, answer in waiting:
            self.search(question, answer)

    @on(IndexFailed)
    def index_failed(self, event: IndexFailed) -> None:
        self.sub_title = f"{self.corpus_name} · no index"
        self.query_one(IndexProgress).display = False
        if not event.repeated:
            later = " Articles copied or added (/add PATH) to it are read as they arrive." if event.retry else ""
            self.transcript.add_note(literal(f"Cannot open the corpus: {event.reason}.{later}"), classes="error")
        for _, answer in self.waiting:
            answer.error = NO_INDEX
        self.waiting = []

    @on(IndexRefreshed)
    def index_refreshed(self, event: IndexRefreshed) -> None:
        fresh = event.index
        self.show_status(f"{fresh.n_articles:,} articles · {fresh.n_passages:,} passages · refreshed: {event.summary}")
        self.show_warnings(event.warnings)

    def show_warnings(self, warnings: list[str]) -> None:
        """The first few warnings as toasts, then how many more there were (after a refresh too)."""
        for message in warnings[:WARNINGS_SHOWN]:
            self.notify(message, severity="warning", markup=False)
        if len(warnings) > WARNINGS_SHOWN:
            self.notify(f"… and {len(warnings) - WARNINGS_SHOWN} more warnings", severity="warning", markup=False)

    def show_summary(self) -> None:
        """The header names the corpus and its size; passages are left out when the screen is narrow."""
        index = chat_app(self).index
        if index is not None:
            summary = f"{self.corpus_name} · {count(index.n_articles, 'article')}"
            if self.size.width >= WIDE:
                summary += f" · {count(index.n_passages, 'passage')}"
            self.sub_title = summary

    def on_resize(self) -> None:
        self.show_summary()

    @on(Status)
    def status(self, event: Status) -> None:
        self.show_status(event.text)

    def show_status(self, text: str) -> None:
        self.sub_title = f"{self.corpus_name} · {text}"

    @on(Note)
    def note(self, event: Note) -> None:
        self.transcript.add_note(event.content, event.classes)

    def k_changed(self, k: int) -> None:
        self.prompt.placeholder = f"Ask a question: answers now show up to {count(k, 'passage')}"

    # -- asking ------------------------------------------------------------------------------

    @on(Input.Submitted, "#question")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.prompt.value = ""
        if not text:
            return
        self.prompt.remember(text)
        if paths := pasted_paths(text):  # a file or folder dragged or pasted in ("/tmp/a.txt" too): add it
            self.post_message(AddPaths(paths))
        elif text.startswith("/"):
            run_slash(chat_app(self), text)
        else:
            self.ask(text)

    def ask(self, question: str) -> None:
        if chat_app(self).index is not None:
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
        app = chat_app(self)
        index = app.index
        if index is None:  # the folder went away since the question was asked
            self.app.call_from_thread(setattr, answer, "error", NO_INDEX)
            return
        try:
            hits = index.search(question, k=app.k, context=context)
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
        keys = "1" if count == 1 else f"1-{min(count, CITATION_KEYS)}"
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
            return hits is not None and bool(hits) and int(str(parameters[0])) <= len(hits)
        if action == "focus_answer":
            return bool(self.latest_hits()) or self.focused is not self.prompt  # shown once there are quotes
        return True

    def action_open_citation(self, number: int) -> None:
        hits = self.latest_hits()
        if hits and 1 <= number <= len(hits):
            self.open_hit(hits[number - 1])

    def action_focus_answer(self) -> None:
        """Tab from the prompt goes to the latest answer's first quote, not the oldest one on screen."""
        latest = self.latest_answer()
        quotes = latest.query(HitQuote) if latest is not None else None
        if self.focused is self.prompt and quotes:
            quotes.first().focus()
        else:
            self.focus_next()

    def action_clear(self) -> None:
        self.clear()

    def action_scroll_transcript(self, where: str) -> None:
        """PageUp, PageDown, Ctrl+Home and Ctrl+End move through the conversation from the prompt."""
        transcript = self.transcript
        transcript.pinned = None  # the reader moved: a late answer no longer pulls the view back
        {
            "page_up": transcript.scroll_page_up,
            "page_down": transcript.scroll_page_down,
            "home": transcript.scroll_home,
            "end": transcript.scroll_end,
        }[where](animate=False)

    @on(HitQuote.Expanded)
    def quote_expanded(self, event: HitQuote.Expanded) -> None:
        """A quote opened into its paragraph (or closed) stays in view, wherever the transcript was."""
        self.transcript.pinned = None
        self.call_after_refresh(event.quote.scroll_visible, animate=False)

    @on(HitQuote.Typed)
    def typed_on_quote(self, event: HitQuote.Typed) -> None:
        """A question begun on a quote (or Escape there) goes on in the prompt."""
        self.prompt.focus()
        if event.text:
            self.prompt.insert_text_at_cursor(event.text)

    @on(HitQuote.Opened)
    def quote_opened(self, event: HitQuote.Opened) -> None:
        self.open_hit(event.hit)

    def open_hit(self, hit: Hit) -> None:
        # with no index (the corpus folder went away since the answer) it shows the text it quoted
        self.app.push_screen(ReaderScreen(chat_app(self).index, hit.article, hit=hit))
