"""MBR partition table with the extended/logical (EBR) chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from construct import ConstructError

from formats.mbr import BOOT_SIGNATURE, MBR_SIZE, Mbr
from formats.mbr import MbrPartitionEntry

from ..errors import PartitionTableError
from .model import Partition, TableArea
from .types import EXTENDED_MBR_TYPES, mbr_type_name

Reader = Callable[[int, int], bytes]

PROTECTIVE_TYPE = 0xEE
MAX_LOGICAL_PARTITIONS = 128  # more than any real disk has: a longer chain is damage


@dataclass
class MbrLayout:
    disk_signature: int
    partitions: list[Partition] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    areas: list[TableArea] = field(default_factory=list)
    protective: bool = False  # holds a 0xEE entry: the disk is GPT
    hybrid: bool = False  # 0xEE entry plus other primary entries


def parse_sector(data: bytes):
    """Parse a 512-byte MBR/EBR sector, or return None when it is not one.

    Not one: short, no 0x55AA signature, or a status byte other than 0x00/0x80
    (a filesystem boot sector at sector 0 usually fails that).
    """
    if len(data) < MBR_SIZE:
        return None
    mbr = Mbr.parse(data[:MBR_SIZE])
    if mbr.boot_signature != BOOT_SIGNATURE:
        return None
    if any(entry.status not in (0x00, 0x80) for entry in mbr.partitions):
        return None
    return mbr


def _is_empty(entry) -> bool:
    return entry.type == 0 or entry.sector_count == 0


def read_mbr(read: Reader, sector_size: int, disk_size: int) -> MbrLayout | None:
    """Read sector 0 and any EBR chain; None when sector 0 holds no MBR.

    Raises PartitionTableError for a chain that loops, is absurdly long or leaves
    its extended partition.
    """
    sector0 = read(0, sector_size)
    mbr = parse_sector(sector0)
    if mbr is None:
        return None
    layout = MbrLayout(disk_signature=mbr.disk_signature)
    layout.areas.append(TableArea("MBR", 0, sector0))
    entries = list(mbr.partitions)
    layout.protective = any(e.type == PROTECTIVE_TYPE for e in entries if not _is_empty(e))
    if layout.protective:
        layout.hybrid = any(e.type != PROTECTIVE_TYPE for e in entries if not _is_empty(e))
        return layout

    extended = None
    for slot, entry in enumerate(entries):
        if _is_empty(entry):
            continue
        is_extended = entry.type in EXTENDED_MBR_TYPES
        part = _partition(slot + 1, entry, entry.lba_start, sector_size, "extended" if is_extended else "primary")
        layout.partitions.append(part)
        if is_extended:
            if extended is not None:
                layout.warnings.append(f"more than one extended partition; only partition {extended.number}'s chain is read")
            else:
                extended = part
    if extended is not None:
        _read_logical_chain(read, sector_size, extended, layout)
    _check_bounds(layout, disk_size)
    return layout


def _partition(number: int, entry, start_lba: int, sector_size: int, kind: str) -> Partition:
    return Partition(
        number=number,
        start=start_lba * sector_size,
        size=entry.sector_count * sector_size,
        type_id=f"0x{entry.type:02x}",
        type_name=mbr_type_name(entry.type),
        kind=kind,
        bootable=entry.status == 0x80,
        raw_entry=MbrPartitionEntry.build(entry),
    )


def _read_logical_chain(read: Reader, sector_size: int, extended: Partition, layout: MbrLayout) -> None:
    ext_start = extended.start // sector_size
    ext_end = extended.end // sector_size
    ebr_lba = ext_start
    seen: set[int] = set()
    number = 5
    while True:
        if ebr_lba in seen:
            raise PartitionTableError(f"extended partition {extended.number}: the EBR chain loops back to sector {ebr_lba}")
        if len(seen) >= MAX_LOGICAL_PARTITIONS:
            raise PartitionTableError(
                f"extended partition {extended.number}: more than {MAX_LOGICAL_PARTITIONS} EBRs in the chain"
            )
        if not ext_start <= ebr_lba < ext_end:
            raise PartitionTableError(
                f"extended partition {extended.number}: EBR at sector {ebr_lba} lies outside it "
                f"(sectors {ext_start}-{ext_end - 1})"
            )
        seen.add(ebr_lba)
        data = read(ebr_lba * sector_size, sector_size)
        try:
            ebr = Mbr.parse(data[:MBR_SIZE]) if len(data) >= MBR_SIZE else None
        except ConstructError:
            ebr = None
        if ebr is None or ebr.boot_signature != BOOT_SIGNATURE:
            raise PartitionTableError(f"EBR at sector {ebr_lba}: no 0x55AA signature (damaged logical partition chain)")
        layout.areas.append(TableArea(f"EBR at sector {ebr_lba}", ebr_lba * sector_size, data))
        logical, link = ebr.partitions[0], ebr.partitions[1]
        if not _is_empty(logical):
            part = _partition(number, logical, ebr_lba + logical.lba_start, sector_size, "logical")
            if part.start < extended.start or part.end > extended.end:
                layout.warnings.append(f"logical partition {number} extends outside extended partition {extended.number}")
            layout.partitions.append(part)
            number += 1
        if _is_empty(link):
            return
        ebr_lba = ext_start + link.lba_start


def _check_bounds(layout: MbrLayout, disk_size: int) -> None:
    parts = [p for p in layout.partitions if not p.is_container]
    for part in layout.partitions:
        if part.end > disk_size:
            layout.warnings.append(
                f"partition {part.number} ends at byte {part.end}, past the end of the disk ({disk_size} bytes)"
            )
    ordered = sorted(parts, key=lambda p: p.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            layout.warnings.append(f"partition {a.number} overlaps partition {b.number}")
