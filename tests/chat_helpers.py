"""Small corpora and pilot helpers shared by the chat's tests."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from conftest import write_corpus

FILLER = [f"Filler paragraph {n} talks about the harbour, the weather and the ferry timetable." for n in range(1, 31)]

NEWS = {
    "russia.md": (
        "---\ntitle: Russia warns the West\ndate: 2024-09-24\nsource: Example News\n---\n\n"
        "World leaders gather in New York for the General Assembly.\n\n"
        "Vyacheslav Volodin warned that Russia would respond with more powerful weapons. "
        "No one should have any illusions about this, he said.\n\n"
        "Putin warned of a direct war between NATO and Russia if long-range strikes were allowed.\n"
    ),
    "harbour.md": (
        "---\ntitle: Harbour town diary\ndate: 2024-05-02\n---\n\n"
        + "\n\n".join(FILLER)
        + "\n\nThe lighthouse keeper retired after forty years of lighting the lamp.\n"
    ),
    "markup.md": (
        "---\ntitle: '[bold]Bold[/bold] claims'\ndate: 2024-01-10\n---\n\n"
        "The pamphlet printed [red]alarm[/red] and [bold]x[/bold] about the zeppelin, "
        "with an escape \x1b[31m inside.\n"
    ),
    "budget.txt": "Chancellor sets budget date\n\nThe chancellor will deliver the budget on 16 March.\n",
}


def news_corpus(tmp_path: Path) -> Path:
    """Four articles in a folder named ``news`` (a fixed name: it shows in the header)."""
    return write_corpus(tmp_path / "news", NEWS)


async def settle(pilot: Pilot) -> None:
    """Wait until the index is open and every search has been answered and drawn."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers) and app.index is not None:
            break
    await pilot.pause()


def record_toasts(app) -> list[str]:
    """The messages of the app's toasts from now on, in order (read through ``App.notify``, its public
    door, not Textual's private list of notifications)."""
    shown: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        shown.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return shown


async def ask(pilot: Pilot, question: str) -> None:
    prompt = pilot.app.query_one("#question")
    prompt.value = question
    await pilot.press("enter")
    await settle(pilot)
