"""Parsers never crash or hang on arbitrary bytes: mutated real MBR/EBR/GPT sectors and boot sectors
give either a Disk or the project's own error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartimage.device import Source
from smartimage.errors import SmartImageError
from smartimage.filesystems import detect_filesystem
from smartimage.volumes import Disk, read_disk
from tests.conftest import SparseDisk
from fixtures.build import ensure_built

CACHE = ensure_built()


def _samples() -> list[tuple[int, dict[int, bytes]]]:
    samples = []
    for name in ("windows-gpt", "mbr-logical", "gpt-4kn", "superfloppy"):
        with Source(str(CACHE / f"{name}.img")) as src:
            disk = read_disk(src.read, src.size)
            areas = {a.offset: a.data for a in disk.table_areas}
            for part in disk.partitions:  # boot sectors too: detection runs on them
                areas.setdefault(part.start, src.read(part.start, 4096))
            samples.append((src.size, areas))
    return samples


SAMPLES = _samples()

mutation = st.tuples(st.integers(min_value=0), st.integers(min_value=0), st.binary(min_size=1, max_size=16))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(range(len(SAMPLES))), mutations=st.lists(mutation, min_size=1, max_size=8),
       sector_size=st.sampled_from([None, 512, 4096]))
def test_mutated_tables_give_disk_or_clean_error(sample, mutations, sector_size):
    size, areas = SAMPLES[sample]
    areas = {off: bytearray(data) for off, data in areas.items()}
    offsets = sorted(areas)
    for which, pos, payload in mutations:
        data = areas[offsets[which % len(offsets)]]
        pos %= len(data)
        data[pos : pos + len(payload)] = payload[: len(data) - pos]
    disk = SparseDisk(size, {off: bytes(d) for off, d in areas.items()})
    try:
        result = read_disk(disk.read, size, sector_size)
    except SmartImageError:
        return
    assert isinstance(result, Disk)
    for part in result.partitions:
        assert part.size >= 0


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=512, max_size=8192), prefix=st.sampled_from(
    [b"", b"\xeb\x52\x90NTFS    ", b"\xeb\x76\x90EXFAT   ", b"\xeb\x3c\x90mkfs.fat", b"\xeb\x58\x90MSWIN4.1"]))
def test_detection_never_crashes_on_garbage(data, prefix):
    blob = bytearray(prefix + data)
    blob[510:512] = b"\x55\xaa"
    disk = SparseDisk(64 * 1024 * 1024, {0: bytes(blob)})
    try:
        detect_filesystem(disk.read, disk.size)
    except SmartImageError:
        pass
