"""The one place xxhash is imported: the per-chunk and per-block hash of images.

xxh3-128 (about 20 GB/s here, measured) detects accidental damage — bit flips,
truncation, misplaced blocks — with a 2^-128 miss rate; it is not meant to
resist a forger.
"""

import xxhash

HASH_SIZE = 16


def chunk_hash(data) -> bytes:
    """16-byte xxh3-128 digest of a bytes-like object."""
    return xxhash.xxh3_128_digest(data)
