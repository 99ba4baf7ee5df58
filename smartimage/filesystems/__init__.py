"""Filesystem families: detection by signature (one module per family)."""

from __future__ import annotations

from . import exfat, ext, fat, ntfs, signatures, swap
from .model import FilesystemInfo, Reader

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


__all__ = ["DETECTORS", "FilesystemInfo", "Reader", "detect_filesystem"]
