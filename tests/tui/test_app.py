"""The app factory and the command line that opens the chat."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import askdoc
from askdoc.cli import cli
from askdoc.tui import app as tui_app
from askdoc.tui.app import make_app
from chat_helpers import news_corpus, settle
from conftest import write_corpus


def test_make_app_uses_the_default_corpus(tmp_path, monkeypatch):
    news_corpus(tmp_path)
    monkeypatch.setenv("ASKDOC_CORPUS", str(tmp_path / "news"))
    app = make_app()
    assert app.corpus == tmp_path / "news" and app.corpus_name == "news" and app.k == 3


def test_make_app_rejects_an_unknown_engine(tmp_path):
    with pytest.raises(ValueError, match="rank-bm25"):
        make_app(news_corpus(tmp_path), engine="lucene")


def test_chat_command_opens_the_app_on_the_corpus(tmp_path, monkeypatch):
    opened = {}
    monkeypatch.setattr(tui_app.AskdocApp, "run", lambda self: opened.update(corpus=self.corpus, engine=self.engine))
    result = CliRunner().invoke(cli, ["chat", "--corpus", str(news_corpus(tmp_path)), "--engine", "rank-bm25"])
    assert result.exit_code == 0, result.output
    assert opened == {"corpus": tmp_path / "news", "engine": "rank-bm25"}


def test_chat_on_a_missing_folder_is_one_line_and_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["chat", "--corpus", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.strip().endswith("does not exist or is not a folder")
    assert "Traceback" not in result.output


async def test_the_reference_engine_gives_the_same_answer(tmp_path):
    answers = []
    for engine in askdoc.ENGINES:
        app = make_app(news_corpus(tmp_path), engine=engine)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.index.engine == engine
            answers.append([hit.citation for hit in app.index.search("what did Volodin warn?", k=3)])
    assert answers[0] == answers[1] and answers[0]


async def test_header_counts_one_article_in_the_singular(tmp_path):
    corpus = write_corpus(tmp_path / "one", {"only.txt": "Only title\n\nJust one paragraph here.\n"})
    app = make_app(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.sub_title == "one · 1 article · 1 passage"


async def test_the_chat_on_the_bundled_sample_says_so_in_its_header_and_how_to_use_a_corpus(tmp_path, monkeypatch):
    from askdoc.tui.app import make_app
    from chat_helpers import settle

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.screen.sub_title.startswith("bundled sample · 1 article")
        notes = [str(note.render()) for note in app.query(".note")]
        assert any("bundled sample" in note and "askdoc add PATH" in note for note in notes)
