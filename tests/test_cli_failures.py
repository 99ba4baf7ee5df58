"""Across the whole CLI: every failure path ends in a one-line error with the documented exit
code (1 refused/failed, 2 usage, 3 image damaged) and never a traceback."""

from __future__ import annotations

import os

import pytest

from fixtures.build import ensure_built
from tests.conftest import run_cli

CACHE = ensure_built()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    assert run_cli("backup", CACHE / "windows-gpt.img", d / "pc.simg").returncode == 0
    for name, offset in (("damaged.simg", 100), ("chunk-damaged.simg", 5000)):  # header / first chunk
        damaged = d / name
        damaged.write_bytes((d / "pc.simg").read_bytes())
        with open(damaged, "r+b") as f:
            f.seek(offset)
            f.write(b"\xff" * 64)
    (d / "not-an-image.bin").write_bytes(os.urandom(50000))
    with open(d / "small.img", "wb") as f:
        f.truncate(50 << 20)
    with open(d / "big.img", "wb") as f:
        f.truncate(400 << 20)
    (d / "existing.simg").write_bytes(b"keep me")
    (d / "folder").mkdir()
    return d


CASES = [
    # (arguments, exit code, words in the error)
    (["inspect", "{d}/missing.img"], 1, "no such file"),
    (["inspect", "{d}/not-an-image.bin"], 1, "no partition table or filesystem"),
    (["inspect", "{d}/damaged.simg"], 3, "header checksum mismatch"),
    (["inspect", "--sector-size", "1024", "x"], 2, "invalid choice"),
    (["backup", "{d}/missing.img", "{d}/x.simg"], 1, "no such file"),
    (["backup", "{fx}/windows-gpt.img", "{d}/existing.simg"], 1, "already exists"),
    (["backup", "{fx}/windows-gpt.img", "{d}/x.simg", "-p", "9"], 2, "has no partition 9"),
    (["backup", "{fx}/windows-gpt.img", "{d}/x.simg", "--level", "0"], 2, "out of range"),
    (["backup", "{fx}/windows-gpt.img", "{d}/x.simg", "--hot", "maybe"], 2, "invalid choice"),
    (["backup", "{fx}/windows-gpt.img", "{d}/nodir/x.simg"], 1, "does not exist"),
    (["verify", "{d}/not-an-image.bin"], 1, "not a smartimage image"),
    (["verify", "{d}/missing.simg"], 1, "no such image"),
    (["verify", "{d}/damaged.simg"], 3, "header checksum mismatch"),
    (["verify", "{d}/chunk-damaged.simg"], 3, "chunks damaged"),
    (["restore", "{d}/chunk-damaged.simg", "{d}/big.img"], 3, "hash mismatch"),
    (["extract", "{d}/damaged.simg", "-p", "3", "/docs", "{d}"], 3, "header checksum mismatch"),
    (["restore", "{d}/pc.simg", "{d}/small.img"], 1, "too small"),
    (["restore", "{d}/pc.simg", "{d}/missing.img"], 1, "no such disk or file"),
    (["restore", "{d}/pc.simg", "{d}/folder"], 1, "not a block device or a regular file"),
    (["restore", "{d}/not-an-image.bin", "{d}/big.img"], 1, "not a smartimage image"),
    (["restore", "{d}/pc.simg", "{d}/big.img", "--layout", "biggest"], 2, "invalid choice"),
    (["restore", "{d}/pc.simg", "{d}/big.img", "-p", "7"], 2, "holds no data for partition 7"),
    (["restore", "{d}/pc.simg", "{d}/pc.simg", "--yes"], 1, "is the image itself"),
    (["restore", "{d}/pc.simg", "{fx}/mbr-logical.img"], 1, "holds a MBR partition table"),
    (["clone", "{d}/missing.img", "{d}/big.img"], 1, "no such file"),
    (["clone", "{fx}/windows-gpt.img", "{fx}/windows-gpt.img"], 1, "source itself"),
    (["ls", "{d}/pc.simg"], 2, "required: --partition"),
    (["ls", "{d}/pc.simg", "-p", "9"], 2, "holds no partition 9"),
    (["ls", "{d}/pc.simg", "-p", "3", "/nope"], 2, "no such file or folder"),
    (["ls", "{d}/pc.simg", "-p", "3", "/a", "/b"], 2, "unrecognized arguments"),
    (["extract", "{d}/pc.simg", "-p", "3", "/docs/readme.txt", "{d}/existing.simg"], 1, "already exists"),
    (["extract", "{d}/pc.simg", "-p", "3", "/../x", "{d}"], 2, "'..'"),
    (["mount", "{d}/pc.simg", "{d}/missing-dir", "-p", "3"], 2, "is not a folder"),
    (["frobnicate"], 2, "invalid choice"),
]


@pytest.mark.parametrize("args,code,words", CASES, ids=[" ".join(c[0][:2]) + f" {i}" for i, c in enumerate(CASES)])
def test_failure_is_one_clear_line(work, args, code, words):
    args = [a.format(d=work, fx=CACHE) for a in args]
    before = {p.name: p.stat().st_mtime_ns for p in work.iterdir()}
    result = run_cli(*args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if lines and lines[0].startswith("usage:"):  # argparse: a usage synopsis, then its one error line
        lines = [line for line in lines if not line.startswith(("usage:", " "))]
    errors = [line for line in lines if line.startswith("smartimage") and ": error: " in line]
    assert errors and words in errors[-1], result.stderr
    if "chunks damaged" not in words:  # verify lists each damaged chunk; everything else says it once
        assert len(errors) == 1
    assert all(line.startswith("warning:") or line in errors for line in lines), result.stderr
    after = {p.name: p.stat().st_mtime_ns for p in work.iterdir()}
    if args[0] != "restore" or "chunk-damaged" not in args[1]:  # a restore stopped midway wrote its target
        assert after == before, "a failure leaves the files as they were"
