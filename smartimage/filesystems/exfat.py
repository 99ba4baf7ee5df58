"""exFAT: detection from the main boot sector, label from the root directory."""

from __future__ import annotations

from formats.exfat import ENTRY_SIZE, ENTRY_VOLUME_LABEL, FS_NAME, ExfatBootSector, VolumeLabelEntry

from ..errors import FilesystemError
from ..extent import ExtentMap, runs_from_bitmap
from . import tsk
from .model import AllocationMap, FilesystemInfo, Reader, check_fits

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


def allocation(read: Reader, size: int) -> AllocationMap:
    """Everything before the cluster heap (main and backup boot regions, FAT), plus every cluster
    set in the allocation bitmap (TSK's /$ALLOC_BITMAP; bit i is cluster i + 2).  The bitmap itself,
    the up-case table and the root directory are clusters the bitmap marks."""
    boot = parse_boot(read(0, 512))
    sector = 1 << boot.bytes_per_sector_shift
    cluster = sector << boot.sectors_per_cluster_shift
    heap = boot.cluster_heap_offset * sector
    check_fits("exfat", max(boot.volume_length * sector, heap + boot.cluster_count * cluster), size)
    fs = tsk.open_filesystem(read, size)
    if fs is None:
        raise FilesystemError("exFAT: The Sleuth Kit cannot open the volume to read its allocation bitmap")
    bitmap = tsk.read_file(fs, path="/$ALLOC_BITMAP", limit=(boot.cluster_count + 7) // 8)
    if bitmap is None or len(bitmap) * 8 < boot.cluster_count:
        raise FilesystemError(
            f"exFAT: allocation bitmap holds {len(bitmap or b'') * 8} bits, expected {boot.cluster_count}"
        )
    used = runs_from_bitmap(bitmap, cluster, bit_count=boot.cluster_count, base=heap)
    used = used.union(ExtentMap.of([(0, heap)])).clip(0, size)
    notes = []
    if boot.volume_flags & 0x0002:
        notes.append("exFAT volume is marked dirty: it was not unmounted cleanly (run fsck.exfat)")
    return AllocationMap(fs_type="exfat", block_size=cluster, used=used,
                         method="bitmap", source="exFAT allocation bitmap (via The Sleuth Kit) + boot region and FAT",
                         notes=tuple(notes))
