"""ExtentMap arithmetic against a brute-force set of bytes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartimage.extent import ExtentMap, runs_from_bitmap

pairs = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40)), max_size=20)


def as_set(m: ExtentMap) -> set[int]:
    return {b for e in m for b in range(e.start, e.end)}


def raw_set(p) -> set[int]:
    return {b for s, n in p for b in range(s, s + n)}


@settings(max_examples=200, deadline=None)
@given(a=pairs, b=pairs)
def test_set_algebra(a, b):
    ma, mb = ExtentMap.of(a), ExtentMap.of(b)
    assert as_set(ma) == raw_set(a)
    assert ma.total() == len(raw_set(a))
    assert as_set(ma.union(mb)) == raw_set(a) | raw_set(b)
    assert as_set(ma.intersect(mb)) == raw_set(a) & raw_set(b)
    assert as_set(ma.subtract(mb)) == raw_set(a) - raw_set(b)
    assert ma.contains(mb) == (raw_set(b) <= raw_set(a))
    runs = list(ma)
    assert all(x.end < y.start for x, y in zip(runs, runs[1:])), "runs are merged and sorted"


@settings(max_examples=200, deadline=None)
@given(bits=st.lists(st.booleans(), max_size=200), unit=st.sampled_from([1, 512, 4096]),
       first=st.integers(0, 5), base=st.integers(0, 1000))
def test_bitmap_runs(bits, unit, first, base):
    packed = np.packbits(np.array(bits, dtype=np.uint8), bitorder="little").tobytes()
    m = runs_from_bitmap(packed, unit, first_bit=first, bit_count=len(bits), base=base)
    expected = ExtentMap.of([(base + (first + i) * unit, unit) for i, bit in enumerate(bits) if bit])
    assert m == expected


def test_bitmap_slices_join_across_boundaries(monkeypatch):
    import smartimage.extent as extent

    monkeypatch.setattr(extent, "BITMAP_SLICE_BYTES", 2)
    m = runs_from_bitmap(b"\xff\xff\xff\x01\x00\x80", 1)
    assert [(e.start, e.length) for e in m] == [(0, 25), (47, 1)]
