"""The search engine, apart from the library's face (``Index``).

- ``table``: the index's arrays as a typed ``PassageTable``, and the collection's ``Stats``;
- ``retriever``: ``Retriever``, BM25 over one table (a whole index or a shard) with the
  collection's statistics handed to it, and what the reranker reads of a passage;
- ``ranked``: a question's passages best first: reranked (``ranking``), widened by feedback
  (``feedback``), each text once;
- ``questions``: a question as the engine reads it; ``hits``: the ranked passages quoted and cited;
- ``shelf``: the articles and passages as values, decoded once.
"""
