"""What a backup captures: the plan, computed before anything is written.

For each partition its allocation map (bytes relative to the partition), for the
disk the areas outside partitions worth keeping (partition tables, EBRs, the boot
code and boot-loader gap before the first partition, small unpartitioned gaps,
the GPT backup), and from both the list of chunks to read, in disk order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .device import Source, partition_window, window
from .errors import FilesystemError, UsageError
from .extent import ExtentMap
from .filesystems import AllocationMap, FilesystemInfo, allocation_map, detect_filesystem
from .filesystems.raw import raw_allocation
from .volumes import Disk, Partition, read_disk

MAX_CHUNK = 4 * 1024 * 1024
COALESCE_GAP = 64 * 1024  # reading a small free gap beats another chunk and another seek
MAX_SCANNED_GAP = 64 * 1024 * 1024  # unpartitioned gaps up to this size are scanned for data
DISK_AREAS = 0  # the chunk "partition" number of areas outside partitions


@dataclass(frozen=True)
class PartitionCapture:
    partition: Partition
    filesystem: FilesystemInfo | None
    allocation: AllocationMap | None  # None: not captured (not selected, or a container)
    captured: bool


@dataclass(frozen=True)
class ChunkPlan:
    """Chunks in disk order as parallel arrays: partition number, disk offset, length (bytes)."""

    partition: np.ndarray
    offset: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.offset)

    @property
    def total(self) -> int:
        return int(self.length.sum())


@dataclass(frozen=True)
class BackupPlan:
    source_path: str
    is_block_device: bool
    scope: str  # "disk" or "partitions"
    disk: Disk
    partitions: tuple[PartitionCapture, ...]
    disk_areas: ExtentMap  # absolute disk offsets
    chunks: ChunkPlan
    warnings: tuple[str, ...]
    unsafe: tuple[str, ...] = ()  # "partition N: why": reasons the capture would not be reliable

    @property
    def used_bytes(self) -> int:
        return self.chunks.total


def plan_backup(source: Source, selected: list[int] | None = None, sector_size: int | None = None) -> BackupPlan:
    """Plan the capture of ``source``: the whole disk, or only the ``selected`` partition numbers
    (plus the partition table and boot area).  Reads allocation maps; writes nothing.
    Raises UsageError for a partition number that does not exist."""
    disk = read_disk(source.read, source.size, sector_size or source.sector_size)
    numbers = {p.number for p in disk.partitions}
    if selected:
        unknown = sorted(set(selected) - numbers)
        if unknown:
            raise UsageError(f"{source.path} has no partition {', '.join(map(str, unknown))} "
                             f"(partitions: {', '.join(map(str, sorted(numbers))) or 'none'})")
        containers = [n for n in selected if disk.partition(n).is_container]
        if containers:
            raise UsageError(f"partition {containers[0]} is an extended partition (a container); "
                             "select the logical partitions inside it")
    warnings = list(disk.warnings)
    unsafe: list[str] = []
    captures = []
    for part in disk.partitions:
        chosen = not part.is_container and (not selected or part.number in selected)
        fs = alloc = None
        if not part.is_container and part.start < disk.size:
            read, size = partition_window(source.read, part.start, part.size, disk.size)
            fs = detect_filesystem(read, size)
            if chosen:
                try:
                    alloc = allocation_map(read, size, fs)
                except FilesystemError as exc:
                    warnings.append(f"partition {part.number}: {exc}; copying it raw (every non-zero block)")
                    alloc = raw_allocation(read, size, fs.fs_type if fs else "unknown", str(exc))
                warnings.extend(f"partition {part.number}: {note}" for note in alloc.notes)
                unsafe.extend(f"partition {part.number}: {note}" for note in alloc.unsafe)
        captures.append(PartitionCapture(part, fs, alloc, chosen and alloc is not None))
    areas = _disk_areas(source, disk, scan_gaps=not selected, warnings=warnings)
    chunks = _chunk_plan(captures, areas)
    return BackupPlan(source.path, source.is_block_device, "partitions" if selected else "disk", disk,
                      tuple(captures), areas, chunks, tuple(warnings), tuple(unsafe))


def _disk_areas(source: Source, disk: Disk, scan_gaps: bool, warnings: list[str]) -> ExtentMap:
    """Table sectors always; the non-zero blocks before the first partition (boot code, boot
    loaders), and for a whole-disk backup those of small unpartitioned gaps and the disk's end."""
    if disk.table == "none":
        return ExtentMap()
    areas = ExtentMap.of((a.offset, len(a.data)) for a in disk.table_areas)
    taken = ExtentMap.of((p.start, p.size) for p in disk.partitions if not p.is_container)
    gaps = ExtentMap.of([(0, disk.size)]).subtract(taken)
    first_start = min((p.start for p in disk.partitions if not p.is_container), default=disk.size)
    for gap in gaps:
        if gap.start >= first_start and not scan_gaps:
            continue
        if gap.start >= first_start and gap.length > MAX_SCANNED_GAP:
            warnings.append(f"unpartitioned space of {gap.length} bytes at byte {gap.start} is not captured")
            continue
        raw = raw_allocation(window(source.read, gap.start, gap.length), gap.length)
        areas = areas.union(ExtentMap(raw.used.starts + gap.start, raw.used.ends + gap.start))
    return areas


def _chunk_plan(captures: list[PartitionCapture], areas: ExtentMap) -> ChunkPlan:
    parts, offsets, lengths = [], [], []
    pieces = [(DISK_AREAS, areas)]
    for cap in captures:
        if cap.captured:
            used = cap.allocation.used
            pieces.append((cap.partition.number, ExtentMap(used.starts + cap.partition.start,
                                                           used.ends + cap.partition.start)))
    for number, extents in pieces:
        starts, ends = _coalesce(extents.starts, extents.ends)
        s, n = _split(starts, ends)
        parts.append(np.full(len(s), number, np.int64))
        offsets.append(s)
        lengths.append(n)
    part = np.concatenate(parts)
    off = np.concatenate(offsets)
    length = np.concatenate(lengths)
    order = np.argsort(off, kind="stable")
    return ChunkPlan(part[order], off[order], length[order])


def _coalesce(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(starts) < 2:
        return starts, ends
    new = np.empty(len(starts), dtype=bool)
    new[0] = True
    new[1:] = starts[1:] - ends[:-1] > COALESCE_GAP
    heads = np.flatnonzero(new)
    tails = np.append(heads[1:] - 1, len(starts) - 1)
    return starts[heads], ends[tails]


def _split(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut runs into chunks of at most MAX_CHUNK bytes, aligned to MAX_CHUNK on the disk so that
    chunk boundaries do not depend on where a run happens to begin."""
    if not len(starts):
        return starts, ends - starts
    first_block = starts // MAX_CHUNK
    last_block = (ends - 1) // MAX_CHUNK
    counts = last_block - first_block + 1
    run = np.repeat(np.arange(len(starts)), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    block = first_block[run] + step
    s = np.maximum(block * MAX_CHUNK, starts[run])
    e = np.minimum((block + 1) * MAX_CHUNK, ends[run])
    return s, e - s
