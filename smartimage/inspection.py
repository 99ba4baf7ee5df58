"""Look at a source: its partition table and each partition's filesystem.  Never prints."""

from __future__ import annotations

from dataclasses import dataclass

from .device import Source, window
from .filesystems import FilesystemInfo, detect_filesystem
from .filesystems import tsk
from .volumes import Disk, Partition, read_disk


@dataclass(frozen=True)
class PartitionReport:
    partition: Partition
    filesystem: FilesystemInfo | None
    used_bytes: int | None = None


@dataclass(frozen=True)
class SourceReport:
    path: str
    is_block_device: bool
    disk: Disk
    partitions: tuple[PartitionReport, ...]
    warnings: tuple[str, ...]


def inspect_source(path: str, sector_size: int | None = None) -> SourceReport:
    """Read the layout of a disk or disk-image file at ``path``.

    Raises SourceError (cannot open/read) or PartitionTableError (damaged table, garbage).
    """
    with Source(path) as source:
        disk = read_disk(source.read, source.size, sector_size or source.sector_size)
        warnings = list(disk.warnings)
        reports = []
        for part in disk.partitions:
            fs = None
            if not part.is_container and part.start < disk.size:
                size = min(part.size, disk.size - part.start)
                read = window(source.read, part.start, size)
                fs = detect_filesystem(read, size)
                if fs is not None and fs.fs_type in tsk.CROSS_CHECKED:
                    seen = tsk.tsk_type(read, size)
                    if seen != fs.fs_type:
                        what = f"reads it as {seen}" if seen else "cannot open it"
                        warnings.append(
                            f"partition {part.number}: detected {fs.fs_type}, but The Sleuth Kit {what}"
                        )
            reports.append(PartitionReport(partition=part, filesystem=fs))
        return SourceReport(
            path=path,
            is_block_device=source.is_block_device,
            disk=disk,
            partitions=tuple(reports),
            warnings=tuple(warnings),
        )
