"""The chat keeps up with its corpus: files changed while it runs, /add and pasted paths."""

from __future__ import annotations

import pytest

from askdoc.tui.app import make_app
from askdoc.tui.corpus_watch import pasted_paths
from askdoc.tui.widgets.hit_quote import HitQuote
from chat_helpers import ask, news_corpus, settle
from conftest import write_corpus

SIZE = (100, 40)
NEW = "Ferry news\n\nThe new ferry to the island carries three hundred bicycles.\n"


async def test_a_file_added_while_the_chat_runs_is_indexed_and_the_status_says_so(tmp_path):
    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.index
        watch = app.corpus_watch
        watch.check()
        await settle(pilot)
        assert app.index is before  # nothing changed: the same index, no refresh
        (corpus / "ferry.txt").write_text(NEW)
        (corpus / "budget.txt").unlink()
        watch.check()
        await settle(pilot)
        assert app.index is not before and app.index.n_articles == 4
        assert app.screen.sub_title == "news · 4 articles · 36 passages · refreshed: 1 added, 1 removed"
        await ask(pilot, "how many bicycles does the ferry carry?")
        assert app.query(HitQuote).first().hit.article.id == "ferry"


async def test_add_command_and_pasted_path_copy_files_into_the_corpus(tmp_path):
    corpus = news_corpus(tmp_path)
    outside = write_corpus(
        tmp_path / "downloads", {"ferry.txt": NEW, "more/owls.md": "# Owls\n\nBarn owls hunt at dusk."}
    )
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, f"/add {outside / 'ferry.txt'}")
        assert (corpus / "ferry.txt").exists() and app.index.n_articles == 5
        await ask(pilot, f"'{outside / 'more'}'")  # a folder pasted, quoted as a file manager does
        assert (corpus / "more" / "owls.md").exists() and app.index.n_articles == 6
        notes = " ".join(str(note.render()) for note in app.query(".note"))
        assert "Added 1 file to news as ferry.txt." in notes and "Added 1 file to news as more/owls.md." in notes
        await ask(pilot, f"/add {outside / 'ferry.txt'}")  # again: nothing copied, and it says which was there
        assert "Added 0 files to news; 1 already there (ferry.txt)." in str(app.query(".note").last().render())
        await ask(pilot, f"/add {tmp_path / 'missing.pdf'}")
        assert "Cannot add:" in str(app.query(".note.error").last().render())


def test_only_lines_made_of_existing_paths_count_as_pasted(tmp_path):
    target = write_corpus(tmp_path / "d", {"a b.txt": "x"}) / "a b.txt"
    assert pasted_paths(f"'{target}'") == [str(target)]
    assert pasted_paths(f"file://{str(target).replace(' ', '%20')}") == [str(target)]
    assert pasted_paths("what did Volodin warn?") is None
    assert pasted_paths(f"{target} and more") is None


async def test_a_plain_absolute_path_pasted_is_added_not_taken_for_a_command(tmp_path):
    corpus = news_corpus(tmp_path)
    outside = write_corpus(tmp_path / "downloads", {"ferry.txt": NEW})
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, str(outside / "ferry.txt"))  # unquoted, as a terminal pastes a path without spaces
        assert (corpus / "ferry.txt").exists() and app.index.n_articles == 5
        await ask(pilot, "/nosuchcommand")
        assert "Unknown command" in str(app.query(".note.error").last().render())


async def test_an_empty_corpus_is_opened_once_articles_are_added_or_copied_in(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    outside = write_corpus(tmp_path / "downloads", {"ferry.txt": NEW})
    app = make_app(empty)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.index is None and "has no readable articles" in str(app.query(".note.error").last().render())
        app.corpus_watch.check()  # still nothing there: quietly, no second note
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.index is None and len(app.query(".note.error")) == 1
        await ask(pilot, f"/add {outside / 'ferry.txt'}")
        await settle(pilot)
        assert app.index is not None and app.index.n_articles == 1
        await ask(pilot, "how many bicycles does the ferry carry?")
        assert app.query(HitQuote).first().hit.article.id == "ferry"


async def test_a_file_copied_into_an_empty_corpus_is_read_on_the_next_look(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    app = make_app(empty)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        (empty / "ferry.txt").write_text(NEW)
        app.corpus_watch.check()
        await settle(pilot)
        assert app.index is not None and app.index.n_articles == 1
        assert "The corpus has articles now: 1 article." in str(app.query(".note").last().render())


async def test_the_bundled_sample_takes_no_articles(tmp_path):
    import askdoc

    sample = askdoc.sample_corpus()
    before = sorted(sample.rglob("*"))
    outside = write_corpus(tmp_path / "downloads", {"ferry.txt": NEW})
    app = make_app(sample)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, f"/add {outside / 'ferry.txt'}")
        assert "The bundled sample takes no articles" in str(app.query(".note.error").last().render())
    assert sorted(sample.rglob("*")) == before


@pytest.mark.slow  # over 5 s here
async def test_a_corpus_folder_deleted_while_the_chat_runs_answers_nothing_until_it_is_back(tmp_path):
    import shutil

    corpus = news_corpus(tmp_path)
    saved = tmp_path / "saved"
    shutil.copytree(corpus, saved)
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shutil.rmtree(corpus)
        app.corpus_watch.check()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.index is None and "does not exist" in str(app.query(".note.error").last().render())
        await ask(pilot, "what did Volodin warn?")
        assert "could not be opened" in str(app.query(".answer").last().query_one(".error").render())
        shutil.copytree(saved, corpus)
        app.corpus_watch.check()
        await settle(pilot)
        assert app.index is not None and app.index.n_articles == 4


async def until(pilot, condition, timeout: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds (a real watcher: about a second), or fail."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the chat did not catch up with the corpus folder"
        await pilot.pause(0.1)
    await settle(pilot)


def article_ids(app) -> set[str]:
    return {article.id for article in app.index.articles()} if app.index is not None else set()


@pytest.mark.slow
async def test_files_saved_while_the_chat_runs_are_answered_from_file_events(tmp_path):
    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        watch = app.corpus_watch
        watch.tick()  # start watching now rather than at the next tick
        (corpus / "zz-start.txt").write_text("Start\n\nA first file, found once the watch runs.\n")
        await until(pilot, lambda: "zz-start" in article_ids(app))
        assert watch.folder_watch is not None and watch.folder_watch.polling is None
        (corpus / "ferry.txt").write_text(NEW)  # no check() asked for: the file event is enough
        await until(pilot, lambda: "ferry" in article_ids(app))
        assert app.screen.sub_title == "news · 6 articles · 38 passages · refreshed: 1 added"
        await ask(pilot, "how many bicycles does the ferry carry?")
        assert app.query(HitQuote).first().hit.article.id == "ferry"
        (corpus / "budget.txt").rename(corpus / "spring-budget.txt")
        await until(pilot, lambda: "spring-budget" in article_ids(app) and "budget" not in article_ids(app))
        assert app.screen.sub_title.endswith("refreshed: 1 added, 1 removed")
    assert watch.watching is None  # the watch thread ends with the chat


@pytest.mark.slow
async def test_a_chat_told_to_poll_says_so_once_and_still_sees_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("ASKDOC_WATCH", "poll")
    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.corpus_watch.tick()
        (corpus / "ferry.txt").write_text(NEW)
        await until(pilot, lambda: "ferry" in article_ids(app))
        (corpus / "russia.md").unlink()
        await until(pilot, lambda: "russia" not in article_ids(app))
        notes = [str(note.render()) for note in app.query(".note")]
        assert sum("by polling" in note for note in notes) == 1
        assert any(note.startswith("Polling was asked for: watching") for note in notes)
