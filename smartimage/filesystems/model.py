"""What detection learns about a filesystem, as a frozen value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..extent import ExtentMap

# read(offset, length) relative to the start of the partition; short only at its end
Reader = Callable[[int, int], bytes]


@dataclass(frozen=True)
class FilesystemInfo:
    """A detected filesystem.  ``fs_type`` is one of: ntfs, fat12, fat16, fat32, exfat,
    ext2, ext3, ext4, swap, xfs, btrfs, hfsplus, luks, bitlocker.
    ``block_size`` (cluster size) and ``size`` are in bytes, None where unknown."""

    fs_type: str
    label: str = ""
    uuid: str = ""
    block_size: int | None = None
    size: int | None = None


def is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def fixed_str(raw: bytes, encoding: str = "utf-8") -> str:
    """Decode a fixed-size, NUL- or space-padded on-disk string."""
    return bytes(raw).split(b"\0", 1)[0].decode(encoding, errors="replace").rstrip(" ")


@dataclass(frozen=True)
class AllocationMap:
    """The bytes of a partition that hold data, relative to the partition start.

    ``method`` names the allocation source in a word or two (for tables), ``source`` says
    it in a sentence; ``raw`` is True
    when the filesystem could not be read and every non-zero block is kept;
    ``notes`` are things the user should know (dirty volume, bad clusters, ...); ``unsafe``
    repeats those that make an image of it unreliable (dirty NTFS, hibernated Windows).
    """

    fs_type: str
    block_size: int
    used: ExtentMap
    method: str
    source: str
    raw: bool = False
    notes: tuple[str, ...] = ()
    unsafe: tuple[str, ...] = ()  # the notes that make imaging it unreliable (backup refuses without --force)

    @property
    def used_bytes(self) -> int:
        return self.used.total()


FIT_SLACK = 1 << 20


def check_fits(fs_type: str, claimed: int, size: int) -> None:
    """A filesystem that claims more bytes than its partition holds is damaged or truncated: its
    metadata cannot be trusted (and walking its claimed size could take minutes)."""
    if claimed > size + FIT_SLACK:
        from ..errors import FilesystemError

        raise FilesystemError(f"{fs_type}: the filesystem claims {claimed} bytes but its partition holds {size} "
                              "(damaged, or the partition was truncated)")
