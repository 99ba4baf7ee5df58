"""NTFS: detection from the boot sector."""

from __future__ import annotations

from formats.ntfs import OEM_ID, NtfsBootSector

from .model import FilesystemInfo, Reader, is_power_of_two
from . import tsk


def cluster_size(boot) -> int | None:
    """Bytes per cluster from a parsed boot sector, or None if the fields are impossible."""
    if boot.bytes_per_sector not in (512, 1024, 2048, 4096):
        return None
    spc = boot.sectors_per_cluster
    if spc > 0x80:
        shift = 256 - spc
        if shift > 12:  # 2 MiB clusters is the most Windows makes
            return None
        spc = 1 << shift
    if not is_power_of_two(spc):
        return None
    return spc * boot.bytes_per_sector


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    data = read(0, 512)
    if len(data) < 512 or data[3:11] != OEM_ID:
        return None
    boot = NtfsBootSector.parse(data)
    csize = cluster_size(boot)
    if csize is None or boot.total_sectors == 0:
        return None
    return FilesystemInfo(
        fs_type="ntfs",
        label=tsk.ntfs_volume_label(read, size),
        uuid=f"{boot.serial:016X}",
        block_size=csize,
        size=boot.total_sectors * boot.bytes_per_sector,
    )
