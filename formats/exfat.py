"""exFAT main boot sector and the volume-label directory entry, little-endian."""

from construct import Bytes, Int8ul, Int16ul, Int32ul, Int64ul, Struct

FS_NAME = b"EXFAT   "

ExfatBootSector = Struct(
    "jump" / Bytes(3),
    "fs_name" / Bytes(8),
    "must_be_zero" / Bytes(53),
    "partition_offset" / Int64ul,
    "volume_length" / Int64ul,  # in sectors
    "fat_offset" / Int32ul,  # in sectors
    "fat_length" / Int32ul,
    "cluster_heap_offset" / Int32ul,  # in sectors
    "cluster_count" / Int32ul,
    "root_cluster" / Int32ul,
    "volume_serial" / Int32ul,
    "fs_revision" / Int16ul,
    "volume_flags" / Int16ul,
    "bytes_per_sector_shift" / Int8ul,
    "sectors_per_cluster_shift" / Int8ul,
    "fat_count" / Int8ul,
    "drive_select" / Int8ul,
    "percent_in_use" / Int8ul,
    "reserved" / Bytes(7),
    "boot_code" / Bytes(390),
    "end_signature" / Int16ul,
)

ENTRY_VOLUME_LABEL = 0x83
ENTRY_SIZE = 32

VolumeLabelEntry = Struct(
    "entry_type" / Int8ul,
    "char_count" / Int8ul,
    "label" / Bytes(22),  # UTF-16LE
    "reserved" / Bytes(8),
)
