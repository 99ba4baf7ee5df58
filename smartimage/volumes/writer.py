"""Build partition-table bytes for a restore: GPT (both copies, both CRCs, GUIDs, names, types
and attributes kept) and MBR with its EBR chain (type bytes, boot flag, disk signature and
boot code kept).  Pure: returns (byte offset, bytes) pairs to write.

libparted 3.5 (pyparted) cannot set GPT type GUIDs, partition GUIDs or MBR type bytes, so
tables are written from the source's own entries with only the geometry changed.
"""

from __future__ import annotations

import zlib

from formats.gpt import ENTRY_SIZE, HEADER_SIZE, GptEntry, GptHeader
from formats.mbr import Mbr

from ..errors import RefusedError
from .model import TableArea

MBR_SIZE = 512


def _area(areas: list[TableArea], what: str) -> TableArea | None:
    return next((a for a in areas if a.what == what), None)


def chs(lba: int) -> bytes:
    """CHS address for 255 heads × 63 sectors, capped at 1023/254/63 as every tool does past 8 GiB."""
    cyl, rem = divmod(lba, 255 * 63)
    if cyl > 1023:
        return bytes([254, 0xFF, 0xFF])
    head, sector = divmod(rem, 63)
    return bytes([head, ((sector + 1) & 0x3F) | ((cyl >> 2) & 0xC0), cyl & 0xFF])


def build_gpt(areas: list[TableArea], geometry: dict[int, tuple[int, int]],
              sector_size: int, target_size: int) -> list[tuple[int, bytes]]:
    """A GPT for a ``target_size`` disk: the source's header fields and entries, each partition's
    first/last LBA from ``geometry`` (number → (start, size) in bytes), the backup at the end,
    and a protective MBR carrying the source's boot code.  Raises RefusedError when the source's
    primary header is unknown."""
    header_area = _area(areas, "GPT primary header") or _area(areas, "GPT backup header")
    entries_area = _area(areas, "GPT primary entries") or _area(areas, "GPT backup entries")
    if header_area is None or entries_area is None:
        raise RefusedError("the image holds no usable GPT header to rebuild the table from")
    src = GptHeader.parse(header_area.data[:HEADER_SIZE])
    raw_entries = bytearray(entries_area.data)
    for number, (start, size) in geometry.items():
        pos = (number - 1) * src.entry_size
        entry = GptEntry.parse(bytes(raw_entries[pos : pos + ENTRY_SIZE]))
        entry.first_lba = start // sector_size
        entry.last_lba = (start + size) // sector_size - 1
        raw_entries[pos : pos + ENTRY_SIZE] = GptEntry.build(entry)
    entries_bytes = bytes(raw_entries)
    entry_sectors = -(-len(entries_bytes) // sector_size)
    last_lba = target_size // sector_size - 1
    backup_entries_lba = last_lba - entry_sectors
    crc = zlib.crc32(entries_bytes)

    def header(current: int, backup: int, entries_lba: int) -> bytes:
        fields = dict(src)
        fields.update(current_lba=current, backup_lba=backup, entries_lba=entries_lba,
                      last_usable_lba=backup_entries_lba - 1, entries_crc32=crc, header_crc32=0,
                      header_size=HEADER_SIZE)
        fields.pop("_io", None)
        raw = GptHeader.build(fields)
        raw = raw[:16] + zlib.crc32(raw).to_bytes(4, "little") + raw[20:]
        return raw.ljust(sector_size, b"\0")

    out = [
        (0, protective_mbr(areas, target_size, sector_size)),
        (sector_size, header(1, last_lba, 2)),
        (2 * sector_size, entries_bytes),
        (backup_entries_lba * sector_size, entries_bytes),
        (last_lba * sector_size, header(last_lba, 1, backup_entries_lba)),
    ]
    return out


def protective_mbr(areas: list[TableArea], target_size: int, sector_size: int) -> bytes:
    mbr_area = _area(areas, "MBR")
    mbr = Mbr.parse(mbr_area.data[:MBR_SIZE]) if mbr_area else Mbr.parse(bytes(510) + b"\x55\xaa")
    sectors = min(target_size // sector_size - 1, 0xFFFFFFFF)
    mbr.partitions = [dict(status=0, chs_first=b"\x00\x02\x00", type=0xEE, chs_last=chs(sectors),
                           lba_start=1, sector_count=sectors)] + [
        dict(status=0, chs_first=bytes(3), type=0, chs_last=bytes(3), lba_start=0, sector_count=0)] * 3
    mbr.boot_signature = 0xAA55
    sector = Mbr.build(mbr)
    return sector + (mbr_area.data[MBR_SIZE:sector_size] if mbr_area else bytes(sector_size - MBR_SIZE))


def build_mbr(areas: list[TableArea], parts: list[dict], sector_size: int) -> list[tuple[int, bytes]]:
    """An MBR and EBR chain for ``parts`` (dicts: number, kind, start, size, type byte, bootable),
    starting from the source's MBR sector (boot code, disk signature).  Logical partitions get
    an EBR in the sector range just before them (where the plan left room)."""
    mbr_area = _area(areas, "MBR")
    mbr = Mbr.parse(mbr_area.data[:MBR_SIZE])
    empty = dict(status=0, chs_first=bytes(3), type=0, chs_last=bytes(3), lba_start=0, sector_count=0)
    slots = [dict(empty) for _ in range(4)]
    for p in parts:
        if p["kind"] in ("primary", "extended"):
            slots[p["number"] - 1] = _entry(p, p["start"] // sector_size, sector_size)
    mbr.partitions = slots
    out = [(0, Mbr.build(mbr) + mbr_area.data[MBR_SIZE:sector_size])]
    extended = next((p for p in parts if p["kind"] == "extended"), None)
    logicals = sorted((p for p in parts if p["kind"] == "logical"), key=lambda p: p["start"])
    if logicals and extended is None:
        raise RefusedError("logical partitions without an extended partition")
    ext_lba = extended["start"] // sector_size if extended else 0
    ebr_lbas = [ext_lba] + [_ebr_lba(p, sector_size) for p in logicals[1:]]
    for i, (p, ebr_lba) in enumerate(zip(logicals, ebr_lbas)):
        ebr = Mbr.parse(bytes(510) + b"\x55\xaa")
        first = _entry(p, p["start"] // sector_size - ebr_lba, sector_size, p["start"] // sector_size)
        link = dict(empty)
        if i + 1 < len(logicals):
            nxt, nxt_lba = logicals[i + 1], ebr_lbas[i + 1]
            end_lba = (nxt["start"] + nxt["size"]) // sector_size
            link = dict(status=0, chs_first=chs(nxt_lba), type=0x05, chs_last=chs(end_lba - 1),
                        lba_start=nxt_lba - ext_lba, sector_count=end_lba - nxt_lba)
        ebr.partitions = [first, link, dict(empty), dict(empty)]
        out.append((ebr_lba * sector_size, Mbr.build(ebr).ljust(sector_size, b"\0")))
    return out


def _ebr_lba(part: dict, sector_size: int) -> int:
    """The EBR of a logical partition after the first: one MiB before it when there is room
    (as fdisk places it), else the sector just before it."""
    start = part["start"] // sector_size
    gap = part.get("gap_before", sector_size) // sector_size
    return start - max(1, min(gap, (1 << 20) // sector_size))


def _entry(p: dict, lba: int, sector_size: int, absolute: int | None = None) -> dict:
    absolute = lba if absolute is None else absolute
    count = p["size"] // sector_size
    return dict(status=0x80 if p.get("bootable") else 0, chs_first=chs(absolute), type=p["type"],
                chs_last=chs(absolute + count - 1), lba_start=lba, sector_count=count)


