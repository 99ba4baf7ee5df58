"""Shared test helpers: the real-disk fixture cache and a CLI runner that sees what a user sees."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.build import ensure_built, fixture_names

FIXTURES = fixture_names()


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    return ensure_built()


@dataclass
class Fixture:
    name: str
    image: Path
    sfdisk: dict
    blkid: list
    files: dict


@pytest.fixture(scope="session")
def load_fixture(fixture_dir):
    def load(name: str) -> Fixture:
        return Fixture(
            name=name,
            image=fixture_dir / f"{name}.img",
            sfdisk=json.loads((fixture_dir / f"{name}.sfdisk.json").read_text()),
            blkid=json.loads((fixture_dir / f"{name}.blkid.json").read_text()),
            files=json.loads((fixture_dir / f"{name}.files.json").read_text()),
        )

    return load


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """Run `smartimage ARGS` as a separate process (real exit code, real stderr)."""
    proc = subprocess.run([sys.executable, "-m", "smartimage", *map(str, args)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


class SparseDisk:
    """An in-memory disk: a few byte areas over zeros, for parser tests on real sectors."""

    def __init__(self, size: int, areas: dict[int, bytes]):
        self.size = size
        self.areas = dict(areas)

    def read(self, offset: int, length: int) -> bytes:
        if offset >= self.size:
            return b""
        length = min(length, self.size - offset)
        out = bytearray(length)
        for start, data in self.areas.items():
            lo, hi = max(start, offset), min(start + len(data), offset + length)
            if lo < hi:
                out[lo - offset : hi - offset] = data[lo - start : hi - start]
        return bytes(out)


@pytest.fixture(scope="session")
def slow_volume(tmp_path_factory):
    """An ext4 volume holding 288 MiB of base64 text: zstd level 19 on one thread compresses it at
    about 3 MB/s here, so imaging it takes long enough to interrupt it midway."""
    import base64
    import os
    import subprocess

    work = tmp_path_factory.mktemp("slow")
    tree = work / "tree"
    tree.mkdir()
    for i in range(6):
        (tree / f"text{i}.txt").write_bytes(base64.b64encode(os.urandom(36 << 20)))
    volume = work / "slow.img"
    with open(volume, "wb") as f:
        f.truncate(600 << 20)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), str(volume)], check=True)
    for item in tree.iterdir():
        item.unlink()
    return volume
