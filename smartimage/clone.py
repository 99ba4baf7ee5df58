"""Clone = backup piped into restore: a live source served through the image reader's interface
(metadata, chunks(), read_chunk()) so that restore.run_restore is the one code path."""

from __future__ import annotations

from .backup import image_metadata
from .capture import BackupPlan
from .container.reader import Chunk
from .device import Source
from .errors import SourceError


class LiveSource:
    """Chunks of a backup plan read straight from the source disk."""

    def __init__(self, source: Source, plan: BackupPlan):
        self.source = source
        self.plan = plan
        self.metadata = image_metadata(plan, source, level=0, capture_mode="clone")

    def chunks(self):
        chunks = self.plan.chunks
        for number in range(len(chunks)):
            yield Chunk(number, int(chunks.partition[number]), int(chunks.offset[number]),
                        int(chunks.length[number]), 0, 0, b"")

    def read_chunk(self, chunk: Chunk) -> bytes:
        data = self.source.read(chunk.disk_offset, chunk.length)
        if len(data) != chunk.length:
            raise SourceError(f"{self.source.path}: ends at byte {chunk.disk_offset + len(data)}, expected data up to "
                              f"{chunk.disk_offset + chunk.length} (the source shrank or vanished)")
        return data
