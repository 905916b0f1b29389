"""Reaching a Ray cluster: Ray imported only here, the errors a user can act on, a corpus's namespace."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from types import ModuleType

from ..errors import AskdocError

INSTALL_HINT = "pip install 'askdoc[cluster]'"


class ClusterError(AskdocError):
    """Ray is missing, no cluster answers at the address, or nothing is served for the corpus."""


def ray_module() -> ModuleType:
    """Ray, or a ClusterError saying how to install it (it is an extra: ``askdoc[cluster]``)."""
    try:
        import ray
    except ImportError:
        raise ClusterError(f"the cluster needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def namespace_for(corpus: Path) -> str:
    """The Ray namespace a corpus's actors live in: one per corpus folder (its resolved path), so that two
    corpora served on one cluster never answer for each other."""
    from ..store.generations import sha1

    resolved = Path(corpus).resolve()
    slug = "".join(c if c.isalnum() else "-" for c in resolved.name)[:40] or "root"
    return f"askdoc-{slug}-{sha1(str(resolved).encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"


def connect(address: str, corpus: Path) -> ModuleType:
    """Ray, connected to the cluster at ``address`` ("auto": the one started on this machine with
    ``ray start``, or $RAY_ADDRESS) in the corpus's namespace; a ClusterError when none answers.

    Already connected (a script or a test that called ``ray.init`` itself): that connection is used,
    and the namespace is given on each actor's lookup instead.
    """
    ray = ray_module()
    if ray.is_initialized():
        return ray
    _reachable(address)
    try:
        ray.init(
            address=address,
            namespace=namespace_for(corpus),
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
    except ConnectionError as err:
        where = "on this machine" if address == "auto" else f"at {address}"
        raise ClusterError(
            f"no Ray cluster is running {where} ({_first_line(err)}); start one with `ray start --head`, "
            "or give --cluster ADDRESS"
        ) from None
    except (ValueError, RuntimeError) as err:
        raise ClusterError(f"could not join the Ray cluster at {address}: {_first_line(err)}") from None
    return ray


def _reachable(address: str) -> None:
    """A ClusterError at once when nothing listens at HOST:PORT (Ray itself retries for a minute or more)."""
    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as err:
        raise ClusterError(
            f"no Ray cluster answers at {address} ({err.strerror or err}); start one with `ray start --head`"
        ) from None


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def cache_root_here() -> str:
    """The index cache this process uses, handed to tasks and actors: a Ray worker does not inherit the
    caller's environment, and on several machines it must be a folder every node sees (or each builds its own)."""
    from ..opening import cache_root

    return os.fspath(cache_root().absolute())
