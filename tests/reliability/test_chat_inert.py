"""The chat shows hostile article content inert too: OSC 52/8 sequences, C1 controls, bidi, odd file names."""

from __future__ import annotations

import os
import re

from askdoc.tui.app import make_app
from askdoc.tui.screens.reader import ReaderScreen
from askdoc.tui.widgets.hit_quote import HitQuote
from chat_helpers import settle
from conftest import write_corpus

HOSTILE = (
    "The zeppelin pamphlet \x1b]52;c;ZXZpbA==\x07 copied, "
    "\x1b]8;;https://evil.example\x1b\\a link\x1b]8;;\x1b\\, \x9b31m C1, \u202eevil\u202c and \x08\x08 backspaces.\n"
)
STRAY = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def drawn(widget) -> str:
    return "\n".join(
        "".join(segment.text for segment in line) for line in widget.render_lines(widget.region.reset_offset)
    )


def links(widget) -> list:
    return [
        segment.style.link
        for line in widget.render_lines(widget.region.reset_offset)
        for segment in line
        if segment.style and segment.style.link
    ]


async def test_chat_and_reader_show_escape_sequences_and_bidi_inert(tmp_path):
    root = write_corpus(
        tmp_path / "news", {"zeppelin\x1b]52;c;aGk=\x07\u202e.txt": "Zeppelin \u202enews\n\n" + HOSTILE}
    )
    (root / os.fsdecode(b"bytes-\xff.txt")).write_text("Bytes\n\nAnother zeppelin pamphlet.\n")
    app = make_app(root)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        app.query_one("#question").value = "zeppelin pamphlet"
        await pilot.press("enter")
        await settle(pilot)
        quotes = list(app.query(HitQuote))
        assert len(quotes) == 2
        for quote in quotes:
            text = drawn(quote)
            assert "\x1b" not in text and not STRAY.search(text), repr(text)
            assert not links(quote)  # no OSC 8 hyperlink smuggled into the cell styles
        first = drawn(quotes[0])
        assert "\\x1b]52;c;ZXZpbA==\\x07" in first and "<U+202E>" in first
        await pilot.press("tab", "1")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        for widget in reader.query("*"):
            if hasattr(widget, "render_lines") and widget.region.area:
                text = drawn(widget)
                assert "\x1b" not in text and not STRAY.search(text), repr(text)
        assert not STRAY.search(reader.sub_title or "") and not STRAY.search(reader.title or "")
