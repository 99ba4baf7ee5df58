"""Partition-table corner cases on real sectors, edited: EBR loops, absurd chains, damaged GPT copies, hybrid MBR."""

from __future__ import annotations

import subprocess

import pytest

from formats.mbr import Mbr
from smartimage.device import Source
from smartimage.errors import PartitionTableError
from smartimage.volumes import read_disk
from tests.conftest import SparseDisk

MiB = 1024 * 1024


def real_areas(path) -> tuple[int, dict[int, bytes]]:
    with Source(str(path)) as src:
        disk = read_disk(src.read, src.size)
        return src.size, {a.offset: a.data for a in disk.table_areas}


def test_ebr_chain_that_loops_is_an_error_not_a_hang(fixture_dir):
    size, areas = real_areas(fixture_dir / "mbr-logical.img")
    ebrs = sorted(off for off in areas if off > 0)
    ext_start = ebrs[0] // 512
    last = Mbr.parse(areas[ebrs[-1]][:512])
    last.partitions[1].type = 5  # link the last EBR back to the first one
    last.partitions[1].lba_start = 0
    last.partitions[1].sector_count = 2048
    areas[ebrs[-1]] = Mbr.build(last)
    with pytest.raises(PartitionTableError, match="loops back to sector %d" % ext_start):
        read_disk(SparseDisk(size, areas).read, size, 512)


def test_absurdly_long_ebr_chain_is_an_error(fixture_dir):
    size, areas = real_areas(fixture_dir / "mbr-logical.img")
    ebrs = sorted(off for off in areas if off > 0)
    ext_start = ebrs[0] // 512
    template = Mbr.parse(areas[ebrs[0]][:512])
    chain = {0: areas[0]}
    for i in range(200):  # 200 EBRs one sector apart, each a 1-sector logical partition
        template.partitions[0].lba_start = 1
        template.partitions[0].sector_count = 1
        template.partitions[1].type = 5
        template.partitions[1].lba_start = i + 1
        template.partitions[1].sector_count = 1
        chain[(ext_start + i) * 512] = Mbr.build(template)
    with pytest.raises(PartitionTableError, match="more than 128 EBRs"):
        read_disk(SparseDisk(size, chain).read, size, 512)


def test_ebr_pointing_outside_extended_is_an_error(fixture_dir):
    size, areas = real_areas(fixture_dir / "mbr-logical.img")
    first = min(off for off in areas if off > 0)
    ebr = Mbr.parse(areas[first][:512])
    ebr.partitions[1].type = 5
    ebr.partitions[1].lba_start = 10**9
    ebr.partitions[1].sector_count = 8
    areas[first] = Mbr.build(ebr)
    with pytest.raises(PartitionTableError, match="outside"):
        read_disk(SparseDisk(size, areas).read, size, 512)


def test_both_gpt_copies_damaged_is_an_error(fixture_dir):
    size, areas = real_areas(fixture_dir / "windows-gpt.img")
    for off, data in list(areas.items()):
        if off > 0 and data[:8] == b"EFI PART":
            areas[off] = data[:0x38] + b"\xff" * 4 + data[0x3C:]
    with pytest.raises(PartitionTableError, match="GPT damaged beyond use"):
        read_disk(SparseDisk(size, areas).read, size)


def test_damaged_backup_gpt_is_a_warning(fixture_dir):
    size, areas = real_areas(fixture_dir / "windows-gpt.img")
    backup = max(off for off, d in areas.items() if d[:8] == b"EFI PART")
    areas[backup] = areas[backup][:0x38] + b"\xff" * 4 + areas[backup][0x3C:]
    disk = read_disk(SparseDisk(size, areas).read, size)
    assert len(disk.partitions) == 4
    assert any("backup GPT damaged" in w for w in disk.warnings)


def test_hybrid_mbr_is_reported(fixture_dir, tmp_path):
    copy = tmp_path / "hybrid.img"
    subprocess.run(["cp", "--sparse=always", str(fixture_dir / "windows-gpt.img"), str(copy)], check=True)
    subprocess.run(["sgdisk", "-h", "1", str(copy)], check=True, capture_output=True)
    with Source(str(copy)) as src:
        disk = read_disk(src.read, src.size)
    assert disk.table == "gpt" and len(disk.partitions) == 4
    assert any("hybrid MBR" in w for w in disk.warnings)


def test_protective_mbr_without_gpt_is_an_error(fixture_dir):
    size, areas = real_areas(fixture_dir / "windows-gpt.img")
    with pytest.raises(PartitionTableError, match="protective MBR"):
        read_disk(SparseDisk(size, {0: areas[0]}).read, size)


def test_unaligned_and_4kn_sizes_in_bytes(fixture_dir):
    with Source(str(fixture_dir / "gpt-4kn.img")) as src:
        disk = read_disk(src.read, src.size)
    assert disk.sector_size == 4096
    assert [p.start for p in disk.partitions] == [1 * MiB, 33 * MiB, 81 * MiB]


def test_empty_disk_is_reported_not_refused():
    disk = read_disk(SparseDisk(64 * MiB, {}).read, 64 * MiB)
    assert disk.table == "none" and disk.partitions == ()
    assert "empty disk" in disk.warnings[0]
