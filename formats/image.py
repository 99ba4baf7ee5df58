"""The smartimage image file: fixed header, zstd frames, metadata, index, fixed trailer.

Byte-by-byte description and rationale: docs/FORMAT.md.  All integers little-endian.
"""

from construct import Bytes, Int16ul, Int32ul, Int64ul, Padding, Struct

FORMAT_VERSION = 1
HEADER_MAGIC = b"SMIMG\x00\r\n"  # the CR LF and NUL catch text-mode and truncating transfers
TRAILER_MAGIC = b"SMIMGEND"
HEADER_SIZE = 4096  # chunks start on a 4 KiB boundary
TRAILER_SIZE = 128
INDEX_ENTRY_SIZE = 64

# the header's CRC32 covers its first HEADER_CRC_SPAN bytes
Header = Struct(
    "magic" / Bytes(8),
    "format_version" / Int16ul,
    "flags" / Int16ul,
    "header_size" / Int32ul,
    "image_id" / Bytes(16),
    "created_unix" / Int64ul,
    "tool_version" / Bytes(32),  # UTF-8, NUL padded
    Padding(HEADER_SIZE - 72 - 4),
    "header_crc32" / Int32ul,
)
HEADER_CRC_SPAN = HEADER_SIZE - 4

IndexEntry = Struct(
    "partition" / Int32ul,  # 0: disk areas outside partitions (tables, boot code, gaps)
    "flags" / Int32ul,
    "disk_offset" / Int64ul,  # where the bytes live on the source disk
    "length" / Int32ul,  # uncompressed bytes, at most MAX_CHUNK
    "stored_length" / Int32ul,  # bytes of the zstd frame in the file
    "stored_offset" / Int64ul,  # file offset of the zstd frame
    "hash" / Bytes(16),  # xxh3_128 of the uncompressed bytes
    Padding(INDEX_ENTRY_SIZE - 48),
)

Trailer = Struct(
    "magic" / Bytes(8),
    "format_version" / Int16ul,
    "flags" / Int16ul,
    "reserved" / Int32ul,
    "image_id" / Bytes(16),  # equals the header's: a trailer glued from another image is caught
    "chunk_count" / Int64ul,
    "data_bytes" / Int64ul,  # sum of the chunks' uncompressed lengths
    "metadata_offset" / Int64ul,
    "metadata_length" / Int64ul,  # zstd-compressed JSON
    "metadata_hash" / Bytes(16),  # xxh3_128 of the stored (compressed) metadata bytes
    "index_offset" / Int64ul,
    "index_length" / Int64ul,  # chunk_count * INDEX_ENTRY_SIZE
    "index_hash" / Bytes(16),  # xxh3_128 of the index bytes
    Padding(TRAILER_SIZE - 112 - 4),
    "trailer_crc32" / Int32ul,  # CRC32 of the first TRAILER_SIZE - 4 bytes
)
