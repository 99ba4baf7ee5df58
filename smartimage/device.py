"""Open a source or target: a block device or a regular file, read by byte offset.

Sizes and offsets are in bytes everywhere.  ``Source`` is the one place that
turns a path into readable bytes, so partition-table parsers and filesystem
readers never touch file descriptors themselves.
"""

from __future__ import annotations

import fcntl
import os
import stat
import struct

from .errors import ReadError, SourceError

_BLKGETSIZE64 = 0x80081272
_BLKSSZGET = 0x1268


class Source:
    """A read-only view of a disk or disk-image file.

    ``sector_size`` is the logical sector size the kernel reports for a block
    device, or None for a regular file (the partition-table reader then probes).
    Raises SourceError when the path cannot be opened or is not a disk or file.
    """

    def __init__(self, path: str):
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise SourceError(f"{path}: no such file or device") from None
        except PermissionError:
            raise SourceError(f"{path}: permission denied", "run as root to read disks") from None
        except OSError as exc:
            raise SourceError(f"{path}: cannot open: {exc.strerror}") from None
        mode = os.fstat(self._fd).st_mode
        self.is_block_device = stat.S_ISBLK(mode)
        if self.is_block_device:
            self.size, self.sector_size = block_device_geometry(self._fd)
        elif stat.S_ISREG(mode):
            self.size = os.fstat(self._fd).st_size
            self.sector_size = None
        else:
            os.close(self._fd)
            if stat.S_ISDIR(mode):
                raise SourceError(f"{path}: is a directory, expected a disk or an image file")
            raise SourceError(f"{path}: not a block device or a regular file")

    def read(self, offset: int, length: int) -> bytes:
        """Read up to ``length`` bytes at byte ``offset``; short only at the end of the source."""
        if offset < 0 or length < 0:
            raise SourceError(f"{self.path}: read at invalid offset {offset} length {length}")
        if offset >= self.size or length == 0:
            return b""
        length = min(length, self.size - offset)
        chunks = []
        while length:
            try:
                data = os.pread(self._fd, length, offset)
            except OSError as exc:
                raise SourceError(
                    f"{self.path}: read error at byte {offset} ({length} bytes): {exc.strerror}"
                ) from None
            if not data:
                break
            chunks.append(data)
            offset += len(data)
            length -= len(data)
        return b"".join(chunks)

    def read_into(self, view: memoryview, offset: int) -> None:
        """Fill ``view`` with the bytes at ``offset`` (os.preadv into the caller's buffer).
        Raises ReadError naming the range on an I/O error or when the source ends early."""
        done = 0
        while done < len(view):
            try:
                got = os.preadv(self._fd, [view[done:]], offset + done)
            except OSError as exc:
                raise ReadError(f"{self.path}: read error at byte {offset + done} "
                                f"({len(view) - done} bytes): {exc.strerror}", offset + done, len(view) - done,
                                "the disk may have bad sectors: --rescue images around them") from None
            if got == 0:
                raise ReadError(f"{self.path}: ends at byte {offset + done}, expected data up to {offset + len(view)}"
                                " (the source shrank or vanished)", offset + done, len(view) - done)
            done += got

    def same_file(self, path: str) -> bool:
        """True when ``path`` names this very source (so writing it would destroy the source)."""
        return same_file(self._fd, path)

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def same_file(fd: int, path: str) -> bool:
    """True when ``path`` names the device or file open as ``fd``."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    if stat.S_ISBLK(mine.st_mode):
        return stat.S_ISBLK(st.st_mode) and st.st_rdev == mine.st_rdev
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def block_device_geometry(fd: int) -> tuple[int, int]:
    """(size in bytes, logical sector size) of an open block device."""
    return _ioctl_u64(fd, _BLKGETSIZE64), _ioctl_u32(fd, _BLKSSZGET)


def _ioctl_u64(fd: int, request: int) -> int:
    return struct.unpack("Q", fcntl.ioctl(fd, request, b"\0" * 8))[0]


def _ioctl_u32(fd: int, request: int) -> int:
    return struct.unpack("I", fcntl.ioctl(fd, request, b"\0" * 4))[0]


def window(read, start: int, size: int):
    """A reader over ``size`` bytes from byte ``start`` of ``read``: offsets relative, never past the end."""

    def read_window(offset: int, length: int) -> bytes:
        if offset < 0 or offset >= size:
            return b""
        return read(start + offset, min(length, size - offset))

    return read_window


def partition_window(read, start: int, size: int, disk_size: int):
    """(reader, size) of a partition, cut at the end of the disk when the table says it runs past it."""
    size = max(0, min(size, disk_size - start))
    return window(read, start, size), size
