"""GUID partition table: primary and backup headers, both CRCs, entries."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass, field
from typing import Callable

from formats.gpt import ENTRY_SIZE, HEADER_SIZE, SIGNATURE, GptEntry, GptHeader

from ..errors import PartitionTableError
from .model import Partition, TableArea
from .types import gpt_type_name

Reader = Callable[[int, int], bytes]

MAX_ENTRY_SIZE = 4096
MAX_ENTRIES_BYTES = 4 * 1024 * 1024  # the spec minimum is 16 KiB; nobody uses 4 MiB


@dataclass
class GptCopy:
    """One header (primary or backup) with its entry array, or why it is unusable."""

    lba: int
    header: object = None
    header_bytes: bytes = b""
    entries_bytes: bytes = b""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class GptLayout:
    disk_guid: str
    partitions: list[Partition] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    areas: list[TableArea] = field(default_factory=list)


def guid_str(raw: bytes) -> str:
    """A GPT mixed-endian GUID as the usual lower-case string."""
    return str(uuid.UUID(bytes_le=bytes(raw)))


def has_signature(read: Reader, sector_size: int, disk_size: int) -> bool:
    """True when 'EFI PART' sits at LBA 1 or at the last LBA for this sector size."""
    last_lba = disk_size // sector_size - 1
    if last_lba < 2:
        return False
    return read(sector_size, 8) == SIGNATURE or read(last_lba * sector_size, 8) == SIGNATURE


def read_copy(read: Reader, lba: int, sector_size: int, disk_size: int) -> GptCopy:
    """Read and validate the header at ``lba`` and its entries; never raises for bad bytes."""
    copy = GptCopy(lba=lba)
    sector = read(lba * sector_size, sector_size)
    if len(sector) < HEADER_SIZE:
        copy.problem = f"sector {lba} is past the end of the disk"
        return copy
    if sector[:8] != SIGNATURE:
        copy.problem = f"no 'EFI PART' signature at sector {lba}"
        return copy
    hdr = GptHeader.parse(sector)
    copy.header = hdr
    if not HEADER_SIZE <= hdr.header_size <= sector_size:
        copy.problem = f"header size {hdr.header_size} out of range"
        return copy
    copy.header_bytes = sector[: hdr.header_size]
    zeroed = sector[:16] + b"\0\0\0\0" + sector[20 : hdr.header_size]
    if zlib.crc32(zeroed) != hdr.header_crc32:
        copy.problem = f"header CRC mismatch at sector {lba}"
        return copy
    if hdr.current_lba != lba:
        copy.problem = f"header at sector {lba} says it is at sector {hdr.current_lba}"
        return copy
    if hdr.entry_size < ENTRY_SIZE or hdr.entry_size > MAX_ENTRY_SIZE or hdr.entry_size % 8:
        copy.problem = f"entry size {hdr.entry_size} out of range"
        return copy
    total = hdr.entry_count * hdr.entry_size
    if total > MAX_ENTRIES_BYTES:
        copy.problem = f"{hdr.entry_count} entries of {hdr.entry_size} bytes is beyond any real table"
        return copy
    start = hdr.entries_lba * sector_size
    if hdr.entries_lba < 2 or start + total > disk_size:
        copy.problem = f"entry array at sector {hdr.entries_lba} lies outside the disk"
        return copy
    entries = read(start, total)
    if zlib.crc32(entries) != hdr.entries_crc32:
        copy.problem = f"entry array CRC mismatch (entries at sector {hdr.entries_lba})"
        return copy
    copy.entries_bytes = entries
    return copy


def read_gpt(read: Reader, sector_size: int, disk_size: int) -> GptLayout:
    """Read the GPT, falling back to the backup when the primary is damaged.

    Raises PartitionTableError when neither copy is usable.
    """
    last_lba = disk_size // sector_size - 1
    primary = read_copy(read, 1, sector_size, disk_size)
    backup_lba = last_lba
    if primary.header is not None and 2 < primary.header.backup_lba <= last_lba:
        backup_lba = primary.header.backup_lba
    backup = read_copy(read, backup_lba, sector_size, disk_size)
    if not backup.ok and backup_lba != last_lba:
        backup = read_copy(read, last_lba, sector_size, disk_size)

    warnings: list[str] = []
    if primary.ok:
        used = primary
        if not backup.ok:
            warnings.append(f"backup GPT damaged or missing ({backup.problem})")
        elif backup.entries_bytes != primary.entries_bytes or backup.header.disk_guid != primary.header.disk_guid:
            warnings.append("primary and backup GPT differ; using the primary")
        if primary.header.backup_lba != last_lba:
            warnings.append(
                f"GPT backup header expected at sector {primary.header.backup_lba}, "
                f"but the disk ends at sector {last_lba} (disk enlarged or truncated?)"
            )
    elif backup.ok:
        used = backup
        warnings.append(f"primary GPT damaged ({primary.problem}), using backup at sector {backup.lba}")
    else:
        raise PartitionTableError(
            f"GPT damaged beyond use: primary: {primary.problem}; backup: {backup.problem}"
        )

    hdr = used.header
    layout = GptLayout(disk_guid=guid_str(hdr.disk_guid), warnings=warnings)
    for copy, what in ((primary, "primary"), (backup, "backup")):
        if copy.ok:
            layout.areas.append(TableArea(f"GPT {what} header", copy.lba * sector_size, copy.header_bytes))
            layout.areas.append(
                TableArea(f"GPT {what} entries", copy.header.entries_lba * sector_size, copy.entries_bytes)
            )
    _parse_entries(used, sector_size, layout)
    return layout


def _parse_entries(copy: GptCopy, sector_size: int, layout: GptLayout) -> None:
    hdr = copy.header
    for index in range(hdr.entry_count):
        raw = copy.entries_bytes[index * hdr.entry_size : (index + 1) * hdr.entry_size]
        entry = GptEntry.parse(raw[:ENTRY_SIZE])
        if entry.type_guid == b"\0" * 16:
            continue
        number = index + 1
        if entry.first_lba > entry.last_lba:
            layout.warnings.append(f"partition {number} ends before it starts; ignored")
            continue
        if entry.first_lba < hdr.first_usable_lba or entry.last_lba > hdr.last_usable_lba:
            layout.warnings.append(f"partition {number} lies outside the GPT usable area")
        type_guid = guid_str(entry.type_guid)
        layout.partitions.append(
            Partition(
                number=number,
                start=entry.first_lba * sector_size,
                size=(entry.last_lba - entry.first_lba + 1) * sector_size,
                type_id=type_guid,
                type_name=gpt_type_name(type_guid),
                kind="gpt",
                name=bytes(entry.name).decode("utf-16-le", errors="replace").split("\0", 1)[0],
                guid=guid_str(entry.unique_guid),
                attributes=entry.attributes,
                raw_entry=bytes(raw),
            )
        )
    ordered = sorted(layout.partitions, key=lambda p: p.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            layout.warnings.append(f"partition {a.number} overlaps partition {b.number}")
