"""Partition tables → a Disk value: GPT, MBR (with its logical chain) or none (superfloppy)."""

from __future__ import annotations

from typing import Callable

from ..device import window
from ..errors import PartitionTableError, UsageError
from ..filesystems import detect_filesystem, fat
from .gpt import has_signature, read_gpt
from .mbr import PROTECTIVE_TYPE, parse_sector, read_mbr
from .model import Disk, Partition, TableArea

Reader = Callable[[int, int], bytes]

SECTOR_SIZES = (512, 4096)
_PROBE_BYTES = 1024 * 1024


def read_disk(read: Reader, disk_size: int, sector_size: int | None = None) -> Disk:
    """The partition layout of a disk ``disk_size`` bytes long.

    ``sector_size`` is the logical sector size when known (a block device tells);
    for an image file it is None and GPT signatures / filesystem boot sectors
    decide between 512 and 4096.  Raises PartitionTableError for damaged tables
    and for bytes that hold neither a table nor a filesystem.
    """
    if sector_size is not None and sector_size not in SECTOR_SIZES:
        raise UsageError(f"sector size {sector_size} is not supported (expected 512 or 4096)")
    if disk_size < 512:
        raise PartitionTableError(f"only {disk_size} bytes: too small to hold a partition table or filesystem")
    candidates = (sector_size,) if sector_size else SECTOR_SIZES

    stale_gpt = None
    for size in candidates:
        if has_signature(read, size, disk_size):
            if not _plain_mbr(read(0, 512)):
                return _gpt_disk(read, disk_size, size)
            # UEFI: a GPT needs a protective MBR; sector 0 holds a real MBR, so the GPT
            # signature is a leftover (fdisk and libblkid read such a disk as MBR too)
            stale_gpt = "a GPT signature is left over from an earlier table; ignored (sector 0 holds an MBR)"

    if _boot_sector_filesystem(read(0, 512)):
        return _whole_disk(disk_size, sector_size or 512)

    layouts, failures = [], []
    for size in candidates:
        try:
            layout = read_mbr(read, size, disk_size)
        except PartitionTableError as exc:  # e.g. an EBR chain that only makes sense at the other size
            failures.append(exc)
            continue
        if layout is not None:
            layouts.append((size, layout))
    if failures and not layouts:
        raise failures[0]
    if layouts:
        size, layout = max(layouts, key=lambda item: _plausibility(read, item[1], disk_size))
        if layout.protective:
            raise PartitionTableError("protective MBR found (the disk is GPT) but no GPT header at sector 1 or at the end")
        return Disk(
            table="mbr",
            sector_size=size,
            size=disk_size,
            partitions=tuple(layout.partitions),
            disk_signature=layout.disk_signature,
            warnings=tuple(layout.warnings + ([stale_gpt] if stale_gpt else [])),
            table_areas=tuple(layout.areas),
        )

    if detect_filesystem(read, disk_size) is not None:
        return _whole_disk(disk_size, sector_size or 512)
    if not any(read(0, _PROBE_BYTES)):
        return Disk(table="none", sector_size=sector_size or 512, size=disk_size, partitions=(),
                    warnings=("empty disk: no partition table and no filesystem (the first MiB is zeros)",))
    raise PartitionTableError("no partition table or filesystem found (expected an MBR, a GPT or a known filesystem)")


def _plain_mbr(sector0: bytes) -> bool:
    """Sector 0 is an MBR listing partitions and no GPT protective (0xEE) entry."""
    mbr = parse_sector(sector0)
    if mbr is None:
        return False
    used = [e for e in mbr.partitions if e.type and e.sector_count]
    return bool(used) and not any(e.type == PROTECTIVE_TYPE for e in used)


def _boot_sector_filesystem(sector0: bytes) -> bool:
    """A FAT/NTFS/exFAT boot sector at sector 0 also ends in 0x55AA: that is a superfloppy, not an MBR."""
    return sector0[3:11] in (b"NTFS    ", b"EXFAT   ", b"-FVE-FS-") or fat.geometry(sector0) is not None


def _plausibility(read: Reader, layout, disk_size: int) -> tuple[int, int]:
    """Rank a sector-size reading of an MBR: partitions that fit the disk and start with a filesystem."""
    fits = sum(1 for p in layout.partitions if p.end <= disk_size)
    found = 0
    for part in layout.partitions:
        if part.is_container or part.end > disk_size:
            continue
        if detect_filesystem(window(read, part.start, part.size), part.size) is not None:
            found += 1
    return fits, found


def _gpt_disk(read: Reader, disk_size: int, sector_size: int) -> Disk:
    warnings = []
    mbr_layout = read_mbr(read, sector_size, disk_size)
    areas: list[TableArea] = []
    if mbr_layout is None:
        warnings.append("GPT without a protective MBR (sector 0 is not an MBR)")
    else:
        areas.extend(mbr_layout.areas)
        if mbr_layout.hybrid:
            warnings.append("hybrid MBR: sector 0 also lists partitions besides the GPT protective entry")
        elif not mbr_layout.protective:
            warnings.append("GPT found, but sector 0 holds an MBR without a protective entry")
    layout = read_gpt(read, sector_size, disk_size)
    return Disk(
        table="gpt",
        sector_size=sector_size,
        size=disk_size,
        partitions=tuple(sorted(layout.partitions, key=lambda p: p.number)),
        disk_guid=layout.disk_guid,
        disk_signature=mbr_layout.disk_signature if mbr_layout else None,
        warnings=tuple(warnings + layout.warnings),
        table_areas=tuple(areas + layout.areas),
    )


def _whole_disk(disk_size: int, sector_size: int) -> Disk:
    part = Partition(
        number=1,
        start=0,
        size=disk_size,
        type_id="",
        type_name="whole disk",
        kind="whole-disk",
    )
    return Disk(table="none", sector_size=sector_size, size=disk_size, partitions=(part,))


__all__ = ["Disk", "Partition", "TableArea", "read_disk"]
