"""Fuzz every parser of untrusted bytes with mutated real samples: partition tables (MBR, EBR,
GPT), filesystem metadata (NTFS, FAT, exFAT, ext superblock/descriptors/bitmaps, swap) through
detection and allocation maps, and the image file (header, trailer, index, metadata, chunks).

Each input must give a result or the project's own SmartImageError; anything else (a crash,
a hang past the per-input deadline, an allocation past the memory cap) is a finding.

    .venv/bin/python benchmarks/fuzz.py [--inputs 100000] [--seed 1]     (make fuzz)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixtures.build import ensure_built  # noqa: E402
from smartimage.container.reader import ImageReader  # noqa: E402
from smartimage.device import Source, window  # noqa: E402
from smartimage.errors import SmartImageError  # noqa: E402
from smartimage.filesystems import allocation_map, detect_filesystem  # noqa: E402
from smartimage.volumes import read_disk  # noqa: E402

CACHE = ensure_built()
MiB = 1 << 20

# (fixture, partition) whose first MiB of metadata is mutated; the rest reads from the real volume
FS_SAMPLES = {
    "ntfs": ("vol-ntfs-churn", 1), "fat12": ("vol-fat12-16k", 1), "fat16": ("vol-fat16-full", 1),
    "fat32": ("vol-fat32-churn", 1), "exfat": ("vol-exfat-churn", 1), "ext4": ("vol-ext4-metabg", 1),
    "ext4-64bit": ("vol-ext4-uninit", 1), "ext3": ("vol-ext3-churn", 1), "swap": ("mbr-logical", 6),
}


class Overlay:
    """A volume's bytes with a mutated copy of its first bytes laid over them."""

    def __init__(self, read, size, head: bytes):
        self._read, self.size, self.head = read, size, head

    def read(self, offset, length):
        data = self._read(offset, length)
        if offset < len(self.head):
            end = min(len(self.head), offset + len(data))
            data = self.head[offset:end] + data[end - offset:]
        return data


@lru_cache(maxsize=None)
def _fs_volume(name):
    fixture, number = FS_SAMPLES[name]
    src = Source(str(CACHE / f"{fixture}.img"))
    part = read_disk(src.read, src.size).partition(number)
    read = window(src.read, part.start, part.size)
    return read, part.size, read(0, 2 * MiB)


def apply(data: bytes, mutations, span: tuple[int, int] | None = None) -> bytes:
    out = bytearray(data)
    lo, hi = span or (0, len(out))
    for pos, payload in mutations:
        if hi <= lo:
            break
        at = lo + pos % (hi - lo)
        out[at : at + len(payload)] = payload[: hi - at]
    return bytes(out)


def mutated_volume(name: str, mutations) -> Overlay:
    read, size, head = _fs_volume(name)
    # aim at the metadata: the first 8 KiB most of the time, anywhere in the 2 MiB otherwise
    spans = [(0, 8192)] * 3 + [(0, len(head))]
    return Overlay(read, size, apply(head, mutations, spans[mutations[0][0] % len(spans)]))


def mutate_filesystem(name: str, mutations) -> None:
    volume = mutated_volume(name, mutations)
    try:
        fs = detect_filesystem(volume.read, volume.size)
        if fs is not None:
            allocation_map(volume.read, volume.size, fs)
    except SmartImageError:
        pass


@lru_cache(maxsize=None)
def image_sample() -> bytes:
    """A small real image (the superfloppy fixture), made once."""
    import subprocess

    import atexit
    import shutil

    folder = tempfile.mkdtemp(prefix="smartimage-fuzz-")  # made by this code, never a stale one
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "sample.simg"
    subprocess.run([sys.executable, "-m", "smartimage", "backup", str(CACHE / "superfloppy.img"), str(path)],
                   check=True, capture_output=True)
    return path.read_bytes()


_scratch = Path(tempfile.gettempdir()) / f"smartimage-fuzz-{os.getpid()}.simg"


def mutate_image(sample: bytes, mutations, region: str, cut: int | None) -> None:
    data = apply(sample, mutations, _regions(sample)[region])
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _scratch.write_bytes(data)
    try:
        with ImageReader(str(_scratch)) as reader:
            for chunk in reader.chunks():
                reader.read_chunk(chunk)
            reader.read(0, 64 * 1024)
    except SmartImageError:
        pass


@lru_cache(maxsize=None)
def _regions(sample: bytes) -> dict[str, tuple[int, int]]:
    from formats.image import HEADER_SIZE, TRAILER_SIZE, Trailer

    tr = Trailer.parse(sample[-TRAILER_SIZE:])
    return {"header": (0, HEADER_SIZE), "trailer": (len(sample) - TRAILER_SIZE, len(sample)),
            "index": (tr.index_offset, tr.index_offset + tr.index_length),
            "metadata": (tr.metadata_offset, tr.metadata_offset + tr.metadata_length),
            "chunks": (HEADER_SIZE, tr.metadata_offset), "any": (0, len(sample))}


def _tables():
    samples = []
    for name in ("windows-gpt", "mbr-logical", "gpt-4kn"):
        with Source(str(CACHE / f"{name}.img")) as src:
            disk = read_disk(src.read, src.size)
            samples.append((src.size, {a.offset: a.data for a in disk.table_areas}))
    return samples


def mutate_tables(sample, mutations) -> None:
    from tests.conftest import SparseDisk

    size, areas = sample
    offsets = sorted(areas)
    changed = dict(areas)
    for pos, payload in mutations:
        off = offsets[pos % len(offsets)]
        changed[off] = apply(changed[off], [(pos // len(offsets), payload)])
    disk = SparseDisk(size, changed)
    try:
        read_disk(disk.read, size, None)
    except SmartImageError:
        pass


class Deadline(Exception):
    pass


def _alarm(signum, frame):
    raise Deadline()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs per parser")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help="comma-separated parsers: tables, image, or filesystem names")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # an unbounded allocation fails loudly
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(args.seed)
    tables = _tables()
    targets = {"tables": lambda m: mutate_tables(tables[m[0][0] % len(tables)], m),
               "image": lambda m: mutate_image(image_sample(), m, rng.choice(list(_regions(image_sample()))),
                                              rng.choice([None, None, None, rng.randrange(1 << 24)]))}
    targets.update({name: (lambda m, n=name: mutate_filesystem(n, m)) for name in FS_SAMPLES})
    if args.only:
        targets = {name: targets[name] for name in args.only.split(",")}
    failures = 0
    print(f"{'parser':<12} {'inputs':>8} {'seconds':>8} {'findings':>9}")
    for name, run in targets.items():
        started, found = time.monotonic(), 0
        for _ in range(args.inputs):
            mutations = [(rng.randrange(1 << 30), rng.randbytes(rng.choice([1, 1, 2, 4, 8]))
                          if rng.random() < 0.7 else rng.choice([b"\x00", b"\xff", b"\xff\xff\xff\xff", b"\x80"]))
                         for _ in range(rng.randint(1, 6))]
            signal.alarm(5)
            try:
                run(mutations)
            except Deadline:
                found += 1
                print(f"  {name}: HANG (> 5 s) on {mutations!r}")
            except Exception:  # noqa: BLE001 — anything but our own error is a finding
                found += 1
                if found <= 5:
                    print(f"  {name}: CRASH on {mutations!r}\n{traceback.format_exc(limit=3)}")
            finally:
                signal.alarm(0)
        failures += found
        print(f"{name:<12} {args.inputs:>8} {time.monotonic() - started:>8.1f} {found:>9}", flush=True)
    _scratch.unlink(missing_ok=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
