"""Shards built as Ray tasks and served by Ray actors answer exactly as one index, through kills and a lost node.

A real Ray cluster (no mocks), started once for the session: ``ray.cluster_utils.Cluster``, a head
node of 2 CPUs to which the two-node test adds a second. A test that cannot start Ray fails; it is
not skipped. Ray's workers do not inherit a test's environment: askdoc hands them its index cache.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from askdoc.cli import cli
from askdoc.cluster import building, serving
from askdoc.opening import open_index
from askdoc.shards import shard_folder, shard_of
from shard_corpus import seen, write_corpus

pytestmark = pytest.mark.slow  # a Ray cluster takes ~5 s to start; these run in CI (pytest -m '')


@pytest.fixture(scope="module")
def ray_cluster():
    """``(ray, cluster)``: Ray connected to a one-node cluster of 2 CPUs; a lost node is noticed within ~2 s.

    Started once in a test session: every test that needs Ray is in this module, and Ray is shut down
    when it ends, so that the rest of the suite runs without Ray's threads (a forked walk needs one thread).
    """
    import ray  # not installed: the test fails (pip install -e '.[test,cluster]'), it is not skipped
    from ray.cluster_utils import Cluster

    config = {"health_check_period_ms": 500, "health_check_failure_threshold": 3}
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False, "_system_config": config}
    )
    try:
        ray.init(address=cluster.address, logging_level=logging.ERROR, log_to_driver=False)
        yield ray, cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


class Served:
    """A corpus the test wrote, its single index, and the same corpus served in 3 shards on the cluster."""

    def __init__(self, ray, root: Path, cache: Path, questions: list[str]) -> None:
        self.ray, self.root, self.cache, self.questions = ray, root, cache, questions
        self.report: list[str] = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ASKDOC_CACHE_DIR", str(cache))
            self.one = open_index(root)  # one index over the whole corpus: the reference
            self.infos = serving.serve(root, 3, report=self.report.append)
        self.index = serving.open_served(root)

    def actor(self, number: int):
        return self.ray.get_actor(serving.actor_name(number, 3), namespace=serving.namespace_for(self.root))

    def serve_again(self) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ASKDOC_CACHE_DIR", str(self.cache))
            self.infos = serving.serve(self.root, 3)
        self.index = serving.open_served(self.root)


@pytest.fixture(scope="module")
def served(ray_cluster, tmp_path_factory):
    ray, _ = ray_cluster
    root = tmp_path_factory.mktemp("cluster") / "news"
    questions = write_corpus(root)
    found = Served(ray, root, tmp_path_factory.mktemp("cluster-cache"), questions)
    yield found
    serving.stop(root)


def same(one, other, question: str, **options) -> None:
    a, b = one.search(question, **options), other.search(question, **options)
    assert seen(b) == seen(a), (question, options)
    assert (b.weak, b.weak_words, b.missing, b.matched, b.scope_empty) == (
        a.weak, a.weak_words, a.missing, a.matched, a.scope_empty
    )  # fmt: skip
    assert b.missing_shards == ()
    assert b.to_json() == a.to_json()


def test_three_shards_built_on_ray_and_served_answer_every_question_as_one_index(served):
    assert sorted(line.split(" ready")[0] for line in served.report if " ready " in line) == [
        "shard 0", "shard 1", "shard 2"
    ]  # fmt: skip
    assert [info["number"] for info in served.infos] == [0, 1, 2]
    assert (served.index.n_passages, served.index.n_articles) == (served.one.n_passages, served.one.n_articles)
    for question in served.questions:  # a few hundred searches: each question for passages, then for articles
        same(served.one, served.index, question)
        same(served.one, served.index, question, max_per_article=1, k=3)
    same(served.one, served.index, "profit in:business", k=8)
    same(served.one, served.index, "what did he say?", context=["Ebbers bank deal"])


def test_an_actor_killed_between_queries_is_restarted_and_the_answers_stay_the_same(served):
    pid = served.ray.get(served.actor(1).call.remote("info", ()))["pid"]
    served.ray.kill(served.actor(1), no_restart=False)  # Ray restarts it (max_restarts)
    for question in served.questions[:20]:
        same(served.one, served.index, question)
    assert served.ray.get(served.actor(1).call.remote("info", ()))["pid"] != pid


def test_an_actor_killed_during_a_query_is_called_again_and_the_answers_stay_the_same(served):
    actor = served.actor(2)
    pid = served.ray.get(actor.call.remote("info", ()))["pid"]
    killer = threading.Timer(0.3, served.ray.kill, [actor], {"no_restart": False})
    killer.start()
    deadline = time.monotonic() + 3
    asked = 0
    while time.monotonic() < deadline or asked < 10:  # queries before, across and after the kill
        same(served.one, served.index, served.questions[asked % len(served.questions)])
        asked += 1
    killer.join()
    assert served.ray.get(actor.call.remote("info", ()))["pid"] != pid


def test_a_shard_that_stays_unreachable_is_named_by_the_library_and_the_command(served):
    try:
        served.ray.kill(served.actor(0), no_restart=True)  # gone for good
        question = "profit in 2004"
        hits = served.index.search(question)
        assert hits.missing_shards == (0,)
        assert hits and all(h.article.id not in _ids_of(served, 0) for h in hits)
        again = serving.open_served(served.root)  # found by name again: shard 0 has no actor now
        assert again.search(question).missing_shards == (0,)
        done = CliRunner().invoke(
            cli, ["query", "--corpus", str(served.root), "--cluster", "auto", "--json", question],
            catch_exceptions=False,
        )  # fmt: skip
        assert done.exit_code == 0
        assert json.loads(done.stdout)["missing_shards"] == [0]
        assert "askdoc: warning: shard 0 could not be searched" in done.stderr
    finally:
        served.serve_again()
    same(served.one, served.index, question)


def test_a_shard_that_does_not_answer_in_time_is_named_and_answers_again_when_it_does(served):
    index = serving.open_served(served.root, timeout=1.0)
    pid = served.ray.get(served.actor(1).call.remote("info", ()))["pid"]
    question = "profit in 2004"
    os.kill(pid, signal.SIGSTOP)  # the actor's process hangs: alive to Ray, answering nothing
    try:
        started = time.monotonic()
        hits = index.search(question)
        assert hits.missing_shards == (1,)
        assert time.monotonic() - started < 10  # the call and its retry, a second each, and the others' answers
    finally:
        os.kill(pid, signal.SIGCONT)
    same(served.one, index, question)


def _ids_of(served: Served, number: int) -> set[str]:
    """The articles of a shard, by where their files hash."""
    return {row["id"] for row in served.one.catalog() if shard_of(row["file"], 3) == number}


def test_askdoc_query_and_serve_stop_on_the_cluster(served, tmp_path):
    question = "what did Blair say about the election?"
    done = CliRunner().invoke(
        cli, ["query", "--corpus", str(served.root), "--cluster", "auto", "--json", "-k", "4", question],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == served.one.search(question, k=4).to_json()
    small = tmp_path / "small"
    write_corpus(small, n_articles=30)
    built = CliRunner().invoke(cli, ["index", "--corpus", str(small), "--shards", "2", "--cluster", "auto"])
    assert built.exit_code == 0, built.stderr
    assert sorted(line.split(" ready")[0] for line in built.stderr.splitlines() if " ready (" in line) == [
        "askdoc: shard 0", "askdoc: shard 1"
    ]  # fmt: skip
    assert "in 2 shards built on the cluster" in built.stderr
    started = CliRunner().invoke(cli, ["serve", "--corpus", str(small), "--shards", "2", "--cluster", "auto"])
    assert started.exit_code == 0, started.stderr
    assert "serving" in started.stderr and "in 2 shards" in started.stderr
    again = CliRunner().invoke(cli, ["serve", "--corpus", str(small), "--cluster", "auto"])  # replaces the actors
    assert again.exit_code == 0, again.stderr
    stopped = CliRunner().invoke(cli, ["serve", "--corpus", str(small), "--stop"])
    assert "stopped 2 shard actor(s)" in stopped.stderr
    after = CliRunner().invoke(cli, ["query", "--corpus", str(small), "--cluster", "auto", "profit"])
    assert after.exit_code == 2
    assert after.stderr == (
        f"askdoc: error: nothing is served for '{small}' on this cluster: "
        f"start it with askdoc serve --corpus {small} --cluster auto\n"
    )


def test_a_build_task_killed_midway_leaves_committed_shards_and_the_next_run_finishes(ray_cluster, tmp_path):
    ray, _ = ray_cluster
    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=600)
    refs = building.submit(ray, root.resolve(), 4)
    first, _ = ray.wait(list(refs), num_returns=1)
    others = [ref for ref in refs if ref != first[0]]
    for ref in others:
        ray.cancel(ref, force=True)  # the worker building it is killed, wherever it got to
    ray.wait(others, num_returns=len(others), timeout=60)  # (every kill done: nothing commits after this)
    committed = [n for n in range(4) if (shard_folder(root.resolve(), n) / "CURRENT").exists()]
    assert refs[first[0]] in committed and len(committed) < 4
    stamps = {n: (shard_folder(root.resolve(), n) / "CURRENT").read_text() for n in committed}
    report: list[str] = []
    index = building.build_on_cluster(root, 4, report=report.append)
    assert {n: (shard_folder(root.resolve(), n) / "CURRENT").read_text() for n in committed} == stamps  # intact
    assert len(report) == 4
    assert sorted(int(line.split()[1]) for line in report if line.endswith("up to date")) == committed
    one = open_index(root)
    for question in questions[::6]:
        same(one, index, question)


def test_two_nodes_one_removed_answers_continue_or_name_the_missing_shard(ray_cluster, tmp_path):
    ray, cluster = ray_cluster
    root = tmp_path / "news"
    questions = write_corpus(root, n_articles=120)
    second = cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    try:
        for _ in range(5):  # SPREAD is Ray's best effort: a node just added may not be offered yet
            infos = serving.serve(root, 4)
            on_second = [info["number"] for info in infos if info["node"] == second.node_id]
            if on_second:
                break
            time.sleep(1)
        assert on_second, "SPREAD put no shard on the second node"
        one, index = open_index(root), serving.open_served(root)
        cluster.remove_node(second)
        outcomes = []
        for question in questions[:30]:
            hits = index.search(question)
            if hits.missing_shards:
                assert set(hits.missing_shards) <= set(on_second)
                outcomes.append("named")
            else:
                assert seen(hits) == seen(one.search(question)), question
                outcomes.append("same")
        assert outcomes[-1] == "same"  # the lost node's shards restarted on the head, reloaded from the shared cache
    finally:
        serving.stop(root)
        if second in cluster.worker_nodes:
            cluster.remove_node(second)


async def test_the_chat_on_the_cluster_answers_as_one_index(served):
    from askdoc.tui.app import make_app
    from askdoc.tui.widgets.hit_quote import HitQuote
    from chat_helpers import ask, settle

    question = "what did Blair say about the election?"
    app = make_app(served.root, cluster="auto")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.index, serving.ClusterIndex)
        await ask(pilot, question)
        shown = [quote.hit for quote in app.query(HitQuote)]
    expected = served.one.search(question, k=len(shown))
    assert shown and seen(shown) == seen(expected)
