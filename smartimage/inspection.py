"""Look at a source: its partition table and each partition's filesystem.  Never prints."""

from __future__ import annotations

from dataclasses import dataclass

from .container.reader import ImageReader
from .device import Source, partition_window
from .errors import FilesystemError
from .filesystems import AllocationMap, FilesystemInfo, allocation_map, detect_filesystem, has_allocation_reader
from .filesystems import tsk
from .volumes import Disk, Partition, read_disk


@dataclass(frozen=True)
class PartitionReport:
    """A partition, its filesystem and (when the family has an allocation reader) its used bytes."""

    partition: Partition
    filesystem: FilesystemInfo | None
    allocation: AllocationMap | None = None

    @property
    def used_bytes(self) -> int | None:
        return self.allocation.used_bytes if self.allocation else None

    @property
    def allocation_source(self) -> str:
        if self.allocation:
            return self.allocation.source
        if self.partition.is_container:
            return "container of logical partitions"
        return "raw copy (every non-zero block)"


@dataclass(frozen=True)
class SourceReport:
    path: str
    is_block_device: bool
    disk: Disk
    partitions: tuple[PartitionReport, ...]
    warnings: tuple[str, ...]


def inspect_source(path: str, sector_size: int | None = None, with_allocation: bool = True) -> SourceReport:
    """Read the layout of a disk or disk-image file at ``path``, and each supported filesystem's
    allocation map (raw partitions are not scanned here: that reads them whole).

    Raises SourceError (cannot open/read) or PartitionTableError (damaged table, garbage).
    """
    with Source(path) as source:
        disk = read_disk(source.read, source.size, sector_size or source.sector_size)
        warnings = list(disk.warnings)
        reports = []
        for part in disk.partitions:
            fs = alloc = None
            if not part.is_container and part.start < disk.size:
                read, size = partition_window(source.read, part.start, part.size, disk.size)
                fs = detect_filesystem(read, size)
                if fs is not None and fs.fs_type in tsk.CROSS_CHECKED:
                    seen = tsk.tsk_type(read, size)
                    if seen != fs.fs_type:
                        what = f"reads it as {seen}" if seen else "cannot open it"
                        warnings.append(
                            f"partition {part.number}: detected {fs.fs_type}, but The Sleuth Kit {what}"
                        )
                if with_allocation and has_allocation_reader(fs):
                    try:
                        alloc = allocation_map(read, size, fs)
                    except FilesystemError as exc:
                        warnings.append(f"partition {part.number}: {exc}; it would be copied raw")
                    else:
                        warnings.extend(f"partition {part.number}: {note}" for note in alloc.notes)
            reports.append(PartitionReport(partition=part, filesystem=fs, allocation=alloc))
        return SourceReport(
            path=path,
            is_block_device=source.is_block_device,
            disk=disk,
            partitions=tuple(reports),
            warnings=tuple(warnings),
        )


@dataclass(frozen=True)
class ImageReport:
    """What an image holds: its metadata, plus stored (compressed) bytes per partition from the index."""

    path: str
    image_bytes: int
    tool_version: str
    metadata: dict
    stored_by_partition: dict[int, int]
    data_by_partition: dict[int, int]


def inspect_image(path: str) -> ImageReport:
    """Open an image (header, trailer, index and metadata are checked) and summarise it.
    Raises NotAnImageError or ImageDamagedError."""
    with ImageReader(path) as reader:
        stored: dict[int, int] = {}
        data: dict[int, int] = {}
        for number, length, stored_length in zip(reader.index["partition"].tolist(), reader.index["length"].tolist(),
                                                  reader.index["stored_length"].tolist()):
            stored[number] = stored.get(number, 0) + stored_length
            data[number] = data.get(number, 0) + length
        return ImageReport(path, reader.size, reader.tool_version, reader.metadata, stored, data)
