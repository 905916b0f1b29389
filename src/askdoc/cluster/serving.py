"""Shards served by named, detached Ray actors, and the index that searches through them.

``serve`` builds what is missing (``building``), then starts one actor per shard, named
``shard-N-of-COUNT`` in the corpus's namespace (``connection.namespace_for``), detached (it outlives
the command) and restarted by Ray when it dies (``MAX_RESTARTS``). ``open_served`` finds them by
name and returns a ``ClusterIndex``: ``ShardedIndex``'s search, its calls to the shards fanned out
to every actor at once. A call that fails (the actor died, its node left) is retried once, on the
actor as Ray restarted it; a shard that still does not answer within ``timeout`` is left out and
named (``ShardUnavailable``: ``hits.missing_shards``), never dropped silently.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..changes import Changes
from ..errors import AskdocError, CorpusError
from ..shards import ShardedIndex, ShardUnavailable, built_shards
from . import host
from .building import Report, build_on_cluster
from .connection import ClusterError, cache_root_here, connect, namespace_for

log = logging.getLogger("askdoc")

MAX_RESTARTS = 10  # a shard's actor is restarted this often (a lost node, a crash) before it is given up
TIMEOUT = 30.0  # seconds a shard has to answer one call (twice: the call and its retry)
_NAME = re.compile(r"shard-(\d+)-of-(\d+)")


def actor_name(number: int, count: int) -> str:
    return f"shard-{number}-of-{count}"


def serve(
    corpus: str | os.PathLike, count: int | None = None, address: str = "auto", *, report: Report | None = None
) -> list[dict[str, Any]]:
    """Build what is missing, then host each shard in a named, detached actor (replacing any served before).

    ``count``: the number of shards (None: as the corpus was last built). Returns each actor's ``info()``.
    """
    root = Path(corpus).resolve()
    if count is None and root.is_dir():
        count = built_shards(root)
    if not count:
        raise CorpusError(f"'{corpus}' is not built in shards yet: give the number (askdoc serve --shards N)")
    index = build_on_cluster(root, count, address, report=report)
    ray = connect(address, root)
    stop(root, address)
    hosted = ray.remote(host.ShardHost)
    cache = cache_root_here()
    actors = [
        hosted.options(
            name=actor_name(number, count),
            namespace=namespace_for(root),
            lifetime="detached",
            max_restarts=MAX_RESTARTS,
            num_cpus=0,  # it waits for calls: the cores stay free for the build tasks
            scheduling_strategy="SPREAD",  # one shard a node where there are several
        ).remote(str(root), number, count, cache, index.collection.idf_average)
        for number in range(count)
    ]
    try:
        return ray.get([actor.info.remote() for actor in actors], timeout=TIMEOUT * 4)
    except ray.exceptions.RayError as err:
        stop(root, address)
        raise ClusterError(f"the shards' actors did not start: {str(err).strip().splitlines()[0]}") from None


def stop(corpus: str | os.PathLike, address: str = "auto") -> int:
    """Remove the actors serving the corpus; how many there were."""
    root = Path(corpus).resolve()
    ray = connect(address, root)
    found = served(ray, root)
    for name in found.values():
        with contextlib.suppress(ValueError):  # (gone meanwhile)
            ray.kill(ray.get_actor(name, namespace=namespace_for(root)), no_restart=True)
    deadline = time.monotonic() + TIMEOUT  # a kill is asynchronous: the names are free once the actors are gone
    while found and served(ray, root) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(found)


def served(ray, root: Path) -> dict[int, str]:
    """The names of the actors serving the corpus's shards, by shard number (those alive or restarting)."""
    namespace = namespace_for(root)
    out = {}
    for actor in ray.util.list_named_actors(all_namespaces=True):
        match = _NAME.fullmatch(actor["name"]) if actor["namespace"] == namespace else None
        if match:
            out[int(match[1])] = actor["name"]
    return out


def open_served(corpus: str | os.PathLike, address: str = "auto", *, timeout: float = TIMEOUT) -> ClusterIndex:
    """The index served on the cluster for this corpus folder: its actors found by name."""
    root = Path(corpus).resolve()
    ray = connect(address, root)
    found = served(ray, root)
    counts = {int(_NAME.fullmatch(name)[2]) for name in found.values()}  # type: ignore[index]
    if not found:
        raise ClusterError(
            f"nothing is served for '{corpus}' on this cluster: start it with "
            f"askdoc serve --corpus {corpus} --cluster {address}"
        )
    if len(counts) > 1:
        raise ClusterError(f"'{corpus}' is served in several shard counts ({sorted(counts)}): serve it again")
    count = counts.pop()
    namespace = namespace_for(root)
    proxies = [ShardProxy(ray, number, count, namespace, timeout) for number in range(count)]
    average = _idf_average(proxies)
    return ClusterIndex(proxies, corpus=root, idf_average=average)


def _idf_average(proxies: list[ShardProxy]) -> float:
    for proxy in proxies:
        try:
            return proxy.info()["idf_average"]
        except ShardUnavailable:
            continue
    raise ClusterError("no shard of this corpus answers on the cluster: serve it again (askdoc serve)")


class ShardProxy:
    """A shard hosted by an actor, called as a local ``Shard`` is: each call retried once, else ShardUnavailable."""

    def __init__(self, ray, number: int, count: int, namespace: str, timeout: float) -> None:
        self.ray, self.number, self.count, self.namespace, self.timeout = ray, number, count, namespace, timeout
        self._actor = None

    def actor(self):
        """The actor's handle, looked up by name (ShardUnavailable when no actor of that name is alive)."""
        if self._actor is None:
            try:
                self._actor = self.ray.get_actor(actor_name(self.number, self.count), namespace=self.namespace)
            except ValueError:
                raise ShardUnavailable(self.number, "its actor is gone") from None
        return self._actor

    def submit(self, method: str, args: tuple):
        """The call started on the actor (its object ref), or ShardUnavailable when there is no actor."""
        return self.actor().call.remote(method, args)

    def result(self, ref, method: str, args: tuple) -> Any:
        """The answer of a call started with ``submit``; ShardUnavailable when the shard does not give one.

        A call that fails because the actor died or its node left is made once more, on the actor
        Ray restarted under the same name (an actor killed for good has no name any more: named at
        once). While Ray restarts it the actor is "temporarily unavailable": the call is made again,
        pausing, for up to ``timeout``. A call unanswered after ``timeout`` (a hung process, a
        lost network) is made once more too.
        """
        ray = self.ray
        retried, pause = False, 0.05
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return ray.get(ref, timeout=max(deadline - time.monotonic(), 0.01))
            except ray.exceptions.RayTaskError as err:  # the shard raised: a user's mistake or a real bug
                if isinstance(err.cause, AskdocError):
                    raise err.cause from None
                raise
            except ray.exceptions.ActorUnavailableError:  # restarting: not yet there to call
                if time.monotonic() > deadline:
                    raise ShardUnavailable(self.number, "its actor stayed unavailable") from None
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
            except (ray.exceptions.RayError, ray.exceptions.GetTimeoutError) as err:
                if isinstance(err, ray.exceptions.GetTimeoutError):
                    ray.cancel(ref, force=False)
                if retried:
                    raise ShardUnavailable(self.number, type(err).__name__) from None
                log.debug("shard %d: %s; calling it again", self.number, type(err).__name__)
                retried, deadline = True, time.monotonic() + self.timeout
                self._actor = None  # (looked up again: Ray restarts a dead actor under its name)
            ref = self.submit(method, args)

    def info(self) -> dict[str, Any]:
        """The hosting actor's ``ShardHost.info()``."""
        return self.result(self.submit("info", ()), "info", ())

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method not in host.SHARD_METHODS:
            raise AttributeError(method)
        return lambda *args: self.result(self.submit(method, args), method, args)


class ClusterIndex(ShardedIndex):
    """``ShardedIndex`` over actors: each round of calls goes to every shard at once, then is gathered.

    A served index answers without looking at the corpus folder: it holds what ``askdoc serve``
    built (``changes`` is empty, ``refresh`` is itself); serving again brings it up to date.
    """

    def fan_out(self, method: str, arguments: dict[int, tuple]) -> dict[int, Any]:
        started = {}
        for i, args in arguments.items():
            if i in self.unavailable:  # it failed earlier in this search: not waited for again (nor half counted)
                continue
            try:
                started[i] = self.shards[i].submit(method, args)
            except ShardUnavailable:
                started[i] = None
        out: dict[int, Any] = dict.fromkeys(arguments)
        for i, ref in started.items():
            try:
                if ref is None:  # no actor by that name: it may be back (restarted) by now
                    out[i] = getattr(self.shards[i], method)(*arguments[i])
                else:
                    out[i] = self.shards[i].result(ref, method, arguments[i])
            except ShardUnavailable as err:
                log.debug("shard %d unavailable: %s", i, err)
                self.unavailable.add(i)
                out[i] = None
        return out

    @property
    def saved(self) -> bool:
        return True

    @property
    def location(self) -> Path | None:
        return None

    def changes(self, paths=None) -> Changes:
        return Changes()

    def refresh(self, progress=None, paths=None) -> ClusterIndex:
        return self


def open_for(corpus: str | os.PathLike, cluster: str, **options: Any) -> ShardedIndex:
    """``askdoc.open(corpus, cluster=ADDRESS)``: the served index; nothing else is opened."""
    unknown = set(options) - {"engine", "progress", "refresh", "walk", "rebuild"}
    if unknown or options.get("rebuild"):
        raise ValueError(f"a served index takes no {', '.join(sorted(unknown))} (askdoc serve builds it)")
    if options.get("engine", "askdoc") != "askdoc":
        raise ValueError("a served index searches with the askdoc engine")
    return open_served(corpus, cluster)


__all__ = ["ClusterError", "ClusterIndex", "ShardProxy", "open_served", "serve", "stop"]
