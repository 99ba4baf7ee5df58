"""FAT12/16/32 boot sector and directory entry, little-endian."""

from construct import Bytes, Int8ul, Int16ul, Int32ul, Struct

# Fields shared by every FAT: the BIOS parameter block, offsets 0x00-0x23.
_bpb = (
    "jump" / Bytes(3),
    "oem_id" / Bytes(8),
    "bytes_per_sector" / Int16ul,
    "sectors_per_cluster" / Int8ul,
    "reserved_sectors" / Int16ul,
    "fat_count" / Int8ul,
    "root_entries" / Int16ul,  # 0 on FAT32
    "total_sectors_16" / Int16ul,
    "media" / Int8ul,
    "fat_size_16" / Int16ul,  # 0 on FAT32
    "sectors_per_track" / Int16ul,
    "heads" / Int16ul,
    "hidden_sectors" / Int32ul,
    "total_sectors_32" / Int32ul,
)

_extended_bpb = (
    "drive_number" / Int8ul,
    "reserved1" / Int8ul,
    "boot_signature" / Int8ul,  # 0x29: the next three fields are valid
    "volume_id" / Int32ul,
    "volume_label" / Bytes(11),
    "fs_type" / Bytes(8),
)

Fat16BootSector = Struct(*_bpb, *_extended_bpb, "boot_code" / Bytes(448), "end_signature" / Int16ul)

Fat32BootSector = Struct(
    *_bpb,
    "fat_size_32" / Int32ul,
    "ext_flags" / Int16ul,
    "fs_version" / Int16ul,
    "root_cluster" / Int32ul,
    "fsinfo_sector" / Int16ul,
    "backup_boot_sector" / Int16ul,
    "reserved0" / Bytes(12),
    *_extended_bpb,
    "boot_code" / Bytes(420),
    "end_signature" / Int16ul,
)

DirectoryEntry = Struct(
    "name" / Bytes(11),
    "attributes" / Int8ul,  # 0x08 volume label, 0x0F long-name part
    "reserved" / Bytes(8),
    "cluster_high" / Int16ul,
    "modified" / Bytes(4),
    "cluster_low" / Int16ul,
    "size" / Int32ul,
)

ATTR_VOLUME_ID = 0x08
ATTR_LONG_NAME = 0x0F
