"""The app opens and refreshes the index; the chat hears of it through messages (IndexReady, IndexFailed, Note …)."""

from __future__ import annotations

import threading

import askdoc
from askdoc.tui.app import make_app
from askdoc.tui.content import literal
from askdoc.tui.messages import Note
from chat_helpers import ask, news_corpus, record_toasts, settle
from conftest import write_corpus

SIZE = (100, 40)


def notes(app) -> list[str]:
    return [str(note.render()) for note in app.query(".note")]


def errors(app) -> list[str]:
    return [str(note.render()) for note in app.query(".note.error")]


async def opened(pilot) -> None:
    """Let the app's open worker finish and the chat take in what it posted, whether or not it opened."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def failing_open(monkeypatch, error: Exception, times: int) -> list[object]:
    """``askdoc.open`` raises ``error`` for its first ``times`` calls, then opens; returns the calls' log."""
    real_open, calls = askdoc.open, []

    def open_(*args, **kwargs):
        calls.append(args)
        if len(calls) <= times:
            raise error
        return real_open(*args, **kwargs)

    monkeypatch.setattr(askdoc, "open", open_)
    return calls


async def test_a_corpus_that_cannot_be_opened_says_why_and_opens_when_retried(tmp_path, monkeypatch):
    calls = failing_open(monkeypatch, askdoc.CorpusError("corpus folder 'news' has no readable articles"), times=1)
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        assert app.index is None and app.failed == "corpus folder 'news' has no readable articles"
        assert app.screen.sub_title == "news · no index"
        assert errors(app) == [
            "Cannot open the corpus: corpus folder 'news' has no readable articles. "
            "Articles copied or added (/add PATH) to it are read as they arrive."
        ]
        await ask(pilot, "what did Volodin warn?")
        assert "could not be opened" in str(app.query(".answer").last().query_one(".error").render())
        app.retry_index()
        await settle(pilot)
        assert len(calls) == 2 and app.index is not None and app.failed is None
        assert notes(app)[-1] == "The corpus has articles now: 4 articles."
        assert app.screen.sub_title == "news · 4 articles · 36 passages"
        await ask(pilot, "what did Volodin warn?")
        assert app.query(".hit")


async def test_a_corpus_that_failed_for_another_reason_is_not_opened_again(tmp_path, monkeypatch):
    calls = failing_open(monkeypatch, PermissionError(13, "Permission denied"), times=1)
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        assert errors(app) == ["Cannot open the corpus: [Errno 13] Permission denied."]  # no "read as they arrive"
        app.corpus_watch.check()
        app.corpus_watch.tick()
        await opened(pilot)
        assert len(calls) == 1 and app.index is None and len(errors(app)) == 1


async def test_a_failure_said_once_is_not_said_again_when_a_retry_fails_the_same_way(tmp_path, monkeypatch):
    calls = failing_open(monkeypatch, askdoc.CorpusError("no readable articles"), times=3)
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        app.retry_index()
        await opened(pilot)
        assert len(calls) == 2 and len(errors(app)) == 1


async def test_a_question_waiting_for_the_index_is_told_when_it_cannot_be_opened(tmp_path, monkeypatch):
    go_on = threading.Event()

    def slow_failing_open(*args, **kwargs):
        go_on.wait(10)
        raise askdoc.CorpusError("no readable articles")

    monkeypatch.setattr(askdoc, "open", slow_failing_open)
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        prompt = app.query_one("#question")
        prompt.value = "what did Volodin warn?"
        await pilot.press("enter")
        await pilot.pause()
        assert str(app.query(".answer").last().query_one(".searching").render()) == "waiting for the index…"
        go_on.set()
        await opened(pilot)
        assert str(app.query(".answer").last().query_one(".error").render()) == (
            "No answer: the corpus could not be opened."
        )


async def test_the_first_five_warnings_are_shown_and_the_rest_counted(tmp_path):
    corpus = write_corpus(
        tmp_path / "c", {"good.txt": "Good\n\nHerons nest."} | {f"empty{n}.txt": "" for n in range(7)}
    )
    app = make_app(corpus)
    shown = record_toasts(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert len(shown) == 6 and all("empty" in message for message in shown[:5])
        assert shown[5] == "… and 2 more warnings"


async def test_a_refresh_that_skips_many_files_counts_the_warnings_it_does_not_show(tmp_path):
    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    shown = record_toasts(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert shown == []
        for n in range(8):
            (corpus / f"empty{n}.txt").write_text("")
        app.corpus_watch.check()
        await settle(pilot)
        assert len(shown) == 6 and all("empty" in message for message in shown[:5]), shown
        assert shown[5] == "… and 3 more warnings"


async def test_a_note_posted_from_a_worker_thread_reaches_the_transcript(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.run_worker(lambda: app.note(literal("From the watch [bold]thread[/bold]."), "error"), thread=True)
        await settle(pilot)
        assert errors(app)[-1] == "From the watch [bold]thread[/bold]."  # literal: no markup read
        app.chat.post_message(Note("Straight to the chat."))
        await pilot.pause()
        assert notes(app)[-1] == "Straight to the chat."


async def test_a_refresh_that_fails_says_so_in_the_header_and_keeps_the_index(tmp_path, monkeypatch):
    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.index

        def refuse(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(askdoc.Index, "refresh", refuse)
        (corpus / "ferry.txt").write_text("Ferry news\n\nThe ferry carries bicycles.\n")
        app.corpus_watch.check()
        await settle(pilot)
        assert app.index is before
        assert app.screen.sub_title == "news · could not refresh: [Errno 13] Permission denied"


async def test_a_citation_opened_after_the_corpus_folder_went_away_shows_the_text_it_quoted(tmp_path):
    import shutil

    from askdoc.tui.screens.reader import ReaderScreen

    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "when did the lighthouse keeper retire?")
        hit = app.query(".hit").first().hit
        shutil.rmtree(corpus)
        app.corpus_watch.check()
        await opened(pilot)
        assert app.index is None
        await pilot.press("tab", "1")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.since == "removed"
        assert reader.query_one("#cited").render().plain == hit.passage.text


async def test_a_search_that_finds_the_index_gone_answers_that_it_could_not_be_opened(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        answer = app.chat.transcript.add_question("what did Volodin warn?")
        app.index = None  # lost between the question and its search (the folder went away)
        app.chat.run_search("what did Volodin warn?", [], answer)
        await opened(pilot)
        assert str(answer.query_one(".error").render()) == "No answer: the corpus could not be opened."
