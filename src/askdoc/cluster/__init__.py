"""askdoc beyond one machine: shards built as Ray tasks and served by named Ray actors.

Nothing here is imported unless a cluster is asked for (``--cluster``, ``askdoc serve``,
``askdoc.open(corpus, cluster=...)``), and Ray itself only from ``connection.ray_module``:
``import askdoc`` and a query on one machine never load it.

- ``connection``: Ray, or a one-line error saying how to install it or start a cluster; the
  namespace a corpus is served in;
- ``building``: shards built (or refreshed) as Ray tasks, progress counted as each commits;
- ``serving``: one named, detached actor per shard, and the proxies a sharded index searches through.
"""
