"""The chat screen: asking, answers, follow-ups, history, citations and the index worker."""

from __future__ import annotations

import threading
import time

import pytest
from textual import events

import askdoc
from askdoc.tui.app import make_app
from askdoc.tui.screens.chat import ChatScreen
from askdoc.tui.screens.reader import ReaderScreen
from askdoc.tui.widgets.answer import Answer
from askdoc.tui.widgets.hit_quote import HitQuote
from askdoc.tui.widgets.question_input import QuestionInput
from chat_helpers import ask, news_corpus, settle

SIZE = (100, 40)


def rendered(widget) -> str:
    """The widget's lines exactly as drawn on the terminal."""
    return "\n".join(
        "".join(segment.text for segment in line) for line in widget.render_lines(widget.region.reset_offset)
    )


async def test_question_is_answered_with_quote_and_citation(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.focused is app.query_one(QuestionInput)
        assert app.screen.sub_title == "news · 4 articles · 36 passages"
        await ask(pilot, "what did Volodin warn?")
        quotes = list(app.query(HitQuote))
        assert 1 <= len(quotes) <= 3
        first = quotes[0]
        assert first.hit.article.title == "Russia warns the West"
        text = rendered(first)
        assert "[1] Russia warns the West" in text
        assert "2024-09-24" in text and "¶2" in text
        assert "Vyacheslav Volodin warned that Russia" in text
        content = first.render()
        assert any("$warning-muted" in str(span.style) for span in content.spans), "the question's words are marked"


BRIDGE = (
    "Bridge opens\n\nThe mayor opened the new bridge on Monday. Engineers said the heron colony under the "
    "bridge had been moved to the marsh. Traffic will start flowing on Friday. The council meets in June to agree the budget for road repairs.\n"
)


async def test_an_answer_shows_the_quote_and_e_shows_its_whole_paragraph(tmp_path):
    from conftest import write_corpus

    app = make_app(write_corpus(tmp_path / "c", {"bridge.txt": BRIDGE, "other.txt": "Other\n\nEgrets nest."}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "where was the heron colony moved?")
        quote = app.query(HitQuote).first()
        shown = " ".join(rendered(quote).split())
        assert "… Engineers said the heron colony" in shown and "Monday" not in shown and "June" not in shown
        await pilot.press("tab", "e")
        assert app.focused is quote and quote.expanded
        shown = " ".join(rendered(quote).split())
        assert "Monday" in shown and "June" in shown
        content = quote.render()
        quote_start = content.plain.index(quote.hit.quote.text)
        assert any("bold" in str(span.style) and span.start <= quote_start < span.end for span in content.spans), (
            "in its paragraph, the quote is emphasised"
        )
        await pilot.press("e")
        assert "June" not in " ".join(rendered(quote).split()), "e again: the quote alone"
        assert app.query_one(QuestionInput).value == "", "e is not typed into the question"


async def test_no_match_names_the_missing_terms(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "quokka zebra?")
        answer = app.query(Answer).last()
        assert not app.query(HitQuote)
        assert "No passage mentions: quokka, zebra." in rendered(answer.query_one(".no-match"))
        await ask(pilot, "Volodin quokka")
        assert "Not in any article: quokka" in rendered(app.query(Answer).last().query_one(".missing"))
        await ask(pilot, "what did Volodin say about weapons?")  # "say" is missing, but it is no news
        assert not app.query(Answer).last().query(".missing")
        await ask(pilot, "What did Macron say about the lighthouse?")
        shown = len(app.query(Answer).last().query(HitQuote))
        these = "these passages match" if shown > 1 else "this passage matches"  # /k 1: one passage, singular
        assert f"No passage mentions macron; {these} only the rest" in rendered(
            app.query(Answer).last().query_one(".missing")
        )


async def test_follow_up_borrows_the_previous_question(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, "and what did he say?")
        follow_up = app.query(Answer).last().hits
        assert follow_up.question == "and what did he say?"
        assert "volodin" in follow_up.matched
        shown = rendered(app.query(Answer).last().query_one(".borrowed"))
        assert shown.strip() == "Also searched, from earlier: volodin", "how the follow-up was read, to correct it"
        await ask(pilot, "and the budget?")
        assert "volodin" in app.query(Answer).last().hits.matched, "the previous question as it was read"
        await pilot.press("ctrl+l")
        await ask(pilot, "and what did he say?")
        assert "volodin" not in app.query(Answer).last().hits.matched, "/clear starts a new conversation"


async def test_up_and_down_walk_the_question_history(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, "budget date")
        prompt = app.query_one(QuestionInput)
        prompt.value = "draft"
        await pilot.press("up")
        assert prompt.value == "budget date"
        await pilot.press("up", "up")
        assert prompt.value == "what did Volodin warn?"
        await pilot.press("down")
        assert prompt.value == "budget date"
        await pilot.press("down")
        assert prompt.value == "draft"


async def test_digit_opens_citation_in_reader_and_escape_returns(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await ask(pilot, "when did the lighthouse keeper retire?")
        hit = app.query(HitQuote).first().hit
        assert "or Tab then 1" in app.query_one(QuestionInput).placeholder
        await pilot.press("tab", "1")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.article.id == "harbour"
        view = reader.query_one("#article")
        cited = reader.query_one("#cited")
        assert cited.render().plain == hit.passage.text
        assert view.scroll_y > 0, "the reader scrolled down to the cited passage"
        assert (
            view.region.contains_region(cited.region.intersection(view.region)) and cited.region.y < view.region.bottom
        )
        metadata = rendered(reader.query_one(".metadata"))
        assert "Harbour town diary" in metadata and "2024-05-02 · ¶31 cited as [1]" in metadata
        assert "~/news/harbour.md" in metadata
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert [quote.hit for quote in app.query(HitQuote)][0] == hit, "the transcript is intact"


async def test_digits_on_the_prompt_are_typed_even_first_so_a_question_may_begin_with_a_year(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("2", "0", "0", "4", "space", "b", "1", "9")
        assert isinstance(app.screen, ChatScreen)
        assert app.query_one(QuestionInput).value == "2004 b19"


async def test_clicking_a_quote_opens_its_article(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.click(HitQuote)
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.article.id == "russia"


async def test_focused_quote_is_copied_with_its_citation(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "budget date")
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab")
        assert isinstance(app.focused, HitQuote)
        assert app.focused.hit.rank == 1 and app.focused.hit.article.id == "russia", "the latest answer's first quote"
        await pilot.press("c")
        hit = app.focused.hit
        assert hit.quote.text in app.clipboard
        assert hit.citation in app.clipboard
        assert app.clipboard.endswith(f"· {hit.article.id}:{hit.passage.paragraph}"), "what askdoc show takes"


async def test_escape_or_typing_on_a_quote_goes_back_to_the_question(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab")
        assert isinstance(app.focused, HitQuote)
        await pilot.press("escape")
        assert app.focused is app.query_one(QuestionInput)
        await pilot.press("tab")
        await pilot.press(*"who")  # typed on a quote: the next question starts
        assert app.focused is app.query_one(QuestionInput) and app.query_one(QuestionInput).value == "who"


async def test_keys_typed_fast_on_a_quote_all_reach_the_question_quote_keys_included(tmp_path):
    """tmux send-keys (or a fast typist) delivers every key before the prompt has the focus: the "e"s of
    "where was the cable replaced 2 times" expanded paragraphs and its "c" copied a quote."""
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab")
        quote = app.focused
        assert isinstance(quote, HitQuote)
        typed = "where was the cable replaced 2 times"
        for character in typed:  # all queued on the quote at once, as a terminal sends them
            quote.post_message(events.Key(character if character != " " else "space", character))
        await pilot.pause(0.2)
        assert app.query_one(QuestionInput).value == typed
        assert not any(hit.expanded for hit in app.query(HitQuote))
        await pilot.press("tab")
        quote = app.focused
        quote.post_message(events.Key("escape", None))
        for character in "/help":
            quote.post_message(events.Key({"/": "slash"}.get(character, character), character))
        await pilot.pause(0.2)
        assert app.query_one(QuestionInput).value.endswith("/help")


async def test_question_asked_while_indexing_is_answered_when_ready(tmp_path, monkeypatch):
    release = threading.Event()
    real_open = askdoc.open

    def slow_open(corpus, *, engine, progress):
        progress(1, 4)
        assert release.wait(10)
        return real_open(corpus, engine=engine, progress=progress)

    monkeypatch.setattr(askdoc, "open", slow_open)
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert "1 / 4 articles" in rendered(app.query_one("#progress-counts"))
        await pilot.press(*"what did Volodin warn?", "enter")
        await pilot.pause()
        assert "waiting for the index" in rendered(app.query(Answer).last().query_one(".searching"))
        release.set()
        await settle(pilot)
        assert app.query(HitQuote).first().hit.article.id == "russia"
        assert not app.query_one("#progress").display


async def test_unusable_corpus_is_said_in_the_transcript(tmp_path):
    (tmp_path / "empty").mkdir()
    app = make_app(tmp_path / "empty")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = " ".join(rendered(note) for note in app.query(".note.error"))
        assert "has no readable articles" in notes
        await pilot.press(*"anything", "enter")
        await pilot.pause()
        assert "could not be opened" in rendered(app.query(Answer).last().query_one(".error"))


def test_missing_corpus_folder_is_an_error_before_the_app_starts(tmp_path):
    with pytest.raises(askdoc.CorpusError, match="does not exist"):
        make_app(tmp_path / "nowhere")


async def test_slow_answer_still_lands_with_its_question_at_the_top(tmp_path, monkeypatch):
    real_search = askdoc.Index.search

    def slow_search(self, *args, **kwargs):
        time.sleep(0.3)  # the answer arrives after the question has been drawn and scrolled to
        return real_search(self, *args, **kwargs)

    monkeypatch.setattr(askdoc.Index, "search", slow_search)
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await ask(pilot, "what did Putin warn?")
        await pilot.pause(0.1)
        transcript = app.query_one("#transcript")
        question = app.query(".question").last()
        top = question.virtual_region.y - question.styles.margin.top  # scrolled to with its margin above it
        assert transcript.scroll_y == min(top, transcript.max_scroll_y), "as far as it goes"
        assert transcript.region.contains_region(question.region), "the question is in view"


@pytest.mark.parametrize("since", ["changed", "removed"])
async def test_a_citation_whose_file_changed_or_went_opens_the_text_it_quoted(tmp_path, since):
    corpus = news_corpus(tmp_path)
    app = make_app(corpus)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await ask(pilot, "when did the lighthouse keeper retire?")
        hit = app.query(HitQuote).first().hit
        path = next(corpus.glob("harbour.*"))
        if since == "changed":  # a new first paragraph moves every offset of the file
            path.write_text(path.read_text("utf-8").replace("\n\n", "\n\nA new first paragraph.\n\n", 1), "utf-8")
        else:
            path.unlink()
        app.index = askdoc.open(corpus)  # what the chat's watcher does when it sees the change
        await pilot.press("tab", "1")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.since == since
        assert reader.query_one("#cited").render().plain == hit.passage.text  # the quoted text, cited as then
        assert hit.article.text[hit.quote.start : hit.quote.end] == hit.quote.text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen) and app.query(HitQuote).first().hit == hit


async def test_several_lines_pasted_are_one_question(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        prompt = app.query_one(QuestionInput)
        prompt.post_message(events.Paste("what did Volodin\n  warn about\n\nweapons?\n"))
        await pilot.pause()
        assert prompt.value == "what did Volodin warn about weapons?"


async def test_a_long_pasted_question_is_searched_whole_and_echoed_short(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        question = "what did Volodin warn? " + "and more words besides " * 100
        await ask(pilot, question)
        echoed = str(app.query(".question").last().render())
        assert len(echoed) < 320 and echoed.endswith("…")
        assert app.query(Answer).last().hits.question == question.strip()


async def test_page_keys_scroll_the_transcript_from_the_prompt(tmp_path):
    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for question in ("what did Volodin warn?", "lighthouse keeper", "budget date", "harbour ferry timetable"):
            await ask(pilot, question)
        transcript, prompt = app.query_one("#transcript"), app.query_one(QuestionInput)
        assert transcript.max_scroll_y > 0 and app.focused is prompt
        await pilot.press("ctrl+end")
        assert transcript.scroll_y == transcript.max_scroll_y
        await pilot.press("pageup")
        await pilot.pause()
        assert transcript.scroll_y < transcript.max_scroll_y and app.focused is prompt
        await pilot.press("ctrl+home")
        assert transcript.scroll_y == 0
        await pilot.press("pagedown")
        assert transcript.scroll_y > 0 and app.focused is prompt


async def test_expanding_a_quote_keeps_it_in_view(tmp_path):
    from conftest import write_corpus

    egrets = {f"egret{n}.txt": f"Egrets {n}\n\nThe warden counted {n} egrets by the ferry." for n in range(3)}
    app = make_app(write_corpus(tmp_path / "c", {"bridge.txt": BRIDGE, **egrets}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await ask(pilot, "where was the heron colony moved?")
        await ask(pilot, "how many egrets did the warden count?")
        await pilot.press("tab", "up")  # the earlier answer's quote, above the latest question
        await pilot.pause()
        before = app.focused.region
        await pilot.press("e")
        await pilot.pause()
        await pilot.pause()
        quote, transcript = app.focused, app.query_one("#transcript")
        assert quote.region.y == before.y, "the view does not jump back to the latest question"
        assert isinstance(quote, HitQuote) and quote.expanded and quote.hit.article.id == "bridge"
        assert "June" in rendered(quote)
        assert transcript.region.contains_region(quote.region), "the expanded quote is on screen"


async def test_footer_keeps_quit_at_80_by_24_with_a_quote_focused(tmp_path):
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = {key.description: key.region for key in footer.query(FooterKey)}
        assert {"Read", "Copy", "Quit"} <= set(keys), keys
        shown = [name for name, region in keys.items() if region.width and region.right <= footer.region.right - 12]
        assert "Quit" in shown and "Read" in shown, f"cut off or under the palette key: {keys}"


async def test_an_in_filter_that_fits_no_folder_names_the_folders_in_the_chat(tmp_path):
    from conftest import write_corpus

    corpus = write_corpus(tmp_path / "c", {"sport/a.txt": "A\n\nGoals galore.", "tech/b.txt": "B\n\nPhones."})
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "goals in:sprt")
        said = " ".join(rendered(app.query(Answer).last().query_one(".no-match")).split())
        assert "within in:sprt; its folders are sport, tech." in said


async def test_a_toast_sits_above_the_question_not_over_it_at_80_by_24(tmp_path):
    from textual.widgets._toast import Toast

    app = make_app(news_corpus(tmp_path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab", "c")
        for _ in range(20):
            await pilot.pause()
            if app.screen.query(Toast):
                break
        toast = app.screen.query(Toast).last()
        assert toast.region.height, "the copy is said in a toast"
        assert not toast.region.overlaps(app.query_one(QuestionInput).region), "the toast covers the question"
