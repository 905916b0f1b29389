"""The reader and the article list; article text is always shown literally, never as markup."""

from __future__ import annotations

from textual.widgets import OptionList

from askdoc.tui.app import make_app
from askdoc.tui.screens.articles import ArticlesScreen
from askdoc.tui.screens.chat import ChatScreen
from askdoc.tui.screens.reader import ReaderScreen
from askdoc.tui.widgets.hit_quote import HitQuote
from chat_helpers import ask, news_corpus, settle

SIZE = (100, 40)


def drawn(widget) -> str:
    return "\n".join(
        "".join(segment.text for segment in line) for line in widget.render_lines(widget.region.reset_offset)
    )


def styles(widget) -> str:
    return " ".join(str(segment.style) for line in widget.render_lines(widget.region.reset_offset) for segment in line)


async def test_markup_and_escapes_in_an_article_stay_literal(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "zeppelin pamphlet [bold]now[/bold]")
        assert "› zeppelin pamphlet [bold]now[/bold]" in drawn(app.query(".question").last())
        quote = app.query(HitQuote).first()
        text = drawn(quote)
        assert "[1] [bold]Bold[/bold] claims" in text
        assert "[red]alarm[/red] and [bold]x[/bold]" in text
        assert "\\x1b[31m" in text and "\x1b" not in text
        assert "red" not in styles(quote)
        await pilot.press("tab", "1")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.sub_title == "[bold]Bold[/bold] claims"
        assert "[bold]Bold[/bold] claims" in drawn(reader.query_one(".metadata"))
        cited = drawn(reader.query_one("#cited"))
        assert "[red]alarm[/red]" in cited and "\\x1b[31m" in cited
        assert "red" not in styles(reader.query_one("#cited"))


async def test_article_list_filters_as_you_type_and_opens_the_reader(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ArticlesScreen)
        options = screen.query_one(OptionList)
        assert options.option_count == 4
        assert [options.get_option_at_index(i).id for i in range(4)] == ["russia", "harbour", "markup", "budget"]
        await pilot.press(*"harb")
        await pilot.pause()
        assert options.option_count == 1
        assert screen.sub_title == "news · 1 of 4 articles"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen) and app.screen.article.id == "harbour"
        assert app.screen.query_one("#article").scroll_y == 0, "opened from the list: the top of the article"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("backspace", "backspace", "backspace", "backspace", "down", "enter")
        await pilot.pause()
        assert app.screen.article.id == "harbour"
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)


async def test_reader_copies_the_cited_quote(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "budget date")
        await pilot.press("tab", "1")
        await pilot.pause()
        await pilot.press("c")
        assert "The chancellor will deliver the budget on 16 March." in app.clipboard
        assert "— [1] Chancellor sets budget date, ¶1" in app.clipboard


async def test_a_long_paragraph_cut_into_passages_reads_on_in_the_reader(tmp_path):
    from conftest import write_corpus

    long = " ".join(f"Sentence {i} of the long paragraph about the harbour." for i in range(60))
    corpus = write_corpus(tmp_path / "c", {"long.txt": f"Long one\n\n{long}\n\nA short last paragraph."})
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "sentence 40 of the long paragraph")
        await pilot.press("tab", "1")
        await pilot.pause()
        pieces = list(app.screen.query(".passage"))
        assert len(pieces) >= 3 and all(p.styles.margin.bottom == 0 for p in pieces[:-2])  # one ¶, no gaps
        assert pieces[-2].styles.margin.bottom == 1 and pieces[-1].styles.margin.bottom == 1
