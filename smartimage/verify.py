"""Check an image end to end: header, trailer, index and metadata (on open), then every chunk."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import interrupt
from .backup import default_threads
from .container.reader import Chunk, ImageReader
from .errors import ImageDamagedError
from .progress import SILENT, Progress


@dataclass(frozen=True)
class Damage:
    chunk: int
    partition: int
    disk_start: int
    disk_end: int  # exclusive
    reason: str


@dataclass
class VerifyReport:
    path: str
    chunks: int
    data_bytes: int
    image_bytes: int
    seconds: float
    damaged: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damaged


def verify_image(path: str, threads: int | None = None, progress: Progress = SILENT) -> VerifyReport:
    """Read and check every chunk.  Structural damage (header, trailer, index, metadata) raises
    ImageDamagedError; damaged chunks are collected in the report, all of them."""
    threads = threads or default_threads()
    started = time.monotonic()
    with ImageReader(path) as reader:
        report = VerifyReport(path, len(reader), int(reader.trailer.data_bytes), reader.size, 0.0)
        chunks = list(reader.chunks())
        if sum(c.length for c in chunks) != report.data_bytes:
            raise ImageDamagedError(f"{path}: the index does not add up to the {report.data_bytes} bytes "
                                    "the trailer records")

        def check(chunk: Chunk) -> Damage | None:
            try:
                reader.read_chunk(chunk)
            except ImageDamagedError as exc:
                return Damage(chunk.number, chunk.partition, chunk.disk_offset, chunk.disk_offset + chunk.length,
                              exc.message.rsplit(" damaged: ", 1)[-1])
            return None

        progress.start("verify", report.data_bytes)
        try:
            with interrupt.deferred(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="verify") as pool:
                pending: deque = deque()
                position = 0
                while position < len(chunks) or pending:
                    while position < len(chunks) and len(pending) < 2 * threads:
                        pending.append((chunks[position], pool.submit(check, chunks[position])))
                        position += 1
                    chunk, future = pending.popleft()
                    damage = interrupt.wait(future)
                    if damage:
                        report.damaged.append(damage)
                    progress.advance(chunk.length, f"partition {chunk.partition}")
        finally:
            progress.finish()
    report.seconds = time.monotonic() - started
    return report
