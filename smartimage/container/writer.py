"""Write an image: header, chunks as they come (in order), then metadata, index and trailer.

The file is written under a temporary name beside the destination and renamed
only when complete and synced; abort() removes it.
"""

from __future__ import annotations

import errno
import json
import os
import time
import uuid
import zlib

from formats.image import (FORMAT_VERSION, HEADER_CRC_SPAN, HEADER_MAGIC, HEADER_SIZE, TRAILER_MAGIC,
                           TRAILER_SIZE, Header, IndexEntry, Trailer)

from .. import __version__
from ..compression import compress
from ..errors import RefusedError, SmartImageError
from ..hashing import chunk_hash

PARTIAL_SUFFIX = ".partial"


class DestinationFullError(SmartImageError):
    """The destination filesystem ran out of space while writing the image."""


class ImageWriter:
    """Streams an image to ``path`` (via ``path.partial``).  Not thread-safe: one writer thread."""

    def __init__(self, path: str, overwrite: bool = False):
        self.path = path
        self.partial = path + PARTIAL_SUFFIX
        if os.path.exists(path) and not overwrite:
            raise RefusedError(f"{path} already exists", "choose another name or pass --overwrite to replace it")
        self.image_id = uuid.uuid4().bytes
        self.created = int(time.time())
        try:
            self._fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise RefusedError(f"cannot create {self.partial}: {exc.strerror}") from None
        self._offset = 0
        self._index = bytearray()
        self.chunk_count = 0
        self.data_bytes = 0
        header = Header.build(dict(
            magic=HEADER_MAGIC, format_version=FORMAT_VERSION, flags=0, header_size=HEADER_SIZE,
            image_id=self.image_id, created_unix=self.created,
            tool_version=f"smartimage {__version__}".encode().ljust(32, b"\0"), header_crc32=0,
        ))
        header = header[:HEADER_CRC_SPAN] + zlib.crc32(header[:HEADER_CRC_SPAN]).to_bytes(4, "little")
        self._write(header)

    @property
    def stored_bytes(self) -> int:
        return self._offset

    def _write(self, data) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                    raise DestinationFullError(
                        f"no space left for {self.path} after writing {self._offset} bytes "
                        f"({exc.strerror})", "free space on the destination or choose another drive") from None
                raise SmartImageError(f"cannot write {self.partial}: {exc.strerror}") from None
            view = view[written:]
            self._offset += written

    def add_chunk(self, partition: int, disk_offset: int, length: int, frame: bytes, digest: bytes) -> None:
        """Append one compressed chunk holding ``length`` bytes from ``disk_offset`` of the source."""
        self._index += IndexEntry.build(dict(
            partition=partition, flags=0, disk_offset=disk_offset, length=length,
            stored_length=len(frame), stored_offset=self._offset, hash=digest))
        self._write(frame)
        self.chunk_count += 1
        self.data_bytes += length

    def finish(self, metadata: dict) -> int:
        """Write metadata, index and trailer, sync, and rename into place; returns the image size."""
        meta_frame = compress(json.dumps(metadata, separators=(",", ":")).encode(), 9)
        meta_offset = self._offset
        self._write(meta_frame)
        index_offset = self._offset
        self._write(self._index)
        trailer = Trailer.build(dict(
            magic=TRAILER_MAGIC, format_version=FORMAT_VERSION, flags=0, reserved=0, image_id=self.image_id,
            chunk_count=self.chunk_count, data_bytes=self.data_bytes,
            metadata_offset=meta_offset, metadata_length=len(meta_frame), metadata_hash=chunk_hash(meta_frame),
            index_offset=index_offset, index_length=len(self._index), index_hash=chunk_hash(bytes(self._index)),
            trailer_crc32=0,
        ))
        trailer = trailer[: TRAILER_SIZE - 4] + zlib.crc32(trailer[: TRAILER_SIZE - 4]).to_bytes(4, "little")
        self._write(trailer)
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise SmartImageError(f"cannot sync {self.partial}: {exc.strerror}") from None
        os.close(self._fd)
        self._fd = -1
        os.replace(self.partial, self.path)
        _sync_directory(self.path)
        return self._offset

    def abort(self) -> None:
        """Close and remove the partial file; safe to call more than once."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        try:
            os.unlink(self.partial)
        except FileNotFoundError:
            pass


def _sync_directory(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
