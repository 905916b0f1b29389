"""An index in shards (askdoc.shards) answers exactly as one index over the same corpus, and refreshes shard by shard."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

import askdoc
from askdoc.ranking import Weights
from askdoc.shards import ShardUnavailable, open_sharded, shard_folder, shard_of
from shard_corpus import seen, write_corpus


def _same(one, sharded, question: str, **options) -> None:
    a, b = one.search(question, **options), sharded.search(question, **options)
    assert seen(b) == seen(a), (question, options)
    assert [abs(x.score - y.score) < 1e-9 for x, y in zip(a, b)] == [True] * len(a)
    assert (b.weak, b.weak_words, b.missing, b.matched, b.scope_empty) == (
        a.weak,
        a.weak_words,
        a.missing,
        a.matched,
        a.scope_empty,
    )
    assert b.missing_shards == ()
    assert b.to_json() == a.to_json()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("shards") / "news"
    return root, write_corpus(root)


def test_a_file_keeps_its_shard_whatever_else_the_corpus_holds():
    names = [f"sport/{n:03d}.txt" for n in range(300)]
    shards = [shard_of(name, 8) for name in names]
    assert set(shards) == set(range(8))  # spread over all
    assert shards == [shard_of(name, 8) for name in names]  # stable (no per-process hash seed)
    assert shard_of("sport/001.txt", 8) == shard_of("sport/001.txt", 8)
    with pytest.raises(ValueError):
        shard_of("a.txt", 0)


def test_three_shards_answer_every_question_as_one_index(corpus):
    root, questions = corpus
    one, sharded = askdoc.open(root), open_sharded(root, 3)
    assert (sharded.n_passages, sharded.n_articles) == (one.n_passages, one.n_articles)
    for question in questions[::4]:
        _same(one, sharded, question)


@pytest.mark.slow
def test_every_hit_of_three_shards_equals_one_index_with_filters_feedback_and_context(corpus):
    root, questions = corpus
    one, sharded = askdoc.open(root), open_sharded(root, 3)
    crossing = 0
    for question in questions:
        for options in ({}, {"k": 10}, {"max_per_article": 1}, {"where": "in:sport"}, {"where": "in:copies"},
                        {"k": 3, "context": ["what did Blair say?"]}, {"weights": Weights(learned=False)},
                        {"where": "in:nowhere"}):  # fmt: skip
            _same(one, sharded, question, **options)
        for hit in one.search(question, k=10):
            here = shard_of(hit.article.meta.get("rel") or _rel(root, hit), 3)
            crossing += any(shard_of(_rel_of_id(root, other), 3) != here for other in hit.also_in)
    assert crossing  # copies in other shards were found and named, as one index names them


def _rel(root: Path, hit) -> str:
    return Path(hit.article.path).relative_to(root).as_posix()


def _rel_of_id(root: Path, article_id: str) -> str:
    return next(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.txt")
        if p.relative_to(root).with_suffix("").as_posix() == article_id
    )


class _Gone:
    """A shard whose host is down: every call raises ShardUnavailable."""

    def __init__(self, shard) -> None:
        self.shard = shard

    def __getattr__(self, name):
        if name in ("summary", "vocabulary"):  # it was there when the index opened
            return getattr(self.shard, name)

        def unavailable(*args):
            raise ShardUnavailable(self.shard.number, "its actor is not reachable")

        return unavailable


def test_a_shard_that_cannot_answer_is_named_and_the_others_answer(corpus):
    root, questions = corpus
    sharded = open_sharded(root, 3)
    broken = askdoc.shards.ShardedIndex([sharded.shards[0], _Gone(sharded.shards[1]), sharded.shards[2]],
                                        corpus=root, idf_average=sharded.collection.idf_average)  # fmt: skip
    answered = 0
    for question in questions[:30]:
        hits = broken.search(question)
        assert hits.missing_shards == (1,)
        assert hits.to_json()["missing_shards"] == [1]
        assert all(shard_of(_rel(root, hit), 3) != 1 for hit in hits)
        answered += len(hits)
    assert answered
    assert "missing_shards" not in sharded.search(questions[0]).to_json()


def _stamps(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_a_refresh_rewrites_only_the_shards_of_the_files_that_changed(tmp_path):
    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=90, seed=3)
    open_sharded(root, 4)
    edited = root / "sport" / sorted(os.listdir(root / "sport"))[1]
    added, deleted = root / "tech" / "new-one.txt", root / "copies" / sorted(os.listdir(root / "copies"))[0]
    for change in ("edit", "add", "delete"):
        path = {"edit": edited, "add": added, "delete": deleted}[change]
        rel = path.relative_to(root).as_posix()
        before = {n: _stamps(shard_folder(root, n)) for n in range(4)}
        if change == "delete":
            path.unlink()
        else:
            path.write_text("Volodin warned the council about the budget.\n\n" + "Tax reform vote in 2004.\n", "utf-8")
        refreshed = open_sharded(root, 4)
        after = {n: _stamps(shard_folder(root, n)) for n in range(4)}
        mine = shard_of(rel, 4)
        assert after[mine] != before[mine], change
        assert all(after[n] == before[n] for n in range(4) if n != mine), change  # untouched, file for file
        one = askdoc.open(root, rebuild=True)
        for question in [*questions[::6], "what did Volodin warn?"]:
            _same(one, refreshed, question)


def test_the_number_of_shards_is_remembered_and_another_rebuilds_saying_so(tmp_path, caplog):
    root = tmp_path / "news"
    write_corpus(root, n_articles=30, seed=5)
    open_sharded(root, 2)
    assert len(open_sharded(root).shards) == 2  # opened without a count: as built
    with caplog.at_level(logging.WARNING, logger="askdoc"):
        assert len(open_sharded(root, 3).shards) == 3
    assert "in 3 shards (it was built in 2)" in caplog.text
    assert len(askdoc.open(root, shards=None).shards) == 3  # the library's entry point too
    assert not (shard_folder(root, 0).parent / "3").exists()


def test_askdoc_index_shards_then_query_and_show_answer_from_the_shards(tmp_path):
    import json

    from click.testing import CliRunner

    from askdoc.cli import cli

    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=40, seed=11)

    def run(*args):
        return CliRunner().invoke(cli, ["--corpus", str(root), *args], catch_exceptions=False)

    one = [run("query", "--json", "-k", "3", q).output for q in questions[:8]]
    built = run("index", "--shards", "3")
    assert built.exit_code == 0, built.output
    assert "in 3 shards" in built.output
    assert [run("query", "--json", "-k", "3", q).output for q in questions[:8]] == one  # without --shards: as built
    hit = json.loads(one[0])["hits"][0]
    shown = run("show", hit["article"]["id"])
    last_line = askdoc.open(root, shards=1).article(hit["article"]["id"]).text.strip().splitlines()[-1]
    assert shown.exit_code == 0 and last_line in shown.output
    assert "in 3 shards" not in run("index").output  # --shards 1 above made it one index again


def test_a_word_in_most_passages_gets_the_floor_of_the_whole_collections_mean_idf(tmp_path):
    """rank-bm25 floors a negative idf (a word in over half the passages) at 0.25 x the mean idf of every
    term of the collection: the shards compute that mean over their vocabularies together, and keep it."""
    import random

    rng = random.Random(2)
    words = "harbour regatta council budget tax reform vote minister storm bridge ferry school".split()
    root = tmp_path / "news"
    for number in range(60):
        paragraphs = [" ".join(["said", *rng.sample(words, 4), f"w{number}x{p}"]) + "." for p in range(3)]
        (root / f"f{number % 4}").mkdir(parents=True, exist_ok=True)
        (root / f"f{number % 4}" / f"{number}.txt").write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    one, sharded = askdoc.open(root), open_sharded(root, 3)
    for question in ("who said harbour regatta?", "said", "said budget w3x1", "ferry said school"):
        _same(one, sharded, question)
    stored = askdoc.shards.read_manifest(root)
    assert stored is not None and stored["idf_average"] == pytest.approx(sharded.collection.idf_average)
    assert open_sharded(root).collection.idf_average == stored["idf_average"]  # read back, not computed again


class _Remote:
    """A shard as an actor serves it: every argument and result goes through pickle."""

    def __init__(self, shard) -> None:
        self.shard = shard

    def __getattr__(self, name):
        import pickle

        def call(*args):
            result = getattr(self.shard, name)(*pickle.loads(pickle.dumps(args)))
            return pickle.loads(pickle.dumps(result))

        return call


def test_shards_whose_arguments_and_results_are_pickled_answer_as_one_index(corpus):
    root, questions = corpus
    one, local = askdoc.open(root), open_sharded(root, 3)
    remote = askdoc.shards.ShardedIndex([_Remote(s) for s in local.shards], corpus=root)  # the mean idf read too
    for question in questions[1::10]:
        _same(one, remote, question, where="in:business")
        _same(one, remote, question, max_per_article=1)
    assert remote.catalog() == one.catalog()
    assert remote.article("copies/copy-of-000").text == one.article("copies/copy-of-000").text


def test_a_refresh_from_file_events_looks_only_at_the_paths_named_and_equals_a_rebuild(tmp_path, monkeypatch):
    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=60, seed=13)
    index = open_sharded(root, 3)
    edited = root / "tech" / sorted(os.listdir(root / "tech"))[0]
    added = root / "sport" / "late-news.txt"
    edited.write_text("Volodin warned the council about the ferry budget.\n", "utf-8")
    added.write_text("Ostrander said the regatta would go ahead in 2004.\n", "utf-8")
    mine = {shard_of(p.relative_to(root).as_posix(), 3) for p in (edited, added)}
    with monkeypatch.context() as elsewhere:  # one index of the corpus as the events describe it
        elsewhere.setenv("ASKDOC_CACHE_DIR", str(tmp_path / "one-index"))
        one = askdoc.open(root)
    unnamed = next(p for p in sorted(root.rglob("*.txt")) if shard_of(p.relative_to(root).as_posix(), 3) not in mine)
    unnamed.write_text("Nadal warned the league.\n", "utf-8")  # changed, but no event names it
    before = {n: _stamps(shard_folder(root, n)) for n in range(3)}
    changes = index.changes(paths=[edited, added])
    assert (changes.added, changes.changed) == (("sport/late-news.txt",), (edited.relative_to(root).as_posix(),))
    refreshed = index.refresh(paths=[edited, added])
    after = {n: _stamps(shard_folder(root, n)) for n in range(3)}
    assert all((after[n] != before[n]) == (n in mine) for n in range(3))  # the unnamed file's shard: untouched
    for question in [*questions[::5], "what did Volodin warn?", "Ostrander regatta", "Nadal league"]:
        _same(one, refreshed, question)


def test_a_search_finds_stems_in_every_shards_table_without_loading_nltk(tmp_path):
    """Each shard stores the stems of its own words: a word only another shard holds is found there, not
    stemmed again by NLTK (~0.4 s of a one-shot query)."""
    import subprocess
    import sys

    root = tmp_path / "news"
    words = ["zorblaxes", "quenthorpings", "blivetted", "snarfulness", "grommitting", "whelkering"]
    files = {f"f{n}.txt": f"The council {word} the ferry budget in 2004.\n" for n, word in enumerate(words)}
    for name, text in files.items():
        root.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    sharded = open_sharded(root, 3)
    first = sharded.shards[0].data.stems
    asked = [w for w in words if first.get(w) is None]
    assert asked  # words shard 0 never stemmed
    script = (
        "import sys, askdoc\n"
        f"index = askdoc.open({str(root)!r}, refresh=False)\n"
        f"hits = index.search({' '.join(asked)!r})\n"
        "print(len(hits), 'nltk' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True)
    assert done.stdout.split() == [str(len(asked)) if len(asked) < 5 else "5", "False"]


def test_a_shard_refresh_keeps_the_stored_impacts_it_never_scores_with_and_answers_as_one_index(tmp_path, monkeypatch):
    """A sharded search computes impacts from post_tf with the collection's average length, so a refresh
    of a shard keeps its kept postings' stored impacts (recomputing them all was ~0.5 s at 1M passages in
    8 shards) and computes the new postings' with the length they were made with, which it records."""
    import numpy as np

    from askdoc import scoring

    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=60, seed=17)
    edited = root / "sport" / sorted(os.listdir(root / "sport"))[2]
    mine = shard_of(edited.relative_to(root).as_posix(), 2)
    old = open_sharded(root, 2).shards[mine].data
    built_avgdl = old.stats.total_len / old.stats.n_passages
    old_impacts = np.array(old.arrays["post_impact"])
    edited.write_text("Volodin warned the council about the ferry budget and the harbour regatta.\n\n" * 3, "utf-8")
    for _ in range(2):  # the refresh, then a reload of what it stored
        data = open_sharded(root, 2).shards[mine].data
        assert data.stats.total_len / data.stats.n_passages != built_avgdl  # the shard's own length moved
        assert data.impact_avgdl == built_avgdl
        post_tf, post_doc = np.asarray(data.arrays["post_tf"]), np.asarray(data.arrays["post_doc"])
        lengths = np.asarray(data.arrays["p_len"])[post_doc]
        expected = scoring.impacts(post_tf, lengths, built_avgdl, data.stats.params).astype(np.float32)
        assert np.array_equal(np.asarray(data.arrays["post_impact"]), expected)
        assert np.isin(old_impacts, expected).all()
    with monkeypatch.context() as elsewhere:
        elsewhere.setenv("ASKDOC_CACHE_DIR", str(tmp_path / "one-index"))
        one = askdoc.open(root)
    sharded = open_sharded(root, 2)
    for question in [*questions[::4], "what did Volodin warn?", "harbour regatta"]:
        _same(one, sharded, question)


def test_a_file_named_by_file_events_is_looked_at_by_its_shard_alone(tmp_path, monkeypatch):
    """The other shards are loaded, not looked at (each looked at its stored files beside the path: ~0.1 s
    a shard at 1M); a path that is gone or a folder is looked at by every shard."""
    from askdoc import opening

    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=60, seed=19)
    open_sharded(root, 3)
    looked: list[int] = []
    real = opening.look_at
    monkeypatch.setattr(opening, "look_at", lambda *a, **k: (looked.append(1), real(*a, **k))[1])
    edited = root / "tech" / sorted(os.listdir(root / "tech"))[1]
    edited.write_text("Volodin warned the council about the ferry budget.\n", "utf-8")
    time.sleep(0.05)  # past the timestamp tick: no second look at a "racily clean" file
    refreshed = open_sharded(root, 3, changed=[edited])
    assert len(looked) == 1
    deleted = root / "sport" / sorted(os.listdir(root / "sport"))[0]
    deleted.unlink()
    looked.clear()
    again = open_sharded(root, 3, changed=[deleted, root / "business"])
    assert len(looked) == 3
    with monkeypatch.context() as elsewhere:
        elsewhere.setenv("ASKDOC_CACHE_DIR", str(tmp_path / "one-index"))
        one = askdoc.open(root)
    for question in [*questions[::6], "what did Volodin warn?"]:
        _same(one, again, question)
    assert [h.article.id for h in refreshed.search("Volodin ferry", k=1)] == [
        edited.relative_to(root).with_suffix("").as_posix()
    ]
