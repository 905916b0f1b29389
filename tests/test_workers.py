"""A build spread over worker processes gives the same index as one built in this process."""

from __future__ import annotations

import io
import sys

import pytest

import askdoc
from askdoc import workers
from conftest import synthetic_articles, write_corpus


def answers(index):
    out = []
    for question in ["minister budget", "oil prices", "coach season player", "museum film"]:
        out += [(h.article.id, h.passage.start, h.quote.start, h.score) for h in index.search(question, k=10)]
    return out


def test_parallel_build_equals_a_build_in_one_process(tmp_path, monkeypatch):
    files = {f"{a.id}.txt": f"{a.title}\n\n{a.text}" for a in synthetic_articles(60, seed=5)}
    files["broken.pdf"] = "not a pdf"
    root = write_corpus(tmp_path / "news", files)
    monkeypatch.setenv("ASKDOC_WORKERS", "1")
    alone = askdoc.open(root, rebuild=True)
    monkeypatch.setenv("ASKDOC_WORKERS", "2")
    monkeypatch.setattr(workers, "PARALLEL_FROM", 2)
    monkeypatch.setattr(workers, "CHUNK_FILES", 7)
    spread = askdoc.open(root, rebuild=True)
    assert spread.n_passages == alone.n_passages and spread.n_articles == alone.n_articles
    assert answers(spread) == answers(alone)
    assert spread.skipped().keys() == alone.skipped().keys() == {"broken.pdf"}
    assert spread.data.stems == alone.data.stems


@pytest.mark.slow
def test_a_refresh_read_by_workers_equals_a_build_from_scratch(tmp_path, monkeypatch):
    """Workers' parts merged into a builder that already holds the stored vocabulary (a refresh)."""
    articles = synthetic_articles(60, seed=6)
    root = write_corpus(tmp_path / "news", {f"{a.id}.txt": f"{a.title}\n\n{a.text}" for a in articles[:30]})
    monkeypatch.setenv("ASKDOC_WORKERS", "2")
    monkeypatch.setattr(workers, "PARALLEL_FROM", 2)
    monkeypatch.setattr(workers, "CHUNK_FILES", 4)
    askdoc.open(root)
    write_corpus(root, {f"{a.id}.txt": f"{a.title}\n\n{a.text}" for a in articles[30:]})  # 30 new files
    (root / f"{articles[0].id}.txt").write_text(f"{articles[0].title}\n\nThe museum film opened to an oil crowd.")
    refreshed = askdoc.open(root)
    fresh = askdoc.open(root, rebuild=True)
    assert refreshed.n_passages == fresh.n_passages
    assert sorted(answers(refreshed)) == sorted(answers(fresh))


def test_no_worker_processes_when_stderr_has_no_file_descriptor(monkeypatch):
    class Captured(io.StringIO):  # what Textual puts in place of sys.stderr while the chat runs
        def fileno(self) -> int:
            return -1

    monkeypatch.setenv("ASKDOC_WORKERS", "2")
    monkeypatch.setattr(sys, "stderr", Captured())
    assert workers.worker_count() == 1


@pytest.mark.slow
def test_a_script_without_a_main_guard_gets_its_answer_and_a_clear_message_instead_of_hanging(tmp_path):
    """Spawned workers re-import the caller's script; its askdoc.open() used to wait forever on the lock."""
    import os
    import subprocess

    files = {f"a{i:04d}.txt": f"Story {i}\n\nThe mayor of town {i} opened a bridge.\n" for i in range(1000)}
    files["z.txt"] = "Zeppelin\n\nThe zeppelin landed in the harbour.\n"
    write_corpus(tmp_path / "corpus", files)
    script = tmp_path / "script.py"
    script.write_text(
        'import askdoc\nhits = askdoc.open("corpus").search("where did the zeppelin land?")\n'
        "print(hits[0].article.id, hits[0].quote.text)\n"
    )
    env = os.environ | {"ASKDOC_WORKERS": "2", "ASKDOC_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "z The zeppelin landed in the harbour.\n"
    assert "worker processes could not start" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr
    assert "Traceback" not in done.stderr, "one clear line, not the workers' tracebacks"


@pytest.mark.slow  # a build's workers started and left behind: a few seconds
def test_the_workers_of_a_build_whose_process_is_killed_exit_too(tmp_path):
    """SIGKILL gives a build no chance to stop its pool; its workers, which hold both ends of the pool's
    queue, used to wait on it for ever (orphans seen after every run of the kill tests)."""
    import os
    import signal
    import subprocess
    import time

    files = {f"a{i:04d}.txt": f"Story {i}\n\nThe mayor of town {i} opened a bridge.\n" for i in range(1200)}
    write_corpus(tmp_path / "corpus", files)
    script = tmp_path / "script.py"
    script.write_text(
        "import multiprocessing, os, pathlib, signal, sys\n"
        "from askdoc import formats, workers\n"
        "if __name__ == '__main__':\n"
        "    paths = sorted(pathlib.Path(sys.argv[1]).glob('*.txt'))\n"
        "    files = [formats.SourceFile(p.name, p, p.stat().st_size, p.stat().st_mtime_ns) for p in paths]\n"
        "    parts = workers.analysed_parts(files, {})\n"
        "    next(parts)\n"
        "    pids = ' '.join(str(p.pid) for p in multiprocessing.active_children())\n"
        "    pathlib.Path(sys.argv[2]).write_text(pids)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = os.environ | {"ASKDOC_WORKERS": "2"}
    written = tmp_path / "pids"
    command = [sys.executable, str(script), str(tmp_path / "corpus"), str(written)]
    # (no pipes: a worker left behind would hold them open, and the run would wait for it)
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    assert done.returncode == -signal.SIGKILL
    pids = [int(pid) for pid in written.read_text().split()]
    assert pids, "the build had workers"

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived the killed build"
