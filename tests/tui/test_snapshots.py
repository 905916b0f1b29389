"""Snapshots of the chat with an answer, the reader at a citation and the article list (SVGs in __snapshots__)."""

from __future__ import annotations

import pytest

from askdoc.tui.app import make_app
from chat_helpers import ask, news_corpus, settle

SIZE = (80, 24)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # the reader shows ~/news/…: the same on every run
    return make_app(news_corpus(tmp_path))


async def still(pilot) -> None:
    """No blinking cursor in a snapshot."""
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    await pilot.pause()


def test_chat_with_an_answer(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_reader_at_the_cited_passage(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "when did the lighthouse keeper retire?")
        await pilot.press("tab", "1")
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_article_list_filtered(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.press(*"2024")
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_chat_in_the_light_theme(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "/theme")
        await ask(pilot, "when is the budget?")
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_chat_at_60_by_20(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await still(pilot)

    assert snap_compare(app, terminal_size=(60, 20), run_before=run_before)


def test_quote_focused_at_80_by_24_shows_every_key_and_quit(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab")
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_a_quote_opened_into_its_paragraph(app, snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "what did Volodin warn?")
        await pilot.press("tab", "e")
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
