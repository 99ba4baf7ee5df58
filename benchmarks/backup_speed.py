"""Benchmark: backup speed and size side by side, in one run, warm cache, median of N.

Builds a realistic Windows-like NTFS C: (4 GiB, about half full: copies of /usr/share and part
of /usr/lib, incompressible files, zero files, thousands of small files) and an ext4 volume
with the same content, then times on each:

  partclone.<fs> -c | zstd -T0 -3       what Clonezilla does
  ntfsclone --save-image | zstd -T0 -3  (NTFS)
  e2image -ra | zstd -T0 -3             (ext4)
  smartimage backup --level 3
  limit: zstd -T0 -3 of the used bytes alone, pre-extracted into the page cache

and smartimage on a 4x larger volume holding the same data.  Prints a table; needs root.

    .venv/bin/python benchmarks/backup_speed.py [--dir /var/tmp/smartimage-bench] [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from smartimage.device import Source  # noqa: E402
from smartimage.filesystems import allocation_map, detect_filesystem  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def build_tree(root: Path) -> None:
    """About 1.9 GiB: /usr/share, /usr/lib up to ~0.9 GiB, 200 MiB random, 100 MiB zeros, 5000 small files."""
    if (root / ".done").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    sh("cp", "-r", "/usr/share", str(root / "share"))
    budget = 900 * MiB
    (root / "lib").mkdir()
    for entry in sorted(Path("/usr/lib").iterdir()):
        if budget <= 0:
            break
        size = int(sh("du", "-sb", str(entry)).stdout.split()[0])
        if size > budget:
            continue
        sh("cp", "-r", str(entry), str(root / "lib" / entry.name))
        budget -= size
    rng = random.Random(7)
    (root / "media").mkdir()
    for i in range(4):
        (root / "media" / f"video{i}.bin").write_bytes(rng.randbytes(50 * MiB))
    (root / "zeros").mkdir()
    for i in range(2):
        (root / "zeros" / f"zero{i}.img").write_bytes(bytes(50 * MiB))
    small = root / "Users" / "ana" / "Documents"
    small.mkdir(parents=True)
    words = [f"word{i}" for i in range(500)]
    for i in range(5000):
        (small / f"note{i:04d}.txt").write_text(" ".join(rng.choices(words, k=rng.randint(50, 1500))))
    (root / ".done").write_text("ok")


def make_volume(kind: str, path: Path, size: int, tree: Path) -> None:
    if path.exists():
        return
    tmp = path.with_suffix(".building")
    with open(tmp, "wb") as f:
        f.truncate(size)
    if kind == "ntfs":
        sh("mkntfs", "-q", "-F", "-Q", "-L", "C", str(tmp))
        mnt = path.parent / "mnt"
        mnt.mkdir(exist_ok=True)
        sh("ntfs-3g", str(tmp), str(mnt))
        try:
            for item in tree.iterdir():
                if item.name != ".done":
                    sh("cp", "-r", str(item), str(mnt / item.name))
        finally:
            sh("umount", str(mnt))
    else:
        sh("mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), str(tmp))
    tmp.rename(path)


def extract_used(volume: Path, dest: Path) -> int:
    """The used bytes alone, concatenated: what an ideal imager would compress."""
    with Source(str(volume)) as src, open(dest, "wb") as out:
        alloc = allocation_map(src.read, src.size, detect_filesystem(src.read, src.size))
        for ext in alloc.used:
            for pos in range(ext.start, ext.end, 16 * MiB):
                out.write(src.read(pos, min(16 * MiB, ext.end - pos)))
        return alloc.used_bytes


def run_pipeline(commands: list[list[str]], output: Path) -> tuple[float, int]:
    """Run cmd1 | cmd2 | ... > output; returns (seconds, sum of each process's peak RSS in bytes).

    Each command runs under GNU time, which forks it from a small process: the kernel counts a
    child's pre-exec memory in its peak RSS, so forking straight from this Python would add ours."""
    started = time.perf_counter()
    procs, logs = [], []
    with open(output, "wb") as out:
        prev = None
        for i, cmd in enumerate(commands):
            log = output.with_name(f"rss-{i}.txt")
            logs.append(log)
            last = i == len(commands) - 1
            proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(log), *cmd], stdin=prev,
                                    stdout=out if last else subprocess.PIPE, stderr=subprocess.DEVNULL)
            if prev is not None:
                prev.close()
            prev = proc.stdout
            procs.append(proc)
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError(f"{' '.join(proc.args)} exited {proc.returncode}")
    seconds = time.perf_counter() - started
    rss = sum(int(log.read_text().split()[-1]) * 1024 for log in logs)
    for log in logs:
        log.unlink()
    return seconds, rss


def measure(name, commands, output, runs) -> dict:
    times, rss = [], 0
    for _ in range(runs):
        output.unlink(missing_ok=True)
        seconds, peak = run_pipeline(commands, output)
        times.append(seconds)
        rss = max(rss, peak)
    return {"name": name, "seconds": statistics.median(times), "bytes": output.stat().st_size, "rss": rss}


def bench_volume(kind: str, volume: Path, work: Path, runs: int, smartimage: str) -> list[dict]:
    used_file = work / f"{kind}.used"
    used = extract_used(volume, used_file)
    for path in (volume, used_file):  # warm the page cache
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL)
    out = work / "out"
    zstd = ["zstd", "-T0", "-3", "-q", "-c"]
    partclone = {"ntfs": "partclone.ntfs", "ext4": "partclone.extfs"}[kind]
    rows = [measure("limit: zstd -T0 -3 of the used bytes", [zstd + [str(used_file)]], out, runs)]
    rows.append(measure(f"{partclone} -c | zstd -T0 -3",
                        [[partclone, "-c", "-q", "-s", str(volume), "-o", "-"], zstd], out, runs))
    if kind == "ntfs":
        rows.append(measure("ntfsclone --save-image | zstd -T0 -3",
                            [["ntfsclone", "-f", "--save-image", "-o", "-", str(volume)], zstd], out, runs))
    else:
        rows.append(measure("e2image -ra | zstd -T0 -3", [["e2image", "-ra", str(volume), "-"], zstd], out, runs))
    image = work / "out.simg"
    rows.append(measure("smartimage backup --level 3",
                        [[smartimage, "backup", str(volume), str(image), "--level", "3", "--overwrite"]], out, runs))
    rows[-1]["bytes"] = image.stat().st_size
    image.unlink()
    used_file.unlink()
    for row in rows:
        row["kind"] = kind
        row["used"] = used
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/smartimage-bench"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the built volumes for the next run")
    args = parser.parse_args()
    smartimage = str(Path(sys.executable).with_name("smartimage"))
    work = args.dir
    work.mkdir(parents=True, exist_ok=True)
    tree = work / "tree"
    build_tree(tree)
    rows = []
    try:
        for kind in ("ntfs", "ext4"):
            volume = work / f"{kind}-4g.img"
            make_volume(kind, volume, 4 * GiB, tree)
            rows += bench_volume(kind, volume, work, args.runs, smartimage)
            big = work / f"{kind}-16g.img"
            make_volume(kind, big, 16 * GiB, tree)
            big_rows = bench_volume(kind, big, work, args.runs, smartimage)
            row = big_rows[-1]
            row["name"] = "smartimage backup, 4x larger volume, same data"
            rows.append(row)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"backup of a 4 GiB volume about half full (median of {args.runs}, warm cache, {os.cpu_count()} CPUs)")
    print(f"{'fs':<5} {'method':<48} {'seconds':>8} {'MB/s':>7} {'image MiB':>10} {'x limit':>8} {'peak RSS MB':>12}")
    limits = {r["kind"]: r["seconds"] for r in rows if r["name"].startswith("limit")}
    for r in rows:
        print(f"{r['kind']:<5} {r['name']:<48} {r['seconds']:>8.2f} {r['used'] / r['seconds'] / 1e6:>7.0f} "
              f"{r['bytes'] / MiB:>10.1f} {r['seconds'] / limits[r['kind']]:>8.2f} {r['rss'] / 1e6:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
