"""A build spread over worker processes gives the same index as one built in this process."""

from __future__ import annotations

import io
import sys

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
    assert spread.data.stats["skipped"].keys() == alone.data.stats["skipped"].keys() == {"broken.pdf"}
    assert spread.data.stems == alone.data.stems


def test_no_worker_processes_when_stderr_has_no_file_descriptor(monkeypatch):
    class Captured(io.StringIO):  # what Textual puts in place of sys.stderr while the chat runs
        def fileno(self) -> int:
            return -1

    monkeypatch.setenv("ASKDOC_WORKERS", "2")
    monkeypatch.setattr(sys, "stderr", Captured())
    assert workers.worker_count() == 1
