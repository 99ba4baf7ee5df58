"""Benchmark: restore speed side by side, in one run, warm cache, median of N, each followed by
`sync TARGET` so every method pays for getting its bytes onto the disk.

On the volumes benchmarks/backup_speed.py builds (run it with --keep first):

  zstd -dc | partclone.<fs> -r          Clonezilla's restore
  zstd -dc | ntfsclone --restore-image  (NTFS)
  smartimage restore
  limit: zstd -T0 -dc of the used bytes' .zst into a file

    .venv/bin/python benchmarks/restore_speed.py [--dir /var/tmp/smartimage-bench] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from backup_speed import extract_used, run_pipeline  # noqa: E402


def timed(commands, output: Path, target: Path, runs: int, prepare) -> dict:
    times, rss = [], 0
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        _, peak = run_pipeline(commands, output)
        subprocess.run(["sync", str(target)], check=True)
        times.append(time.perf_counter() - started)
        rss = max(rss, peak)
    return {"seconds": statistics.median(times), "rss": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/smartimage-bench"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    smartimage = str(Path(sys.executable).with_name("smartimage"))
    work = args.dir
    rows = []
    for kind in ("ntfs", "ext4"):
        volume = work / f"{kind}-4g.img"
        if not volume.exists():
            raise SystemExit(f"{volume} missing: run benchmarks/backup_speed.py --keep first")
        size = volume.stat().st_size
        target = work / "target.img"
        sink = work / "sink"
        used = work / "used.bin"
        used_bytes = extract_used(volume, used)

        def fresh():
            target.unlink(missing_ok=True)
            with open(target, "wb") as f:
                f.truncate(size)
            subprocess.run(["sync"])

        # the compressed inputs, made once
        used_zst, pc_zst, nc_zst, simg = (work / n for n in ("used.zst", "pc.zst", "nc.zst", "restore.simg"))
        subprocess.run(["zstd", "-T0", "-3", "-q", "-f", str(used), "-o", str(used_zst)], check=True)
        partclone = {"ntfs": "partclone.ntfs", "ext4": "partclone.extfs"}[kind]
        run_pipeline([[partclone, "-c", "-q", "-s", str(volume), "-o", "-"], ["zstd", "-T0", "-3", "-q", "-c"]], pc_zst)
        if kind == "ntfs":
            run_pipeline([["ntfsclone", "-f", "--save-image", "-o", "-", str(volume)],
                          ["zstd", "-T0", "-3", "-q", "-c"]], nc_zst)
        subprocess.run([smartimage, "backup", str(volume), str(simg), "--overwrite"], check=True, capture_output=True)
        for path in (used_zst, pc_zst, nc_zst, simg):
            if path.exists():
                subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL)

        def add(name, commands, output):
            row = timed(commands, output, target, args.runs, fresh)
            row.update(kind=kind, name=name, used=used_bytes)
            rows.append(row)

        add("limit: zstd -T0 -dc of the used bytes", [["zstd", "-T0", "-dc", "-q", str(used_zst)]], target)
        add(f"zstd -dc | {partclone} -r", [["zstd", "-dc", "-q", str(pc_zst)],
                                            [partclone, "-r", "-q", "-s", "-", "-O", str(target)]], sink)
        if kind == "ntfs":
            add("zstd -dc | ntfsclone --restore-image", [["zstd", "-dc", "-q", str(nc_zst)],
                                                         ["ntfsclone", "-q", "--restore-image", "--overwrite",
                                                          str(target), "-"]], sink)
        add("smartimage restore", [[smartimage, "restore", str(simg), str(target), "--yes", "--layout", "keep"]], sink)
        for path in (used, used_zst, pc_zst, nc_zst, simg, target, sink):
            path.unlink(missing_ok=True)
    print(f"restore of a 4 GiB volume about half full (median of {args.runs}, warm cache, {os.cpu_count()} CPUs, "
          "each followed by sync)")
    print(f"{'fs':<5} {'method':<44} {'seconds':>8} {'MB/s':>7} {'x limit':>8} {'peak RSS MB':>12}")
    limits = {r["kind"]: r["seconds"] for r in rows if r["name"].startswith("limit")}
    for r in rows:
        print(f"{r['kind']:<5} {r['name']:<44} {r['seconds']:>8.2f} {r['used'] / r['seconds'] / 1e6:>7.0f} "
              f"{r['seconds'] / limits[r['kind']]:>8.2f} {r['rss'] / 1e6:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
