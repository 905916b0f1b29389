"""Two processes at once: writers take turns, readers never see a half-written index, a dead writer's lock frees."""

from __future__ import annotations

import functools
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from reliability_tools import (
    askdoc_command,
    assert_same_as_clean_build,
    clean_index,
    generations,
    leftovers,
    run_askdoc,
    write_articles,
)

import askdoc
from askdoc import opening, store
from askdoc.store import generations as store_generations


def hold_lock(folder, seconds: float) -> subprocess.Popen:
    """Another process that takes the write lock, says so on stdout, then sleeps."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from askdoc import store
        with store.write_lock(Path({str(folder)!r})):
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_two_index_processes_at_once_take_turns(tmp_path, isolated_cache):
    root = write_articles(tmp_path / "corpus", 400)
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)}
    command = askdoc_command("index", "--corpus", str(root), "--rebuild")
    both = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in both:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    folder = store.index_dir_for(root, isolated_cache)
    # each rebuild committed once, one after the other: generations 1 then 2, nothing left over
    assert store.current_generation(folder).name == "gen-000002"
    assert generations(folder) == ["gen-000002"] and leftovers(folder) == []
    assert_same_as_clean_build(askdoc.open(root, refresh=False), root)


def test_a_writer_waits_for_the_lock_holder_and_says_whom_it_waits_for(tmp_path, caplog):
    root = write_articles(tmp_path / "corpus", 20)
    folder = askdoc.open(root).location
    (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
    holder = hold_lock(folder, 1.0)
    try:
        with pytest.raises(BlockingIOError), store.write_lock(folder, wait=False):
            pass
        started = time.perf_counter()
        with caplog.at_level(logging.WARNING, logger="askdoc"):
            refreshed = askdoc.open(root, wait=True)  # a writer (askdoc index)
        waited = time.perf_counter() - started
    finally:
        holder.wait(timeout=10)
    assert waited > 0.5  # it waited for the holder instead of writing beside it
    assert f"waiting for another askdoc (pid {holder.pid}, python -c" in caplog.text
    assert refreshed.search("harbour festival")[0].article.id == "late"


@pytest.mark.slow
def test_readers_answer_at_once_from_the_last_index_while_a_stopped_writer_holds_the_lock(tmp_path, isolated_cache):
    """The review's attack: a writer stopped (SIGSTOP) mid-refresh made every command wait with it."""
    root = write_articles(tmp_path / "corpus", 20)
    run = functools.partial(run_askdoc, cache=isolated_cache, timeout=60)
    assert run("index", "--corpus", str(root)).returncode == 0
    folder = store.index_dir_for(root, isolated_cache)
    (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
    holder = hold_lock(folder, 120)
    holder.send_signal(signal.SIGSTOP)
    try:
        for command in (["query", "minister budget"], ["articles"], ["show", "part0/a00000"]):
            started = time.perf_counter()
            done = run(command[0], "--corpus", str(root), *command[1:])
            assert time.perf_counter() - started < 10, command  # not the writer's 120 s
            assert done.returncode == 0, done.stderr
            assert f"another askdoc (pid {holder.pid}" in done.stderr and "(stopped)" in done.stderr, done.stderr
            assert "does not show the files changed since (1 added)" in done.stderr
        writer = subprocess.Popen(
            askdoc_command("index", "--corpus", str(root)),
            env={**os.environ, "ASKDOC_CACHE_DIR": str(isolated_cache)},
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        assert writer.poll() is None  # a writer waits ...
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert writer.wait(timeout=60) == 0
    said = writer.stderr.read()
    assert f"waiting for another askdoc (pid {holder.pid}" in said and "(stopped)" in said  # ... saying for whom
    assert "late" in run("articles", "--corpus", str(root)).stdout


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    root = write_articles(tmp_path / "corpus", 20)
    folder = askdoc.open(root).location
    holder = hold_lock(folder, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
    started = time.perf_counter()
    with store.write_lock(folder, wait=False):  # the kernel dropped the dead holder's lock
        pass
    assert askdoc.open(root).search("harbour festival")
    assert time.perf_counter() - started < 30


WRITER = """
import sys
from pathlib import Path
import askdoc
from askdoc import store
from reliability_tools import clean_index
folder = Path(sys.argv[1])
states = [clean_index(Path(sys.argv[2])).data, clean_index(Path(sys.argv[3])).data]
print("ready", flush=True)
commits = 0
while True:
    with store.write_lock(folder):
        store.save(folder, states[commits % 2])
    commits += 1
"""


@pytest.mark.slow
def test_readers_never_see_a_half_written_index_while_a_writer_commits(tmp_path, caplog):
    """A writer commits two states in a tight loop (and removes each old generation); readers load meanwhile."""
    first = write_articles(tmp_path / "first", 60, seed=1)
    second = write_articles(tmp_path / "second", 90, seed=2)
    folder = tmp_path / "index"
    env = {
        **os.environ,
        "PYTHONPATH": os.path.dirname(__file__) + os.pathsep + os.path.dirname(os.path.dirname(__file__)),
    }
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), str(first), str(second)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        seen = {60: 0, 90: 0}
        deadline = time.monotonic() + 3.0
        with caplog.at_level(logging.WARNING, logger="askdoc"):
            while time.monotonic() < deadline:
                data = opening._load(folder)
                if data is None:  # the writer has not committed its first generation yet
                    continue
                index = askdoc.Index(data)
                seen[index.n_articles] += 1  # KeyError if a reader saw any other state
                hits = index.search("minister budget", k=3)
                assert hits and all(h.article.text[h.quote.start : h.quote.end] == h.quote.text for h in hits)
        assert not caplog.records, caplog.text  # never judged corrupt, never rebuilt
    finally:
        writer.kill()
        writer.wait()
    assert seen[60] and seen[90], seen  # both states were read while they alternated
    print(f"\nreader loaded {sum(seen.values())} complete indexes during commits: {seen}")


def test_reader_retries_when_a_writer_removes_the_generation_it_was_reading(tmp_path, monkeypatch, caplog):
    """The subtle case: CURRENT read, then a commit removes that generation before its files are opened."""
    root = write_articles(tmp_path / "corpus", 10)
    folder = askdoc.open(root).location
    old = store.current_generation(folder)
    (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
    newer = clean_index(root).data  # what the "other writer" below commits
    original = store_generations._load_generation
    calls = []

    def commit_in_between(gen, *args):
        if not calls:  # the other writer commits and removes the generation we are about to read
            with store.write_lock(folder):
                store.save(folder, newer)
            assert not gen.exists()
        calls.append(gen)
        return original(gen, *args)

    monkeypatch.setattr(store_generations, "_load_generation", commit_in_between)
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        data = opening._load(folder)
    assert [g.name for g in calls] == [old.name, store.current_generation(folder).name]
    assert data is not None and any(a["id"] == "late" for a in data.articles)
    assert not caplog.records  # a race, not damage: no warning, no rebuild


def test_a_loaded_index_keeps_answering_after_its_generation_is_removed(tmp_path):
    root = write_articles(tmp_path / "corpus", 30)
    loaded = askdoc.open(root)
    gen = store.current_generation(loaded.location)
    (root / "late.txt").write_text("Late\n\nThe harbour festival opened late.")
    askdoc.open(root)  # commits a new generation and removes the one `loaded` maps
    assert not gen.exists()
    hits = loaded.search("minister budget", k=5)  # memory maps outlive the unlinked files
    assert hits and all(h.article.text[h.passage.start : h.passage.end] == h.passage.text for h in hits)


@pytest.mark.slow
def test_askdoc_add_waits_for_another_writer_so_that_what_it_added_is_indexed(tmp_path, isolated_cache):
    root = write_articles(tmp_path / "corpus", 20)
    run = functools.partial(run_askdoc, cache=isolated_cache, timeout=60)
    assert run("index", "--corpus", str(root)).returncode == 0
    new = tmp_path / "late.txt"
    new.write_text("Late\n\nThe harbour festival opened late.")
    holder = hold_lock(store.index_dir_for(root, isolated_cache), 2.0)
    try:
        done = run("add", "--corpus", str(root), str(new))
    finally:
        holder.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert f"waiting for another askdoc (pid {holder.pid}" in done.stderr
    assert "late" in run("articles", "--corpus", str(root)).stdout
    assert "answering from its last update" not in done.stderr
