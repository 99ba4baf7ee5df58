"""Every failure path of `inspect` ends in one line and the documented exit code, never a traceback."""

from __future__ import annotations

import os

import pytest

from tests.conftest import run_cli


def assert_one_line_error(result, code: int, text: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert text in lines[0]


def test_missing_source(tmp_path):
    assert_one_line_error(run_cli("inspect", tmp_path / "nope.img"), 1, "no such file or device")


def test_directory_source(tmp_path):
    assert_one_line_error(run_cli("inspect", tmp_path), 1, "is a directory")


def test_garbage_source(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(os.urandom(4 * 1024 * 1024))
    assert_one_line_error(run_cli("inspect", garbage), 1, "no partition table or filesystem found")


def test_tiny_source(tmp_path):
    tiny = tmp_path / "tiny.bin"
    tiny.write_bytes(b"x" * 100)
    assert_one_line_error(run_cli("inspect", tiny), 1, "too small")


def test_character_device_source():
    assert_one_line_error(run_cli("inspect", "/dev/null"), 1, "not a block device or a regular file")


@pytest.mark.parametrize("args", [["inspect"], ["frobnicate"], ["inspect", "x", "--sector-size", "1000"], []])
def test_usage_errors_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "usage:" in result.stderr


def test_empty_disk_is_shown_with_a_warning(tmp_path):
    blank = tmp_path / "blank.img"
    with open(blank, "wb") as f:
        f.truncate(32 * 1024 * 1024)
    result = run_cli("inspect", blank)
    assert result.returncode == 0
    assert "no partition table" in result.stdout and "empty disk" in result.stderr
