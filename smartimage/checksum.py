"""The one place the crc32c library is imported (ext4 metadata checksums)."""

import crc32c as _crc32c


def crc32c_raw(seed: int, data: bytes) -> int:
    """CRC32C continued from ``seed`` with no final inversion, as ext4's ext4_chksum() computes it."""
    return ~_crc32c.crc32c(data, value=~seed & 0xFFFFFFFF) & 0xFFFFFFFF
