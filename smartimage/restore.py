"""Restore an image (or clone a live source) onto a target disk or file.

Order of work, so that a failure leaves a target that is at worst unbootable, never
silently wrong: partitions the plan shrinks are restored into sparse temporary files and
shrunk there first (a refusing tool stops the restore before the target is touched);
every chunk is written (hash checked as it is read) at its new offset;
partitions copied raw get their all-zero blocks zeroed; the partition table is written
(the source's bytes verbatim when the layout is unchanged); filesystems are grown to
their new partitions with their own tools; moved NTFS/FAT boot sectors get their new
hidden-sectors value; the target is synced and the kernel asked to re-read its table.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import tempfile
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import interrupt
from .backup import default_threads
from .capture import DISK_AREAS
from .device import block_device_geometry, same_file
from .errors import ImageDamagedError, RefusedError, SmartImageError, UsageError
from .extent import ExtentMap
from .filesystems import detect_filesystem
from .plan import GROWABLE, SHRINKABLE, PartitionPlan, PlanRefused, RestorePlan, SourceLayout, SourcePartition
from .progress import SILENT, Progress
from .volumes import read_disk
from .volumes.model import TableArea
from .volumes.writer import build_gpt, build_mbr

_ZERO_PIECE = 4 << 20
_BLKRRPART = 0x125F
MiB_ = 1 << 20


class RestoreError(SmartImageError):
    """A restore step failed after writing began; the message says which and what state the target is in."""


# ------------------------------------------------------------------ the image as the planner sees it

def source_layout(meta: dict) -> SourceLayout:
    disk = meta["disk"]
    entries_bytes = 128 * 128
    for area in disk["table_areas"]:
        if area["what"] == "GPT primary entries":
            entries_bytes = len(base64.b64decode(area["data"]))
    parts = []
    for p in meta["partitions"]:
        fs = p["filesystem"]
        alloc = p["allocation"]
        parts.append(SourcePartition(
            number=p["number"], start=p["start"], size=p["size"], type_id=p["type_id"], kind=p["kind"],
            fs_type=fs["type"] if fs else None, fs_size=fs["size"] if fs else None,
            used_bytes=alloc["used_bytes"] if alloc else None))
    return SourceLayout(disk["table"], disk["sector_size"], disk["size"], tuple(parts), entries_bytes)


def table_areas(meta: dict) -> list[TableArea]:
    return [TableArea(a["what"], a["offset"], base64.b64decode(a["data"])) for a in meta["disk"]["table_areas"]]


def captured_partitions(meta: dict) -> set[int]:
    return {p["number"] for p in meta["partitions"] if p["captured"]}


# ------------------------------------------------------------------ the target

class Target:
    """A disk or file opened for writing (block devices exclusively: O_EXCL fails if in use)."""

    def __init__(self, path: str, writable: bool):
        self.path = path
        flags = (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise RefusedError(f"{path}: no such disk or file",
                               "for a file target, create it first at the new disk's size (truncate -s SIZE)") from None
        self.is_block_device = stat.S_ISBLK(mode)
        if not (self.is_block_device or stat.S_ISREG(mode)):
            raise RefusedError(f"{path}: not a block device or a regular file")
        if self.is_block_device and writable:
            flags |= os.O_EXCL
        try:
            self.fd = os.open(path, flags)
        except OSError as exc:
            hint = "is it mounted or in use?" if exc.errno == 16 else None
            raise RefusedError(f"{path}: cannot open for {'writing' if writable else 'reading'}: {exc.strerror}",
                               hint) from None
        if self.is_block_device:
            self.size, self.sector_size = block_device_geometry(self.fd)
        else:
            self.size = os.fstat(self.fd).st_size
            self.sector_size = None

    def read(self, offset: int, length: int) -> bytes:
        if offset >= self.size:
            return b""
        return os.pread(self.fd, min(length, self.size - offset), offset)

    def write(self, offset: int, data) -> None:
        view = memoryview(data)
        done = 0
        while done < len(view):
            try:
                done += os.pwrite(self.fd, view[done:], offset + done)
            except OSError as exc:
                raise RestoreError(f"{self.path}: write error at byte {offset + done}: {exc.strerror} "
                                   "(the target is incomplete)") from None

    def sync(self) -> None:
        os.fsync(self.fd)

    def reread_partitions(self) -> bool:
        """Ask the kernel to read the new partition table (BLKRRPART); False if it would not.
        Loop devices without partition scanning always say no, which is harmless."""
        import fcntl

        try:
            fcntl.ioctl(self.fd, _BLKRRPART)
        except OSError:
            return os.path.basename(self.path).startswith("loop")
        return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def same_file(self, path: str) -> bool:
        return same_file(self.fd, path)


def describe_contents(target: Target) -> str | None:
    """What the target holds now ('a GPT partition table with 3 partitions', 'an ext4 filesystem'),
    or None when its first and last MiB are blank."""
    try:
        disk = read_disk(target.read, target.size, target.sector_size)
    except SmartImageError:
        return "unrecognised data"
    if disk.table in ("gpt", "mbr"):
        return f"a {disk.table.upper()} partition table with {len(disk.partitions)} partition(s)"
    if disk.partitions:
        fs = detect_filesystem(target.read, target.size)
        return f"a{'n' if fs and fs.fs_type[0] in 'aeiou' else ''} {fs.fs_type if fs else 'unknown'} filesystem"
    tail = target.read(max(0, target.size - (1 << 20)), 1 << 20)
    return "data at its end" if any(tail) else None


# ------------------------------------------------------------------ restoring single partitions

def plan_into_existing(meta, layout, target: Target, only: set[int], policy: str) -> RestorePlan:
    """The plan for restoring only the partitions ``only`` into the target's existing table, each
    at the place of the target's same-numbered partition, which must be big enough (a bigger one
    is grown into unless the policy is keep).  Raises UsageError or PlanRefused."""
    disk = read_disk(target.read, target.size, target.sector_size)
    by_number = {p.number: p for p in layout.partitions}
    captured = {p["number"] for p in meta["partitions"] if p["captured"]}
    plans = []
    for number in sorted(only):
        if number not in captured:
            raise UsageError(f"the image holds no data for partition {number} "
                             f"(captured: {', '.join(map(str, sorted(captured))) or 'none'})")
        try:
            dest = disk.partition(number)
        except KeyError:
            raise RefusedError(f"{target.path} has no partition {number} to restore into",
                               "restore the whole image, or create the partition first") from None
        src = by_number[number]
        need = src.fs_size or src.size
        if dest.size < need:
            raise PlanRefused(f"partition {number} of {target.path} holds {dest.size} bytes; the filesystem needs "
                              f"{need} ({need - dest.size} more)")
        size = dest.size if policy != "keep" else src.size
        plans.append(PartitionPlan(number, src.kind, src.fs_type, src.start, src.size, dest.start, size, False))
    return RestorePlan(disk.table, disk.sector_size, target.size, policy, tuple(plans))


# ------------------------------------------------------------------ the restore

@dataclass
class RestoreResult:
    target: str
    written_bytes: int
    seconds: float
    grown: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_restore(reader, target: Target, plan: RestorePlan, only: set[int] | None = None,
                threads: int | None = None, progress: Progress = SILENT, work_dir: str | None = None) -> RestoreResult:
    """Write ``reader``'s chunks (an ImageReader or a live clone source) onto ``target`` per ``plan``.
    ``only``: restore just these partitions into the target's existing table (nothing else written).
    Partitions the plan shrinks are first restored into sparse files in ``work_dir`` and shrunk
    there with their own tool, before anything is written to the target."""
    meta = reader.metadata
    started = time.monotonic()
    shrunk = _shrink_partitions(reader, plan, only, work_dir or tempfile.gettempdir())
    try:
        return _restore(reader, meta, target, plan, only, threads, progress, shrunk, started)
    finally:
        for path, _ in shrunk.values():
            os.unlink(path)


def _restore(reader, meta, target, plan, only, threads, progress, shrunk, started) -> RestoreResult:
    threads = threads or default_threads()
    moves = {p.number: (p.old_start, p.new_start, p.new_size) for p in plan.partitions}
    layout_same_disk = plan.unchanged and plan.target_size == meta["disk"]["size"]
    first_new_start = min((p.new_start for p in plan.partitions if p.kind != "extended"), default=plan.target_size)

    def destination(chunk) -> int | None:
        if chunk.partition == DISK_AREAS:
            if only:
                return None
            if layout_same_disk or chunk.disk_offset + chunk.length <= first_new_start:
                return chunk.disk_offset  # boot code and boot-loader gap; tables are rewritten below
            return None
        if (only is not None and chunk.partition not in only) or chunk.partition in shrunk:
            return None
        old_start, new_start, _ = moves[chunk.partition]
        return chunk.disk_offset - old_start + new_start

    work = [(c, destination(c)) for c in reader.chunks()]
    work = [(c, d) for c, d in work if d is not None]
    total = sum(c.length for c, _ in work)
    result = RestoreResult(target.path, 0, 0.0)
    progress.start("restore", total)
    try:
        with interrupt.deferred(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="restore") as pool:
            def write(item):
                chunk, offset = item
                target.write(offset, reader.read_chunk(chunk))
                return chunk
            pending: deque = deque()
            position = 0
            try:
                while position < len(work) or pending:
                    while position < len(work) and len(pending) < 2 * threads:
                        pending.append(pool.submit(write, work[position]))
                        position += 1
                    chunk = interrupt.wait(pending.popleft())
                    result.written_bytes += chunk.length
                    progress.advance(chunk.length, f"partition {chunk.partition}" if chunk.partition else "boot area")
            except BaseException as exc:
                for future in pending:
                    future.cancel()
                if isinstance(exc, ImageDamagedError):
                    raise ImageDamagedError(f"{exc.message}; {target.path} is incomplete",
                                            "restore again from an intact image (smartimage verify checks one)") from None
                raise
    finally:
        progress.finish()
    for number, (path, alloc) in shrunk.items():
        result.written_bytes += _copy_used(path, alloc, target, plan.partition(number).new_start)
        result.grown.append(f"partition {number}: {alloc.fs_type} shrunk to {plan.partition(number).new_size} bytes")
    _zero_raw_gaps(meta, target, plan, only)
    if not only:
        written = ExtentMap.of((d, c.length) for c, d in work)
        _zero_boot_area_gaps(meta, target, written, first_new_start)
        _write_table(meta, target, plan, layout_same_disk)
        _wipe_stale_gpt(target, plan, written)
        target.sync()
        result.warnings.extend(_cross_check_table(target, plan))
    target.sync()
    result.grown += _grow_filesystems(meta, target, plan, only, result.warnings)
    _fix_moved_boot_sectors(meta, target, plan, only)
    target.sync()
    if target.is_block_device and not only and not target.reread_partitions():
        result.warnings.append(f"the kernel did not re-read {target.path}'s new partition table: "
                               "run `partprobe` or re-plug the disk before using its partitions")
    result.seconds = time.monotonic() - started
    return result


def _shrink_partitions(reader, plan: RestorePlan, only, work_dir: str) -> dict[int, tuple[str, object]]:
    """Restore each partition the plan shrinks into a sparse file of its old size, shrink it with
    its filesystem's tool, and map its used blocks: {number: (file, allocation map)}.
    Raises RestoreError (nothing written to the target yet) when a tool refuses."""
    from .device import Source
    from .filesystems import allocation_map, detect_filesystem

    done: dict[int, tuple[str, object]] = {}
    try:
        for pl in plan.partitions:
            if not pl.shrinks or (only and pl.number not in only):
                continue
            if pl.fs_type not in SHRINKABLE:
                raise RestoreError(f"partition {pl.number}: {pl.fs_type} cannot be shrunk")
            fd, path = tempfile.mkstemp(prefix=f"smartimage-shrink-p{pl.number}-", suffix=".img", dir=work_dir)
            done[pl.number] = (path, None)
            with os.fdopen(fd, "r+b") as f:
                f.truncate(pl.old_size)
                for chunk in reader.chunks():
                    if chunk.partition == pl.number:
                        f.seek(chunk.disk_offset - pl.old_start)
                        f.write(reader.read_chunk(chunk))
            what = f"shrinking partition {pl.number} ({pl.fs_type}) to {pl.new_size} bytes"
            if pl.fs_type.startswith("ext"):
                _run_tool(["e2fsck", "-fy", path], what, ok_codes=(0, 1))
                _run_tool(["resize2fs", path, f"{pl.new_size // 1024}K"], what)
            else:
                _run_tool(["ntfsresize", "-f", "-s", str(pl.new_size), path], what, stdin="y\n")
            with Source(path) as src:
                size = min(src.size, pl.new_size)
                alloc = allocation_map(src.read, size, detect_filesystem(src.read, size))
            done[pl.number] = (path, alloc)
    except BaseException:
        for path, _ in done.values():
            os.unlink(path)
        raise
    return done


def _copy_used(path: str, alloc, target: Target, start: int) -> int:
    """Copy a shrunk volume's used bytes onto the target at ``start``; returns the bytes copied."""
    copied = 0
    with open(path, "rb") as f:
        for ext in alloc.used:
            for pos in range(ext.start, ext.end, _ZERO_PIECE):
                f.seek(pos)
                data = f.read(min(_ZERO_PIECE, ext.end - pos))
                target.write(start + pos, data)
                copied += len(data)
    return copied


def _zero_raw_gaps(meta: dict, target: Target, plan: RestorePlan, only: set[int] | None) -> None:
    """A raw-copied partition skipped its all-zero blocks: they must read as zeros on the target too."""
    for p in meta["partitions"]:
        alloc = p["allocation"]
        if not p["captured"] or not alloc or not alloc["raw"] or (only and p["number"] not in only):
            continue
        pl = plan.partition(p["number"])
        used = ExtentMap.of(alloc["extents"])
        for gap in ExtentMap.of([(0, pl.old_size)]).subtract(used):
            _zero(target, pl.new_start + gap.start, gap.length)


MAX_BOOT_AREA = 16 << 20


def _zero_boot_area_gaps(meta: dict, target: Target, written: ExtentMap, first_new_start: int) -> None:
    """Before the first partition (boot code, boot-loader gap) the target must read exactly as the
    source did: the all-zero blocks the backup skipped are zeroed, so no stale table or boot
    loader of the target's past survives there."""
    if meta["disk"]["table"] == "none":
        return
    first_old = min((p["start"] for p in meta["partitions"] if p["kind"] != "extended"), default=0)
    head = min(first_old, first_new_start, MAX_BOOT_AREA)
    for gap in ExtentMap.of([(0, head)]).subtract(written):
        _zero(target, gap.start, gap.length)


def _cross_check_table(target: Target, plan: RestorePlan) -> list[str]:
    """Read the written table back with libparted and compare it with the plan: a second parser
    that agrees is the cheapest proof the table is what every other tool will see."""
    if plan.table == "none" or (plan.sector_size != 512 and not target.is_block_device):
        return []  # libparted assumes 512-byte sectors in a plain file
    from .volumes.parted_check import table_as_parted_sees_it

    seen = table_as_parted_sees_it(target.path)
    if isinstance(seen, str):
        return [seen]
    wanted = {p.number: (p.new_start, p.new_size) for p in plan.partitions}
    if seen != wanted:
        differ = sorted(n for n in set(seen) | set(wanted) if seen.get(n) != wanted.get(n))
        return [f"libparted reads partition(s) {', '.join(map(str, differ))} differently from the plan: "
                "check the table with `sfdisk -d` or `sgdisk -v` before using the disk"]
    return []


def _wipe_stale_gpt(target: Target, plan: RestorePlan, written: ExtentMap) -> None:
    """An MBR or table-less target must not keep a GPT header from its past at sector 1 or at its
    last sector: tools would read the disk as GPT.  Only sectors nothing was restored to are cleared."""
    if plan.table == "gpt":
        return
    ss = plan.sector_size
    for lba in (1, target.size // ss - 1):
        sector = ExtentMap.of([(lba * ss, ss)])
        if target.read(lba * ss, 8) == b"EFI PART" and not len(sector.intersect(written)):
            _zero(target, lba * ss, ss)


def _zero(target: Target, offset: int, length: int) -> None:
    zeros = bytes(min(_ZERO_PIECE, length))
    for pos in range(offset, offset + length, _ZERO_PIECE):
        target.write(pos, zeros[: min(_ZERO_PIECE, offset + length - pos)])


def _write_table(meta: dict, target: Target, plan: RestorePlan, layout_same_disk: bool) -> None:
    areas = table_areas(meta)
    if plan.table == "none":
        return
    if layout_same_disk or (plan.unchanged and plan.table == "mbr"):
        for area in areas:  # the source's own bytes: a byte-identical table
            target.write(area.offset, area.data)
        return
    ss = plan.sector_size
    if plan.table == "gpt":
        entries = {p.number: (p.new_start, p.new_size) for p in plan.partitions}
        writes = build_gpt(areas, entries, ss, plan.target_size)
    else:
        by_number = {p["number"]: p for p in meta["partitions"]}
        parts, prev_end = [], 0
        for pl in sorted(plan.partitions, key=lambda p: p.new_start):
            src = by_number[pl.number]
            entry = dict(number=pl.number, kind=pl.kind, start=pl.new_start, size=pl.new_size,
                         type=int(src["type_id"], 16), bootable=src["bootable"])
            if pl.kind == "logical":
                entry["gap_before"] = pl.new_start - prev_end
            if pl.kind != "extended":
                prev_end = pl.new_start + pl.new_size
            parts.append(entry)
        writes = build_mbr(areas, parts, ss)
    for offset, data in writes:
        target.write(offset, data)


def _grow_filesystems(meta: dict, target: Target, plan: RestorePlan, only, warnings: list[str]) -> list[str]:
    grown = []
    by_number = {p["number"]: p for p in meta["partitions"]}
    for pl in plan.partitions:
        src = by_number[pl.number]
        if (only and pl.number not in only) or not src["captured"] or pl.fs_type not in GROWABLE:
            continue
        fs_size = (src["filesystem"] or {}).get("size") or pl.old_size
        if pl.new_size <= fs_size + (1 << 20):
            continue
        if pl.fs_type.startswith("fat"):
            problem = _grow_fat(target, pl.new_start, fs_size, pl.new_size, plan.sector_size, pl.fs_type)
            if problem:
                warnings.append(f"partition {pl.number}: {pl.fs_type} keeps its old size ({problem})")
                continue
        elif pl.fs_type.startswith("ext"):
            _grow_ext(target, pl.new_start, pl.new_size)
        else:
            _grow_ntfs(target, pl.new_start, pl.new_size)
        grown.append(f"partition {pl.number}: {pl.fs_type} grown to {pl.new_size} bytes"
                     + ("; ntfsresize marked it for a check: Windows runs chkdsk on it at first boot"
                        if pl.fs_type == "ntfs" else ""))
    return grown


def _fix_moved_boot_sectors(meta: dict, target: Target, plan: RestorePlan, only) -> None:
    """Windows' boot code finds its partition through the boot sector's hidden-sectors field
    (0x1C): for every NTFS and FAT partition that moved, set it (and its backup) to the new start."""
    for pl in plan.partitions:
        if (only and pl.number not in only) or not pl.moves or pl.kind == "extended":
            continue
        if pl.fs_type == "ntfs":
            _set_ntfs_hidden_sectors(target, pl.new_start, plan.sector_size)
        elif pl.fs_type in ("fat12", "fat16", "fat32"):
            _set_fat_hidden_sectors(target, pl.new_start, plan.sector_size)


def _set_fat_hidden_sectors(target: Target, start: int, sector_size: int) -> None:
    from .filesystems.fat import geometry

    geo = geometry(target.read(start, 512))
    if geo is None:
        return
    hidden = (start // sector_size).to_bytes(4, "little")
    target.write(start + 0x1C, hidden)
    if geo.fs_type == "fat32" and 0 < geo.boot.backup_boot_sector < geo.boot.reserved_sectors:
        target.write(start + geo.boot.backup_boot_sector * geo.sector_size + 0x1C, hidden)


def _run_tool(cmd: list[str], what: str, ok_codes=(0,), stdin: str | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, input=stdin)
    if proc.returncode not in ok_codes:
        detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise RestoreError(f"{what} failed: {' '.join(cmd[:2])} exited {proc.returncode}: "
                           f"{detail[-1] if detail else 'no output'} (data is restored; the filesystem keeps "
                           "its old size)")
    return proc.stdout


def _partition_loop(target: Target, start: int, size: int) -> str:
    """A loop device over exactly one partition of the target.  Not FILE?offset=: resize2fs
    truncates a regular file to the filesystem's end, which would cut off every later partition."""
    return _run_tool(["losetup", "-f", "--show", "-o", str(start), "--sizelimit", str(size), target.path],
                     "attaching the partition").strip()


def _grow_ext(target: Target, start: int, size: int) -> None:
    dev = _partition_loop(target, start, size)
    try:
        # e2fsck exits 1 when it fixed something (e.g. the orphan list): fine before a resize
        _run_tool(["e2fsck", "-fy", dev], "checking ext before growing", ok_codes=(0, 1))
        _run_tool(["resize2fs", dev], "growing ext")
    finally:
        subprocess.run(["losetup", "-d", dev], capture_output=True)


def _grow_ntfs(target: Target, start: int, size: int) -> None:
    dev = _partition_loop(target, start, size)
    try:
        _run_tool(["ntfsresize", "-f", "-P", dev], "growing NTFS", stdin="y\n")
    finally:
        subprocess.run(["losetup", "-d", dev], capture_output=True)


def _grow_fat(target: Target, start: int, old_size: int, new_size: int, sector_size: int, fs_type: str) -> str | None:
    """Grow FAT16/32 with fatresize, best effort; returns why not, or None when it grew.

    fatresize works only on a partition of a partitioned disk, still at its old size: the volume
    is copied into a scratch disk beside the target's bytes, resized there, and its used blocks
    (reserved area, both FATs, root directory, clusters) copied back."""
    from .device import Source
    from .filesystems import allocation_map, detect_filesystem

    if sector_size != 512:
        return "fatresize is only used on 512-byte-sector disks"
    boot = target.read(start, 512)
    label_at = 0x47 if fs_type == "fat32" else 0x2B
    fd, scratch = tempfile.mkstemp(prefix="smartimage-fatresize-", suffix=".img")
    os.close(fd)
    try:
        with open(scratch, "r+b") as f:
            f.truncate(MiB_ + new_size)
        script = f"label: dos\nstart={MiB_ // 512}, size={old_size // 512}, type={'c' if fs_type == 'fat32' else '6'}\n"
        _run_tool(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", scratch], "preparing fatresize", stdin=script)
        with open(scratch, "r+b") as f:
            for pos in range(0, old_size, _ZERO_PIECE):
                data = target.read(start + pos, min(_ZERO_PIECE, old_size - pos))
                if data.count(0) != len(data):
                    f.seek(MiB_ + pos)
                    f.write(data)
        proc = subprocess.run(["fatresize", "-f", "-n", "1", "-s", f"{new_size // MiB_}Mi", scratch],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            return f"fatresize refused: {detail[-1] if detail else proc.returncode}"
        with open(scratch, "r+b") as f:  # fatresize forgets the boot sector's label: put it back
            f.seek(MiB_ + label_at)
            f.write(boot[label_at : label_at + 11])
        with Source(scratch) as src:
            read = lambda off, n: src.read(MiB_ + off, min(n, max(0, new_size - off)))  # noqa: E731
            fs = detect_filesystem(read, new_size)
            if fs is None or not fs.fs_type.startswith("fat"):
                return "fatresize left no FAT filesystem behind"
            alloc = allocation_map(read, new_size, fs)
            for ext in alloc.used:
                for pos in range(ext.start, ext.end, _ZERO_PIECE):
                    target.write(start + pos, read(pos, min(_ZERO_PIECE, ext.end - pos)))
        _set_fat_hidden_sectors(target, start, sector_size)  # it says where the scratch partition was
        return None
    finally:
        os.unlink(scratch)


def _set_ntfs_hidden_sectors(target: Target, start: int, sector_size: int) -> None:
    """The Windows boot code finds its partition by the boot sector's hidden-sectors field (0x1C):
    set it, in the boot sector and in its backup, to the partition's new start sector."""
    boot = target.read(start, 512)
    if boot[3:11] != b"NTFS    ":
        return
    hidden = (start // sector_size).to_bytes(4, "little")
    target.write(start + 0x1C, hidden)
    total_sectors = int.from_bytes(boot[0x28:0x30], "little")
    bps = int.from_bytes(boot[0x0B:0x0D], "little")
    backup = start + total_sectors * bps
    if target.read(backup + 3, 8) == b"NTFS    ":
        target.write(backup + 0x1C, hidden)
