"""The one place zstandard is imported: one independent zstd frame per chunk.

Each thread keeps its own compressor and decompressor (they are not thread-safe);
python-zstandard releases the GIL, so threads compress in parallel.
"""

from __future__ import annotations

import threading

import zstandard

from .errors import ImageDamagedError

_local = threading.local()
DEFAULT_LEVEL = 3


def compress(data, level: int = DEFAULT_LEVEL) -> bytes:
    compressors = getattr(_local, "compressors", None)
    if compressors is None:
        compressors = _local.compressors = {}
    compressor = compressors.get(level)
    if compressor is None:
        compressor = compressors[level] = zstandard.ZstdCompressor(level=level, write_content_size=True)
    return compressor.compress(data)


def decompress(frame: bytes, expected_length: int) -> bytes:
    """Decompress one frame that must hold exactly ``expected_length`` bytes.
    Raises ImageDamagedError (never allocates more than ``expected_length``)."""
    decompressor = getattr(_local, "decompressor", None)
    if decompressor is None:
        decompressor = _local.decompressor = zstandard.ZstdDecompressor()
    try:
        declared = frame_size(frame)
        if declared != expected_length:  # checked before anything is allocated
            raise ImageDamagedError(f"compressed frame declares {declared} bytes, expected {expected_length}")
        data = decompressor.decompress(frame, max_output_size=expected_length)
    except zstandard.ZstdError as exc:
        raise ImageDamagedError(f"compressed data does not decode ({exc})") from None
    if len(data) != expected_length:
        raise ImageDamagedError(f"compressed data decodes to {len(data)} bytes, expected {expected_length}")
    return data


def level_range() -> tuple[int, int]:
    return 1, zstandard.MAX_COMPRESSION_LEVEL


def frame_size(frame: bytes) -> int | None:
    """The uncompressed size a frame declares, or None when it declares none or is not a frame."""
    try:
        size = zstandard.frame_content_size(frame)
    except zstandard.ZstdError:
        return None
    return size if size >= 0 else None
