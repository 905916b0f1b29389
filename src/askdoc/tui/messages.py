"""The chat's app-wide messages: what the app tells the chat screen about its index, and what it is asked to add."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import RenderableType
from textual.content import Content
from textual.message import Message

import askdoc


@dataclass
class Indexing(Message):
    """The index is being built: ``done`` of ``total`` articles read."""

    done: int
    total: int


@dataclass
class IndexReady(Message):
    """The corpus is open; ``recovered``: it could not be opened before (it had no articles yet)."""

    index: askdoc.Index
    warnings: list[str] = field(default_factory=list)
    recovered: bool = False


@dataclass
class IndexFailed(Message):
    """The corpus could not be opened, or went away; ``retry``: it is opened again once articles arrive;
    ``repeated``: the same reason as the last failure (already said)."""

    reason: str
    retry: bool
    repeated: bool = False


@dataclass
class IndexRefreshed(Message):
    """The index was refreshed from the folder's changes (``summary``: "1 added, 1 removed")."""

    index: askdoc.Index
    summary: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class Note(Message):
    """A line from askdoc itself for the transcript (a command's result, the watch's news, an error)."""

    content: Content | RenderableType
    classes: str = ""


@dataclass
class Status(Message):
    """What the index is doing, for the chat's header (refreshing, could not look at the folder)."""

    text: str


@dataclass
class AddPaths(Message):
    """Copy these files or folders into the corpus (``/add PATH`` or a path pasted into the input)."""

    paths: list[str]
