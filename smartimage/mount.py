"""`smartimage mount`: a read-only FUSE folder showing a partition of an image, served by The
Sleuth Kit over the image reader — any program can browse it.  The one place mfusepy is imported.

FUSE runs single-threaded: TSK handles are not thread-safe.
"""

from __future__ import annotations

import errno
import stat

import mfusepy

from .browse import ImagePartition, open_filesystem, stat_path
from .errors import SmartImageError
from .filesystems import tsk


class ImageFS(mfusepy.Operations):
    """Read-only view of one imaged filesystem."""

    use_ns = False

    def __init__(self, part: ImagePartition):
        self.part = part
        self.fs = open_filesystem(part)
        self._handles: dict[int, object] = {}
        self._next = 1

    def _entry(self, path: str):
        try:
            return stat_path(self.fs, path)
        except SmartImageError:
            raise mfusepy.FuseOSError(errno.ENOENT) from None

    def getattr(self, path, fh=None):
        e = self._entry(path)
        if e.kind == "dir":
            mode, nlink = stat.S_IFDIR | 0o555, 2
        elif e.kind == "file":
            mode, nlink = stat.S_IFREG | 0o444, 1
        else:
            mode, nlink = stat.S_IFREG | 0o000, 1
        return {"st_mode": mode, "st_nlink": nlink, "st_size": e.size if e.kind == "file" else 0,
                "st_mtime": e.mtime, "st_atime": e.mtime, "st_ctime": e.mtime, "st_uid": 0, "st_gid": 0}

    def readdir(self, path, fh):
        names = [".", ".."]
        for entry_path, _ in tsk.walk(self.fs, self._entry(path).path, recursive=False, limit=10_000_000):
            names.append(entry_path.rsplit("/", 1)[-1])
        return names

    def open(self, path, flags):
        if flags & 3:  # O_WRONLY / O_RDWR
            raise mfusepy.FuseOSError(errno.EROFS)
        e = self._entry(path)
        if e.kind != "file":
            raise mfusepy.FuseOSError(errno.EISDIR if e.kind == "dir" else errno.EACCES)
        handle = self.fs.open(e.path)
        fh, self._next = self._next, self._next + 1
        self._handles[fh] = (handle, e.size)
        return fh

    def read(self, path, size, offset, fh):
        handle, length = self._handles[fh]
        if offset >= length:
            return b""
        try:
            return handle.read_random(offset, min(size, length - offset))
        except (IOError, OSError, RuntimeError):
            raise mfusepy.FuseOSError(errno.EIO) from None  # a damaged chunk: this file fails, others read

    def release(self, path, fh):
        self._handles.pop(fh, None)
        return 0

    def statfs(self, path):
        return {"f_bsize": 4096, "f_frsize": 4096, "f_blocks": self.part.size // 4096, "f_bfree": 0,
                "f_bavail": 0, "f_namemax": 255}


def serve(part: ImagePartition, mountpoint: str) -> None:
    """Mount and serve until unmounted (umount / fusermount3 -u) or interrupted (Ctrl-C)."""
    ops = ImageFS(part)
    try:
        mfusepy.FUSE(ops, mountpoint, foreground=True, ro=True, nothreads=True, fsname="smartimage",
                     default_permissions=True, allow_other=False)
    except RuntimeError as exc:
        raise SmartImageError(f"cannot mount at {mountpoint}: {exc}", "is it an empty folder? is FUSE available?") from None
