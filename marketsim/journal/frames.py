"""Checksummed frames: the on-disk unit of journals and snapshots.

A file starts with a 4-byte magic number naming its kind, then holds frames back to back::

    <u32 length> <u32 crc32(payload)> <u32 crc32(the 8 bytes before)> <payload: length bytes>

all little-endian. The header's own checksum lets a reader trust ``length`` before it reads
the payload, so it can tell the two ways a frame goes bad apart:

- a *torn tail*: the last frame of the file is incomplete or, at the very end, unreadable.
  A crash in the middle of a write (or a full disk) leaves exactly this. It is cut off, and
  the reader says how many bytes it cut;
- *corruption*: a bad frame with more data after it. Nothing a crash does explains it (a
  flipped bit, a bad disk, an edit), so the reader refuses the file and names the offset,
  rather than silently lose what follows.

The price of this rule, as in every log of this kind: a bit flip inside the very last frame
looks like a torn tail and that one record is cut, with a warning.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from marketsim.errors import MarketsimError

HEADER = struct.Struct("<III")
#: Largest payload a frame may carry; a header claiming more is corrupt.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


class JournalCorruptError(MarketsimError):
    """A journal or snapshot file is damaged somewhere a crash cannot explain."""


def frame(payload: bytes) -> bytes:
    """``payload`` framed: header with length and checksums, then the payload."""
    length_and_crc = struct.pack("<II", len(payload), zlib.crc32(payload))
    return length_and_crc + struct.pack("<I", zlib.crc32(length_and_crc)) + payload


class FrameReader:
    """The intact frames of one file's bytes, read in order.

    Iterate it for ``(offset, payload)`` pairs. Afterwards ``end`` is the offset just past the
    last intact frame and ``torn_bytes`` how many bytes after it form a torn tail (0 if none).
    Corruption raises ``JournalCorruptError`` naming ``path`` and the offset.
    """

    def __init__(self, data: bytes, path: Path | str, magic: bytes) -> None:
        self.data = data
        self.path = Path(path)
        self.magic = magic
        self.end = len(magic)
        self.torn_bytes = 0

    def __iter__(self) -> Iterator[tuple[int, memoryview]]:
        data, size = self.data, len(self.data)
        if data[: len(self.magic)] != self.magic:
            if size < len(self.magic) and self.magic.startswith(data):
                self.end, self.torn_bytes = 0, size  # torn while being created
                return
            raise JournalCorruptError(
                f"{self.path} is not a marketsim {self._kind()} (it does not start with "
                f"{self.magic!r})"
            )
        view = memoryview(data)
        offset = len(self.magic)
        unpack, header_size = HEADER.unpack_from, HEADER.size
        crc32 = zlib.crc32
        while offset < size:
            if size - offset < header_size:
                break  # torn inside a header
            length, payload_crc, header_crc = unpack(data, offset)
            if crc32(view[offset : offset + 8]) != header_crc or length > MAX_PAYLOAD_BYTES:
                if any(data[offset:]):  # a zero-filled tail is what a crash can leave
                    self._corrupt(offset, "its frame header fails its checksum")
                break
            start = offset + header_size
            stop = start + length
            if stop > size:
                break  # torn inside a payload
            payload = view[start:stop]
            if crc32(payload) != payload_crc:
                if stop < size:
                    self._corrupt(offset, "its payload fails its checksum")
                break  # the final frame, not completely written
            yield offset, payload
            offset = stop
            self.end = offset
        self.torn_bytes = size - self.end

    def _kind(self) -> str:
        return "journal" if self.magic == JOURNAL_MAGIC else "snapshot"

    def _corrupt(self, offset: int, what: str) -> None:
        raise JournalCorruptError(
            f"{self.path} is corrupt at byte offset {offset}: {what} and data follows it. "
            "This is not what a crash leaves, so nothing was cut; restore the file from a "
            "backup, or truncate it at that offset yourself to keep what comes before"
        )


#: The magic numbers of the two kinds of files.
JOURNAL_MAGIC = b"MSJ1"
SNAPSHOT_MAGIC = b"MSS1"
