"""exFAT: detection from the main boot sector, label from the root directory."""

from __future__ import annotations

from formats.exfat import ENTRY_SIZE, ENTRY_VOLUME_LABEL, FS_NAME, ExfatBootSector, VolumeLabelEntry

from .model import FilesystemInfo, Reader

_MAX_ROOT_SCAN = 64 * 1024


def parse_boot(data: bytes):
    """The parsed boot sector, or None when it is not a plausible exFAT boot sector."""
    if len(data) < 512 or data[3:11] != FS_NAME:
        return None
    boot = ExfatBootSector.parse(data)
    if not 9 <= boot.bytes_per_sector_shift <= 12 or boot.bytes_per_sector_shift + boot.sectors_per_cluster_shift > 25:
        return None
    if boot.cluster_count == 0 or boot.root_cluster < 2:
        return None
    return boot


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    boot = parse_boot(read(0, 512))
    if boot is None:
        return None
    sector = 1 << boot.bytes_per_sector_shift
    cluster = sector << boot.sectors_per_cluster_shift
    root = boot.cluster_heap_offset * sector + (boot.root_cluster - 2) * cluster
    raw = read(root, min(cluster, _MAX_ROOT_SCAN))
    label = ""
    for pos in range(0, len(raw) - ENTRY_SIZE + 1, ENTRY_SIZE):
        if raw[pos] == 0:
            break
        if raw[pos] == ENTRY_VOLUME_LABEL:
            entry = VolumeLabelEntry.parse(raw[pos : pos + ENTRY_SIZE])
            count = min(entry.char_count, 11)
            label = bytes(entry.label[: count * 2]).decode("utf-16-le", errors="replace")
            break
    serial = boot.volume_serial
    return FilesystemInfo(
        fs_type="exfat",
        label=label,
        uuid=f"{serial >> 16:04X}-{serial & 0xFFFF:04X}",
        block_size=cluster,
        size=boot.volume_length * sector,
    )
