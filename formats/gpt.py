"""GUID partition table header and entry layout (UEFI spec, chapter 5), little-endian."""

from construct import Bytes, Int32ul, Int64ul, Struct

SIGNATURE = b"EFI PART"
HEADER_SIZE = 92
ENTRY_SIZE = 128

GptHeader = Struct(
    "signature" / Bytes(8),
    "revision" / Int32ul,
    "header_size" / Int32ul,
    "header_crc32" / Int32ul,  # over header_size bytes with this field zeroed
    "reserved" / Int32ul,
    "current_lba" / Int64ul,
    "backup_lba" / Int64ul,
    "first_usable_lba" / Int64ul,
    "last_usable_lba" / Int64ul,
    "disk_guid" / Bytes(16),  # mixed-endian GUID (uuid.UUID(bytes_le=...))
    "entries_lba" / Int64ul,
    "entry_count" / Int32ul,
    "entry_size" / Int32ul,
    "entries_crc32" / Int32ul,  # over entry_count * entry_size bytes
)

GptEntry = Struct(
    "type_guid" / Bytes(16),
    "unique_guid" / Bytes(16),
    "first_lba" / Int64ul,
    "last_lba" / Int64ul,  # inclusive
    "attributes" / Int64ul,
    "name" / Bytes(72),  # UTF-16LE, NUL padded
)
