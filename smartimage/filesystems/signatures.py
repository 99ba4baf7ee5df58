"""Filesystems and containers recognised by signature only (imaged raw until supported):
BitLocker, LUKS, XFS, Btrfs, HFS+."""

from __future__ import annotations

import struct
import uuid

from .model import FilesystemInfo, Reader, fixed_str


def detect_bitlocker(read: Reader, size: int) -> FilesystemInfo | None:
    if read(3, 8) == b"-FVE-FS-":
        return FilesystemInfo(fs_type="bitlocker")
    return None


def detect_luks(read: Reader, size: int) -> FilesystemInfo | None:
    head = read(0, 256)
    if head[:6] != b"LUKS\xba\xbe":
        return None
    version = struct.unpack(">H", head[6:8])[0]
    label = fixed_str(head[24:72]) if version == 2 else ""
    return FilesystemInfo(fs_type="luks", label=label, uuid=fixed_str(head[168:208]))


def detect_xfs(read: Reader, size: int) -> FilesystemInfo | None:
    sb = read(0, 512)
    if sb[:4] != b"XFSB" or len(sb) < 120:
        return None
    block_size = struct.unpack(">I", sb[4:8])[0]
    blocks = struct.unpack(">Q", sb[8:16])[0]
    return FilesystemInfo(
        fs_type="xfs",
        label=fixed_str(sb[108:120]),
        uuid=str(uuid.UUID(bytes=sb[32:48])),
        block_size=block_size,
        size=blocks * block_size,
    )


_BTRFS_SB = 0x10000


def detect_btrfs(read: Reader, size: int) -> FilesystemInfo | None:
    sb = read(_BTRFS_SB, 0x22B)
    if len(sb) < 0x22B or sb[0x40:0x48] != b"_BHRfS_M":
        return None
    total = struct.unpack("<Q", sb[0x70:0x78])[0]
    sector = struct.unpack("<I", sb[0x90:0x94])[0]
    return FilesystemInfo(
        fs_type="btrfs",
        label=fixed_str(sb[0x12B:0x22B]),
        uuid=str(uuid.UUID(bytes=sb[0x20:0x30])),
        block_size=sector or None,
        size=total,
    )


def detect_hfsplus(read: Reader, size: int) -> FilesystemInfo | None:
    header = read(1024, 512)
    if len(header) < 512 or header[:2] not in (b"H+", b"HX"):
        return None
    block_size = struct.unpack(">I", header[40:44])[0]
    blocks = struct.unpack(">I", header[44:48])[0]
    return FilesystemInfo(fs_type="hfsplus", block_size=block_size, size=blocks * block_size)
