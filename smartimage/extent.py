"""Byte ranges: a single Extent, and ExtentMap, a sorted, merged set of them held in numpy arrays.

A used-block map of a 1 TiB volume can hold millions of runs, so ExtentMap keeps
``starts`` and ``ends`` (exclusive) as int64 arrays and builds them from
bitmaps without a Python loop per block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

BITMAP_SLICE_BYTES = 1 << 20  # unpack bitmaps a MiB at a time: memory stays flat


@dataclass(frozen=True, order=True)
class Extent:
    """``length`` bytes from byte ``start``."""

    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


class ExtentMap:
    """Sorted, non-overlapping, non-adjacent byte ranges [start, end)."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts=(), ends=()):
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        self.starts, self.ends = _normalise(starts, ends)

    @classmethod
    def of(cls, extents: Iterable[tuple[int, int]]) -> ExtentMap:
        """From (start, length) pairs in any order, overlapping or not."""
        pairs = [(s, s + n) for s, n in extents if n > 0]
        if not pairs:
            return cls()
        arr = np.array(pairs, dtype=np.int64)
        return cls(arr[:, 0], arr[:, 1])

    def __iter__(self) -> Iterator[Extent]:
        for s, e in zip(self.starts.tolist(), self.ends.tolist()):
            yield Extent(s, e - s)

    def __len__(self) -> int:
        return len(self.starts)

    def __eq__(self, other) -> bool:
        return (isinstance(other, ExtentMap) and np.array_equal(self.starts, other.starts)
                and np.array_equal(self.ends, other.ends))

    def __repr__(self) -> str:
        return f"ExtentMap({len(self)} runs, {self.total()} bytes)"

    def total(self) -> int:
        """Bytes covered."""
        return int((self.ends - self.starts).sum())

    def union(self, other: ExtentMap) -> ExtentMap:
        return ExtentMap(np.concatenate([self.starts, other.starts]), np.concatenate([self.ends, other.ends]))

    def clip(self, start: int, end: int) -> ExtentMap:
        """Only the bytes within [start, end)."""
        s = np.clip(self.starts, start, end)
        e = np.clip(self.ends, start, end)
        return ExtentMap(s, e)

    def subtract(self, other: ExtentMap) -> ExtentMap:
        """Bytes in self that are not in other."""
        if not len(other) or not len(self):
            return ExtentMap(self.starts, self.ends)
        # complement of other within [min, max) then intersect
        lo = min(int(self.starts[0]), int(other.starts[0]))
        hi = max(int(self.ends[-1]), int(other.ends[-1]))
        gaps = ExtentMap(np.concatenate([[lo], other.ends]), np.concatenate([other.starts, [hi]]))
        return self.intersect(gaps)

    def intersect(self, other: ExtentMap) -> ExtentMap:
        """Bytes in both (a sweep over both sorted lists, vectorised by searchsorted)."""
        if not len(self) or not len(other):
            return ExtentMap()
        # for each run of self, the runs of other that may overlap it
        first = np.searchsorted(other.ends, self.starts, side="right")
        last = np.searchsorted(other.starts, self.ends, side="left")
        counts = np.maximum(last - first, 0)
        if not counts.sum():
            return ExtentMap()
        idx_self = np.repeat(np.arange(len(self)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        idx_other = np.repeat(first, counts) + offsets
        s = np.maximum(self.starts[idx_self], other.starts[idx_other])
        e = np.minimum(self.ends[idx_self], other.ends[idx_other])
        return ExtentMap(s, e)

    def contains(self, other: ExtentMap) -> bool:
        """True when every byte of other is in self."""
        return not len(other.subtract(self))


def _normalise(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if len(starts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(starts) > 1 and not (np.all(starts[1:] > ends[:-1])):
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        running_end = np.maximum.accumulate(ends)
        # a new run begins where its start lies beyond every end before it
        new = np.empty(len(starts), dtype=bool)
        new[0] = True
        new[1:] = starts[1:] > running_end[:-1]
        starts = starts[new]
        ends = np.maximum.reduceat(running_end, np.flatnonzero(new))
    return starts, ends


def runs_from_bitmap(bitmap, unit: int, first_bit: int = 0, bit_count: int | None = None,
                     base: int = 0) -> ExtentMap:
    """Byte ranges of the set bits of an LSB-first bitmap (bit i = unit i).

    Bit ``i`` covers bytes [base + (first_bit + i) * unit, +unit).  Bits at or
    past ``bit_count`` are ignored.  Works a slice at a time, so a 32 MiB bitmap
    never becomes 256 MiB of unpacked bits.
    """
    data = np.frombuffer(bitmap, dtype=np.uint8) if not isinstance(bitmap, np.ndarray) else bitmap
    if bit_count is None:
        bit_count = len(data) * 8
    starts, ends = [], []
    for pos in range(0, (bit_count + 7) // 8, BITMAP_SLICE_BYTES):
        piece = data[pos : pos + BITMAP_SLICE_BYTES]
        if not piece.any():
            continue
        bits = np.unpackbits(piece, bitorder="little")
        limit = bit_count - pos * 8
        if limit < len(bits):
            bits = bits[:limit]
        edges = np.diff(bits.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts.append(np.flatnonzero(edges == 1) + pos * 8)
        ends.append(np.flatnonzero(edges == -1) + pos * 8)
    if not starts:
        return ExtentMap()
    s = (np.concatenate(starts) + first_bit) * unit + base
    e = (np.concatenate(ends) + first_bit) * unit + base
    return ExtentMap(s, e)
