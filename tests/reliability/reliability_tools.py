"""Shared helpers for the reliability tests: synthetic corpora, real askdoc processes, index comparison."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np

import askdoc
from askdoc.corpus import find_files, read_file
from conftest import WORDS

QUESTIONS = ["minister budget", "oil prices strike", "coach season award", "climate energy river", "virus police"]


def article_text(rng: random.Random, title: str) -> str:
    paragraphs = []
    for _ in range(rng.randint(2, 6)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 40))]
        paragraphs.append(" ".join(words).capitalize() + ".")
    return f"{title}\n\n" + "\n\n".join(paragraphs) + "\n"


def write_articles(root: Path, n: int, seed: int = 7) -> Path:
    """A corpus of ``n`` news-like articles, one .txt each, spread over a few folders."""
    rng = random.Random(seed)
    for i in range(n):
        path = root / f"part{i % 7}" / f"a{i:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_text(rng, f"Story {i}"), encoding="utf-8")
    return root


def mutate(root: Path, rng: random.Random, changes: int = 5) -> None:
    """Edit, delete and add a few articles, as a user does between two runs."""
    files = sorted(root.rglob("*.txt"))
    for path in rng.sample(files, min(changes, len(files))):
        action = rng.random()
        if action < 0.6:
            with open(path, "a", encoding="utf-8") as handle:  # appending always changes the size
                handle.write("\n" + article_text(rng, "Update").split("\n\n", 1)[1])
        elif action < 0.8:
            path.unlink()
        else:
            new = path.with_name(f"new{rng.randrange(10**9)}.txt")
            new.write_text(article_text(rng, "Fresh story"), encoding="utf-8")


def askdoc_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "askdoc", *args]


def run_askdoc(*args: str, cache: Path, input: str | None = None, timeout: float = 120, **kwargs):
    """Run askdoc in a real process with its own cache folder; returns the CompletedProcess."""
    env = {**os.environ, "ASKDOC_CACHE_DIR": str(cache), **kwargs.pop("env", {})}
    env.pop("ASKDOC_CORPUS", None)
    return subprocess.run(
        askdoc_command(*args), input=input, capture_output=True, text=True, env=env, timeout=timeout, **kwargs
    )


def leftovers(folder: Path) -> list[str]:
    """Files a writer leaves only while it works (or when it died): temporary folders and pointers."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("gen-") and ".tmp-" not in p.name)


def clean_index(root: Path) -> askdoc.Index:
    """What a clean build of the corpus as it is now holds (in memory, nothing saved)."""
    articles = [article for file in find_files(root) for article in read_file(file)]
    return askdoc.Index.from_articles(articles)


def score_table(index: askdoc.Index, questions=QUESTIONS) -> dict:
    """Every passage's BM25 score for each question, keyed by (article id, span): the whole ranking."""
    a = index.data.arrays
    ids = [index.data.articles[int(n)]["id"] for n in np.asarray(a["p_article"]).tolist()]
    keys = list(zip(ids, np.asarray(a["p_start"]).tolist(), np.asarray(a["p_end"]).tolist()))
    table = {}
    for question in questions:
        scores = index.retriever.scores(index.analyzer.terms(question))
        table[question] = {key: s for key, s in zip(keys, scores.tolist()) if s}
    return table


def assert_same_as_clean_build(index: askdoc.Index, root: Path) -> None:
    clean = clean_index(root)
    assert {a.id: a.text for a in index.articles()} == {a.id: a.text for a in clean.articles()}
    assert index.n_passages == clean.n_passages
    ours, theirs = score_table(index), score_table(clean)
    for question in QUESTIONS:
        assert ours[question].keys() == theirs[question].keys(), question
        for key, score in theirs[question].items():
            assert abs(ours[question][key] - score) < 1e-4 * max(1.0, abs(score)), (question, key)
