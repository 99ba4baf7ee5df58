"""Capture a planned backup into an image: parallel read + hash + compress, ordered write.

Pipeline: a bounded window of tasks on N threads, each reading one chunk with
os.preadv into its own reused buffer, hashing it and compressing it (both release
the GIL); the calling thread writes the results in order.  Memory stays flat:
at most 2 × threads chunks are in flight.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from . import __version__, interrupt
from .capture import DISK_AREAS, MAX_CHUNK, BackupPlan
from .compression import DEFAULT_LEVEL, compress
from .container.writer import ImageWriter
from .device import Source
from .disks import partition_of
from .errors import ReadError
from .extent import ExtentMap
from .hashing import chunk_hash
from .progress import SILENT, Progress


@dataclass(frozen=True)
class BackupResult:
    image_path: str
    used_bytes: int  # bytes read from the source and stored (uncompressed)
    image_bytes: int  # size of the image file
    chunks: int
    seconds: float
    unreadable: tuple[tuple[int, int], ...] = ()  # (disk offset, length) stored as zeros under --rescue


def default_threads() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def run_backup(source: Source, plan: BackupPlan, image_path: str, level: int = DEFAULT_LEVEL,
               threads: int | None = None, progress: Progress = SILENT, overwrite: bool = False,
               capture_mode: str = "cold", rescue: bool = False) -> BackupResult:
    """Write ``plan`` from ``source`` into ``image_path``.  On any failure or interrupt the
    partial file is removed and the exception propagates; success only after the rename.
    A read error stops the backup (ReadError) unless ``rescue``: then the unreadable sectors
    are stored as zeros, recorded in the image and returned in the result."""
    threads = threads or default_threads()
    started = time.monotonic()
    writer = ImageWriter(image_path, overwrite=overwrite)
    local = threading.local()

    unreadable: list[tuple[int, int]] = []  # appended from worker threads (list.append is atomic)

    def work(index: int) -> tuple[bytes, bytes]:
        buffer = getattr(local, "buffer", None)
        if buffer is None:
            buffer = local.buffer = bytearray(MAX_CHUNK)
        offset, length = int(plan.chunks.offset[index]), int(plan.chunks.length[index])
        view = memoryview(buffer)[:length]
        try:
            source.read_into(view, offset)
        except ReadError:
            if not rescue:
                raise
            unreadable.extend(_rescue_read(source, view, offset, plan.disk.sector_size))
        return compress(view, level), chunk_hash(view)

    progress.start("backup", plan.used_bytes)
    try:
        with interrupt.deferred(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="capture") as pool:
            pending: deque = deque()
            count = len(plan.chunks)
            submitted = 0
            try:
                while submitted < count or pending:
                    while submitted < count and len(pending) < 2 * threads:
                        pending.append((submitted, pool.submit(work, submitted)))
                        submitted += 1
                    index, future = pending.popleft()
                    frame, digest = interrupt.wait(future)
                    number = int(plan.chunks.partition[index])
                    writer.add_chunk(number, int(plan.chunks.offset[index]), int(plan.chunks.length[index]),
                                     frame, digest)
                    progress.advance(int(plan.chunks.length[index]),
                                     f"partition {number}" if number != DISK_AREAS else "partition table and boot area")
            except BaseException:
                for _, future in pending:
                    future.cancel()
                raise
        bad = ExtentMap.of(unreadable)
        meta = image_metadata(plan, source, level, capture_mode)
        meta["unreadable"] = [[int(s), int(e - s)] for s, e in zip(bad.starts, bad.ends)]
        if len(bad):
            meta["warnings"].append(f"{bad.total()} unreadable bytes in {len(bad)} range(s) were stored as zeros")
        image_bytes = writer.finish(meta)
    except BaseException:
        writer.abort()
        raise
    finally:
        progress.finish()
    return BackupResult(image_path, plan.used_bytes, image_bytes, len(plan.chunks), time.monotonic() - started,
                        tuple((int(s), int(e - s)) for s, e in zip(bad.starts, bad.ends)))


def _rescue_read(source: Source, view: memoryview, offset: int, sector_size: int) -> list[tuple[int, int]]:
    """Read a chunk sector by sector: what reads is kept, what does not is zeros (and returned)."""
    bad = []
    for pos in range(0, len(view), sector_size):
        piece = view[pos : pos + sector_size]
        try:
            source.read_into(piece, offset + pos)
        except ReadError:
            piece[:] = bytes(len(piece))
            bad.append((offset + pos, len(piece)))
    return bad


def _partition_of(source: Source) -> dict | None:
    """For a partition device as SOURCE (/dev/sda3): which disk and number it is."""
    if not source.is_block_device:
        return None
    found = partition_of(os.fstat(source.fileno()).st_rdev)
    return {"disk": f"/dev/{found[0]}", "number": found[1]} if found else None


def image_metadata(plan: BackupPlan, source: Source, level: int, capture_mode: str) -> dict:
    """Everything a restore, an inspect or a browse needs besides the chunks (JSON-able)."""
    disk = plan.disk
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    partitions = []
    for cap in plan.partitions:
        p = cap.partition
        entry = {
            "number": p.number, "start": p.start, "size": p.size, "type_id": p.type_id, "type_name": p.type_name,
            "kind": p.kind, "name": p.name, "guid": p.guid, "attributes": p.attributes, "bootable": p.bootable,
            "raw_entry": b64(p.raw_entry), "captured": cap.captured,
            "filesystem": None if cap.filesystem is None else {
                "type": cap.filesystem.fs_type, "label": cap.filesystem.label, "uuid": cap.filesystem.uuid,
                "block_size": cap.filesystem.block_size, "size": cap.filesystem.size},
            "allocation": None,
        }
        if cap.allocation is not None:
            a = cap.allocation
            entry["allocation"] = {
                "method": a.method, "source": a.source, "raw": a.raw, "block_size": a.block_size,
                "notes": list(a.notes), "used_bytes": a.used_bytes,
                "extents": [[int(s), int(e - s)] for s, e in zip(a.used.starts, a.used.ends)],
            }
        partitions.append(entry)
    return {
        "format_version": 1,
        "tool": f"smartimage {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": {"path": plan.source_path, "kind": "block device" if plan.is_block_device else "image file",
                   "size": source.size, "sector_size": disk.sector_size, "partition_of": _partition_of(source)},
        "scope": plan.scope,
        "capture": {"mode": capture_mode, "compression": f"zstd level {level}", "hash": "xxh3-128"},
        "disk": {
            "table": disk.table, "sector_size": disk.sector_size, "size": disk.size, "disk_guid": disk.disk_guid,
            "disk_signature": disk.disk_signature, "warnings": list(disk.warnings),
            "table_areas": [{"what": a.what, "offset": a.offset, "data": b64(a.data)} for a in disk.table_areas],
        },
        "partitions": partitions,
        "disk_areas": [[int(s), int(e - s)] for s, e in zip(plan.disk_areas.starts, plan.disk_areas.ends)],
        "used_bytes": plan.used_bytes,
        "warnings": list(plan.warnings),
    }
