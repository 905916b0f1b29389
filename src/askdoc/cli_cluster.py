"""The askdoc command's cluster side: ``askdoc serve``, ``askdoc index --cluster``, and the ``--cluster`` option.

Ray is imported only when one of them is used (``askdoc.cluster``); without it each says how to install it.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

import askdoc

from . import render

cluster_option = click.option(
    "--cluster",
    metavar="auto|ADDRESS",
    envvar="ASKDOC_CLUSTER",
    default=None,
    help="Search the index askdoc serve serves on this Ray cluster (auto: the one started here with ray start; "
    "or $ASKDOC_CLUSTER). Needs pip install 'askdoc[cluster]'.",
)


def served(cluster: str | None) -> dict:
    """askdoc.open's argument for an index served on a cluster (none without --cluster)."""
    return {"cluster": cluster} if cluster is not None else {}


def _say(line: str) -> None:
    click.echo(f"askdoc: {render.inert(line)}", err=True)


def _corpus(corpus: Path | None) -> Path:
    return corpus if corpus is not None else askdoc.default_corpus()


def index_on_cluster(corpus: Path | None, shards: int | None, cluster: str, rebuild: bool) -> None:
    """``askdoc index --shards N --cluster ADDRESS``: each shard built by a Ray task, a line as each commits."""
    from .cluster.building import build_on_cluster
    from .shards import built_shards

    root = _corpus(corpus)
    count = shards or (built_shards(root) if root.is_dir() else None)
    if not count:
        raise askdoc.CorpusError("building on a cluster needs the number of shards: askdoc index --shards N --cluster")
    started = time.perf_counter()
    built = build_on_cluster(root, count, cluster, rebuild=rebuild, report=_say)
    click.echo(
        f"{built.n_articles} articles, {built.n_passages} passages, ready in {time.perf_counter() - started:.2f} s "
        f"(index at {built.location}, in {count} shards built on the cluster)",
        err=True,
    )


@click.command()
@click.option(
    "--corpus",
    "-c",
    type=click.Path(path_type=Path),
    envvar="ASKDOC_CORPUS",
    help="Folder of articles (default: $ASKDOC_CORPUS, ./corpus, or the bundled sample).",
)
@click.option("--shards", type=click.IntRange(1), default=None, help="Shards to serve (default: as built).")
@click.option("--stop", is_flag=True, help="Remove the actors serving the corpus.")
@cluster_option
def serve(corpus: Path | None, shards: int | None, stop: bool, cluster: str | None) -> None:
    """Serve the corpus's shards on a Ray cluster: one named actor per shard, until --stop.

    Builds what is missing first (as Ray tasks). askdoc query --cluster, the chat (askdoc --cluster)
    and askdoc.open(corpus, cluster=...) then find the actors by name.
    """
    try:
        _serve(_corpus(corpus), shards, stop, cluster or "auto")
    except askdoc.AskdocError as err:
        raise click.ClickException(str(err)) from None


def _serve(root: Path, shards: int | None, stop: bool, cluster: str) -> None:
    from .cluster import serving

    if stop:
        removed = serving.stop(root, cluster)
        _say(f"stopped {removed} shard actor(s) serving {root}" if removed else f"nothing was served for {root}")
        return
    started = time.perf_counter()
    infos = serving.serve(root, shards, cluster, report=_say)
    memory = sum(info["peak_rss"] for info in infos)
    _say(
        f"serving {root} in {len(infos)} shards (actors shard-N-of-{len(infos)}, namespace "
        f"{serving.namespace_for(root)}; {memory / 2**20:,.0f} MB in all), ready in {time.perf_counter() - started:.1f} s; "
        f"askdoc serve --stop --corpus {root}{'' if cluster == 'auto' else f' --cluster {cluster}'} removes them"
    )
