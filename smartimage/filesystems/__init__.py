"""Filesystem families: detection by signature (one module per family)."""

from __future__ import annotations

from . import exfat, ext, fat, ntfs, signatures, swap
from .model import AllocationMap, FilesystemInfo, Reader
from .raw import raw_allocation

# Order matters: BitLocker and exFAT boot sectors also look like FAT/NTFS ones.
DETECTORS = (
    signatures.detect_bitlocker,
    ntfs.detect,
    exfat.detect,
    fat.detect,
    ext.detect,
    signatures.detect_xfs,
    signatures.detect_btrfs,
    signatures.detect_hfsplus,
    signatures.detect_luks,
    swap.detect,
)


def detect_filesystem(read: Reader, size: int) -> FilesystemInfo | None:
    """The filesystem at offset 0 of ``read`` (a partition ``size`` bytes long), or None."""
    if size < 512:
        return None
    for detector in DETECTORS:
        info = detector(read, size)
        if info is not None:
            return info
    return None


ALLOCATORS = {
    "ntfs": ntfs.allocation,
    "fat12": fat.allocation,
    "fat16": fat.allocation,
    "fat32": fat.allocation,
    "exfat": exfat.allocation,
    "ext2": ext.allocation,
    "ext3": ext.allocation,
    "ext4": ext.allocation,
    "swap": swap.allocation,
}

RAW_REASONS = {
    "bitlocker": "BitLocker-encrypted: its free space cannot be seen, every block is kept",
    "luks": "LUKS-encrypted: its free space cannot be seen, every block is kept",
}


def allocation_map(read: Reader, size: int, fs: FilesystemInfo | None) -> AllocationMap:
    """The used bytes of a partition ``size`` bytes long holding ``fs`` (None: unknown).

    Families without an allocation reader (xfs, btrfs, hfsplus, encrypted, unknown) get a
    raw map: every 64 KiB block that is not all zeros, which reads the whole partition.
    Raises FilesystemError when a supported filesystem's metadata is damaged.
    """
    fs_type = fs.fs_type if fs else None
    allocator = ALLOCATORS.get(fs_type)
    if allocator is not None:
        return allocator(read, size)
    if fs_type is None:  # no filesystem (e.g. Microsoft reserved): the table's "raw copy" says enough
        return raw_allocation(read, size, "unknown")
    why = RAW_REASONS.get(fs_type, f"{fs_type}: allocation not read yet, every non-zero block is kept")
    return raw_allocation(read, size, fs_type or "unknown", why)


def has_allocation_reader(fs: FilesystemInfo | None) -> bool:
    return fs is not None and fs.fs_type in ALLOCATORS


__all__ = ["ALLOCATORS", "AllocationMap", "DETECTORS", "FilesystemInfo", "Reader", "allocation_map",
           "detect_filesystem", "has_allocation_reader"]
