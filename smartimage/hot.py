"""Hot or cold imaging: is a filesystem of the source mounted read-write, and freezing it.

Cold imaging (from rescue media, the source not in use) is the reliable way: a filesystem
that is written while it is read gives an image that may not mount.  By default a source
with a read-write mount is refused; `--hot freeze` freezes those filesystems (FIFREEZE)
for the capture and always thaws them; `--hot allow` proceeds and records it.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

from .disks import SourceMount, mounts_on_source
from .errors import RefusedError

FIFREEZE = 0xC0045877
FITHAW = 0xC0045878
FUSE_TYPES = ("fuse", "fuseblk")
HOT_CHOICES = ("freeze", "allow")


def mounts_in(path: str, ranges: list[tuple[int, int]]) -> list[SourceMount]:
    """Mounts of filesystems that overlap any (start, size) byte range of the source."""
    result = []
    for m in mounts_on_source(path):
        if any(m.start < start + size and start < m.start + m.size for start, size in ranges):
            result.append(m)
    return result


def describe(m: SourceMount) -> str:
    how = "read-write" if m.mount.read_write else "read-only"
    return f"{m.mount.source} ({m.mount.fstype}) is mounted {how} at {m.mount.mountpoint}"


def refuse_hot(rw: list[SourceMount]) -> None:
    first = rw[0]
    more = f" and {len(rw) - 1} more" if len(rw) > 1 else ""
    raise RefusedError(
        f"the source is in use: {describe(first)}{more}; an image taken while it is written may not mount",
        f"image it cold: unmount it (umount {first.mount.mountpoint}) or boot rescue media; "
        "or use --hot freeze (ext4, xfs, btrfs) or --hot allow")


@contextmanager
def frozen(rw: list[SourceMount]):
    """Freeze every read-write mount for the duration; thaw them all on the way out, whatever
    happens (errors, Ctrl-C, SIGTERM).  Refuses FUSE filesystems, which cannot be frozen."""
    for m in rw:
        if m.mount.fstype in FUSE_TYPES or m.mount.fstype.startswith("fuse."):
            raise RefusedError(f"cannot freeze {describe(m)}: FUSE filesystems (ntfs-3g, exfat-fuse) do not support "
                               "freezing", f"unmount it (umount {m.mount.mountpoint}) or use --hot allow")
    done: list[int] = []
    try:
        for m in rw:
            fd = os.open(m.mount.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.ioctl(fd, FIFREEZE, 0)
            except OSError as exc:
                os.close(fd)
                raise RefusedError(f"cannot freeze {describe(m)}: {exc.strerror}",
                                   f"unmount it (umount {m.mount.mountpoint}) or use --hot allow") from None
            done.append(fd)
        yield
    finally:
        for fd in reversed(done):
            try:
                fcntl.ioctl(fd, FITHAW, 0)
            finally:
                os.close(fd)
