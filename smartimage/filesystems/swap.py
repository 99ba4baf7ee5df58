"""Linux swap: the signature at the end of the first page."""

from __future__ import annotations

import uuid

from formats.swap import MAGIC, SWAP_HEADER_OFFSET, SwapHeader

from .model import FilesystemInfo, Reader, fixed_str

PAGE_SIZES = (4096, 8192, 16384, 65536)


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    for page in PAGE_SIZES:
        if read(page - 10, 10) in (MAGIC, b"SWAP-SPACE"):
            header = SwapHeader.parse(read(SWAP_HEADER_OFFSET, SwapHeader.sizeof()))
            raw_uuid = bytes(header.uuid)
            return FilesystemInfo(
                fs_type="swap",
                label=fixed_str(header.label),
                uuid=str(uuid.UUID(bytes=raw_uuid)) if any(raw_uuid) else "",
                block_size=page,
                size=(header.last_page + 1) * page if header.version == 1 else None,
            )
    return None
