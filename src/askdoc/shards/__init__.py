"""An index in shards: files assigned by a stable hash of their path, each shard a complete store.

On one machine the shards are segments (a refresh rewrites only the shards whose files changed);
on a cluster each is hosted by an actor. Either way a search gives the answers one index over
the whole corpus gives (global statistics, the global best candidates reranked together): see
``index.ShardedIndex``. The API a remote shard serves is ``shard.Shard``'s (/work/notes/17a-api.md).
"""

from .assign import ShardUnavailable, shard_of, walk_key
from .folder import built_shards, forget_shards, open_sharded, read_manifest
from .index import ShardedIndex, idf_average
from .shard import Shard, shard_folder
from .values import ArticleBundle, BestRequest, BundleRequest, Candidate, ShardSummary, TermStatistics

__all__ = [
    "ArticleBundle",
    "BestRequest",
    "BundleRequest",
    "Candidate",
    "Shard",
    "ShardSummary",
    "ShardUnavailable",
    "ShardedIndex",
    "TermStatistics",
    "built_shards",
    "forget_shards",
    "idf_average",
    "open_sharded",
    "read_manifest",
    "shard_folder",
    "shard_of",
    "walk_key",
]
