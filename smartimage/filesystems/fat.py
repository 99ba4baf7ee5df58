"""FAT12/16/32: geometry from the boot sector, as the Microsoft specification derives it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formats.fat import ATTR_LONG_NAME, ATTR_VOLUME_ID, DirectoryEntry, Fat16BootSector, Fat32BootSector

from ..errors import FilesystemError
from ..extent import ExtentMap, runs_from_bitmap
from .model import AllocationMap, FilesystemInfo, Reader, check_fits, fixed_str, is_power_of_two

FAT12_MAX_CLUSTERS = 4084
FAT16_MAX_CLUSTERS = 65524
_NO_NAME = "NO NAME"
_MAX_ROOT_SCAN = 64 * 1024


@dataclass(frozen=True)
class FatGeometry:
    """Byte offsets and sizes of a FAT volume's regions, relative to its start."""

    fs_type: str
    sector_size: int
    cluster_size: int
    fat_offset: int
    fat_size: int  # bytes of one FAT
    fat_count: int
    root_dir_offset: int  # FAT12/16 fixed root directory; for FAT32 the root cluster's offset
    root_dir_size: int  # FAT12/16 only; 0 on FAT32
    data_offset: int  # cluster 2 starts here
    cluster_count: int
    total_size: int
    boot: object


def geometry(data: bytes) -> FatGeometry | None:
    """FAT geometry from a 512-byte boot sector, or None when it is not a plausible FAT boot sector."""
    if len(data) < 512 or data[0] not in (0xEB, 0xE9) or data[510:512] != b"\x55\xaa":
        return None
    boot = Fat16BootSector.parse(data)
    bps, spc = boot.bytes_per_sector, boot.sectors_per_cluster
    if bps not in (512, 1024, 2048, 4096) or not is_power_of_two(spc) or spc > 128:
        return None
    if boot.reserved_sectors == 0 or boot.fat_count not in (1, 2, 3, 4) or (boot.media < 0xF0 and boot.media != 0):
        return None
    if boot.fat_size_16 == 0:
        boot = Fat32BootSector.parse(data)
        fat_sectors = boot.fat_size_32
    else:
        fat_sectors = boot.fat_size_16
    total_sectors = boot.total_sectors_16 or boot.total_sectors_32
    root_dir_sectors = (boot.root_entries * 32 + bps - 1) // bps
    first_data = boot.reserved_sectors + boot.fat_count * fat_sectors + root_dir_sectors
    if fat_sectors == 0 or total_sectors <= first_data:
        return None
    clusters = (total_sectors - first_data) // spc
    if boot.fat_size_16 == 0:
        fs_type = "fat32"
    elif clusters <= FAT12_MAX_CLUSTERS:
        fs_type = "fat12"
    else:
        fs_type = "fat16"
    fat_offset = boot.reserved_sectors * bps
    root_offset = fat_offset + boot.fat_count * fat_sectors * bps
    data_offset = first_data * bps
    if fs_type == "fat32":
        root_offset = data_offset + (boot.root_cluster - 2) * spc * bps
    return FatGeometry(
        fs_type=fs_type,
        sector_size=bps,
        cluster_size=spc * bps,
        fat_offset=fat_offset,
        fat_size=fat_sectors * bps,
        fat_count=boot.fat_count,
        root_dir_offset=root_offset,
        root_dir_size=root_dir_sectors * bps,
        data_offset=data_offset,
        cluster_count=clusters,
        total_size=total_sectors * bps,
        boot=boot,
    )


def _root_dir_label(read: Reader, geo: FatGeometry) -> str | None:
    length = geo.root_dir_size if geo.fs_type != "fat32" else geo.cluster_size
    raw = read(geo.root_dir_offset, min(length, _MAX_ROOT_SCAN))
    for pos in range(0, len(raw) - 31, 32):
        entry = DirectoryEntry.parse(raw[pos : pos + 32])
        first = entry.name[0]
        if first == 0:
            break
        if first == 0xE5 or entry.attributes == ATTR_LONG_NAME:
            continue
        if entry.attributes & ATTR_VOLUME_ID and not entry.attributes & 0x10:
            return fixed_str(entry.name, "cp850")
    return None


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    geo = geometry(read(0, 512))
    if geo is None:
        return None
    boot = geo.boot
    label = _root_dir_label(read, geo)
    if label is None and boot.boot_signature == 0x29:
        label = fixed_str(boot.volume_label, "cp850")
    if label == _NO_NAME:
        label = ""
    uuid = f"{boot.volume_id >> 16:04X}-{boot.volume_id & 0xFFFF:04X}" if boot.boot_signature == 0x29 else ""
    return FilesystemInfo(
        fs_type=geo.fs_type,
        label=label or "",
        uuid=uuid,
        block_size=geo.cluster_size,
        size=geo.total_size,
    )


_BAD_CLUSTER = {"fat12": 0xFF7, "fat16": 0xFFF7, "fat32": 0x0FFFFFF7}


def fat_entries(fat: bytes, fs_type: str, count: int) -> np.ndarray:
    """The first ``count`` entries of a FAT as a uint32 array (12/16/28-bit values)."""
    raw = np.frombuffer(fat, dtype=np.uint8)
    if fs_type == "fat12":
        triples = raw[: (count + 1) // 2 * 3]
        triples = np.pad(triples, (0, (-len(triples)) % 3)).reshape(-1, 3).astype(np.uint32)
        even = triples[:, 0] | ((triples[:, 1] & 0x0F) << 8)
        odd = (triples[:, 1] >> 4) | (triples[:, 2] << 4)
        return np.column_stack([even, odd]).reshape(-1)[:count]
    if fs_type == "fat16":
        return np.frombuffer(raw[: count * 2].tobytes(), dtype="<u2").astype(np.uint32)
    return np.frombuffer(raw[: count * 4].tobytes(), dtype="<u4") & 0x0FFFFFFF


def allocation(read: Reader, size: int) -> AllocationMap:
    """Reserved sectors, every FAT copy and the FAT12/16 root directory (always), plus every
    cluster whose entry in the first FAT is non-zero, plus the sectors past the last whole
    cluster.  Bad-cluster marks count as used."""
    geo = geometry(read(0, 512))
    check_fits(geo.fs_type, geo.total_size, size)
    entry_count = geo.cluster_count + 2
    fat = read(geo.fat_offset, geo.fat_size)
    needed = {"fat12": (entry_count * 3 + 1) // 2, "fat16": entry_count * 2, "fat32": entry_count * 4}[geo.fs_type]
    if len(fat) < needed:
        raise FilesystemError(
            f"{geo.fs_type.upper()}: the FAT holds {len(fat)} bytes, {needed} needed for {geo.cluster_count} clusters"
        )
    entries = fat_entries(fat, geo.fs_type, entry_count)[2:]
    bits = np.packbits(entries != 0, bitorder="little")
    used = runs_from_bitmap(bits, geo.cluster_size, bit_count=geo.cluster_count, base=geo.data_offset)
    # the sectors after the last whole cluster belong to no cluster; kept like partclone keeps them
    tail = geo.data_offset + geo.cluster_count * geo.cluster_size
    used = used.union(ExtentMap.of([(0, geo.data_offset), (tail, geo.total_size - tail)])).clip(0, size)
    notes = []
    bad = int(np.count_nonzero(entries == _BAD_CLUSTER[geo.fs_type]))
    if bad:
        notes.append(f"{bad} cluster(s) marked bad in the FAT: kept, but their content may be unreadable")
    return AllocationMap(fs_type=geo.fs_type, block_size=geo.cluster_size, used=used,
                         method="FAT", source="first FAT + reserved area, FATs, root directory", notes=tuple(notes))
