"""Watch a corpus folder: the operating system's file events (watchfiles), debounced, else a poll.

``FolderWatch.looks`` tells a program when to look at its corpus again, and where: the paths
that file events named (a burst of saves, a ``git pull``, is one look), or the whole folder —
once the watch is set up (what changed before it), every few minutes (what events miss: a
queue that overflowed, a change made over the network), and, where file events cannot be had
or trusted, on a poll whose interval grows with the time a look takes. ``watch(index)`` is
that loop for a script: it yields the index each time a look refreshed it. The chat
(``tui/widgets/corpus_watch.py``) follows the same looks.

watchfiles (Rust ``notify``: inotify, FSEvents, ReadDirectoryChangesW) rather than watchdog:
it sets up the recursive watch and gathers and debounces the events in its own native thread,
outside Python's GIL, so an idle watch costs nothing a chat's UI thread would feel; watchdog
adds each folder's inotify watch and handles each event in Python, and leaves debouncing to us.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import Index

log = logging.getLogger("askdoc")

FULL_CHECK_EVERY = 300.0  # seconds between looks at the whole folder while events are watched
STEP_MS = 300  # events this far apart are one burst: a look waits for a pause this long...
DEBOUNCE_MS = 2000  # ...but no longer than this after the first event of a burst
WAKE_MS = 5000  # how long the native watch waits before it lets Python check the clock and the stop flag
POLL_SHARE = 0.01  # a poll takes about this share of a core: its interval is the time a look takes / this
POLL_MIN = 2.0  # seconds: the shortest poll (a small corpus, looked at as often as the old chat did)
# Where file events do not arrive for every change: network and virtual machines' shared folders
# (a change made on another machine raises no event here).
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "ceph", "glusterfs", "lustre", "9p",
                       "virtiofs", "vboxsf", "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "davfs", "fuse.davfs2"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Look:
    """Look at the corpus again: at ``paths`` alone (absolute, as file events named them), or everywhere (None)."""

    paths: tuple[str, ...] | None
    why: str  # "events", "start", "periodic", "poll"


class FolderWatch:
    """When and where to look at a folder again (``looks``), from file events or, failing them, a poll.

    ``events``: None decides (events, unless ``$ASKDOC_WATCH`` is ``poll``, the folder is on a
    network filesystem, or the watch cannot be set up); False polls. ``on_note`` is told once
    why it polls.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        *,
        events: bool | None = None,
        full_check_every: float = FULL_CHECK_EVERY,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.folder = Path(folder).absolute()
        self.events = events
        self.full_check_every = full_check_every
        self.on_note = on_note or log.warning
        self.polling: str | None = None  # why it polls, once it does
        self.poll_every = POLL_MIN

    def took(self, seconds: float) -> None:
        """A look at the whole folder took this long: the poll waits long enough to stay cheap."""
        self.poll_every = min(max(POLL_MIN, seconds / POLL_SHARE), max(POLL_MIN, self.full_check_every))

    def looks(self, stop: threading.Event) -> Generator[Look, None, None]:
        """Looks to make, until ``stop`` is set: the first at the whole folder, once watching has begun."""
        reason = self._why_not_events()
        if reason is None:
            reason = yield from self._event_looks(stop)
        if stop.is_set() or reason is None:
            return
        self.polling = reason
        self.on_note(f"{reason}: watching {self.folder} by polling, less often as it grows, so that it stays cheap")
        yield Look(None, "start")  # events may have been lost as the watch failed
        while not stop.wait(self.poll_every):
            yield Look(None, "poll")

    def _why_not_events(self) -> str | None:
        if self.events is False or (self.events is None and os.environ.get("ASKDOC_WATCH") == "poll"):
            return "polling was asked for"
        if self.events is None and (kind := filesystem_of(self.folder)) in NETWORK_FILESYSTEMS:
            return f"the folder is on {kind}, where file events miss changes made on other machines"
        try:
            import watchfiles  # noqa: F401
        except ImportError as err:
            return f"file events are not available ({err})"
        return None

    def _event_looks(self, stop: threading.Event):
        """Looks from file events; returns why events stopped working (None: stopped as asked)."""
        # watchfiles' own loop (watchfiles.watch) sets the watch up only once it is first asked for
        # events, and then waits for them: the look at the whole folder must come between the two.
        from watchfiles._rust_notify import RustNotify  # "Rust backend direct usage" in watchfiles' docs

        try:  # (folders, debug, force polling, poll delay, recursive, ignore permission denied)
            notify = RustNotify([str(self.folder)], False, False, 0, True, True)
        except (OSError, RuntimeError) as err:  # a watch limit reached (fs.inotify.max_user_watches), ...
            return f"file events are not available ({_first_line(err)})"
        with notify:
            yield Look(None, "start")  # what changed before the watch began
            last_full = time.monotonic()
            while True:
                try:
                    changes = notify.watch(DEBOUNCE_MS, STEP_MS, WAKE_MS, stop)
                except (OSError, RuntimeError) as err:  # e.g. the limit reached by a folder added later
                    return f"file events stopped working ({_first_line(err)})"
                if changes == "signal":
                    raise KeyboardInterrupt
                if changes == "stop" or stop.is_set():
                    return None
                if isinstance(changes, set):
                    paths = tuple(sorted({path for _, path in changes if not _hidden(self.folder, path)}))
                    if paths:
                        yield Look(paths, "events")
                if time.monotonic() - last_full >= self.full_check_every:
                    last_full = time.monotonic()
                    yield Look(None, "periodic")


def watch(
    index: Index,
    *,
    stop: threading.Event | None = None,
    events: bool | None = None,
    full_check_every: float = FULL_CHECK_EVERY,
) -> Iterator[Index]:
    """``index`` refreshed each time its corpus folder changes (the first look may refresh it at once).

    Runs until ``stop`` is set or the loop stops asking; a refresh that fails (the folder was
    removed: ``CorpusError``) ends it with that error.
    """
    if index.corpus is None:
        raise ValueError("an index made with Index.from_articles has no folder to watch")
    stop = stop or threading.Event()
    folder = FolderWatch(index.corpus, events=events, full_check_every=full_check_every)
    looks = folder.looks(stop)
    try:
        for look in looks:
            started = time.monotonic()
            changes = index.changes(look.paths)
            if look.paths is None:  # the poll's interval follows the walk, not the refreshes it leads to
                folder.took(time.monotonic() - started)
            if not changes:
                continue
            fresh = index.refresh(paths=[os.path.join(index.corpus, rel) for rel in changes.rels()])
            if fresh is not index:
                index = fresh
                yield index
    finally:
        stop.set()
        looks.close()


def filesystem_of(path: Path, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The kind of filesystem ``path`` is on (Linux: the mount that holds it), or None when unknown."""
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as mounts:
            lines = mounts.read().splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, right.split()[0]
    return kind


def _hidden(folder: Path, path: str) -> bool:
    """A path the walk never reads (inside .git, an editor's .swp): no look for it."""
    rel = os.path.relpath(path, folder)
    return any(part.startswith(".") and part not in (".", "..") for part in Path(rel).parts)


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
