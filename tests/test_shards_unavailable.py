"""A shard that stops answering midway through a search (after its best passages, before their articles) is named."""

from __future__ import annotations

import pytest

from askdoc.opening import open_index
from askdoc.shards import ShardedIndex, ShardUnavailable, open_sharded
from shard_corpus import write_corpus


class GoneBeforeBundles:
    """A shard that answers until its articles are asked for, then is lost (an actor killed between two calls)."""

    def __init__(self, shard) -> None:
        self.shard = shard
        self.number = shard.number

    def bundles(self, rows):
        raise ShardUnavailable(self.number, "lost between the calls")

    def __getattr__(self, name):
        return getattr(self.shard, name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("unavailable") / "news"
    return root, write_corpus(root, n_articles=120)


def test_a_shard_lost_before_its_articles_are_fetched_is_named_and_the_others_answer(corpus):
    root, questions = corpus
    one = open_index(root)
    local = open_sharded(root, 3)
    shards = [GoneBeforeBundles(s) if s.number == 1 else s for s in local.shards]
    index = ShardedIndex(shards, corpus=root, idf_average=local.collection.idf_average)
    named = 0
    for question in questions[:40]:
        hits = index.search(question)
        assert hits.missing_shards in ((), (1,))
        named += hits.missing_shards == (1,)
        shown = {h.article.id for h in hits}
        assert shown <= {h["id"] for h in one.catalog()}
    assert named  # (shard 1 held some of the best candidates)
