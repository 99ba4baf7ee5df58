"""Look inside an image without restoring it: a partition of the image as a byte range
(chunks fetched and decompressed on demand, an LRU cache of them, zeros where nothing was
captured), opened with The Sleuth Kit to list and extract files."""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .container.reader import ImageReader, read_ranges
from .errors import ImageDamagedError, RefusedError, SmartImageError, UsageError
from .filesystems import tsk

CACHE_CHUNKS = 16  # 64 MiB of decompressed chunks at most


class ImagePartition:
    """A partition of an image as a readable byte range; counts bytes read from the image file."""

    def __init__(self, reader: ImageReader, number: int):
        meta = reader.metadata
        part = next((p for p in meta["partitions"] if p["number"] == number), None)
        numbers = [p["number"] for p in meta["partitions"] if p["captured"]]
        if part is None or not part["captured"]:
            raise UsageError(f"{reader.path} holds no partition {number} "
                             f"(captured: {', '.join(map(str, numbers)) or 'none'})")
        self.reader = reader
        self.number = number
        self.start = part["start"]
        self.size = part["size"]
        self.filesystem = part["filesystem"]
        chunks = [c for c in reader.chunks() if c.partition == number]
        chunks.sort(key=lambda c: c.disk_offset)
        self._chunks = chunks
        self._starts = np.array([c.disk_offset - self.start for c in chunks], dtype=np.int64)
        self._ends = self._starts + np.array([c.length for c in chunks], dtype=np.int64)
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self.bytes_read_from_image = 0
        self.damage: str | None = None  # the last damaged chunk met (TSK turns our error into its own)

    def _chunk_data(self, index: int) -> bytes:
        data = self._cache.get(index)
        if data is not None:
            self._cache.move_to_end(index)
            return data
        chunk = self._chunks[index]
        try:
            data = self.reader.read_chunk(chunk)
        except ImageDamagedError as exc:
            self.damage = exc.message
            raise
        self.bytes_read_from_image += chunk.stored_length
        self._cache[index] = data
        if len(self._cache) > CACHE_CHUNKS:
            self._cache.popitem(last=False)
        return data

    def read(self, offset: int, length: int) -> bytes:
        """Bytes of the partition; what was not captured (free space) reads as zeros."""
        if offset >= self.size or length <= 0:
            return b""
        length = min(length, self.size - offset)
        return read_ranges(self._starts, self._ends, self._chunk_data, offset, length)


@dataclass(frozen=True)
class Entry:
    path: str  # inside the filesystem, '/'-rooted
    name: str
    kind: str  # file, dir, link, other
    size: int
    mtime: int


def open_filesystem(part: ImagePartition):
    fs = tsk.open_filesystem(part.read, part.size)
    if fs is None:
        kind = part.filesystem["type"] if part.filesystem else "no filesystem"
        raise RefusedError(f"partition {part.number} ({kind}) cannot be browsed: The Sleuth Kit does not read it")
    return fs


def _clean(path: str) -> str:
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UsageError(f"path {path!r} may not contain '..'")
    return "/" + "/".join(parts)


def stat_path(fs, path: str) -> Entry:
    path = _clean(path)
    if path == "/":
        return Entry("/", "/", "dir", 0, 0)
    try:
        handle = fs.open(path)
    except (IOError, OSError):
        raise UsageError(f"no such file or folder in the image: {path}") from None
    return _entry(path, handle)


def _entry(path: str, handle) -> Entry:
    meta = handle.info.meta
    kind = tsk.kind_of(meta)
    return Entry(path, path.rsplit("/", 1)[-1], kind, int(meta.size) if meta else 0, int(meta.mtime) if meta else 0)


def list_dir(fs, path: str = "/", recursive: bool = False, limit: int = 10_000_000):
    """Entries of a folder (or of the whole tree below it), sorted by path.  Yields as it walks."""
    start = stat_path(fs, path)
    if start.kind != "dir":
        yield start
        return
    for entry_path, handle in tsk.walk(fs, start.path, recursive, limit):
        yield _entry(entry_path, handle)


def extract(fs, part: ImagePartition, path: str, dest: str, force: bool = False) -> list[str]:
    """Copy a file or a folder tree out of the image into ``dest`` (a new path, or an existing
    folder to copy into), keeping modification times.  Refuses to overwrite without ``force``
    and names that would escape ``dest``.  Returns the files written."""
    src = stat_path(fs, path)
    target = dest
    if os.path.isdir(dest) and src.path != "/":
        target = os.path.join(dest, src.name)
    written: list[str] = []
    if src.kind == "dir":
        items = list(list_dir(fs, src.path, recursive=True))
        _make_dir(target, force)
        for entry in items:
            rel = entry.path[len(src.path):].lstrip("/") if src.path != "/" else entry.path.lstrip("/")
            out = _inside(target, rel)
            if entry.kind == "dir":
                _make_dir(out, force)
            elif entry.kind == "file":
                _copy_file(fs, part, entry, out, force)
                written.append(out)
        for entry in reversed(items):  # folders' times last: writing files into them changed them
            if entry.kind == "dir":
                out = _inside(target, entry.path[len(src.path):].lstrip("/") if src.path != "/" else entry.path.lstrip("/"))
                os.utime(out, (entry.mtime, entry.mtime))
        return written
    if src.kind != "file":
        raise RefusedError(f"{src.path} is a {src.kind}, not a file or folder")
    _copy_file(fs, part, src, target, force)
    return [target]


def _inside(root: str, rel: str) -> str:
    out = os.path.normpath(os.path.join(root, rel))
    if os.path.commonpath([os.path.abspath(root), os.path.abspath(out)]) != os.path.abspath(root):
        raise RefusedError(f"refusing {rel!r}: it would be written outside {root}")
    return out


def _make_dir(path: str, force: bool) -> None:
    if os.path.exists(path) and not os.path.isdir(path):
        raise RefusedError(f"{path} exists and is not a folder")
    os.makedirs(path, exist_ok=True)


def _copy_file(fs, part: ImagePartition, entry: Entry, out: str, force: bool) -> None:
    if os.path.lexists(out) and not force:
        raise RefusedError(f"{out} already exists", "pass --force to overwrite it")
    try:
        handle = fs.open(entry.path)
    except (IOError, OSError):
        raise SmartImageError(f"cannot open {entry.path} in the image") from None
    tmp = out + ".smartimage-partial"
    part.damage = None
    try:
        with open(tmp, "wb") as f:
            for piece in tsk.read_content(handle, entry.size):
                f.write(piece)
        os.replace(tmp, out)
    except (IOError, OSError, RuntimeError) as exc:  # pytsk3 wraps our reader's errors in its own
        if part.damage:
            raise ImageDamagedError(f"cannot extract {entry.path}: {part.damage}") from None
        raise SmartImageError(f"cannot extract {entry.path}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    os.utime(out, (entry.mtime, entry.mtime))
