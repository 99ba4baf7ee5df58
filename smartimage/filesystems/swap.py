"""Linux swap: the signature at the end of the first page; only the header page is worth keeping."""

from __future__ import annotations

import uuid

from formats.swap import MAGIC, SWAP_HEADER_OFFSET, SwapHeader

from ..extent import ExtentMap
from .model import AllocationMap, FilesystemInfo, Reader, fixed_str

PAGE_SIZES = (4096, 8192, 16384, 65536)


def _page_size(read: Reader) -> int | None:
    for page in PAGE_SIZES:
        if read(page - 10, 10) in (MAGIC, b"SWAP-SPACE"):
            return page
    return None


def detect(read: Reader, size: int) -> FilesystemInfo | None:
    page = _page_size(read)
    if page is None:
        return None
    header = SwapHeader.parse(read(SWAP_HEADER_OFFSET, SwapHeader.sizeof()))
    raw_uuid = bytes(header.uuid)
    return FilesystemInfo(
        fs_type="swap",
        label=fixed_str(header.label),
        uuid=str(uuid.UUID(bytes=raw_uuid)) if any(raw_uuid) else "",
        block_size=page,
        size=(header.last_page + 1) * page if header.version == 1 else None,
    )


def allocation(read: Reader, size: int) -> AllocationMap:
    """The header page (signature, UUID, label); swapped-out pages are not worth saving."""
    page = _page_size(read) or PAGE_SIZES[0]
    return AllocationMap(fs_type="swap", block_size=page, used=ExtentMap.of([(0, min(page, size))]),
                         method="header", source="swap header page only (swap contents are not kept)")
