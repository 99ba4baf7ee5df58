"""`inspect --json` on every real fixture agrees with sfdisk --json and blkid -p."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import FIXTURES, run_cli

BLKID_TYPES = {"fat12": "vfat", "fat16": "vfat", "fat32": "vfat", "luks": "crypto_LUKS", "bitlocker": "BitLocker"}


def inspect_json(image) -> dict:
    result = run_cli("inspect", "--json", image)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", FIXTURES)
def test_partitions_match_sfdisk(load_fixture, name):
    fx = load_fixture(name)
    ours = inspect_json(fx.image)
    table = fx.sfdisk.get("partitiontable", {})
    theirs = table.get("partitions", [])
    sector = table.get("sectorsize", 512)
    if not theirs:  # superfloppy: sfdisk sees an empty dos label, we see a filesystem on the whole disk
        assert ours["table"] == "none"
        assert [(p["number"], p["start"], p["size"]) for p in ours["partitions"]] == [(1, 0, ours["disk_size"])]
        return
    assert ours["table"] == {"gpt": "gpt", "dos": "mbr"}[table["label"]]
    assert ours["sector_size"] == sector
    expected = {
        int(re.search(r"(\d+)$", p["node"]).group(1)): (p["start"] * sector, p["size"] * sector)
        for p in theirs
    }
    got = {p["number"]: (p["start"], p["size"]) for p in ours["partitions"]}
    assert got == expected
    if table["label"] == "gpt":
        assert ours["disk_guid"] == table["id"].lower()
        guids = {int(re.search(r"(\d+)$", p["node"]).group(1)): p["uuid"].lower() for p in theirs}
        assert {p["number"]: p["guid"] for p in ours["partitions"]} == guids
        names = {int(re.search(r"(\d+)$", p["node"]).group(1)): p.get("name", "") for p in theirs}
        assert {p["number"]: p["name"] for p in ours["partitions"]} == names


@pytest.mark.parametrize("name", FIXTURES)
def test_filesystems_match_blkid(load_fixture, name):
    fx = load_fixture(name)
    ours = {p["start"]: p for p in inspect_json(fx.image)["partitions"]}
    assert fx.blkid, "the fixture recorded no blkid probes"
    for probe in fx.blkid:
        part = ours[probe["start"]]
        blkid = probe["blkid"]
        if blkid.get("USAGE") != "filesystem" and blkid.get("TYPE") != "swap":
            assert part["filesystem"] is None, f"partition {part['number']}: blkid found nothing"
            continue
        assert BLKID_TYPES.get(part["filesystem"], part["filesystem"]) == blkid["TYPE"]
        if blkid["TYPE"] == "vfat":
            assert part["filesystem"].upper() == blkid["VERSION"]
        assert part["label"] == blkid.get("LABEL", "")
        assert part["uuid"].lower() == blkid.get("UUID", "").lower()


def test_backup_gpt_used_when_primary_damaged(load_fixture):
    fx = load_fixture("gpt-backup-only")
    ours = inspect_json(fx.image)
    assert any("primary GPT damaged" in w and "using backup" in w for w in ours["warnings"])
    assert len(ours["partitions"]) == 4


def test_table_output_names_what_it_shows(load_fixture):
    result = run_cli("inspect", load_fixture("windows-gpt").image)
    assert result.returncode == 0, result.stderr
    assert "GPT" in result.stdout and "disk-image file" in result.stdout
    for text in ("EFI System", "Microsoft reserved", "Microsoft basic data", "Windows recovery", "Windows", "ntfs", "fat32"):
        assert text in result.stdout


def test_mbr_flags_and_unaligned_start(load_fixture):
    ours = inspect_json(load_fixture("mbr-logical").image)
    first = ours["partitions"][0]
    assert first["start"] == 63 * 512 and first["bootable"]
    kinds = {p["number"]: p["kind"] for p in ours["partitions"]}
    assert kinds[3] == "extended" and [n for n, k in kinds.items() if k == "logical"] == [5, 6, 7, 8, 9]


@pytest.mark.parametrize("name,sector", [("gpt-4kn", 4096), ("mbr-logical", 512)])
def test_block_device_reports_kernel_sector_size(load_fixture, name, sector):
    """On a loop device the sector size comes from the kernel, and the layout equals the file's."""
    import subprocess

    fx = load_fixture(name)
    dev = subprocess.run(["losetup", "-f", "--show", "-r", "-b", str(sector), str(fx.image)],
                         capture_output=True, text=True, check=True).stdout.strip()
    try:
        on_device = inspect_json(dev)
    finally:
        subprocess.run(["losetup", "-d", dev], check=True)
    on_file = inspect_json(fx.image)
    assert on_device["source_kind"] == "block device" and on_device["sector_size"] == sector
    strip = lambda doc: [(p["number"], p["start"], p["size"], p["filesystem"], p["label"]) for p in doc["partitions"]]
    assert strip(on_device) == strip(on_file)
