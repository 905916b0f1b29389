"""Shared fixtures: every test gets its own index cache and never sees the user's environment."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import askdoc

SEED_ID = "000_a406a4718811fed1"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("ASKDOC_CACHE_DIR", str(cache))
    monkeypatch.delenv("ASKDOC_CORPUS", raising=False)
    return cache


@pytest.fixture
def seed_corpus() -> Path:
    """The bundled sample corpus: the user's seed article, as shipped inside the package."""
    return askdoc.sample_corpus()


def write_corpus(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


WORDS = [
    "minister",
    "election",
    "market",
    "shares",
    "profit",
    "court",
    "league",
    "match",
    "film",
    "album",
    "phone",
    "software",
    "government",
    "economy",
    "bank",
    "rates",
    "growth",
    "player",
    "coach",
    "season",
    "award",
    "music",
    "network",
    "users",
    "security",
    "police",
    "report",
    "budget",
    "tax",
    "oil",
    "prices",
    "firm",
    "deal",
    "chief",
    "talks",
    "vote",
    "party",
    "rival",
    "strike",
    "union",
    "energy",
    "climate",
    "museum",
    "river",
    "bridge",
    "harbour",
    "festival",
    "novel",
    "actor",
    "virus",
]


def synthetic_articles(n_articles: int, seed: int = 7) -> list[askdoc.Article]:
    """Articles of random news-like words, several paragraphs each (for oracle comparisons)."""
    rng = random.Random(seed)
    articles = []
    for i in range(n_articles):
        paragraphs = []
        for _ in range(rng.randint(2, 6)):
            words = [rng.choice(WORDS[: rng.randint(8, len(WORDS))]) for _ in range(rng.randint(5, 40))]
            paragraphs.append(" ".join(words).capitalize() + ".")
        articles.append(askdoc.Article(id=f"a{i:03d}", title=f"Story {i}", text="\n\n".join(paragraphs)))
    return articles


def reseal(gen: Path) -> None:
    """Write fresh checksums for a generation a test damaged on purpose, so that the structural load
    checks behind the checksums (store.py, checks.py) are what must catch the damage."""
    import json
    import zlib

    from askdoc.store import generations

    meta = json.loads((gen / "meta.json").read_text())
    if isinstance(meta, dict) and isinstance(meta.get("sums"), dict):
        meta["sums"] = {name: zlib.crc32((gen / name).read_bytes()) for name in meta["sums"]}
        meta["check"] = generations._meta_sum(meta)
        (gen / "meta.json").write_text(json.dumps(meta))
