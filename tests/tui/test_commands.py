"""Slash commands and the Ctrl+P palette: one table of commands behind both."""

from __future__ import annotations

from askdoc.tui.app import make_app
from askdoc.tui.commands import AskdocCommands
from askdoc.tui.screens.articles import ArticlesScreen
from askdoc.tui.widgets.answer import Answer
from askdoc.tui.widgets.hit_quote import HitQuote
from chat_helpers import ask, news_corpus, settle

SIZE = (100, 40)


def notes(app) -> list[str]:
    return [str(note.render()) for note in app.query(".note")]


async def test_k_sets_how_many_passages_an_answer_shows(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        shown = len(app.query(Answer).last().query(HitQuote))
        assert shown > 1 and f"1-{shown}" in app.query_one("#question").placeholder
        await ask(pilot, "/k 1")
        assert f"1-{shown}" not in app.query_one("#question").placeholder, "the keys of an answer /k has outdated"
        assert app.k == 1
        assert "Answers now show up to 1 passage." in notes(app)
        await ask(pilot, "Russia warned")
        assert len(app.query(Answer).last().query(HitQuote)) == 1
        assert app.query_one("#question").placeholder.endswith("Tab then 1 to read a source")
        await ask(pilot, "/k 0")
        await ask(pilot, "/k many")
        assert app.k == 1
        assert notes(app)[-1].startswith("/k takes a number of passages from 1 to 20")
        await ask(pilot, "/k")
        assert notes(app)[-1] == "Answers show up to 1 passage; /k N changes it (1 to 20)."


async def test_export_writes_every_quote_with_its_citation(tmp_path):
    app = make_app(news_corpus(tmp_path))
    out = tmp_path / "chat.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, f"/export {out}")
        assert not out.exists(), "nothing to export before a question"
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, "quokka zebra?")
        await ask(pilot, f"/export {out}")
        hits = app.query(Answer).first().hits
        out.write_text("the user's own notes")
        await ask(pilot, f"/export {out}")
        assert (
            notes(app)[-1] == f"Exported 2 answers to {tmp_path / 'chat-2.md'} (chat.md exists and was left as it is)"
        )
    assert out.read_text() == "the user's own notes", "an export never overwrites a file"
    markdown = (tmp_path / "chat-2.md").read_text(encoding="utf-8")
    assert markdown.startswith("# askdoc: news, ")
    assert "## what did Volodin warn?" in markdown
    for hit in hits:
        assert "> " + hit.quote.text.splitlines()[0] in markdown
        assert f"{hit.citation}  · {hit.article.id}:{hit.passage.paragraph}" in markdown  # what `askdoc show` takes
    assert "## quokka zebra?" in markdown and "no passage mentions: quokka, zebra" in markdown


async def test_export_to_an_unwritable_place_says_so(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, f"/export {tmp_path / 'no' / 'such' / 'dir.md'}")
        assert notes(app)[-1].startswith("Could not write")


async def test_export_to_a_folder_a_bare_name_or_a_quoted_path_writes_markdown_there(tmp_path, monkeypatch):
    corpus = news_corpus(tmp_path)
    (tmp_path / "out dir").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path / "out dir")
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        for argument in (".", "./", "'../out dir'", "~", "~/", "notes", '"my notes.md"', "draft."):
            await ask(pilot, f"/export {argument}")
            assert notes(app)[-1].startswith("Exported 1 answer to "), argument
        await ask(pilot, "/export ~nosuchuser-askdoc/x.md")
        assert notes(app)[-1] == "Could not export to ~nosuchuser-askdoc/x.md: there is no such home folder."
        await ask(pilot, "/export " + "x" * 300)
        assert notes(app)[-1].startswith("Could not write xxx") and notes(app)[-1].endswith(": File name too long")
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("**/*.md") if "news" not in p.parts)
    assert written == [
        "home/askdoc-chat-2.md",
        "home/askdoc-chat.md",
        "out dir/askdoc-chat-2.md",
        "out dir/askdoc-chat-3.md",
        "out dir/askdoc-chat.md",
        "out dir/draft.md",
        "out dir/my notes.md",
        "out dir/notes.md",
    ]


async def test_export_never_writes_into_the_corpus_where_it_would_be_indexed(tmp_path, monkeypatch):
    corpus = news_corpus(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(corpus)
    before = sorted(corpus.rglob("*"))
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, "/export chat.md")
        assert notes(app)[-1].startswith("Not exporting to chat.md: it is inside the corpus")
        await ask(pilot, "/export")
        assert notes(app)[-1] == f"Exported 1 answer to {tmp_path / 'home' / 'askdoc-chat.md'}"
        monkeypatch.setenv("HOME", str(corpus))  # the home folder inside the corpus: no place to fall back to
        await ask(pilot, "/export")
        assert notes(app)[-1].startswith("Not exporting to ") and notes(app)[-1].endswith(
            f"Give a path outside {corpus}."
        )
    assert sorted(corpus.rglob("*")) == before


async def test_clear_help_theme_and_unknown_commands(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, "/clear")
        assert not app.query(Answer) and not app.query(".question")
        assert notes(app) == ["Cleared. A new conversation: questions no longer follow on from earlier ones."]
        await ask(pilot, "/help")
        assert app.query(".note.help")
        assert app.current_theme.dark
        await ask(pilot, "/theme")
        assert not app.current_theme.dark
        await ask(pilot, "/theme nord")
        assert app.theme == "nord"
        await ask(pilot, "/theme no-such-theme")
        assert app.theme == "nord"
        await ask(pilot, "/frobnicate")
        assert notes(app)[-1] == "Unknown command /frobnicate. Type /help for the list."
        await ask(pilot, "/articles")
        assert isinstance(app.screen, ArticlesScreen)


async def test_palette_offers_the_same_commands(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = AskdocCommands(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        assert "Passages per answer: 5" in titles and "Browse the articles" in titles
        found = [hit async for hit in provider.search("passages 10")]
        assert found and found[0].text == "Passages per answer: 10"
        found[0].command()
        assert app.k == 10
