"""The partition layout of a disk as small frozen values; offsets and sizes in bytes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TableArea:
    """Raw bytes of partition-table metadata at a byte offset of the disk (MBR, EBR, GPT header/entries)."""

    what: str
    offset: int
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Partition:
    """One partition.  ``start`` and ``size`` are in bytes from the start of the disk.

    ``type_id`` is the GPT type GUID (lower case) or the MBR type byte as ``0x07``;
    ``kind`` is ``gpt``, ``primary``, ``extended``, ``logical`` or ``whole-disk``.
    """

    number: int
    start: int
    size: int
    type_id: str
    type_name: str
    kind: str
    name: str = ""
    guid: str | None = None
    attributes: int = 0
    bootable: bool = False
    raw_entry: bytes = field(default=b"", repr=False)

    @property
    def end(self) -> int:
        """First byte after the partition."""
        return self.start + self.size

    @property
    def is_container(self) -> bool:
        """An MBR extended partition holds other partitions, not a filesystem."""
        return self.kind == "extended"


@dataclass(frozen=True)
class Disk:
    """A disk's layout: ``table`` is ``gpt``, ``mbr`` or ``none`` (a filesystem on the whole disk)."""

    table: str
    sector_size: int
    size: int
    partitions: tuple[Partition, ...]
    disk_guid: str | None = None
    disk_signature: int | None = None
    warnings: tuple[str, ...] = ()
    table_areas: tuple[TableArea, ...] = ()

    def partition(self, number: int) -> Partition:
        """The partition with this number; KeyError if there is none."""
        for part in self.partitions:
            if part.number == number:
                return part
        raise KeyError(number)
