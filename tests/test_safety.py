"""Safety rules end to end on real loop-attached, mounted fixtures: rule #1 (never image onto the
disk being imaged), hot vs cold (refuse, freeze and thaw, allow), unhealthy NTFS, read errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from fixtures.build import ensure_built
from smartimage.container.reader import ImageReader
from tests.conftest import run_cli

CACHE = ensure_built()
MiB = 1 << 20


@contextmanager
def loop(path, *options):
    dev = subprocess.run(["losetup", "-f", "--show", *options, str(path)], capture_output=True, text=True,
                         check=True).stdout.strip()
    try:
        yield dev
    finally:
        subprocess.run(["losetup", "-d", dev], check=True)


@contextmanager
def mounted(source, mountpoint, *options):
    Path(mountpoint).mkdir(exist_ok=True)
    subprocess.run(["mount", *options, str(source), str(mountpoint)], check=True)
    try:
        yield Path(mountpoint)
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


@contextmanager
def tmpfs(mountpoint, size="64m"):
    Path(mountpoint).mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)], check=True)
    try:
        yield Path(mountpoint)
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def copy(name, dest) -> Path:
    subprocess.run(["cp", "--sparse=always", str(CACHE / f"{name}.img"), str(dest)], check=True)
    return Path(dest)


def one_line_error(result, code, *texts):
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for text in texts:
        assert text in result.stderr, result.stderr


def ext4_part(disk):
    """(start, size) of partition 2 (ext4 'linux-root') of the mbr-logical disk."""
    table = json.loads(subprocess.run(["sfdisk", "--json", str(disk)], capture_output=True, text=True).stdout)
    part = table["partitiontable"]["partitions"][1]
    return part["start"] * 512, part["size"] * 512


# ------------------------------------------------------------------ rule #1

def test_image_on_the_disk_being_imaged_is_refused(tmp_path):
    """The source disk is a loop device; the destination folder is on a filesystem of that same
    disk (mounted through a second loop over its partition): refused, nothing written."""
    disk = copy("mbr-logical", tmp_path / "disk.img")
    start, size = ext4_part(disk)
    with loop(disk, "-r") as whole, loop(disk, "-o", str(start), "--sizelimit", str(size)) as part, \
            mounted(part, tmp_path / "mnt") as mnt:
        result = run_cli("backup", whole, mnt / "backup.simg", "--partition", "5")
        one_line_error(result, 1, "dies with it", "--allow-same-disk")
        assert not any(mnt.glob("backup.simg*"))


def test_allow_same_disk_overrides_rule_1(tmp_path):
    disk = copy("mbr-logical", tmp_path / "disk.img")
    start, size = ext4_part(disk)
    with loop(disk, "-r") as whole, loop(disk, "-o", str(start), "--sizelimit", str(size)) as part, \
            mounted(part, tmp_path / "mnt") as mnt:
        result = run_cli("backup", whole, mnt / "backup.simg", "--partition", "5", "--allow-same-disk")
        assert result.returncode == 0, result.stderr
        assert (mnt / "backup.simg").exists()


def test_device_source_to_another_drive_is_fine(tmp_path):
    disk = copy("mbr-logical", tmp_path / "disk.img")
    with loop(disk, "-r") as whole, tmpfs(tmp_path / "usb") as usb:
        result = run_cli("backup", whole, usb / "disk.simg")
        assert result.returncode == 0, result.stderr
        with ImageReader(str(usb / "disk.simg")) as reader:
            assert reader.metadata["capture"]["mode"] == "cold"
            assert reader.metadata["source"]["kind"] == "block device"


def test_file_source_on_the_same_drive_only_warns(tmp_path):
    result = run_cli("backup", CACHE / "superfloppy.img", tmp_path / "floppy.simg")
    assert result.returncode == 0
    assert "same drive" in result.stderr


def test_restore_refuses_a_target_that_holds_the_image(tmp_path):
    disk = copy("mbr-logical", tmp_path / "disk.img")
    start, size = ext4_part(disk)
    with loop(disk, "-o", str(start), "--sizelimit", str(size)) as part, mounted(part, tmp_path / "mnt") as mnt:
        assert run_cli("backup", CACHE / "superfloppy.img", mnt / "f.simg").returncode == 0
        with loop(disk) as whole:
            before = subprocess.run(["sha256sum", whole], capture_output=True, text=True).stdout
            result = run_cli("restore", mnt / "f.simg", whole, "--yes")
            one_line_error(result, 1, "holds the image")
            assert subprocess.run(["sha256sum", whole], capture_output=True, text=True).stdout == before


# ------------------------------------------------------------------ hot and cold

def test_read_write_mounted_source_is_refused(tmp_path):
    disk = copy("mbr-logical", tmp_path / "disk.img")
    start, size = ext4_part(disk)
    with loop(disk, "-o", str(start), "--sizelimit", str(size)) as part, mounted(part, tmp_path / "mnt"), \
            tmpfs(tmp_path / "usb") as usb:
        result = run_cli("backup", disk, usb / "x.simg", "--partition", "2")
        one_line_error(result, 1, "in use", "mounted read-write", "cold", "--hot freeze")
        assert list(usb.iterdir()) == []
        other = run_cli("backup", disk, usb / "y.simg", "--partition", "5")  # partition 2 not selected
        assert other.returncode == 0, other.stderr


def test_read_only_mount_is_fine(tmp_path):
    disk = copy("mbr-logical", tmp_path / "disk.img")
    start, size = ext4_part(disk)
    with loop(disk, "-r", "-o", str(start), "--sizelimit", str(size)) as part, \
            mounted(part, tmp_path / "mnt", "-o", "ro"), tmpfs(tmp_path / "usb") as usb:
        result = run_cli("backup", disk, usb / "x.simg", "--partition", "2")
        assert result.returncode == 0, result.stderr
        with ImageReader(str(usb / "x.simg")) as reader:
            assert reader.metadata["capture"]["mode"] == "cold (mounted read-only)"


def frozen_state(mountpoint) -> bool:
    """Is the filesystem frozen?  FIFREEZE on a frozen filesystem fails with EBUSY; on a thawed one
    it succeeds, and we thaw it again at once.  (A probe write would block until the thaw.)"""
    import errno
    import fcntl

    from smartimage.hot import FIFREEZE, FITHAW

    fd = os.open(mountpoint, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.ioctl(fd, FIFREEZE, 0)
        except OSError as exc:
            assert exc.errno == errno.EBUSY, exc
            return True
        fcntl.ioctl(fd, FITHAW, 0)
        return False
    finally:
        os.close(fd)


def test_hot_freeze_freezes_and_thaws(tmp_path):
    disk = copy("mbr-logical", tmp_path / "disk.img")
    start, size = ext4_part(disk)
    with loop(disk, "-o", str(start), "--sizelimit", str(size)) as part, mounted(part, tmp_path / "mnt") as mnt, \
            tmpfs(tmp_path / "usb") as usb:
        result = run_cli("backup", disk, usb / "x.simg", "--partition", "2", "--hot", "freeze")
        assert result.returncode == 0, result.stderr
        assert not frozen_state(mnt), "thawed after the backup"
        with ImageReader(str(usb / "x.simg")) as reader:
            assert reader.metadata["capture"]["mode"] == "frozen"
        assert "frozen" in run_cli("inspect", usb / "x.simg").stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_hot_freeze_thaws_after_interrupt(tmp_path, sig, slow_volume):
    disk = tmp_path / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(slow_volume), str(disk)], check=True)
    with loop(disk) as dev, mounted(dev, tmp_path / "mnt") as mnt, tmpfs(tmp_path / "usb", "512m") as usb:
        proc = subprocess.Popen([sys.executable, "-m", "smartimage", "backup", dev, str(usb / "x.simg"),
                                 "--hot", "freeze", "--level", "19", "--threads", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (usb / "x.simg.partial").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert frozen_state(mnt), "frozen during the capture"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode != 0 and "stopped and cleaned up" in err and "Traceback" not in err
        assert not frozen_state(mnt), "thawed after the interrupt"
        assert list(usb.iterdir()) == []


def test_hot_freeze_refuses_ntfs_3g(tmp_path):
    disk = copy("vol-ntfs-churn", tmp_path / "ntfs.img")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["ntfs-3g", str(disk), str(mnt)], check=True)
    try:
        with tmpfs(tmp_path / "usb") as usb:
            result = run_cli("backup", disk, usb / "x.simg", "--hot", "freeze")
            one_line_error(result, 1, "cannot freeze", "FUSE")
            allowed = run_cli("backup", disk, usb / "x.simg", "--hot", "allow")
            assert allowed.returncode == 0 and "hot" in allowed.stderr.lower()
            with ImageReader(str(usb / "x.simg")) as reader:
                assert reader.metadata["capture"]["mode"] == "hot"
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


# ------------------------------------------------------------------ unhealthy sources

def test_hibernated_windows_is_refused_unless_forced(tmp_path):
    disk = copy("vol-ntfs-churn", tmp_path / "ntfs.img")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["ntfs-3g", str(disk), str(mnt)], check=True)
    (mnt / "hiberfil.sys").write_bytes(b"HIBR" + bytes(4092))
    subprocess.run(["umount", str(mnt)], check=True)
    result = run_cli("backup", disk, tmp_path / "c.simg")
    one_line_error(result, 1, "hibernated", "--force")
    assert not (tmp_path / "c.simg").exists()
    forced = run_cli("backup", disk, tmp_path / "c.simg", "--force")
    assert forced.returncode == 0, forced.stderr
    with ImageReader(str(tmp_path / "c.simg")) as reader:
        assert any("hibernated" in w for w in reader.metadata["warnings"])


# ------------------------------------------------------------------ read errors

class FaultySource:
    """A source whose bytes in ``bad`` ranges fail with EIO, as a disk with bad sectors does
    (device-mapper's error target is not available on this kernel): wraps the real Source."""

    def __init__(self, source, bad):
        self._source = source
        self.bad = bad

    def __getattr__(self, name):
        return getattr(self._source, name)

    def read_into(self, view, offset):
        from smartimage.errors import ReadError

        for start, length in self.bad:
            if offset < start + length and start < offset + len(view):
                raise ReadError(f"{self.path}: read error at byte {max(offset, start)}: Input/output error",
                                max(offset, start), length)
        self._source.read_into(view, offset)


def bad_range_in_partition(name, number):
    """A 4 KiB range inside the used data of a fixture partition."""
    from smartimage.capture import plan_backup
    from smartimage.device import Source

    with Source(str(CACHE / f"{name}.img")) as src:
        plan = plan_backup(src)
    cap = next(c for c in plan.partitions if c.partition.number == number)
    ext = max(cap.allocation.used, key=lambda e: e.length)
    return cap.partition.start + ext.start + 8192, 4096


def test_read_error_stops_the_backup_with_the_byte_range(tmp_path):
    from smartimage.backup import run_backup
    from smartimage.capture import plan_backup
    from smartimage.device import Source
    from smartimage.errors import ReadError

    start, length = bad_range_in_partition("windows-gpt", 3)
    with Source(str(CACHE / "windows-gpt.img")) as real:
        src = FaultySource(real, [(start, length)])
        plan = plan_backup(src)
        with pytest.raises(ReadError, match=f"read error at byte {start}"):
            run_backup(src, plan, str(tmp_path / "pc.simg"))
    assert list(tmp_path.iterdir()) == [], "no partial image left"


def test_rescue_continues_and_records_unreadable_ranges(tmp_path):
    from smartimage.backup import run_backup
    from smartimage.capture import plan_backup
    from smartimage.device import Source

    start, length = bad_range_in_partition("windows-gpt", 3)
    with Source(str(CACHE / "windows-gpt.img")) as real:
        src = FaultySource(real, [(start, length)])
        plan = plan_backup(src)
        result = run_backup(src, plan, str(tmp_path / "pc.simg"), rescue=True)
        assert result.unreadable == ((start, length),)
        with ImageReader(str(tmp_path / "pc.simg")) as reader:
            assert reader.metadata["unreadable"] == [[start, length]]
            assert reader.read(start, length) == bytes(length)
            assert reader.read(start - 512, 512) == real.read(start - 512, 512), "what reads is kept"
    shown = run_cli("inspect", tmp_path / "pc.simg")
    assert "unreadable" in shown.stderr + shown.stdout
