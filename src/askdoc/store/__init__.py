"""The index on disk: generations committed atomically (``generations``), their files (``files``), the
string tables (``tables``), the checks a loaded index passes (``checks``), and what an index holds
in memory (``data``)."""

from __future__ import annotations

from ..listing import index_dir_for  # numpy-free: the walk finds its listing in the index folder
from ..retrieval.table import Stats
from .cache import lock_holder, made_private, unsafe, write_lock
from .checks import CorruptIndex, IndexDamaged, OlderIndex, check_forward
from .data import IndexData, SkippedFile
from .generations import (
    ARRAYS,
    FORMAT_VERSION,
    TABLE_ARRAYS,
    current_generation,
    load,
    remove_stale,
    save,
    tidy,
    verify,
)

__all__ = [
    "ARRAYS",
    "FORMAT_VERSION",
    "TABLE_ARRAYS",
    "CorruptIndex",
    "OlderIndex",
    "IndexDamaged",
    "IndexData",
    "SkippedFile",
    "Stats",
    "check_forward",
    "current_generation",
    "index_dir_for",
    "load",
    "lock_holder",
    "made_private",
    "remove_stale",
    "save",
    "tidy",
    "unsafe",
    "verify",
    "write_lock",
]
