"""Construct schemas round-trip on every fixture's real sectors: parse then build gives the same bytes."""

from __future__ import annotations

import pytest

from formats.exfat import ExfatBootSector
from formats.ext4 import SUPERBLOCK_OFFSET, ExtSuperblock
from formats.fat import Fat16BootSector, Fat32BootSector
from formats.gpt import ENTRY_SIZE, GptEntry, GptHeader
from formats.mbr import Mbr
from formats.ntfs import NtfsBootSector
from smartimage.device import Source, window
from smartimage.filesystems import detect_filesystem
from smartimage.volumes import read_disk
from tests.conftest import FIXTURES


def roundtrip(schema, data: bytes) -> None:
    assert schema.build(schema.parse(data)) == data


@pytest.mark.parametrize("name", FIXTURES)
def test_table_sectors_roundtrip(fixture_dir, name):
    with Source(str(fixture_dir / f"{name}.img")) as src:
        disk = read_disk(src.read, src.size)
    checked = 0
    for area in disk.table_areas:
        if area.what == "MBR" or area.what.startswith("EBR"):
            roundtrip(Mbr, area.data[:512])
        elif area.what.endswith("header"):
            roundtrip(GptHeader, area.data[:92])
        elif area.what.endswith("entries"):
            for pos in range(0, len(area.data), ENTRY_SIZE):
                roundtrip(GptEntry, area.data[pos : pos + ENTRY_SIZE])
        checked += 1
    assert checked >= (1 if disk.table != "none" else 0)


BOOT_SCHEMAS = {
    "ntfs": [(0, 512, NtfsBootSector)],
    "fat12": [(0, 512, Fat16BootSector)],
    "fat16": [(0, 512, Fat16BootSector)],
    "fat32": [(0, 512, Fat32BootSector)],
    "exfat": [(0, 512, ExfatBootSector)],
    "ext2": [(SUPERBLOCK_OFFSET, 1024, ExtSuperblock)],
    "ext3": [(SUPERBLOCK_OFFSET, 1024, ExtSuperblock)],
    "ext4": [(SUPERBLOCK_OFFSET, 1024, ExtSuperblock)],
}


@pytest.mark.parametrize("name", FIXTURES)
def test_filesystem_boot_sectors_roundtrip(fixture_dir, name):
    with Source(str(fixture_dir / f"{name}.img")) as src:
        disk = read_disk(src.read, src.size)
        checked, present = set(), set()
        for part in disk.partitions:
            if part.is_container:
                continue
            read = window(src.read, part.start, part.size)
            fs = detect_filesystem(read, part.size)
            present.add(fs.fs_type if fs else None)
            for offset, length, schema in BOOT_SCHEMAS.get(fs.fs_type if fs else "", []):
                roundtrip(schema, read(offset, length))
                checked.add(fs.fs_type)
    assert checked == present & set(BOOT_SCHEMAS)
