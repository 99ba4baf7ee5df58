"""Restore and clone on the real fixtures, judged by the real tools: sgdisk -v / sfdisk --verify,
ntfsresize --info, dumpe2fs, e2fsck, fsck.vfat, and every file's sha256 read back through the
filesystem's own driver."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess

import pytest

from fixtures.build import ensure_built, read_all_files
from smartimage.device import Source, window
from smartimage.volumes import read_disk
from tests.conftest import run_cli

CACHE = ensure_built()
MiB = 1 << 20


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Whole-disk images of the fixtures, made once."""
    out = tmp_path_factory.mktemp("images")
    made = {}
    for name in ("windows-gpt", "mbr-logical", "gpt-4kn", "superfloppy"):
        made[name] = out / f"{name}.simg"
        result = run_cli("backup", CACHE / f"{name}.img", made[name])
        assert result.returncode == 0, result.stderr
    return made


def blank(path, size: int):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(4 << 20):
            h.update(block)
    return h.hexdigest()


def layout(path):
    with Source(str(path)) as src:
        return read_disk(src.read, src.size)


def extract(path, part, dest):
    with Source(str(path)) as src, open(dest, "wb") as out:
        read = window(src.read, part.start, part.size)
        out.truncate(part.size)
        for pos in range(0, part.size, 4 << 20):
            data = read(pos, 4 << 20)
            if data.count(0) != len(data):
                out.seek(pos)
                out.write(data)
    return dest


def check_files(target, fixture: str, tmp_path, numbers=None):
    """Every file the fixture builder wrote reads back with the same sha256, and fsck is clean."""
    files = json.loads((CACHE / f"{fixture}.files.json").read_text())
    blkid = {p["number"]: p["blkid"] for p in json.loads((CACHE / f"{fixture}.blkid.json").read_text())}
    disk = layout(target)
    for number, manifest in files.items():
        number = int(number)
        if numbers is not None and number not in numbers:
            continue
        part = disk.partition(number)
        fs = blkid[number]["TYPE"]
        kind = {"vfat": blkid[number].get("VERSION", "FAT32").lower()}.get(fs, fs)
        volume = extract(target, part, tmp_path / f"p{number}.img")
        fsck = {"ntfs": ["ntfsfix", "-n"], "exfat": ["fsck.exfat", "-n"]}.get(
            kind, ["fsck.vfat", "-n"] if kind.startswith("fat") else ["e2fsck", "-fn"])
        check = subprocess.run([*fsck, str(volume)], capture_output=True, text=True)
        assert check.returncode == 0, f"partition {number}: {check.stdout}{check.stderr}"
        assert read_all_files(kind, volume, tmp_path) == manifest, f"partition {number} files differ"
        volume.unlink()


def ntfs_size(path, part) -> int:
    dev = subprocess.run(["losetup", "-f", "--show", "-r", "-o", str(part.start), "--sizelimit", str(part.size),
                          str(path)], capture_output=True, text=True, check=True).stdout.strip()
    try:
        out = subprocess.run(["ntfsresize", "--info", "-f", dev], capture_output=True, text=True).stdout
    finally:
        subprocess.run(["losetup", "-d", dev], check=True)
    return int(re.search(r"Current volume size: (\d+) bytes", out).group(1))


def test_windows_disk_onto_a_disk_2_5x_bigger(images, tmp_path):
    source = layout(CACHE / "windows-gpt.img")
    target = blank(tmp_path / "new-disk.img", int(source.size * 2.5))
    result = run_cli("restore", images["windows-gpt"], target)
    assert result.returncode == 0, result.stderr
    assert "libparted" not in result.stderr, "libparted reads the written table as planned"
    verify = subprocess.run(["sgdisk", "-v", str(target)], capture_output=True, text=True)
    assert "No problems found" in verify.stdout, verify.stdout
    new = layout(target)
    assert new.disk_guid == source.disk_guid and not new.warnings
    old = {p.number: p for p in source.partitions}
    for p in new.partitions:
        assert p.start % MiB == 0
        assert (p.guid, p.type_id, p.name, p.attributes) == (old[p.number].guid, old[p.number].type_id,
                                                             old[p.number].name, old[p.number].attributes)
    assert [new.partition(n).size for n in (1, 2, 4)] == [old[n].size for n in (1, 2, 4)], "system partitions keep size"
    c = new.partition(3)
    assert c.size > old[3].size * 3
    assert new.partition(4).end > target.stat().st_size - 2 * MiB, "recovery moved to the end"
    gpt = subprocess.run(["sgdisk", "-p", str(target)], capture_output=True, text=True).stdout
    assert f"last usable sector is {target.stat().st_size // 512 - 34}" in gpt, "backup GPT at the real end"
    ntfs = ntfs_size(target, c)
    assert c.size - 4096 <= ntfs <= c.size, f"NTFS spans {ntfs} of its {c.size}-byte partition"
    with open(target, "rb") as f:
        f.seek(c.start + 0x1C)
        assert int.from_bytes(f.read(4), "little") == c.start // 512, "NTFS hidden sectors point at the partition"
    check_files(target, "windows-gpt", tmp_path)


@pytest.mark.parametrize("policy", ["auto", "proportional", "grow-last", "keep"])
def test_mbr_disk_with_logicals_onto_bigger_disk(images, tmp_path, policy):
    target = blank(tmp_path / "bigger.img", 300 * MiB)
    result = run_cli("restore", images["mbr-logical"], target, "--layout", policy)
    assert result.returncode == 0, result.stderr
    assert "libparted" not in result.stderr, "libparted reads the written table as planned"
    verify = subprocess.run(["sfdisk", "--verify", str(target)], capture_output=True, text=True)
    assert verify.returncode == 0 and "overlap" not in verify.stdout.lower(), verify.stdout + verify.stderr
    table = json.loads(subprocess.run(["sfdisk", "--json", str(target)], capture_output=True, text=True).stdout)
    assert [p["node"][-1] for p in table["partitiontable"]["partitions"]] == list("12356789")
    new, old = layout(target), layout(CACHE / "mbr-logical.img")
    grown = {p.number for p in new.partitions if p.kind != "extended" and p.size > old.partition(p.number).size}
    assert grown == {"auto": {2}, "proportional": {1, 2, 5, 9}, "grow-last": {9}, "keep": set()}[policy]
    for number in grown - {1}:  # ext grown to fill the partition, per dumpe2fs
        part = new.partition(number)
        volume = extract(target, part, tmp_path / "grown.img")
        info = subprocess.run(["dumpe2fs", "-h", str(volume)], capture_output=True, text=True).stdout
        blocks = int(re.search(r"Block count:\s+(\d+)", info).group(1))
        bsize = int(re.search(r"Block size:\s+(\d+)", info).group(1))
        assert part.size - bsize < blocks * bsize <= part.size
    if 1 in grown:  # FAT16 grown by fatresize: fsck.vfat counts the new clusters
        volume = extract(target, new.partition(1), tmp_path / "fat.img")
        out = subprocess.run(["fsck.vfat", "-n", str(volume)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout
        clusters = int(out.stdout.rsplit(" clusters", 1)[0].split("/")[-1])
        assert clusters * 1024 > 0.9 * new.partition(1).size
    assert new.partition(1).start == 63 * 512 and new.partition(1).bootable
    assert new.disk_signature == old.disk_signature
    with open(target, "rb") as f:  # moved FAT/NTFS partitions point their boot sector at the new start
        for number in (1, 8):
            part = new.partition(number)
            f.seek(part.start + 0x1C)
            assert int.from_bytes(f.read(4), "little") == part.start // 512, f"partition {number} hidden sectors"
    check_files(target, "mbr-logical", tmp_path)


def test_same_size_restore_gives_a_byte_identical_table(images, tmp_path):
    for name in ("windows-gpt", "mbr-logical", "gpt-4kn"):
        source = layout(CACHE / f"{name}.img")
        target = blank(tmp_path / f"{name}.img", source.size)
        if name == "gpt-4kn":  # the target must have 4096-byte sectors too: a loop device gives them
            dev = subprocess.run(["losetup", "-f", "--show", "-b", "4096", str(target)], capture_output=True,
                                 text=True, check=True).stdout.strip()
            try:
                result = run_cli("restore", images[name], dev)
            finally:
                subprocess.run(["losetup", "-d", dev], check=True)
        else:
            result = run_cli("restore", images[name], target)
        assert result.returncode == 0, result.stderr
        with open(CACHE / f"{name}.img", "rb") as a, open(target, "rb") as b:
            for area in source.table_areas:
                a.seek(area.offset)
                b.seek(area.offset)
                assert a.read(len(area.data)) == b.read(len(area.data)), f"{name}: {area.what} differs"
        check_files(target, name, tmp_path)


def test_single_partition_restore_leaves_the_others_untouched(images, tmp_path):
    target = tmp_path / "wiped.img"
    subprocess.run(["cp", "--sparse=always", str(CACHE / "windows-gpt.img"), str(target)], check=True)
    disk = layout(target)
    c = disk.partition(3)
    with open(target, "r+b") as f:  # wipe C:
        f.seek(c.start)
        f.write(bytes(c.size))
    others = {p.number: hashlib.sha256(open(target, "rb").read()[p.start : p.end]).hexdigest()
              for p in disk.partitions if p.number != 3}
    result = run_cli("restore", images["windows-gpt"], target, "--partition", "3", "--yes")
    assert result.returncode == 0, result.stderr
    data = open(target, "rb").read()
    for p in disk.partitions:
        if p.number != 3:
            assert hashlib.sha256(data[p.start : p.end]).hexdigest() == others[p.number], f"partition {p.number} changed"
    assert data[: 1 * MiB] == open(CACHE / "windows-gpt.img", "rb").read()[: 1 * MiB], "the table is untouched"
    check_files(target, "windows-gpt", tmp_path, numbers={3})


def test_smaller_target_that_fits_works_and_one_that_does_not_is_refused(images, tmp_path):
    fits = blank(tmp_path / "fits.img", 178 * MiB + 17 * 1024 + 512)  # the last partition ends at 177 MiB
    result = run_cli("restore", images["windows-gpt"], fits)
    assert result.returncode == 0, result.stderr
    assert "No problems found" in subprocess.run(["sgdisk", "-v", str(fits)], capture_output=True, text=True).stdout
    check_files(fits, "windows-gpt", tmp_path)
    small = blank(tmp_path / "small.img", 70 * MiB)  # EFI + MSR + recovery alone take 76 MiB
    before = sha256(small)
    result = run_cli("restore", images["windows-gpt"], small)
    assert result.returncode == 1 and "too small" in result.stderr and "Traceback" not in result.stderr
    assert sha256(small) == before


def test_windows_disk_onto_a_smaller_disk_shrinks_c(images, tmp_path):
    """150 MiB target for a 180 MiB disk whose C: (100 MiB) holds 3 MiB: C: is restored into a
    temporary file, shrunk with ntfsresize, and its used blocks copied."""
    target = blank(tmp_path / "smaller.img", 150 * MiB)
    result = run_cli("restore", images["windows-gpt"], target)
    assert result.returncode == 0, result.stderr
    assert "shrink ntfs" in result.stdout and "shrunk to" in result.stdout
    assert "No problems found" in subprocess.run(["sgdisk", "-v", str(target)], capture_output=True, text=True).stdout
    new, old = layout(target), layout(CACHE / "windows-gpt.img")
    c = new.partition(3)
    assert c.size < old.partition(3).size and [new.partition(n).size for n in (1, 2, 4)] == \
        [old.partition(n).size for n in (1, 2, 4)]
    assert ntfs_size(target, c) <= c.size
    with open(target, "rb") as f:
        f.seek(new.partition(4).start + 0x1C)
        assert int.from_bytes(f.read(4), "little") == new.partition(4).start // 512
    check_files(target, "windows-gpt", tmp_path)
    assert not list(images["windows-gpt"].parent.glob("smartimage-shrink-*")), "temporary files removed"


def test_mbr_disk_onto_a_smaller_disk_shrinks_ext(images, tmp_path):
    target = blank(tmp_path / "smaller.img", 100 * MiB)  # the source is 128 MiB, its partitions end at 118
    result = run_cli("restore", images["mbr-logical"], target)
    assert result.returncode == 0, result.stderr
    verify = subprocess.run(["sfdisk", "--verify", str(target)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    new, old = layout(target), layout(CACHE / "mbr-logical.img")
    shrunk = [p.number for p in new.partitions if p.kind != "extended" and p.size < old.partition(p.number).size]
    assert shrunk and all(old.partition(n).type_id == "0x83" for n in shrunk)
    check_files(target, "mbr-logical", tmp_path)


def test_dry_run_writes_nothing(images, tmp_path):
    target = blank(tmp_path / "t.img", 400 * MiB)
    before = sha256(target)
    result = run_cli("restore", images["windows-gpt"], target, "--dry-run")
    assert result.returncode == 0 and "dry run: nothing was written" in result.stdout
    assert "grow ntfs" in result.stdout and "New size" in result.stdout
    assert sha256(target) == before


def test_target_holding_data_needs_yes(images, tmp_path):
    target = tmp_path / "used.img"
    subprocess.run(["cp", "--sparse=always", str(CACHE / "windows-gpt.img"), str(target)], check=True)
    before = sha256(target)
    result = run_cli("restore", images["mbr-logical"], target)
    assert result.returncode == 1 and "holds a GPT partition table" in result.stderr and "--yes" in result.stderr
    assert sha256(target) == before
    result = run_cli("restore", images["mbr-logical"], target, "--yes")
    assert result.returncode == 0, result.stderr
    restored = layout(target)
    assert restored.table == "mbr" and not restored.warnings, "no GPT of the target's past survives"
    assert "gpt" not in subprocess.run(["blkid", "-p", "-o", "export", str(target)], capture_output=True,
                                       text=True).stdout.lower()
    check_files(target, "mbr-logical", tmp_path)
    floppy = run_cli("restore", images["superfloppy"], target, "--yes")
    assert floppy.returncode == 0, floppy.stderr
    assert layout(target).table == "none"
    check_files(target, "superfloppy", tmp_path)


def test_restore_refuses_its_own_image_as_target(images):
    before = sha256(images["superfloppy"])
    result = run_cli("restore", images["superfloppy"], images["superfloppy"], "--yes")
    assert result.returncode == 1 and "is the image itself" in result.stderr
    assert sha256(images["superfloppy"]) == before


def test_superfloppy_restore_grows_nothing_it_cannot(images, tmp_path):
    target = blank(tmp_path / "stick.img", 64 * MiB)
    result = run_cli("restore", images["superfloppy"], target)
    assert result.returncode == 0, result.stderr
    check_files(target, "superfloppy", tmp_path)


def test_clone_gives_the_same_disk_as_backup_and_restore(images, tmp_path):
    via_image = blank(tmp_path / "via-image.img", 300 * MiB)
    cloned = blank(tmp_path / "cloned.img", 300 * MiB)
    assert run_cli("restore", images["mbr-logical"], via_image).returncode == 0
    result = run_cli("clone", CACHE / "mbr-logical.img", cloned)
    assert result.returncode == 0, result.stderr
    dump = lambda path: subprocess.run(["sfdisk", "-d", str(path)], capture_output=True, text=True).stdout \
        .replace(str(path), "DISK")
    assert dump(via_image) == dump(cloned), "the same partition table"
    a = layout(via_image)
    grown = {p.number for p in a.partitions if p.size > layout(CACHE / "mbr-logical.img").partition(p.number).size}
    with open(via_image, "rb") as fa, open(cloned, "rb") as fb:
        for part in a.partitions:
            if part.number in grown or part.kind == "extended":
                continue  # resize2fs and e2fsck stamp the time into a grown filesystem's superblock
            fa.seek(part.start)
            fb.seek(part.start)
            assert fa.read(part.size) == fb.read(part.size), f"partition {part.number} differs"
    check_files(cloned, "mbr-logical", tmp_path)
    same = run_cli("clone", CACHE / "mbr-logical.img", CACHE / "mbr-logical.img", "--yes")
    assert same.returncode == 1 and "source itself" in same.stderr


def test_damaged_chunk_stops_the_restore_naming_it(images, tmp_path):
    from smartimage.container.reader import ImageReader

    image = tmp_path / "damaged.simg"
    image.write_bytes(images["windows-gpt"].read_bytes())
    with ImageReader(str(image)) as reader:
        chunk = max((c for c in reader.chunks() if c.partition == 3), key=lambda c: c.stored_length)
    with open(image, "r+b") as f:
        f.seek(chunk.stored_offset + chunk.stored_length // 2)
        byte = f.read(1)[0]
        f.seek(-1, 1)
        f.write(bytes([byte ^ 0xFF]))
    target = blank(tmp_path / "t.img", 200 * MiB)
    result = run_cli("restore", image, target)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert f"chunk {chunk.number} (partition 3, disk bytes {chunk.disk_offset}-" in result.stderr


def test_damaged_index_writes_nothing(images, tmp_path):
    from smartimage.container.reader import ImageReader

    image = tmp_path / "damaged.simg"
    image.write_bytes(images["windows-gpt"].read_bytes())
    with ImageReader(str(image)) as reader:
        index_offset = reader.trailer.index_offset
    with open(image, "r+b") as f:
        f.seek(index_offset + 10)
        f.write(b"\xff\xff")
    target = blank(tmp_path / "t.img", 200 * MiB)
    before = sha256(target)
    result = run_cli("restore", image, target)
    assert result.returncode == 3 and "chunk index damaged" in result.stderr
    assert sha256(target) == before


def test_libparted_cross_check_notices_a_table_that_differs_from_the_plan(tmp_path):
    from dataclasses import replace

    from smartimage.plan import plan_restore
    from smartimage.restore import Target, _cross_check_table
    from smartimage.container.reader import ImageReader
    from smartimage.restore import source_layout

    disk = CACHE / "windows-gpt.img"
    image = tmp_path / "w.simg"
    assert run_cli("backup", disk, image).returncode == 0
    with ImageReader(str(image)) as reader:
        plan = plan_restore(source_layout(reader.metadata), disk.stat().st_size, 512)
    target = Target(str(disk), writable=False)
    try:
        assert _cross_check_table(target, plan) == [], "the fixture's own table matches its same-size plan"
        wrong = replace(plan, partitions=tuple(replace(p, new_size=p.new_size - MiB) if p.number == 3 else p
                                               for p in plan.partitions))
        warnings = _cross_check_table(target, wrong)
        assert warnings and "partition(s) 3 differently" in warnings[0]
    finally:
        target.close()
