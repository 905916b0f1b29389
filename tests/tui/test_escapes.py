"""Nothing from a file name, a title or an article reaches the terminal raw: toasts, header and exports."""

from __future__ import annotations

import re

from textual.widgets._toast import Toast

from askdoc.tui.app import make_app
from askdoc.tui.widgets.hit_quote import HitQuote
from chat_helpers import ask, settle
from conftest import write_corpus

SIZE = (100, 30)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PWNED = "\x1b]0;PWNED\x07 title"
CLEAR = "\x1b[2J"
CLIPBOARD = "\x1b]52;c;aGk=\x07"


async def test_toasts_about_files_named_with_escape_sequences_are_inert(tmp_path):
    corpus = write_corpus(
        tmp_path / "c",
        {f"{PWNED}.txt": "", f"{CLEAR}clear.txt": b"\x00\x01\x02binary", "good.txt": "Good\n\nHerons nest."},
    )
    app = make_app(corpus)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.pause()
        drawn = "".join(
            segment.text for toast in app.screen.query(Toast) for line in toast.render_lines(toast.region.reset_offset)
            for segment in line
        )  # fmt: skip
        assert "PWNED" in drawn and not RAW.search(drawn), "the toasts as drawn on the terminal"
        messages = [n.message for n in app._notifications]
        assert any("PWNED" in m for m in messages) and any("clear.txt" in m for m in messages), messages
        assert not any(RAW.search(m) for m in messages), messages
        assert any("\\x1b]0;PWNED\\x07" in m for m in messages), "shown as visible escapes"
        app.notify(f"raw {CLIPBOARD}", title=f"t{CLEAR}")  # any toast, whoever makes it
        latest = list(app._notifications)[-1]
        assert not RAW.search(latest.message) and not RAW.search(latest.title)
        app.screen.sub_title = f"could not refresh: {PWNED}"
        assert not RAW.search(app.screen.sub_title)


async def test_export_writes_titles_quotes_and_questions_inert(tmp_path):
    title = f"Evil {PWNED} \u202etxt.exe"
    corpus = write_corpus(
        tmp_path / "c",
        {"evil.txt": f"{title}\n\nThe heron {CLIPBOARD} nested in the marsh {CLEAR} again.\n"},
    )
    out = tmp_path / "chat.md"
    app = make_app(corpus)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "where did the heron nest?")
        assert app.query(HitQuote), "answered"
        await ask(pilot, f"/export {out}")
    markdown = out.read_text(encoding="utf-8")
    assert "heron" in markdown and "PWNED" in markdown
    assert not RAW.search(markdown), [c for c in markdown if RAW.match(c)]
    assert "\\x1b]52;c;aGk=\\x07" in markdown and "<U+202E>" in markdown
