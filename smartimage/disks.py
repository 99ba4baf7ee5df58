"""Which physical disks hold a path or a device, and which filesystems of a source are mounted.

Everything comes from /sys and /proc/self/mountinfo, following partitions to their disk,
loop devices to their backing file (and the disk holding it), device-mapper/LVM and md to
their slaves.  Used for rule #1 (never put an image on the disk it protects) and for hot/cold
imaging (is the source in use?).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

SYS_DEV_BLOCK = "/sys/dev/block"
MOUNTINFO = "/proc/self/mountinfo"
MAX_DEPTH = 16  # loops over loops over dm: bounded


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _sys_path(major: int, minor: int) -> str | None:
    path = f"{SYS_DEV_BLOCK}/{major}:{minor}"
    return os.path.realpath(path) if os.path.exists(path) else None


def disks_of_device(rdev: int, depth: int = 0) -> frozenset[str]:
    """Whole-disk names (e.g. 'sda', 'nvme0n1') under a block device number."""
    if depth > MAX_DEPTH:
        return frozenset()
    sys_path = _sys_path(os.major(rdev), os.minor(rdev))
    if sys_path is None:
        return frozenset()
    if os.path.exists(os.path.join(sys_path, "partition")):
        sys_path = os.path.dirname(sys_path)  # a partition: its disk is the parent
    name = os.path.basename(sys_path)
    backing = _read(os.path.join(sys_path, "loop", "backing_file"))
    if backing is not None:
        return disks_of_path(backing.removesuffix(" (deleted)"), depth + 1)
    slaves_dir = os.path.join(sys_path, "slaves")
    slaves = os.listdir(slaves_dir) if os.path.isdir(slaves_dir) else []
    if slaves:  # device-mapper, LVM, md, ...: the disks under every slave
        found: set[str] = set()
        for slave in slaves:
            dev = _read(os.path.join(slaves_dir, slave, "dev"))
            if dev:
                major, minor = map(int, dev.split(":"))
                found |= disks_of_device(os.makedev(major, minor), depth + 1)
        return frozenset(found)
    return frozenset({name})


def disks_of_path(path: str, depth: int = 0) -> frozenset[str]:
    """Whole-disk names holding a file or directory (for a path that does not exist yet, its
    directory).  Empty for RAM-backed filesystems (tmpfs) and network filesystems."""
    st = os.stat(_existing(path))
    if stat.S_ISBLK(st.st_mode):
        return disks_of_device(st.st_rdev, depth)
    if os.major(st.st_dev) != 0:
        return disks_of_device(st.st_dev, depth)
    source = _mount_source(st.st_dev)
    if source is None:
        return frozenset()
    src = os.stat(source)
    if stat.S_ISBLK(src.st_mode):
        return disks_of_device(src.st_rdev, depth + 1)
    return disks_of_path(source, depth + 1)  # ntfs-3g on a plain file


def _existing(path: str) -> str:
    """``path``, or for one that does not exist yet (an image about to be written) its nearest
    existing parent folder."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe) and probe != "/":
        probe = os.path.dirname(probe)
    return probe


def _mount_source(dev: int) -> str | None:
    """For an anonymous device (btrfs, overlay, FUSE, tmpfs): the block device or file its mount
    names as source, or None when it names none (tmpfs, network)."""
    for mount in read_mounts():
        if mount.dev == dev and mount.source.startswith("/"):
            try:
                src = os.stat(mount.source)
            except OSError:
                continue
            if stat.S_ISBLK(src.st_mode) or stat.S_ISREG(src.st_mode):
                return mount.source
    return None


@dataclass(frozen=True)
class Mount:
    dev: int  # st_dev of files in this mount
    mountpoint: str
    fstype: str
    source: str
    read_write: bool


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field


def read_mounts(path: str = MOUNTINFO) -> list[Mount]:
    mounts = []
    text = _read(path) or ""
    for line in text.splitlines():
        fields = line.split()
        try:
            sep = fields.index("-")
            major, minor = map(int, fields[2].split(":"))
        except ValueError:
            continue
        options = fields[5].split(",")
        mounts.append(Mount(os.makedev(major, minor), _unescape(fields[4]), fields[sep + 1],
                            _unescape(fields[sep + 2]), "rw" in options))
    return mounts


@dataclass(frozen=True)
class SourceMount:
    """A filesystem of the source that is mounted: where on the source (bytes) and how."""

    start: int
    size: int
    mount: Mount


def _device_span(rdev: int) -> tuple[str, int, int] | None:
    """(whole-disk sysfs path or backing file, start, size) that a block device covers."""
    sys_path = _sys_path(os.major(rdev), os.minor(rdev))
    if sys_path is None:
        return None
    size = int(_read(os.path.join(sys_path, "size")) or 0) * 512
    if os.path.exists(os.path.join(sys_path, "partition")):
        start = int(_read(os.path.join(sys_path, "start")) or 0) * 512
        return os.path.dirname(sys_path), start, size
    backing = _read(os.path.join(sys_path, "loop", "backing_file"))
    if backing is not None:
        backing = backing.removesuffix(" (deleted)")
        offset = int(_read(os.path.join(sys_path, "loop", "offset")) or 0)
        try:
            under = os.stat(backing)
        except OSError:
            return "file:" + backing, offset, size
        if stat.S_ISBLK(under.st_mode):  # a loop over a disk or partition: that device's place
            inner = _device_span(under.st_rdev)
            if inner:
                return inner[0], inner[1] + offset, size
        return "file:" + os.path.realpath(backing), offset, size
    return sys_path, 0, size


def _identity(path: str) -> str | None:
    """How _device_span names the thing a source path is: a disk's sysfs path or 'file:PATH'."""
    st = os.stat(path)
    if stat.S_ISBLK(st.st_mode):
        span = _device_span(st.st_rdev)
        return span[0] if span else None
    return "file:" + os.path.realpath(path)


def mounts_on_source(path: str) -> list[SourceMount]:
    """Mounted filesystems that live on the source ``path`` (block device or image file),
    through partitions, loop devices over the source, and FUSE mounts of it."""
    me = _identity(path)
    me_offset = 0
    st = os.stat(path)
    if stat.S_ISBLK(st.st_mode):
        span = _device_span(st.st_rdev)
        me_offset = span[1] if span else 0  # a partition device as source: its own offset
    found = []
    for mount in read_mounts():
        device = None
        if os.major(mount.dev) != 0:
            device = mount.dev
        elif mount.source.startswith("/"):  # FUSE (ntfs-3g, exfat-fuse) names its device or file
            try:
                src = os.stat(mount.source)
            except OSError:
                continue
            if stat.S_ISREG(src.st_mode):
                if "file:" + os.path.realpath(mount.source) == me:
                    found.append(SourceMount(0, src.st_size, mount))
                continue
            if not stat.S_ISBLK(src.st_mode):
                continue
            device = src.st_rdev
        if device is None:
            continue
        span = _device_span(device)
        if span is None:
            continue
        owner, start, size = span
        if owner == me:
            found.append(SourceMount(start - me_offset, size, mount))
    return found


def span_of(path: str) -> tuple[str, int, int] | None:
    """Where a block device or file lies: (disk sysfs path or 'file:PATH', start, size) in bytes."""
    st = os.stat(path)
    if stat.S_ISBLK(st.st_mode):
        return _device_span(st.st_rdev)
    return "file:" + os.path.realpath(path), 0, st.st_size


def span_holding(path: str) -> tuple[str, int, int] | None:
    """Where the filesystem holding ``path`` lies (its device's span), or None (tmpfs, network)."""
    dev = os.stat(_existing(path)).st_dev
    if os.major(dev) != 0:
        return _device_span(dev)
    source = _mount_source(dev)
    return span_of(source) if source else None


def overlaps(a: tuple[str, int, int] | None, b: tuple[str, int, int] | None) -> bool:
    return bool(a and b and a[0] == b[0] and a[1] < b[1] + b[2] and b[1] < a[1] + a[2])


def partition_of(rdev: int) -> tuple[str, int] | None:
    """(disk name, partition number) when a block device is a partition (e.g. sda3 → ('sda', 3))."""
    sys_path = _sys_path(os.major(rdev), os.minor(rdev))
    if sys_path is None:
        return None
    number = _read(os.path.join(sys_path, "partition"))
    if number is None:
        return None
    return os.path.basename(os.path.dirname(sys_path)), int(number)
