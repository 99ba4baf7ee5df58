"""Backup and verify on the real fixtures: the round trip proven through the reader without
restore code, every kind of damage detected, failures leave no image behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fixtures.build import ensure_built
from formats.image import HEADER_SIZE, TRAILER_SIZE
from smartimage.capture import DISK_AREAS
from smartimage.container.reader import ImageReader
from smartimage.device import Source
from smartimage.extent import ExtentMap
from tests.conftest import FIXTURES, run_cli

CACHE = ensure_built()
DISKS = [n for n in FIXTURES if not n.startswith("vol-")] + ["vol-ntfs-churn", "vol-ext4-metabg", "vol-xfs-raw"]


def backup(source, image, *extra) -> None:
    result = run_cli("backup", source, image, *extra)
    assert result.returncode == 0, result.stderr
    assert "Done" in result.stdout


def assert_round_trip(source_path, image_path, partitions=None) -> None:
    """Every chunk equals the source at its offset, and the chunks cover every used extent of
    every captured partition and every partition-table sector."""
    with ImageReader(str(image_path)) as reader, Source(str(source_path)) as src:
        covered = []
        for chunk in reader.chunks():
            assert reader.read_chunk(chunk) == src.read(chunk.disk_offset, chunk.length), chunk
            covered.append((chunk.disk_offset, chunk.length))
        covered = ExtentMap.of(covered)
        meta = reader.metadata
        for p in meta["partitions"]:
            wanted = p["allocation"] is not None and (partitions is None or p["number"] in partitions)
            assert p["captured"] == wanted, p["number"]
            if wanted:
                used = ExtentMap.of((p["start"] + s, n) for s, n in p["allocation"]["extents"])
                assert covered.contains(used), f"partition {p['number']}: used bytes missing from the image"
                assert p["allocation"]["used_bytes"] == used.total()
        tables = ExtentMap.of((a["offset"], len(__import__("base64").b64decode(a["data"])))
                              for a in meta["disk"]["table_areas"])
        assert covered.contains(tables)
        assert meta["source"]["size"] == src.size


@pytest.mark.parametrize("name", DISKS)
def test_whole_disk_round_trip(name, tmp_path):
    image = tmp_path / f"{name}.simg"
    backup(CACHE / f"{name}.img", image)
    assert_round_trip(CACHE / f"{name}.img", image)
    verify = run_cli("verify", image)
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stderr


def test_selected_partitions_round_trip(tmp_path):
    image = tmp_path / "c-drive.simg"
    backup(CACHE / "windows-gpt.img", image, "--partition", "3")
    assert_round_trip(CACHE / "windows-gpt.img", image, partitions={3})
    with ImageReader(str(image)) as reader:
        assert {c.partition for c in reader.chunks()} == {DISK_AREAS, 3}
        assert reader.metadata["scope"] == "partitions"


def test_inspect_image_shows_layout_and_provenance(tmp_path):
    image = tmp_path / "pc.simg"
    backup(CACHE / "windows-gpt.img", image)
    doc = json.loads(run_cli("inspect", image, "--json").stdout)
    disk = json.loads(run_cli("inspect", CACHE / "windows-gpt.img", "--json").stdout)
    assert doc["table"] == "gpt" and doc["disk_guid"] == disk["disk_guid"] and doc["disk_size"] == disk["disk_size"]
    strip = lambda ps: [(p["number"], p["start"], p["size"], p["filesystem"], p["label"]) for p in ps]
    assert strip(doc["partitions"]) == strip(disk["partitions"])
    for ours, theirs in zip(doc["partitions"], disk["partitions"]):
        if theirs["used_bytes"] is not None:  # inspect of a disk does not scan raw partitions
            assert ours["used_bytes"] == theirs["used_bytes"]
    assert all(0 <= p["stored_bytes"] <= max(p["used_bytes"] or 0, 1) for p in doc["partitions"])
    assert doc["tool"].startswith("smartimage ") and doc["created"] and doc["capture"]["mode"]
    table = run_cli("inspect", image)
    assert table.returncode == 0 and "smartimage image" in table.stdout and "Stored" in table.stdout


# ------------------------------------------------------------------ damage

@pytest.fixture()
def good_image(tmp_path):
    image = tmp_path / "good.simg"
    backup(CACHE / "windows-gpt.img", image)
    return image


def flip(path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ 0x5A]))


def one_line(result) -> str:
    assert "Traceback" not in result.stderr
    return result.stderr


def test_flipped_byte_in_a_chunk_is_named(good_image):
    with ImageReader(str(good_image)) as reader:
        chunk = max(reader.chunks(), key=lambda c: c.stored_length)
    flip(good_image, chunk.stored_offset + chunk.stored_length // 2)
    result = run_cli("verify", good_image)
    assert result.returncode == 3
    err = one_line(result)
    assert f"chunk {chunk.number} (partition {chunk.partition}, disk bytes {chunk.disk_offset}-" in err
    assert "1 of" in err and "chunks damaged" in err
    doc = json.loads(run_cli("verify", good_image, "--json").stdout)
    assert not doc["ok"] and [d["chunk"] for d in doc["damaged"]] == [chunk.number]


@pytest.mark.parametrize("where,expected", [
    ("header", "header checksum mismatch"),
    ("index", "chunk index damaged"),
    ("metadata", "metadata damaged"),
    ("trailer", "trailer checksum mismatch"),
])
def test_flipped_byte_in_structures(good_image, where, expected):
    with ImageReader(str(good_image)) as reader:
        tr = reader.trailer
        offset = {"header": 100, "index": tr.index_offset + 5, "metadata": tr.metadata_offset + 3,
                  "trailer": reader.size - TRAILER_SIZE + 40}[where]
    flip(good_image, offset)
    result = run_cli("verify", good_image)
    assert result.returncode == 3 and expected in one_line(result)
    assert run_cli("inspect", good_image).returncode == 3


@pytest.mark.parametrize("cut", [1, TRAILER_SIZE + 10, "half", "header"])
def test_truncated_image(good_image, cut):
    size = os.path.getsize(good_image)
    new = {"half": size // 2, "header": HEADER_SIZE // 2}.get(cut, size - cut if isinstance(cut, int) else 0)
    os.truncate(good_image, new)
    result = run_cli("verify", good_image)
    assert result.returncode == 3, result.stderr
    assert "truncated" in one_line(result) or "no trailer" in result.stderr


def test_non_image_and_empty_files(tmp_path):
    other = tmp_path / "photo.jpg"
    other.write_bytes(os.urandom(100_000))
    result = run_cli("verify", other)
    assert result.returncode == 1 and "is not a smartimage image" in one_line(result)
    empty = tmp_path / "empty.simg"
    empty.write_bytes(b"")
    assert run_cli("verify", empty).returncode == 1
    assert run_cli("verify", tmp_path / "missing.simg").returncode == 1


def test_newer_format_version_is_refused(good_image):
    import zlib

    with open(good_image, "r+b") as f:
        header = bytearray(f.read(HEADER_SIZE))
        header[8:10] = (99).to_bytes(2, "little")
        header[-4:] = zlib.crc32(bytes(header[:-4])).to_bytes(4, "little")
        f.seek(0)
        f.write(header)
    result = run_cli("verify", good_image)
    assert result.returncode == 1 and "format version 99 is newer" in one_line(result)


# ------------------------------------------------------------------ refusals and faults

def test_existing_image_is_not_replaced_without_force(good_image):
    before = good_image.read_bytes()
    result = run_cli("backup", CACHE / "mbr-logical.img", good_image)
    assert result.returncode == 1 and "already exists" in one_line(result)
    assert good_image.read_bytes() == before
    backup(CACHE / "mbr-logical.img", good_image, "--overwrite")
    assert good_image.read_bytes() != before


@pytest.mark.parametrize("args,code,text", [
    (["--partition", "42"], 2, "has no partition 42"),
    (["--partition", "3"], 2, "extended partition"),
    (["--level", "99"], 2, "out of range"),
    (["--threads", "0"], 2, "out of range"),
])
def test_bad_backup_arguments(tmp_path, args, code, text):
    result = run_cli("backup", CACHE / "mbr-logical.img", tmp_path / "x.simg", *args)
    assert result.returncode == code and text in one_line(result)
    assert not list(tmp_path.iterdir()), "nothing may be written"


def test_image_onto_its_own_source_is_refused(tmp_path):
    copy = tmp_path / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(CACHE / "superfloppy.img"), str(copy)], check=True)
    before = copy.read_bytes()
    result = run_cli("backup", copy, copy, "--overwrite")
    assert result.returncode == 1 and "is the source itself" in one_line(result)
    assert copy.read_bytes() == before


def test_destination_full_removes_the_partial_image(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], check=True)
    try:
        result = run_cli("backup", CACHE / "windows-gpt.img", mnt / "pc.simg")
        assert result.returncode == 1 and "no space left" in one_line(result)
        assert os.listdir(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_stops_and_removes_the_partial_image(tmp_path, sig, code, slow_volume):
    image = tmp_path / "slow.simg"
    proc = subprocess.Popen([sys.executable, "-m", "smartimage", "backup", str(slow_volume),
                             str(image), "--level", "19", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "slow.simg.partial").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5, "stops promptly"
    assert proc.returncode == code, err
    assert "stopped and cleaned up" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_digest_ending_in_zero_bytes_round_trips(tmp_path):
    """Regression: the index's hash column once went through numpy's 'S16', which drops trailing
    NUL bytes, so 1 chunk in 256 failed verify on a perfect image (found by the benchmark)."""
    from smartimage.compression import compress
    from smartimage.container.writer import ImageWriter
    from smartimage.hashing import chunk_hash

    blocks = []
    seed = 0
    while len(blocks) < 3:
        data = seed.to_bytes(8, "little") * 512
        if chunk_hash(data)[-1] == 0:
            blocks.append(data)
        seed += 1
    writer = ImageWriter(str(tmp_path / "z.simg"))
    for i, data in enumerate(blocks):
        writer.add_chunk(1, i * len(data), len(data), compress(data), chunk_hash(data))
    writer.finish({"partitions": [], "warnings": []})
    with ImageReader(str(tmp_path / "z.simg")) as reader:
        assert [reader.read_chunk(c) for c in reader.chunks()] == blocks
    assert run_cli("verify", tmp_path / "z.simg").returncode == 0
