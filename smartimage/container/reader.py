"""Random-access reader of an image: header, trailer, index and metadata checked on open;
each chunk checked against its hash when read.  Every length read from the file is bounded
before it is used."""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass

import numpy as np

from formats.image import (FORMAT_VERSION, HEADER_CRC_SPAN, HEADER_MAGIC, HEADER_SIZE, INDEX_ENTRY_SIZE,
                           TRAILER_MAGIC, TRAILER_SIZE, Header, Trailer)

from ..compression import decompress, frame_size
from ..errors import ImageDamagedError, SmartImageError
from ..hashing import chunk_hash

MAX_CHUNK = 4 * 1024 * 1024
MAX_METADATA = 1 << 30  # decompressed JSON; a disk with millions of extents stays far below
MAX_CHUNKS = 1 << 28  # 1 PiB of 4 MiB chunks

# the hash is raw bytes ("V16"): numpy's "S16" would drop a digest's trailing zero bytes
INDEX_DTYPE = np.dtype([
    ("partition", "<u4"), ("flags", "<u4"), ("disk_offset", "<u8"), ("length", "<u4"),
    ("stored_length", "<u4"), ("stored_offset", "<u8"), ("hash", "V16"), ("pad", "V16"),
])
assert INDEX_DTYPE.itemsize == INDEX_ENTRY_SIZE


class NotAnImageError(SmartImageError):
    """The file is not a smartimage image at all (exit 1: wrong file, not damage)."""


@dataclass(frozen=True)
class Chunk:
    number: int
    partition: int
    disk_offset: int
    length: int
    stored_offset: int
    stored_length: int
    digest: bytes


def read_ranges(starts: np.ndarray, ends: np.ndarray, fetch, offset: int, length: int) -> bytes:
    """``length`` bytes from ``offset`` of a space made of sorted, non-overlapping ranges
    [starts[i], ends[i]) whose bytes ``fetch(i)`` returns; bytes in no range read as zeros."""
    out = bytearray(length)
    first = int(np.searchsorted(ends, offset, side="right"))
    for pos in range(first, len(starts)):
        s, e = int(starts[pos]), int(ends[pos])
        if s >= offset + length:
            break
        data = fetch(pos)
        lo, hi = max(s, offset), min(e, offset + length)
        out[lo - offset : hi - offset] = data[lo - s : hi - s]
    return bytes(out)


def is_image(path: str) -> bool:
    """Cheap check: does the file start with the image magic?"""
    try:
        with open(path, "rb") as f:
            return f.read(len(HEADER_MAGIC)) == HEADER_MAGIC
    except OSError:
        return False


class ImageReader:
    """Opens and checks an image.  Raises NotAnImageError (exit 1) for a file that is not an
    image, ImageDamagedError (exit 3) for a damaged one, SmartImageError if unreadable."""

    def __init__(self, path: str):
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise SmartImageError(f"{path}: no such image file") from None
        except OSError as exc:
            raise SmartImageError(f"{path}: cannot open: {exc.strerror}") from None
        try:
            self.size = os.fstat(self._fd).st_size
            self._open()
        except BaseException:
            self.close()
            raise

    def _pread(self, offset: int, length: int) -> bytes:
        try:
            return os.pread(self._fd, length, offset)
        except OSError as exc:
            raise SmartImageError(f"{self.path}: read error at byte {offset}: {exc.strerror}") from None

    def _open(self) -> None:
        raw = self._pread(0, HEADER_SIZE)
        if raw[: len(HEADER_MAGIC)] != HEADER_MAGIC:
            raise NotAnImageError(f"{self.path} is not a smartimage image (no image header at byte 0)")
        if len(raw) < HEADER_SIZE:
            raise ImageDamagedError(f"{self.path}: truncated inside the header ({self.size} bytes)")
        if zlib.crc32(raw[:HEADER_CRC_SPAN]) != int.from_bytes(raw[HEADER_CRC_SPAN:], "little"):
            raise ImageDamagedError(f"{self.path}: header checksum mismatch (bytes 0-{HEADER_SIZE - 1} damaged)")
        self.header = Header.parse(raw)
        if self.header.format_version > FORMAT_VERSION:
            raise NotAnImageError(
                f"{self.path}: image format version {self.header.format_version} is newer than this "
                f"smartimage reads (version {FORMAT_VERSION})", "upgrade smartimage")
        self.tool_version = bytes(self.header.tool_version).rstrip(b"\0").decode("utf-8", "replace")

        if self.size < HEADER_SIZE + TRAILER_SIZE:
            raise ImageDamagedError(f"{self.path}: truncated: {self.size} bytes, no room for a trailer")
        raw = self._pread(self.size - TRAILER_SIZE, TRAILER_SIZE)
        if raw[:8] != TRAILER_MAGIC:
            raise ImageDamagedError(
                f"{self.path}: no trailer at the end (truncated, or the backup did not finish)")
        if zlib.crc32(raw[: TRAILER_SIZE - 4]) != int.from_bytes(raw[TRAILER_SIZE - 4 :], "little"):
            raise ImageDamagedError(f"{self.path}: trailer checksum mismatch (last {TRAILER_SIZE} bytes damaged)")
        tr = self.trailer = Trailer.parse(raw)
        if tr.image_id != self.header.image_id:
            raise ImageDamagedError(f"{self.path}: trailer belongs to another image (image ids differ)")
        end = self.size - TRAILER_SIZE
        if not (tr.chunk_count <= MAX_CHUNKS and tr.index_length == tr.chunk_count * INDEX_ENTRY_SIZE
                and HEADER_SIZE <= tr.metadata_offset and tr.metadata_offset + tr.metadata_length == tr.index_offset
                and tr.index_offset + tr.index_length == end):
            raise ImageDamagedError(f"{self.path}: trailer points outside the file (offsets inconsistent)")

        index = self._pread(tr.index_offset, tr.index_length)
        if chunk_hash(index) != tr.index_hash:
            raise ImageDamagedError(f"{self.path}: chunk index damaged (bytes {tr.index_offset}-{end - 1})")
        self.index = np.frombuffer(index, dtype=INDEX_DTYPE)
        ix = self.index
        if len(ix) and (int(ix["length"].max()) > MAX_CHUNK or int(ix["stored_length"].max()) > 2 * MAX_CHUNK
                        or int(ix["stored_offset"].min()) < HEADER_SIZE
                        or int((ix["stored_offset"] + ix["stored_length"]).max()) > tr.metadata_offset):
            raise ImageDamagedError(f"{self.path}: chunk index holds impossible offsets or lengths")

        stored = self._pread(tr.metadata_offset, tr.metadata_length)
        if chunk_hash(stored) != tr.metadata_hash:
            raise ImageDamagedError(f"{self.path}: metadata damaged (bytes {tr.metadata_offset}-{tr.index_offset - 1})")
        try:
            size = frame_size(stored)
            if size is None or size > MAX_METADATA:
                raise ImageDamagedError(f"{self.path}: metadata size {size} out of range")
            self.metadata = json.loads(decompress(stored, size))
        except (ValueError, UnicodeDecodeError):
            raise ImageDamagedError(f"{self.path}: metadata is not valid JSON") from None
        self._order = np.argsort(ix["disk_offset"], kind="stable")
        self._starts = ix["disk_offset"][self._order].astype(np.int64)
        self._ends = self._starts + ix["length"][self._order].astype(np.int64)

    # ------------------------------------------------------------------ chunks

    def __len__(self) -> int:
        return len(self.index)

    def chunk(self, number: int) -> Chunk:
        e = self.index[number]
        return Chunk(number, int(e["partition"]), int(e["disk_offset"]), int(e["length"]),
                     int(e["stored_offset"]), int(e["stored_length"]), e["hash"].tobytes())

    def chunks(self, partition: int | None = None):
        for number in range(len(self.index)):
            if partition is None or int(self.index[number]["partition"]) == partition:
                yield self.chunk(number)

    def read_chunk(self, chunk: Chunk) -> bytes:
        """The chunk's bytes, decompressed and hash-checked.  Raises ImageDamagedError naming it."""
        stored = self._pread(chunk.stored_offset, chunk.stored_length)
        where = (f"chunk {chunk.number} (partition {chunk.partition}, disk bytes "
                 f"{chunk.disk_offset}-{chunk.disk_offset + chunk.length - 1})")
        if len(stored) != chunk.stored_length:
            raise ImageDamagedError(f"{self.path}: {where} is cut short (file truncated)")
        try:
            data = decompress(stored, chunk.length)
        except ImageDamagedError as exc:
            raise ImageDamagedError(f"{self.path}: {where} damaged: {exc.message}") from None
        if chunk_hash(data) != chunk.digest:
            raise ImageDamagedError(f"{self.path}: {where} damaged: hash mismatch")
        return data

    def read(self, disk_offset: int, length: int) -> bytes:
        """Bytes of the source disk as captured; ranges that were not captured read as zeros."""
        return read_ranges(self._starts, self._ends, lambda pos: self.read_chunk(self.chunk(int(self._order[pos]))),
                           disk_offset, length)

    def close(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ImageReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
