"""Snapshots: the market's state after a known number of journal records, to bound restarts.

A snapshot is one checksummed frame (see ``frames``) holding a pickle of the state and the
journal position it stands for. It is written to a temporary file, synced and renamed into
place, so a crash leaves either the old set of snapshots or the new one, never half a file.
Snapshots only save time: the journal alone rebuilds everything, so a damaged snapshot is
skipped with a warning and recovery falls back to an older one or to the full journal.

The journal directory is trusted like the server's own code: a snapshot is a pickle, and
whoever can write the directory can make the server run anything. Keep it private (the
server creates it with mode 0700).
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from marketsim.journal.frames import SNAPSHOT_MAGIC, FrameReader, JournalCorruptError, frame

_NAME = re.compile(r"snapshot-(\d{12})\.mss")
#: How many snapshots are kept: the newest, and one in case it turns out to be damaged.
KEEP = 2


def path_for(directory: Path, records: int) -> Path:
    """The file of the snapshot taken after ``records`` journal records."""
    return directory / f"snapshot-{records:012d}.mss"


def encode(state: dict[str, Any], journal_offset: int) -> bytes:
    """A snapshot file's bytes: ``state`` and the journal offset it was taken at."""
    payload = pickle.dumps((journal_offset, state), protocol=pickle.HIGHEST_PROTOCOL)
    return SNAPSHOT_MAGIC + frame(payload)


def write(directory: Path, records: int, data: bytes) -> Path:
    """Write ``data`` (from ``encode``) atomically and durably; drop the oldest snapshots.

    Blocking file I/O: the server calls it on a worker thread.
    """
    final = path_for(directory, records)
    temporary = final.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, final)
    sync_directory(directory)
    for _records, old in list(listed(directory))[KEEP:]:
        old.unlink(missing_ok=True)
    return final


def listed(directory: Path) -> Iterator[tuple[int, Path]]:
    """``(records, path)`` of the snapshots in ``directory``, newest first."""
    found = []
    for path in directory.iterdir():
        match = _NAME.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return iter(sorted(found, reverse=True))


def read(path: Path) -> tuple[int, dict[str, Any]]:
    """``(journal_offset, state)`` of a snapshot file; ``JournalCorruptError`` if damaged.

    A snapshot must be one whole frame: a torn one (a crash cannot leave one, thanks to the
    rename, but a copy can) is as unusable as a corrupt one.
    """
    data = path.read_bytes()
    reader = FrameReader(data, path, SNAPSHOT_MAGIC)
    frames = list(reader)
    if len(frames) != 1 or reader.torn_bytes:
        raise JournalCorruptError(f"{path.name} is truncated or damaged")
    try:
        journal_offset, state = pickle.loads(frames[0][1])
    except Exception as error:  # a checksum-valid file that does not unpickle
        raise JournalCorruptError(f"{path.name} does not hold a snapshot: {error!r:.80}") from None
    return journal_offset, state


def sync_directory(directory: Path) -> None:
    """``fsync`` a directory, so a file created or renamed in it survives a power loss."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
