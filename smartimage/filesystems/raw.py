"""Raw copy for what we cannot read (unknown, encrypted, xfs, btrfs, MSR): every block that is not all zeros."""

from __future__ import annotations

import numpy as np

from ..extent import ExtentMap
from .model import AllocationMap, Reader

ZERO_BLOCK = 64 * 1024
READ_SIZE = 16 * 1024 * 1024


def raw_allocation(read: Reader, size: int, fs_type: str = "unknown", why: str = "") -> AllocationMap:
    """Every 64 KiB block of the partition that holds a non-zero byte (reads the whole partition)."""
    starts, ends = [], []
    for pos in range(0, size, READ_SIZE):
        data = read(pos, min(READ_SIZE, size - pos))
        if not data:
            break
        arr = np.frombuffer(data, dtype=np.uint8)
        whole = len(arr) // ZERO_BLOCK * ZERO_BLOCK
        blocks = arr[:whole].reshape(-1, ZERO_BLOCK)
        nonzero = np.flatnonzero(blocks.any(axis=1))
        starts.append(pos + nonzero * ZERO_BLOCK)
        ends.append(pos + (nonzero + 1) * ZERO_BLOCK)
        if whole < len(arr) and arr[whole:].any():
            starts.append(np.array([pos + whole]))
            ends.append(np.array([pos + len(arr)]))
    used = ExtentMap(np.concatenate(starts), np.concatenate(ends)) if starts else ExtentMap()
    notes = (why,) if why else ()
    return AllocationMap(fs_type=fs_type, block_size=ZERO_BLOCK, used=used,
                         method="raw copy", source="raw copy (all-zero 64 KiB blocks skipped)", raw=True, notes=notes)
