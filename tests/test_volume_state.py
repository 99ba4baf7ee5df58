"""What a user must be told about a source volume before imaging: NTFS dirty or hibernated,
BitLocker (raw copy), ext4 bitmap checksum damage."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from fixtures.build import ensure_built, mounted
from formats.ntfs import NtfsBootSector
from smartimage.device import Source
from smartimage.filesystems import allocation_map, detect_filesystem
from smartimage.filesystems.ext import ext_geometry, parse_superblock, read_descriptors
from smartimage.filesystems.ntfs import cluster_size
from tests.conftest import SparseDisk, run_cli

CACHE = ensure_built()


def copy_fixture(name: str, dest: Path) -> Path:
    subprocess.run(["cp", "--sparse=always", str(CACHE / f"{name}.img"), str(dest)], check=True)
    return dest


def allocation_of(path: Path):
    with Source(str(path)) as src:
        fs = detect_filesystem(src.read, src.size)
        return allocation_map(src.read, src.size, fs)


def set_ntfs_dirty(path: Path) -> None:
    """Set VOLUME_IS_DIRTY in $Volume's $VOLUME_INFORMATION (MFT record 3), as Windows does
    while a volume is in use; no update-sequence fixup touches bytes inside the value."""
    with open(path, "r+b") as f:
        boot = NtfsBootSector.parse(f.read(512))
        csize = cluster_size(boot)
        record_size = 1 << -boot.clusters_per_mft_record if boot.clusters_per_mft_record < 0 \
            else boot.clusters_per_mft_record * csize
        base = boot.mft_lcn * csize + 3 * record_size
        f.seek(base)
        record = bytearray(f.read(record_size))
        pos = int.from_bytes(record[0x14:0x16], "little")
        while pos < record_size - 8:
            attr_type = int.from_bytes(record[pos : pos + 4], "little")
            length = int.from_bytes(record[pos + 4 : pos + 8], "little")
            if attr_type == 0xFFFFFFFF or length == 0:
                break
            if attr_type == 0x70:
                value = pos + int.from_bytes(record[pos + 0x14 : pos + 0x16], "little")
                f.seek(base + value + 10)
                f.write((int.from_bytes(record[value + 10 : value + 12], "little") | 1).to_bytes(2, "little"))
                return
            pos += length
    raise AssertionError("no $VOLUME_INFORMATION in MFT record 3")


def test_dirty_ntfs_is_reported(tmp_path):
    volume = copy_fixture("vol-ntfs-churn", tmp_path / "dirty.img")
    assert not allocation_of(volume).notes
    set_ntfs_dirty(volume)
    info = subprocess.run(["ntfsinfo", "-m", str(volume)], capture_output=True, text=True).stdout
    assert "DIRTY" in info.upper(), "ntfsinfo (the oracle) should see the dirty flag we set"
    notes = allocation_of(volume).notes
    assert any("marked dirty" in n for n in notes)


def test_hibernated_windows_is_reported(tmp_path):
    volume = copy_fixture("vol-ntfs-churn", tmp_path / "hiber.img")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with mounted(["ntfs-3g", str(volume)], mnt):
        (mnt / "hiberfil.sys").write_bytes(b"HIBR" + bytes(64 * 1024 - 4))
    # ntfs-3g itself now refuses a read-write mount (and falls back to read-only): the oracle
    # agrees the volume is hibernated
    probe = subprocess.run(["ntfs-3g", str(volume), str(mnt)], capture_output=True, text=True)
    if probe.returncode == 0:
        subprocess.run(["umount", str(mnt)], check=True)
    assert "hibernated" in (probe.stderr + probe.stdout) and "read-only" in probe.stderr
    assert any("hibernated" in n for n in allocation_of(volume).notes)
    result = run_cli("inspect", volume)
    assert result.returncode == 0 and "hibernated" in result.stderr


def test_bitlocker_is_copied_raw_with_a_reason():
    # a BitLocker boot sector cannot be made by Linux tools: a hand-made corner case
    sector = bytearray(512)
    sector[0:11] = b"\xeb\x58\x90-FVE-FS-"
    sector[510:512] = b"\x55\xaa"
    disk = SparseDisk(8 * 1024 * 1024, {0: bytes(sector), 3 * 1024 * 1024: b"\x01" * 10})
    fs = detect_filesystem(disk.read, disk.size)
    assert fs.fs_type == "bitlocker"
    alloc = allocation_map(disk.read, disk.size, fs)
    assert alloc.raw and any("BitLocker" in n for n in alloc.notes)
    assert [(e.start, e.length) for e in alloc.used] == [(0, 65536), (3 * 1024 * 1024, 65536)]


def test_ext4_bitmap_checksum_mismatch_is_reported(tmp_path):
    volume = copy_fixture("vol-ext4-uninit", tmp_path / "csum.img")
    assert not allocation_of(volume).notes, "clean filesystem: every bitmap checksum must verify"
    with Source(str(volume)) as src:
        sb = parse_superblock(src.read)
        geo = ext_geometry(sb)
        desc = read_descriptors(src.read, geo)
    group = int(np.flatnonzero((desc["flags"] & 2) == 0)[-1])  # an initialised group
    offset = int(desc["block_bitmap"][group]) * geo.block_size + geo.blocks_per_group // 8 - 1
    with open(volume, "r+b") as f:  # mark the group's last block used: harmless, checksum now wrong
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte | 0x80]))
    notes = allocation_of(volume).notes
    assert any(f"checksum mismatch in 1 group(s) ({group})" in n for n in notes), notes
    fsck = subprocess.run(["e2fsck", "-fn", str(volume)], capture_output=True, text=True)
    assert fsck.returncode != 0, "e2fsck (the oracle) should find the damage too"


def test_fat_bad_clusters_are_kept_and_reported(tmp_path):
    from smartimage.filesystems import fat

    volume = copy_fixture("vol-fat32-churn", tmp_path / "bad.img")
    before = allocation_of(volume)
    with open(volume, "r+b") as f:
        geo = fat.geometry(f.read(512))
        last = geo.cluster_count + 1  # the last cluster: free on this volume
        for copy in range(geo.fat_count):
            f.seek(geo.fat_offset + copy * geo.fat_size + last * 4)
            f.write((0x0FFFFFF7).to_bytes(4, "little"))
    after = allocation_of(volume)
    bad_cluster = (geo.data_offset + (last - 2) * geo.cluster_size, geo.cluster_size)
    assert not before.used.contains(type(before.used).of([bad_cluster]))
    assert after.used.contains(type(after.used).of([bad_cluster]))
    assert any("1 cluster(s) marked bad" in n for n in after.notes)
    def clusters_in_use(path):  # fsck.vfat's summary line: "N files, USED/TOTAL clusters"
        out = subprocess.run(["fsck.vfat", "-n", str(path)], capture_output=True, text=True).stdout
        return int(out.rsplit(" clusters", 1)[0].split()[-1].split("/")[0])

    assert clusters_in_use(volume) == clusters_in_use(CACHE / "vol-fat32-churn.img") + 1


def test_swap_keeps_only_its_header_page():
    with Source(str(CACHE / "mbr-logical.img")) as src:
        from smartimage.device import window
        from smartimage.volumes import read_disk

        part = read_disk(src.read, src.size).partition(6)
        read = window(src.read, part.start, part.size)
        fs = detect_filesystem(read, part.size)
        alloc = allocation_map(read, part.size, fs)
        assert fs.fs_type == "swap" and fs.label == "swap1"
        assert [(e.start, e.length) for e in alloc.used] == [(0, 4096)]
        assert read(4086, 10) == b"SWAPSPACE2"


def test_inspect_extents_lists_the_map(tmp_path):
    import json

    result = run_cli("inspect", CACHE / "mbr-logical.img", "--extents", "2", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    oracle = json.loads((CACHE / "mbr-logical.alloc.json").read_text())["2"]["partclone_domain"]
    assert doc["filesystem"] == "ext4" and doc["extents"] == oracle
    assert doc["used_bytes"] == sum(length for _, length in oracle)
    table = run_cli("inspect", CACHE / "mbr-logical.img", "--extents", "2")
    assert table.returncode == 0 and f"{len(oracle)} used ranges" in table.stdout
    missing = run_cli("inspect", CACHE / "mbr-logical.img", "--extents", "4")
    assert missing.returncode == 2 and "has no partition 4" in missing.stderr
    container = run_cli("inspect", CACHE / "mbr-logical.img", "--extents", "3")
    assert container.returncode == 1 and "no allocation map" in container.stderr
