"""index.watch(): a real watcher on real files keeps an index fresh — from file events, or a poll."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

import askdoc
from askdoc import changed_paths, opening, scanning, watch
from conftest import write_corpus

WAIT = 20.0  # seconds a test waits for a refresh before failing (a loaded machine; about 1 s is usual)


def story(topic: str, n: int = 0) -> str:
    return (
        f"{topic.title()} report {n}\n\nThe {topic} council met on Tuesday to discuss the {topic} budget number {n}.\n"
    )


@contextmanager
def watching(index: askdoc.Index, **options):
    """Run index.watch() in a thread; yields a queue of the refreshed indexes it gives."""
    stop, given = threading.Event(), queue.Queue()

    def follow() -> None:
        try:
            for fresh in index.watch(stop=stop, **options):
                given.put(fresh)
        except Exception as err:  # noqa: BLE001 - handed to the test, which fails with it
            given.put(err)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        yield given
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()


def next_index(given: queue.Queue, until=lambda index: True) -> askdoc.Index:
    """The next refreshed index the watch gives for which ``until`` holds (earlier ones skipped)."""
    while True:
        fresh = given.get(timeout=WAIT)
        if isinstance(fresh, Exception):
            raise fresh
        if until(fresh):
            return fresh


def ids(index: askdoc.Index) -> set[str]:
    return {article.id for article in index.articles()}


def started(corpus: Path, given: queue.Queue) -> askdoc.Index:
    """Wait until the watch runs: a file written now is found by its first look or by its events."""
    (corpus / "zz-start.txt").write_text(story("start"))
    return next_index(given, lambda index: "zz-start" in ids(index))


@pytest.fixture
def walks(monkeypatch) -> list[str]:
    """The folders walked (corpus.scan) while a test runs: a refresh from events walks no corpus root."""
    seen: list[str] = []
    real_scan = opening.scan

    def recording_scan(root, *args, **kwargs):
        seen.append(os.path.abspath(root))
        return real_scan(root, *args, **kwargs)

    monkeypatch.setattr(opening, "scan", recording_scan)
    monkeypatch.setattr(scanning, "scan", recording_scan)  # what corpus.rescan walks with
    monkeypatch.setattr(changed_paths, "scan", recording_scan)
    monkeypatch.setenv("ASKDOC_NO_FORK", "1")  # every walk in this process, where it is seen (no forked walkers)
    return seen


@pytest.mark.slow
def test_events_refresh_for_an_add_an_edit_a_delete_and_a_rename_without_walking_the_folder(tmp_path, walks):
    corpus = write_corpus(tmp_path / "news", {f"s{n}.txt": story("harbour", n) for n in range(5)})
    index = askdoc.open(corpus)
    with watching(index, full_check_every=3600) as given:
        started(corpus, given)
        walks.clear()

        (corpus / "ferry.txt").write_text(story("ferry"))
        fresh = next_index(given, lambda index: "ferry" in ids(index))
        assert fresh.search("ferry council")[0].article.id == "ferry"

        (corpus / "s1.txt").write_text(story("lighthouse", 1))
        fresh = next_index(given, lambda index: bool(index.search("lighthouse")))
        assert [hit.article.id for hit in fresh.search("lighthouse")] == ["s1"]
        assert all(hit.article.id != "s1" for hit in fresh.search("harbour", k=10))

        (corpus / "s2.txt").unlink()
        fresh = next_index(given, lambda index: "s2" not in ids(index))

        (corpus / "s3.txt").rename(corpus / "renamed.txt")
        fresh = next_index(given, lambda index: "renamed" in ids(index))
        assert "s3" not in ids(fresh) and fresh.search("harbour budget number 3")[0].article.id == "renamed"
    assert str(corpus.resolve()) not in walks  # each refresh looked at the changed paths alone
    assert ids(fresh) == ids(askdoc.open(corpus, rebuild=True))


@pytest.mark.slow
def test_a_burst_of_500_files_is_one_refresh(tmp_path):
    corpus = write_corpus(tmp_path / "news", {"s0.txt": story("harbour")})
    with watching(askdoc.open(corpus), full_check_every=3600) as given:
        started(corpus, given)
        burst = corpus / "burst"
        burst.mkdir()
        for n in range(500):
            (burst / f"b{n:03d}.txt").write_text(story("tram", n))
        fresh = next_index(given)
        assert fresh.n_articles == 2 + 500
        with pytest.raises(queue.Empty):  # no second refresh: the burst was one
            given.get(timeout=3)
    assert fresh.search("tram budget number 417")[0].article.id == "burst/b417"


@pytest.mark.slow
def test_a_folder_moved_in_and_out_of_the_corpus(tmp_path, walks):
    corpus = write_corpus(tmp_path / "news", {"s0.txt": story("harbour")})
    outside = write_corpus(tmp_path / "elsewhere" / "trams", {f"t{n}.md": story("tram", n) for n in range(3)})
    write_corpus(outside / "older", {"t9.txt": story("tram", 9)})
    with watching(askdoc.open(corpus), full_check_every=3600) as given:
        started(corpus, given)
        walks.clear()
        shutil.move(outside, corpus / "trams")  # a rename: one event, for the folder alone
        fresh = next_index(given, lambda index: "trams/t0" in ids(index))
        assert ids(fresh) >= {"trams/t0", "trams/t1", "trams/t2", "trams/older/t9"}
        shutil.move(corpus / "trams", outside)
        fresh = next_index(given, lambda index: "trams/t0" not in ids(index))
        assert ids(fresh) == {"s0", "zz-start"}
    assert str(corpus.resolve()) not in walks  # the folder moved in was walked, never the corpus


@pytest.mark.slow
def test_the_poll_fallback_forced_still_sees_every_change_and_says_so_once(tmp_path, caplog):
    corpus = write_corpus(tmp_path / "news", {f"s{n}.txt": story("harbour", n) for n in range(3)})
    caplog.set_level(logging.WARNING, logger="askdoc")
    with watching(askdoc.open(corpus), events=False) as given:
        started(corpus, given)
        (corpus / "ferry.txt").write_text(story("ferry"))
        (corpus / "s0.txt").unlink()
        (corpus / "s1.txt").write_text(story("lighthouse", 1))
        shutil.move(corpus / "s2.txt", corpus / "moved.txt")
        fresh = next_index(given, lambda index: "moved" in ids(index))
        assert ids(fresh) == {"ferry", "s1", "moved", "zz-start"}
        assert fresh.search("lighthouse budget")[0].article.id == "s1"
        (corpus / "later.txt").write_text(story("tram"))
        next_index(given, lambda index: "later" in ids(index))
    notes = [record.getMessage() for record in caplog.records if "by polling" in record.getMessage()]
    assert len(notes) == 1 and notes[0].startswith("polling was asked for")


@pytest.mark.slow
def test_a_watch_that_cannot_be_set_up_falls_back_to_the_poll(tmp_path, monkeypatch, caplog):
    import watchfiles._rust_notify

    class LimitReached:  # what watchfiles raises when fs.inotify.max_user_watches is reached
        def __init__(self, *args) -> None:
            raise OSError("OS file watch limit reached. about [...]")

    monkeypatch.setattr(watchfiles._rust_notify, "RustNotify", LimitReached)
    corpus = write_corpus(tmp_path / "news", {"s0.txt": story("harbour")})
    caplog.set_level(logging.WARNING, logger="askdoc")
    with watching(askdoc.open(corpus)) as given:
        started(corpus, given)
        (corpus / "ferry.txt").write_text(story("ferry"))
        next_index(given, lambda index: "ferry" in ids(index))
    notes = [record.getMessage() for record in caplog.records if "by polling" in record.getMessage()]
    assert len(notes) == 1 and "OS file watch limit reached" in notes[0]


def test_a_network_filesystem_is_polled(tmp_path, monkeypatch):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        f"40 22 0:50 / {tmp_path / 'nas'} rw,relatime shared:9 - nfs4 server:/export rw,vers=4.2\n"
    )
    (tmp_path / "nas" / "news").mkdir(parents=True)
    assert watch.filesystem_of(tmp_path / "nas" / "news", str(mountinfo)) == "nfs4"
    assert watch.filesystem_of(tmp_path / "local", str(mountinfo)) == "ext4"
    monkeypatch.setattr(watch, "filesystem_of", lambda path: "nfs4")
    notes: list[str] = []
    folder = watch.FolderWatch(tmp_path / "nas" / "news", on_note=notes.append)
    stop = threading.Event()
    looks = folder.looks(stop)
    assert next(looks) == watch.Look(None, "start")
    assert folder.polling and notes == [
        f"{folder.polling}: watching {folder.folder} by polling, less often as it grows, so that it stays cheap"
    ]
    stop.set()
    assert list(looks) == []


def test_the_poll_interval_grows_with_the_time_a_look_takes():
    folder = watch.FolderWatch("/nowhere", full_check_every=300)
    folder.took(0.001)  # a few files
    assert folder.poll_every == watch.POLL_MIN
    folder.took(0.85)  # a walk of 100,000 files: a poll every 85 s takes 1% of a core
    assert folder.poll_every == pytest.approx(0.85 / watch.POLL_SHARE)
    folder.took(60)
    assert folder.poll_every == 300


def test_an_index_without_a_folder_cannot_be_watched():
    index = askdoc.Index.from_articles([askdoc.Article(id="a", title="A", text="Some text here.")])
    with pytest.raises(ValueError, match="no folder to watch"):
        next(index.watch())


@pytest.mark.slow
def test_what_changed_before_the_watch_began_is_found_by_its_first_look(tmp_path):
    corpus = write_corpus(tmp_path / "news", {"s0.txt": story("harbour")})
    index = askdoc.open(corpus)
    (corpus / "ferry.txt").write_text(story("ferry"))  # while no watch runs: no event will name it
    with watching(index, full_check_every=3600) as given:
        assert "ferry" in ids(next_index(given))


@pytest.mark.slow
def test_the_whole_folder_is_looked_at_again_every_few_minutes(tmp_path):
    folder = watch.FolderWatch(tmp_path, full_check_every=0.1)
    stop = threading.Event()
    looks = folder.looks(stop)
    try:
        assert next(looks) == watch.Look(None, "start")
        assert next(looks) == watch.Look(None, "periodic")  # nothing changed: the next wake-up of the watch
    finally:
        stop.set()
        looks.close()
