"""Files out of an image without restoring it: ls, extract and a read-only FUSE mount, on the
real fixtures (NTFS, FAT32, FAT16, FAT12, exFAT, ext4), judged by the sha256 of every file the
fixture builder wrote."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fixtures.build import ensure_built
from smartimage.browse import ImagePartition, extract, open_filesystem
from smartimage.container.reader import ImageReader
from tests.conftest import run_cli

CACHE = ensure_built()
CASES = [("windows-gpt", 1), ("windows-gpt", 3), ("mbr-logical", 1), ("mbr-logical", 2), ("mbr-logical", 7),
         ("mbr-logical", 8), ("superfloppy", 1), ("gpt-4kn", 2)]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    out = tmp_path_factory.mktemp("browse")
    made = {}
    for name in sorted({n for n, _ in CASES}):
        made[name] = out / f"{name}.simg"
        assert run_cli("backup", CACHE / f"{name}.img", made[name]).returncode == 0
    return made


def manifest(name, number):
    return json.loads((CACHE / f"{name}.files.json").read_text())[str(number)]


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.mark.parametrize("name,number", CASES)
def test_ls_recursive_lists_every_file_with_its_size(images, name, number, tmp_path):
    result = run_cli("ls", images[name], "--partition", number, "--recursive", "--json")
    assert result.returncode == 0, result.stderr
    listed = {e["path"]: e for e in json.loads(result.stdout) if e["type"] == "file"}
    files = manifest(name, number)
    assert set(files) <= set(listed), set(files) - set(listed)
    for path in files:
        out = tmp_path / "one"
        got = run_cli("extract", images[name], "--partition", number, path, out, "--force")
        assert got.returncode == 0, got.stderr
        assert sha(out) == files[path], path
        assert os.path.getsize(out) == listed[path]["size"]
        assert int(os.path.getmtime(out)) == listed[path]["mtime"]


@pytest.mark.parametrize("name,number", CASES)
def test_extract_a_whole_tree(images, name, number, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    result = run_cli("extract", images[name], "--partition", number, "/", dest)
    assert result.returncode == 0, result.stderr
    got = {"/" + str(p.relative_to(dest)): sha(p) for p in dest.rglob("*") if p.is_file()}
    assert got == manifest(name, number)


def test_ls_long_and_folder(images):
    result = run_cli("ls", images["windows-gpt"], "-p", "3", "/docs", "--long")
    assert result.returncode == 0 and "readme.txt" in result.stdout and "Modified" in result.stdout


def test_extract_refuses_to_overwrite_and_bad_paths(images, tmp_path):
    out = tmp_path / "readme.txt"
    out.write_text("mine")
    result = run_cli("extract", images["windows-gpt"], "-p", "3", "/docs/readme.txt", out)
    assert result.returncode == 1 and "already exists" in result.stderr and out.read_text() == "mine"
    bad = run_cli("extract", images["windows-gpt"], "-p", "3", "/docs/../../etc/passwd", tmp_path)
    assert bad.returncode == 2 and "'..'" in bad.stderr
    missing = run_cli("extract", images["windows-gpt"], "-p", "3", "/nope.txt", tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    nopart = run_cli("ls", images["windows-gpt"], "-p", "2")
    assert nopart.returncode == 1 and "cannot be browsed" in nopart.stderr


def test_damaged_chunk_fails_only_the_files_in_it(images, tmp_path):
    image = tmp_path / "damaged.simg"
    image.write_bytes(images["windows-gpt"].read_bytes())
    with ImageReader(str(image)) as reader:
        part = ImagePartition(reader, 3)
        fs = open_filesystem(part)
        big = fs.open("/data/random.bin")
        run = next(r for a in big for r in a if r.len and int(a.info.flags) & 2)
        victim = part.start + run.addr * fs.info.block_size
        chunk = next(c for c in reader.chunks() if c.disk_offset <= victim < c.disk_offset + c.length)
    with open(image, "r+b") as f:
        f.seek(chunk.stored_offset + chunk.stored_length // 2)
        byte = f.read(1)[0]
        f.seek(-1, 1)
        f.write(bytes([byte ^ 0xFF]))
    bad = run_cli("extract", image, "-p", "3", "/data/random.bin", tmp_path / "r.bin")
    assert bad.returncode == 3 and "/data/random.bin" in bad.stderr and f"chunk {chunk.number}" in bad.stderr
    assert not (tmp_path / "r.bin").exists() and not list(tmp_path.glob("*partial*"))
    other = run_cli("extract", image, "-p", "1", "/docs/readme.txt", tmp_path / "ok.txt")
    assert other.returncode == 0 and sha(tmp_path / "ok.txt") == manifest("windows-gpt", 1)["/docs/readme.txt"]


def test_extracting_one_file_reads_only_its_chunks(tmp_path):
    """A 200 MB file out of an image of a multi-GiB disk: the bytes read from the image are about
    the file's own, not the image's."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "thesis.bin").write_bytes(os.urandom(200_000_000))
    for i in range(3):
        (tree / f"other{i}.bin").write_bytes(os.urandom(150_000_000))
    volume = tmp_path / "disk.img"
    with open(volume, "wb") as f:
        f.truncate(3 << 30)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), str(volume)], check=True)
    expected = sha(tree / "thesis.bin")
    for item in tree.iterdir():
        item.unlink()
    image = tmp_path / "disk.simg"
    assert run_cli("backup", volume, image).returncode == 0
    volume.unlink()
    with ImageReader(str(image)) as reader:
        part = ImagePartition(reader, 1)
        fs = open_filesystem(part)
        extract(fs, part, "/thesis.bin", str(tmp_path / "thesis.bin"))
        image_size = reader.size
    assert sha(tmp_path / "thesis.bin") == expected
    assert 200_000_000 <= part.bytes_read_from_image < 200_000_000 + 24 * (1 << 20)
    assert part.bytes_read_from_image < image_size * 0.45


@pytest.mark.parametrize("name,number", [("windows-gpt", 3), ("mbr-logical", 2), ("mbr-logical", 7)])
def test_mount_shows_every_file(images, name, number, tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "smartimage", "mount", str(images[name]), str(mnt), "-p",
                             str(number)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not os.path.ismount(mnt) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.ismount(mnt), proc.stderr.read() if proc.poll() is not None else "not mounted"
        got = {"/" + str(p.relative_to(mnt)): sha(p) for p in mnt.rglob("*") if p.is_file()}
        assert got == manifest(name, number)
        with pytest.raises(OSError):
            (mnt / "new.txt").write_text("read-only")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert not os.path.ismount(mnt), "unmounted on Ctrl-C"
    assert "Traceback" not in (proc.stderr.read() if proc.stderr and not proc.stderr.closed else "")
